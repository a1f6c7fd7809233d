/* Logging: one line per event, `ts level service event key=value...`, written with one write(2)
 * to standard error. Formatting is skipped below the current level. Control characters in a
 * line become '?', so a line is always one line whatever a peer sent. Never log a secret. */
#pragma once

#include "bus_time.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    BUS_LOG_ERROR = 0,
    BUS_LOG_WARN = 1,
    BUS_LOG_INFO = 2,
    BUS_LOG_DEBUG = 3,
    BUS_LOG_TRACE = 4,
} bus_log_level_t;

extern int bus_log_level;

/* Sets the service name printed on every line (copied; at most 31 bytes kept). */
void bus_log_init(const char *service);
void bus_log_set_level(int level);
/* Parses "error|warn|info|debug|trace"; returns the level or -1. */
int bus_log_parse_level(const char *name);

void bus_log_emit(int level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define bus_log(level, event, ...)                                                 \
    do {                                                                           \
        if ((level) <= bus_log_level) bus_log_emit((level), (event), __VA_ARGS__); \
    } while (0)
#define log_error(event, ...) bus_log(BUS_LOG_ERROR, event, __VA_ARGS__)
#define log_warn(event, ...)  bus_log(BUS_LOG_WARN, event, __VA_ARGS__)
#define log_info(event, ...)  bus_log(BUS_LOG_INFO, event, __VA_ARGS__)
#define log_debug(event, ...) bus_log(BUS_LOG_DEBUG, event, __VA_ARGS__)
#define log_trace(event, ...) bus_log(BUS_LOG_TRACE, event, __VA_ARGS__)

/* A limit on how often one kind of line is written: at most `burst` lines per second; the
 * number suppressed is reported on the next line that passes. Zero-initialise, set burst. */
typedef struct {
    uint32_t burst;
    uint32_t count;
    uint64_t suppressed;
    uint64_t window_ms;
} bus_log_limit_t;

/* True when a line may be written now; *suppressed_out gets the count dropped since the last
 * allowed line (and is reset). */
bool bus_log_allow(bus_log_limit_t *limit, uint64_t now_ms, uint64_t *suppressed_out);

#define bus_log_limited(limit, level, event, fmt, ...)                                  \
    do {                                                                                \
        uint64_t s_supp_;                                                               \
        if ((level) <= bus_log_level && bus_log_allow((limit), bus_now_ms(), &s_supp_)) \
            bus_log_emit((level), (event), fmt " suppressed=%llu", __VA_ARGS__,         \
                         (unsigned long long)s_supp_);                                  \
    } while (0)

void bus_log_test(bool verbose);
