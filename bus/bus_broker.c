/* bus_broker: routing, liveness, events and the tap. Raw libzmq messages on the hot path (no
 * czmq frame objects); czmq for sockets, certificates and the ZAP actor.
 *
 * A request's life: it arrives from a client (a peer on the router), becomes an s_req_t keyed by a
 * broker request id (brid), is either sent to a worker slot (a worker's offer of one service) or
 * queued on its service, and ends when the worker replies, its deadline passes, or its worker is
 * lost and it cannot be sent elsewhere. Every path ends in exactly one reply to the client. */
#include "bus_broker.h"
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_frame.h"
#include "bus_heap.h"
#include "bus_log.h"
#include "bus_map.h"
#include "bus_role.h"
#include "bus_time.h"
#include "bus_zap.h"

#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_BATCH        512 /* messages read from one socket before looking at the others */
#define S_ATTEMPTS_MAX 3   /* a request is sent to at most this many workers */
#define S_ID_MAX       255 /* ZeroMQ routing ids are at most 255 bytes */
#define S_KEY_MAX      (2 * S_ID_MAX + 1)
#define S_HWM          100000
#define S_SOCKETS      4

typedef struct s_service_t s_service_t;
typedef struct s_peer_t s_peer_t;
typedef struct s_slot_t s_slot_t;
typedef struct s_req_t s_req_t;

struct s_peer_t {
    char key[S_KEY_MAX]; /* routing id in hex: the table key */
    uint8_t id[S_ID_MAX];
    size_t id_len;
    char user[161]; /* role/name from the handshake */
    const char *name;
    const kubus_role_t *role;
    uint64_t last_seen_ms;
    uint64_t last_sent_ms;
    s_slot_t *slots; /* this peer's offers, linked by next_of_peer */
    bool doomed;     /* to be purged at the next reap; its slots take no more requests */
    char doom_reason[48];
    uint32_t held; /* this caller's requests held here (queued or at workers) */
};

struct s_slot_t {
    s_peer_t *worker;
    s_service_t *service;
    uint32_t credits;
    uint32_t inflight;
    void *all_handle;  /* in service->slots */
    void *idle_handle; /* in service->idle while it has free credit */
    s_slot_t *next_of_peer;
    s_req_t *reqs; /* requests at this worker, linked by prev/next */
};

struct s_service_t {
    char name[65];
    zlistx_t *slots; /* every offer */
    zlistx_t *idle;  /* offers with free credit, least recently used first */
    zlistx_t *queue; /* requests for any instance waiting for a slot, oldest first */
    zhashx_t *named; /* instance -> zlistx_t of requests waiting for that instance */
    size_t queued;   /* in queue and in every named list */
};

struct s_req_t {
    uint64_t brid;
    uint64_t client_rid;
    uint64_t deadline_ms;
    uint32_t type;
    uint32_t flags;
    uint32_t attempt;
    bool expired; /* the client got its timeout; kept only to hold the worker's credit */
    s_service_t *service;
    s_slot_t *slot;
    s_req_t *prev, *next;
    zlistx_t *queue_list; /* the list it waits in, or NULL */
    void *queue_handle;
    char *client_key; /* the client's connection */
    char *dedupe;     /* client key + "/" + client rid */
    char *caller;     /* role/name of the client */
    char *instance;   /* "" for any */
    uint8_t *client_id;
    size_t client_id_len;
    uint8_t *body; /* the request's body, kept for a re-send */
    size_t body_len;
    uint8_t data[]; /* body, client id, dedupe, caller, instance: sized exactly */
};

typedef struct {
    uint64_t requests, replies, errors, timeouts, workers_lost, redispatched, malformed, refused,
        events, events_refused, subscriptions_refused, tap_records, oversize, abandoned;
} s_counters_t;

struct bus_broker_t {
    char name[64];
    const bus_config_t *config;
    uint64_t epoch;
    uint64_t started_ms;
    bus_broker_limits_t limits;
    zcert_t *cert;
    bus_zap_t *zap;
    zsock_t *socks[S_SOCKETS]; /* router, publish (XSUB), subscribe (XPUB), tap (XPUB) */
    void *raw[S_SOCKETS];
    zsock_t *monitors[S_SOCKETS];
    uint16_t ports[S_SOCKETS];
    zhashx_t *peers;    /* key -> s_peer_t */
    zhashx_t *services; /* name -> s_service_t */
    zhashx_t *reqs;     /* brid -> s_req_t */
    zhashx_t *dedupe;   /* client key/rid -> s_req_t */
    bus_heap_t *deadlines;
    uint64_t next_brid;
    uint64_t bytes_held;
    uint64_t next_tick_ms;
    uint64_t tap_seq;
    int64_t tap_subs;   /* distinct tap subscriptions: nothing is mirrored while there are none */
    zhashx_t *taps;     /* prefix -> number of subscriptions to it */
    bus_arena_t *arena; /* per message */
    bus_buf_t out;      /* per message */
    bus_buf_t tap_out;
    s_counters_t count;
    bus_log_limit_t log_bad, log_refused, log_info;
    zlistx_t *doomed; /* keys of peers to purge at the next reap */
    volatile int stop;
    bool fatal;
};

static const char *s_sock_names[S_SOCKETS] = {"router", "publish", "subscribe", "tap"};
static const char *s_zap_domains[S_SOCKETS] = {BUS_ZAP_ROUTER, BUS_ZAP_PUBLISH, BUS_ZAP_SUBSCRIBE,
                                               BUS_ZAP_TAP};

static void s_tap(bus_broker_t *self, uint32_t socket, uint32_t direction, const char *peer,
                  const char *topic, const void *data, size_t len, uint64_t request_rid);
static void s_dispatch(bus_broker_t *self, s_req_t *req);
static void s_status(bus_broker_t *self, s_peer_t *peer, bus_frame_t *f, uint64_t now);

/* --- helpers ------------------------------------------------------------------------------- */

static void s_hex(const uint8_t *id, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * len] = 0;
}

static uint32_t s_limit(uint32_t v, uint32_t def)
{
    return v ? v : def;
}

