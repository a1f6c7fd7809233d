/* raft_scenario: scripted, deterministic scenarios for the Raft core, one situation each, checked
 * at the level of single messages: the figure-8 commit rule, stale responses, leases, reads across
 * a change of leader, snapshots, restarts. The randomized simulation (raft_sim.c) finds what goes
 * wrong by chance; these pin down what must happen exactly. Not a simulation: nothing is random
 * but the cores' seeded election timeouts, and a message moves only when a scenario says so. */
#include "raft_scenario.h"
#include "raft.h"
#include "raft_memlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NODES_MAX  5
#define S_QUEUE_MAX  1024
#define S_DONE_MAX   256 /* applied entries remembered per node */
#define S_READS_MAX  16
#define S_ELECTION   10
#define S_HEARTBEAT  1
#define S_STEPS_MAX  100000 /* deliveries in one flush: more means the cores loop */
#define S_ROUNDS_MAX 1000   /* readies in a row: more means one never retires its work */

/* Stays on under NDEBUG: these checks are the test. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fflush(stdout);                                                                        \
            fprintf(stderr, "%s:%d: raft scenario check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct {
    raft_t *r;
    /* What the node persisted: enough to restart it. */
    raft_memlog_t log;
    raft_hard_t hard;
    raft_conf_t conf;
    uint64_t applied;
    /* What the application saw. */
    raft_entry_t done[S_DONE_MAX]; /* applied entries (index, term, type; no data) */
    size_t done_n;
    raft_read_t reads[S_READS_MAX];
    size_t reads_n;
    uint64_t dropped[S_READS_MAX];
    size_t dropped_n;
    raft_snap_meta_t installed; /* the last snapshot a ready handed over (index 0: none) */
} s_node_t;

typedef struct {
    s_node_t nodes[S_NODES_MAX + 1]; /* 1-based */
    int n;
    raft_msg_t q[S_QUEUE_MAX]; /* in flight, oldest first; entries and data owned */
    size_t q_n;
    bool cut[S_NODES_MAX + 1]; /* messages to or from a cut node are lost */
    size_t sent[RAFT_MSG_READ_INDEX_RESP + 1];
    bool verbose;
} s_net_t;

/* --- the harness --------------------------------------------------------------------------- */

static void s_start(s_net_t *net, int id)
{
    s_node_t *n = &net->nodes[id];
    char err[200];
    raft_config_t cfg = {.id = (uint64_t)id,
                         .election_ticks = S_ELECTION,
                         .heartbeat_ticks = S_HEARTBEAT,
                         .inflight_max = 8,
                         .pre_vote = true,
                         .check_quorum = true,
                         .seed = 7,
                         .hard = n->hard,
                         .conf = n->conf,
                         .applied = n->applied,
                         .storage = raft_memlog_storage(&n->log)};
    n->r = raft_new(&cfg, err, sizeof err);
    if (!n->r) fprintf(stderr, "raft scenario: node %d: %s\n", id, err);
    CHECK(n->r);
}

/* The cluster of the scenario whose function is name: voters initial members (ids 1..voters)
 * from the bootstrap entries, already applied; the rest, up to nodes, empty and outside the
 * membership, as members that will join. */
static s_net_t *s_net_new(const char *name, int voters, int nodes, bool verbose)
{
    s_net_t *net = calloc(1, sizeof *net);
    CHECK(net && nodes <= S_NODES_MAX && voters <= nodes);
    net->n = nodes;
    net->verbose = verbose;
    if (verbose) printf("raft scenario %s\n", name + 2); /* without "s_" */
    raft_conf_t conf = {0};
    for (int i = 1; i <= voters; i++) conf.voters[conf.voters_n++] = (uint64_t)i;
    uint8_t data[RAFT_MEMBERS_MAX][9];
    raft_entry_t boot[RAFT_MEMBERS_MAX];
    size_t boot_n = raft_bootstrap(conf.voters, conf.voters_n, data, boot);
    for (int id = 1; id <= nodes; id++) {
        s_node_t *n = &net->nodes[id];
        raft_memlog_init(&n->log);
        if (id <= voters) {
            for (size_t k = 0; k < boot_n; k++) raft_memlog_append(&n->log, &boot[k]);
            n->hard = (raft_hard_t){1, RAFT_NONE, boot_n};
            n->applied = boot_n;
            n->conf = conf;
        }
        s_start(net, id);
    }
    return net;
}

static void s_msg_free(raft_msg_t *m)
{
    for (size_t i = 0; i < m->entries_n; i++) free((void *)m->entries[i].data);
    free((void *)m->entries);
    m->entries = NULL;
    m->entries_n = 0;
}

