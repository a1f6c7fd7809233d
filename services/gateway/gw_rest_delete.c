/* gw_rest_delete: deleting, as kube-apiserver's generic registry does it. DeleteOptions (the body,
 * or the query when there is none) bring preconditions (uid, resourceVersion), a grace period and
 * a propagation policy. An object goes at once unless something holds it:
 * - finalizers: it is only marked (deletionTimestamp now, deletionGracePeriodSeconds 0) and goes
 *   when an update removes the last one (gw_op_ends_deletion);
 * - a pod given to a node is deleted gracefully: deletionTimestamp is now + its grace period
 *   (the request's, else spec.terminationGracePeriodSeconds) and its node agent deletes it with
 *   grace 0 once its containers have stopped; a later delete may only shorten the period. A pod
 *   no node has, or one that has finished, goes at once;
 * - the propagation policy: Orphan and Foreground are finalizers ("orphan",
 *   "foregroundDeletion") for the garbage collector to honour; Background (the default) is none;
 * - a namespace is first only marked Terminating; it goes once its spec.finalizers are empty
 *   (the namespace controller empties it, then finalizes it through namespaces/NAME/finalize) and
 *   it is deleted again.
 * The read and the write compare the revision read; a write lost to a concurrent one starts over
 * from a new read, as kube-apiserver's GuaranteedUpdate does. */
#include "gw_rest_impl.h"

#include "kube_time.h"
#include "kube_valid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_POLICY_NONE, S_POLICY_ORPHAN, S_POLICY_BACKGROUND, S_POLICY_FOREGROUND };

static const char *const s_policies[] = {"Foreground", "Background", "Orphan", NULL};

static int s_policy(const char *name)
{
    return !strcmp(name, "Orphan")       ? S_POLICY_ORPHAN
           : !strcmp(name, "Background") ? S_POLICY_BACKGROUND
           : !strcmp(name, "Foreground") ? S_POLICY_FOREGROUND
                                         : -1;
}

/* A query parameter as an integer; false when absent. -1 after answering when malformed. */
static int s_query_int(gw_req_t *req, const char *key, int64_t *out)
{
    const char *v = gw_query(req, key);
    if (!v || !*v) return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end || errno) {
        gw_fail(req, 400, "BadRequest", NULL, "invalid value for %s: %s", key, v);
        return -1;
    }
    *out = n;
    return 1;
}

/* Reads DeleteOptions into op->del; -1 after answering 400 or 422. */
static int s_options(gw_req_t *req, gw_op_t *op)
{
    gw_delete_opts_t *d = &op->del;
    d->orphan = -1;
    kube_errs_t *errs = kube_errs_new();
    const char *policy = NULL;
    json_t *opts = NULL;
    if (req->body.len) {
        json_error_t jerr;
        opts = json_loadb((const char *)req->body.data, req->body.len, 0, &jerr);
        if (!json_is_object(opts)) {
            json_decref(opts);
            kube_errs_destroy(&errs);
            gw_fail(req, 400, "BadRequest", NULL, "error decoding DeleteOptions: %s",
                    jerr.text[0] ? jerr.text : "not an object");
            return -1;
        }
        json_t *v;
        if ((v = json_object_get(opts, "gracePeriodSeconds")) && !json_is_null(v)) {
            if (!json_is_integer(v))
                kube_errs_invalid(errs, "gracePeriodSeconds", "", "must be an integer");
            d->has_grace = true;
            d->grace = json_integer_value(v);
        }
        if ((v = json_object_get(opts, "orphanDependents")) && json_is_boolean(v))
            d->orphan = json_is_true(v);
        if ((v = json_object_get(opts, "propagationPolicy")) && !json_is_null(v))
            policy = json_is_string(v) ? json_string_value(v) : "";
        json_t *pre = json_object_get(opts, "preconditions");
        if ((v = json_object_get(pre, "uid")) && json_is_string(v)) {
            d->has_uid = true;
            snprintf(d->uid, sizeof d->uid, "%s", json_string_value(v));
        }
        if ((v = json_object_get(pre, "resourceVersion")) && json_is_string(v)) {
            d->has_rv = true;
            snprintf(d->rv, sizeof d->rv, "%s", json_string_value(v));
        }
        size_t i;
        json_array_foreach(json_object_get(opts, "dryRun"), i, v)
        {
            if (json_is_string(v) && !strcmp(json_string_value(v), "All"))
                op->dry_run = true;
            else
                kube_errs_not_supported(errs, "dryRun",
                                        json_is_string(v) ? json_string_value(v) : "",
                                        (const char *const[]){"All", NULL});
        }
    } else {
        int rc = s_query_int(req, "gracePeriodSeconds", &d->grace);
        if (rc < 0) {
            kube_errs_destroy(&errs);
            return -1;
        }
        d->has_grace = rc > 0;
        const char *o = gw_query(req, "orphanDependents");
        if (o && *o) d->orphan = !strcmp(o, "true") || !strcmp(o, "1");
        policy = gw_query(req, "propagationPolicy");
        if (policy && !*policy) policy = NULL;
    }
    if (policy) {
        d->policy = s_policy(policy);
        if (d->policy < 0) kube_errs_not_supported(errs, "propagationPolicy", policy, s_policies);
        if (d->orphan >= 0)
            kube_errs_invalid(errs, "propagationPolicy", policy,
                              "orphanDependents and deletionPropagation cannot be both set");
    }
    json_decref(opts); /* policy points into it */
    if (kube_errs_count(errs)) {
        gw_fail_invalid(req, "DeleteOptions", "meta.k8s.io", "", errs);
        kube_errs_destroy(&errs);
        return -1;
    }
    kube_errs_destroy(&errs);
    return 0;
}

