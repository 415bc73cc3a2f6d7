/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bmp_frame.h: cut a TCP byte stream into BMP messages.
 */
#ifndef BF_BMP_FRAME_H
#define BF_BMP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/*
 * Look at the first len bytes of buf.  Returns the length of the first
 * whole BMP message (>0), 0 when more bytes are needed, or -1 when the
 * common header is invalid (unsupported version, length below 6 or above
 * max_msg): fatal for the session, with err saying why.  The header is
 * judged as soon as its 6 bytes are in, before anything is buffered.
 */
long	bmp_frame(const uint8_t *buf, size_t len, size_t max_msg,
	    struct bf_err *err);

#endif /* BF_BMP_FRAME_H */
