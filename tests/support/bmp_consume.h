/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_consume.h: what every consumer of a decoded BMP message touches,
 * for the tests and fuzzers that feed damaged or arbitrary bytes.
 */
#ifndef BF_BMP_CONSUME_H
#define BF_BMP_CONSUME_H

#include <stdint.h>
#include <stdio.h>

#include "normalize/bmp_stream.h"
#include "tools/decode_print.h"

/* Walks every route of the message's UPDATE, prints it as JSON to out. */
static inline uint64_t
consume_msg(FILE *out, const struct bmp_stream *s, size_t off)
{
	uint64_t routes = 0;

	if (s->has_update) {
		struct bgp_route_iter ri;
		struct bgp_route r;

		bgp_route_iter_init(&ri, s->update);
		while (bgp_route_next(&ri, &r) == 1)
			routes++;
	}
	decode_print_json(out, s, off);
	return routes;
}

#endif /* BF_BMP_CONSUME_H */
