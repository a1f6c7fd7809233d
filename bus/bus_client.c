/* bus_client: links to every broker, pending requests with deadlines, failover, and the worker
 * side's reply cache. Messages are read one at a time; the one handed to the caller is kept
 * (zmq_msg and arena) until the next call, so nothing is copied on the way in. */
#include "bus_client.h"
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_heap.h"
#include "bus_log.h"
#include "bus_map.h"
#include "bus_role.h"
#include "bus_time.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_PENDING_MAX     100000
#define S_CACHE_MAX       4096
#define S_CACHE_BYTES     (32u << 20)
#define S_WAITERS_MAX     4
#define S_OFFERS_MAX      64
#define S_HWM             100000
#define S_DEFAULT_TIMEOUT 30000

enum { S_UNKNOWN, S_ALIVE, S_DEAD };
static const char *s_state_names[] = {"unknown", "alive", "dead"};

typedef struct {
    char name[64];
    zsock_t *sock;
    void *raw;
    int state;
    uint64_t since_ms; /* when the state last changed */
    uint64_t last_heard_ms;
    uint64_t last_sent_ms;
    uint64_t epoch;
} s_link_t;

typedef struct {
    uint64_t rid;
    uint64_t due_ms; /* deadline plus grace: when we give up locally */
    uint32_t timeout_ms;
    uint32_t flags;
    int link;
    void *user;
    size_t frame_len;
    uint8_t frame[];
} s_pending_t;

typedef struct {
    uint64_t rid;
    int status;
    void *user;
    char text[256];
} s_local_t;

typedef struct {
    int link;
    uint64_t rid;
} s_waiter_t;

typedef struct {
    char key[200];
    bool done;
    int status;
    uint32_t type;
    char *error;
    uint8_t *body;
    size_t body_len;
    int waiters_n;
    s_waiter_t waiters[S_WAITERS_MAX];
    void *order_handle;
} s_cached_t;

typedef struct {
    char service[65];
    uint32_t credits;
} s_offer_t;

struct bus_client_t {
    char name[64];
    const bus_config_t *config;
    zcert_t *cert;
    s_link_t *links;
    size_t links_n;
    size_t rr; /* round robin over links */
    s_offer_t offers[S_OFFERS_MAX];
    size_t offers_n;
    uint64_t next_rid;
    zhashx_t *pending; /* rid -> s_pending_t */
    bus_heap_t *due;
    zlistx_t *local; /* s_local_t replies made here (timeouts, lost brokers) */
    zhashx_t *cache; /* key -> s_cached_t */
    zlistx_t *cache_order;
    size_t cache_bytes;
    bus_arena_t *arena;
    bus_buf_t out;
    bus_buf_t body;
    zmq_msg_t held; /* the message the caller is looking at */
    bool holding;
    bus_client_stats_t stats;
    bus_log_limit_t log_bad;
};

/* --- sending ------------------------------------------------------------------------------- */

static int s_send_raw(bus_client_t *self, int li, const void *data, size_t len)
{
    s_link_t *link = &self->links[li];
    if (zmq_send(link->raw, data, len, ZMQ_DONTWAIT) < 0) return -zmq_errno();
    link->last_sent_ms = bus_now_ms();
    return 0;
}

static int s_send_env(bus_client_t *self, int li, bus_envelope_t *env, const codec_msg_t *desc,
                      const void *body)
{
    codec_err_t err;
    bus_buf_reset(&self->out);
    int rc = bus_frame_build(&self->out, NULL, env, desc, body, &err);
    if (rc) {
        log_error("client.encode", "error=\"%s\"", err.text);
        return rc;
    }
    return s_send_raw(self, li, self->out.data, self->out.len);
}

static void s_send_ready(bus_client_t *self, int li)
{
    if (!self->offers_n) return;
    bus_offer_t offers[S_OFFERS_MAX];
    for (size_t i = 0; i < self->offers_n; i++)
        offers[i] =
            (bus_offer_t){.service = self->offers[i].service, .credits = self->offers[i].credits};
    bus_ready_t ready = {.services = {self->offers_n, offers}};
    bus_envelope_t env = {.kind = BUS_KIND_READY};
    s_send_env(self, li, &env, &bus_ready_desc, &ready);
}

/* A link for a request: alive ones in turn, then ones not heard from yet, then dead ones (whose
 * queue libzmq keeps until they come back). avoid is skipped unless it is the only one. */
static int s_choose_link(bus_client_t *self, int avoid)
{
    static const int order[] = {S_ALIVE, S_UNKNOWN, S_DEAD};
    for (int pass = 0; pass < 3; pass++)
        for (size_t k = 0; k < self->links_n; k++) {
            size_t li = (self->rr + k) % self->links_n;
            if ((int)li == avoid || self->links[li].state != order[pass]) continue;
            self->rr = li + 1;
            return (int)li;
        }
    return avoid;
}

