/* store_apply: one ready's disk work, in one LMDB write transaction: the log's part (entries and
 * hard state), the committed entries applied to the keyspace, the applied index and membership
 * with them, a share of pending compaction; then one commit, durable before anything of the
 * ready leaves the member. A proposal that carries an origin (its client's caller and request
 * id) is recorded in the sessions, so that the same request proposed again is answered with its
 * first answer instead of running twice. What the member's disk worker runs; it touches the core
 * only through raft_apply_conf, and the network not at all.
 *
 * Durability: a ready with entries or a new term or vote commits with LMDB's full sync. A ready
 * that only applies commits without syncing LMDB's meta page: after a crash it may be undone,
 * and the entries, durable in the log, are applied again, with the same outcome. */
#pragma once

#include "bus_buf.h"
#include "raft.h"
#include "store_kv.h"
#include "store_log.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Named databases used: "sm.sessions" (origin -> answer) and "sm.order" (index -> origin). */
#define STORE_APPLY_DBS 2
/* Sessions kept: past this the oldest are forgotten (a retry that late runs again). */
#define STORE_SESSIONS_MAX 65536
/* Answers kept in a session in full up to this size; above it, without the ops' results. */
#define STORE_SESSION_REPLY_MAX 65536

typedef struct store_apply_t store_apply_t;

/* The outcome of one normal entry, for whoever proposed it. */
typedef struct {
    uint64_t index, term;
    int status;      /* 0, or the error its proposer gets */
    uint32_t type;   /* the reply's message type (0 with an error) */
    size_t off, len; /* in the batch's out: the reply's msgpack bytes, or the error text */
} store_result_t;

/* A change to publish: the topic is the key, the body an encoded store.event. */
typedef struct {
    size_t key_off, key_len;
    size_t off, len;
} store_change_t;

typedef struct {
    /* In. The ready (its snapshot, if any, already installed: entries at or below the applied
     * index are skipped). */
    const raft_ready_t *rd;
    raft_t *raft;                /* for raft_apply_conf */
    const char *member, *leader; /* for reply headers */
    uint64_t term;
    uint64_t compact_log_to;          /* drop log entries up to here (0: none) */
    const raft_snap_meta_t *snapshot; /* a snapshot made: record its metadata (NULL: none) */
    /* Called (on the running thread) once the outcomes below are all known, just before the
     * commit: the results of entries that were committed and durable before this batch are
     * final whatever becomes of this transaction. NULL: not called. */
    void (*on_applied)(void *arg);
    void *on_applied_arg;

    /* Out, valid until the next run with this batch. */
    bus_buf_t out;
    store_result_t *results;
    size_t results_n, results_cap;
    store_change_t *changes;
    size_t changes_n, changes_cap;
    uint64_t revision, compacted, applied;
    bool compacting;     /* keyspace compaction work is left */
    bool log_compacting; /* log compaction work is left */
    raft_conf_t conf;
} store_batch_t;

/* Opens (creating) the sessions' databases inside wtxn (usable once it commits). env, log and kv
 * are borrowed and must outlive the handle. value_max is the keyspace's. */
int store_apply_open(MDB_env *env, MDB_txn *wtxn, store_log_t *log, store_kv_space_t *kv,
                     size_t value_max, store_apply_t **out, char *err, size_t errlen);
void store_apply_destroy(store_apply_t **self_p);

void store_batch_init(store_batch_t *b);
void store_batch_free(store_batch_t *b);

/* Does b's ready's disk work and commits. 0, or an error (the transaction is aborted and nothing
 * of it happened; the caller tries again later, never skipping the ready): BUS_EUNAVAILABLE when
 * the environment is full, BUS_EINTERNAL for other LMDB failures. A proposal's own fault is not
 * an error here: it is its result. */
int store_apply_run(store_apply_t *self, store_batch_t *b, char *err, size_t errlen);

/* The session of origin, read through txn: 0 with *index of the entry that answered it, or
 * BUS_ENOTFOUND. For tests and the service's duplicate check. */
int store_apply_session(store_apply_t *self, MDB_txn *txn, const char *origin, uint64_t *index);

void store_apply_test(bool verbose);
