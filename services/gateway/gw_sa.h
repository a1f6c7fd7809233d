/* gw_sa: service accounts as identities: TokenRequest, and the tokens it issues checked on every
 * request (see gw_sa.c). */
#pragma once

#include "gw.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The issuer and the API's own audience, as kube-apiserver's defaults. */
#define GW_SA_ISSUER       "https://kubernetes.default.svc.cluster.local"
#define GW_SA_AUDIENCE     "https://kubernetes.default.svc.cluster.local"
#define GW_SA_ACCOUNTS_MAX 20000 /* service accounts known at once */

/* Loads DIR/pki/sa.key, making it the first time. */
int gw_sa_init(const char *dir, char *err, size_t errlen);
void gw_sa_use_seed(const unsigned char seed[32]); /* the key from a seed (tests) */
void gw_sa_free(void);

/* The accounts known (fed by gw_authz's loader): reset before a load, put per object (-ENOSPC
 * past GW_SA_ACCOUNTS_MAX, -EINVAL without namespace, name and uid), remove per deletion. */
void gw_sa_reset(void);
int gw_sa_put(const json_t *sa);
void gw_sa_remove(const char *ns, const char *name);
/* The uid of ns/name, or NULL; *automount (if asked) is its automountServiceAccountToken: 1, 0,
 * or -1 when unset. */
const char *gw_sa_lookup(const char *ns, const char *name, int *automount);

/* What every namespace gets with it, as kube-controller-manager's service account and root CA
 * publisher controllers make them: the ServiceAccount "default" and the ConfigMap
 * "kube-root-ca.crt" with the cluster's CA (uid and creationTimestamp set). */
json_t *gw_sa_namespace_objects(const char *ns);

/* The ServiceAccount admission of a new pod, as kube-apiserver's plugin: the account it runs
 * as (spec.serviceAccountName, else the deprecated spec.serviceAccount, else "default"; both set)
 * is returned; once the account is known to exist, gw_sa_pod_mount adds the projected volume
 * kube-api-access-XXXXX (a token, the cluster CA, the namespace) and its mount at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container, unless the pod or the
 * account (automount: 0) opts out or a container mounts something there already. */
const char *gw_sa_pod_account(json_t *pod);
void gw_sa_pod_mount(json_t *pod, int automount);

/* A JWT of claims signed with the cluster's key; NULL before gw_sa_init. Caller frees. */
char *gw_sa_sign(const json_t *claims);
/* Checks a bearer token: 0 when it is not a JWT (another authenticator's), 1 when valid (user
 * filled, without system:authenticated), -1 when invalid, -2 when its account is unknown (why
 * says which). */
int gw_sa_verify(const char *token, int64_t now, gw_user_t *user, char *why, size_t whylen);

/* A token bound to an object is good only while that object exists with the uid it names, as
 * kube-apiserver's validator checks: 0 when nothing is to check (no bound object, or it was
 * seen within the last GW_SA_BOUND_TTL_MS and not deleted since), else 1: the store is asked,
 * and then go(req) runs, or 401 is answered. */
#define GW_SA_BOUND_TTL_MS 10000
int gw_sa_bound_check(gw_req_t *req, void (*go)(gw_req_t *req));
/* A key was deleted: a token bound to what it held is checked again at its next use. */
void gw_sa_bound_gone(const char *key);

/* POST .../serviceaccounts/NAME/token. */
void gw_sa_token_request(gw_req_t *req, const gw_target_t *t);

void gw_sa_test(bool verbose);
