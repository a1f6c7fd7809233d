/* gw_rest: the resource verbs for every kind, driven by the kind tables: get, update and patch
 * here, and the dispatch of all (create, list, delete and the subresources have files of their
 * own). Each verb is a short chain of store calls, with its state in req->ctx:
 * reads are linearizable range requests; writes are transactions that compare the revision they
 * read (create: absent; update, patch, delete: unchanged since read), so concurrent writers get
 * 409 Conflict, as from kube-apiserver, and a patch is retried on its own. An object's
 * resourceVersion is its key's mod revision, never stored in the value. */
#include "gw_rest_impl.h"

#include "bus_arena.h"
#include "bus_err.h"
#include "bus_log.h"
#include "kube_obj.h"
#include "kube_patch.h"
#include "kube_select.h"
#include "kube_time.h"
#include "kube_valid.h"

#include <inttypes.h>
#include <stdint.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tries of a write that loses to concurrent ones before 409: each lost try means another write
 * went in, so the object moves on; kube-apiserver's GuaranteedUpdate tries until its deadline. */
#define S_WRITE_ATTEMPTS 100
#define S_LIMIT_DEFAULT  500

void gw_op_free(void *arg)
{
    gw_op_t *op = arg;
    json_decref(op->obj);
    json_decref(op->cur);
    json_decref(op->items);
    json_decref(op->batch);
    json_decref(op->unallocated);
    if (op->alloc) gw_alloc_clear(op->alloc);
    free(op->alloc);
    kube_labels_destroy(&op->labels);
    kube_fields_destroy(&op->fields);
    bus_arena_destroy(&op->arena);
    free(op);
}

json_t *gw_op_details(const gw_target_t *t, const char *name)
{
    json_t *d = json_pack("{s:s, s:s}", "name", name, "kind", t->kind->plural);
    if (*t->kind->group) json_object_set_new(d, "group", json_string(t->kind->group));
    return d;
}

void gw_op_not_found(gw_req_t *req, const gw_target_t *t, const char *name)
{
    char res[128];
    gw_resource_name(t->kind, res, sizeof res);
    gw_fail(req, 404, "NotFound", gw_op_details(t, name), "%s \"%s\" not found", res, name);
}

void gw_op_conflict(gw_req_t *req, const gw_target_t *t, const char *name)
{
    char res[128];
    gw_resource_name(t->kind, res, sizeof res);
    gw_fail(req, 409, "Conflict", gw_op_details(t, name),
            "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please "
            "apply your changes to the latest version and try again",
            res, name);
}

/* A store error as the Status kube-apiserver would give. */
static void s_store_failed(gw_req_t *req, bus_in_t *in)
{
    int st = in->env->status;
    const char *text = in->env->error ? in->env->error : bus_err_str(st);
    if (st == BUS_EGONE)
        gw_fail(req, 410, "Expired", NULL, "The resourceVersion for the provided list is too old.");
    else if (st == BUS_ETIMEOUT)
        gw_fail(req, 504, "Timeout", NULL,
                "Timeout: request did not complete within requested timeout - %s", text);
    else if (st == BUS_EBUSY)
        gw_fail(req, 429, "TooManyRequests", NULL, "storage is busy: %s", text);
    else if (st == BUS_ETOOBIG)
        gw_fail(req, 413, "RequestEntityTooLarge", NULL, "Request entity too large: %s", text);
    else if (st == BUS_EINVALID)
        gw_fail(req, 422, "Invalid", NULL, "storage refused the object: %s", text);
    else
        gw_fail(req, 503, "ServiceUnavailable", NULL, "storage is unavailable: %s", text);
}

int gw_op_decode(gw_req_t *req, bus_in_t *in, const codec_msg_t *desc, void **out)
{
    gw_op_t *op = req->ctx;
    if (in->env->status) {
        s_store_failed(req, in);
        return -1;
    }
    codec_err_t err;
    bus_arena_reset(op->arena);
    if (bus_frame_body(&in->frame, desc, op->arena, out, &err)) {
        gw_fail(req, 500, "InternalError", NULL, "storage answered something unreadable: %s",
                err.text);
        return -1;
    }
    return 0;
}

