/* gw_authz: who may do what. Every request is decided by kube-apiserver's order of authorizers:
 * the group system:masters may do anything; everyone else by RBAC (gw_rbac) over the Roles,
 * ClusterRoles and bindings in the store. The service accounts (gw_sa) load and change with them.
 * The policy is loaded from the store at start (after writing kube-apiserver's bootstrap roles and
 * bindings where absent) and kept current from the store's change events; an event that shows a
 * missed change reloads it. Until it is loaded, requests of anyone but system:masters get 503,
 * never a guess. */
#include "gw.h"

#include "bus_arena.h"
#include "bus_err.h"
#include "bus_log.h"
#include "gw_rbac.h"
#include "gw_sa.h"
#include "kube_obj.h"
#include "kube_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The four RBAC resources, and the service accounts (gw_sa) whose tokens authenticate. */
static const char *const s_plurals[] = {"clusterroles", "clusterrolebindings", "roles",
                                        "rolebindings", "serviceaccounts"};
static const char *const s_kinds[] = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                                      "ServiceAccount"};
#define S_RBAC_N 5
#define S_SA     4

static struct {
    gw_t *gw;
    gw_rbac_t *policy;
    bool loaded, dirty;          /* dirty: a change came while loading */
    bool load_failed;            /* a list of the load in flight failed: all again */
    int loading;                 /* lists in flight */
    uint64_t last_rev[S_RBAC_N]; /* per resource: the last change applied */
    bus_arena_t *arena;
} s;

static int s_put(int i, const json_t *obj)
{
    return i == S_SA ? gw_sa_put(obj) : gw_rbac_put(s.policy, obj);
}

static int s_index(const char *key)
{
    for (int i = 0; i < S_RBAC_N; i++) {
        size_t n = strlen("/registry/") + strlen(s_plurals[i]);
        if (!strncmp(key, "/registry/", 10) && !strncmp(key + 10, s_plurals[i], n - 10) &&
            key[n] == '/')
            return i;
    }
    return -1;
}

static void s_load(void);

/* A timer's way to s_load (a failed read is tried again shortly). */
static void s_load_later(bus_service_t *svc, void *arg)
{
    s_load();
    (void)svc;
    (void)arg;
}

static void s_list_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    int i = (int)(intptr_t)arg;
    store_range_reply_t *r = NULL;
    codec_err_t err;
    bus_arena_reset(s.arena);
    if (in->env->status ||
        bus_frame_body(&in->frame, &store_range_reply_desc, s.arena, (void **)&r, &err)) {
        log_info("gateway.authz.load", "resource=%s error=\"%s\"", s_plurals[i],
                 in->env->error ? in->env->error : "unreadable");
        s.load_failed = true;
        if (--s.loading == 0) bus_service_after(svc, 500, s_load_later, NULL, NULL);
        return;
    }
    store_kv_t *kvs = r->kvs.v;
    for (size_t j = 0; j < r->kvs.n; j++) {
        char e[128];
        json_t *obj = kube_obj_decode(kvs[j].value.data, kvs[j].value.len, e, sizeof e);
        if (obj) {
            json_object_set_new(obj, "kind", json_string(s_kinds[i]));
            int rc = s_put(i, obj);
            if (rc) log_info("gateway.authz.refused", "key=%s rc=%d", kvs[j].key, rc);
        }
        json_decref(obj);
    }
    if (r->more)
        log_error("gateway.authz.load",
                  "resource=%s detail=\"more objects than the gateway "
                  "keeps; the rest are ignored\"",
                  s_plurals[i]);
    if (r->header && r->header->revision > s.last_rev[i]) s.last_rev[i] = r->header->revision;
    if (--s.loading == 0) {
        if (s.load_failed) {
            /* A policy with a resource missing would deny (or allow) wrongly: all again. */
            bus_service_after(svc, 500, s_load_later, NULL, NULL);
            return;
        }
        if (s.dirty) {
            /* A change came while the lists were read: it may be in them or not. */
            s.dirty = false;
            s_load();
            return;
        }
        s.loaded = true;
        log_info("gateway.authz.loaded", "ok=1");
    }
}

