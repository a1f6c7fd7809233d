/* store_kv: the store's MVCC keyspace over LMDB: the state machine Raft entries are applied to.
 * One global revision; every key keeps its versions (create/mod revision, version, value) until
 * compaction, so reads at past revisions and watches from a revision are served from LMDB.
 * Deterministic: the same requests applied in the same order give every replica the same keys,
 * revisions, replies and events (store_kv_digest compares replicas); nothing here reads a clock
 * or a random source. It is not the Raft log, not the
 * service, and opens no environment: the caller owns the MDB_env and every transaction.
 *
 * Revisions follow etcd: an empty store is at revision 1, the first change is revision 2. A
 * transaction that changes something takes the next revision for all its changes; one that
 * changes nothing takes none. A key's create_revision is the revision that created it (again
 * after a delete), mod_revision its last change, version its puts since creation (1 at first).
 *
 * Compaction to revision C forgets history below C: reads at revisions >= C are served; reads
 * below C, and watches from revisions <= C (whose events may be gone), answer BUS_EGONE.
 *
 * Errors are 0 or a negative bus_err.h code, with a text in err (may be NULL) such as
 * "store: put /registry/pods/a/b: MDB_MAP_FULL: ...". LMDB failures map to BUS_EUNAVAILABLE
 * (MDB_MAP_FULL, MDB_TXN_FULL: the environment is full) or BUS_EINTERNAL (anything else,
 * including corrupt records).
 *
 * Threads. The index of keys is kept in memory (rebuilt at open from the history: an O(history)
 * pass; it holds an entry per version, so memory grows with what is stored, as the file does).
 * One thread at a time may write (store_kv_txn, store_kv_compact, one write transaction after
 * the other, each committed or aborted as the caller decides: nothing needs to be said to the
 * keyspace either way), while other threads read (store_kv_range, store_kv_events,
 * store_kv_digest, store_kv_stats, store_kv_revision), each through its own read transaction,
 * and see exactly that transaction's snapshot. Versions compaction removes stay in memory until
 * store_kv_settle says no reader can need them any more. open and destroy: no other thread. LMDB's
 * rules apply to the txns. */
#pragma once

#include "bus_arena.h"
#include "kubus_schema.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Named databases used (size mdb_env_set_maxdbs for at least this many of ours):
 *   "kv.revs"  every version of every key: its key, numbers and value, by revision
 *   "kv.meta"  current and compacted revision, compaction's progress, last revision per group
 * The encodings are described at the top of store_kv.c. */
#define STORE_KV_DBS 2

/* Longest key (a group's meta key, "g" and up to the whole key, must fit LMDB's 511). */
#define STORE_KV_KEY_MAX 503
/* Largest revision the encoding holds (2^56 - 2; at a million writes a second, 2000 years). */
#define STORE_KV_REVISION_MAX ((UINT64_C(1) << 56) - 2)
/* Most kvs in one range reply and events in one watch reply (the schema's list limits). */
#define STORE_KV_RANGE_KVS_MAX 100000
#define STORE_KV_EVENTS_MAX    100000

/* Limits; 0 takes the default. value_max decides which transactions are refused, so every
 * member of a cluster must use the same value. */
typedef struct {
    size_t value_max;        /* largest value (default 1.5 MiB; at most 16000000, the schema's) */
    size_t reply_bytes_max;  /* key and value bytes in one range or watch reply (default 8 MiB) */
    uint64_t count_scan_max; /* keys a range visits past its page to count (default 1000000) */
} store_kv_limits_t;

#define STORE_KV_VALUE_MAX_DEF       (1536u * 1024u)
#define STORE_KV_REPLY_BYTES_MAX_DEF (8u << 20)
#define STORE_KV_COUNT_SCAN_MAX_DEF  1000000u

/* The keyspace (the schema already names the message store_kv_t). */
typedef struct store_kv_space_t store_kv_space_t;

