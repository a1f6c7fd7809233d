/* gw_api: what a path means. The non-resource endpoints (health, version, metrics), discovery
 * (aggregated apidiscovery.k8s.io/v2 with its exact Content-Type, and the legacy documents) and
 * routing of resource paths to gw_rest. Discovery documents are built once, at start, from the
 * kind tables (kube_schema), in the order kube-apiserver lists them. OpenAPI is gw_openapi. */
#include "gw.h"

#include "bus_log.h"

#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_AGG_CT  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define S_SEGS    8
#define S_SEG_MAX 256

/* kube-apiserver's group order (the order `kubectl get all` follows); others come after. */
static const char *const s_group_order[] = {"",
                                            "apps",
                                            "events.k8s.io",
                                            "authentication.k8s.io",
                                            "authorization.k8s.io",
                                            "autoscaling",
                                            "batch",
                                            "certificates.k8s.io",
                                            "networking.k8s.io",
                                            "policy",
                                            "rbac.authorization.k8s.io",
                                            "storage.k8s.io",
                                            "coordination.k8s.io",
                                            "discovery.k8s.io",
                                            NULL};

const char *gw_api_version(const kube_kind_t *kind, char *out, size_t outlen)
{
    if (*kind->group)
        snprintf(out, outlen, "%s/%s", kind->group, kind->version);
    else
        snprintf(out, outlen, "%s", kind->version);
    return out;
}

void gw_resource_name(const kube_kind_t *kind, char *out, size_t outlen)
{
    if (*kind->group)
        snprintf(out, outlen, "%s.%s", kind->plural, kind->group);
    else
        snprintf(out, outlen, "%s", kind->plural);
}

const kube_kind_t *gw_kind_by_plural(const char *group, const char *version, const char *plural)
{
    for (size_t i = 0; i < kube_kinds_n; i++) {
        const kube_kind_t *k = &kube_kinds[i];
        if (!k->subresource_only && strcmp(k->group, group) == 0 &&
            strcmp(k->version, version) == 0 && strcmp(k->plural, plural) == 0)
            return k;
    }
    return NULL;
}

const kube_kind_t *gw_kind_by_kind(const char *group, const char *version, const char *kind)
{
    for (size_t i = 0; i < kube_kinds_n; i++) {
        const kube_kind_t *k = &kube_kinds[i];
        if (strcmp(k->group, group) == 0 && strcmp(k->version, version) == 0 &&
            strcmp(k->kind, kind) == 0)
            return k;
    }
    return NULL;
}

static json_t *s_strings(const char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++) json_array_append_new(a, json_string(*v));
    return a;
}

/* --- discovery ----------------------------------------------------------------------------- */

static json_t *s_agg_resource(const kube_kind_t *k)
{
    json_t *r = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "resource", k->plural,
                          "responseKind", "group", k->group, "version", k->version, "kind", k->kind,
                          "scope", k->namespaced ? "Namespaced" : "Cluster", "singularResource",
                          k->singular, "verbs", s_strings(k->verbs));
    if (k->short_names && *k->short_names)
        json_object_set_new(r, "shortNames", s_strings(k->short_names));
    if (k->categories && *k->categories)
        json_object_set_new(r, "categories", s_strings(k->categories));
    if (k->subresources_n) {
        json_t *subs = json_array();
        for (size_t i = 0; i < k->subresources_n; i++) {
            const kube_subresource_t *s = &k->subresources[i];
            json_array_append_new(subs, json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "subresource",
                                                  s->name, "responseKind", "group", s->group,
                                                  "version", s->version, "kind", s->kind, "verbs",
                                                  s_strings(s->verbs)));
        }
        json_object_set_new(r, "subresources", subs);
    }
    return r;
}

static json_t *s_legacy_resources(const char *group, const char *version)
{
    json_t *list = json_array();
    for (size_t i = 0; i < kube_kinds_n; i++) {
        const kube_kind_t *k = &kube_kinds[i];
        if (k->subresource_only || strcmp(k->group, group) || strcmp(k->version, version)) continue;
        json_t *r =
            json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", k->plural, "singularName", k->singular,
                      "namespaced", k->namespaced, "kind", k->kind, "verbs", s_strings(k->verbs));
        if (k->short_names && *k->short_names)
            json_object_set_new(r, "shortNames", s_strings(k->short_names));
        if (k->categories && *k->categories)
            json_object_set_new(r, "categories", s_strings(k->categories));
        json_array_append_new(list, r);
        for (size_t j = 0; j < k->subresources_n; j++) {
            const kube_subresource_t *s = &k->subresources[j];
            char name[128];
            snprintf(name, sizeof name, "%s/%s", k->plural, s->name);
            json_t *sr = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
                                   "namespaced", k->namespaced, "kind", s->kind, "verbs",
                                   s_strings(s->verbs));
            if (strcmp(s->group, k->group) || strcmp(s->version, k->version)) {
                json_object_set_new(sr, "group", json_string(s->group));
                json_object_set_new(sr, "version", json_string(s->version));
            }
            json_array_append_new(list, sr);
        }
    }
    return list;
}

