/* store_member: the member's loop side (the API is in store_member.h): the Raft core, the
 * requests waiting on it, and the hand-off of each ready to the disk worker. Snapshot and
 * defragmentation steps that swap the data file are in store_member_files.c; reads in
 * store_member_read.c. What they share is in store_member_impl.h. */
#include "store_member_impl.h"
#include "bus_log.h"
#include "bus_time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* --- names --------------------------------------------------------------------------------- */

void sm_learn_name(store_member_t *self, uint64_t id, const char *name)
{
    for (size_t i = 0; i < self->names_n; i++)
        if (self->names[i].id == id) return;
    if (self->names_n == SM_NAMES_MAX) self->names_n--; /* forget the newest: a bound */
    self->names[self->names_n].id = id;
    snprintf(self->names[self->names_n].name, sizeof self->names[0].name, "%s", name);
    self->names_n++;
}

const char *store_member_name_of(store_member_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->names_n; i++)
        if (self->names[i].id == id) return self->names[i].name;
    return NULL;
}

uint64_t store_member_leader(store_member_t *self)
{
    return self->leader;
}

uint64_t store_member_id(store_member_t *self)
{
    return self->id;
}

raft_role_t store_member_role(store_member_t *self)
{
    return self->role;
}

/* The transfer store_member_hand_off asked for, once the core is ours: to the active voter with
 * the most of the log (the core catches it up first if it lacks anything). */
static void s_hand_off_now(store_member_t *self)
{
    if (self->hand_off != SM_HAND_OFF_WANTED || self->busy) return;
    raft_status_t st;
    sm_rtxn(self);
    raft_status(self->raft, &st);
    const raft_peer_status_t *best = NULL;
    for (size_t i = 0; i < st.peers_n; i++) {
        const raft_peer_status_t *p = &st.peers[i];
        if (p->id == self->id || p->learner || !p->active) continue;
        if (!best || p->match > best->match) best = p;
    }
    if (!best || raft_transfer(self->raft, best->id) != 0) {
        self->hand_off = SM_HAND_OFF_NONE;
        log_info("store.hand_off", "to=- why=\"%s\"",
                 best ? "the transfer was refused" : "no other voter in reach");
        return;
    }
    self->hand_off = SM_HAND_OFF_STARTED;
    const char *name = store_member_name_of(self, best->id);
    log_info("store.hand_off", "to=%s match=%" PRIu64 " last=%" PRIu64, name ? name : "-",
             best->match, st.last_index);
}

int store_member_hand_off(store_member_t *self)
{
    if (self->role != RAFT_LEADER || self->failed || self->hand_off == SM_HAND_OFF_NONE) return 1;
    if (self->hand_off == SM_HAND_OFF_NO) {
        self->hand_off = SM_HAND_OFF_WANTED;
        s_hand_off_now(self); /* at once, unless the worker holds the core: then at a tick */
        store_member_poll(self);
    }
    return self->role != RAFT_LEADER || self->hand_off == SM_HAND_OFF_NONE;
}

int store_member_fd(store_member_t *self)
{
    return self->efd;
}

/* --- the read transaction the loop uses ---------------------------------------------------- */

MDB_txn *sm_rtxn(store_member_t *self)
{
    if (!self->rtxn_live) {
        int rc = self->rtxn ? mdb_txn_renew(self->rtxn)
                            : mdb_txn_begin(self->env, NULL, MDB_RDONLY, &self->rtxn);
        if (rc) {
            log_error("store.read", "error=\"%s\"", mdb_strerror(rc));
            abort(); /* the environment is unusable: nothing sensible is left to do */
        }
        self->rtxn_live = true;
        store_log_use(self->log, self->rtxn);
    }
    return self->rtxn;
}

/* Ends the loop's view, so that the next one sees what the worker committed since. */
void sm_rtxn_end(store_member_t *self)
{
    if (self->rtxn_live) mdb_txn_reset(self->rtxn);
    self->rtxn_live = false;
}

/* --- the disk worker ----------------------------------------------------------------------- */

