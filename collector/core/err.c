/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

void
bf_err_set(struct bf_err *err, int code, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->msg[0] != '\0')
		return;
	err->code = code;
	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
bf_err_clear(struct bf_err *err)
{
	err->code = 0;
	err->offset = 0;
	err->msg[0] = '\0';
}
