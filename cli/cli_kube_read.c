/* cli_kube_read: kubus get, watch, describe and api-resources over the Kubernetes API. */
#include "cli_kube_impl.h"
#include "cli.h"
#include "kube_patch.h"
#include "kube_yaml.h"
#include <dirent.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* --- get ----------------------------------------------------------------------------------- */

static bool s_output_ok(const ck_ctx_t *c, bool wide)
{
    if (!c->output || ck_is(c->output, "yaml") || ck_is(c->output, "json") ||
        ck_is(c->output, "name") || (wide && ck_is(c->output, "wide")))
        return true;
    fprintf(stderr,
            "error: unable to match a printer suitable for the output format \"%s\", "
            "allowed formats are: %sjson,name,yaml\n",
            c->output, wide ? "wide," : "");
    return false;
}

static bool s_tabular(const ck_ctx_t *c)
{
    return !c->output || ck_is(c->output, "wide");
}

/* One object of a non-table output. */
static void s_print_object(const ck_ctx_t *c, const cli_kube_res_t *res, const json_t *obj,
                           size_t *count)
{
    char kind[256], group[256];
    if (ck_is(c->output, "name")) { /* the object's own kind: a List holds several */
        const char *av = ck_str(obj, "apiVersion"), *slash = strchr(av, '/');
        cli_kube_res_t own = {.kind = ck_str(obj, "kind"), .group = group};
        snprintf(group, sizeof group, "%.*s", slash ? (int)(slash - av) : 0, av);
        if (*own.kind) res = &own;
        printf("%s/%s\n", cli_kube_kind_name(res, kind, sizeof kind),
               ck_str(json_object_get(obj, "metadata"), "name"));
    } else if (ck_is(c->output, "json")) {
        cli_kube_print_json(stdout, obj);
    } else {
        if (*count) printf("---\n");
        cli_kube_print_yaml(stdout, obj);
    }
    ++*count;
    fflush(stdout);
}

/* The objects of one type for -o yaml|json|name: its names, or its list. */
static int s_get_objects(ck_ctx_t *c, const ck_target_t *t, size_t n, json_t *items)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *obj, *item;
        if (!t[i].name) {
            json_t *list = ck_list(c, t[i].res, t[i].ns, false, NULL);
            size_t j;
            json_array_foreach(json_object_get(list, "items"), j, item)
            {
                ck_fill_kind(item, t[i].res);
                json_array_append(items, item);
            }
            rc |= !list;
            json_decref(list);
            continue;
        }
        int status = ck_object(c, &t[i], "GET", NULL, NULL, NULL, NULL, &obj);
        if (status == 200) json_array_append(items, obj);
        if (status > 0 && status != 200) cli_kube_status_print(obj, NULL);
        rc |= status != 200;
        json_decref(obj);
    }
    return rc;
}

/* One type's table block: its names one by one (1-row Tables), or its list. */
static int s_get_table(ck_ctx_t *c, const ck_target_t *t, size_t n, cli_kube_table_t *table)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *got = NULL;
        if (!t[i].name) {
            got = ck_list(c, t[i].res, t[i].ns, true, NULL);
            rc |= !got;
        } else {
            char *path = cli_kube_path(t[i].res, t[i].ns, t[i].name, NULL, NULL);
            int status = cli_kube_http_call(c->k, "GET", path, S_TABLE, NULL, NULL, &got);
            free(path);
            if (status > 0 && status != 200) cli_kube_status_print(got, NULL);
            rc |= status != 200;
            if (status != 200) json_decref(got), got = NULL;
        }
        if (got) cli_kube_table_add(table, got);
        json_decref(got);
    }
    return rc;
}

static int s_watch(ck_ctx_t *c, const ck_target_t *t);

