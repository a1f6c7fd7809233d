/* gw_rbac_bootstrap: the default ClusterRoles and ClusterRoleBindings kube-apiserver creates
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, as its testdata renders them), as
 * JSON objects. Only the roles a kubus cluster uses: not the controller or node roles. admin,
 * edit and view are aggregated as upstream, and their `rules` are filled in as the aggregation
 * controller would. Declared in gw_rbac.h. */
#include "gw_rbac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_GROUP   "rbac.authorization.k8s.io"
#define S_VERSION S_GROUP "/v1"
#define S_AGG     S_GROUP "/aggregate-to-"
#define S_R       "get,list,watch"
#define S_W       "create,delete,deletecollection,patch,update"
#define S_RW      "create,delete,deletecollection,get,list,patch,update,watch"

/* One PolicyRule; each field a comma-separated list (so "" is the core group), NULL absent.
 * Lists are sorted, as upstream's rule builder sorts them. */
typedef struct {
    const char *verbs, *groups, *resources, *urls;
} s_rule_t;

typedef struct {
    const char *name;
    const char *aggregate_to; /* label S_AGG<this>=true, or NULL */
    const char *aggregate;    /* aggregationRule selecting S_AGG<this>=true, or NULL */
    const s_rule_t *rules;
} s_role_t;

static const s_rule_t s_cluster_admin[] = {
    {"*", "*", "*", NULL},
    {"*", NULL, NULL, "*"},
    {0},
};

static const s_rule_t s_to_admin[] = {
    {"create", "authorization.k8s.io", "localsubjectaccessreviews", NULL},
    {S_RW, S_GROUP, "rolebindings,roles", NULL},
    {0},
};

static const s_rule_t s_to_edit[] = {
    {S_R, "", "pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy", NULL},
    {"impersonate", "", "serviceaccounts", NULL},
    {S_W, "", "pods,pods/attach,pods/exec,pods/portforward,pods/proxy", NULL},
    {"create", "", "pods/eviction", NULL},
    {S_W, "",
     "configmaps,events,persistentvolumeclaims,replicationcontrollers,"
     "replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy",
     NULL},
    {"create", "", "serviceaccounts/token", NULL},
    {S_W, "apps",
     "daemonsets,deployments,deployments/rollback,deployments/scale,replicasets,"
     "replicasets/scale,statefulsets,statefulsets/scale",
     NULL},
    {S_W, "autoscaling", "horizontalpodautoscalers", NULL},
    {S_W, "batch", "cronjobs,jobs", NULL},
    {S_W, "extensions",
     "daemonsets,deployments,deployments/rollback,deployments/scale,ingresses,networkpolicies,"
     "replicasets,replicasets/scale,replicationcontrollers/scale",
     NULL},
    {S_W, "policy", "poddisruptionbudgets", NULL},
    {S_W, "networking.k8s.io", "ingresses,networkpolicies", NULL},
    {S_RW, "coordination.k8s.io", "leases", NULL},
    {0},
};

static const s_rule_t s_to_view[] = {
    {S_R, "",
     "configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,"
     "replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,"
     "services/status",
     NULL},
    {S_R, "",
     "bindings,events,limitranges,namespaces/status,pods/log,pods/status,"
     "replicationcontrollers/status,resourcequotas,resourcequotas/status",
     NULL},
    {S_R, "", "namespaces", NULL},
    {S_R, "discovery.k8s.io", "endpointslices", NULL},
    {S_R, "apps",
     "controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,"
     "deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,"
     "statefulsets/scale,statefulsets/status",
     NULL},
    {S_R, "autoscaling", "horizontalpodautoscalers,horizontalpodautoscalers/status", NULL},
    {S_R, "batch", "cronjobs,cronjobs/status,jobs,jobs/status", NULL},
    {S_R, "extensions",
     "daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,"
     "ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,"
     "replicationcontrollers/scale",
     NULL},
    {S_R, "policy", "poddisruptionbudgets,poddisruptionbudgets/status", NULL},
    {S_R, "networking.k8s.io", "ingresses,ingresses/status,networkpolicies", NULL},
    {0},
};

static const s_rule_t s_auth_delegator[] = {
    {"create", "authentication.k8s.io", "tokenreviews", NULL},
    {"create", "authorization.k8s.io", "subjectaccessreviews", NULL},
    {0},
};

static const s_rule_t s_basic_user[] = {
    {"create", "authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews", NULL},
    {"create", "authentication.k8s.io", "selfsubjectreviews", NULL},
    {0},
};

static const s_rule_t s_discovery[] = {
    {"get", NULL, NULL,
     "/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/"},
    {0},
};

static const s_rule_t s_monitoring[] = {
    {"get", NULL, NULL,
     "/healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*"},
    {0},
};

static const s_rule_t s_public_info[] = {
    {"get", NULL, NULL, "/healthz,/livez,/readyz,/version,/version/"},
    {0},
};

static const s_rule_t s_issuer_discovery[] = {
    {"get", NULL, NULL, "/.well-known/openid-configuration,/openid/v1/jwks"},
    {0},
};

static const s_rule_t s_none[] = {{0}};