static void *s_worker(void *arg)
{
    store_member_t *self = arg;
    pthread_mutex_lock(&self->mu);
    for (;;) {
        while (!self->job && !self->stop) pthread_cond_wait(&self->cv, &self->mu);
        if (self->stop) break;
        pthread_mutex_unlock(&self->mu);
        uint64_t t0 = bus_now_us();
        self->job_rc =
            store_apply_run(self->apply, &self->batch, self->job_err, sizeof self->job_err);
        self->job_us = bus_now_us() - t0;
        pthread_mutex_lock(&self->mu);
        self->job = false;
        self->job_done = true;
        uint64_t one = 1;
        if (write(self->efd, &one, sizeof one) < 0) { /* the loop polls anyway */
        }
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

/* On the worker: the outcomes are known (store_batch_t.on_applied). */
static void s_worker_applied(void *arg)
{
    store_member_t *self = arg;
    pthread_mutex_lock(&self->mu);
    self->job_applied = true;
    pthread_mutex_unlock(&self->mu);
    uint64_t one = 1;
    if (write(self->efd, &one, sizeof one) < 0) { /* the loop polls anyway */
    }
}

static bool s_worker_applied_now(store_member_t *self)
{
    pthread_mutex_lock(&self->mu);
    bool applied = self->job_applied;
    self->job_applied = false;
    pthread_mutex_unlock(&self->mu);
    return applied;
}

static void s_worker_give(store_member_t *self)
{
    pthread_mutex_lock(&self->mu);
    self->job = true;
    self->job_done = false;
    self->job_applied = false;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
}

static bool s_worker_done(store_member_t *self)
{
    uint64_t v;
    if (read(self->efd, &v, sizeof v) < 0 && errno != EAGAIN) { /* nothing to take */
    }
    pthread_mutex_lock(&self->mu);
    bool done = self->job_done;
    self->job_done = false;
    pthread_mutex_unlock(&self->mu);
    return done;
}

/* Waits until the worker holds no ready (for the file swaps, and for closing). */
void sm_worker_wait(store_member_t *self)
{
    pthread_mutex_lock(&self->mu);
    while (self->job) {
        pthread_mutex_unlock(&self->mu);
        usleep(200);
        pthread_mutex_lock(&self->mu);
    }
    pthread_mutex_unlock(&self->mu);
}

/* --- answering ----------------------------------------------------------------------------- */

void sm_reply_error(store_member_t *self, void *cookie, int status, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sm_answer(self, cookie, status, text, 0, NULL, 0);
}

/* Proposals of the member's own (periodic compaction) have no cookie: nobody waits for them. */
void sm_answer(store_member_t *self, void *cookie, int status, const char *error, uint32_t type,
               const uint8_t *body, size_t len)
{
    if (cookie) self->io.reply(self->io.arg, cookie, status, error, type, body, len);
}

void sm_reply_msg(store_member_t *self, void *cookie, const codec_msg_t *desc, const void *msg)
{
    bus_buf_reset(&self->out);
    codec_err_t cerr;
    if (codec_encode(desc, msg, &self->out, &cerr) != 0) {
        bus_buf_reset(&self->out);
        sm_reply_error(self, cookie, BUS_ETOOBIG,
                       "store: the reply is larger than the bus carries");
        return;
    }
    sm_answer(self, cookie, 0, NULL, desc->type, self->out.data, self->out.len);
}

void sm_header(store_member_t *self, store_header_t *h)
{
    const char *leader = store_member_name_of(self, self->leader);
    h->member = self->name;
    h->leader = (char *)(leader ? leader : "");
    h->term = self->term;
}

/* --- proposals ----------------------------------------------------------------------------- */

static bool s_full(store_member_t *self)
{
    return self->pending_n + self->waiting_n + self->queued_n + sm_reads_count(self) >=
           self->cfg.pending_max;
}

/* Proposes data now (the core is ours) and remembers who waits for it. */
static void s_propose_now(store_member_t *self, void *cookie, const uint8_t *data, size_t len)
{
    uint64_t index, term;
    int rc = raft_propose(self->raft, data, len, &index, &term);
    /* While leadership is being handed over, writes wait for the next leader. */
    if (rc == RAFT_ENOTLEADER || (rc == RAFT_EBUSY && raft_transferee(self->raft) != RAFT_NONE)) {
        sm_wait_leader(self, cookie, data, len);
        return;
    }
    if (rc) {
        sm_reply_error(self, cookie, BUS_EBUSY,
                       "store: too much is waiting to be committed; try again shortly");
        return;
    }
    sm_pending_add(self, (sm_pending_t){cookie, index, term, SM_PROP, 0});
}

/* Remembers who waits for the entry at pd.index. */
void sm_pending_add(store_member_t *self, sm_pending_t pd)
{
    if (self->pending_n == self->pending_cap) {
        self->pending_cap = self->pending_cap ? 2 * self->pending_cap : 1024;
        self->pending = realloc(self->pending, self->pending_cap * sizeof *self->pending);
        if (!self->pending) abort();
    }
    self->pending[self->pending_n++] = pd;
}

/* Appends a copy of a proposal (data, len) to a list of them (queued or waiting). */
static void s_keep(sm_queued_t **list, size_t *n, size_t *cap, void *cookie, const uint8_t *data,
                   size_t len, uint64_t since)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 256;
        *list = realloc(*list, *cap * sizeof **list);
        if (!*list) abort();
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) abort();
    memcpy(copy, data, len);
    (*list)[(*n)++] = (sm_queued_t){cookie, copy, len, since};
}

/* Keeps a proposal for after the worker gives the core back. */
static void s_queue(store_member_t *self, void *cookie, const uint8_t *data, size_t len)
{
    s_keep(&self->queued, &self->queued_n, &self->queued_cap, cookie, data, len, self->ticks);
}

/* A proposal from whoever: ours to propose, the leader's to take, or kept until there is one. */
void sm_submit(store_member_t *self, void *cookie, const uint8_t *data, size_t len)
{
    if (self->busy) {
        s_queue(self, cookie, data, len);
    } else if (self->role == RAFT_LEADER) {
        s_propose_now(self, cookie, data, len);
    } else {
        sm_wait_leader(self, cookie, data, len);
    }
}

