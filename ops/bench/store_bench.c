/* kubus-bench-store: puts into the store through the bus, or into etcd 3.4 through its HTTP/JSON
 * gateway, measured the same way.
 *
 *   kubus-bench-store kubus --dir DIR --name NAME [OPTIONS]
 *       One bus_client sending store.txn_request puts to the service "store".
 *   kubus-bench-store etcd --endpoints IP:PORT[,IP:PORT...] [OPTIONS]
 *       POST /v3/kv/put on HTTP/1.1 keep-alive connections, one per client, spread round-robin
 *       over the endpoints as etcd's own client balances them.
 *   OPTIONS: [--clients C] [--count N] [--duration S] [--warmup N] [--size BYTES]
 *            [--prefix P] [--timeout-ms MS] [--pids PID,...] [--json]
 *
 * C clients write at once, each one put at a time, each to keys of its own (P<client>/<n>) with
 * values of BYTES bytes: WARMUP puts that are not measured, then N puts or S seconds, whichever
 * ends first. Reports puts/s, latency percentiles, errors by code with their texts, the CPU the
 * --pids processes and the whole machine used meanwhile. ops/bench/store runs it for
 * docs/BENCHMARKS.md; it measures, it asserts nothing about speed. */
#include "bus_client.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_time.h"
#include "kubus_schema.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define S_CLIENTS_MAX   10000
#define S_ENDPOINTS_MAX 16
#define S_PIDS_MAX      16
#define S_ERRS_MAX      16
#define S_ERR_TEXT      200
#define S_KEY_MAX       256
#define S_HEAD_MAX      1024
#define S_IN_MAX        16384 /* a put's answer is about 300 bytes */
#define S_SIZE_MAX      (1 << 20)

typedef struct {
    const char *dir, *name, *endpoints, *prefix, *pids;
    long clients, count, warmup, size, timeout_ms;
    double duration_s;
    bool json;
} s_opts_t;

/* Errors are told apart by code and text; past S_ERRS_MAX kinds they are only counted. */
typedef struct {
    int code;
    size_t n;
    char text[S_ERR_TEXT];
} s_err_t;

/* What one phase (warm-up or measurement) saw. */
typedef struct {
    uint64_t *lat_us; /* successful puts only */
    size_t lat_n, lat_cap;
    size_t ok, failed, duplicates, errs_n, errs_other;
    s_err_t errs[S_ERRS_MAX];
    uint64_t t0_us, t1_us;
} s_stats_t;

/* How much a phase may start: count puts, none after until_us. */
typedef struct {
    size_t count, started;
    uint64_t until_us;
} s_budget_t;

/* A backend's loop: starts puts while the budget allows and returns once all are answered. */
typedef int (*s_phase_fn)(void *backend, s_budget_t *b, s_stats_t *st);

/* Warms up, measures one phase and prints the report: the exit code. */
static int s_measure(const s_opts_t *o, void *backend, s_phase_fn phase, const char *name);

static bool s_budget_open(const s_budget_t *b)
{
    return b->started < b->count && bus_now_us() < b->until_us;
}

static void s_stats_ok(s_stats_t *st, uint64_t lat_us)
{
    if (st->lat_n == st->lat_cap) {
        st->lat_cap = st->lat_cap ? 2 * st->lat_cap : 65536;
        st->lat_us = realloc(st->lat_us, st->lat_cap * sizeof *st->lat_us);
        if (!st->lat_us) abort();
    }
    st->lat_us[st->lat_n++] = lat_us;
    st->ok++;
}

static void s_stats_fail(s_stats_t *st, int code, const char *text)
{
    st->failed++;
    for (size_t i = 0; i < st->errs_n; i++) {
        if (st->errs[i].code == code && strncmp(st->errs[i].text, text, S_ERR_TEXT - 1) == 0) {
            st->errs[i].n++;
            return;
        }
    }
    if (st->errs_n == S_ERRS_MAX) {
        st->errs_other++;
        return;
    }
    s_err_t *e = &st->errs[st->errs_n++];
    e->code = code;
    e->n = 1;
    snprintf(e->text, sizeof e->text, "%s", text);
}

