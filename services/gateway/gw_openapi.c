/* gw_openapi: the OpenAPI v3 documents, made once at start from the kind tables. The root lists
 * one document per group version with a content hash in its URL (kubectl caches by it); each
 * document holds the paths of that group version's kinds (kubectl's validation looks for a PATCH
 * with x-kubernetes-group-version-kind and a fieldValidation parameter) and the schemas of every
 * type they reach, with descriptions, defaults, enums and patch metadata (for explain and for
 * kubectl's strategic merge patches). */
#include "gw.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_schema_name(const kube_type_t *t, char *out, size_t outlen)
{
    snprintf(out, outlen, "io.kubus.v1.%s", t->name);
}

static void s_collect(const kube_type_t *t, json_t *seen);

static json_t *s_ref(const kube_type_t *t, json_t *seen)
{
    char name[160], ref[200];
    s_schema_name(t, name, sizeof name);
    snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
    s_collect(t, seen);
    return json_pack("{s:[{s:s}]}", "allOf", "$ref", ref);
}

static json_t *s_scalar(int type)
{
    switch (type) {
    case KUBE_T_STRING: return json_pack("{s:s}", "type", "string");
    case KUBE_T_INT32: return json_pack("{s:s, s:s}", "type", "integer", "format", "int32");
    case KUBE_T_INT64: return json_pack("{s:s, s:s}", "type", "integer", "format", "int64");
    case KUBE_T_NUMBER: return json_pack("{s:s, s:s}", "type", "number", "format", "double");
    case KUBE_T_BOOL: return json_pack("{s:s}", "type", "boolean");
    case KUBE_T_TIME: return json_pack("{s:s, s:s}", "type", "string", "format", "date-time");
    case KUBE_T_BYTES: return json_pack("{s:s, s:s}", "type", "string", "format", "byte");
    case KUBE_T_QUANTITY:
    case KUBE_T_INTSTR:
        return json_pack("{s:[{s:s}, {s:s}], s:b}", "anyOf", "type", "integer", "type", "string",
                         "x-kubernetes-int-or-string", true);
    default:
        return json_pack("{s:s, s:b}", "type", "object", "x-kubernetes-preserve-unknown-fields",
                         true);
    }
}

