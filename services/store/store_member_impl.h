/* store_member_impl: what the files of store_member share (store_member.c: the loop, the worker
 * hand-off and proposals; store_member_read.c: reads, status and membership;
 * store_member_files.c: snapshots, data-file swaps and defragmentation). Not for other modules. */
#pragma once

#include "bus_arena.h"
#include "bus_buf.h"
#include "bus_err.h"
#include "bus_log.h"
#include "store_apply.h"
#include "store_kv.h"
#include "store_log.h"
#include "store_member.h"
#include "store_snap.h"
#include "store_util.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SM_NAMES_MAX  64
#define SM_INBOX_MAX  4096 /* Raft messages kept while the worker holds the core; more drop */
#define SM_WAIT_TICKS 40   /* a request waits this long for a leader to be elected */
#define SM_READ_TICKS 20   /* a read index unanswered this long is asked again */
#define SM_READ_GIVEUP                                                                             \
    100                     /* a read not served this long after it came is answered "unavailable" \
                             */
#define SM_RETRY_TICKS   20 /* a failed disk job is tried again after this */
#define SM_SUSPECT_TICKS 10 /* a leader that did not answer a forward is not tried again sooner */
#define SM_PATH_MAX      4096

enum { SM_PROP = 1, SM_CONF = 2 };

typedef struct {
    void *cookie;
    uint64_t index, term;
    int kind;        /* SM_PROP, SM_CONF */
    uint64_t member; /* SM_CONF: the member added or removed */
} sm_pending_t;

typedef struct {
    void *cookie;
    uint8_t *data; /* an encoded store.proposal, owned */
    size_t len;
    uint64_t since; /* tick it came */
} sm_queued_t;

enum { SM_READ_WAIT = 0, SM_READ_ASKED, SM_READ_INDEXED };

typedef struct {
    void *cookie;
    uint8_t *req; /* the encoded store.range_request, owned */
    size_t len;
    int state;
    uint64_t ctx, index;
    uint64_t since;   /* tick of the last ask */
    uint64_t arrived; /* tick it came */
} sm_read_t;

typedef struct {
    uint64_t id;
    char name[STORE_NAME_MAX + 1];
} sm_name_t;

struct store_member_t {
    store_member_config_t cfg;
    store_member_io_t io;
    char dir[SM_PATH_MAX];
    char name[STORE_NAME_MAX + 1];
    uint64_t id;
    store_kv_limits_t limits;

    /* The environment and what lives in it. */
    MDB_env *env;
    store_log_t *log;
    store_kv_space_t *kv;
    store_apply_t *apply;
    MDB_txn *rtxn; /* the loop's reads; reset whenever the worker may have committed */
    bool rtxn_live;

    raft_t *raft;
    raft_role_t role;
    uint64_t leader, term, commit, applied;
    uint64_t suspect, suspect_until; /* a leader a forward did not reach, and until when */
    uint64_t ticks;
    uint64_t compact_at, compact_rev; /* the leader's next periodic compaction: when, and to what */
    uint64_t promote_tick;            /* the tick learners were last looked at */
    enum { SM_HAND_OFF_NO, SM_HAND_OFF_WANTED, SM_HAND_OFF_STARTED, SM_HAND_OFF_NONE } hand_off;
    bool failed; /* a fatal fault: the member answers "unavailable" to everything */

    /* The worker and the ready it holds. */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool job, job_done, stop; /* under mu */
    bool job_applied;         /* under mu: the worker has the outcomes; it has not committed yet */
    uint64_t answer_early_to; /* proposals up to here may be answered before the commit */
    bool answered_early;      /* this job answered some: their writes are not readable yet */
    bool lone;                /* the only voter, as of the last job: a read needs no read index */
    int efd;
    bool busy;         /* a ready is out (with the worker, or waiting to be retried) */
    uint64_t retry_at; /* a failed job goes again at this tick (0: not failed) */
    raft_ready_t rd;
    bool *early; /* which of rd's messages went before the write */
    size_t early_n, early_cap;
    store_batch_t batch;
    int job_rc;
    uint64_t job_us; /* how long the last job took */
    char job_err[512];

