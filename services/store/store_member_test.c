/* store_member's selftest: real members (LMDB on disk, the Raft core, the disk worker) in one
 * process, their messages carried through the wire encoding by a little in-memory network:
 * one member alone (writes, reads, restart, retried proposals, limits, quota), then three
 * (replication, follower reads and forwards, the leader stopped and a new one elected, a member
 * that fell behind caught up by snapshot, membership changes). */
#include "store_member.h"
#include "bus_err.h"
#include "bus_time.h"
#include "store_log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MEMBERS 5
#define S_REPLIES 4096
#define S_NET_MAX 65536

typedef struct s_cluster_t s_cluster_t;

typedef struct {
    s_cluster_t *c;
    int slot;
    char name[16];
    store_member_t *m;
    bool up;
} s_node_t;

typedef struct {
    int status;
    uint32_t type;
    uint8_t *body;
    size_t len;
    char error[512];
    bool done;
} s_reply_t;

typedef struct {
    int to;
    uint8_t *data; /* an encoded store.raft */
    size_t len;
    char from[16];
} s_packet_t;

struct s_cluster_t {
    char dir[64];
    uint64_t id;
    s_node_t nodes[S_MEMBERS];
    int n;
    s_packet_t net[S_NET_MAX];
    size_t net_n;
    s_reply_t replies[S_REPLIES];
    size_t replies_n;
    bool cut[S_MEMBERS]; /* messages to and from a cut member are lost */
    bus_arena_t *arena;
    bool verbose;
};

/* --- the in-memory network ----------------------------------------------------------------- */

static int s_slot_of(s_cluster_t *c, uint64_t id)
{
    for (int i = 0; i < c->n; i++)
        if (store_log_member_id(c->nodes[i].name) == id) return i;
    return -1;
}

static void s_send(void *arg, const raft_msg_t *m)
{
    s_node_t *node = arg;
    s_cluster_t *c = node->c;
    int to = s_slot_of(c, m->to);
    if (to < 0 || c->cut[to] || c->cut[node->slot] || c->net_n == S_NET_MAX) return;
    store_raft_t w;
    bus_arena_reset(c->arena);
    assert(store_member_to_wire(node->m, m, &w, c->arena) == 0);
    bus_buf_t buf;
    bus_buf_init(&buf, 64 << 20);
    codec_err_t err;
    assert(codec_encode(&store_raft_desc, &w, &buf, &err) == 0);
    s_packet_t *p = &c->net[c->net_n++];
    p->to = to;
    p->data = buf.data; /* taken */
    p->len = buf.len;
    snprintf(p->from, sizeof p->from, "%s", node->name);
}

static void s_reply(void *arg, void *cookie, int status, const char *error, uint32_t type,
                    const uint8_t *body, size_t len)
{
    s_reply_t *r = cookie;
    assert(!r->done); /* exactly once */
    r->done = true;
    r->status = status;
    r->type = type;
    snprintf(r->error, sizeof r->error, "%s", error ? error : "");
    r->len = len;
    r->body = len ? malloc(len) : NULL;
    if (len) memcpy(r->body, body, len);
}

/* The service would send the proposal to the leader's instance; here, straight to it. */
static void s_forward(void *arg, void *cookie, const char *leader, const uint8_t *data, size_t len)
{
    s_node_t *node = arg;
    s_cluster_t *c = node->c;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->nodes[i].name, leader) == 0 && c->nodes[i].up && !c->cut[i] &&
            !c->cut[node->slot]) {
            char err[512];
            int rc = store_member_propose(c->nodes[i].m, cookie, data, len, err, sizeof err);
            if (rc) s_reply(NULL, cookie, rc, err, 0, NULL, 0);
            return;
        }
    s_reply(NULL, cookie, BUS_EUNAVAILABLE, "leader unreachable", 0, NULL, 0);
}

