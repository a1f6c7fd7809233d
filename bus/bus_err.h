/* Errors: one table (bus_err.def) gives each code its number, HTTP status, Kubernetes reason
 * and text. Functions return 0 or a negative code: -errno for system errors, BUS_E* below
 * -4096 for ours. The numbers are permanent: they travel on the bus in the envelope status. */
#pragma once

#include <stdbool.h>

enum {
    BUS_OK = 0,
#define X(name, code, http, reason, text) name = code,
#include "bus_err.def"
#undef X
};

/* Short text for any code (ours or -errno). The string is static. */
const char *bus_err_str(int code);
/* HTTP status for a code: 200 for 0, 500 for unknown or system codes. */
int bus_err_http(int code);
/* Kubernetes reason ("NotFound", ...); "InternalError" for unknown or system codes. */
const char *bus_err_reason(int code);
/* True when code is one of the table's codes (used to validate codes read off the wire). */
bool bus_err_known(int code);

void bus_err_test(bool verbose);