/* -o yaml|json|name: one object alone when one was named, else a List, as kubectl prints. */
static void s_print_objects(const ck_ctx_t *c, const ck_targets_t *ts, json_t *items)
{
    size_t count = 0, i;
    json_t *item;
    if (ck_is(c->output, "name") || (ts->n == 1 && ts->v[0].name && json_array_size(items) == 1)) {
        json_array_foreach(items, i, item) s_print_object(c, ts->v[0].res, item, &count);
        return;
    }
    json_t *list = json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items", items, "kind",
                             "List", "metadata", "resourceVersion", "");
    s_print_object(c, ts->v[0].res, list, &count);
    json_decref(list);
}

/* Each type's block in turn (several types: names as kind/name, a blank line between). */
static int s_get_all(ck_ctx_t *c, const ck_targets_t *ts)
{
    int rc = 0;
    size_t shown = 0, blocks = 0;
    json_t *items = json_array();
    for (size_t i = 0, j; i < ts->n; i = j) {
        for (j = i; j < ts->n && ts->v[j].res == ts->v[i].res; j++) continue;
        if (!s_tabular(c)) {
            rc |= s_get_objects(c, &ts->v[i], j - i, items);
            continue;
        }
        char kind[256];
        const cli_kube_res_t *res = ts->v[i].res;
        cli_kube_table_opts_t o = {ck_is(c->output, "wide"), c->all_ns && res->namespaced,
                                   c->show_labels, c->no_headers,
                                   ts->kinds ? cli_kube_kind_name(res, kind, sizeof kind) : NULL};
        cli_kube_table_t *table = cli_kube_table_new(&o);
        rc |= s_get_table(c, &ts->v[i], j - i, table);
        size_t rows = cli_kube_table_pending(table);
        if (rows && blocks++) putchar('\n');
        cli_kube_table_flush(table, stdout);
        shown += rows;
        cli_kube_table_destroy(&table);
    }
    if (!s_tabular(c) && (!rc || json_array_size(items))) s_print_objects(c, ts, items);
    json_decref(items);
    if (!shown && !rc && s_tabular(c)) ck_no_resources(c, ts);
    return rc;
}

int ck_get(ck_ctx_t *c)
{
    ck_targets_t ts;
    if (!s_output_ok(c, true)) return 2;
    int rc = ck_targets(c, c->words, c->words_n, &ts);
    if (rc == 2) {
        fprintf(stderr, "error: You must specify the type of resource to get.\n");
        rc = ck_usage(c, stderr);
    } else if (!rc && c->watch && (ts.n != 1 || ts.kinds)) {
        fprintf(stderr, "error: you may only specify a single resource type\n");
        rc = 1;
    } else if (!rc) {
        rc = c->watch ? s_watch(c, &ts.v[0]) : s_get_all(c, &ts);
    }
    ck_targets_free(&ts);
    return rc;
}

/* --- watch --------------------------------------------------------------------------------- */

typedef struct {
    ck_ctx_t *c;
    const cli_kube_res_t *res;
    cli_kube_table_t *table; /* NULL: -o yaml|json|name */
    size_t count;
    int rc;
} s_watcher_t;

/* One event line: a row (or an object) per change; an ERROR event ends the watch. */
static int s_watch_event(void *arg, const char *line, size_t len)
{
    s_watcher_t *w = arg;
    json_t *ev = json_loadb(line, len, 0, NULL), *obj = json_object_get(ev, "object");
    const char *type = ck_str(ev, "type");
    int stop = 0;
    if (!json_is_object(obj)) {
        stop = len > 0 && cli_fail("the watch sent something that is not an event: %.80s", line);
    } else if (!strcmp(type, "ERROR")) {
        stop = cli_kube_status_print(obj, NULL);
    } else if (strcmp(type, "BOOKMARK") && w->table) {
        cli_kube_table_add(w->table, obj);
        cli_kube_table_flush(w->table, stdout);
    } else if (strcmp(type, "BOOKMARK")) {
        ck_fill_kind(obj, w->res);
        s_print_object(w->c, w->res, obj, &w->count);
    }
    w->rc |= stop;
    json_decref(ev);
    return stop;
}

