/* SPDX-License-Identifier: Apache-2.0 */
/*
 * read_file.c: a whole file into memory (read_file.h).
 */
#include "read_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint8_t *
test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	uint8_t *buf = NULL;
	size_t n = 0;

	if (f == NULL || fstat(fileno(f), &sb) < 0)
		goto fail;
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		goto fail;
	while (n < (size_t)sb.st_size) {
		size_t r = fread(buf + n, 1, (size_t)sb.st_size - n, f);

		if (r == 0)
			break;
		n += r;
	}
	if (ferror(f) || n != (size_t)sb.st_size) {
		fprintf(stderr, "%s: cannot read: read error after %zu bytes "
		    "of %jd\n", path, n, (intmax_t)sb.st_size);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
fail:
	fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
	free(buf);
	if (f != NULL)
		fclose(f);
	return NULL;
}
