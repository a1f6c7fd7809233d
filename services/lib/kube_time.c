/* kube_time: civil-date arithmetic (Howard Hinnant's days_from_civil), so no libc time zone or
 * time_t range is involved, and the duration texts of apimachinery's util/duration. */
#include "kube_time.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (year 0 exists). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void s_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int s_days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

void kube_time_rfc3339(int64_t unix_s, char out[32])
{
    /* Floor division without the overflow days * 86400 would risk near INT64_MIN. */
    int64_t secs = unix_s % 86400, days = unix_s / 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    s_civil_from_days(days, &y, &m, &d);
    /* Go pads the year to four digits after the sign: "-0001". */
    snprintf(out, 32, "%s%04lld-%02d-%02dT%02d:%02d:%02dZ", y < 0 ? "-" : "",
             (long long)(y < 0 ? -y : y), m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
             (int)(secs % 60));
}

/* Exactly n decimal digits at s; stops at the terminator, never reads past it. */
static bool s_digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* The zone at s: "Z" or "±hh:mm", then the end. *offset gets seconds east of UTC. */
static bool s_parse_zone(const char *s, int *offset)
{
    int oh, om;
    if (s[0] == 'Z') {
        *offset = 0;
        return s[1] == '\0';
    }
    if (s[0] != '+' && s[0] != '-') return false;
    if (!s_digits(s + 1, 2, &oh) || s[3] != ':' || !s_digits(s + 4, 2, &om) || s[6] != '\0')
        return false;
    if (oh > 23 || om > 59) return false;
    *offset = (s[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    return true;
}

int kube_time_parse(const char *s, int64_t *unix_s)
{
    int y, mo, d, h, mi, sec, offset;
    if (!s_digits(s, 4, &y) || s[4] != '-' || !s_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !s_digits(s + 8, 2, &d) || s[10] != 'T' || !s_digits(s + 11, 2, &h) || s[13] != ':' ||
        !s_digits(s + 14, 2, &mi) || s[16] != ':' || !s_digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        /* Go accepts a fraction after the seconds even when the layout has none. */
        if (p[1] < '0' || p[1] > '9') return -1;
        for (p++; *p >= '0' && *p <= '9'; p++) {
        }
    }
    if (!s_parse_zone(p, &offset)) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > s_days_in_month(y, mo)) return -1;
    if (h > 23 || mi > 59 || sec > 59) return -1;
    *unix_s = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

void kube_time_human(int64_t seconds, char *out, size_t outlen)
{
    int64_t s = seconds, m = s / 60, h = s / 3600, d = h / 24;
    if (s < -1) {
        snprintf(out, outlen, "<invalid>");
    } else if (s < 0) {
        snprintf(out, outlen, "0s");
    } else if (s < 60 * 2) {
        snprintf(out, outlen, "%llds", (long long)s);
    } else if (m < 10) {
        snprintf(out, outlen, s % 60 ? "%lldm%llds" : "%lldm", (long long)m, (long long)(s % 60));
    } else if (m < 60 * 3) {
        snprintf(out, outlen, "%lldm", (long long)m);
    } else if (h < 8) {
        snprintf(out, outlen, m % 60 ? "%lldh%lldm" : "%lldh", (long long)h, (long long)(m % 60));
    } else if (h < 48) {
        snprintf(out, outlen, "%lldh", (long long)h);
    } else if (h < 24 * 8) {
        snprintf(out, outlen, h % 24 ? "%lldd%lldh" : "%lldd", (long long)d, (long long)(h % 24));
    } else if (h < 24 * 365 * 2) {
        snprintf(out, outlen, "%lldd", (long long)d);
    } else if (h < 24 * 365 * 8) {
        snprintf(out, outlen, d % 365 ? "%lldy%lldd" : "%lldy", (long long)(d / 365),
                 (long long)(d % 365));
    } else {
        snprintf(out, outlen, "%lldy", (long long)(d / 365));
    }
}

void kube_time_short_human(int64_t seconds, char *out, size_t outlen)
{
    int64_t s = seconds, h = s / 3600;
    if (s < -1)
        snprintf(out, outlen, "<invalid>");
    else if (s < 0)
        snprintf(out, outlen, "0s");
    else if (s < 60)
        snprintf(out, outlen, "%llds", (long long)s);
    else if (s / 60 < 60)
        snprintf(out, outlen, "%lldm", (long long)(s / 60));
    else if (h < 24)
        snprintf(out, outlen, "%lldh", (long long)h);
    else if (h < 24 * 365)
        snprintf(out, outlen, "%lldd", (long long)(h / 24));
    else
        snprintf(out, outlen, "%lldy", (long long)(h / 24 / 365));
}

int64_t kube_time_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) abort();
    return (int64_t)ts.tv_sec;
}