/* What there is now (printed), and its resourceVersion in rv. */
static json_t *s_watch_start(ck_ctx_t *c, const ck_target_t *t, s_watcher_t *w, char *rv,
                             size_t len)
{
    json_t *now = NULL, *item;
    if (t->name) {
        char *path = cli_kube_path(t->res, t->ns, t->name, NULL, NULL);
        int status =
            cli_kube_http_call(c->k, "GET", path, w->table ? S_TABLE : NULL, NULL, NULL, &now);
        free(path);
        if (status > 0 && status != 200) cli_kube_status_print(now, NULL);
        if (status != 200) json_decref(now), now = NULL;
    } else {
        now = ck_list(c, t->res, t->ns, w->table != NULL, NULL);
    }
    if (!now) return NULL;
    const json_t *meta = json_object_get(now, "metadata");
    if (!*ck_str(meta, "resourceVersion")) /* a one-row Table: its object's */
        meta = json_object_get(
            json_object_get(json_array_get(json_object_get(now, "rows"), 0), "object"), "metadata");
    snprintf(rv, len, "%s", ck_str(meta, "resourceVersion"));
    size_t i;
    if (w->table) {
        cli_kube_table_add(w->table, now);
        cli_kube_table_flush(w->table, stdout);
    } else if (t->name) {
        s_print_object(c, t->res, now, &w->count);
    } else {
        json_array_foreach(json_object_get(now, "items"), i, item)
        {
            ck_fill_kind(item, t->res);
            s_print_object(c, t->res, item, &w->count);
        }
    }
    return now;
}

/* get -w: the list, then a row per event, until the server ends the stream. */
static int s_watch(ck_ctx_t *c, const ck_target_t *t)
{
    cli_kube_table_opts_t o = {ck_is(c->output, "wide"), c->all_ns && t->res->namespaced,
                               c->show_labels, c->no_headers, NULL};
    s_watcher_t w = {c, t->res, s_tabular(c) ? cli_kube_table_new(&o) : NULL, 0, 0};
    char rv[128], more[256], *field;
    json_t *now = s_watch_start(c, t, &w, rv, sizeof rv), *err = NULL;
    if (now) {
        snprintf(more, sizeof more, "watch=true&resourceVersion=%s", rv);
        if (asprintf(&field, "metadata.name=%s", t->name ? t->name : "") < 0) abort();
        char *q = ck_query(c, t->name ? field : NULL, more);
        free(field);
        char *path = cli_kube_path(t->res, t->ns, NULL, NULL, q);
        int status = cli_kube_http_stream(c->k, path, w.table ? S_TABLE : NULL, true, s_watch_event,
                                          &w, &err);
        if (status > 0 && status != 200) w.rc = cli_kube_status_print(err, NULL);
        w.rc |= status < 0;
        free(q);
        free(path);
    }
    json_decref(now);
    json_decref(err);
    cli_kube_table_destroy(&w.table);
    return now ? w.rc : 1;
}

/* --- describe ------------------------------------------------------------------------------ */

/* The object's events (kubectl's search by involvedObject), or NULL. */
static json_t *s_events_of(ck_ctx_t *c, const json_t *obj, bool namespaced)
{
    const json_t *meta = json_object_get(obj, "metadata");
    char field[2048], path[8192], *ns = cli_kube_http_escape(ck_str(meta, "namespace"));
    snprintf(field, sizeof field, "involvedObject.name=%s,%s%s%sinvolvedObject.uid=%s",
             ck_str(meta, "name"), namespaced ? "involvedObject.namespace=" : "",
             namespaced ? ck_str(meta, "namespace") : "", namespaced ? "," : "",
             ck_str(meta, "uid"));
    char *e = cli_kube_http_escape(field);
    if (namespaced)
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/events?fieldSelector=%s&limit=500", ns,
                 e);
    else
        snprintf(path, sizeof path, "/api/v1/events?fieldSelector=%s&limit=500", e);
    free(e);
    free(ns);
    json_t *list, *items = NULL;
    if (cli_kube_http_call(c->k, "GET", path, NULL, NULL, NULL, &list) == 200)
        items = json_incref(json_object_get(list, "items"));
    json_decref(list);
    return items;
}

