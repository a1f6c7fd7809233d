/* store_service: the member on the bus (the API is in store_service.h). Every request gets a
 * cookie holding where its answer goes; the member answers through s_reply, which frees it. */
#include "store_service.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_service.h"
#include "bus_time.h"
#include "store_log.h"
#include "store_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_FORWARD_MS  1000u /* a forward not answered this soon is sent again (to a new leader) */
#define S_PIECE       (1u << 20) /* snapshot bytes per request */
#define S_FETCH_MS    30000u
#define S_HAND_OFF_MS 1000u /* a stopping leader waits this long for another to take over */

typedef struct {
    bus_reply_to_t to;
    uint64_t deadline_ms; /* when its caller stops waiting */
} s_cookie_t;

/* A write forwarded to the leader, kept until it answers so that it can go again. */
typedef struct {
    store_service_t *self;
    s_cookie_t *cookie;
    size_t len;
    uint8_t data[];
} s_fwd_t;

/* A snapshot being fetched from the leader. */
typedef struct {
    bool active;
    char from[STORE_NAME_MAX + 1];
    uint64_t index, offset, size;
    int fd;
    uint8_t digest[STORE_SNAP_DIGEST];
    crypto_generichash_state hash;
} s_fetch_t;

struct store_service_t {
    store_service_config_t cfg;
    char dir[4096];
    char name[STORE_NAME_MAX + 1];
    bus_service_t *svc;
    store_member_t *m;
    bus_arena_t *arena;
    s_fetch_t fetch;
    bool publish_allowed; /* changes are published on their keys under /registry/ */
    bus_log_limit_t log_send;
};

void store_service_raft_topic(uint64_t member, char *out, size_t cap)
{
    snprintf(out, cap, "/store/raft/%016" PRIx64, member);
}

/* --- the member's callbacks ---------------------------------------------------------------- */

static void s_send(void *arg, const raft_msg_t *m)
{
    store_service_t *self = arg;
    store_raft_t w;
    bus_arena_reset(self->arena);
    if (store_member_to_wire(self->m, m, &w, self->arena) != 0) return;
    char topic[64];
    store_service_raft_topic(m->to, topic, sizeof topic);
    codec_err_t err;
    int rc = bus_service_publish(self->svc, topic, &store_raft_desc, &w, &err);
    if (rc)
        bus_log_limited(&self->log_send, BUS_LOG_WARN, "store.send",
                        "to=%016" PRIx64 " error=\"%s\"", m->to, err.text);
}

static void s_reply(void *arg, void *cookie, int status, const char *error, uint32_t type,
                    const uint8_t *body, size_t len)
{
    store_service_t *self = arg;
    s_cookie_t *c = cookie;
    bus_client_reply_encoded(bus_service_client(self->svc), &c->to, status, error, type, body, len);
    free(c);
}

/* The answer to a forwarded call, passed on as it came. */
static void s_relay(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_cookie_t *c = arg;
    bus_client_reply_encoded(bus_service_client(svc), &c->to, in->env->status, in->env->error,
                             in->env->type, in->body, in->body_len);
    free(c);
}

static void s_fwd_free(void *arg)
{
    s_fwd_t *f = arg;
    free(f->cookie);
    free(f);
}

/* The leader's answer; or, when the leader could not be reached (it died, or is no longer
 * one), the write goes back to the member, which sends it to whoever leads by then. Sending it
 * twice is safe: the origin makes the second an echo of the first. */
static void s_forwarded(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_fwd_t *f = arg;
    int status = in->env->status;
    bool again = status == BUS_ETIMEOUT || status == BUS_EWORKERLOST || status == BUS_ENOSERVICE ||
                 status == BUS_EUNAVAILABLE;
    if (again && bus_now_ms() + 50 < f->cookie->deadline_ms) {
        store_member_resubmit(f->self->m, f->cookie, f->data, f->len);
    } else {
        bus_client_reply_encoded(bus_service_client(svc), &f->cookie->to, status, in->env->error,
                                 in->env->type, in->body, in->body_len);
        free(f->cookie);
    }
    free(f);
}

