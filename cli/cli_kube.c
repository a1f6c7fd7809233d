/* kubus get|describe|apply|create|replace|patch|delete|scale|label|annotate|logs|rollout|
 * api-resources|explain|version|cluster-info|auth: the kubectl verbs, their flags and their
 * output, over the cluster's Kubernetes API (the gateway, or any API server a kubeconfig names).
 * This file parses the command line and what a verb acts on; the verbs are in cli_kube_*.c.
 * Not kubectl: no strategic merge in apply (it sends JSON merge patches), no exec, no plugins. */
#include "cli.h"
#include "cli_kube_impl.h"
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

const char *ck_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

bool ck_is(const char *a, const char *b)
{
    return a && !strcmp(a, b);
}

int ck_usage(const ck_ctx_t *c, FILE *out)
{
    static const char *const lines[][2] = {
        {"get", "get TYPE[,TYPE...] [NAME...] | TYPE/NAME... | -f FILE  [-o wide|yaml|json|name] "
                "[-w] [--show-labels] [--no-headers] [-l SEL] [--field-selector SEL] [-A]"},
        {"describe", "describe TYPE [NAME...] | TYPE/NAME... | -f FILE  [-l SEL] [-A]"},
        {"apply", "apply -f FILE|DIR|- ...  [-o name]"},
        {"create", "create -f FILE|DIR|- ...  [-o name]"},
        {"delete", "delete TYPE NAME... | TYPE/NAME... | TYPE -l SEL | TYPE --all | -f FILE  "
                   "[--ignore-not-found] [--wait=false] [--timeout 30s]"},
        {"scale", "scale TYPE NAME... | TYPE/NAME... --replicas=N [--current-replicas=N]"},
        {"label", "label TYPE NAME... | TYPE/NAME... KEY=VALUE... KEY-...  [--overwrite] [-l SEL]"},
        {"annotate", "annotate TYPE NAME... | TYPE/NAME... KEY=VALUE... KEY-...  [--overwrite]"},
        {"logs", "logs POD | pod/POD  [-c CONTAINER] [--tail N] [-f] [--previous] [--timestamps]"},
        {"rollout", "rollout status deployment/NAME | deployment NAME  [--timeout 0s] "
                    "[--watch=false]"},
        {"api-resources", "api-resources [-o wide|name] [--namespaced=true|false] [--api-group G]"},
        {"version", "version [-o json|yaml]"},
        {"cluster-info", "cluster-info"},
        {"replace", "replace -f FILE|DIR|- ...  [-o name]"},
        {"patch", "patch TYPE NAME... | TYPE/NAME... | -f FILE  -p PATCH "
                  "[--type strategic|merge|json] [-o name|json|yaml]"},
        {"explain", "explain TYPE[.FIELD...]  [--api-version GROUP/VERSION]"},
        {"auth", "auth can-i VERB TYPE[/NAME] | VERB /URL  [-A] | auth can-i --list "
                 "[--no-headers]"},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (ck_is(c->verb, lines[i][0])) fprintf(out, "usage: kubus %s\n", lines[i][1]);
    fprintf(out, "  every command: [--kubeconfig FILE] [--context NAME] [-n NAMESPACE]\n");
    return out == stdout ? 0 : 2;
}

/* --- the command line ---------------------------------------------------------------------- */

bool ck_bool(const char *arg)
{
    return !arg || !strcmp(arg, "true") || !strcmp(arg, "1");
}

/* "30s", "2m", "500ms", "1h"; a bare number is seconds. -1 when it is none of those. */
long ck_duration_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    double unit = !*end                ? 1000
                  : !strcmp(end, "ms") ? 1
                  : !strcmp(end, "s")  ? 1000
                  : !strcmp(end, "m")  ? 60000
                  : !strcmp(end, "h")  ? 3600000
                                       : -1;
    return unit < 0 || v < 0 || end == s ? -1 : (long)(v * unit);
}

int ck_long(const char *s, long *out)
{
    char *end;
    *out = strtol(s, &end, 10);
    return *s && !*end ? 0 : -1;
}

