/* bus_service: a zloop over the client's links, the subscriber socket and a short timer that
 * drives the client's own timers (heartbeats, deadlines). */
#include "bus_service.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_time.h"

#include <stdlib.h>
#include <string.h>

#define S_HANDLERS_MAX 64
#define S_SUBS_MAX     64
#define S_TICK_MS      10
#define S_FDS_MAX      8

typedef struct {
    const codec_msg_t *desc;
    bus_request_fn *fn;
    void *arg;
} s_handler_t;

typedef struct {
    char prefix[BUS_TOPIC_MAX + 1];
    bus_event_fn *fn;
    void *arg;
} s_sub_t;

typedef struct {
    bus_reply_fn *fn;
    void *arg;
    void (*free_arg)(void *arg);
    void *handle; /* in conts */
} s_cont_t;

typedef struct {
    bus_service_t *svc;
    bus_timer_fn *fn;
    void *arg;
    void (*free_arg)(void *arg);
    void *handle;
} s_after_t;

typedef struct {
    struct bus_service_t *svc;
    bus_timer_fn *fn;
    void *arg;
} s_fd_t;

struct bus_service_t {
    bus_config_t *config;
    bus_client_t *client;
    bus_events_t *events;
    char name[64];
    zloop_t *loop;
    s_handler_t handlers[S_HANDLERS_MAX];
    size_t handlers_n;
    s_sub_t subs[S_SUBS_MAX];
    size_t subs_n;
    bool events_polled;
    bool stopping;
    int status;
    zlistx_t *afters; /* pending s_after_t, freed if the service ends first */
    zlistx_t *conts;  /* s_cont_t of requests not yet answered */
    bus_arena_t *arena;
    bus_log_limit_t log_bad;
    bus_timer_fn *drained_fn;
    void *drained_arg;
    s_fd_t fds[S_FDS_MAX];
    size_t fds_n;
};

static void s_free_cont(void **item)
{
    s_cont_t *c = *item;
    if (c->free_arg) c->free_arg(c->arg);
    free(c);
    *item = NULL;
}

static void s_free_after(void **item)
{
    s_after_t *a = *item;
    if (a->free_arg) a->free_arg(a->arg);
    free(a);
    *item = NULL;
}

bus_service_t *bus_service_new(const char *dir, const char *name, char *err, size_t errlen)
{
    bus_config_t *config = bus_config_load(dir, err, errlen);
    if (!config) return NULL;
    bus_client_t *client = bus_client_new(config, name, err, errlen);
    if (!client) {
        bus_config_destroy(&config);
        return NULL;
    }
    bus_service_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->config = config;
    self->client = client;
    snprintf(self->name, sizeof self->name, "%s", name);
    self->loop = zloop_new();
    self->arena = bus_arena_new(4 * (size_t)config->msg_max);
    self->log_bad.burst = 10;
    self->afters = zlistx_new();
    zlistx_set_destructor(self->afters, s_free_after);
    self->conts = zlistx_new();
    zlistx_set_destructor(self->conts, s_free_cont);
    return self;
}

void bus_service_destroy(bus_service_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_service_t *self = *self_p;
    zloop_destroy(&self->loop);
    zlistx_destroy(&self->afters);
    zlistx_destroy(&self->conts);
    bus_client_destroy(&self->client);
    bus_events_destroy(&self->events);
    bus_arena_destroy(&self->arena);
    bus_config_destroy(&self->config);
    free(self);
    *self_p = NULL;
}

bus_client_t *bus_service_client(bus_service_t *self)
{
    return self->client;
}

const bus_config_t *bus_service_config(bus_service_t *self)
{
    return self->config;
}

int bus_service_offer(bus_service_t *self, const char *service, uint32_t credits)
{
    return bus_client_offer(self->client, service, credits);
}

int bus_service_on(bus_service_t *self, const codec_msg_t *desc, bus_request_fn *fn, void *arg)
{
    if (self->handlers_n == S_HANDLERS_MAX || !desc->type) return BUS_EINVALID;
    self->handlers[self->handlers_n++] = (s_handler_t){desc, fn, arg};
    return 0;
}

int bus_service_call(bus_service_t *self, const bus_call_t *call, bus_reply_fn *fn, void *arg,
                     void (*free_arg)(void *arg), codec_err_t *err)
{
    s_cont_t *cont = malloc(sizeof *cont);
    if (!cont) abort();
    *cont = (s_cont_t){fn, arg, free_arg, NULL};
    bus_call_t c = *call;
    c.user = cont;
    uint64_t rid;
    int rc = bus_client_request(self->client, &c, &rid, err);
    if (rc)
        free(cont);
    else
        cont->handle = zlistx_add_end(self->conts, cont);
    return rc;
}

