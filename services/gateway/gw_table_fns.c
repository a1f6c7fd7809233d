/* gw_table_fns: the named column computations of server-side Tables, computed over objects held
 * as JSON the way kube-apiserver's printers (pkg/printers/internalversion/printers.go, v1.32)
 * compute them over Go structs. Semantics of each fn: the header comments of
 * schemas/kube/NAME.yaml. Not the Table (gw_table.c) and not plain path columns. Pure: time comes
 * in as an argument. */
#include "gw_table_fns.h"

#include "kube_time.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LB_WIDTH 16 /* upstream's loadBalancerWidth: LB addresses longer than this are cut */
#define S_EP_MAX   3  /* endpoints shown before "+ K more..." */

/* ---- reading JSON as printers read Go structs: absent, null or mistyped = the zero value ---- */

/* The value at a dotted path of object keys; NULL when absent or null. */
static const json_t *s_at(const json_t *v, const char *path)
{
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        v = json_object_getn(v, path, n);
        path += n + (dot != NULL);
    }
    return json_is_null(v) ? NULL : v;
}

/* The string at path, NULL when absent (a Go *string that is nil). */
static const char *s_str(const json_t *v, const char *path)
{
    return json_string_value(s_at(v, path));
}

/* The string at path, "" when absent (a Go string). */
static const char *s_str0(const json_t *v, const char *path)
{
    const char *s = s_str(v, path);
    return s ? s : "";
}

static json_int_t s_int(const json_t *v, const char *path)
{
    return json_integer_value(s_at(v, path));
}

static bool s_true(const json_t *v, const char *path)
{
    return json_is_true(s_at(v, path));
}

/* The object at path, or NULL: where upstream tests a pointer to a struct for nil. */
static const json_t *s_obj(const json_t *v, const char *path)
{
    const json_t *o = s_at(v, path);
    return json_is_object(o) ? o : NULL;
}

/* The time at path in Unix seconds; false for Go's zero time (unset, or unreadable). */
static bool s_time(const json_t *v, const char *path, int64_t *t)
{
    const char *s = s_str(v, path);
    return s && *s && kube_time_parse(s, t) == 0;
}

/* ---- cells ---- */

static json_t *s_text(const char *s)
{
    json_t *v = json_string(s);
    if (!v) abort(); /* out of memory: every text built here is valid UTF-8 (see s_lb_ingress) */
    return v;
}

static json_t *s_text_or(const char *s, const char *dflt)
{
    return s_text(s && *s ? s : dflt);
}

static json_t *s_count(size_t n)
{
    json_t *v = json_integer((json_int_t)n);
    if (!v) abort();
    return v;
}

static json_t *s_human(int64_t seconds)
{
    char out[32];
    kube_time_human(seconds, out, sizeof out);
    return s_text(out);
}

/* translateTimestampSince: the age of the time at path, "<unknown>" for the zero time. */
static json_t *s_since(const json_t *obj, const char *path, int64_t now)
{
    int64_t t;
    return s_time(obj, path, &t) ? s_human(now - t) : s_text("<unknown>");
}

/* A growing text; out of memory aborts. */
typedef struct {
    char *p;
    size_t len, cap;
} s_buf_t;

static void s_add(s_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_add(s_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The text as a cell; frees the buffer. */
static json_t *s_buf_cell(s_buf_t *b)
{
    json_t *v = s_text(b->p ? b->p : "");
    free(b->p);
    *b = (s_buf_t){0};
    return v;
}

/* The text as a cell, dflt when it is empty; frees the buffer. */
static json_t *s_buf_cell_or(s_buf_t *b, const char *dflt)
{
    if (b->len) return s_buf_cell(b);
    free(b->p);
    *b = (s_buf_t){0};
    return s_text(dflt);
}

/* A list of borrowed strings, for upstream's sorted sets. */
typedef struct {
    const char **v;
    size_t n, cap;
} s_list_t;

static void s_push(s_list_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[l->n++] = s;
}

static int s_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the list, appends it joined with sep (each string once when unique), frees it. */
static void s_list_join(s_list_t *l, s_buf_t *b, const char *sep, bool unique)
{
    if (l->n) qsort(l->v, l->n, sizeof *l->v, s_strcmp);
    for (size_t i = 0; i < l->n; i++)
        if (!unique || !i || strcmp(l->v[i], l->v[i - 1])) s_add(b, "%s%s", i ? sep : "", l->v[i]);
    free(l->v);
    *l = (s_list_t){0};
}

/* The strings of a JSON array joined with sep (non-strings as ""). */
static void s_join_array(s_buf_t *b, const json_t *arr, const char *sep)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) s_add(b, "%s%s", i ? sep : "", s_str0(v, ""));
}

/* Whether the first condition of that type in the list has status "True": upstream's
 * isPodInitializedConditionTrue and hasJobCondition stop at the first entry of a type. */
static bool s_cond_first_true(const json_t *conds, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c) if (!strcmp(s_str0(c, "type"), type)) return !strcmp(
        s_str0(c, "status"), "True");
    return false;
}

/* ---- labels and selectors ---- */

static bool s_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label value / the name part of a qualified name: at most 63 of [-A-Za-z0-9_.], alphanumeric
 * at both ends; empty only where allowed (values). */
