/* raft_sim: discrete events in a heap ordered by (time, sequence). Everything random comes from
 * one xorshift generator seeded by the options, so a seed replays exactly. The simulated store
 * applies client operations to a small key-value map with per-client sessions (so a retried
 * request takes effect once), and follows the store's order for a ready: persist everything and
 * apply, atomically at "fsync" time; then send; then advance. */
#include "raft_sim.h"
#include "bus_err.h"
#include "lincheck.h"
#include "raft.h"
#include "raft_memlog.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NODES_MAX   7
#define S_KEYS_MAX    16
#define S_CLIENTS_MAX 16
#define S_VALUE_MAX   24
#define S_TICK_US     10000 /* a node ticks every 10 ms (with jitter) */
#define S_ELECTION    10
#define S_HEARTBEAT   1
#define S_SNAP_EVERY  40 /* entries applied between snapshots */
#define S_SNAP_KEEP   10 /* entries kept behind a snapshot for slow followers */
#define S_INBOX_MAX   4096
#define S_OPS_MAX     200000

enum { EV_DELIVER, EV_TICK, EV_FSYNC, EV_CREQ, EV_CREP, EV_CLIENT, EV_CTIMEOUT, EV_FAULT };
enum { F_PARTITION, F_HEAL, F_CRASH, F_RESTART, F_MEMBER, F_TRANSFER, F_ISOLATE, F_REJOIN };
enum { R_OK, R_REDIRECT, R_RETRY };

typedef struct {
    uint32_t client, seq;
    int op; /* LINCHECK_* */
    int key;
    char arg1[S_VALUE_MAX], arg2[S_VALUE_MAX]; /* "" and absent differ: see has1, has2 */
    bool has1, has2;
} s_cop_t;

typedef struct {
    uint32_t client, seq;
    int status;
    int leader; /* redirect hint, 0 unknown */
    bool ok;
    bool present;
    char value[S_VALUE_MAX];
} s_crep_t;

typedef struct {
    uint64_t time, seq;
    int type, node, client, fault;
    uint64_t inc; /* the node's incarnation when scheduled: stale after a crash */
    raft_msg_t *msg;
    s_cop_t cop;
    s_crep_t crep;
} s_ev_t;

/* --- the state machine ---------------------------------------------------------------------- */

typedef struct {
    bool present[S_KEYS_MAX];
    char value[S_KEYS_MAX][S_VALUE_MAX];
    uint32_t last_seq[S_CLIENTS_MAX];
    s_crep_t last[S_CLIENTS_MAX]; /* the answer to last_seq, for a retry */
} s_sm_t;

typedef struct {
    uint64_t index, term;
    uint32_t client, seq;
} s_prop_t;

typedef struct {
    uint64_t ctx, index;
    uint32_t client, seq;
    int key;
    bool known;
} s_read_t;

typedef struct {
    int id;
    bool up;
    uint64_t inc;
    uint32_t tick_us; /* this node's clock: its tick period */
    raft_t *raft;
    /* Durable. */
    raft_memlog_t log;
    s_sm_t snap_sm; /* the state machine at log.snap */
    raft_hard_t hard;
    raft_conf_t conf;
    uint64_t applied;
    s_sm_t sm;
    /* Volatile. */
    bool busy;
    raft_ready_t rd;
    raft_msg_t *inbox[S_INBOX_MAX];
    size_t inbox_n;
    uint32_t ticks_owed;
    s_prop_t props[4096];
    size_t props_n;
    s_read_t reads[4096];
    size_t reads_n;
    bool snap_fetched; /* the data for an incoming snapshot is in snap_in */
    s_sm_t snap_in;
    raft_snap_meta_t snap_in_meta;
    raft_role_t role;
} s_node_t;

typedef struct {
    int id;
    bool busy;
    uint32_t seq;
    s_cop_t cop;
    int lin_id;
    int target;
    uint64_t op_deadline;
    uint64_t attempt_inc; /* timeouts for earlier attempts are stale */
} s_client_t;

typedef struct {
    raft_sim_opts_t o;
    raft_sim_result_t *res;
    uint64_t rng, now, seq;
    s_ev_t **heap;
    size_t heap_n, heap_cap;
    s_node_t nodes[S_NODES_MAX + 1]; /* 1-based */
    int nodes_n;
    s_client_t clients[S_CLIENTS_MAX];
    bool cut[S_NODES_MAX + 1][S_NODES_MAX + 1];
    bool faults_on;
    bool clients_stop; /* no new operations: the run is settling */
    lincheck_t *lin;
    /* Invariants. */
    uint64_t *c_term, *c_hash; /* committed entries seen: term and data hash by index */
    size_t c_cap;
    uint64_t c_max;
    uint64_t leader_of_term[100000];
    uint64_t read_ctx;
    bool failed;
} s_sim_t;

