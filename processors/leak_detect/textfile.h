/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textfile.h: leak_detect's line-oriented input files (AS relationships,
 * ASN lists, monitored prefixes) and the error messages of every input
 * file.
 *
 * A file is read whole before its table replaces the one in use, and
 * only a complete file is accepted: every line, the last included, ends
 * in a new line.  A last line without one is a file cut short or still
 * being written ("64500|6450" of "64500|64501|-1"), never data.
 */
#ifndef BMPFLOW_LD_TEXTFILE_H
#define BMPFLOW_LD_TEXTFILE_H

#include <stddef.h>

/*
 * One line of a file, its new line removed and NUL-terminated (the
 * callback may cut it up): 0, or -1 with what is wrong in why.  Naming
 * the offending text is the callback's; textfile_read escapes it.
 */
typedef int (*textfile_line_fn)(char *line, long lineno, void *arg,
	    char *why, size_t whylen);

/*
 * Calls each for every line of path.  Returns 0, or -1 with
 * "path:LINE: why" in err (escaped, as textfile_err), stopping at the
 * first refused line; a last line with no new line is refused here.
 * *comments: the lines holding nothing but a '#' comment.
 */
int	textfile_read(const char *path, textfile_line_fn each, void *arg,
	    long *comments, char *err, size_t errlen);

/*
 * printf into err, then control bytes and backslashes escaped as the
 * core log escapes them (bf_log_escape): file bytes quoted in a message
 * can neither break nor forge a log line.
 */
void	textfile_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* BMPFLOW_LD_TEXTFILE_H */