/* Sends one frame to a router peer. 0, or -EHOSTUNREACH (gone) / -EAGAIN (its queue is full). */
static int s_send_to(bus_broker_t *self, const uint8_t *id, size_t id_len, const void *data,
                     size_t len)
{
    if (zmq_send(self->raw[0], id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return -zmq_errno();
    if (zmq_send(self->raw[0], data, len, ZMQ_DONTWAIT) < 0) return -zmq_errno();
    return 0;
}

/* Builds env(+body) into self->out and sends it to a router peer. The tap already holds every
 * frame that came in, so only what the broker says itself (tap = true) is mirrored going out. */
static int s_send_frame(bus_broker_t *self, const uint8_t *id, size_t id_len, const char *peer_user,
                        bus_envelope_t *env, const uint8_t *body, size_t body_len, bool tap)
{
    codec_err_t err;
    bus_buf_reset(&self->out);
    if (bus_frame_build_raw(&self->out, NULL, 0, env, body, body_len, &err)) {
        log_error("broker.encode", "error=\"%s\"", err.text);
        return BUS_EINTERNAL;
    }
    int rc = s_send_to(self, id, id_len, self->out.data, self->out.len);
    if (rc == 0 && tap && self->tap_subs > 0) {
        char topic[96];
        snprintf(topic, sizeof topic, "%s/%s", codec_enum_name(&bus_kind_enum, env->kind),
                 env->service ? env->service : "");
        s_tap(self, BUS_SOCKET_ROUTER, BUS_DIRECTION_OUT, peer_user, topic, self->out.data,
              self->out.len, 0);
    }
    return rc;
}

static int s_send_env(bus_broker_t *self, const uint8_t *id, size_t id_len, const char *peer_user,
                      bus_envelope_t *env, const uint8_t *body, size_t body_len)
{
    return s_send_frame(self, id, id_len, peer_user, env, body, body_len, true);
}

static void s_reply_error(bus_broker_t *self, const uint8_t *id, size_t id_len, const char *user,
                          uint64_t rid, const char *service, int code, const char *text)
{
    bus_envelope_t env = {.kind = BUS_KIND_REPLY,
                          .rid = rid,
                          .status = code,
                          .error = (char *)text,
                          .service = (char *)service,
                          .served_by = self->name};
    self->count.errors++;
    s_send_env(self, id, id_len, user, &env, NULL, 0);
}

/* --- peers and slots ----------------------------------------------------------------------- */

static void s_slot_idle_update(s_slot_t *slot)
{
    bool free_credit = slot->inflight < slot->credits;
    if (free_credit && !slot->idle_handle)
        slot->idle_handle = zlistx_add_end(slot->service->idle, slot);
    else if (!free_credit && slot->idle_handle) {
        zlistx_delete(slot->service->idle, slot->idle_handle);
        slot->idle_handle = NULL;
    }
}

static s_service_t *s_service_get(bus_broker_t *self, const char *name, bool create)
{
    s_service_t *svc = zhashx_lookup(self->services, name);
    if (svc || !create) return svc;
    if (zhashx_size(self->services) >= self->limits.services_max) return NULL;
    svc = calloc(1, sizeof *svc);
    if (!svc) abort();
    snprintf(svc->name, sizeof svc->name, "%s", name);
    svc->slots = zlistx_new();
    svc->idle = zlistx_new();
    svc->queue = zlistx_new();
    svc->named = zhashx_new();
    zhashx_insert(self->services, svc->name, svc);
    return svc;
}

static void s_service_free(s_service_t *svc)
{
    for (zlistx_t *l = zhashx_first(svc->named); l; l = zhashx_next(svc->named)) zlistx_destroy(&l);
    zhashx_destroy(&svc->named);
    zlistx_destroy(&svc->slots);
    zlistx_destroy(&svc->idle);
    zlistx_destroy(&svc->queue);
    free(svc);
}

/* The list requests for instance wait in ("" is any instance). */
static zlistx_t *s_queue_for(s_service_t *svc, const char *instance, bool create)
{
    if (!instance[0]) return svc->queue;
    zlistx_t *l = zhashx_lookup(svc->named, instance);
    if (!l && create) {
        l = zlistx_new();
        zhashx_insert(svc->named, instance, l);
    }
    return l;
}

static void s_enqueue(s_req_t *req, bool front)
{
    s_service_t *svc = req->service;
    req->queue_list = s_queue_for(svc, req->instance, true);
    req->queue_handle =
        front ? zlistx_add_start(req->queue_list, req) : zlistx_add_end(req->queue_list, req);
    svc->queued++;
}

static void s_dequeue(s_req_t *req)
{
    if (!req->queue_handle) return;
    s_service_t *svc = req->service;
    zlistx_delete(req->queue_list, req->queue_handle);
    svc->queued--;
    if (req->queue_list != svc->queue && zlistx_size(req->queue_list) == 0) {
        zlistx_t *l = req->queue_list;
        zhashx_delete(svc->named, req->instance);
        zlistx_destroy(&l);
    }
    req->queue_list = NULL;
    req->queue_handle = NULL;
}

/* Services with no worker and nothing waiting are forgotten here, from the tick only: deleting
 * one in the middle of an operation could pull it from under a caller. */
static void s_services_collect(bus_broker_t *self)
{
    zlistx_t *all = zhashx_values(self->services);
    for (s_service_t *svc = zlistx_first(all); svc; svc = zlistx_next(all)) {
        if (zlistx_size(svc->slots) || svc->queued) continue;
        zhashx_delete(self->services, svc->name);
        s_service_free(svc);
    }
    zlistx_destroy(&all);
}

static void s_req_free(bus_broker_t *self, s_req_t *req)
{
    s_peer_t *client = zhashx_lookup(self->peers, req->client_key);
    if (client && client->held) client->held--;
    zhashx_delete(self->reqs, &req->brid);
    if (zhashx_lookup(self->dedupe, req->dedupe) == req) zhashx_delete(self->dedupe, req->dedupe);
    self->bytes_held -= req->body_len;
    free(req);
}

static void s_req_unlink(s_req_t *req)
{
    s_slot_t *slot = req->slot;
    if (!slot) return;
    if (req->prev)
        req->prev->next = req->next;
    else
        slot->reqs = req->next;
    if (req->next) req->next->prev = req->prev;
    req->prev = req->next = NULL;
    req->slot = NULL;
    slot->inflight--;
    s_slot_idle_update(slot);
}

/* Answers a request's client with an error and forgets the request. */
static void s_req_fail(bus_broker_t *self, s_req_t *req, int code, const char *text)
{
    if (!req->expired)
        s_reply_error(self, req->client_id, req->client_id_len, req->caller, req->client_rid,
                      req->service->name, code, text);
    s_dequeue(req);
    s_req_unlink(req);
    s_req_free(self, req);
}

static void s_slot_remove(bus_broker_t *self, s_slot_t *slot, const char *why)
{
    s_service_t *svc = slot->service;
    if (slot->idle_handle) zlistx_delete(svc->idle, slot->idle_handle);
    zlistx_delete(svc->slots, slot->all_handle);
    /* Its requests go to another worker, unless they may only run once or ran out of tries. */
    s_req_t *req = slot->reqs;
    while (req) {
        s_req_t *next = req->next;
        req->slot = NULL;
        req->prev = req->next = NULL;
        if (req->expired) {
            s_req_free(self, req);
        } else if ((req->flags & BUS_FLAG_ONCE) || req->attempt + 1 >= S_ATTEMPTS_MAX) {
            char text[256];
            snprintf(text, sizeof text, "worker %s lost while handling the request (%s)",
                     slot->worker->name, why);
            self->count.workers_lost++;
            s_reply_error(self, req->client_id, req->client_id_len, req->caller, req->client_rid,
                          svc->name, BUS_EWORKERLOST, text);
            s_req_free(self, req);
        } else {
            req->attempt++;
            self->count.redispatched++;
            s_dispatch(self, req);
        }
        req = next;
    }
    free(slot);
}

/* Marks a peer for purging: from now on its slots take nothing. Purging itself happens in
 * s_reap, at one safe point of the loop, so a failure found deep inside a dispatch never frees
 * something a caller still holds. */
static void s_peer_doom(bus_broker_t *self, s_peer_t *peer, const char *why)
{
    if (peer->doomed) return;
    peer->doomed = true;
    snprintf(peer->doom_reason, sizeof peer->doom_reason, "%s", why);
    for (s_slot_t *s = peer->slots; s; s = s->next_of_peer) {
        s->credits = 0;
        s_slot_idle_update(s);
    }
    zlistx_add_end(self->doomed, strdup(peer->key));
}

static void s_peer_purge(bus_broker_t *self, s_peer_t *peer)
{
    const char *why = peer->doom_reason;
    if (peer->slots)
        log_info("broker.worker.lost", "worker=%s reason=\"%s\"", peer->user, why);
    else
        log_debug("broker.peer.gone", "peer=%s reason=\"%s\"", peer->user, why);
    /* Doomed peers have no credit left, so re-dispatch never picks this peer again. */
    s_slot_t *slots = peer->slots;
    peer->slots = NULL;
    while (slots) {
        s_slot_t *next = slots->next_of_peer;
        s_slot_remove(self, slots, why);
        slots = next;
    }
    zhashx_delete(self->peers, peer->key);
    free(peer);
}

/* Purges every doomed peer; purging may doom more (a re-dispatch that fails), so loop. */
static void s_reap(bus_broker_t *self)
{
    char *key;
    while ((key = zlistx_first(self->doomed))) {
        zlistx_delete(self->doomed, zlistx_cursor(self->doomed));
        s_peer_t *peer = zhashx_lookup(self->peers, key);
        free(key);
        if (peer) s_peer_purge(self, peer);
    }
}

/* A new connection's record, from the User-Id its handshake set. NULL when there are too many
 * or the User-Id is not "role/name" of a known role. */
static s_peer_t *s_peer_new(bus_broker_t *self, const uint8_t *id, size_t id_len, const char *key,
                            const char *user)
{
    s_peer_t *peer;
    if (zhashx_size(self->peers) >= self->limits.peers_max) return NULL;
    char role[64];
    const char *slash = strchr(user, '/');
    if (!slash || (size_t)(slash - user) >= sizeof role || strlen(user) >= sizeof peer->user)
        return NULL;
    memcpy(role, user, (size_t)(slash - user));
    role[slash - user] = 0;
    const kubus_role_t *r = bus_role_find(role);
    if (!r) return NULL;
    peer = calloc(1, sizeof *peer);
    if (!peer) abort();
    snprintf(peer->key, sizeof peer->key, "%s", key);
    memcpy(peer->id, id, id_len);
    peer->id_len = id_len;
    snprintf(peer->user, sizeof peer->user, "%s", user);
    peer->name = peer->user + (slash - user) + 1;
    peer->role = r;
    zhashx_insert(self->peers, peer->key, peer);
    return peer;
}

/* --- requests ------------------------------------------------------------------------------ */

static s_slot_t *s_pick(s_service_t *svc, const char *instance)
{
    if (!instance[0]) {
        s_slot_t *slot = zlistx_first(svc->idle);
        return slot;
    }
    for (s_slot_t *slot = zlistx_first(svc->slots); slot; slot = zlistx_next(svc->slots))
        if (slot->inflight < slot->credits && strcmp(slot->worker->name, instance) == 0)
            return slot;
    return NULL;
}

/* Whether a live worker of svc (named instance, if given) is connected, busy or not. */
static bool s_present(s_service_t *svc, const char *instance)
{
    for (s_slot_t *slot = zlistx_first(svc->slots); slot; slot = zlistx_next(svc->slots))
        if (!slot->worker->doomed && (!instance[0] || strcmp(slot->worker->name, instance) == 0))
            return true;
    return false;
}

/* Sends req to slot's worker. 0 on success; otherwise the worker is unusable. */
static int s_send_to_worker(bus_broker_t *self, s_slot_t *slot, s_req_t *req, uint64_t now)
{
    bus_envelope_t env = {.kind = BUS_KIND_REQUEST,
                          .type = req->type,
                          .rid = req->brid,
                          .service = req->service->name,
                          .instance = req->instance[0] ? req->instance : NULL,
                          .caller = req->caller,
                          .caller_rid = req->client_rid,
                          .timeout_ms =
                              (uint32_t)(req->deadline_ms > now ? req->deadline_ms - now : 1),
                          .flags = req->flags,
                          .attempt = req->attempt,
                          .epoch = self->epoch};
    int rc = s_send_frame(self, slot->worker->id, slot->worker->id_len, slot->worker->user, &env,
                          req->body, req->body_len, false);
    if (rc) return rc;
    slot->worker->last_sent_ms = now;
    req->slot = slot;
    req->next = slot->reqs;
    if (slot->reqs) slot->reqs->prev = req;
    slot->reqs = req;
    slot->inflight++;
    /* Least recently used: a slot that was just used goes to the back. */
    if (slot->idle_handle) {
        zlistx_delete(slot->service->idle, slot->idle_handle);
        slot->idle_handle = NULL;
    }
    s_slot_idle_update(slot);
    return 0;
}

static void s_dispatch(bus_broker_t *self, s_req_t *req)
{
    uint64_t now = bus_now_ms();
    s_service_t *svc = req->service;
    for (;;) {
        s_slot_t *slot = s_pick(svc, req->instance);
        if (!slot) break;
        int rc = s_send_to_worker(self, slot, req, now);
        if (rc == 0) return;
        /* The worker's connection is gone or jammed: it is no use to anyone. */
        s_peer_doom(self, slot->worker, rc == -EAGAIN ? "send queue full" : "unreachable");
    }
    if ((req->flags & BUS_FLAG_PRESENT) && !s_present(svc, req->instance)) {
        char text[256];
        if (req->instance[0])
            snprintf(text, sizeof text, "no instance %s of service %s", req->instance, svc->name);
        else
            snprintf(text, sizeof text, "no such service: %s", svc->name);
        s_req_fail(self, req, BUS_ENOSERVICE, text);
        return;
    }
    if (svc->queued >= self->limits.queue_max) {
        char text[160];
        snprintf(text, sizeof text, "service %s has %zu requests waiting already", svc->name,
                 svc->queued);
        s_req_fail(self, req, BUS_EBUSY, text);
        return;
    }
    s_enqueue(req, false);
}

/* Gives a slot with free credit what waits for it: the requests naming its instance, then those
 * for any instance, oldest first. Only the slot's own lists are looked at, so a long queue of
 * requests for some other instance costs nothing here. */
static void s_drain_slot(bus_broker_t *self, s_slot_t *slot)
{
    uint64_t now = bus_now_ms();
    s_service_t *svc = slot->service;
    for (int pass = 0; pass < 2; pass++)
        while (slot->inflight < slot->credits && !slot->worker->doomed) {
            zlistx_t *q = pass == 0 ? s_queue_for(svc, slot->worker->name, false) : svc->queue;
            s_req_t *req = q ? zlistx_first(q) : NULL;
            if (!req) break;
            s_dequeue(req);
            if (s_send_to_worker(self, slot, req, now) != 0) {
                /* Put it back; the worker is purged at the next reap. */
                s_enqueue(req, true);
                s_peer_doom(self, slot->worker, "unreachable");
                return;
            }
        }
}

/* Deadlines are removed lazily: an entry still matters only while its request waits. */
static bool s_deadline_live(uint64_t when, uint64_t brid, void *arg)
{
    bus_broker_t *self = arg;
    s_req_t *req = zhashx_lookup(self->reqs, &brid);
    return req && req->deadline_ms == when;
}

static void s_on_request(bus_broker_t *self, s_peer_t *peer, bus_frame_t *f, uint64_t now)
{
    bus_envelope_t *env = f->env;
    const char *service = env->service ? env->service : "";
    self->count.requests++;
    if (!bus_name_valid(service)) {
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, NULL, BUS_EINVALID,
                      "request names no valid service");
        return;
    }
    if (!bus_role_may_call(peer->role, service)) {
        char text[256];
        snprintf(text, sizeof text, "role %s may not call service %s", peer->role->name, service);
        bus_log_limited(&self->log_refused, BUS_LOG_WARN, "broker.refused", "peer=%s reason=\"%s\"",
                        peer->user, text);
        self->count.refused++;
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, service, BUS_EFORBIDDEN,
                      text);
        return;
    }
    if (strcmp(service, "broker") == 0) {
        s_status(self, peer, f, now);
        return;
    }
    /* The dedupe key: the client's connection and its request id, "KEY/RID" in hex. */
    char dedupe[S_KEY_MAX + 18];
    size_t klen = strlen(peer->key);
    uint8_t rid_be[8];
    for (int i = 0; i < 8; i++) rid_be[i] = (uint8_t)(env->rid >> (56 - 8 * i));
    memcpy(dedupe, peer->key, klen);
    dedupe[klen] = '/';
    s_hex(rid_be, 8, dedupe + klen + 1);
    if (zhashx_lookup(self->dedupe, dedupe)) {
        log_debug("broker.duplicate", "peer=%s rid=%" PRIu64, peer->user, env->rid);
        return; /* the first copy will be answered */
    }
    if (zhashx_size(self->reqs) >= self->limits.inflight_max ||
        self->bytes_held + f->body_len > self->limits.bytes_max) {
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, service, BUS_EBUSY,
                      "broker: too many requests in flight");
        return;
    }
    if (peer->held >= self->limits.caller_max) {
        /* One caller may not crowd out the others. */
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, service, BUS_EBUSY,
                      "broker: too many requests in flight from this caller");
        return;
    }
    s_service_t *svc = s_service_get(self, service, true);
    if (!svc) {
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, service, BUS_EBUSY,
                      "broker: too many services");
        return;
    }
    const char *instance = env->instance ? env->instance : "";
    size_t dlen = strlen(dedupe) + 1, clen = strlen(peer->user) + 1, ilen = strlen(instance) + 1;
    s_req_t *req = malloc(sizeof *req + f->body_len + peer->id_len + 2 * dlen + clen + ilen);
    if (!req) abort();
    uint32_t timeout = env->timeout_ms ? env->timeout_ms : self->limits.timeout_def_ms;
    if (timeout > self->limits.timeout_max_ms) timeout = self->limits.timeout_max_ms;
    *req = (s_req_t){.brid = ++self->next_brid,
                     .client_rid = env->rid,
                     .deadline_ms = now + timeout,
                     .type = env->type,
                     .flags = env->flags,
                     .attempt = env->attempt,
                     .service = svc,
                     .client_id_len = peer->id_len,
                     .body_len = f->body_len};
    req->body = req->data;
    req->client_id = req->body + f->body_len;
    req->dedupe = (char *)req->client_id + peer->id_len;
    req->caller = req->dedupe + dlen;
    req->instance = req->caller + clen;
    req->client_key = req->instance + ilen;
    if (f->body_len) memcpy(req->body, f->body, f->body_len);
    memcpy(req->client_id, peer->id, peer->id_len);
    memcpy(req->dedupe, dedupe, dlen);
    memcpy(req->caller, peer->user, clen);
    memcpy(req->instance, instance, ilen);
    memcpy(req->client_key, peer->key, klen + 1);
    peer->held++;
    self->bytes_held += f->body_len;
    zhashx_insert(self->reqs, &req->brid, req);
    zhashx_insert(self->dedupe, req->dedupe, req);
    if (bus_heap_push(self->deadlines, req->deadline_ms, req->brid) != 0 &&
        (bus_heap_compact(self->deadlines, s_deadline_live, self) == 0 ||
         bus_heap_push(self->deadlines, req->deadline_ms, req->brid) != 0)) {
        s_req_fail(self, req, BUS_EBUSY, "broker: too many deadlines");
        return;
    }
    s_dispatch(self, req);
}

