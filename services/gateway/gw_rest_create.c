/* gw_rest_create: create, as kube-apiserver's generic registry does it: NamespaceLifecycle and
 * ServiceAccount admission (from the store when the gateway has not heard of the account yet),
 * what the server sets on a new object, a namespace made with what every namespace has, and a
 * Service with the addresses it gets (gw_alloc), all in one transaction under "absent". A create
 * that lost names what it lost to: the object (409 AlreadyExists) or an address the client
 * chose (422); one lost to a race for an address chosen here is tried again. */
#include "gw_rest_impl.h"

#include "gw_sa.h"
#include "kube_obj.h"
#include "kube_valid.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tries of a create whose addresses chosen here were taken meanwhile. */
#define S_CREATE_ATTEMPTS 16

static void s_create_go(gw_req_t *req, gw_op_t *op);

/* A write that claimed addresses lost. A create may have lost to the object itself (409
 * AlreadyExists), or either to an address the client chose that another holds (422); otherwise
 * it lost to a concurrent write (an update: redone on a new read, op->reread) or to a race
 * for an address chosen here (a create: tried again with others). */
static void s_claim_probed(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    const char *name =
        json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
    int i = op->probe;
    if (r->kvs.n && i < 0) {
        char res[128];
        gw_resource_name(op->t.kind, res, sizeof res);
        gw_fail(req, 409, "AlreadyExists", gw_op_details(&op->t, name), "%s \"%s\" already exists",
                res, name);
        return;
    }
    if (r->kvs.n) {
        kube_errs_t *errs = kube_errs_new();
        bool ip = !strcmp(op->alloc->field[i], "spec.clusterIPs");
        kube_errs_add(errs, "FieldValueInvalid", op->alloc->field[i],
                      "Invalid value: %s: provided %s is already allocated", op->alloc->shown[i],
                      ip ? "IP" : "port");
        gw_fail_invalid(req, op->t.kind->kind, op->t.kind->group, name ? name : "", errs);
        kube_errs_destroy(&errs);
        return;
    }
    gw_op_claims_probe(req, op, i + 1);
}

void gw_op_claims_probe(gw_req_t *req, gw_op_t *op, int from)
{
    int i = from;
    while (i >= 0 && i < op->alloc->n && !op->alloc->field[i][0]) i++;
    if (i >= op->alloc->n && op->reread) {
        gw_op_lost(req, op, op->reread); /* none taken: a concurrent write */
        return;
    }
    if (i >= op->alloc->n) {
        if (++op->attempts >= S_CREATE_ATTEMPTS) {
            gw_fail(req, 503, "ServiceUnavailable", NULL, "no free address was found");
            return;
        }
        json_decref(op->obj); /* taken meanwhile by another: again, from the object as asked */
        op->obj = json_deep_copy(op->unallocated);
        s_create_go(req, op);
        return;
    }
    op->probe = i;
    store_range_request_t q = {.key = i < 0 ? op->key : op->alloc->keys[i]};
    gw_store_call(req, &store_range_request_desc, &q, s_claim_probed);
}

static void s_written(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_txn_reply_t *r;
    if (gw_op_decode(req, in, &store_txn_reply_desc, (void **)&r)) return;
    const char *name =
        json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
    if (!r->succeeded && op->alloc && op->alloc->n) {
        op->reread = NULL;
        gw_op_claims_probe(req, op, -1);
        return;
    }
    if (!r->succeeded) {
        char res[128];
        gw_resource_name(op->t.kind, res, sizeof res);
        gw_fail(req, 409, "AlreadyExists", gw_op_details(&op->t, name), "%s \"%s\" already exists",
                res, name);
        return;
    }
    gw_op_set_rv(op->obj, r->revision);
    json_t *obj = op->obj;
    op->obj = NULL;
    gw_op_send_object(req, 201, obj);
}

/* A new namespace comes with what every namespace has (gw_sa_namespace_objects), in the same
 * transaction: a pod made right after it finds its default ServiceAccount. */
static void s_write_namespace(gw_req_t *req, gw_op_t *op, const char *name)
{
    json_t *objs = gw_sa_namespace_objects(name);
    json_array_insert(objs, 0, op->obj);
    json_object_del(json_object_get(op->obj, "metadata"), "resourceVersion");
    size_t n = json_array_size(objs);
    store_op_t puts[4];
    bus_buf_t bufs[4];
    char keys[4][600];
    assert(n <= 4);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(objs, i);
        json_t *m = json_object_get(o, "metadata");
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (i == 0)
            snprintf(keys[i], sizeof keys[i], "%s", op->key);
        else
            snprintf(keys[i], sizeof keys[i], "/registry/%s/%s/%s",
                     !strcmp(kind, "ServiceAccount") ? "serviceaccounts" : "configmaps", name,
                     json_string_value(json_object_get(m, "name")));
        bus_buf_init(&bufs[i], 1u << 24);
        rc |= kube_obj_encode(o, &bufs[i]);
        puts[i] = (store_op_t){.type = STORE_OP_TYPE_PUT,
                               .key = keys[i],
                               .value = {.data = bufs[i].data, .len = bufs[i].len}};
    }
    if (rc) {
        gw_fail(req, 413, "RequestEntityTooLarge", NULL, "the object is too large");
    } else {
        store_compare_t cmp = {
            .key = op->key, .target = STORE_COMPARE_TARGET_CREATE, .op = STORE_COMPARE_OP_EQ};
        store_txn_request_t txn = {.compares = {1, &cmp}, .success = {n, puts}};
        gw_store_call(req, &store_txn_request_desc, &txn, s_written);
    }
    for (size_t i = 0; i < n; i++) bus_buf_free(&bufs[i]);
    json_decref(objs);
}

