/* gw_rest_sub: the status subresource (only it changes status), scale (spec.replicas as an
 * autoscaling/v1 Scale), pods/binding (spec.nodeName, once), namespaces/finalize (its
 * spec.finalizers), the subresources a node agent serves (503 until one does), and the namespaces
 * every cluster has. */
#include "gw_rest_impl.h"

#include "bus_err.h"
#include "gw_sa.h"
#include "bus_log.h"
#include "kube_obj.h"
#include "kube_select.h"
#include "kube_time.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- subresources: status, scale, binding ------------------------------------------------- */

/* The Scale (autoscaling/v1) of a deployment, replica set or stateful set. */
static json_t *s_scale_of(const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    json_t *m = json_object();
    static const char *const keep[] = {
        "name", "namespace", "uid", "resourceVersion", "creationTimestamp", NULL};
    for (int i = 0; keep[i]; i++) {
        json_t *v = json_object_get(meta, keep[i]);
        if (v) json_object_set(m, keep[i], v);
    }
    const json_t *spec = json_object_get(obj, "spec");
    json_int_t want = json_is_integer(json_object_get(spec, "replicas"))
                          ? json_integer_value(json_object_get(spec, "replicas"))
                          : 1;
    json_int_t have =
        json_integer_value(json_object_get(json_object_get(obj, "status"), "replicas"));
    char err[256];
    /* A ReplicationController's selector is a plain map (matchLabels, in effect). */
    const json_t *s = json_object_get(spec, "selector");
    json_t *wrapped = json_is_object(s) && !json_object_get(s, "matchLabels") &&
                              !json_object_get(s, "matchExpressions") && json_object_size(s)
                          ? json_pack("{s:O}", "matchLabels", s)
                          : NULL;
    kube_labels_t *sel = kube_labels_from_selector(wrapped ? wrapped : s, err, sizeof err);
    json_decref(wrapped);
    char *text = sel ? kube_labels_string(sel) : NULL;
    json_t *scale = json_pack("{s:s, s:s, s:o, s:{s:I}, s:{s:I, s:s}}", "kind", "Scale",
                              "apiVersion", "autoscaling/v1", "metadata", m, "spec", "replicas",
                              want, "status", "replicas", have, "selector", text ? text : "");
    free(text);
    kube_labels_destroy(&sel);
    return scale;
}

static void s_sub_read(gw_req_t *req, bus_in_t *in);

/* The answer of a write to a subresource: op->obj at revision rev, as the subresource shows it. */
static void s_sub_answer(gw_req_t *req, gw_op_t *op, uint64_t rev)
{
    gw_op_set_rv(op->obj, rev);
    if (!strcmp(op->t.sub, "binding")) {
        gw_respond_json(req, 201,
                        json_pack("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion",
                                  "v1", "metadata", "status", "Success", "code", 201));
        return;
    }
    if (!strcmp(op->t.sub, "scale")) {
        gw_respond_json(req, 200, s_scale_of(op->obj));
        return;
    }
    json_t *obj = op->obj;
    op->obj = NULL;
    gw_op_send_object(req, 200, obj);
}

/* Someone wrote in between: the change is made again on what is there now (a resourceVersion
 * the body names is then checked against that). */
static void s_sub_written(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_txn_reply_t *r;
    if (gw_op_decode(req, in, &store_txn_reply_desc, (void **)&r)) return;
    if (!r->succeeded) {
        gw_op_lost(req, op, s_sub_read);
        return;
    }
    s_sub_answer(req, op, r->revision);
}

/* The body as the subresource's object (Scale, Binding or the kind itself), for PUT and POST;
 * for PATCH, the patched subresource view of the current object. */
static json_t *s_sub_input(gw_req_t *req, gw_op_t *op)
{
    if (strcmp(req->method, "PATCH")) return gw_object_decode(req);
    json_t *view = !strcmp(op->t.sub, "scale") ? s_scale_of(op->cur) : json_incref(op->cur);
    json_t *saved = op->cur, *out = NULL;
    op->cur = view;
    int rc = gw_op_patch_apply(req, op, &out);
    op->cur = saved;
    json_decref(view);
    return rc ? NULL : out;
}

