/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_aspath.h: AS_PATH / AS4_PATH decoding and the RFC 6793 §4.2.3 merge.
 */
#ifndef BF_BGP_ASPATH_H
#define BF_BGP_ASPATH_H

#include <stdbool.h>

#include "bgp_attr.h"

/*
 * Check that raw is a well-formed AS path of asn_size-byte ASNs (2 or 4):
 * known segment types, non-empty segments, no overrun.  Returns the RFC 6793
 * path length (a SET counts 1, confederation segments 0), or -1 with err set.
 */
long	bgp_aspath_verify(struct bf_cur raw, unsigned asn_size, size_t base_off,
	    struct bf_err *err);

/*
 * Build out from a verified AS_PATH and, when as4_raw is non-empty, a
 * verified AS4_PATH merged in per RFC 6793 §4.2.3.  Returns true when the
 * AS4_PATH was merged.
 */
bool	bgp_aspath_build(struct bgp_aspath *out, struct bf_cur as_path,
	    unsigned asn_size, struct bf_cur as4_path);

/* Origin AS: last ASN of a trailing AS_SEQUENCE.  false when none. */
bool	bgp_aspath_origin(const struct bgp_aspath *p, uint32_t *asn);

#endif /* BF_BGP_ASPATH_H */