/* The resource as kube-apiserver's precondition errors name it: Kind or Kind.group. */
static void s_conflict_pre(gw_req_t *req, gw_op_t *op, const char *what, const char *want,
                           const char *have, const char *why)
{
    char res[160];
    snprintf(res, sizeof res, "%s%s%s", op->t.kind->kind, *op->t.kind->group ? "." : "",
             op->t.kind->group);
    gw_fail(req, 409, "Conflict", gw_op_details(&op->t, op->t.name),
            "Operation cannot be fulfilled on %s \"%s\": the %s in the precondition (%s) does not "
            "match the %s in record (%s). %s",
            res, op->t.name, what, want, what, have, why);
}

static void s_deleted(gw_req_t *req, bus_in_t *in);
static void s_delete_read(gw_req_t *req, bus_in_t *in);

/* Removes the object if it is still as read, and frees what it holds (a Service's addresses). */
static void s_remove(gw_req_t *req, gw_op_t *op, gw_store_fn *fn)
{
    store_compare_t cmp = {.key = op->key,
                           .target = STORE_COMPARE_TARGET_MOD,
                           .op = STORE_COMPARE_OP_EQ,
                           .value = op->cur_mod};
    store_op_t dels[1 + GW_ALLOC_MAX] = {{.type = STORE_OP_TYPE_DELETE, .key = op->key}};
    size_t n = 1;
    if (gw_alloc_wanted(op->t.kind)) {
        gw_alloc_t *a = gw_op_alloc(op);
        gw_alloc_held(op->cur, a);
        for (int i = 0; i < a->release_n; i++)
            dels[n++] = (store_op_t){.type = STORE_OP_TYPE_DELETE, .key = a->release[i]};
    }
    store_txn_request_t txn = {.compares = {1, &cmp}, .success = {n, dels}};
    gw_store_call(req, &store_txn_request_desc, &txn, fn);
}

static void s_deleted(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_txn_reply_t *r;
    if (gw_op_decode(req, in, &store_txn_reply_desc, (void **)&r)) return;
    if (!r->succeeded) {
        gw_op_lost(req, op, s_delete_read);
        return;
    }
    const char *uid =
        json_string_value(json_object_get(json_object_get(op->cur, "metadata"), "uid"));
    json_t *details = gw_op_details(&op->t, op->t.name);
    if (uid) json_object_set_new(details, "uid", json_string(uid));
    gw_respond_json(req, 200,
                    json_pack("{s:s, s:s, s:{}, s:s, s:o}", "kind", "Status", "apiVersion", "v1",
                              "metadata", "status", "Success", "details", details));
}

/* The object as marked: 200 with it (202 when the deprecated orphanDependents=false asked for
 * cascading, as kube-apiserver answers). */
static void s_marked(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    gw_op_send_written(req, in, s_delete_read, op->del.orphan == 0 ? 202 : 200);
}

/* The finalizers the garbage collector is asked for, as deletionFinalizersForGarbageCollection
 * sets them: an explicit policy replaces "orphan" and "foregroundDeletion"; none keeps them. */