/* The groups that have resources, in kube-apiserver's order. */
static size_t s_groups(const char **out, size_t max)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < kube_kinds_n; i++) {
            const kube_kind_t *k = &kube_kinds[i];
            if (k->subresource_only) continue;
            bool known = false;
            for (int j = 0; s_group_order[j]; j++)
                if (strcmp(s_group_order[j], k->group) == 0) known = true;
            if (pass == 0 && !known) continue;
            bool seen = false;
            for (size_t j = 0; j < n; j++)
                if (strcmp(out[j], k->group) == 0) seen = true;
            if (!seen && n < max) out[n++] = k->group;
        }
    if (n > 1) {
        /* Known groups by the table's order, then the rest as found. */
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++) {
                int ra = 99, rb = 99;
                for (int j = 0; s_group_order[j]; j++) {
                    if (strcmp(s_group_order[j], out[a]) == 0) ra = j;
                    if (strcmp(s_group_order[j], out[b]) == 0) rb = j;
                }
                if (rb < ra) {
                    const char *t = out[a];
                    out[a] = out[b];
                    out[b] = t;
                }
            }
    }
    return n;
}

static const char *s_group_version(const char *group)
{
    for (size_t i = 0; i < kube_kinds_n; i++)
        if (strcmp(kube_kinds[i].group, group) == 0) return kube_kinds[i].version;
    return "v1";
}

static char *s_dump(json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) abort();
    return text;
}

static void s_build_discovery(gw_t *gw)
{
    const char *groups[32];
    size_t n = s_groups(groups, 32);
    json_t *agg_api = json_array(), *agg_apis = json_array(), *legacy_groups = json_array();
    gw->legacy_groups = json_object();
    for (size_t g = 0; g < n; g++) {
        const char *version = s_group_version(groups[g]);
        json_t *res = json_array();
        for (size_t i = 0; i < kube_kinds_n; i++) {
            const kube_kind_t *k = &kube_kinds[i];
            if (!k->subresource_only && strcmp(k->group, groups[g]) == 0)
                json_array_append_new(res, s_agg_resource(k));
        }
        json_t *item =
            json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}]}", "metadata", "name", groups[g], "versions",
                      "version", version, "freshness", "Current", "resources", res);
        char gv[128];
        snprintf(gv, sizeof gv, "%s%s%s", groups[g], *groups[g] ? "/" : "", version);
        json_object_set_new(gw->legacy_groups, gv,
                            json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
                                      "apiVersion", "v1", "groupVersion", gv, "resources",
                                      s_legacy_resources(groups[g], version)));
        if (!*groups[g]) {
            json_array_append_new(agg_api, item);
            continue;
        }
        json_array_append_new(agg_apis, item);
        json_array_append_new(
            legacy_groups, json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", groups[g],
                                     "versions", "groupVersion", gv, "version", version,
                                     "preferredVersion", "groupVersion", gv, "version", version));
    }
    const char *fmt = "{s:s, s:s, s:{}, s:o}";
    gw->disc_api = s_dump(json_pack(fmt, "kind", "APIGroupDiscoveryList", "apiVersion",
                                    "apidiscovery.k8s.io/v2", "metadata", "items", agg_api));
    gw->disc_apis = s_dump(json_pack(fmt, "kind", "APIGroupDiscoveryList", "apiVersion",
                                     "apidiscovery.k8s.io/v2", "metadata", "items", agg_apis));
    gw->legacy_api = s_dump(json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions",
                                      "versions", "v1", "serverAddressByClientCIDRs", "clientCIDR",
                                      "0.0.0.0/0", "serverAddress", ""));
    gw->legacy_apis = s_dump(json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion",
                                       "v1", "groups", legacy_groups));
}

static void s_serve_text(gw_req_t *req, const char *ct, const char *text)
{
    char *copy = strdup(text);
    if (!copy) abort();
    gw_respond(req, 200, ct, copy, strlen(copy));
}

static bool s_wants_aggregated(gw_req_t *req)
{
    const char *accept = gw_header(req, "Accept");
    return accept && strstr(accept, "as=APIGroupDiscoveryList") &&
           strstr(accept, "g=apidiscovery.k8s.io");
}