void kube_uid_new(char out[37])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void s_test_rfc3339(void)
{
    const struct {
        int64_t t;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {1795352777, "2026-11-22T13:06:17Z"},
        {1709208000, "2024-02-29T12:00:00Z"},
        {-2203891200, "1900-03-01T00:00:00Z"},
        {253402300799, "9999-12-31T23:59:59Z"},
        {-62135596800, "0001-01-01T00:00:00Z"},
        {-62167219201, "-0001-12-31T23:59:59Z"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t back = 0;
        kube_time_rfc3339(cases[i].t, out);
        assert(!strcmp(out, cases[i].text));
        if (cases[i].t >= -62135596800)
            assert(kube_time_parse(out, &back) == 0 && back == cases[i].t);
    }
    kube_time_rfc3339(INT64_MIN, out); /* must not overflow */
    kube_time_rfc3339(INT64_MAX, out);
    for (int64_t t = -62167219200; t < 253402300800; t += 987654321) {
        int64_t back = 0;
        kube_time_rfc3339(t, out);
        assert(kube_time_parse(out, &back) == 0 && back == t);
    }
}

static void s_test_parse(void)
{
    int64_t t = 42;
    assert(kube_time_parse("2026-11-22T13:06:17.123456789Z", &t) == 0 && t == 1795352777);
    assert(kube_time_parse("2026-11-22T14:06:17+01:00", &t) == 0 && t == 1795352777);
    assert(kube_time_parse("2026-11-22T07:36:17.5-05:30", &t) == 0 && t == 1795352777);
    assert(kube_time_parse("2024-02-29T00:00:00Z", &t) == 0);
    assert(kube_time_parse("2000-02-29T00:00:00Z", &t) == 0);
    const char *bad[] = {
        "",
        "2026-11-22",
        "2026-11-22T13:06:17",
        "2026-11-22 13:06:17Z",
        "2026-11-22t13:06:17Z",
        "2026-11-22T13:06:17z",
        "2026-11-22T13:06:17Z ",
        "2026-11-22T13:06:17.Z",
        "2026-11-22T13:06:1Z",
        "2026-1-22T13:06:17Z",
        "2026-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-13-10T00:00:00Z",
        "2026-11-00T00:00:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T23:60:00Z",
        "2026-11-22T23:59:60Z",
        "2026-11-22T13:06:17+24:00",
        "2026-11-22T13:06:17+01:60",
        "2026-11-22T13:06:17+0100",
        "2026-11-22T13:06:17+01:00:00",
        "+2026-11-22T13:06:17Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 42;
        assert(kube_time_parse(bad[i], &t) == -1 && t == 42);
    }
}

static void s_test_human(void)
{
    const struct {
        int64_t s;
        const char *human, *short_human;
    } cases[] = {
        {-2, "<invalid>", "<invalid>"},
        {-1, "0s", "0s"},
        {0, "0s", "0s"},
        {59, "59s", "59s"},
        {60, "60s", "1m"},
        {119, "119s", "1m"},
        {120, "2m", "2m"},
        {200, "3m20s", "3m"},
        {599, "9m59s", "9m"},
        {600, "10m", "10m"},
        {3599, "59m", "59m"},
        {3600, "60m", "1h"},
        {3 * 3600 - 1, "179m", "2h"},
        {3 * 3600, "3h", "3h"},
        {3 * 3600 + 60, "3h1m", "3h"},
        {5 * 3600, "5h", "5h"},
        {8 * 3600 - 1, "7h59m", "7h"},
        {8 * 3600, "8h", "8h"},
        {24 * 3600 - 1, "23h", "23h"},
        {24 * 3600, "24h", "1d"},
        {48 * 3600 - 1, "47h", "1d"},
        {48 * 3600, "2d", "2d"},
        {51 * 3600, "2d3h", "2d"},
        {8 * 86400 - 1, "7d23h", "7d"},
        {8 * 86400, "8d", "8d"},
        {364 * 86400, "364d", "364d"},
        {365 * 86400, "365d", "1y"},
        {400 * 86400, "400d", "1y"},
        {730 * 86400 - 1, "729d", "1y"},
        {730 * 86400, "2y", "2y"},
        {731 * 86400, "2y1d", "2y"},
        {1095 * 86400, "3y", "3y"},
        {8 * 365 * 86400 - 1, "7y364d", "7y"},
        {8 * 365 * 86400, "8y", "8y"},
        {100LL * 365 * 86400 + 86400, "100y", "100y"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kube_time_human(cases[i].s, out, sizeof out);
        if (strcmp(out, cases[i].human)) fprintf(stderr, "%lld: %s\n", (long long)cases[i].s, out);
        assert(!strcmp(out, cases[i].human));
        kube_time_short_human(cases[i].s, out, sizeof out);
        assert(!strcmp(out, cases[i].short_human));
    }
    volatile size_t small = 3; /* hidden from gcc, which warns of the truncation we test */
    kube_time_human(3 * 3600 + 60, out, small);
    assert(!strcmp(out, "3h"));
}

static void s_test_uid(void)
{
    char a[37], b[37];
    kube_uid_new(a);
    kube_uid_new(b);
    assert(strlen(a) == 36 && strcmp(a, b));
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert(a[i] == '-');
        else
            assert(strchr("0123456789abcdef", a[i]));
    }
    assert(a[14] == '4' && strchr("89ab", a[19]));
}

void kube_time_test(bool verbose)
{
    if (sodium_init() < 0) abort();
    s_test_rfc3339();
    s_test_parse();
    s_test_human();
    s_test_uid();
    int64_t now = kube_time_now();
    assert(now > 1700000000); /* after 2023: the clock is set */
    if (verbose) printf("kube_time: ok\n");
}
