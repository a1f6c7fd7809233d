/* store_log: the Raft side of a member's LMDB environment: the log, the hard state, the
 * membership and applied index (written with the entries they follow from), where the log
 * starts after compaction, the newest snapshot's metadata, and who the member is (its id, name
 * and cluster). The core reads the log through store_log_storage; the member writes the rest in
 * its one transaction per ready. Not the keyspace (store_kv), not the loop around them.
 *
 * The handle caches the log's bounds, so one store_log_t serves one environment, and writes
 * through it must be committed (or store_log_reload called after an abort). Not thread-safe: the
 * member gives the core and the disk worker turns, never both at once. */
#pragma once

#include "raft.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Named databases used: "raft.log" (index -> term, type, data) and "raft.meta". */
#define STORE_LOG_DBS  2
#define STORE_NAME_MAX 63

typedef struct store_log_t store_log_t;

/* What a member persisted besides its log. */
typedef struct {
    uint64_t cluster;              /* 0 until store_log_init */
    uint64_t member;               /* this member's id */
    char name[STORE_NAME_MAX + 1]; /* and its name */
    raft_hard_t hard;
    raft_conf_t conf; /* the membership as of applied */
    uint64_t applied, applied_term;
    uint64_t first, last;  /* the log holds [first, last]; empty when last < first */
    uint64_t prev_term;    /* the term of first - 1 */
    raft_snap_meta_t snap; /* the newest snapshot kept (index 0: none) */
} store_log_state_t;

/* Opens (creating) the databases inside txn, a write transaction; their handles become usable
 * elsewhere once txn commits. 0 with *out set, or BUS_ECONFIG for data in an unknown format,
 * BUS_EINTERNAL for an LMDB failure (err says which). */
int store_log_open(MDB_txn *txn, store_log_t **out, char *err, size_t errlen);
void store_log_destroy(store_log_t **self_p);
/* Points the handle at another environment (the data file was replaced): opens the databases in
 * txn and loads the state. The core's storage callbacks stay valid. */
int store_log_reopen(store_log_t *self, MDB_txn *txn, char *err, size_t errlen);

/* Reads what was persisted (and refreshes the cached bounds). */
int store_log_load(store_log_t *self, MDB_txn *txn, store_log_state_t *out, char *err,
                   size_t errlen);
/* The state as of the last load or write through this handle. */
const store_log_state_t *store_log_state(const store_log_t *self);

/* First start: records cluster, member and name. Started again: checks them, BUS_ECONFIG with a
 * clear text when the data belongs to another cluster or member. With adopt (data copied from
 * another member) records them whatever the data held. */
int store_log_identify(store_log_t *self, MDB_txn *wtxn, uint64_t cluster, uint64_t member,
                       const char *name, bool adopt, char *err, size_t errlen);
/* Records a hard state. */
int store_log_set_hard(store_log_t *self, MDB_txn *wtxn, const raft_hard_t *hard, char *err,
                       size_t errlen);
/* An empty log only: starts it with the bootstrap entries of voters (raft_bootstrap), hard state
 * {1, none, n}, applied n, conf the voters. */
int store_log_bootstrap(store_log_t *self, MDB_txn *wtxn, const uint64_t *voters, size_t n,
                        char *err, size_t errlen);

/* Persists a ready's log part: its entries (replacing any persisted from their first index on)
 * and its hard state. A snapshot in the ready is installed by store_log_reset, before. */
int store_log_persist(store_log_t *self, MDB_txn *wtxn, const raft_ready_t *rd, char *err,
                      size_t errlen);
/* Records the applied index (and its term) and the membership as of it. */
int store_log_set_applied(store_log_t *self, MDB_txn *wtxn, uint64_t index, uint64_t term,
                          const raft_conf_t *conf, char *err, size_t errlen);
/* Empties the log so that it starts after index (of term): for a snapshot installed, or a
 * restore. Sets applied to index and conf to conf. */
int store_log_reset(store_log_t *self, MDB_txn *wtxn, uint64_t index, uint64_t term,
                    const raft_conf_t *conf, char *err, size_t errlen);
/* Drops entries up to and including index (at most applied), keeping its term; at most
 * max_entries of them per call (0: all). *done when none below index is left. */
int store_log_compact(store_log_t *self, MDB_txn *wtxn, uint64_t index, size_t max_entries,
                      bool *done, char *err, size_t errlen);
/* Records the newest snapshot's metadata (index 0: none). */
int store_log_set_snapshot(store_log_t *self, MDB_txn *wtxn, const raft_snap_meta_t *meta,
                           char *err, size_t errlen);
/* Drops cached bounds after a write transaction was aborted: reloads them from txn. */
int store_log_reload(store_log_t *self, MDB_txn *txn, char *err, size_t errlen);

/* The storage callbacks for the core. They read through the transaction store_log_use gave
 * (renewing nothing themselves): the member points them at a fresh read transaction before it
 * hands the core a turn. */
raft_storage_t store_log_storage(store_log_t *self);
void store_log_use(store_log_t *self, MDB_txn *txn);

/* A member's id from its name: the first 8 bytes of BLAKE2b(name), never 0. */
uint64_t store_log_member_id(const char *name);

/* Encoding of a membership in raft.meta (and in the snapshot metadata): for tests. */
size_t store_log_conf_encode(const raft_conf_t *conf, uint8_t *out, size_t cap);
int store_log_conf_decode(const uint8_t *data, size_t len, raft_conf_t *conf);

void store_log_test(bool verbose);
