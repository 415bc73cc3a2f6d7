/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: framing, every message decoder, the UPDATE route
 * iterator and the JSON printer over arbitrary bytes.
 */
#include <stdio.h>

#include "bmp_consume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void
on_msg(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	(void)err;
	(void)arg;
	if (res == BMP_MSG_OK)
		consume_msg(devnull, s, off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bmp_stream s;
	struct bf_err err = { 0 };
	size_t err_off;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	/* A small peer limit exercises the refusal path too. */
	if (bmp_stream_init(&s, 65536, 64) < 0)
		return 0;
	(void)bmp_stream_walk(&s, data, size, on_msg, NULL, &err, &err_off);
	bmp_stream_free(&s);
	return 0;
}
