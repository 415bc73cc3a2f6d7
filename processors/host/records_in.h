/* SPDX-License-Identifier: Apache-2.0 */
/*
 * records_in.h: bmp.route and bmp.peer records (formats avro,
 * avro-confluent or json) → the plain structs of bmpflow/plugin.h.  One decoder per
 * thread; what a call returns is valid until the next call.  Records of
 * other schema versions (fingerprints) are refused.
 */
#ifndef BF_RECORDS_IN_H
#define BF_RECORDS_IN_H

#include <stddef.h>
#include <stdint.h>

#include "bmpflow/plugin.h"
#include "core/avro_schema.h"
#include "core/avro_scan.h"
#include "core/record_format.h"
#include "sessions.h"

#define BF_IN_MAX_ASNS		4096
#define BF_IN_MAX_COMMUNITIES	1024
#define BF_IN_MAX_SEGMENTS	256
#define BF_IN_MAX_FIELDS	64	/* top-level fields of a schema */

enum bf_in_kind {
	BF_IN_ROUTE,
	BF_IN_PEER,
	BF_IN_KINDS,
};

struct bf_in_schema {
	struct bf_schema	 sch;
	struct bf_scan_node	*scan;
	int8_t			 field_of[BF_IN_MAX_FIELDS];	/* by position:
						 * what it is, -1 unused */
	int			 open_role;	/* in BgpOpen, -1 none */
};

/* The session key fields and view of the record decoded last. */
struct bf_in_session {
	const char	*router, *peer, *peer_rd;
	uint8_t		 peer_type;
	uint32_t	 peer_as;
	enum bf_view	 view;
};

struct bf_records_in {
	struct bf_in_schema	in[BF_IN_KINDS];
	struct bf_route		route;
	struct bf_session_event	peer;		/* session is not set */
	struct bf_in_session	sess;
	int			kind;		/* of the record decoded last */
	uint32_t		asns[BF_IN_MAX_ASNS];
	struct bf_as_segment	segs[BF_IN_MAX_SEGMENTS];
	uint32_t		communities[BF_IN_MAX_COMMUNITIES];
	struct bf_large_community large[BF_IN_MAX_COMMUNITIES];
	char			strs[8192];	/* the record's strings */
	size_t			strs_used;
	/* Records in any format (registry: the host's, for avro-confluent). */
	struct bf_record_reader	reader;
	const struct bf_schema	*sch_of[BF_IN_KINDS];
	const struct bf_scan_node *scan_of[BF_IN_KINDS];
};

/* Load route.avsc and peer.avsc from dir.  0, or -1 with errbuf. */
int	bf_records_in_init(struct bf_records_in *d, const char *dir,
	    char *errbuf, size_t errlen);
void	bf_records_in_free(struct bf_records_in *d);

/*
 * Decode one Kafka message value.  Returns BF_IN_ROUTE with d->route
 * filled, BF_IN_PEER with d->peer filled (Peer Up, Peer Down or
 * End-of-RIB), d->sess either way (the caller sets the session
 * pointers), or -1 with why in errbuf (not a record of a known format,
 * unknown fingerprint or schema id, bad body).  Records may be in any
 * format of record_format.h.  An announcement with an empty AS path
 * has the session's peer AS as its origin.
 */
int	bf_records_in_decode(struct bf_records_in *d, const uint8_t *p,
	    size_t n, char *errbuf, size_t errlen);

#endif /* BF_RECORDS_IN_H */
