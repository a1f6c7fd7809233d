/* kubus-bench-api: load for the Kubernetes API (ops/bench/api drives it). libcurl's multi
 * interface keeps every request and watch stream of one phase in flight on one thread, driven by
 * epoll and curl_multi_socket_action, so a wake-up costs what is ready, not one look at every
 * stream:
 *   mutations  merge patches of ConfigMaps at a fixed rate (open loop: late answers do not slow
 *              the sending down), with GETs of single pods at their own rate alongside
 *   lists      LISTs of every pod in the namespace (--pods of them), one after another, after a
 *              first one reported on its own
 *   watch      --watchers streams on the namespace's ConfigMaps; patches at --watch-rate carry
 *              their send time, and each watcher's copy of each event gives a delivery latency
 * Prints one JSON object with the figures. It measures; it asserts nothing. */
#include <curl/curl.h>
#include <jansson.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define S_CONCURRENCY 64 /* setup requests in flight */

typedef struct {
    const char *server, *token, *ca, *ns;
    double rate, get_rate, watch_rate;
    int duration, pods, watchers, lists, configmaps, watch_seconds;
} s_opts_t;

static s_opts_t o = {.rate = 1000,
                     .get_rate = 200,
                     .watch_rate = 10,
                     .duration = 10,
                     .pods = 3000,
                     .watchers = 1000,
                     .lists = 20,
                     .configmaps = 100,
                     .watch_seconds = 10,
                     .ns = "bench"};

static uint64_t s_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* --- samples ------------------------------------------------------------------------------- */

typedef struct {
    double *v;
    size_t n, cap;
    uint64_t errors;
    char first_error[256];
} s_samples_t;

static void s_add(s_samples_t *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) abort();
    }
    s->v[s->n++] = v;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static json_t *s_summary(s_samples_t *s, double seconds)
{
    qsort(s->v, s->n, sizeof *s->v, s_cmp);
    double p50 = s->n ? s->v[s->n / 2] : 0, p99 = s->n ? s->v[(size_t)(s->n * 0.99)] : 0;
    double max = s->n ? s->v[s->n - 1] : 0;
    json_t *j =
        json_pack("{s:I, s:f, s:f, s:f, s:I}", "count", (json_int_t)s->n, "p50_ms", p50 / 1000.0,
                  "p99_ms", p99 / 1000.0, "max_ms", max / 1000.0, "errors", (json_int_t)s->errors);
    if (seconds > 0) json_object_set_new(j, "per_s", json_real(s->n / seconds));
    if (s->first_error[0]) json_object_set_new(j, "first_error", json_string(s->first_error));
    return j;
}

/* --- requests ------------------------------------------------------------------------------ */

typedef struct s_req {
    CURL *h;
    struct curl_slist *headers;
    char *body;
    char *resp;
    size_t resp_len, resp_cap;
    uint64_t sent_us;
    s_samples_t *into;
    bool watch, keep;
    bool ended; /* a watch stream the server ended (it stays until the phase's end) */
    int watcher;
    char *line; /* watch streams only: the event being read */
    size_t line_len;
} s_req_t;

#define S_LINE_MAX     (1u << 20)
#define S_INFLIGHT_MAX 4000 /* requests in flight; past this the generator itself is behind */
static int s_inflight;
static uint64_t s_skipped;

static CURLM *s_multi;
static int s_epoll = -1;
static uint64_t s_timer_at; /* when libcurl wants its timeout action (µs; 0: none, 1: now) */
static int s_running;
static char *s_kept; /* the body of the last request started with keep */
static s_samples_t s_delivery;
static uint64_t s_watch_events, s_watch_started, s_watch_ended;

static size_t s_collect(char *p, size_t size, size_t n, void *arg)
{
    s_req_t *r = arg;
    size_t len = size * n;
    if (r->resp_len + len > (64u << 20)) return 0;
    if (r->resp_len + len + 1 > r->resp_cap) {
        /* Doubling: a 3.5 MB list arrives in 16 KB pieces. */
        size_t cap = r->resp_cap ? r->resp_cap : 16384;
        while (cap < r->resp_len + len + 1) cap *= 2;
        r->resp = realloc(r->resp, cap);
        if (!r->resp) abort();
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, p, len);
    r->resp_len += len;
    r->resp[r->resp_len] = 0;
    return len;
}