/* In upstream's (name) order. */
static const s_role_t s_roles[] = {
    {"admin", NULL, "admin", s_none},
    {"cluster-admin", NULL, NULL, s_cluster_admin},
    {"edit", "admin", "edit", s_none},
    {"system:aggregate-to-admin", "admin", NULL, s_to_admin},
    {"system:aggregate-to-edit", "edit", NULL, s_to_edit},
    {"system:aggregate-to-view", "view", NULL, s_to_view},
    {"system:auth-delegator", NULL, NULL, s_auth_delegator},
    {"system:basic-user", NULL, NULL, s_basic_user},
    {"system:discovery", NULL, NULL, s_discovery},
    {"system:monitoring", NULL, NULL, s_monitoring},
    {"system:public-info-viewer", NULL, NULL, s_public_info},
    {"system:service-account-issuer-discovery", NULL, NULL, s_issuer_discovery},
    {"view", "edit", "view", s_none},
};

/* ClusterRoleBinding name (= ClusterRole name) and its Group subjects. */
static const struct {
    const char *name, *groups;
} s_bindings[] = {
    {"cluster-admin", "system:masters"},
    {"system:basic-user", "system:authenticated"},
    {"system:discovery", "system:authenticated"},
    {"system:monitoring", "system:monitoring"},
    {"system:public-info-viewer", "system:authenticated,system:unauthenticated"},
    {"system:service-account-issuer-discovery", "system:serviceaccounts"},
};

static json_t *s_split(const char *csv)
{
    json_t *a = json_array();
    if (!a) abort();
    for (const char *p = csv;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, len));
        if (!end) break;
        p = end;
    }
    return a;
}

static json_t *s_meta(const char *name, const char *aggregate_to)
{
    json_t *labels = json_pack("{s:s}", "kubernetes.io/bootstrapping", "rbac-defaults");
    if (!labels) abort();
    if (aggregate_to) {
        char key[128];
        snprintf(key, sizeof key, S_AGG "%s", aggregate_to);
        json_object_set_new(labels, key, json_string("true"));
    }
    json_t *meta = json_pack("{s:s, s:o, s:{s:s}}", "name", name, "labels", labels, "annotations",
                             "rbac.authorization.kubernetes.io/autoupdate", "true");
    if (!meta) abort();
    return meta;
}

static json_t *s_rules(const s_rule_t *rules)
{
    json_t *a = json_array();
    if (!a) abort();
    for (const s_rule_t *r = rules; r->verbs; r++) {
        json_t *o = json_pack("{s:o}", "verbs", s_split(r->verbs));
        if (!o) abort();
        if (r->groups) json_object_set_new(o, "apiGroups", s_split(r->groups));
        if (r->resources) json_object_set_new(o, "resources", s_split(r->resources));
        if (r->urls) json_object_set_new(o, "nonResourceURLs", s_split(r->urls));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *s_role(const s_role_t *r)
{
    json_t *o = json_pack("{s:s, s:s, s:o}", "apiVersion", S_VERSION, "kind", "ClusterRole",
                          "metadata", s_meta(r->name, r->aggregate_to));
    if (!o) abort();
    json_object_set_new(o, "rules", s_rules(r->rules));
    if (r->aggregate) {
        char key[128];
        snprintf(key, sizeof key, S_AGG "%s", r->aggregate);
        json_t *agg =
            json_pack("{s:[{s:{s:s}}]}", "clusterRoleSelectors", "matchLabels", key, "true");
        if (!agg) abort();
        json_object_set_new(o, "aggregationRule", agg);
    }
    return o;
}

static json_t *s_binding(const char *name, const char *groups)
{
    json_t *subjects = json_array(), *g, *names = s_split(groups);
    size_t i;
    if (!subjects) abort();
    json_array_foreach(names, i, g)
    {
        json_t *s = json_pack("{s:s, s:s, s:O}", "kind", "Group", "apiGroup", S_GROUP, "name", g);
        if (!s) abort();
        json_array_append_new(subjects, s);
    }
    json_decref(names);
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:o}", "apiVersion", S_VERSION, "kind",
                  "ClusterRoleBinding", "metadata", s_meta(name, NULL), "roleRef", "apiGroup",
                  S_GROUP, "kind", "ClusterRole", "name", name, "subjects", subjects);
    if (!o) abort();
    return o;
}

json_t *gw_rbac_bootstrap_objects(void)
{
    json_t *all = json_array();
    if (!all) abort();
    for (size_t i = 0; i < sizeof s_roles / sizeof *s_roles; i++)
        json_array_append_new(all, s_role(&s_roles[i]));
    for (size_t i = 0; i < sizeof s_bindings / sizeof *s_bindings; i++)
        json_array_append_new(all, s_binding(s_bindings[i].name, s_bindings[i].groups));
    /* Fill the aggregated roles' rules as the aggregation controller would once it has run. */
    gw_rbac_t *policy = gw_rbac_new();
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o)
    {
        if (gw_rbac_put(policy, o) != 0) abort(); /* our own table: a bug, not a fault */
    }
    json_array_foreach(all, i, o)
    {
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        json_t *rules = gw_rbac_aggregated_rules(policy, name);
        if (rules && strcmp(json_string_value(json_object_get(o, "kind")), "ClusterRole") == 0)
            json_object_set_new(o, "rules", rules);
        else
            json_decref(rules);
    }
    gw_rbac_destroy(&policy);
    return all;
}