/* Fetches a snapshot from member from, piece by piece, as the service does over the bus. */
static void s_fetch(void *arg, const char *from, uint64_t index, const char *path)
{
    s_node_t *node = arg;
    s_cluster_t *c = node->c;
    int rc = BUS_EUNAVAILABLE;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->nodes[i].name, from) != 0 || !c->nodes[i].up) continue;
        FILE *f = fopen(path, "w");
        assert(f);
        uint64_t off = 0;
        for (;;) {
            s_reply_t r = {0};
            store_snapshot_request_t req = {.index = index, .offset = off, .len = 65536};
            char err[512];
            rc = store_member_snapshot(c->nodes[i].m, &r, &req, err, sizeof err);
            if (rc) break;
            assert(r.done && r.status == 0);
            store_snapshot_reply_t *rep;
            codec_err_t cerr;
            bus_arena_t *a = bus_arena_new(0);
            assert(codec_decode(&store_snapshot_reply_desc, r.body, r.len, a, (void **)&rep,
                                &cerr) == 0);
            fwrite(rep->data.data, 1, rep->data.len, f);
            off += rep->data.len;
            bool end = off >= rep->size || rep->data.len == 0;
            bus_arena_destroy(&a);
            free(r.body);
            if (end) break;
        }
        fclose(f);
        break;
    }
    store_member_snapshot_fetched(node->m, index, rc);
}

/* --- members ------------------------------------------------------------------------------- */

static store_member_config_t s_config(s_cluster_t *c, int slot, bool join)
{
    static const char *names[S_MEMBERS] = {"s0", "s1", "s2", "s3", "s4"};
    static char dirs[S_MEMBERS][96];
    snprintf(dirs[slot], sizeof dirs[slot], "%s/%s", c->dir, names[slot]);
    return (store_member_config_t){.data_dir = dirs[slot],
                                   .name = names[slot],
                                   .cluster = c->id,
                                   .initial = join ? NULL : names,
                                   .initial_n = join ? 0 : (size_t)c->n,
                                   .map_bytes = (size_t)256 << 20,
                                   .election_ticks = 10,
                                   .heartbeat_ticks = 1,
                                   .snapshot_entries = 200,
                                   .catchup_entries = 50,
                                   .seed = 1000 + (uint64_t)slot};
}

static void s_start(s_cluster_t *c, int slot, bool join)
{
    s_node_t *node = &c->nodes[slot];
    node->c = c;
    node->slot = slot;
    snprintf(node->name, sizeof node->name, "s%d", slot);
    store_member_config_t cfg = s_config(c, slot, join);
    store_member_io_t io = {
        .arg = node, .send = s_send, .reply = s_reply, .forward = s_forward, .fetch = s_fetch};
    char err[512];
    node->m = store_member_new(&cfg, &io, err, sizeof err);
    if (!node->m) fprintf(stderr, "member %s: %s\n", node->name, err);
    assert(node->m);
    node->up = true;
}

static void s_stop(s_cluster_t *c, int slot)
{
    store_member_destroy(&c->nodes[slot].m);
    c->nodes[slot].up = false;
}

static void s_cluster_new(s_cluster_t *c, int n, bool verbose)
{
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/kubus-store-member-test-XXXXXX");
    assert(mkdtemp(c->dir));
    c->id = 0x5eed0000 + (uint64_t)n;
    c->n = n;
    c->arena = bus_arena_new(0);
    c->verbose = verbose;
    for (int i = 0; i < n; i++) s_start(c, i, false);
}

static void s_cluster_free(s_cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].up) s_stop(c, i);
    for (size_t i = 0; i < c->net_n; i++) free(c->net[i].data);
    for (size_t i = 0; i < c->replies_n; i++) free(c->replies[i].body);
    bus_arena_destroy(&c->arena);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", c->dir);
    assert(system(cmd) == 0);
}