static void s_clear(s_net_t *net)
{
    for (size_t i = 0; i < net->q_n; i++) s_msg_free(&net->q[i]);
    net->q_n = 0;
}

static void s_net_free(s_net_t **net_p)
{
    s_net_t *net = *net_p;
    s_clear(net);
    for (int id = 1; id <= net->n; id++) {
        raft_destroy(&net->nodes[id].r);
        raft_memlog_free(&net->nodes[id].log);
    }
    free(net);
    *net_p = NULL;
}

static void s_enqueue(s_net_t *net, const raft_msg_t *m)
{
    CHECK(net->q_n < S_QUEUE_MAX && m->type <= RAFT_MSG_READ_INDEX_RESP);
    raft_msg_t c = *m;
    raft_entry_t *e = m->entries_n ? calloc(m->entries_n, sizeof *e) : NULL;
    for (size_t i = 0; i < m->entries_n; i++) {
        e[i] = m->entries[i];
        uint8_t *d = e[i].len ? malloc(e[i].len) : NULL;
        if (d) memcpy(d, m->entries[i].data, e[i].len);
        e[i].data = d;
    }
    c.entries = e;
    net->q[net->q_n++] = c;
    net->sent[m->type]++;
}

static void s_apply(s_node_t *n, const raft_entry_t *e)
{
    /* Entries come once each and in order, never beyond what was persisted. */
    CHECK(e->index == n->applied + 1 && e->index <= raft_memlog_last(&n->log));
    if (e->type == RAFT_ENTRY_CONF) raft_apply_conf(n->r, e, &n->conf);
    n->applied = e->index;
    CHECK(n->done_n < S_DONE_MAX);
    n->done[n->done_n++] = (raft_entry_t){.index = e->index, .term = e->term, .type = e->type};
}

/* Does a node's ready work in the documented order: persist, send, apply, advance. */
static void s_ready(s_net_t *net, int id)
{
    s_node_t *n = &net->nodes[id];
    for (int rounds = 0; raft_has_ready(n->r); rounds++) {
        CHECK(rounds < S_ROUNDS_MAX);
        raft_ready_t rd;
        raft_ready(n->r, &rd);
        if (rd.has_snapshot) {
            n->installed = rd.snapshot;
            n->conf = rd.snapshot.conf;
            n->applied = rd.snapshot.index;
        }
        CHECK(raft_memlog_persist(&n->log, &rd) == 0);
        n->hard = rd.hard;
        for (size_t i = 0; i < rd.msgs_n; i++) s_enqueue(net, &rd.msgs[i]);
        for (size_t i = 0; i < rd.committed_n; i++) s_apply(n, &rd.committed[i]);
        for (size_t i = 0; i < rd.reads_n && n->reads_n < S_READS_MAX; i++)
            n->reads[n->reads_n++] = rd.reads[i];
        for (size_t i = 0; i < rd.reads_dropped_n && n->dropped_n < S_READS_MAX; i++)
            n->dropped[n->dropped_n++] = rd.reads_dropped[i];
        raft_advance(n->r, &rd);
    }
}

/* Steps a message into a node (crafted or delivered) and does its ready work. */
static int s_step(s_net_t *net, int id, const raft_msg_t *m)
{
    int rc = raft_step(net->nodes[id].r, m);
    s_ready(net, id);
    return rc;
}

/* The first queued message matching type, from and to (0 matches any), or -1. */
static int s_find(const s_net_t *net, int type, uint64_t from, uint64_t to)
{
    for (size_t i = 0; i < net->q_n; i++) {
        const raft_msg_t *m = &net->q[i];
        if ((!type || m->type == type) && (!from || m->from == from) && (!to || m->to == to))
            return (int)i;
    }
    return -1;
}

static void s_deliver_at(s_net_t *net, size_t i)
{
    raft_msg_t m = net->q[i];
    memmove(&net->q[i], &net->q[i + 1], (net->q_n - i - 1) * sizeof m);
    net->q_n--;
    bool lost = m.to < 1 || m.to > (uint64_t)net->n || net->cut[m.to] || net->cut[m.from];
    if (net->verbose)
        printf("    %s %s %llu->%llu term %llu index %llu/%llu n %zu commit %llu%s\n",
               lost ? "lose" : "deliver", raft_msg_name(m.type), (unsigned long long)m.from,
               (unsigned long long)m.to, (unsigned long long)m.term, (unsigned long long)m.index,
               (unsigned long long)m.log_term, m.entries_n, (unsigned long long)m.commit,
               m.reject ? " reject" : "");
    if (!lost) s_step(net, (int)m.to, &m);
    s_msg_free(&m);
}

/* Delivers the first queued message matching (see s_find); false if there is none. */
static bool s_deliver(s_net_t *net, int type, uint64_t from, uint64_t to)
{
    int i = s_find(net, type, from, to);
    if (i >= 0) s_deliver_at(net, (size_t)i);
    return i >= 0;
}

