/* at_time: wall and monotonic clocks in milliseconds, and RFC 3339 UTC
 * formatting ("2026-11-29T20:30:00.000Z", api.md "Conventions"). */
#ifndef AT_TIME_H
#define AT_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Unix epoch milliseconds (CLOCK_REALTIME). */
int64_t at_time_now_ms(void);

/* Monotonic milliseconds (CLOCK_MONOTONIC), for deadlines and durations. */
int64_t at_time_mono_ms(void);

/* Monotonic microseconds, for latency histograms. */
int64_t at_time_mono_us(void);

/* Writes ms (Unix epoch ms) as RFC 3339 UTC with milliseconds and a Z into
 * buf (at least 25 bytes). Returns buf. */
char *at_time_format_ms(int64_t ms, char *buf, size_t size);

#endif