/* A precondition the body names (metadata.resourceVersion) must hold. */
static bool s_sub_rv_ok(gw_op_t *op, const json_t *in)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(in, "metadata"), "resourceVersion"));
    char cur[32];
    snprintf(cur, sizeof cur, "%" PRIu64, op->cur_mod);
    return !rv || !*rv || !strcmp(rv, cur);
}

static void s_sub_read(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (gw_op_take_current(req, in, false)) return;
    const char *sub = op->t.sub;
    if (!strcmp(req->method, "GET")) {
        if (!strcmp(sub, "scale")) {
            gw_respond_json(req, 200, s_scale_of(op->cur));
            return;
        }
        json_t *obj = op->cur;
        op->cur = NULL;
        gw_op_send_object(req, 200, obj);
        return;
    }
    json_t *body = s_sub_input(req, op);
    if (!body) return;
    if (strcmp(req->method, "PATCH") && !s_sub_rv_ok(op, body)) {
        json_decref(body);
        gw_op_conflict(req, &op->t, op->t.name);
        return;
    }
    json_decref(op->obj);
    op->obj = json_deep_copy(op->cur);
    json_object_del(json_object_get(op->obj, "metadata"), "resourceVersion");
    if (!strcmp(sub, "status")) {
        json_t *st = json_object_get(body, "status");
        if (st)
            json_object_set(op->obj, "status", st);
        else
            json_object_del(op->obj, "status");
    } else if (!strcmp(sub, "scale")) {
        json_t *n = json_object_get(json_object_get(body, "spec"), "replicas");
        if (!json_is_integer(n) || json_integer_value(n) < 0) {
            json_decref(body);
            gw_fail(req, 422, "Invalid", NULL,
                    "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid value: must be "
                    "greater than or equal to 0",
                    op->t.name);
            return;
        }
        json_t *spec = json_object_get(op->obj, "spec");
        json_object_set(spec, "replicas", n);
        gw_op_carry_over(op);
    } else if (!strcmp(sub, "finalize")) {
        /* A namespace's spec.finalizers, and nothing else, from the body. */
        json_t *fins = json_object_get(json_object_get(body, "spec"), "finalizers");
        json_t *spec = json_object_get(op->obj, "spec");
        if (!json_is_object(spec)) json_object_set_new(op->obj, "spec", spec = json_object());
        if (json_array_size(fins))
            json_object_set(spec, "finalizers", fins);
        else
            json_object_del(spec, "finalizers");
    } else { /* binding */
        const char *node =
            json_string_value(json_object_get(json_object_get(body, "target"), "name"));
        json_t *spec = json_object_get(op->obj, "spec");
        const char *have = json_string_value(json_object_get(spec, "nodeName"));
        if (!node || !*node) {
            json_decref(body);
            gw_fail(req, 422, "Invalid", NULL,
                    "Binding \"%s\" is invalid: target.name: Required "
                    "value",
                    op->t.name);
            return;
        }
        if (have && *have) {
            json_decref(body);
            gw_fail(req, 409, "Conflict", gw_op_details(&op->t, op->t.name),
                    "Operation cannot be fulfilled on pods/binding \"%s\": pod %s is already "
                    "assigned to node \"%s\"",
                    op->t.name, op->t.name, have);
            return;
        }
        json_object_set_new(spec, "nodeName", json_string(node));
    }
    json_decref(body);
    if (op->dry_run || gw_op_unchanged(op)) {
        s_sub_answer(req, op, op->cur_mod); /* nothing written */
        return;
    }
    gw_op_write_obj(req, op, op->key, op->cur_mod, false, s_sub_written);
}

