/* gw_object: an object on its way in. Decoding (JSON, or YAML by Content-Type; protobuf is
 * refused with 415), checking it against its kind's schema as kube-apiserver's decoder does
 * (unknown fields by fieldValidation: Strict fails, Warn warns, Ignore drops; wrong types fail),
 * defaulting, and metadata validation. Also the store key of an object and its loading. */
#include "gw.h"

#include "bus_log.h"
#include "gw_defaults.h"
#include "gw_proto.h"
#include "kube_obj.h"
#include "kube_yaml.h"
#include "kube_valid.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_WARNINGS_MAX 32

json_t *gw_object_decode(gw_req_t *req)
{
    const char *ct = gw_header(req, "Content-Type");
    char err[512] = "";
    json_t *obj = NULL;
    if (ct && strstr(ct, "application/vnd.kubernetes.protobuf")) {
        obj = gw_proto_decode(req->body.data, req->body.len, err, sizeof err);
    } else if (ct && strstr(ct, "protobuf")) {
        gw_fail(req, 415, "UnsupportedMediaType", NULL,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
        return NULL;
    } else if (ct && strstr(ct, "yaml")) {
        obj = kube_yaml_decode(req->body.data, req->body.len, err, sizeof err);
    } else {
        json_error_t jerr;
        obj =
            json_loadb((const char *)req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj) snprintf(err, sizeof err, "%s", jerr.text);
    }
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        gw_fail(req, 400, "BadRequest", NULL, "the body of the request could not be decoded: %s",
                *err ? err : "not an object");
        return NULL;
    }
    return obj;
}

/* --- the schema walk ----------------------------------------------------------------------- */

typedef struct {
    const char *mode; /* Strict, Warn, Ignore */
    char unknown[S_WARNINGS_MAX][300];
    int unknown_n;
    char type_err[512];
} s_check_t;

static bool s_scalar_ok(int type, const json_t *v)
{
    if (json_is_null(v)) return true; /* null is "absent" to the decoder */
    switch (type) {
    case KUBE_T_STRING:
    case KUBE_T_TIME:
    case KUBE_T_BYTES: return json_is_string(v);
    case KUBE_T_INT32:
    case KUBE_T_INT64: return json_is_integer(v);
    case KUBE_T_NUMBER: return json_is_number(v);
    case KUBE_T_BOOL: return json_is_boolean(v);
    case KUBE_T_QUANTITY:
    case KUBE_T_INTSTR: return json_is_string(v) || json_is_integer(v) || json_is_real(v);
    default: return true;
    }
}

static void s_walk(s_check_t *c, const kube_type_t *t, json_t *obj, const char *path, int depth);

static void s_walk_value(s_check_t *c, const kube_field_t *f, int type, json_t *v, const char *path,
                         int depth)
{
    if (c->type_err[0] || json_is_null(v)) return;
    if (type == KUBE_T_REF) {
        if (!json_is_object(v))
            snprintf(c->type_err, sizeof c->type_err,
                     "json: cannot unmarshal %s into Go struct field %s of type %s",
                     kube_obj_kind(v), path, f->ref->name);
        else {
            s_walk(c, f->ref, v, path, depth + 1);
            return;
        }
    }
    if (!s_scalar_ok(type, v))
        snprintf(c->type_err, sizeof c->type_err,
                 "json: cannot unmarshal %s into Go struct field %s of type %s", kube_obj_kind(v),
                 path,
                 type == KUBE_T_STRING  ? "string"
                 : type == KUBE_T_BOOL  ? "bool"
                 : type == KUBE_T_INT32 ? "int32"
                 : type == KUBE_T_INT64 ? "int64"
                                        : "value");
}

static void s_walk_field(s_check_t *c, const kube_field_t *f, json_t *v, const char *path,
                         int depth)
{
    if (f->type == KUBE_T_LIST) {
        if (json_is_null(v)) return;
        if (!json_is_array(v)) {
            snprintf(c->type_err, sizeof c->type_err,
                     "json: cannot unmarshal %s into Go struct field %s of type []",
                     kube_obj_kind(v), path);
            return;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            char p[512];
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            s_walk_value(c, f, f->ref ? KUBE_T_REF : f->elem, item, p, depth);
        }
    } else if (f->type == KUBE_T_MAP) {
        if (json_is_null(v)) return;
        if (!json_is_object(v)) {
            snprintf(c->type_err, sizeof c->type_err,
                     "json: cannot unmarshal %s into Go struct field %s of type map",
                     kube_obj_kind(v), path);
            return;
        }
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item)
        {
            char p[512];
            snprintf(p, sizeof p, "%s.%s", path, k);
            s_walk_value(c, f, f->ref ? KUBE_T_REF : f->elem, item, p, depth);
        }
    } else {
        s_walk_value(c, f, f->type, v, path, depth);
    }
}