static void s_on_reply(bus_broker_t *self, s_peer_t *peer, bus_frame_t *f, uint64_t now)
{
    bus_envelope_t *env = f->env;
    s_req_t *req = zhashx_lookup(self->reqs, &env->rid);
    if (!req || !req->slot || req->slot->worker != peer) {
        log_debug("broker.reply.stale", "peer=%s rid=%" PRIu64, peer->user, env->rid);
        return;
    }
    self->count.replies++;
    s_service_t *svc = req->service;
    s_slot_t *slot = req->slot;
    if (!req->expired) {
        bus_envelope_t out = {.kind = BUS_KIND_REPLY,
                              .type = env->type,
                              .rid = req->client_rid,
                              .service = svc->name,
                              .status = bus_err_known(env->status) ? env->status : BUS_EINTERNAL,
                              .error = env->error,
                              .served_by = (char *)peer->name};
        int rc = s_send_frame(self, req->client_id, req->client_id_len, req->caller, &out, f->body,
                              f->body_len, false);
        if (rc)
            log_debug("broker.reply.undeliverable", "client=%s rid=%" PRIu64 " error=\"%s\"",
                      req->caller, req->client_rid, strerror(-rc));
    }
    s_req_unlink(req);
    s_req_free(self, req);
    s_drain_slot(self, slot);
}

