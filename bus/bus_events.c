/* bus_events: sockets made lazily; per-publisher sequence tracking for dedupe and gaps. */
#include "bus_events.h"
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_time.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_PUBLISHERS_MAX 4096

typedef struct {
    char key[200]; /* caller */
    uint64_t epoch;
    uint64_t seq;
    uint64_t old_epoch; /* its previous run: late copies from it are dropped */
} s_publisher_t;

struct bus_events_t {
    const bus_config_t *config;
    char name[64];
    zcert_t *cert;
    zsock_t *pub, *sub;
    uint64_t epoch, seq;
    zhashx_t *publishers; /* caller -> s_publisher_t */
    bus_arena_t *arena;
    bus_buf_t out;
    zmq_msg_t held;
    bool holding;
    bus_events_stats_t stats;
    bus_log_limit_t log_bad;
};

static void s_publisher_free(void **item)
{
    free(*item);
    *item = NULL;
}

static zsock_t *s_socket(bus_events_t *self, int type, bus_port_t port)
{
    zsock_t *s = zsock_new(type);
    zcert_apply(self->cert, s);
    zsock_set_linger(s, 200);
    zsock_set_sndhwm(s, 100000);
    zsock_set_rcvhwm(s, 100000);
    zsock_set_reconnect_ivl(s, 100);
    zsock_set_reconnect_ivl_max(s, 1000);
    for (size_t i = 0; i < self->config->brokers_n; i++) {
        const bus_broker_conf_t *b = &self->config->brokers[i];
        /* A CURVE client needs the server's key per connection: set it before each connect. */
        zsock_set_curve_serverkey(s, b->public_key);
        char endpoint[300];
        bus_config_endpoint(b, port, false, endpoint, sizeof endpoint);
        zsock_connect(s, "%s", endpoint);
    }
    return s;
}

bus_events_t *bus_events_new(const bus_config_t *config, const char *name, char *err, size_t errlen)
{
    zcert_t *cert = bus_cert_load_secret(config->dir, name, err, errlen);
    if (!cert) return NULL;
    for (size_t i = 0; i < config->brokers_n; i++)
        if (!config->brokers[i].public_key[0]) {
            snprintf(err, errlen, "no certificate for broker %s", config->brokers[i].name);
            zcert_destroy(&cert);
            return NULL;
        }
    bus_events_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->config = config;
    snprintf(self->name, sizeof self->name, "%s", name);
    self->cert = cert;
    randombytes_buf(&self->epoch, sizeof self->epoch);
    self->epoch |= 1; /* never 0, which means "no epoch" */
    self->publishers = zhashx_new();
    zhashx_set_key_duplicator(self->publishers, NULL);
    zhashx_set_key_destructor(self->publishers, NULL);
    zhashx_set_destructor(self->publishers, s_publisher_free);
    self->arena = bus_arena_new(4 * (size_t)config->msg_max);
    bus_buf_init(&self->out, (size_t)config->msg_max);
    self->log_bad.burst = 10;
    return self;
}

void bus_events_destroy(bus_events_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_events_t *self = *self_p;
    if (self->holding) zmq_msg_close(&self->held);
    zsock_destroy(&self->pub);
    zsock_destroy(&self->sub);
    zhashx_destroy(&self->publishers);
    bus_arena_destroy(&self->arena);
    bus_buf_free(&self->out);
    zcert_destroy(&self->cert);
    free(self);
    *self_p = NULL;
}

void bus_events_open_publisher(bus_events_t *self)
{
    if (!self->pub) self->pub = s_socket(self, ZMQ_PUB, BUS_PORT_PUBLISH);
}

static int s_send_out(bus_events_t *self, codec_err_t *err);

int bus_events_publish(bus_events_t *self, const char *topic, const codec_msg_t *desc,
                       const void *body, codec_err_t *err)
{
    bus_events_open_publisher(self);
    bus_envelope_t env = {.kind = BUS_KIND_EVENT, .seq = self->seq + 1, .epoch = self->epoch};
    bus_buf_reset(&self->out);
    int rc = bus_frame_build(&self->out, topic, &env, desc, body, err);
    return rc ? rc : s_send_out(self, err);
}

