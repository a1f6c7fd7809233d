/* cli_kube_auth: kubus auth can-i, asked of the API server as kubectl asks it: one verb on a
 * resource or URL (a SelfSubjectAccessReview: "yes", exit 0, or "no", exit 1), or --list (a
 * SelfSubjectRulesReview, its rules broken down, merged and sorted as kubectl's rbac utilities
 * do, printed as its table). Not kubectl: no --subresource, no --quiet. */
#include "cli_kube_impl.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define S_AUTHZ "/apis/authorization.k8s.io/v1/"

static bool s_in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list)) return true;
    return false;
}

/* POST of a review; its status, or NULL (printed). */
static json_t *s_review(ck_ctx_t *c, const char *kind, const char *plural, json_t *spec)
{
    json_t *body = json_pack("{s:s, s:s, s:o}", "kind", kind, "apiVersion",
                             "authorization.k8s.io/v1", "spec", spec),
           *out = NULL;
    char path[128];
    snprintf(path, sizeof path, S_AUTHZ "%s", plural);
    int status = cli_kube_http_json(c->k, "POST", path, body, NULL, &out);
    json_decref(body);
    if (status == 200 || status == 201) {
        json_t *st = json_incref(json_object_get(out, "status"));
        json_decref(out);
        return st ? st : json_object();
    }
    if (status > 0) cli_kube_status_print(out, NULL);
    json_decref(out);
    return NULL;
}

/* The resource attributes of TYPE[/NAME], with kubectl's warnings. */
static json_t *s_resource(ck_ctx_t *c, const char *verb, const char *arg, const char *ns)
{
    static const char *const verbs[] = {
        "get", "list", "watch",       "create",   "update",  "patch", "delete", "deletecollection",
        "use", "bind", "impersonate", "escalate", "approve", "sign",  "*",      NULL};
    char type[512];
    const char *slash = strchr(arg, '/');
    snprintf(type, sizeof type, "%.*s", slash ? (int)(slash - arg) : (int)strlen(arg), arg);
    for (char *p = type; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    const cli_kube_res_t *res = strcmp(type, "*") ? cli_kube_http_find(c->k, type) : NULL;
    char *dot = strchr(type, '.');
    const char *group = res ? res->group : dot ? dot + 1 : "";
    if (dot && !res) *dot = 0;
    if (!res && strcmp(type, "*")) {
        if (*group)
            fprintf(stderr,
                    "Warning: the server doesn't have a resource type '%s' in group "
                    "'%s'\n\n",
                    type, group);
        else
            fprintf(stderr, "Warning: the server doesn't have a resource type '%s'\n\n", type);
    }
    if (res && !c->all_ns && !res->namespaced) {
        if (*res->group)
            fprintf(stderr, "Warning: resource '%s' is not namespace scoped in group '%s'\n\n",
                    res->name, res->group);
        else
            fprintf(stderr, "Warning: resource '%s' is not namespace scoped\n\n", res->name);
    }
    if (!s_in(verb, verbs)) fprintf(stderr, "Warning: verb '%s' is not a known verb\n\n", verb);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "namespace", ns, "verb", verb, "group", group,
                     "resource", res ? res->name : type, "name", slash ? slash + 1 : "");
}

static int s_can_i(ck_ctx_t *c, const char *verb, const char *arg, const char *ns)
{
    static const char *const url_verbs[] = {"get",    "put",   "post", "head", "options",
                                            "delete", "patch", "*",    NULL};
    json_t *spec;
    if (*arg == '/') {
        if (!s_in(verb, url_verbs))
            fprintf(stderr, "Warning: verb '%s' is not a known verb\n\n", verb);
        spec = json_pack("{s:{s:s, s:s}}", "nonResourceAttributes", "verb", verb, "path", arg);
    } else {
        spec = json_pack("{s:o}", "resourceAttributes", s_resource(c, verb, arg, ns));
    }
    json_t *st = s_review(c, "SelfSubjectAccessReview", "selfsubjectaccessreviews", spec);
    if (!st) return 1;
    bool yes = json_is_true(json_object_get(st, "allowed"));
    const char *reason = ck_str(st, "reason"), *eval = ck_str(st, "evaluationError");
    if (yes)
        printf("yes\n");
    else
        printf("no%s%s%s%s\n", *reason ? " - " : "", reason, *eval ? " - " : "", eval);
    json_decref(st);
    return !yes;
}

