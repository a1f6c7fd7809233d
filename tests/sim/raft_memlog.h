/* raft_memlog: a Raft log kept in memory, with the storage callbacks the core reads it through.
 * What the simulation and the scenario tests persist to; the store keeps its log in LMDB. Entries
 * from first on are kept (their data copied); the term of first - 1 is remembered, so the log
 * can be compacted behind a snapshot. */
#pragma once

#include "raft.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    raft_entry_t *e; /* entries first, first + 1, ...; data owned */
    size_t n, cap;
    uint64_t first;        /* index of e[0] */
    uint64_t prev_term;    /* term of first - 1 */
    raft_snap_meta_t snap; /* the latest snapshot's metadata (index 0: none) */
} raft_memlog_t;

void raft_memlog_init(raft_memlog_t *self);
void raft_memlog_free(raft_memlog_t *self);
uint64_t raft_memlog_last(const raft_memlog_t *self);
/* The term of index, or 0 when it is not in the log. */
uint64_t raft_memlog_term_of(const raft_memlog_t *self, uint64_t index);
void raft_memlog_append(raft_memlog_t *self, const raft_entry_t *e);
/* Drops entries from index on. */
void raft_memlog_truncate(raft_memlog_t *self, uint64_t from);
/* Drops entries up to and including index, keeping its term. */
void raft_memlog_compact(raft_memlog_t *self, uint64_t index);
/* Persists what a ready asks: a snapshot (the log restarts after it), then its entries, replacing
 * any from their first index on. RAFT_EINVALID if the entries would leave a hole. */
int raft_memlog_persist(raft_memlog_t *self, const raft_ready_t *rd);
/* The callbacks for raft_config_t.storage, reading this log. */
raft_storage_t raft_memlog_storage(raft_memlog_t *self);

void raft_memlog_test(bool verbose);