static json_t *s_gc_finalizers(const gw_delete_opts_t *d, const json_t *have)
{
    bool orphan = false, foreground = false;
    size_t i;
    json_t *f, *out = json_array();
    json_array_foreach(have, i, f)
    {
        const char *s = json_string_value(f);
        if (s && !strcmp(s, "orphan"))
            orphan = true;
        else if (s && !strcmp(s, "foregroundDeletion"))
            foreground = true;
        else
            json_array_append(out, f);
    }
    if (d->orphan >= 0) {
        orphan = d->orphan;
        foreground = false;
    } else if (d->policy != S_POLICY_NONE) {
        orphan = d->policy == S_POLICY_ORPHAN;
        foreground = d->policy == S_POLICY_FOREGROUND;
    }
    if (orphan) json_array_append_new(out, json_string("orphan"));
    if (foreground) json_array_append_new(out, json_string("foregroundDeletion"));
    return out;
}

static void s_set_deletion(json_t *meta, int64_t at, int64_t grace)
{
    char ts[32];
    kube_time_rfc3339(at, ts);
    json_object_set_new(meta, "deletionTimestamp", json_string(ts));
    json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(grace));
}

static void s_bump_generation(json_t *meta)
{
    json_int_t gen = json_integer_value(json_object_get(meta, "generation"));
    if (gen > 0) json_object_set_new(meta, "generation", json_integer(gen + 1));
}

/* What the pod's grace period is, as the pod strategy's CheckGracefulDelete decides it. */
static int64_t s_pod_grace(const gw_delete_opts_t *d, const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    int64_t period =
        d->has_grace ? d->grace
                     : json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds"));
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    if (!node || !*node) period = 0;
    if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) period = 0;
    return period < 0 ? 1 : period;
}

/* What a delete does to the object read (op->cur), as decided by s_plan. */
enum { S_ANSWERED = -1, S_AS_IS, S_REMOVE, S_WRITE };

/* Decides a delete of op->cur under op->del: S_AS_IS (nothing changes), S_REMOVE (it goes),
 * S_WRITE (op->obj is it marked, to be written), or S_ANSWERED after failing a precondition. */
static int s_plan(gw_req_t *req, gw_op_t *op)
{
    gw_delete_opts_t *d = &op->del;
    json_t *meta = json_object_get(op->cur, "metadata");
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (d->has_uid && strcmp(d->uid, uid ? uid : "")) {
        s_conflict_pre(req, op, "UID", d->uid, uid ? uid : "",
                       "The object might have been deleted and then recreated");
        return S_ANSWERED;
    }
    if (d->has_rv && strcmp(d->rv, rv ? rv : "")) {
        s_conflict_pre(req, op, "ResourceVersion", d->rv, rv ? rv : "",
                       "The object might have been modified");
        return S_ANSWERED;
    }
    int64_t grace = d->has_grace && d->grace < 0 ? 1 : d->grace; /* negative: 1 s */
    bool pod = !*op->t.kind->group && !strcmp(op->t.kind->plural, "pods");
    bool ns = !*op->t.kind->group && !strcmp(op->t.kind->plural, "namespaces");
    json_t *ts = json_object_get(meta, "deletionTimestamp");
    int64_t now = kube_time_now();

    json_decref(op->obj);
    op->obj = json_deep_copy(op->cur);
    json_t *m = json_object_get(op->obj, "metadata");
    json_object_del(m, "resourceVersion");
    if (ns && !ts) {
        /* The first delete of a namespace marks it; its content goes first. */
        s_set_deletion(m, now, 0);
        json_object_del(m, "deletionGracePeriodSeconds");
        json_object_set_new(op->obj, "status", json_pack("{s:s}", "phase", "Terminating"));
        json_object_set_new(m, "finalizers",
                            s_gc_finalizers(d, json_object_get(meta, "finalizers")));
        if (!json_array_size(json_object_get(m, "finalizers"))) json_object_del(m, "finalizers");
        return S_WRITE;
    }
    if (ns && json_array_size(json_object_get(json_object_get(op->cur, "spec"), "finalizers")))
        return S_AS_IS; /* still being emptied */
    bool graceful = false;
    int64_t period = 0;
    if (pod && ts) {
        json_t *dg = json_object_get(meta, "deletionGracePeriodSeconds");
        int64_t had = json_integer_value(dg);
        if (had > 0) {
            if (!d->has_grace || grace >= had)
                return S_AS_IS; /* only a shorter grace period changes anything */
            int64_t was = 0;
            kube_time_parse(json_string_value(ts), &was);
            graceful = true;
            period = grace;
            s_set_deletion(m, was - had + period, period);
        }
    } else if (pod) {
        graceful = true;
        gw_delete_opts_t eff = *d;
        eff.grace = grace;
        period = s_pod_grace(&eff, op->cur);
        s_set_deletion(m, now + period, period);
        s_bump_generation(m);
    }
    json_t *fins = s_gc_finalizers(d, json_object_get(meta, "finalizers"));
    bool pending = json_array_size(fins) > 0;
    if (pending)
        json_object_set(m, "finalizers", fins);
    else
        json_object_del(m, "finalizers");
    json_decref(fins);
    if (!pending && period == 0) return S_REMOVE; /* nothing holds it: it goes now */
    if (pending && !graceful) {
        /* Held by finalizers: marked as deleting (markAsDeleting). */
        json_t *old = json_object_get(m, "deletionTimestamp");
        int64_t at = 0;
        if (!old || (kube_time_parse(json_string_value(old), &at), at > now)) {
            if (!old) s_bump_generation(m);
            s_set_deletion(m, now, 0);
        }
        json_object_set_new(m, "deletionGracePeriodSeconds", json_integer(0));
    }
    return S_WRITE;
}

