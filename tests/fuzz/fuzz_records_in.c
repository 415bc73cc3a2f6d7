/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the processor's record decoder (records_in over
 * avro_scan) on arbitrary record bodies.  The first input byte picks
 * bmp.route or bmp.peer; the target writes that schema's single-object
 * header, so every input reaches the body scanner.
 */
#include <stdlib.h>
#include <string.h>

#include "records_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bf_records_in in;
static bool ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 16];
	char err[256];

	if (!ready) {
		if (bf_records_in_init(&in, BMPFLOW_SCHEMA_DIR, err,
		    sizeof(err)) < 0)
			abort();
		ready = true;
	}
	if (size < 1 || size - 1 > sizeof(buf) - BF_SINGLE_OBJECT_HDR)
		return 0;
	bf_schema_header(&in.in[data[0] & 1].sch, buf);
	memcpy(buf + BF_SINGLE_OBJECT_HDR, data + 1, size - 1);
	bf_records_in_decode(&in, buf, BF_SINGLE_OBJECT_HDR + size - 1, err,
	    sizeof(err));
	return 0;
}