static void s_local_reply(bus_client_t *self, s_pending_t *p, int status, const char *text)
{
    s_local_t *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->rid = p->rid;
    l->status = status;
    l->user = p->user;
    snprintf(l->text, sizeof l->text, "%s", text);
    zlistx_add_end(self->local, l);
    zhashx_delete(self->pending, &p->rid);
    free(p);
}

/* Sends a pending request again through another link (after its broker was lost). */
static void s_resend(bus_client_t *self, s_pending_t *p, int avoid, const char *why)
{
    if (p->flags & BUS_FLAG_ONCE) {
        char text[200];
        snprintf(text, sizeof text, "broker %s lost (%s); the request may or may not have run",
                 self->links[p->link].name, why);
        s_local_reply(self, p, BUS_EUNAVAILABLE, text);
        return;
    }
    int li = s_choose_link(self, avoid);
    if (li < 0 || s_send_raw(self, li, p->frame, p->frame_len) != 0) return;
    p->link = li;
    self->stats.resent++;
}

/* Every pending request that went through link li (or, with li < 0, through a dead link) goes
 * again through a live one. */
static void s_rescue(bus_client_t *self, int li, const char *why)
{
    zlistx_t *all = zhashx_values(self->pending);
    for (s_pending_t *p = zlistx_first(all); p; p = zlistx_next(all)) {
        bool stuck = li >= 0 ? p->link == li : self->links[p->link].state == S_DEAD;
        if (stuck) s_resend(self, p, p->link, why);
    }
    zlistx_destroy(&all);
}

static void s_link_state(bus_client_t *self, int li, int state, uint64_t now)
{
    s_link_t *link = &self->links[li];
    if (link->state == state) return;
    int was = link->state;
    link->state = state;
    link->since_ms = now;
    if (state == S_ALIVE) {
        if (was == S_DEAD) log_info("client.broker.up", "broker=%s", link->name);
        s_send_ready(self, li);
        s_rescue(self, -1, "broker lost");
    } else if (state == S_DEAD) {
        log_warn("client.broker.lost", "broker=%s was=%s", link->name, s_state_names[was]);
        s_rescue(self, li, "heartbeat lost");
    }
}

/* --- the reply cache ----------------------------------------------------------------------- */

static void s_cache_evict(bus_client_t *self)
{
    s_cached_t *c = zlistx_first(self->cache_order);
    while (c && (zhashx_size(self->cache) > S_CACHE_MAX || self->cache_bytes > S_CACHE_BYTES)) {
        s_cached_t *next = zlistx_next(self->cache_order);
        if (c->done) {
            zlistx_delete(self->cache_order, c->order_handle);
            self->cache_bytes -= c->body_len;
            zhashx_delete(self->cache, c->key);
            free(c->error);
            free(c->body);
            free(c);
        }
        c = next;
    }
}

/* Looks up a request by caller and caller's rid. 1: it is new (now recorded as running);
 * 0: it was handled here (joined or replayed). */
static int s_cache_admit(bus_client_t *self, int li, bus_envelope_t *env, char *key, size_t keycap)
{
    key[0] = 0;
    if (!env->caller || !env->caller_rid) return 1;
    snprintf(key, keycap, "%s/%" PRIx64, env->caller, env->caller_rid);
    s_cached_t *c = zhashx_lookup(self->cache, key);
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) abort();
        memcpy(c->key, key, sizeof c->key);
        zhashx_insert(self->cache, c->key, c);
        c->order_handle = zlistx_add_end(self->cache_order, c);
        s_cache_evict(self);
        return 1;
    }
    if (!c->done) {
        if (c->waiters_n < S_WAITERS_MAX) {
            c->waiters[c->waiters_n++] = (s_waiter_t){li, env->rid};
        } else {
            /* Never leave a request unanswered: that would hold the broker's credit. */
            bus_envelope_t busy = {.kind = BUS_KIND_REPLY,
                                   .rid = env->rid,
                                   .status = BUS_EBUSY,
                                   .error = "too many copies of this request at once"};
            s_send_env(self, li, &busy, NULL, NULL);
        }
        self->stats.joined++;
        return 0;
    }
    bus_envelope_t out = {.kind = BUS_KIND_REPLY,
                          .type = c->type,
                          .rid = env->rid,
                          .status = c->status,
                          .error = c->error};
    bus_buf_reset(&self->out);
    codec_err_t err;
    if (bus_frame_build_raw(&self->out, NULL, 0, &out, c->body, c->body_len, &err) == 0)
        s_send_raw(self, li, self->out.data, self->out.len);
    self->stats.replayed++;
    return 0;
}

/* --- receiving ----------------------------------------------------------------------------- */

/* Reads one message from link li. 1: a message for the caller is in *in; 0: handled here;
 * -1: nothing to read. */
