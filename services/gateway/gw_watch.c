/* gw_watch: watches, served from a cache of the store's change events. The gateway hears every
 * change under /registry/ on the bus (published by the store's leader, with the revision of the
 * previous change in the same resource: group_prev) and keeps the latest ones per resource in a
 * ring; every watcher of that resource reads the ring, so a thousand watchers cost one event
 * stream, not a thousand store calls. A watcher starting before what the ring holds, or one that
 * missed events (a gap: group_prev newer than what the ring has), catches up from the store's
 * history (watch_request), and a compacted revision ends the stream with a 410 Expired ERROR
 * event, as kube-apiserver does. Streams are chunked JSON lines ({"type","object"}), Tables for
 * `kubectl get -w`; an idle stream's connection is suspended and resumed by the next event. */
#include "gw.h"

#include "bus_arena.h"
#include "bus_err.h"
#include "bus_log.h"
#include "kube_select.h"
#include "kube_time.h"

#include <czmq.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RING_MAX        4096        /* events kept per resource */
#define S_GROUPS_MAX      64          /* resources watched at once */
#define S_WATCHERS_MAX    10000       /* watch streams at once */
#define S_OUT_MAX         (16u << 20) /* bytes queued for one watcher; a slower one is cut off */
#define S_BOOKMARK_MS     30000
#define S_TIMEOUT_DEFAULT 1800  /* seconds a watch lasts unless timeoutSeconds says otherwise */
#define S_HISTORY_MAX     10000 /* events per history call */

typedef struct {
    uint64_t rev;
    bool deleted, created;
    char *key;
    uint8_t *value, *prev; /* the object after (a put) and before (NULL when created) */
    size_t value_len, prev_len;
    /* Made once for every watcher (a thousand watchers of one resource share them): the
     * objects decoded, and their JSON text. Only in the ring (cache set); NULL until needed. */
    bool cache;
    json_t *cur_obj, *old_obj;
    char *cur_text, *old_text;
} s_event_t;

typedef struct {
    char prefix[160]; /* "/registry/pods/" */
    s_event_t ring[S_RING_MAX];
    size_t head, n;
    uint64_t start_rev, last_rev; /* the ring holds every event with start_rev < rev <= last_rev */
    bool init;
    zhashx_t *latest; /* key -> its latest event in the ring (an update's first guess) */
} s_group_t;

enum { S_W_FETCHING, S_W_LIVE, S_W_ENDED };

typedef struct s_watcher {
    gw_t *gw;
    gw_req_t *req; /* NULL once the request is finished (the connection may live on) */
    const kube_kind_t *kind;
    s_group_t *group;
    char key[600]; /* events under this key prefix (or this exact key) */
    bool exact;
    kube_labels_t *labels;
    kube_fields_t *fields;
    bool table, bookmarks, sent_columns;
    int state;
    uint64_t sent_rev; /* every event up to here was delivered or skipped */
    uint64_t deadline_ms, bookmark_ms;
    bus_buf_t out;
    size_t out_off;
    bool end;
    int fetches; /* store calls in flight: the watcher outlives its stream until they answer */
    struct s_watcher *next, *prev;
} s_watcher_t;

static s_group_t *s_groups[S_GROUPS_MAX];
static s_watcher_t *s_watchers;
static size_t s_watchers_n;
static bus_arena_t *s_arena;

/* --- the ring ------------------------------------------------------------------------------ */

static void s_event_free(s_event_t *e)
{
    free(e->key);
    free(e->value);
    free(e->prev);
    json_decref(e->cur_obj);
    json_decref(e->old_obj);
    free(e->cur_text);
    free(e->old_text);
    memset(e, 0, sizeof *e);
}

static s_group_t *s_group(const char *key, bool create)
{
    /* The group of a key is its first two segments: /registry/<plural>/. */
    const char *p = strchr(key + 1, '/');
    p = p ? strchr(p + 1, '/') : NULL;
    if (!p) return NULL;
    size_t n = (size_t)(p - key) + 1;
    if (n >= sizeof s_groups[0]->prefix) return NULL;
    for (int i = 0; i < S_GROUPS_MAX && s_groups[i]; i++)
        if (strlen(s_groups[i]->prefix) == n && !strncmp(s_groups[i]->prefix, key, n))
            return s_groups[i];
    if (!create) return NULL;
    for (int i = 0; i < S_GROUPS_MAX; i++)
        if (!s_groups[i]) {
            s_groups[i] = calloc(1, sizeof *s_groups[i]);
            if (!s_groups[i]) abort();
            memcpy(s_groups[i]->prefix, key, n);
            s_groups[i]->latest = zhashx_new(); /* keys copied; items point into the ring */
            if (!s_groups[i]->latest) abort();
            return s_groups[i];
        }
    return NULL;
}