static void s_on_request(bus_service_t *self, bus_in_t *in)
{
    const s_handler_t *h = NULL;
    for (size_t i = 0; i < self->handlers_n && !h; i++)
        if (self->handlers[i].desc->type == in->env->type) h = &self->handlers[i];
    if (!h) {
        char text[160];
        snprintf(text, sizeof text, "%s has no handler for message type %u", self->name,
                 in->env->type);
        bus_log_limited(&self->log_bad, BUS_LOG_WARN, "service.unknown_type", "caller=%s type=%u",
                        in->env->caller ? in->env->caller : "-", in->env->type);
        bus_client_reply(self->client, &in->reply_to, BUS_EUNKNOWNTYPE, text, NULL, NULL);
        return;
    }
    void *msg = NULL;
    codec_err_t err;
    bus_arena_reset(self->arena);
    int rc = bus_frame_body(&in->frame, h->desc, self->arena, &msg, &err);
    if (rc) {
        bus_log_limited(&self->log_bad, BUS_LOG_WARN, "service.bad_body", "caller=%s error=\"%s\"",
                        in->env->caller ? in->env->caller : "-", err.text);
        bus_client_reply(self->client, &in->reply_to, rc, err.text, NULL, NULL);
        return;
    }
    h->fn(self, in, msg, h->arg);
}

/* Handles everything the client has for us now. */
static void s_drain_client(bus_service_t *self)
{
    bus_in_t in;
    while (bus_client_poll(self->client, &in) == 0) {
        switch (in.kind) {
        case BUS_KIND_REQUEST: s_on_request(self, &in); break;
        case BUS_KIND_REPLY: {
            s_cont_t *cont = in.user;
            if (cont) {
                s_cont_t c = *cont;
                cont->free_arg = NULL;                    /* the continuation owns arg now */
                zlistx_delete(self->conts, cont->handle); /* frees cont */
                c.fn(self, &in, c.arg);
            }
            break;
        }
        case BUS_KIND_DISCONNECT:
            log_error("service.refused", "error=\"%s\"", in.env->error ? in.env->error : "-");
            self->status = in.env->status ? in.env->status : BUS_EFORBIDDEN;
            self->stopping = true;
            return;
        }
    }
}

static void s_drain_events(bus_service_t *self)
{
    bus_event_t ev;
    while (self->events && bus_events_poll(self->events, &ev) == 0) {
        size_t best = SIZE_MAX, best_len = 0;
        for (size_t i = 0; i < self->subs_n; i++) {
            size_t n = strlen(self->subs[i].prefix);
            if (strncmp(ev.topic, self->subs[i].prefix, n) == 0 &&
                (best == SIZE_MAX || n > best_len)) {
                best = i;
                best_len = n;
            }
        }
        if (best != SIZE_MAX) self->subs[best].fn(self, &ev, self->subs[best].arg);
    }
}

static void s_drained(bus_service_t *self)
{
    if (self->drained_fn && !self->stopping) self->drained_fn(self, self->drained_arg);
}

static int s_on_link(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_drain_client(arg);
    s_drained(arg);
    return 0;
}

static int s_on_events(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_drain_events(arg);
    s_drained(arg);
    return 0;
}

static int s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    bus_service_t *self = arg;
    s_drain_client(self);
    s_drained(self);
    return self->stopping ? -1 : 0;
}

static int s_on_fd(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    s_fd_t *f = arg;
    f->fn(f->svc, f->arg);
    s_drained(f->svc);
    return 0;
}

int bus_service_poll_fd(bus_service_t *self, int fd, bus_timer_fn *fn, void *arg)
{
    if (self->fds_n == S_FDS_MAX) return BUS_EINVALID;
    s_fd_t *f = &self->fds[self->fds_n++];
    *f = (s_fd_t){self, fn, arg};
    zmq_pollitem_t item = {NULL, fd, ZMQ_POLLIN, 0};
    return zloop_poller(self->loop, &item, s_on_fd, f) == 0 ? 0 : BUS_EINTERNAL;
}

void bus_service_on_drained(bus_service_t *self, bus_timer_fn *fn, void *arg)
{
    self->drained_fn = fn;
    self->drained_arg = arg;
}