static void s_create_go(gw_req_t *req, gw_op_t *op)
{
    gw_op_stamp_new(op->t.kind, op->obj);
    const char *name =
        json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
    gw_object_key(op->t.kind, op->t.ns, name, op->key, sizeof op->key);
    if (gw_alloc_wanted(op->t.kind)) {
        if (!op->unallocated) op->unallocated = json_deep_copy(op->obj);
        if (gw_alloc_service(req, op, NULL, gw_op_alloc(op))) return;
    }
    if (op->dry_run) {
        json_t *obj = op->obj;
        op->obj = NULL;
        gw_op_send_object(req, 201, obj);
        return;
    }
    if (!*op->t.kind->group && !strcmp(op->t.kind->plural, "namespaces")) {
        s_write_namespace(req, op, name);
        return;
    }
    gw_op_write_obj(req, op, op->key, 0, true, s_written);
}

/* NamespaceLifecycle: objects go only into namespaces that exist and are not ending. */
static void s_ns_reply(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    if (!r->kvs.n) {
        gw_fail(req, 404, "NotFound",
                json_pack("{s:s, s:s}", "name", op->t.ns, "kind", "namespaces"),
                "namespaces \"%s\" not found", op->t.ns);
        return;
    }
    const kube_kind_t *nsk = gw_kind_by_plural("", "v1", "namespaces");
    json_t *ns = nsk ? gw_object_load(nsk, &((store_kv_t *)r->kvs.v)[0]) : NULL;
    bool ending = json_object_get(json_object_get(ns, "metadata"), "deletionTimestamp") != NULL;
    json_decref(ns);
    if (ending && op->verb == S_CREATE) {
        const char *name =
            json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
        char res[128];
        gw_resource_name(op->t.kind, res, sizeof res);
        gw_fail(req, 403, "Forbidden", gw_op_details(&op->t, name ? name : ""),
                "%s \"%s\" is forbidden: unable to create new content in namespace %s "
                "because it is being terminated",
                res, name ? name : "", op->t.ns);
        return;
    }
    gw_op_create_admitted(req, op);
}

/* ServiceAccount admission, when the account was not among those known: the store says. */
static void s_account_reply(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    const char *account = gw_sa_pod_account(op->obj);
    const kube_kind_t *sak = gw_kind_by_plural("", "v1", "serviceaccounts");
    json_t *sa = r->kvs.n && sak ? gw_object_load(sak, &((store_kv_t *)r->kvs.v)[0]) : NULL;
    if (!sa) {
        const char *name =
            json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
        gw_fail(req, 403, "Forbidden", gw_op_details(&op->t, name ? name : ""),
                "pods \"%s\" is forbidden: error looking up service account %s/%s: "
                "serviceaccount \"%s\" not found",
                name ? name : "", op->t.ns, account, account);
        return;
    }
    json_t *am = json_object_get(sa, "automountServiceAccountToken");
    gw_sa_pod_mount(op->obj, json_is_boolean(am) ? json_is_true(am) : -1);
    json_decref(sa);
    s_create_go(req, op);
}

/* After NamespaceLifecycle, ServiceAccount admission for a pod: from the accounts known, else
 * from the store (one made a moment ago may not have reached this gateway yet). */
void gw_op_create_admitted(gw_req_t *req, gw_op_t *op)
{
    if (!*op->t.kind->group && !strcmp(op->t.kind->plural, "pods")) {
        const char *account = gw_sa_pod_account(op->obj);
        int automount;
        if (!gw_sa_lookup(op->t.ns, account, &automount)) {
            char key[600];
            snprintf(key, sizeof key, "/registry/serviceaccounts/%s/%s", op->t.ns, account);
            store_range_request_t q = {.key = key};
            gw_store_call(req, &store_range_request_desc, &q, s_account_reply);
            return;
        }
        gw_sa_pod_mount(op->obj, automount);
    }
    s_create_go(req, op);
}

void gw_rest_create(gw_req_t *req, gw_op_t *op)
{
    if (!(op->obj = gw_object_decode(req))) return;
    /* A new object's status is the system's to write (nodes report their own). */
    if (gw_op_has_status(op->t.kind) && strcmp(op->t.kind->plural, "nodes"))
        json_object_del(op->obj, "status");
    if (gw_object_admit(req, op->t.kind, op->obj, op->t.ns, true)) return;
    if (!op->t.kind->namespaced) {
        s_create_go(req, op);
        return;
    }
    char nskey[300];
    const kube_kind_t *nsk = gw_kind_by_plural("", "v1", "namespaces");
    gw_object_key(nsk, "", op->t.ns, nskey, sizeof nskey);
    store_range_request_t q = {.key = nskey};
    gw_store_call(req, &store_range_request_desc, &q, s_ns_reply);
}
