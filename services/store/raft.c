/* raft: the core. State lives in struct raft_t; a call changes it and may queue messages in the
 * outbox. raft_ready gathers the queued work; raft_advance retires it. Messages and the entries
 * they carry are copied into a per-ready arena, so they stay valid until raft_advance whatever the
 * storage does meanwhile. Follows the structure of etcd's raft: the message handlers, progress
 * tracking and ReadIndex are the same algorithms; membership changes are one member at a time,
 * taking effect when applied. */
#include "raft.h"
#include "bus_arena.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PEERS_MAX    (2 * RAFT_MEMBERS_MAX)
#define S_INFLIGHT_MAX 256
#define S_READS_MAX    4096
#define S_TRANSFER     1 /* vote context: a campaign asked for by the leader (no lease check) */

typedef struct {
    uint64_t id;
    bool learner;
    uint64_t match, next;
    raft_progress_state_t state;
    bool probe_sent; /* probe: an append is out, wait for an answer */
    bool active;     /* heard from since the last quorum check */
    uint64_t pending_snapshot;
    uint32_t snap_ticks; /* ticks since the snapshot was offered: a lost offer is retried */
    uint64_t inflight[S_INFLIGHT_MAX]; /* last index of each append in flight, oldest first */
    size_t inflight_start, inflight_n;
} s_progress_t;

typedef struct {
    uint64_t context;
    uint64_t index;
    uint64_t from; /* who asked: self, or a follower that forwarded it */
    uint64_t acks[RAFT_MEMBERS_MAX];
    size_t acks_n;
} s_read_req_t;

struct raft_t {
    raft_config_t cfg;
    uint64_t id;
    raft_role_t role;
    uint64_t term, vote, leader;
    raft_conf_t conf;
    bool removed; /* no longer a member: never campaigns */

    /* The log: storage holds what was persisted; unstable what was not yet. */
    raft_storage_t st;
    raft_entry_t *unstable; /* entries from unstable_offset on; data owned here */
    size_t unstable_n, unstable_cap;
    uint64_t unstable_offset;
    bool snap_pending; /* a snapshot to install comes before the unstable entries */
    raft_snap_meta_t snap;
    uint64_t committed, applied;
    size_t uncommitted_bytes;

    s_progress_t peers[S_PEERS_MAX];
    size_t peers_n;
    uint64_t votes_granted[RAFT_MEMBERS_MAX], votes_rejected[RAFT_MEMBERS_MAX];
    size_t granted_n, rejected_n;

    uint32_t election_elapsed, heartbeat_elapsed, randomized_timeout;
    uint64_t transferee;
    uint64_t pending_conf_index;
    uint64_t rng;

    s_read_req_t *reads_pending; /* leader: ReadIndex requests waiting for a quorum */
    size_t reads_pending_n;
    uint64_t *reads_waiting; /* leader before its first commit in its term: contexts, senders */
    uint64_t *reads_waiting_from;
    size_t reads_waiting_n;
    raft_read_t *reads_ready;
    size_t reads_ready_n;
    uint64_t *reads_dropped;
    size_t reads_dropped_n;

    /* Two outboxes and two arenas: the ready owns one pair until raft_advance while new messages
     * (raft_apply_conf may make some) go to the other. */
    raft_msg_t *out, *ready_out;
    size_t out_n, out_cap, ready_out_cap;
    bus_arena_t *arena, *ready_arena; /* copies of entries: messages', the ready's */
    raft_entry_t *fetch;
    size_t fetch_n, fetch_cap; /* entries read from storage, being copied */

    raft_role_t last_role;
    uint64_t last_leader;
    raft_hard_t last_hard;
    bool in_ready; /* between raft_ready and raft_advance: only raft_apply_conf is allowed */
};

static const char *s_role_names[] = {"follower", "pre-candidate", "candidate", "leader"};
static const char *s_msg_names[] = {
    "?",           "app",           "app_resp",       "vote",           "vote_resp",
    "pre_vote",    "pre_vote_resp", "heartbeat",      "heartbeat_resp", "snap",
    "timeout_now", "read_index",    "read_index_resp"};

const char *raft_role_name(raft_role_t role)
{
    return role <= RAFT_LEADER ? s_role_names[role] : "?";
}

const char *raft_msg_name(int type)
{
    return type > 0 && type <= RAFT_MSG_READ_INDEX_RESP ? s_msg_names[type] : "?";
}

static void *s_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    p = realloc(p, c * size);
    if (!p) abort();
    *cap = c;
    return p;
}

static uint64_t s_rand(raft_t *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return self->rng = x;
}

/* --- membership ---------------------------------------------------------------------------- */

bool raft_conf_has(const raft_conf_t *conf, uint64_t id, bool *learner)
{
    for (size_t i = 0; i < conf->voters_n; i++)
        if (conf->voters[i] == id) {
            if (learner) *learner = false;
            return true;
        }
    for (size_t i = 0; i < conf->learners_n; i++)
        if (conf->learners[i] == id) {
            if (learner) *learner = true;
            return true;
        }
    return false;
}

static bool s_is_voter(const raft_t *self, uint64_t id)
{
    bool learner = false;
    return raft_conf_has(&self->conf, id, &learner) && !learner;
}

static size_t s_quorum(const raft_t *self)
{
    return self->conf.voters_n / 2 + 1;
}

static bool s_promotable(const raft_t *self)
{
    return !self->removed && s_is_voter(self, self->id);
}

static s_progress_t *s_peer(raft_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->peers_n; i++)
        if (self->peers[i].id == id) return &self->peers[i];
    return NULL;
}

size_t raft_bootstrap(const uint64_t *voters, size_t n, uint8_t (*data)[9], raft_entry_t *out)
{
    for (size_t i = 0; i < n; i++) {
        raft_conf_encode(RAFT_CONF_ADD_VOTER, voters[i], data[i]);
        out[i] = (raft_entry_t){
            .term = 1, .index = i + 1, .type = RAFT_ENTRY_CONF, .data = data[i], .len = 9};
    }
    return n;
}

size_t raft_conf_encode(int type, uint64_t member, uint8_t out[9])
{
    out[0] = (uint8_t)type;
    for (int i = 0; i < 8; i++) out[1 + i] = (uint8_t)(member >> (56 - 8 * i));
    return 9;
}

int raft_conf_decode(const uint8_t *data, size_t len, int *type, uint64_t *member)
{
    if (len != 9 || data[0] < RAFT_CONF_ADD_LEARNER || data[0] > RAFT_CONF_ADD_VOTER)
        return RAFT_EINVALID;
    *type = data[0];
    *member = 0;
    for (int i = 0; i < 8; i++) *member = (*member << 8) | data[1 + i];
    return *member == RAFT_NONE ? RAFT_EINVALID : 0;
}