static uint8_t *s_dup(const void *p, size_t n)
{
    if (!p || !n) return NULL;
    uint8_t *d = malloc(n);
    if (!d) abort();
    memcpy(d, p, n);
    return d;
}

static void s_ring_add(s_group_t *g, const store_event_t *ev)
{
    if (g->n == S_RING_MAX) {
        s_event_t *old = &g->ring[g->head];
        g->start_rev = old->rev; /* what it held is now only in the store's history */
        if (zhashx_lookup(g->latest, old->key) == old) zhashx_delete(g->latest, old->key);
        s_event_free(old);
        g->head = (g->head + 1) % S_RING_MAX;
        g->n--;
    }
    s_event_t *e = &g->ring[(g->head + g->n) % S_RING_MAX];
    g->n++;
    e->cache = true;
    e->rev = ev->revision;
    e->deleted = ev->type == STORE_EVENT_TYPE_DELETE;
    e->key = strdup(ev->kv->key);
    if (!e->key) abort();
    if (!e->deleted) {
        e->value = s_dup(ev->kv->value.data, ev->kv->value.len);
        e->value_len = ev->kv->value.len;
    }
    e->created = !e->deleted && (ev->kv->create_revision == ev->revision || !ev->prev);
    if (ev->prev) {
        e->prev = s_dup(ev->prev->value.data, ev->prev->value.len);
        e->prev_len = ev->prev->value.len;
    }
    g->last_rev = ev->revision;
    zhashx_update(g->latest, e->key, e);
}

bool gw_watch_latest(const char *key, store_kv_t *kv)
{
    s_group_t *g = s_group(key, false);
    s_event_t *e = g && g->init ? zhashx_lookup(g->latest, key) : NULL;
    if (!e || e->deleted) return false;
    *kv = (store_kv_t){
        .key = e->key, .value = {.data = e->value, .len = e->value_len}, .mod_revision = e->rev};
    return true;
}

/* --- delivering ---------------------------------------------------------------------------- */

static bool s_passes(const s_watcher_t *w, const json_t *obj)
{
    if (!obj) return false;
    if (w->labels &&
        !kube_labels_match(w->labels, json_object_get(json_object_get(obj, "metadata"), "labels")))
        return false;
    gw_field_ctx_t c = {.obj = obj};
    return !w->fields || kube_fields_match(w->fields, gw_field_get, &c);
}

static json_t *s_load(const s_watcher_t *w, const char *key, const uint8_t *v, size_t n,
                      uint64_t rev)
{
    if (!v) return NULL;
    store_kv_t kv = {
        .key = (char *)key, .value = {.data = (uint8_t *)v, .len = n}, .mod_revision = rev};
    return gw_object_load(w->kind, &kv);
}

static void s_resume(s_watcher_t *w)
{
    if (w->req) gw_resume(w->req);
}

/* Queues one event line; steals obj. A watcher too far behind is ended. */
static void s_emit(s_watcher_t *w, const char *type, json_t *obj)
{
    if (w->table && strcmp(type, "BOOKMARK") && strcmp(type, "ERROR")) {
        json_t *items = json_pack("[o]", obj);
        const char *rv =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
        obj = gw_table_new(w->kind, items, rv ? rv : "", NULL, NULL, !w->sent_columns,
                           kube_time_now());
        json_decref(items);
        w->sent_columns = true;
    }
    json_t *ev = json_pack("{s:s, s:o}", "type", type, "object", obj);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!text) abort();
    if (bus_buf_append(&w->out, text, strlen(text)) || bus_buf_append(&w->out, "\n", 1)) {
        log_info("gateway.watch.slow", "key=%s queued=%zu", w->key, w->out.len);
        w->end = true;
    }
    free(text);
    s_resume(w);
}

static bool s_key_in(const s_watcher_t *w, const char *key)
{
    return w->exact ? !strcmp(key, w->key) : !strncmp(key, w->key, strlen(w->key));
}