/* What a transaction changed, for the service to publish. */
typedef struct {
    uint64_t revision;   /* the transaction's revision; 0 when it changed nothing */
    codec_list_t events; /* store_event_t[], in op order; kv and prev are always filled */
} store_kv_changes_t;

/* Counters for metrics and tests (cheap: LMDB keeps the entry counts). */
typedef struct {
    uint64_t revision;
    uint64_t compacted;
    size_t versions; /* versions and tombstones the index holds as of txn (the writer's, or one
                      * reading the last commit) */
    size_t history;  /* entries in kv.revs: one per version, so always equal to versions */
    size_t groups;   /* groups with a recorded last revision */
    bool compacting; /* history at or below the compacted revision is still to be processed */
} store_kv_stats_t;

/* Opens (creating when absent) the databases inside txn, a write transaction, and initializes
 * an empty keyspace at revision 1. The handles become usable in other transactions once the
 * caller commits txn (LMDB's rule for new database handles), and builds the index of keys out of
 * the history txn sees (one pass over it). limits may be NULL. Returns 0 with *out set, or an
 * error: an LMDB failure (BUS_EINTERNAL for a corrupt history), BUS_ECONFIG for a keyspace
 * written in another format (this build reads format 3), BUS_EINVALID for limits out of range. */
int store_kv_open(MDB_txn *txn, const store_kv_limits_t *limits, store_kv_space_t **out, char *err,
                  size_t errlen);
/* Frees the handle (the databases stay in the environment). Accepts NULL. */
void store_kv_destroy(store_kv_space_t **self_p);

/* The current revision (1 for an empty store) and the compacted one (0 before any compaction),
 * as seen by txn (read or write). 0 when LMDB fails, which an opened keyspace does not. */
uint64_t store_kv_revision(store_kv_space_t *self, MDB_txn *txn);
uint64_t store_kv_compacted(store_kv_space_t *self, MDB_txn *txn);

/* Applies a transaction in wtxn: if every compare holds run req->success, else req->failure.
 * Compares: target mod, create, version or exists (1 or 0) of the key's current state, with
 * eq/ne/lt/gt against value; a missing key has 0 for all four. Ops: put (creates the key or adds
 * a version), delete (a missing key: nothing changes, deleted 0). If anything changes, every
 * change takes revision current + 1, ordered by op. A key may appear once per branch.
 *
 * reply gets revision (the store's after the txn), succeeded, one result per op run (prev when
 * the op asked prev_kv and the key existed; deleted for deletes) and a header (revision and
 * compacted; the caller fills member, leader, term). changes (may be NULL) gets the events, with
 * group_prev: the last revision before this one that changed the event's group (the key up to its
 * third '/', the whole key if it has fewer). Values and keys in reply and changes point into req
 * (put values) or arena (copies out of LMDB): valid while both are.
 *
 * Errors. The request's own faults come before any write and leave wtxn untouched; they depend
 * only on the request and value_max, so every replica refuses the same entries: BUS_EINVALID
 * (empty key, key over STORE_KV_KEY_MAX, a key twice in a branch, anything codec_validate
 * refuses) and BUS_ETOOBIG (a value over value_max). Local faults: BUS_ETOOBIG when arena runs out
 * (also before any write; prev values are copied into it, so give it room for the largest txn:
 * up to 128 values of value_max), and LMDB errors (BUS_EUNAVAILABLE for MDB_MAP_FULL), which may
 * leave part of the txn written: abort wtxn, or pass a nested txn to keep its parent. A replica
 * must never skip an entry for a local fault: it retries it or stops. (Past
 * STORE_KV_REVISION_MAX every change is refused with BUS_EUNAVAILABLE.) */
int store_kv_txn(store_kv_space_t *self, MDB_txn *wtxn, const store_txn_request_t *req,
                 bus_arena_t *arena, store_txn_reply_t *reply, store_kv_changes_t *changes,
                 char *err, size_t errlen);