static void s_delete_read(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (gw_op_take_current(req, in, false)) return;
    switch (s_plan(req, op)) {
    case S_AS_IS: {
        json_t *obj = op->cur;
        op->cur = NULL;
        gw_op_send_object(req, 200, obj);
        return;
    }
    case S_REMOVE:
        if (op->dry_run) {
            json_t *obj = op->cur;
            op->cur = NULL;
            gw_op_send_object(req, 200, obj);
            return;
        }
        s_remove(req, op, s_deleted);
        return;
    case S_WRITE:
        if (op->dry_run) {
            gw_op_send_dry_run(req, op);
            return;
        }
        gw_op_write_obj(req, op, op->key, op->cur_mod, false, s_marked);
        return;
    default: return;
    }
}

void gw_rest_delete(gw_req_t *req, gw_op_t *op)
{
    if (s_options(req, op)) return;
    gw_op_read_then(req, op, s_delete_read);
}

/* --- deletecollection ---------------------------------------------------------------------- */

/* As kube-apiserver's DeleteCollection: every object the selectors choose is deleted as a DELETE
 * of it would be (the same DeleteOptions: finalizers, graceful pods, dry run), one after another,
 * in pages of the current list; one gone meanwhile is skipped, any other error ends the request
 * with it. The answer is the list of the objects deleted or marked. */

#define S_PAGE       500
#define S_ANSWER_MAX (64u << 20) /* stored bytes of the objects the answer lists */

static void s_each_next(gw_req_t *req, gw_op_t *op);
static void s_each_read(gw_req_t *req, bus_in_t *in);

/* The item is done (obj: as deleted or marked; stolen): into the answer, while it stays within
 * S_ANSWER_MAX (the deleting goes on past it; the answer says how many it leaves out). */
static void s_each_keep(gw_op_t *op, json_t *obj)
{
    op->attempts = 0;
    if (op->answer_bytes + op->item_len > S_ANSWER_MAX) {
        op->left_out++;
        json_decref(obj);
        return;
    }
    op->answer_bytes += op->item_len;
    json_array_append_new(op->items, obj);
}

static void s_each_done(gw_req_t *req, gw_op_t *op, json_t *obj)
{
    s_each_keep(op, obj);
    s_each_next(req, op);
}

static void s_each_written(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_txn_reply_t *r;
    if (gw_op_decode(req, in, &store_txn_reply_desc, (void **)&r)) return;
    if (!r->succeeded) {
        gw_op_lost(req, op, s_each_read);
        return;
    }
    json_t *obj;
    if (op->obj) { /* marked */
        gw_op_set_rv(op->obj, r->revision);
        obj = op->obj;
        op->obj = NULL;
    } else { /* removed */
        obj = op->cur;
        op->cur = NULL;
    }
    s_each_done(req, op, obj);
}

/* Deletes op->cur: 1 when a store call was sent (its reply goes on), 0 when done at once (the
 * object is appended), -1 after answering. */
static int s_each_delete(gw_req_t *req, gw_op_t *op)
{
    int plan = s_plan(req, op);
    if (plan == S_ANSWERED) return -1;
    json_t *obj = NULL;
    if (plan == S_AS_IS || (plan == S_REMOVE && op->dry_run)) {
        obj = op->cur;
        op->cur = NULL;
    } else if (plan == S_WRITE && op->dry_run) {
        gw_op_set_rv(op->obj, op->cur_mod);
        obj = op->obj;
        op->obj = NULL;
    } else if (plan == S_REMOVE) {
        json_decref(op->obj);
        op->obj = NULL;
        s_remove(req, op, s_each_written);
        return 1;
    } else {
        gw_op_write_obj(req, op, op->key, op->cur_mod, false, s_each_written);
        return 1;
    }
    s_each_keep(op, obj);
    return 0;
}

