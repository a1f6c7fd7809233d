/* gw_http: the gateway's HTTP side. libmicrohttpd runs in external-epoll mode inside the
 * bus_service loop (its epoll descriptor is one more thing the loop polls), so requests, store
 * replies and timers all run on one thread with no locks. A request whose answer needs the store
 * suspends its connection; the reply resumes it and libmicrohttpd calls the handler again, which
 * then queues the response made meanwhile. Bodies are bounded (413 beyond GW_BODY_MAX). */
#include "gw.h"

#include "bus_err.h"
#include "bus_log.h"
#include "bus_time.h"
#include "kube_obj.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CONNECTIONS_MAX 4096
#define S_IDLE_TIMEOUT_S  120 /* a connection silent this long is closed (watches excepted) */

static void s_log_mhd(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = 0;
    log_debug("gateway.http", "detail=\"%s\"", text);
}

const char *gw_query(gw_req_t *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *gw_header(gw_req_t *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, key);
}

/* --- what libmicrohttpd holds -------------------------------------------------------------- */

static void s_hand(gw_req_t *req, int hand)
{
    gw_t *gw = req->gw;
    if (req->hand && !hand) {
        if (req->hand_prev)
            req->hand_prev->hand_next = req->hand_next;
        else
            gw->hand = req->hand_next;
        if (req->hand_next) req->hand_next->hand_prev = req->hand_prev;
        req->hand_prev = req->hand_next = NULL;
    } else if (!req->hand && hand) {
        req->hand_next = gw->hand;
        if (gw->hand) gw->hand->hand_prev = req;
        gw->hand = req;
    }
    req->hand = hand;
}

void gw_suspend(gw_req_t *req)
{
    if (req->suspended) return;
    req->suspended = true;
    s_hand(req, GW_HAND_NONE);
    MHD_suspend_connection(req->conn);
}

void gw_resume(gw_req_t *req)
{
    if (!req->suspended) return;
    req->suspended = false;
    /* Resumed, it has an answer to send (a response made meanwhile, or a stream's next bytes). */
    s_hand(req, GW_HAND_SENDING);
    MHD_resume_connection(req->conn);
}

bool gw_client_gone(gw_req_t *req)
{
    struct pollfd p = {.fd = req->fd, .events = POLLRDHUP};
    return req->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Whether running libmicrohttpd again would move bytes for a request it holds: a body is
 * coming in (bytes arrived in the last round), or an answer is going out and its socket takes
 * more. Its epoll is edge-triggered, so that cannot be left to a new event; and its timeout
 * alone cannot say, for it stays 0 while a TLS handshake waits for its client. */
static bool s_hand_moves(gw_t *gw)
{
    bool moves = false;
    size_t n = 0;
    for (gw_req_t *r = gw->hand; r; r = r->hand_next) {
        if (r->hand == GW_HAND_RECEIVING) {
            moves |= r->moved;
            r->moved = false;
            continue;
        }
        if (n == gw->hand_fds_cap) {
            size_t cap = n ? 2 * n : 64;
            struct pollfd *fds = realloc(gw->hand_fds, cap * sizeof *fds);
            if (!fds) abort();
            gw->hand_fds = fds;
            gw->hand_fds_cap = cap;
        }
        gw->hand_fds[n++] = (struct pollfd){.fd = r->fd, .events = POLLOUT};
    }
    if (moves) return true;
    return n && poll(gw->hand_fds, n, 0) > 0;
}

void gw_respond(gw_req_t *req, unsigned status, const char *content_type, char *body, size_t len)
{
    if (req->recheck) {
        void (*recheck)(gw_req_t *) = req->recheck;
        req->recheck = NULL;
        free(body);
        json_decref(req->warnings);
        req->warnings = NULL;
        recheck(req);
        return;
    }
    if (req->resp) MHD_destroy_response(req->resp);
    req->resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!req->resp) abort();
    req->status = status;
    if (content_type) MHD_add_response_header(req->resp, "Content-Type", content_type);
    MHD_add_response_header(req->resp, "Cache-Control", "no-cache, private");
    size_t i;
    json_t *w;
    json_array_foreach(req->warnings, i, w)
    {
        /* 299 - "text", the text quoted as a Go string (kubectl unquotes it). */
        char quoted[1024];
        size_t o = 0;
        for (const char *c = json_string_value(w); *c && o < sizeof quoted - 3; c++) {
            if (*c == '"' || *c == '\\') quoted[o++] = '\\';
            quoted[o++] = *c;
        }
        quoted[o] = 0;
        char header[1100];
        snprintf(header, sizeof header, "299 - \"%s\"", quoted);
        MHD_add_response_header(req->resp, "Warning", header);
    }
    gw_resume(req);
}