static void s_stats_free(s_stats_t *st)
{
    free(st->lat_us);
    memset(st, 0, sizeof *st);
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Call after sorting. */
static uint64_t s_pct(const s_stats_t *st, double p)
{
    if (!st->lat_n) return 0;
    return st->lat_us[(size_t)(p * (double)(st->lat_n - 1) + 0.5)];
}

/* --- CPU of other processes (/proc/PID/stat) ------------------------------------------------ */

typedef struct {
    int pid[S_PIDS_MAX];
    size_t n;
    double cpu_s[S_PIDS_MAX]; /* at the start of the measurement, then the difference */
} s_procs_t;

/* User + system CPU seconds of pid so far, or -1. */
static double s_proc_cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    /* The command name may hold spaces and parentheses: count fields after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long utime = 0, stime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void s_procs_start(s_procs_t *pr)
{
    for (size_t i = 0; i < pr->n; i++) pr->cpu_s[i] = s_proc_cpu_s(pr->pid[i]);
}

static void s_procs_stop(s_procs_t *pr)
{
    for (size_t i = 0; i < pr->n; i++) {
        double now = s_proc_cpu_s(pr->pid[i]);
        pr->cpu_s[i] = now < 0 || pr->cpu_s[i] < 0 ? -1 : now - pr->cpu_s[i];
    }
}

/* CPU seconds the whole machine spent busy so far (every core, /proc/stat), or -1: shows how much
 * else ran during a measurement. */
static double s_machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                   &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8) return -1;
    return (double)(user + nice + sys + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);
}

static double s_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* --- kubus: puts through the bus ------------------------------------------------------------ */

typedef struct {
    const s_opts_t *o;
    bus_client_t *client;
    bus_arena_t *arena;
    uint8_t *value;
    uint64_t *start_us, *seq; /* per client */
    bool *busy;
    size_t *idle, idle_n; /* clients with nothing in flight */
} s_kubus_t;

static int s_kubus_send(s_kubus_t *k, size_t c, codec_err_t *cerr)
{
    char key[S_KEY_MAX];
    snprintf(key, sizeof key, "%s%zu/%" PRIu64, k->o->prefix, c, k->seq[c]);
    store_op_t op = {
        .type = STORE_OP_TYPE_PUT, .key = key, .value = {k->value, (size_t)k->o->size}};
    store_txn_request_t req = {.success = {1, &op}};
    bus_call_t call = {.service = "store",
                       .desc = &store_txn_request_desc,
                       .body = &req,
                       .timeout_ms = (uint32_t)k->o->timeout_ms,
                       .user = (void *)(uintptr_t)(c + 1)};
    uint64_t rid;
    k->start_us[c] = bus_now_us();
    return bus_client_request(k->client, &call, &rid, cerr);
}

static void s_kubus_answer(s_kubus_t *k, const bus_in_t *in, s_stats_t *st, uint64_t lat_us)
{
    int status = in->env->status;
    if (status) {
        s_stats_fail(st, status, in->env->error ? in->env->error : bus_err_str(status));
        return;
    }
    store_txn_reply_t *rep;
    codec_err_t cerr;
    bus_arena_reset(k->arena);
    if (bus_frame_body(&in->frame, &store_txn_reply_desc, k->arena, (void **)&rep, &cerr) != 0)
        s_stats_fail(st, BUS_EMALFORMED, cerr.text);
    else if (!rep->succeeded)
        s_stats_fail(st, BUS_ECONFLICT, "the put's transaction did not succeed");
    else
        s_stats_ok(st, lat_us);
}

static int s_kubus_phase(void *backend, s_budget_t *b, s_stats_t *st)
{
    s_kubus_t *k = backend;
    size_t inflight = 0, clients = (size_t)k->o->clients;
    st->t0_us = bus_now_us();
    for (;;) {
        while (k->idle_n && s_budget_open(b)) {
            size_t c = k->idle[k->idle_n - 1];
            codec_err_t cerr;
            int rc = s_kubus_send(k, c, &cerr);
            if (rc == BUS_EBUSY) break; /* the client's own limit: wait for answers */
            if (rc) {
                fprintf(stderr, "kubus-bench-store: request: %s\n", cerr.text);
                return -1;
            }
            k->idle_n--;
            k->busy[c] = true;
            b->started++;
            inflight++;
        }
        if (!inflight && !s_budget_open(b)) break;
        bus_in_t in;
        if (bus_client_recv(k->client, &in, 100) != 0) continue;
        if (in.kind != BUS_KIND_REPLY || !in.user) continue;
        size_t c = (uintptr_t)in.user - 1;
        if (c >= clients || !k->busy[c]) {
            st->duplicates++;
            continue;
        }
        uint64_t lat_us = bus_now_us() - k->start_us[c];
        k->busy[c] = false;
        k->seq[c]++;
        k->idle[k->idle_n++] = c;
        inflight--;
        s_kubus_answer(k, &in, st, lat_us);
    }
    st->t1_us = bus_now_us();
    return 0;
}