/* Reads the four resources into a new policy. */
static void s_load(void)
{
    gw_rbac_destroy(&s.policy);
    s.policy = gw_rbac_new();
    gw_sa_reset();
    s.loaded = false;
    s.load_failed = false;
    s.loading = S_RBAC_N;
    for (int i = 0; i < S_RBAC_N; i++) {
        char key[64];
        snprintf(key, sizeof key, "/registry/%s/", s_plurals[i]);
        store_range_request_t q = {.key = key,
                                   .prefix = true,
                                   .limit = i == S_SA ? GW_SA_ACCOUNTS_MAX : GW_RBAC_OBJECTS_MAX};
        bus_call_t call = {.service = "store",
                           .desc = &store_range_request_desc,
                           .body = &q,
                           .timeout_ms = GW_STORE_TIMEOUT};
        codec_err_t err;
        if (bus_service_call(s.gw->svc, &call, s_list_reply, (void *)(intptr_t)i, NULL, &err)) {
            s.loading--;
            log_info("gateway.authz.load", "error=\"%s\"", err.text);
        }
    }
    if (s.loading < S_RBAC_N && s.loading == 0)
        bus_service_after(s.gw->svc, 500, s_load_later, NULL, NULL);
}

void gw_authz_event(const store_event_t *ev)
{
    if (ev->type == STORE_EVENT_TYPE_DELETE) gw_sa_bound_gone(ev->kv->key);
    int i = s_index(ev->kv->key);
    if (i < 0 || !s.policy) return;
    if (!s.loaded) {
        s.dirty = true; /* the load in flight may have read before this change */
        return;
    }
    if (ev->group_prev > s.last_rev[i]) {
        log_info("gateway.authz.reload", "resource=%s missed_after=%" PRIu64, s_plurals[i],
                 s.last_rev[i]);
        s_load();
        return;
    }
    if (ev->revision > s.last_rev[i]) s.last_rev[i] = ev->revision;
    if (ev->type == STORE_EVENT_TYPE_DELETE) {
        /* /registry/<plural>/<ns>/<name> or /registry/<plural>/<name> */
        const char *rest = ev->kv->key + 10 + strlen(s_plurals[i]) + 1;
        const char *slash = strchr(rest, '/');
        char ns[256] = "";
        if (slash && (size_t)(slash - rest) < sizeof ns) memcpy(ns, rest, (size_t)(slash - rest));
        if (i == S_SA)
            gw_sa_remove(ns, slash ? slash + 1 : rest);
        else
            gw_rbac_remove(s.policy, s_kinds[i], ns, slash ? slash + 1 : rest);
        return;
    }
    char e[128];
    json_t *obj = kube_obj_decode(ev->kv->value.data, ev->kv->value.len, e, sizeof e);
    if (obj) {
        json_object_set_new(obj, "kind", json_string(s_kinds[i]));
        int rc = s_put(i, obj);
        if (rc) log_info("gateway.authz.refused", "key=%s rc=%d", ev->kv->key, rc);
    }
    json_decref(obj);
}

/* --- the bootstrap policy ------------------------------------------------------------------ */

static void s_boot_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    if (in->env->status)
        log_info("gateway.authz.bootstrap", "error=\"%s\"", in->env->error ? in->env->error : "");
    (void)svc;
    (void)arg;
}

/* Writes each bootstrap role and binding where absent (an operator's edit stays), then loads. */
static void s_bootstrap(void)
{
    json_t *objs = gw_rbac_bootstrap_objects();
    size_t j;
    json_t *obj;
    json_array_foreach(objs, j, obj)
    {
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        const char *name =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
        const char *plural =
            kind && !strcmp(kind, "ClusterRole") ? "clusterroles" : "clusterrolebindings";
        char key[512], uid[37], ts[32];
        snprintf(key, sizeof key, "/registry/%s/%s", plural, name ? name : "");
        json_t *meta = json_object_get(obj, "metadata");
        kube_uid_new(uid);
        kube_time_rfc3339(kube_time_now(), ts);
        json_object_set_new(meta, "uid", json_string(uid));
        json_object_set_new(meta, "creationTimestamp", json_string(ts));
        char err[256];
        if (gw_store_create_absent(s.gw, key, obj, s_boot_reply, NULL, err, sizeof err))
            log_info("gateway.authz.bootstrap", "error=\"%s\"", err);
    }
    json_decref(objs);
}