/* Answers with obj (a Table when asked for one). Steals obj. */
void gw_op_send_object(gw_req_t *req, unsigned status, json_t *obj)
{
    gw_op_t *op = req->ctx;
    if (gw_table_wanted(req)) {
        json_t *items = json_pack("[o]", obj);
        const char *rv =
            json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
        json_t *table = gw_table_new(op->t.kind, items, rv ? rv : "", NULL,
                                     gw_query(req, "includeObject"), true, kube_time_now());
        json_decref(items);
        gw_respond_json(req, status, table);
        return;
    }
    gw_respond_json(req, status, obj);
}

void gw_op_send_dry_run(gw_req_t *req, gw_op_t *op)
{
    gw_op_set_rv(op->obj, op->cur_mod);
    json_t *obj = op->obj;
    op->obj = NULL;
    gw_op_send_object(req, 200, obj);
}

gw_op_t *gw_op_new(gw_req_t *req, const gw_target_t *t, int verb)
{
    gw_op_t *op = calloc(1, sizeof *op);
    if (!op) abort();
    op->t = *t;
    op->verb = verb;
    op->arena = bus_arena_new(64u << 20);
    const char *dry = gw_query(req, "dryRun");
    op->dry_run = dry && *dry;
    req->ctx = op;
    req->ctx_free = gw_op_free;
    return op;
}

/* --- get ----------------------------------------------------------------------------------- */

static void s_get_reply(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return;
    if (!r->kvs.n) {
        gw_op_not_found(req, &op->t, op->t.name);
        return;
    }
    json_t *obj = gw_object_load(op->t.kind, &((store_kv_t *)r->kvs.v)[0]);
    if (!obj) {
        gw_fail(req, 500, "InternalError", NULL, "the stored object is corrupt");
        return;
    }
    gw_op_send_object(req, 200, obj);
}

static void s_get(gw_req_t *req, gw_op_t *op)
{
    store_range_request_t q = {.key = op->key};
    gw_store_call(req, &store_range_request_desc, &q, s_get_reply);
}

/* --- writes -------------------------------------------------------------------------------- */

gw_alloc_t *gw_op_alloc(gw_op_t *op)
{
    if (!op->alloc && !(op->alloc = calloc(1, sizeof *op->alloc))) abort();
    return op->alloc;
}

void gw_op_write_obj(gw_req_t *req, gw_op_t *op, const char *key, uint64_t compare_mod, bool create,
                     gw_store_fn *fn)
{
    /* The object, and what op->alloc claims (absent until now) and frees, at once. */
    const gw_alloc_t *a = op->alloc;
    int claims = a ? a->n : 0, frees = a ? a->release_n : 0;
    store_compare_t cmps[1 + GW_ALLOC_MAX];
    store_op_t ops[1 + 2 * GW_ALLOC_MAX];
    bus_buf_t bufs[1 + GW_ALLOC_MAX];
    json_t *meta = json_object_get(op->obj, "metadata");
    json_object_del(meta, "resourceVersion");
    int rc = 0;
    for (int i = 0; i <= claims; i++) {
        bus_buf_init(&bufs[i], 1u << 24);
        rc |= kube_obj_encode(i ? a->values[i - 1] : op->obj, &bufs[i]);
    }
    if (!rc && gw_seal_wanted(op->t.kind)) rc = gw_seal(&bufs[0]);
    if (rc) {
        for (int i = 0; i <= claims; i++) bus_buf_free(&bufs[i]);
        gw_fail(req, 413, "RequestEntityTooLarge", NULL, "the object is too large");
        return;
    }
    cmps[0] =
        (store_compare_t){.key = (char *)key,
                          .target = create ? STORE_COMPARE_TARGET_CREATE : STORE_COMPARE_TARGET_MOD,
                          .op = STORE_COMPARE_OP_EQ,
                          .value = create ? 0 : compare_mod};
    ops[0] = (store_op_t){.type = STORE_OP_TYPE_PUT,
                          .key = (char *)key,
                          .value = {.data = bufs[0].data, .len = bufs[0].len}};
    for (int i = 0; i < claims; i++) {
        cmps[1 + i] = (store_compare_t){.key = (char *)a->keys[i],
                                        .target = STORE_COMPARE_TARGET_CREATE,
                                        .op = STORE_COMPARE_OP_EQ};
        ops[1 + i] = (store_op_t){.type = STORE_OP_TYPE_PUT,
                                  .key = (char *)a->keys[i],
                                  .value = {.data = bufs[1 + i].data, .len = bufs[1 + i].len}};
    }
    for (int i = 0; i < frees; i++)
        ops[1 + claims + i] =
            (store_op_t){.type = STORE_OP_TYPE_DELETE, .key = (char *)a->release[i]};
    store_txn_request_t txn = {.compares = {1 + (size_t)claims, cmps},
                               .success = {1 + (size_t)claims + (size_t)frees, ops}};
    gw_store_call(req, &store_txn_request_desc, &txn, fn);
    for (int i = 0; i <= claims; i++) bus_buf_free(&bufs[i]);
}