static int s_kubus(const s_opts_t *o)
{
    char err[512];
    bus_config_t *config = bus_config_load(o->dir, err, sizeof err);
    if (!config) {
        fprintf(stderr, "kubus-bench-store: %s\n", err);
        return 1;
    }
    s_kubus_t k = {.o = o, .client = bus_client_new(config, o->name, err, sizeof err)};
    if (!k.client) {
        fprintf(stderr, "kubus-bench-store: %s\n", err);
        bus_config_destroy(&config);
        return 1;
    }
    int rc = 1;
    if (bus_client_wait_alive(k.client, 1, 10000) != 0) {
        fprintf(stderr, "kubus-bench-store: no broker answered within 10 s\n");
        goto done;
    }
    size_t clients = (size_t)o->clients;
    k.arena = bus_arena_new(0);
    k.value = malloc((size_t)o->size + 1);
    k.start_us = calloc(clients, sizeof *k.start_us);
    k.seq = calloc(clients, sizeof *k.seq);
    k.busy = calloc(clients, sizeof *k.busy);
    k.idle = calloc(clients, sizeof *k.idle);
    if (!k.value || !k.start_us || !k.seq || !k.busy || !k.idle) abort();
    memset(k.value, 'v', (size_t)o->size);
    /* Popped from the end: client 0 goes first. */
    for (size_t c = 0; c < clients; c++) k.idle[k.idle_n++] = clients - 1 - c;
    rc = s_measure(o, &k, s_kubus_phase, "kubus");
    bus_arena_destroy(&k.arena);
    free(k.value);
    free(k.start_us);
    free(k.seq);
    free(k.busy);
    free(k.idle);
done:
    bus_client_destroy(&k.client);
    bus_config_destroy(&config);
    return rc;
}

/* --- etcd: puts through its HTTP/JSON gateway ----------------------------------------------- */

enum { S_CONN_CLOSED, S_CONN_CONNECTING, S_CONN_IDLE, S_CONN_BUSY };

typedef struct {
    int fd, state;
    size_t endpoint;
    char head[S_HEAD_MAX];    /* request line, headers and the body up to the value */
    size_t head_len, out_off; /* out_off: bytes of the whole request written */
    char in[S_IN_MAX + 1];    /* NUL-terminated for the parser */
    size_t in_len;
    uint64_t start_us, seq;
    bool out; /* waiting for the socket to take more of the request (EPOLLOUT) */
} s_conn_t;

typedef struct {
    const s_opts_t *o;
    int ep;
    struct sockaddr_in addr[S_ENDPOINTS_MAX];
    char host[S_ENDPOINTS_MAX][64];
    size_t addr_n;
    char *value64; /* the value, base64 */
    size_t value64_len;
    s_conn_t *conns;
    size_t n, busy_n, closed_n, *idle, idle_n;
    s_budget_t *b; /* the phase's, while one runs */
    s_stats_t *st;
} s_etcd_t;

