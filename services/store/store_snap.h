/* store_snap: a member's data as files: snapshots made from the live environment (a compacted
 * copy of data.mdb, with its digest), read back in pieces for another member or an operator,
 * and a received or restored copy made this member's own and swapped in for its data file.
 * Plain file and LMDB work, no Raft and no threads of its own: the member decides when (and on
 * which thread) each step runs.
 *
 * Layout under a member's data directory:
 *   data.mdb, lock.mdb       the environment
 *   snap/<index>/data.mdb    a snapshot at applied index <index>; snap/<index>/info its metadata
 *   snap/tmp/                a snapshot being made
 *   incoming/data.mdb        a snapshot being received, or a defragmented copy */
#pragma once

#include "raft.h"
#include "store_log.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SNAP_DIGEST 32

typedef struct {
    raft_snap_meta_t meta; /* the applied index, its term and the membership the copy holds */
    uint64_t size;         /* bytes of data.mdb */
    uint8_t digest[STORE_SNAP_DIGEST]; /* BLAKE2b-256 of data.mdb */
} store_snap_info_t;

/* The named databases a member's environment holds, for mdb_env_set_maxdbs. */
#define STORE_ENV_DBS 16

/* Opens (creating the directory and file when create) the environment at dir/data.mdb with the
 * member's flags. BUS_ECONFIG when the file is not an LMDB environment of ours (text says). */
int store_snap_env_open(const char *dir, size_t map_bytes, bool create, MDB_env **out, char *err,
                        size_t errlen);

/* Makes a snapshot of env (a live environment: concurrent writers are fine) under
 * data_dir/snap/<index>, removing older ones; *info describes it. Slow: run it off the loop. */
int store_snap_make(MDB_env *env, const char *data_dir, store_snap_info_t *info, char *err,
                    size_t errlen);
/* The newest snapshot under data_dir: 0 with *info, or BUS_ENOTFOUND. */
int store_snap_newest(const char *data_dir, store_snap_info_t *info);
/* Its file path for index. */
void store_snap_path(const char *data_dir, uint64_t index, char *out, size_t cap);
/* Reads up to cap bytes at offset of snapshot index's file: 0 with *n, BUS_ENOTFOUND when no
 * such snapshot is kept. */
int store_snap_read(const char *data_dir, uint64_t index, uint64_t offset, uint8_t *buf, size_t cap,
                    size_t *n, store_snap_info_t *info);

/* Makes the environment file at path (a snapshot of another member) this member's: checks it is
 * of cluster (BUS_ECONFIG otherwise; a restore, restore true, gives it to a new cluster),
 * records the identity and the hard state, empties the log so that it starts after meta's index,
 * sets the membership to meta's and forgets the snapshots the file knew of. Synced. */
int store_snap_adopt(const char *path, uint64_t cluster, uint64_t member, const char *name,
                     const raft_hard_t *hard, const raft_snap_meta_t *meta, bool restore, char *err,
                     size_t errlen);
/* Reads a snapshot file's metadata (applied index, term, membership, cluster) and digest. */
int store_snap_inspect(const char *path, store_snap_info_t *info, uint64_t *cluster, char *err,
                       size_t errlen);
/* Replaces data_dir/data.mdb with the file at path, in one rename (synced). The environment
 * must be closed. */
int store_snap_swap(const char *path, const char *data_dir, char *err, size_t errlen);
/* Writes a compacted copy of env to data_dir/incoming/data.mdb (for defragmentation). */
int store_snap_copy(MDB_env *env, const char *data_dir, char *path, size_t cap, char *err,
                    size_t errlen);

void store_snap_test(bool verbose);