int ck_option(ck_ctx_t *c, int ch, const char *arg)
{
    switch (ch) {
    case 'K': c->kubeconfig = arg; break;
    case 'C': c->context = arg; break;
    case 'n': c->ns = arg, c->ns_given = true; break;
    case 'A': c->all_ns = ck_bool(arg); break;
    case 'o': c->output = arg; break;
    case 'l': c->selector = arg; break;
    case 'F': c->field_selector = arg; break;
    case 'f':
        if (ck_is(c->verb, "logs"))
            c->follow = true;
        else if (c->files_n == S_FILES_MAX)
            return cli_fail("at most %d -f", S_FILES_MAX) + 1;
        else
            c->files[c->files_n++] = arg;
        break;
    case 'P': c->follow = ck_bool(arg); break;
    case 'w': c->watch = ck_bool(arg); break;
    case 'L': c->show_labels = ck_bool(arg); break;
    case 'O': c->overwrite = ck_bool(arg); break;
    case 'I': c->ignore_not_found = ck_bool(arg); break;
    case 'W': c->wait = ck_bool(arg); break;
    case 'p':
        if (ck_is(c->verb, "patch"))
            c->patch = arg;
        else
            c->previous = ck_bool(arg);
        break;
    case 'X': c->patch = arg; break;
    case 'Y': c->patch_type = arg; break;
    case 'V': c->api_version = arg; break;
    case 'Z': c->list = ck_bool(arg); break;
    case 'S': c->timestamps = ck_bool(arg); break;
    case 'a': c->all = ck_bool(arg); break;
    case 'H': c->no_headers = ck_bool(arg); break;
    case 'G': c->api_group = arg; break;
    case 'N': c->namespaced = ck_bool(arg); break;
    case 'c': c->container = arg; break;
    case 'h': c->help = true; break;
    case 'T':
        if ((c->timeout_ms = ck_duration_ms(arg)) < 0) return cli_fail("bad --timeout %s", arg) + 1;
        break;
    case 'R':
    case 'Q':
    case 't':
        if (ck_long(arg, ch == 'R' ? &c->replicas : ch == 'Q' ? &c->current_replicas : &c->tail))
            return cli_fail("not a number: %s", arg) + 1;
        break;
    default: return 2;
    }
    return 0;
}