static bool s_label_name_ok(const char *s, size_t n, bool empty_ok)
{
    if (n == 0) return empty_ok;
    if (n > 63 || !s_alnum(s[0]) || !s_alnum(s[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!s_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
    return true;
}

/* A DNS-1123 subdomain (a label key's prefix): at most 253 of [-a-z0-9.], every dot-separated
 * label non-empty and starting and ending with [a-z0-9]. */
static bool s_subdomain_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool an = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
        if (c == '.' ? edge : !an && (c != '-' || edge)) return false;
    }
    return true;
}

/* validation.IsQualifiedName: [prefix/]name. */
static bool s_key_ok(const char *k)
{
    const char *slash = strchr(k, '/');
    if (!slash) return s_label_name_ok(k, strlen(k), false);
    if (strchr(slash + 1, '/')) return false;
    return s_subdomain_ok(k, (size_t)(slash - k)) &&
           s_label_name_ok(slash + 1, strlen(slash + 1), false);
}

/* labels.FormatLabels: "k=v" sorted by key, joined with ","; "<none>" when empty. */
static json_t *s_format_labels(const json_t *map)
{
    s_list_t keys = {0};
    s_buf_t b = {0};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v) s_push(&keys, k);
    if (keys.n) qsort(keys.v, keys.n, sizeof *keys.v, s_strcmp);
    for (size_t i = 0; i < keys.n; i++)
        s_add(&b, "%s%s=%s", i ? "," : "", keys.v[i], s_str0(json_object_get(map, keys.v[i]), ""));
    free(keys.v);
    return s_buf_cell_or(&b, "<none>");
}

/* One requirement of a selector: its key (the sort key) and its labels.Requirement.String(). */
typedef struct {
    const char *key;
    char *text;
    size_t order;
} s_req_t;

static int s_req_cmp(const void *a, const void *b)
{
    const s_req_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* A matchExpressions entry as labels.NewRequirement(...).String(): "k in (a,b)" (values sorted),
 * "k notin (a)", "k", "!k"; NULL when NewRequirement would refuse it. */
static char *s_expr_text(const json_t *e)
{
    const char *key = s_str0(e, "key"), *op = s_str0(e, "operator");
    const json_t *vals = s_at(e, "values"), *v;
    bool exists = !strcmp(op, "Exists") || !strcmp(op, "DoesNotExist");
    bool in = !strcmp(op, "In") || !strcmp(op, "NotIn");
    size_t n = json_array_size(vals), i;
    if (!s_key_ok(key) || (!exists && !in) || (exists && n) || (in && !n)) return NULL;
    s_buf_t b = {0};
    if (exists) {
        s_add(&b, "%s%s", op[0] == 'D' ? "!" : "", key);
        return b.p;
    }
    s_list_t l = {0};
    json_array_foreach(vals, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || !s_label_name_ok(s, strlen(s), true)) {
            free(l.v);
            return NULL;
        }
        s_push(&l, s);
    }
    s_add(&b, "%s %s (", key, op[0] == 'I' ? "in" : "notin");
    s_list_join(&l, &b, ",", false); /* upstream sorts values on output, keeps duplicates */
    s_add(&b, ")");
    return b.p;
}

/* metav1.LabelSelectorAsSelector(sel).String() appended to out: requirements sorted by key and
 * joined with ","; nothing for a null or empty selector. -1 when the conversion fails. */
static int s_selector_text(const json_t *sel, s_buf_t *out)
{
    const json_t *ml = s_at(sel, "matchLabels"), *me = s_at(sel, "matchExpressions"), *v;
    size_t n = json_object_size(ml) + json_array_size(me), i = 0, j;
    s_req_t *r = calloc(n ? n : 1, sizeof *r);
    if (!r) abort();
    int rc = 0;
    const char *k;
    json_object_foreach((json_t *)ml, k, v)
    {
        const char *val = s_str0(v, "");
        s_buf_t b = {0};
        s_add(&b, "%s=%s", k, val);
        if (!s_key_ok(k) || !s_label_name_ok(val, strlen(val), true)) rc = -1;
        r[i] = (s_req_t){k, b.p, i};
        i++;
    }
    json_array_foreach(me, j, v)
    {
        r[i] = (s_req_t){s_str0(v, "key"), s_expr_text(v), i};
        if (!r[i].text) rc = -1;
        i++;
    }
    if (!rc && n) qsort(r, n, sizeof *r, s_req_cmp);
    for (i = 0; i < n; i++) {
        if (!rc) s_add(out, "%s%s", i ? "," : "", r[i].text);
        free(r[i].text);
    }
    free(r);
    return rc;
}

/* ---- the fns. Each gets the object, its table entry (for the entries that share a fn), the
 * clock and whether -o wide was asked. ---- */

typedef struct s_entry_t s_entry_t;
typedef json_t *(*s_fn_t)(const json_t *obj, const s_entry_t *e, int64_t now, bool wide);
struct s_entry_t {
    const char *name;
    s_fn_t fn;
    const char *path, *dflt; /* for the shared fns: what to read, what to print instead */
};

/* The string at path, or dflt when it is empty or absent. */
static json_t *s_fn_or(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    return s_text_or(s_str(obj, e->path), e->dflt);
}

/* The string at path even when empty, dflt only when absent (an unset Go *string). */
static json_t *s_fn_unset(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *s = s_str(obj, e->path);
    return s_text(s ? s : e->dflt);
}

/* The age of the time at path; dflt when the field is absent ("<unknown>" when it is zero). */
static json_t *s_fn_age(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    if (e->dflt && !s_at(obj, e->path)) return s_text(e->dflt);
    return s_since(obj, e->path, now);
}

/* The number of members of the object or array at path (and at dflt, a second path). */
static json_t *s_fn_size(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *a = s_at(obj, e->path), *b = e->dflt ? s_at(obj, e->dflt) : NULL;
    return s_count(json_object_size(a) + json_array_size(a) + json_object_size(b) +
                   json_array_size(b));
}