/* The keys of a range at a revision, sorted by key. The range is key alone (end empty), every key
 * starting with key (prefix), or [key, end). Revision 0 reads the current one; one above it is
 * BUS_EUNAVAILABLE (this member is behind: ask again or ask the leader); one below the compacted
 * revision BUS_EGONE. Deleted keys are absent. At most limit kvs (0: no limit), and never more
 * than STORE_KV_RANGE_KVS_MAX or reply_bytes_max bytes of keys and values (always at least one):
 * more says keys are left. after continues a listing: only keys above it are returned.
 * keys_only leaves values out; count_only returns no kvs. A key, end or after longer than a key
 * can be is BUS_EINVALID.
 *
 * count is the number of keys of the range above after (the whole range without after), so
 * count - kvs.n keys remain, as in etcd. Counting past the page visits at most count_scan_max
 * more keys; beyond that count is a lower bound. header.revision is the revision the read was
 * served at. Everything in reply is copied into arena (BUS_ETOOBIG when it runs out). */
int store_kv_range(store_kv_space_t *self, MDB_txn *rtxn, const store_range_request_t *req,
                   bus_arena_t *arena, store_range_reply_t *reply, char *err, size_t errlen);

/* The changes to keys under req->prefix from req->from_revision on, in revision then op order,
 * out of the history: the same events store_kv_txn reported, with prev only when req->prev_kv
 * and group_prev 0. At most max (0: STORE_KV_EVENTS_MAX) events and reply_bytes_max bytes, but a
 * revision's events are never split (the first revision always comes whole): more says ask again
 * from the last event's revision + 1. from_revision at or below the compacted revision: BUS_EGONE
 * (its events may be gone), with the compacted revision in the text; above the current revision: no
 * events. header.revision is the current revision. Copies into arena. */
int store_kv_events(store_kv_space_t *self, MDB_txn *rtxn, const store_watch_request_t *req,
                    bus_arena_t *arena, store_watch_reply_t *reply, char *err, size_t errlen);

/* Compacts to revision: forgets every version below it except, for each key, the latest at or
 * below it (unless that is a delete), and the history up to it (watches no longer see those kept
 * versions as events). Reads below revision answer BUS_EGONE from the first call on; the work
 * itself is incremental: each call processes at most max_steps history entries (each a handful of
 * LMDB operations), records its progress in wtxn, and sets *done when nothing is left. Call again,
 * in new transactions, with the same revision (or 0: go on with the recorded one) until done. A
 * revision at or below the recorded one just goes on. Errors: BUS_EINVALID for a revision above the
 * current one; LMDB errors (abort wtxn). */
int store_kv_compact(store_kv_space_t *self, MDB_txn *wtxn, uint64_t revision, size_t max_steps,
                     bool *done, char *err, size_t errlen);

/* Frees the memory of the versions that compaction steps committed as of txn's snapshot removed.
 * Until then the index keeps them, because a reader whose snapshot is older may still read them.
 * Call it with txn as new as the last commit, when no read transaction older than txn will be
 * used with the keyspace again (the member: from its loop, the only reader, once its read
 * transaction was renewed after the writer's commit). Skipping it costs only memory. Any thread;
 * an LMDB error when txn cannot be read. */
int store_kv_settle(store_kv_space_t *self, MDB_txn *txn, char *err, size_t errlen);

/* A BLAKE2b-256 digest of the logical content: the current and compacted revisions, every live
 * key with its revisions, version and value, and the last revision of every group. Replicas at
 * the same applied index have equal digests whatever their compaction progress. Visits every
 * key: an O(keys) scan. */
int store_kv_digest(store_kv_space_t *self, MDB_txn *txn, uint8_t out[32], char *err,
                    size_t errlen);

/* Counters (see store_kv_stats_t). */
int store_kv_stats(store_kv_space_t *self, MDB_txn *txn, store_kv_stats_t *out, char *err,
                   size_t errlen);

/* The group of a key: its length up to and including the third '/' (the whole key if fewer). */
size_t store_kv_group_len(const char *key, size_t len);

void store_kv_test(bool verbose);