/* The object after (or before) an event, decoded once when the event is in the ring. A new
 * reference. */
static json_t *s_event_obj(const s_watcher_t *w, s_event_t *e, bool before)
{
    json_t **slot = before ? &e->old_obj : &e->cur_obj;
    if (e->cache && *slot) return json_incref(*slot);
    json_t *obj = before ? s_load(w, e->key, e->prev, e->prev_len, e->rev)
                         : s_load(w, e->key, e->value, e->value_len, e->rev);
    if (e->cache && obj) *slot = json_incref(obj);
    return obj;
}

/* Queues {"type":TYPE,"object":...} with the object's JSON text made once per event. */
static void s_emit_shared(s_watcher_t *w, s_event_t *e, const char *type, bool before, json_t *obj)
{
    char **slot = before ? &e->old_text : &e->cur_text;
    char *text = e->cache ? *slot : NULL;
    if (!text) {
        text = json_dumps(obj, JSON_COMPACT);
        if (!text) abort();
        if (e->cache) *slot = text;
    }
    char head[48];
    int n = snprintf(head, sizeof head, "{\"type\":\"%s\",\"object\":", type);
    if (bus_buf_append(&w->out, head, (size_t)n) || bus_buf_append(&w->out, text, strlen(text)) ||
        bus_buf_append(&w->out, "}\n", 2)) {
        log_info("gateway.watch.slow", "key=%s queued=%zu", w->key, w->out.len);
        w->end = true;
    }
    if (!e->cache) free(text);
    s_resume(w);
}

/* Delivers one event (callers pass only events after what the watcher has seen). */
static void s_deliver(s_watcher_t *w, s_event_t *e)
{
    if (e->rev > w->sent_rev) w->sent_rev = e->rev;
    if (!s_key_in(w, e->key)) return;
    json_t *cur = e->deleted ? NULL : s_event_obj(w, e, false);
    json_t *old = e->created ? NULL : s_event_obj(w, e, true);
    bool now = s_passes(w, cur), before = s_passes(w, old);
    const char *type = now && (e->created || !before) ? "ADDED"
                       : now                          ? "MODIFIED"
                       : before                       ? "DELETED" /* gone, or not selected now */
                                                      : NULL;
    if (type && w->table)
        s_emit(w, type, json_incref(now ? cur : old));
    else if (type)
        s_emit_shared(w, e, type, !now, now ? cur : old);
    json_decref(cur);
    json_decref(old);
}

static void s_bookmark(s_watcher_t *w)
{
    char av[128], rv[32];
    snprintf(rv, sizeof rv, "%" PRIu64, w->sent_rev);
    s_emit(w, "BOOKMARK",
           json_pack("{s:s, s:s, s:{s:s}}", "kind", w->kind->kind, "apiVersion",
                     gw_api_version(w->kind, av, sizeof av), "metadata", "resourceVersion", rv));
}

static void s_expired(s_watcher_t *w, const char *text)
{
    s_emit(w, "ERROR",
           json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                     "metadata", "status", "Failure", "message", text, "reason", "Expired", "code",
                     410));
    w->end = true;
}

/* --- catching up from the store ------------------------------------------------------------ */

static void s_fetch(s_watcher_t *w);

/* From what the watcher has seen to the ring's end, then live; from the store first when the
 * ring does not reach back that far. A resource with no event heard yet has an empty ring: the
 * first event's group_prev tells whether the watcher missed anything. */
static void s_go_live(s_watcher_t *w)
{
    s_group_t *g = w->group;
    if (g->init && w->sent_rev < g->start_rev) {
        s_fetch(w);
        return;
    }
    uint64_t from = w->sent_rev;
    for (size_t i = 0; g->init && i < g->n; i++) {
        s_event_t *e = &g->ring[(g->head + i) % S_RING_MAX];
        if (e->rev > from) s_deliver(w, e);
    }
    if (g->init && w->sent_rev < g->last_rev) w->sent_rev = g->last_rev;
    w->state = S_W_LIVE;
}

typedef struct {
    s_watcher_t *w;
} s_fetch_t;

static void s_watcher_free(s_watcher_t *w);

/* The service ended before the store answered. */
static void s_fetch_free(void *arg)
{
    s_watcher_t *w = ((s_fetch_t *)arg)->w;
    free(arg);
    if (--w->fetches == 0 && w->state == S_W_ENDED) s_watcher_free(w);
}