static void s_on_ready(bus_broker_t *self, s_peer_t *peer, bus_frame_t *f)
{
    bus_ready_t *ready;
    codec_err_t err;
    char text[256];
    int rc = bus_frame_body(f, &bus_ready_desc, self->arena, (void **)&ready, &err);
    if (rc) {
        snprintf(text, sizeof text, "bad ready: %s", err.text);
        goto refuse;
    }
    /* All or nothing: check every offer before taking any. */
    bus_offer_t *offers = ready->services.v;
    size_t new_services = 0;
    for (size_t i = 0; i < ready->services.n; i++) {
        new_services += s_service_get(self, offers[i].service, false) == NULL;
        const char *svc = offers[i].service;
        if (!bus_name_valid(svc) || strcmp(svc, "broker") == 0) {
            snprintf(text, sizeof text, "\"%s\" is not a service name one may serve", svc);
            rc = BUS_EINVALID;
            goto refuse;
        }
        if (!bus_role_may_serve(peer->role, svc)) {
            snprintf(text, sizeof text, "role %s may not serve %s", peer->role->name, svc);
            rc = BUS_EFORBIDDEN;
            goto refuse;
        }
    }
    if (zhashx_size(self->services) + new_services > self->limits.services_max) {
        snprintf(text, sizeof text, "broker: too many services");
        rc = BUS_EBUSY;
        goto refuse;
    }
    /* Replace the peer's offers: keep slots whose service is still offered (with new credits). */
    for (size_t i = 0; i < ready->services.n; i++) {
        s_slot_t *slot = peer->slots;
        while (slot && strcmp(slot->service->name, offers[i].service) != 0)
            slot = slot->next_of_peer;
        if (slot) {
            slot->credits = offers[i].credits;
            s_slot_idle_update(slot);
            continue;
        }
        s_service_t *svc = s_service_get(self, offers[i].service, true); /* room checked above */
        slot = calloc(1, sizeof *slot);
        if (!slot) abort();
        slot->worker = peer;
        slot->service = svc;
        slot->credits = offers[i].credits;
        slot->all_handle = zlistx_add_end(svc->slots, slot);
        slot->next_of_peer = peer->slots;
        peer->slots = slot;
        s_slot_idle_update(slot);
        bus_log_limited(&self->log_info, BUS_LOG_INFO, "broker.worker.ready",
                        "worker=%s service=%s credits=%u", peer->user, svc->name, slot->credits);
    }
    for (s_slot_t **pp = &peer->slots; *pp;) {
        s_slot_t *slot = *pp;
        bool offered = false;
        for (size_t i = 0; i < ready->services.n && !offered; i++)
            offered = strcmp(slot->service->name, offers[i].service) == 0;
        if (offered) {
            pp = &slot->next_of_peer;
            continue;
        }
        *pp = slot->next_of_peer;
        s_slot_remove(self, slot, "no longer offered");
    }
    for (s_slot_t *slot = peer->slots; slot; slot = slot->next_of_peer) s_drain_slot(self, slot);
    return;
refuse:
    self->count.refused++;
    bus_log_limited(&self->log_refused, BUS_LOG_WARN, "broker.refused", "peer=%s reason=\"%s\"",
                    peer->user, text);
    bus_envelope_t env = {.kind = BUS_KIND_DISCONNECT, .status = rc, .error = text};
    s_send_env(self, peer->id, peer->id_len, peer->user, &env, NULL, 0);
}

/* --- the router socket --------------------------------------------------------------------- */

static void s_bad_frame(bus_broker_t *self, const uint8_t *id, size_t id_len, const char *user,
                        int code, const char *text)
{
    self->count.malformed++;
    bus_log_limited(&self->log_bad, BUS_LOG_WARN, "broker.bad_frame", "peer=%s error=\"%s\"", user,
                    text);
    s_reply_error(self, id, id_len, user, 0, NULL, code, text);
}