void gw_respond_response(gw_req_t *req, unsigned status, struct MHD_Response *resp)
{
    if (req->resp) MHD_destroy_response(req->resp);
    req->resp = resp;
    req->status = status;
    gw_resume(req);
}

void gw_respond_json(gw_req_t *req, unsigned status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) abort();
    size_t n = strlen(text);
    gw_respond(req, status, "application/json", text, n);
}

void gw_respond_text(gw_req_t *req, unsigned status, const char *text)
{
    char *copy = strdup(text);
    if (!copy) abort();
    gw_respond(req, status, "text/plain; charset=utf-8", copy, strlen(copy));
}

void gw_add_header(gw_req_t *req, const char *name, const char *value)
{
    if (req->resp) MHD_add_response_header(req->resp, name, value);
}

void gw_fail(gw_req_t *req, unsigned code, const char *reason, json_t *details, const char *fmt,
             ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion",
                           "v1", "metadata", "status", "Failure", "message", msg, "reason", reason,
                           "code", (json_int_t)code);
    if (details) json_object_set_new(st, "details", details);
    gw_respond_json(req, code, st);
}

/* --- the store ----------------------------------------------------------------------------- */

typedef struct {
    gw_req_t *req;
    gw_store_fn *fn;
} s_call_t;

static void s_store_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_call_t c = *(s_call_t *)arg;
    free(arg);
    if (in->env->status) c.req->gw->store_errors++;
    c.fn(c.req, in);
    (void)svc;
}

/* The service ended before the store answered. */
static void s_store_abandon(void *arg)
{
    s_call_t *c = arg;
    gw_fail(c->req, 503, "ServiceUnavailable", NULL, "the gateway is stopping");
    free(c);
}

int gw_store_call(gw_req_t *req, const codec_msg_t *desc, const void *body, gw_store_fn *fn)
{
    req->recheck = NULL; /* what the store answers decides */
    s_call_t *c = malloc(sizeof *c);
    if (!c) abort();
    c->req = req;
    c->fn = fn;
    bus_call_t call = {
        .service = "store", .desc = desc, .body = body, .timeout_ms = GW_STORE_TIMEOUT};
    codec_err_t err;
    req->gw->store_calls++;
    int rc = bus_service_call(req->gw->svc, &call, s_store_reply, c, s_store_abandon, &err);
    if (rc) {
        free(c);
        req->gw->store_errors++;
        if (rc == BUS_EBUSY)
            gw_fail(req, 429, "TooManyRequests", NULL, "too many requests: %s", err.text);
        else
            gw_fail(req, 503, "ServiceUnavailable", NULL, "the store cannot be reached: %s",
                    err.text);
    }
    return rc;
}

