/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock_s.h: a clock read as seconds, for tests and benchmarks.
 */
#ifndef BF_CLOCK_S_H
#define BF_CLOCK_S_H

#include <time.h>

/* CLOCK_MONOTONIC for intervals, a CPU-time clock for CPU seconds. */
static inline double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* BF_CLOCK_S_H */