static size_t s_base64(const uint8_t *in, size_t len, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

typedef struct {
    int status;
    size_t body_off, body_len; /* the body, or its first chunk */
    bool close;
} s_http_resp_t;

/* The chunks of a chunked body from p on: the end of the response, 0 when more bytes are
 * needed, -1 when malformed. */
static long s_http_chunks(const char *buf, size_t len, size_t p, s_http_resp_t *r)
{
    for (;;) {
        const char *eol = memmem(buf + p, len - p, "\r\n", 2);
        if (!eol) return 0;
        char *end;
        unsigned long size = strtoul(buf + p, &end, 16);
        if (end == buf + p || size > S_IN_MAX) return -1;
        p = (size_t)(eol - buf) + 2;
        if (size == 0) { /* trailers, up to an empty line */
            for (;;) {
                eol = memmem(buf + p, len - p, "\r\n", 2);
                if (!eol) return 0;
                size_t line = (size_t)(eol - (buf + p));
                p += line + 2;
                if (!line) return (long)p;
            }
        }
        if (!r->body_len) {
            r->body_off = p;
            r->body_len = size;
        }
        if (len - p < size + 2) return 0;
        p += size + 2;
    }
}

/* One response at the start of buf (NUL-terminated): its length, 0 when more bytes are needed,
 * -1 when it is not HTTP/1.1 this parser knows (status line, Content-Length or chunked). */
static long s_http_parse(const char *buf, size_t len, s_http_resp_t *r)
{
    memset(r, 0, sizeof *r);
    const char *hend = memmem(buf, len, "\r\n\r\n", 4);
    if (!hend) return 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ') return -1;
    r->status = atoi(buf + 9);
    if (r->status < 100 || r->status > 599) return -1;
    bool chunked = false, sized = false;
    size_t clen = 0;
    for (const char *line = strstr(buf, "\r\n") + 2; line < hend; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "content-length:", 15) == 0) {
            clen = strtoul(line + 15, NULL, 10);
            sized = true;
        } else if (strncasecmp(line, "transfer-encoding:", 18) == 0) {
            chunked = strncasecmp(line + 18 + strspn(line + 18, " \t"), "chunked", 7) == 0;
        } else if (strncasecmp(line, "connection:", 11) == 0) {
            r->close = strncasecmp(line + 11 + strspn(line + 11, " \t"), "close", 5) == 0;
        }
    }
    size_t body = (size_t)(hend - buf) + 4;
    if (chunked) return s_http_chunks(buf, len, body, r);
    if (!sized || clen > S_IN_MAX) return -1;
    if (len - body < clen) return 0;
    r->body_off = body;
    r->body_len = clen;
    return (long)(body + clen);
}

/* Counts a failed put: the one in flight on a connection, or one that could not connect (so a dead
 * endpoint cannot keep a run going forever). */
static void s_etcd_count_fail(s_etcd_t *e, int code, const char *text)
{
    if (!e->b) return;
    e->b->started++;
    s_stats_fail(e->st, code, text);
}

/* Ends connection i: the put in flight (if any) fails with text; the loop opens it again. */
static void s_etcd_fail(s_etcd_t *e, size_t i, int code, const char *text)
{
    s_conn_t *c = &e->conns[i];
    if (c->state == S_CONN_BUSY) {
        e->busy_n--;
        c->seq++;
        s_stats_fail(e->st, code, text); /* counted in the budget when it was sent */
    } else if (c->state == S_CONN_CONNECTING) {
        s_etcd_count_fail(e, code, text);
    } else if (c->state == S_CONN_IDLE) {
        for (size_t j = 0; j < e->idle_n; j++) {
            if (e->idle[j] == i) {
                e->idle[j] = e->idle[--e->idle_n];
                break;
            }
        }
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    if (c->state != S_CONN_CLOSED) e->closed_n++;
    c->state = S_CONN_CLOSED;
}

static void s_etcd_open(s_etcd_t *e, size_t i)
{
    s_conn_t *c = &e->conns[i];
    c->in_len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fprintf(stderr, "kubus-bench-store: socket: %s\n", strerror(errno));
        exit(1); /* out of descriptors: the run cannot mean anything */
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->state == S_CONN_CLOSED) e->closed_n--;
    c->state = S_CONN_CONNECTING;
    c->out = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = i};
    if (epoll_ctl(e->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) abort();
    if (connect(c->fd, (struct sockaddr *)&e->addr[c->endpoint], sizeof e->addr[0]) != 0 &&
        errno != EINPROGRESS) {
        char text[S_ERR_TEXT];
        int code = -errno;
        snprintf(text, sizeof text, "connect %s: %s", e->host[c->endpoint], strerror(errno));
        s_etcd_fail(e, i, code, text);
    }
}

/* Opens again the connections that failed, while the phase may still start puts. */
static void s_etcd_reopen(s_etcd_t *e)
{
    for (size_t i = 0; i < e->n && e->closed_n && s_budget_open(e->b); i++)
        if (e->conns[i].state == S_CONN_CLOSED) s_etcd_open(e, i);
}