/* Does every node's ready work and delivers everything, oldest first, until nothing moves. */
static void s_flush(s_net_t *net)
{
    for (int id = 1; id <= net->n; id++) s_ready(net, id);
    for (int steps = 0; net->q_n; steps++) {
        CHECK(steps < S_STEPS_MAX);
        s_deliver_at(net, 0);
    }
}

static void s_tick(s_net_t *net, int id, int times)
{
    for (int i = 0; i < times; i++) {
        raft_tick(net->nodes[id].r);
        s_flush(net);
    }
}

static raft_status_t s_status(s_net_t *net, int id)
{
    raft_status_t st;
    raft_status(net->nodes[id].r, &st);
    return st;
}

static raft_role_t s_role(s_net_t *net, int id)
{
    return s_status(net, id).role;
}

/* The leader's view of a peer. */
static raft_peer_status_t s_peer(s_net_t *net, int leader, uint64_t id)
{
    raft_status_t st = s_status(net, leader);
    for (size_t i = 0; i < st.peers_n; i++)
        if (st.peers[i].id == id) return st.peers[i];
    CHECK(!"no such peer");
    return (raft_peer_status_t){0};
}

static int s_leaders(s_net_t *net, int *leader)
{
    int count = 0;
    for (int id = 1; id <= net->n; id++)
        if (s_role(net, id) == RAFT_LEADER) *leader = id, count++;
    return count;
}

/* Lets id campaign with every message delivered; it must win. */
static void s_elect(s_net_t *net, int id)
{
    raft_campaign(net->nodes[id].r);
    s_flush(net);
    CHECK(s_role(net, id) == RAFT_LEADER);
}

/* Makes id leader with crafted (pre-)vote grants from every other voter, so that only the core
 * under test runs. Whatever else it sends is lost. */
static void s_win(s_net_t *net, int id)
{
    raft_campaign(net->nodes[id].r);
    for (int round = 0; round < 2 && s_role(net, id) != RAFT_LEADER; round++) {
        s_ready(net, id);
        raft_msg_t grants[2 * S_NODES_MAX];
        size_t n = 0;
        for (size_t i = 0; i < net->q_n; i++) {
            const raft_msg_t *m = &net->q[i];
            if (m->type != RAFT_MSG_VOTE && m->type != RAFT_MSG_PRE_VOTE) continue;
            CHECK(n < 2 * S_NODES_MAX);
            /* The answer's type follows the request's; it carries the term asked for. */
            grants[n++] = (raft_msg_t){
                .type = (uint8_t)(m->type + 1), .from = m->to, .to = m->from, .term = m->term};
        }
        s_clear(net);
        for (size_t i = 0; i < n; i++) s_step(net, id, &grants[i]);
    }
    CHECK(s_role(net, id) == RAFT_LEADER);
    s_clear(net);
}

/* A crafted answer to an append: from has the leader's log up to index. */
static void s_ack(s_net_t *net, int to, uint64_t from, uint64_t term, uint64_t index)
{
    raft_msg_t m = {
        .type = RAFT_MSG_APP_RESP, .from = from, .to = (uint64_t)to, .term = term, .index = index};
    CHECK(s_step(net, to, &m) == 0);
}

static uint64_t s_propose(s_net_t *net, int id)
{
    uint64_t index = 0, term = 0;
    CHECK(raft_propose(net->nodes[id].r, (const uint8_t *)"x", 1, &index, &term) == 0);
    return index;
}

static const raft_entry_t *s_done_at(const s_node_t *n, uint64_t index)
{
    for (size_t i = 0; i < n->done_n; i++)
        if (n->done[i].index == index) return &n->done[i];
    return NULL;
}

/* --- elections, leases, transfers, reads --------------------------------------------------- */

/* A lone voter elects itself at once; its proposal comes back as committed, as proposed. */
static void s_single(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 1, 1, verbose);
    raft_campaign(net->nodes[1].r);
    CHECK(s_role(net, 1) == RAFT_LEADER && s_status(net, 1).term == 2);
    s_flush(net);
    /* Its no-op commits without waiting for a proposal, or a read would wait forever. */
    CHECK(net->nodes[1].hard.commit == 2 && s_done_at(&net->nodes[1], 2));
    uint64_t index = 0, term = 0;
    CHECK(raft_propose(net->nodes[1].r, (const uint8_t *)"a", 1, &index, &term) == 0);
    CHECK(index == 3 && term == 2);
    s_ready(net, 1);
    const raft_entry_t *e = s_done_at(&net->nodes[1], 3);
    CHECK(e && e->term == term && e->type == RAFT_ENTRY_NORMAL);
    CHECK(raft_memlog_term_of(&net->nodes[1].log, 3) == term && net->nodes[1].hard.commit == 3);
    CHECK(raft_read_index(net->nodes[1].r, 5) == 0);
    s_ready(net, 1);
    CHECK(net->nodes[1].reads_n == 1 && net->nodes[1].reads[0].index == 3);
    s_net_free(&net);
}

