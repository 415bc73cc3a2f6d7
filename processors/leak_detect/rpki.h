/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpki.h: RPKI validated ROA payloads and RFC 6811 origin validation.
 *
 * Input: the JSON rpki-client (-j) and Routinator (--format json) export,
 *     {"roas": [{"asn": 13335, "prefix": "1.1.1.0/24", "maxLength": 24,
 *                ...}, ...], ...}
 * with "asn" a number or an "AS13335" string; other members are ignored;
 * maxLength defaults to the prefix length.
 */
#ifndef BMPFLOW_LD_RPKI_H
#define BMPFLOW_LD_RPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptab.h"

enum rpki_state {
	RPKI_NOT_FOUND,		/* no VRP covers the prefix */
	RPKI_VALID,
	RPKI_INVALID,		/* covered, but no VRP matches */
};

struct rpki_vrp {
	uint32_t	asn;
	uint8_t		maxlen;
};

struct rpki {
	struct ptab	 t;
	struct rpki_vrp	*v;
	size_t		 n;
};

/* VRPs gathered one by one, then built into a struct rpki. */
struct rpki_builder {
	struct ptab_item	*items;
	struct rpki_vrp		*v;
	size_t			 n, cap;
};

/* 0, or -1 when out of memory. */
int	rpki_builder_add(struct rpki_builder *b, const struct ld_pfx *p,
	    uint32_t asn, uint8_t maxlen);
/* rp replaced by b's VRPs (b is then empty): 0, or -1 when out of memory. */
int	rpki_builder_finish(struct rpki_builder *b, struct rpki *rp);
void	rpki_builder_free(struct rpki_builder *b);

/*
 * Load path into rp, replacing what rp held once the whole file is read:
 * 0, or -1 with "path:line: what is wrong" in err (rp is then unchanged).
 */
int	rpki_load(struct rpki *rp, const char *path, char *err, size_t errlen);
void	rpki_free(struct rpki *rp);
size_t	rpki_bytes(const struct rpki *rp);

/*
 * RFC 6811 §2: valid when a covering VRP has the origin and a maxLength
 * at least q's length; invalid when VRPs cover q but none matches; not
 * found otherwise.  origin_known false (the path ends in an AS_SET) is
 * the origin NONE, which matches no VRP.  AS 0 never matches (RFC 7607).
 */
enum rpki_state rpki_validate(const struct rpki *rp, const struct ld_pfx *q,
	    uint32_t origin, bool origin_known);

/*
 * rpki_validate over the union of the VRPs of tabs[0 .. n) (a file's and
 * an RTR cache's): valid when one table says valid, else invalid when one
 * says invalid, else not found.
 */
enum rpki_state rpki_validate_any(const struct rpki *const *tabs, size_t n,
	    const struct ld_pfx *q, uint32_t origin, bool origin_known);

#endif /* BMPFLOW_LD_RPKI_H */
