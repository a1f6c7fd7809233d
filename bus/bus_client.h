/* bus_client: a process's connection to the bus. Every service, CLI and test uses it. It keeps
 * one link (a CURVE DEALER) to every broker of the cluster, heartbeats each, and notices when one
 * dies. It can be both sides at once:
 *
 *   caller  bus_client_request sends a request to a service (any instance, or one by name); the
 *           reply comes back through bus_client_poll/recv with the request's rid. Every request
 *           is answered exactly once: by its worker, by a broker's error, or locally when its
 *           deadline passes. If the broker a request went through dies, it is sent again through
 *           another (same rid), unless flagged BUS_FLAG_ONCE.
 *   worker  bus_client_offer announces a service; requests for it arrive through poll/recv and are
 *           answered with bus_client_reply. A request retried by its caller (same caller and rid)
 *           is not executed twice: while the first runs, the retry waits for its answer; after,
 *           the answer is replayed from a bounded cache.
 *
 * Single-threaded: one thread owns a client. Events (publish/subscribe) are bus_events. */
#pragma once

#include "bus_codec.h"
#include "bus_config.h"
#include "bus_frame.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct bus_client_t bus_client_t;

/* Where a request came from: enough to answer it later. Plain data: copy it freely. */
typedef struct {
    int link;
    uint64_t rid;        /* the broker's id for the request */
    uint64_t epoch;      /* the broker's run it came from: a reply never goes to a later run */
    char cache_key[200]; /* caller + caller's rid: names the request across retries */
} bus_reply_to_t;

/* One incoming message. Everything it points to is valid until the next poll, recv or call. */
typedef struct {
    uint32_t kind; /* BUS_KIND_REPLY (to our request), BUS_KIND_REQUEST (for a service we
                      serve) or BUS_KIND_DISCONNECT (a broker refused our offer: env->error) */
    bus_envelope_t *env;
    const uint8_t *body;
    size_t body_len;
    bus_frame_t frame;       /* for bus_frame_body */
    void *user;              /* replies: the user pointer given with the request */
    bus_reply_to_t reply_to; /* requests: pass to bus_client_reply */
} bus_in_t;

typedef struct {
    const char *service;
    const char *instance;    /* NULL: any instance */
    const codec_msg_t *desc; /* the body's description (NULL: no body) */
    const void *body;
    uint32_t timeout_ms; /* 0: 30 s */
    uint32_t flags;      /* BUS_FLAG_* */
    void *user;          /* returned with the reply */
    uint64_t rid;        /* 0: a new id; otherwise resend that request (a deliberate retry) */
} bus_call_t;

typedef struct {
    uint64_t sent, replies, timeouts, resent, duplicates_dropped, executed, replayed, joined;
} bus_client_stats_t;

/* Connects as name (DIR/keys/NAME.key) to every broker in config. Does not wait for the
 * connections. NULL with err set on failure. */
bus_client_t *bus_client_new(const bus_config_t *config, const char *name, char *err,
                             size_t errlen);
/* Tells the brokers goodbye (so they re-dispatch at once rather than after the heartbeat) and
 * closes. */
void bus_client_destroy(bus_client_t **self_p);

/* Serve a service, taking at most credits requests at once. Sent now and to every broker that
 * (re)appears. */
int bus_client_offer(bus_client_t *self, const char *service, uint32_t credits);

/* Sends a request; *rid gets its id. BUS_EBUSY when too many are pending or every link is
 * full, BUS_EINVALID/BUS_ETOOBIG when the body is wrong or too large (err says why). */
int bus_client_request(bus_client_t *self, const bus_call_t *call, uint64_t *rid, codec_err_t *err);

/* Answers a request. status 0 with desc/body, or an error code with text. */
int bus_client_reply(bus_client_t *self, const bus_reply_to_t *to, int status, const char *error,
                     const codec_msg_t *desc, const void *body);
/* Answers a request with a body already encoded (its message type and msgpack bytes), as a
 * service that keeps answers encoded does. */
int bus_client_reply_encoded(bus_client_t *self, const bus_reply_to_t *to, int status,
                             const char *error, uint32_t type, const uint8_t *body, size_t len);

/* Handles whatever is ready without waiting and returns the next message for the caller in *in
 * (0), or BUS_ETIMEOUT when there is none now. */
int bus_client_poll(bus_client_t *self, bus_in_t *in);
/* Like poll, waiting up to timeout_ms (-1: forever) for a message. */
int bus_client_recv(bus_client_t *self, bus_in_t *in, int timeout_ms);

/* Sends a request and waits for its reply (for clients that serve nothing). 0 when the reply
 * came with status 0; otherwise the reply's status, with its text in err. The reply is in *in. */
int bus_client_call(bus_client_t *self, const bus_call_t *call, bus_in_t *in, codec_err_t *err);

/* For an event loop: the links' sockets (returns how many were written, at most max) and the
 * milliseconds until poll must run again for timers (heartbeats, deadlines). */
size_t bus_client_pollitems(bus_client_t *self, zmq_pollitem_t *items, size_t max);
int bus_client_next_timer_ms(bus_client_t *self);

/* How many brokers are alive (heard from within the liveness window). */
size_t bus_client_alive(bus_client_t *self);
/* Waits until at least n brokers are alive; BUS_ETIMEOUT otherwise. */
int bus_client_wait_alive(bus_client_t *self, size_t n, int timeout_ms);

const bus_client_stats_t *bus_client_stats(const bus_client_t *self);
const char *bus_client_name(const bus_client_t *self);

void bus_client_test(bool verbose);