/* Silence makes a follower campaign after election_ticks..2*election_ticks ticks: one leader,
 * whose first entry is a no-op of its term that every member learns is committed. */
static void s_election(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    for (int t = 1; t < S_ELECTION; t++)
        for (int id = 1; id <= 3; id++) {
            s_tick(net, id, 1);
            CHECK(s_role(net, id) == RAFT_FOLLOWER && s_status(net, id).term == 1);
        }
    int leader = 0;
    for (int t = S_ELECTION; t < 2 * S_ELECTION && !leader; t++) {
        for (int id = 1; id <= 3; id++) s_tick(net, id, 1);
        s_leaders(net, &leader);
    }
    CHECK(leader && s_leaders(net, &leader) == 1);
    CHECK(s_status(net, leader).term == 2 && raft_memlog_term_of(&net->nodes[leader].log, 4) == 2);
    for (int id = 1; id <= 3; id++) {
        CHECK(s_status(net, id).commit == 4 && s_status(net, id).leader == (uint64_t)leader);
        const raft_entry_t *e = s_done_at(&net->nodes[id], 4); /* the no-op of term 2 */
        CHECK(e && e->type == RAFT_ENTRY_NOOP && e->term == 2);
    }
    s_net_free(&net);
}

/* Raft's figure 8: a leader commits an entry of an earlier term only by committing one of its
 * own, never by counting the replicas of the old one. Only node 1 runs; 2 and 3 are crafted. */
static void s_figure8(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_win(net, 1); /* term 2, no-op at 4 */
    s_ack(net, 1, 2, 2, 4);
    CHECK(s_status(net, 1).commit == 4);
    CHECK(s_propose(net, 1) == 5); /* replicated nowhere yet */
    s_clear(net);
    /* A higher term deposes node 1; it wins again in term 4 and appends its no-op at 6. */
    s_ack(net, 1, 3, 3, 0);
    CHECK(s_role(net, 1) == RAFT_FOLLOWER && s_status(net, 1).term == 3);
    s_win(net, 1);
    CHECK(s_status(net, 1).term == 4 && s_status(net, 1).last_index == 6);
    /* Every member now holds entry 5 of term 2: still not committed. */
    s_ack(net, 1, 2, 4, 5);
    s_ack(net, 1, 3, 4, 5);
    CHECK(s_status(net, 1).commit == 4 && net->nodes[1].applied == 4);
    s_ack(net, 1, 2, 4, 6);
    CHECK(s_status(net, 1).commit == 6 && net->nodes[1].applied == 6);
    s_net_free(&net);
}

/* A partitioned follower's pre-votes fail without moving its term, and back in the cluster it
 * does not depose the leader. */
static void s_pre_vote(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    net->cut[3] = true;
    for (int t = 0; t < 5 * S_ELECTION; t++) {
        s_tick(net, 3, 1);
        CHECK(s_status(net, 3).term == 2 && s_role(net, 3) != RAFT_CANDIDATE);
    }
    CHECK(s_role(net, 3) == RAFT_PRE_CANDIDATE);
    net->cut[3] = false;
    size_t asked = net->sent[RAFT_MSG_PRE_VOTE];
    for (int t = 0; t < 2 * S_ELECTION && net->sent[RAFT_MSG_PRE_VOTE] == asked; t++)
        s_tick(net, 3, 1);
    CHECK(net->sent[RAFT_MSG_PRE_VOTE] > asked); /* it asked the others, who are in a lease */
    s_tick(net, 1, 1);
    CHECK(s_role(net, 1) == RAFT_LEADER && s_status(net, 1).term == 2);
    raft_status_t st = s_status(net, 3);
    CHECK(st.role == RAFT_FOLLOWER && st.leader == 1 && st.term == 2);
    s_net_free(&net);
}

/* A leader that hears from no voter for an election timeout steps down (within two: the first
 * check may still count answers from before the partition). */
static void s_check_quorum(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    s_tick(net, 1, 3 * S_ELECTION);
    CHECK(s_role(net, 1) == RAFT_LEADER);
    net->cut[2] = net->cut[3] = true;
    s_tick(net, 1, S_ELECTION - 1);
    CHECK(s_role(net, 1) == RAFT_LEADER);
    s_tick(net, 1, S_ELECTION + 1);
    CHECK(s_role(net, 1) == RAFT_FOLLOWER && s_status(net, 1).term == 2);
    s_net_free(&net);
}