static void s_etcd_want_out(s_etcd_t *e, size_t i, bool out)
{
    if (e->conns[i].out == out) return;
    e->conns[i].out = out;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = i};
    epoll_ctl(e->ep, EPOLL_CTL_MOD, e->conns[i].fd, &ev);
}

/* Writes what the socket takes of the request: head, the shared value, the closing. */
static void s_etcd_flush(s_etcd_t *e, size_t i)
{
    s_conn_t *c = &e->conns[i];
    const char *parts[3] = {c->head, e->value64, "\"}"};
    size_t lens[3] = {c->head_len, e->value64_len, 2}, total = c->head_len + e->value64_len + 2;
    while (c->out_off < total) {
        struct iovec iov[3];
        int n = 0;
        size_t skip = c->out_off;
        for (int p = 0; p < 3; p++) {
            if (skip >= lens[p]) {
                skip -= lens[p];
                continue;
            }
            iov[n].iov_base = (char *)parts[p] + skip;
            iov[n++].iov_len = lens[p] - skip;
            skip = 0;
        }
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_etcd_want_out(e, i, true);
            return;
        }
        if (w < 0) {
            char text[S_ERR_TEXT];
            int code = -errno;
            snprintf(text, sizeof text, "write: %s", strerror(-code));
            s_etcd_fail(e, i, code, text);
            return;
        }
        c->out_off += (size_t)w;
    }
    s_etcd_want_out(e, i, false);
}

static void s_etcd_send(s_etcd_t *e, size_t i)
{
    s_conn_t *c = &e->conns[i];
    char key[S_KEY_MAX], key64[S_KEY_MAX * 4 / 3 + 8];
    int key_len = snprintf(key, sizeof key, "%s%zu/%" PRIu64, e->o->prefix, i, c->seq);
    s_base64((const uint8_t *)key, (size_t)key_len, key64);
    char body[S_HEAD_MAX / 2];
    int body_len = snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"", key64);
    c->head_len =
        (size_t)snprintf(c->head, sizeof c->head,
                         "POST /v3/kv/put HTTP/1.1\r\nHost: %s\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         e->host[c->endpoint], (size_t)body_len + e->value64_len + 2, body);
    c->out_off = 0;
    c->state = S_CONN_BUSY;
    e->busy_n++;
    c->start_us = bus_now_us();
    s_etcd_flush(e, i);
}

/* The response in c->in is whole: count it. */
static void s_etcd_answer(s_etcd_t *e, size_t i, const s_http_resp_t *r)
{
    s_conn_t *c = &e->conns[i];
    uint64_t lat_us = bus_now_us() - c->start_us;
    const char *body = c->in + r->body_off;
    e->busy_n--;
    c->seq++;
    if (r->status == 200 && r->body_len >= 10 && strncmp(body, "{\"header\"", 9) == 0) {
        s_stats_ok(e->st, lat_us);
    } else {
        char text[S_ERR_TEXT];
        snprintf(text, sizeof text, "HTTP %d: %.*s", r->status,
                 (int)(r->body_len < 160 ? r->body_len : 160), body);
        s_stats_fail(e->st, r->status, text);
    }
    c->state = S_CONN_IDLE;
    e->idle[e->idle_n++] = i;
}

static void s_etcd_read(s_etcd_t *e, size_t i)
{
    s_conn_t *c = &e->conns[i];
    for (;;) {
        ssize_t got = read(c->fd, c->in + c->in_len, S_IN_MAX - c->in_len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (got <= 0) {
            char text[S_ERR_TEXT];
            int code = got ? -errno : BUS_ECLOSED;
            snprintf(text, sizeof text, "%s", got ? strerror(-code) : "connection closed by etcd");
            s_etcd_fail(e, i, code, text);
            return;
        }
        c->in_len += (size_t)got;
        c->in[c->in_len] = 0;
        if (c->in_len == S_IN_MAX) break;
    }
    s_http_resp_t r;
    long len = s_http_parse(c->in, c->in_len, &r);
    if (len == 0 && c->in_len < S_IN_MAX) return;
    if (len <= 0 || c->state != S_CONN_BUSY || (size_t)len != c->in_len) {
        s_etcd_fail(e, i, BUS_EMALFORMED,
                    len <= 0 ? "a response this client cannot parse" : "an unexpected response");
        return;
    }
    c->in_len = 0;
    s_etcd_answer(e, i, &r);
    if (r.close) s_etcd_fail(e, i, BUS_ECLOSED, "etcd closed the connection");
}

static void s_etcd_event(s_etcd_t *e, size_t i, uint32_t events)
{
    s_conn_t *c = &e->conns[i];
    if (c->state == S_CONN_CLOSED) return; /* failed earlier in the same batch of events */
    if (c->state == S_CONN_CONNECTING) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr || (events & (EPOLLERR | EPOLLHUP))) {
            char text[S_ERR_TEXT];
            snprintf(text, sizeof text, "connect %s: %s", e->host[c->endpoint],
                     strerror(soerr ? soerr : ECONNRESET));
            s_etcd_fail(e, i, -(soerr ? soerr : ECONNRESET), text);
            return;
        }
        if (!(events & EPOLLOUT)) return;
        c->state = S_CONN_IDLE;
        e->idle[e->idle_n++] = i;
        s_etcd_want_out(e, i, false);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) s_etcd_read(e, i);
    if (c->state == S_CONN_BUSY && (events & EPOLLOUT)) s_etcd_flush(e, i);
}