static void s_fail(s_sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_fail(s_sim_t *s, const char *fmt, ...)
{
    if (s->failed) return;
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(s->res->failure, sizeof s->res->failure, "t=%" PRIu64 "ms: ", s->now / 1000);
    vsnprintf(s->res->failure + n, sizeof s->res->failure - (size_t)n, fmt, ap);
    va_end(ap);
}

static void s_trace(s_sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_trace(s_sim_t *s, const char *fmt, ...)
{
    if (!s->o.verbose) return;
    va_list ap;
    va_start(ap, fmt);
    printf("%8.3f ", (double)s->now / 1000.0);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static uint64_t s_rand(s_sim_t *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return s->rng = x;
}

static uint64_t s_between(s_sim_t *s, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + s_rand(s) % (hi - lo + 1);
}

static bool s_chance(s_sim_t *s, uint32_t per_mille)
{
    return per_mille && s_rand(s) % 1000 < per_mille;
}

static uint64_t s_hash(const void *data, size_t len, uint64_t h)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* --- events -------------------------------------------------------------------------------- */

static bool s_ev_less(const s_ev_t *a, const s_ev_t *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static s_ev_t *s_schedule(s_sim_t *s, uint64_t delay, int type)
{
    s_ev_t *e = calloc(1, sizeof *e);
    if (!e) abort();
    e->time = s->now + delay;
    e->seq = ++s->seq;
    e->type = type;
    if (s->heap_n == s->heap_cap) {
        s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 1024;
        s->heap = realloc(s->heap, s->heap_cap * sizeof *s->heap);
        if (!s->heap) abort();
    }
    size_t i = s->heap_n++;
    while (i && s_ev_less(e, s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
    return e;
}

static s_ev_t *s_next(s_sim_t *s)
{
    if (!s->heap_n) return NULL;
    s_ev_t *top = s->heap[0], *last = s->heap[--s->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n) break;
        if (c + 1 < s->heap_n && s_ev_less(s->heap[c + 1], s->heap[c])) c++;
        if (!s_ev_less(s->heap[c], last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_n) s->heap[i] = last;
    return top;
}

static raft_msg_t *s_msg_copy(const raft_msg_t *m)
{
    raft_msg_t *c = malloc(sizeof *c);
    if (!c) abort();
    *c = *m;
    if (m->entries_n) {
        raft_entry_t *e = malloc(m->entries_n * sizeof *e);
        if (!e) abort();
        for (size_t i = 0; i < m->entries_n; i++) {
            e[i] = m->entries[i];
            uint8_t *d = m->entries[i].len ? malloc(m->entries[i].len) : NULL;
            if (m->entries[i].len) memcpy(d, m->entries[i].data, m->entries[i].len);
            e[i].data = d;
        }
        c->entries = e;
    }
    return c;
}

static void s_msg_free(raft_msg_t *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->entries_n; i++) free((void *)m->entries[i].data);
    free((void *)m->entries);
    free(m);
}

/* --- the state machine ---------------------------------------------------------------------- */

static void s_encode_op(const s_cop_t *c, char *out, size_t cap)
{
    snprintf(out, cap, "%u %u %d %d %s %s", c->client, c->seq, c->op, c->key,
             c->has1 ? c->arg1 : "-", c->has2 ? c->arg2 : "-");
}

static bool s_decode_op(const uint8_t *data, size_t len, s_cop_t *c)
{
    char text[128], a1[S_VALUE_MAX + 1], a2[S_VALUE_MAX + 1];
    if (len >= sizeof text) return false;
    memcpy(text, data, len);
    text[len] = 0;
    memset(c, 0, sizeof *c);
    if (sscanf(text, "%u %u %d %d %24s %24s", &c->client, &c->seq, &c->op, &c->key, a1, a2) != 6)
        return false;
    c->has1 = strcmp(a1, "-") != 0;
    c->has2 = strcmp(a2, "-") != 0;
    if (c->has1) snprintf(c->arg1, sizeof c->arg1, "%s", a1);
    if (c->has2) snprintf(c->arg2, sizeof c->arg2, "%s", a2);
    return c->client < S_CLIENTS_MAX && c->key >= 0 && c->key < S_KEYS_MAX;
}

/* Applies a write exactly once per (client, seq); returns the answer. */
static s_crep_t s_sm_apply(s_sm_t *sm, const s_cop_t *c)
{
    s_crep_t r = {.client = c->client, .seq = c->seq, .status = R_OK};
    if (c->seq <= sm->last_seq[c->client]) {
        if (c->seq == sm->last_seq[c->client]) return sm->last[c->client];
        r.status = R_RETRY; /* an older request of a client that moved on: never answered */
        return r;
    }
    int k = c->key;
    if (c->op == LINCHECK_PUT) {
        sm->present[k] = true;
        snprintf(sm->value[k], S_VALUE_MAX, "%s", c->arg1);
        r.ok = true;
    } else if (c->op == LINCHECK_DELETE) {
        sm->present[k] = false;
        r.ok = true;
    } else if (c->op == LINCHECK_CAS) {
        bool match =
            c->has1 ? sm->present[k] && strcmp(sm->value[k], c->arg1) == 0 : !sm->present[k];
        if (match) {
            sm->present[k] = c->has2;
            if (c->has2) snprintf(sm->value[k], S_VALUE_MAX, "%s", c->arg2);
        }
        r.ok = match;
    }
    sm->last_seq[c->client] = c->seq;
    sm->last[c->client] = r;
    return r;
}

static uint64_t s_sm_digest(const s_sm_t *sm)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int k = 0; k < S_KEYS_MAX; k++) {
        h = s_hash(&sm->present[k], 1, h);
        if (sm->present[k]) h = s_hash(sm->value[k], strlen(sm->value[k]), h);
    }
    return s_hash(sm->last_seq, sizeof sm->last_seq, h);
}

/* --- invariants ---------------------------------------------------------------------------- */

static void s_check_committed(s_sim_t *s, int node, const raft_entry_t *e)
{
    if (e->index >= s->c_cap) {
        size_t cap = s->c_cap ? s->c_cap : 1024;
        while (cap <= e->index) cap *= 2;
        s->c_term = realloc(s->c_term, cap * sizeof *s->c_term);
        s->c_hash = realloc(s->c_hash, cap * sizeof *s->c_hash);
        if (!s->c_term || !s->c_hash) abort();
        memset(s->c_term + s->c_cap, 0, (cap - s->c_cap) * sizeof *s->c_term);
        memset(s->c_hash + s->c_cap, 0, (cap - s->c_cap) * sizeof *s->c_hash);
        s->c_cap = cap;
    }
    uint64_t h = s_hash(e->data, e->len, s_hash(&e->type, 1, 0xcbf29ce484222325ull));
    if (s->c_term[e->index] == 0) {
        s->c_term[e->index] = e->term;
        s->c_hash[e->index] = h;
        if (e->index > s->c_max) s->c_max = e->index;
        s->res->committed = s->c_max;
    } else if (s->c_term[e->index] != e->term || s->c_hash[e->index] != h) {
        s_fail(s,
               "node %d applied index %" PRIu64 " term %" PRIu64 " but term %" PRIu64
               " was committed there (state machine safety)",
               node, e->index, e->term, s->c_term[e->index]);
    }
}

static uint64_t s_node_term(s_node_t *n, uint64_t index)
{
    return raft_memlog_term_of(&n->log, index);
}

/* Leader completeness: a new leader's log holds every entry known committed. */
static void s_check_leader(s_sim_t *s, s_node_t *n, uint64_t term)
{
    if (term < sizeof s->leader_of_term / sizeof s->leader_of_term[0]) {
        uint64_t *l = &s->leader_of_term[term];
        if (*l && *l != (uint64_t)n->id)
            s_fail(s, "two leaders in term %" PRIu64 ": %" PRIu64 " and %d (election safety)", term,
                   *l, n->id);
        *l = (uint64_t)n->id;
    }
    if (term > s->res->max_term) s->res->max_term = term;
    s->res->elections++;
    for (uint64_t i = n->log.first; i <= s->c_max && i <= raft_memlog_last(&n->log); i++)
        if (s->c_term[i] && s_node_term(n, i) != s->c_term[i])
            s_fail(s,
                   "leader %d of term %" PRIu64 " has term %" PRIu64 " at committed index %" PRIu64
                   " (was %" PRIu64 ")",
                   n->id, term, s_node_term(n, i), i, s->c_term[i]);
    if (s->c_max > raft_memlog_last(&n->log) && s->c_max >= n->log.first)
        s_fail(s, "leader %d of term %" PRIu64 " lacks committed entries up to %" PRIu64, n->id,
               term, s->c_max);
}

/* Log matching: two logs that agree on an index's term agree on everything before it. */
static void s_check_logs(s_sim_t *s)
{
    for (int a = 1; a <= s->nodes_n; a++)
        for (int b = a + 1; b <= s->nodes_n; b++) {
            raft_memlog_t *x = &s->nodes[a].log, *y = &s->nodes[b].log;
            uint64_t lo = x->first > y->first ? x->first : y->first;
            uint64_t hi = raft_memlog_last(x) < raft_memlog_last(y) ? raft_memlog_last(x)
                                                                    : raft_memlog_last(y);
            bool agree = false;
            for (uint64_t i = hi; i >= lo && i > 0; i--) {
                const raft_entry_t *p = &x->e[i - x->first], *q = &y->e[i - y->first];
                if (!agree && p->term == q->term) agree = true;
                if (agree && (p->term != q->term || p->len != q->len ||
                              (p->len && memcmp(p->data, q->data, p->len))))
                    s_fail(s,
                           "logs of %d and %d agree above index %" PRIu64
                           " but differ there (log matching)",
                           a, b, i);
            }
        }
}

/* --- nodes --------------------------------------------------------------------------------- */

static void s_send_msg(s_sim_t *s, const raft_msg_t *m);
static void s_node_ready(s_sim_t *s, s_node_t *n);

/* The messages the store sends before its write (store_member.c, s_send_early). */
static bool s_early(const raft_ready_t *rd, const raft_msg_t *m)
{
    return rd->role == RAFT_LEADER && (m->type == RAFT_MSG_APP || m->type == RAFT_MSG_HEARTBEAT);
}

static void s_reply(s_sim_t *s, int node, const s_crep_t *r);

static void s_node_start(s_sim_t *s, s_node_t *n)
{
    char err[256];
    raft_config_t cfg = {.id = (uint64_t)n->id,
                         .election_ticks = S_ELECTION,
                         .heartbeat_ticks = S_HEARTBEAT,
                         .inflight_max = 8,
                         .batch_bytes = 4096,
                         .pre_vote = true,
                         .check_quorum = true,
                         .seed = s->o.seed,
                         .hard = n->hard,
                         .conf = n->conf,
                         .applied = n->applied,
                         .storage = raft_memlog_storage(&n->log)};
    n->raft = raft_new(&cfg, err, sizeof err);
    if (!n->raft) {
        s_fail(s, "node %d does not start: %s", n->id, err);
        return;
    }
    n->up = true;
    n->busy = false;
    n->role = RAFT_FOLLOWER;
    n->inc++;
    s_ev_t *t = s_schedule(s, s_between(s, 1, n->tick_us), EV_TICK);
    t->node = n->id;
    t->inc = n->inc;
}

static void s_node_stop(s_node_t *n)
{
    raft_destroy(&n->raft);
    n->up = false;
    n->busy = false;
    for (size_t i = 0; i < n->inbox_n; i++) s_msg_free(n->inbox[i]);
    n->inbox_n = 0;
    n->props_n = n->reads_n = 0;
    n->ticks_owed = 0;
    n->snap_fetched = false;
    n->inc++;
}

static void s_node_crash(s_sim_t *s, s_node_t *n)
{
    s_node_stop(n);
    s->res->crashes++;
}

/* Takes a snapshot of the state machine at the applied index and compacts the log behind it. */
static void s_node_snapshot(s_node_t *n)
{
    if (n->applied < n->log.snap.index + S_SNAP_EVERY) return;
    uint64_t t = s_node_term(n, n->applied);
    if (!t) return;
    n->log.snap = (raft_snap_meta_t){n->applied, t, n->conf};
    n->snap_sm = n->sm;
    if (n->applied > S_SNAP_KEEP) raft_memlog_compact(&n->log, n->applied - S_SNAP_KEEP);
}

static void s_apply(s_sim_t *s, s_node_t *n, const raft_entry_t *e)
{
    s_check_committed(s, n->id, e);
    if (e->type == RAFT_ENTRY_CONF) {
        raft_conf_t conf;
        int rc = raft_apply_conf(n->raft, e, &conf);
        n->conf = conf;
        if (s->o.verbose) {
            char text[200];
            int k = snprintf(text, sizeof text, "voters");
            for (size_t i = 0; i < conf.voters_n; i++)
                k += snprintf(text + k, sizeof text - k, " %" PRIu64, conf.voters[i]);
            k += snprintf(text + k, sizeof text - k, " learners");
            for (size_t i = 0; i < conf.learners_n; i++)
                k += snprintf(text + k, sizeof text - k, " %" PRIu64, conf.learners[i]);
            s_trace(s, "node %d applies conf entry %" PRIu64 " (rc %d): %s", n->id, e->index, rc,
                    text);
        }
        s->res->conf_changes++;
    } else if (e->type == RAFT_ENTRY_NORMAL) {
        s_cop_t c;
        if (!s_decode_op(e->data, e->len, &c)) {
            s_fail(s, "node %d: entry %" PRIu64 " does not decode", n->id, e->index);
            return;
        }
        s_crep_t r = s_sm_apply(&n->sm, &c);
        for (size_t i = 0; i < n->props_n; i++) {
            s_prop_t *p = &n->props[i];
            if (p->index != e->index) continue;
            /* Our proposal, if the entry there is still ours; else it was overwritten. */
            s_crep_t out = r;
            if (p->term != e->term || p->client != c.client || p->seq != c.seq)
                out = (s_crep_t){.client = p->client, .seq = p->seq, .status = R_RETRY};
            s_reply(s, n->id, &out);
            n->props[i--] = n->props[--n->props_n];
        }
    }
    n->applied = e->index;
}

static void s_serve_reads(s_sim_t *s, s_node_t *n)
{
    for (size_t i = 0; i < n->reads_n; i++) {
        s_read_t *r = &n->reads[i];
        if (!r->known || r->index > n->applied) continue;
        s_crep_t out = {
            .client = r->client, .seq = r->seq, .status = R_OK, .present = n->sm.present[r->key]};
        if (out.present) snprintf(out.value, sizeof out.value, "%s", n->sm.value[r->key]);
        s_reply(s, n->id, &out);
        n->reads[i--] = n->reads[--n->reads_n];
    }
}

/* The ready's work, done at "fsync" time: persist, apply, send, answer, advance. */
static void s_node_fsync(s_sim_t *s, s_node_t *n)
{
    raft_ready_t *rd = &n->rd;
    if (rd->has_snapshot) {
        if (!n->snap_fetched || n->snap_in_meta.index != rd->snapshot.index) {
            s_fail(s, "node %d installs snapshot %" PRIu64 " it never fetched", n->id,
                   rd->snapshot.index);
            return;
        }
        n->snap_sm = n->snap_in;
        n->sm = n->snap_in;
        n->conf = rd->snapshot.conf;
        n->applied = rd->snapshot.index;
        n->snap_fetched = false;
        s->res->snapshots++;
    }
    if (raft_memlog_persist(&n->log, rd) != 0)
        s_fail(s, "node %d: entries from %" PRIu64 " leave a hole after %" PRIu64, n->id,
               rd->entries[0].index, raft_memlog_last(&n->log));
    n->hard = rd->hard;
    for (size_t i = 0; i < rd->committed_n && !s->failed; i++) s_apply(s, n, &rd->committed[i]);
    s_node_snapshot(n);
    for (size_t i = 0; i < rd->msgs_n; i++)
        if (!s_early(rd, &rd->msgs[i])) s_send_msg(s, &rd->msgs[i]);
    for (size_t i = 0; i < rd->reads_n; i++)
        for (size_t k = 0; k < n->reads_n; k++)
            if (n->reads[k].ctx == rd->reads[i].context) {
                n->reads[k].index = rd->reads[i].index;
                n->reads[k].known = true;
            }
    for (size_t i = 0; i < rd->reads_dropped_n; i++)
        for (size_t k = 0; k < n->reads_n; k++)
            if (n->reads[k].ctx == rd->reads_dropped[i]) {
                s_crep_t out = {
                    .client = n->reads[k].client, .seq = n->reads[k].seq, .status = R_RETRY};
                s_reply(s, n->id, &out);
                n->reads[k--] = n->reads[--n->reads_n];
            }
    s_serve_reads(s, n);
    if (rd->soft_changed || rd->hard_changed)
        s_trace(s,
                "node %d %s term %" PRIu64 " vote %" PRIu64 " leader %" PRIu64 " commit %" PRIu64
                " last %" PRIu64 " applied %" PRIu64,
                n->id, raft_role_name(rd->role), rd->hard.term, rd->hard.vote, rd->leader,
                rd->hard.commit, raft_memlog_last(&n->log), n->applied);
    if (rd->soft_changed) {
        if (rd->role == RAFT_LEADER && n->role != RAFT_LEADER) s_check_leader(s, n, rd->hard.term);
        if (rd->role != RAFT_LEADER) {
            /* Proposals may still commit under another leader; the clients retry and the
             * sessions answer them once. */
            for (size_t i = 0; i < n->props_n; i++) {
                s_crep_t out = {
                    .client = n->props[i].client, .seq = n->props[i].seq, .status = R_RETRY};
                s_reply(s, n->id, &out);
            }
            n->props_n = 0;
        }
        n->role = rd->role;
    }
    raft_advance(n->raft, rd);
    n->busy = false;
    /* What arrived meanwhile. */
    size_t inbox_n = n->inbox_n;
    n->inbox_n = 0;
    for (size_t i = 0; i < inbox_n; i++) {
        if (n->inbox[i]) raft_step(n->raft, n->inbox[i]);
        s_msg_free(n->inbox[i]);
    }
    while (n->ticks_owed) {
        n->ticks_owed--;
        raft_tick(n->raft);
    }
    s_node_ready(s, n);
}

static void s_node_ready(s_sim_t *s, s_node_t *n)
{
    if (!n->up || n->busy || !raft_has_ready(n->raft)) return;
    raft_ready(n->raft, &n->rd);
    /* As the store does: a leader's appends and heartbeats leave before its disk write. */
    for (size_t i = 0; i < n->rd.msgs_n; i++)
        if (s_early(&n->rd, &n->rd.msgs[i])) s_send_msg(s, &n->rd.msgs[i]);
    if (s->o.verbose >= 2)
        s_trace(s, "node %d ready msgs %zu entries %zu committed %zu sync %d", n->id, n->rd.msgs_n,
                n->rd.entries_n, n->rd.committed_n, n->rd.must_sync);
    n->busy = true;
    s_ev_t *e = s_schedule(s, n->rd.must_sync ? s_between(s, 100, s->o.fsync_max_us) : 1, EV_FSYNC);
    e->node = n->id;
    e->inc = n->inc;
}

static void s_node_step(s_sim_t *s, s_node_t *n, raft_msg_t *m)
{
    if (m->type == RAFT_MSG_SNAP) {
        /* Fetch the snapshot's data from its sender, as the store does before stepping. One at a
         * time: an offer that comes while a ready is out is dropped (the leader offers again). */
        if (n->busy) {
            s_msg_free(m);
            return;
        }
        s_node_t *from = m->from <= (uint64_t)s->nodes_n ? &s->nodes[m->from] : NULL;
        if (!from || !from->up || from->log.snap.index != m->snap.index) {
            s_msg_free(m);
            return;
        }
        n->snap_in = from->snap_sm;
        n->snap_in_meta = m->snap;
        n->snap_fetched = true;
    }
    if (n->busy) {
        if (n->inbox_n < S_INBOX_MAX)
            n->inbox[n->inbox_n++] = m;
        else
            s_msg_free(m);
        return;
    }
    raft_step(n->raft, m);
    s_msg_free(m);
    s_node_ready(s, n);
}

static void s_send_msg(s_sim_t *s, const raft_msg_t *m)
{
    int from = (int)m->from, to = (int)m->to;
    if (m->type >= RAFT_MSG_VOTE && m->type <= RAFT_MSG_PRE_VOTE_RESP)
        s_trace(s, "%d -> %d %s term %" PRIu64 " index %" PRIu64 " log_term %" PRIu64 "%s%s", from,
                to, raft_msg_name(m->type), m->term, m->index, m->log_term,
                m->reject ? " reject" : "", m->context ? " transfer" : "");
    if (m->type == RAFT_MSG_TIMEOUT_NOW) s_trace(s, "%d -> %d timeout_now", from, to);
    if (s->o.verbose >= 2 &&
        (m->type == RAFT_MSG_APP || m->type == RAFT_MSG_APP_RESP || m->type == RAFT_MSG_SNAP))
        s_trace(s,
                "%d -> %d %s index %" PRIu64 " log_term %" PRIu64 " n %zu commit %" PRIu64
                "%s hint %" PRIu64,
                from, to, raft_msg_name(m->type), m->index, m->log_term, m->entries_n, m->commit,
                m->reject ? " reject" : "", m->reject_hint);
    if (to < 1 || to > s->nodes_n || s->cut[from][to]) return;
    if (s->faults_on && s_chance(s, s->o.drop_pct)) return;
    int copies = s->faults_on && s_chance(s, s->o.dup_pct) ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        s_ev_t *e = s_schedule(s, s_between(s, 100, s->o.delay_max_us), EV_DELIVER);
        e->node = to;
        e->msg = s_msg_copy(m);
    }
}

/* --- clients ------------------------------------------------------------------------------- */

static void s_reply(s_sim_t *s, int node, const s_crep_t *r)
{
    s_ev_t *e = s_schedule(s, s_between(s, 100, s->o.delay_max_us), EV_CREP);
    e->crep = *r;
    e->node = node;
}

static void s_client_send(s_sim_t *s, s_client_t *c)
{
    s_ev_t *e = s_schedule(s, s_between(s, 100, s->o.delay_max_us), EV_CREQ);
    e->node = c->target;
    e->cop = c->cop;
    s_ev_t *t = s_schedule(s, 300000, EV_CTIMEOUT); /* 300 ms per attempt */
    t->client = c->id;
    t->inc = ++c->attempt_inc;
}

static void s_client_next(s_sim_t *s, s_client_t *c)
{
    static const int ops[] = {LINCHECK_PUT, LINCHECK_PUT, LINCHECK_GET,
                              LINCHECK_GET, LINCHECK_CAS, LINCHECK_DELETE};
    s_cop_t *op = &c->cop;
    memset(op, 0, sizeof *op);
    op->client = (uint32_t)c->id;
    op->seq = ++c->seq;
    op->op = ops[s_rand(s) % 6];
    op->key = (int)(s_rand(s) % (uint64_t)s->o.keys);
    char key[8];
    snprintf(key, sizeof key, "k%d", op->key);
    lincheck_val_t a1 = LINCHECK_ABSENT, a2 = LINCHECK_ABSENT;
    if (op->op == LINCHECK_PUT) {
        op->has1 = true;
        snprintf(op->arg1, sizeof op->arg1, "c%d-%u", c->id, op->seq);
        a1 = lincheck_str(op->arg1);
    } else if (op->op == LINCHECK_CAS) {
        /* Expect a value this client may have written, or absent. */
        op->has1 = s_rand(s) % 4 != 0;
        if (op->has1)
            snprintf(op->arg1, sizeof op->arg1, "c%d-%u", (int)(s_rand(s) % (uint64_t)s->o.clients),
                     (uint32_t)(1 + s_rand(s) % (op->seq + 1)));
        op->has2 = true;
        snprintf(op->arg2, sizeof op->arg2, "c%d-%u", c->id, op->seq);
        a1 = op->has1 ? lincheck_str(op->arg1) : LINCHECK_ABSENT;
        a2 = lincheck_str(op->arg2);
    }
    c->lin_id =
        lincheck_call(s->lin, (uint32_t)c->id, (lincheck_op_t)op->op, key, a1, a2, (int64_t)s->now);
    c->busy = true;
    c->op_deadline = s->now + 2000000; /* give up after 2 s: the op stays indeterminate */
    c->target = 1 + (int)(s_rand(s) % (uint64_t)s->nodes_n);
    s->res->ops++;
    s_client_send(s, c);
}

static void s_client_done(s_sim_t *s, s_client_t *c, const s_crep_t *r)
{
    if (c->cop.op == LINCHECK_GET) {
        lincheck_val_t v = r->present ? lincheck_str(r->value) : LINCHECK_ABSENT;
        lincheck_return_get(s->lin, c->lin_id, (int64_t)s->now, v);
    } else {
        lincheck_return(s->lin, c->lin_id, (int64_t)s->now, r->ok);
    }
    s->res->ops_ok++;
    c->busy = false;
    c->attempt_inc++;
    s_ev_t *e = s_schedule(s, s_between(s, 0, 20000), EV_CLIENT);
    e->client = c->id;
}

static void s_client_retry(s_sim_t *s, s_client_t *c, int hint)
{
    if (s->now >= c->op_deadline) {
        /* Unknown outcome: leave it open in the history and move on. */
        s->res->ops_unknown++;
        c->busy = false;
        c->attempt_inc++;
        s_ev_t *e = s_schedule(s, 1, EV_CLIENT);
        e->client = c->id;
        return;
    }
    c->target = hint ? hint : 1 + (int)(s_rand(s) % (uint64_t)s->nodes_n);
    s_client_send(s, c);
}

/* A node receives a client's request: propose a write, or ask for a read index. */
static void s_node_request(s_sim_t *s, s_node_t *n, const s_cop_t *c)
{
    s_crep_t r = {.client = c->client, .seq = c->seq, .status = R_REDIRECT};
    if (!n->up) return;
    raft_status_t st;
    raft_status(n->raft, &st);
    bool read = c->op == LINCHECK_GET;
    /* Any member takes a read (a follower asks its leader for the read index); only the leader
     * takes a write. */
    if ((!read && st.role != RAFT_LEADER) || n->busy) {
        r.leader = (int)st.leader;
        if (n->busy) r.status = R_RETRY;
        s_reply(s, n->id, &r);
        return;
    }
    if (read) {
        if (n->reads_n == sizeof n->reads / sizeof n->reads[0]) return;
        uint64_t ctx = ++s->read_ctx;
        if (raft_read_index(n->raft, ctx) != 0) {
            r.status = R_RETRY;
            s_reply(s, n->id, &r);
            return;
        }
        n->reads[n->reads_n++] =
            (s_read_t){.ctx = ctx, .client = c->client, .seq = c->seq, .key = c->key};
    } else {
        char data[128];
        s_encode_op(c, data, sizeof data);
        uint64_t index, term;
        if (n->props_n == sizeof n->props / sizeof n->props[0] ||
            raft_propose(n->raft, (const uint8_t *)data, strlen(data), &index, &term) != 0) {
            r.status = R_RETRY;
            s_reply(s, n->id, &r);
            return;
        }
        n->props[n->props_n++] = (s_prop_t){index, term, c->client, c->seq};
    }
    s_node_ready(s, n);
}

/* --- faults -------------------------------------------------------------------------------- */

static void s_schedule_fault(s_sim_t *s, int fault, uint32_t mean_ms)
{
    if (!mean_ms) return;
    s_ev_t *e = s_schedule(s, s_between(s, mean_ms * 500ull, mean_ms * 1500ull), EV_FAULT);
    e->fault = fault;
}

static int s_leader(s_sim_t *s)
{
    for (int i = 1; i <= s->nodes_n; i++)
        if (s->nodes[i].up && s->nodes[i].role == RAFT_LEADER) return i;
    return 0;
}

static void s_fault_member(s_sim_t *s)
{
    int l = s_leader(s);
    if (!l || s->nodes[l].busy) return;
    raft_status_t st;
    raft_status(s->nodes[l].raft, &st);
    int rc = RAFT_EINVALID;
    uint64_t index;
    if (st.conf.learners_n) {
        /* Promote a learner once it has caught up. */
        uint64_t who = st.conf.learners[0];
        for (size_t i = 0; i < st.peers_n; i++)
            if (st.peers[i].id == who && st.peers[i].match + 5 >= st.last_index)
                rc = raft_propose_conf(s->nodes[l].raft, RAFT_CONF_PROMOTE, who, &index);
    } else if (st.conf.voters_n > 3 && s_rand(s) % 2) {
        uint64_t who = st.conf.voters[s_rand(s) % st.conf.voters_n];
        rc = raft_propose_conf(s->nodes[l].raft, RAFT_CONF_REMOVE, who, &index);
    } else {
        for (int i = 1; i <= s->nodes_n && rc == RAFT_EINVALID; i++)
            if (!raft_conf_has(&st.conf, (uint64_t)i, NULL) && s->nodes[i].up)
                rc =
                    raft_propose_conf(s->nodes[l].raft, RAFT_CONF_ADD_LEARNER, (uint64_t)i, &index);
    }
    s_node_ready(s, &s->nodes[l]);
}

static void s_fault(s_sim_t *s, int fault)
{
    if (!s->faults_on) return;
    switch (fault) {
    case F_PARTITION: {
        /* Cut one node off, or split in two. */
        int lone = 1 + (int)(s_rand(s) % (uint64_t)s->nodes_n);
        bool split = s_rand(s) % 2;
        for (int a = 1; a <= s->nodes_n; a++)
            for (int b = 1; b <= s->nodes_n; b++) {
                bool side_a = split ? a % 2 : a == lone, side_b = split ? b % 2 : b == lone;
                if (a != b && side_a != side_b) s->cut[a][b] = true;
            }
        s->res->partitions++;
        s_ev_t *e = s_schedule(s, s_between(s, 100000, 2000000), EV_FAULT);
        e->fault = F_HEAL;
        break;
    }
    case F_HEAL:
        memset(s->cut, 0, sizeof s->cut);
        s_schedule_fault(s, F_PARTITION, s->o.partition_ms);
        break;
    case F_CRASH: {
        int n = 1 + (int)(s_rand(s) % (uint64_t)s->nodes_n);
        /* Sometimes aim at a node in the middle of a sync: what it wrote since is lost. */
        if (s_chance(s, s->o.torn_pct))
            for (int i = 1; i <= s->nodes_n; i++)
                if (s->nodes[i].up && s->nodes[i].busy && s->nodes[i].rd.must_sync) n = i;
        if (s->nodes[n].up) s_node_crash(s, &s->nodes[n]);
        s_ev_t *e = s_schedule(s, s_between(s, 50000, 2000000), EV_FAULT);
        e->fault = F_RESTART;
        e->node = n;
        break;
    }
    case F_ISOLATE: {
        /* Cut the leader off from everyone for a while: a new leader, and an old one that may
         * not know yet. */
        int l = s_leader(s);
        if (l) {
            for (int b = 1; b <= s->nodes_n; b++)
                if (b != l) s->cut[l][b] = s->cut[b][l] = true;
            s->res->partitions++;
            s_ev_t *e = s_schedule(s, s_between(s, 50000, 800000), EV_FAULT);
            e->fault = F_REJOIN;
        } else {
            s_schedule_fault(s, F_ISOLATE, s->o.isolate_ms);
        }
        break;
    }
    case F_REJOIN:
        memset(s->cut, 0, sizeof s->cut);
        s_schedule_fault(s, F_ISOLATE, s->o.isolate_ms);
        break;
    case F_MEMBER:
        s_fault_member(s);
        s_schedule_fault(s, F_MEMBER, s->o.member_ms);
        break;
    case F_TRANSFER: {
        int l = s_leader(s);
        if (l && !s->nodes[l].busy) {
            raft_status_t st;
            raft_status(s->nodes[l].raft, &st);
            uint64_t to = st.conf.voters[s_rand(s) % st.conf.voters_n];
            if (raft_transfer(s->nodes[l].raft, to) == 0) s->res->transfers++;
            s_node_ready(s, &s->nodes[l]);
        }
        s_schedule_fault(s, F_TRANSFER, s->o.transfer_ms);
        break;
    }
    default: break;
    }
}

/* --- the run ------------------------------------------------------------------------------- */

static void s_event(s_sim_t *s, s_ev_t *e)
{
    s->now = e->time;
    s->res->events++;
    s_node_t *n = e->node >= 1 && e->node <= s->nodes_n ? &s->nodes[e->node] : NULL;
    switch (e->type) {
    case EV_DELIVER:
        if (n && n->up && !s->cut[e->msg->from][e->msg->to]) {
            s_node_step(s, n, e->msg);
            e->msg = NULL;
        }
        break;
    case EV_TICK:
        if (!n || !n->up || e->inc != n->inc) break;
        if (n->busy) {
            n->ticks_owed++;
        } else {
            raft_tick(n->raft);
            s_node_ready(s, n);
        }
        s_ev_t *t =
            s_schedule(s, s_between(s, n->tick_us * 19 / 20, n->tick_us * 21 / 20), EV_TICK);
        t->node = e->node;
        t->inc = n->inc;
        break;
    case EV_FSYNC:
        if (n && n->up && e->inc == n->inc && n->busy) s_node_fsync(s, n);
        break;
    case EV_CREQ:
        if (n) s_node_request(s, n, &e->cop);
        break;
    case EV_CREP: {
        s_client_t *c = &s->clients[e->crep.client];
        if (!c->busy || c->cop.seq != e->crep.seq) break; /* stale */
        if (e->crep.status == R_OK)
            s_client_done(s, c, &e->crep);
        else {
            c->attempt_inc++;
            s_client_retry(s, c, e->crep.leader);
        }
        break;
    }
    case EV_CLIENT:
        if (!s->clients[e->client].busy && !s->clients_stop)
            s_client_next(s, &s->clients[e->client]);
        break;
    case EV_CTIMEOUT: {
        s_client_t *c = &s->clients[e->client];
        if (c->busy && e->inc == c->attempt_inc) s_client_retry(s, c, 0);
        break;
    }
    case EV_FAULT:
        if (e->fault == F_RESTART) {
            if (n && !n->up) s_node_start(s, n);
            if (s->faults_on) s_schedule_fault(s, F_CRASH, s->o.crash_ms);
        } else {
            s_fault(s, e->fault);
        }
        break;
    }
    s_msg_free(e->msg);
    free(e);
}

static void s_init(s_sim_t *s, const raft_sim_opts_t *o, raft_sim_result_t *res)
{
    memset(s, 0, sizeof *s);
    memset(res, 0, sizeof *res);
    s->o = *o;
    s->res = res;
    s->rng = (o->seed * 0x9e3779b97f4a7c15ull) | 1;
    s->nodes_n = o->nodes + 2 > S_NODES_MAX ? S_NODES_MAX : o->nodes + 2;
    s->lin = lincheck_new(S_OPS_MAX);
    raft_conf_t conf = {0};
    for (int i = 1; i <= o->nodes; i++) conf.voters[conf.voters_n++] = (uint64_t)i;
    uint8_t data[RAFT_MEMBERS_MAX][9];
    raft_entry_t boot[RAFT_MEMBERS_MAX];
    size_t boot_n = raft_bootstrap(conf.voters, conf.voters_n, data, boot);
    for (int i = 1; i <= s->nodes_n; i++) {
        s_node_t *n = &s->nodes[i];
        n->id = i;
        raft_memlog_init(&n->log);
        /* Clocks differ: each node ticks at its own pace within the skew. */
        int64_t skew = o->skew_pct ? (int64_t)s_between(s, 0, 2 * o->skew_pct) - o->skew_pct : 0;
        n->tick_us = (uint32_t)((int64_t)S_TICK_US * (100 + skew) / 100);
        if (i <= o->nodes) {
            /* Initial members start from the bootstrap entries, already applied. */
            for (size_t k = 0; k < boot_n; k++) raft_memlog_append(&n->log, &boot[k]);
            n->hard = (raft_hard_t){1, RAFT_NONE, boot_n};
            n->applied = boot_n;
            n->conf = conf;
        }
        /* Spares start empty and outside: they join as learners and replay the log. */
        s_node_start(s, n);
    }
    for (int c = 0; c < o->clients && c < S_CLIENTS_MAX; c++) {
        s->clients[c].id = c;
        s_ev_t *e = s_schedule(s, s_between(s, 100000, 200000), EV_CLIENT);
        e->client = c;
    }
    s->faults_on = true;
    s_schedule_fault(s, F_PARTITION, o->partition_ms);
    s_schedule_fault(s, F_CRASH, o->crash_ms);
    s_schedule_fault(s, F_MEMBER, o->member_ms);
    s_schedule_fault(s, F_TRANSFER, o->transfer_ms);
    s_schedule_fault(s, F_ISOLATE, o->isolate_ms);
}

/* Everything heals; the cluster must settle with every member in the same state. */
static void s_quiesce(s_sim_t *s)
{
    s->faults_on = false;
    memset(s->cut, 0, sizeof s->cut);
    for (int i = 1; i <= s->nodes_n; i++)
        if (!s->nodes[i].up) s_node_start(s, &s->nodes[i]);
    uint64_t until = s->now + 20000000;
    while (!s->failed && s->heap_n && s->heap[0]->time < until) {
        s_event(s, s_next(s));
        int l = s_leader(s);
        if (!l) continue;
        raft_status_t st;
        raft_status(s->nodes[l].raft, &st);
        bool settled = st.commit == st.last_index;
        for (int i = 1; i <= s->nodes_n && settled; i++) {
            s_node_t *n = &s->nodes[i];
            if (raft_conf_has(&st.conf, (uint64_t)i, NULL))
                settled = n->applied == st.commit && !n->busy;
        }
        for (int c = 0; c < s->o.clients && settled; c++) settled = !s->clients[c].busy;
        if (!settled) continue;
        uint64_t d = s_sm_digest(&s->nodes[l].sm);
        for (int i = 1; i <= s->nodes_n; i++)
            if (raft_conf_has(&st.conf, (uint64_t)i, NULL) && s_sm_digest(&s->nodes[i].sm) != d)
                s_fail(s, "after healing, member %d's state differs from leader %d's", i, l);
        return;
    }
    if (!s->failed) {
        char text[1024] = "";
        int l = s_leader(s), k = 0;
        if (l) {
            raft_status_t st;
            raft_status(s->nodes[l].raft, &st);
            k += snprintf(text + k, sizeof text - (size_t)k,
                          "leader %d commit %" PRIu64 " last %" PRIu64 ";", l, st.commit,
                          st.last_index);
            for (size_t i = 0; i < st.peers_n; i++)
                k += snprintf(text + k, sizeof text - (size_t)k,
                              " %" PRIu64 ":match %" PRIu64 " next %" PRIu64 " state %d",
                              st.peers[i].id, st.peers[i].match, st.peers[i].next,
                              st.peers[i].state);
        }
        s_fail(s, "the cluster did not settle within 20 s of healing (liveness): %s", text);
    }
}

int raft_sim_run(const raft_sim_opts_t *o, raft_sim_result_t *res)
{
    s_sim_t *s = calloc(1, sizeof *s);
    if (!s) abort();
    s_init(s, o, res);
    uint64_t end = o->duration_ms * 1000;
    s_ev_t *e;
    while (!s->failed && s->heap_n && s->heap[0]->time < end) {
        s_event(s, s_next(s));
        if (s->res->events % 512 == 0) s_check_logs(s);
        if (s->res->ops >= S_OPS_MAX - S_CLIENTS_MAX) break;
    }
    /* Clients stop issuing new work; what is in flight finishes during the quiet phase. */
    s->clients_stop = true;
    for (int c = 0; c < o->clients; c++) s->clients[c].op_deadline = s->now;
    if (!s->failed) s_quiesce(s);
    if (!s->failed) s_check_logs(s);
    if (!s->failed) {
        lincheck_result_t lr;
        int rc = lincheck_check(s->lin, &lr);
        if (rc == BUS_EINVALID)
            s_fail(s, "not linearizable on key %s:\n%s", lr.key, lr.text);
        else if (rc == BUS_EBUSY)
            s_fail(s, "linearizability unknown: the search on key %s ran out of budget", lr.key);
    }
    res->digest = s_hash(&res->events, sizeof res->events, s_hash(&res->committed, 8, s->now));
    /* Free everything. */
    while ((e = s_next(s))) {
        s_msg_free(e->msg);
        free(e);
    }
    free(s->heap);
    for (int i = 1; i <= s->nodes_n; i++) {
        if (s->nodes[i].up) s_node_stop(&s->nodes[i]);
        raft_memlog_free(&s->nodes[i].log);
    }
    free(s->c_term);
    free(s->c_hash);
    lincheck_destroy(&s->lin);
    int failed = s->failed;
    free(s);
    return failed ? BUS_EINVALID : 0;
}

int raft_sim_profile(const char *name, uint64_t seed, raft_sim_opts_t *o)
{
    *o = (raft_sim_opts_t){.seed = seed,
                           .nodes = 3,
                           .duration_ms = 10000,
                           .clients = 5,
                           .keys = 4,
                           .fsync_max_us = 3000,
                           .delay_max_us = 2000};
    if (strcmp(name, "calm") == 0) return 0;
    if (strcmp(name, "lossy") == 0) {
        o->drop_pct = 50;
        o->dup_pct = 50;
        o->delay_max_us = 20000;
        return 0;
    }
    if (strcmp(name, "partitions") == 0) {
        o->partition_ms = 1500;
        o->drop_pct = 10;
        return 0;
    }
    if (strcmp(name, "crashes") == 0) {
        o->crash_ms = 1000;
        return 0;
    }
    if (strcmp(name, "members") == 0) {
        o->member_ms = 700;
        o->transfer_ms = 1500;
        o->crash_ms = 3000;
        return 0;
    }
    if (strcmp(name, "leaders") == 0) {
        /* Leaders come and go: isolated, crashed mid-sync, on clocks that disagree. */
        o->isolate_ms = 400;
        o->crash_ms = 700;
        o->torn_pct = 500;
        o->fsync_max_us = 15000;
        o->skew_pct = 40;
        o->delay_max_us = 8000;
        o->drop_pct = 20;
        return 0;
    }
    if (strcmp(name, "chaos") == 0) {
        o->nodes = 5;
        o->drop_pct = 30;
        o->dup_pct = 30;
        o->delay_max_us = 15000;
        o->partition_ms = 2000;
        o->crash_ms = 1500;
        o->member_ms = 1500;
        o->transfer_ms = 2500;
        return 0;
    }
    return BUS_EINVALID;
}