/* Encodes a proposal into self->prop. */
static int s_encode_proposal(store_member_t *self, const store_proposal_t *p, char *err,
                             size_t errlen)
{
    bus_buf_reset(&self->prop);
    codec_err_t cerr;
    int rc = codec_encode(&store_proposal_desc, p, &self->prop, &cerr);
    return rc ? store_fail(err, errlen, rc, "store: %s", cerr.text) : 0;
}

/* Refuses, before it takes a place in the log, what every member would refuse: keys and values
 * over the limits. The keyspace checks again when applying. */
static int s_check_txn(store_member_t *self, const store_txn_request_t *req, bool *writes,
                       char *err, size_t errlen)
{
    const codec_list_t *lists[] = {&req->success, &req->failure};
    *writes = false;
    for (int l = 0; l < 2; l++) {
        const store_op_t *ops = lists[l]->v;
        for (size_t i = 0; i < lists[l]->n; i++) {
            size_t klen = ops[i].key ? strlen(ops[i].key) : 0;
            if (!klen || klen > STORE_KV_KEY_MAX)
                return store_fail(err, errlen, BUS_EINVALID,
                                  "store: a key must have 1 to %d bytes (this one has %zu)",
                                  STORE_KV_KEY_MAX, klen);
            if (ops[i].type == STORE_OP_TYPE_PUT) {
                *writes = true;
                if (ops[i].value.len > self->limits.value_max)
                    return store_fail(err, errlen, BUS_ETOOBIG,
                                      "store: the value of %.*s is %zu bytes, more than the %zu a "
                                      "value may have",
                                      (int)(klen > 120 ? 120 : klen), ops[i].key, ops[i].value.len,
                                      self->limits.value_max);
            }
        }
    }
    return 0;
}

/* Bytes of the data file in use, as LMDB's high-water mark. */
uint64_t sm_db_used(store_member_t *self)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(self->env, &info);
    mdb_env_stat(self->env, &st);
    return (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

int store_member_txn(store_member_t *self, void *cookie, const char *origin,
                     const store_txn_request_t *req, char *err, size_t errlen)
{
    bool writes;
    int rc = s_check_txn(self, req, &writes, err, errlen);
    if (rc) return rc;
    if (writes && sm_db_used(self) > self->cfg.quota_bytes)
        return store_fail(err, errlen, BUS_EUNAVAILABLE,
                          "store: database space exceeded (%" PRIu64 " bytes used, quota %zu): "
                          "only deletes are taken until it is compacted and defragmented",
                          sm_db_used(self), self->cfg.quota_bytes);
    if (s_full(self))
        return store_fail(err, errlen, BUS_EBUSY, "store: %zu requests are waiting already",
                          self->cfg.pending_max);
    store_proposal_t p = {.origin = (char *)origin, .txn = (store_txn_request_t *)req};
    rc = s_encode_proposal(self, &p, err, errlen);
    if (rc) return rc;
    sm_submit(self, cookie, self->prop.data, self->prop.len);
    return 0;
}

int store_member_compact(store_member_t *self, void *cookie, const char *origin, uint64_t revision,
                         char *err, size_t errlen)
{
    if (!revision) return store_fail(err, errlen, BUS_EINVALID, "store: compact needs a revision");
    if (s_full(self))
        return store_fail(err, errlen, BUS_EBUSY, "store: %zu requests are waiting already",
                          self->cfg.pending_max);
    store_proposal_t p = {.origin = (char *)origin, .compact = revision};
    int rc = s_encode_proposal(self, &p, err, errlen);
    if (rc) return rc;
    sm_submit(self, cookie, self->prop.data, self->prop.len);
    return 0;
}

int store_member_propose(store_member_t *self, void *cookie, const uint8_t *data, size_t len,
                         char *err, size_t errlen)
{
    /* Check it as a proposal of our own would be. */
    bus_arena_reset(self->arena);
    store_proposal_t *p;
    codec_err_t cerr;
    int rc = codec_decode(&store_proposal_desc, data, len, self->arena, (void **)&p, &cerr);
    if (rc) return store_fail(err, errlen, rc, "store: forwarded proposal: %s", cerr.text);
    if (p->txn) {
        bool writes;
        rc = s_check_txn(self, p->txn, &writes, err, errlen);
        if (rc) return rc;
        if (writes && sm_db_used(self) > self->cfg.quota_bytes)
            return store_fail(err, errlen, BUS_EUNAVAILABLE, "store: database space exceeded");
    } else if (!p->compact) {
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: a proposal needs a txn or a compaction");
    }
    if (s_full(self))
        return store_fail(err, errlen, BUS_EBUSY, "store: %zu requests are waiting already",
                          self->cfg.pending_max);
    /* A forward is only worth taking if we lead; else the sender retries with the leader. */
    if (self->role != RAFT_LEADER && !self->busy)
        return store_fail(err, errlen, BUS_EUNAVAILABLE, "store: %s is not the leader", self->name);
    sm_submit(self, cookie, data, len);
    return 0;
}

void store_member_resubmit(store_member_t *self, void *cookie, const uint8_t *data, size_t len)
{
    /* The leader we know did not answer: wait for another (or a while) before trying it again,
     * rather than bounce writes off it. */
    self->suspect = self->leader;
    self->suspect_until = self->ticks + SM_SUSPECT_TICKS;
    sm_submit(self, cookie, data, len);
}

/* The leader to send writes to, by name, or NULL when there is none worth trying now. */
static const char *s_leader_to_try(store_member_t *self)
{
    if (self->leader == RAFT_NONE || self->leader == self->id) return NULL;
    if (self->leader == self->suspect && self->ticks < self->suspect_until) return NULL;
    return store_member_name_of(self, self->leader);
}

/* --- waiting for a leader ------------------------------------------------------------------ */

static void s_wait_leader_since(store_member_t *self, void *cookie, const uint8_t *data, size_t len,
                                uint64_t since)
{
    const char *leader = s_leader_to_try(self);
    if (leader) {
        self->io.forward(self->io.arg, cookie, leader, data, len);
        return;
    }
    s_keep(&self->waiting, &self->waiting_n, &self->waiting_cap, cookie, data, len, since);
}

void sm_wait_leader(store_member_t *self, void *cookie, const uint8_t *data, size_t len)
{
    s_wait_leader_since(self, cookie, data, len, self->ticks);
}

/* Hands what waited for a leader to it (or proposes it, if we lead); answers what waited too
 * long. */
static void s_release_waiting(store_member_t *self)
{
    if (!self->waiting_n) return;
    bool have_leader = self->role == RAFT_LEADER || s_leader_to_try(self);
    sm_queued_t *w = self->waiting;
    size_t n = self->waiting_n;
    self->waiting = NULL;
    self->waiting_n = self->waiting_cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (have_leader && !self->busy)
            sm_submit(self, w[i].cookie, w[i].data, w[i].len);
        else if (self->ticks - w[i].since > SM_WAIT_TICKS)
            sm_reply_error(self, w[i].cookie, BUS_EUNAVAILABLE,
                           "store: no leader was elected in time; try again");
        else
            s_wait_leader_since(self, w[i].cookie, w[i].data, w[i].len, w[i].since);
        free(w[i].data);
    }
    free(w);
}

