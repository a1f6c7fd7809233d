/* store_member_read: a member's answers that read: ranges (linearizable through a read index,
 * several reads sharing one; serializable at once from local data), watches out of the history,
 * status, and membership. Reads never wait for the disk worker: LMDB gives the loop its own
 * view of the last commit. */
#include "store_member_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- ranges -------------------------------------------------------------------------------- */

/* Answers req from local data. The reply goes into self->arena, after whatever is there (req
 * itself may be): callers reset it before they decode. */
static void s_serve_range(store_member_t *self, void *cookie, const store_range_request_t *req)
{
    store_range_reply_t reply;
    char err[1024];
    int rc = store_kv_range(self->kv, sm_rtxn(self), req, self->arena, &reply, err, sizeof err);
    if (rc) {
        sm_reply_error(self, cookie, rc, "%s", err);
        return;
    }
    sm_header(self, reply.header);
    sm_reply_msg(self, cookie, &store_range_reply_desc, &reply);
}

static int s_check_range(const store_range_request_t *req, char *err, size_t errlen)
{
    if ((!req->key || !req->key[0]) && !req->prefix && (!req->end || !req->end[0]))
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: a range needs a key, a prefix or an end");
    return 0;
}

int store_member_range(store_member_t *self, void *cookie, const store_range_request_t *req,
                       char *err, size_t errlen)
{
    if (self->failed)
        return store_fail(err, errlen, BUS_EUNAVAILABLE, "store: %s has failed", self->name);
    int rc = s_check_range(req, err, errlen);
    if (rc) return rc;
    /* A leader that is the only voter needs no read index (no other member can commit, or be
     * elected without its vote): what LMDB shows the loop holds every write it answered, unless
     * the job under way answered some before its commit; such a read waits for the index. So
     * the read is served at once, even while the worker writes. */
    bool lone = self->role == RAFT_LEADER && self->lone && !self->answered_early;
    if (req->serializable || lone) {
        bus_arena_reset(self->arena); /* req is in the caller's memory */
        s_serve_range(self, cookie, req);
        return 0;
    }
    if (self->pending_n + self->waiting_n + self->reads_n >= self->cfg.pending_max)
        return store_fail(err, errlen, BUS_EBUSY, "store: %zu requests are waiting already",
                          self->cfg.pending_max);
    bus_buf_reset(&self->out);
    codec_err_t cerr;
    rc = codec_encode(&store_range_request_desc, req, &self->out, &cerr);
    if (rc) return store_fail(err, errlen, rc, "store: %s", cerr.text);
    if (self->reads_n == self->reads_cap) {
        self->reads_cap = self->reads_cap ? 2 * self->reads_cap : 256;
        self->reads = realloc(self->reads, self->reads_cap * sizeof *self->reads);
        if (!self->reads) abort();
    }
    uint8_t *copy = malloc(self->out.len);
    if (!copy) abort();
    memcpy(copy, self->out.data, self->out.len);
    self->reads[self->reads_n++] =
        (sm_read_t){cookie, copy, self->out.len, SM_READ_WAIT, 0, 0, self->ticks, self->ticks};
    if (!self->busy) sm_reads_ask(self);
    return 0;
}

size_t sm_reads_count(store_member_t *self)
{
    return self->reads_n;
}

/* Every read that needs an index gets the same one: one round of heartbeats serves them all. */
void sm_reads_ask(store_member_t *self)
{
    bool need = false;
    for (size_t i = 0; i < self->reads_n && !need; i++) need = self->reads[i].state == SM_READ_WAIT;
    if (!need || self->busy) return;
    uint64_t ctx = ++self->read_ctx;
    sm_rtxn(self);
    int rc = raft_read_index(self->raft, ctx);
    log_debug("store.read.ask", "ctx=%" PRIu64 " rc=%d leader=%" PRIx64, ctx, rc, self->leader);
    if (rc) return; /* no leader yet: the tick asks again */
    for (size_t i = 0; i < self->reads_n; i++)
        if (self->reads[i].state == SM_READ_WAIT) {
            self->reads[i].state = SM_READ_ASKED;
            self->reads[i].ctx = ctx;
            self->reads[i].since = self->ticks;
        }
}