int ck_parse(ck_ctx_t *c, int argc, char **argv)
{
    static const struct option opts[] = {{"kubeconfig", required_argument, 0, 'K'},
                                         {"context", required_argument, 0, 'C'},
                                         {"namespace", required_argument, 0, 'n'},
                                         {"all-namespaces", optional_argument, 0, 'A'},
                                         {"output", required_argument, 0, 'o'},
                                         {"selector", required_argument, 0, 'l'},
                                         {"field-selector", required_argument, 0, 'F'},
                                         {"filename", required_argument, 0, 'f'},
                                         {"follow", optional_argument, 0, 'P'},
                                         {"watch", optional_argument, 0, 'w'},
                                         {"show-labels", optional_argument, 0, 'L'},
                                         {"overwrite", optional_argument, 0, 'O'},
                                         {"ignore-not-found", optional_argument, 0, 'I'},
                                         {"wait", optional_argument, 0, 'W'},
                                         {"previous", optional_argument, 0, 'p'},
                                         {"timestamps", optional_argument, 0, 'S'},
                                         {"all", optional_argument, 0, 'a'},
                                         {"no-headers", optional_argument, 0, 'H'},
                                         {"api-group", required_argument, 0, 'G'},
                                         {"namespaced", required_argument, 0, 'N'},
                                         {"timeout", required_argument, 0, 'T'},
                                         {"replicas", required_argument, 0, 'R'},
                                         {"current-replicas", required_argument, 0, 'Q'},
                                         {"container", required_argument, 0, 'c'},
                                         {"tail", required_argument, 0, 't'},
                                         {"patch", required_argument, 0, 'X'},
                                         {"type", required_argument, 0, 'Y'},
                                         {"api-version", required_argument, 0, 'V'},
                                         {"list", optional_argument, 0, 'Z'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    /* -f is --follow for logs and --filename everywhere else, as in kubectl. */
    const char *shorts = ck_is(c->verb, "logs")    ? "n:Ao:l:c:fph"
                         : ck_is(c->verb, "patch") ? "n:Ao:l:f:p:h"
                                                   : "n:Ao:l:f:wc:h";
    int ch, rc;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
        if (ch == '?' || ch == ':') {
            fprintf(stderr, "error: unknown or incomplete flag %s\n", argv[optind - 1]);
            return ck_usage(c, stderr);
        }
        if ((rc = ck_option(c, ch, optarg))) return rc == 2 ? ck_usage(c, stderr) : 2;
    }
    c->words = argv + optind;
    c->words_n = argc - optind;
    return 0;
}

/* --- requests ------------------------------------------------------------------------------ */

/* "k=v&k2=v2" for a list: the selectors (extra_field ANDed to --field-selector), then more. */
char *ck_query(const ck_ctx_t *c, const char *extra_field, const char *more)
{
    char *q = NULL, *e;
    size_t len;
    FILE *f = open_memstream(&q, &len);
    if (!f) abort();
    if (c->selector) {
        fprintf(f, "labelSelector=%s&", e = cli_kube_http_escape(c->selector));
        free(e);
    }
    if (c->field_selector || extra_field) {
        char *field;
        if (asprintf(&field, "%s%s%s", c->field_selector ? c->field_selector : "",
                     c->field_selector && extra_field ? "," : "",
                     extra_field ? extra_field : "") < 0)
            abort();
        fprintf(f, "fieldSelector=%s&", e = cli_kube_http_escape(field));
        free(e);
        free(field);
    }
    fprintf(f, "%s", more ? more : "");
    fclose(f);
    if (len && q[len - 1] == '&') q[len - 1] = 0;
    return q;
}

/* Every page of a list (limit=500, following metadata.continue) as one list: a Table's rows
 * or a List's items run on. NULL when it failed (printed). */
json_t *ck_list(ck_ctx_t *c, const cli_kube_res_t *res, const char *ns, bool table,
                const char *extra_field)
{
    json_t *all = NULL, *page;
    char *cont = NULL;
    const char *key = table ? "rows" : "items";
    do {
        char more[4096], *e = cont ? cli_kube_http_escape(cont) : NULL;
        snprintf(more, sizeof more, "limit=500%s%s", e ? "&continue=" : "", e ? e : "");
        free(e);
        char *q = ck_query(c, extra_field, more), *path = cli_kube_path(res, ns, NULL, NULL, q);
        int status =
            cli_kube_http_call(c->k, "GET", path, table ? S_TABLE : NULL, NULL, NULL, &page);
        free(q);
        free(path);
        free(cont);
        cont = NULL;
        if (status != 200 || !json_is_object(page)) {
            if (status > 0) cli_kube_status_print(page, NULL);
            json_decref(page);
            json_decref(all);
            return NULL;
        }
        if (!json_is_array(json_object_get(page, key)))
            json_object_set_new(page, key, json_array());
        const char *next = ck_str(json_object_get(page, "metadata"), "continue");
        if (*next && !(cont = strdup(next))) abort();
        if (!all) {
            all = page;
            continue;
        }
        json_array_extend(json_object_get(all, key), json_object_get(page, key));
        json_object_set(all, "metadata", json_object_get(page, "metadata"));
        json_decref(page);
    } while (cont);
    return all;
}

/* A JSON request on one object; the status, the answer in *out. */
int ck_object(ck_ctx_t *c, const ck_target_t *t, const char *method, const char *sub,
              const char *query, const json_t *body, const char *content_type, json_t **out)
{
    char *path = cli_kube_path(t->res, t->ns, t->name, sub, query);
    int status = cli_kube_http_json(c->k, method, path, body, content_type, out);
    free(path);
    return status;
}

/* kubectl's "configmap/web" + what happened, or "configmap/web" alone with -o name. */
void ck_done(const ck_ctx_t *c, const cli_kube_res_t *res, const char *name, const char *what)
{
    char kind[256];
    cli_kube_kind_name(res, kind, sizeof kind);
    if (ck_is(c->output, "name"))
        printf("%s/%s\n", kind, name);
    else
        printf("%s/%s %s\n", kind, name, what);
}

void ck_fill_kind(json_t *item, const cli_kube_res_t *res)
{
    char api_version[256];
    snprintf(api_version, sizeof api_version, "%s%s%s", res->group, *res->group ? "/" : "",
             res->version);
    if (!json_object_get(item, "apiVersion"))
        json_object_set_new(item, "apiVersion", json_string(api_version));
    if (!json_object_get(item, "kind")) json_object_set_new(item, "kind", json_string(res->kind));
}

/* --- what a command acts on ---------------------------------------------------------------- */

int ck_add(ck_targets_t *ts, const cli_kube_res_t *res, const char *ns, const char *name,
           json_t *obj, const char *source)
{
    if (ts->n == S_TARGETS_MAX) return cli_fail("more than %d objects", S_TARGETS_MAX);
    ts->v[ts->n++] = (ck_target_t){res, name, res->namespaced ? ns : NULL, obj, source};
    return 0;
}

/* TYPE[,TYPE...] [NAME...] or TYPE/NAME..., as kubectl's ResourceTypeOrNameArgs reads them. */
int ck_words(ck_ctx_t *c, char **words, int n, ck_targets_t *ts)
{
    const char *ns = c->all_ns ? NULL : c->ns;
    const cli_kube_res_t *found[S_KINDS_MAX];
    if (n > 0 && strchr(words[0], '/')) {
        for (int i = 0; i < n; i++) {
            char type[256], *slash = strchr(words[i], '/');
            if (!slash) {
                fprintf(stderr, "error: there is no need to specify a resource type as a separate "
                                "argument when passing arguments in resource/name form\n");
                return 1;
            }
            snprintf(type, sizeof type, "%.*s", (int)(slash - words[i]), words[i]);
            if (!cli_kube_http_resolve(c->k, type, found, 1) ||
                ck_add(ts, found[0], ns, slash + 1, NULL, NULL))
                return 1;
            ts->kinds |= i > 0 && found[0] != ts->v[0].res;
        }
        return 0;
    }
    char *types = strdup(words[0]);
    if (!types) abort();
    int rc = 0;
    for (char *save, *type = strtok_r(types, ",", &save); type && !rc;
         type = strtok_r(NULL, ",", &save)) {
        size_t m = cli_kube_http_resolve(c->k, type, found, S_KINDS_MAX);
        rc = !m;
        ts->kinds |= m > 1 || strchr(words[0], ',') || !strcasecmp(type, "all");
        for (size_t i = 0; i < m && !rc; i++) /* each type with each name, or with none */
            for (int j = n > 1 ? 1 : 0; j < (n > 1 ? n : 1) && !rc; j++)
                rc = ck_add(ts, found[i], ns, n > 1 ? words[j] : NULL, NULL, NULL);
    }
    free(types);
    return rc;
}

char *ck_read_all(FILE *f, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap && !(buf = realloc(buf, cap = cap ? cap * 2 : 65536))) abort();
        n += got = fread(buf + n, 1, cap - n, f);
    } while (got && n <= CLI_KUBE_MANIFEST_MAX);
    *len = n;
    return buf;
}