/* Reads and handles one message from the router. 1 when there was none. */
static int s_on_router(bus_broker_t *self)
{
    zmq_msg_t id, msg;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, self->raw[0], ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return 1;
    }
    zmq_msg_init(&msg);
    int more = zmq_msg_more(&id);
    if (!more || zmq_msg_recv(&msg, self->raw[0], 0) < 0 || zmq_msg_size(&id) > S_ID_MAX) {
        zmq_msg_close(&id);
        zmq_msg_close(&msg);
        return 0;
    }
    size_t extra = 0;
    while (zmq_msg_more(&msg)) {
        /* Kubus frames are single-part; drain and refuse anything else. */
        zmq_msg_close(&msg);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->raw[0], 0) < 0) break;
        extra++;
    }
    const uint8_t *pid = zmq_msg_data(&id);
    size_t pid_len = zmq_msg_size(&id);
    char key[S_KEY_MAX];
    s_hex(pid, pid_len, key);
    s_peer_t *peer = zhashx_lookup(self->peers, key);
    bool created = false;
    /* Every message's User-Id, not just the first: a peer may choose its routing id, and once a
     * connection is gone another key could take over its id (and so its record). */
    const char *user = zmq_msg_gets(&msg, "User-Id");
    if (user && *user && peer && strcmp(peer->user, user) != 0) {
        s_peer_doom(self, peer, "routing id taken by another identity");
        s_reap(self); /* a safe point: nothing of this message is held yet */
        peer = NULL;
    }
    if (!user || !*user) {
        /* Without a User-Id the handshake did not go through our ZAP handler: never serve. */
        log_error("broker.fatal",
                  "message without a User-Id: CURVE authentication is not in force");
        self->fatal = true;
        self->stop = 1;
        zmq_msg_close(&id);
        zmq_msg_close(&msg);
        return 1;
    }
    if (!peer) {
        peer = s_peer_new(self, pid, pid_len, key, user);
        created = peer != NULL;
    }
    uint64_t now = bus_now_ms();
    const uint8_t *data = zmq_msg_data(&msg);
    size_t len = zmq_msg_size(&msg);
    bool tapping = self->tap_subs > 0;
    char topic[96] = "malformed/";
    uint64_t request_rid = 0;
    if (!peer) {
        s_reply_error(self, pid, pid_len, user, 0, NULL, BUS_EBUSY, "broker: too many peers");
        goto done;
    }
    peer->last_seen_ms = now;
    bus_arena_reset(self->arena);
    bus_frame_t f;
    codec_err_t err;
    char text[300];
    if (extra) {
        snprintf(text, sizeof text, "frame has %zu extra parts; kubus frames are single-part",
                 extra);
        s_bad_frame(self, pid, pid_len, user, BUS_EMALFORMED, text);
        goto done;
    }
    if (len > self->config->msg_max) {
        self->count.oversize++;
        snprintf(text, sizeof text, "message of %zu bytes exceeds the limit of %u", len,
                 self->config->msg_max);
        s_bad_frame(self, pid, pid_len, user, BUS_ETOOBIG, text);
        goto done;
    }
    int rc = bus_frame_parse(data, len, false, self->arena, &f, &err);
    if (rc) {
        s_bad_frame(self, pid, pid_len, user, rc, err.text);
        goto done;
    }
    if (tapping)
        snprintf(topic, sizeof topic, "%s/%s", codec_enum_name(&bus_kind_enum, f.env->kind),
                 f.env->service ? f.env->service : "");
    if (created && f.env->kind != BUS_KIND_READY && f.env->kind != BUS_KIND_DISCONNECT) {
        /* We do not know this peer, yet it talks as if we should: a worker whose broker
         * restarted, or one we purged as silent. Whatever it sent, it should announce itself. */
        bus_envelope_t reset = {.kind = BUS_KIND_RESET, .epoch = self->epoch};
        s_send_env(self, pid, pid_len, user, &reset, NULL, 0);
        peer->last_sent_ms = now;
    }
    switch (f.env->kind) {
    case BUS_KIND_REQUEST: s_on_request(self, peer, &f, now); break;
    case BUS_KIND_REPLY: {
        /* Name the tap record after the service the reply answers. */
        s_req_t *req = tapping ? zhashx_lookup(self->reqs, &f.env->rid) : NULL;
        if (req) {
            snprintf(topic, sizeof topic, "reply/%s", req->service->name);
            request_rid = req->client_rid;
        }
        s_on_reply(self, peer, &f, now);
        break;
    }
    case BUS_KIND_READY:
        if (!peer->doomed) s_on_ready(self, peer, &f);
        break;
    case BUS_KIND_HEARTBEAT: break;
    case BUS_KIND_DISCONNECT: s_peer_doom(self, peer, "said goodbye"); break;
    default:
        snprintf(text, sizeof text, "unexpected frame kind %s on the router",
                 codec_enum_name(&bus_kind_enum, f.env->kind));
        s_bad_frame(self, pid, pid_len, user, BUS_EUNKNOWNTYPE, text);
    }
done:
    if (tapping)
        s_tap(self, BUS_SOCKET_ROUTER, BUS_DIRECTION_IN, user, topic, data, len, request_rid);
    zmq_msg_close(&id);
    zmq_msg_close(&msg);
    return 0;
}

/* --- the broker's own service -------------------------------------------------------------- */

static char *s_metrics(bus_broker_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f) abort();
    const s_counters_t *c = &self->count;
    struct {
        const char *name, *help;
        uint64_t v;
        bool gauge;
    } rows[] = {
        {"requests_total", "Requests received.", c->requests, false},
        {"replies_total", "Replies from workers.", c->replies, false},
        {"errors_total", "Error replies sent by the broker.", c->errors, false},
        {"timeouts_total", "Requests that reached their deadline.", c->timeouts, false},
        {"workers_lost_total", "Requests failed because their worker was lost.", c->workers_lost,
         false},
        {"redispatched_total", "Requests sent again after their worker was lost.", c->redispatched,
         false},
        {"malformed_total", "Frames refused as malformed.", c->malformed, false},
        {"oversize_total", "Frames refused as too large.", c->oversize, false},
        {"refused_total", "Requests and offers refused by role.", c->refused, false},
        {"events_total", "Events forwarded.", c->events, false},
        {"events_refused_total", "Events refused by role.", c->events_refused, false},
        {"subscriptions_refused_total", "Subscriptions refused by role.", c->subscriptions_refused,
         false},
        {"tap_records_total", "Records published on the tap.", c->tap_records, false},
        {"abandoned_total", "Requests forgotten long after their deadline at a silent worker.",
         c->abandoned, false},
        {"peers", "Connections on the router.", zhashx_size(self->peers), true},
        {"services", "Services known.", zhashx_size(self->services), true},
        {"inflight", "Requests held (queued or at workers).", zhashx_size(self->reqs), true},
        {"bytes_held", "Bytes of request bodies held.", self->bytes_held, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f,
                "# HELP kubus_broker_%s %s\n# TYPE kubus_broker_%s "
                "%s\nkubus_broker_%s{broker=\"%s\"} %" PRIu64 "\n",
                rows[i].name, rows[i].help, rows[i].name, rows[i].gauge ? "gauge" : "counter",
                rows[i].name, self->name, rows[i].v);
    fclose(f);
    return text;
}

static void s_status(bus_broker_t *self, s_peer_t *peer, bus_frame_t *f, uint64_t now)
{
    bus_envelope_t *env = f->env;
    if (env->instance && *env->instance && strcmp(env->instance, self->name) != 0) {
        char text[200];
        snprintf(text, sizeof text, "this is broker %s, not %s", self->name, env->instance);
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, "broker", BUS_ENOSERVICE,
                      text);
        return;
    }
    void *body;
    codec_err_t err;
    if (bus_frame_body(f, &bus_status_request_desc, self->arena, &body, &err)) {
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, "broker",
                      BUS_EUNKNOWNTYPE, err.text);
        return;
    }
    bus_status_reply_t st = {.broker = self->name,
                             .epoch = self->epoch,
                             .uptime_ms = now - self->started_ms,
                             .peers = (uint32_t)zhashx_size(self->peers),
                             .inflight = (uint32_t)zhashx_size(self->reqs)};
    size_t n = zhashx_size(self->services), i = 0;
    bus_service_status_t *ss = bus_arena_alloc(self->arena, (n ? n : 1) * sizeof *ss);
    for (s_service_t *svc = zhashx_first(self->services); svc && ss;
         svc = zhashx_next(self->services)) {
        ss[i].name = svc->name;
        ss[i].queued = (uint32_t)svc->queued;
        size_t w = zlistx_size(svc->slots), k = 0;
        bus_worker_status_t *ws = bus_arena_alloc(self->arena, (w ? w : 1) * sizeof *ws);
        for (s_slot_t *slot = zlistx_first(svc->slots); slot && ws;
             slot = zlistx_next(svc->slots)) {
            ws[k].name = (char *)slot->worker->name;
            ws[k].credits = slot->credits;
            ws[k].inflight = slot->inflight;
            k++;
        }
        ss[i].workers.n = ws ? k : 0;
        ss[i].workers.v = ws;
        i++;
    }
    st.services.n = ss ? i : 0;
    st.services.v = ss;
    st.metrics = s_metrics(self);
    bus_buf_t body_buf;
    bus_buf_init(&body_buf, self->config->msg_max);
    bus_envelope_t out = {.kind = BUS_KIND_REPLY,
                          .type = MSG_BUS_STATUS_REPLY,
                          .rid = env->rid,
                          .service = "broker",
                          .served_by = self->name};
    if (codec_encode(&bus_status_reply_desc, &st, &body_buf, &err) == 0)
        s_send_env(self, peer->id, peer->id_len, peer->user, &out, body_buf.data, body_buf.len);
    else
        s_reply_error(self, peer->id, peer->id_len, peer->user, env->rid, "broker", BUS_EINTERNAL,
                      err.text);
    bus_buf_free(&body_buf);
    free(st.metrics);
}

