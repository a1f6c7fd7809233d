/* kubus-bench-bus: drives the echo service through the bus, and measures libzmq alone.
 *
 *   kubus-bench-bus load --dir DIR --name NAME [--count N] [--concurrency C] [--size BYTES]
 *                        [--delay-ms MS] [--timeout-ms MS] [--once] [--json]
 *       N echo requests, C in flight at a time. Reports every request's fate: answered once,
 *       answered twice (must never happen), errors by code, who served them, latency, rate.
 *   kubus-bench-bus raw [--curve] [--count N] [--concurrency C] [--size BYTES] [--json]
 *       The peer figure: a DEALER and a ROUTER echo thread, libzmq alone, on loopback.
 *
 * The integration tests use `load` to check that requests are answered exactly once while
 * instances die; ops/bench/bus runs both modes for docs/BENCHMARKS.md. */
#include "bus_client.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_time.h"
#include "kubus_schema.h"

#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *dir, *name;
    long count, concurrency, size, delay_ms, timeout_ms;
    bool once, curve, json;
} s_opts_t;

typedef struct {
    uint64_t *lat_us;
    size_t n;
} s_lat_t;

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t s_pct(s_lat_t *l, double p)
{
    if (!l->n) return 0;
    size_t i = (size_t)(p * (double)(l->n - 1) + 0.5);
    return l->lat_us[i];
}

/* --- load through the bus ------------------------------------------------------------------ */