/* --- Raft messages ------------------------------------------------------------------------- */

int store_member_to_wire(store_member_t *self, const raft_msg_t *m, store_raft_t *w,
                         bus_arena_t *arena)
{
    *w = (store_raft_t){.type = m->type,
                        .cluster = self->cfg.cluster,
                        .from = m->from,
                        .to = m->to,
                        .term = m->term,
                        .log_term = m->log_term,
                        .index = m->index,
                        .commit = m->commit,
                        .reject = m->reject,
                        .reject_hint = m->reject_hint,
                        .context = m->context,
                        .snapshot_index = m->snap.index,
                        .snapshot_term = m->snap.term};
    if (m->entries_n) {
        store_entry_t *e = bus_arena_alloc(arena, m->entries_n * sizeof *e);
        if (!e) return BUS_ETOOBIG;
        for (size_t i = 0; i < m->entries_n; i++)
            e[i] = (store_entry_t){m->entries[i].term,
                                   m->entries[i].index,
                                   m->entries[i].type,
                                   {(uint8_t *)m->entries[i].data, m->entries[i].len}};
        w->entries = (codec_list_t){m->entries_n, e};
    }
    if (m->type == RAFT_MSG_SNAP) {
        w->voters = (codec_list_t){m->snap.conf.voters_n, (void *)m->snap.conf.voters};
        w->learners = (codec_list_t){m->snap.conf.learners_n, (void *)m->snap.conf.learners};
    }
    return 0;
}

/* A deep copy, for the inbox. */
static raft_msg_t *s_msg_copy(const raft_msg_t *m)
{
    size_t bytes = sizeof *m + m->entries_n * sizeof(raft_entry_t);
    for (size_t i = 0; i < m->entries_n; i++) bytes += m->entries[i].len;
    raft_msg_t *c = malloc(bytes);
    if (!c) abort();
    *c = *m;
    raft_entry_t *e = (raft_entry_t *)(c + 1);
    uint8_t *d = (uint8_t *)(e + m->entries_n);
    for (size_t i = 0; i < m->entries_n; i++) {
        e[i] = m->entries[i];
        if (e[i].len) memcpy(d, m->entries[i].data, e[i].len);
        e[i].data = d;
        d += e[i].len;
    }
    c->entries = e;
    return c;
}

/* Steps m now, or keeps it for when the worker gives the core back. */
void sm_deliver(store_member_t *self, const raft_msg_t *m)
{
    if (!self->busy) {
        sm_rtxn(self);
        raft_step(self->raft, m);
        return;
    }
    if (self->inbox_n < SM_INBOX_MAX) self->inbox[self->inbox_n++] = s_msg_copy(m);
    /* else dropped: Raft takes lost messages in its stride */
}