static int s_read(bus_client_t *self, int li, uint64_t now, bus_in_t *in)
{
    s_link_t *link = &self->links[li];
    zmq_msg_t msg;
    /* Messages handled here keep nothing: each one starts the arena afresh. */
    bus_arena_reset(self->arena);
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, link->raw, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return -1;
    }
    if (zmq_msg_more(&msg)) {
        /* Brokers send single-part frames; anything else is drained and dropped. */
        do {
            zmq_msg_close(&msg);
            zmq_msg_init(&msg);
        } while (zmq_msg_recv(&msg, link->raw, 0) >= 0 && zmq_msg_more(&msg));
        zmq_msg_close(&msg);
        return 0;
    }
    link->last_heard_ms = now;
    if (link->state != S_ALIVE) s_link_state(self, li, S_ALIVE, now);
    bus_frame_t f;
    codec_err_t err;
    if (bus_frame_parse(zmq_msg_data(&msg), zmq_msg_size(&msg), false, self->arena, &f, &err)) {
        bus_log_limited(&self->log_bad, BUS_LOG_WARN, "client.bad_frame", "broker=%s error=\"%s\"",
                        link->name, err.text);
        zmq_msg_close(&msg);
        return 0;
    }
    bus_envelope_t *env = f.env;
    int rc = 0;
    switch (env->kind) {
    case BUS_KIND_HEARTBEAT:
    case BUS_KIND_RESET:
        if (env->epoch && link->epoch && env->epoch != link->epoch) {
            log_info("client.broker.restarted", "broker=%s", link->name);
            link->epoch = env->epoch;
            s_send_ready(self, li);
            s_rescue(self, li, "broker restarted");
        } else if (env->kind == BUS_KIND_RESET) {
            s_send_ready(self, li);
        }
        if (env->epoch) link->epoch = env->epoch;
        break;
    case BUS_KIND_DISCONNECT:
        log_error("client.refused", "broker=%s error=\"%s\"", link->name,
                  env->error ? env->error : bus_err_str(env->status));
        rc = 1;
        break;
    case BUS_KIND_REPLY: {
        s_pending_t *p = env->rid ? zhashx_lookup(self->pending, &env->rid) : NULL;
        if (!p) {
            if (env->rid == 0 && env->status)
                bus_log_limited(&self->log_bad, BUS_LOG_WARN, "client.rejected",
                                "broker=%s error=\"%s\"", link->name, env->error ? env->error : "");
            self->stats.duplicates_dropped += env->rid != 0;
            break;
        }
        in->user = p->user;
        zhashx_delete(self->pending, &p->rid);
        free(p);
        self->stats.replies++;
        rc = 1;
        break;
    }
    case BUS_KIND_REQUEST:
        in->reply_to.link = li;
        in->reply_to.rid = env->rid;
        in->reply_to.epoch = env->epoch;
        rc = s_cache_admit(self, li, env, in->reply_to.cache_key, sizeof in->reply_to.cache_key);
        if (rc) self->stats.executed++;
        break;
    default:
        bus_log_limited(&self->log_bad, BUS_LOG_WARN, "client.unexpected", "broker=%s kind=%u",
                        link->name, env->kind);
    }
    if (rc == 1) {
        in->kind = env->kind;
        in->env = env;
        in->frame = f;
        in->body = f.body;
        in->body_len = f.body_len;
        self->held = msg;
        self->holding = true;
    } else {
        zmq_msg_close(&msg);
    }
    return rc;
}

static void s_timers(bus_client_t *self, uint64_t now)
{
    uint64_t hb = self->config->heartbeat_ms, dead_after = hb * self->config->liveness;
    for (size_t li = 0; li < self->links_n; li++) {
        s_link_t *link = &self->links[li];
        if (now - link->last_sent_ms >= hb) {
            bus_envelope_t env = {.kind = BUS_KIND_HEARTBEAT};
            if (s_send_env(self, (int)li, &env, NULL, NULL) != 0) link->last_sent_ms = now;
        }
        uint64_t heard = link->state == S_UNKNOWN ? link->since_ms : link->last_heard_ms;
        if (link->state != S_DEAD && now - heard > dead_after)
            s_link_state(self, (int)li, S_DEAD, now);
    }
    uint64_t due, rid;
    while (bus_heap_peek(self->due, &due, &rid) && due <= now) {
        bus_heap_pop(self->due, &due, &rid);
        s_pending_t *p = zhashx_lookup(self->pending, &rid);
        if (!p || p->due_ms != due) continue;
        char text[200];
        snprintf(text, sizeof text, "no reply within %u ms (sent through broker %s)", p->timeout_ms,
                 self->links[p->link].name);
        self->stats.timeouts++;
        s_local_reply(self, p, BUS_ETIMEOUT, text);
    }
}

