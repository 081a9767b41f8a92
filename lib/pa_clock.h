/* pa_clock.h - the two clocks pingan reads: monotonic milliseconds for
 * timeouts and batch ages, wall-clock milliseconds for submission times and
 * the "period has ended" rule. */
#ifndef PA_CLOCK_H
#define PA_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
int64_t pa_clock_mono_ms(void);
/* Unix epoch milliseconds (CLOCK_REALTIME). */
int64_t pa_clock_wall_ms(void);

#endif
