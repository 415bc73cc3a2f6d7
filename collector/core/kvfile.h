/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvfile.h: "key = value" files with '#' comments, the format of every
 * bmpflow config file.  Keys are given with '_' turned into '-' (so
 * max_sessions = max-sessions), except after a namespace prefix such as
 * "kafka." or "plugin.", whose keys belong to someone else.  Quotes
 * around a value ("a # b", ' x') are not part of it; a '#' inside them
 * is no comment.
 */
#ifndef BF_KVFILE_H
#define BF_KVFILE_H

#include <stddef.h>

/* Set one key: 0, or -1 with why in err. */
typedef int (*bf_kv_set)(void *arg, const char *key, const char *value,
	    char *err, size_t errlen);

/* Read PATH through set.  0, or -1 with "PATH:LINE: why" in err. */
int	bf_kvfile_load(const char *path, bf_kv_set set, void *arg, char *err,
	    size_t errlen);

#endif /* BF_KVFILE_H */