int gw_store_create_absent(gw_t *gw, const char *key, const json_t *obj, bus_reply_fn *fn,
                           void *arg, char *err, size_t errlen)
{
    bus_buf_t buf;
    bus_buf_init(&buf, 1u << 20);
    int rc = kube_obj_encode(obj, &buf);
    if (rc) {
        snprintf(err, errlen, "%s: the object does not encode", key);
        bus_buf_free(&buf);
        return rc;
    }
    store_compare_t cmp = {
        .key = (char *)key, .target = STORE_COMPARE_TARGET_CREATE, .op = STORE_COMPARE_OP_EQ};
    store_op_t put = {
        .type = STORE_OP_TYPE_PUT, .key = (char *)key, .value = {.data = buf.data, .len = buf.len}};
    store_txn_request_t txn = {.compares = {1, &cmp}, .success = {1, &put}};
    bus_call_t call = {.service = "store",
                       .desc = &store_txn_request_desc,
                       .body = &txn,
                       .timeout_ms = GW_STORE_TIMEOUT};
    codec_err_t cerr;
    rc = bus_service_call(gw->svc, &call, fn, arg, NULL, &cerr);
    if (rc) snprintf(err, errlen, "%s", cerr.text);
    bus_buf_free(&buf);
    return rc;
}

/* --- requests ------------------------------------------------------------------------------ */

static void s_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    gw_req_t *req = *con_cls;
    if (!req) return;
    gw_t *gw = req->gw;
    uint64_t us = bus_now_us() - req->started_us;
    gw->latency_us_sum += us;
    gw->latency_count++;
    if (req->status >= 100 && req->status < 600) gw->responses_by_class[req->status / 100]++;
    log_debug("gateway.request", "method=%s path=\"%s\" status=%u us=%" PRIu64 " end=%d",
              req->method, req->path, req->status, us, (int)toe);
    s_hand(req, GW_HAND_NONE);
    if (req->ctx_free && req->ctx) req->ctx_free(req->ctx);
    if (req->resp) MHD_destroy_response(req->resp);
    bus_buf_free(&req->body);
    json_decref(req->warnings);
    free(req->path);
    free(req);
    *con_cls = NULL;
    (void)cls;
    (void)conn;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    gw_t *gw = cls;
    gw_req_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) abort();
        req->gw = gw;
        req->conn = conn;
        req->started_us = bus_now_us();
        snprintf(req->method, sizeof req->method, "%s", method);
        req->path = strdup(url);
        if (!req->path) abort();
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        req->fd = ci ? ci->connect_fd : -1;
        bus_buf_init(&req->body, GW_BODY_MAX);
        s_hand(req, GW_HAND_RECEIVING);
        req->moved = true; /* its body, or its dispatch, is next */
        *con_cls = req;
        gw->requests++;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_big && bus_buf_append(&req->body, upload_data, *upload_data_size))
            req->too_big = true;
        *upload_data_size = 0;
        req->moved = true;
        return MHD_YES;
    }
    if (!req->dispatched) {
        req->dispatched = true;
        if (gw->stopping || !gw->svc)
            gw_fail(req, 503, "ServiceUnavailable", NULL, "the gateway is stopping");
        else if (req->too_big)
            gw_fail(req, 413, "RequestEntityTooLarge", NULL,
                    "the request body is larger than %u bytes", GW_BODY_MAX);
        else if (gw_auth(req) == 0)
            gw_api_handle(req);
    }
    if (req->resp) {
        enum MHD_Result r = MHD_queue_response(conn, req->status, req->resp);
        MHD_destroy_response(req->resp);
        req->resp = NULL;
        s_hand(req, GW_HAND_SENDING);
        return r;
    }
    gw_suspend(req);
    (void)version;
    return MHD_YES;
}

/* --- the daemons in the loop --------------------------------------------------------------- */

static void s_again(bus_service_t *svc, void *arg);

/* Lets libmicrohttpd do what is ready, and again while that moves bytes for a request it holds
 * (a large answer goes out a TLS record at a time, and its edge-triggered epoll raises no new
 * event for a socket that can still send); past a bound, a timer of 0 ms comes back to it after
 * the bus has had its turn. */
