/* kube_time: the time texts of the Kubernetes API: RFC 3339 timestamps (metav1.Time), the ages
 * kubectl prints (duration.HumanDuration, ShortHumanDuration), and random v4 UIDs. Seconds
 * since the epoch throughout; sub-second precision (metav1.MicroTime) is not handled. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* unix_s in UTC as "2026-11-22T13:06:17Z". Years outside 0..9999 print as Go prints them. */
void kube_time_rfc3339(int64_t unix_s, char out[32]);
/* Parses RFC 3339: "YYYY-MM-DDTHH:MM:SS", an optional fraction (dropped), then "Z" or
 * "+hh:mm"/"-hh:mm". Rejects out-of-range fields (Feb 30, 24:00, second 60) as Go does.
 * 0 on success, -1 on anything else (*unix_s untouched). */
int kube_time_parse(const char *s, int64_t *unix_s);
/* duration.HumanDuration: "0s", "119s", "3m20s", "179m", "7h59m", "47h", "2d3h", "400d",
 * "2y1d", "8y"; "<invalid>" below -1 s (clock skew of a second reads as "0s"). */
void kube_time_human(int64_t seconds, char *out, size_t outlen);
/* duration.ShortHumanDuration: "59s", "59m", "23h", "364d", "1y". */
void kube_time_short_human(int64_t seconds, char *out, size_t outlen);
/* The wall clock, in seconds since the epoch. */
int64_t kube_time_now(void);

/* A random version-4 UUID, lowercase, 36 characters. Needs sodium_init() to have run. */
void kube_uid_new(char out[37]);

void kube_time_test(bool verbose);
