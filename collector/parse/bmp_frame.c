/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BMP common header, RFC 7854 §4.1:
 *
 *   +-------------+---------------------------------+-------------+
 *   | Version (1) | Message Length (4, incl. header) | Type (1)    |
 *   +-------------+---------------------------------+-------------+
 */
#include "core/cursor.h"
#include "bmp_frame.h"
#include "bmp_wire.h"

long
bmp_frame(const uint8_t *buf, size_t len, size_t max_msg, struct bf_err *err)
{
	struct bf_cur c = cur_make(buf, len);
	uint8_t version, type;
	uint32_t mlen;

	if (cur_get_u8(&c, &version) < 0)
		return 0;
	if (version != BMP_VERSION) {
		bf_err_set(err, -1, 0, "unsupported BMP version %u (expected 3)",
		    version);
		return -1;
	}
	if (cur_get_u32(&c, &mlen) < 0 || cur_get_u8(&c, &type) < 0)
		return 0;
	if (mlen < BMP_COMMON_HDR_LEN) {
		bf_err_set(err, -1, 1, "BMP message length %u is below the "
		    "6-byte header (type %u)", mlen, type);
		return -1;
	}
	if (mlen > max_msg) {
		bf_err_set(err, -1, 1, "BMP message length %u exceeds the "
		    "maximum of %zu bytes (type %u)", mlen, max_msg, type);
		return -1;
	}
	return len >= mlen ? (long)mlen : 0;
}