static json_t *s_field(const kube_field_t *f, json_t *seen)
{
    json_t *s;
    if (f->type == KUBE_T_LIST || f->type == KUBE_T_MAP) {
        json_t *elem = f->ref ? s_ref(f->ref, seen) : s_scalar(f->elem);
        if (f->type == KUBE_T_LIST)
            s = json_pack("{s:s, s:o}", "type", "array", "items", elem);
        else
            s = json_pack("{s:s, s:o}", "type", "object", "additionalProperties", elem);
    } else if (f->type == KUBE_T_REF) {
        s = s_ref(f->ref, seen);
    } else {
        s = s_scalar(f->type);
    }
    if (f->doc && *f->doc) json_object_set_new(s, "description", json_string(f->doc));
    if (f->default_json) {
        json_t *d = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
        if (d) json_object_set_new(s, "default", d);
    }
    if (f->enums) {
        json_t *e = json_array();
        for (const char *const *v = f->enums; *v; v++) json_array_append_new(e, json_string(*v));
        json_object_set_new(s, "enum", e);
    }
    if (f->merge_key)
        json_object_set_new(s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
    const char *strategy = (f->flags & KUBE_F_PATCH_MERGE) && (f->flags & KUBE_F_RETAIN_KEYS)
                               ? "merge,retainKeys"
                           : (f->flags & KUBE_F_PATCH_MERGE) ? "merge"
                           : (f->flags & KUBE_F_RETAIN_KEYS) ? "retainKeys"
                                                             : NULL;
    if (strategy) json_object_set_new(s, "x-kubernetes-patch-strategy", json_string(strategy));
    return s;
}

static json_t *s_type_schema(const kube_type_t *t, json_t *seen)
{
    json_t *props = json_object(), *required = json_array();
    for (size_t i = 0; i < t->fields_n; i++) {
        const kube_field_t *f = &t->fields[i];
        json_object_set_new(props, f->name, s_field(f, seen));
        if (f->flags & KUBE_F_REQUIRED) json_array_append_new(required, json_string(f->name));
    }
    json_t *s = json_pack("{s:s, s:o}", "type", "object", "properties", props);
    if (t->doc && *t->doc) json_object_set_new(s, "description", json_string(t->doc));
    if (json_array_size(required))
        json_object_set_new(s, "required", required);
    else
        json_decref(required);
    return s;
}

/* Adds t (and, through s_ref, every type it reaches) to seen: name -> schema. */
static void s_collect(const kube_type_t *t, json_t *seen)
{
    char name[160];
    s_schema_name(t, name, sizeof name);
    if (json_object_get(seen, name)) return;
    json_object_set_new(seen, name, json_null()); /* a placeholder stops recursion */
    json_object_set_new(seen, name, s_type_schema(t, seen));
}

static json_t *s_params(bool patch)
{
    json_t *p = json_pack("[{s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:s}}]", "name", "dryRun", "in",
                          "query", "schema", "type", "string", "name", "fieldManager", "in",
                          "query", "schema", "type", "string");
    json_array_append_new(p, json_pack("{s:s, s:s, s:{s:s}}", "name", "fieldValidation", "in",
                                       "query", "schema", "type", "string"));
    if (patch)
        json_array_append_new(p, json_pack("{s:s, s:s, s:{s:s}}", "name", "force", "in", "query",
                                           "schema", "type", "boolean"));
    return p;
}

static void s_add_paths(json_t *paths, const kube_kind_t *k)
{
    char base[256], item[320];
    const char *prefix = *k->group ? "/apis/" : "/api/";
    snprintf(base, sizeof base, "%s%s%s%s/%s%s", prefix, k->group, *k->group ? "/" : "", k->version,
             k->namespaced ? "namespaces/{namespace}/" : "", k->plural);
    snprintf(item, sizeof item, "%s/{name}", base);
    json_t *gvk =
        json_pack("{s:s, s:s, s:s}", "group", k->group, "version", k->version, "kind", k->kind);
    char op[200];
    snprintf(op, sizeof op, "patch%s", k->kind);
    json_object_set_new(
        paths, item,
        json_pack("{s:{s:s, s:O, s:s}, s:{s:s, s:O, s:o}, s:{s:s, s:O, s:o}, s:{s:s, s:O}}", "get",
                  "operationId", "read", "x-kubernetes-group-version-kind", gvk,
                  "x-kubernetes-action", "get", "put", "operationId", "replace",
                  "x-kubernetes-group-version-kind", gvk, "parameters", s_params(false), "patch",
                  "operationId", op, "x-kubernetes-group-version-kind", gvk, "parameters",
                  s_params(true), "delete", "operationId", "delete",
                  "x-kubernetes-group-version-kind", gvk));
    json_object_set_new(paths, base,
                        json_pack("{s:{s:s, s:O}, s:{s:s, s:O, s:o}}", "get", "operationId", "list",
                                  "x-kubernetes-group-version-kind", gvk, "post", "operationId",
                                  "create", "x-kubernetes-group-version-kind", gvk, "parameters",
                                  s_params(false)));
    json_decref(gvk);
}

int gw_openapi_init(gw_t *gw, char *err, size_t errlen)
{
    gw->openapi_docs = json_object();
    json_t *root_paths = json_object();
    for (size_t i = 0; i < kube_kinds_n; i++) {
        const kube_kind_t *k = &kube_kinds[i];
        if (k->subresource_only) continue;
        char gv[160];
        snprintf(gv, sizeof gv, "%s%s%s%s", *k->group ? "apis/" : "api/", k->group,
                 *k->group ? "/" : "", k->version);
        json_t *doc = json_object_get(gw->openapi_docs, gv);
        if (!doc) {
            doc = json_pack("{s:s, s:{s:s, s:s}, s:{}, s:{s:{}}}", "openapi", "3.0.0", "info",
                            "title", "Kubernetes", "version", "v1.32.0", "paths", "components",
                            "schemas");
            json_object_set_new(gw->openapi_docs, gv, doc);
        }
        s_add_paths(json_object_get(doc, "paths"), k);
        json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
        s_collect(k->type, schemas);
        char name[160];
        s_schema_name(k->type, name, sizeof name);
        json_object_set_new(json_object_get(schemas, name), "x-kubernetes-group-version-kind",
                            json_pack("[{s:s, s:s, s:s}]", "group", k->group, "version", k->version,
                                      "kind", k->kind));
    }
    const char *gv;
    json_t *doc;
    json_object_foreach(gw->openapi_docs, gv, doc)
    {
        char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        unsigned char h[16];
        crypto_generichash(h, sizeof h, (unsigned char *)text, strlen(text), NULL, 0);
        free(text);
        char hex[33], url[256];
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(url, sizeof url, "/openapi/v3/%s?hash=%s", gv, hex);
        json_object_set_new(root_paths, gv, json_pack("{s:s}", "serverRelativeURL", url));
    }
    gw->openapi_root = json_pack("{s:o}", "paths", root_paths);
    (void)err;
    (void)errlen;
    return 0;
}

void gw_openapi_handle(gw_req_t *req, const char *rest)
{
    while (*rest == '/') rest++;
    json_t *doc = *rest ? json_object_get(req->gw->openapi_docs, rest) : req->gw->openapi_root;
    if (!doc) {
        gw_fail(req, 404, "NotFound", json_object(),
                "the server could not find the requested resource");
        return;
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    gw_respond(req, 200, "application/json", text, strlen(text));
}