void store_member_step(store_member_t *self, const store_raft_t *w, const char *from_name)
{
    if (self->failed || w->to != self->id) return;
    if (w->cluster != self->cfg.cluster) {
        bus_log_limited(&self->log_foreign, BUS_LOG_WARN, "store.foreign",
                        "from=%s cluster=%016" PRIx64 " ours=%016" PRIx64,
                        from_name ? from_name : "-", w->cluster, self->cfg.cluster);
        return;
    }
    if (from_name) {
        if (store_log_member_id(from_name) != w->from) {
            bus_log_limited(&self->log_foreign, BUS_LOG_WARN, "store.impostor",
                            "from=%s claims=%016" PRIx64, from_name, w->from);
            return;
        }
        sm_learn_name(self, w->from, from_name);
    }
    raft_msg_t m = {.type = (uint8_t)w->type,
                    .from = w->from,
                    .to = w->to,
                    .term = w->term,
                    .log_term = w->log_term,
                    .index = w->index,
                    .commit = w->commit,
                    .reject = w->reject,
                    .reject_hint = w->reject_hint,
                    .context = w->context,
                    .snap = {.index = w->snapshot_index, .term = w->snapshot_term}};
    raft_entry_t ents[256], *e = ents;
    if (w->entries.n > 256) {
        e = malloc(w->entries.n * sizeof *e);
        if (!e) abort();
    }
    const store_entry_t *we = w->entries.v;
    for (size_t i = 0; i < w->entries.n; i++)
        e[i] = (raft_entry_t){we[i].term, we[i].index, (uint8_t)we[i].type, we[i].data.data,
                              we[i].data.len};
    m.entries = e;
    m.entries_n = w->entries.n;
    const uint64_t *v = w->voters.v, *l = w->learners.v;
    for (size_t i = 0; i < w->voters.n && i < RAFT_MEMBERS_MAX; i++)
        m.snap.conf.voters[m.snap.conf.voters_n++] = v[i];
    for (size_t i = 0; i < w->learners.n && i < RAFT_MEMBERS_MAX; i++)
        m.snap.conf.learners[m.snap.conf.learners_n++] = l[i];
    if (m.type == RAFT_MSG_SNAP)
        sm_snap_step(self, &m);
    else
        sm_deliver(self, &m);
    if (e != ents) free(e);
}

/* --- the loop ------------------------------------------------------------------------------ */

/* Answers the proposals the batch decided, up to index upto. Before the batch's commit (early)
 * only those it cannot undo: see s_answer_early. */
static void s_answer_pending(store_member_t *self, uint64_t snapshot_index, uint64_t upto,
                             bool early)
{
    const store_batch_t *b = &self->batch;
    uint64_t limit = b->applied < upto ? b->applied : upto;
    size_t ri = 0, kept = 0;
    for (size_t i = 0; i < self->pending_n; i++) {
        sm_pending_t pd = self->pending[i];
        if (pd.index > limit || (early && pd.kind == SM_CONF)) {
            self->pending[kept++] = pd;
            continue;
        }
        if (early) self->answered_early = true;
        if (pd.kind == SM_CONF) {
            sm_conf_reply(self, &pd);
            continue;
        }
        while (ri < b->results_n && b->results[ri].index < pd.index) ri++;
        const store_result_t *r = ri < b->results_n ? &b->results[ri] : NULL;
        if (r && r->index == pd.index && r->term == pd.term) {
            const uint8_t *body = b->out.data + r->off;
            if (r->status) {
                char text[1024];
                snprintf(text, sizeof text, "%.*s", (int)r->len, (const char *)body);
                sm_answer(self, pd.cookie, r->status, text, 0, NULL, 0);
            } else {
                sm_answer(self, pd.cookie, 0, NULL, r->type, body, r->len);
            }
        } else if (pd.index <= snapshot_index) {
            sm_reply_error(self, pd.cookie, BUS_EUNAVAILABLE,
                           "store: this member fell behind before it learned whether the write "
                           "at index %" PRIu64 " was committed; read to find out",
                           pd.index);
        } else {
            sm_reply_error(self, pd.cookie, BUS_EUNAVAILABLE,
                           "store: the write was not committed (the leader changed); it is safe "
                           "to send it again");
        }
    }
    self->pending_n = kept;
}

/* While the worker commits: answers the proposals its batch applied that were committed and
 * durable before it. Their outcome is final whether this commit succeeds or not (a failed one is
 * run again, an entry applied again gives the same outcome), so their proposers need not wait
 * for this member's flush. What they see stays linearizable: a read waits for this member's
 * applied index, which moves only once the commit is done. Membership changes wait for it. */
static void s_answer_early(store_member_t *self)
{
    if (self->answer_early_to) s_answer_pending(self, 0, self->answer_early_to, true);
}

static void s_publish(store_member_t *self)
{
    if (self->role != RAFT_LEADER || !self->io.change) return;
    const store_batch_t *b = &self->batch;
    for (size_t i = 0; i < b->changes_n; i++) {
        const store_change_t *c = &b->changes[i];
        self->io.change(self->io.arg, (const char *)b->out.data + c->key_off, b->out.data + c->off,
                        c->len);
    }
}