/* The watcher a store reply is for, or NULL when its stream ended meanwhile (freed here when
 * this was the last call it waited for). */
static s_watcher_t *s_answered(void *arg)
{
    s_watcher_t *w = ((s_fetch_t *)arg)->w;
    free(arg);
    w->fetches--;
    if (w->state != S_W_ENDED) return w;
    if (!w->fetches) s_watcher_free(w);
    return NULL;
}

/* Sends a store request for w; the stream ends if it cannot go. */
static void s_ask(s_watcher_t *w, const codec_msg_t *desc, const void *body, bus_reply_fn *fn)
{
    s_fetch_t *f = malloc(sizeof *f);
    if (!f) abort();
    f->w = w;
    bus_call_t call = {
        .service = "store", .desc = desc, .body = body, .timeout_ms = GW_STORE_TIMEOUT};
    codec_err_t err;
    if (bus_service_call(w->gw->svc, &call, fn, f, s_fetch_free, &err)) {
        free(f);
        w->end = true;
        s_resume(w);
        return;
    }
    w->fetches++;
}

static void s_history_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_watcher_t *w = s_answered(arg);
    if (!w) return;
    store_watch_reply_t *r = NULL;
    codec_err_t err;
    bus_arena_reset(s_arena);
    if (in->env->status == BUS_EGONE) {
        char text[128];
        snprintf(text, sizeof text, "too old resource version: %" PRIu64, w->sent_rev);
        s_expired(w, text);
        return;
    }
    if (in->env->status ||
        bus_frame_body(&in->frame, &store_watch_reply_desc, s_arena, (void **)&r, &err)) {
        log_info("gateway.watch.fetch", "key=%s error=\"%s\"", w->key,
                 in->env->error ? in->env->error : "unreadable");
        w->end = true;
        s_resume(w);
        return;
    }
    store_event_t *evs = r->events.v;
    for (size_t i = 0; i < r->events.n; i++) {
        s_event_t e = {.rev = evs[i].revision,
                       .deleted = evs[i].type == STORE_EVENT_TYPE_DELETE,
                       .key = evs[i].kv->key};
        if (!e.deleted) {
            e.value = evs[i].kv->value.data;
            e.value_len = evs[i].kv->value.len;
        }
        e.created = !e.deleted && (evs[i].kv->create_revision == e.rev || !evs[i].prev);
        if (evs[i].prev) {
            e.prev = evs[i].prev->value.data;
            e.prev_len = evs[i].prev->value.len;
        }
        s_deliver(w, &e);
    }
    if (r->more) {
        s_fetch(w);
        return;
    }
    /* Everything up to the store's revision when it answered has been seen. */
    if (r->header && r->header->revision > w->sent_rev) w->sent_rev = r->header->revision;
    s_go_live(w);
    (void)svc;
}

static void s_fetch(s_watcher_t *w)
{
    w->state = S_W_FETCHING;
    store_watch_request_t q = {.prefix = w->exact ? w->key : w->group->prefix,
                               .from_revision = w->sent_rev + 1,
                               .max = S_HISTORY_MAX,
                               .prev_kv = true};
    s_ask(w, &store_watch_request_desc, &q, s_history_reply);
}

/* --- events from the bus ------------------------------------------------------------------- */

static void s_on_event(bus_service_t *svc, bus_event_t *bev, void *arg)
{
    store_event_t *ev = NULL;
    codec_err_t err;
    bus_arena_reset(s_arena);
    if (bus_frame_body(&bev->frame, &store_event_desc, s_arena, (void **)&ev, &err)) {
        log_info("gateway.watch.event", "topic=%s error=\"%s\"", bev->topic, err.text);
        return;
    }
    gw_authz_event(ev);
    s_group_t *g = s_group(ev->kv->key, true);
    if (!g) return;
    if (!g->init || ev->group_prev > g->last_rev) {
        /* The first event heard, or events were missed on the way: the ring starts again here;
         * watchers that are behind catch up from the store. */
        for (size_t i = 0; i < g->n; i++) s_event_free(&g->ring[(g->head + i) % S_RING_MAX]);
        zhashx_purge(g->latest);
        g->head = g->n = 0;
        g->start_rev = g->last_rev = ev->group_prev;
        g->init = true;
    } else if (ev->revision < g->last_rev) {
        return; /* older than what the ring holds: heard twice */
    }
    s_ring_add(g, ev);
    s_event_t *e = &g->ring[(g->head + g->n - 1) % S_RING_MAX];
    for (s_watcher_t *w = s_watchers; w; w = w->next) {
        if (w->group != g || w->state != S_W_LIVE) continue;
        if (w->sent_rev >= ev->group_prev)
            s_deliver(w, e);
        else
            s_fetch(w); /* it missed events between what it saw and this one */
    }
    (void)svc;
    (void)arg;
}