int bus_client_poll(bus_client_t *self, bus_in_t *in)
{
    if (self->holding) {
        zmq_msg_close(&self->held);
        self->holding = false;
    }
    bus_arena_reset(self->arena);
    memset(in, 0, sizeof *in);
    uint64_t now = bus_now_ms();
    s_timers(self, now);
    s_local_t *l = zlistx_first(self->local);
    if (l) {
        zlistx_delete(self->local, zlistx_cursor(self->local));
        bus_envelope_t *env = bus_arena_alloc(self->arena, sizeof *env);
        env->kind = BUS_KIND_REPLY;
        env->rid = l->rid;
        env->status = l->status;
        env->error = bus_arena_strndup(self->arena, l->text, strlen(l->text));
        in->kind = BUS_KIND_REPLY;
        in->env = env;
        in->frame.env = env;
        in->user = l->user;
        free(l);
        return 0;
    }
    for (size_t k = 0; k < self->links_n; k++) {
        int li = (int)((self->rr + k) % self->links_n);
        int rc;
        while ((rc = s_read(self, li, now, in)) == 0) continue;
        if (rc == 1) return 0;
    }
    return BUS_ETIMEOUT;
}

int bus_client_next_timer_ms(bus_client_t *self)
{
    uint64_t now = bus_now_ms(), next = now + self->config->heartbeat_ms, due, rid;
    for (size_t li = 0; li < self->links_n; li++) {
        uint64_t hb = self->links[li].last_sent_ms + self->config->heartbeat_ms;
        if (hb < next) next = hb;
    }
    if (bus_heap_peek(self->due, &due, &rid) && due < next) next = due;
    if (zlistx_size(self->local)) next = now;
    return next > now ? (int)(next - now) : 0;
}

size_t bus_client_pollitems(bus_client_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    for (size_t li = 0; li < self->links_n && n < max; li++)
        items[n++] = (zmq_pollitem_t){self->links[li].raw, 0, ZMQ_POLLIN, 0};
    return n;
}

int bus_client_recv(bus_client_t *self, bus_in_t *in, int timeout_ms)
{
    uint64_t until = timeout_ms < 0 ? UINT64_MAX : bus_now_ms() + (uint64_t)timeout_ms;
    zmq_pollitem_t items[16];
    size_t n = bus_client_pollitems(self, items, 16);
    for (;;) {
        if (bus_client_poll(self, in) == 0) return 0;
        uint64_t now = bus_now_ms();
        if (now >= until) return BUS_ETIMEOUT;
        long wait = bus_client_next_timer_ms(self);
        if (until - now < (uint64_t)wait) wait = (long)(until - now);
        if (zmq_poll(items, (int)n, wait) < 0 && zmq_errno() != EINTR) return -zmq_errno();
        if (zsys_interrupted) return BUS_ECLOSED;
    }
}

/* --- requests and replies ------------------------------------------------------------------ */

/* Deadlines are removed lazily: an entry matters while its request is pending with that due. */
static bool s_due_live(uint64_t due, uint64_t rid, void *arg)
{
    bus_client_t *self = arg;
    s_pending_t *p = zhashx_lookup(self->pending, &rid);
    return p && p->due_ms == due;
}

int bus_client_request(bus_client_t *self, const bus_call_t *call, uint64_t *rid_out,
                       codec_err_t *err)
{
    if (zhashx_size(self->pending) >= S_PENDING_MAX) {
        snprintf(err->text, sizeof err->text, "%d requests pending already", S_PENDING_MAX);
        return BUS_EBUSY;
    }
    uint64_t rid = call->rid ? call->rid : ++self->next_rid;
    if (zhashx_lookup(self->pending, &rid)) {
        snprintf(err->text, sizeof err->text, "request %" PRIu64 " is pending already", rid);
        return BUS_EINVALID;
    }
    uint32_t timeout = call->timeout_ms ? call->timeout_ms : S_DEFAULT_TIMEOUT;
    bus_envelope_t env = {.kind = BUS_KIND_REQUEST,
                          .rid = rid,
                          .service = (char *)call->service,
                          .instance = (char *)call->instance,
                          .timeout_ms = timeout,
                          .flags = call->flags};
    bus_buf_reset(&self->out);
    int rc = bus_frame_build(&self->out, NULL, &env, call->desc, call->body, err);
    if (rc) return rc;
    if (self->out.len > self->config->msg_max) {
        snprintf(err->text, sizeof err->text, "request of %zu bytes exceeds the limit of %u",
                 self->out.len, self->config->msg_max);
        return BUS_ETOOBIG;
    }
    /* Requests for one broker go through that broker's link. */
    int li = -1;
    if (call->service && strcmp(call->service, "broker") == 0 && call->instance)
        for (size_t k = 0; k < self->links_n; k++)
            if (strcmp(self->links[k].name, call->instance) == 0) li = (int)k;
    if (li < 0) li = s_choose_link(self, -1);
    rc = li < 0 ? -EAGAIN : s_send_raw(self, li, self->out.data, self->out.len);
    for (size_t k = 1; rc == -EAGAIN && k < self->links_n; k++) {
        li = s_choose_link(self, li);
        rc = s_send_raw(self, li, self->out.data, self->out.len);
    }
    if (rc) {
        snprintf(err->text, sizeof err->text, "no broker link can take the request: %s",
                 zmq_strerror(-rc));
        return BUS_EBUSY;
    }
    s_pending_t *p = malloc(sizeof *p + self->out.len);
    if (!p) abort();
    /* Give the broker time to say why a request failed before we give up here. */
    uint32_t grace = timeout / 10 < 50 ? 50 : timeout / 10 > 1000 ? 1000 : timeout / 10;
    *p = (s_pending_t){.rid = rid,
                       .due_ms = bus_now_ms() + timeout + grace,
                       .timeout_ms = timeout,
                       .flags = call->flags,
                       .link = li,
                       .user = call->user,
                       .frame_len = self->out.len};
    memcpy(p->frame, self->out.data, self->out.len);
    zhashx_insert(self->pending, &p->rid, p);
    /* The heap holds at most 4 entries per pending request: compaction always makes room. */
    if (bus_heap_push(self->due, p->due_ms, rid) != 0) {
        bus_heap_compact(self->due, s_due_live, self);
        bus_heap_push(self->due, p->due_ms, rid);
    }
    self->stats.sent++;
    *rid_out = rid;
    return 0;
}