/* labels.FormatLabels of the map at path. */
static json_t *s_fn_labels(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    return s_format_labels(s_at(obj, e->path));
}

/* ---- Pods ---- */

/* What printPod works out in one pass: the Status reason, Ready and Restarts. */
typedef struct {
    const char *prefix, *reason; /* the Status cell is prefix + reason */
    char num[64];                /* storage for a formatted reason ("ExitCode:1", "0/2") */
    int64_t ready, total, restarts, last, sc_restarts, sc_last;
    bool has_last, sc_has; /* a lastState.terminated.finishedAt was seen (last, sc_last) */
} s_pod_t;

static void s_reason(s_pod_t *p, const char *prefix, const char *reason)
{
    p->prefix = prefix;
    p->reason = reason;
}

/* Whether the named init container is a sidecar (restartPolicy Always). */
static bool s_is_sidecar(const json_t *pod, const char *name)
{
    size_t i;
    const json_t *c;
    json_array_foreach(s_at(pod, "spec.initContainers"), i,
                       c) if (!strcmp(s_str0(c, "name"),
                                      name)) return !strcmp(s_str0(c, "restartPolicy"), "Always");
    return false;
}

/* Keeps the latest lastState.terminated.finishedAt of the counted containers. */
static void s_note_restart(const json_t *cs, int64_t *last, bool *has)
{
    int64_t t;
    if (s_time(cs, "lastState.terminated.finishedAt", &t) && (!*has || t > *last)) {
        *last = t;
        *has = true;
    }
}

/* A terminated state's reason, or "Signal:N" / "ExitCode:N" when it has none. */
static const char *s_term_reason(const json_t *term, char *num, size_t num_len)
{
    const char *r = s_str0(term, "reason");
    if (*r) return r;
    if (s_int(term, "signal"))
        snprintf(num, num_len, "Signal:%" JSON_INTEGER_FORMAT, s_int(term, "signal"));
    else
        snprintf(num, num_len, "ExitCode:%" JSON_INTEGER_FORMAT, s_int(term, "exitCode"));
    return num;
}

/* The scan of init container statuses; true when one of them stops it (the pod initializes). */
static bool s_pod_init(const json_t *pod, s_pod_t *p)
{
    size_t i, n = json_array_size(s_at(pod, "spec.initContainers"));
    const json_t *cs;
    json_array_foreach(s_at(pod, "status.initContainerStatuses"), i, cs)
    {
        bool sidecar = s_is_sidecar(pod, s_str0(cs, "name"));
        p->restarts += s_int(cs, "restartCount");
        s_note_restart(cs, &p->last, &p->has_last);
        if (sidecar) {
            p->sc_restarts += s_int(cs, "restartCount");
            s_note_restart(cs, &p->sc_last, &p->sc_has);
        }
        const json_t *term = s_obj(cs, "state.terminated");
        const char *waiting = s_str0(cs, "state.waiting.reason");
        if (term && s_int(term, "exitCode") == 0) continue;
        if (sidecar && s_true(cs, "started")) {
            p->ready += s_true(cs, "ready");
            continue;
        }
        if (term) {
            s_reason(p, "Init:", s_term_reason(term, p->num, sizeof p->num));
        } else if (*waiting && strcmp(waiting, "PodInitializing")) {
            s_reason(p, "Init:", waiting);
        } else {
            snprintf(p->num, sizeof p->num, "%zu/%zu", i, n);
            s_reason(p, "Init:", p->num);
        }
        return true;
    }
    return false;
}

/* The scan of container statuses, last to first, once the pod is past its init containers. */
static void s_pod_containers(const json_t *pod, s_pod_t *p)
{
    /* Past initialization, only the sidecars' restarts count among the init containers. */
    p->restarts = p->sc_restarts;
    p->last = p->sc_last;
    p->has_last = p->sc_has;
    const json_t *st = s_at(pod, "status.containerStatuses"), *c;
    bool running = false;
    size_t i;
    for (i = json_array_size(st); i-- > 0;) {
        const json_t *cs = json_array_get(st, i), *term = s_obj(cs, "state.terminated");
        const char *waiting = s_str0(cs, "state.waiting.reason");
        p->restarts += s_int(cs, "restartCount");
        s_note_restart(cs, &p->last, &p->has_last);
        if (*waiting) {
            s_reason(p, "", waiting);
        } else if (term) {
            s_reason(p, "", s_term_reason(term, p->num, sizeof p->num));
        } else if (s_true(cs, "ready") && s_obj(cs, "state.running")) {
            running = true;
            p->ready++;
        }
    }
    if (!*p->prefix && !strcmp(p->reason, "Completed") && running) {
        /* hasPodReadyCondition looks at every Ready entry, not only the first */
        bool ready = false;
        json_array_foreach(s_at(pod, "status.conditions"), i, c) ready |=
            !strcmp(s_str0(c, "type"), "Ready") && !strcmp(s_str0(c, "status"), "True");
        s_reason(p, "", ready ? "Running" : "NotReady");
    }
}

