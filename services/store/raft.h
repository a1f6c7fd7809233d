/* raft: the Raft consensus core as a pure state machine, in the manner of etcd's raft. It owns
 * no socket, clock, disk or global randomness: time arrives as raft_tick, randomness comes from
 * a seed, peers' messages arrive through raft_step, and everything the core wants done leaves
 * through raft_ready as data. The application then, in this order:
 *   1. persists the ready's entries (replacing any persisted entries from their first index on),
 *      its hard state and its snapshot, durably;
 *   2. sends its messages;
 *   3. applies its committed entries (calling raft_apply_conf for membership changes);
 *   4. calls raft_advance.
 * Implemented: leader election with pre-vote and check-quorum, replication with pipelining and
 * batching, commit, snapshots (metadata here; the application moves the data), ReadIndex,
 * single-member changes through learners, leader transfer. Not thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_NONE        0
#define RAFT_MEMBERS_MAX 16

typedef enum { RAFT_FOLLOWER, RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER } raft_role_t;

/* The same numbers as store.entry_type and store.raft_msg_type on the wire. */
enum { RAFT_ENTRY_NORMAL = 1, RAFT_ENTRY_CONF = 2, RAFT_ENTRY_NOOP = 3 };
enum {
    RAFT_MSG_APP = 1,
    RAFT_MSG_APP_RESP,
    RAFT_MSG_VOTE,
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_PRE_VOTE,
    RAFT_MSG_PRE_VOTE_RESP,
    RAFT_MSG_HEARTBEAT,
    RAFT_MSG_HEARTBEAT_RESP,
    RAFT_MSG_SNAP,
    RAFT_MSG_TIMEOUT_NOW,
    RAFT_MSG_READ_INDEX,
    RAFT_MSG_READ_INDEX_RESP,
};
/* Membership changes. RAFT_CONF_ADD_VOTER only appears in the bootstrap entries (members join
 * as learners and are promoted once they have caught up). */
enum {
    RAFT_CONF_ADD_LEARNER = 1,
    RAFT_CONF_PROMOTE = 2,
    RAFT_CONF_REMOVE = 3,
    RAFT_CONF_ADD_VOTER = 4
};

/* Errors from the core's calls (bus_err.h codes are used by the layers around it). */
enum {
    RAFT_OK = 0,
    RAFT_ENOTLEADER = -7000,   /* only the leader takes proposals */
    RAFT_EBUSY = -7001,        /* a transfer or membership change is under way, or too much is
                                  uncommitted */
    RAFT_ECOMPACTED = -7002,   /* storage: the index is below the first one kept */
    RAFT_EUNAVAILABLE = -7003, /* storage: the index is beyond the last one */
    RAFT_EINVALID = -7004,
};

typedef struct {
    uint64_t term;
    uint64_t index;
    uint8_t type;
    const uint8_t *data;
    size_t len;
} raft_entry_t;

typedef struct {
    uint64_t voters[RAFT_MEMBERS_MAX];
    size_t voters_n;
    uint64_t learners[RAFT_MEMBERS_MAX];
    size_t learners_n;
} raft_conf_t;

typedef struct {
    uint64_t index;
    uint64_t term;
    raft_conf_t conf;
} raft_snap_meta_t;

typedef struct {
    uint8_t type;
    uint64_t from, to;
    uint64_t term;
    uint64_t log_term;
    uint64_t index;
    uint64_t commit;
    const raft_entry_t *entries;
    size_t entries_n;
    bool reject;
    uint64_t reject_hint;
    uint64_t context;
    raft_snap_meta_t snap; /* RAFT_MSG_SNAP */
} raft_msg_t;

typedef struct {
    uint64_t term;
    uint64_t vote;
    uint64_t commit;
} raft_hard_t;

/* The durable log, as the application kept it. The core only reads it. */
typedef struct {
    void *arg;
    /* First index still kept (the snapshot's index + 1) and the last one persisted. */
    uint64_t (*first_index)(void *arg);
    uint64_t (*last_index)(void *arg);
    /* The term of index; the snapshot's index answers its term. RAFT_ECOMPACTED below,
     * RAFT_EUNAVAILABLE above the last. */
    int (*term)(void *arg, uint64_t index, uint64_t *term);
    /* Calls emit for entries lo, lo+1, ... < hi, stopping after the first that brings the total
     * data past max_bytes (at least one is always given). Entries are copied by emit. */
    int (*entries)(void *arg, uint64_t lo, uint64_t hi, size_t max_bytes,
                   void (*emit)(void *ctx, const raft_entry_t *e), void *ctx);
    /* The latest snapshot's metadata (its data travels outside the core). */
    int (*snapshot)(void *arg, raft_snap_meta_t *meta);
} raft_storage_t;