void gw_op_set_rv(json_t *obj, uint64_t rev)
{
    char rv[32];
    snprintf(rv, sizeof rv, "%" PRIu64, rev);
    json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion", json_string(rv));
}

static void s_update_reread(gw_req_t *req, bus_in_t *in);

/* Written in between (or the copy was behind): again on what is there now; a resourceVersion
 * the body names is checked against that. */
static void s_written(gw_req_t *req, bus_in_t *in)
{
    gw_op_send_written(req, in, s_update_reread, 200);
}

bool gw_op_has_status(const kube_kind_t *kind)
{
    for (size_t i = 0; i < kind->subresources_n; i++)
        if (!strcmp(kind->subresources[i].name, "status")) return true;
    return false;
}

/* Kinds whose desired state is versioned by metadata.generation (their strategies set it: the
 * workloads, ReplicationController, Ingress); other kinds have none, as in kube-apiserver 1.32. */
static bool s_has_generation(const kube_kind_t *kind)
{
    return !strcmp(kind->group, "apps") || !strcmp(kind->group, "batch") ||
           !strcmp(kind->group, "networking.k8s.io") ||
           (!*kind->group && !strcmp(kind->plural, "replicationcontrollers"));
}

/* Sets what the server owns on a new object: uid, creationTimestamp, generation. */
void gw_op_stamp_new(const kube_kind_t *kind, json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata");
    char uid[37], ts[32];
    kube_uid_new(uid);
    kube_time_rfc3339(kube_time_now(), ts);
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(ts));
    if (s_has_generation(kind))
        json_object_set_new(meta, "generation", json_integer(1));
    else
        json_object_del(meta, "generation");
    json_object_del(meta, "deletionTimestamp");
    json_object_del(meta, "deletionGracePeriodSeconds");
}

/* --- update, patch, delete: read, change, write if unchanged ------------------------------- */

void gw_op_lost(gw_req_t *req, gw_op_t *op, gw_store_fn *reread)
{
    bool chosen = false; /* an address the client asked for may be another's: that is a 422 */
    for (int i = 0; op->alloc && i < op->alloc->n; i++) chosen = chosen || op->alloc->field[i][0];
    if (chosen && !op->probed) {
        op->probed = true;
        op->reread = reread;
        gw_op_claims_probe(req, op, 0);
        return;
    }
    op->probed = false;
    bool guess = op->from_cache; /* a copy from the cache that was behind is no attempt */
    if (guess) req->gw->cached_stale++;
    op->from_cache = false;
    op->no_cache = true;
    if (guess || ++op->attempts < S_WRITE_ATTEMPTS) {
        json_decref(op->obj);
        op->obj = NULL;
        gw_op_read_then(req, op, reread);
        return;
    }
    gw_op_conflict(req, &op->t, op->t.name);
}