static void s_pod_eval(const json_t *pod, s_pod_t *p)
{
    const char *phase = s_str0(pod, "status.phase"), *status_reason = s_str0(pod, "status.reason");
    *p = (s_pod_t){.prefix = "", .reason = *status_reason ? status_reason : phase};
    size_t i;
    const json_t *c, *conds = s_at(pod, "status.conditions");
    json_array_foreach(conds, i, c) if (!strcmp(s_str0(c, "type"), "PodScheduled") &&
                                        !strcmp(s_str0(c, "reason"), "SchedulingGated"))
        s_reason(p, "", "SchedulingGated");
    p->total = (int64_t)json_array_size(s_at(pod, "spec.containers"));
    json_array_foreach(s_at(pod, "spec.initContainers"), i, c) p->total +=
        !strcmp(s_str0(c, "restartPolicy"), "Always");
    if (!s_pod_init(pod, p) || s_cond_first_true(conds, "Initialized")) s_pod_containers(pod, p);
    if (s_at(pod, "metadata.deletionTimestamp")) {
        if (!strcmp(status_reason, "NodeLost"))
            s_reason(p, "", "Unknown");
        else if (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"))
            s_reason(p, "", "Terminating");
    }
}

static json_t *s_pod_status(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_pod_t p;
    s_pod_eval(obj, &p);
    s_buf_t b = {0};
    s_add(&b, "%s%s", p.prefix, p.reason);
    return s_buf_cell(&b);
}

static json_t *s_pod_ready(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_pod_t p;
    s_pod_eval(obj, &p);
    char out[64];
    snprintf(out, sizeof out, "%lld/%lld", (long long)p.ready, (long long)p.total);
    return s_text(out);
}

static json_t *s_pod_restarts(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_pod_t p;
    s_pod_eval(obj, &p);
    char out[96], age[32];
    if (p.restarts == 0 || !p.has_last) {
        snprintf(out, sizeof out, "%lld", (long long)p.restarts);
    } else {
        kube_time_human(now - p.last, age, sizeof age);
        snprintf(out, sizeof out, "%lld (%s ago)", (long long)p.restarts, age);
    }
    return s_text(out);
}

/* status.podIPs[0].ip; status.podIP when podIPs is absent, as the v1 -> internal conversion
 * upstream's printer sees fills podIPs from podIP. */
static json_t *s_pod_ip(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *ips = s_at(obj, "status.podIPs");
    if (json_array_size(ips)) return s_text_or(s_str(json_array_get(ips, 0), "ip"), "<none>");
    return s_text_or(s_str(obj, "status.podIP"), "<none>");
}

static json_t *s_pod_readiness_gates(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *gates = s_at(obj, "spec.readinessGates"), *g, *c;
    if (!json_array_size(gates)) return s_text("<none>");
    size_t i, j, ok = 0;
    json_array_foreach(gates, i, g)
    {
        json_array_foreach(s_at(obj, "status.conditions"), j, c)
        {
            if (strcmp(s_str0(c, "type"), s_str0(g, "conditionType"))) continue;
            ok += !strcmp(s_str0(c, "status"), "True");
            break; /* the first condition of the gate's type decides */
        }
    }
    char out[64];
    snprintf(out, sizeof out, "%zu/%zu", ok, json_array_size(gates));
    return s_text(out);
}

/* ---- Services and Endpoints ---- */

/* spec.clusterIPs[0]; spec.clusterIP when clusterIPs is absent (conversion fills one from the
 * other, as for pod IPs). */
static json_t *s_svc_cluster_ip(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *ips = s_at(obj, "spec.clusterIPs");
    if (json_array_size(ips)) return s_text_or(s_str0(json_array_get(ips, 0), ""), "<none>");
    return s_text_or(s_str(obj, "spec.clusterIP"), "<none>");
}

/* loadBalancerStatusStringer: ingress ip (else hostname), sorted, each once, joined with ",";
 * cut to 13 bytes + "..." when longer than 16 and not wide. Upstream cuts at a byte, which could
 * split a UTF-8 sequence; the cut here steps back to a character boundary instead. */
static void s_lb_ingress(const json_t *svc, bool wide, s_buf_t *b)
{
    s_list_t l = {0};
    size_t i;
    const json_t *in;
    json_array_foreach(s_at(svc, "status.loadBalancer.ingress"), i, in)
    {
        const char *ip = s_str0(in, "ip"), *host = s_str0(in, "hostname");
        if (*ip)
            s_push(&l, ip);
        else if (*host)
            s_push(&l, host);
    }
    s_list_join(&l, b, ",", true);
    if (wide || b->len <= S_LB_WIDTH) return;
    size_t cut = S_LB_WIDTH - 3;
    while (cut > 0 && ((unsigned char)b->p[cut] & 0xC0) == 0x80) cut--;
    b->len = cut;
    b->p[cut] = '\0';
    s_add(b, "...");
}

static json_t *s_svc_external_ip(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *type = s_str0(obj, "spec.type");
    const json_t *ext = s_at(obj, "spec.externalIPs");
    s_buf_t b = {0};
    if (!strcmp(type, "ClusterIP") || !strcmp(type, "NodePort")) {
        if (!json_array_size(ext)) return s_text("<none>");
        s_join_array(&b, ext, ",");
        return s_buf_cell(&b);
    }
    if (!strcmp(type, "LoadBalancer")) {
        s_lb_ingress(obj, wide, &b);
        if (!json_array_size(ext)) return s_buf_cell_or(&b, "<pending>");
        if (b.len) s_add(&b, ",");
        s_join_array(&b, ext, ",");
        return s_buf_cell(&b);
    }
    if (!strcmp(type, "ExternalName")) return s_text(s_str0(obj, "spec.externalName"));
    return s_text("<unknown>");
}

static json_t *s_svc_ports(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    size_t i;
    const json_t *p;
    json_array_foreach(s_at(obj, "spec.ports"), i, p)
    {
        json_int_t port = s_int(p, "port"), node_port = s_int(p, "nodePort");
        const char *proto = s_str0(p, "protocol"), *sep = i ? "," : "";
        if (node_port > 0)
            s_add(&b, "%s%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT "/%s", sep, port,
                  node_port, proto);
        else
            s_add(&b, "%s%" JSON_INTEGER_FORMAT "/%s", sep, port, proto);
    }
    return s_buf_cell_or(&b, "<none>");
}

/* formatEndpoints: the first S_EP_MAX of the addresses (with ports: per port, per address),
 * then " + K more..." once one more was due. Only ready addresses count. */
static json_t *s_endpoints(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *subsets = s_at(obj, "subsets"), *ss, *port, *addr;
    if (!json_array_size(subsets)) return s_text("<none>");
    s_buf_t b = {0};
    size_t i, j, k, shown = 0, count = 0;
    bool more = false;
    json_array_foreach(subsets, i, ss)
    {
        const json_t *addrs = s_at(ss, "addresses"), *ports = s_at(ss, "ports");
        if (!json_array_size(ports)) { /* headless services may have no ports */
            count += json_array_size(addrs);
            json_array_foreach(addrs, j, addr)
            {
                if (shown == S_EP_MAX && (more = true)) break;
                s_add(&b, "%s%s", shown++ ? "," : "", s_str0(addr, "ip"));
            }
            continue;
        }
        json_array_foreach(ports, j, port)
        {
            count += json_array_size(addrs);
            json_array_foreach(addrs, k, addr)
            {
                if (shown == S_EP_MAX && (more = true)) break;
                const char *ip = s_str0(addr, "ip"), *sep = shown++ ? "," : "";
                /* net.JoinHostPort: IPv6 in brackets */
                if (strchr(ip, ':'))
                    s_add(&b, "%s[%s]:%" JSON_INTEGER_FORMAT, sep, ip, s_int(port, "port"));
                else
                    s_add(&b, "%s%s:%" JSON_INTEGER_FORMAT, sep, ip, s_int(port, "port"));
            }
        }
    }
    if (more) s_add(&b, " + %zu more...", count - S_EP_MAX);
    return s_buf_cell(&b);
}

/* ---- Nodes ---- */

static json_t *s_node_status(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *ready = NULL; /* upstream keys conditions by type in a map: the last one wins */
    size_t i;
    const json_t *c;
    json_array_foreach(s_at(obj, "status.conditions"), i,
                       c) if (!strcmp(s_str0(c, "type"), "Ready")) ready = s_str0(c, "status");
    s_buf_t b = {0};
    s_add(&b, "%s", !ready ? "Unknown" : !strcmp(ready, "True") ? "Ready" : "NotReady");
    if (s_true(obj, "spec.unschedulable")) s_add(&b, ",SchedulingDisabled");
    return s_buf_cell(&b);
}

static json_t *s_node_roles(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    static const char prefix[] = "node-role.kubernetes.io/";
    s_list_t roles = {0};
    s_buf_t b = {0};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)s_at(obj, "metadata.labels"), k, v)
    {
        if (!strncmp(k, prefix, sizeof prefix - 1)) {
            if (k[sizeof prefix - 1]) s_push(&roles, k + sizeof prefix - 1);
        } else if (!strcmp(k, "kubernetes.io/role") && *s_str0(v, "")) {
            s_push(&roles, s_str0(v, ""));
        }
    }
    s_list_join(&roles, &b, ",", true);
    return s_buf_cell_or(&b, "<none>");
}