static const kube_field_t *s_field(const kube_type_t *t, const char *name)
{
    size_t lo = 0, hi = t->fields_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(t->fields[mid].name, name);
        if (!cmp) return &t->fields[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Checks obj against t; unknown fields are noted and removed (the typed decoder drops them). */
static void s_walk(s_check_t *c, const kube_type_t *t, json_t *obj, const char *path, int depth)
{
    if (depth > 40) return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        char p[512];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", k);
        const kube_field_t *f = s_field(t, k);
        if (!f) {
            if (c->unknown_n < S_WARNINGS_MAX)
                snprintf(c->unknown[c->unknown_n++], sizeof c->unknown[0], "%s", p);
            json_object_del(obj, k);
            continue;
        }
        s_walk_field(c, f, v, p, depth);
    }
}

/* --- required fields ----------------------------------------------------------------------- */

/* A required field that is absent, null, "" or empty: "Required value", as kube-apiserver's
 * validation says of a missing name, container list, pathType... Numbers and booleans are
 * left alone (their zero value is a value: upstream checks their range instead), and so is what
 * status holds (the system's to write). */
static void s_required(kube_errs_t *errs, const kube_type_t *t, const json_t *obj, const char *path,
                       int depth)
{
    if (depth > 40 || kube_errs_count(errs) >= 32) return;
    for (size_t i = 0; i < t->fields_n; i++) {
        const kube_field_t *f = &t->fields[i];
        if (f->flags & KUBE_F_STATUS) continue;
        const json_t *v = json_object_get(obj, f->name);
        char p[512];
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", f->name);
        bool scalar = f->type == KUBE_T_INT32 || f->type == KUBE_T_INT64 ||
                      f->type == KUBE_T_NUMBER || f->type == KUBE_T_BOOL;
        bool empty = !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
                     (json_is_array(v) && !json_array_size(v)) ||
                     (json_is_object(v) && !json_object_size(v) && f->type == KUBE_T_MAP);
        if ((f->flags & KUBE_F_REQUIRED) && !(f->flags & KUBE_F_EMPTY_OK) && !scalar && empty) {
            kube_errs_required(errs, p, NULL);
            continue;
        }
        if (!f->ref || !v) continue;
        if (f->type == KUBE_T_REF && json_is_object(v)) s_required(errs, f->ref, v, p, depth + 1);
        if (f->type == KUBE_T_LIST && json_is_array(v)) {
            size_t j;
            const json_t *item;
            json_array_foreach(v, j, item)
            {
                char q[540];
                snprintf(q, sizeof q, "%s[%zu]", p, j);
                if (json_is_object(item)) s_required(errs, f->ref, item, q, depth + 1);
            }
        }
        if (f->type == KUBE_T_MAP && json_is_object(v)) {
            const char *k;
            const json_t *item;
            json_object_foreach((json_t *)v, k, item)
            {
                char q[540];
                snprintf(q, sizeof q, "%s[%s]", p, k);
                if (json_is_object(item)) s_required(errs, f->ref, item, q, depth + 1);
            }
        }
    }
}

/* --- defaults ------------------------------------------------------------------------------ */

/* Static defaults where a field is absent; computed ones (gw_defaults) are asked every time,
 * since some complete what is there (a partial sessionAffinityConfig, a hostPort of 0). Then
 * into what is present, so defaults made here get theirs (rollingUpdate {} -> 25%/25%). */
static void s_defaults(const kube_type_t *t, json_t *obj, const json_t *root, int depth)
{
    if (depth > 40 || !json_is_object(obj)) return;
    for (size_t i = 0; i < t->fields_n; i++) {
        const kube_field_t *f = &t->fields[i];
        json_t *v = json_object_get(obj, f->name);
        if ((!v || json_is_null(v)) && f->default_json) {
            json_t *d = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
            if (d) json_object_set_new(obj, f->name, d);
        } else if (f->default_fn && !gw_default_fn(f->default_fn, obj, f->name, root)) {
            log_debug("gateway.default", "fn=%s detail=\"not known\"", f->default_fn);
        }
        v = json_object_get(obj, f->name);
        if (!v || !f->ref) continue;
        if (f->type == KUBE_T_REF) {
            s_defaults(f->ref, v, root, depth + 1);
        } else if (f->type == KUBE_T_LIST) {
            size_t j;
            json_t *item;
            json_array_foreach(v, j, item) s_defaults(f->ref, item, root, depth + 1);
        } else if (f->type == KUBE_T_MAP) {
            const char *k;
            json_t *item;
            json_object_foreach(v, k, item) s_defaults(f->ref, item, root, depth + 1);
        }
    }
}

/* --- admission ----------------------------------------------------------------------------- */

static int s_kind_check(gw_req_t *req, const kube_kind_t *kind, json_t *obj)
{
    char av[128];
    gw_api_version(kind, av, sizeof av);
    const char *k = json_string_value(json_object_get(obj, "kind"));
    const char *v = json_string_value(json_object_get(obj, "apiVersion"));
    if (!k || !*k) {
        gw_fail(req, 400, "BadRequest", NULL, "Object 'Kind' is missing in the request body");
        return -1;
    }
    if (strcmp(k, kind->kind) || (v && strcmp(v, av))) {
        gw_fail(req, 400, "BadRequest", NULL,
                "the API version in the data (%s) does not match the expected API version (%s)"
                " or the kind (%s) does not match %s",
                v ? v : "", av, k, kind->kind);
        return -1;
    }
    json_object_set_new(obj, "apiVersion", json_string(av));
    return 0;
}

static int s_namespace(gw_req_t *req, const kube_kind_t *kind, json_t *meta, const char *ns)
{
    const char *given = json_string_value(json_object_get(meta, "namespace"));
    if (!kind->namespaced) {
        json_object_del(meta, "namespace");
        return 0;
    }
    if (given && *given && strcmp(given, ns)) {
        gw_fail(req, 400, "BadRequest", NULL,
                "the namespace of the provided object does not match the namespace sent on the "
                "request");
        return -1;
    }
    json_object_set_new(meta, "namespace", json_string(ns));
    return 0;
}

/* How kube-apiserver validates each kind's names. */
static kube_name_rule_t s_name_rule(const kube_kind_t *kind)
{
    static const char *const segments[] = {"roles", "rolebindings", "clusterroles",
                                           "clusterrolebindings", NULL};
    if (!strcmp(kind->plural, "namespaces")) return KUBE_NAME_DNS1123_LABEL;
    if (!strcmp(kind->plural, "services")) return KUBE_NAME_DNS1035_LABEL;
    for (int i = 0; segments[i]; i++)
        if (!strcmp(kind->plural, segments[i])) return KUBE_NAME_PATH_SEGMENT;
    return KUBE_NAME_DNS1123_SUBDOMAIN;
}

/* generateName becomes a name before validation, as in kube-apiserver. */
static void s_generate_name(json_t *meta)
{
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    if ((!name || !*name) && gen && *gen) {
        char full[GW_NAME_MAX + 1];
        kube_generate_name(gen, full, sizeof full);
        json_object_set_new(meta, "name", json_string(full));
    }
}

/* fieldValidation=Warn: one Warning header per unknown field, as kube-apiserver sends. */
static void s_warn_unknown(gw_req_t *req, s_check_t *c)
{
    if (!req->warnings) req->warnings = json_array();
    for (int i = 0; i < c->unknown_n; i++) {
        char text[400];
        snprintf(text, sizeof text, "unknown field \"%s\"", c->unknown[i]);
        json_array_append_new(req->warnings, json_string(text));
    }
}

/* What kube-apiserver's registry strategies set that no schema default expresses. */
static void s_strategy(const kube_kind_t *kind, json_t *obj, bool create)
{
    json_t *meta = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!strcmp(kind->plural, "namespaces") && !*kind->group) {
        json_t *labels = json_object_get(meta, "labels");
        if (!json_is_object(labels)) {
            labels = json_object();
            json_object_set_new(meta, "labels", labels);
        }
        if (name) json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
        if (create) {
            json_object_set_new(obj, "spec", json_pack("{s:[s]}", "finalizers", "kubernetes"));
            json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
        }
    } else if (!strcmp(kind->plural, "pods") && !*kind->group && create) {
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
    } else if (!strcmp(kind->plural, "jobs") && !strcmp(kind->group, "batch") && create) {
        json_t *labels = json_object_get(meta, "labels");
        json_t *tl = json_object_get(
            json_object_get(json_object_get(json_object_get(obj, "spec"), "template"), "metadata"),
            "labels");
        if (!json_object_size(labels) && json_object_size(tl))
            json_object_set_new(meta, "labels", json_deep_copy(tl));
    }
}

