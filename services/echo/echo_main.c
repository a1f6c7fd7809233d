/* kubus-echo: answers echo.request with its payload. The bus's own test and benchmark service,
 * and the simplest check that requests cross the bus end to end.
 *     kubus-echo --dir DIR --name NAME [--credits N] [--log-level LEVEL]
 * Runs as the certificate NAME (role echo), serving "echo" with N requests at once (default 64).
 * A request may ask for a delay (answered later without blocking) or an error status. */
#include "bus_err.h"
#include "bus_log.h"
#include "bus_proc.h"
#include "bus_service.h"
#include "kubus_schema.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SEEN_MAX 65536

typedef struct {
    bus_service_t *svc;
    zhashx_t *seen; /* cache key -> executions, to report re-executions (retries) */
    zlistx_t *seen_order;
    uint64_t executed;
} s_echo_t;

typedef struct {
    s_echo_t *echo;
    bus_reply_to_t to;
    uint32_t executions;
    size_t len;
    uint8_t payload[];
} s_later_t;

static void s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static uint32_t s_count_execution(s_echo_t *e, const char *key)
{
    e->executed++;
    if (!key[0]) return 1;
    uintptr_t n = (uintptr_t)zhashx_lookup(e->seen, key) + 1;
    if (n == 1) {
        if (zhashx_size(e->seen) >= S_SEEN_MAX) {
            char *oldest = zlistx_first(e->seen_order);
            zhashx_delete(e->seen, oldest);
            zlistx_delete(e->seen_order, zlistx_cursor(e->seen_order));
        }
        zlistx_add_end(e->seen_order, strdup(key));
    }
    zhashx_update(e->seen, key, (void *)n);
    return (uint32_t)n;
}

static void s_answer(s_echo_t *e, const bus_reply_to_t *to, const uint8_t *payload, size_t len,
                     uint32_t executions)
{
    echo_reply_t rep = {.payload = {(uint8_t *)payload, len}, .executions = executions};
    bus_client_reply(bus_service_client(e->svc), to, 0, NULL, &echo_reply_desc, &rep);
}

static void s_later(bus_service_t *svc, void *arg)
{
    s_later_t *l = arg;
    s_answer(l->echo, &l->to, l->payload, l->len, l->executions);
    free(l);
}

static void s_on_echo(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    s_echo_t *e = arg;
    echo_request_t *req = msg;
    uint32_t executions = s_count_execution(e, in->reply_to.cache_key);
    if (req->fail_status) {
        int status = bus_err_known(req->fail_status) ? req->fail_status : BUS_EINTERNAL;
        bus_client_reply(bus_service_client(svc), &in->reply_to, status,
                         req->note ? req->note : "failed on request", NULL, NULL);
        return;
    }
    if (!req->delay_ms) {
        s_answer(e, &in->reply_to, req->payload.data, req->payload.len, executions);
        return;
    }
    /* Later, without blocking: the broker never gives us more than our credits at once. */
    s_later_t *l = malloc(sizeof *l + req->payload.len);
    if (!l) abort();
    l->echo = e;
    l->to = in->reply_to;
    l->executions = executions;
    l->len = req->payload.len;
    if (l->len) memcpy(l->payload, req->payload.data, l->len);
    if (bus_service_after(svc, req->delay_ms, s_later, l, free) < 0) s_later(svc, l);
}

static void s_on_stats(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    s_echo_t *e = arg;
    echo_stats_reply_t rep = {.executed = e->executed,
                              .replayed = bus_client_stats(bus_service_client(svc))->replayed};
    bus_client_reply(bus_service_client(svc), &in->reply_to, 0, NULL, &echo_stats_reply_desc, &rep);
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus-echo --dir DIR --name NAME [--credits N] [--log-level LEVEL]\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL;
    long credits = 64;
    int level = BUS_LOG_INFO;
    static const struct option opts[] = {
        {"dir", required_argument, 0, 'd'},     {"name", required_argument, 0, 'n'},
        {"credits", required_argument, 0, 'c'}, {"log-level", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:n:c:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': name = optarg; break;
        case 'c': credits = strtol(optarg, NULL, 10); break;
        case 'l': level = bus_log_parse_level(optarg); break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!dir || !name || credits < 1 || credits > 65536 || level < 0 || optind != argc) {
        s_usage(stderr);
        return 2;
    }
    bus_proc_init(name, level);
    char err[512];
    s_echo_t echo = {0};
    echo.svc = bus_service_new(dir, name, err, sizeof err);
    if (!echo.svc) {
        log_error("echo.start", "error=\"%s\"", err);
        return 1;
    }
    echo.seen = zhashx_new();
    echo.seen_order = zlistx_new();
    zlistx_set_destructor(echo.seen_order, s_free_item);
    bus_service_on(echo.svc, &echo_request_desc, s_on_echo, &echo);
    bus_service_on(echo.svc, &echo_stats_request_desc, s_on_stats, &echo);
    bus_service_offer(echo.svc, "echo", (uint32_t)credits);
    log_info("echo.started", "credits=%ld", credits);
    int rc = bus_service_run(echo.svc);
    log_info("echo.stopped", "executed=%llu", (unsigned long long)echo.executed);
    bus_service_destroy(&echo.svc);
    zhashx_destroy(&echo.seen);
    zlistx_destroy(&echo.seen_order);
    return rc == 0 ? 0 : 1;
}