/* The worker finished the ready: send, answer, advance. */
static void s_finish(store_member_t *self)
{
    raft_ready_t *rd = &self->rd;
    if (self->job_rc) {
        bus_log_limited(&self->log_disk, BUS_LOG_ERROR, "store.disk", "error=\"%s\" retry_ms=%d",
                        self->job_err, SM_RETRY_TICKS * 50);
        self->retry_at = self->ticks + SM_RETRY_TICKS;
        return;
    }
    sm_rtxn_end(self); /* from here on, see what the worker wrote */
    log_debug("store.disk.done", "entries=%zu applied=%zu sync=%d us=%" PRIu64, rd->entries_n,
              rd->committed_n, rd->must_sync, self->job_us);
    for (size_t i = 0; i < rd->msgs_n; i++) {
        if (i < self->early_n && self->early[i]) continue;
        if (rd->msgs[i].type == RAFT_MSG_SNAP)
            log_debug("store.snapshot.send", "to=%" PRIx64 " index=%" PRIu64, rd->msgs[i].to,
                      rd->msgs[i].snap.index);
        self->io.send(self->io.arg, &rd->msgs[i]);
    }
    self->applied = self->batch.applied;
    self->commit = rd->hard.commit;
    self->term = rd->hard.term;
    s_answer_pending(self, rd->has_snapshot ? rd->snapshot.index : 0, UINT64_MAX, false);
    s_publish(self);
    sm_reads_ready(self, rd);
    if (self->snap_to_record && self->batch.snapshot) self->snap_to_record = false;
    if (!self->batch.log_compacting) self->compact_log_to = 0;
    /* The loop's view now holds the worker's commit, and the loop is the keyspace's only reader
     * (snapshots copy the file under LMDB): what compaction removed up to here can leave the
     * index, since no read will use an older snapshot again. */
    char err[256];
    if (store_kv_settle(self->kv, sm_rtxn(self), err, sizeof err) != 0)
        bus_log_limited(&self->log_disk, BUS_LOG_ERROR, "store.settle", "error=\"%s\"", err);
    raft_advance(self->raft, rd);
    self->busy = false;
    self->answered_early = false;
    const raft_conf_t *conf = &store_log_state(self->log)->conf;
    self->lone = conf->voters_n == 1 && conf->voters[0] == self->id;
    sm_reads_serve(self);
}

/* A leader's appends and heartbeats go before its own disk write (Raft's "write in parallel"):
 * the answers they bring are stepped only once the write is done (the core is the worker's until
 * then), so this member's copy never counts towards a commit before it is durable. Votes and
 * answers of every kind wait for the write, as s_finish sends them. */
static void s_send_early(store_member_t *self, const raft_ready_t *rd)
{
    self->early_n = 0;
    if (rd->role != RAFT_LEADER || !rd->msgs_n) return;
    if (rd->msgs_n > self->early_cap) {
        self->early_cap = rd->msgs_n;
        self->early = realloc(self->early, self->early_cap * sizeof *self->early);
        if (!self->early) abort();
    }
    self->early_n = rd->msgs_n;
    for (size_t i = 0; i < rd->msgs_n; i++) {
        int t = rd->msgs[i].type;
        self->early[i] = t == RAFT_MSG_APP || t == RAFT_MSG_HEARTBEAT;
        if (self->early[i]) self->io.send(self->io.arg, &rd->msgs[i]);
    }
}

/* Gives the core what came while it was away, and the worker the next ready. */
static void s_start(store_member_t *self)
{
    if (self->busy || self->failed) return;
    sm_rtxn(self);
    size_t n = self->inbox_n;
    self->inbox_n = 0;
    for (size_t i = 0; i < n; i++) {
        raft_step(self->raft, self->inbox[i]);
        free(self->inbox[i]);
    }
    for (; self->ticks_owed; self->ticks_owed--) raft_tick(self->raft);
    if (self->queued_n) {
        sm_queued_t *q = self->queued;
        size_t qn = self->queued_n;
        self->queued = NULL;
        self->queued_n = self->queued_cap = 0;
        for (size_t i = 0; i < qn; i++) {
            sm_submit(self, q[i].cookie, q[i].data, q[i].len);
            free(q[i].data);
        }
        free(q);
    }
    sm_reads_ask(self);
    if (self->defrag_cookie) sm_defrag(self);
    if (self->failed || !raft_has_ready(self->raft)) return;
    raft_ready(self->raft, &self->rd);
    raft_ready_t *rd = &self->rd;
    if (rd->soft_changed) {
        bool was_leader = self->role == RAFT_LEADER;
        self->role = rd->role;
        self->leader = rd->leader;
        if (self->io.role) self->io.role(self->io.arg, rd->role, rd->leader);
        if (was_leader != (rd->role == RAFT_LEADER) || rd->leader)
            log_info("store.role", "role=%s leader=%s term=%" PRIu64, raft_role_name(rd->role),
                     store_member_name_of(self, rd->leader) ? store_member_name_of(self, rd->leader)
                                                            : "-",
                     rd->hard.term);
    }
    self->term = rd->hard.term;
    if (rd->has_snapshot) {
        char err[512];
        if (sm_snap_install(self, rd, err, sizeof err) != 0) {
            log_error("store.snapshot.install", "error=\"%s\"", err);
            self->failed = true;
            return;
        }
    }
    store_batch_t *b = &self->batch;
    if (!rd->must_sync && !rd->hard_changed && !rd->entries_n && !rd->committed_n &&
        !rd->has_snapshot && !self->compact_log_to && !self->snap_to_record && !b->compacting) {
        /* Nothing for the disk (heartbeats, their answers, reads): done here, at once. */
        self->early_n = 0;
        b->results_n = b->changes_n = 0;
        b->applied = self->applied;
        b->log_compacting = false;
        self->job_rc = 0;
        self->busy = true;
        s_finish(self);
        return;
    }
    s_send_early(self, rd);
    const char *leader = store_member_name_of(self, self->leader);
    b->rd = rd;
    b->raft = self->raft;
    b->member = self->name;
    b->leader = leader ? leader : "";
    b->term = rd->hard.term;
    b->compact_log_to = self->compact_log_to;
    b->snapshot = self->snap_to_record ? &self->snap_record : NULL;
    b->on_applied = s_worker_applied;
    b->on_applied_arg = self;
    /* The entries this ready appends are not durable until its commit; everything before them
     * is. A lone voter commits its entries in the ready that appends them: those wait. */
    self->answer_early_to = rd->has_snapshot ? 0
                            : rd->entries_n  ? rd->entries[0].index - 1
                                             : UINT64_MAX;
    sm_rtxn_end(self);
    self->busy = true;
    s_worker_give(self);
}

