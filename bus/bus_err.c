/* Error table lookups. The table itself is bus_err.def. */
#include "bus_err.h"

#include <assert.h>
#include <string.h>

typedef struct {
    int code;
    int http;
    const char *reason;
    const char *text;
} s_err_t;

static const s_err_t s_errs[] = {
#define X(name, code, http, reason, text) {code, http, reason, text},
#include "bus_err.def"
#undef X
};

static const s_err_t *s_find(int code)
{
    for (size_t i = 0; i < sizeof s_errs / sizeof s_errs[0]; i++)
        if (s_errs[i].code == code) return &s_errs[i];
    return NULL;
}

const char *bus_err_str(int code)
{
    if (code == 0) return "ok";
    const s_err_t *e = s_find(code);
    if (e) return e->text;
    if (code < 0 && code > -4096) return strerror(-code);
    return "unknown error";
}

int bus_err_http(int code)
{
    if (code == 0) return 200;
    const s_err_t *e = s_find(code);
    return e ? e->http : 500;
}

const char *bus_err_reason(int code)
{
    const s_err_t *e = s_find(code);
    return e ? e->reason : "InternalError";
}

bool bus_err_known(int code)
{
    return code == 0 || s_find(code) != NULL;
}

void bus_err_test(bool verbose)
{
    assert(strcmp(bus_err_str(0), "ok") == 0);
    assert(strcmp(bus_err_str(BUS_ENOSERVICE), "no such service") == 0);
    assert(strcmp(bus_err_str(-2), strerror(2)) == 0);
    assert(bus_err_http(BUS_ETOOBIG) == 413);
    assert(bus_err_http(BUS_EGONE) == 410);
    assert(bus_err_http(-12) == 500);
    assert(strcmp(bus_err_reason(BUS_ENOTFOUND), "NotFound") == 0);
    assert(bus_err_known(BUS_ECONFLICT));
    assert(!bus_err_known(-4999));
    assert(!bus_err_known(-2));
    /* Every code sits below -4096 and is unique. */
    for (size_t i = 0; i < sizeof s_errs / sizeof s_errs[0]; i++) {
        assert(s_errs[i].code < -4096);
        for (size_t j = i + 1; j < sizeof s_errs / sizeof s_errs[0]; j++)
            assert(s_errs[i].code != s_errs[j].code);
    }
    (void)verbose;
}