static void s_start(bus_service_t *svc, void *arg)
{
    s_bootstrap();
    s_load();
    (void)svc;
    (void)arg;
}

int gw_authz_init(gw_t *gw)
{
    s.gw = gw;
    s.arena = bus_arena_new(64u << 20);
    /* After the loop starts (the bus links must be up for the calls to go). */
    return bus_service_after(gw->svc, 0, s_start, NULL, NULL) < 0 ? -1 : 0;
}

bool gw_authz_loaded(void)
{
    return s.loaded;
}

void gw_authz_free(void)
{
    gw_rbac_destroy(&s.policy);
    bus_arena_destroy(&s.arena);
}

/* --- deciding ------------------------------------------------------------------------------ */

/* The caller as RBAC sees it: r's user and groups (groups holds what r points to). */
static void s_who(const gw_req_t *req, const char *groups[GW_USER_GROUPS], gw_rbac_request_t *r)
{
    for (int i = 0; i < req->user.groups_n; i++) groups[i] = req->user.groups[i];
    r->user = req->user.name;
    r->groups = groups;
    r->groups_n = req->user.groups_n;
}

static int s_decide(gw_req_t *req, gw_rbac_request_t *r)
{
    const char *groups[GW_USER_GROUPS];
    s_who(req, groups, r);
    if (gw_rbac_is_privileged(r)) return 0;
    if (!s.loaded) {
        gw_fail(req, 503, "ServiceUnavailable", NULL,
                "the authorization policy is not loaded yet; try again shortly");
        return -1;
    }
    const char *reason = "";
    if (gw_rbac_allowed(s.policy, r, &reason)) return 0;
    char msg[1024];
    gw_rbac_forbidden_message_reason(r, reason, msg, sizeof msg);
    json_t *details = NULL;
    if (r->resource_request) {
        details = json_pack("{s:s}", "kind", r->resource);
        if (r->name && *r->name) json_object_set_new(details, "name", json_string(r->name));
        if (r->api_group && *r->api_group)
            json_object_set_new(details, "group", json_string(r->api_group));
    }
    gw_fail(req, 403, "Forbidden", details, "%s", msg);
    return -1;
}

int gw_authz_path(gw_req_t *req)
{
    char verb[16];
    size_t i = 0;
    for (; req->method[i] && i < sizeof verb - 1; i++)
        verb[i] = (char)(req->method[i] | 0x20); /* ASCII lower case */
    verb[i] = 0;
    gw_rbac_request_t r = {.resource_request = false, .verb = verb, .path = req->path};
    return s_decide(req, &r);
}

int gw_authz_resource(gw_req_t *req, const gw_target_t *t, const char *verb)
{
    /* As upstream's RequestInfo: a namespace object's own requests are in that namespace. */
    const char *ns = t->all_namespaces ? "" : t->ns;
    if (!t->kind->namespaced && !strcmp(t->kind->plural, "namespaces") && *t->name) ns = t->name;
    gw_rbac_request_t r = {.resource_request = true,
                           .verb = verb,
                           .namespace_ = ns,
                           .api_group = t->kind->group,
                           .resource = t->kind->plural,
                           .subresource = t->sub,
                           .name = t->name};
    return s_decide(req, &r);
}

/* --- reviews: what kubectl auth can-i and auth whoami ask ---------------------------------- */

static const char *s_str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static bool s_review_allowed(gw_req_t *req, const json_t *spec, const char **reason)
{
    const json_t *ra = json_object_get(spec, "resourceAttributes");
    const json_t *nra = json_object_get(spec, "nonResourceAttributes");
#define S_STR(o, k) s_str(o, k)
    gw_rbac_request_t r = {0};
    if (ra) {
        r = (gw_rbac_request_t){.resource_request = true,
                                .verb = S_STR(ra, "verb"),
                                .namespace_ = S_STR(ra, "namespace"),
                                .api_group = S_STR(ra, "group"),
                                .resource = S_STR(ra, "resource"),
                                .subresource = S_STR(ra, "subresource"),
                                .name = S_STR(ra, "name")};
    } else {
        r = (gw_rbac_request_t){
            .resource_request = false, .verb = S_STR(nra, "verb"), .path = S_STR(nra, "path")};
    }
#undef S_STR
    const char *groups[GW_USER_GROUPS];
    s_who(req, groups, &r);
    *reason = "";
    if (gw_rbac_is_privileged(&r)) return true;
    return s.loaded && gw_rbac_allowed(s.policy, &r, reason);
}