/* Answers 422 with *errs when it holds any (-1), and destroys it. */
static int s_invalid(gw_req_t *req, const kube_kind_t *kind, const json_t *meta, kube_errs_t **errs)
{
    int rc = 0;
    if (kube_errs_count(*errs)) {
        const char *name = json_string_value(json_object_get(meta, "name"));
        gw_fail_invalid(req, kind->kind, kind->group, name ? name : "", *errs);
        rc = -1;
    }
    kube_errs_destroy(errs);
    return rc;
}

int gw_object_admit(gw_req_t *req, const kube_kind_t *kind, json_t *obj, const char *ns,
                    bool create)
{
    if (s_kind_check(req, kind, obj)) return -1;
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(obj, "metadata", meta);
    }
    s_check_t c = {.mode = gw_query(req, "fieldValidation")};
    if (!c.mode || !*c.mode) c.mode = "Warn";
    s_walk(&c, kind->type, obj, "", 0);
    if (c.type_err[0]) {
        gw_fail(req, 400, "BadRequest", NULL, "%s in version \"%s\" cannot be handled as a %s: %s",
                kind->kind, kind->version, kind->kind, c.type_err);
        return -1;
    }
    if (c.unknown_n && !strcmp(c.mode, "Strict")) {
        char list[4096] = "";
        size_t off = 0;
        for (int i = 0; i < c.unknown_n && off < sizeof list; i++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%sunknown field \"%s\"",
                                    i ? ", " : "", c.unknown[i]);
        gw_fail(req, 400, "BadRequest", NULL,
                "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
                kind->kind, kind->version, kind->kind, list);
        return -1;
    }
    if (s_namespace(req, kind, meta, ns)) return -1;
    if (create) s_generate_name(meta);
    kube_errs_t *errs = kube_errs_new();
    kube_validate_meta(errs, meta, kind->namespaced, s_name_rule(kind));
    if (s_invalid(req, kind, meta, &errs)) return -1;
    s_defaults(kind->type, obj, obj, 0);
    s_strategy(kind, obj, create);
    errs = kube_errs_new();
    s_required(errs, kind->type, obj, "", 0);
    if (s_invalid(req, kind, meta, &errs)) return -1;
    if (c.unknown_n && !strcmp(c.mode, "Warn")) s_warn_unknown(req, &c);
    return 0;
}

