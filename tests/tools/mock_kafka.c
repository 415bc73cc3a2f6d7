/*
 * bmpflow-mock-kafka: librdkafka's mock cluster as a standalone process
 * that tests can fault: brokers go down and come back on command.
 *
 *   bmpflow-mock-kafka [--brokers N] [--partitions P] TOPIC...
 *
 * Prints "bootstrap HOST:PORT,..." on stdout, then reads commands on
 * stdin, one per line: "down" (every broker down: connections dropped and
 * refused), "up", "rtt MS" (latency on every broker), "quit" (or EOF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "produce/embedded.h"

int
main(int argc, char **argv)
{
	struct bf_embedded e;
	int brokers = 1, partitions = 8, i;
	char err[512], line[128];

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "--brokers"))
			brokers = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--partitions"))
			partitions = atoi(argv[i + 1]);
		else
			goto usage;
	}
	if (i >= argc || brokers < 1 || partitions < 1)
		goto usage;
	if (bf_embedded_start(&e, brokers, partitions,
	    (const char *const *)argv + i, argc - i, err, sizeof(err)) < 0) {
		fprintf(stderr, "bmpflow-mock-kafka: %s\n", err);
		return 1;
	}
	printf("bootstrap %s\n", e.bootstraps);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		for (int b = 1; b <= brokers; b++) {
			if (!strcmp(line, "down"))
				rd_kafka_mock_broker_set_down(e.mc, b);
			else if (!strcmp(line, "up"))
				rd_kafka_mock_broker_set_up(e.mc, b);
			else if (!strncmp(line, "rtt ", 4))
				rd_kafka_mock_broker_set_rtt(e.mc, b,
				    atoi(line + 4));
		}
		printf("ok %s\n", line);
		fflush(stdout);
	}
	bf_embedded_stop(&e);
	return 0;
usage:
	fprintf(stderr, "usage: bmpflow-mock-kafka [--brokers N] "
	    "[--partitions P] TOPIC...\n");
	return 2;
}