/* A follower that heard from its leader within the election timeout ignores (pre-)votes of a
 * higher term, unless the leader asked for the election (transfer context). */
static void s_lease(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    raft_msg_t ask = {
        .type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 5, .index = 4, .log_term = 2};
    CHECK(s_step(net, 2, &ask) == 0);
    CHECK(s_status(net, 2).term == 2 && s_find(net, 0, 2, 3) < 0);
    ask.type = RAFT_MSG_PRE_VOTE;
    ask.term = 3;
    CHECK(s_step(net, 2, &ask) == 0);
    CHECK(s_status(net, 2).term == 2 && s_find(net, 0, 2, 3) < 0);
    ask.type = RAFT_MSG_VOTE;
    ask.term = 5;
    ask.context = 1; /* the core's transfer context */
    s_step(net, 2, &ask);
    int i = s_find(net, RAFT_MSG_VOTE_RESP, 2, 3);
    CHECK(i >= 0 && !net->q[i].reject && net->q[i].term == 5);
    CHECK(net->nodes[2].hard.term == 5 && net->nodes[2].hard.vote == 3);
    s_net_free(&net);
}

static void s_transfer(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    CHECK(raft_transfer(net->nodes[1].r, 2) == 0);
    CHECK(raft_propose(net->nodes[1].r, (const uint8_t *)"x", 1, NULL, NULL) == RAFT_EBUSY);
    s_flush(net);
    CHECK(s_role(net, 2) == RAFT_LEADER && s_status(net, 2).term == 3);
    CHECK(s_role(net, 1) == RAFT_FOLLOWER && s_status(net, 1).leader == 2);
    /* To a follower that lags: the leader catches it up first. */
    net->cut[3] = true;
    uint64_t last = 0;
    for (int i = 0; i < 3; i++) last = s_propose(net, 2);
    s_flush(net);
    CHECK(s_status(net, 2).commit == last && s_status(net, 3).last_index < last);
    net->cut[3] = false;
    CHECK(raft_transfer(net->nodes[2].r, 3) == 0);
    CHECK(raft_propose(net->nodes[2].r, (const uint8_t *)"x", 1, NULL, NULL) == RAFT_EBUSY);
    s_ready(net, 2);
    CHECK(s_status(net, 2).transferee == 3 && s_find(net, RAFT_MSG_TIMEOUT_NOW, 2, 3) < 0);
    CHECK(s_find(net, RAFT_MSG_APP, 2, 3) >= 0);
    s_flush(net);
    CHECK(s_role(net, 3) == RAFT_LEADER && s_status(net, 3).term == 4);
    CHECK(raft_memlog_term_of(&net->nodes[3].log, last) == 3);
    CHECK(s_status(net, 1).leader == 3 && s_status(net, 2).leader == 3);
    s_net_free(&net);
}

static void s_read_index(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_node_t *n1 = &net->nodes[1], *n2 = &net->nodes[2];
    /* A leader that has not committed an entry of its term holds a read until it has. */
    s_win(net, 1);
    CHECK(raft_read_index(n1->r, 7) == 0);
    s_ready(net, 1);
    CHECK(n1->reads_n == 0 && s_find(net, RAFT_MSG_HEARTBEAT, 1, 0) < 0);
    s_tick(net, 1, 1); /* the heartbeat's answers bring the no-op to the followers */
    CHECK(n1->reads_n == 1 && n1->reads[0].context == 7 && n1->reads[0].index == 4);
    /* Released only once a quorum answered the heartbeat that carries the read. */
    s_propose(net, 1);
    s_flush(net);
    CHECK(raft_read_index(n1->r, 8) == 0);
    s_ready(net, 1);
    CHECK(n1->reads_n == 1 && s_find(net, RAFT_MSG_HEARTBEAT, 1, 2) >= 0);
    CHECK(s_deliver(net, RAFT_MSG_HEARTBEAT, 1, 2) && n1->reads_n == 1);
    CHECK(s_deliver(net, RAFT_MSG_HEARTBEAT_RESP, 2, 1));
    CHECK(n1->reads_n == 2 && n1->reads[1].context == 8 && n1->reads[1].index == 5);
    s_flush(net);
    /* A follower's read goes to the leader and comes back with the leader's commit index. */
    s_propose(net, 1);
    s_ready(net, 1);
    CHECK(s_deliver(net, RAFT_MSG_APP, 1, 3) && s_deliver(net, RAFT_MSG_APP_RESP, 3, 1));
    CHECK(s_status(net, 1).commit == 6 && s_status(net, 2).commit == 5);
    CHECK(raft_read_index(n2->r, 9) == 0);
    s_flush(net);
    CHECK(n2->reads_n == 1 && n2->reads[0].context == 9 && n2->reads[0].index == 6);
    /* A change of leader drops the reads the leader still held. */
    net->cut[2] = net->cut[3] = true;
    CHECK(raft_read_index(n1->r, 10) == 0);
    s_flush(net);
    CHECK(n1->reads_n == 2 && n1->dropped_n == 0);
    s_step(net, 1, &(raft_msg_t){.type = RAFT_MSG_HEARTBEAT, .from = 2, .to = 1, .term = 3});
    CHECK(s_role(net, 1) == RAFT_FOLLOWER && n1->dropped_n == 1 && n1->dropped[0] == 10);
    s_net_free(&net);
}