/* The address of the first status.addresses entry of type e->path, or "<none>". */
static json_t *s_node_address(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    size_t i;
    const json_t *a;
    json_array_foreach(
        s_at(obj, "status.addresses"), i,
        a) if (!strcmp(s_str0(a, "type"), e->path)) return s_text(s_str0(a, "address"));
    return s_text("<none>");
}

/* ---- Events ---- */

/* The first seen time: firstTimestamp, else eventTime. */
static bool s_event_first(const json_t *ev, int64_t *t)
{
    return s_time(ev, "firstTimestamp", t) || s_time(ev, "eventTime", t);
}

static json_t *s_event_first_seen(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    int64_t t;
    return s_event_first(obj, &t) ? s_human(now - t) : s_text("<unknown>");
}

static json_t *s_event_last_seen(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    int64_t t;
    bool ok = s_obj(obj, "series") ? s_time(obj, "series.lastObservedTime", &t)
                                   : s_time(obj, "lastTimestamp", &t) || s_event_first(obj, &t);
    return ok ? s_human(now - t) : s_text("<unknown>");
}

static json_t *s_event_count(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    if (s_obj(obj, "series")) return json_integer(s_int(obj, "series.count"));
    json_int_t n = s_int(obj, "count");
    return json_integer(n ? n : 1); /* singleton events of the events.k8s.io API carry no count */
}

static json_t *s_event_object(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *name = s_str0(obj, "involvedObject.name");
    s_buf_t b = {0};
    s_add(&b, *name ? "%s/%s" : "%s", s_str0(obj, "involvedObject.kind"), name);
    for (size_t i = 0; i < b.len; i++)
        if (b.p[i] >= 'A' && b.p[i] <= 'Z') b.p[i] = (char)(b.p[i] - 'A' + 'a');
    return s_buf_cell(&b);
}

static json_t *s_event_source(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *comp = s_str0(obj, "source.component"), *host = s_str0(obj, "source.host");
    if (!*comp) comp = s_str0(obj, "reportingComponent");
    if (!*host) host = s_str0(obj, "reportingInstance");
    s_buf_t b = {0};
    s_add(&b, *host ? "%s, %s" : "%s", comp, host);
    return s_buf_cell(&b);
}

/* strings.TrimSpace: ASCII white space, plus U+0085 and U+00A0 (the other Unicode spaces are
 * not trimmed: messages are machine-written, and those do not occur at their ends). */