/* --- the log ------------------------------------------------------------------------------- */

static uint64_t s_last_index(raft_t *self)
{
    if (self->unstable_n) return self->unstable_offset + self->unstable_n - 1;
    if (self->snap_pending) return self->snap.index;
    return self->st.last_index(self->st.arg);
}

static uint64_t s_first_index(raft_t *self)
{
    if (self->snap_pending) return self->snap.index + 1;
    return self->st.first_index(self->st.arg);
}

/* The term of index, or 0 when it is not in the log (compacted or beyond the end). */
static uint64_t s_term(raft_t *self, uint64_t index)
{
    if (self->unstable_n && index >= self->unstable_offset &&
        index < self->unstable_offset + self->unstable_n)
        return self->unstable[index - self->unstable_offset].term;
    if (self->snap_pending) {
        if (index == self->snap.index) return self->snap.term;
        return 0; /* the log before a snapshot being installed is gone */
    }
    if (self->unstable_n && index >= self->unstable_offset) return 0;
    uint64_t t;
    return self->st.term(self->st.arg, index, &t) == 0 ? t : 0;
}

static uint64_t s_last_term(raft_t *self)
{
    return s_term(self, s_last_index(self));
}

static bool s_match_term(raft_t *self, uint64_t index, uint64_t term)
{
    if (index == 0) return term == 0;
    uint64_t t = s_term(self, index);
    return t != 0 && t == term;
}

static bool s_up_to_date(raft_t *self, uint64_t last_term, uint64_t last_index)
{
    uint64_t lt = s_last_term(self);
    return last_term > lt || (last_term == lt && last_index >= s_last_index(self));
}

static void s_free_unstable(raft_t *self, size_t from)
{
    for (size_t i = from; i < self->unstable_n; i++) free((void *)self->unstable[i].data);
    self->unstable_n = from;
}

/* Appends entries (copied) to the unstable log, replacing what conflicts from their first index. */
static void s_append(raft_t *self, const raft_entry_t *e, size_t n)
{
    if (!n) return;
    uint64_t first = e[0].index;
    if (self->unstable_n && first >= self->unstable_offset &&
        first <= self->unstable_offset + self->unstable_n) {
        s_free_unstable(self, first - self->unstable_offset);
    } else {
        /* Everything unstable is replaced: the new entries follow the persisted log. */
        s_free_unstable(self, 0);
        self->unstable_offset = first;
    }
    self->unstable = s_grow(self->unstable, &self->unstable_cap, self->unstable_n + n, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        raft_entry_t c = e[i];
        uint8_t *d = NULL;
        if (c.len) {
            d = malloc(c.len);
            if (!d) abort();
            memcpy(d, c.data, c.len);
        }
        c.data = d;
        self->unstable[self->unstable_n++] = c;
    }
}

/* Storage's callback: copies one entry's data into the arena and appends it to the fetch array. */
static void s_emit(void *ctx, const raft_entry_t *e)
{
    raft_t *self = ctx;
    self->fetch = s_grow(self->fetch, &self->fetch_cap, self->fetch_n + 1, sizeof *e);
    raft_entry_t c = *e;
    if (c.len) {
        uint8_t *d = bus_arena_alloc(self->arena, c.len);
        if (!d) abort(); /* the arena is sized far beyond any ready */
        memcpy(d, e->data, c.len);
        c.data = d;
    }
    self->fetch[self->fetch_n++] = c;
}

/* Entries [lo, hi), at most max_bytes of data (at least one entry): the persisted part from
 * storage, the rest from the unstable log. Copied into the arena, valid until raft_advance. */
static int s_entries(raft_t *self, uint64_t lo, uint64_t hi, size_t max_bytes,
                     const raft_entry_t **out, size_t *n)
{
    self->fetch_n = 0;
    *out = NULL;
    *n = 0;
    if (lo >= hi) return 0;
    if (lo < s_first_index(self)) return RAFT_ECOMPACTED;
    size_t bytes = 0;
    /* Unstable entries supersede persisted ones from unstable_offset on; after a snapshot
     * being installed nothing persisted counts. */
    uint64_t stable_end =
        self->unstable_n && self->unstable_offset < hi ? self->unstable_offset : hi;
    if (self->snap_pending) stable_end = lo;
    bool cut = false;
    if (lo < stable_end) {
        int rc = self->st.entries(self->st.arg, lo, stable_end, max_bytes, s_emit, self);
        if (rc) return rc;
        for (size_t i = 0; i < self->fetch_n; i++) bytes += self->fetch[i].len;
        cut = self->fetch_n < stable_end - lo;
    }
    uint64_t u_end = self->unstable_offset + self->unstable_n;
    for (uint64_t i = lo > self->unstable_offset ? lo : self->unstable_offset;
         !cut && self->unstable_n && i < hi && i < u_end; i++) {
        const raft_entry_t *e = &self->unstable[i - self->unstable_offset];
        if (self->fetch_n && bytes + e->len > max_bytes) break;
        s_emit(self, e);
        bytes += e->len;
    }
    /* The fetch array is reused by the next call: hand out a copy in the arena. */
    if (self->fetch_n) {
        raft_entry_t *copy = bus_arena_alloc(self->arena, self->fetch_n * sizeof *copy);
        if (!copy) abort();
        memcpy(copy, self->fetch, self->fetch_n * sizeof *copy);
        *out = copy;
        *n = self->fetch_n;
    }
    return 0;
}

static void s_commit_to(raft_t *self, uint64_t index)
{
    uint64_t last = s_last_index(self);
    if (index > last) index = last;
    if (index > self->committed) self->committed = index;
}

/* --- messages ------------------------------------------------------------------------------ */

static raft_msg_t *s_send(raft_t *self, int type, uint64_t to)
{
    self->out = s_grow(self->out, &self->out_cap, self->out_n + 1, sizeof *self->out);
    raft_msg_t *m = &self->out[self->out_n++];
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->from = self->id;
    m->to = to;
    m->term = self->term;
    return m;
}

static bool s_inflight_full(const s_progress_t *pr, const raft_t *self)
{
    return pr->inflight_n >= self->cfg.inflight_max;
}

static void s_inflight_add(s_progress_t *pr, uint64_t last)
{
    pr->inflight[(pr->inflight_start + pr->inflight_n) % S_INFLIGHT_MAX] = last;
    pr->inflight_n++;
}

static void s_inflight_free_to(s_progress_t *pr, uint64_t index)
{
    while (pr->inflight_n && pr->inflight[pr->inflight_start] <= index) {
        pr->inflight_start = (pr->inflight_start + 1) % S_INFLIGHT_MAX;
        pr->inflight_n--;
    }
}