void gw_op_read_then(gw_req_t *req, gw_op_t *op, gw_store_fn *fn)
{
    store_range_request_t q = {.key = op->key};
    gw_store_call(req, &store_range_request_desc, &q, fn);
}

/* kube-apiserver's cacher hands its storage's GuaranteedUpdate the watch cache's copy of the
 * object, and so does this: the write compares the revision of the copy, so a copy behind the
 * store costs one lost write and a store read, never a wrong result; req->recheck keeps any
 * other answer (an error, a no-op) from being made from it. A patch then costs one store call
 * instead of two. */
/* req->recheck: the gateway's copy was behind; from the store's. */
static void s_read_again(gw_req_t *req)
{
    gw_op_t *op = req->ctx;
    req->gw->cached_stale++;
    op->no_cache = true;
    gw_op_read_then(req, op, op->reread);
}

void gw_op_read_for_update(gw_req_t *req, gw_op_t *op, gw_store_fn *fn, gw_store_fn *reread)
{
    op->reread = reread;
    store_kv_t kv;
    json_t *cur = NULL;
    if (!op->dry_run && !op->no_cache && gw_watch_latest(op->key, &kv))
        cur = gw_object_load(op->t.kind, &kv);
    if (!cur) {
        gw_op_read_then(req, op, fn);
        return;
    }
    json_decref(op->cur);
    op->cur = cur;
    op->cur_mod = kv.mod_revision;
    op->from_cache = true;
    req->gw->cached_reads++;
    req->recheck = s_read_again;
    fn(req, NULL);
}

/* Takes the current object from a read; -1 after answering when absent. */
int gw_op_take_current(gw_req_t *req, bus_in_t *in, bool absent_ok)
{
    gw_op_t *op = req->ctx;
    if (!in) return 0; /* the gateway's copy (gw_op_read_for_update) */
    op->from_cache = false;
    store_range_reply_t *r;
    if (gw_op_decode(req, in, &store_range_reply_desc, (void **)&r)) return -1;
    json_decref(op->cur);
    op->cur = NULL;
    op->cur_mod = 0;
    if (!r->kvs.n) {
        if (absent_ok) return 0;
        gw_op_not_found(req, &op->t, op->t.name);
        return -1;
    }
    store_kv_t *kv = &((store_kv_t *)r->kvs.v)[0];
    op->cur = gw_object_load(op->t.kind, kv);
    op->cur_mod = kv->mod_revision;
    if (!op->cur) {
        gw_fail(req, 500, "InternalError", NULL, "the stored object is corrupt");
        return -1;
    }
    return 0;
}

/* What an update keeps from the stored object (its status too, when status has a subresource
 * of its own: only that changes it), and the generation it moves. */
void gw_op_carry_over(gw_op_t *op)
{
    json_t *meta = json_object_get(op->obj, "metadata");
    json_t *old = json_object_get(op->cur, "metadata");
    if (gw_op_has_status(op->t.kind) && strcmp(op->t.sub, "status")) {
        json_t *st = json_object_get(op->cur, "status");
        if (st)
            json_object_set(op->obj, "status", st);
        else
            json_object_del(op->obj, "status");
    }
    static const char *const kept[] = {"uid", "creationTimestamp", "deletionTimestamp",
                                       "deletionGracePeriodSeconds", NULL};
    for (int i = 0; kept[i]; i++) {
        json_t *v = json_object_get(old, kept[i]);
        if (v)
            json_object_set(meta, kept[i], v);
        else
            json_object_del(meta, kept[i]);
    }
    if (!s_has_generation(op->t.kind)) {
        json_object_del(meta, "generation");
        return;
    }
    json_int_t gen = json_integer_value(json_object_get(old, "generation"));
    if (gen < 1) gen = 1;
    /* The generation moves when the desired state does (everything but metadata and status). */
    json_t *a = json_deep_copy(op->obj), *b = json_deep_copy(op->cur);
    json_object_del(a, "metadata");
    json_object_del(b, "metadata");
    json_object_del(a, "status");
    json_object_del(b, "status");
    if (!json_equal(a, b)) gen++;
    json_decref(a);
    json_decref(b);
    json_object_set_new(meta, "generation", json_integer(gen));
}

