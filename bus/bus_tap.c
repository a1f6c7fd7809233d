/* bus_tap: SUB to every broker's tap, per-broker sequence tracking, decoding. */
#include "bus_tap.h"
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_time.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define S_BROKERS_MAX 64

typedef struct {
    char name[128];
    uint64_t epoch;
    uint64_t seq;
} s_seen_t;

struct bus_tap_t {
    zcert_t *cert;
    zsock_t *sub;
    s_seen_t seen[S_BROKERS_MAX];
    size_t seen_n;
    bus_arena_t *arena;
    zmq_msg_t parts[2];
    bool holding;
};

bus_tap_t *bus_tap_new(const bus_config_t *config, const char *name, char *err, size_t errlen)
{
    zcert_t *cert = bus_cert_load_secret(config->dir, name, err, errlen);
    if (!cert) return NULL;
    bus_tap_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->cert = cert;
    self->sub = zsock_new(ZMQ_SUB);
    zcert_apply(cert, self->sub);
    zsock_set_rcvhwm(self->sub, 200000);
    zsock_set_reconnect_ivl(self->sub, 100);
    zsock_set_reconnect_ivl_max(self->sub, 1000);
    for (size_t i = 0; i < config->brokers_n; i++) {
        const bus_broker_conf_t *b = &config->brokers[i];
        if (!b->public_key[0]) {
            snprintf(err, errlen, "no certificate for broker %s", b->name);
            bus_tap_destroy(&self);
            return NULL;
        }
        zsock_set_curve_serverkey(self->sub, b->public_key);
        char endpoint[300];
        bus_config_endpoint(b, BUS_PORT_TAP, false, endpoint, sizeof endpoint);
        zsock_connect(self->sub, "%s", endpoint);
    }
    self->arena = bus_arena_new(4 * (size_t)config->msg_max);
    return self;
}

void bus_tap_destroy(bus_tap_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_tap_t *self = *self_p;
    if (self->holding) {
        zmq_msg_close(&self->parts[0]);
        zmq_msg_close(&self->parts[1]);
    }
    zsock_destroy(&self->sub);
    zcert_destroy(&self->cert);
    bus_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

int bus_tap_subscribe(bus_tap_t *self, const char *prefix)
{
    if (strlen(prefix) > BUS_TOPIC_MAX) return BUS_EINVALID;
    zsock_set_subscribe(self->sub, prefix);
    return 0;
}

/* Per-broker sequence: the number of records lost before this one. */
static uint64_t s_gap(bus_tap_t *self, const char *broker, uint64_t epoch, uint64_t seq)
{
    s_seen_t *s = NULL;
    for (size_t i = 0; i < self->seen_n && !s; i++)
        if (strcmp(self->seen[i].name, broker) == 0) s = &self->seen[i];
    if (!s) {
        if (self->seen_n == S_BROKERS_MAX) return 0;
        s = &self->seen[self->seen_n++];
        snprintf(s->name, sizeof s->name, "%s", broker);
    }
    bool same = s->epoch == epoch; /* a restarted broker counts from 1 again */
    uint64_t gap = same && s->seq && seq > s->seq + 1 ? seq - s->seq - 1 : 0;
    if (!same || seq > s->seq) {
        s->epoch = epoch;
        s->seq = seq;
    }
    return gap;
}

static void s_decode_frame(bus_tap_t *self, bus_tap_rec_t *out)
{
    codec_err_t err;
    bool topic = out->rec->socket == BUS_SOCKET_EVENTS;
    out->frame_rc = bus_frame_parse(out->raw, out->raw_len, topic, self->arena, &out->frame, &err);
    if (out->frame_rc || !out->frame.env->type) return;
    out->desc = kubus_message_by_type(out->frame.env->type);
    if (out->desc && bus_frame_body(&out->frame, out->desc, self->arena, &out->body, &err) != 0)
        out->body = NULL;
}

static int s_read(bus_tap_t *self, bus_tap_rec_t *out)
{
    void *raw = zsock_resolve(self->sub);
    for (;;) {
        if (self->holding) {
            zmq_msg_close(&self->parts[0]);
            zmq_msg_close(&self->parts[1]);
            self->holding = false;
        }
        zmq_msg_init(&self->parts[0]);
        zmq_msg_init(&self->parts[1]);
        self->holding = true;
        if (zmq_msg_recv(&self->parts[0], raw, ZMQ_DONTWAIT) < 0) return BUS_ETIMEOUT;
        bool two = zmq_msg_more(&self->parts[0]);
        if (two && zmq_msg_recv(&self->parts[1], raw, 0) < 0) return BUS_ETIMEOUT;
        while (zmq_msg_more(two ? &self->parts[1] : &self->parts[0])) {
            zmq_msg_t extra; /* never sent by brokers: drop */
            zmq_msg_init(&extra);
            int rc = zmq_msg_recv(&extra, raw, 0);
            bool more = rc >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            if (!more) break;
        }
        bus_arena_reset(self->arena);
        memset(out, 0, sizeof *out);
        bus_frame_t head;
        codec_err_t err;
        void *rec;
        if (bus_frame_parse(zmq_msg_data(&self->parts[0]), zmq_msg_size(&self->parts[0]), true,
                            self->arena, &head, &err) != 0 ||
            head.env->kind != BUS_KIND_TAP ||
            bus_frame_body(&head, &bus_tap_record_desc, self->arena, &rec, &err) != 0)
            continue;
        out->topic = bus_arena_strndup(self->arena, head.topic, head.topic_len);
        out->rec = rec;
        out->hello = out->rec->hello;
        out->gap =
            s_gap(self, out->rec->broker ? out->rec->broker : "", head.env->epoch, out->rec->seq);
        if (!out->hello && two) {
            out->raw = zmq_msg_data(&self->parts[1]);
            out->raw_len = zmq_msg_size(&self->parts[1]);
            s_decode_frame(self, out);
        }
        return 0;
    }
}

int bus_tap_recv(bus_tap_t *self, bus_tap_rec_t *rec, int timeout_ms)
{
    uint64_t until = timeout_ms < 0 ? UINT64_MAX : bus_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (s_read(self, rec) == 0) return 0;
        uint64_t now = bus_now_ms();
        if (now >= until) return BUS_ETIMEOUT;
        zmq_pollitem_t item = {zsock_resolve(self->sub), 0, ZMQ_POLLIN, 0};
        long wait = until == UINT64_MAX ? -1 : (long)(until - now);
        if (zmq_poll(&item, 1, wait) < 0 && zmq_errno() != EINTR) return -zmq_errno();
        if (zsys_interrupted) return BUS_ECLOSED;
    }
}