static bool s_paused(const raft_t *self, const s_progress_t *pr)
{
    switch (pr->state) {
    case RAFT_PROBE: return pr->probe_sent;
    case RAFT_REPLICATE: return s_inflight_full(pr, self);
    default: return true;
    }
}

static void s_become_probe(s_progress_t *pr)
{
    if (pr->state == RAFT_SNAPSHOT) {
        uint64_t pending = pr->pending_snapshot;
        pr->next = (pr->match + 1 > pending + 1 ? pr->match + 1 : pending + 1);
    } else {
        pr->next = pr->match + 1;
    }
    pr->state = RAFT_PROBE;
    pr->probe_sent = false;
    pr->pending_snapshot = 0;
    pr->inflight_n = 0;
}

static void s_become_replicate(s_progress_t *pr)
{
    pr->state = RAFT_REPLICATE;
    pr->probe_sent = false;
    pr->pending_snapshot = 0;
    pr->next = pr->match + 1;
    pr->inflight_n = 0;
}

/* Sends an append (or a snapshot when the entries are gone) to a peer. false if nothing went. */
static bool s_send_append(raft_t *self, s_progress_t *pr, bool send_empty)
{
    if (s_paused(self, pr)) return false;
    uint64_t prev = pr->next - 1, prev_term = s_term(self, prev);
    const raft_entry_t *ents = NULL;
    size_t n = 0;
    uint64_t last = s_last_index(self);
    int rc = (prev_term == 0 && prev != 0) ? RAFT_ECOMPACTED : 0;
    if (!rc && pr->next <= last)
        rc = s_entries(self, pr->next, last + 1, self->cfg.batch_bytes, &ents, &n);
    if (rc == RAFT_ECOMPACTED) {
        /* The follower is behind the log we kept: it needs the snapshot. */
        if (!pr->active) return false;
        raft_snap_meta_t meta;
        if (self->st.snapshot(self->st.arg, &meta) != 0 || meta.index == 0) return false;
        raft_msg_t *m = s_send(self, RAFT_MSG_SNAP, pr->id);
        m->snap = meta;
        pr->state = RAFT_SNAPSHOT;
        pr->pending_snapshot = meta.index;
        pr->snap_ticks = 0;
        return true;
    }
    if (rc) return false;
    if (!n && !send_empty) return false;
    raft_msg_t *m = s_send(self, RAFT_MSG_APP, pr->id);
    m->index = prev;
    m->log_term = prev_term;
    m->entries = ents;
    m->entries_n = n;
    m->commit = self->committed;
    if (n) {
        if (pr->state == RAFT_REPLICATE) {
            pr->next = ents[n - 1].index + 1;
            s_inflight_add(pr, ents[n - 1].index);
        } else if (pr->state == RAFT_PROBE) {
            pr->probe_sent = true;
        }
    }
    return true;
}

static void s_broadcast_append(raft_t *self)
{
    for (size_t i = 0; i < self->peers_n; i++)
        if (self->peers[i].id != self->id) s_send_append(self, &self->peers[i], true);
}

static void s_send_heartbeat(raft_t *self, s_progress_t *pr, uint64_t context)
{
    raft_msg_t *m = s_send(self, RAFT_MSG_HEARTBEAT, pr->id);
    /* Never tell a follower to commit beyond what it is known to have. */
    m->commit = pr->match < self->committed ? pr->match : self->committed;
    m->context = context;
}

static void s_broadcast_heartbeat(raft_t *self, uint64_t context)
{
    for (size_t i = 0; i < self->peers_n; i++)
        if (self->peers[i].id != self->id) s_send_heartbeat(self, &self->peers[i], context);
}

/* --- roles --------------------------------------------------------------------------------- */

static void s_reset_timeout(raft_t *self)
{
    uint32_t e = self->cfg.election_ticks;
    self->randomized_timeout = e + (uint32_t)(s_rand(self) % e);
}

static void s_drop_reads(raft_t *self)
{
    for (size_t i = 0; i < self->reads_pending_n; i++)
        if (self->reads_pending[i].from == self->id && self->reads_dropped_n < S_READS_MAX)
            self->reads_dropped[self->reads_dropped_n++] = self->reads_pending[i].context;
    for (size_t i = 0; i < self->reads_waiting_n; i++)
        if (self->reads_waiting_from[i] == self->id && self->reads_dropped_n < S_READS_MAX)
            self->reads_dropped[self->reads_dropped_n++] = self->reads_waiting[i];
    self->reads_pending_n = 0;
    self->reads_waiting_n = 0;
}

static void s_reset_progress(raft_t *self)
{
    self->peers_n = 0;
    uint64_t next = s_last_index(self) + 1;
    const raft_conf_t *c = &self->conf;
    for (size_t i = 0; i < c->voters_n + c->learners_n; i++) {
        s_progress_t *pr = &self->peers[self->peers_n++];
        memset(pr, 0, sizeof *pr);
        pr->id = i < c->voters_n ? c->voters[i] : c->learners[i - c->voters_n];
        pr->learner = i >= c->voters_n;
        pr->next = next;
        pr->state = RAFT_PROBE;
        if (pr->id == self->id) pr->match = next - 1;
    }
}

static void s_reset(raft_t *self, uint64_t term)
{
    if (term != self->term) {
        self->term = term;
        self->vote = RAFT_NONE;
    }
    self->leader = RAFT_NONE;
    self->election_elapsed = 0;
    self->heartbeat_elapsed = 0;
    s_reset_timeout(self);
    self->transferee = RAFT_NONE;
    self->granted_n = self->rejected_n = 0;
    s_drop_reads(self);
    s_reset_progress(self);
    self->pending_conf_index = 0;
    self->uncommitted_bytes = 0;
}

static void s_become_follower(raft_t *self, uint64_t term, uint64_t leader)
{
    s_reset(self, term);
    self->role = RAFT_FOLLOWER;
    self->leader = leader;
}

static bool s_maybe_commit(raft_t *self);

static void s_become_leader(raft_t *self)
{
    s_reset(self, self->term);
    self->role = RAFT_LEADER;
    self->leader = self->id;
    /* No membership change until the entries of earlier terms are committed. */
    self->pending_conf_index = s_last_index(self);
    raft_entry_t noop = {
        .term = self->term, .index = s_last_index(self) + 1, .type = RAFT_ENTRY_NOOP};
    s_append(self, &noop, 1);
    s_progress_t *me = s_peer(self, self->id);
    if (me) me->match = noop.index, me->next = noop.index + 1;
    /* A lone voter commits it at once: without this, reads would wait for the next write. */
    s_maybe_commit(self);
}