/* Puts in flight longer than the timeout fail, and their connections start anew. */
static void s_etcd_timeouts(s_etcd_t *e)
{
    uint64_t now = bus_now_us(), limit = (uint64_t)e->o->timeout_ms * 1000;
    for (size_t i = 0; i < e->n; i++) {
        if (e->conns[i].state == S_CONN_BUSY && now - e->conns[i].start_us > limit)
            s_etcd_fail(e, i, BUS_ETIMEOUT, "no answer within the timeout");
    }
}

static void s_etcd_poll(s_etcd_t *e, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(e->ep, evs, 256, timeout_ms);
    for (int k = 0; k < n; k++) s_etcd_event(e, (size_t)evs[k].data.u64, evs[k].events);
}

static int s_etcd_phase(void *backend, s_budget_t *b, s_stats_t *st)
{
    s_etcd_t *e = backend;
    e->b = b;
    e->st = st;
    uint64_t next_check = bus_now_us() + 100000;
    st->t0_us = bus_now_us();
    for (;;) {
        while (e->idle_n && s_budget_open(b)) {
            b->started++;
            s_etcd_send(e, e->idle[--e->idle_n]);
        }
        if (!e->busy_n && !s_budget_open(b)) break;
        if (e->closed_n) s_etcd_reopen(e);
        s_etcd_poll(e, 100);
        if (bus_now_us() >= next_check) {
            s_etcd_timeouts(e);
            next_check = bus_now_us() + 100000;
        }
    }
    st->t1_us = bus_now_us();
    e->b = NULL;
    e->st = NULL;
    return 0;
}

static int s_etcd_endpoints(s_etcd_t *e, const char *list)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(tok, ':');
        if (!colon || e->addr_n == S_ENDPOINTS_MAX || strlen(tok) >= sizeof e->host[0]) return -1;
        struct sockaddr_in *a = &e->addr[e->addr_n];
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)atoi(colon + 1));
        snprintf(e->host[e->addr_n], sizeof e->host[0], "%s", tok);
        *colon = 0;
        if (inet_pton(AF_INET, tok, &a->sin_addr) != 1) return -1;
        e->addr_n++;
    }
    return e->addr_n ? 0 : -1;
}

/* Opens every connection and waits until they are all up (10 s at most). */
static int s_etcd_connect(s_etcd_t *e)
{
    s_budget_t none = {.count = e->n, .until_us = UINT64_MAX};
    s_stats_t st = {0};
    e->b = &none;
    e->st = &st;
    e->closed_n = e->n;
    for (size_t i = 0; i < e->n; i++) {
        e->conns[i].fd = -1;
        e->conns[i].state = S_CONN_CLOSED;
        e->conns[i].endpoint = i % e->addr_n;
        s_etcd_open(e, i);
    }
    uint64_t until = bus_now_us() + 10000000;
    while (e->idle_n < e->n && bus_now_us() < until && !st.failed) s_etcd_poll(e, 100);
    e->b = NULL;
    e->st = NULL;
    int rc = e->idle_n == e->n ? 0 : -1;
    if (rc)
        fprintf(stderr, "kubus-bench-store: %zu of %zu connections up; %s\n", e->idle_n, e->n,
                st.errs_n ? st.errs[0].text : "timed out");
    s_stats_free(&st);
    return rc;
}