/* Builds a reply frame into self->out. Whatever goes wrong (the body does not encode, the frame
 * is too large), the caller still gets an answer: an error with a fixed text. */
static void s_build_reply(bus_client_t *self, bus_envelope_t *env, const uint8_t *body, size_t len)
{
    codec_err_t err = {{0}};
    bus_buf_reset(&self->out);
    if (bus_frame_build_raw(&self->out, NULL, 0, env, body, len, &err) == 0 &&
        self->out.len <= self->config->msg_max)
        return;
    log_error("client.reply.unsendable", "rid=%" PRIu64 " bytes=%zu error=\"%s\"", env->rid,
              self->out.len, err.text);
    env->type = 0;
    env->status = self->out.len > self->config->msg_max ? BUS_ETOOBIG : BUS_EINTERNAL;
    env->error = env->status == BUS_ETOOBIG ? "the reply is larger than the bus carries"
                                            : "the service could not encode its reply";
    bus_buf_reset(&self->out);
    bus_frame_build_raw(&self->out, NULL, 0, env, NULL, 0, &err);
}

/* Sends the reply whose body is in self->body (empty for an error), and answers the copies of
 * the request waiting for it. */
static int s_reply(bus_client_t *self, const bus_reply_to_t *to, int status, const char *error,
                   uint32_t type)
{
    /* Error texts may quote what a peer sent, cut anywhere: keep them valid and bounded. */
    char text[4096];
    snprintf(text, sizeof text, "%s", error ? error : bus_err_str(status));
    codec_utf8_repair(text);
    bus_envelope_t env = {.kind = BUS_KIND_REPLY,
                          .type = type,
                          .rid = to->rid,
                          .status = status,
                          .error = status ? text : NULL};
    s_build_reply(self, &env, status ? NULL : self->body.data, status ? 0 : self->body.len);
    int rc;
    /* A reply to a request from an earlier run of the broker would meet a stranger's request. */
    bool ours = to->link >= 0 && (size_t)to->link < self->links_n;
    uint64_t epoch = ours ? self->links[to->link].epoch : 0;
    rc = !ours ? BUS_EINVALID
         : to->epoch && epoch && to->epoch != epoch
             ? BUS_ECLOSED
             : s_send_raw(self, to->link, self->out.data, self->out.len);
    s_cached_t *c = to->cache_key[0] ? zhashx_lookup(self->cache, to->cache_key) : NULL;
    if (c && !c->done) {
        c->done = true;
        c->status = env.status;
        c->type = env.type;
        c->error = env.error ? strdup(env.error) : NULL;
        c->body_len = env.status ? 0 : self->body.len;
        c->body = c->body_len ? malloc(c->body_len) : NULL;
        if (c->body_len) memcpy(c->body, self->body.data, c->body_len);
        self->cache_bytes += c->body_len;
        for (int i = 0; i < c->waiters_n; i++) {
            env.rid = c->waiters[i].rid;
            s_build_reply(self, &env, c->body, c->body_len);
            s_send_raw(self, c->waiters[i].link, self->out.data, self->out.len);
        }
        c->waiters_n = 0;
        s_cache_evict(self);
    }
    return rc;
}

int bus_client_reply(bus_client_t *self, const bus_reply_to_t *to, int status, const char *error,
                     const codec_msg_t *desc, const void *body)
{
    codec_err_t err;
    bus_buf_reset(&self->body);
    int rc = !status && desc ? codec_encode(desc, body, &self->body, &err) : 0;
    if (rc) {
        log_error("client.reply.encode", "error=\"%s\"", err.text);
        status = rc == BUS_ETOOBIG ? BUS_ETOOBIG : BUS_EINTERNAL;
        error = rc == BUS_ETOOBIG ? "the reply is larger than the bus carries"
                                  : "the service could not encode its reply";
        bus_buf_reset(&self->body);
    }
    return s_reply(self, to, status, error, !status && desc ? desc->type : 0);
}