void sm_reads_ready(store_member_t *self, const raft_ready_t *rd)
{
    for (size_t r = 0; r < rd->reads_n; r++)
        log_debug("store.read.index", "ctx=%" PRIu64 " index=%" PRIu64 " applied=%" PRIu64,
                  rd->reads[r].context, rd->reads[r].index, self->applied);
    for (size_t r = 0; r < rd->reads_dropped_n; r++)
        log_debug("store.read.dropped", "ctx=%" PRIu64, rd->reads_dropped[r]);
    for (size_t r = 0; r < rd->reads_n; r++)
        for (size_t i = 0; i < self->reads_n; i++)
            if (self->reads[i].state == SM_READ_ASKED &&
                self->reads[i].ctx == rd->reads[r].context) {
                self->reads[i].state = SM_READ_INDEXED;
                self->reads[i].index = rd->reads[r].index;
            }
    for (size_t r = 0; r < rd->reads_dropped_n; r++)
        for (size_t i = 0; i < self->reads_n; i++)
            if (self->reads[i].state == SM_READ_ASKED && self->reads[i].ctx == rd->reads_dropped[r])
                self->reads[i].state = SM_READ_WAIT;
}

static void s_read_done(store_member_t *self, size_t i)
{
    free(self->reads[i].req);
    self->reads[i] = self->reads[--self->reads_n];
}

void sm_reads_serve(store_member_t *self)
{
    /* In arrival order would be nicer, but any order is correct: each read's index is applied. */
    for (size_t i = 0; i < self->reads_n;) {
        sm_read_t *r = &self->reads[i];
        if (r->state != SM_READ_INDEXED || r->index > self->applied) {
            i++;
            continue;
        }
        store_range_request_t *req;
        codec_err_t cerr;
        bus_arena_reset(self->arena);
        void *cookie = r->cookie;
        if (codec_decode(&store_range_request_desc, r->req, r->len, self->arena, (void **)&req,
                         &cerr) != 0) {
            sm_reply_error(self, cookie, BUS_EINTERNAL, "store: a kept read does not decode");
        } else {
            s_serve_range(self, cookie, req);
        }
        s_read_done(self, i);
    }
}

void sm_reads_tick(store_member_t *self)
{
    for (size_t i = 0; i < self->reads_n;) {
        sm_read_t *r = &self->reads[i];
        if (r->state == SM_READ_ASKED && self->ticks - r->since > SM_READ_TICKS)
            r->state = SM_READ_WAIT; /* the ask or its answer was lost */
        if (r->state != SM_READ_INDEXED && self->ticks - r->arrived > SM_READ_GIVEUP) {
            sm_reply_error(self, r->cookie, BUS_EUNAVAILABLE,
                           "store: no leader confirmed the read in time; try again, or read "
                           "serializable");
            s_read_done(self, i);
            continue;
        }
        i++;
    }
    if (!self->busy) sm_reads_ask(self);
}

void sm_reads_close(store_member_t *self)
{
    while (self->reads_n) {
        sm_reply_error(self, self->reads[0].cookie, BUS_ECLOSED, "store: %s is stopping",
                       self->name);
        s_read_done(self, 0);
    }
    free(self->reads);
    self->reads = NULL;
}

/* --- watches ------------------------------------------------------------------------------- */

int store_member_watch(store_member_t *self, void *cookie, const store_watch_request_t *req,
                       char *err, size_t errlen)
{
    bus_arena_reset(self->arena);
    store_watch_reply_t reply;
    int rc = store_kv_events(self->kv, sm_rtxn(self), req, self->arena, &reply, err, errlen);
    if (rc) return rc;
    sm_header(self, reply.header);
    sm_reply_msg(self, cookie, &store_watch_reply_desc, &reply);
    return 0;
}

