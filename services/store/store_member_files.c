/* store_member_files: a member's environment as files: opening it (and bootstrapping a first
 * start), snapshots made on a thread of their own and served in pieces, a leader's snapshot
 * fetched and swapped in for the data file, and defragmentation (a compacted copy swapped in).
 * The swaps close and reopen the environment; the core's storage handle survives them. */
#include "store_member_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- the environment ----------------------------------------------------------------------- */

/* Bootstraps an empty log with the initial members (every one of them does the same). */
static int s_bootstrap(store_member_t *self, MDB_txn *txn, const store_member_config_t *cfg,
                       char *err, size_t errlen)
{
    const store_log_state_t *st = store_log_state(self->log);
    if (!cfg || !cfg->initial_n || st->last >= st->first || st->hard.term) return 0;
    uint64_t ids[RAFT_MEMBERS_MAX];
    if (cfg->initial_n > RAFT_MEMBERS_MAX)
        return store_fail(err, errlen, BUS_EINVALID, "store: at most %d members", RAFT_MEMBERS_MAX);
    bool me = false;
    for (size_t i = 0; i < cfg->initial_n; i++) {
        ids[i] = store_log_member_id(cfg->initial[i]);
        me |= ids[i] == self->id;
        for (size_t k = 0; k < i; k++)
            if (ids[k] == ids[i])
                return store_fail(err, errlen, BUS_EINVALID, "store: member %s is named twice",
                                  cfg->initial[i]);
    }
    if (!me)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: %s is not among the initial members it was given", self->name);
    return store_log_bootstrap(self->log, txn, ids, cfg->initial_n, err, errlen);
}

int sm_env_open(store_member_t *self, const store_member_config_t *cfg, char *err, size_t errlen)
{
    int rc = store_snap_env_open(self->dir, self->cfg.map_bytes, true, &self->env, err, errlen);
    if (rc) return rc;
    MDB_txn *txn;
    rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc) return store_fail(err, errlen, BUS_EINTERNAL, "store: begin: %s", mdb_strerror(rc));
    rc = self->log ? store_log_reopen(self->log, txn, err, errlen)
                   : store_log_open(txn, &self->log, err, errlen);
    if (!rc)
        rc = store_log_identify(self->log, txn, self->cfg.cluster, self->id, self->name, false, err,
                                errlen);
    if (!rc) rc = s_bootstrap(self, txn, cfg, err, errlen);
    if (!rc) rc = store_kv_open(txn, &self->cfg.limits, &self->kv, err, errlen);
    if (!rc) {
        store_kv_limits_t l = self->cfg.limits;
        if (!l.value_max) l.value_max = STORE_KV_VALUE_MAX_DEF;
        self->limits = l;
        rc = store_apply_open(self->env, txn, self->log, self->kv, l.value_max, &self->apply, err,
                              errlen);
    }
    if (!rc) {
        rc = mdb_txn_commit(txn);
        if (rc) rc = store_fail(err, errlen, BUS_EINTERNAL, "store: commit: %s", mdb_strerror(rc));
    } else {
        mdb_txn_abort(txn);
    }
    if (rc) return rc;
    /* The newest snapshot on disk is the one to offer (the one recorded may be gone). */
    store_snap_info_t info;
    raft_snap_meta_t newest = {0};
    if (store_snap_newest(self->dir, &info) == 0) newest = info.meta;
    if (newest.index != store_log_state(self->log)->snap.index) {
        self->snap_record = newest;
        self->snap_to_record = true;
    }
    return 0;
}

void sm_env_close(store_member_t *self)
{
    if (self->rtxn) mdb_txn_abort(self->rtxn);
    self->rtxn = NULL;
    self->rtxn_live = false;
    store_apply_destroy(&self->apply);
    store_kv_destroy(&self->kv);
    if (self->env) mdb_env_close(self->env);
    self->env = NULL;
}

