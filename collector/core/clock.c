/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.c: wall-clock microseconds (see clock.h).
 */
#include "clock.h"

#include <time.h>

int64_t
bf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
