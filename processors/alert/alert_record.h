/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_record.h: one bmp.alert record (schemas/alert.avsc) read into
 * its fields' text and JSON, and the message templates rendered from it.
 */
#ifndef ALERT_RECORD_H
#define ALERT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/avro_scan.h"
#include "alert_opts.h"

#define ALERT_MAX_FIELDS	40

struct alert {
	size_t		 n;
	const char	*name[ALERT_MAX_FIELDS];	/* the schema's */
	char		*text[ALERT_MAX_FIELDS];	/* for templates */
	char		*json[ALERT_MAX_FIELDS];	/* a JSON value */
	int		 state;		/* enum alert_state, -1 unknown */
};

/*
 * The record body[0..len) of alert schema scan (checked whole) → a.
 * 0, or -1 when malformed or out of memory (a is freed).
 */
int	alert_decode(struct alert *a, const struct bf_scan_node *scan,
	    const uint8_t *body, size_t len);
void	alert_free(struct alert *a);
/* A field's text, "" when the record has no such field. */
const char *alert_field(const struct alert *a, const char *name);
/* The alert as one JSON object, the schema's field names, onto f. */
void	alert_write_json(const struct alert *a, FILE *f);
/*
 * tmpl with each {FIELD} replaced by the field's text; malloc'd, NULL
 * when out of memory.  Other braces are copied as they are.
 */
char	*alert_render(const struct alert *a, const char *tmpl);
/*
 * Whether every {name} of tmpl names a field of schema scan: 0, or -1
 * with the unknown name in err.
 */
int	alert_template_check(const char *tmpl,
	    const struct bf_scan_node *scan, char *err, size_t errlen);

#endif /* ALERT_RECORD_H */