int bus_events_publish_encoded(bus_events_t *self, const char *topic, uint32_t type,
                               const uint8_t *body, size_t len, codec_err_t *err)
{
    bus_events_open_publisher(self);
    bus_envelope_t env = {
        .kind = BUS_KIND_EVENT, .type = type, .seq = self->seq + 1, .epoch = self->epoch};
    bus_buf_reset(&self->out);
    int rc = bus_frame_build_raw(&self->out, topic, strlen(topic), &env, body, len, err);
    return rc ? rc : s_send_out(self, err);
}

/* Sends the frame in self->out. */
static int s_send_out(bus_events_t *self, codec_err_t *err)
{
    if (zmq_send(zsock_resolve(self->pub), self->out.data, self->out.len, ZMQ_DONTWAIT) < 0) {
        snprintf(err->text, sizeof err->text, "publish: %s", zmq_strerror(zmq_errno()));
        return -zmq_errno();
    }
    self->seq++;
    self->stats.published++;
    return 0;
}

int bus_events_subscribe(bus_events_t *self, const char *prefix)
{
    if (strlen(prefix) > BUS_TOPIC_MAX) return BUS_EINVALID;
    if (!self->sub) self->sub = s_socket(self, ZMQ_SUB, BUS_PORT_SUBSCRIBE);
    zsock_set_subscribe(self->sub, prefix);
    return 0;
}

int bus_events_unsubscribe(bus_events_t *self, const char *prefix)
{
    if (!self->sub) return 0;
    zsock_set_unsubscribe(self->sub, prefix);
    return 0;
}

/* Sequence bookkeeping: false for a duplicate; *gap gets the events missed before this one. */
static bool s_track(bus_events_t *self, const char *caller, uint64_t epoch, uint64_t seq,
                    uint64_t *gap)
{
    *gap = 0;
    s_publisher_t *p = zhashx_lookup(self->publishers, caller);
    if (!p) {
        if (zhashx_size(self->publishers) >= S_PUBLISHERS_MAX) zhashx_purge(self->publishers);
        p = calloc(1, sizeof *p);
        if (!p) abort();
        snprintf(p->key, sizeof p->key, "%s", caller);
        zhashx_insert(self->publishers, p->key, p);
    } else if (p->epoch == epoch) {
        if (seq <= p->seq) return false;
        *gap = seq - p->seq - 1;
    } else if (epoch == p->old_epoch) {
        return false; /* a late copy, through another broker, of the run before */
    } else {
        /* The publisher restarted: whatever of the new run came before this was missed (a new
         * PUB socket drops what it sends before its connections are up). */
        *gap = seq - 1;
        p->old_epoch = p->epoch;
    }
    p->epoch = epoch;
    p->seq = seq;
    return true;
}

int bus_events_poll(bus_events_t *self, bus_event_t *ev)
{
    if (self->holding) {
        zmq_msg_close(&self->held);
        self->holding = false;
    }
    if (!self->sub) return BUS_ETIMEOUT;
    void *raw = zsock_resolve(self->sub);
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, raw, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return BUS_ETIMEOUT;
        }
        bus_arena_reset(self->arena);
        codec_err_t err;
        bus_frame_t f;
        uint64_t gap;
        bool ok = !zmq_msg_more(&msg) &&
                  bus_frame_parse(zmq_msg_data(&msg), zmq_msg_size(&msg), true, self->arena, &f,
                                  &err) == 0 &&
                  f.env->kind == BUS_KIND_EVENT && f.env->caller;
        if (!ok) {
            bus_log_limited(&self->log_bad, BUS_LOG_WARN, "events.bad_frame", "bytes=%zu",
                            zmq_msg_size(&msg));
            while (zmq_msg_more(&msg)) {
                zmq_msg_close(&msg);
                zmq_msg_init(&msg);
                if (zmq_msg_recv(&msg, raw, 0) < 0) break;
            }
            zmq_msg_close(&msg);
            continue;
        }
        if (!s_track(self, f.env->caller, f.env->epoch, f.env->seq, &gap)) {
            self->stats.duplicates++;
            zmq_msg_close(&msg);
            continue;
        }
        if (gap) {
            self->stats.gaps++;
            self->stats.missed += gap;
        }
        self->stats.received++;
        ev->topic = bus_arena_strndup(self->arena, f.topic, f.topic_len);
        ev->env = f.env;
        ev->frame = f;
        ev->gap = gap;
        self->held = msg;
        self->holding = true;
        return 0;
    }
}