/* One round: every member polls, the network delivers, and now and then everyone ticks. */
static void s_round(s_cluster_t *c, bool tick)
{
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].up) store_member_poll(c->nodes[i].m);
    size_t n = c->net_n;
    s_packet_t *net = malloc(n * sizeof *net + 1);
    memcpy(net, c->net, n * sizeof *net);
    c->net_n = 0;
    bus_arena_t *a = bus_arena_new((size_t)256 << 20);
    for (size_t i = 0; i < n; i++) {
        s_node_t *to = &c->nodes[net[i].to];
        if (to->up && !c->cut[net[i].to]) {
            store_raft_t *w;
            codec_err_t err;
            bus_arena_reset(a);
            assert(codec_decode(&store_raft_desc, net[i].data, net[i].len, a, (void **)&w, &err) ==
                   0);
            store_member_step(to->m, w, net[i].from);
        }
        free(net[i].data);
    }
    bus_arena_destroy(&a);
    free(net);
    if (tick)
        for (int i = 0; i < c->n; i++)
            if (c->nodes[i].up) store_member_tick(c->nodes[i].m);
    usleep(200);
}

/* Runs rounds until done() holds (ticking every 10 ms), or fails after limit_ms. */
static void s_run_until(s_cluster_t *c, bool (*done)(s_cluster_t *c, void *arg), void *arg,
                        int limit_ms, const char *what)
{
    int64_t start = bus_now_us(), last_tick = start;
    while (!done(c, arg)) {
        int64_t now = bus_now_us();
        if (now - start > (int64_t)limit_ms * 1000) {
            fprintf(stderr, "store_member_test: %s did not happen in %d ms\n", what, limit_ms);
            abort();
        }
        bool tick = now - last_tick >= 10000;
        if (tick) last_tick = now;
        s_round(c, tick);
    }
}

static int s_leader(s_cluster_t *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].up && !c->cut[i] && store_member_role(c->nodes[i].m) == RAFT_LEADER)
            return i;
    return -1;
}

static bool s_has_leader(s_cluster_t *c, void *arg)
{
    int l = s_leader(c);
    if (l < 0) return false;
    /* Everyone reachable knows it. */
    uint64_t id = store_member_id(c->nodes[l].m);
    for (int i = 0; i < c->n; i++)
        if (c->nodes[i].up && !c->cut[i] && store_member_leader(c->nodes[i].m) != id) return false;
    return arg == NULL || l != *(int *)arg;
}

static bool s_reply_done(s_cluster_t *c, void *arg)
{
    return ((s_reply_t *)arg)->done;
}

/* --- requests ------------------------------------------------------------------------------ */

