/*
 * clock.h: wall-clock microseconds, as every record carries them.
 */
#ifndef BF_CLOCK_H
#define BF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
bf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif /* BF_CLOCK_H */