static void s_nofile(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int s_etcd(const s_opts_t *o)
{
    s_etcd_t e = {.o = o, .n = (size_t)o->clients};
    if (s_etcd_endpoints(&e, o->endpoints) != 0) {
        fprintf(stderr, "kubus-bench-store: bad --endpoints %s (want IP:PORT,...)\n", o->endpoints);
        return 2;
    }
    s_nofile(e.n + 256);
    e.ep = epoll_create1(EPOLL_CLOEXEC);
    e.conns = calloc(e.n, sizeof *e.conns);
    e.idle = calloc(e.n, sizeof *e.idle);
    uint8_t *value = malloc((size_t)o->size + 1);
    e.value64 = malloc((size_t)o->size / 3 * 4 + 8);
    if (e.ep < 0 || !e.conns || !e.idle || !value || !e.value64) abort();
    memset(value, 'v', (size_t)o->size);
    e.value64_len = s_base64(value, (size_t)o->size, e.value64);
    free(value);
    int rc = s_etcd_connect(&e) == 0 ? s_measure(o, &e, s_etcd_phase, "etcd") : 1;
    for (size_t i = 0; i < e.n; i++)
        if (e.conns[i].fd >= 0) close(e.conns[i].fd);
    close(e.ep);
    free(e.conns);
    free(e.idle);
    free(e.value64);
    return rc;
}

/* --- the run and its report ----------------------------------------------------------------- */

static json_t *s_report(const s_opts_t *o, const char *backend, s_stats_t *st,
                        const s_stats_t *warm, const s_procs_t *pr, double self_cpu_s)
{
    qsort(st->lat_us, st->lat_n, sizeof *st->lat_us, s_cmp_u64);
    double secs = (double)(st->t1_us - st->t0_us) / 1e6;
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
        "backend", backend, "clients", (json_int_t)o->clients, "size", (json_int_t)o->size, "ok",
        (json_int_t)st->ok, "failed", (json_int_t)st->failed, "duplicates",
        (json_int_t)st->duplicates, "errors_other", (json_int_t)st->errs_other, "seconds", secs,
        "rate", secs > 0 ? (double)st->ok / secs : 0.0, "p50_us", (json_int_t)s_pct(st, 0.50),
        "p90_us", (json_int_t)s_pct(st, 0.90), "p99_us", (json_int_t)s_pct(st, 0.99), "max_us",
        (json_int_t)(st->lat_n ? st->lat_us[st->lat_n - 1] : 0), "warmup_ok", (json_int_t)warm->ok,
        "warmup_failed", (json_int_t)warm->failed, "bench_cpu_s", self_cpu_s);
    json_t *errs = json_array();
    for (size_t i = 0; i < st->errs_n; i++)
        json_array_append_new(errs,
                              json_pack("{s:i, s:s, s:I}", "code", st->errs[i].code, "text",
                                        st->errs[i].text, "count", (json_int_t)st->errs[i].n));
    json_object_set_new(j, "errors", errs);
    json_t *cpu = json_object();
    for (size_t i = 0; i < pr->n; i++) {
        char pid[16];
        snprintf(pid, sizeof pid, "%d", pr->pid[i]);
        json_object_set_new(cpu, pid, json_real(pr->cpu_s[i]));
    }
    json_object_set_new(j, "cpu_s", cpu);
    return j;
}

static void s_print(const json_t *j, const s_stats_t *st)
{
    printf("%s, %" JSON_INTEGER_FORMAT " clients, %" JSON_INTEGER_FORMAT
           "-byte values: %zu puts in %.2f s: %.0f puts/s, p50 %.2f ms, p99 %.2f ms, "
           "max %.2f ms; %zu failed\n",
           json_string_value(json_object_get(j, "backend")),
           json_integer_value(json_object_get(j, "clients")),
           json_integer_value(json_object_get(j, "size")), st->ok,
           json_real_value(json_object_get(j, "seconds")),
           json_real_value(json_object_get(j, "rate")),
           (double)json_integer_value(json_object_get(j, "p50_us")) / 1000,
           (double)json_integer_value(json_object_get(j, "p99_us")) / 1000,
           (double)json_integer_value(json_object_get(j, "max_us")) / 1000, st->failed);
    for (size_t i = 0; i < st->errs_n; i++)
        printf("  %zu x %d: %s\n", st->errs[i].n, st->errs[i].code, st->errs[i].text);
    if (st->errs_other) printf("  %zu x other errors\n", st->errs_other);
}

