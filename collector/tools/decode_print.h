/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode_print.h: human-readable and JSON renderings of decoded BMP
 * messages, for bmpflow-decode and debugging.
 */
#ifndef BF_DECODE_PRINT_H
#define BF_DECODE_PRINT_H

#include <stdio.h>

#include "../normalize/bmp_stream.h"

/* One JSON object (one line) for the message s last decoded at offset off. */
void	decode_print_json(FILE *out, const struct bmp_stream *s, size_t off);
/* One readable line for the same. */
void	decode_print_text(FILE *out, const struct bmp_stream *s, size_t off);

#endif /* BF_DECODE_PRINT_H */