/* A watch stream: one event per line; the patches carry "bench-t":"<send time in µs>". */
static size_t s_stream(char *p, size_t size, size_t n, void *arg)
{
    s_req_t *r = arg;
    size_t len = size * n;
    uint64_t now = s_now_us();
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n') {
            if (!r->line) {
                r->line = malloc(S_LINE_MAX);
                if (!r->line) abort();
            }
            if (r->line_len < S_LINE_MAX - 1) r->line[r->line_len++] = p[i];
            continue;
        }
        if (!r->line) continue;
        r->line[r->line_len] = 0;
        const char *t = strstr(r->line, "\"bench-t\":\"");
        if (t && strstr(r->line, "\"MODIFIED\"")) {
            uint64_t sent = strtoull(t + 11, NULL, 10);
            if (sent && now >= sent) s_add(&s_delivery, (double)(now - sent));
            s_watch_events++;
        }
        r->line_len = 0;
    }
    return len;
}

static size_t s_header(char *p, size_t size, size_t n, void *arg)
{
    s_req_t *r = arg;
    if (r->watch && size * n > 12 && !strncmp(p, "HTTP/1.1 200", 12)) s_watch_started++;
    return size * n;
}

static s_req_t *s_start(const char *method, const char *path, const char *ctype, const char *body,
                        s_samples_t *into)
{
    s_req_t *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->h = curl_easy_init();
    char url[2048], auth[512];
    snprintf(url, sizeof url, "%s%s", o.server, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", o.token);
    r->headers = curl_slist_append(r->headers, auth);
    r->headers = curl_slist_append(r->headers, "Accept: application/json");
    if (ctype) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        r->headers = curl_slist_append(r->headers, ct);
    }
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(r->h, CURLOPT_CAINFO, o.ca);
    /* Only the cluster CA: else libcurl-gnutls reads the system's whole CA directory for every
     * connection, and the generator measures itself. */
    curl_easy_setopt(r->h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    if (body) {
        r->body = strdup(body);
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
    }
    r->into = into;
    r->sent_us = s_now_us();
    curl_multi_add_handle(s_multi, r->h);
    s_inflight++;
    return r;
}

static void s_done(s_req_t *r, CURLcode rc)
{
    if (r->watch) {
        /* Ended early (the phase frees its streams): counted, not freed here. */
        r->ended = true;
        s_watch_ended++;
        curl_multi_remove_handle(s_multi, r->h);
        return;
    }
    long code = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
    if (r->into) {
        if (rc == CURLE_OK && code >= 200 && code < 300) {
            s_add(r->into, (double)(s_now_us() - r->sent_us));
        } else {
            r->into->errors++;
            if (!r->into->first_error[0])
                snprintf(r->into->first_error, sizeof r->into->first_error, "%ld %s: %.150s", code,
                         curl_easy_strerror(rc), r->resp ? r->resp : "");
        }
    }
    curl_multi_remove_handle(s_multi, r->h);
    curl_easy_cleanup(r->h);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r->line);
    s_inflight--;
    if (r->keep) {
        free(s_kept);
        s_kept = r->resp;
    } else {
        free(r->resp);
    }
    free(r);
}

/* libcurl says which sockets to watch for what, and when it wants a timeout action. */
static int s_socket_cb(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(s_epoll, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) |
                                       ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
                             .data.fd = fd};
    if (epoll_ctl(s_epoll, EPOLL_CTL_MOD, fd, &ev) && epoll_ctl(s_epoll, EPOLL_CTL_ADD, fd, &ev))
        perror("epoll_ctl");
    (void)h;
    (void)arg;
    (void)sockp;
    return 0;
}

static int s_timer_cb(CURLM *m, long ms, void *arg)
{
    s_timer_at = ms < 0 ? 0 : ms == 0 ? 1 /* now */ : s_now_us() + (uint64_t)ms * 1000u;
    (void)m;
    (void)arg;
    return 0;
}

