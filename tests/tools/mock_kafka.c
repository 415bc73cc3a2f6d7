/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmpflow-mock-kafka: librdkafka's mock cluster as a standalone process
 * that tests can fault: brokers go down and come back on command.
 *
 *   bmpflow-mock-kafka [--brokers N] [--partitions P] TOPIC...
 *
 * Prints "bootstrap HOST:PORT,..." on stdout, then reads commands on
 * stdin, one per line: "down" (every broker down: connections dropped and
 * refused), "up", "rtt MS" (latency on every broker), "leader TOPIC ID"
 * (every partition of TOPIC, one given on the command line, led by broker
 * ID, 1..N, or by none with -1: produce and fetch are refused until a
 * leader is back), "quit" (or EOF).  Each command is answered "ok LINE",
 * or "error LINE: why" when it cannot be carried out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "produce/embedded.h"

/*
 * "leader TOPIC ID": every partition of topic (one of topics[]) led by
 * broker id, or leaderless with -1.  0, or -1 with why.
 */
static int
set_leader(struct bf_embedded *e, const char *args, char *const *topics,
    int n_topics, int partitions, int brokers, char *why, size_t whylen)
{
	char topic[256], *end;
	const char *sp = strchr(args, ' ');
	long id;
	int t;

	if (sp == NULL || (size_t)(sp - args) >= sizeof(topic)) {
		snprintf(why, whylen, "expected: leader TOPIC BROKER_ID");
		return -1;
	}
	snprintf(topic, sizeof(topic), "%.*s", (int)(sp - args), args);
	id = strtol(sp + 1, &end, 10);
	if (sp[1] == '\0' || *end != '\0' || (id != -1 && (id < 1 ||
	    id > brokers))) {
		snprintf(why, whylen, "broker id '%s': expected -1 or 1..%d",
		    sp + 1, brokers);
		return -1;
	}
	for (t = 0; t < n_topics && strcmp(topics[t], topic) != 0; t++)
		;
	if (t == n_topics) {	/* set_leader would create it */
		snprintf(why, whylen, "no topic %s", topic);
		return -1;
	}
	for (int32_t p = 0; p < partitions; p++) {
		rd_kafka_resp_err_t err = rd_kafka_mock_partition_set_leader(
		    e->mc, topic, p, (int32_t)id);

		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(why, whylen, "%s [%d]: %s", topic, (int)p,
			    rd_kafka_err2str(err));
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bf_embedded e;
	int brokers = 1, partitions = 8, i;
	char err[512], line[512];

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
		if (!strncmp(line, "leader ", 7)) {
			if (set_leader(&e, line + 7, argv + i, argc - i,
			    partitions, brokers, err, sizeof(err)) < 0)
				printf("error %s: %s\n", line, err);
			else
				printf("ok %s\n", line);
			fflush(stdout);
			continue;
		}
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
	    "[--partitions P] TOPIC...\n"
	    "commands on stdin: down | up | rtt MS | leader TOPIC ID|-1 | "
	    "quit\n");
	return 2;
}