uint64_t sm_db_size(store_member_t *self)
{
    char path[SM_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/data.mdb", self->dir);
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* --- making snapshots ---------------------------------------------------------------------- */

static void *s_snap_main(void *arg)
{
    store_member_t *self = arg;
    int rc = store_snap_make(self->env, self->dir, &self->snap_made, self->snap_err,
                             sizeof self->snap_err);
    pthread_mutex_lock(&self->mu);
    self->snap_rc = rc;
    self->snap_ready = true;
    pthread_mutex_unlock(&self->mu);
    uint64_t one = 1;
    if (write(self->efd, &one, sizeof one) < 0) { /* the tick polls anyway */
    }
    return NULL;
}

static void s_snap_start(store_member_t *self)
{
    if (self->snap_running) return;
    self->snap_ready = false;
    self->snap_err[0] = 0;
    if (pthread_create(&self->snap_thread, NULL, s_snap_main, self) != 0) {
        log_error("store.snapshot", "error=\"cannot start a thread\"");
        return;
    }
    self->snap_running = true;
}

void sm_snap_wait(store_member_t *self)
{
    if (!self->snap_running) return;
    pthread_join(self->snap_thread, NULL);
    self->snap_running = false;
    if (!self->snap_rc) {
        self->snap_record = self->snap_made.meta;
        self->snap_to_record = true;
    }
}

void sm_snap_poll(store_member_t *self)
{
    if (self->snap_running) {
        pthread_mutex_lock(&self->mu);
        bool ready = self->snap_ready;
        pthread_mutex_unlock(&self->mu);
        if (!ready) return;
        sm_snap_wait(self);
        if (self->snap_rc) {
            log_error("store.snapshot", "error=\"%s\"", self->snap_err);
            return;
        }
        uint64_t index = self->snap_made.meta.index;
        log_info("store.snapshot", "index=%" PRIu64 " bytes=%" PRIu64, index, self->snap_made.size);
        if (index > self->cfg.catchup_entries)
            self->compact_log_to = index - self->cfg.catchup_entries;
        return;
    }
    const store_log_state_t *st = store_log_state(self->log);
    uint64_t newest = self->snap_to_record ? self->snap_record.index : st->snap.index;
    /* Due every snapshot_entries, and at once when the log no longer starts at 1 but there is
     * no snapshot to send a member that needs what was dropped. */
    if (self->applied >= newest + self->cfg.snapshot_entries ||
        (st->first > 1 && newest < st->first - 1 && self->applied >= st->first - 1))
        s_snap_start(self);
}

int store_member_snapshot(store_member_t *self, void *cookie, const store_snapshot_request_t *req,
                          char *err, size_t errlen)
{
    store_snap_info_t info;
    uint64_t index = req->index;
    if (!index) {
        if (req->offset)
            return store_fail(err, errlen, BUS_EINVALID,
                              "store: name the snapshot's index after its first piece");
        if (store_snap_newest(self->dir, &info) != 0 || info.meta.index < self->applied) {
            s_snap_start(self);
            return store_fail(err, errlen, BUS_EUNAVAILABLE,
                              "store: making a snapshot at index %" PRIu64 "; ask again shortly",
                              self->applied);
        }
        index = info.meta.index;
    }
    size_t len = req->len && req->len < (4u << 20) ? req->len : (1u << 20);
    uint8_t *buf = bus_arena_alloc((bus_arena_reset(self->arena), self->arena), len);
    size_t n = 0;
    int rc = store_snap_read(self->dir, index, req->offset, buf, len, &n, &info);
    if (rc == BUS_ENOTFOUND)
        return store_fail(err, errlen, BUS_EGONE,
                          "store: %s keeps no snapshot at index %" PRIu64 " (any more)", self->name,
                          index);
    if (rc) return store_fail(err, errlen, rc, "store: reading the snapshot failed");
    store_snapshot_reply_t reply = {.index = index,
                                    .term = info.meta.term,
                                    .size = info.size,
                                    .offset = req->offset,
                                    .data = {buf, n},
                                    .digest = {info.digest, STORE_SNAP_DIGEST},
                                    .member = self->name};
    sm_reply_msg(self, cookie, &store_snapshot_reply_desc, &reply);
    return 0;
}

/* --- receiving one ------------------------------------------------------------------------- */

static void s_incoming_path(store_member_t *self, char *out, size_t cap)
{
    snprintf(out, cap, "%s/incoming/data.mdb", self->dir);
}

void sm_snap_step(store_member_t *self, const raft_msg_t *m)
{
    log_debug("store.snapshot.offer",
              "from=%" PRIx64 " index=%" PRIu64 " applied=%" PRIu64 " fetching=%d", m->from,
              m->snap.index, self->applied, self->snap_fetching);
    /* Already there, or older than what we have: the core answers with where we stand. */
    if (m->snap.index <= self->applied || self->snap_fetched_index == m->snap.index) {
        sm_deliver(self, m);
        return;
    }
    const char *from = store_member_name_of(self, m->from);
    if (self->snap_fetching || !self->io.fetch || !from) return; /* the leader offers again */
    free(self->snap_msg);
    self->snap_msg = malloc(sizeof *m);
    if (!self->snap_msg) abort();
    *self->snap_msg = *m;
    self->snap_msg->entries = NULL;
    self->snap_msg->entries_n = 0;
    self->snap_fetching = true;
    char dir[SM_PATH_MAX + 16], path[SM_PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/incoming", self->dir);
    mkdir(dir, 0700);
    s_incoming_path(self, path, sizeof path);
    unlink(path);
    log_info("store.snapshot.fetch", "from=%s index=%" PRIu64, from, m->snap.index);
    self->io.fetch(self->io.arg, from, m->snap.index, path);
}

void store_member_snapshot_fetched(store_member_t *self, uint64_t index, int rc)
{
    if (!self->snap_fetching || !self->snap_msg || self->snap_msg->snap.index != index) return;
    self->snap_fetching = false;
    char path[SM_PATH_MAX + 32], err[512];
    s_incoming_path(self, path, sizeof path);
    store_snap_info_t info;
    uint64_t cluster = 0;
    if (!rc)
        rc = store_snap_inspect(path, &info, &cluster, err, sizeof err);
    else
        snprintf(err, sizeof err, "%s", bus_err_str(rc));
    if (!rc && (cluster != self->cfg.cluster || info.meta.index != index))
        rc = store_fail(err, sizeof err, BUS_ECONFIG,
                        "the snapshot is of cluster %016" PRIx64 " at index %" PRIu64
                        ", not the one offered",
                        cluster, info.meta.index);
    if (rc) {
        log_warn("store.snapshot.fetch", "index=%" PRIu64 " error=\"%s\"", index, err);
        free(self->snap_msg);
        self->snap_msg = NULL;
        return;
    }
    self->snap_fetched_index = index;
    raft_msg_t *m = self->snap_msg;
    self->snap_msg = NULL;
    sm_deliver(self, m);
    free(m);
}

int sm_snap_install(store_member_t *self, const raft_ready_t *rd, char *err, size_t errlen)
{
    if (rd->snapshot.index != self->snap_fetched_index)
        return store_fail(err, errlen, BUS_EINTERNAL,
                          "store: the core installs snapshot %" PRIu64 " but %" PRIu64
                          " was fetched",
                          rd->snapshot.index, self->snap_fetched_index);
    char path[SM_PATH_MAX + 32];
    s_incoming_path(self, path, sizeof path);
    sm_snap_wait(self);
    sm_env_close(self);
    int rc = store_snap_adopt(path, self->cfg.cluster, self->id, self->name, &rd->hard,
                              &rd->snapshot, false, err, errlen);
    if (!rc) rc = store_snap_swap(path, self->dir, err, errlen);
    int rc2 = sm_env_open(self, NULL, rc ? NULL : err, rc ? 0 : errlen);
    if (rc2 && !rc) rc = rc2;
    if (rc) return rc;
    self->snap_fetched_index = 0;
    self->applied = rd->snapshot.index;
    log_info("store.snapshot.installed", "index=%" PRIu64 " term=%" PRIu64, rd->snapshot.index,
             rd->snapshot.term);
    return 0;
}

/* --- defragmentation ----------------------------------------------------------------------- */

int store_member_defrag(store_member_t *self, void *cookie, char *err, size_t errlen)
{
    if (self->defrag_cookie)
        return store_fail(err, errlen, BUS_EBUSY, "store: a defragmentation is under way");
    self->defrag_cookie = cookie;
    store_member_poll(self);
    return 0;
}

/* Runs with the worker idle and the core ours, so nothing writes while the copy is made. */
void sm_defrag(store_member_t *self)
{
    void *cookie = self->defrag_cookie;
    self->defrag_cookie = NULL;
    sm_snap_wait(self);
    uint64_t before = sm_db_size(self);
    char path[SM_PATH_MAX + 32], err[512];
    sm_rtxn_end(self);
    int rc = store_snap_copy(self->env, self->dir, path, sizeof path, err, sizeof err);
    if (rc) {
        sm_reply_error(self, cookie, rc, "%s", err);
        return;
    }
    sm_env_close(self);
    rc = store_snap_swap(path, self->dir, err, sizeof err);
    int rc2 = sm_env_open(self, NULL, rc ? NULL : err, rc ? 0 : sizeof err);
    if (rc2) {
        /* Without its data the member cannot go on. */
        log_error("store.defrag", "error=\"%s\"", err);
        self->failed = true;
        sm_reply_error(self, cookie, BUS_EINTERNAL, "%s", err);
        return;
    }
    if (rc) {
        sm_reply_error(self, cookie, rc, "%s", err);
        return;
    }
    store_header_t h = {0};
    sm_header(self, &h);
    store_defrag_reply_t reply = {
        .header = &h, .size_before = before, .size_after = sm_db_size(self)};
    log_info("store.defrag", "bytes_before=%" PRIu64 " bytes_after=%" PRIu64, before,
             reply.size_after);
    sm_reply_msg(self, cookie, &store_defrag_reply_desc, &reply);
}