static int s_measure(const s_opts_t *o, void *backend, s_phase_fn phase, const char *name)
{
    s_procs_t pr = {0};
    if (o->pids) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", o->pids);
        for (char *save, *t = strtok_r(copy, ",", &save); t && pr.n < S_PIDS_MAX;
             t = strtok_r(NULL, ",", &save))
            pr.pid[pr.n++] = atoi(t);
    }
    s_stats_t warm = {0}, st = {0};
    s_budget_t wb = {.count = (size_t)o->warmup, .until_us = UINT64_MAX};
    if (o->warmup && phase(backend, &wb, &warm) != 0) return 1;
    uint64_t until =
        o->duration_s > 0 ? bus_now_us() + (uint64_t)(o->duration_s * 1e6) : UINT64_MAX;
    s_budget_t b = {.count = (size_t)o->count, .until_us = until};
    s_procs_start(&pr);
    double cpu0 = s_self_cpu_s(), busy0 = s_machine_busy_s();
    int rc = phase(backend, &b, &st);
    double cpu = s_self_cpu_s() - cpu0, busy = s_machine_busy_s() - busy0;
    s_procs_stop(&pr);
    if (rc == 0) {
        json_t *j = s_report(o, name, &st, &warm, &pr, cpu);
        json_object_set_new(j, "machine_busy_s", json_real(busy0 < 0 ? -1 : busy));
        if (o->json) {
            char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
            puts(text);
            free(text);
        } else {
            s_print(j, &st);
        }
        json_decref(j);
    }
    rc = rc ? 1 : st.duplicates ? 3 : 0;
    s_stats_free(&warm);
    s_stats_free(&st);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus-bench-store kubus --dir DIR --name NAME [OPTIONS]\n"
                 "       kubus-bench-store etcd --endpoints IP:PORT[,IP:PORT...] [OPTIONS]\n"
                 "OPTIONS: [--clients C] [--count N] [--duration S] [--warmup N] [--size BYTES]\n"
                 "         [--prefix P] [--timeout-ms MS] [--pids PID,...] [--json]\n");
}

int main(int argc, char **argv)
{
    s_opts_t o = {.clients = 1,
                  .count = 10000,
                  .warmup = 0,
                  .size = 256,
                  .timeout_ms = 30000,
                  .prefix = "/bench/"};
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    const char *mode = argv[1];
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"endpoints", required_argument, 0, 'e'},
                                         {"clients", required_argument, 0, 'c'},
                                         {"count", required_argument, 0, 'N'},
                                         {"duration", required_argument, 0, 'D'},
                                         {"warmup", required_argument, 0, 'w'},
                                         {"size", required_argument, 0, 's'},
                                         {"prefix", required_argument, 0, 'p'},
                                         {"timeout-ms", required_argument, 0, 't'},
                                         {"pids", required_argument, 0, 'P'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'n': o.name = optarg; break;
        case 'e': o.endpoints = optarg; break;
        case 'c': o.clients = strtol(optarg, NULL, 10); break;
        case 'N': o.count = strtol(optarg, NULL, 10); break;
        case 'D': o.duration_s = strtod(optarg, NULL); break;
        case 'w': o.warmup = strtol(optarg, NULL, 10); break;
        case 's': o.size = strtol(optarg, NULL, 10); break;
        case 'p': o.prefix = optarg; break;
        case 't': o.timeout_ms = strtol(optarg, NULL, 10); break;
        case 'P': o.pids = optarg; break;
        case 'j': o.json = true; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (o.clients < 1 || o.clients > S_CLIENTS_MAX || o.count < 1 || o.warmup < 0 || o.size < 0 ||
        o.size > S_SIZE_MAX || o.timeout_ms < 1 || o.duration_s < 0 || strlen(o.prefix) > 200) {
        s_usage(stderr);
        return 2;
    }
    bus_log_set_level(BUS_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(mode, "kubus") == 0 && o.dir && o.name) {
        zsys_init();
        return s_kubus(&o);
    }
    if (strcmp(mode, "etcd") == 0 && o.endpoints) return s_etcd(&o);
    s_usage(stderr);
    return 2;
}
