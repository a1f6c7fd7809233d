/* Clocks. Monotonic time for deadlines and intervals, wall time only for display and logs.
 * Pure cores never call these: time comes to them as an argument. */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t bus_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t bus_now_ms(void)
{
    return bus_now_us() / 1000u;
}

static inline uint64_t bus_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