void gw_authz_review(gw_req_t *req, const char *plural)
{
    if (strcmp(req->method, "POST")) {
        gw_fail(req, 405, "MethodNotAllowed", NULL,
                "the server does not allow this method on the requested resource");
        return;
    }
    bool access = !strcmp(plural, "selfsubjectaccessreviews");
    bool rules = !strcmp(plural, "selfsubjectrulesreviews");
    const char *group = access || rules ? "authorization.k8s.io" : "authentication.k8s.io";
    gw_rbac_request_t self = {
        .resource_request = true, .verb = "create", .api_group = group, .resource = plural};
    if (s_decide(req, &self)) return;
    json_t *obj = gw_object_decode(req);
    if (!obj) return;
    char av[64];
    snprintf(av, sizeof av, "%s/v1", group);
    json_t *out = json_pack("{s:s, s:s, s:{}}", "kind",
                            access  ? "SelfSubjectAccessReview"
                            : rules ? "SelfSubjectRulesReview"
                                    : "SelfSubjectReview",
                            "apiVersion", av, "metadata");
    if (access) {
        json_t *spec = json_object_get(obj, "spec");
        if (!json_object_get(spec, "resourceAttributes") &&
            !json_object_get(spec, "nonResourceAttributes")) {
            json_decref(obj);
            json_decref(out);
            gw_fail(req, 422, "Invalid", NULL,
                    "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
                    "spec.resourceAttributes: Invalid value: \"null\": exactly one of "
                    "nonResourceAttributes or resourceAttributes must be specified");
            return;
        }
        const char *reason = "";
        bool ok = s_review_allowed(req, spec, &reason);
        json_object_set(out, "spec", spec);
        json_t *st = json_pack("{s:b}", "allowed", ok);
        if (reason && *reason) json_object_set_new(st, "reason", json_string(reason));
        json_object_set_new(out, "status", st);
    } else if (rules) {
        /* The rules of the roles bound to the caller, in spec.namespace and cluster-wide. */
        const char *ns = s_str(json_object_get(obj, "spec"), "namespace");
        const char *groups[GW_USER_GROUPS];
        gw_rbac_request_t who = {0};
        s_who(req, groups, &who);
        json_object_set_new(out, "spec", json_pack("{s:s}", "namespace", ns));
        json_object_set_new(out, "status",
                            s.loaded ? gw_rbac_rules(s.policy, &who, ns)
                                     : json_pack("{s:[], s:[], s:b, s:s}", "resourceRules",
                                                 "nonResourceRules", "incomplete", true,
                                                 "evaluationError",
                                                 "the authorization policy is not loaded yet"));
    } else {
        json_t *groups = json_array();
        for (int i = 0; i < req->user.groups_n; i++)
            json_array_append_new(groups, json_string(req->user.groups[i]));
        json_t *info = json_pack("{s:s, s:o}", "username", req->user.name, "groups", groups);
        if (req->user.uid[0]) json_object_set_new(info, "uid", json_string(req->user.uid));
        json_t *extra = json_object();
        if (req->user.credential[0])
            json_object_set_new(extra, "authentication.kubernetes.io/credential-id",
                                json_pack("[s]", req->user.credential));
        const char *pod = strncmp(req->user.bound_key, "/registry/pods/", 15)
                              ? NULL
                              : strrchr(req->user.bound_key, '/') + 1;
        if (pod) { /* a token bound to a pod says which, as kube-apiserver's extra does */
            json_object_set_new(extra, "authentication.kubernetes.io/pod-name",
                                json_pack("[s]", pod));
            json_object_set_new(extra, "authentication.kubernetes.io/pod-uid",
                                json_pack("[s]", req->user.bound_uid));
        }
        if (json_object_size(extra))
            json_object_set_new(info, "extra", extra);
        else
            json_decref(extra);
        json_object_set_new(out, "status", json_pack("{s:o}", "userInfo", info));
    }
    json_decref(obj);
    gw_respond_json(req, 201, out);
}
