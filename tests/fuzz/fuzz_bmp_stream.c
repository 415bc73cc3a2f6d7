/*
 * libFuzzer target: framing, every message decoder, the UPDATE route
 * iterator and the JSON printer over arbitrary bytes.
 */
#include <stdio.h>

#include "normalize/bmp_stream.h"
#include "tools/decode_print.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void
on_msg(struct bmp_stream *s, size_t off, enum bmp_msg_result res,
    const struct bf_err *err, void *arg)
{
	(void)err;
	(void)arg;
	if (res != BMP_MSG_OK)
		return;
	if (s->has_update) {
		struct bgp_route_iter ri;
		struct bgp_route r;

		bgp_route_iter_init(&ri, s->update);
		while (bgp_route_next(&ri, &r) == 1)
			;
	}
	decode_print_json(devnull, s, off);
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