/* --- replication and snapshots ------------------------------------------------------------ */

/* Rejections never move a follower's next index below match + 1, and a rejection older than a
 * success is ignored. */
static void s_stale_resp(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    raft_peer_status_t p = s_peer(net, 1, 2);
    CHECK(p.match == 4 && p.next == 5 && p.state == RAFT_REPLICATE);
    net->cut[2] = true;
    CHECK(s_propose(net, 1) == 5);
    s_flush(net);
    raft_msg_t rej = {
        .type = RAFT_MSG_APP_RESP, .from = 2, .to = 1, .term = 2, .reject = true, .index = 5};
    s_step(net, 1, &rej); /* a real rejection of the append at 5: probe from 5 */
    p = s_peer(net, 1, 2);
    CHECK(p.state == RAFT_PROBE && p.match == 4 && p.next == 5);
    rej.index = 4; /* the probe's own rejection, but with a hint from when its log was short */
    rej.reject_hint = 0;
    s_step(net, 1, &rej);
    p = s_peer(net, 1, 2);
    CHECK(p.match == 4 && p.next == 5);
    s_ack(net, 1, 2, 2, 5);
    p = s_peer(net, 1, 2);
    CHECK(p.state == RAFT_REPLICATE && p.match == 5 && p.next == 6);
    s_step(net, 1, &rej); /* delivered late */
    p = s_peer(net, 1, 2);
    CHECK(p.state == RAFT_REPLICATE && p.match == 5 && p.next == 6);
    s_net_free(&net);
}

/* A heartbeat answer from a follower that lags brings an append, even when every entry it lacks
 * was sent already (and lost): the append is empty and its rejection starts the catch-up. */
static void s_heartbeat_catch_up(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    net->cut[3] = true;
    uint64_t last = s_propose(net, 1);
    s_flush(net);
    CHECK(s_peer(net, 1, 3).next == last + 1 && s_peer(net, 1, 3).match < last);
    net->cut[3] = false;
    raft_tick(net->nodes[1].r);
    s_ready(net, 1);
    CHECK(s_deliver(net, RAFT_MSG_HEARTBEAT, 1, 3) && s_find(net, RAFT_MSG_APP, 1, 3) < 0);
    CHECK(s_deliver(net, RAFT_MSG_HEARTBEAT_RESP, 3, 1) && s_find(net, RAFT_MSG_APP, 1, 3) >= 0);
    s_flush(net);
    CHECK(s_status(net, 3).last_index == last && s_status(net, 3).commit == last);
    s_net_free(&net);
}

/* A follower behind the leader's compacted log gets the snapshot, installs it, and continues with
 * the entries after it. */
static void s_snapshot(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_node_t *n1 = &net->nodes[1], *n3 = &net->nodes[3];
    s_elect(net, 1);
    net->cut[3] = true;
    for (int i = 0; i < 5; i++) s_propose(net, 1);
    s_flush(net);
    CHECK(n1->applied == 9);
    raft_snap_meta_t meta = {9, raft_memlog_term_of(&n1->log, 9), n1->conf};
    n1->log.snap = meta;
    raft_memlog_compact(&n1->log, 9);
    uint64_t last = s_propose(net, 1);
    s_flush(net);
    net->cut[3] = false;
    memset(net->sent, 0, sizeof net->sent);
    s_tick(net, 1, 1);
    CHECK(net->sent[RAFT_MSG_SNAP] == 1);
    CHECK(n3->installed.index == 9 && n3->installed.term == meta.term);
    CHECK(n3->installed.conf.voters_n == 3 && n3->conf.voters_n == 3);
    CHECK(n3->log.first == 10 && raft_memlog_last(&n3->log) == last);
    CHECK(n3->applied == last && s_done_at(n3, last) && !s_done_at(n3, 9));
    CHECK(s_peer(net, 1, 3).match == last && s_peer(net, 1, 3).state == RAFT_REPLICATE);
    s_net_free(&net);
}

/* --- membership ---------------------------------------------------------------------------- */