/* --- events -------------------------------------------------------------------------------- */

static const kubus_role_t *s_user_role(const char *user)
{
    char role[64];
    const char *slash = user ? strchr(user, '/') : NULL;
    if (!slash || (size_t)(slash - user) >= sizeof role) return NULL;
    memcpy(role, user, (size_t)(slash - user));
    role[slash - user] = 0;
    return bus_role_find(role);
}

/* One event from a publisher: check the role may publish the topic, stamp the caller, forward. */
static int s_on_publish(bus_broker_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->raw[1], ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return 1;
    }
    const char *user = zmq_msg_gets(&msg, "User-Id");
    const kubus_role_t *role = s_user_role(user);
    const uint8_t *data = zmq_msg_data(&msg);
    size_t len = zmq_msg_size(&msg);
    bus_frame_t f;
    codec_err_t err;
    bus_arena_reset(self->arena);
    int rc = zmq_msg_more(&msg) ? BUS_EMALFORMED : 0;
    if (!user || !role) {
        log_error("broker.fatal", "event without a User-Id: CURVE authentication is not in force");
        self->fatal = true;
        self->stop = 1;
    } else if (rc || len > self->config->msg_max ||
               bus_frame_parse(data, len, true, self->arena, &f, &err) ||
               f.env->kind != BUS_KIND_EVENT) {
        self->count.malformed++;
        bus_log_limited(&self->log_bad, BUS_LOG_WARN, "broker.bad_event", "peer=%s bytes=%zu", user,
                        len);
    } else if (!bus_role_may_publish(role, f.topic, f.topic_len)) {
        self->count.events_refused++;
        bus_log_limited(&self->log_refused, BUS_LOG_WARN, "broker.refused",
                        "peer=%s reason=\"role %s may not publish %.*s\"", user, role->name,
                        (int)f.topic_len, f.topic);
    } else {
        bus_envelope_t env = *f.env;
        env.caller = (char *)user;
        bus_buf_reset(&self->out);
        if (bus_frame_build_raw(&self->out, f.topic, f.topic_len, &env, f.body, f.body_len, &err) ==
            0) {
            zmq_send(self->raw[2], self->out.data, self->out.len, ZMQ_DONTWAIT);
            self->count.events++;
        }
        if (self->tap_subs > 0) {
            char topic[BUS_TOPIC_MAX + 8];
            snprintf(topic, sizeof topic, "event/%.*s", (int)f.topic_len, f.topic);
            s_tap(self, BUS_SOCKET_EVENTS, BUS_DIRECTION_IN, user, topic, data, len, 0);
        }
    }
    while (zmq_msg_more(&msg)) {
        zmq_msg_close(&msg);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->raw[1], 0) < 0) break;
    }
    zmq_msg_close(&msg);
    return 0;
}

/* A subscription from a subscriber: applied only if its role may watch that prefix. */
static int s_on_subscribe(bus_broker_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->raw[2], ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return 1;
    }
    const uint8_t *data = zmq_msg_data(&msg);
    size_t len = zmq_msg_size(&msg);
    const char *user = zmq_msg_gets(&msg, "User-Id");
    const kubus_role_t *role = s_user_role(user);
    if (len >= 1 && (data[0] == 0 || data[0] == 1) && len - 1 <= BUS_TOPIC_MAX) {
        const char *prefix = (const char *)data + 1;
        if (data[0] == 0) {
            zmq_setsockopt(self->raw[2], ZMQ_UNSUBSCRIBE, prefix, len - 1);
        } else if (role && bus_role_may_subscribe(role, prefix, len - 1)) {
            zmq_setsockopt(self->raw[2], ZMQ_SUBSCRIBE, prefix, len - 1);
            log_debug("broker.subscribed", "peer=%s prefix=%.*s", user, (int)len - 1, prefix);
        } else {
            self->count.subscriptions_refused++;
            bus_log_limited(&self->log_refused, BUS_LOG_WARN, "broker.refused",
                            "peer=%s reason=\"role %s may not subscribe to %.*s\"",
                            user ? user : "-", role ? role->name : "-", (int)(len - 1), prefix);
        }
    }
    zmq_msg_close(&msg);
    return 0;
}

/* --- the tap ------------------------------------------------------------------------------- */

/* request_rid: for a worker's reply, the caller's id of the request it answers (0 otherwise). */
static void s_tap(bus_broker_t *self, uint32_t socket, uint32_t direction, const char *peer,
                  const char *topic, const void *data, size_t len, uint64_t request_rid)
{
    if (self->tap_subs <= 0) return;
    bus_tap_record_t rec = {.seq = ++self->tap_seq,
                            .time_us = bus_wall_us(),
                            .broker = self->name,
                            .socket = socket,
                            .direction = direction,
                            .peer = (char *)peer,
                            .hello = data == NULL,
                            .frame_len = (uint32_t)len,
                            .request_rid = request_rid};
    bus_envelope_t env = {.kind = BUS_KIND_TAP, .epoch = self->epoch};
    codec_err_t err;
    bus_buf_reset(&self->tap_out);
    if (bus_frame_build(&self->tap_out, topic, &env, &bus_tap_record_desc, &rec, &err)) return;
    if (data) {
        zmq_send(self->raw[3], self->tap_out.data, self->tap_out.len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(self->raw[3], data, len, ZMQ_DONTWAIT);
    } else {
        zmq_send(self->raw[3], self->tap_out.data, self->tap_out.len, ZMQ_DONTWAIT);
    }
    self->count.tap_records++;
}

/* A tap's subscription or its end. The socket is verbose, not manual: every subscription comes
 * up, but an unsubscription only when no connection holds that prefix any more, so the set of
 * prefixes says exactly whether anyone is tapping. Only the tap role gets here at all: the ZAP
 * domain of this socket admits no other. */
static int s_on_tap_sub(bus_broker_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->raw[3], ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return 1;
    }
    const uint8_t *data = zmq_msg_data(&msg);
    size_t len = zmq_msg_size(&msg), n = len ? len - 1 : 0;
    char prefix[BUS_TOPIC_MAX + 1];
    if (len >= 1 && n <= BUS_TOPIC_MAX && !memchr(data + 1, 0, n)) {
        memcpy(prefix, data + 1, n);
        prefix[n] = 0;
        if (data[0] == 1)
            zhashx_update(self->taps, prefix, (void *)1);
        else if (data[0] == 0)
            zhashx_delete(self->taps, prefix);
        self->tap_subs = (int64_t)zhashx_size(self->taps);
        /* The hello tells the new tap that its subscription is live. */
        if (data[0] == 1) s_tap(self, BUS_SOCKET_BROKER, BUS_DIRECTION_OUT, "", prefix, NULL, 0, 0);
        bus_log_limited(&self->log_info, BUS_LOG_INFO, "broker.tap.changed",
                        "%s prefix=\"%s\" prefixes=%" PRId64,
                        data[0] == 1 ? "attached" : "detached", prefix, self->tap_subs);
    }
    zmq_msg_close(&msg);
    return 0;
}

/* --- timers -------------------------------------------------------------------------------- */

