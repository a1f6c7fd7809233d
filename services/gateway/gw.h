/* gw: what the gateway's files share. The gateway serves the Kubernetes API over HTTP(S)
 * (libmicrohttpd + GnuTLS) and turns each request into store calls on the bus. One thread runs
 * everything: libmicrohttpd in external-epoll mode is polled by the bus_service loop; a request
 * that waits for the store suspends its connection and is resumed by the store's reply.
 * Files: gw_http (connections, requests, responses), gw_api (routing, non-resource endpoints,
 * discovery, OpenAPI), gw_rest (the resource verbs), gw_object (decoding, validation, defaults),
 * gw_table (server-side Tables), gw_auth (tokens). */
#pragma once

#include "bus_buf.h"
#include "bus_service.h"
#include "kube_schema.h"
#include "kubus_schema.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#define GW_BODY_MAX      (3u << 20) /* a request body larger than this gets 413, as kube-apiserver */
#define GW_STORE_TIMEOUT 10000      /* ms a store call may take */
#define GW_NAME_MAX      253
#define GW_LIST_MAX      100000 /* objects in one list answer; a larger one needs limit/continue */

typedef struct gw_t gw_t;
typedef struct gw_req_t gw_req_t;

typedef struct {
    char *addr;       /* "127.0.0.1:6443" */
    bool tls;         /* false: plain HTTP, only on loopback */
    const char *cert; /* PEM file paths (TLS) */
    const char *key;
} gw_listen_t;

#define GW_USER_GROUPS 8 /* groups a user is known by */

/* Who made a request. */
typedef struct {
    char name[256];
    char uid[64];
    char groups[GW_USER_GROUPS][64];
    int groups_n;
    char credential[64]; /* "JTI=..." for a service account token (whoami shows it) */
    /* A service account token bound to a pod, secret or node: its store key and uid, which
     * must still be there (gw_sa_bound_check). */
    char bound_key[320], bound_uid[64];
} gw_user_t;

enum { GW_PENDING_NONE = 0, GW_PENDING_STORE, GW_PENDING_DONE };
enum { GW_HAND_NONE = 0, GW_HAND_RECEIVING, GW_HAND_SENDING };
struct pollfd;

/* One HTTP request, from its first header to its response. */
struct gw_req_t {
    gw_t *gw;
    struct MHD_Connection *conn;
    char method[16];
    char *path;
    bus_buf_t body;
    bool too_big;
    bool suspended;
    bool dispatched;
    /* What libmicrohttpd does for it now (GW_HAND_*), for the loop to know whether running it
     * again moves anything; hand_* link the requests it holds (gw_t.hand). */
    int hand;
    bool moved; /* body bytes came in since the loop last looked */
    int fd;     /* the connection's socket */
    gw_req_t *hand_prev, *hand_next;
    struct MHD_Response *resp; /* ready to queue */
    unsigned status;
    gw_user_t user;
    uint64_t started_us;
    json_t *warnings; /* texts for Warning headers */
    void *ctx;        /* a verb's state while it waits for the store */
    void (*ctx_free)(void *ctx);
    /* Set while a verb works from the gateway's cached copy of an object, which may be behind
     * the store: it never answers from that copy. Its first answer (an error, a no-op, a dry
     * run) is not sent; this is called instead, once, to start over from the store's copy.
     * The verb's first store call (its write, which compares the revision) clears it. */
    void (*recheck)(gw_req_t *req);
};

struct gw_t {
    bus_service_t *svc;
    const char *dir;
    char name[64];
    struct MHD_Daemon *daemons[4];
    int daemons_n;
    int timer_id;
    bool stopping;
    bool again;     /* a timer to run libmicrohttpd again is set */
    gw_req_t *hand; /* requests libmicrohttpd is receiving or sending (not suspended) */
    struct pollfd *hand_fds;
    size_t hand_fds_cap;
    json_t *tokens; /* token -> {"user":..., "groups":[...]} */
    /* Documents made once at start. */
    char *disc_api, *disc_apis;          /* aggregated discovery */
    char *legacy_api, *legacy_apis;      /* APIVersions, APIGroupList */
    json_t *legacy_groups;               /* "group/version" -> APIResourceList */
    json_t *openapi_root, *openapi_docs; /* "api/v1" -> document */
    /* Counters for /metrics. */
    uint64_t requests, responses_by_class[6], store_calls, store_errors;
    uint64_t cached_reads, cached_stale;
    uint64_t latency_us_sum, latency_count;
};