int bus_events_recv(bus_events_t *self, bus_event_t *ev, int timeout_ms)
{
    uint64_t until = timeout_ms < 0 ? UINT64_MAX : bus_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (bus_events_poll(self, ev) == 0) return 0;
        uint64_t now = bus_now_ms();
        if (now >= until || !self->sub) return BUS_ETIMEOUT;
        zmq_pollitem_t item = {zsock_resolve(self->sub), 0, ZMQ_POLLIN, 0};
        long wait = until == UINT64_MAX ? -1 : (long)(until - now);
        if (zmq_poll(&item, 1, wait) < 0 && zmq_errno() != EINTR) return -zmq_errno();
        if (zsys_interrupted) return BUS_ECLOSED;
    }
}

void *bus_events_socket(bus_events_t *self)
{
    return self->sub ? zsock_resolve(self->sub) : NULL;
}

const bus_events_stats_t *bus_events_stats(const bus_events_t *self)
{
    return &self->stats;
}

void bus_events_test(bool verbose)
{
    bus_events_t self = {0};
    self.publishers = zhashx_new();
    zhashx_set_key_duplicator(self.publishers, NULL);
    zhashx_set_key_destructor(self.publishers, NULL);
    zhashx_set_destructor(self.publishers, s_publisher_free);
    uint64_t gap;
    /* In order: no gaps. The same event again (from a second broker): dropped. */
    assert(s_track(&self, "store/s1", 7, 1, &gap) && gap == 0);
    assert(s_track(&self, "store/s1", 7, 2, &gap) && gap == 0);
    assert(!s_track(&self, "store/s1", 7, 2, &gap));
    assert(!s_track(&self, "store/s1", 7, 1, &gap));
    /* A jump is a gap of the events in between. */
    assert(s_track(&self, "store/s1", 7, 6, &gap) && gap == 3);
    assert(!s_track(&self, "store/s1", 7, 5, &gap));
    /* A new epoch (the publisher restarted) starts over; what it sent before this was missed.
     * A late copy from the old run is dropped, and does not flip the epoch back. */
    assert(s_track(&self, "store/s1", 8, 3, &gap) && gap == 2);
    assert(!s_track(&self, "store/s1", 7, 7, &gap));
    assert(!s_track(&self, "store/s1", 8, 3, &gap));
    assert(s_track(&self, "store/s1", 8, 4, &gap) && gap == 0);
    assert(s_track(&self, "store/s1", 8, 1 + 4, &gap) && gap == 0);
    /* Publishers are tracked apart. */
    assert(s_track(&self, "store/s2", 7, 1, &gap) && gap == 0);
    assert(s_track(&self, "store/s1", 8, 6, &gap) && gap == 0);
    /* The table has a limit: past it, it starts again rather than grow. */
    char name[32];
    for (int i = 0; i < S_PUBLISHERS_MAX + 10; i++) {
        snprintf(name, sizeof name, "p/%d", i);
        assert(s_track(&self, name, 1, 1, &gap));
    }
    assert(zhashx_size(self.publishers) <= S_PUBLISHERS_MAX);
    zhashx_destroy(&self.publishers);
    (void)verbose;
}