/* --- non-resource endpoints ---------------------------------------------------------------- */

static void s_version(gw_req_t *req)
{
    /* The minor is 32: kubectl's dispatcher picks the client matching the server's minor. */
    gw_respond_json(req, 200,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1",
                              "minor", "32", "gitVersion", "v1.32.0-kubus", "gitCommit", "",
                              "gitTreeState", "clean", "buildDate", "", "goVersion", "", "compiler",
                              "gcc", "platform", "linux/amd64"));
}

static void s_metrics(gw_req_t *req)
{
    gw_t *gw = req->gw;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f,
            "# HELP kubus_gateway_requests_total HTTP requests received.\n"
            "# TYPE kubus_gateway_requests_total counter\n"
            "kubus_gateway_requests_total %" PRIu64 "\n",
            gw->requests);
    fprintf(f, "# HELP kubus_gateway_responses_total HTTP responses by status class.\n"
               "# TYPE kubus_gateway_responses_total counter\n");
    for (int c = 1; c < 6; c++)
        fprintf(f, "kubus_gateway_responses_total{code=\"%dxx\"} %" PRIu64 "\n", c,
                gw->responses_by_class[c]);
    fprintf(f,
            "# HELP kubus_gateway_request_duration_seconds Time from request to response.\n"
            "# TYPE kubus_gateway_request_duration_seconds summary\n"
            "kubus_gateway_request_duration_seconds_sum %.6f\n"
            "kubus_gateway_request_duration_seconds_count %" PRIu64 "\n",
            (double)gw->latency_us_sum / 1e6, gw->latency_count);
    fprintf(f,
            "# HELP kubus_gateway_store_calls_total Calls to the store, and failed ones.\n"
            "# TYPE kubus_gateway_store_calls_total counter\n"
            "kubus_gateway_store_calls_total %" PRIu64 "\n"
            "kubus_gateway_store_errors_total %" PRIu64 "\n",
            gw->store_calls, gw->store_errors);
    fprintf(f,
            "# HELP kubus_gateway_cached_reads_total Updates and patches that started from the "
            "gateway's copy of the object instead of a store read, and those that had to start "
            "over from the store's.\n"
            "# TYPE kubus_gateway_cached_reads_total counter\n"
            "kubus_gateway_cached_reads_total %" PRIu64 "\n"
            "kubus_gateway_cached_reads_stale_total %" PRIu64 "\n",
            gw->cached_reads, gw->cached_stale);
    fclose(f);
    gw_respond(req, 200, "text/plain; version=0.0.4", text, len);
}

/* --- routing ------------------------------------------------------------------------------- */

static int s_split(const char *path, char segs[S_SEGS][S_SEG_MAX])
{
    int n = 0;
    const char *p = path;
    while (*p == '/') p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == S_SEGS || len >= S_SEG_MAX) return -1;
        memcpy(segs[n], p, len);
        segs[n++][len] = 0;
        p += len;
        while (*p == '/') p++;
    }
    return n;
}

static void s_not_found(gw_req_t *req)
{
    gw_fail(req, 404, "NotFound", json_object(),
            "the server could not find the requested resource");
}

/* The RBAC verb of a resource request, as upstream's RequestInfo names it. */
static const char *s_verb(gw_req_t *req, const gw_target_t *t)
{
    const char *m = req->method;
    bool named = *t->name != 0;
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) {
        const char *w = gw_query(req, "watch");
        if (w && (!strcmp(w, "true") || !strcmp(w, "1"))) return "watch";
        return named ? "get" : "list";
    }
    if (!strcmp(m, "POST")) return "create";
    if (!strcmp(m, "PUT")) return "update";
    if (!strcmp(m, "PATCH")) return "patch";
    if (!strcmp(m, "DELETE")) return named ? "delete" : "deletecollection";
    return "unknown";
}

/* Resource paths, after /api/v1 or /apis/G/V: rest holds n segments. */
static void s_resource(gw_req_t *req, const char *group, const char *version,
                       char rest[][S_SEG_MAX], int n)
{
    gw_target_t t = {0};
    int i = 0;
    if (n >= 3 && strcmp(rest[0], "namespaces") == 0) {
        const kube_kind_t *k = gw_kind_by_plural(group, version, rest[2]);
        if (k && k->namespaced) {
            snprintf(t.ns, sizeof t.ns, "%s", rest[1]);
            i = 2;
        }
    }
    if (i >= n) {
        s_not_found(req);
        return;
    }
    t.kind = gw_kind_by_plural(group, version, rest[i]);
    if (!t.kind || n - i > 3) {
        s_not_found(req);
        return;
    }
    if (t.kind->namespaced && !i) {
        if (n - i > 1) {
            s_not_found(req);
            return;
        } /* /api/v1/pods/x */
        t.all_namespaces = true;
    }
    if (n - i >= 2) snprintf(t.name, sizeof t.name, "%s", rest[i + 1]);
    if (n - i == 3) {
        snprintf(t.sub, sizeof t.sub, "%s", rest[i + 2]);
        bool known = false;
        for (size_t s = 0; s < t.kind->subresources_n; s++)
            if (strcmp(t.kind->subresources[s].name, t.sub) == 0) known = true;
        if (!known) {
            s_not_found(req);
            return;
        }
    }
    if (gw_authz_resource(req, &t, s_verb(req, &t))) return;
    gw_rest_handle(req, &t);
}