typedef struct {
    uint64_t id;
    uint32_t election_ticks;  /* followers campaign after [this, 2 * this) ticks of silence */
    uint32_t heartbeat_ticks; /* the leader heartbeats this often */
    uint32_t inflight_max;    /* append messages in flight to one follower */
    size_t batch_bytes;       /* entry bytes in one append message */
    size_t uncommitted_max;   /* bytes proposed and not yet committed; more is RAFT_EBUSY */
    size_t apply_bytes;       /* committed entry bytes handed out in one ready */
    bool pre_vote;
    bool check_quorum;
    uint64_t seed; /* randomises election timeouts */
    /* What was persisted: hard state, the membership as of the applied index, the applied
     * index itself. The log comes through storage. */
    raft_hard_t hard;
    raft_conf_t conf;
    uint64_t applied;
    raft_storage_t storage;
} raft_config_t;

typedef struct {
    uint64_t context;
    uint64_t index; /* serve the read once this index is applied */
} raft_read_t;

typedef struct {
    bool soft_changed; /* role or leader changed */
    raft_role_t role;
    uint64_t leader;
    bool hard_changed;
    raft_hard_t hard;
    const raft_entry_t *entries; /* to persist */
    size_t entries_n;
    bool has_snapshot; /* to install (its data was fetched before raft_step) */
    raft_snap_meta_t snapshot;
    const raft_entry_t *committed; /* to apply, in order */
    size_t committed_n;
    const raft_msg_t *msgs; /* to send, after persisting */
    size_t msgs_n;
    const raft_read_t *reads; /* linearizable reads that may be served */
    size_t reads_n;
    const uint64_t *reads_dropped; /* contexts of reads that will never be confirmed */
    size_t reads_dropped_n;
    bool must_sync; /* entries or hard state changed: persist durably */
} raft_ready_t;

typedef enum { RAFT_PROBE, RAFT_REPLICATE, RAFT_SNAPSHOT } raft_progress_state_t;

typedef struct {
    uint64_t id;
    bool learner;
    uint64_t match, next;
    raft_progress_state_t state;
    bool active;
} raft_peer_status_t;

typedef struct {
    uint64_t id;
    raft_role_t role;
    uint64_t leader;
    uint64_t term;
    uint64_t commit;
    uint64_t applied;
    uint64_t last_index;
    uint64_t transferee;
    raft_conf_t conf;
    raft_peer_status_t peers[2 * RAFT_MEMBERS_MAX]; /* leader only */
    size_t peers_n;
} raft_status_t;

typedef struct raft_t raft_t;

/* A core from persisted state. NULL when the configuration is inconsistent (err says why). */
raft_t *raft_new(const raft_config_t *config, char *err, size_t errlen);
void raft_destroy(raft_t **self_p);

void raft_tick(raft_t *self);
/* A message from a peer. Messages for another member, or malformed ones, are ignored. */
int raft_step(raft_t *self, const raft_msg_t *msg);

/* Appends data as a new entry. *index gets its index (and *term its term): the application
 * knows its proposal was applied when the entry at that index has that term. */
int raft_propose(raft_t *self, const uint8_t *data, size_t len, uint64_t *index, uint64_t *term);
/* Proposes one membership change; RAFT_EBUSY while another is not yet applied. */
int raft_propose_conf(raft_t *self, int type, uint64_t member, uint64_t *index);
/* Applies a committed RAFT_ENTRY_CONF entry; *conf gets the new membership to persist with the
 * applied index. RAFT_EINVALID for a malformed or impossible change (applied as a no-op). */
int raft_apply_conf(raft_t *self, const raft_entry_t *entry, raft_conf_t *conf);
/* Asks for a linearizable read; the ready's reads (or reads_dropped) will name context. */
int raft_read_index(raft_t *self, uint64_t context);
/* Hands leadership to member to (it campaigns once it has every entry). Proposals are refused
 * (RAFT_EBUSY) until it has, or until an election timeout gives up on it. */
int raft_transfer(raft_t *self, uint64_t to);
/* The member a transfer under way hands leadership to (RAFT_NONE: none). */
uint64_t raft_transferee(const raft_t *self);
/* Starts an election now (for tests and for a lone member after restart). */
void raft_campaign(raft_t *self);

bool raft_has_ready(raft_t *self);
/* What to do now; valid until raft_advance. */
void raft_ready(raft_t *self, raft_ready_t *rd);
/* The ready was persisted, sent and applied. */
void raft_advance(raft_t *self, const raft_ready_t *rd);

void raft_status(raft_t *self, raft_status_t *st);
const char *raft_role_name(raft_role_t role);
const char *raft_msg_name(int type);

/* The log every initial member starts with: one RAFT_CONF_ADD_VOTER entry per voter (term 1,
 * indices 1..n, in the order given), so that a member that joins later and replays the log learns
 * the whole membership. data must hold 9 bytes per voter; out gets n entries pointing into it.
 * The initial members start with hard state {term 1, vote none, commit n}, applied n, and conf
 * = the voters. */
size_t raft_bootstrap(const uint64_t *voters, size_t n, uint8_t (*data)[9], raft_entry_t *out);

/* Encoding of a membership change entry's data (9 bytes: type, member big-endian). */
size_t raft_conf_encode(int type, uint64_t member, uint8_t out[9]);
int raft_conf_decode(const uint8_t *data, size_t len, int *type, uint64_t *member);
bool raft_conf_has(const raft_conf_t *conf, uint64_t id, bool *learner);