static json_t *s_event_message(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const char *m = s_str0(obj, "message"), *end = m + strlen(m);
    for (;;) {
        if (m < end && strchr(" \t\n\v\f\r", *m))
            m++;
        else if (end - m >= 2 && m[0] == '\xC2' && (m[1] == '\x85' || m[1] == '\xA0'))
            m += 2;
        else
            break;
    }
    for (;;) {
        if (end > m && strchr(" \t\n\v\f\r", end[-1]))
            end--;
        else if (end - m >= 2 && end[-2] == '\xC2' && (end[-1] == '\x85' || end[-1] == '\xA0'))
            end -= 2;
        else
            break;
    }
    json_t *v = json_stringn(m, (size_t)(end - m));
    if (!v) abort();
    return v;
}

/* ---- PersistentVolumes and claims ---- */

/* resource.Quantity.String(). The stored value is printed as given: quantities are kept as
 * submitted (a JSON number prints as its decimal text), not re-canonicalised here. */
static json_t *s_quantity(const json_t *q)
{
    char out[64];
    if (json_is_string(q)) return s_text(json_string_value(q));
    if (json_is_integer(q)) {
        snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT, json_integer_value(q));
        return s_text(out);
    }
    if (json_is_real(q)) {
        snprintf(out, sizeof out, "%.17g", json_real_value(q));
        return s_text(out);
    }
    return s_text("0"); /* a zero Quantity */
}

/* GetAccessModesAsString: each known mode once, in the fixed order RWO, ROX, RWX, RWOP. */
static json_t *s_access_modes_of(const json_t *modes)
{
    static const char *const abbr[][2] = {{"ReadWriteOnce", "RWO"},
                                          {"ReadOnlyMany", "ROX"},
                                          {"ReadWriteMany", "RWX"},
                                          {"ReadWriteOncePod", "RWOP"}};
    s_buf_t b = {0};
    for (size_t i = 0; i < sizeof abbr / sizeof *abbr; i++) {
        size_t j;
        const json_t *m;
        json_array_foreach(modes, j, m)
        {
            if (strcmp(s_str0(m, ""), abbr[i][0])) continue;
            s_add(&b, "%s%s", b.len ? "," : "", abbr[i][1]);
            break;
        }
    }
    return s_buf_cell(&b);
}

static json_t *s_pv_capacity(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    return s_quantity(s_at(obj, "spec.capacity.storage"));
}

static json_t *s_access_modes(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    return s_access_modes_of(s_at(obj, "spec.accessModes"));
}

static json_t *s_volume_phase(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    if (s_at(obj, "metadata.deletionTimestamp")) return s_text("Terminating");
    return s_text(s_str0(obj, "status.phase"));
}

static json_t *s_pv_claim(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *ref = s_obj(obj, "spec.claimRef");
    if (!ref) return s_text("");
    s_buf_t b = {0};
    s_add(&b, "%s/%s", s_str0(ref, "namespace"), s_str0(ref, "name"));
    return s_buf_cell(&b);
}

/* GetPersistentVolumeClass / GetPersistentVolumeClaimClass: the beta annotation wins when
 * present, even empty. (Its key has dots: looked up directly, not as a path.) */
static json_t *s_storage_class(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *ann = json_object_get(s_at(obj, "metadata.annotations"),
                                        "volume.beta.kubernetes.io/storage-class");
    if (json_is_string(ann)) return s_text(json_string_value(ann));
    return s_text(s_str0(obj, "spec.storageClassName"));
}

static json_t *s_pvc_capacity(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    if (!*s_str0(obj, "spec.volumeName")) return s_text("");
    return s_quantity(s_at(obj, "status.capacity.storage"));
}

static json_t *s_pvc_access_modes(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    if (!*s_str0(obj, "spec.volumeName")) return s_text("");
    return s_access_modes_of(s_at(obj, "status.accessModes"));
}

/* ComponentStatus: the first Healthy condition (conditions are top-level in this kind). */
static json_t *s_cs(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    size_t i;
    const json_t *c;
    json_array_foreach(s_at(obj, "conditions"), i, c)
    {
        if (strcmp(s_str0(c, "type"), "Healthy")) continue;
        if (e->path) return s_text(s_str0(c, e->path)); /* cs_message, cs_error */
        return s_text(!strcmp(s_str0(c, "status"), "True") ? "Healthy" : "Unhealthy");
    }
    return s_text(e->path ? "" : "Unknown");
}

/* ---- RBAC ---- */

static json_t *s_role_ref(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    s_add(&b, "%s/%s", s_str0(obj, "roleRef.kind"), s_str0(obj, "roleRef.name"));
    return s_buf_cell(&b);
}

/* rbac.SubjectsStrings: names of subjects of kind e->path, joined with ", "; service accounts
 * as "namespace/name". */
static json_t *s_subjects(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    bool sa = !strcmp(e->path, "ServiceAccount");
    s_buf_t b = {0};
    size_t i, n = 0;
    const json_t *s;
    json_array_foreach(s_at(obj, "subjects"), i, s)
    {
        if (strcmp(s_str0(s, "kind"), e->path)) continue;
        const char *ns = s_str0(s, "namespace"), *sep = n++ ? ", " : "";
        if (sa && *ns)
            s_add(&b, "%s%s/%s", sep, ns, s_str0(s, "name"));
        else
            s_add(&b, "%s%s", sep, s_str0(s, "name"));
    }
    return s_buf_cell(&b);
}

/* ---- workloads (apps, batch) ---- */

/* The JobSpec-or-workload spec that holds the pod template and the selector: spec, or a CronJob's
 * spec.jobTemplate.spec (told by kind, else by the presence of a jobTemplate). */