static void s_compact_periodic(store_member_t *self);

/* What a leader does besides proposals, whenever the core is free: between two jobs, since a
 * busy leader may never be free at a tick. Looking for learners to promote reads the core's
 * progress through a read transaction: once a tick is enough. */
static void s_leader_duties(store_member_t *self)
{
    if (self->busy) return;
    if (self->role == RAFT_LEADER && self->promote_tick != self->ticks) {
        self->promote_tick = self->ticks;
        sm_promote_learners(self);
    }
    s_hand_off_now(self);
    s_compact_periodic(self);
}

void store_member_poll(store_member_t *self)
{
    if (self->failed) return;
    /* A few rounds: a single member's ready often makes the next at once (its own commit). */
    for (int round = 0; round < 4; round++) {
        if (self->busy && !self->retry_at && s_worker_applied_now(self)) s_answer_early(self);
        if (self->busy && !self->retry_at && s_worker_done(self)) s_finish(self);
        s_leader_duties(self);
        sm_snap_poll(self);
        s_release_waiting(self);
        s_start(self);
        if (self->busy) break;
    }
}

/* The leader's periodic compaction (as kube-apiserver compacts etcd): at each period's end, to
 * the revision seen at its start, so a watcher always has at least one period of history. */
static void s_compact_periodic(store_member_t *self)
{
    if (!self->cfg.compact_ticks || self->role != RAFT_LEADER || self->busy) {
        if (self->role != RAFT_LEADER) self->compact_at = 0;
        return;
    }
    if (self->compact_at && self->ticks < self->compact_at) return;
    MDB_txn *txn = sm_rtxn(self);
    uint64_t now = store_kv_revision(self->kv, txn), compacted = store_kv_compacted(self->kv, txn);
    if (self->compact_at && self->compact_rev > compacted && !s_full(self)) {
        char err[256];
        int rc = store_member_compact(self, NULL, NULL, self->compact_rev, err, sizeof err);
        if (rc)
            log_warn("store.compact.periodic", "revision=%" PRIu64 " error=\"%s\"",
                     self->compact_rev, err);
        else
            log_info("store.compact.periodic", "revision=%" PRIu64 " current=%" PRIu64,
                     self->compact_rev, now);
    }
    self->compact_at = self->ticks + self->cfg.compact_ticks;
    self->compact_rev = now;
}

void store_member_tick(store_member_t *self)
{
    self->ticks++;
    if (self->failed) return;
    if (self->busy) {
        if (self->ticks_owed < 1000) self->ticks_owed++;
        if (self->retry_at && self->ticks >= self->retry_at) {
            self->retry_at = 0;
            s_worker_give(self);
        }
    } else {
        sm_rtxn(self);
        raft_tick(self->raft);
    }
    sm_reads_tick(self);
    store_member_poll(self);
}

/* --- life cycle ---------------------------------------------------------------------------- */

static void s_defaults(store_member_config_t *c)
{
    if (!c->map_bytes) c->map_bytes = (size_t)8 << 30;
    if (!c->quota_bytes) c->quota_bytes = (size_t)2 << 30;
    if (!c->election_ticks) c->election_ticks = 10;
    if (!c->heartbeat_ticks) c->heartbeat_ticks = 1;
    if (!c->snapshot_entries) c->snapshot_entries = 100000;
    if (!c->catchup_entries) c->catchup_entries = 10000;
    if (!c->pending_max) c->pending_max = 20000;
}