static void s_deadlines(bus_broker_t *self, uint64_t now)
{
    uint64_t when, brid;
    while (bus_heap_peek(self->deadlines, &when, &brid) && when <= now) {
        bus_heap_pop(self->deadlines, &when, &brid);
        s_req_t *req = zhashx_lookup(self->reqs, &brid);
        if (!req || req->deadline_ms != when) continue;
        char text[256];
        s_service_t *svc = req->service;
        if (req->expired) {
            /* Answered long ago and its worker still silent: the reply was lost on the way.
             * Forget it, so the worker's credit comes back. */
            s_slot_t *slot = req->slot;
            self->count.abandoned++;
            s_req_unlink(req);
            s_req_free(self, req);
            if (slot) s_drain_slot(self, slot);
            continue;
        }
        self->count.timeouts++;
        if (req->slot) {
            /* At a worker: answer the client now; keep the record so the worker's credit is
             * returned when it replies or dies, or when it is abandoned. */
            snprintf(text, sizeof text, "deadline exceeded at worker %s", req->slot->worker->name);
            s_reply_error(self, req->client_id, req->client_id_len, req->caller, req->client_rid,
                          svc->name, BUS_ETIMEOUT, text);
            req->expired = true;
            zhashx_delete(self->dedupe, req->dedupe);
            req->deadline_ms = now + self->limits.abandon_ms;
            if (bus_heap_push(self->deadlines, req->deadline_ms, req->brid) != 0) {
                bus_heap_compact(self->deadlines, s_deadline_live, self);
                bus_heap_push(self->deadlines, req->deadline_ms, req->brid);
            }
            continue;
        }
        /* Nobody to serve it is "no such service"; someone who stayed busy is a timeout. */
        int code = BUS_ETIMEOUT;
        bool known = !req->instance[0];
        for (s_slot_t *s = zlistx_first(svc->slots); s && !known; s = zlistx_next(svc->slots))
            known = strcmp(s->worker->name, req->instance) == 0;
        if (zlistx_size(svc->slots) == 0) {
            code = BUS_ENOSERVICE;
            snprintf(text, sizeof text, "no such service: %s", svc->name);
        } else if (!known) {
            code = BUS_ENOSERVICE;
            snprintf(text, sizeof text, "no instance %s of service %s", req->instance, svc->name);
        } else if (req->instance[0]) {
            snprintf(text, sizeof text, "instance %s of %s stayed busy", req->instance, svc->name);
        } else {
            snprintf(text, sizeof text, "deadline exceeded waiting for a worker of %s", svc->name);
        }
        s_req_fail(self, req, code, text);
    }
}

static void s_tick(bus_broker_t *self, uint64_t now)
{
    uint64_t hb = self->config->heartbeat_ms, dead_after = hb * self->config->liveness;
    for (s_peer_t *peer = zhashx_first(self->peers); peer; peer = zhashx_next(self->peers)) {
        if (peer->doomed) continue;
        if (now - peer->last_seen_ms > dead_after) {
            s_peer_doom(self, peer, "heartbeat lost");
            continue;
        }
        if (now - peer->last_sent_ms >= hb) {
            bus_envelope_t env = {.kind = BUS_KIND_HEARTBEAT, .epoch = self->epoch};
            if (s_send_env(self, peer->id, peer->id_len, peer->user, &env, NULL, 0) ==
                -EHOSTUNREACH)
                s_peer_doom(self, peer, "unreachable");
            peer->last_sent_ms = now;
        }
    }
    s_reap(self);
    s_services_collect(self);
}

/* --- monitors: refused handshakes are logged ----------------------------------------------- */

static void s_on_monitor(bus_broker_t *self, int which)
{
    zmsg_t *m = zmsg_recv(self->monitors[which]);
    if (!m) return;
    zframe_t *ev = zmsg_first(m), *ep = zmsg_next(m);
    if (ev && zframe_size(ev) == 6) {
        const uint8_t *d = zframe_data(ev);
        uint16_t event = (uint16_t)(d[0] | d[1] << 8);
        uint32_t value =
            (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[5] << 24;
        char why[128];
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            snprintf(why, sizeof why, "authentication refused (ZAP status %u)", value);
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL &&
                 (value == EPIPE || value == ECONNRESET))
            snprintf(why, sizeof why,
                     "peer closed during the handshake (a plain, non-CURVE client?)");
        else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            snprintf(why, sizeof why, "handshake not completed: %s", strerror((int)value));
        else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            snprintf(why, sizeof why, "security mechanism mismatch (a plain, non-CURVE client?)");
        else
            snprintf(why, sizeof why, "protocol error 0x%x", value);
        char *endpoint = ep ? zframe_strdup(ep) : NULL;
        bus_log_limited(&self->log_refused, BUS_LOG_WARN, "broker.handshake.failed",
                        "socket=%s endpoint=%s reason=\"%s\"", s_sock_names[which],
                        endpoint ? endpoint : "-", why);
        free(endpoint);
    }
    zmsg_destroy(&m);
}

/* --- life cycle ---------------------------------------------------------------------------- */