int bus_client_reply_encoded(bus_client_t *self, const bus_reply_to_t *to, int status,
                             const char *error, uint32_t type, const uint8_t *body, size_t len)
{
    bus_buf_reset(&self->body);
    if (!status && len && bus_buf_append(&self->body, body, len) != 0) {
        status = BUS_ETOOBIG;
        error = "the reply is larger than the bus carries";
        bus_buf_reset(&self->body);
    }
    return s_reply(self, to, status, error, status ? 0 : type);
}

int bus_client_call(bus_client_t *self, const bus_call_t *call, bus_in_t *in, codec_err_t *err)
{
    if (self->offers_n) {
        snprintf(err->text, sizeof err->text, "bus_client_call is for clients that serve nothing");
        return BUS_EINVALID;
    }
    uint64_t rid;
    int rc = bus_client_request(self, call, &rid, err);
    if (rc) return rc;
    for (;;) {
        rc = bus_client_recv(self, in, -1);
        if (rc) {
            snprintf(err->text, sizeof err->text, "%s", bus_err_str(rc));
            return rc;
        }
        if (in->kind == BUS_KIND_REPLY && in->env->rid == rid) break;
    }
    if (in->env->status) {
        snprintf(err->text, sizeof err->text, "%s",
                 in->env->error ? in->env->error : bus_err_str(in->env->status));
        return in->env->status;
    }
    return 0;
}

int bus_client_offer(bus_client_t *self, const char *service, uint32_t credits)
{
    if (!bus_name_valid(service) || credits == 0 || credits > 65536) return BUS_EINVALID;
    size_t i = 0;
    while (i < self->offers_n && strcmp(self->offers[i].service, service)) i++;
    if (i == self->offers_n) {
        if (self->offers_n == S_OFFERS_MAX) return BUS_EBUSY;
        self->offers_n++;
    }
    snprintf(self->offers[i].service, sizeof self->offers[i].service, "%s", service);
    self->offers[i].credits = credits;
    for (size_t li = 0; li < self->links_n; li++) s_send_ready(self, (int)li);
    return 0;
}

/* --- life cycle ---------------------------------------------------------------------------- */

bus_client_t *bus_client_new(const bus_config_t *config, const char *name, char *err, size_t errlen)
{
    zcert_t *cert = bus_cert_load_secret(config->dir, name, err, errlen);
    if (!cert) return NULL;
    bus_client_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    snprintf(self->name, sizeof self->name, "%s", name);
    self->config = config;
    self->cert = cert;
    randombytes_buf(&self->next_rid, sizeof self->next_rid);
    self->next_rid >>= 1; /* rids from different runs should not collide; keep clear of wrap */
    self->pending = bus_map_u64_new();
    self->due = bus_heap_new(4 * S_PENDING_MAX);
    self->local = zlistx_new();
    self->cache = zhashx_new();
    zhashx_set_key_duplicator(self->cache, NULL);
    zhashx_set_key_destructor(self->cache, NULL);
    self->cache_order = zlistx_new();
    self->arena = bus_arena_new(4 * (size_t)config->msg_max);
    bus_buf_init(&self->out, (size_t)config->msg_max + 4096);
    bus_buf_init(&self->body, config->msg_max);
    self->log_bad.burst = 10;
    self->links = calloc(config->brokers_n, sizeof *self->links);
    if (!self->links) abort();
    uint64_t now = bus_now_ms();
    for (size_t i = 0; i < config->brokers_n; i++) {
        const bus_broker_conf_t *b = &config->brokers[i];
        s_link_t *link = &self->links[i];
        snprintf(link->name, sizeof link->name, "%s", b->name);
        if (!b->public_key[0]) {
            snprintf(err, errlen, "no certificate for broker %s in %s/certs", b->name, config->dir);
            bus_client_destroy(&self);
            return NULL;
        }
        link->sock = zsock_new(ZMQ_DEALER);
        link->raw = zsock_resolve(link->sock);
        zcert_apply(cert, link->sock);
        zsock_set_curve_serverkey(link->sock, b->public_key);
        zsock_set_sndhwm(link->sock, S_HWM);
        zsock_set_rcvhwm(link->sock, S_HWM);
        zsock_set_linger(link->sock, 200);
        zsock_set_reconnect_ivl(link->sock, 100);
        zsock_set_reconnect_ivl_max(link->sock, 1000);
        char endpoint[300];
        bus_config_endpoint(b, BUS_PORT_ROUTER, false, endpoint, sizeof endpoint);
        if (zsock_connect(link->sock, "%s", endpoint) != 0) {
            snprintf(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(zmq_errno()));
            self->links_n = i + 1;
            bus_client_destroy(&self);
            return NULL;
        }
        link->since_ms = now;
        self->links_n = i + 1;
        /* Say hello at once: the first heartbeat brings the broker's answer. */
        bus_envelope_t env = {.kind = BUS_KIND_HEARTBEAT};
        s_send_env(self, (int)i, &env, NULL, NULL);
    }
    self->rr = (size_t)randombytes_uniform((uint32_t)self->links_n);
    return self;
}

