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

struct asrel {
	uint64_t	*keys;		/* min << 32 | max, 0 = empty */
	uint8_t		*vals;		/* what max is to min */
	size_t		 cap, n;
};

struct asset {
	uint32_t	*v;		/* 0 = empty */
	size_t		 cap, n;
};

/*
 * Load path into t.  Returns 0, or -1 with "path:line: what is wrong" in
 * err (t is then empty).
 */
int	asrel_load(struct asrel *t, const char *path, char *err, size_t errlen);
/* Add one link: rel -1 (a provider of b) or 0 (peers).  0 or -1 (ENOMEM). */
int	asrel_add(struct asrel *t, uint32_t a, uint32_t b, int rel);
enum asrel_kind asrel_rel(const struct asrel *t, uint32_t a, uint32_t b);
void	asrel_free(struct asrel *t);
size_t	asrel_bytes(const struct asrel *t);

/*
 * An ASN list: ASNs ("3356" or "AS3356") separated by blanks, commas or
 * new lines, '#' starts a comment.  Same return contract as asrel_load.
 */
int	asset_load(struct asset *s, const char *path, char *err,
	    size_t errlen);
int	asset_add(struct asset *s, uint32_t asn);
bool	asset_has(const struct asset *s, uint32_t asn);
void	asset_free(struct asset *s);

/* An ASN as "3356" or "AS3356" (any case): 0, or -1 when not one. */
int	asn_parse(const char *s, uint32_t *out);

/*
 * AS 0, AS_TRANS 23456, documentation (RFC 5398), private use (RFC 6996)
 * and the last ASNs (RFC 7300): never a culprit, never a link.
 */
bool	asn_special(uint32_t asn);

#endif /* BMPFLOW_LD_ASREL_H */