bool gw_op_unchanged(gw_op_t *op)
{
    json_t *meta = json_object_get(op->obj, "metadata");
    json_t *cur_rv = json_object_get(json_object_get(op->cur, "metadata"), "resourceVersion");
    if (!json_is_object(meta) || !cur_rv) return false;
    json_t *rv = json_incref(json_object_get(meta, "resourceVersion"));
    json_object_set(meta, "resourceVersion", cur_rv);
    bool same = json_equal(op->obj, op->cur);
    if (rv)
        json_object_set_new(meta, "resourceVersion", rv);
    else
        json_object_del(meta, "resourceVersion");
    return same;
}

/* The end of an update or a patch: the object's resourceVersion, when it names one, must be the
 * stored one (for a patch that names it: kubectl diff and apply send one), then what the server
 * keeps is carried over, and the write compares the revision read. */
static void s_write_update(gw_req_t *req, gw_op_t *op, gw_store_fn *fn)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "resourceVersion"));
    char cur[32];
    snprintf(cur, sizeof cur, "%" PRIu64, op->cur_mod);
    if (rv && *rv && strcmp(rv, cur)) {
        gw_op_conflict(req, &op->t, op->t.name);
        return;
    }
    kube_errs_t *errs = kube_errs_new();
    kube_validate_meta_update(errs, json_object_get(op->obj, "metadata"),
                              json_object_get(op->cur, "metadata"));
    if (kube_errs_count(errs)) {
        gw_fail_invalid(req, op->t.kind->kind, op->t.kind->group, op->t.name, errs);
        kube_errs_destroy(&errs);
        return;
    }
    kube_errs_destroy(&errs);
    gw_op_carry_over(op);
    if (gw_alloc_wanted(op->t.kind) && gw_alloc_service(req, op, op->cur, gw_op_alloc(op))) return;
    if (op->dry_run || gw_op_unchanged(op)) {
        gw_op_send_dry_run(req, op); /* nothing is written: no new resourceVersion, no event */
        return;
    }
    if (gw_op_ends_deletion(op)) {
        gw_op_remove(req, op, fn); /* the last finalizer is gone: so is the object */
        return;
    }
    gw_op_write_obj(req, op, op->key, op->cur_mod, false, fn);
}

static void s_update_read(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (gw_op_take_current(req, in, true)) return;
    if (!op->cur && !op->t.kind->create_on_update) {
        gw_op_not_found(req, &op->t, op->t.name);
        return;
    }
    if (!op->cur) {
        /* PUT on an absent object creates it, for the kinds whose strategy allows it. */
        op->verb = S_CREATE;
        gw_op_create_admitted(req, op);
        return;
    }
    s_write_update(req, op, s_written);
}

/* The object to write, from the request's body (again after a try from a stale copy). */
static int s_update_obj(gw_req_t *req, gw_op_t *op)
{
    json_decref(op->obj);
    if (!(op->obj = gw_object_decode(req))) return -1;
    const char *name =
        json_string_value(json_object_get(json_object_get(op->obj, "metadata"), "name"));
    if (name && strcmp(name, op->t.name)) {
        gw_fail(req, 400, "BadRequest", NULL,
                "the name of the object (%s) does not match the name on the URL (%s)", name,
                op->t.name);
        return -1;
    }
    return gw_object_admit(req, op->t.kind, op->obj, op->t.ns, false);
}

static void s_update_reread(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (s_update_obj(req, op)) return;
    s_update_read(req, in);
}

static void s_update(gw_req_t *req, gw_op_t *op)
{
    if (s_update_obj(req, op)) return;
    gw_op_read_for_update(req, op, s_update_read, s_update_reread);
}