/* --- --list -------------------------------------------------------------------------------- */

/* One broken-down rule: one group, resource and name (or one URL), its verbs. */
typedef struct {
    const char *group, *resource, *name, *url;
    json_t *verbs; /* array of strings */
    char *key;     /* PolicyRule.String(), kubectl's sort key */
} s_rule_t;

static char *s_list_text(const json_t *a)
{
    char *out = NULL;
    size_t len, i;
    const json_t *v;
    FILE *f = open_memstream(&out, &len);
    if (!f) abort();
    fputc('[', f);
    json_array_foreach(a, i, v) fprintf(f, "%s%s", i ? " " : "", json_string_value(v));
    fputc(']', f);
    fclose(f);
    return out;
}

static int s_str_cmp(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The verbs as a set, sorted (rbac's NewRule). */
static json_t *s_verb_set(const json_t *verbs)
{
    size_t n = json_array_size(verbs), m = 0;
    json_t **v = calloc(n + 1, sizeof *v), *out = json_array();
    if (!v) abort();
    for (size_t i = 0; i < n; i++)
        if (json_is_string(json_array_get(verbs, i))) v[m++] = json_array_get(verbs, i);
    qsort(v, m, sizeof *v, s_str_cmp);
    for (size_t i = 0; i < m; i++)
        if (!i || !json_equal(v[i], v[i - 1])) json_array_append(out, v[i]);
    free(v);
    return out;
}

static void s_rule_key(s_rule_t *r)
{
    char *verbs = s_list_text(r->verbs);
    bool res = !r->url;
    if (asprintf(&r->key,
                 "&PolicyRule{Verbs:%s,APIGroups:[%s],Resources:[%s],ResourceNames:[%s],"
                 "NonResourceURLs:[%s],}",
                 verbs, res ? r->group : "", res ? r->resource : "", r->name ? r->name : "",
                 res ? "" : r->url) < 0)
        abort();
    free(verbs);
}

static int s_rule_cmp(const void *a, const void *b)
{
    return strcmp(((const s_rule_t *)a)->key, ((const s_rule_t *)b)->key);
}

static size_t s_add_rule(s_rule_t *rules, size_t n, size_t max, s_rule_t r)
{
    if (r.url) { /* URL rules are never merged */
        if (n < max) rules[n++] = r;
        return n;
    }
    for (size_t i = 0; i < n; i++) { /* CompactRules: same group, resource and name */
        if (rules[i].url || strcmp(rules[i].group, r.group) ||
            strcmp(rules[i].resource, r.resource) || (!rules[i].name != !r.name) ||
            (r.name && strcmp(rules[i].name, r.name)))
            continue;
        size_t j, k;
        json_t *v, *w;
        json_array_foreach(r.verbs, j, v)
        {
            bool have = false;
            json_array_foreach(rules[i].verbs, k, w) have |= json_equal(v, w);
            if (!have) json_array_append(rules[i].verbs, v);
        }
        json_decref(r.verbs);
        return n;
    }
    if (n < max) rules[n++] = r;
    return n;
}

/* BreakdownRule of every rule in the status, then compacted. */
static size_t s_breakdown(const json_t *st, s_rule_t *rules, size_t max)
{
    size_t n = 0, i, g, r, m;
    const json_t *rule, *gv, *rv, *nv;
    json_array_foreach(json_object_get(st, "resourceRules"), i, rule)
    {
        const json_t *names = json_object_get(rule, "resourceNames");
        json_array_foreach(json_object_get(rule, "apiGroups"), g, gv)
            json_array_foreach(json_object_get(rule, "resources"), r, rv)
        {
            for (m = 0; m < (json_array_size(names) ? json_array_size(names) : 1); m++) {
                nv = json_array_get(names, m);
                n = s_add_rule(rules, n, max,
                               (s_rule_t){json_string_value(gv), json_string_value(rv),
                                          nv ? json_string_value(nv) : NULL, NULL,
                                          s_verb_set(json_object_get(rule, "verbs")), NULL});
            }
        }
    }
    json_array_foreach(json_object_get(st, "nonResourceRules"), i, rule)
        json_array_foreach(json_object_get(rule, "nonResourceURLs"), g, gv) n =
            s_add_rule(rules, n, max,
                       (s_rule_t){NULL, NULL, NULL, json_string_value(gv),
                                  s_verb_set(json_object_get(rule, "verbs")), NULL});
    return n;
}

/* describe.CombineResourceGroup: "deployments.apps", "pods/log". */
static void s_resource_cell(const s_rule_t *r, char *out, size_t len)
{
    if (r->url) {
        out[0] = 0;
        return;
    }
    const char *slash = strchr(r->resource, '/');
    int base = slash ? (int)(slash - r->resource) : (int)strlen(r->resource);
    snprintf(out, len, "%.*s%s%s%s", base, r->resource, *r->group ? "." : "", r->group,
             slash ? slash : "");
}

static int s_list(ck_ctx_t *c, const char *ns)
{
    json_t *st = s_review(c, "SelfSubjectRulesReview", "selfsubjectrulesreviews",
                          json_pack("{s:s}", "namespace", ns));
    if (!st) return 1;
    if (json_is_true(json_object_get(st, "incomplete")))
        fprintf(stderr, "warning: the list may be incomplete: %s\n", ck_str(st, "evaluationError"));
    s_rule_t *rules = calloc(S_TARGETS_MAX, sizeof *rules);
    if (!rules) abort();
    size_t n = s_breakdown(st, rules, S_TARGETS_MAX);
    for (size_t i = 0; i < n; i++) s_rule_key(&rules[i]);
    qsort(rules, n, sizeof *rules, s_rule_cmp);
    cli_kube_table_t *t = cli_kube_table_new(&(cli_kube_table_opts_t){.no_headers = true});
    static const char *const head[] = {"Resources", "Non-Resource URLs", "Resource Names", "Verbs"};
    if (!c->no_headers) cli_kube_table_row(t, head, 4, false);
    for (size_t i = 0; i < n; i++) {
        char res[600];
        s_resource_cell(&rules[i], res, sizeof res);
        char *urls = rules[i].url ? NULL : strdup("[]"), *names = NULL,
             *verbs = s_list_text(rules[i].verbs);
        if (rules[i].url && asprintf(&urls, "[%s]", rules[i].url) < 0) abort();
        if (asprintf(&names, "[%s]", rules[i].name ? rules[i].name : "") < 0 || !urls) abort();
        const char *cells[] = {res, urls, names, verbs};
        cli_kube_table_row(t, cells, 4, false);
        free(urls), free(names), free(verbs), free(rules[i].key);
        json_decref(rules[i].verbs);
    }
    cli_kube_table_flush(t, stdout);
    cli_kube_table_destroy(&t);
    free(rules);
    json_decref(st);
    return 0;
}

int ck_auth(ck_ctx_t *c)
{
    if (!c->words_n || strcmp(c->words[0], "can-i")) {
        fprintf(stderr, "error: unknown command \"auth %s\"\n", c->words_n ? c->words[0] : "");
        return ck_usage(c, stderr);
    }
    const char *ns = c->all_ns ? "" : c->ns;
    if (c->list) {
        if (c->all_ns) {
            fprintf(stderr, "error: list option can't be specified with neither quiet, "
                            "all-namespaces nor subresource options\n");
            return 1;
        }
        if (c->words_n != 1) {
            fprintf(stderr, "error: list option must be specified with no arguments\n");
            return 1;
        }
        return s_list(c, ns);
    }
    if (c->words_n != 3) {
        fprintf(stderr, "error: you must specify two arguments: verb resource or verb "
                        "resource/resourceName.\nSee 'kubectl auth can-i -h' for help and "
                        "examples.\n");
        return 1;
    }
    if (c->no_headers) {
        fprintf(stderr, "error: --no-headers cannot be set without --list specified\n");
        return 1;
    }
    return s_can_i(c, c->words[1], c->words[2], ns);
}
