/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h: how a decoder says what went wrong and where.
 */
#ifndef BF_ERR_H
#define BF_ERR_H

#include <stddef.h>

struct bf_err {
	int	code;		/* decoder-specific outcome, 0 when clear */
	size_t	offset;		/* byte offset of the problem in the message */
	char	msg[96];	/* human-readable reason, no trailing newline */
};

/* Record the first problem only: later calls leave an already set err alone. */
void	bf_err_set(struct bf_err *err, int code, size_t offset,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	bf_err_clear(struct bf_err *err);

#endif /* BF_ERR_H */