static void s_patch_read(gw_req_t *req, bus_in_t *in);

void gw_op_send_written(gw_req_t *req, bus_in_t *in, gw_store_fn *reread, unsigned status)
{
    gw_op_t *op = req->ctx;
    store_txn_reply_t *r;
    if (gw_op_decode(req, in, &store_txn_reply_desc, (void **)&r)) return;
    if (!r->succeeded) {
        gw_op_lost(req, op, reread);
        return;
    }
    gw_op_set_rv(op->obj, r->revision);
    json_t *obj = op->obj;
    op->obj = NULL;
    gw_op_send_object(req, status, obj);
}

/* Someone wrote in between: a patch applies to whatever is there, so it is tried again. */
static void s_patch_written(gw_req_t *req, bus_in_t *in)
{
    gw_op_send_written(req, in, s_patch_read, 200);
}

static void s_patch_read(gw_req_t *req, bus_in_t *in)
{
    gw_op_t *op = req->ctx;
    if (gw_op_take_current(req, in, false)) return;
    json_decref(op->obj);
    op->obj = NULL;
    json_decref(req->warnings); /* admission's, from an earlier try */
    req->warnings = NULL;
    if (gw_op_patch_apply(req, op, &op->obj)) return;
    if (gw_object_admit(req, op->t.kind, op->obj, op->t.ns, false)) return;
    s_write_update(req, op, s_patch_written);
}

/* Strategic merge reads the patch metadata of the kind's fields. */
typedef struct {
    const kube_kind_t *kind;
} s_schema_ctx_t;

static bool s_patch_schema(void *arg, const char *const *path, size_t depth,
                           kube_patch_field_t *out)
{
    s_schema_ctx_t *c = arg;
    memset(out, 0, sizeof *out);
    const kube_type_t *t = c->kind->type;
    const kube_field_t *f = NULL;
    for (size_t i = 0; i < depth; i++) {
        if (!t) return false;
        f = NULL;
        for (size_t j = 0; j < t->fields_n; j++)
            if (strcmp(t->fields[j].name, path[i]) == 0) f = &t->fields[j];
        if (!f) return false;
        t = f->ref;
    }
    if (!f) return false;
    out->merge_key = f->merge_key;
    out->merge_primitives = f->type == KUBE_T_LIST && !f->ref && (f->flags & KUBE_F_PATCH_MERGE);
    out->retain_keys = (f->flags & KUBE_F_RETAIN_KEYS) != 0;
    return true;
}