int ck_describe(ck_ctx_t *c)
{
    ck_targets_t ts;
    int rc = ck_targets(c, c->words, c->words_n, &ts), shown = 0;
    if (rc == 2) rc = ck_usage(c, stderr);
    size_t listed = ts.n;
    if (!rc) rc = ck_expand(c, &ts);
    for (size_t i = 0, failed = (size_t)rc; !failed && i < ts.n; i++) {
        json_t *obj;
        int status = ck_object(c, &ts.v[i], "GET", NULL, NULL, NULL, NULL, &obj);
        if (status == 200) {
            json_t *events = s_events_of(c, obj, ts.v[i].res->namespaced);
            printf("%s", shown++ ? "\n\n" : "");
            cli_kube_print_describe(stdout, obj, events);
            json_decref(events);
        } else if (status > 0) {
            cli_kube_status_print(obj, NULL);
        }
        rc |= status != 200;
        json_decref(obj);
    }
    if (!rc && !ts.n && listed) ck_no_resources(c, &ts);
    ck_targets_free(&ts);
    return rc;
}

/* --- api-resources ------------------------------------------------------------------------- */

static int s_res_cmp(const void *a, const void *b)
{
    const cli_kube_res_t *x = *(const cli_kube_res_t *const *)a,
                         *y = *(const cli_kube_res_t *const *)b;
    int g = strcmp(x->group, y->group);
    return g ? g : strcmp(x->name, y->name);
}

static char *s_join(const json_t *strings, const char *sep, const char *open, const char *close)
{
    char *text = NULL;
    size_t len, i;
    const json_t *s;
    FILE *f = open_memstream(&text, &len);
    if (!f) abort();
    fputs(open, f);
    json_array_foreach(strings, i, s) fprintf(f, "%s%s", i ? sep : "", json_string_value(s));
    fputs(close, f);
    fclose(f);
    return text;
}

int ck_api_resources(ck_ctx_t *c)
{
    size_t n, shown = 0;
    if (c->output && !ck_is(c->output, "wide") && !ck_is(c->output, "name")) {
        fprintf(stderr, "error: --output %s is not available\n", c->output);
        return 2;
    }
    const cli_kube_res_t *res = cli_kube_http_resources(c->k, &n), **sorted;
    if (!res) return 1;
    if (!(sorted = malloc((n ? n : 1) * sizeof *sorted))) abort();
    for (size_t i = 0; i < n; i++) sorted[i] = &res[i];
    qsort(sorted, n, sizeof *sorted, s_res_cmp);
    cli_kube_table_opts_t o = {.no_headers = c->no_headers};
    cli_kube_table_t *table = cli_kube_table_new(&o);
    const char *head[] = {"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED",
                          "KIND", "VERBS",      "CATEGORIES"};
    bool wide = ck_is(c->output, "wide");
    cli_kube_table_row(table, head, wide ? 7 : 5, true);
    for (size_t i = 0; i < n; i++) {
        const cli_kube_res_t *r = sorted[i];
        if (!json_array_size(r->verbs) || (c->api_group && strcmp(c->api_group, r->group)) ||
            (c->namespaced >= 0 && r->namespaced != (c->namespaced == 1)))
            continue;
        if (ck_is(c->output, "name")) {
            printf("%s%s%s\n", r->name, *r->group ? "." : "", r->group);
            continue;
        }
        char av[256];
        snprintf(av, sizeof av, "%s%s%s", r->group, *r->group ? "/" : "", r->version);
        char *shorts = s_join(r->short_names, ",", "", ""), *verbs = s_join(r->verbs, ",", "", "");
        char *cats = s_join(r->categories, ",", "", "");
        const char *row[] = {r->name, shorts, av,  r->namespaced ? "true" : "false",
                             r->kind, verbs,  cats};
        cli_kube_table_row(table, row, wide ? 7 : 5, false);
        free(shorts);
        free(verbs);
        free(cats);
        shown++;
    }
    cli_kube_table_flush(table, stdout);
    cli_kube_table_destroy(&table);
    free(sorted);
    return 0;
}
