/* SPDX-License-Identifier: Apache-2.0 */
/*
 * asrel.h: AS relationships (CAIDA serial-1 / serial-2) and ASN sets
 * (transit-free ASes) for leak_detect.
 *
 * CAIDA as-rel format, one link a line, '#' lines are comments:
 *     <provider-as>|<customer-as>|-1       provider to customer
 *     <peer-as>|<peer-as>|0                settlement-free peers
 * serial-2 adds a fourth field (the inference source), ignored here.
 */
#ifndef BMPFLOW_LD_ASREL_H
#define BMPFLOW_LD_ASREL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What b is to a, as asrel_rel(t, a, b) answers. */
enum asrel_kind {
	ASREL_UNKNOWN = 0,
	ASREL_CUSTOMER,		/* b is a's customer */
	ASREL_PROVIDER,		/* b is a's provider */
	ASREL_PEER,		/* b is a's peer */
};

/*
 * Open addressing over nonzero 64-bit keys, a byte each: the AS links of
 * asrel_* (key min << 32 | max, value what max is to min) and the ASN
 * sets of asset_* (key the ASN) alike.  All zero is an empty table.
 */
struct astab {
	uint64_t	*keys;		/* 0 = empty */
	uint8_t		*vals;
	size_t		 cap, n;
};

enum astab_format {
	ASTAB_LINKS,	/* CAIDA as-rel, above, into asrel_* */
	ASTAB_ASNS,	/* an ASN list, below, into asset_* */
};

/*
 * Load path, in format, into t, replacing what t held once the whole file
 * is read (textfile.h: complete files only).  Returns 0 with the lines
 * holding only a comment in *comments, or -1 with "path:line: what is
 * wrong" in err (t is then unchanged).
 *
 * An ASN list: ASNs ("3356" or "AS3356") separated by blanks, commas or
 * new lines, '#' starts a comment.
 */
int	astab_load(struct astab *t, enum astab_format format, const char *path,
	    long *comments, char *err, size_t errlen);
void	astab_free(struct astab *t);
size_t	astab_bytes(const struct astab *t);

/* Add one link: rel -1 (a provider of b) or 0 (peers).  0 or -1 (ENOMEM). */
int	asrel_add(struct astab *t, uint32_t a, uint32_t b, int rel);
enum asrel_kind asrel_rel(const struct astab *t, uint32_t a, uint32_t b);

/* Add asn (0 is ignored): 0 or -1 (ENOMEM). */
int	asset_add(struct astab *s, uint32_t asn);
bool	asset_has(const struct astab *s, uint32_t asn);

/* An ASN as "3356" or "AS3356" (any case): 0, or -1 when not one. */
int	asn_parse(const char *s, uint32_t *out);

/*
 * AS 0, AS_TRANS 23456, documentation (RFC 5398), private use (RFC 6996)
 * and the last ASNs (RFC 7300): never a culprit, never a link.
 */
bool	asn_special(uint32_t asn);

#endif /* BMPFLOW_LD_ASREL_H */