static void s_forward(void *arg, void *cookie, const char *leader, const uint8_t *data, size_t len)
{
    store_service_t *self = arg;
    s_cookie_t *c = cookie;
    store_proposal_t *p;
    codec_err_t err;
    bus_arena_reset(self->arena);
    int rc = codec_decode(&store_proposal_desc, data, len, self->arena, (void **)&p, &err);
    uint64_t now = bus_now_ms(), left = c->deadline_ms > now ? c->deadline_ms - now : 1;
    bus_call_t call = {.service = "store",
                       .instance = leader,
                       .desc = &store_proposal_desc,
                       .body = p,
                       .timeout_ms = (uint32_t)(left < S_FORWARD_MS ? left : S_FORWARD_MS),
                       .flags = BUS_FLAG_ONCE | BUS_FLAG_PRESENT};
    s_fwd_t *f = malloc(sizeof *f + len);
    if (!f) abort();
    *f = (s_fwd_t){self, c, len};
    memcpy(f->data, data, len);
    if (!rc) rc = bus_service_call(self->svc, &call, s_forwarded, f, s_fwd_free, &err);
    if (rc) {
        bus_client_reply(bus_service_client(self->svc), &c->to, rc, err.text, NULL, NULL);
        s_fwd_free(f);
    }
}

static void s_change(void *arg, const char *key, const uint8_t *body, size_t len)
{
    store_service_t *self = arg;
    if (strncmp(key, "/registry/", 10) != 0) return; /* the only keys the role may publish */
    codec_err_t err;
    bus_service_publish_encoded(self->svc, key, store_event_desc.type, body, len, &err);
}

/* --- fetching a snapshot ------------------------------------------------------------------- */

static void s_fetch_end(store_service_t *self, int rc, const char *why)
{
    s_fetch_t *f = &self->fetch;
    if (f->fd >= 0) {
        if (!rc && fsync(f->fd) != 0) rc = -errno;
        close(f->fd);
    }
    f->fd = -1;
    f->active = false;
    if (rc)
        log_warn("store.snapshot.fetch", "from=%s index=%" PRIu64 " error=\"%s\"", f->from,
                 f->index, why ? why : bus_err_str(rc));
    store_member_snapshot_fetched(self->m, f->index, rc);
}

static void s_fetch_next(store_service_t *self);

static void s_fetch_piece(bus_service_t *svc, bus_in_t *in, void *arg)
{
    store_service_t *self = arg;
    s_fetch_t *f = &self->fetch;
    if (!f->active) return;
    if (in->env->status) {
        s_fetch_end(self, in->env->status, in->env->error);
        return;
    }
    store_snapshot_reply_t *r;
    codec_err_t err;
    bus_arena_reset(self->arena);
    int rc = bus_frame_body(&in->frame, &store_snapshot_reply_desc, self->arena, (void **)&r, &err);
    if (rc || r->index != f->index || r->offset != f->offset ||
        r->digest.len != STORE_SNAP_DIGEST ||
        (f->offset &&
         (r->size != f->size || memcmp(r->digest.data, f->digest, STORE_SNAP_DIGEST))) ||
        (!r->data.len && f->offset < r->size)) {
        s_fetch_end(self, BUS_EMALFORMED, rc ? err.text : "the pieces do not fit together");
        return;
    }
    if (!f->offset) {
        f->size = r->size;
        memcpy(f->digest, r->digest.data, STORE_SNAP_DIGEST);
    }
    if (r->data.len && write(f->fd, r->data.data, r->data.len) != (ssize_t)r->data.len) {
        s_fetch_end(self, -errno, strerror(errno));
        return;
    }
    crypto_generichash_update(&f->hash, r->data.data, r->data.len);
    f->offset += r->data.len;
    if (f->offset < f->size) {
        s_fetch_next(self);
        return;
    }
    uint8_t got[STORE_SNAP_DIGEST];
    crypto_generichash_final(&f->hash, got, sizeof got);
    if (memcmp(got, f->digest, sizeof got) != 0) {
        s_fetch_end(self, BUS_EMALFORMED, "the snapshot's digest does not match");
        return;
    }
    log_info("store.snapshot.fetched", "from=%s index=%" PRIu64 " bytes=%" PRIu64, f->from,
             f->index, f->size);
    s_fetch_end(self, 0, NULL);
}

static void s_fetch_next(store_service_t *self)
{
    s_fetch_t *f = &self->fetch;
    store_snapshot_request_t req = {.index = f->index, .offset = f->offset, .len = S_PIECE};
    bus_call_t call = {.service = "store",
                       .instance = f->from,
                       .desc = &store_snapshot_request_desc,
                       .body = &req,
                       .timeout_ms = S_FETCH_MS};
    codec_err_t err;
    int rc = bus_service_call(self->svc, &call, s_fetch_piece, self, NULL, &err);
    if (rc) s_fetch_end(self, rc, err.text);
}