/* gw_http.c */
int gw_http_start(gw_t *gw, const gw_listen_t *listens, int n, char *err, size_t errlen);
void gw_http_stop(gw_t *gw);
void gw_http_run(gw_t *gw); /* lets libmicrohttpd do what is ready */
const char *gw_query(gw_req_t *req, const char *key);
const char *gw_header(gw_req_t *req, const char *key);
/* A request waits (its connection is left alone until gw_resume) and goes on. A stream's
 * answer suspends itself when it has nothing to send. */
void gw_suspend(gw_req_t *req);
void gw_resume(gw_req_t *req);
/* Whether the client of a suspended request has hung up (a suspended connection is not read,
 * so libmicrohttpd would not notice). */
bool gw_client_gone(gw_req_t *req);
/* Responses: set req->resp. A request answered while suspended is resumed. */
void gw_respond(gw_req_t *req, unsigned status, const char *content_type, char *body, size_t len);
void gw_respond_json(gw_req_t *req, unsigned status, json_t *doc); /* steals doc */
void gw_respond_text(gw_req_t *req, unsigned status, const char *text);
/* A response made by the caller (a stream); the request takes it over. */
void gw_respond_response(gw_req_t *req, unsigned status, struct MHD_Response *resp);
void gw_add_header(gw_req_t *req, const char *name, const char *value);
/* A Kubernetes Status error: reason is the StatusReason ("NotFound"…); details may be NULL. */
void gw_fail(gw_req_t *req, unsigned code, const char *reason, json_t *details, const char *fmt,
             ...) __attribute__((format(printf, 5, 6)));
/* Starts a store call for req: its connection waits, fn gets the reply (in->env->status says
 * whether it worked; the body is decoded by fn). */
typedef void(gw_store_fn)(gw_req_t *req, bus_in_t *in);
int gw_store_call(gw_req_t *req, const codec_msg_t *desc, const void *body, gw_store_fn *fn);
/* Writes obj (as msgpack) at key in one transaction, only if the key is absent (what the gateway
 * creates at start: namespaces, the bootstrap policy). fn gets the reply; 0 or an error. */
int gw_store_create_absent(gw_t *gw, const char *key, const json_t *obj, bus_reply_fn *fn,
                           void *arg, char *err, size_t errlen);

/* gw_api.c */
void gw_api_handle(gw_req_t *req);
int gw_api_init(gw_t *gw, char *err, size_t errlen);
void gw_api_free(gw_t *gw);
const kube_kind_t *gw_kind_by_plural(const char *group, const char *version, const char *plural);
const kube_kind_t *gw_kind_by_kind(const char *group, const char *version, const char *kind);
/* "pods" or "deployments.apps": how errors name a resource. */
void gw_resource_name(const kube_kind_t *kind, char *out, size_t outlen);
const char *gw_api_version(const kube_kind_t *kind, char *out, size_t outlen);

/* gw_rest.c: one resource request, routed. */
typedef struct {
    const kube_kind_t *kind;
    char ns[64];
    char name[GW_NAME_MAX + 1];
    char sub[32];
    bool all_namespaces; /* a namespaced kind listed across namespaces */
} gw_target_t;
void gw_rest_handle(gw_req_t *req, const gw_target_t *t);
/* Creates the namespaces every cluster has, where absent. */
void gw_rest_bootstrap(gw_t *gw);

/* gw_object.c */
/* The body as JSON (JSON or YAML by Content-Type); NULL after answering 400/415. */
json_t *gw_object_decode(gw_req_t *req);
/* Checks an object for kind against the schema (unknown fields by fieldValidation; types),
 * defaults it and checks its metadata. Returns 0, or -1 after answering (400/422). Warnings (for
 * fieldValidation=Warn) go into the response's Warning headers. */
int gw_object_admit(gw_req_t *req, const kube_kind_t *kind, json_t *obj, const char *ns,
                    bool create);