void bus_client_destroy(bus_client_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_client_t *self = *self_p;
    if (self->holding) zmq_msg_close(&self->held);
    for (size_t i = 0; i < self->links_n; i++) {
        bus_envelope_t env = {.kind = BUS_KIND_DISCONNECT};
        s_send_env(self, (int)i, &env, NULL, NULL);
        zsock_destroy(&self->links[i].sock);
    }
    free(self->links);
    if (self->pending) {
        zlistx_t *all = zhashx_values(self->pending);
        for (void *p = zlistx_first(all); p; p = zlistx_next(all)) free(p);
        zlistx_destroy(&all);
    }
    for (s_local_t *l = self->local ? zlistx_first(self->local) : NULL; l;
         l = zlistx_next(self->local))
        free(l);
    for (s_cached_t *c = self->cache_order ? zlistx_first(self->cache_order) : NULL; c;
         c = zlistx_next(self->cache_order)) {
        free(c->error);
        free(c->body);
        free(c);
    }
    zhashx_destroy(&self->pending);
    zhashx_destroy(&self->cache);
    zlistx_destroy(&self->cache_order);
    zlistx_destroy(&self->local);
    bus_heap_destroy(&self->due);
    bus_arena_destroy(&self->arena);
    bus_buf_free(&self->out);
    bus_buf_free(&self->body);
    zcert_destroy(&self->cert);
    free(self);
    *self_p = NULL;
}

size_t bus_client_alive(bus_client_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->links_n; i++) n += self->links[i].state == S_ALIVE;
    return n;
}

int bus_client_wait_alive(bus_client_t *self, size_t n, int timeout_ms)
{
    uint64_t until = bus_now_ms() + (uint64_t)timeout_ms;
    bus_in_t in;
    while (bus_client_alive(self) < n) {
        if (bus_now_ms() >= until) return BUS_ETIMEOUT;
        /* Anything that arrives meanwhile for the caller is dropped: call this first. */
        bus_client_recv(self, &in, 20);
    }
    return 0;
}

const bus_client_stats_t *bus_client_stats(const bus_client_t *self)
{
    return &self->stats;
}

const char *bus_client_name(const bus_client_t *self)
{
    return self->name;
}

/* --- selftest: a broker in a thread, a worker and a caller in this one --------------------- */

#include "bus_broker.h"

#include <sys/stat.h>

typedef struct {
    const bus_config_t *config;
    bus_broker_t *broker; /* set before the actor signals */
} s_broker_args_t;

static void s_broker_actor(zsock_t *pipe, void *arg)
{
    s_broker_args_t *a = arg;
    char err[256];
    a->broker = bus_broker_new(a->config, "b1", NULL, err, sizeof err);
    if (!a->broker) fprintf(stderr, "broker: %s\n", err);
    bus_broker_t *broker = a->broker;
    zsock_signal(pipe, 0);
    if (broker) bus_broker_run(broker);
    bus_broker_destroy(&broker);
}

/* Polls the worker (it heartbeats only while polled) and answers what it received, or, with
 * held given, keeps the requests unanswered there (at most 8). Returns how many came. */
static int s_serve(bus_client_t *worker, int timeout_ms, bus_reply_to_t *held, int *held_n)
{
    bus_in_t in;
    int n = 0;
    while (bus_client_recv(worker, &in, timeout_ms) == 0) {
        timeout_ms = 0;
        if (in.kind != BUS_KIND_REQUEST) continue;
        n++;
        if (held && *held_n < 8)
            held[(*held_n)++] = in.reply_to;
        else
            bus_client_reply(worker, &in.reply_to, 0, NULL, NULL, NULL);
    }
    return n;
}

static int s_await(bus_client_t *caller, bus_client_t *worker, uint64_t rid, bus_in_t *in,
                   bus_reply_to_t *held, int *held_n)
{
    for (int i = 0; i < 200; i++) {
        s_serve(worker, 0, held, held_n);
        if (bus_client_recv(caller, in, 20) == 0 && in->kind == BUS_KIND_REPLY &&
            in->env->rid == rid)
            return in->env->status;
    }
    return BUS_ETIMEOUT;
}