static int s_start_core(store_member_t *self, char *err, size_t errlen)
{
    const store_log_state_t *st = store_log_state(self->log);
    raft_config_t rc = {.id = self->id,
                        .election_ticks = self->cfg.election_ticks,
                        .heartbeat_ticks = self->cfg.heartbeat_ticks,
                        .inflight_max = 64,
                        .batch_bytes = (size_t)1 << 20,
                        .uncommitted_max = (size_t)256 << 20,
                        .apply_bytes = (size_t)256 << 10, /* short jobs: acks wait for them */
                        .pre_vote = true,
                        .check_quorum = true,
                        .seed = self->cfg.seed ? self->cfg.seed : self->id,
                        .hard = st->hard,
                        .conf = st->conf,
                        .applied = st->applied,
                        .storage = store_log_storage(self->log)};
    sm_rtxn(self);
    self->raft = raft_new(&rc, err, errlen);
    if (!self->raft) return BUS_ECONFIG;
    self->applied = st->applied;
    self->commit = st->hard.commit;
    self->term = st->hard.term;
    self->role = RAFT_FOLLOWER;
    /* Alone, there is nobody to wait for. */
    if (st->conf.voters_n == 1 && st->conf.voters[0] == self->id) raft_campaign(self->raft);
    return 0;
}

store_member_t *store_member_new(const store_member_config_t *cfg, const store_member_io_t *io,
                                 char *err, size_t errlen)
{
    if (!cfg->data_dir || !cfg->name || !cfg->name[0] || strlen(cfg->name) > STORE_NAME_MAX ||
        !cfg->cluster || !io->send || !io->reply || !io->forward ||
        strlen(cfg->data_dir) > SM_PATH_MAX - 64) {
        store_fail(err, errlen, BUS_EINVALID,
                   "store: a data directory, a name of 1 to %d bytes, a cluster id and the send, "
                   "reply and forward callbacks are needed",
                   STORE_NAME_MAX);
        return NULL;
    }
    store_member_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->cfg = *cfg;
    s_defaults(&self->cfg);
    self->io = *io;
    snprintf(self->dir, sizeof self->dir, "%s", cfg->data_dir);
    snprintf(self->name, sizeof self->name, "%s", cfg->name);
    self->cfg.data_dir = self->dir;
    self->cfg.name = self->name;
    self->cfg.initial = NULL; /* not kept: only the first start reads them */
    self->id = store_log_member_id(self->name);
    sm_learn_name(self, self->id, self->name);
    for (size_t i = 0; i < cfg->initial_n; i++)
        sm_learn_name(self, store_log_member_id(cfg->initial[i]), cfg->initial[i]);
    self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->arena = bus_arena_new((size_t)256 << 20);
    bus_buf_init(&self->out, (size_t)64 << 20);
    bus_buf_init(&self->prop, (size_t)64 << 20);
    store_batch_init(&self->batch);
    self->inbox = calloc(SM_INBOX_MAX, sizeof *self->inbox);
    if (!self->inbox) abort();
    self->log_foreign.burst = self->log_disk.burst = 10;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    int rc = sm_env_open(self, cfg, err, errlen);
    if (!rc) rc = s_start_core(self, err, errlen);
    if (!rc && pthread_create(&self->thread, NULL, s_worker, self) != 0)
        rc = store_fail(err, errlen, BUS_EINTERNAL, "store: cannot start the disk worker");
    if (rc) {
        raft_destroy(&self->raft);
        sm_env_close(self);
        store_log_destroy(&self->log);
        store_batch_free(&self->batch);
        bus_arena_destroy(&self->arena);
        bus_buf_free(&self->out);
        bus_buf_free(&self->prop);
        free(self->inbox);
        close(self->efd);
        pthread_mutex_destroy(&self->mu);
        pthread_cond_destroy(&self->cv);
        free(self);
        return NULL;
    }
    self->worker_started = true;
    return self;
}

static void s_close_queue(store_member_t *self, sm_queued_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sm_reply_error(self, q[i].cookie, BUS_ECLOSED, "store: %s is stopping", self->name);
        free(q[i].data);
    }
    free(q);
}

void store_member_destroy(store_member_t **self_p)
{
    if (!self_p || !*self_p) return;
    store_member_t *self = *self_p;
    pthread_mutex_lock(&self->mu);
    self->stop = true;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
    pthread_join(self->thread, NULL);
    sm_snap_wait(self);
    for (size_t i = 0; i < self->pending_n; i++)
        sm_reply_error(self, self->pending[i].cookie, BUS_ECLOSED,
                       "store: %s stopped before the write was known committed", self->name);
    free(self->pending);
    s_close_queue(self, self->waiting, self->waiting_n);
    s_close_queue(self, self->queued, self->queued_n);
    sm_reads_close(self);
    if (self->defrag_cookie)
        sm_reply_error(self, self->defrag_cookie, BUS_ECLOSED, "store: %s is stopping", self->name);
    for (size_t i = 0; i < self->inbox_n; i++) free(self->inbox[i]);
    free(self->inbox);
    free(self->snap_msg);
    free(self->early);
    raft_destroy(&self->raft);
    sm_env_close(self);
    store_log_destroy(&self->log);
    store_batch_free(&self->batch);
    bus_arena_destroy(&self->arena);
    bus_buf_free(&self->out);
    bus_buf_free(&self->prop);
    close(self->efd);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cv);
    free(self);
    *self_p = NULL;
}