static void s_fetch(void *arg, const char *from, uint64_t index, const char *path)
{
    store_service_t *self = arg;
    s_fetch_t *f = &self->fetch;
    if (f->active) return; /* the member asks for one at a time */
    *f = (s_fetch_t){.active = true, .index = index, .fd = -1};
    snprintf(f->from, sizeof f->from, "%s", from);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        s_fetch_end(self, -errno, strerror(errno));
        return;
    }
    crypto_generichash_init(&f->hash, NULL, 0, STORE_SNAP_DIGEST);
    s_fetch_next(self);
}

/* --- requests ------------------------------------------------------------------------------ */

static s_cookie_t *s_cookie(bus_in_t *in)
{
    s_cookie_t *c = malloc(sizeof *c);
    if (!c) abort();
    c->to = in->reply_to;
    c->deadline_ms = bus_now_ms() + (in->env->timeout_ms ? in->env->timeout_ms : 30000);
    return c;
}

/* The member's answer to a request it refused at once. */
static void s_refused(store_service_t *self, s_cookie_t *c, int rc, const char *err)
{
    if (rc == RAFT_ENOTLEADER) rc = BUS_EUNAVAILABLE;
    bus_client_reply(bus_service_client(self->svc), &c->to, rc, err, NULL, NULL);
    free(c);
}