void bus_client_test(bool verbose)
{
    char dir[] = "/tmp/kubus-client-test-XXXXXX", err[256], path[300];
    assert(mkdtemp(dir));
    assert(bus_cert_create(dir, "broker", "b1", err, sizeof err) == 0);
    assert(bus_cert_create(dir, "echo", "w1", err, sizeof err) == 0);
    assert(bus_cert_create(dir, "admin", "c1", err, sizeof err) == 0);
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"heartbeat_ms\":100,\"msg_max\":1048576,\"brokers\":[{\"name\":\"b1\",\"host\":\"127."
          "0.0.1\","
          "\"ports\":{\"router\":0,\"publish\":0,\"subscribe\":0,\"tap\":0}}]}",
          f);
    fclose(f);
    int level = bus_log_level;
    bus_log_set_level(verbose ? BUS_LOG_DEBUG : BUS_LOG_ERROR);
    bus_config_t *bconf = bus_config_load(dir, err, sizeof err);
    s_broker_args_t args = {bconf, NULL};
    zactor_t *actor = zactor_new(s_broker_actor, &args);
    bus_broker_t *broker = args.broker;
    assert(broker);
    /* Clients read the ephemeral ports the broker wrote. */
    bus_config_t *conf = bus_config_load(dir, err, sizeof err);
    bus_client_t *worker = bus_client_new(conf, "w1", err, sizeof err);
    bus_client_t *caller = bus_client_new(conf, "c1", err, sizeof err);
    assert(worker && caller);
    assert(bus_client_wait_alive(caller, 1, 5000) == 0);
    assert(bus_client_offer(worker, "echo", 2) == 0);
    assert(bus_client_offer(worker, "Bad Name", 2) == BUS_EINVALID);
    assert(bus_client_wait_alive(worker, 1, 5000) == 0);

    /* A request and its reply; served_by names the instance. */
    codec_err_t cerr;
    uint64_t rid;
    bus_in_t in;
    bus_call_t call = {.service = "echo", .timeout_ms = 2000};
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == 0 &&
           strcmp(in.env->served_by, "w1") == 0);

    /* A named instance; one that does not exist fails at its deadline, saying so. */
    call.instance = "w1";
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == 0);
    call.instance = "w9";
    call.timeout_ms = 200;
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == BUS_ENOSERVICE);
    assert(strstr(in.env->error, "no instance w9 of service echo"));

    /* A service nobody serves, and a timeout when the worker never answers. */
    call = (bus_call_t){.service = "nobody", .timeout_ms = 200};
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == BUS_ENOSERVICE);
    call = (bus_call_t){.service = "echo", .timeout_ms = 200};
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    bus_reply_to_t held[8];
    int held_n = 0;
    assert(s_await(caller, worker, rid, &in, held, &held_n) == BUS_ETIMEOUT);
    assert(held_n == 1 && strstr(in.env->error, "deadline exceeded at worker w1"));
    /* Answered late: the broker drops the reply and the worker gets its credit back. */
    bus_client_reply(worker, &held[0], 0, NULL, NULL, NULL);

    /* The same request id again (a retry) after it was answered: replayed, not executed. */
    call = (bus_call_t){.service = "echo", .timeout_ms = 2000};
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == 0);
    uint64_t executed = bus_client_stats(worker)->executed;
    call.rid = rid;
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0 && rid == call.rid);
    assert(s_await(caller, worker, rid, &in, NULL, NULL) == 0);
    assert(bus_client_stats(worker)->executed == executed);
    assert(bus_client_stats(worker)->replayed == 1);
    /* A pending id cannot be reused. */
    call.rid = 0;
    assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
    call.rid = rid;
    assert(bus_client_request(caller, &call, &rid, &cerr) == BUS_EINVALID);
    s_await(caller, worker, rid, &in, NULL, NULL);

    /* A reply too large for the bus reaches its caller as an error, not as silence; so does an
     * error text that is not valid UTF-8 (repaired on the way). */
    bus_arena_t *ra = bus_arena_new(0);
    for (int k = 0; k < 2; k++) {
        call = (bus_call_t){.service = "echo", .timeout_ms = 2000};
        assert(bus_client_request(caller, &call, &rid, &cerr) == 0);
        bus_in_t req;
        while (bus_client_recv(worker, &req, 1000) == 0 && req.kind != BUS_KIND_REQUEST) continue;
        assert(req.kind == BUS_KIND_REQUEST);
        echo_reply_t huge = {.payload = {bus_arena_alloc(ra, conf->msg_max), conf->msg_max}};
        if (k == 0)
            bus_client_reply(worker, &req.reply_to, 0, NULL, &echo_reply_desc, &huge);
        else
            bus_client_reply(worker, &req.reply_to, BUS_EINVALID, "bad \xff text \xe2\x82", NULL,
                             NULL);
        int st = s_await(caller, worker, rid, &in, NULL, NULL);
        assert(k == 0 ? st == BUS_ETOOBIG && strstr(in.env->error, "larger than the bus")
                      : st == BUS_EINVALID && strcmp(in.env->error, "bad ? text ") == 0);
    }
    bus_arena_destroy(&ra);

    /* Oversize bodies are refused here, before they reach a broker. */
    bus_arena_t *a = bus_arena_new(0);
    echo_request_t big = {.payload = {bus_arena_alloc(a, conf->msg_max), conf->msg_max - 16}};
    call = (bus_call_t){.service = "echo", .desc = &echo_request_desc, .body = &big};
    assert(bus_client_request(caller, &call, &rid, &cerr) == BUS_ETOOBIG);
    bus_arena_destroy(&a);

    bus_client_destroy(&caller);
    bus_client_destroy(&worker);
    bus_broker_stop(broker);
    zactor_destroy(&actor);
    bus_config_destroy(&conf);
    bus_config_destroy(&bconf);
    bus_log_set_level(level);
    char *cmd;
    assert(asprintf(&cmd, "rm -rf %s", dir) > 0);
    assert(system(cmd) == 0);
    free(cmd);
}
