/* gw_sa: service accounts as identities, as kube-apiserver's bound service account tokens.
 * - TokenRequest (POST .../serviceaccounts/NAME/token, `kubectl create token`) issues a JWT
 *   signed with Ed25519 ("alg":"EdDSA") by DIR/pki/sa.key (a 32-byte seed, 0600, made at the
 *   first start and shared by every gateway of the cluster). Its claims are kube-apiserver's:
 *   iss, sub (system:serviceaccount:NS:NAME), aud, iat, nbf, exp, jti and "kubernetes.io" with
 *   the namespace, the service account's name and uid, and the pod, secret or node it is bound
 *   to when asked.
 * - Authentication: a bearer token that is a JWT is checked (signature, issuer, audience, time,
 *   a minute of leeway for clocks) and then against the service accounts the gateway knows: the
 *   account must still exist with the uid the token names, so deleting an account (or making it
 *   again) revokes its tokens at once. The user is system:serviceaccount:NS:NAME in the groups
 *   system:serviceaccounts and system:serviceaccounts:NS.
 * The known accounts (namespace/name -> uid and automountServiceAccountToken) are loaded and
 * kept current with the authorization policy (gw_authz), from the store's lists and events.
 * A token bound to a pod, secret or node is good while that object exists with the uid it names
 * (gw_sa_bound_check). Tokens are never logged. */
#include "gw_sa.h"

#include "bus_log.h"
#include "gw_rest_impl.h"
#include "kube_time.h"
#include "kube_valid.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_LEEWAY       60
#define S_EXPIRY_DEF   3600
#define S_EXPIRY_MIN   600
#define S_EXPIRY_MAX   (1LL << 32)
#define S_ACCOUNTS_MAX GW_SA_ACCOUNTS_MAX
#define S_TOKEN_MAX    8192

static struct {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char kid[48];
    bool ready;
    json_t *accounts; /* "ns/name" -> {"uid": s, "automount": b|null} */
    char *ca_pem;     /* DIR/pki/ca.crt, for each namespace's kube-root-ca.crt */
    zhashx_t *bound;  /* bound object's key -> s_seen_t: found there lately */
    bus_arena_t *arena;
} s;

/* A bound object found in the store with this uid, until then. */
typedef struct {
    char uid[64];
    uint64_t until_ms;
} s_seen_t;

#define S_BOUND_MAX 10000 /* bound objects remembered */

/* --- the key ------------------------------------------------------------------------------ */

int gw_sa_init(const char *dir, char *err, size_t errlen)
{
    unsigned char seed[32];
    if (gw_key_file(dir, "sa.key", seed, sizeof seed, "service account tokens", err, errlen))
        return -1;
    char path[4096];
    gw_sa_use_seed(seed);
    sodium_memzero(seed, sizeof seed);
    snprintf(path, sizeof path, "%s/pki/ca.crt", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        free(s.ca_pem);
        s.ca_pem = strdup(buf);
    }
    return 0;
}

json_t *gw_sa_namespace_objects(const char *ns)
{
    char uid[37], ts[32];
    kube_time_rfc3339(kube_time_now(), ts);
    kube_uid_new(uid);
    json_t *out = json_array();
    json_array_append_new(out, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "apiVersion", "v1",
                                         "kind", "ServiceAccount", "metadata", "name", "default",
                                         "namespace", ns, "uid", uid, "creationTimestamp", ts));
    if (s.ca_pem) {
        kube_uid_new(uid);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s}}, s:{s:s}}", "apiVersion",
                           "v1", "kind", "ConfigMap", "metadata", "name", "kube-root-ca.crt",
                           "namespace", ns, "uid", uid, "creationTimestamp", ts, "annotations",
                           "kubernetes.io/description",
                           "Contains a CA bundle that can be used to verify the kube-apiserver "
                           "when using internal endpoints such as the internal service IP or "
                           "kubernetes.default.svc. No other usage is guaranteed across "
                           "distributions of Kubernetes clusters.",
                           "data", "ca.crt", s.ca_pem));
    }
    return out;
}