static int s_ensure_events(bus_service_t *self)
{
    if (self->events) return 0;
    char err[256];
    self->events = bus_events_new(self->config, self->name, err, sizeof err);
    if (!self->events) {
        log_error("service.events", "error=\"%s\"", err);
        return BUS_ECONFIG;
    }
    return 0;
}

int bus_service_subscribe(bus_service_t *self, const char *prefix, bus_event_fn *fn, void *arg)
{
    if (self->subs_n == S_SUBS_MAX || strlen(prefix) > BUS_TOPIC_MAX) return BUS_EINVALID;
    int rc = s_ensure_events(self);
    if (rc) return rc;
    snprintf(self->subs[self->subs_n].prefix, sizeof self->subs[0].prefix, "%s", prefix);
    self->subs[self->subs_n].fn = fn;
    self->subs[self->subs_n].arg = arg;
    self->subs_n++;
    rc = bus_events_subscribe(self->events, prefix);
    if (!rc && !self->events_polled) {
        zmq_pollitem_t item = {bus_events_socket(self->events), 0, ZMQ_POLLIN, 0};
        zloop_poller(self->loop, &item, s_on_events, self);
        self->events_polled = true;
    }
    return rc;
}

int bus_service_publish(bus_service_t *self, const char *topic, const codec_msg_t *desc,
                        const void *body, codec_err_t *err)
{
    int rc = s_ensure_events(self);
    return rc ? rc : bus_events_publish(self->events, topic, desc, body, err);
}

int bus_service_open_publisher(bus_service_t *self)
{
    int rc = s_ensure_events(self);
    if (!rc) bus_events_open_publisher(self->events);
    return rc;
}

int bus_service_publish_encoded(bus_service_t *self, const char *topic, uint32_t type,
                                const uint8_t *body, size_t len, codec_err_t *err)
{
    int rc = s_ensure_events(self);
    return rc ? rc : bus_events_publish_encoded(self->events, topic, type, body, len, err);
}

static int s_on_after(zloop_t *loop, int timer_id, void *arg)
{
    s_after_t a = *(s_after_t *)arg;
    ((s_after_t *)arg)->free_arg = NULL; /* arg goes to fn, which owns it now */
    zlistx_delete(a.svc->afters, a.handle);
    a.fn(a.svc, a.arg);
    s_drained(a.svc);
    return 0;
}

int bus_service_after(bus_service_t *self, uint32_t delay_ms, bus_timer_fn *fn, void *arg,
                      void (*free_arg)(void *arg))
{
    s_after_t *a = malloc(sizeof *a);
    if (!a) abort();
    *a = (s_after_t){self, fn, arg, free_arg, NULL};
    int id = zloop_timer(self->loop, delay_ms ? delay_ms : 1, 1, s_on_after, a);
    if (id < 0) {
        free(a);
        return BUS_EINTERNAL;
    }
    a->handle = zlistx_add_end(self->afters, a);
    return id;
}

int bus_service_run(bus_service_t *self)
{
    zmq_pollitem_t items[16];
    size_t n = bus_client_pollitems(self->client, items, 16);
    for (size_t i = 0; i < n; i++) zloop_poller(self->loop, &items[i], s_on_link, self);
    zloop_timer(self->loop, S_TICK_MS, 0, s_on_tick, self);
    s_drain_client(self);
    zloop_start(self->loop);
    return self->status;
}

void bus_service_stop(bus_service_t *self)
{
    self->stopping = true;
}

typedef struct {
    uint64_t deadline;
    bool (*done)(void *arg);
    void *arg;
} s_until_t;

static int s_on_until(zloop_t *loop, int timer_id, void *arg)
{
    s_until_t *u = arg;
    return u->done(u->arg) || bus_now_ms() >= u->deadline ? -1 : 0;
}

int bus_service_run_until(bus_service_t *self, uint32_t ms, bool (*done)(void *arg), void *arg)
{
    if (self->status || done(arg)) return self->status;
    /* The signal that stopped the first run has been seen; only another one ends this run. */
    zsys_interrupted = 0;
    self->stopping = false;
    s_until_t u = {bus_now_ms() + ms, done, arg};
    int id = zloop_timer(self->loop, 10, 0, s_on_until, &u);
    if (id >= 0) zloop_start(self->loop);
    if (id >= 0) zloop_timer_end(self->loop, id);
    self->stopping = true;
    return done(arg) ? 0 : BUS_ETIMEOUT;
}