/* Bookmarks, deadlines, and clients that hung up: a stream waiting for events is not read, so
 * only a look at its socket tells (else it would stay half-closed until its deadline). */
static void s_tick(bus_service_t *svc, void *arg)
{
    gw_t *gw = arg;
    uint64_t now = bus_now_ms();
    for (s_watcher_t *w = s_watchers; w; w = w->next) {
        if (w->state == S_W_ENDED || !w->req) continue;
        if (now >= w->deadline_ms || gw_client_gone(w->req)) {
            w->end = true;
            s_resume(w);
        }
        if (w->bookmarks && w->state == S_W_LIVE && now >= w->bookmark_ms) {
            w->bookmark_ms = now + S_BOOKMARK_MS;
            s_bookmark(w); /* resumes it */
        }
    }
    bus_service_after(svc, 1000, s_tick, gw, NULL);
}

int gw_watch_init(gw_t *gw)
{
    s_arena = bus_arena_new(64u << 20);
    int rc = bus_service_subscribe(gw->svc, "/registry/", s_on_event, gw);
    if (!rc) bus_service_after(gw->svc, 1000, s_tick, gw, NULL);
    return rc;
}

void gw_watch_stop(void)
{
    for (s_watcher_t *w = s_watchers; w; w = w->next) {
        w->end = true;
        s_resume(w);
    }
}

void gw_watch_free(void)
{
    for (int i = 0; i < S_GROUPS_MAX && s_groups[i]; i++) {
        for (size_t j = 0; j < s_groups[i]->n; j++)
            s_event_free(&s_groups[i]->ring[(s_groups[i]->head + j) % S_RING_MAX]);
        zhashx_destroy(&s_groups[i]->latest);
        free(s_groups[i]);
        s_groups[i] = NULL;
    }
    bus_arena_destroy(&s_arena);
}

/* --- the stream ---------------------------------------------------------------------------- */

static void s_watcher_free(s_watcher_t *w)
{
    kube_labels_destroy(&w->labels);
    kube_fields_destroy(&w->fields);
    bus_buf_free(&w->out);
    free(w);
}

static ssize_t s_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    s_watcher_t *w = cls;
    if (w->out_off < w->out.len) {
        size_t n = w->out.len - w->out_off;
        if (n > max) n = max;
        memcpy(buf, w->out.data + w->out_off, n);
        w->out_off += n;
        if (w->out_off == w->out.len) {
            bus_buf_reset(&w->out);
            w->out_off = 0;
        }
        return (ssize_t)n;
    }
    if (w->end) return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to send: wait, without polling, until an event (or the tick) resumes us. */
    if (w->req) gw_suspend(w->req);
    (void)pos;
    return 0;
}

static void s_reader_free(void *cls)
{
    s_watcher_t *w = cls;
    if (w->req) w->req->ctx = NULL; /* the request may end after its answer */
    w->req = NULL;
    if (w->prev)
        w->prev->next = w->next;
    else
        s_watchers = w->next;
    if (w->next) w->next->prev = w->prev;
    s_watchers_n--;
    w->state = S_W_ENDED;
    if (!w->fetches) s_watcher_free(w);
}

/* The current state, as ADDED events; then on from the revision it was read at. */
static void s_initial_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_watcher_t *w = s_answered(arg);
    if (!w) return;
    store_range_reply_t *r = NULL;
    codec_err_t err;
    bus_arena_reset(s_arena);
    if (in->env->status ||
        bus_frame_body(&in->frame, &store_range_reply_desc, s_arena, (void **)&r, &err)) {
        log_info("gateway.watch.list", "key=%s error=\"%s\"", w->key,
                 in->env->error ? in->env->error : "unreadable");
        w->end = true;
        s_resume(w);
        return;
    }
    store_kv_t *kvs = r->kvs.v;
    for (size_t i = 0; i < r->kvs.n; i++) {
        json_t *obj = gw_object_load(w->kind, &kvs[i]);
        if (s_passes(w, obj))
            s_emit(w, "ADDED", obj);
        else
            json_decref(obj);
    }
    w->sent_rev = r->header ? r->header->revision : 0;
    s_go_live(w);
    (void)svc;
}