/* Records a vote; returns 1 won, -1 lost, 0 undecided. */
static int s_poll(raft_t *self, uint64_t from, bool granted)
{
    uint64_t *list = granted ? self->votes_granted : self->votes_rejected;
    size_t *n = granted ? &self->granted_n : &self->rejected_n;
    for (size_t i = 0; i < self->granted_n; i++)
        if (self->votes_granted[i] == from) return 0;
    for (size_t i = 0; i < self->rejected_n; i++)
        if (self->votes_rejected[i] == from) return 0;
    if (*n < RAFT_MEMBERS_MAX && s_is_voter(self, from)) list[(*n)++] = from;
    if (self->granted_n >= s_quorum(self)) return 1;
    if (self->rejected_n >= s_quorum(self)) return -1;
    return 0;
}

static void s_campaign(raft_t *self, bool pre, bool transfer)
{
    if (!s_promotable(self)) return;
    int type;
    uint64_t term;
    if (pre) {
        s_reset(self, self->term);
        self->role = RAFT_PRE_CANDIDATE;
        type = RAFT_MSG_PRE_VOTE;
        term = self->term + 1; /* asked for, not taken: a lost pre-vote leaves the term alone */
    } else {
        s_reset(self, self->term + 1);
        self->role = RAFT_CANDIDATE;
        self->vote = self->id;
        type = RAFT_MSG_VOTE;
        term = self->term;
    }
    if (s_poll(self, self->id, true) == 1) {
        /* A lone voter wins at once. */
        if (pre)
            s_campaign(self, false, transfer);
        else
            s_become_leader(self);
        return;
    }
    for (size_t i = 0; i < self->conf.voters_n; i++) {
        uint64_t to = self->conf.voters[i];
        if (to == self->id) continue;
        raft_msg_t *m = s_send(self, type, to);
        m->term = term;
        m->index = s_last_index(self);
        m->log_term = s_last_term(self);
        m->context = transfer ? S_TRANSFER : 0;
    }
}

void raft_campaign(raft_t *self)
{
    assert(!self->in_ready);
    if (self->role != RAFT_LEADER) s_campaign(self, self->cfg.pre_vote, false);
}

/* --- leader bookkeeping -------------------------------------------------------------------- */

static int s_cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The highest index a quorum of voters has; committed if it is from this term. */
static bool s_maybe_commit(raft_t *self)
{
    uint64_t matches[RAFT_MEMBERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < self->peers_n; i++)
        if (!self->peers[i].learner && s_is_voter(self, self->peers[i].id))
            matches[n++] = self->peers[i].match;
    if (n == 0) return false;
    qsort(matches, n, sizeof matches[0], s_cmp_desc);
    uint64_t index = matches[s_quorum(self) - 1];
    if (index > self->committed && s_term(self, index) == self->term) {
        self->committed = index;
        self->uncommitted_bytes = 0; /* recounted only approximately: a cap, not an account */
        return true;
    }
    return false;
}

static bool s_committed_in_term(raft_t *self)
{
    return s_term(self, self->committed) == self->term;
}

static void s_read_release(raft_t *self, size_t upto)
{
    for (size_t i = 0; i <= upto; i++) {
        s_read_req_t *r = &self->reads_pending[i];
        if (r->from == self->id) {
            if (self->reads_ready_n < S_READS_MAX)
                self->reads_ready[self->reads_ready_n++] = (raft_read_t){r->context, r->index};
        } else {
            raft_msg_t *m = s_send(self, RAFT_MSG_READ_INDEX_RESP, r->from);
            m->index = r->index;
            m->context = r->context;
        }
    }
    memmove(self->reads_pending, self->reads_pending + upto + 1,
            (self->reads_pending_n - upto - 1) * sizeof *self->reads_pending);
    self->reads_pending_n -= upto + 1;
}

/* A leader's read: confirmed by a quorum's heartbeat answers to its context. */
static void s_leader_read(raft_t *self, uint64_t context, uint64_t from)
{
    if (!s_committed_in_term(self)) {
        if (self->reads_waiting_n < S_READS_MAX) {
            self->reads_waiting[self->reads_waiting_n] = context;
            self->reads_waiting_from[self->reads_waiting_n++] = from;
        } else if (from == self->id && self->reads_dropped_n < S_READS_MAX) {
            self->reads_dropped[self->reads_dropped_n++] = context;
        }
        return;
    }
    if (self->conf.voters_n == 1) {
        self->reads_pending[0] =
            (s_read_req_t){.context = context, .index = self->committed, .from = from};
        self->reads_pending_n = 1;
        s_read_release(self, 0);
        return;
    }
    if (self->reads_pending_n == S_READS_MAX) {
        if (from == self->id && self->reads_dropped_n < S_READS_MAX)
            self->reads_dropped[self->reads_dropped_n++] = context;
        return;
    }
    s_read_req_t *r = &self->reads_pending[self->reads_pending_n++];
    *r = (s_read_req_t){.context = context, .index = self->committed, .from = from};
    r->acks[r->acks_n++] = self->id;
    s_broadcast_heartbeat(self, context);
}

static void s_read_ack(raft_t *self, uint64_t from, uint64_t context)
{
    for (size_t i = 0; i < self->reads_pending_n; i++) {
        s_read_req_t *r = &self->reads_pending[i];
        if (r->context != context) continue;
        bool seen = false;
        for (size_t k = 0; k < r->acks_n; k++) seen = seen || r->acks[k] == from;
        if (!seen && r->acks_n < RAFT_MEMBERS_MAX && s_is_voter(self, from))
            r->acks[r->acks_n++] = from;
        /* A quorum confirmed leadership after this read (and all earlier ones) arrived. */
        if (r->acks_n >= s_quorum(self)) s_read_release(self, i);
        return;
    }
}

static void s_reads_after_commit(raft_t *self)
{
    if (!self->reads_waiting_n || !s_committed_in_term(self)) return;
    size_t n = self->reads_waiting_n;
    uint64_t ctx[S_READS_MAX], from[S_READS_MAX];
    memcpy(ctx, self->reads_waiting, n * sizeof ctx[0]);
    memcpy(from, self->reads_waiting_from, n * sizeof from[0]);
    self->reads_waiting_n = 0;
    for (size_t i = 0; i < n; i++) s_leader_read(self, ctx[i], from[i]);
}

/* --- handlers ------------------------------------------------------------------------------ */