    /* While busy: what came for the core. */
    raft_msg_t **inbox;
    size_t inbox_n;
    uint32_t ticks_owed;
    sm_queued_t *queued;
    size_t queued_n, queued_cap;

    /* Proposals made, by index; requests waiting for a leader; reads. */
    sm_pending_t *pending;
    size_t pending_n, pending_cap;
    sm_queued_t *waiting;
    size_t waiting_n, waiting_cap;
    sm_read_t *reads;
    size_t reads_n, reads_cap;
    uint64_t read_ctx;

    sm_name_t names[SM_NAMES_MAX];
    size_t names_n;

    /* Snapshots. */
    pthread_t snap_thread;
    bool snap_running, snap_ready; /* snap_ready under mu */
    int snap_rc;
    store_snap_info_t snap_made; /* what the thread made */
    char snap_err[512];
    raft_snap_meta_t snap_record; /* to record with the next ready */
    bool snap_to_record;
    uint64_t compact_log_to;
    raft_msg_t *snap_msg; /* a MsgSnap waiting for its data */
    bool snap_fetching;
    uint64_t snap_fetched_index;

    void *defrag_cookie; /* a defragmentation asked for, done when the worker is idle */

    bus_arena_t *arena; /* decoding in the loop */
    bus_buf_t out, prop;
    bus_log_limit_t log_foreign, log_disk;
    bool worker_started;
};

void sm_reply_error(store_member_t *self, void *cookie, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void sm_reply_msg(store_member_t *self, void *cookie, const codec_msg_t *desc, const void *msg);
void sm_answer(store_member_t *self, void *cookie, int status, const char *error, uint32_t type,
               const uint8_t *body, size_t len);
void sm_header(store_member_t *self, store_header_t *h);
void sm_learn_name(store_member_t *self, uint64_t id, const char *name);
uint64_t sm_db_used(store_member_t *self);
uint64_t sm_db_size(store_member_t *self); /* bytes of data.mdb */

MDB_txn *sm_rtxn(store_member_t *self);
void sm_rtxn_end(store_member_t *self);
void sm_worker_wait(store_member_t *self);

void sm_submit(store_member_t *self, void *cookie, const uint8_t *data, size_t len);
void sm_deliver(store_member_t *self, const raft_msg_t *m);
void sm_wait_leader(store_member_t *self, void *cookie, const uint8_t *data, size_t len);

/* Reads (store_member_read.c). */
size_t sm_reads_count(store_member_t *self);
void sm_reads_ask(store_member_t *self); /* asks a read index for reads that need one */
void sm_reads_ready(store_member_t *self, const raft_ready_t *rd);
void sm_reads_serve(store_member_t *self); /* serves reads whose index is applied */
void sm_reads_tick(store_member_t *self);
void sm_reads_close(store_member_t *self);
void sm_conf_reply(store_member_t *self, const sm_pending_t *pd); /* a change was applied */
void sm_pending_add(store_member_t *self, sm_pending_t pd);
void sm_promote_learners(store_member_t *self);

/* Files (store_member_files.c). */
/* Opens the environment and the handles in it. cfg (at the first open) may bootstrap the log;
 * NULL when reopening after a swap. */
int sm_env_open(store_member_t *self, const store_member_config_t *cfg, char *err, size_t errlen);
void sm_env_close(store_member_t *self);
void sm_snap_poll(store_member_t *self); /* takes up a snapshot made; starts one when due */
void sm_snap_wait(store_member_t *self); /* joins a snapshot being made */
int sm_snap_install(store_member_t *self, const raft_ready_t *rd, char *err, size_t errlen);
void sm_snap_step(store_member_t *self, const raft_msg_t *m); /* a MsgSnap arrived */
void sm_defrag(store_member_t *self);                         /* the defragmentation asked for */