static s_reply_t *s_new_reply(s_cluster_t *c)
{
    assert(c->replies_n < S_REPLIES);
    s_reply_t *r = &c->replies[c->replies_n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* put key=value (create only when create is set) through member slot; waits for the answer. */
static s_reply_t *s_put(s_cluster_t *c, int slot, const char *origin, const char *key,
                        const char *value, bool create)
{
    store_op_t op = {
        .type = STORE_OP_TYPE_PUT, .key = (char *)key, .value = {(uint8_t *)value, strlen(value)}};
    store_compare_t cmp = {.key = (char *)key,
                           .target = STORE_COMPARE_TARGET_CREATE,
                           .op = STORE_COMPARE_OP_EQ,
                           .value = 0};
    store_txn_request_t req = {.compares = {create ? 1 : 0, &cmp}, .success = {1, &op}};
    s_reply_t *r = s_new_reply(c);
    char err[512];
    int rc = store_member_txn(c->nodes[slot].m, r, origin, &req, err, sizeof err);
    if (rc) {
        r->done = true;
        r->status = rc;
        snprintf(r->error, sizeof r->error, "%s", err);
        return r;
    }
    s_run_until(c, s_reply_done, r, 10000, "a put's answer");
    return r;
}

static store_txn_reply_t *s_txn_reply(s_cluster_t *c, s_reply_t *r)
{
    if (r->status) fprintf(stderr, "txn failed: %s (%d)\n", r->error, r->status);
    assert(r->status == 0 && r->type == store_txn_reply_desc.type);
    store_txn_reply_t *t;
    codec_err_t err;
    assert(codec_decode(&store_txn_reply_desc, r->body, r->len, c->arena, (void **)&t, &err) == 0);
    return t;
}

/* get key through member slot: the value, or NULL when absent. */
static const char *s_get(s_cluster_t *c, int slot, const char *key, bool serializable)
{
    store_range_request_t req = {.key = (char *)key, .serializable = serializable};
    s_reply_t *r = s_new_reply(c);
    char err[512];
    int rc = store_member_range(c->nodes[slot].m, r, &req, err, sizeof err);
    assert(rc == 0);
    s_run_until(c, s_reply_done, r, 10000, "a get's answer");
    if (r->status)
        fprintf(stderr, "get %s at s%d failed: %s (leader s%d)\n", key, slot, r->error,
                s_leader(c));
    assert(r->status == 0);
    store_range_reply_t *rep;
    codec_err_t cerr;
    assert(codec_decode(&store_range_reply_desc, r->body, r->len, c->arena, (void **)&rep, &cerr) ==
           0);
    if (!rep->kvs.n) return NULL;
    store_kv_t *kv = rep->kvs.v;
    char *v = bus_arena_alloc(c->arena, kv->value.len + 1);
    memcpy(v, kv->value.data, kv->value.len);
    return v;
}

/* The values under prefix, read through member slot, joined with ",". */
static const char *s_list(s_cluster_t *c, int slot, const char *prefix, bool serializable)
{
    store_range_request_t req = {
        .key = (char *)prefix, .prefix = true, .serializable = serializable};
    s_reply_t *r = s_new_reply(c);
    char err[512];
    assert(store_member_range(c->nodes[slot].m, r, &req, err, sizeof err) == 0);
    s_run_until(c, s_reply_done, r, 10000, "a list's answer");
    assert(r->status == 0);
    store_range_reply_t *rep;
    codec_err_t cerr;
    assert(codec_decode(&store_range_reply_desc, r->body, r->len, c->arena, (void **)&rep, &cerr) ==
           0);
    char *out = bus_arena_alloc(c->arena, 4096);
    const store_kv_t *kv = rep->kvs.v;
    for (size_t i = 0; i < rep->kvs.n; i++)
        snprintf(out + strlen(out), 4096 - strlen(out), "%s%.*s", i ? "," : "",
                 (int)kv[i].value.len, (const char *)kv[i].value.data);
    assert(rep->count == rep->kvs.n);
    return out;
}

/* --- one member ---------------------------------------------------------------------------- */

static void s_test_single(bool verbose)
{
    s_cluster_t *c = malloc(sizeof *c);
    s_cluster_new(c, 1, verbose);
    s_run_until(c, s_has_leader, NULL, 5000, "a single member's election");
    store_txn_reply_t *t = s_txn_reply(c, s_put(c, 0, "test/a:1", "/k/a", "1", true));
    assert(t->succeeded && t->revision == 2);
    assert(strcmp(t->header->member, "s0") == 0 && strcmp(t->header->leader, "s0") == 0);
    /* Create again: the compare fails, nothing changes. */
    t = s_txn_reply(c, s_put(c, 0, "test/a:2", "/k/a", "2", true));
    assert(!t->succeeded && t->revision == 2);
    /* The same request again (same origin): its first answer, not a second run. */
    t = s_txn_reply(c, s_put(c, 0, "test/a:1", "/k/a", "other", false));
    assert(t->succeeded && t->revision == 2);
    assert(strcmp(s_get(c, 0, "/k/a", false), "1") == 0);
    assert(strcmp(s_get(c, 0, "/k/a", true), "1") == 0);
    /* A linearizable list waits for its read index: its request must survive the wait. */
    s_put(c, 0, NULL, "/k/p/1", "x", false);
    s_put(c, 0, NULL, "/k/p/2", "y", false);
    s_put(c, 0, NULL, "/k/p/3", "z", false);
    assert(strcmp(s_list(c, 0, "/k/p/", false), "x,y,z") == 0);
    assert(strcmp(s_list(c, 0, "/k/p/", true), "x,y,z") == 0);
    /* A lone voter that leads answers a linearizable read at once, even while its worker writes:
     * it needs no read index (these waited for the worker's job to end, then for a ready). */
    {
        store_op_t op = {.type = STORE_OP_TYPE_PUT, .key = "/k/p/4", .value = {(uint8_t *)"w", 1}};
        store_txn_request_t w = {.success = {1, &op}};
        s_reply_t *wr = s_new_reply(c);
        char err[512];
        assert(store_member_txn(c->nodes[0].m, wr, NULL, &w, err, sizeof err) == 0);
        store_member_poll(c->nodes[0].m); /* the worker has the write */
        store_range_request_t q = {.key = "/k/p/3"};
        s_reply_t *rr = s_new_reply(c);
        assert(store_member_range(c->nodes[0].m, rr, &q, err, sizeof err) == 0);
        assert(rr->done && rr->status == 0);
        s_run_until(c, s_reply_done, wr, 10000, "the write's answer");
        assert(strcmp(s_get(c, 0, "/k/p/4", false), "w") == 0); /* once answered, read */
    }
    /* Limits: refused before the log. */
    char key[600];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    s_reply_t *r = s_put(c, 0, NULL, key, "x", false);
    assert(r->status == BUS_EINVALID && strstr(r->error, "503"));
    /* Restart: everything is back, and the revision goes on. */
    for (int i = 0; i < 20; i++) {
        char k[32];
        snprintf(k, sizeof k, "/k/n%d", i);
        s_put(c, 0, NULL, k, "v", false);
    }
    s_stop(c, 0);
    s_start(c, 0, false);
    s_run_until(c, s_has_leader, NULL, 5000, "the election after a restart");
    assert(strcmp(s_get(c, 0, "/k/n19", false), "v") == 0);
    t = s_txn_reply(c, s_put(c, 0, "test/a:1", "/k/a", "again", false));
    assert(t->revision == 2); /* the session survived the restart */
    t = s_txn_reply(c, s_put(c, 0, NULL, "/k/z", "z", false));
    assert(t->revision == 27);
    s_cluster_free(c);
    free(c);
}

/* --- three members ------------------------------------------------------------------------- */

static void s_test_three(bool verbose)
{
    s_cluster_t *c = malloc(sizeof *c);
    s_cluster_new(c, 3, verbose);
    s_run_until(c, s_has_leader, NULL, 10000, "an election");
    int l = s_leader(c), f = (l + 1) % 3;
    /* Writes through the leader and through a follower (forwarded). */
    assert(s_txn_reply(c, s_put(c, l, NULL, "/k/a", "1", false))->succeeded);
    assert(s_txn_reply(c, s_put(c, f, "test/f:1", "/k/b", "2", false))->succeeded);
    /* A leader among three voters confirms its leadership for a linearizable read first. */
    {
        store_range_request_t q = {.key = "/k/a"};
        s_reply_t *rr = s_new_reply(c);
        char err[512];
        assert(store_member_range(c->nodes[l].m, rr, &q, err, sizeof err) == 0);
        assert(!rr->done);
        s_run_until(c, s_reply_done, rr, 10000, "a read index");
        assert(rr->status == 0);
    }
    /* Linearizable reads anywhere see both. */
    for (int i = 0; i < 3; i++) {
        assert(strcmp(s_get(c, i, "/k/a", false), "1") == 0);
        assert(strcmp(s_get(c, i, "/k/b", false), "2") == 0);
    }
    /* The leader stops: another is elected, and every acknowledged write is there. */
    s_stop(c, l);
    int old = l;
    s_run_until(c, s_has_leader, &old, 10000, "a new election");
    l = s_leader(c);
    assert(l != old);
    assert(strcmp(s_get(c, l, "/k/b", false), "2") == 0);
    /* A member falls behind past a snapshot, comes back and catches up from one. */
    int behind = old;
    for (int i = 0; i < 400; i++) {
        char k[32];
        snprintf(k, sizeof k, "/k/s%d", i);
        s_put(c, l, NULL, k, "s", false);
    }
    s_start(c, behind, false);
    s_run_until(c, s_has_leader, NULL, 10000, "the stopped member's return");
    assert(strcmp(s_get(c, behind, "/k/s399", false), "s") == 0);
    assert(strcmp(s_get(c, behind, "/k/b", true), "2") == 0);
    s_cluster_free(c);
    free(c);
}

void store_member_test(bool verbose)
{
    s_test_single(verbose);
    s_test_three(verbose);
}