/* --- status and membership ----------------------------------------------------------------- */

/* The members as this member knows them (with progress when it leads). */
static size_t s_members(store_member_t *self, store_member_info_t *out, size_t cap)
{
    raft_status_t st;
    raft_conf_t conf = store_log_state(self->log)->conf;
    if (!self->busy) {
        sm_rtxn(self);
        raft_status(self->raft, &st);
        conf = st.conf;
    } else {
        st.peers_n = 0;
    }
    size_t n = 0;
    for (int learners = 0; learners < 2; learners++) {
        const uint64_t *ids = learners ? conf.learners : conf.voters;
        size_t k = learners ? conf.learners_n : conf.voters_n;
        for (size_t i = 0; i < k && n < cap; i++) {
            const char *name = store_member_name_of(self, ids[i]);
            store_member_info_t *m = &out[n++];
            *m = (store_member_info_t){
                .id = ids[i], .name = (char *)(name ? name : ""), .learner = learners};
            for (size_t p = 0; p < st.peers_n; p++)
                if (st.peers[p].id == ids[i]) {
                    m->match = st.peers[p].match;
                    m->active = st.peers[p].active || ids[i] == self->id;
                }
        }
    }
    return n;
}

int store_member_status(store_member_t *self, void *cookie)
{
    store_header_t h = {0};
    sm_header(self, &h);
    MDB_txn *txn = sm_rtxn(self);
    h.revision = store_kv_revision(self->kv, txn);
    h.compacted = store_kv_compacted(self->kv, txn);
    const store_log_state_t *ls = store_log_state(self->log);
    store_member_info_t members[2 * RAFT_MEMBERS_MAX];
    size_t members_n = s_members(self, members, 2 * RAFT_MEMBERS_MAX);
    char metrics[1024];
    snprintf(metrics, sizeof metrics,
             "kubus_store_pending %zu\nkubus_store_reads_waiting %zu\nkubus_store_applied %" PRIu64
             "\nkubus_store_commit %" PRIu64 "\nkubus_store_term %" PRIu64 "\n",
             self->pending_n + self->waiting_n + self->queued_n, self->reads_n, self->applied,
             self->commit, self->term);
    store_status_reply_t reply = {.header = &h,
                                  .id = self->id,
                                  .cluster = self->cfg.cluster,
                                  .role = (uint32_t)self->role + 1,
                                  .commit = self->commit,
                                  .applied = self->applied,
                                  .log_first = ls->first,
                                  .log_last = ls->last,
                                  .snapshot_index = ls->snap.index,
                                  .db_size = sm_db_size(self),
                                  .db_used = sm_db_used(self),
                                  .quota = self->cfg.quota_bytes,
                                  .members = {members_n, members},
                                  .metrics = metrics};
    sm_reply_msg(self, cookie, &store_status_reply_desc, &reply);
    return 0;
}

/* Leadership to voter id (`kubus store move-leader`): answered once the transfer has started;
 * whoever asked watches the leader change. Writes meanwhile wait for the next leader. */
static int s_transfer(store_member_t *self, void *cookie, uint64_t id, const char *name, bool voter,
                      char *err, size_t errlen)
{
    if (!voter) return store_fail(err, errlen, BUS_EINVALID, "store: %s is not a voter", name);
    sm_rtxn(self);
    if (id != self->id && raft_transfer(self->raft, id) != 0)
        return store_fail(err, errlen, BUS_EBUSY,
                          "store: cannot hand leadership to %s now (a transfer is under way?)",
                          name);
    if (id != self->id) log_info("store.transfer", "to=%s term=%" PRIu64, name, self->term);
    store_member_poll(self);
    store_header_t h = {0};
    sm_header(self, &h);
    store_member_reply_t reply = {.header = &h, .id = id};
    sm_reply_msg(self, cookie, &store_member_reply_desc, &reply);
    return 0;
}