static const json_t *s_workload_spec(const json_t *obj)
{
    const char *kind = s_str0(obj, "kind");
    if (!strcmp(kind, "CronJob") || (!*kind && s_obj(obj, "spec.jobTemplate")))
        return s_at(obj, "spec.jobTemplate.spec");
    return s_at(obj, "spec");
}

static json_t *s_ready_of_replicas(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    char out[64];
    snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
             s_int(obj, "status.readyReplicas"), s_int(obj, "spec.replicas"));
    return s_text(out);
}

/* layoutContainerCells: the template's containers' field e->path joined with ",". */
static json_t *s_containers(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    size_t i;
    const json_t *c;
    json_array_foreach(s_at(s_workload_spec(obj), "template.spec.containers"), i, c)
        s_add(&b, "%s%s", i ? "," : "", s_str0(c, e->path));
    return s_buf_cell(&b);
}

/* metav1.FormatLabelSelector; deployment_selector (e->dflt set) prints the bare selector
 * string and "<invalid>" for a selector that does not convert. */
static json_t *s_selector(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    if (s_selector_text(s_at(s_workload_spec(obj), "selector"), &b)) {
        free(b.p);
        return s_text(e->dflt ? e->dflt : "<error>");
    }
    return e->dflt ? s_buf_cell(&b) : s_buf_cell_or(&b, "<none>");
}

static json_t *s_job_status(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *conds = s_at(obj, "status.conditions");
    if (s_cond_first_true(conds, "Complete")) return s_text("Complete");
    if (s_cond_first_true(conds, "Failed")) return s_text("Failed");
    if (s_at(obj, "metadata.deletionTimestamp")) return s_text("Terminating");
    if (s_cond_first_true(conds, "Suspended")) return s_text("Suspended");
    if (s_cond_first_true(conds, "FailureTarget")) return s_text("FailureTarget");
    return s_text("Running");
}

static json_t *s_job_completions(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    char out[96];
    json_int_t ok = s_int(obj, "status.succeeded"), par = s_int(obj, "spec.parallelism");
    if (json_is_integer(s_at(obj, "spec.completions")))
        snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT, ok,
                 s_int(obj, "spec.completions"));
    else if (par > 1)
        snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT "/1 of %" JSON_INTEGER_FORMAT, ok, par);
    else
        snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT "/1", ok);
    return s_text(out);
}

static json_t *s_job_duration(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    int64_t start, end;
    if (!s_time(obj, "status.startTime", &start)) return s_text("");
    if (!s_at(obj, "status.completionTime")) return s_human(now - start);
    /* a completionTime that does not parse is Go's zero time: a large negative duration */
    if (!s_time(obj, "status.completionTime", &end)) return s_text("<invalid>");
    return s_human(end - start);
}

static json_t *s_cronjob_suspend(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *v = s_at(obj, "spec.suspend");
    if (!json_is_boolean(v)) return s_text("<unset>");
    return s_text(json_is_true(v) ? "True" : "False");
}

/* ---- Ingresses ---- */

/* formatHosts: the rules' hosts (those that have one) up to 3, then " + N more...". */
static json_t *s_ingress_hosts(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    const json_t *rules = s_at(obj, "spec.rules");
    s_buf_t b = {0};
    size_t i, listed = 0;
    bool more = false;
    const json_t *r;
    json_array_foreach(rules, i, r)
    {
        if (listed == 3) more = true; /* a rule after the third host */
        const char *host = s_str0(r, "host");
        if (more || !*host) continue;
        s_add(&b, "%s%s", listed++ ? "," : "", host);
    }
    if (!listed) {
        free(b.p);
        return s_text("*");
    }
    if (more) s_add(&b, " + %zu more...", json_array_size(rules) - 3);
    return s_buf_cell(&b);
}

static json_t *s_ingress_address(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    s_lb_ingress(obj, wide, &b);
    return s_buf_cell_or(&b, "");
}

/* formatPorts: TLS adds 443. */
static json_t *s_ingress_ports(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    return s_text(json_array_size(s_at(obj, "spec.tls")) ? "80, 443" : "80");
}

/* ---- EndpointSlices ---- */

/* listWithMoreString over what was listed (at most 3 of count). */
static json_t *s_list_more(s_buf_t *b, size_t count)
{
    if (count > 3) s_add(b, " + %zu more...", count - 3);
    return s_buf_cell_or(b, "<unset>");
}

/* formatDiscoveryPorts: each port's number, else its name, else "*". */
static json_t *s_slice_ports(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    size_t i;
    const json_t *p;
    json_array_foreach(s_at(obj, "ports"), i, p)
    {
        if (i >= 3) continue;
        const json_t *num = json_object_get(p, "port");
        const char *name = json_string_value(json_object_get(p, "name"));
        if (json_is_integer(num))
            s_add(&b, "%s%" JSON_INTEGER_FORMAT, i ? "," : "", json_integer_value(num));
        else
            s_add(&b, "%s%s", i ? "," : "", name ? name : "*");
    }
    return s_list_more(&b, json_array_size(s_at(obj, "ports")));
}

/* formatDiscoveryEndpoints: every address of every endpoint. */
static json_t *s_slice_endpoints(const json_t *obj, const s_entry_t *e, int64_t now, bool wide)
{
    s_buf_t b = {0};
    size_t i, j, count = 0;
    const json_t *ep, *a;
    json_array_foreach(s_at(obj, "endpoints"), i, ep)
    {
        json_array_foreach(json_object_get(ep, "addresses"), j, a)
        {
            const char *addr = json_string_value(a);
            if (count++ < 3) s_add(&b, "%s%s", count > 1 ? "," : "", addr ? addr : "");
        }
    }
    return s_list_more(&b, count);
}