static void s_finished(void)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s_multi, &left)))
        if (m->msg == CURLMSG_DONE) {
            s_req_t *r;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            s_done(r, m->data.result);
        }
}

static void s_timeout_due(void)
{
    if (s_timer_at && s_now_us() >= s_timer_at) {
        s_timer_at = 0;
        curl_multi_socket_action(s_multi, CURL_SOCKET_TIMEOUT, 0, &s_running);
    }
}

/* Runs the transfers for up to ms (less when libcurl's timeout comes first); finished transfers
 * are recorded. Returns how many are still running. */
static int s_pump(int ms)
{
    s_timeout_due();
    s_finished();
    if (s_timer_at) {
        uint64_t now = s_now_us();
        int until = s_timer_at > now ? (int)((s_timer_at - now + 999) / 1000) : 0;
        if (until < ms) ms = until;
    }
    struct epoll_event evs[256];
    int n = epoll_wait(s_epoll, evs, 256, ms > 0 ? ms : 0);
    for (int i = 0; i < n; i++) {
        int mask = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                   ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                   ((evs[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(s_multi, evs[i].data.fd, mask, &s_running);
    }
    s_timeout_due();
    s_finished();
    return s_running;
}

static void s_drain(void)
{
    while (s_pump(50)) {
    }
    s_pump(0);
}

/* One GET, waited for: its body as JSON (NULL if it did not parse). */
static json_t *s_get_json(const char *path)
{
    s_req_t *r = s_start("GET", path, NULL, NULL, NULL);
    r->keep = true;
    s_drain();
    json_t *doc = json_loads(s_kept ? s_kept : "", 0, NULL);
    free(s_kept);
    s_kept = NULL;
    return doc;
}

/* --- phases -------------------------------------------------------------------------------- */

static void s_setup(void)
{
    char path[512], body[1024];
    s_samples_t setup = {0};
    s_start(
        "POST", "/api/v1/namespaces", "application/json",
        (snprintf(body, sizeof body,
                  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}",
                  o.ns),
         body),
        NULL);
    s_drain();
    int total = o.pods + o.configmaps, started = 0;
    while (started < total) {
        while (started < total && s_pump(0) < S_CONCURRENCY) {
            if (started < o.configmaps) {
                snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps", o.ns);
                snprintf(body, sizeof body,
                         "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                         "{\"name\":\"cm-%d\"},\"data\":{\"k\":\"v\"}}",
                         started);
            } else {
                snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", o.ns);
                snprintf(body, sizeof body,
                         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                         "\"pod-%d\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":"
                         "[{\"name\":\"c\",\"image\":\"busybox:1.36\",\"resources\":"
                         "{\"requests\":{\"cpu\":\"10m\"}}}]}}",
                         started - o.configmaps);
            }
            s_start("POST", path, "application/json", body, &setup);
            started++;
        }
        s_pump(20);
    }
    s_drain();
    fprintf(stderr, "setup: %zu objects created, %" PRIu64 " failed%s%s\n", setup.n, setup.errors,
            setup.errors ? ": " : "", setup.first_error);
    free(setup.v);
}

static void s_patch(s_samples_t *into, int i, uint64_t stamp)
{
    char path[512], body[256];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/cm-%d", o.ns, i % o.configmaps);
    snprintf(body, sizeof body, "{\"metadata\":{\"annotations\":{\"bench-t\":\"%" PRIu64 "\"}}}",
             stamp);
    s_start("PATCH", path, "application/merge-patch+json", body, into);
}

static json_t *s_mutations(void)
{
    s_samples_t mut = {0}, get = {0};
    uint64_t t0 = s_now_us(), end = t0 + (uint64_t)o.duration * 1000000u;
    uint64_t sent = 0, gets = 0;
    char path[512];
    for (uint64_t now = t0; now < end; now = s_now_us()) {
        double elapsed = (double)(now - t0) / 1e6;
        while (sent < (uint64_t)(elapsed * o.rate)) {
            /* Open loop, but bounded: a request that cannot be sent is counted, not queued. */
            if (s_inflight >= S_INFLIGHT_MAX) {
                s_skipped++;
                sent++;
                continue;
            }
            /* A new value each time: a patch that changes nothing writes nothing. */
            s_patch(&mut, (int)sent++, s_now_us());
        }
        while (gets < (uint64_t)(elapsed * o.get_rate)) {
            snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods/pod-%d", o.ns,
                     (int)(gets++ % (uint64_t)(o.pods ? o.pods : 1)));
            s_start("GET", path, NULL, NULL, &get);
        }
        s_pump(1);
    }
    s_drain();
    double secs = (double)(s_now_us() - t0) / 1e6;
    json_t *j = json_pack("{s:o, s:o, s:f, s:f, s:I}", "mutation", s_summary(&mut, secs), "get",
                          s_summary(&get, secs), "mutation_rate_asked", o.rate, "get_rate_asked",
                          o.get_rate, "mutations_not_sent", (json_int_t)s_skipped);
    free(mut.v);
    free(get.v);
    return j;
}

/* One LIST, timed (its body is collected, not parsed). */
static double s_list_once(const char *path)
{
    s_start("GET", path, NULL, NULL, NULL);
    uint64_t t = s_now_us();
    while (s_pump(5)) {
    }
    return (double)(s_now_us() - t);
}

static json_t *s_lists(void)
{
    s_samples_t l = {0};
    char path[512];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", o.ns);
    /* The first LIST of that size a cluster serves is its processes' first touch of the memory
     * for it (megabytes in each of three): reported on its own. */
    double first = s_list_once(path);
    for (int i = 0; i < o.lists; i++) s_add(&l, s_list_once(path));
    /* One more to count what a list holds. */
    json_t *doc = s_get_json(path);
    size_t items = json_array_size(json_object_get(doc, "items"));
    json_decref(doc);
    json_t *j = json_pack("{s:o, s:f, s:I}", "list", s_summary(&l, 0), "first_ms", first / 1000.0,
                          "items", (json_int_t)items);
    free(l.v);
    return j;
}

static json_t *s_watch(void)
{
    char path[512];
    /* Start from now: the list's resourceVersion. */
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps?limit=1", o.ns);
    json_t *doc = s_get_json(path);
    const char *rv =
        json_string_value(json_object_get(json_object_get(doc, "metadata"), "resourceVersion"));
    char rvbuf[32];
    snprintf(rvbuf, sizeof rvbuf, "%s", rv ? rv : "0");
    json_decref(doc);
    snprintf(path, sizeof path,
             "/api/v1/namespaces/%s/configmaps?watch=true&resourceVersion=%s&timeoutSeconds=%d",
             o.ns, rvbuf, o.watch_seconds + 60);
    curl_multi_setopt(s_multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o.watchers + 64);
    s_req_t **ws = calloc((size_t)o.watchers, sizeof *ws);
    for (int i = 0; i < o.watchers; i++) {
        ws[i] = s_start("GET", path, NULL, NULL, NULL);
        ws[i]->watch = true;
        ws[i]->watcher = i;
        curl_easy_setopt(ws[i]->h, CURLOPT_WRITEFUNCTION, s_stream);
        curl_easy_setopt(ws[i]->h, CURLOPT_WRITEDATA, ws[i]);
        curl_easy_setopt(ws[i]->h, CURLOPT_HEADERFUNCTION, s_header);
        curl_easy_setopt(ws[i]->h, CURLOPT_HEADERDATA, ws[i]);
        if (i % 50 == 49) s_pump(5);
    }
    uint64_t wait_end = s_now_us() + 60000000u;
    while (s_watch_started < (uint64_t)o.watchers && s_now_us() < wait_end) s_pump(10);
    uint64_t started = s_watch_started;
    s_samples_t mut = {0};
    uint64_t t0 = s_now_us(), end = t0 + (uint64_t)o.watch_seconds * 1000000u, sent = 0;
    for (uint64_t now = t0; now < end; now = s_now_us()) {
        double elapsed = (double)(now - t0) / 1e6;
        while (sent < (uint64_t)(elapsed * o.watch_rate)) {
            s_patch(&mut, (int)sent, s_now_us());
            sent++;
        }
        s_pump(1);
    }
    /* Let the last events arrive. */
    uint64_t settle = s_now_us() + 3000000u;
    while (s_now_us() < settle && s_watch_events < sent * started) s_pump(10);
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}", "watchers", (json_int_t)o.watchers,
                          "watchers_started", (json_int_t)started, "mutations", (json_int_t)mut.n,
                          "events_expected", (json_int_t)(mut.n * started), "delivery",
                          s_summary(&s_delivery, 0), "mutation", s_summary(&mut, 0));
    json_object_set_new(j, "watchers_ended_early", json_integer((json_int_t)s_watch_ended));
    for (int i = 0; i < o.watchers; i++) {
        if (!ws[i]->ended) curl_multi_remove_handle(s_multi, ws[i]->h);
        curl_easy_cleanup(ws[i]->h);
        curl_slist_free_all(ws[i]->headers);
        free(ws[i]->resp);
        free(ws[i]->line);
        free(ws[i]);
        s_inflight--;
    }
    free(ws);
    free(mut.v);
    return j;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"server", required_argument, 0, 's'},
                                         {"token", required_argument, 0, 't'},
                                         {"ca", required_argument, 0, 'c'},
                                         {"namespace", required_argument, 0, 'n'},
                                         {"rate", required_argument, 0, 'r'},
                                         {"get-rate", required_argument, 0, 'g'},
                                         {"duration", required_argument, 0, 'd'},
                                         {"pods", required_argument, 0, 'p'},
                                         {"watchers", required_argument, 0, 'w'},
                                         {"lists", required_argument, 0, 'l'},
                                         {"watch-rate", required_argument, 0, 'W'},
                                         {"phases", required_argument, 0, 'P'},
                                         {0, 0, 0, 0}};
    const char *phases = "setup,mutations,lists,watch";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': o.server = optarg; break;
        case 't': o.token = optarg; break;
        case 'c': o.ca = optarg; break;
        case 'n': o.ns = optarg; break;
        case 'r': o.rate = atof(optarg); break;
        case 'g': o.get_rate = atof(optarg); break;
        case 'd': o.duration = atoi(optarg); break;
        case 'p': o.pods = atoi(optarg); break;
        case 'w': o.watchers = atoi(optarg); break;
        case 'l': o.lists = atoi(optarg); break;
        case 'W': o.watch_rate = atof(optarg); break;
        case 'P': phases = optarg; break;
        default: return 2;
        }
    }
    if (!o.server || !o.token || !o.ca) {
        fprintf(stderr, "usage: kubus-bench-api --server URL --token T --ca FILE [--rate N] "
                        "[--get-rate N] [--duration S] [--pods N] [--watchers N] [--lists N] "
                        "[--watch-rate N] [--phases setup,mutations,lists,watch]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s_multi = curl_multi_init();
    /* A bounded pool, as Kubernetes clients keep: past it, requests wait in the generator (the
     * wait counts in their latency). Unbounded, a slow moment opened hundreds of connections,
     * each a TLS handshake, and the run fed on itself. The watch phase raises it. */
    curl_multi_setopt(s_multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    curl_multi_setopt(s_multi, CURLMOPT_MAXCONNECTS, (long)(o.watchers + 2048));
    s_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (s_epoll < 0) {
        perror("epoll_create1");
        return 1;
    }
    curl_multi_setopt(s_multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb);
    curl_multi_setopt(s_multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
    json_t *out = json_object();
    if (strstr(phases, "setup")) s_setup();
    if (strstr(phases, "mutations")) json_object_set_new(out, "mutations", s_mutations());
    if (strstr(phases, "lists")) json_object_set_new(out, "lists", s_lists());
    if (strstr(phases, "watch")) json_object_set_new(out, "watch", s_watch());
    char *text = json_dumps(out, JSON_INDENT(1));
    puts(text);
    free(text);
    json_decref(out);
    curl_multi_cleanup(s_multi);
    curl_global_cleanup();
    return 0;
}
