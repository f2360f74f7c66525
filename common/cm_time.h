/* SPDX-License-Identifier: MIT
 * cm_time: the clocks of the suite. Deadlines on the wire are wall-clock milliseconds since the
 * epoch (they cross processes); intervals and timeouts inside a process use the monotonic
 * clock (immune to clock changes). */
#ifndef CM_TIME_H
#define CM_TIME_H
#include <stdint.h>
#include <sys/time.h>

/* Milliseconds since the epoch, wall clock (the unit of deadlines). */
uint64_t cm_now_ms(void);

/* Monotonic milliseconds and microseconds, for intervals. */
uint64_t cm_mono_ms(void);
uint64_t cm_mono_us(void);

/* `ms` milliseconds as a struct timeval for libevent (negative counts as 0). */
struct timeval cm_tv_ms(int64_t ms);

#endif