/* After a write lost to a concurrent one: the object as it is now, unless it has gone. */
static void s_each_read(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (gw_op_take_current(req, in, true)) return;
    if (!op->cur) {
        op->attempts = 0;
        s_each_next(req, op);
        return;
    }
    if (s_each_delete(req, op) == 0) s_each_next(req, op);
}

static void s_each_page(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    json_decref(op->batch);
    op->batch = json_array();
    op->batch_i = 0;
    store_kv_t *kvs = r->kvs.v;
    for (size_t i = 0; i < r->kvs.n; i++) {
        json_t *obj = gw_object_load(op->t.kind, &kvs[i]);
        const char *name =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
        if (!obj || !name || !gw_op_selected(op, obj)) {
            json_decref(obj);
            continue;
        }
        json_array_append_new(op->batch,
                              json_pack("{s:s, s:s, s:I, s:I, s:o}", "key", kvs[i].key, "name",
                                        name, "mod", (json_int_t)kvs[i].mod_revision, "len",
                                        (json_int_t)kvs[i].value.len, "obj", obj));
    }
    op->more = r->more && r->kvs.n;
    if (r->kvs.n) snprintf(op->after, sizeof op->after, "%s", kvs[r->kvs.n - 1].key);
    s_each_next(req, op);
}

static void s_each_next(gw_req_t *req, gw_op_t *op)
{
    while (op->batch_i < json_array_size(op->batch)) {
        json_t *e = json_array_get(op->batch, op->batch_i++);
        snprintf(op->key, sizeof op->key, "%s", json_string_value(json_object_get(e, "key")));
        snprintf(op->t.name, sizeof op->t.name, "%s",
                 json_string_value(json_object_get(e, "name")));
        json_decref(op->cur);
        op->cur = json_incref(json_object_get(e, "obj"));
        op->cur_mod = (uint64_t)json_integer_value(json_object_get(e, "mod"));
        op->item_len = (size_t)json_integer_value(json_object_get(e, "len"));
        if (s_each_delete(req, op)) return; /* sent, or answered */
    }
    if (op->more) {
        op->more = false;
        store_range_request_t q = {
            .key = op->prefix, .prefix = true, .limit = S_PAGE, .after = op->after};
        gw_store_call(req, &store_range_request_desc, &q, s_each_page);
        return;
    }
    char av[128], list_kind[160];
    gw_api_version(op->t.kind, av, sizeof av);
    snprintf(list_kind, sizeof list_kind, "%sList", op->t.kind->kind);
    json_t *items = op->items;
    op->items = NULL;
    if (op->left_out) {
        char text[160];
        snprintf(text, sizeof text,
                 "the answer lists %zu of the %zu objects deleted: the rest would make it larger "
                 "than %u MiB",
                 json_array_size(items), json_array_size(items) + op->left_out, S_ANSWER_MAX >> 20);
        if (!req->warnings) req->warnings = json_array();
        json_array_append_new(req->warnings, json_string(text));
    }
    gw_respond_json(req, 200,
                    json_pack("{s:s, s:s, s:{}, s:o}", "kind", list_kind, "apiVersion", av,
                              "metadata", "items", items));
}

void gw_rest_delete_collection(gw_req_t *req, gw_op_t *op)
{
    if (s_options(req, op) || gw_op_selectors(req, op)) return;
    snprintf(op->prefix, sizeof op->prefix, "%s", op->key);
    op->items = json_array();
    store_range_request_t q = {.key = op->prefix, .prefix = true, .limit = S_PAGE};
    gw_store_call(req, &store_range_request_desc, &q, s_each_page);
}

bool gw_op_ends_deletion(const gw_op_t *op)
{
    const json_t *old = json_object_get(op->cur, "metadata");
    const json_t *meta = json_object_get(op->obj, "metadata");
    return json_array_size(json_object_get(old, "finalizers")) > 0 &&
           json_array_size(json_object_get(meta, "finalizers")) == 0 &&
           json_object_get(meta, "deletionTimestamp") &&
           json_integer_value(json_object_get(meta, "deletionGracePeriodSeconds")) == 0;
}

void gw_op_remove(gw_req_t *req, gw_op_t *op, gw_store_fn *fn)
{
    s_remove(req, op, fn);
}
