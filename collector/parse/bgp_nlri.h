/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bgp_nlri.h: address families and NLRI decoding (RFC 4271, 4760, 7911,
 * 8277, 4364).  Families live in one table; a family missing from the table
 * is "undecoded", never an error.
 */
#ifndef BF_BGP_NLRI_H
#define BF_BGP_NLRI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"

#define BGP_MAX_LABELS	8

struct bgp_af {
	uint16_t	 afi;
	uint8_t		 safi;
	uint8_t		 index;		/* position in the table, for bitmaps */
	const char	*name;		/* "ipv4-unicast", "vpnv6", ... */
	uint8_t		 family;	/* BF_AF_INET / BF_AF_INET6 */
	bool		 has_labels;
	bool		 has_rd;
};

/* NULL when (afi, safi) is not a decoded family. */
const struct bgp_af	*bgp_af_lookup(uint16_t afi, uint8_t safi);
const struct bgp_af	*bgp_af_ipv4_unicast(void);
/* "ipv4-unicast" for table families, "afi25-safi70" style otherwise. */
const char		*bgp_af_name(uint16_t afi, uint8_t safi, char *buf,
			    size_t size);

struct bgp_nlri {
	struct bf_prefix prefix;
	bool		 has_path_id;
	uint32_t	 path_id;	/* RFC 7911, when has_path_id */
	bool		 has_rd;
	uint8_t		 rd[8];
	uint8_t		 n_labels;
	uint32_t	 labels[BGP_MAX_LABELS];	/* 20-bit label values */
};

struct bgp_nlri_iter {
	struct bf_cur		 cur;
	const struct bgp_af	*af;
	bool			 addpath;
	bool			 withdraw;	/* RFC 8277 §2.4: one label */
	size_t			 base_off;	/* offset of cur in the message */
	size_t			 start_len;
};

void	bgp_nlri_iter_init(struct bgp_nlri_iter *it, struct bf_cur nlri,
	    const struct bgp_af *af, bool addpath, bool withdraw,
	    size_t base_off);
/*
 * Decode the next NLRI: 1 with out filled, 0 at the end, -1 on malformed
 * input with err set (offset within the enclosing message).
 */
int	bgp_nlri_next(struct bgp_nlri_iter *it, struct bgp_nlri *out,
	    struct bf_err *err);
/*
 * Validate all NLRI without decoding them: count on success, -1 with err on
 * the first bad one, exactly as bgp_nlri_next would report it.
 */
long	bgp_nlri_count(struct bf_cur nlri, const struct bgp_af *af,
	    bool addpath, bool withdraw, size_t base_off, struct bf_err *err);

#endif /* BF_BGP_NLRI_H */
