/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_schema.h: the Avro schemas of schemas/NAME.avsc, their Parsing Canonical
 * Form and CRC-64-AVRO fingerprint, for single-object encoding (Avro spec,
 * "Single-object encoding").
 */
#ifndef BF_AVRO_SCHEMA_H
#define BF_AVRO_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#define BF_SCHEMA_NAME_MAX	32
/* Marker (2 bytes) and fingerprint (8, little-endian) before every body. */
#define BF_SINGLE_OBJECT_HDR	10

struct bf_schema {
	char			 name[BF_SCHEMA_NAME_MAX];	/* "route" */
	avro_schema_t		 schema;
	avro_value_iface_t	*iface;		/* generic values of schema */
	uint64_t		 fingerprint;	/* CRC-64-AVRO of canonical */
	char			*canonical;
	/* The .avsc as written: a Schema Registry needs its defaults. */
	char			*text;
};

/* CRC-64-AVRO (Rabin fingerprint) of n bytes. */
uint64_t	bf_crc64_avro(const void *p, size_t n);

/* Parsing Canonical Form of schema; malloc'd, NULL when out of memory. */
char		*bf_schema_canonical(avro_schema_t schema);

/*
 * Load DIR/NAME.avsc.  Returns 0, or -1 with why (file, parse error) in
 * errbuf.
 */
int	bf_schema_load(struct bf_schema *s, const char *dir, const char *name,
	    char *errbuf, size_t errlen);
/*
 * The schema of JSON text[0..len) (malloc'd; s owns it from here, freed
 * on error too), named name; where: whence the text came, for errors.
 * Returns 0, or -1 with why in errbuf.
 */
int	bf_schema_from_text(struct bf_schema *s, const char *name, char *text,
	    size_t len, const char *where, char *errbuf, size_t errlen);
void	bf_schema_free(struct bf_schema *s);

/* Write the single-object header for s into out[BF_SINGLE_OBJECT_HDR]. */
void	bf_schema_header(const struct bf_schema *s, uint8_t *out);

/*
 * The fingerprint of a single-object encoded message, or 0 with -1 when
 * it does not start with the marker.
 */
int	bf_single_object_fingerprint(const uint8_t *p, size_t n, uint64_t *fp);

#endif /* BF_AVRO_SCHEMA_H */