static void s_conf(s_net_t *net, int leader, int type, uint64_t member)
{
    uint64_t index = 0;
    CHECK(raft_propose_conf(net->nodes[leader].r, type, member, &index) == 0);
    /* One change at a time: the next waits until this one is applied. */
    CHECK(raft_propose_conf(net->nodes[leader].r, RAFT_CONF_REMOVE, member, NULL) == RAFT_EBUSY);
    s_flush(net);
    CHECK(net->nodes[leader].applied >= index);
}

static void s_membership(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 1, 3, verbose);
    s_elect(net, 1);
    /* A member joins empty, replays the log from index 1 and learns the membership. */
    s_conf(net, 1, RAFT_CONF_ADD_LEARNER, 2);
    const raft_conf_t *c2 = &net->nodes[2].conf;
    CHECK(c2->voters_n == 1 && c2->voters[0] == 1 && c2->learners_n == 1 && c2->learners[0] == 2);
    s_conf(net, 1, RAFT_CONF_PROMOTE, 2);
    s_conf(net, 1, RAFT_CONF_ADD_LEARNER, 3);
    CHECK(net->nodes[3].conf.voters_n == 2 && net->nodes[3].conf.learners_n == 1);
    /* Voters 1 and 2, learner 3: the learner's copy does not count. */
    net->cut[2] = true;
    uint64_t index = s_propose(net, 1);
    s_flush(net);
    CHECK(s_peer(net, 1, 3).match == index && s_status(net, 1).commit < index);
    net->cut[2] = false;
    s_tick(net, 1, 1);
    CHECK(s_status(net, 1).commit == index);
    s_conf(net, 1, RAFT_CONF_PROMOTE, 3);
    CHECK(net->nodes[3].conf.voters_n == 3);
    /* The leader removes itself: it steps down once the change is applied, and never campaigns. */
    s_conf(net, 1, RAFT_CONF_REMOVE, 1);
    CHECK(s_role(net, 1) == RAFT_FOLLOWER && net->nodes[1].conf.voters_n == 2);
    uint64_t term = s_status(net, 1).term;
    int leader = 0;
    for (int t = 0; t < 3 * S_ELECTION && !leader; t++) {
        for (int id = 1; id <= 3; id++) s_tick(net, id, 1);
        s_leaders(net, &leader);
    }
    CHECK(leader == 2 || leader == 3);
    CHECK(s_status(net, leader).term == term + 1 && s_status(net, leader).conf.voters_n == 2);
    /* The removed member's answers count for nothing: not for a read, a commit or a vote. */
    int other = leader == 2 ? 3 : 2;
    s_node_t *l = &net->nodes[leader];
    net->cut[other] = true;
    uint64_t last = s_propose(net, leader);
    CHECK(raft_read_index(l->r, 42) == 0);
    s_flush(net);
    raft_msg_t m = {.type = RAFT_MSG_HEARTBEAT_RESP, .from = 1, .term = term + 1, .context = 42};
    m.to = (uint64_t)leader;
    CHECK(s_step(net, leader, &m) == 0 && l->reads_n == 0);
    s_ack(net, leader, 1, term + 1, last);
    CHECK(s_status(net, leader).commit < last);
    net->cut[other] = false;
    net->cut[leader] = true;
    for (int t = 0; t < 3 * S_ELECTION && s_role(net, other) != RAFT_PRE_CANDIDATE; t++)
        s_tick(net, other, 1);
    CHECK(s_role(net, other) == RAFT_PRE_CANDIDATE);
    m = (raft_msg_t){
        .type = RAFT_MSG_PRE_VOTE_RESP, .from = 1, .to = (uint64_t)other, .term = term + 2};
    CHECK(s_step(net, other, &m) == 0 && s_role(net, other) == RAFT_PRE_CANDIDATE);
    s_net_free(&net);
}

/* --- restarts and bad input ---------------------------------------------------------------- */

static void s_restart_vote(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    raft_msg_t ask = {
        .type = RAFT_MSG_VOTE, .from = 3, .to = 2, .term = 5, .index = 3, .log_term = 1};
    s_step(net, 2, &ask);
    CHECK(net->nodes[2].hard.term == 5 && net->nodes[2].hard.vote == 3);
    s_clear(net);
    raft_destroy(&net->nodes[2].r);
    s_start(net, 2);
    CHECK(s_status(net, 2).term == 5);
    ask.from = 1;
    s_step(net, 2, &ask);
    int i = s_find(net, RAFT_MSG_VOTE_RESP, 2, 1);
    CHECK(i >= 0 && net->q[i].reject);
    ask.from = 3; /* the same candidate again: granted (its request may have been repeated) */
    s_step(net, 2, &ask);
    i = s_find(net, RAFT_MSG_VOTE_RESP, 2, 3);
    CHECK(i >= 0 && !net->q[i].reject);
    s_net_free(&net);
}