/* The documents of one file (a List's items one by one) into docs as {obj, source}. */
int ck_read_file(const char *path, json_t *docs)
{
    bool in = !strcmp(path, "-");
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f) return fprintf(stderr, "error: the path \"%s\" does not exist\n", path), 1;
    size_t len;
    char *text = ck_read_all(f, &len), err[512];
    if (!in) fclose(f);
    if (len > CLI_KUBE_MANIFEST_MAX) {
        free(text);
        return cli_fail("%s is larger than %zu MiB", path, CLI_KUBE_MANIFEST_MAX >> 20);
    }
    json_t *all = kube_yaml_decode_all((const uint8_t *)text, len, err, sizeof err), *doc, *item;
    free(text);
    if (!all) return fprintf(stderr, "error: error parsing %s: %s\n", path, err), 1;
    size_t i, j;
    json_array_foreach(all, i, doc)
    {
        json_t *items = json_object_get(doc, "items");
        size_t n = json_is_array(items) && strstr(ck_str(doc, "kind"), "List")
                       ? json_array_size(items)
                       : 1;
        for (j = 0; j < n; j++) {
            item = n == 1 && !json_is_array(items) ? doc : json_array_get(items, j);
            if (json_array_size(docs) == CLI_KUBE_DOCS_MAX) {
                json_decref(all);
                return cli_fail("more than %d objects in the files", CLI_KUBE_DOCS_MAX);
            }
            if (json_is_object(item))
                json_array_append_new(
                    docs, json_pack("{s:O, s:s}", "obj", item, "source", in ? "STDIN" : path));
        }
    }
    json_decref(all);
    return 0;
}

