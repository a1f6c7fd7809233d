/* store_kv_index: store_kv's index of versions, in memory: every user key in byte order (a
 * store_kv_map), each with its versions (mod revision, sub, tombstone or live with create revision
 * and version), oldest first. The values stay in LMDB's kv.revs, named by (mod, sub). store_kv
 * builds it at open from kv.revs and keeps it in step with its write transactions; it is not a
 * cache that can miss, and not the MVCC rules (store_kv.c applies them).
 *
 * One writer thread (store_kv_txn, store_kv_compact) and reader threads, each with its own LMDB
 * transaction, use it at once; a read-write lock guards it, held for one operation (a scan copies
 * a bounded number of keys out and lets go). Why each reader still sees exactly its snapshot:
 *
 * - Adds. A reader reads at a revision R no newer than the revision its LMDB snapshot holds, and
 *   takes of each key the newest version at or below R. A version the writer adds has the next
 *   revision, above every revision in any committed snapshot: no reader takes it until a snapshot
 *   holds its commit, and then its value is in that snapshot too.
 * - Aborts. The writer's transaction may abort (the batch runs again later); its adds and marks
 *   must then go, and they do, with no call from the caller: at the start of each write call the
 *   writer passes sync what its transaction sees: the revision r and compaction's resume point p.
 *   An add above r, or a mark at or past p, belongs to a transaction that did not commit (a
 *   committed one would have moved r or p past it; the current one moved them past its own
 *   earlier work, since store_kv writes r after its adds and p after its marks). Those are undone,
 *   newest first, before the transaction writes anything: no revision above r is reached again
 *   before its stale adds are gone. Until then readers skip them as they skip any add above R.
 *   What is left is committed or the current transaction's; entries of older transactions (a
 *   smaller mdb_txn_id: LMDB numbers write transactions by the commit they follow) are dropped.
 * - Compaction. A compaction step deletes from kv.revs versions that an older snapshot may still
 *   need (a reader at a revision below the new compacted one, allowed by its snapshot). So the
 *   index keeps them: the writer only marks them gone (a prefix of the key's versions, which its
 *   later steps skip) and notes the step. settle removes the versions of the steps committed in a
 *   given snapshot, and is called when no reader is at an older one: every reader left then reads
 *   at or above the compacted revision C of those steps, where the newest version at or below its
 *   revision is the same with or without them (a step at revision r <= C removes versions below r,
 *   and the tombstone at r with them), and every version it can take still has its record.
 *   Readers ignore the marks: with the marked versions in place, they read what they would read
 *   without them, for the same reason.
 *
 * Memory: one entry per version in kv.revs, plus the versions compaction removed since the last
 * settle and the adds of the transaction under way: a key costs its bytes and about 100 more,
 * a version 32. */
#pragma once

#include "store_kv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t mod;     /* the revision that wrote it: its record in kv.revs is (mod, sub) */
    uint64_t create;  /* 0 for a tombstone */
    uint64_t version; /* 0 for a tombstone */
    uint16_t sub;
    bool live;
} store_kv_ver_t;

/* A place in kv.revs (its key as numbers), such as compaction's resume point. */
typedef struct {
    uint64_t rev;
    uint16_t sub;
} store_kv_pos_t;

/* One key of a scan, copied out. */
typedef struct {
    char key[STORE_KV_KEY_MAX + 1]; /* NUL-terminated */
    size_t len;
    bool has;         /* whether it had a version at the scan's revision */
    store_kv_ver_t v; /* that version (a tombstone when the key was deleted then) */
} store_kv_index_item_t;

typedef struct store_kv_index_t store_kv_index_t;

store_kv_index_t *store_kv_index_new(void);
void store_kv_index_destroy(store_kv_index_t **self_p);

/* Rebuilding at open, one kv.revs record after the other in order: v becomes key's newest
 * version. -1 (nothing added) when it is not newer than the key's newest. */
int store_kv_index_load(store_kv_index_t *self, const char *key, size_t len,
                        const store_kv_ver_t *v);

/* --- reads (any thread) --------------------------------------------------------------------- */

/* key's newest version at or below rev in *out; false when it has none. */
bool store_kv_index_latest(store_kv_index_t *self, const char *key, size_t len, uint64_t rev,
                           store_kv_ver_t *out);
/* Copies out up to max keys at or above from, in order, each with its version at rev. Returns how
 * many; fewer than max means the index ends there. */
size_t store_kv_index_scan(store_kv_index_t *self, const void *from, size_t len, uint64_t rev,
                           store_kv_index_item_t *out, size_t max);
/* Versions that exist as of a transaction that sees revision rev and resume point resume: the
 * index less the adds above rev and the removals before resume not yet settled. Exact for the
 * writer's transaction and for a reader of the last commit (an older one may count newer adds). */
size_t store_kv_index_versions(store_kv_index_t *self, uint64_t rev, store_kv_pos_t resume);
/* Versions held in memory, removed ones not yet settled and uncommitted adds included. */
size_t store_kv_index_held(store_kv_index_t *self);

/* --- the writer ----------------------------------------------------------------------------- */

/* At the start of each write call: txn is mdb_txn_id of the write transaction, rev and resume
 * what it sees. Undoes what transactions that did not commit left; forgets the undo records of
 * committed ones. */
void store_kv_index_sync(store_kv_index_t *self, size_t txn, uint64_t rev, store_kv_pos_t resume);
/* v becomes key's newest version, in transaction txn (undone if that does not commit). */
void store_kv_index_add(store_kv_index_t *self, size_t txn, const char *key, size_t len,
                        const store_kv_ver_t *v);
/* Compaction's step over the change at of key: marks gone the key's versions below at.rev that
 * are not yet, and the version at at itself when it is a tombstone. *gone (valid until the next
 * call) gets them, n their count: the caller deletes their records. -1 when key has no version
 * at at, or it is gone already (the index and kv.revs disagree). */
int store_kv_index_compact(store_kv_index_t *self, size_t txn, const char *key, size_t len,
                           store_kv_pos_t at, const store_kv_ver_t **gone, size_t *n);

/* --- settling (any thread) ------------------------------------------------------------------ */

/* Removes the versions marked gone by compaction steps before resume, the resume point a
 * snapshot holds (so those steps are committed). Only when no reader uses an older snapshot. */
void store_kv_index_settle(store_kv_index_t *self, store_kv_pos_t resume);