static int s_load(const s_opts_t *o)
{
    char err[512];
    bus_config_t *config = bus_config_load(o->dir, err, sizeof err);
    if (!config) {
        fprintf(stderr, "kubus-bench-bus: %s\n", err);
        return 1;
    }
    bus_client_t *client = bus_client_new(config, o->name, err, sizeof err);
    if (!client) {
        fprintf(stderr, "kubus-bench-bus: %s\n", err);
        bus_config_destroy(&config);
        return 1;
    }
    if (bus_client_wait_alive(client, 1, 10000) != 0) {
        fprintf(stderr, "kubus-bench-bus: no broker answered within 10 s\n");
        bus_client_destroy(&client);
        bus_config_destroy(&config);
        return 1;
    }
    size_t n = (size_t)o->count;
    uint8_t *answers = calloc(n, 1);
    uint64_t *start = calloc(n, sizeof *start);
    s_lat_t lat = {calloc(n, sizeof(uint64_t)), 0};
    uint8_t *payload = malloc((size_t)o->size + 1);
    if (!answers || !start || !lat.lat_us || !payload) abort();
    memset(payload, 'k', (size_t)o->size);
    bus_arena_t *arena = bus_arena_new(0);
    zhashx_t *served = zhashx_new();
    zhashx_t *errors = zhashx_new();
    size_t next = 0, inflight = 0, done = 0, ok = 0, duplicates = 0, wrong = 0, shown_errors = 0;
    uint64_t t0 = bus_now_us();
    echo_request_t req = {.payload = {payload, (size_t)o->size}, .delay_ms = (uint32_t)o->delay_ms};
    bus_call_t call = {.service = "echo",
                       .desc = &echo_request_desc,
                       .body = &req,
                       .timeout_ms = (uint32_t)o->timeout_ms,
                       .flags = o->once ? BUS_FLAG_ONCE : 0};
    while (done < n) {
        while (next < n && inflight < (size_t)o->concurrency) {
            uint64_t rid;
            codec_err_t cerr;
            call.user = (void *)(uintptr_t)(next + 1);
            start[next] = bus_now_us();
            int rc = bus_client_request(client, &call, &rid, &cerr);
            if (rc == BUS_EBUSY) break;
            if (rc) {
                fprintf(stderr, "kubus-bench-bus: request: %s\n", cerr.text);
                return 1;
            }
            next++;
            inflight++;
        }
        bus_in_t in;
        if (bus_client_recv(client, &in, 1000) != 0) continue;
        if (in.kind != BUS_KIND_REPLY || !in.user) continue;
        size_t i = (uintptr_t)in.user - 1;
        if (answers[i]++) {
            duplicates++;
            continue;
        }
        inflight--;
        done++;
        if (in.env->status == 0) {
            echo_reply_t *rep;
            codec_err_t cerr;
            bus_arena_reset(arena);
            if (bus_frame_body(&in.frame, &echo_reply_desc, arena, (void **)&rep, &cerr) == 0 &&
                rep->payload.len == (size_t)o->size)
                ok++;
            else
                wrong++;
            lat.lat_us[lat.n++] = bus_now_us() - start[i];
            const char *by = in.env->served_by ? in.env->served_by : "?";
            zhashx_update(served, by, (void *)((uintptr_t)zhashx_lookup(served, by) + 1));
        } else {
            char code[16];
            snprintf(code, sizeof code, "%d", in.env->status);
            zhashx_update(errors, code, (void *)((uintptr_t)zhashx_lookup(errors, code) + 1));
            if (!o->json && ++shown_errors <= 10)
                fprintf(stderr, "request %zu: %s\n", i, in.env->error ? in.env->error : "?");
        }
    }
    double secs = (double)(bus_now_us() - t0) / 1e6;
    qsort(lat.lat_us, lat.n, sizeof(uint64_t), s_cmp_u64);
    size_t unanswered = 0;
    for (size_t i = 0; i < n; i++) unanswered += answers[i] == 0;
    /* Late duplicates would arrive after the last first answer: listen a little longer. */
    uint64_t until = bus_now_ms() + 300;
    while (bus_now_ms() < until) {
        bus_in_t in;
        if (bus_client_recv(client, &in, 50) == 0 && in.kind == BUS_KIND_REPLY && in.user)
            duplicates += answers[(uintptr_t)in.user - 1]++ > 0;
    }
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I}", "sent",
                          (json_int_t)n, "ok", (json_int_t)ok, "duplicates", (json_int_t)duplicates,
                          "unanswered", (json_int_t)unanswered, "wrong_payload", (json_int_t)wrong,
                          "seconds", secs, "rate", (double)n / secs, "p50_us",
                          (json_int_t)s_pct(&lat, 0.50), "p99_us", (json_int_t)s_pct(&lat, 0.99),
                          "max_us", (json_int_t)(lat.n ? lat.lat_us[lat.n - 1] : 0), "resent",
                          (json_int_t)bus_client_stats(client)->resent);
    json_t *js = json_object(), *je = json_object();
    for (void *v = zhashx_first(served); v; v = zhashx_next(served))
        json_object_set_new(js, zhashx_cursor(served), json_integer((json_int_t)(uintptr_t)v));
    for (void *v = zhashx_first(errors); v; v = zhashx_next(errors))
        json_object_set_new(je, zhashx_cursor(errors), json_integer((json_int_t)(uintptr_t)v));
    json_object_set_new(j, "served_by", js);
    json_object_set_new(j, "errors", je);
    if (o->json) {
        char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        puts(text);
        free(text);
    } else {
        printf("%zu requests of %ld bytes, %ld in flight: %.0f requests/s, p50 %" PRIu64
               " us, p99 %" PRIu64 " us; ok %zu, duplicates %zu, unanswered %zu\n",
               n, o->size, o->concurrency, (double)n / secs, s_pct(&lat, 0.5), s_pct(&lat, 0.99),
               ok, duplicates, unanswered);
    }
    json_decref(j);
    zhashx_destroy(&served);
    zhashx_destroy(&errors);
    bus_arena_destroy(&arena);
    free(answers);
    free(start);
    free(lat.lat_us);
    free(payload);
    bus_client_destroy(&client);
    bus_config_destroy(&config);
    return duplicates || unanswered ? 3 : 0;
}

/* --- libzmq alone -------------------------------------------------------------------------- */

typedef struct {
    zcert_t *server;
    bool curve;
    int port; /* set by the echo thread before it signals */
} s_raw_args_t;

static void s_raw_echo(zsock_t *pipe, void *arg)
{
    s_raw_args_t *a = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_sndhwm(router, 100000);
    zsock_set_rcvhwm(router, 100000);
    if (a->curve) {
        zcert_apply(a->server, router);
        zsock_set_curve_server(router, 1);
    }
    a->port = zsock_bind(router, "tcp://127.0.0.1:*");
    zsock_signal(pipe, 0);
    void *r = zsock_resolve(router);
    zmq_pollitem_t items[] = {{zsock_resolve(pipe), 0, ZMQ_POLLIN, 0}, {r, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) break;
        if (items[0].revents) break;
        zmq_msg_t id, msg;
        zmq_msg_init(&id);
        zmq_msg_init(&msg);
        while (zmq_msg_recv(&id, r, ZMQ_DONTWAIT) >= 0) {
            zmq_msg_recv(&msg, r, 0);
            zmq_msg_send(&id, r, ZMQ_SNDMORE);
            zmq_msg_send(&msg, r, 0);
        }
        zmq_msg_close(&id);
        zmq_msg_close(&msg);
    }
    zsock_destroy(&router);
}

