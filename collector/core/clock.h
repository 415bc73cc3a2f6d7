/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h: wall-clock microseconds, as every record carries them.
 */
#ifndef BF_CLOCK_H
#define BF_CLOCK_H

#include <stdint.h>

/*
 * Microseconds since the epoch (CLOCK_REALTIME).  The processor host
 * exports it to plugins (bmpflow/plugin.h), so both read one clock.
 */
int64_t	bf_now_us(void);

#endif /* BF_CLOCK_H */