void gw_http_run(gw_t *gw)
{
    for (int round = 0; round < 64; round++) {
        bool ready = false;
        for (int i = 0; i < gw->daemons_n; i++) {
            MHD_run(gw->daemons[i]);
            MHD_UNSIGNED_LONG_LONG to;
            ready |= MHD_get_timeout(gw->daemons[i], &to) == MHD_YES && to == 0;
        }
        if (!ready || !s_hand_moves(gw)) return;
    }
    if (!gw->again && gw->svc && !gw->stopping) {
        gw->again = true;
        bus_service_after(gw->svc, 0, s_again, gw, NULL);
    }
}

static void s_again(bus_service_t *svc, void *arg)
{
    gw_t *gw = arg;
    gw->again = false;
    gw_http_run(gw);
    (void)svc;
}

static void s_ready(bus_service_t *svc, void *arg)
{
    gw_http_run(arg);
    (void)svc;
}

static void s_drained(bus_service_t *svc, void *arg)
{
    gw_http_run(arg);
    (void)svc;
}

/* libmicrohttpd's own timers (idle connections): run it at least once a second. */
static void s_tick(bus_service_t *svc, void *arg)
{
    gw_t *gw = arg;
    gw_http_run(gw);
    gw_auth_refresh(gw);
    if (!gw->stopping) gw->timer_id = bus_service_after(svc, 1000, s_tick, gw, NULL);
}

static char *s_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return text;
}

static int s_parse_addr(const char *addr, struct sockaddr_in *sa, char *err, size_t errlen)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        snprintf(err, errlen, "%s: not HOST:PORT", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        snprintf(err, errlen, "%s: not an IPv4 HOST:PORT", addr);
        return -1;
    }
    return 0;
}

static int s_start_one(gw_t *gw, const gw_listen_t *l, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    if (s_parse_addr(l->addr, &sa, err, errlen)) return -1;
    if (!l->tls && ntohl(sa.sin_addr.s_addr) >> 24 != 127) {
        snprintf(err, errlen, "%s: plain HTTP is served on loopback only", l->addr);
        return -1;
    }
    char *cert = NULL, *key = NULL;
    if (l->tls) {
        cert = s_read_file(l->cert, err, errlen);
        key = cert ? s_read_file(l->key, err, errlen) : NULL;
        if (!key) {
            free(cert);
            return -1;
        }
    }
    unsigned flags =
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (l->tls ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, s_access, gw, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
        s_request_done, gw, MHD_OPTION_CONNECTION_LIMIT, (unsigned)S_CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)S_IDLE_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER,
        s_log_mhd, gw, MHD_OPTION_ARRAY, l->tls ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    /* libmicrohttpd keeps its own copies of the PEM texts. */
    if (key) sodium_memzero(key, strlen(key));
    free(cert);
    free(key);
    if (!d) {
        snprintf(err, errlen, "cannot serve on %s (port in use, or bad TLS files)", l->addr);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    bus_service_poll_fd(gw->svc, info->epoll_fd, s_ready, gw);
    gw->daemons[gw->daemons_n++] = d;
    log_info("gateway.listen", "addr=%s tls=%d", l->addr, l->tls);
    return 0;
}

int gw_http_start(gw_t *gw, const gw_listen_t *listens, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n && gw->daemons_n < (int)(sizeof gw->daemons / sizeof gw->daemons[0]); i++)
        if (s_start_one(gw, &listens[i], err, errlen)) return -1;
    bus_service_on_drained(gw->svc, s_drained, gw);
    gw->timer_id = bus_service_after(gw->svc, 1000, s_tick, gw, NULL);
    return 0;
}

void gw_http_stop(gw_t *gw)
{
    gw->stopping = true;
    for (int i = 0; i < gw->daemons_n; i++) MHD_stop_daemon(gw->daemons[i]);
    gw->daemons_n = 0;
    free(gw->hand_fds);
    gw->hand_fds = NULL;
    gw->hand_fds_cap = 0;
}