void gw_sa_use_seed(const unsigned char seed[32])
{
    crypto_sign_seed_keypair(s.pk, s.sk, seed);
    unsigned char h[32];
    crypto_generichash(h, sizeof h, s.pk, sizeof s.pk, NULL, 0);
    sodium_bin2base64(s.kid, sizeof s.kid, h, 24, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    s.ready = true;
}

void gw_sa_free(void)
{
    zhashx_destroy(&s.bound);
    bus_arena_destroy(&s.arena);
    json_decref(s.accounts);
    s.accounts = NULL;
    free(s.ca_pem);
    s.ca_pem = NULL;
    sodium_memzero(s.sk, sizeof s.sk);
    s.ready = false;
}

/* --- the accounts known ------------------------------------------------------------------- */

void gw_sa_reset(void)
{
    json_decref(s.accounts);
    s.accounts = json_object();
}

int gw_sa_put(const json_t *sa)
{
    const json_t *meta = json_object_get(sa, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    if (!ns || !name || !uid) return -EINVAL;
    if (!s.accounts) s.accounts = json_object();
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    if (!json_object_get(s.accounts, key) && json_object_size(s.accounts) >= S_ACCOUNTS_MAX)
        return -ENOSPC;
    json_t *automount = json_object_get(sa, "automountServiceAccountToken");
    json_object_set_new(s.accounts, key,
                        json_pack("{s:s, s:O}", "uid", uid, "automount",
                                  json_is_boolean(automount) ? automount : json_null()));
    return 0;
}

void gw_sa_remove(const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    json_object_del(s.accounts, key);
}

const char *gw_sa_lookup(const char *ns, const char *name, int *automount)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    json_t *a = json_object_get(s.accounts, key);
    if (automount) {
        json_t *m = json_object_get(a, "automount");
        *automount = json_is_boolean(m) ? json_is_true(m) : -1;
    }
    return a ? json_string_value(json_object_get(a, "uid")) : NULL;
}

/* --- admission of pods ------------------------------------------------------------------ */

const char *gw_sa_pod_account(json_t *pod)
{
    json_t *spec = json_object_get(pod, "spec");
    const char *name = json_string_value(json_object_get(spec, "serviceAccountName"));
    if (!name || !*name) name = json_string_value(json_object_get(spec, "serviceAccount"));
    if (!name || !*name) name = "default";
    json_t *v = json_string(name);
    json_object_set(spec, "serviceAccountName", v);
    json_object_set_new(spec, "serviceAccount", v); /* the deprecated mirror */
    return json_string_value(v);
}

#define S_MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"

static bool s_mounted(const json_t *spec)
{
    static const char *const lists[] = {"initContainers", "containers", NULL};
    for (int l = 0; lists[l]; l++) {
        size_t i, j;
        json_t *c, *m;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
            json_array_foreach(json_object_get(c, "volumeMounts"), j, m)
        {
            const char *path = json_string_value(json_object_get(m, "mountPath"));
            if (path && !strcmp(path, S_MOUNT_PATH)) return true;
        }
    }
    return false;
}

void gw_sa_pod_mount(json_t *pod, int automount)
{
    json_t *spec = json_object_get(pod, "spec");
    json_t *own = json_object_get(spec, "automountServiceAccountToken");
    if (json_is_boolean(own) ? json_is_false(own) : automount == 0) return;
    if (s_mounted(spec)) return;
    char name[64];
    kube_generate_name("kube-api-access-", name, sizeof name);
    json_t *vols = json_object_get(spec, "volumes");
    if (!json_is_array(vols)) json_object_set_new(spec, "volumes", vols = json_array());
    json_array_append_new(
        vols, json_pack("{s:s, s:{s:i, s:[{s:{s:i, s:s}}, {s:{s:s, s:[{s:s, s:s}]}}, "
                        "{s:{s:[{s:{s:s, s:s}, s:s}]}}]}}",
                        "name", name, "projected", "defaultMode", 420, "sources",
                        "serviceAccountToken", "expirationSeconds", 3607, "path", "token",
                        "configMap", "name", "kube-root-ca.crt", "items", "key", "ca.crt", "path",
                        "ca.crt", "downwardAPI", "items", "fieldRef", "apiVersion", "v1",
                        "fieldPath", "metadata.namespace", "path", "namespace"));
    static const char *const lists[] = {"initContainers", "containers", NULL};
    for (int l = 0; lists[l]; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
        {
            json_t *mounts = json_object_get(c, "volumeMounts");
            if (!json_is_array(mounts))
                json_object_set_new(c, "volumeMounts", mounts = json_array());
            json_array_append_new(mounts, json_pack("{s:s, s:s, s:b}", "name", name, "mountPath",
                                                    S_MOUNT_PATH, "readOnly", 1));
        }
    }
}

/* --- tokens ------------------------------------------------------------------------------- */

static char *s_b64(const void *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(n);
    if (!out) abort();
    sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

char *gw_sa_sign(const json_t *claims)
{
    if (!s.ready) return NULL;
    json_t *header = json_pack("{s:s, s:s}", "alg", "EdDSA", "kid", s.kid);
    char *h = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
    char *c = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(header);
    char *hb = s_b64(h, strlen(h)), *cb = s_b64(c, strlen(c));
    free(h);
    free(c);
    size_t signed_len = strlen(hb) + 1 + strlen(cb);
    char *out = malloc(signed_len + 1 + 100);
    if (!out) abort();
    snprintf(out, signed_len + 1, "%s.%s", hb, cb);
    free(hb);
    free(cb);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)out, signed_len, s.sk);
    char *sb = s_b64(sig, sizeof sig);
    snprintf(out + signed_len, 100, ".%s", sb);
    free(sb);
    return out;
}