static int s_write_ports(bus_broker_t *self, char *err, size_t errlen)
{
    char dir[1024], path[1100], tmp[1200];
    snprintf(dir, sizeof dir, "%s/run", self->config->dir);
    if (zsys_dir_create("%s", dir) != 0) {
        snprintf(err, errlen, "cannot create %s", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.ports.json", dir, self->name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *j = json_object();
    for (int i = 0; i < S_SOCKETS; i++)
        json_object_set_new(j, bus_port_names[i], json_integer(self->ports[i]));
    int rc = json_dump_file(j, tmp, JSON_COMPACT);
    json_decref(j);
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

static int s_open_socket(bus_broker_t *self, int i, const bus_broker_conf_t *conf, char *err,
                         size_t errlen)
{
    static const int types[S_SOCKETS] = {ZMQ_ROUTER, ZMQ_XSUB, ZMQ_XPUB, ZMQ_XPUB};
    zsock_t *s = zsock_new(types[i]);
    if (!s) {
        snprintf(err, errlen, "cannot create the %s socket", s_sock_names[i]);
        return -1;
    }
    self->socks[i] = s;
    self->raw[i] = zsock_resolve(s);
    zcert_apply(self->cert, s);
    zsock_set_curve_server(s, 1);
    zsock_set_zap_domain(s, s_zap_domains[i]);
    zsock_set_sndhwm(s, S_HWM);
    zsock_set_rcvhwm(s, S_HWM);
    zsock_set_linger(s, 0);
    if (i <= 1) zsock_set_maxmsgsize(s, (int64_t)self->config->msg_max + (1 << 20));
    if (i == 0) zsock_set_router_mandatory(s, 1);
    if (i == 2) zsock_set_xpub_manual(s, 1);
    if (i == 3) zsock_set_xpub_verbose(s, 1);
    char endpoint[300];
    bus_config_endpoint(conf, (bus_port_t)i, true, endpoint, sizeof endpoint);
    /* Refused handshakes are reported on a monitor socket, so they can be logged. */
    char mon[128];
    snprintf(mon, sizeof mon, "inproc://kubus-broker-monitor-%s-%d", self->name, i);
    if (zmq_socket_monitor(self->raw[i], mon,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        self->monitors[i] = zsock_new(ZMQ_PAIR);
        zsock_connect(self->monitors[i], "%s", mon);
    }
    int port = zsock_bind(s, "%s", endpoint);
    if (port < 0) {
        snprintf(err, errlen, "cannot bind %s for %s: %s", endpoint, s_sock_names[i],
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    self->ports[i] = (uint16_t)(conf->ports[i] ? conf->ports[i] : port);
    return 0;
}

bus_broker_t *bus_broker_new(const bus_config_t *config, const char *name,
                             const bus_broker_limits_t *limits, char *err, size_t errlen)
{
    const bus_broker_conf_t *conf = bus_config_broker(config, name);
    if (!conf) {
        snprintf(err, errlen, "no broker named %s in %s/cluster.json", name, config->dir);
        return NULL;
    }
    bus_broker_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    snprintf(self->name, sizeof self->name, "%s", name);
    self->config = config;
    randombytes_buf(&self->epoch, sizeof self->epoch);
    /* Request ids start at random: a worker's late reply to a request of this broker's previous
     * run must not match a new request. */
    randombytes_buf(&self->next_brid, sizeof self->next_brid);
    self->next_brid >>= 1;
    self->started_ms = bus_now_ms();
    /* Explicit limits win, then the cluster's, then the defaults. */
    bus_broker_limits_t l = limits ? *limits : config->broker_limits;
    self->limits.inflight_max = s_limit(l.inflight_max, 100000);
    self->limits.queue_max = s_limit(l.queue_max, 50000);
    self->limits.peers_max = s_limit(l.peers_max, 65536);
    self->limits.services_max = s_limit(l.services_max, 4096);
    self->limits.bytes_max = l.bytes_max ? l.bytes_max : (uint64_t)1 << 30;
    self->limits.timeout_max_ms = s_limit(l.timeout_max_ms, 3600000);
    self->limits.timeout_def_ms = s_limit(l.timeout_def_ms, 30000);
    self->limits.caller_max = s_limit(l.caller_max, 20000);
    self->limits.abandon_ms = s_limit(l.abandon_ms, 60000);
    self->peers = zhashx_new();
    self->services = zhashx_new();
    self->reqs = bus_map_u64_new();
    self->dedupe = zhashx_new();
    zhashx_set_key_duplicator(self->dedupe, NULL);
    zhashx_set_key_destructor(self->dedupe, NULL);
    zhashx_set_key_duplicator(self->peers, NULL);
    zhashx_set_key_destructor(self->peers, NULL);
    zhashx_set_key_duplicator(self->services, NULL);
    zhashx_set_key_destructor(self->services, NULL);
    self->deadlines = bus_heap_new((size_t)self->limits.inflight_max * 2);
    self->arena = bus_arena_new(4 * (size_t)config->msg_max);
    bus_buf_init(&self->out, (size_t)config->msg_max + 4096);
    bus_buf_init(&self->tap_out, 4096 + BUS_TOPIC_MAX);
    self->log_bad.burst = 10;
    self->log_refused.burst = 10;
    self->log_info.burst = 20;
    self->taps = zhashx_new();
    self->doomed = zlistx_new();
    zlistx_set_destructor(self->doomed, NULL);

    char *certs = bus_cert_dir(config->dir);
    self->cert = bus_cert_load_secret(config->dir, name, err, errlen);
    if (self->cert && strcmp(bus_cert_role(self->cert), "broker") != 0) {
        snprintf(err, errlen, "%s's certificate has role \"%s\", not broker", name,
                 bus_cert_role(self->cert));
        zcert_destroy(&self->cert);
    }
    /* The ZAP handler runs before anything binds: without it libzmq admits any key. */
    if (self->cert) self->zap = bus_zap_new(certs, err, errlen);
    free(certs);
    bool ok = self->cert && self->zap;
    bool ephemeral = false;
    /* A ports file from an earlier run would send clients to ports nobody listens on. */
    char stale[1100];
    snprintf(stale, sizeof stale, "%s/run/%s.ports.json", config->dir, name);
    unlink(stale);
    for (int i = 0; ok && i < S_SOCKETS; i++) {
        ok = s_open_socket(self, i, conf, err, errlen) == 0;
        ephemeral = ephemeral || conf->ports[i] == 0;
    }
    if (ok && ephemeral) ok = s_write_ports(self, err, errlen) == 0;
    if (!ok) {
        bus_broker_destroy(&self);
        return NULL;
    }
    /* Publishers send everything to us; we filter per subscriber on the way out. */
    zmq_send(self->raw[1], "\x01", 1, 0);
    log_info("broker.started", "name=%s router=%u publish=%u subscribe=%u tap=%u", self->name,
             self->ports[0], self->ports[1], self->ports[2], self->ports[3]);
    return self;
}

void bus_broker_destroy(bus_broker_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_broker_t *self = *self_p;
    for (int i = 0; i < S_SOCKETS; i++) {
        if (self->raw[i]) zmq_socket_monitor(self->raw[i], NULL, 0);
        zsock_destroy(&self->monitors[i]);
        zsock_destroy(&self->socks[i]);
    }
    if (self->peers) {
        zlistx_t *all = zhashx_values(self->peers);
        for (s_peer_t *p = zlistx_first(all); p; p = zlistx_next(all)) {
            /* No re-dispatch on the way out: fail what is held. */
            for (s_slot_t *s = p->slots; s; s = s->next_of_peer) s->credits = 0;
        }
        zlistx_destroy(&all);
        all = zhashx_values(self->reqs);
        for (s_req_t *r = zlistx_first(all); r; r = zlistx_next(all)) free(r);
        zlistx_destroy(&all);
        all = zhashx_values(self->peers);
        for (s_peer_t *p = zlistx_first(all); p; p = zlistx_next(all)) {
            while (p->slots) {
                s_slot_t *next = p->slots->next_of_peer;
                free(p->slots);
                p->slots = next;
            }
            free(p);
        }
        zlistx_destroy(&all);
        all = zhashx_values(self->services);
        for (s_service_t *s = zlistx_first(all); s; s = zlistx_next(all)) s_service_free(s);
        zlistx_destroy(&all);
    }
    if (self->doomed) {
        for (char *k = zlistx_first(self->doomed); k; k = zlistx_next(self->doomed)) free(k);
        zlistx_destroy(&self->doomed);
    }
    zhashx_destroy(&self->taps);
    zhashx_destroy(&self->peers);
    zhashx_destroy(&self->services);
    zhashx_destroy(&self->reqs);
    zhashx_destroy(&self->dedupe);
    bus_heap_destroy(&self->deadlines);
    bus_arena_destroy(&self->arena);
    bus_buf_free(&self->out);
    bus_buf_free(&self->tap_out);
    bus_zap_destroy(&self->zap);
    zcert_destroy(&self->cert);
    free(self);
    *self_p = NULL;
}

uint16_t bus_broker_port(const bus_broker_t *self, bus_port_t port)
{
    return self->ports[port];
}

void bus_broker_stop(bus_broker_t *self)
{
    self->stop = 1;
}

int bus_broker_run(bus_broker_t *self)
{
    zmq_pollitem_t items[2 * S_SOCKETS];
    int n = 0;
    for (int i = 0; i < S_SOCKETS; i++)
        items[n++] = (zmq_pollitem_t){self->raw[i], 0, ZMQ_POLLIN, 0};
    int first_monitor = n;
    int monitor_of[S_SOCKETS];
    for (int i = 0; i < S_SOCKETS; i++)
        if (self->monitors[i]) {
            monitor_of[n - first_monitor] = i;
            items[n++] = (zmq_pollitem_t){zsock_resolve(self->monitors[i]), 0, ZMQ_POLLIN, 0};
        }
    uint64_t tick_ms = self->config->heartbeat_ms / 2 ? self->config->heartbeat_ms / 2 : 1;
    self->next_tick_ms = bus_now_ms() + tick_ms;
    while (!self->stop && !zsys_interrupted) {
        uint64_t now = bus_now_ms(), next = self->next_tick_ms, when, brid;
        if (bus_heap_peek(self->deadlines, &when, &brid) && when < next) next = when;
        long timeout = next > now ? (long)(next - now) : 0;
        if (zmq_poll(items, n, timeout) < 0) {
            if (zmq_errno() == EINTR) continue;
            log_error("broker.poll", "error=\"%s\"", zmq_strerror(zmq_errno()));
            return -zmq_errno();
        }
        for (int b = 0; b < S_BATCH && (items[0].revents & ZMQ_POLLIN); b++)
            if (s_on_router(self)) break;
        for (int b = 0; b < S_BATCH && (items[1].revents & ZMQ_POLLIN); b++)
            if (s_on_publish(self)) break;
        for (int b = 0; b < S_BATCH && (items[2].revents & ZMQ_POLLIN); b++)
            if (s_on_subscribe(self)) break;
        for (int b = 0; b < S_BATCH && (items[3].revents & ZMQ_POLLIN); b++)
            if (s_on_tap_sub(self)) break;
        for (int i = first_monitor; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN) s_on_monitor(self, monitor_of[i - first_monitor]);
        s_reap(self);
        now = bus_now_ms();
        s_deadlines(self, now);
        if (now >= self->next_tick_ms) {
            s_tick(self, now);
            self->next_tick_ms = now + tick_ms;
        }
    }
    log_info("broker.stopped", "name=%s requests=%" PRIu64, self->name, self->count.requests);
    return self->fatal ? BUS_EUNAUTH : 0;
}