void gw_fail_invalid(gw_req_t *req, const char *kind, const char *group, const char *name,
                     const kube_errs_t *errs)
{
    char qualified[256];
    snprintf(qualified, sizeof qualified, "%s%s%s", kind, *group ? "." : "", group);
    char *summary = kube_errs_summary(errs, qualified, name);
    json_t *causes = json_array();
    for (size_t i = 0; i < kube_errs_count(errs); i++)
        json_array_append_new(
            causes, json_pack("{s:s, s:s, s:s}", "reason", kube_errs_reason(errs, i), "message",
                              kube_errs_message(errs, i), "field", kube_errs_field(errs, i)));
    json_t *details = json_pack("{s:s, s:s, s:o}", "name", name, "kind", kind, "causes", causes);
    if (*group) json_object_set_new(details, "group", json_string(group));
    gw_fail(req, 422, "Invalid", details, "%s", summary);
    free(summary);
}

void gw_object_key(const kube_kind_t *kind, const char *ns, const char *name, char *out,
                   size_t outlen)
{
    if (kind->namespaced && *ns)
        snprintf(out, outlen, "/registry/%s/%s/%s", kind->plural, ns, name);
    else
        snprintf(out, outlen, "/registry/%s/%s", kind->plural, name);
}

json_t *gw_object_load(const kube_kind_t *kind, const store_kv_t *kv)
{
    char err[128];
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    if (gw_unseal(kv->value.data, kv->value.len, &plain, &plain_len) < 0) {
        log_info("gateway.seal", "key=%s detail=\"a sealed value does not open\"", kv->key);
        return NULL;
    }
    json_t *obj = plain ? kube_obj_decode(plain, plain_len, err, sizeof err)
                        : kube_obj_decode(kv->value.data, kv->value.len, err, sizeof err);
    if (plain) {
        sodium_memzero(plain, plain_len);
        free(plain);
    }
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    char rv[32], av[128];
    snprintf(rv, sizeof rv, "%" PRIu64, kv->mod_revision);
    json_t *meta = json_object_get(obj, "metadata");
    if (meta) json_object_set_new(meta, "resourceVersion", json_string(rv));
    json_object_set_new(obj, "apiVersion", json_string(gw_api_version(kind, av, sizeof av)));
    json_object_set_new(obj, "kind", json_string(kind->kind));
    return obj;
}

/* A field selector's value: a dotted path into the object (metadata.name, status.phase,
 * involvedObject.uid...); booleans and integers as text, as kube-apiserver's field sets have
 * them. */
const char *gw_field_get(void *arg, const char *key)
{
    gw_field_ctx_t *c = arg;
    const json_t *v = c->obj;
    char path[256];
    snprintf(path, sizeof path, "%s", key);
    for (char *save, *p = strtok_r(path, ".", &save); p && v; p = strtok_r(NULL, ".", &save))
        v = json_object_get(v, p);
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
    if (json_is_integer(v)) {
        snprintf(c->buf, sizeof c->buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return c->buf;
    }
    return NULL;
}
