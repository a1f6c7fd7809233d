/* Log lines to standard error. Thread-safe: each line is built in a local buffer and written
 * with one write(2). */
#include "bus_log.h"
#include "bus_time.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int bus_log_level = BUS_LOG_INFO;
static char s_service[32] = "kubus";
static const char *s_names[] = {"error", "warn", "info", "debug", "trace"};

void bus_log_init(const char *service)
{
    snprintf(s_service, sizeof s_service, "%s", service);
}

void bus_log_set_level(int level)
{
    bus_log_level = level < BUS_LOG_ERROR   ? BUS_LOG_ERROR
                    : level > BUS_LOG_TRACE ? BUS_LOG_TRACE
                                            : level;
}

int bus_log_parse_level(const char *name)
{
    for (int i = 0; i <= BUS_LOG_TRACE; i++)
        if (strcmp(name, s_names[i]) == 0) return i;
    return -1;
}

static size_t s_format(char *line, size_t cap, int level, const char *event, const char *fmt,
                       va_list ap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, cap - n, ".%06ldZ %s %s %s ", (long)tv.tv_usec, s_names[level],
                     s_service, event);
    n += k > 0 ? (size_t)k : 0;
    if (n < cap) {
        k = vsnprintf(line + n, cap - n, fmt, ap);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n >= cap - 1) {
        n = cap - 5;
        memcpy(line + n, "...", 3);
        n += 3;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
    line[n++] = '\n';
    return n;
}

void bus_log_emit(int level, const char *event, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    size_t n = s_format(line, sizeof line, level, event, fmt, ap);
    va_end(ap);
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w; /* Nowhere to report a failed log write. */
}

bool bus_log_allow(bus_log_limit_t *limit, uint64_t now_ms, uint64_t *suppressed_out)
{
    if (now_ms - limit->window_ms >= 1000) {
        limit->window_ms = now_ms;
        limit->count = 0;
    }
    if (limit->count >= (limit->burst ? limit->burst : 1)) {
        limit->suppressed++;
        return false;
    }
    limit->count++;
    *suppressed_out = limit->suppressed;
    limit->suppressed = 0;
    return true;
}

static size_t s_format_test(char *line, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = s_format(line, cap, BUS_LOG_WARN, "test.event", fmt, ap);
    va_end(ap);
    return n;
}

void bus_log_test(bool verbose)
{
    char line[128];
    size_t n = s_format_test(line, sizeof line, "a=%d b=%s", 1, "x\ny");
    assert(n > 0 && line[n - 1] == '\n');
    line[n - 1] = 0;
    assert(strstr(line, " warn ") != NULL);
    assert(strstr(line, " test.event a=1 b=x?y") != NULL);
    assert(strchr(line, '\n') == NULL);

    /* Overlong lines are cut, still one line. */
    char big[400];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    n = s_format_test(line, sizeof line, "v=%s", big);
    assert(n <= sizeof line && line[n - 1] == '\n' && memcmp(line + n - 4, "...", 3) == 0);

    bus_log_limit_t limit = {.burst = 2};
    uint64_t supp = 99;
    assert(bus_log_allow(&limit, 10000, &supp) && supp == 0);
    assert(bus_log_allow(&limit, 10001, &supp));
    assert(!bus_log_allow(&limit, 10002, &supp));
    assert(!bus_log_allow(&limit, 10003, &supp));
    assert(bus_log_allow(&limit, 11005, &supp) && supp == 2);

    assert(bus_log_parse_level("debug") == BUS_LOG_DEBUG);
    assert(bus_log_parse_level("loud") == -1);
    (void)verbose;
}