/* 422 Invalid: "<kind> \"<name>\" is invalid: ..." with one cause per error (a Status as
 * kube-apiserver's NewInvalid makes). */
struct kube_errs_t;
void gw_fail_invalid(gw_req_t *req, const char *kind, const char *group, const char *name,
                     const struct kube_errs_t *errs);
/* The store key of an object: /registry/<plural>/<ns>/<name> or /registry/<plural>/<name>. */
void gw_object_key(const kube_kind_t *kind, const char *ns, const char *name, char *out,
                   size_t outlen);
/* A stored value as the object clients see (resourceVersion = mod revision). NULL if corrupt. */
json_t *gw_object_load(const kube_kind_t *kind, const store_kv_t *kv);

/* gw_watch.c: watches from a cache of the store's events (see the file). */
int gw_watch_init(gw_t *gw);
/* Starts a watch stream on key (a prefix, or one object's key when exact) for t's kind; -1 after
 * answering with an error. */
int gw_watch_start(gw_req_t *req, const gw_target_t *t, const char *key, bool exact);
void gw_watch_stop(void); /* ends every stream */
/* The latest version of key this gateway has heard of, while its event is still in the ring
 * (pointers into the ring: use before the loop runs again); false when unknown or deleted. */
bool gw_watch_latest(const char *key, store_kv_t *kv);
void gw_watch_free(void);

/* gw_authz.c: authorization (system:masters, then RBAC over the store's roles and bindings). */
int gw_authz_init(gw_t *gw);
void gw_authz_free(void);
void gw_authz_event(const store_event_t *ev); /* a change heard on the bus */
bool gw_authz_loaded(void);                   /* the policy (and service accounts) are known */
/* 0 when allowed; -1 after answering 403 (or 503 before the policy is loaded). */
int gw_authz_path(gw_req_t *req);
int gw_authz_resource(gw_req_t *req, const gw_target_t *t, const char *verb);
/* POST selfsubjectaccessreviews (access) or selfsubjectreviews: kubectl auth can-i / whoami. */
/* POST of a SelfSubjectAccessReview, SelfSubjectRulesReview or SelfSubjectReview (by plural). */
void gw_authz_review(gw_req_t *req, const char *plural);

/* gw_openapi.c */
int gw_openapi_init(gw_t *gw, char *err, size_t errlen);
void gw_openapi_handle(gw_req_t *req, const char *rest);

/* A field selector's value in an object (kube_field_get_fn over gw_field_ctx_t). */
typedef struct {
    const json_t *obj;
    char buf[64];
} gw_field_ctx_t;
const char *gw_field_get(void *arg, const char *key);

/* gw_seal.c: Secrets sealed at rest (see the file). */
int gw_seal_init(const char *dir, char *err, size_t errlen);
/* A key of len random bytes in DIR/pki/FILE (0600), shared by the cluster's gateways: read, or
 * made the first time (two gateways starting at once agree on one). what names it in the log. */
int gw_key_file(const char *dir, const char *file, unsigned char *key, size_t len, const char *what,
                char *err, size_t errlen);
bool gw_seal_wanted(const kube_kind_t *kind);
/* Replaces the msgpack in value with its sealed form; 0 or an error. */
int gw_seal(bus_buf_t *value);
/* 1 with *plain (the caller's to free) when data was sealed, 0 when it was not (plain is NULL),
 * -1 when it does not open (another key, or changed). */
int gw_unseal(const uint8_t *data, size_t len, uint8_t **plain, size_t *plain_len);
void gw_seal_test(bool verbose);

/* gw_table.c */
int gw_table_wanted(gw_req_t *req); /* 1 when Accept asks for a Table */
json_t *gw_table_new(const kube_kind_t *kind, json_t *items, const char *rv, const char *cont,
                     const char *include, bool with_columns, int64_t now);

/* gw_auth.c */
int gw_auth_load(gw_t *gw, char *err, size_t errlen);
void gw_auth_refresh(gw_t *gw); /* reads the tokens file again if it changed */
/* 0 with req->user filled; 1 when the request goes on by itself (a token bound to an object is
 * checked with the store first, then gw_api_handle runs); -1 after answering 401. */
int gw_auth(gw_req_t *req);