static int s_raw(const s_opts_t *o)
{
    zcert_t *server = zcert_new(), *client = zcert_new();
    s_raw_args_t args = {server, o->curve, -1};
    zactor_t *echo = zactor_new(s_raw_echo, &args);
    if (args.port < 0) {
        fprintf(stderr, "kubus-bench-bus: the echo thread could not bind\n");
        return 1;
    }
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", args.port);
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_sndhwm(dealer, 100000);
    zsock_set_rcvhwm(dealer, 100000);
    if (o->curve) {
        zcert_apply(client, dealer);
        zsock_set_curve_serverkey(dealer, zcert_public_txt(server));
    }
    zsock_connect(dealer, "%s", endpoint);
    void *d = zsock_resolve(dealer);
    size_t n = (size_t)o->count, sent = 0, got = 0;
    uint8_t *msg = malloc((size_t)o->size + 8);
    memset(msg, 'k', (size_t)o->size + 8);
    s_lat_t lat = {calloc(n, sizeof(uint64_t)), 0};
    uint64_t t0 = bus_now_us();
    while (got < n) {
        while (sent < n && sent - got < (size_t)o->concurrency) {
            uint64_t now = bus_now_us();
            memcpy(msg, &now, 8);
            zmq_send(d, msg, (size_t)o->size + 8, 0);
            sent++;
        }
        uint8_t buf[8];
        if (zmq_recv(d, buf, 8, 0) < 0) break;
        uint64_t then;
        memcpy(&then, buf, 8);
        lat.lat_us[lat.n++] = bus_now_us() - then;
        got++;
    }
    double secs = (double)(bus_now_us() - t0) / 1e6;
    qsort(lat.lat_us, lat.n, sizeof(uint64_t), s_cmp_u64);
    if (o->json)
        printf("{\"curve\":%s,\"sent\":%zu,\"rate\":%.1f,\"p50_us\":%" PRIu64 ",\"p99_us\":%" PRIu64
               "}\n",
               o->curve ? "true" : "false", n, (double)n / secs, s_pct(&lat, 0.5),
               s_pct(&lat, 0.99));
    else
        printf("libzmq alone%s: %zu round trips of %ld bytes, %ld in flight: %.0f/s, p50 %" PRIu64
               " us, p99 %" PRIu64 " us\n",
               o->curve ? " (CURVE)" : "", n, o->size, o->concurrency, (double)n / secs,
               s_pct(&lat, 0.5), s_pct(&lat, 0.99));
    zsock_destroy(&dealer);
    zactor_destroy(&echo);
    zcert_destroy(&server);
    zcert_destroy(&client);
    free(msg);
    free(lat.lat_us);
    return 0;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus-bench-bus load --dir DIR --name NAME [--count N] [--concurrency C]\n"
                 "                            [--size BYTES] [--delay-ms MS] [--timeout-ms MS] "
                 "[--once] [--json]\n"
                 "       kubus-bench-bus raw [--curve] [--count N] [--concurrency C] [--size "
                 "BYTES] [--json]\n");
}

int main(int argc, char **argv)
{
    s_opts_t o = {.count = 10000, .concurrency = 100, .size = 64, .timeout_ms = 10000};
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    const char *mode = argv[1];
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"count", required_argument, 0, 'N'},
                                         {"concurrency", required_argument, 0, 'c'},
                                         {"size", required_argument, 0, 's'},
                                         {"delay-ms", required_argument, 0, 'D'},
                                         {"timeout-ms", required_argument, 0, 't'},
                                         {"once", no_argument, 0, 'o'},
                                         {"curve", no_argument, 0, 'C'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'n': o.name = optarg; break;
        case 'N': o.count = strtol(optarg, NULL, 10); break;
        case 'c': o.concurrency = strtol(optarg, NULL, 10); break;
        case 's': o.size = strtol(optarg, NULL, 10); break;
        case 'D': o.delay_ms = strtol(optarg, NULL, 10); break;
        case 't': o.timeout_ms = strtol(optarg, NULL, 10); break;
        case 'o': o.once = true; break;
        case 'C': o.curve = true; break;
        case 'j': o.json = true; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (o.count < 1 || o.concurrency < 1 || o.size < 0 || o.size > (16 << 20)) {
        s_usage(stderr);
        return 2;
    }
    bus_log_set_level(BUS_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    zsys_init();
    if (strcmp(mode, "load") == 0 && o.dir && o.name) return s_load(&o);
    if (strcmp(mode, "raw") == 0) return s_raw(&o);
    s_usage(stderr);
    return 2;
}