int gw_op_patch_apply(gw_req_t *req, gw_op_t *op, json_t **out)
{
    const char *ct = gw_header(req, "Content-Type");
    char err[1024] = "";
    json_error_t jerr;
    json_t *patch = json_loadb((const char *)req->body.data, req->body.len, JSON_DECODE_ANY, &jerr);
    if (!patch) {
        gw_fail(req, 400, "BadRequest", NULL, "error decoding patch: %s", jerr.text);
        return -1;
    }
    int rc;
    if (ct && strncmp(ct, "application/json-patch+json", 27) == 0) {
        rc = kube_json_patch(op->cur, patch, out, err, sizeof err);
    } else if (ct && strncmp(ct, "application/merge-patch+json", 28) == 0) {
        rc = kube_merge_patch(op->cur, patch, out, err, sizeof err);
    } else if (ct && strncmp(ct, "application/strategic-merge-patch+json", 38) == 0) {
        s_schema_ctx_t c = {op->t.kind};
        rc = kube_strategic_patch(op->cur, patch, s_patch_schema, &c, out, err, sizeof err);
    } else {
        json_decref(patch);
        gw_fail(req, 415, "UnsupportedMediaType", NULL,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/strategic-merge-patch+json");
        return -1;
    }
    json_decref(patch);
    if (rc) {
        gw_fail(req, 422, "Invalid", NULL, "the patch could not be applied: %s", err);
        return -1;
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        gw_fail(req, 422, "Invalid", NULL, "the patch did not leave an object");
        return -1;
    }
    return 0;
}

static void s_patch(gw_req_t *req, gw_op_t *op)
{
    gw_op_read_for_update(req, op, s_patch_read, s_patch_read);
}

void gw_op_method_not_allowed(gw_req_t *req)
{
    gw_fail(req, 405, "MethodNotAllowed", NULL,
            "the server does not allow this method on the "
            "requested resource");
}

/* --- watch --------------------------------------------------------------------------------- */

/* A watch on one object by name (kubectl get NAME -w, delete's wait) reads that key alone. */
static void s_watch(gw_req_t *req, const gw_target_t *t)
{
    char key[600], err[256];
    const char *fs = gw_query(req, "fieldSelector");
    kube_fields_t *f = fs && *fs ? kube_fields_parse(fs, err, sizeof err) : NULL;
    const char *name = f ? kube_fields_equals(f, "metadata.name") : NULL;
    const char *ns = t->all_namespaces ? "" : t->ns;
    if (name && (!t->kind->namespaced || *ns)) {
        gw_object_key(t->kind, ns, name, key, sizeof key);
        gw_watch_start(req, t, key, true);
    } else {
        gw_object_key(t->kind, ns, "", key, sizeof key);
        gw_watch_start(req, t, key, false);
    }
    kube_fields_destroy(&f);
}

/* --- dispatch ------------------------------------------------------------------------------ */

static bool s_allowed(const kube_kind_t *k, const char *verb)
{
    for (const char *const *v = k->verbs; v && *v; v++)
        if (strcmp(*v, verb) == 0) return true;
    return false;
}

void gw_rest_handle(gw_req_t *req, const gw_target_t *t)
{
    const char *m = req->method;
    if (*t->sub) {
        gw_rest_subresource(req, t);
        return;
    }
    bool named = *t->name != 0;
    int verb = !strcmp(m, "GET") || !strcmp(m, "HEAD") ? (named ? S_GET : S_LIST)
               : !strcmp(m, "POST")                    ? S_CREATE
               : !strcmp(m, "PUT")                     ? S_UPDATE
               : !strcmp(m, "PATCH")                   ? S_PATCH
               : !strcmp(m, "DELETE")                  ? S_DELETE
                                                       : -1;
    static const char *const names[] = {"get", "list", "create", "update", "patch", "delete"};
    bool collection = verb == S_DELETE && !named;
    if (collection && (!s_allowed(t->kind, "deletecollection") || t->all_namespaces)) {
        gw_op_method_not_allowed(req);
        return;
    }
    if (verb < 0 || (verb == S_CREATE && named) || (verb >= S_UPDATE && !named && !collection) ||
        (!collection && !s_allowed(t->kind, names[verb]))) {
        gw_op_method_not_allowed(req);
        return;
    }
    const char *watch = gw_query(req, "watch");
    if (verb == S_LIST && watch && (!strcmp(watch, "true") || !strcmp(watch, "1"))) {
        s_watch(req, t);
        return;
    }
    gw_op_t *op = gw_op_new(req, t, verb);
    if (named)
        gw_object_key(t->kind, t->ns, t->name, op->key, sizeof op->key);
    else if (t->all_namespaces)
        gw_object_key(t->kind, "", "", op->key, sizeof op->key);
    else
        gw_object_key(t->kind, t->ns, "", op->key, sizeof op->key);
    switch (verb) {
    case S_GET: {
        s_get(req, op);
        return;
    }
    case S_LIST: {
        gw_rest_list(req, op);
        return;
    }
    case S_CREATE: {
        gw_rest_create(req, op);
        return;
    }
    case S_UPDATE: {
        s_update(req, op);
        return;
    }
    case S_PATCH: {
        s_patch(req, op);
        return;
    }
    default: {
        if (collection)
            gw_rest_delete_collection(req, op);
        else
            gw_rest_delete(req, op);
        return;
    }
    }
}