/* A folder's .json, .yaml and .yml files, in name order, as kubectl reads them. */
int ck_read_path(const char *path, json_t *docs)
{
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort), rc = 0;
        for (int i = 0; i < n; i++) {
            const char *dot = strrchr(names[i]->d_name, '.');
            char file[4096];
            snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
            if (!rc && dot &&
                (!strcmp(dot, ".json") || !strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
                rc = ck_read_file(file, docs);
            free(names[i]);
        }
        free(n >= 0 ? names : NULL);
        return n < 0 ? cli_fail("%s: cannot read the folder", path) : rc;
    }
    return ck_read_file(path, docs);
}

/* One manifest as a target: its resource from apiVersion and kind, its namespace. */
int ck_manifest(ck_ctx_t *c, json_t *doc, ck_targets_t *ts)
{
    json_t *obj = json_object_get(doc, "obj");
    const char *source = ck_str(doc, "source"), *av = ck_str(obj, "apiVersion"),
               *kind = ck_str(obj, "kind");
    const json_t *meta = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!*av || !*kind) {
        bool both = !*av && !*kind;
        fprintf(stderr, "error: error validating \"%s\": error validating data: %s%s%s%s%s\n",
                source, both ? "[" : "", *av ? "" : "apiVersion not set", both ? ", " : "",
                *kind ? "" : "kind not set", both ? "]" : "");
        return 1;
    }
    const cli_kube_res_t *res = cli_kube_http_kind(c->k, av, kind);
    const char *ns = ck_str(meta, "namespace");
    if (!res) {
        fprintf(stderr,
                "error: resource mapping not found for name: \"%s\" namespace: \"%s\" "
                "from \"%s\": no matches for kind \"%s\" in version \"%s\"\n"
                "ensure CRDs are installed first\n",
                name ? name : "", ns, source, kind, av);
        return 1;
    }
    if (res->namespaced && *ns && c->ns_given && strcmp(ns, c->ns)) {
        fprintf(stderr,
                "error: the namespace from the provided object \"%s\" does not match the "
                "namespace \"%s\". You must pass '--namespace=%s' to perform this "
                "operation.\n",
                ns, c->ns, ns);
        return 1;
    }
    if (res->namespaced && !*ns)
        json_object_set_new((json_t *)meta, "namespace", json_string(c->ns));
    return ck_add(ts, res, ck_str(meta, "namespace"), name, obj, source);
}

int ck_files(ck_ctx_t *c, ck_targets_t *ts)
{
    json_t *docs = json_array(), *doc;
    json_array_append_new(ts->keep, docs);
    int rc = 0;
    for (int i = 0; i < c->files_n && !rc; i++) rc = ck_read_path(c->files[i], docs);
    size_t i;
    json_array_foreach(docs, i, doc) if (!rc) rc = ck_manifest(c, doc, ts);
    return rc;
}

