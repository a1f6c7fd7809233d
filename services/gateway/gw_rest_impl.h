/* gw_rest_impl: what the files of the resource verbs share. gw_rest.c: get, update, patch and
 * the dispatch; gw_rest_create.c: create; gw_rest_delete.c: delete and deletecollection;
 * gw_rest_list.c: lists; gw_rest_sub.c: the status, scale and binding subresources and the
 * namespaces every cluster has; gw_alloc.c: a Service's addresses. A verb's state lives in a
 * gw_op_t (req->ctx) while it waits for the store. Not for other modules. */
#pragma once

#include "bus_arena.h"
#include "gw.h"
#include "kube_select.h"

#include <stdbool.h>
#include <stdint.h>

/* DeleteOptions, as read from a delete's body or query. */
typedef struct {
    bool has_grace, has_uid, has_rv;
    int64_t grace;
    int policy; /* none, Orphan, Background, Foreground (gw_rest_delete.c) */
    int orphan; /* the deprecated orphanDependents: -1 unset, 0, 1 */
    char uid[64], rv[32];
} gw_delete_opts_t;

/* gw_alloc.c: a Service's cluster IP and node ports, as keys claimed and freed in the Service's
 * own transaction (see the file). */
#define GW_ALLOC_MAX 32
typedef struct {
    int n; /* keys to claim: written under "absent" compares */
    char keys[GW_ALLOC_MAX][64];
    json_t *values[GW_ALLOC_MAX];
    char field[GW_ALLOC_MAX][48]; /* where a client asked for it ("" when chosen here) */
    char shown[GW_ALLOC_MAX][96]; /* and how an error shows it */
    int release_n;                /* keys to free: deleted */
    char release[GW_ALLOC_MAX][64];
} gw_alloc_t;

typedef struct {
    gw_target_t t;
    char key[600];
    json_t *obj; /* the object to write */
    json_t *cur; /* the stored object */
    uint64_t cur_mod;
    int attempts;
    /* cur came from the gateway's copy (gw_op_read_for_update), not from the store; no_cache:
     * it must come from the store (a copy was found stale) */
    bool from_cache, no_cache;
    bool dry_run;
    int verb;
    bus_arena_t *arena;
    /* list */
    kube_labels_t *labels;
    kube_fields_t *fields;
    uint32_t limit;
    json_t *items;
    char rv[32];
    /* delete; deletecollection: a page of {key, name, mod, obj} to delete, from batch_i on,
     * and where the next page starts (after, under prefix) when there is more */
    gw_delete_opts_t del;
    json_t *batch;
    size_t batch_i;
    bool more;
    char prefix[600], after[600];
    size_t item_len, answer_bytes, left_out; /* the answer's share of the objects deleted */
    /* a Service's allocations for the write under way; its object before them (a create that
     * lost a chosen address starts again from it) */
    gw_alloc_t *alloc;
    json_t *unallocated;
    int probe;           /* the claim a lost write reads (-1: the object's own key, for a create) */
    gw_store_fn *reread; /* how an update reads the store's copy again and redoes itself */
    bool probed;         /* this lost write's claims were read */
} gw_op_t;

enum { S_GET, S_LIST, S_CREATE, S_UPDATE, S_PATCH, S_DELETE };

void gw_op_free(void *arg);
json_t *gw_op_details(const gw_target_t *t, const char *name);
void gw_op_not_found(gw_req_t *req, const gw_target_t *t, const char *name);
void gw_op_conflict(gw_req_t *req, const gw_target_t *t, const char *name);
int gw_op_decode(gw_req_t *req, bus_in_t *in, const codec_msg_t *desc, void **out);
void gw_op_send_object(gw_req_t *req, unsigned status, json_t *obj);
/* An answer without a write (a dry run, a change that changes nothing): op->obj as it would be
 * written, at the revision read (cur_mod). */
void gw_op_send_dry_run(gw_req_t *req, gw_op_t *op);
gw_op_t *gw_op_new(gw_req_t *req, const gw_target_t *t, int verb);
void gw_op_write_obj(gw_req_t *req, gw_op_t *op, const char *key, uint64_t compare_mod, bool create,
                     gw_store_fn *fn);