/* One base64url part of a token as JSON (header or claims). */
static json_t *s_part(const char *b64, size_t len)
{
    unsigned char buf[S_TOKEN_MAX];
    size_t n = 0;
    if (sodium_base642bin(buf, sizeof buf - 1, b64, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return NULL;
    json_t *doc = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static bool s_has_audience(const json_t *aud, const char *want)
{
    if (json_is_string(aud)) return !strcmp(json_string_value(aud), want);
    size_t i;
    json_t *a;
    json_array_foreach(aud, i,
                       a) if (json_is_string(a) && !strcmp(json_string_value(a), want)) return true;
    return false;
}

/* The object a token is bound to (claims "pod", "secret" or "node": name and uid), as the
 * user's bound_key and bound_uid; 1, or -1 when the claim is malformed. */
static int s_bound_claim(const json_t *k, const char *ns, gw_user_t *user, char *why, size_t whylen)
{
    static const char *const fields[] = {"pod", "secret", "node"};
    static const char *const plurals[] = {"pods", "secrets", "nodes"};
    for (int i = 0; i < 3; i++) {
        json_t *ref = json_object_get(k, fields[i]);
        if (!ref) continue;
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *uid = json_string_value(json_object_get(ref, "uid"));
        const kube_kind_t *kind = gw_kind_by_plural("", "v1", plurals[i]);
        if (!name || !*name || !uid || !*uid || !kind || strlen(uid) >= sizeof user->bound_uid) {
            snprintf(why, whylen, "malformed token claims");
            return -1;
        }
        gw_object_key(kind, kind->namespaced ? ns : "", name, user->bound_key,
                      sizeof user->bound_key);
        snprintf(user->bound_uid, sizeof user->bound_uid, "%s", uid);
        break; /* a pod-bound token may also name the pod's node: the pod is what it is bound to */
    }
    return 1;
}

int gw_sa_verify(const char *token, int64_t now, gw_user_t *user, char *why, size_t whylen)
{
    size_t len = strlen(token);
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.')) return 0; /* not a JWT: someone else's */
    if (len > S_TOKEN_MAX) {
        snprintf(why, whylen, "token too long");
        return -1;
    }
    unsigned char sig[crypto_sign_BYTES + 1];
    size_t sig_len = 0;
    json_t *header = s_part(token, (size_t)(d1 - token));
    json_t *claims = s_part(d1 + 1, (size_t)(d2 - d1 - 1));
    int rc = -1;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (!header || !claims) {
        snprintf(why, whylen, "malformed token");
    } else if (!s.ready || !alg || strcmp(alg, "EdDSA")) {
        snprintf(why, whylen, "not signed by this cluster");
    } else if (sodium_base642bin(sig, sizeof sig, d2 + 1, strlen(d2 + 1), NULL, &sig_len, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
               sig_len != crypto_sign_BYTES ||
               crypto_sign_verify_detached(sig, (const unsigned char *)token, (size_t)(d2 - token),
                                           s.pk)) {
        snprintf(why, whylen, "invalid signature");
    } else if (!json_is_string(json_object_get(claims, "iss")) ||
               strcmp(json_string_value(json_object_get(claims, "iss")), GW_SA_ISSUER)) {
        snprintf(why, whylen, "another issuer");
    } else if (!s_has_audience(json_object_get(claims, "aud"), GW_SA_AUDIENCE)) {
        snprintf(why, whylen, "token audiences do not include the API");
    } else if (json_integer_value(json_object_get(claims, "exp")) + S_LEEWAY < now) {
        snprintf(why, whylen, "token has expired");
    } else if (json_integer_value(json_object_get(claims, "nbf")) - S_LEEWAY > now) {
        snprintf(why, whylen, "token not valid yet");
    } else {
        json_t *k = json_object_get(claims, "kubernetes.io");
        const char *ns = json_string_value(json_object_get(k, "namespace"));
        json_t *acc = json_object_get(k, "serviceaccount");
        const char *name = json_string_value(json_object_get(acc, "name"));
        const char *uid = json_string_value(json_object_get(acc, "uid"));
        const char *have = ns && name ? gw_sa_lookup(ns, name, NULL) : NULL;
        if (!ns || !name || !uid) {
            snprintf(why, whylen, "malformed token claims");
        } else if (!have) {
            snprintf(why, whylen, "service account %s/%s does not exist", ns, name);
            rc = -2;
        } else if (strcmp(have, uid)) {
            snprintf(why, whylen, "service account %s/%s was made again since the token", ns, name);
        } else {
            memset(user, 0, sizeof *user);
            snprintf(user->name, sizeof user->name, "system:serviceaccount:%s:%s", ns, name);
            snprintf(user->uid, sizeof user->uid, "%s", uid);
            snprintf(user->groups[0], sizeof user->groups[0], "system:serviceaccounts");
            snprintf(user->groups[1], sizeof user->groups[1], "system:serviceaccounts:%s", ns);
            user->groups_n = 2;
            const char *jti = json_string_value(json_object_get(claims, "jti"));
            if (jti) snprintf(user->credential, sizeof user->credential, "JTI=%s", jti);
            rc = s_bound_claim(k, ns, user, why, whylen);
        }
    }
    json_decref(header);
    json_decref(claims);
    return rc;
}

/* --- tokens bound to objects -------------------------------------------------------------- */

void gw_sa_bound_gone(const char *key)
{
    if (s.bound) zhashx_delete(s.bound, key);
}

static void s_seen_free(void **item)
{
    free(*item);
    *item = NULL;
}

typedef struct {
    void (*go)(gw_req_t *req);
} s_check_t;

static void s_refuse(gw_req_t *req, const char *why)
{
    log_debug("gateway.auth", "refused=service-account why=\"%s\"", why);
    gw_fail(req, 401, "Unauthorized", NULL, "Unauthorized");
}

static void s_bound_found(gw_req_t *req, bus_in_t *in)
{
    void (*go)(gw_req_t *) = ((s_check_t *)req->ctx)->go;
    free(req->ctx);
    req->ctx = NULL;
    req->ctx_free = NULL;
    store_range_reply_t *r = NULL;
    codec_err_t err;
    bus_arena_reset(s.arena);
    if (in->env->status ||
        bus_frame_body(&in->frame, &store_range_reply_desc, s.arena, (void **)&r, &err)) {
        gw_fail(req, 503, "ServiceUnavailable", NULL, "storage is unavailable: %s",
                !in->env->status ? err.text
                : in->env->error ? in->env->error
                                 : "no answer");
        return;
    }
    char plural[32] = ""; /* /registry/<plural>/... */
    sscanf(req->user.bound_key, "/registry/%31[^/]", plural);
    const kube_kind_t *kind = gw_kind_by_plural("", "v1", plural);
    json_t *obj = r->kvs.n && kind ? gw_object_load(kind, &((store_kv_t *)r->kvs.v)[0]) : NULL;
    const char *uid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
    bool ok = uid && !strcmp(uid, req->user.bound_uid);
    json_decref(obj);
    if (!ok) {
        s_refuse(req, r->kvs.n ? "the object the token is bound to was made again"
                               : "the object the token is bound to is gone");
        return;
    }
    if (zhashx_size(s.bound) >= S_BOUND_MAX) zhashx_purge(s.bound);
    s_seen_t *seen = calloc(1, sizeof *seen);
    if (!seen) abort();
    snprintf(seen->uid, sizeof seen->uid, "%s", req->user.bound_uid);
    seen->until_ms = bus_now_ms() + GW_SA_BOUND_TTL_MS;
    zhashx_update(s.bound, req->user.bound_key, seen);
    go(req);
}

int gw_sa_bound_check(gw_req_t *req, void (*go)(gw_req_t *req))
{
    if (!req->user.bound_key[0]) return 0;
    if (!s.bound) {
        s.bound = zhashx_new();
        s.arena = bus_arena_new(4u << 20);
        if (!s.bound) abort();
        zhashx_set_destructor(s.bound, s_seen_free);
    }
    s_seen_t *seen = zhashx_lookup(s.bound, req->user.bound_key);
    if (seen && seen->until_ms > bus_now_ms() && !strcmp(seen->uid, req->user.bound_uid)) return 0;
    /* Asked of the store, linearizably: a pod deleted a moment ago through another gateway is
     * already gone there. */
    s_check_t *c = malloc(sizeof *c);
    if (!c) abort();
    c->go = go;
    req->ctx = c;
    req->ctx_free = free;
    store_range_request_t q = {.key = req->user.bound_key};
    gw_store_call(req, &store_range_request_desc, &q, s_bound_found);
    return 1;
}

/* --- TokenRequest -------------------------------------------------------------------------- */

typedef struct {
    json_t *req; /* the TokenRequest as asked (defaulted) */
    char sa_uid[64];
    json_t *bound; /* {"kind": {"name","uid"}} once found */
    gw_target_t t;
    bus_arena_t *arena;
} s_token_t;

static void s_token_free(void *arg)
{
    s_token_t *tk = arg;
    json_decref(tk->req);
    json_decref(tk->bound);
    bus_arena_destroy(&tk->arena);
    free(tk);
}

/* A read's reply; NULL after answering 503. */
static store_range_reply_t *s_range(gw_req_t *req, s_token_t *tk, bus_in_t *in)
{
    store_range_reply_t *r = NULL;
    codec_err_t err;
    bus_arena_reset(tk->arena);
    if (in->env->status ||
        bus_frame_body(&in->frame, &store_range_reply_desc, tk->arena, (void **)&r, &err)) {
        gw_fail(req, 503, "ServiceUnavailable", NULL, "storage is unavailable: %s",
                !in->env->status ? err.text
                : in->env->error ? in->env->error
                                 : "no answer");
        return NULL;
    }
    return r;
}

static void s_issue(gw_req_t *req, s_token_t *tk)
{
    json_t *spec = json_object_get(tk->req, "spec");
    int64_t now = kube_time_now();
    int64_t exp = now + json_integer_value(json_object_get(spec, "expirationSeconds"));
    char jti[37];
    kube_uid_new(jti);
    char sub[600];
    snprintf(sub, sizeof sub, "system:serviceaccount:%s:%s", tk->t.ns, tk->t.name);
    json_t *k = json_pack("{s:s, s:{s:s, s:s}}", "namespace", tk->t.ns, "serviceaccount", "name",
                          tk->t.name, "uid", tk->sa_uid);
    if (tk->bound) json_object_update(k, tk->bound);
    json_t *claims = json_pack("{s:O, s:I, s:I, s:s, s:s, s:o, s:I, s:s}", "aud",
                               json_object_get(spec, "audiences"), "exp", (json_int_t)exp, "iat",
                               (json_int_t)now, "iss", GW_SA_ISSUER, "jti", jti, "kubernetes.io", k,
                               "nbf", (json_int_t)now, "sub", sub);
    char *token = gw_sa_sign(claims);
    json_decref(claims);
    if (!token) {
        gw_fail(req, 503, "ServiceUnavailable", NULL, "the token signing key is not loaded");
        return;
    }
    char ts[32], exp_ts[32];
    kube_time_rfc3339(now, ts);
    kube_time_rfc3339(exp, exp_ts);
    json_t *out = json_deep_copy(tk->req);
    json_object_set_new(out, "kind", json_string("TokenRequest"));
    json_object_set_new(out, "apiVersion", json_string("authentication.k8s.io/v1"));
    json_object_set_new(out, "metadata",
                        json_pack("{s:s, s:s, s:s}", "name", tk->t.name, "namespace", tk->t.ns,
                                  "creationTimestamp", ts));
    json_object_set_new(out, "status",
                        json_pack("{s:s, s:s}", "token", token, "expirationTimestamp", exp_ts));
    sodium_memzero(token, strlen(token));
    free(token);
    gw_respond_json(req, 201, out);
}

static void s_bound_reply(gw_req_t *req, bus_in_t *in)
{
    s_token_t *tk = req->ctx;
    json_t *ref = json_object_get(json_object_get(tk->req, "spec"), "boundObjectRef");
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *want = json_string_value(json_object_get(ref, "uid"));
    store_range_reply_t *r = s_range(req, tk, in);
    if (!r) return;
    const char *plural = !strcmp(kind, "Pod")      ? "pods"
                         : !strcmp(kind, "Secret") ? "secrets"
                                                   : "nodes";
    json_t *obj = NULL;
    if (r->kvs.n) {
        const kube_kind_t *kk = gw_kind_by_plural("", "v1", plural);
        obj = gw_object_load(kk, &((store_kv_t *)r->kvs.v)[0]);
    }
    const char *uid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
    if (!uid) {
        json_decref(obj);
        gw_fail(req, 404, "NotFound", json_pack("{s:s, s:s}", "name", name, "kind", plural),
                "%s \"%s\" not found", plural, name);
        return;
    }
    if (want && *want && strcmp(want, uid)) {
        json_decref(obj);
        gw_fail(req, 409, "Conflict", NULL,
                "Operation cannot be fulfilled on %s \"%s\": the UID in the bound object "
                "reference (%s) does not match the UID in record. The object might have been "
                "deleted and then recreated",
                plural, name, want);
        return;
    }
    char field[16];
    snprintf(field, sizeof field, "%s",
             !strcmp(kind, "Pod")      ? "pod"
             : !strcmp(kind, "Secret") ? "secret"
                                       : "node");
    tk->bound = json_pack("{s:{s:s, s:s}}", field, "name", name, "uid", uid);
    json_decref(obj);
    s_issue(req, tk);
}

static int s_read(gw_req_t *req, const char *key, gw_store_fn *fn)
{
    store_range_request_t q = {.key = (char *)key};
    return gw_store_call(req, &store_range_request_desc, &q, fn);
}

static void s_account_reply(gw_req_t *req, bus_in_t *in)
{
    s_token_t *tk = req->ctx;
    store_range_reply_t *r = s_range(req, tk, in);
    if (!r) return;
    json_t *sa = r->kvs.n ? gw_object_load(tk->t.kind, &((store_kv_t *)r->kvs.v)[0]) : NULL;
    const char *uid = json_string_value(json_object_get(json_object_get(sa, "metadata"), "uid"));
    if (!uid) {
        json_decref(sa);
        gw_fail(req, 404, "NotFound",
                json_pack("{s:s, s:s}", "name", tk->t.name, "kind", "serviceaccounts"),
                "serviceaccounts \"%s\" not found", tk->t.name);
        return;
    }
    snprintf(tk->sa_uid, sizeof tk->sa_uid, "%s", uid);
    json_decref(sa);
    json_t *ref = json_object_get(json_object_get(tk->req, "spec"), "boundObjectRef");
    if (!ref || json_is_null(ref)) {
        s_issue(req, tk);
        return;
    }
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    char key[600];
    if (!strcmp(kind, "Node"))
        snprintf(key, sizeof key, "/registry/nodes/%s", name);
    else
        snprintf(key, sizeof key, "/registry/%s/%s/%s", !strcmp(kind, "Pod") ? "pods" : "secrets",
                 tk->t.ns, name);
    s_read(req, key, s_bound_reply);
}

void gw_sa_token_request(gw_req_t *req, const gw_target_t *t)
{
    if (strcmp(req->method, "POST")) {
        gw_op_method_not_allowed(req);
        return;
    }
    json_t *body = gw_object_decode(req);
    if (!body) return;
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (kind && strcmp(kind, "TokenRequest")) {
        json_decref(body);
        gw_fail(req, 400, "BadRequest", NULL,
                "the body of the request is a %s, not an authentication.k8s.io/v1 TokenRequest",
                kind);
        return;
    }
    json_t *spec = json_object_get(body, "spec");
    if (!json_is_object(spec)) json_object_set_new(body, "spec", spec = json_object());
    json_t *exp = json_object_get(spec, "expirationSeconds");
    if (!exp || json_is_null(exp))
        json_object_set_new(spec, "expirationSeconds", exp = json_integer(S_EXPIRY_DEF));
    json_t *aud = json_object_get(spec, "audiences");
    if (!json_array_size(aud))
        json_object_set_new(spec, "audiences", json_pack("[s]", GW_SA_AUDIENCE));
    kube_errs_t *errs = kube_errs_new();
    json_int_t secs = json_integer_value(exp);
    if (!json_is_integer(exp))
        kube_errs_invalid(errs, "spec.expirationSeconds", "", "must be an integer");
    else if (secs < S_EXPIRY_MIN)
        kube_errs_invalid_int(errs, "spec.expirationSeconds", secs,
                              "may not specify a duration less than 10 minutes");
    else if (secs > S_EXPIRY_MAX)
        kube_errs_invalid_int(errs, "spec.expirationSeconds", secs,
                              "may not specify a duration larger than 2^32 seconds");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(spec, "audiences"), i, a) if (!json_is_string(a))
        kube_errs_invalid(errs, "spec.audiences", "", "must be strings");
    json_t *ref = json_object_get(spec, "boundObjectRef");
    if (ref && !json_is_null(ref)) {
        const char *bk = json_string_value(json_object_get(ref, "kind"));
        const char *bn = json_string_value(json_object_get(ref, "name"));
        if (!bk || (strcmp(bk, "Pod") && strcmp(bk, "Secret") && strcmp(bk, "Node")))
            kube_errs_not_supported(errs, "spec.boundObjectRef.kind", bk ? bk : "",
                                    (const char *const[]){"Pod", "Secret", "Node", NULL});
        if (!bn || !*bn) kube_errs_required(errs, "spec.boundObjectRef.name", NULL);
    }
    if (kube_errs_count(errs)) {
        gw_fail_invalid(req, "TokenRequest", "authentication.k8s.io", t->name, errs);
        kube_errs_destroy(&errs);
        json_decref(body);
        return;
    }
    kube_errs_destroy(&errs);
    s_token_t *tk = calloc(1, sizeof *tk);
    if (!tk) abort();
    tk->req = body;
    tk->t = *t;
    tk->arena = bus_arena_new(16u << 20);
    req->ctx = tk;
    req->ctx_free = s_token_free;
    char key[600];
    gw_object_key(t->kind, t->ns, t->name, key, sizeof key);
    s_read(req, key, s_account_reply);
}