static void s_handle_app_resp(raft_t *self, const raft_msg_t *m, s_progress_t *pr)
{
    /* Nothing we sent in this term goes beyond our last index: a larger one is not an answer to
     * us, and counting it as a copy would commit entries a quorum does not have. */
    if (m->index > s_last_index(self)) return;
    pr->active = true;
    if (m->reject) {
        /* Go back: to the follower's last index if that is lower than what we tried. */
        if (pr->state == RAFT_REPLICATE) {
            if (m->index <= pr->match) return; /* stale */
            pr->next = pr->match + 1;
            s_become_probe(pr);
        } else {
            if (pr->next - 1 != m->index) return; /* stale */
            /* Back to what the follower has, but never below what it is known to have: a stale
             * rejection (sent when its log was shorter) may arrive after a later success. */
            uint64_t hint = m->reject_hint + 1;
            pr->next = hint < m->index ? hint : m->index;
            if (pr->next < pr->match + 1) pr->next = pr->match + 1;
            pr->probe_sent = false;
        }
        s_send_append(self, pr, true);
        return;
    }
    bool was_paused = s_paused(self, pr);
    if (m->index > pr->match) {
        pr->match = m->index;
        if (pr->next < m->index + 1) pr->next = m->index + 1;
        pr->probe_sent = false;
        if (pr->state == RAFT_PROBE)
            s_become_replicate(pr);
        else if (pr->state == RAFT_SNAPSHOT && pr->match >= pr->pending_snapshot)
            s_become_probe(pr);
        else if (pr->state == RAFT_REPLICATE)
            s_inflight_free_to(pr, m->index);
        if (s_maybe_commit(self)) {
            s_broadcast_append(self);
            s_reads_after_commit(self);
        } else if (was_paused) {
            /* It may have missed the latest commit index while paused: send it, even empty. */
            s_send_append(self, pr, true);
        }
        while (s_send_append(self, pr, false)) continue;
        if (m->from == self->transferee && pr->match == s_last_index(self))
            s_send(self, RAFT_MSG_TIMEOUT_NOW, m->from);
    }
}

static void s_step_leader(raft_t *self, const raft_msg_t *m)
{
    s_progress_t *pr = s_peer(self, m->from);
    if (!pr) return; /* not (or no longer) a member */
    switch (m->type) {
    case RAFT_MSG_APP_RESP: s_handle_app_resp(self, m, pr); break;
    case RAFT_MSG_HEARTBEAT_RESP:
        pr->active = true;
        pr->probe_sent = false;
        if (pr->state == RAFT_SNAPSHOT && pr->snap_ticks >= self->cfg.election_ticks) {
            /* The offer or its answer was lost (or the follower could not fetch the data):
             * start over from what it is known to have, which offers the snapshot again if it
             * is still needed. */
            pr->pending_snapshot = 0;
            s_become_probe(pr);
        }
        if (pr->state == RAFT_REPLICATE && s_inflight_full(pr, self)) {
            /* A lost append would stall the window forever: let one more go. */
            pr->inflight_start = (pr->inflight_start + 1) % S_INFLIGHT_MAX;
            pr->inflight_n--;
        }
        /* Behind: send an append even with nothing new from next on. If the entries before
         * next were lost, its rejection is how we learn to go back. */
        if (pr->match < s_last_index(self)) s_send_append(self, pr, true);
        if (m->context) s_read_ack(self, m->from, m->context);
        break;
    case RAFT_MSG_READ_INDEX: s_leader_read(self, m->context, m->from); break;
    default: break;
    }
}

static void s_handle_append(raft_t *self, const raft_msg_t *m)
{
    raft_msg_t *r;
    if (m->index < self->committed) {
        r = s_send(self, RAFT_MSG_APP_RESP, m->from);
        r->index = self->committed;
        return;
    }
    if (!s_match_term(self, m->index, m->log_term)) {
        r = s_send(self, RAFT_MSG_APP_RESP, m->from);
        r->index = m->index;
        r->reject = true;
        r->reject_hint = s_last_index(self);
        return;
    }
    uint64_t last_new = m->index + m->entries_n;
    /* The first entry that is new or conflicts; everything before it is already here. */
    size_t k = 0;
    while (k < m->entries_n && s_match_term(self, m->entries[k].index, m->entries[k].term)) k++;
    if (k < m->entries_n) {
        /* A conflict at or below the commit index would break Raft: it cannot happen. */
        assert(m->entries[k].index > self->committed);
        s_append(self, m->entries + k, m->entries_n - k);
    }
    s_commit_to(self, m->commit < last_new ? m->commit : last_new);
    r = s_send(self, RAFT_MSG_APP_RESP, m->from);
    r->index = last_new;
}

static bool s_restore(raft_t *self, const raft_snap_meta_t *snap)
{
    if (snap->index <= self->committed) return false;
    if (s_match_term(self, snap->index, snap->term)) {
        /* We have the entry the snapshot ends at: just commit up to it. */
        s_commit_to(self, snap->index);
        return false;
    }
    s_free_unstable(self, 0);
    self->snap_pending = true;
    self->snap = *snap;
    self->unstable_offset = snap->index + 1;
    self->committed = snap->index;
    self->conf = snap->conf;
    self->removed = !raft_conf_has(&self->conf, self->id, NULL);
    s_reset_progress(self);
    return true;
}

static void s_step_follower(raft_t *self, const raft_msg_t *m)
{
    switch (m->type) {
    case RAFT_MSG_APP:
        self->election_elapsed = 0;
        self->leader = m->from;
        s_handle_append(self, m);
        break;
    case RAFT_MSG_HEARTBEAT: {
        self->election_elapsed = 0;
        self->leader = m->from;
        s_commit_to(self, m->commit);
        raft_msg_t *r = s_send(self, RAFT_MSG_HEARTBEAT_RESP, m->from);
        r->context = m->context;
        break;
    }
    case RAFT_MSG_SNAP: {
        self->election_elapsed = 0;
        self->leader = m->from;
        bool restored = s_restore(self, &m->snap);
        raft_msg_t *r = s_send(self, RAFT_MSG_APP_RESP, m->from);
        r->index = restored ? s_last_index(self) : self->committed;
        break;
    }
    case RAFT_MSG_TIMEOUT_NOW:
        if (s_promotable(self)) s_campaign(self, false, true);
        break;
    case RAFT_MSG_READ_INDEX_RESP:
        if (self->reads_ready_n < S_READS_MAX)
            self->reads_ready[self->reads_ready_n++] = (raft_read_t){m->context, m->index};
        break;
    default: break;
    }
}

static void s_step_candidate(raft_t *self, const raft_msg_t *m)
{
    int resp = self->role == RAFT_PRE_CANDIDATE ? RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP;
    switch (m->type) {
    case RAFT_MSG_APP:
    case RAFT_MSG_HEARTBEAT:
    case RAFT_MSG_SNAP:
        /* A leader of our term exists. */
        s_become_follower(self, m->term, m->from);
        s_step_follower(self, m);
        break;
    case RAFT_MSG_VOTE_RESP:
    case RAFT_MSG_PRE_VOTE_RESP: {
        if (m->type != resp) break;
        int won = s_poll(self, m->from, !m->reject);
        if (won == 1) {
            if (self->role == RAFT_PRE_CANDIDATE)
                s_campaign(self, false, false);
            else {
                s_become_leader(self);
                s_broadcast_append(self);
            }
        } else if (won == -1) {
            s_become_follower(self, self->term, RAFT_NONE);
        }
        break;
    }
    default: break;
    }
}