void gw_rest_subresource(gw_req_t *req, const gw_target_t *t)
{
    const char *m = req->method, *sub = t->sub;
    bool ok = (!strcmp(sub, "status") || !strcmp(sub, "scale"))
                  ? (!strcmp(m, "GET") || !strcmp(m, "PUT") || !strcmp(m, "PATCH"))
              : !strcmp(sub, "binding")  ? !strcmp(m, "POST")
              : !strcmp(sub, "finalize") ? !strcmp(m, "PUT")
                                         : false;
    if (!strcmp(sub, "token") && !strcmp(t->kind->plural, "serviceaccounts")) {
        gw_sa_token_request(req, t);
        return;
    }
    if (!strcmp(sub, "log") || !strcmp(sub, "exec") || !strcmp(sub, "attach") ||
        !strcmp(sub, "portforward") || !strcmp(sub, "eviction")) {
        gw_fail(req, 503, "ServiceUnavailable", NULL,
                "%s/%s is not served: no node agent answers it in this cluster", t->kind->plural,
                sub);
        return;
    }
    if (!ok) {
        gw_op_method_not_allowed(req);
        return;
    }
    gw_op_t *op = gw_op_new(req, t, S_UPDATE);
    gw_object_key(t->kind, t->ns, t->name, op->key, sizeof op->key);
    if (!strcmp(m, "GET"))
        gw_op_read_then(req, op, s_sub_read);
    else
        gw_op_read_for_update(req, op, s_sub_read, s_sub_read);
}

/* --- the namespaces every cluster has ------------------------------------------------------ */

static const char *const s_system_ns[] = {"default", "kube-system", "kube-public",
                                          "kube-node-lease"};

static gw_t *s_gw; /* one gateway per process */

static void s_bootstrap_one(bus_service_t *svc, void *arg);

/* Unit i of the bootstrap: namespace i / 3, and then its default ServiceAccount and its
 * kube-root-ca.crt ConfigMap. */
#define S_BOOT_UNITS 3

static void s_bootstrap_reply(bus_service_t *svc, bus_in_t *in, void *arg)
{
    if (in->env->status) {
        /* The store may not have a leader yet: try again shortly. */
        log_debug("gateway.bootstrap", "namespace=%s error=\"%s\"",
                  s_system_ns[(intptr_t)arg / S_BOOT_UNITS], in->env->error ? in->env->error : "");
        bus_service_after(svc, 500, s_bootstrap_one, arg, NULL);
    }
}

static void s_bootstrap_one(bus_service_t *svc, void *arg)
{
    intptr_t unit = (intptr_t)arg;
    const char *name = s_system_ns[unit / S_BOOT_UNITS];
    json_t *obj = NULL;
    char key[300];
    if (unit % S_BOOT_UNITS == 0) {
        const kube_kind_t *nsk = gw_kind_by_plural("", "v1", "namespaces");
        obj = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[s]}, s:{s:s}}", "apiVersion", "v1",
                        "kind", "Namespace", "metadata", "name", name, "labels",
                        "kubernetes.io/metadata.name", name, "spec", "finalizers", "kubernetes",
                        "status", "phase", "Active");
        gw_op_stamp_new(nsk, obj);
        gw_object_key(nsk, "", name, key, sizeof key);
    } else {
        json_t *objs = gw_sa_namespace_objects(name);
        obj = json_incref(json_array_get(objs, (size_t)(unit % S_BOOT_UNITS) - 1));
        json_decref(objs);
        if (!obj) return; /* no CA to publish */
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        const char *oname =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
        snprintf(key, sizeof key, "/registry/%s/%s/%s",
                 !strcmp(kind, "ServiceAccount") ? "serviceaccounts" : "configmaps", name, oname);
    }
    char err[256];
    int rc = gw_store_create_absent(s_gw, key, obj, s_bootstrap_reply, arg, err, sizeof err);
    json_decref(obj);
    if (rc) {
        log_debug("gateway.bootstrap", "namespace=%s error=\"%s\"", name, err);
        bus_service_after(svc, 500, s_bootstrap_one, arg, NULL);
    }
}

/* Creates default, kube-system, kube-public and kube-node-lease where absent (each put guarded
 * by the key's absence), as kube-apiserver's bootstrap controller does, each with its default
 * ServiceAccount and kube-root-ca.crt; a failed one is tried again until the store answers. */
void gw_rest_bootstrap(gw_t *gw)
{
    s_gw = gw;
    for (intptr_t i = 0; i < 4 * S_BOOT_UNITS; i++) s_bootstrap_one(gw->svc, (void *)i);
}
