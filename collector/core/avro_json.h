/* SPDX-License-Identifier: Apache-2.0 */
/*
 * avro_json.h: one Avro value written as plain JSON (bmpflow-tail's
 * lines, bmpflow-alert's generic webhook body): unions print their
 * value, bytes and fixed hex text, enums their symbol, records objects
 * with the schema's field names.
 */
#ifndef BF_AVRO_JSON_H
#define BF_AVRO_JSON_H

#include <stdio.h>

#include "core/avro_scan.h"

/*
 * One value of node n read from c onto f.  0, or -1 on bad data (check
 * the record whole with bf_scan_skip first: f may hold part of it).
 */
int	bf_avro_json_value(FILE *f, const struct bf_scan_node *n,
	    struct bf_cur *c);

#endif /* BF_AVRO_JSON_H */