static void s_handle_vote(raft_t *self, const raft_msg_t *m)
{
    bool pre = m->type == RAFT_MSG_PRE_VOTE;
    bool can = self->vote == m->from || (self->vote == RAFT_NONE && self->leader == RAFT_NONE) ||
               (pre && m->term > self->term);
    raft_msg_t *r = s_send(self, pre ? RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP, m->from);
    if (can && s_up_to_date(self, m->log_term, m->index)) {
        /* The answer carries the asked term so the candidate counts it. */
        r->term = m->term;
        if (!pre) {
            self->election_elapsed = 0;
            self->vote = m->from;
        }
    } else {
        r->reject = true;
    }
}

/* An append's entries follow its index one by one, with terms that never go down and never
 * exceed the sender's: anything else would leave a hole or an impossible log. */
static bool s_entries_valid(const raft_msg_t *m)
{
    if (m->entries_n && m->index > UINT64_MAX - m->entries_n) return false;
    uint64_t term = m->log_term;
    for (size_t i = 0; i < m->entries_n; i++) {
        const raft_entry_t *e = &m->entries[i];
        if (e->index != m->index + 1 + i || e->term < term || e->term > m->term) return false;
        term = e->term;
    }
    return true;
}

int raft_step(raft_t *self, const raft_msg_t *m)
{
    assert(!self->in_ready);
    if (m->to != self->id || m->from == RAFT_NONE || m->from == self->id || m->type < 1 ||
        m->type > RAFT_MSG_READ_INDEX_RESP)
        return RAFT_EINVALID;
    if (m->type == RAFT_MSG_APP && !s_entries_valid(m)) return RAFT_EINVALID;
    bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PRE_VOTE;
    if (m->term > self->term) {
        if (vote_req) {
            /* While we hear from a leader, nobody else may take over (check-quorum lease),
             * unless the leader itself asked for the election. */
            bool in_lease = self->cfg.check_quorum && self->leader != RAFT_NONE &&
                            self->election_elapsed < self->cfg.election_ticks;
            if (in_lease && m->context != S_TRANSFER) return 0;
        }
        if (m->type == RAFT_MSG_PRE_VOTE || (m->type == RAFT_MSG_PRE_VOTE_RESP && !m->reject)) {
            /* Pre-votes never move terms. */
        } else if (m->type == RAFT_MSG_APP || m->type == RAFT_MSG_HEARTBEAT ||
                   m->type == RAFT_MSG_SNAP) {
            s_become_follower(self, m->term, m->from);
        } else {
            s_become_follower(self, m->term, RAFT_NONE);
        }
    } else if (m->term < self->term) {
        if ((self->cfg.check_quorum || self->cfg.pre_vote) &&
            (m->type == RAFT_MSG_HEARTBEAT || m->type == RAFT_MSG_APP)) {
            /* A stale leader: tell it our term so it steps down. */
            s_send(self, RAFT_MSG_APP_RESP, m->from);
        } else if (m->type == RAFT_MSG_PRE_VOTE) {
            raft_msg_t *r = s_send(self, RAFT_MSG_PRE_VOTE_RESP, m->from);
            r->reject = true;
        }
        return 0;
    }
    if (vote_req) {
        s_handle_vote(self, m);
        return 0;
    }
    switch (self->role) {
    case RAFT_LEADER: s_step_leader(self, m); break;
    case RAFT_CANDIDATE:
    case RAFT_PRE_CANDIDATE: s_step_candidate(self, m); break;
    default: s_step_follower(self, m);
    }
    return 0;
}

/* --- time ---------------------------------------------------------------------------------- */

static void s_check_quorum(raft_t *self)
{
    size_t active = 0;
    for (size_t i = 0; i < self->peers_n; i++) {
        s_progress_t *pr = &self->peers[i];
        if (!pr->learner && s_is_voter(self, pr->id) && (pr->id == self->id || pr->active))
            active++;
        if (pr->id != self->id) pr->active = false;
    }
    if (active < s_quorum(self)) s_become_follower(self, self->term, RAFT_NONE);
}

void raft_tick(raft_t *self)
{
    assert(!self->in_ready);
    if (self->role != RAFT_LEADER) {
        if (++self->election_elapsed >= self->randomized_timeout && s_promotable(self)) {
            self->election_elapsed = 0;
            s_campaign(self, self->cfg.pre_vote, false);
        }
        return;
    }
    self->heartbeat_elapsed++;
    for (size_t i = 0; i < self->peers_n; i++)
        if (self->peers[i].state == RAFT_SNAPSHOT) self->peers[i].snap_ticks++;
    if (++self->election_elapsed >= self->cfg.election_ticks) {
        self->election_elapsed = 0;
        if (self->cfg.check_quorum) s_check_quorum(self);
        if (self->role != RAFT_LEADER) return;
        self->transferee = RAFT_NONE; /* a transfer that took this long failed */
    }
    if (self->heartbeat_elapsed >= self->cfg.heartbeat_ticks) {
        self->heartbeat_elapsed = 0;
        uint64_t ctx =
            self->reads_pending_n ? self->reads_pending[self->reads_pending_n - 1].context : 0;
        s_broadcast_heartbeat(self, ctx);
    }
}

/* --- the application's calls --------------------------------------------------------------- */