static void s_on_txn(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_txn(self->m, c, in->reply_to.cache_key, msg, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_proposal(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    const char *caller = in->env->caller ? in->env->caller : "";
    if (strncmp(caller, "store/", 6) != 0) {
        bus_client_reply(bus_service_client(svc), &in->reply_to, BUS_EFORBIDDEN,
                         "store: only members forward proposals", NULL, NULL);
        return;
    }
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_propose(self->m, c, in->body, in->body_len, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_range(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_range(self->m, c, msg, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_watch(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_watch(self->m, c, msg, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_compact(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_compact(self->m, c, in->reply_to.cache_key,
                                  ((store_compact_request_t *)msg)->revision, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_member(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    store_member_request_t *req = msg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_member(self->m, c, (int)req->action, req->name, err, sizeof err);
    if (rc != RAFT_ENOTLEADER) {
        if (rc) s_refused(self, c, rc, err);
        return;
    }
    /* Membership changes are the leader's: ask it. */
    const char *leader = store_member_name_of(self->m, store_member_leader(self->m));
    bus_call_t call = {.service = "store",
                       .instance = leader,
                       .desc = &store_member_request_desc,
                       .body = req,
                       .timeout_ms = S_FORWARD_MS,
                       .flags = BUS_FLAG_ONCE};
    codec_err_t cerr;
    if (!leader || !store_member_leader(self->m) ||
        bus_service_call(svc, &call, s_relay, c, free, &cerr) != 0)
        s_refused(self, c, BUS_EUNAVAILABLE, "store: no leader to take the change; try again");
}

static void s_on_status(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    store_member_status(self->m, s_cookie(in));
}

static void s_on_snapshot(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_snapshot(self->m, c, msg, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_defrag(bus_service_t *svc, bus_in_t *in, void *msg, void *arg)
{
    store_service_t *self = arg;
    s_cookie_t *c = s_cookie(in);
    char err[1024];
    int rc = store_member_defrag(self->m, c, err, sizeof err);
    if (rc) s_refused(self, c, rc, err);
}

static void s_on_raft(bus_service_t *svc, bus_event_t *ev, void *arg)
{
    store_service_t *self = arg;
    store_raft_t *w;
    codec_err_t err;
    bus_arena_reset(self->arena);
    if (bus_frame_body(&ev->frame, &store_raft_desc, self->arena, (void **)&w, &err) != 0) {
        bus_log_limited(&self->log_send, BUS_LOG_WARN, "store.raft.bad", "error=\"%s\"", err.text);
        return;
    }
    /* The broker stamps the publisher: "store/NAME". */
    const char *caller = ev->env->caller, *slash = caller ? strchr(caller, '/') : NULL;
    if (!caller || strncmp(caller, "store/", 6) != 0 || !slash) return;
    store_member_step(self->m, w, slash + 1);
}

/* --- the loop ------------------------------------------------------------------------------ */

static void s_poll(bus_service_t *svc, void *arg)
{
    store_member_poll(((store_service_t *)arg)->m);
}

static void s_tick(bus_service_t *svc, void *arg)
{
    store_service_t *self = arg;
    store_member_tick(self->m);
    bus_service_after(svc, self->cfg.tick_ms, s_tick, self, NULL);
}

store_service_t *store_service_new(const store_service_config_t *cfg, char *err, size_t errlen)
{
    if (sodium_init() < 0) abort();
    store_service_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->cfg = *cfg;
    if (!self->cfg.tick_ms) self->cfg.tick_ms = 50;
    if (!self->cfg.credits) self->cfg.credits = 10000;
    snprintf(self->dir, sizeof self->dir, "%s", cfg->dir);
    snprintf(self->name, sizeof self->name, "%s", cfg->member.name);
    self->fetch.fd = -1;
    self->log_send.burst = 10;
    self->arena = bus_arena_new((size_t)256 << 20);
    self->svc = bus_service_new(self->dir, self->name, err, errlen);
    if (!self->svc) {
        store_service_destroy(&self);
        return NULL;
    }
    store_member_io_t io = {.arg = self,
                            .send = s_send,
                            .reply = s_reply,
                            .forward = s_forward,
                            .change = s_change,
                            .fetch = s_fetch};
    self->m = store_member_new(&self->cfg.member, &io, err, errlen);
    if (!self->m) {
        store_service_destroy(&self);
        return NULL;
    }
    bus_service_t *svc = self->svc;
    bus_service_on(svc, &store_txn_request_desc, s_on_txn, self);
    bus_service_on(svc, &store_proposal_desc, s_on_proposal, self);
    bus_service_on(svc, &store_range_request_desc, s_on_range, self);
    bus_service_on(svc, &store_watch_request_desc, s_on_watch, self);
    bus_service_on(svc, &store_compact_request_desc, s_on_compact, self);
    bus_service_on(svc, &store_member_request_desc, s_on_member, self);
    bus_service_on(svc, &store_status_request_desc, s_on_status, self);
    bus_service_on(svc, &store_snapshot_request_desc, s_on_snapshot, self);
    bus_service_on(svc, &store_defrag_request_desc, s_on_defrag, self);
    char topic[64];
    store_service_raft_topic(store_member_id(self->m), topic, sizeof topic);
    int rc = bus_service_subscribe(svc, topic, s_on_raft, self);
    /* Early: a PUB socket loses what it sends before its connections are up. */
    if (!rc) rc = bus_service_open_publisher(svc);
    if (!rc) rc = bus_service_poll_fd(svc, store_member_fd(self->m), s_poll, self);
    if (!rc) rc = bus_service_offer(svc, "store", self->cfg.credits);
    if (rc) {
        snprintf(err, errlen, "store: cannot start serving: %s", bus_err_str(rc));
        store_service_destroy(&self);
        return NULL;
    }
    bus_service_on_drained(svc, s_poll, self);
    bus_service_after(svc, self->cfg.tick_ms, s_tick, self, NULL);
    return self;
}

static bool s_handed_off(void *arg)
{
    store_service_t *self = arg;
    return store_member_hand_off(self->m) != 0;
}

static bool s_never(void *arg)
{
    return false;
}

int store_service_run(store_service_t *self)
{
    int rc = bus_service_run(self->svc);
    /* A leader asked to stop hands over first: the others go on without waiting out an election
     * timeout. Then a moment for the writes that waited to reach the new leader. */
    if (rc == 0 && store_member_hand_off(self->m) == 0) {
        uint64_t t0 = bus_now_ms();
        int done = bus_service_run_until(self->svc, S_HAND_OFF_MS, s_handed_off, self);
        log_info("store.stopping", "hand_off=%s ms=%" PRIu64, done == 0 ? "done" : "timed out",
                 bus_now_ms() - t0);
        if (done == 0) bus_service_run_until(self->svc, 150, s_never, NULL);
    }
    return rc;
}

void store_service_destroy(store_service_t **self_p)
{
    if (!self_p || !*self_p) return;
    store_service_t *self = *self_p;
    if (self->fetch.fd >= 0) close(self->fetch.fd);
    /* The member answers what waits ("closed") through the service, so it goes first. */
    store_member_destroy(&self->m);
    bus_service_destroy(&self->svc);
    bus_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}