int store_member_member(store_member_t *self, void *cookie, int action, const char *name, char *err,
                        size_t errlen)
{
    if (action == STORE_MEMBER_ACTION_LIST) {
        store_member_info_t members[2 * RAFT_MEMBERS_MAX];
        store_header_t h = {0};
        sm_header(self, &h);
        store_member_reply_t reply = {
            .header = &h, .members = {s_members(self, members, 2 * RAFT_MEMBERS_MAX), members}};
        sm_reply_msg(self, cookie, &store_member_reply_desc, &reply);
        return 0;
    }
    if (!name || !name[0] || strlen(name) > STORE_NAME_MAX)
        return store_fail(err, errlen, BUS_EINVALID, "store: a member name has 1 to %d bytes",
                          STORE_NAME_MAX);
    if (self->role != RAFT_LEADER || self->busy)
        return store_fail(err, errlen, RAFT_ENOTLEADER, "store: %s is not the leader", self->name);
    uint64_t id = store_log_member_id(name);
    bool learner, present = raft_conf_has(&store_log_state(self->log)->conf, id, &learner);
    if (action == STORE_MEMBER_ACTION_TRANSFER)
        return s_transfer(self, cookie, id, name, present && !learner, err, errlen);
    if (action != STORE_MEMBER_ACTION_ADD && action != STORE_MEMBER_ACTION_REMOVE)
        return store_fail(err, errlen, BUS_EINVALID, "store: unknown member action %d", action);
    int type = action == STORE_MEMBER_ACTION_ADD ? RAFT_CONF_ADD_LEARNER : RAFT_CONF_REMOVE;
    if (type == RAFT_CONF_ADD_LEARNER && present)
        return store_fail(err, errlen, BUS_EEXISTS, "store: %s is a member already", name);
    if (type == RAFT_CONF_REMOVE && !present)
        return store_fail(err, errlen, BUS_ENOTFOUND, "store: %s is not a member", name);
    uint64_t index;
    sm_rtxn(self);
    int rc = raft_propose_conf(self->raft, type, id, &index);
    if (rc == RAFT_EBUSY)
        return store_fail(err, errlen, BUS_EBUSY,
                          "store: another membership change is under way; try again shortly");
    if (rc)
        return store_fail(err, errlen, BUS_EUNAVAILABLE, "store: %s is not the leader", self->name);
    if (type == RAFT_CONF_ADD_LEARNER) sm_learn_name(self, id, name);
    sm_pending_add(self, (sm_pending_t){cookie, index, self->term, SM_CONF, id});
    return 0;
}

void sm_conf_reply(store_member_t *self, const sm_pending_t *pd)
{
    uint64_t term = 0;
    raft_storage_t st = store_log_storage(self->log);
    sm_rtxn(self);
    if (st.term(st.arg, pd->index, &term) != 0 || term != pd->term) {
        sm_reply_error(self, pd->cookie, BUS_EUNAVAILABLE,
                       "store: the membership change was not committed (the leader changed); "
                       "try again");
        return;
    }
    store_member_info_t members[2 * RAFT_MEMBERS_MAX];
    store_header_t h = {0};
    sm_header(self, &h);
    store_member_reply_t reply = {
        .header = &h,
        .members = {s_members(self, members, 2 * RAFT_MEMBERS_MAX), members},
        .id = pd->member};
    sm_reply_msg(self, pd->cookie, &store_member_reply_desc, &reply);
}

/* A learner that has caught up becomes a voter: one change at a time. */
void sm_promote_learners(store_member_t *self)
{
    raft_status_t st;
    sm_rtxn(self);
    raft_status(self->raft, &st);
    for (size_t i = 0; i < st.peers_n; i++) {
        const raft_peer_status_t *p = &st.peers[i];
        if (!p->learner || !p->active || p->match + 100 < st.commit) continue;
        uint64_t index;
        if (raft_propose_conf(self->raft, RAFT_CONF_PROMOTE, p->id, &index) == 0) {
            const char *name = store_member_name_of(self, p->id);
            log_info("store.promote", "member=%s index=%" PRIu64, name ? name : "-", index);
        }
        return;
    }
}