static int s_propose(raft_t *self, uint8_t type, const uint8_t *data, size_t len, uint64_t *index,
                     uint64_t *term)
{
    if (self->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (self->transferee != RAFT_NONE) return RAFT_EBUSY;
    if (self->uncommitted_bytes + len > self->cfg.uncommitted_max && self->uncommitted_bytes)
        return RAFT_EBUSY;
    raft_entry_t e = {.term = self->term,
                      .index = s_last_index(self) + 1,
                      .type = type,
                      .data = data,
                      .len = len};
    s_append(self, &e, 1);
    self->uncommitted_bytes += len;
    s_progress_t *me = s_peer(self, self->id);
    if (me) me->match = e.index, me->next = e.index + 1;
    if (s_maybe_commit(self)) s_reads_after_commit(self);
    s_broadcast_append(self);
    if (index) *index = e.index;
    if (term) *term = e.term;
    return 0;
}

int raft_propose(raft_t *self, const uint8_t *data, size_t len, uint64_t *index, uint64_t *term)
{
    assert(!self->in_ready);
    return s_propose(self, RAFT_ENTRY_NORMAL, data, len, index, term);
}

int raft_propose_conf(raft_t *self, int type, uint64_t member, uint64_t *index)
{
    assert(!self->in_ready);
    if (self->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (self->pending_conf_index > self->applied) return RAFT_EBUSY;
    bool learner = false;
    bool present = raft_conf_has(&self->conf, member, &learner);
    bool ok = (type == RAFT_CONF_ADD_LEARNER && !present &&
               self->conf.voters_n + self->conf.learners_n < RAFT_MEMBERS_MAX) ||
              (type == RAFT_CONF_PROMOTE && present && learner) ||
              (type == RAFT_CONF_REMOVE && present && !(!learner && self->conf.voters_n == 1));
    if (!ok || member == RAFT_NONE) return RAFT_EINVALID;
    uint8_t data[9];
    size_t n = raft_conf_encode(type, member, data);
    uint64_t idx;
    int rc = s_propose(self, RAFT_ENTRY_CONF, data, n, &idx, NULL);
    if (rc == 0) {
        self->pending_conf_index = idx;
        if (index) *index = idx;
    }
    return rc;
}

static void s_conf_remove(raft_conf_t *c, uint64_t id)
{
    for (size_t i = 0; i < c->voters_n; i++)
        if (c->voters[i] == id) c->voters[i--] = c->voters[--c->voters_n];
    for (size_t i = 0; i < c->learners_n; i++)
        if (c->learners[i] == id) c->learners[i--] = c->learners[--c->learners_n];
}

int raft_apply_conf(raft_t *self, const raft_entry_t *entry, raft_conf_t *out)
{
    /* Called while applying a ready's committed entries, or after. */
    int type;
    uint64_t member;
    int rc = raft_conf_decode(entry->data, entry->len, &type, &member);
    bool learner = false, present = rc == 0 && raft_conf_has(&self->conf, member, &learner);
    raft_conf_t c = self->conf;
    if (rc == 0 && type == RAFT_CONF_ADD_LEARNER && !present &&
        c.voters_n + c.learners_n < RAFT_MEMBERS_MAX) {
        c.learners[c.learners_n++] = member;
    } else if (rc == 0 && type == RAFT_CONF_PROMOTE && present && learner) {
        s_conf_remove(&c, member);
        c.voters[c.voters_n++] = member;
    } else if (rc == 0 && type == RAFT_CONF_REMOVE && present && !(!learner && c.voters_n == 1)) {
        s_conf_remove(&c, member);
    } else if (rc == 0 && type == RAFT_CONF_ADD_VOTER && (!present || learner) &&
               (present || c.voters_n + c.learners_n < RAFT_MEMBERS_MAX)) {
        s_conf_remove(&c, member);
        c.voters[c.voters_n++] = member;
    } else {
        rc = RAFT_EINVALID; /* proposed when it made sense, overtaken since: a no-op */
    }
    self->conf = c;
    *out = c;
    if (rc) return rc;
    self->removed = !raft_conf_has(&c, self->id, NULL);
    if (self->role == RAFT_LEADER) {
        /* Keep the progress of members that stay; start the new ones from the end of the log. */
        s_progress_t old[S_PEERS_MAX];
        size_t old_n = self->peers_n;
        memcpy(old, self->peers, old_n * sizeof old[0]);
        s_reset_progress(self);
        for (size_t i = 0; i < self->peers_n; i++)
            for (size_t k = 0; k < old_n; k++)
                if (old[k].id == self->peers[i].id) {
                    bool now_learner = self->peers[i].learner;
                    self->peers[i] = old[k];
                    self->peers[i].learner = now_learner;
                }
        if (self->removed || !s_is_voter(self, self->id)) {
            s_become_follower(self, self->term, RAFT_NONE);
            return 0;
        }
        if (s_maybe_commit(self)) s_reads_after_commit(self);
        s_broadcast_append(self);
    } else {
        s_reset_progress(self);
    }
    return 0;
}

int raft_read_index(raft_t *self, uint64_t context)
{
    assert(!self->in_ready);
    if (context == 0) return RAFT_EINVALID;
    if (self->role == RAFT_LEADER) {
        s_leader_read(self, context, self->id);
        return 0;
    }
    if (self->leader == RAFT_NONE) return RAFT_ENOTLEADER;
    raft_msg_t *m = s_send(self, RAFT_MSG_READ_INDEX, self->leader);
    m->context = context;
    return 0;
}

int raft_transfer(raft_t *self, uint64_t to)
{
    assert(!self->in_ready);
    if (self->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    s_progress_t *pr = s_peer(self, to);
    if (!pr || pr->learner || to == self->id) return RAFT_EINVALID;
    self->transferee = to;
    self->election_elapsed = 0; /* the transfer has one election timeout to happen */
    if (pr->match == s_last_index(self))
        s_send(self, RAFT_MSG_TIMEOUT_NOW, to);
    else
        s_send_append(self, pr, true);
    return 0;
}

uint64_t raft_transferee(const raft_t *self)
{
    return self->transferee;
}

/* --- ready and advance --------------------------------------------------------------------- */

bool raft_has_ready(raft_t *self)
{
    return self->role != self->last_role || self->leader != self->last_leader ||
           self->term != self->last_hard.term || self->vote != self->last_hard.vote ||
           self->committed != self->last_hard.commit || self->unstable_n || self->snap_pending ||
           self->committed > self->applied || self->out_n || self->reads_ready_n ||
           self->reads_dropped_n;
}

void raft_ready(raft_t *self, raft_ready_t *rd)
{
    assert(!self->in_ready);
    memset(rd, 0, sizeof *rd);
    rd->role = self->role;
    rd->leader = self->leader;
    rd->soft_changed = self->role != self->last_role || self->leader != self->last_leader;
    rd->hard = (raft_hard_t){self->term, self->vote, self->committed};
    rd->hard_changed = memcmp(&rd->hard, &self->last_hard, sizeof rd->hard) != 0;
    rd->entries = self->unstable;
    rd->entries_n = self->unstable_n;
    rd->has_snapshot = self->snap_pending;
    rd->snapshot = self->snap;
    /* The ready takes the outbox and the arena its messages' entries are in; new messages go to
     * the other pair. */
    raft_msg_t *msgs = self->out;
    size_t cap = self->out_cap;
    self->out = self->ready_out;
    self->out_cap = self->ready_out_cap;
    self->ready_out = msgs;
    self->ready_out_cap = cap;
    rd->msgs = msgs;
    rd->msgs_n = self->out_n;
    self->out_n = 0;
    bus_arena_t *taken = self->arena;
    self->arena = self->ready_arena;
    self->ready_arena = taken;
    uint64_t from = self->applied + 1;
    if (self->snap_pending && from <= self->snap.index) from = self->snap.index + 1;
    if (self->committed >= from) {
        /* s_entries copies into self->arena: point it at the ready's for this call. */
        bus_arena_t *current = self->arena;
        self->arena = self->ready_arena;
        const raft_entry_t *ents;
        size_t n;
        if (s_entries(self, from, self->committed + 1, self->cfg.apply_bytes, &ents, &n) == 0) {
            rd->committed = ents;
            rd->committed_n = n;
        }
        self->arena = current;
    }
    rd->reads = self->reads_ready;
    rd->reads_n = self->reads_ready_n;
    rd->reads_dropped = self->reads_dropped;
    rd->reads_dropped_n = self->reads_dropped_n;
    rd->must_sync = rd->entries_n || self->term != self->last_hard.term ||
                    self->vote != self->last_hard.vote || rd->has_snapshot;
    self->in_ready = true;
}

/* Removes the first n of an array of count elements of size bytes (later additions stay). */
static size_t s_shift(void *array, size_t count, size_t n, size_t size)
{
    if (n >= count) return 0;
    memmove(array, (char *)array + n * size, (count - n) * size);
    return count - n;
}

void raft_advance(raft_t *self, const raft_ready_t *rd)
{
    assert(self->in_ready);
    self->in_ready = false;
    self->last_role = rd->role;
    self->last_leader = rd->leader;
    self->last_hard = rd->hard;
    if (rd->has_snapshot) {
        self->snap_pending = false;
        if (self->applied < rd->snapshot.index) self->applied = rd->snapshot.index;
    }
    /* Persisted: the storage has these now. (Only raft_apply_conf may run between raft_ready and
     * here, and it appends no entry.) */
    s_free_unstable(self, 0);
    self->unstable_offset = s_last_index(self) + 1;
    if (rd->committed_n) self->applied = rd->committed[rd->committed_n - 1].index;
    bus_arena_reset(self->ready_arena);
    self->reads_ready_n =
        s_shift(self->reads_ready, self->reads_ready_n, rd->reads_n, sizeof(raft_read_t));
    self->reads_dropped_n =
        s_shift(self->reads_dropped, self->reads_dropped_n, rd->reads_dropped_n, sizeof(uint64_t));
    s_reads_after_commit(self);
}

/* --- life cycle ---------------------------------------------------------------------------- */

raft_t *raft_new(const raft_config_t *cfg, char *err, size_t errlen)
{
    if (cfg->id == RAFT_NONE || !cfg->election_ticks || !cfg->heartbeat_ticks ||
        cfg->heartbeat_ticks >= cfg->election_ticks || !cfg->storage.term ||
        !cfg->storage.entries) {
        snprintf(err, errlen,
                 "raft: id, storage and election_ticks > heartbeat_ticks > 0 are needed");
        return NULL;
    }
    if (cfg->conf.voters_n > RAFT_MEMBERS_MAX || cfg->conf.learners_n > RAFT_MEMBERS_MAX ||
        cfg->conf.voters_n + cfg->conf.learners_n > RAFT_MEMBERS_MAX) {
        snprintf(err, errlen, "raft: at most %d members", RAFT_MEMBERS_MAX);
        return NULL;
    }
    uint64_t last = cfg->storage.last_index(cfg->storage.arg);
    if (cfg->hard.commit > last || cfg->applied > cfg->hard.commit) {
        snprintf(err, errlen, "raft: commit %llu and applied %llu beyond the log's last index %llu",
                 (unsigned long long)cfg->hard.commit, (unsigned long long)cfg->applied,
                 (unsigned long long)last);
        return NULL;
    }
    raft_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->cfg = *cfg;
    if (!self->cfg.inflight_max || self->cfg.inflight_max > S_INFLIGHT_MAX)
        self->cfg.inflight_max = 64;
    if (!self->cfg.batch_bytes) self->cfg.batch_bytes = 1 << 20;
    if (!self->cfg.uncommitted_max) self->cfg.uncommitted_max = 64u << 20;
    if (!self->cfg.apply_bytes) self->cfg.apply_bytes = 16u << 20;
    self->id = cfg->id;
    self->st = cfg->storage;
    self->term = cfg->hard.term;
    self->vote = cfg->hard.vote;
    self->committed = cfg->hard.commit;
    self->applied = cfg->applied;
    self->conf = cfg->conf;
    self->removed = !raft_conf_has(&self->conf, self->id, NULL);
    self->unstable_offset = last + 1;
    self->rng = (cfg->seed ^ (cfg->id * 0x9e3779b97f4a7c15ull)) | 1;
    self->reads_pending = calloc(S_READS_MAX, sizeof *self->reads_pending);
    self->reads_waiting = calloc(S_READS_MAX, sizeof *self->reads_waiting);
    self->reads_waiting_from = calloc(S_READS_MAX, sizeof *self->reads_waiting_from);
    self->reads_ready = calloc(S_READS_MAX, sizeof *self->reads_ready);
    self->reads_dropped = calloc(S_READS_MAX, sizeof *self->reads_dropped);
    if (!self->reads_pending || !self->reads_waiting || !self->reads_waiting_from ||
        !self->reads_ready || !self->reads_dropped)
        abort();
    self->arena = bus_arena_new((size_t)1 << 31);
    self->ready_arena = bus_arena_new((size_t)1 << 31);
    s_become_follower(self, self->term, RAFT_NONE);
    self->vote = cfg->hard.vote; /* s_reset keeps it for the same term; be explicit */
    self->last_role = self->role;
    self->last_hard = cfg->hard;
    return self;
}

void raft_destroy(raft_t **self_p)
{
    if (!self_p || !*self_p) return;
    raft_t *self = *self_p;
    s_free_unstable(self, 0);
    free(self->unstable);
    free(self->out);
    free(self->ready_out);
    free(self->fetch);
    free(self->reads_pending);
    free(self->reads_waiting);
    free(self->reads_waiting_from);
    free(self->reads_ready);
    free(self->reads_dropped);
    bus_arena_destroy(&self->arena);
    bus_arena_destroy(&self->ready_arena);
    free(self);
    *self_p = NULL;
}

void raft_status(raft_t *self, raft_status_t *st)
{
    memset(st, 0, sizeof *st);
    st->id = self->id;
    st->role = self->role;
    st->leader = self->leader;
    st->term = self->term;
    st->commit = self->committed;
    st->applied = self->applied;
    st->last_index = s_last_index(self);
    st->transferee = self->transferee;
    st->conf = self->conf;
    if (self->role != RAFT_LEADER) return;
    for (size_t i = 0; i < self->peers_n && i < S_PEERS_MAX; i++) {
        const s_progress_t *pr = &self->peers[i];
        st->peers[st->peers_n++] = (raft_peer_status_t){
            pr->id, pr->learner, pr->match, pr->next, pr->state, pr->active || pr->id == self->id};
    }
}
