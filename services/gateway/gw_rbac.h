/* gw_rbac: RBAC authorization (rbac.authorization.k8s.io/v1) as kube-apiserver decides it
 * (plugin/pkg/auth/authorizer/rbac and pkg/registry/rbac/validation's rule resolver), plus the
 * Forbidden message kube-apiserver writes and its bootstrap policy. A pure module over the JSON
 * forms of Role, ClusterRole, RoleBinding and ClusterRoleBinding: no I/O, no store, no parsing
 * of URLs into requests (the caller fills gw_rbac_request_t as upstream's RequestInfo does).
 * Not thread-safe: a decision updates caches in the policy, so one thread uses a policy. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define GW_RBAC_OBJECTS_MAX  10000 /* roles and bindings in one policy */
#define GW_RBAC_RULES_MAX    1000  /* rules in one role */
#define GW_RBAC_SUBJECTS_MAX 1000  /* subjects in one binding */

typedef struct gw_rbac_t gw_rbac_t; /* the policy: roles and bindings */

/* One request, as upstream's authorizer.Attributes. NULL strings read as "". */
typedef struct {
    const char *user; /* "admin", "system:serviceaccount:ns:name" */
    const char *const *groups;
    int groups_n;          /* "system:masters", "system:authenticated", ... */
    bool resource_request; /* false: a non-resource URL */
    /* Resource requests: get list watch create update patch delete deletecollection (and any
     * other verb a rule may name: impersonate, escalate, bind, approve...). Non-resource
     * requests: the lower-case HTTP method ("get", "post", "put", "delete", ...). */
    const char *verb;
    const char *namespace_;  /* "" for cluster-scoped or all-namespaces requests; for a namespace
                                object itself (/api/v1/namespaces/NAME) upstream puts NAME here */
    const char *api_group;   /* "" core */
    const char *resource;    /* "pods" */
    const char *subresource; /* "" or "log", "status", "scale"... */
    const char *name;        /* "" when none */
    const char *path;        /* non-resource: "/healthz" */
} gw_rbac_request_t;

gw_rbac_t *gw_rbac_new(void);
/* Frees the policy and sets *self_p to NULL; accepts NULL and a pointer to NULL. */
void gw_rbac_destroy(gw_rbac_t **self_p);

/* Adds or replaces (by kind, namespace, name) one object of kind Role, ClusterRole, RoleBinding
 * or ClusterRoleBinding: the JSON object as stored; it is read, not kept. Returns 0, or
 * -EINVAL: another kind, no metadata.name, no metadata.namespace on a Role/RoleBinding, a
 *          binding without roleRef.kind/name, a list entry that is not a string, an invalid
 *          aggregationRule label selector (as upstream's API validation would refuse);
 * -E2BIG:  more than GW_RBAC_RULES_MAX rules or GW_RBAC_SUBJECTS_MAX subjects;
 * -ENOSPC: a new object beyond GW_RBAC_OBJECTS_MAX.
 * On failure the policy is unchanged (a replaced object stays as it was). */
int gw_rbac_put(gw_rbac_t *self, const json_t *obj);
/* Removes one object; ns is ignored for the cluster kinds. 0, -ENOENT, or -EINVAL (kind). */
int gw_rbac_remove(gw_rbac_t *self, const char *kind, const char *ns, const char *name);

/* true when some rule of a role bound to the user (or one of its groups) allows the request.
 * *reason (when reason is not NULL) is "" when allowed, and on a denial upstream's reason: ""
 * or "RBAC: <errors>" when bound roles could not be resolved, e.g.
 * `RBAC: clusterrole.rbac.authorization.k8s.io "x" not found` (several as "[a, b]"). It points
 * into the policy and stays valid until the next call on it.
 * Cost: 1 + groups_n hash lookups at cluster scope, as many again in the request's namespace,
 * then the rules of only those bindings that name the user, one of its groups or its service
 * account; never a scan of all bindings. Aggregated ClusterRoles are resolved once per change of
 * any ClusterRole (O(ClusterRoles x selectors) each) and cached. */
bool gw_rbac_allowed(gw_rbac_t *self, const gw_rbac_request_t *req, const char **reason);

/* What SelfSubjectRulesReview answers for who (user and groups) in namespace ns ("": cluster
 * bindings only): the rules of every role bound to them, cluster bindings first, as the RBAC
 * authorizer's RulesFor lists them ({"resourceRules":[...], "nonResourceRules":[...],
 * "incomplete":false} and "evaluationError" when a bound role is missing). A new reference. */
json_t *gw_rbac_rules(gw_rbac_t *self, const gw_rbac_request_t *who, const char *ns);

/* The privileged-group authorizer kube-apiserver runs before RBAC: true when the user is in
 * group system:masters. The gateway consults it first; gw_rbac_allowed does not. */
bool gw_rbac_is_privileged(const gw_rbac_request_t *req);

/* The message of the Forbidden Status kube-apiserver returns (apierrors.NewForbidden around
 * responsewriters.forbiddenMessage), e.g.
 * `secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the
 * namespace "default"`, `deployments.apps "web" is forbidden: ...`, `...cannot get resource
 * "pods/log" in API group "" ...`, `...at the cluster scope`, and for a non-resource request
 * `forbidden: User "bob" cannot get path "/metrics"`. Written NUL-terminated into out, truncated
 * to outlen - 1 bytes. The _reason form appends ": " reason when reason is not empty, as
 * upstream does with the authorizer's reason. */
void gw_rbac_forbidden_message(const gw_rbac_request_t *req, char *out, size_t outlen);
void gw_rbac_forbidden_message_reason(const gw_rbac_request_t *req, const char *reason, char *out,
                                      size_t outlen);

/* The effective rules of the aggregated ClusterRole name, as upstream's clusterrole-aggregation
 * controller writes them into its `rules` (rules of the selected ClusterRoles by selector, then
 * by name, duplicates dropped; aggregated roles selected are expanded). A new reference; NULL
 * when there is no such ClusterRole or it has no aggregationRule. Costs O(rules^2) to dedupe. */
json_t *gw_rbac_aggregated_rules(gw_rbac_t *self, const char *name);

/* The bootstrap policy kube-apiserver creates (plugin/pkg/auth/authorizer/rbac/bootstrappolicy):
 * ClusterRoles cluster-admin, admin, edit, view (aggregated, as upstream, from
 * system:aggregate-to-admin/-edit/-view), system:discovery, system:basic-user,
 * system:public-info-viewer, system:monitoring, system:auth-delegator,
 * system:service-account-issuer-discovery, and the ClusterRoleBindings cluster-admin
 * (system:masters), system:discovery, system:basic-user (system:authenticated),
 * system:public-info-viewer (system:authenticated, system:unauthenticated), system:monitoring
 * (system:monitoring), system:service-account-issuer-discovery (system:serviceaccounts). Each
 * carries label kubernetes.io/bootstrapping=rbac-defaults and annotation
 * rbac.authorization.kubernetes.io/autoupdate=true. A new array reference. */
json_t *gw_rbac_bootstrap_objects(void);

/* Asserts every rule of the semantics above; verbose prints each group of cases. */
void gw_rbac_test(bool verbose);