/* The targets of the command line: -f files, or the words. 2 when there are none. */
int ck_targets(ck_ctx_t *c, char **words, int n, ck_targets_t *ts)
{
    *ts = (ck_targets_t){.keep = json_array()};
    if (!(ts->v = calloc(S_TARGETS_MAX, sizeof *ts->v)) || !ts->keep) abort();
    if (c->files_n && n) {
        fprintf(stderr, "error: resources are given both by name and by -f\n");
        return 2;
    }
    if (c->files_n) return ck_files(c, ts);
    return n ? ck_words(c, words, n, ts) : 2;
}

void ck_targets_free(ck_targets_t *ts)
{
    free(ts->v);
    json_decref(ts->keep);
}

/* Lists the targets without a name (TYPE -l SEL, TYPE --all) into one target per object. */
int ck_expand(ck_ctx_t *c, ck_targets_t *ts)
{
    size_t n = ts->n;
    for (size_t i = 0; i < n; i++) {
        if (ts->v[i].name) continue;
        if (ts->v[i].obj) { /* a manifest without a name names no object */
            fprintf(stderr, "error: resource name may not be empty (in \"%s\")\n", ts->v[i].source);
            return 1;
        }
        json_t *list = ck_list(c, ts->v[i].res, ts->v[i].ns, false, NULL), *item;
        if (!list) return 1;
        json_array_append_new(ts->keep, list);
        size_t j;
        json_array_foreach(json_object_get(list, "items"), j, item)
        {
            const json_t *meta = json_object_get(item, "metadata");
            ck_fill_kind(item, ts->v[i].res);
            if (ck_add(ts, ts->v[i].res, ck_str(meta, "namespace"), ck_str(meta, "name"), item,
                       NULL))
                return 1;
        }
    }
    size_t kept = 0; /* the named ones, in order */
    for (size_t i = 0; i < ts->n; i++)
        if (ts->v[i].name) ts->v[kept++] = ts->v[i];
    ts->n = kept;
    return 0;
}

void ck_no_resources(const ck_ctx_t *c, const ck_targets_t *ts)
{
    bool namespaced = false;
    for (size_t i = 0; i < ts->n; i++) namespaced |= ts->v[i].res->namespaced;
    if (c->all_ns || !namespaced)
        fprintf(stderr, "No resources found\n");
    else
        fprintf(stderr, "No resources found in %s namespace.\n", c->ns);
}

/* --- the command --------------------------------------------------------------------------- */

int cli_kube(int argc, char **argv)
{
    static const struct {
        const char *verb;
        int (*fn)(ck_ctx_t *c);
    } verbs[] = {{"get", ck_get},
                 {"describe", ck_describe},
                 {"apply", ck_apply},
                 {"create", ck_apply},
                 {"delete", ck_delete},
                 {"scale", ck_scale},
                 {"label", ck_label},
                 {"annotate", ck_label},
                 {"logs", ck_logs},
                 {"rollout", ck_rollout},
                 {"api-resources", ck_api_resources},
                 {"version", ck_version},
                 {"cluster-info", ck_cluster_info},
                 {"replace", ck_replace},
                 {"patch", ck_patch},
                 {"explain", ck_explain},
                 {"auth", ck_auth}};
    ck_ctx_t c = {.verb = argv[0],
                  .wait = true,
                  .watch = !strcmp(argv[0], "rollout"),
                  .namespaced = -1,
                  .replicas = -1,
                  .current_replicas = -1,
                  .tail = -1,
                  .timeout_ms = -1};
    int rc = ck_parse(&c, argc, argv);
    if (rc || c.help) return rc ? rc : ck_usage(&c, stdout);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(c.verb, verbs[i].verb)) continue;
        if (!(c.k = cli_kube_http_new(c.kubeconfig, c.context))) return 1;
        if (!c.ns) c.ns = cli_kube_http_namespace(c.k);
        rc = verbs[i].fn(&c);
        cli_kube_http_destroy(&c.k);
        fflush(stdout);
        return rc ? rc : ferror(stdout) ? 1 : 0;
    }
    fprintf(stderr, "kubus: unknown command \"%s\"\n", c.verb);
    return 2;
}