void gw_api_handle(gw_req_t *req)
{
    gw_t *gw = req->gw;
    char segs[S_SEGS][S_SEG_MAX];
    int n = s_split(req->path, segs);
    if (n < 0) {
        s_not_found(req);
        return;
    }
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (n >= 1 &&
        (!strcmp(segs[0], "healthz") || !strcmp(segs[0], "livez") || !strcmp(segs[0], "readyz"))) {
        s_serve_text(req, "text/plain; charset=utf-8", "ok");
        return;
    }
    if (n == 1 && !strcmp(segs[0], "version")) {
        s_version(req);
        return;
    }
    /* Everything below is decided by RBAC: as a path, or as a resource request. */
    bool resource = n >= 3 && (!strcmp(segs[0], "api") || (!strcmp(segs[0], "apis") && n >= 4));
    if (!resource && gw_authz_path(req)) return;
    if (n == 1 && !strcmp(segs[0], "metrics")) {
        s_metrics(req);
        return;
    }
    if (n >= 2 && !strcmp(segs[0], "openapi") && !strcmp(segs[1], "v3")) {
        gw_openapi_handle(req, req->path + strlen("/openapi/v3"));
        return;
    }
    if (n >= 1 && !strcmp(segs[0], "api")) {
        if (n == 1 && get) {
            if (s_wants_aggregated(req)) {
                s_serve_text(req, S_AGG_CT, gw->disc_api);
                return;
            }
            s_serve_text(req, "application/json", gw->legacy_api);
            return;
        }
        if (strcmp(segs[1], "v1")) {
            s_not_found(req);
            return;
        }
        if (n == 2 && get) {
            char *text = json_dumps(json_object_get(gw->legacy_groups, "v1"), JSON_COMPACT);
            gw_respond(req, 200, "application/json", text, strlen(text));
            return;
        }
        s_resource(req, "", "v1", segs + 2, n - 2);
        return;
    }
    if (n >= 1 && !strcmp(segs[0], "apis")) {
        if (n == 1 && get) {
            if (s_wants_aggregated(req)) {
                s_serve_text(req, S_AGG_CT, gw->disc_apis);
                return;
            }
            s_serve_text(req, "application/json", gw->legacy_apis);
            return;
        }
        if (n == 3 && get) {
            char gv[S_SEG_MAX * 2 + 2];
            snprintf(gv, sizeof gv, "%s/%s", segs[1], segs[2]);
            json_t *doc = json_object_get(gw->legacy_groups, gv);
            if (!doc) {
                s_not_found(req);
                return;
            }
            char *text = json_dumps(doc, JSON_COMPACT);
            gw_respond(req, 200, "application/json", text, strlen(text));
            return;
        }
        if (n == 4 && !strcmp(segs[2], "v1") &&
            ((!strcmp(segs[1], "authorization.k8s.io") &&
              (!strcmp(segs[3], "selfsubjectaccessreviews") ||
               !strcmp(segs[3], "selfsubjectrulesreviews"))) ||
             (!strcmp(segs[1], "authentication.k8s.io") &&
              !strcmp(segs[3], "selfsubjectreviews")))) {
            gw_authz_review(req, segs[3]);
            return;
        }
        if (n < 4) {
            s_not_found(req);
            return;
        }
        s_resource(req, segs[1], segs[2], segs + 3, n - 3);
        return;
    }
    s_not_found(req);
}

int gw_api_init(gw_t *gw, char *err, size_t errlen)
{
    s_build_discovery(gw);
    return gw_openapi_init(gw, err, errlen);
}

void gw_api_free(gw_t *gw)
{
    free(gw->disc_api);
    free(gw->disc_apis);
    free(gw->legacy_api);
    free(gw->legacy_apis);
    json_decref(gw->legacy_groups);
    json_decref(gw->openapi_root);
    json_decref(gw->openapi_docs);
}