/* ---- the table, sorted by name for bsearch (the selftest checks the order) ---- */

static const s_entry_t s_fns[] = {
    {"access_modes", s_access_modes, NULL, NULL},
    {"age", s_fn_age, "metadata.creationTimestamp", NULL},
    {"configmap_data_count", s_fn_size, "data", "binaryData"},
    {"containers_images", s_containers, "image", NULL},
    {"containers_names", s_containers, "name", NULL},
    {"cronjob_active", s_fn_size, "status.active", NULL},
    {"cronjob_last_schedule", s_fn_age, "status.lastScheduleTime", "<none>"},
    {"cronjob_suspend", s_cronjob_suspend, NULL, NULL},
    {"cronjob_timezone", s_fn_unset, "spec.timeZone", "<none>"},
    {"cs_error", s_cs, "error", NULL},
    {"cs_message", s_cs, "message", NULL},
    {"cs_status", s_cs, NULL, NULL},
    {"deployment_selector", s_selector, NULL, "<invalid>"},
    {"endpoints_list", s_endpoints, NULL, NULL},
    {"endpointslice_endpoints", s_slice_endpoints, NULL, NULL},
    {"endpointslice_ports", s_slice_ports, NULL, NULL},
    {"event_count", s_event_count, NULL, NULL},
    {"event_first_seen", s_event_first_seen, NULL, NULL},
    {"event_last_seen", s_event_last_seen, NULL, NULL},
    {"event_message", s_event_message, NULL, NULL},
    {"event_object", s_event_object, NULL, NULL},
    {"event_source", s_event_source, NULL, NULL},
    {"ingress_address", s_ingress_address, NULL, NULL},
    {"ingress_class", s_fn_unset, "spec.ingressClassName", "<none>"},
    {"ingress_hosts", s_ingress_hosts, NULL, NULL},
    {"ingress_ports", s_ingress_ports, NULL, NULL},
    {"job_completions", s_job_completions, NULL, NULL},
    {"job_duration", s_job_duration, NULL, NULL},
    {"job_status", s_job_status, NULL, NULL},
    {"node_container_runtime", s_fn_or, "status.nodeInfo.containerRuntimeVersion", "<unknown>"},
    {"node_external_ip", s_node_address, "ExternalIP", NULL},
    {"node_internal_ip", s_node_address, "InternalIP", NULL},
    {"node_kernel_version", s_fn_or, "status.nodeInfo.kernelVersion", "<unknown>"},
    {"node_os_image", s_fn_or, "status.nodeInfo.osImage", "<unknown>"},
    {"node_roles", s_node_roles, NULL, NULL},
    {"node_status", s_node_status, NULL, NULL},
    {"pod_ip", s_pod_ip, NULL, NULL},
    {"pod_node", s_fn_or, "spec.nodeName", "<none>"},
    {"pod_nominated_node", s_fn_or, "status.nominatedNodeName", "<none>"},
    {"pod_readiness_gates", s_pod_readiness_gates, NULL, NULL},
    {"pod_ready", s_pod_ready, NULL, NULL},
    {"pod_restarts", s_pod_restarts, NULL, NULL},
    {"pod_status", s_pod_status, NULL, NULL},
    {"pv_capacity", s_pv_capacity, NULL, NULL},
    {"pv_claim", s_pv_claim, NULL, NULL},
    {"pvc_access_modes", s_pvc_access_modes, NULL, NULL},
    {"pvc_capacity", s_pvc_capacity, NULL, NULL},
    {"ready_of_replicas", s_ready_of_replicas, NULL, NULL},
    {"role_ref", s_role_ref, NULL, NULL},
    {"sa_secrets_count", s_fn_size, "secrets", NULL},
    {"secret_data_count", s_fn_size, "data", NULL},
    {"selector_string", s_selector, NULL, NULL},
    {"service_cluster_ip", s_svc_cluster_ip, NULL, NULL},
    {"service_external_ip", s_svc_external_ip, NULL, NULL},
    {"service_ports", s_svc_ports, NULL, NULL},
    {"service_selector", s_fn_labels, "spec.selector", NULL},
    {"storage_class", s_storage_class, NULL, NULL},
    {"subject_groups", s_subjects, "Group", NULL},
    {"subject_sas", s_subjects, "ServiceAccount", NULL},
    {"subject_users", s_subjects, "User", NULL},
    {"template_node_selector", s_fn_labels, "spec.template.spec.nodeSelector", NULL},
    {"volume_attributes_class", s_fn_unset, "spec.volumeAttributesClassName", "<unset>"},
    {"volume_mode", s_fn_unset, "spec.volumeMode", "<unset>"},
    {"volume_phase", s_volume_phase, NULL, NULL},
};

#define S_FNS_N (sizeof s_fns / sizeof *s_fns)

static int s_entry_cmp(const void *key, const void *entry)
{
    return strcmp(key, ((const s_entry_t *)entry)->name);
}

json_t *gw_table_fn(const char *fn, const json_t *obj, int64_t now, bool wide)
{
    if (!fn) return NULL;
    const s_entry_t *e = bsearch(fn, s_fns, S_FNS_N, sizeof *s_fns, s_entry_cmp);
    if (!e) return NULL;
    json_t *cell = e->fn(obj, e, now, wide);
    if (!cell) abort(); /* only json_integer can return NULL here: out of memory */
    return cell;
}

size_t gw_table_fns_count(void)
{
    return S_FNS_N;
}

const char *gw_table_fns_name(size_t i)
{
    return i < S_FNS_N ? s_fns[i].name : NULL;
}