/* A node restarted without its state machine replays the whole log and learns the membership
 * from the bootstrap entries. */
static void s_restart_replay(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    s_propose(net, 1);
    uint64_t last = s_propose(net, 1);
    s_flush(net);
    s_node_t *n2 = &net->nodes[2];
    CHECK(n2->applied == last && n2->hard.commit == last);
    n2->applied = 0;
    n2->done_n = 0;
    memset(&n2->conf, 0, sizeof n2->conf);
    raft_destroy(&net->nodes[2].r);
    s_start(net, 2);
    s_ready(net, 2);
    CHECK(n2->applied == last && n2->done_n == last);
    static const uint8_t types[] = {RAFT_ENTRY_CONF, RAFT_ENTRY_CONF,   RAFT_ENTRY_CONF,
                                    RAFT_ENTRY_NOOP, RAFT_ENTRY_NORMAL, RAFT_ENTRY_NORMAL};
    for (size_t i = 0; i < n2->done_n; i++)
        CHECK(n2->done[i].index == i + 1 && n2->done[i].type == types[i]);
    CHECK(n2->conf.voters_n == 3 && n2->conf.learners_n == 0);
    CHECK(s_status(net, 2).term == 2 && s_status(net, 2).conf.voters_n == 3);
    s_net_free(&net);
}

/* Messages for someone else, from nobody, of no known type, from outside the membership or
 * pointing outside the log change nothing. */
static void s_bad_input(bool verbose)
{
    s_net_t *net = s_net_new(__func__, 3, 3, verbose);
    s_elect(net, 1);
    raft_t *r2 = net->nodes[2].r;
    raft_msg_t hb = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 9};
    raft_msg_t bad[] = {hb, hb, hb, hb, hb};
    bad[0].to = 3;
    bad[1].from = RAFT_NONE;
    bad[2].from = 2;
    bad[3].type = 0;
    bad[4].type = RAFT_MSG_READ_INDEX_RESP + 1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(raft_step(r2, &bad[i]) != 0);
    CHECK(!raft_has_ready(r2) && s_status(net, 2).term == 2);
    /* At the leader, from a stranger. */
    raft_status_t before = s_status(net, 1);
    s_ack(net, 1, 9, 2, 100);
    CHECK(net->q_n == 0);
    raft_status_t after = s_status(net, 1);
    CHECK(after.commit == before.commit && after.peers_n == 3 && after.role == RAFT_LEADER);
    /* An append after an index far beyond the log is rejected with the follower's last index. */
    raft_msg_t app = {
        .type = RAFT_MSG_APP, .from = 1, .to = 2, .term = 2, .index = 1ull << 40, .log_term = 2};
    s_step(net, 2, &app);
    int i = s_find(net, RAFT_MSG_APP_RESP, 2, 1);
    CHECK(i >= 0 && net->q[i].reject && net->q[i].reject_hint == 4);
    CHECK(s_status(net, 2).last_index == 4);
    s_clear(net);
    /* Entries that do not follow the index they claim to follow (a hole, or a rewrite of what is
     * committed), or whose terms no log can have (beyond the sender's, or going down). */
    raft_entry_t wrong[] = {{.term = 2, .index = 9},
                            {.term = 2, .index = 2},
                            {.term = 7, .index = 5},
                            {.term = 1, .index = 5}};
    for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
        app.index = 4;
        app.entries = &wrong[k];
        app.entries_n = 1;
        app.commit = 9;
        s_step(net, 2, &app);
        CHECK(s_status(net, 2).last_index == 4 && s_status(net, 2).commit == 4);
        s_clear(net);
    }
    /* An acknowledgement of more than the leader has. */
    s_ack(net, 1, 2, 2, 100);
    CHECK(s_peer(net, 1, 2).match <= s_status(net, 1).last_index);
    s_clear(net);
    net->cut[2] = net->cut[3] = true;
    uint64_t index = s_propose(net, 1);
    s_flush(net);
    CHECK(s_status(net, 1).commit < index); /* only the leader has it */
    s_net_free(&net);
}

/* The simplest first: when several fail, the first failure is the one to read. */
static void (*const s_scenarios[])(bool verbose) = {
    s_single,     s_election, s_figure8,      s_pre_vote,       s_check_quorum,
    s_lease,      s_transfer, s_read_index,   s_stale_resp,     s_heartbeat_catch_up,
    s_membership, s_snapshot, s_restart_vote, s_restart_replay, s_bad_input};

void raft_scenario_test(bool verbose)
{
    for (size_t i = 0; i < sizeof s_scenarios / sizeof s_scenarios[0]; i++) s_scenarios[i](verbose);
}