void gw_op_set_rv(json_t *obj, uint64_t rev);
bool gw_op_has_status(const kube_kind_t *kind);
void gw_op_stamp_new(const kube_kind_t *kind, json_t *obj);
void gw_op_read_then(gw_req_t *req, gw_op_t *op, gw_store_fn *fn);
/* The read before an update: from the gateway's copy when it has one (fn then gets in == NULL,
 * op->cur set; gw_op_take_current passes it on), else from the store. An answer made from the
 * copy is not sent: the verb starts over from a store read into reread (op->reread), with
 * op->no_cache set. */
void gw_op_read_for_update(gw_req_t *req, gw_op_t *op, gw_store_fn *fn, gw_store_fn *reread);
/* A write that compared a revision lost to a concurrent one: read again and redo (reread), as
 * kube-apiserver's GuaranteedUpdate does, or after many tries answer 409 Conflict. */
void gw_op_lost(gw_req_t *req, gw_op_t *op, gw_store_fn *reread);
/* The reply of such a write: op->obj goes out with status and its new resourceVersion, or the
 * write is redone (gw_op_lost). */
void gw_op_send_written(gw_req_t *req, bus_in_t *in, gw_store_fn *reread, unsigned status);
int gw_op_take_current(gw_req_t *req, bus_in_t *in, bool absent_ok);
void gw_op_carry_over(gw_op_t *op);
/* Whether op->obj is op->cur (the resourceVersion aside): kube-apiserver then writes nothing and
 * answers the object as it is. */
bool gw_op_unchanged(gw_op_t *op);
int gw_op_patch_apply(gw_req_t *req, gw_op_t *op, json_t **out);
void gw_op_method_not_allowed(gw_req_t *req);

void gw_rest_create(gw_req_t *req, gw_op_t *op);
/* A create past NamespaceLifecycle (PUT of an absent object comes here too). */
void gw_op_create_admitted(gw_req_t *req, gw_op_t *op);
void gw_rest_list(gw_req_t *req, gw_op_t *op);
/* The labelSelector and fieldSelector of the query into op (fields only those the kind
 * selects by); -1 after answering 400. */
int gw_op_selectors(gw_req_t *req, gw_op_t *op);
bool gw_op_selected(const gw_op_t *op, const json_t *obj);
void gw_rest_delete(gw_req_t *req, gw_op_t *op);
/* DELETE on a collection (op->key is its prefix). */
void gw_rest_delete_collection(gw_req_t *req, gw_op_t *op);
/* Whether an update (op->obj, after gw_op_carry_over) removes the last finalizer of an object
 * marked for deletion with no grace period left: then it is removed, not written. */
bool gw_op_ends_deletion(const gw_op_t *op);
/* Removes op->key if its mod revision is still op->cur_mod; fn gets the txn reply. */
void gw_op_remove(gw_req_t *req, gw_op_t *op, gw_store_fn *fn);
void gw_rest_subresource(gw_req_t *req, const gw_target_t *t);

bool gw_alloc_wanted(const kube_kind_t *kind);
/* What op->obj (a Service; old: what it was, NULL when new) is given and holds: its cluster IP
 * and node ports filled in, the keys to claim and to free in a; -1 after answering 422. */
int gw_alloc_service(gw_req_t *req, gw_op_t *op, const json_t *old, gw_alloc_t *a);
/* The keys a Service holds, as a's releases (its delete frees them). */
void gw_alloc_held(const json_t *svc, gw_alloc_t *a);
void gw_alloc_clear(gw_alloc_t *a);
/* After a write that claimed addresses lost: reads the claims a client chose, from index from
 * (-1: the object's key first, for a create), and answers 409/422 for the one taken, or redoes
 * the write (op->reread for an update, a new create otherwise). */
void gw_op_claims_probe(gw_req_t *req, gw_op_t *op, int from);
/* op->alloc, made when first needed. */
gw_alloc_t *gw_op_alloc(gw_op_t *op);
