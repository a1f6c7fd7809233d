/* store_member: one member of the store: its LMDB environment (the Raft log, the keyspace, the
 * sessions), the Raft core, and a disk worker thread that persists and applies each ready while
 * the member goes on taking requests. Requests come in as calls; answers, Raft messages and
 * changes go out through callbacks. It knows nothing of the bus (store_service.c puts it there),
 * so the selftest runs whole clusters of members in one process.
 *
 * Threads: every call, and every callback, happens on the caller's thread. The worker only
 * touches LMDB, and the core's membership through raft_apply_conf while it holds the ready; it
 * says it is done by making store_member_fd readable. */
#pragma once

#include "bus_codec.h"
#include "kubus_schema.h"
#include "raft.h"
#include "store_kv.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_member_t store_member_t;

typedef struct {
    const char *data_dir; /* holds data.mdb and snap/; created when absent */
    const char *name;     /* this member (at most 63 bytes) */
    uint64_t cluster;     /* the cluster's id: data of another cluster is refused */
    /* The first members, by name, for a member's first start: the log starts with them. None:
     * the member joins an existing cluster and waits to be added. Ignored once data exists. */
    const char *const *initial;
    size_t initial_n;
    size_t map_bytes;   /* LMDB map (default 8 GiB; the file grows as needed) */
    size_t quota_bytes; /* writes other than deletes are refused past this use (default 2 GiB) */
    store_kv_limits_t limits;
    uint32_t election_ticks, heartbeat_ticks; /* defaults 10 and 1 (ticks are the caller's) */
    uint64_t snapshot_entries; /* applied entries between snapshots (default 100000) */
    uint64_t catchup_entries;  /* entries kept in the log behind a snapshot (default 10000) */
    size_t pending_max;        /* proposals and reads waiting at once (default 20000) */
    /* Periodic compaction: every this many ticks the leader compacts the history to the revision
     * it saw at the previous period, so between one and two periods of history stay (0: never;
     * compact on demand only). */
    uint64_t compact_ticks;
    uint64_t seed;
} store_member_config_t;

/* What the member needs done outside. send, reply and forward are needed; the others are optional.
 */
typedef struct {
    void *arg;
    /* A Raft message for member m->to (whose name is store_member_name_of, if known). */
    void (*send)(void *arg, const raft_msg_t *m);
    /* The answer to the request that came with cookie: status 0 with a body of message type
     * type (msgpack bytes), or an error and its text. Exactly once per accepted request. */
    void (*reply)(void *arg, void *cookie, int status, const char *error, uint32_t type,
                  const uint8_t *body, size_t len);
    /* A write for the leader (an encoded store.proposal): send it to member leader, and answer
     * cookie with what it answers. The cookie is the caller's again. */
    void (*forward)(void *arg, void *cookie, const char *leader, const uint8_t *data, size_t len);
    /* A change applied on this member, while it leads: key and an encoded store.event. */
    void (*change)(void *arg, const char *key, const uint8_t *body, size_t len);
    /* The leader's snapshot must be fetched: from member from (by name) the snapshot at index,
     * into path; then call store_member_snapshot_fetched. */
    void (*fetch)(void *arg, const char *from, uint64_t index, const char *path);
    /* Role or leader changed. */
    void (*role)(void *arg, raft_role_t role, uint64_t leader);
} store_member_io_t;

/* Opens (creating) the member's data and starts its worker. NULL with err set: BUS_ECONFIG kinds
 * of trouble (another cluster's or member's data, an unknown format, a data file that is not
 * LMDB's) are named in the text. */
store_member_t *store_member_new(const store_member_config_t *cfg, const store_member_io_t *io,
                                 char *err, size_t errlen);
/* Waits for the worker, then closes. Requests still waiting are answered "closed". */
void store_member_destroy(store_member_t **self_p);

/* Readable when the worker finished a ready: then call store_member_poll. */
int store_member_fd(store_member_t *self);
/* Takes up whatever the worker finished, hands it the next ready when there is one. Call after
 * every batch of calls (and when the fd is readable): this is where the work happens. */
void store_member_poll(store_member_t *self);
void store_member_tick(store_member_t *self);

/* A Raft message from member from_name (as the bus authenticated it; NULL: unknown). */
void store_member_step(store_member_t *self, const store_raft_t *msg, const char *from_name);
/* m as a store.raft message of this member's cluster; entries are allocated in arena and point
 * to m's data. BUS_ETOOBIG when arena runs out. */
int store_member_to_wire(store_member_t *self, const raft_msg_t *m, store_raft_t *w,
                         bus_arena_t *arena);

/* Requests. cookie comes back with the answer (reply callback), exactly once, for requests that
 * return 0; any other return is the answer (err has its text). */
/* A write: proposed on the leader, forwarded to it from a follower (io.forward), kept a while
 * when there is no leader. origin names the client's request (caller and request id) across
 * retries; NULL or "" for none. Refused at once: keys or values over the limits, a store past its
 * quota (writes other than deletes), too many requests waiting. */
int store_member_txn(store_member_t *self, void *cookie, const char *origin,
                     const store_txn_request_t *req, char *err, size_t errlen);
int store_member_compact(store_member_t *self, void *cookie, const char *origin, uint64_t revision,
                         char *err, size_t errlen);
/* A write io.forward gave back because its leader could not be reached: submitted again, to
 * whoever leads now (kept a while if nobody does). Answered through io.reply as usual. */
void store_member_resubmit(store_member_t *self, void *cookie, const uint8_t *data, size_t len);
/* A proposal forwarded by another member (encoded store.proposal). */
int store_member_propose(store_member_t *self, void *cookie, const uint8_t *data, size_t len,
                         char *err, size_t errlen);
/* Reads: serializable ones are answered at once (before returning 0); linearizable ones once a
 * read index confirms this member is current. */
int store_member_range(store_member_t *self, void *cookie, const store_range_request_t *req,
                       char *err, size_t errlen);
int store_member_watch(store_member_t *self, void *cookie, const store_watch_request_t *req,
                       char *err, size_t errlen);
/* Membership (leader only, else RAFT_ENOTLEADER): add (as a learner, promoted once caught up)
 * or remove. */
int store_member_member(store_member_t *self, void *cookie, int action, const char *name, char *err,
                        size_t errlen);
/* Answered at once. */
int store_member_status(store_member_t *self, void *cookie);
/* A piece of a snapshot (see store.snapshot_request). */
int store_member_snapshot(store_member_t *self, void *cookie, const store_snapshot_request_t *req,
                          char *err, size_t errlen);
/* The snapshot asked for through io.fetch is at path (rc 0), or could not be had (rc < 0). */
void store_member_snapshot_fetched(store_member_t *self, uint64_t index, int rc);
/* Rewrites the data file without its free pages (blocks the member meanwhile). */
int store_member_defrag(store_member_t *self, void *cookie, char *err, size_t errlen);

/* Who leads (0 / NULL: unknown), as this member knows. */
uint64_t store_member_leader(store_member_t *self);
const char *store_member_name_of(store_member_t *self, uint64_t id);
uint64_t store_member_id(store_member_t *self);
raft_role_t store_member_role(store_member_t *self);
/* Before a leader stops (a rolling restart): hands leadership to the voter that has the most of
 * the log and was heard from lately, so writes pause for a round trip instead of an election
 * timeout. 0 when a transfer is started (store_member_role tells when it is done), 1 when there
 * is nothing to hand over (not the leader, or no other voter in reach). */
int store_member_hand_off(store_member_t *self);

void store_member_test(bool verbose);