static void s_check_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    s_watcher_t *w = s_answered(arg);
    if (!w) return;
    if (in->env->status == BUS_EGONE) {
        char text[128];
        snprintf(text, sizeof text, "too old resource version: %" PRIu64, w->sent_rev);
        s_expired(w, text);
        return;
    }
    s_go_live(w);
    (void)svc;
}

static void s_start_at(s_watcher_t *w)
{
    w->state = S_W_FETCHING;
    store_range_request_t q = {
        .key = w->key, .prefix = !w->exact, .revision = w->sent_rev, .count_only = true};
    s_ask(w, &store_range_request_desc, &q, s_check_reply);
}

/* The request ends (its stream sent, or the connection lost) before or after its answer. */
static void s_request_gone(void *ctx)
{
    s_watcher_t *w = ctx;
    w->req = NULL;
}

int gw_watch_start(gw_req_t *req, const gw_target_t *t, const char *key, bool exact)
{
    char err[1024];
    if (s_watchers_n >= S_WATCHERS_MAX) {
        gw_fail(req, 429, "TooManyRequests", NULL, "too many watches (at most %d)", S_WATCHERS_MAX);
        return -1;
    }
    s_group_t *g = s_group(key, true);
    if (!g) {
        gw_fail(req, 503, "ServiceUnavailable", NULL, "too many resources watched at once");
        return -1;
    }
    s_watcher_t *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->gw = req->gw;
    w->kind = t->kind;
    w->group = g;
    snprintf(w->key, sizeof w->key, "%s", key);
    w->exact = exact;
    bus_buf_init(&w->out, S_OUT_MAX);
    const char *ls = gw_query(req, "labelSelector"), *fs = gw_query(req, "fieldSelector");
    if ((ls && *ls && !(w->labels = kube_labels_parse(ls, err, sizeof err))) ||
        (fs && *fs && !(w->fields = kube_fields_parse(fs, err, sizeof err)))) {
        s_watcher_free(w);
        gw_fail(req, 400, "BadRequest", NULL, "%s", err);
        return -1;
    }
    w->table = gw_table_wanted(req);
    const char *bm = gw_query(req, "allowWatchBookmarks");
    w->bookmarks = bm && !strcmp(bm, "true");
    const char *ts = gw_query(req, "timeoutSeconds");
    long timeout = ts && *ts ? strtol(ts, NULL, 10) : S_TIMEOUT_DEFAULT;
    if (timeout <= 0 || timeout > 24 * 3600) timeout = S_TIMEOUT_DEFAULT;
    w->deadline_ms = bus_now_ms() + (uint64_t)timeout * 1000;
    w->bookmark_ms = bus_now_ms() + S_BOOKMARK_MS;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, s_reader, w, s_reader_free);
    if (!resp) abort();
    MHD_add_response_header(resp, "Content-Type",
                            w->table ? "application/json;as=Table;v=v1;g=meta.k8s.io"
                                     : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
    gw_respond_response(req, 200, resp);
    MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0);
    w->req = req;
    req->ctx = w;
    req->ctx_free = s_request_gone;
    w->next = s_watchers;
    if (s_watchers) s_watchers->prev = w;
    s_watchers = w;
    s_watchers_n++;
    const char *rv = gw_query(req, "resourceVersion");
    if (rv && *rv && strcmp(rv, "0")) {
        char *end;
        w->sent_rev = strtoull(rv, &end, 10);
        if (*end) {
            s_expired(w, "invalid resourceVersion");
            return 0;
        }
        /* The store says whether that revision is still there (or compacted: 410), at the cost
         * of one count at that revision; then the ring, or the store's history, goes on. */
        s_start_at(w);
        return 0;
    }
    /* No version, or 0: the current state first, as ADDED events, then what changes. */
    w->state = S_W_FETCHING;
    store_range_request_t q = {.key = w->key, .prefix = !exact, .limit = GW_LIST_MAX};
    s_ask(w, &store_range_request_desc, &q, s_initial_reply);
    return 0;
}
