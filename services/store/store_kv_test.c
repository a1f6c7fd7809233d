/* store_kv's selftest: each part of the model on its own (revisions, compares, atomicity,
 * ranges, events, compaction and its restarts, the format, values of every size, limits, a full
 * map, determinism), then a model check that drives the keyspace and a plain in-memory list of
 * versions with the same random requests from a fixed seed and fails at the first difference.
 * Each part runs in its own temporary LMDB environment. */
#include "store_kv.h"
#include "bus_err.h"
#include "store_kv_index.h"
#include "store_kv_map.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- a temporary environment --------------------------------------------------------------- */

typedef struct {
    char dir[64];
    MDB_env *env;
    store_kv_space_t *kv;
    bus_arena_t *arena;
    char err[512];
} s_db_t;

/* Opens the environment in db->dir and the keyspace in it. */
static void s_env_open(s_db_t *db, size_t map_bytes, const store_kv_limits_t *limits)
{
    assert(mdb_env_create(&db->env) == 0);
    assert(mdb_env_set_maxdbs(db->env, STORE_KV_DBS) == 0);
    assert(mdb_env_set_mapsize(db->env, map_bytes ? map_bytes : (size_t)256 << 20) == 0);
    /* No fsync: the tests measure the keyspace, not the disk. Read txns not tied to threads, as
     * the member has them: a test may keep an old one open while it reads with new ones. */
    assert(mdb_env_open(db->env, db->dir, MDB_NOSYNC | MDB_NOTLS, 0600) == 0);
    MDB_txn *txn;
    assert(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    assert(store_kv_open(txn, limits, &db->kv, db->err, sizeof db->err) == 0);
    assert(mdb_txn_commit(txn) == 0);
}

static void s_open(s_db_t *db, size_t map_bytes, const store_kv_limits_t *limits)
{
    memset(db, 0, sizeof *db);
    snprintf(db->dir, sizeof db->dir, "/tmp/kubus-store-kv-test-XXXXXX");
    assert(mkdtemp(db->dir));
    s_env_open(db, map_bytes, limits);
    db->arena = bus_arena_new(0);
}

/* Closes the environment and opens it again, as a restarted member does (default limits). */
static void s_reopen(s_db_t *db)
{
    store_kv_destroy(&db->kv);
    mdb_env_close(db->env);
    s_env_open(db, 0, NULL);
}

static void s_close(s_db_t *db)
{
    store_kv_destroy(&db->kv);
    assert(db->kv == NULL);
    mdb_env_close(db->env);
    bus_arena_destroy(&db->arena);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", db->dir);
    assert(system(cmd) == 0);
}

static MDB_txn *s_begin(s_db_t *db, bool write)
{
    MDB_txn *txn;
    assert(mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, &txn) == 0);
    return txn;
}

/* A transaction request under construction. */
typedef struct {
    store_compare_t cmp[64];
    store_op_t ops[2][128]; /* success, failure */
    size_t ncmp, nops[2];
} s_req_t;

static void s_cmp(s_req_t *r, const char *key, uint32_t target, uint32_t op, uint64_t value)
{
    r->cmp[r->ncmp++] = (store_compare_t){(char *)key, target, op, value};
}

static void s_op(s_req_t *r, int branch, uint32_t type, const char *key, const char *value,
                 bool prev)
{
    codec_bytes_t v = {(uint8_t *)value, value ? strlen(value) : 0};
    r->ops[branch][r->nops[branch]++] = (store_op_t){type, (char *)key, v, prev};
}

static store_txn_request_t s_build(s_req_t *r)
{
    return (store_txn_request_t){
        {r->ncmp, r->cmp}, {r->nops[0], r->ops[0]}, {r->nops[1], r->ops[1]}};
}

/* Runs a request in its own LMDB txn: committed on success, aborted on error. */
static int s_txn(s_db_t *db, s_req_t *r, store_txn_reply_t *reply, store_kv_changes_t *changes)
{
    bus_arena_reset(db->arena);
    store_txn_request_t req = s_build(r);
    MDB_txn *txn = s_begin(db, true);
    int rc = store_kv_txn(db->kv, txn, &req, db->arena, reply, changes, db->err, sizeof db->err);
    if (rc)
        mdb_txn_abort(txn);
    else
        assert(mdb_txn_commit(txn) == 0);
    return rc;
}

/* Puts (or deletes, value NULL) one key; returns the store's revision after. */
static uint64_t s_set(s_db_t *db, const char *key, const char *value)
{
    s_req_t r = {0};
    s_op(&r, 0, value ? STORE_OP_TYPE_PUT : STORE_OP_TYPE_DELETE, key, value, false);
    store_txn_reply_t reply;
    assert(s_txn(db, &r, &reply, NULL) == 0 && reply.succeeded);
    return reply.revision;
}

static int s_range(s_db_t *db, const store_range_request_t *req, store_range_reply_t *reply)
{
    bus_arena_reset(db->arena);
    MDB_txn *txn = s_begin(db, false);
    int rc = store_kv_range(db->kv, txn, req, db->arena, reply, db->err, sizeof db->err);
    mdb_txn_abort(txn);
    return rc;
}

/* The value of key at rev ("" when absent, NULL on error); kv gets the rest. */
static const char *s_get(s_db_t *db, const char *key, uint64_t rev, store_kv_t *kv)
{
    static char value[4096];
    store_range_request_t req = {.key = (char *)key, .revision = rev};
    store_range_reply_t reply;
    if (s_range(db, &req, &reply)) return NULL;
    assert(reply.kvs.n <= 1 && reply.count == reply.kvs.n && reply.header);
    memset(kv, 0, sizeof *kv);
    value[0] = 0;
    if (!reply.kvs.n) return value;
    *kv = *(store_kv_t *)reply.kvs.v;
    assert(kv->value.len < sizeof value);
    memcpy(value, kv->value.data, kv->value.len);
    value[kv->value.len] = 0;
    return value;
}

static int s_events(s_db_t *db, const char *prefix, uint64_t from, uint32_t max, bool prev,
                    store_watch_reply_t *reply)
{
    bus_arena_reset(db->arena);
    store_watch_request_t req = {(char *)prefix, from, max, prev};
    MDB_txn *txn = s_begin(db, false);
    int rc = store_kv_events(db->kv, txn, &req, db->arena, reply, db->err, sizeof db->err);
    mdb_txn_abort(txn);
    return rc;
}

/* Lets the index forget what compaction removed (no read txn is open between the helpers). */
static void s_settle(s_db_t *db)
{
    MDB_txn *txn = s_begin(db, false);
    assert(store_kv_settle(db->kv, txn, db->err, sizeof db->err) == 0);
    mdb_txn_abort(txn);
}

/* Compacts to rev in steps of max_steps, one LMDB txn each, settling after each when settle;
 * returns the number of calls. */
static int s_compact_with(s_db_t *db, uint64_t rev, size_t max_steps, bool settle)
{
    bool done = false;
    int calls = 0;
    while (!done) {
        MDB_txn *txn = s_begin(db, true);
        int rc = store_kv_compact(db->kv, txn, rev, max_steps, &done, db->err, sizeof db->err);
        if (rc) {
            mdb_txn_abort(txn);
            return rc;
        }
        assert(mdb_txn_commit(txn) == 0);
        if (settle) s_settle(db);
        calls++;
    }
    return calls;
}

static int s_compact(s_db_t *db, uint64_t rev, size_t max_steps)
{
    return s_compact_with(db, rev, max_steps, true);
}

static store_kv_stats_t s_stats(s_db_t *db)
{
    store_kv_stats_t st;
    MDB_txn *txn = s_begin(db, false);
    assert(store_kv_stats(db->kv, txn, &st, db->err, sizeof db->err) == 0);
    mdb_txn_abort(txn);
    return st;
}

static void s_digest(s_db_t *db, uint8_t out[32])
{
    MDB_txn *txn = s_begin(db, false);
    assert(store_kv_digest(db->kv, txn, out, db->err, sizeof db->err) == 0);
    mdb_txn_abort(txn);
}

static bool s_value_is(const store_kv_t *kv, const char *value)
{
    return kv && kv->value.len == strlen(value) &&
           (!kv->value.len || memcmp(kv->value.data, value, kv->value.len) == 0);
}

/* --- the parts ----------------------------------------------------------------------------- */

static void s_revisions(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    store_kv_t kv;
    MDB_txn *txn = s_begin(&db, false);
    assert(store_kv_revision(db.kv, txn) == 1 && store_kv_compacted(db.kv, txn) == 0);
    mdb_txn_abort(txn);
    assert(s_set(&db, "/a", "1") == 2); /* the first write is revision 2 */
    assert(strcmp(s_get(&db, "/a", 0, &kv), "1") == 0);
    assert(kv.create_revision == 2 && kv.mod_revision == 2 && kv.version == 1);
    assert(s_set(&db, "/a", "2") == 3 && s_set(&db, "/b", "x") == 4);
    assert(strcmp(s_get(&db, "/a", 0, &kv), "2") == 0);
    assert(kv.create_revision == 2 && kv.mod_revision == 3 && kv.version == 2);
    /* Delete with prev: a tombstone at revision 5. */
    s_req_t r = {0};
    s_op(&r, 0, STORE_OP_TYPE_DELETE, "/a", NULL, true);
    store_txn_reply_t reply;
    store_kv_changes_t ch;
    assert(s_txn(&db, &r, &reply, &ch) == 0 && reply.revision == 5 && reply.succeeded);
    store_op_result_t *res = reply.results.v;
    assert(reply.results.n == 1 && res[0].deleted == 1 && s_value_is(res[0].prev, "2"));
    assert(res[0].prev->mod_revision == 3 && res[0].prev->version == 2);
    assert(reply.header && reply.header->revision == 5);
    store_event_t *ev = ch.events.v;
    assert(ch.revision == 5 && ch.events.n == 1 && ev[0].type == STORE_EVENT_TYPE_DELETE);
    assert(ev[0].kv->mod_revision == 5 && ev[0].kv->version == 0 && s_value_is(ev[0].prev, "2"));
    assert(strcmp(s_get(&db, "/a", 0, &kv), "") == 0);
    /* Deleting a missing key changes nothing and takes no revision. */
    assert(s_txn(&db, &r, &reply, &ch) == 0 && reply.revision == 5 && ch.revision == 0);
    res = reply.results.v;
    assert(res[0].deleted == 0 && res[0].prev == NULL && ch.events.n == 0);
    /* A put after a delete starts a new generation. */
    assert(s_set(&db, "/a", "3") == 6);
    assert(strcmp(s_get(&db, "/a", 0, &kv), "3") == 0);
    assert(kv.create_revision == 6 && kv.mod_revision == 6 && kv.version == 1);
    /* The past stays readable. */
    assert(strcmp(s_get(&db, "/a", 4, &kv), "2") == 0 && kv.mod_revision == 3);
    assert(strcmp(s_get(&db, "/a", 5, &kv), "") == 0);
    assert(strcmp(s_get(&db, "/a", 1, &kv), "") == 0);
    assert(strcmp(s_get(&db, "/b", 3, &kv), "") == 0);
    assert(s_get(&db, "/a", 7, &kv) == NULL && strstr(db.err, "ahead"));
    /* An empty transaction changes nothing. */
    memset(&r, 0, sizeof r);
    assert(s_txn(&db, &r, &reply, &ch) == 0 && reply.revision == 6 && reply.succeeded);
    /* Two ops share a revision; events follow op order and carry their group's previous. */
    memset(&r, 0, sizeof r);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/registry/pods/ns/p1", "a", false);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/registry/pods/ns/p2", "b", false);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/registry/nodes/n1", "c", false);
    assert(s_txn(&db, &r, &reply, &ch) == 0 && reply.revision == 7 && ch.events.n == 3);
    ev = ch.events.v;
    assert(ev[0].group_prev == 0 && ev[1].group_prev == 0 && ev[2].group_prev == 0);
    assert(s_set(&db, "/registry/pods/ns/p1", "d") == 8);
    memset(&r, 0, sizeof r);
    s_op(&r, 0, STORE_OP_TYPE_DELETE, "/registry/pods/ns/p2", NULL, false);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/registry/nodes/n1", "e", false);
    assert(s_txn(&db, &r, &reply, &ch) == 0 && reply.revision == 9 && ch.events.n == 2);
    ev = ch.events.v;
    assert(ev[0].group_prev == 8 && ev[1].group_prev == 7 && ev[0].prev && ev[1].prev);
    assert(ev[1].kv->version == 2 && ev[1].kv->create_revision == 7);
    assert(store_kv_group_len("/registry/pods/ns/p1", 20) == 15);
    assert(store_kv_group_len("/a", 2) == 2);
    assert(s_stats(&db).groups == 4); /* "/a", "/b", pods, nodes */
    s_close(&db);
}

static void s_compares(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/k", "v1");              /* rev 2 */
    s_set(&db, "/other", "x");           /* rev 3 */
    assert(s_set(&db, "/k", "v2") == 4); /* /k: create 2, mod 4, version 2 */
    struct {
        const char *key;
        uint32_t target, op;
        uint64_t value;
        bool holds;
    } cases[] = {
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_EQ, 4, true},
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_EQ, 3, false},
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_NE, 3, true},
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_LT, 5, true},
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_LT, 4, false},
        {"/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_GT, 3, true},
        {"/k", STORE_COMPARE_TARGET_CREATE, STORE_COMPARE_OP_EQ, 2, true},
        {"/k", STORE_COMPARE_TARGET_CREATE, STORE_COMPARE_OP_GT, 2, false},
        {"/k", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_EQ, 2, true},
        {"/k", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_NE, 2, false},
        {"/k", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_LT, 3, true},
        {"/k", STORE_COMPARE_TARGET_EXISTS, STORE_COMPARE_OP_EQ, 1, true},
        {"/k", STORE_COMPARE_TARGET_EXISTS, STORE_COMPARE_OP_EQ, 0, false},
        {"/none", STORE_COMPARE_TARGET_EXISTS, STORE_COMPARE_OP_EQ, 0, true},
        {"/none", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_EQ, 0, true},
        {"/none", STORE_COMPARE_TARGET_CREATE, STORE_COMPARE_OP_EQ, 0, true},
        {"/none", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_GT, 0, false},
        {"/none", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_LT, 1, true},
    };
    uint64_t rev = 4;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_req_t r = {0};
        s_cmp(&r, cases[i].key, cases[i].target, cases[i].op, cases[i].value);
        s_op(&r, 0, STORE_OP_TYPE_PUT, "/ok", "s", false);
        s_op(&r, 1, STORE_OP_TYPE_PUT, "/failed", "f", true);
        store_txn_reply_t reply;
        assert(s_txn(&db, &r, &reply, NULL) == 0);
        assert(reply.succeeded == cases[i].holds && reply.revision == ++rev);
        store_kv_t kv;
        assert(s_get(&db, cases[i].holds ? "/ok" : "/failed", 0, &kv) && kv.mod_revision == rev);
    }
    /* Several compares: all must hold. A failure branch's results are the failure ops'. */
    s_req_t r = {0};
    s_cmp(&r, "/k", STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_EQ, 4);
    s_cmp(&r, "/other", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_EQ, 7);
    s_op(&r, 0, STORE_OP_TYPE_DELETE, "/k", NULL, false);
    s_op(&r, 1, STORE_OP_TYPE_PUT, "/k", "v3", true);
    s_op(&r, 1, STORE_OP_TYPE_DELETE, "/none", NULL, false);
    store_txn_reply_t reply;
    assert(s_txn(&db, &r, &reply, NULL) == 0 && !reply.succeeded && reply.results.n == 2);
    store_op_result_t *res = reply.results.v;
    assert(s_value_is(res[0].prev, "v2") && res[1].deleted == 0 && reply.revision == ++rev);
    s_close(&db);
}

static void s_atomic(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/a", "1"); /* rev 2 */
    static char big[4000];
    memset(big, 'b', sizeof big - 1);
    s_set(&db, "/big", big); /* rev 3 */
    uint8_t before[32], after[32];
    s_digest(&db, before);
    char long_key[STORE_KV_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[0] = '/';
    long_key[STORE_KV_KEY_MAX + 1] = 0; /* 504 bytes */
    /* Each request is refused before anything is written: the txn commits unchanged. */
    for (int i = 0; i < 6; i++) {
        s_req_t r = {0};
        s_op(&r, 0, STORE_OP_TYPE_PUT, "/b", "new", false);
        s_op(&r, 0, STORE_OP_TYPE_DELETE, "/a", NULL, false);
        switch (i) {
        case 0: s_op(&r, 0, STORE_OP_TYPE_PUT, long_key, "x", false); break;
        case 1: s_op(&r, 0, STORE_OP_TYPE_PUT, "/b", "again", false); break;
        case 2: s_op(&r, 1, STORE_OP_TYPE_PUT, "", "x", false); break;
        case 3: s_cmp(&r, long_key, STORE_COMPARE_TARGET_MOD, STORE_COMPARE_OP_EQ, 0); break;
        case 4: s_cmp(&r, "/a", 9, STORE_COMPARE_OP_EQ, 0); break;
        case 5: r.ops[0][0].type = 7; break;
        }
        store_txn_request_t req = s_build(&r);
        store_txn_reply_t reply;
        MDB_txn *txn = s_begin(&db, true);
        int rc = store_kv_txn(db.kv, txn, &req, db.arena, &reply, NULL, db.err, sizeof db.err);
        assert(rc == BUS_EINVALID);
        if (i == 0) assert(strstr(db.err, "504 bytes") && strstr(db.err, "503"));
        if (i == 1) assert(strstr(db.err, "twice") || strstr(db.err, "once"));
        assert(mdb_txn_commit(txn) == 0);
    }
    /* An arena too small for the prev values: refused before anything is written. */
    bus_arena_t *tiny = bus_arena_new(1024);
    s_req_t small = {0};
    s_op(&small, 0, STORE_OP_TYPE_PUT, "/new", "x", false);
    s_op(&small, 0, STORE_OP_TYPE_DELETE, "/big", NULL, true);
    store_txn_request_t req = s_build(&small);
    store_txn_reply_t tr;
    MDB_txn *txn = s_begin(&db, true);
    assert(store_kv_txn(db.kv, txn, &req, tiny, &tr, NULL, db.err, sizeof db.err) == BUS_ETOOBIG);
    assert(strstr(db.err, "/big") && mdb_txn_commit(txn) == 0);
    bus_arena_destroy(&tiny);
    s_digest(&db, after);
    assert(memcmp(before, after, 32) == 0 && s_stats(&db).revision == 3);
    store_kv_t kv;
    assert(strcmp(s_get(&db, "/b", 0, &kv), "") == 0 && strcmp(s_get(&db, "/a", 0, &kv), "1") == 0);
    /* The failure branch runs as a whole when a compare fails. */
    s_req_t r = {0};
    s_cmp(&r, "/a", STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_EQ, 5);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/s1", "x", false);
    s_op(&r, 1, STORE_OP_TYPE_PUT, "/f1", "y", false);
    s_op(&r, 1, STORE_OP_TYPE_PUT, "/f2", "z", false);
    store_txn_reply_t reply;
    assert(s_txn(&db, &r, &reply, NULL) == 0 && !reply.succeeded && reply.revision == 4);
    assert(strcmp(s_get(&db, "/s1", 0, &kv), "") == 0);
    assert(strcmp(s_get(&db, "/f1", 0, &kv), "y") == 0 && kv.mod_revision == 4);
    assert(strcmp(s_get(&db, "/f2", 0, &kv), "z") == 0 && kv.mod_revision == 4);
    s_close(&db);
}

/* Keys /r/000 ... /r/099 at revisions 2..101, then every third deleted and every fifth updated. */
static uint64_t s_fill(s_db_t *db)
{
    char key[32], value[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "/r/%03d", i);
        snprintf(value, sizeof value, "v%d", i);
        s_set(db, key, value);
    }
    s_set(db, "/q", "before");
    s_set(db, "/s", "after");
    uint64_t rev = 0;
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "/r/%03d", i);
        snprintf(value, sizeof value, "w%d", i);
        if (i % 3 == 0)
            rev = s_set(db, key, NULL);
        else if (i % 5 == 0)
            rev = s_set(db, key, value);
    }
    return rev;
}

static void s_ranges(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    uint64_t rev = s_fill(&db);
    store_range_request_t req = {.key = "/r/", .prefix = true};
    store_range_reply_t reply;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 66 && reply.count == 66);
    assert(!reply.more && reply.header->revision == rev);
    store_kv_t *kvs = reply.kvs.v;
    for (size_t i = 1; i < reply.kvs.n; i++) assert(strcmp(kvs[i - 1].key, kvs[i].key) < 0);
    assert(strcmp(kvs[0].key, "/r/001") == 0 && s_value_is(&kvs[0], "v1"));
    assert(strcmp(kvs[3].key, "/r/005") == 0 && s_value_is(&kvs[3], "w5"));
    /* [key, end) and the past: at revision 101 every key was there with its first value. */
    req = (store_range_request_t){.key = "/r/010", .end = "/r/020", .revision = 101};
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 10 && reply.count == 10);
    kvs = reply.kvs.v;
    assert(strcmp(kvs[0].key, "/r/010") == 0 && s_value_is(&kvs[0], "v10"));
    req.end = "/r/0100"; /* a key past /r/010's versions, before /r/011 */
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 1);
    req = (store_range_request_t){.key = "", .prefix = true, .count_only = true};
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 0 && reply.count == 68);
    assert(!reply.more);
    req = (store_range_request_t){.key = "/r/", .prefix = true, .keys_only = true, .limit = 3};
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 3 && reply.more);
    kvs = reply.kvs.v;
    assert(reply.count == 66 && kvs[0].value.len == 0 && kvs[0].version == 1);
    /* Paging at a past revision stays consistent while writes go on between pages. */
    uint64_t at = 101;
    char after[32] = "";
    size_t seen = 0, remaining = 100;
    for (int page = 0;; page++) {
        req = (store_range_request_t){
            .key = "/r/", .prefix = true, .revision = at, .limit = 7, .after = after};
        assert(s_range(&db, &req, &reply) == 0 && reply.header->revision == at);
        assert(reply.count == remaining);
        kvs = reply.kvs.v;
        for (size_t i = 0; i < reply.kvs.n; i++) {
            char want[32];
            snprintf(want, sizeof want, "/r/%03zu", seen++);
            assert(strcmp(kvs[i].key, want) == 0 && kvs[i].mod_revision <= at);
        }
        remaining -= reply.kvs.n;
        if (!reply.more) break;
        snprintf(after, sizeof after, "%s", kvs[reply.kvs.n - 1].key);
        char key[32];
        snprintf(key, sizeof key, "/r/%03d", 99 - page);
        s_set(&db, key, page % 2 ? NULL : "later"); /* ahead of and behind the cursor */
        s_set(&db, "/r/050a", "new key");
    }
    assert(seen == 100 && remaining == 0);
    /* A revision below the compacted one is gone; one ahead is refused. */
    assert(s_compact(&db, 50, 1000) >= 1);
    req = (store_range_request_t){.key = "/r/", .prefix = true, .revision = 49};
    assert(s_range(&db, &req, &reply) == BUS_EGONE && strstr(db.err, "compacted"));
    req.revision = 50;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 49);
    req.revision = 1000;
    assert(s_range(&db, &req, &reply) == BUS_EUNAVAILABLE);
    s_close(&db);
}

static void s_reply_limit(void)
{
    /* A reply is cut at reply_bytes_max, but always holds one kv. */
    store_kv_limits_t limits = {.reply_bytes_max = 1000};
    s_db_t db;
    s_open(&db, 0, &limits);
    char value[700];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = 0;
    s_set(&db, "/big/1", value);
    s_set(&db, "/big/2", value);
    s_set(&db, "/big/3", "small");
    store_range_request_t req = {.key = "/big/", .prefix = true};
    store_range_reply_t reply;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 1 && reply.more && reply.count == 3);
    req.keys_only = true;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 3 && !reply.more);
    store_watch_reply_t wr;
    assert(s_events(&db, "/big/", 0, 0, false, &wr) == 0 && wr.events.n == 1 && wr.more);
    s_close(&db);
    /* Counting stops count_scan_max keys past the page: count is then a lower bound. */
    limits = (store_kv_limits_t){.count_scan_max = 2};
    s_open(&db, 0, &limits);
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof key, "/c/%d", i);
        s_set(&db, key, "x");
    }
    req = (store_range_request_t){.key = "/c/", .prefix = true, .limit = 1};
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 1 && reply.more && reply.count == 4);
    req.limit = 0;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 10 && reply.count == 10);
    s_close(&db);
}

static void s_history(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/w/a", "1");     /* 2 */
    s_set(&db, "/x/other", "o"); /* 3 */
    s_set(&db, "/w/a", "2");     /* 4 */
    s_set(&db, "/w/a", NULL);    /* 5 */
    s_req_t r = {0};
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/w/b", "b", false);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/w/a", "3", false);
    store_txn_reply_t tr;
    store_kv_changes_t ch;
    assert(s_txn(&db, &r, &tr, &ch) == 0 && tr.revision == 6 && ch.events.n == 2);
    uint64_t live_version = ((store_event_t *)ch.events.v)[1].kv->version; /* arena reset next */
    store_watch_reply_t reply;
    assert(s_events(&db, "/w/", 0, 0, true, &reply) == 0 && reply.events.n == 5 && !reply.more);
    store_event_t *ev = reply.events.v;
    uint64_t revs[] = {2, 4, 5, 6, 6};
    for (int i = 0; i < 5; i++) assert(ev[i].revision == revs[i] && ev[i].group_prev == 0);
    assert(ev[0].type == STORE_EVENT_TYPE_PUT && !ev[0].prev && s_value_is(ev[0].kv, "1"));
    assert(s_value_is(ev[1].prev, "1") && ev[1].kv->version == 2);
    assert(ev[2].type == STORE_EVENT_TYPE_DELETE && s_value_is(ev[2].prev, "2"));
    assert(ev[2].kv->mod_revision == 5 && ev[2].kv->create_revision == 0);
    assert(strcmp(ev[3].kv->key, "/w/b") == 0 && strcmp(ev[4].kv->key, "/w/a") == 0);
    assert(!ev[4].prev && ev[4].kv->create_revision == 6);
    /* The history's events are the ones the txn reported. */
    assert(live_version == ev[4].kv->version);
    /* Without prev_kv, no prev. From revision 5 on: three. */
    assert(s_events(&db, "/w/", 5, 0, false, &reply) == 0 && reply.events.n == 3);
    ev = reply.events.v;
    assert(!ev[0].prev && ev[0].revision == 5 && reply.header->revision == 6);
    /* max cuts between revisions, never inside one. */
    assert(s_events(&db, "", 0, 1, false, &reply) == 0 && reply.events.n == 1 && reply.more);
    assert(s_events(&db, "", 5, 2, false, &reply) == 0 && reply.events.n == 3 && !reply.more);
    assert(s_events(&db, "", 4, 2, false, &reply) == 0 && reply.events.n == 2 && reply.more);
    assert(s_events(&db, "", 7, 0, false, &reply) == 0 && reply.events.n == 0 && !reply.more);
    /* Compacted history answers gone. */
    assert(s_compact(&db, 4, 1) > 1);
    assert(s_events(&db, "/w/", 4, 0, false, &reply) == BUS_EGONE && strstr(db.err, "4"));
    assert(s_events(&db, "/w/", 5, 0, true, &reply) == 0 && reply.events.n == 3);
    ev = reply.events.v;
    assert(s_value_is(ev[0].prev, "2")); /* the version kept at the compacted revision */
    s_close(&db);
}

static void s_compaction(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_fill(&db); /* revisions 2..150 */
    store_kv_stats_t st = s_stats(&db);
    assert(st.revision == 150 && st.versions == 149 && st.history == 149 && !st.compacting);
    uint8_t d0[32], d1[32];
    s_digest(&db, d0);
    /* Compaction at 101: every key keeps its one version; nothing else goes. */
    MDB_txn *txn = s_begin(&db, true);
    bool done;
    assert(store_kv_compact(db.kv, txn, 500, 10, &done, db.err, sizeof db.err) == BUS_EINVALID);
    assert(store_kv_compact(db.kv, txn, 101, 0, &done, db.err, sizeof db.err) == 0 && !done);
    assert(mdb_txn_commit(txn) == 0);
    st = s_stats(&db);
    assert(st.compacted == 101 && st.compacting);
    /* Reads below the target are gone already; at or above it they still work. */
    store_kv_t kv;
    assert(s_get(&db, "/r/000", 100, &kv) == NULL && strstr(db.err, "compacted"));
    assert(strcmp(s_get(&db, "/r/000", 101, &kv), "v0") == 0);
    assert(s_compact(&db, 0, 7) == 15); /* 100 entries, 7 at a time, the last call finds none */
    st = s_stats(&db);
    assert(!st.compacting && st.versions == 149 && st.history == 149); /* one value each */
    /* Compaction at the end: deleted keys vanish, updated keys keep their last version. */
    assert(s_compact(&db, 150, 1000) == 1);
    st = s_stats(&db);
    assert(st.versions == 68 && st.history == 68 && st.compacted == 150);
    s_digest(&db, d1);
    assert(memcmp(d0, d1, 32) != 0); /* the compacted revision is part of it */
    assert(strcmp(s_get(&db, "/r/005", 0, &kv), "w5") == 0 && kv.version == 2);
    assert(kv.create_revision == 7 && kv.mod_revision > 101);
    assert(strcmp(s_get(&db, "/r/003", 0, &kv), "") == 0);
    /* Later changes build on what was kept, and compact again. */
    s_set(&db, "/r/005", "x5");
    assert(strcmp(s_get(&db, "/r/005", 0, &kv), "x5") == 0 && kv.version == 3);
    s_set(&db, "/r/001", NULL);
    assert(s_compact(&db, 152, 1) == 2); /* the second finds nothing left after its step */
    st = s_stats(&db);
    assert(st.versions == 67 && st.history == 67);
    assert(s_compact(&db, 100, 5) == 1); /* below the recorded one: nothing to do */
    s_close(&db);
}

static const char *const s_kept_keys[] = {"/k/a", "/k/b", "/k/c", "/k/d", "/k/gone"};

/* Each of s_kept_keys reads as want[i] at rev ("" for absent). */
static void s_kept_are(s_db_t *db, uint64_t rev, const char *const want[5])
{
    for (int i = 0; i < 5; i++) {
        store_kv_t kv;
        const char *v = s_get(db, s_kept_keys[i], rev, &kv);
        assert(v && strcmp(v, want[i]) == 0);
    }
}

/* Compaction keeps the value of each key's version at the compacted revision, after every step,
 * and deletes the values of the versions it removes. (A compaction that dropped the kv.revs
 * records of the versions it keeps would lose exactly those values.) */
static void s_compaction_values(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/k/a", "a1");    /* 2 */
    s_set(&db, "/k/b", "b1");    /* 3 */
    s_set(&db, "/k/b", "b2");    /* 4 */
    s_set(&db, "/k/gone", "g");  /* 5 */
    s_set(&db, "/k/gone", NULL); /* 6 */
    s_set(&db, "/k/c", "c1");    /* 7 */
    s_set(&db, "/k/c", NULL);    /* 8 */
    s_req_t r = {0};             /* 9: /k/d's kept version is its revision's second change */
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/k/c", "c2", false);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/k/d", "d1", false);
    store_txn_reply_t reply;
    assert(s_txn(&db, &r, &reply, NULL) == 0 && reply.revision == 9);
    assert(s_set(&db, "/k/a", "a2") == 10);
    const char *const at9[] = {"a1", "b2", "c2", "d1", ""};
    /* To 9, one change per call: nine calls, the last seeing revision 10 after its change. */
    bool done = false;
    int calls = 0;
    while (!done) {
        MDB_txn *txn = s_begin(&db, true);
        assert(store_kv_compact(db.kv, txn, 9, 1, &done, db.err, sizeof db.err) == 0);
        assert(mdb_txn_commit(txn) == 0);
        assert(++calls <= 9); /* each call moves on */
        s_kept_are(&db, 9, at9);
        store_kv_stats_t st = s_stats(&db);
        assert(st.versions == st.history && st.compacting == !done);
    }
    assert(calls == 9);
    /* Left: /k/a at 2 and 10, /k/b at 4, /k/c and /k/d at 9. */
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == 5 && st.history == 5);
    store_kv_t kv;
    assert(strcmp(s_get(&db, "/k/a", 0, &kv), "a2") == 0);
    assert(strcmp(s_get(&db, "/k/d", 9, &kv), "d1") == 0 && kv.create_revision == 9);
    /* The kept version is the prev of the change after it; the kept records are no events. */
    store_watch_reply_t wr;
    assert(s_events(&db, "", 10, 0, true, &wr) == 0 && wr.events.n == 1);
    store_event_t *ev = wr.events.v;
    assert(s_value_is(ev[0].kv, "a2") && s_value_is(ev[0].prev, "a1"));
    assert(ev[0].prev->mod_revision == 2);
    assert(s_events(&db, "", 9, 0, true, &wr) == BUS_EGONE);
    /* Past /k/a's next change its old value goes, and nothing else. */
    assert(s_compact(&db, 10, 1) == 1);
    st = s_stats(&db);
    assert(st.versions == 4 && st.history == 4);
    s_kept_are(&db, 10, (const char *const[]){"a2", "b2", "c2", "d1", ""});
    /* A kept version superseded later goes with its value at the next compaction; /k/c's kept
     * record shares its revision with /k/d's, which goes. */
    s_set(&db, "/k/b", NULL); /* 11 */
    s_set(&db, "/k/d", "d2"); /* 12 */
    assert(s_compact(&db, 12, 1) == 2);
    st = s_stats(&db);
    assert(st.versions == 3 && st.history == 3); /* /k/a at 10, /k/c at 9, /k/d at 12 */
    s_kept_are(&db, 12, (const char *const[]){"a2", "", "c2", "d2", ""});
    assert(strcmp(s_get(&db, "/k/d", 0, &kv), "d2") == 0 && kv.version == 2);
    s_close(&db);
}

/* A keyspace written in another format is refused with a clear error, never misread. */
static void s_format(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/a", "1");
    for (uint8_t format = 1; format <= 2; format++) { /* as the earlier formats wrote it */
        MDB_txn *txn = s_begin(&db, true);
        MDB_dbi meta;
        assert(mdb_dbi_open(txn, "kv.meta", 0, &meta) == 0);
        uint8_t v[8] = {0, 0, 0, 0, 0, 0, 0, format};
        MDB_val k = {1, "v"}, d = {8, v};
        assert(mdb_put(txn, meta, &k, &d, 0) == 0);
        store_kv_space_t *kv;
        assert(store_kv_open(txn, NULL, &kv, db.err, sizeof db.err) == BUS_ECONFIG && !kv);
        assert(strstr(db.err, format == 1 ? "format 1" : "format 2") && strstr(db.err, "format 3"));
        mdb_txn_abort(txn);
    }
    s_close(&db);
}

/* --- values of every size ------------------------------------------------------------------ */

/* Byte i of the value of len bytes written in pass: every (len, pass) gives other bytes. */
static uint8_t s_pattern(size_t i, size_t len, unsigned pass)
{
    return (uint8_t)(i * 131 + (i >> 9) + pass * 29 + len);
}

static uint8_t *s_pattern_new(size_t len, unsigned pass)
{
    uint8_t *v = malloc(len ? len : 1);
    assert(v);
    for (size_t i = 0; i < len; i++) v[i] = s_pattern(i, len, pass);
    return v;
}

static bool s_pattern_is(const store_kv_t *kv, size_t len, unsigned pass)
{
    if (!kv || kv->value.len != len) return false;
    for (size_t i = 0; i < len; i++)
        if (kv->value.data[i] != s_pattern(i, len, pass)) return false;
    return true;
}

#define S_SIZES 8
static const size_t s_sizes[S_SIZES] = {0, 1, 255, 2000, 4096, 70000, 1536 * 1024, 16000000};

/* Puts every key with its pass's value in one txn (revision rev); checks the prev values. */
static void s_values_put(s_db_t *db, char keys[S_SIZES][16], unsigned pass, uint64_t rev)
{
    s_req_t r = {0};
    uint8_t *v[S_SIZES];
    for (int i = 0; i < S_SIZES; i++) {
        v[i] = s_pattern_new(s_sizes[i], pass);
        r.ops[0][r.nops[0]++] = (store_op_t){STORE_OP_TYPE_PUT, keys[i], {v[i], s_sizes[i]}, true};
    }
    store_txn_reply_t reply;
    store_kv_changes_t ch;
    assert(s_txn(db, &r, &reply, &ch) == 0 && reply.revision == rev && ch.events.n == S_SIZES);
    const store_op_result_t *res = reply.results.v;
    const store_event_t *ev = ch.events.v;
    for (int i = 0; i < S_SIZES; i++) {
        assert(pass == 1 ? !res[i].prev : s_pattern_is(res[i].prev, s_sizes[i], pass - 1));
        assert(s_pattern_is(ev[i].kv, s_sizes[i], pass));
        free(v[i]);
    }
}

/* Lists the keys at rev in pages cut at reply_bytes_max; each value must be pass's. */
static void s_values_list(s_db_t *db, char keys[S_SIZES][16], uint64_t rev, unsigned pass)
{
    char after[16] = "";
    int seen = 0;
    for (;;) {
        store_range_request_t req = {.key = "/v/", .prefix = true, .revision = rev, .after = after};
        store_range_reply_t reply;
        assert(s_range(db, &req, &reply) == 0 && reply.count == (uint64_t)(S_SIZES - seen));
        const store_kv_t *kvs = reply.kvs.v;
        for (size_t i = 0; i < reply.kvs.n; i++, seen++) {
            assert(strcmp(kvs[i].key, keys[seen]) == 0);
            assert(s_pattern_is(&kvs[i], s_sizes[seen], pass));
        }
        if (!reply.more) break;
        snprintf(after, sizeof after, "%s", kvs[reply.kvs.n - 1].key);
    }
    assert(seen == S_SIZES);
}

/* Values from empty to the schema's largest, read back whole from every path: get, listings,
 * txn prev, events with prev, before and after compaction. */
static void s_values(void)
{
    store_kv_limits_t limits = {.value_max = 16000000};
    s_db_t db;
    s_open(&db, 0, &limits);
    char keys[S_SIZES][16];
    for (int i = 0; i < S_SIZES; i++) snprintf(keys[i], sizeof keys[i], "/v/%d", i);
    s_values_put(&db, keys, 1, 2);
    s_values_put(&db, keys, 2, 3);
    for (int i = 0; i < S_SIZES; i++) {
        store_range_request_t req = {.key = keys[i], .revision = 2};
        store_range_reply_t reply;
        assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 1);
        assert(s_pattern_is(reply.kvs.v, s_sizes[i], 1));
    }
    s_values_list(&db, keys, 2, 1);
    s_values_list(&db, keys, 0, 2);
    /* Events: revision 2 may be cut from 3 (the reply's byte limit), never split. */
    size_t seen = 0;
    for (uint64_t from = 2; from <= 3;) {
        store_watch_reply_t wr;
        assert(s_events(&db, "/v/", from, 0, true, &wr) == 0 && wr.events.n == S_SIZES);
        const store_event_t *ev = wr.events.v;
        for (size_t i = 0; i < wr.events.n; i++, seen++) {
            unsigned pass = (unsigned)ev[i].revision - 1;
            assert(s_pattern_is(ev[i].kv, s_sizes[i], pass));
            assert(pass == 1 ? !ev[i].prev : s_pattern_is(ev[i].prev, s_sizes[i], 1));
        }
        from = ev[wr.events.n - 1].revision + 1;
    }
    assert(seen == 2 * S_SIZES);
    /* One byte over the limit is refused. */
    s_req_t r = {0};
    uint8_t *big = s_pattern_new(16000001, 3);
    r.ops[0][r.nops[0]++] = (store_op_t){STORE_OP_TYPE_PUT, keys[0], {big, 16000001}, false};
    store_txn_reply_t reply;
    assert(s_txn(&db, &r, &reply, NULL) == BUS_ETOOBIG);
    free(big);
    /* Odd keys deleted, then compacted away: the rest keep pass 2's values. */
    for (int i = 1; i < S_SIZES; i += 2) s_set(&db, keys[i], NULL);
    uint64_t rev = s_stats(&db).revision;
    assert(s_compact(&db, rev, 3) > 1);
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == S_SIZES / 2 && st.history == S_SIZES / 2);
    for (int i = 0; i < S_SIZES; i += 2) {
        store_range_request_t req = {.key = keys[i], .revision = rev};
        store_range_reply_t rr;
        assert(s_range(&db, &req, &rr) == 0 && rr.kvs.n == 1);
        assert(s_pattern_is(rr.kvs.v, s_sizes[i], 2));
    }
    s_close(&db);
}

static void s_limits(void)
{
    store_kv_limits_t limits = {.value_max = 1000};
    s_db_t db;
    s_open(&db, 0, &limits);
    char key[STORE_KV_KEY_MAX + 1];
    memset(key, 'k', STORE_KV_KEY_MAX);
    key[0] = '/';
    key[STORE_KV_KEY_MAX] = 0;
    char value[1002];
    memset(value, 'v', 1001);
    value[1001] = 0;
    s_req_t r = {0};
    s_op(&r, 0, STORE_OP_TYPE_PUT, key, value, false);
    store_txn_reply_t reply;
    assert(s_txn(&db, &r, &reply, NULL) == BUS_ETOOBIG && strstr(db.err, "1001 bytes"));
    value[1000] = 0;
    assert(s_set(&db, key, value) == 2); /* the longest key and the largest value */
    store_kv_t kv;
    assert(strlen(s_get(&db, key, 0, &kv)) == 1000);
    store_range_request_t req = {.key = "/", .prefix = true};
    store_range_reply_t rr;
    assert(s_range(&db, &req, &rr) == 0 && rr.kvs.n == 1);
    char err[64];
    store_kv_space_t *kv2;
    MDB_txn *txn = s_begin(&db, true);
    store_kv_limits_t bad = {.value_max = 17000000};
    assert(store_kv_open(txn, &bad, &kv2, err, sizeof err) == BUS_EINVALID && !kv2);
    mdb_txn_abort(txn);
    store_kv_destroy(NULL);
    s_close(&db);
}

static void s_map_full(void)
{
    s_db_t db;
    s_open(&db, 256 * 1024, NULL); /* 64 pages */
    s_set(&db, "/keep", "kept");
    char value[1024];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = 0;
    MDB_txn *txn = s_begin(&db, true);
    int rc = 0;
    for (int i = 0; i < 10000 && !rc; i++) {
        char key[32];
        snprintf(key, sizeof key, "/fill/%05d", i);
        s_req_t r = {0};
        s_op(&r, 0, STORE_OP_TYPE_PUT, key, value, false);
        store_txn_request_t req = s_build(&r);
        store_txn_reply_t reply;
        bus_arena_reset(db.arena);
        rc = store_kv_txn(db.kv, txn, &req, db.arena, &reply, NULL, db.err, sizeof db.err);
    }
    assert(rc == BUS_EUNAVAILABLE && strstr(db.err, "MDB_MAP_FULL"));
    mdb_txn_abort(txn);
    /* Nothing of the failed txn remains, and the store goes on. */
    store_kv_t kv;
    assert(strcmp(s_get(&db, "/keep", 0, &kv), "kept") == 0 && s_stats(&db).revision == 2);
    assert(strcmp(s_get(&db, "/fill/00000", 0, &kv), "") == 0);
    assert(s_set(&db, "/after", "ok") == 3);
    /* The failed txn's versions took revisions 3 and up: none of them is read now that 3 is. */
    assert(strcmp(s_get(&db, "/fill/00000", 0, &kv), "") == 0);
    store_range_request_t req = {.key = "/", .prefix = true};
    store_range_reply_t reply;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 2 && reply.count == 2);
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == 2 && st.history == 2);
    s_close(&db);
}

/* --- determinism --------------------------------------------------------------------------- */

static uint64_t s_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Feeds a random sequence of txns and compactions to db. */
static void s_feed(s_db_t *db, uint64_t seed, int n)
{
    for (int i = 0; i < n; i++) {
        s_req_t r = {0};
        char keys[4][32], values[4][32];
        int nops = 1 + (int)(s_rand(&seed) % 4);
        for (int j = 0; j < nops; j++) {
            snprintf(keys[j], sizeof keys[j], "/registry/g%d/k%d", j, (int)(s_rand(&seed) % 20));
            snprintf(values[j], sizeof values[j], "v%" PRIu64, s_rand(&seed));
            bool del = s_rand(&seed) % 4 == 0;
            s_op(&r, 0, del ? STORE_OP_TYPE_DELETE : STORE_OP_TYPE_PUT, keys[j], values[j], true);
        }
        if (s_rand(&seed) % 3 == 0)
            s_cmp(&r, keys[0], STORE_COMPARE_TARGET_VERSION, STORE_COMPARE_OP_LT, 3);
        store_txn_reply_t reply;
        assert(s_txn(db, &r, &reply, NULL) == 0);
        if (i % 50 == 49) s_compact(db, reply.revision - 20, 5);
    }
}

static void s_determinism(void)
{
    s_db_t a, b, c;
    s_open(&a, 0, NULL);
    s_open(&b, 0, NULL);
    s_open(&c, 0, NULL);
    s_feed(&a, 42, 300);
    s_feed(&b, 42, 300);
    s_feed(&c, 43, 300);
    uint8_t da[32], db_[32], dc[32];
    s_digest(&a, da);
    s_digest(&b, db_);
    s_digest(&c, dc);
    assert(memcmp(da, db_, 32) == 0 && memcmp(da, dc, 32) != 0);
    /* Compaction progress does not change the digest; content does. */
    assert(s_compact(&b, s_stats(&b).revision, 1000) >= 1);
    s_digest(&b, db_);
    assert(memcmp(da, db_, 32) != 0); /* the compacted revision moved */
    MDB_txn *txn = s_begin(&a, true);
    bool done;
    assert(store_kv_compact(a.kv, txn, s_stats(&a).revision, 1, &done, a.err, sizeof a.err) == 0);
    assert(mdb_txn_commit(txn) == 0 && !done && s_stats(&a).compacting);
    s_digest(&a, da);
    assert(memcmp(da, db_, 32) == 0);
    s_set(&a, "/registry/g0/k0", "different");
    s_digest(&a, da);
    assert(memcmp(da, db_, 32) != 0);
    s_close(&a);
    s_close(&b);
    s_close(&c);
}

/* Compaction's progress lives in LMDB alone: an aborted call changes nothing, and a keyspace
 * closed and opened again part way goes on where it stopped, to the state of a single pass. */
static void s_compaction_restart(void)
{
    s_db_t a, b;
    s_open(&a, 0, NULL);
    s_open(&b, 0, NULL);
    s_feed(&a, 77, 180); /* last compacted 30 txns before the end */
    s_feed(&b, 77, 180);
    uint64_t target = s_stats(&a).revision - 5;
    uint8_t da[32], db_[32];
    s_digest(&a, da);
    store_kv_stats_t before = s_stats(&a);
    MDB_txn *txn = s_begin(&a, true);
    bool done;
    assert(store_kv_compact(a.kv, txn, target, 3, &done, a.err, sizeof a.err) == 0 && !done);
    mdb_txn_abort(txn); /* a crash before the commit */
    store_kv_stats_t st = s_stats(&a);
    assert(st.compacted == before.compacted && st.versions == before.versions);
    s_digest(&a, db_);
    assert(memcmp(da, db_, 32) == 0);
    for (int i = 0; i < 5; i++) {
        txn = s_begin(&a, true);
        assert(store_kv_compact(a.kv, txn, target, 3, &done, a.err, sizeof a.err) == 0);
        assert(mdb_txn_commit(txn) == 0 && !done);
    }
    s_reopen(&a);
    st = s_stats(&a);
    assert(st.compacting && st.compacted == target && st.versions == st.history);
    assert(st.versions < before.versions);
    assert(s_compact(&a, 0, 3) > 1);
    assert(s_compact(&b, target, 100000) == 1);
    st = s_stats(&a);
    store_kv_stats_t sb = s_stats(&b);
    assert(!st.compacting && !sb.compacting && st.compacted == sb.compacted);
    assert(st.versions == sb.versions && st.history == sb.history && st.versions == st.history);
    s_digest(&a, da);
    s_digest(&b, db_);
    assert(memcmp(da, db_, 32) == 0);
    /* The same content at the compacted revision, values included. */
    store_range_request_t req = {.key = "", .prefix = true, .revision = target};
    store_range_reply_t ra, rb;
    assert(s_range(&a, &req, &ra) == 0 && s_range(&b, &req, &rb) == 0);
    assert(ra.kvs.n == rb.kvs.n && ra.kvs.n > 0 && ra.count == rb.count);
    for (size_t i = 0; i < ra.kvs.n; i++) {
        const store_kv_t *ka = &((store_kv_t *)ra.kvs.v)[i], *kb = &((store_kv_t *)rb.kvs.v)[i];
        assert(strcmp(ka->key, kb->key) == 0 && ka->mod_revision == kb->mod_revision);
        assert(ka->value.len == kb->value.len && ka->value.len > 0);
        assert(memcmp(ka->value.data, kb->value.data, ka->value.len) == 0);
    }
    s_close(&a);
    s_close(&b);
}

/* --- the index ----------------------------------------------------------------------------- */

#define S_MAP_KEYS 400 /* keys of 1 to 5 bytes over "ab/": 363 of them */

typedef struct {
    char key[8];
    size_t len;
    uint64_t value;
} s_map_entry_t;

static int s_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* The first of the n sorted entries at or above key. */
static size_t s_map_lower(const s_map_entry_t *m, size_t n, const char *key, size_t len)
{
    size_t i = 0;
    while (i < n && s_bytes_cmp(m[i].key, m[i].len, key, len) < 0) i++;
    return i;
}

/* Walks the map from key to its end; it must meet exactly the model's entries from there. */
static void s_map_walk_is(store_kv_map_t *map, const s_map_entry_t *m, size_t n, const char *key,
                          size_t len)
{
    size_t i = s_map_lower(m, n, key, len);
    for (const uint64_t *rec = store_kv_map_seek(map, key, len); rec;
         rec = store_kv_map_next(map, rec), i++) {
        size_t klen;
        const char *k = store_kv_map_key(map, rec, &klen);
        assert(i < n && klen == m[i].len && memcmp(k, m[i].key, klen) == 0 && *rec == m[i].value);
    }
    assert(i == n);
}

/* The ordered map against a sorted array: random puts, deletes and lookups of keys that prefix
 * one another, and walks in order from keys present and absent; then a large map in order. */
static void s_map(void)
{
    uint64_t seed = 99;
    store_kv_map_t *map = store_kv_map_new(sizeof(uint64_t), 5);
    static s_map_entry_t m[S_MAP_KEYS];
    size_t n = 0;
    for (uint64_t step = 1; step <= 30000; step++) {
        char key[8];
        size_t len = 1 + s_rand(&seed) % 5;
        for (size_t i = 0; i < len; i++) key[i] = "ab/"[s_rand(&seed) % 3];
        size_t i = s_map_lower(m, n, key, len);
        bool have = i < n && m[i].len == len && memcmp(m[i].key, key, len) == 0;
        int op = (int)(s_rand(&seed) % 3);
        if (op == 0) {
            bool created;
            uint64_t *rec = store_kv_map_put(map, key, len, &created);
            assert(created == !have && (have || *rec == 0));
            *rec = step;
            if (!have) {
                assert(n < S_MAP_KEYS);
                memmove(&m[i + 1], &m[i], (n++ - i) * sizeof *m);
                memcpy(m[i].key, key, len);
                m[i].len = len;
            }
            m[i].value = step;
        } else if (op == 1) {
            assert(store_kv_map_del(map, key, len) == have);
            if (have) memmove(&m[i], &m[i + 1], (--n - i) * sizeof *m);
        } else {
            const uint64_t *rec = store_kv_map_get(map, key, len);
            assert(have ? rec && *rec == m[i].value : !rec);
            s_map_walk_is(map, m, n, key, len);
        }
        assert(store_kv_map_count(map) == n);
    }
    s_map_walk_is(map, m, n, "", 0);
    store_kv_map_destroy(&map);
    assert(!map);
    store_kv_map_destroy(NULL);
    /* 100000 keys put in a scrambled order come out sorted; every other one deleted. */
    map = store_kv_map_new(0, 1);
    for (uint32_t i = 0; i < 100000; i++) {
        char key[16];
        bool created;
        store_kv_map_put(
            map, key,
            (size_t)snprintf(key, sizeof key, "%08x", (unsigned)((uint64_t)i * 35761 % 100000)),
            &created);
        assert(created);
    }
    for (uint32_t i = 0; i < 100000; i += 2) {
        char key[16];
        assert(store_kv_map_del(map, key, (size_t)snprintf(key, sizeof key, "%08x", i)));
    }
    uint32_t want = 1;
    for (void *rec = store_kv_map_seek(map, "", 0); rec; rec = store_kv_map_next(map, rec)) {
        char key[16];
        size_t len;
        const char *k = store_kv_map_key(map, rec, &len);
        assert(len == 8 && memcmp(k, key, (size_t)snprintf(key, sizeof key, "%08x", want)) == 0);
        want += 2;
    }
    assert(want == 100001 && store_kv_map_count(map) == 50000);
    store_kv_map_destroy(&map);
}

static store_kv_ver_t s_iv(uint64_t mod, uint16_t sub, uint64_t create, uint64_t version)
{
    return (store_kv_ver_t){
        .mod = mod, .sub = sub, .create = create, .version = version, .live = create != 0};
}

/* One attempt of a transaction at revision 5 (LMDB numbers it 7): adds at 6, then compaction to
 * 5: (/a, 3) takes /a at 2, (/b, 5), a tombstone, takes /b at 4 and itself. */
static void s_index_txn(store_kv_index_t *ix)
{
    store_kv_index_sync(ix, 7, 5, (store_kv_pos_t){0, 0});
    store_kv_ver_t c6 = s_iv(6, 0, 6, 1), a6 = s_iv(6, 1, 2, 3), v;
    store_kv_index_add(ix, 7, "/c", 2, &c6);
    store_kv_index_add(ix, 7, "/a", 2, &a6);
    const store_kv_ver_t *gone;
    size_t n;
    assert(store_kv_index_compact(ix, 7, "/a", 2, (store_kv_pos_t){2, 0}, &gone, &n) == 0 && !n);
    assert(store_kv_index_compact(ix, 7, "/a", 2, (store_kv_pos_t){3, 0}, &gone, &n) == 0);
    assert(n == 1 && gone[0].mod == 2);
    assert(store_kv_index_compact(ix, 7, "/b", 2, (store_kv_pos_t){4, 0}, &gone, &n) == 0 && !n);
    assert(store_kv_index_compact(ix, 7, "/b", 2, (store_kv_pos_t){5, 0}, &gone, &n) == 0);
    assert(n == 2 && gone[0].mod == 4 && gone[1].mod == 5 && !gone[1].live);
    /* A step over a version gone already, or one the index lacks, is a disagreement. */
    assert(store_kv_index_compact(ix, 7, "/b", 2, (store_kv_pos_t){5, 0}, &gone, &n) == -1);
    assert(store_kv_index_compact(ix, 7, "/x", 2, (store_kv_pos_t){3, 0}, &gone, &n) == -1);
    /* Held: 6 versions. The transaction sees 3 of them (3 deleted); a reader of the last commit
     * sees the 4 it had, and reads them all. */
    assert(store_kv_index_held(ix) == 6);
    assert(store_kv_index_versions(ix, 6, (store_kv_pos_t){5, 1}) == 3);
    assert(store_kv_index_versions(ix, 5, (store_kv_pos_t){0, 0}) == 4);
    assert(store_kv_index_latest(ix, "/a", 2, 2, &v) && v.mod == 2);
    assert(store_kv_index_latest(ix, "/b", 2, 4, &v) && v.mod == 4 && v.live);
    assert(!store_kv_index_latest(ix, "/c", 2, 5, &v));
}

/* The index's bookkeeping on its own: loading, reads at revisions, an attempt undone at the next
 * write call, one committed, removals settled only once committed, an aborted step after
 * committed ones. */
static void s_index(void)
{
    store_kv_index_t *ix = store_kv_index_new();
    store_kv_ver_t a2 = s_iv(2, 0, 2, 1), a3 = s_iv(3, 0, 2, 2), b4 = s_iv(4, 0, 4, 1);
    store_kv_ver_t b5 = s_iv(5, 0, 0, 0), v;
    assert(store_kv_index_load(ix, "/a", 2, &a2) == 0 &&
           store_kv_index_load(ix, "/a", 2, &a3) == 0);
    assert(store_kv_index_load(ix, "/a", 2, &a2) == -1); /* not newer than /a's newest */
    assert(store_kv_index_load(ix, "/b", 2, &b4) == 0 &&
           store_kv_index_load(ix, "/b", 2, &b5) == 0);
    assert(!store_kv_index_latest(ix, "/a", 2, 1, &v) && !store_kv_index_latest(ix, "/", 1, 9, &v));
    assert(store_kv_index_latest(ix, "/a", 2, 2, &v) && v.mod == 2 && v.version == 1);
    assert(store_kv_index_latest(ix, "/a", 2, 9, &v) && v.mod == 3 && v.version == 2);
    assert(store_kv_index_latest(ix, "/b", 2, 5, &v) && !v.live && v.mod == 5);
    store_kv_index_item_t items[4];
    assert(store_kv_index_scan(ix, "", 0, 2, items, 4) == 2);
    assert(strcmp(items[0].key, "/a") == 0 && items[0].has && items[0].v.mod == 2);
    assert(strcmp(items[1].key, "/b") == 0 && !items[1].has);
    assert(store_kv_index_scan(ix, "/a\0", 3, 4, items, 4) == 1 && items[0].v.mod == 4);
    assert(store_kv_index_scan(ix, "/a", 2, 9, items, 1) == 1 && items[0].v.mod == 3);
    /* The first attempt aborts: the next write call (LMDB numbers the next write txn 7 again)
     * sees revision 5 and resume point 0, and the index is as it was. */
    s_index_txn(ix);
    store_kv_index_settle(ix, (store_kv_pos_t){0, 0}); /* nothing is committed: nothing goes */
    assert(store_kv_index_held(ix) == 6);
    store_kv_index_sync(ix, 7, 5, (store_kv_pos_t){0, 0});
    assert(store_kv_index_held(ix) == 4 &&
           store_kv_index_versions(ix, 5, (store_kv_pos_t){0, 0}) == 4);
    assert(store_kv_index_scan(ix, "", 0, 9, items, 4) == 2 && items[0].v.mod == 3);
    assert(!store_kv_index_latest(ix, "/c", 2, 9, &v));
    /* The second commits: the next transaction (8) sees 6 and (5, 1); nothing is undone. */
    s_index_txn(ix);
    store_kv_pos_t p6 = {5, 1};
    store_kv_index_sync(ix, 8, 6, p6);
    assert(store_kv_index_held(ix) == 6 && store_kv_index_versions(ix, 6, p6) == 3);
    /* Transaction 8 adds /a at 7 and steps over (/a, 6): /a at 3 goes. Meanwhile a reader of
     * commit 7 settles: the committed steps go, up to /a at 3's, which is not committed. */
    store_kv_ver_t a7 = s_iv(7, 0, 2, 4);
    store_kv_index_add(ix, 8, "/a", 2, &a7);
    const store_kv_ver_t *gone;
    size_t n;
    assert(store_kv_index_compact(ix, 8, "/a", 2, (store_kv_pos_t){6, 1}, &gone, &n) == 0);
    assert(n == 1 && gone[0].mod == 3);
    store_kv_index_settle(ix, (store_kv_pos_t){4, 0}); /* a snapshot where only (/a, 3) is done */
    assert(store_kv_index_held(ix) == 6);
    store_kv_index_settle(ix, p6);
    assert(store_kv_index_held(ix) == 4); /* /a at 3, 6, 7, /c at 6 */
    assert(store_kv_index_scan(ix, "", 0, 6, items, 4) == 2 && strcmp(items[1].key, "/c") == 0);
    assert(store_kv_index_latest(ix, "/a", 2, 5, &v) && v.mod == 3); /* marked, still read */
    /* Transaction 8 aborts: its add and its step are undone. */
    store_kv_index_sync(ix, 8, 6, p6);
    assert(store_kv_index_held(ix) == 3 && store_kv_index_versions(ix, 6, p6) == 3);
    assert(store_kv_index_latest(ix, "/a", 2, 9, &v) && v.mod == 6 && v.version == 3);
    assert(store_kv_index_compact(ix, 8, "/a", 2, (store_kv_pos_t){6, 1}, &gone, &n) == 0);
    assert(n == 1 && gone[0].mod == 3);
    store_kv_index_destroy(&ix);
    assert(!ix);
    store_kv_index_destroy(NULL);
}

/* --- the index in step with LMDB ----------------------------------------------------------- */

static uint64_t s_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t s_fnv_kv(uint64_t h, const store_kv_t *kv)
{
    if (!kv) return s_fnv(h, "-", 1);
    uint64_t nums[] = {kv->create_revision, kv->mod_revision, kv->version, kv->value.len};
    h = s_fnv(h, kv->key, strlen(kv->key) + 1);
    h = s_fnv(h, nums, sizeof nums);
    return s_fnv(h, kv->value.data, kv->value.len);
}

/* What a reader finds at rev: every live key with its numbers and value (an error: its code). */
static uint64_t s_state_at(s_db_t *db, uint64_t rev)
{
    store_range_request_t req = {.key = "", .prefix = true, .revision = rev};
    store_range_reply_t reply;
    int rc = s_range(db, &req, &reply);
    uint64_t h = s_fnv(0xcbf29ce484222325ull, &rc, sizeof rc);
    if (rc) return h;
    assert(!reply.more && reply.count == reply.kvs.n);
    for (size_t i = 0; i < reply.kvs.n; i++) h = s_fnv_kv(h, &((store_kv_t *)reply.kvs.v)[i]);
    return h;
}

/* The events from from on, with their previous versions. */
static uint64_t s_events_from(s_db_t *db, uint64_t from)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (;;) {
        store_watch_reply_t reply;
        int rc = s_events(db, "", from, 0, true, &reply);
        h = s_fnv(h, &rc, sizeof rc);
        if (rc) return h;
        const store_event_t *ev = reply.events.v;
        for (size_t i = 0; i < reply.events.n; i++) {
            h = s_fnv(h, &ev[i].type, sizeof ev[i].type);
            h = s_fnv_kv(s_fnv_kv(h, ev[i].kv), ev[i].prev);
        }
        if (!reply.more) return h;
        from = ev[reply.events.n - 1].revision + 1;
    }
}

/* Everything a keyspace answers: reads at every revision it serves and around, the history,
 * the digest, the counters. */
typedef struct {
    uint64_t at[512];
    uint64_t history;
    uint8_t digest[32];
    store_kv_stats_t stats;
} s_answers_t;

static void s_answers(s_db_t *db, s_answers_t *a)
{
    memset(a, 0, sizeof *a);
    a->stats = s_stats(db);
    assert(a->stats.versions == a->stats.history);
    uint64_t from = a->stats.compacted ? a->stats.compacted - 1 : 0;
    assert(a->stats.revision + 2 - from < 512);
    for (uint64_t rev = from; rev <= a->stats.revision + 1; rev++)
        a->at[rev - from] = s_state_at(db, rev);
    a->history = s_events_from(db, a->stats.compacted + 1);
    s_digest(db, a->digest);
}

static bool s_answers_eq(const s_answers_t *a, const s_answers_t *b)
{
    return memcmp(a->at, b->at, sizeof a->at) == 0 && a->history == b->history &&
           memcmp(a->digest, b->digest, 32) == 0 && a->stats.revision == b->stats.revision &&
           a->stats.compacted == b->stats.compacted && a->stats.versions == b->stats.versions &&
           a->stats.history == b->stats.history && a->stats.groups == b->stats.groups &&
           a->stats.compacting == b->stats.compacting;
}

/* Part of a compaction to rev, steps at a time in one txn, not settled; returns done. */
static bool s_compact_part(s_db_t *db, uint64_t rev, size_t steps)
{
    MDB_txn *txn = s_begin(db, true);
    bool done;
    assert(store_kv_compact(db->kv, txn, rev, steps, &done, db->err, sizeof db->err) == 0);
    assert(mdb_txn_commit(txn) == 0);
    return done;
}

/* The index built at open out of kv.revs answers as the one the writes built, at every revision,
 * with a compaction part way and its removals not settled; both then go on alike. */
static void s_rebuild(void)
{
    s_db_t a, b;
    s_open(&a, 0, NULL);
    s_open(&b, 0, NULL);
    s_feed(&a, 11, 240); /* the last compaction is 40 txns back */
    s_feed(&b, 11, 240);
    uint64_t target = s_stats(&a).revision - 40;
    assert(!s_compact_part(&a, target, 15) && !s_compact_part(&b, target, 15));
    s_answers_t before, after;
    s_answers(&a, &before);
    assert(before.stats.compacting && before.stats.compacted == target);
    s_reopen(&a);
    s_answers(&a, &after);
    assert(s_answers_eq(&before, &after));
    s_answers(&b, &after);
    assert(s_answers_eq(&before, &after));
    /* The same writes and the rest of the compaction, then a reopen of the other one. */
    s_feed(&a, 12, 120);
    s_feed(&b, 12, 120);
    s_compact_with(&a, 0, 7, false);
    s_compact_with(&b, 0, 7, true);
    s_answers(&a, &before);
    s_answers(&b, &after);
    assert(s_answers_eq(&before, &after) && !before.stats.compacting);
    s_reopen(&b);
    s_answers(&b, &after);
    assert(s_answers_eq(&before, &after));
    s_close(&a);
    s_close(&b);
}

/* Runs r in txn (which the caller commits or aborts); returns the revision it took. */
static uint64_t s_txn_in(s_db_t *db, MDB_txn *txn, s_req_t *r)
{
    store_txn_request_t req = s_build(r);
    store_txn_reply_t reply;
    bus_arena_reset(db->arena);
    assert(store_kv_txn(db->kv, txn, &req, db->arena, &reply, NULL, db->err, sizeof db->err) == 0);
    return reply.revision;
}

/* A batch aborted midway (puts of new keys, updates, deletes, compaction steps, then no commit)
 * leaves no trace: not in reads at any revision, not in the events, digest or counters, and not
 * when other writes take its revisions. A nested txn aborted inside a committed one neither. */
static void s_abort(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_feed(&db, 5, 120);
    s_answers_t before, after;
    s_answers(&db, &before);
    uint64_t cur = before.stats.revision;
    MDB_txn *txn = s_begin(&db, true);
    for (int i = 0; i < 5; i++) {
        s_req_t r = {0};
        char k0[32], k1[32], k2[32];
        snprintf(k0, sizeof k0, "/ab/x%d", i);
        snprintf(k1, sizeof k1, "/registry/g0/k%d", i);
        snprintf(k2, sizeof k2, "/registry/g1/k%d", i + 5);
        s_op(&r, 0, STORE_OP_TYPE_PUT, k0, "aborted", false);
        s_op(&r, 0, STORE_OP_TYPE_PUT, k1, "aborted", true);
        s_op(&r, 0, STORE_OP_TYPE_DELETE, k2, NULL, true);
        assert(s_txn_in(&db, txn, &r) == cur + 1 + (uint64_t)i);
    }
    bool done;
    assert(store_kv_compact(db.kv, txn, cur + 3, 30, &done, db.err, sizeof db.err) == 0);
    mdb_txn_abort(txn);
    s_answers(&db, &after);
    assert(s_answers_eq(&before, &after));
    /* Other writes take the same revisions: the aborted versions never show. */
    assert(s_set(&db, "/ab/y", "new") == cur + 1 && s_set(&db, "/ab/x1", "later") == cur + 2);
    store_range_request_t req = {.key = "/ab/", .prefix = true, .revision = cur + 1};
    store_range_reply_t reply;
    assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 1);
    assert(strcmp(((store_kv_t *)reply.kvs.v)[0].key, "/ab/y") == 0);
    store_kv_t kv;
    assert(strcmp(s_get(&db, "/ab/x0", 0, &kv), "") == 0);
    assert(strcmp(s_get(&db, "/ab/x1", 0, &kv), "later") == 0 && kv.version == 1);
    for (int i = 0; i < 5; i++) {
        char k1[32];
        snprintf(k1, sizeof k1, "/registry/g0/k%d", i);
        const char *v = s_get(&db, k1, 0, &kv);
        assert(v && strcmp(v, "aborted") != 0 && (!*v || kv.mod_revision <= cur));
    }
    /* The compaction the batch had begun goes through (its deletes went with it). */
    assert(s_compact(&db, cur + 2, 4) >= 1);
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == st.history && !st.compacting);
    /* A nested txn's changes go with it; its parent's, at the same revision, stay. */
    txn = s_begin(&db, true);
    MDB_txn *child;
    assert(mdb_txn_begin(db.env, txn, 0, &child) == 0);
    s_req_t r = {0};
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/ab/z", "child", false);
    s_op(&r, 0, STORE_OP_TYPE_DELETE, "/ab/y", NULL, false);
    assert(s_txn_in(&db, child, &r) == cur + 3);
    mdb_txn_abort(child);
    memset(&r, 0, sizeof r);
    s_op(&r, 0, STORE_OP_TYPE_PUT, "/ab/w", "parent", false);
    assert(s_txn_in(&db, txn, &r) == cur + 3);
    assert(mdb_txn_commit(txn) == 0);
    assert(strcmp(s_get(&db, "/ab/z", 0, &kv), "") == 0);
    assert(strcmp(s_get(&db, "/ab/y", 0, &kv), "new") == 0);
    assert(strcmp(s_get(&db, "/ab/w", 0, &kv), "parent") == 0 && kv.mod_revision == cur + 3);
    st = s_stats(&db);
    assert(st.versions == st.history && st.revision == cur + 3);
    s_close(&db);
}

/* A reader whose snapshot is older than a compaction still reads everything its snapshot holds
 * while the compaction's removals are not settled; after it ends, settling frees them and new
 * readers see the compacted keyspace. */
static void s_old_reader(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_set(&db, "/o/a", "a1"); /* 2 */
    s_set(&db, "/o/a", "a2"); /* 3 */
    s_set(&db, "/o/b", "b1"); /* 4 */
    s_set(&db, "/o/b", NULL); /* 5 */
    s_set(&db, "/o/c", "c1"); /* 6 */
    s_set(&db, "/o/a", "a3"); /* 7 */
    s_set(&db, "/o/c", NULL); /* 8 */
    MDB_txn *old = s_begin(&db, false);
    assert(s_compact_with(&db, 8, 1, false) == 7); /* every step its own commit */
    /* Through its own snapshot the old reader finds every version, value and event. */
    const char *want[][3] = {{"", "", ""},     {"", "", ""},     {"a1", "", ""},
                             {"a2", "", ""},   {"a2", "b1", ""}, {"a2", "", ""},
                             {"a2", "", "c1"}, {"a3", "", "c1"}, {"a3", "", ""}};
    for (uint64_t rev = 1; rev <= 8; rev++)
        for (int k = 0; k < 3; k++) {
            char key[8];
            snprintf(key, sizeof key, "/o/%c", 'a' + k);
            store_range_request_t req = {.key = key, .revision = rev};
            store_range_reply_t reply;
            bus_arena_reset(db.arena);
            assert(store_kv_range(db.kv, old, &req, db.arena, &reply, db.err, sizeof db.err) == 0);
            assert(reply.kvs.n == (*want[rev][k] != 0));
            assert(!reply.kvs.n || s_value_is(reply.kvs.v, want[rev][k]));
        }
    store_watch_request_t wreq = {.prefix = "/o/", .from_revision = 2, .prev_kv = true};
    store_watch_reply_t wr;
    bus_arena_reset(db.arena);
    assert(store_kv_events(db.kv, old, &wreq, db.arena, &wr, db.err, sizeof db.err) == 0);
    const store_event_t *ev = wr.events.v;
    assert(wr.events.n == 7 && s_value_is(ev[5].prev, "a2") && s_value_is(ev[6].prev, "c1"));
    /* New readers see the compaction. */
    store_kv_t kv;
    assert(s_get(&db, "/o/a", 7, &kv) == NULL && strstr(db.err, "compacted"));
    assert(strcmp(s_get(&db, "/o/a", 8, &kv), "a3") == 0 && kv.version == 3);
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == 1 && st.history == 1 && !st.compacting);
    mdb_txn_abort(old);
    s_settle(&db);
    assert(strcmp(s_get(&db, "/o/a", 8, &kv), "a3") == 0 && kv.create_revision == 2);
    assert(strcmp(s_get(&db, "/o/c", 8, &kv), "") == 0);
    st = s_stats(&db);
    assert(st.versions == 1 && st.history == 1);
    assert(s_set(&db, "/o/b", "b2") == 9 && strcmp(s_get(&db, "/o/b", 0, &kv), "b2") == 0);
    assert(kv.create_revision == 9 && kv.version == 1);
    s_close(&db);
}

/* --- a writer and a reader on two threads -------------------------------------------------- */

#define S_T_KEYS 40

/* A committed version, as the writer's replies told it. */
typedef struct {
    int key;
    bool live;
    uint64_t rev, create, version;
    char value[24];
} s_tver_t;

typedef struct {
    s_db_t *db;
    pthread_mutex_t mu;
    s_tver_t *v; /* committed versions in revision order, under mu */
    size_t n, cap;
    uint64_t rev; /* the revision v reaches, under mu */
    bool done;    /* under mu */
    int commits, aborts;
} s_shared_t;

/* One LMDB txn of the writer: a few store_kv txns and sometimes compaction steps, then a
 * commit, or an abort (its revisions go to the next). Returns what it committed in out. */
static size_t s_writer_batch(s_shared_t *sh, bus_arena_t *arena, uint64_t *seed, s_tver_t *out,
                             bool *commit)
{
    s_db_t *db = sh->db;
    char err[512];
    MDB_txn *txn;
    assert(mdb_txn_begin(db->env, NULL, 0, &txn) == 0);
    size_t n = 0;
    int txns = 1 + (int)(s_rand(seed) % 4);
    for (int t = 0; t < txns; t++) {
        s_req_t r = {0};
        char keys[3][16], values[3][24];
        int ops = 1 + (int)(s_rand(seed) % 3);
        for (int j = 0; j < ops; j++) {
            snprintf(keys[j], sizeof keys[j], "/t/k%02d", (int)(s_rand(seed) % S_T_KEYS));
            snprintf(values[j], sizeof values[j], "v%" PRIu64, s_rand(seed));
            bool del = s_rand(seed) % 4 == 0, dup = false;
            for (int i = 0; i < j; i++) dup |= strcmp(keys[i], keys[j]) == 0;
            if (!dup)
                s_op(&r, 0, del ? STORE_OP_TYPE_DELETE : STORE_OP_TYPE_PUT, keys[j], values[j],
                     false);
        }
        store_txn_request_t req = s_build(&r);
        store_txn_reply_t reply;
        store_kv_changes_t ch;
        bus_arena_reset(arena);
        assert(store_kv_txn(db->kv, txn, &req, arena, &reply, &ch, err, sizeof err) == 0);
        const store_event_t *ev = ch.events.v;
        for (size_t i = 0; i < ch.events.n; i++) {
            s_tver_t *v = &out[n++];
            *v = (s_tver_t){.key = atoi(ev[i].kv->key + 4),
                            .live = ev[i].type == STORE_EVENT_TYPE_PUT,
                            .rev = ev[i].revision,
                            .create = ev[i].kv->create_revision,
                            .version = ev[i].kv->version};
            snprintf(v->value, sizeof v->value, "%.*s", (int)ev[i].kv->value.len,
                     (const char *)ev[i].kv->value.data);
        }
    }
    uint64_t cur = store_kv_revision(db->kv, txn);
    if (s_rand(seed) % 3 == 0 && cur > 30) {
        bool done;
        assert(store_kv_compact(db->kv, txn, cur - 25, 1 + s_rand(seed) % 8, &done, err,
                                sizeof err) == 0);
    }
    *commit = s_rand(seed) % 6 != 0;
    if (*commit)
        assert(mdb_txn_commit(txn) == 0);
    else
        mdb_txn_abort(txn);
    return n;
}

static void *s_writer(void *arg)
{
    s_shared_t *sh = arg;
    bus_arena_t *arena = bus_arena_new(0);
    uint64_t seed = 2024;
    s_tver_t batch[48];
    for (int b = 0; b < 1500; b++) {
        bool commit;
        size_t n = s_writer_batch(sh, arena, &seed, batch, &commit);
        if (!commit) {
            sh->aborts++;
            continue;
        }
        sh->commits++;
        pthread_mutex_lock(&sh->mu);
        for (size_t i = 0; i < n; i++) {
            if (sh->n == sh->cap) {
                sh->cap = sh->cap ? sh->cap * 2 : 1024;
                sh->v = realloc(sh->v, sh->cap * sizeof *sh->v);
                assert(sh->v);
            }
            sh->v[sh->n++] = batch[i];
        }
        if (n) sh->rev = batch[n - 1].rev;
        pthread_mutex_unlock(&sh->mu);
    }
    pthread_mutex_lock(&sh->mu);
    sh->done = true;
    pthread_mutex_unlock(&sh->mu);
    bus_arena_destroy(&arena);
    return NULL;
}

/* Checks, through txn, a range at a random revision it can read and the recent events against
 * the versions the writer committed. */
static void s_reader_check(s_shared_t *sh, MDB_txn *txn, uint64_t *seed, bus_arena_t *arena)
{
    s_db_t *db = sh->db;
    char err[512];
    uint64_t cur = store_kv_revision(db->kv, txn), compacted = store_kv_compacted(db->kv, txn);
    uint64_t low = compacted ? compacted : 1, rev = low + s_rand(seed) % (cur - low + 1);
    uint64_t from = cur > compacted + 20 ? cur - 20 : compacted + 1;
    store_range_request_t req = {.key = "/t/", .prefix = true, .revision = rev};
    store_range_reply_t reply;
    store_watch_request_t wreq = {.prefix = "/t/", .from_revision = from, .prev_kv = true};
    store_watch_reply_t wr;
    bus_arena_reset(arena);
    assert(store_kv_range(db->kv, txn, &req, arena, &reply, err, sizeof err) == 0);
    assert(store_kv_events(db->kv, txn, &wreq, arena, &wr, err, sizeof err) == 0 && !wr.more);
    pthread_mutex_lock(&sh->mu);
    while (sh->rev < cur) { /* committed, not yet told */
        pthread_mutex_unlock(&sh->mu);
        sched_yield();
        pthread_mutex_lock(&sh->mu);
    }
    const s_tver_t *at[S_T_KEYS] = {0}, *last[S_T_KEYS] = {0};
    const store_kv_t *kvs = reply.kvs.v;
    const store_event_t *ev = wr.events.v;
    size_t e = 0;
    for (size_t i = 0; i < sh->n && sh->v[i].rev <= cur; i++) {
        const s_tver_t *v = &sh->v[i];
        if (v->rev <= rev) at[v->key] = v;
        if (v->rev >= from) {
            const s_tver_t *p = last[v->key] && last[v->key]->live ? last[v->key] : NULL;
            assert(e < wr.events.n && ev[e].revision == v->rev &&
                   atoi(ev[e].kv->key + 4) == v->key);
            assert(ev[e].kv->version == v->version && ev[e].kv->create_revision == v->create);
            assert(s_value_is(ev[e].kv, v->value) && (p ? ev[e].prev != NULL : !ev[e].prev));
            assert(!p || (ev[e].prev->mod_revision == p->rev && s_value_is(ev[e].prev, p->value)));
            e++;
        }
        last[v->key] = v;
    }
    assert(e == wr.events.n);
    size_t k = 0;
    for (int key = 0; key < S_T_KEYS; key++) {
        const s_tver_t *v = at[key];
        if (!v || !v->live) continue;
        assert(k < reply.kvs.n && atoi(kvs[k].key + 4) == key && kvs[k].mod_revision == v->rev);
        assert(kvs[k].create_revision == v->create && kvs[k].version == v->version);
        assert(s_value_is(&kvs[k], v->value));
        k++;
    }
    assert(k == reply.kvs.n);
    pthread_mutex_unlock(&sh->mu);
}

/* A writer thread commits and aborts batches of txns and compaction steps while this thread
 * reads, each time through a new read txn (settling first, as the member's loop does): every
 * read finds exactly what its snapshot holds. */
static void s_threads(bool verbose)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_shared_t sh = {.db = &db, .rev = 1};
    pthread_mutex_init(&sh.mu, NULL);
    pthread_t writer;
    assert(pthread_create(&writer, NULL, s_writer, &sh) == 0);
    uint64_t seed = 5;
    int checks = 0;
    for (bool done = false; !done; checks++) {
        pthread_mutex_lock(&sh.mu);
        done = sh.done;
        pthread_mutex_unlock(&sh.mu);
        MDB_txn *txn = s_begin(&db, false);
        assert(store_kv_settle(db.kv, txn, db.err, sizeof db.err) == 0);
        s_reader_check(&sh, txn, &seed, db.arena);
        mdb_txn_abort(txn);
    }
    pthread_join(writer, NULL);
    store_kv_stats_t st = s_stats(&db);
    assert(st.versions == st.history && sh.commits > 1000 && sh.aborts > 100);
    if (verbose)
        printf("store_kv threads: %d batches committed, %d aborted, %d reads checked meanwhile; "
               "revision %" PRIu64 ", compacted %" PRIu64 "\n",
               sh.commits, sh.aborts, checks, st.revision, st.compacted);
    free(sh.v);
    pthread_mutex_destroy(&sh.mu);
    s_close(&db);
}

/* --- the model check ----------------------------------------------------------------------- */

/* Keys chosen to stress the ordering: prefixes of each other, neighbours, several groups. */
static const char *const s_model_keys[] = {
    "/registry/a/k0",
    "/registry/a/k0a",
    "/registry/a/k1",
    "/registry/a/k1/sub",
    "/registry/a/k10",
    "/registry/a/k2",
    "/registry/b",
    "/registry/b/k0",
    "/registry/b/k1",
    "/registry/bb/k",
    "/x/1",
    "/x/10",
    "/x/2",
    "/y",
    "/y/z",
    "/yy",
};
#define S_KEYS (sizeof s_model_keys / sizeof s_model_keys[0])

typedef struct {
    uint16_t key;
    uint16_t sub;
    bool live;
    uint64_t rev, create, version;
    char value[24];
} s_model_ver_t;

typedef struct {
    s_model_ver_t *v; /* every version ever written, in (revision, sub) order */
    size_t n, cap;
    uint64_t rev, compacted;
    char groups[S_KEYS][32];
    uint64_t group_last[S_KEYS];
    uint64_t seed, seed0; /* the generator's state, and where it started */
    int step;
    int physical; /* finished compactions whose leftovers were counted */
    s_db_t *db;
} s_model_t;

static void s_model_fail(const s_model_t *m, const char *cond, int line)
{
    fprintf(stderr, "store_kv model: seed %" PRIu64 " step %d: %s (line %d; last error: %s)\n",
            m->seed0, m->step, cond, line, m->db->err);
    abort();
}

#define S_CHECK(m, cond)                                 \
    do {                                                 \
        if (!(cond)) s_model_fail((m), #cond, __LINE__); \
    } while (0)

static const s_model_ver_t *s_model_latest(const s_model_t *m, size_t key, uint64_t rev)
{
    for (size_t i = m->n; i-- > 0;)
        if (m->v[i].key == key && m->v[i].rev <= rev) return &m->v[i];
    return NULL;
}

static const s_model_ver_t *s_model_live(const s_model_t *m, size_t key, uint64_t rev)
{
    const s_model_ver_t *v = s_model_latest(m, key, rev);
    return v && v->live ? v : NULL;
}

static bool s_model_kv_is(const store_kv_t *kv, const s_model_ver_t *v, bool with_value)
{
    if (!kv || !v || strcmp(kv->key, s_model_keys[v->key]) != 0) return false;
    if (!v->live) return kv->mod_revision == v->rev && !kv->create_revision && !kv->version;
    if (kv->create_revision != v->create || kv->mod_revision != v->rev) return false;
    if (kv->version != v->version) return false;
    return with_value ? s_value_is(kv, v->value) : kv->value.len == 0;
}

static bool s_model_prev_is(const store_kv_t *kv, const s_model_ver_t *v)
{
    return v ? s_model_kv_is(kv, v, true) : kv == NULL;
}

static uint64_t *s_model_group(s_model_t *m, const char *key)
{
    size_t len = store_kv_group_len(key, strlen(key));
    for (size_t i = 0; i < S_KEYS; i++) {
        if (!m->groups[i][0]) snprintf(m->groups[i], sizeof m->groups[i], "%.*s", (int)len, key);
        if (strlen(m->groups[i]) == len && memcmp(m->groups[i], key, len) == 0)
            return &m->group_last[i];
    }
    abort();
}

static void s_model_random_ops(s_model_t *m, s_req_t *r, int branch, int max)
{
    int n = (int)(s_rand(&m->seed) % (uint64_t)(max + 1));
    bool used[S_KEYS] = {0};
    static char values[2][8][24];
    for (int i = 0; i < n; i++) {
        size_t k = s_rand(&m->seed) % S_KEYS;
        if (used[k]) continue;
        used[k] = true;
        bool del = s_rand(&m->seed) % 3 == 0;
        char *value = values[branch][r->nops[branch]];
        snprintf(value, 24, "%d.%" PRIu64, m->step, s_rand(&m->seed) % 1000);
        s_op(r, branch, del ? STORE_OP_TYPE_DELETE : STORE_OP_TYPE_PUT, s_model_keys[k],
             s_rand(&m->seed) % 5 ? value : "", s_rand(&m->seed) % 2);
    }
}

static bool s_model_compare_holds(const s_model_t *m, const store_compare_t *c)
{
    size_t k = 0;
    while (strcmp(s_model_keys[k], c->key) != 0) k++;
    const s_model_ver_t *v = s_model_live(m, k, m->rev);
    uint64_t have[] = {0, v ? v->rev : 0, v ? v->create : 0, v ? v->version : 0, v != NULL};
    uint64_t h = have[c->target];
    switch (c->op) {
    case STORE_COMPARE_OP_EQ: return h == c->value;
    case STORE_COMPARE_OP_NE: return h != c->value;
    case STORE_COMPARE_OP_LT: return h < c->value;
    default: return h > c->value;
    }
}

/* Applies op to the model at revision rev; checks the result and the event the store gave. */
static void s_model_apply(s_model_t *m, const store_op_t *op, const store_op_result_t *res,
                          const store_event_t **ev, uint64_t rev, uint16_t *sub)
{
    size_t k = 0;
    while (strcmp(s_model_keys[k], op->key) != 0) k++;
    const s_model_ver_t *live = s_model_live(m, k, m->rev), *cur = NULL;
    s_model_ver_t was; /* a copy: m->v may move below */
    if (live) cur = (was = *live, &was);
    bool put = op->type == STORE_OP_TYPE_PUT;
    S_CHECK(m, res->deleted == (!put && cur));
    S_CHECK(m, op->prev_kv ? s_model_prev_is(res->prev, cur) : res->prev == NULL);
    if (!put && !cur) return;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        assert(m->v);
    }
    s_model_ver_t *v = &m->v[m->n];
    *v = (s_model_ver_t){.key = (uint16_t)k, .sub = (*sub)++, .live = put, .rev = rev};
    if (put) {
        v->create = cur ? cur->create : rev;
        v->version = cur ? cur->version + 1 : 1;
        snprintf(v->value, sizeof v->value, "%.*s", (int)op->value.len, (char *)op->value.data);
    }
    const store_event_t *e = (*ev)++;
    S_CHECK(m, e->revision == rev &&
                   e->type == (put ? STORE_EVENT_TYPE_PUT : STORE_EVENT_TYPE_DELETE));
    S_CHECK(m, s_model_kv_is(e->kv, v, put) && s_model_prev_is(e->prev, cur));
    S_CHECK(m, e->group_prev == *s_model_group(m, op->key));
    m->n++;
}

static void s_model_txn(s_model_t *m)
{
    s_req_t r = {0};
    int ncmp = (int)(s_rand(&m->seed) % 3);
    for (int i = 0; i < ncmp; i++) {
        size_t k = s_rand(&m->seed) % S_KEYS;
        const s_model_ver_t *v = s_model_live(m, k, m->rev);
        uint64_t values[] = {0, 1, 2, v ? v->rev : 3, v ? v->create : 0, m->rev};
        s_cmp(&r, s_model_keys[k], 1 + (uint32_t)(s_rand(&m->seed) % 4),
              1 + (uint32_t)(s_rand(&m->seed) % 4), values[s_rand(&m->seed) % 6]);
    }
    s_model_random_ops(m, &r, 0, 4);
    s_model_random_ops(m, &r, 1, 2);
    store_txn_reply_t reply;
    store_kv_changes_t ch;
    S_CHECK(m, s_txn(m->db, &r, &reply, &ch) == 0);
    bool ok = true;
    for (size_t i = 0; i < r.ncmp; i++) ok = ok && s_model_compare_holds(m, &r.cmp[i]);
    S_CHECK(m, reply.succeeded == ok && reply.results.n == r.nops[!ok]);
    const store_event_t *ev = ch.events.v;
    uint16_t sub = 0;
    for (size_t i = 0; i < r.nops[!ok]; i++)
        s_model_apply(m, &r.ops[!ok][i], &((store_op_result_t *)reply.results.v)[i], &ev,
                      m->rev + 1, &sub);
    S_CHECK(m, ch.events.n == sub && ch.revision == (sub ? m->rev + 1 : 0));
    if (sub) {
        m->rev++;
        for (size_t i = m->n - sub; i < m->n; i++)
            *s_model_group(m, s_model_keys[m->v[i].key]) = m->rev;
    }
    S_CHECK(m, reply.revision == m->rev);
}

/* A random range request: one key, a prefix or [key, end), from bits of the model's keys. */
static void s_model_random_span(s_model_t *m, store_range_request_t *req, char *a, char *b)
{
    const char *ka = s_model_keys[s_rand(&m->seed) % S_KEYS],
               *kb = s_model_keys[s_rand(&m->seed) % S_KEYS];
    snprintf(a, 32, "%.*s", (int)(s_rand(&m->seed) % (strlen(ka) + 1)), ka);
    snprintf(b, 32, "%.*s", (int)(s_rand(&m->seed) % (strlen(kb) + 2)), kb);
    int kind = (int)(s_rand(&m->seed) % 3);
    req->key = kind == 0 ? (char *)ka : a;
    req->prefix = kind == 1;
    req->end = kind == 2 ? (b[0] ? b : "\x7f") : NULL;
}

static bool s_model_in_span(const store_range_request_t *req, const char *key)
{
    if (req->prefix) return strncmp(key, req->key, strlen(req->key)) == 0;
    if (!req->end || !req->end[0]) return strcmp(key, req->key) == 0;
    return strcmp(key, req->key) >= 0 && strcmp(key, req->end) < 0;
}

/* The model's answer: live keys of the span above after at rev, sorted. */
static size_t s_model_listing(const s_model_t *m, const store_range_request_t *req, uint64_t rev,
                              const char *after, const s_model_ver_t **out)
{
    size_t n = 0;
    for (size_t k = 0; k < S_KEYS; k++) {
        const s_model_ver_t *v = s_model_live(m, k, rev);
        if (!v || !s_model_in_span(req, s_model_keys[k]) || strcmp(s_model_keys[k], after) <= 0)
            continue;
        size_t i = n++;
        for (; i > 0 && strcmp(s_model_keys[out[i - 1]->key], s_model_keys[k]) > 0; i--)
            out[i] = out[i - 1];
        out[i] = v;
    }
    return n;
}

static void s_model_range(s_model_t *m)
{
    char a[32], b[32], after[32] = "";
    store_range_request_t req = {0};
    s_model_random_span(m, &req, a, b);
    req.limit = (uint32_t)(s_rand(&m->seed) % 5);
    req.keys_only = s_rand(&m->seed) % 4 == 0;
    uint64_t span = m->rev - m->compacted + 3;
    req.revision = m->compacted + s_rand(&m->seed) % span - 1; /* one below, one above */
    if (s_rand(&m->seed) % 3 == 0) req.revision = 0;
    uint64_t at = req.revision ? req.revision : m->rev;
    store_range_reply_t reply;
    int rc = s_range(m->db, &req, &reply);
    if (at < m->compacted) {
        S_CHECK(m, rc == BUS_EGONE);
        return;
    }
    if (at > m->rev) {
        S_CHECK(m, rc == BUS_EUNAVAILABLE);
        return;
    }
    for (;;) {
        S_CHECK(m, rc == 0 && reply.header->revision == at);
        const s_model_ver_t *want[S_KEYS];
        size_t n = s_model_listing(m, &req, at, after, want);
        size_t page = req.limit && req.limit < n ? req.limit : n;
        S_CHECK(m, reply.count == n && reply.kvs.n == page && reply.more == (page < n));
        const store_kv_t *kvs = reply.kvs.v;
        for (size_t i = 0; i < page; i++)
            S_CHECK(m, s_model_kv_is(&kvs[i], want[i], !req.keys_only));
        if (!reply.more) return;
        snprintf(after, sizeof after, "%s", kvs[page - 1].key);
        req.after = after;
        req.revision = at;                        /* later pages read where the first one did */
        if (s_rand(&m->seed) % 2) s_model_txn(m); /* writes between pages */
        rc = s_range(m->db, &req, &reply);
    }
}

static void s_model_events(s_model_t *m)
{
    char prefix[32];
    const char *k = s_model_keys[s_rand(&m->seed) % S_KEYS];
    snprintf(prefix, sizeof prefix, "%.*s", (int)(s_rand(&m->seed) % (strlen(k) + 1)), k);
    uint64_t from = m->compacted + s_rand(&m->seed) % (m->rev - m->compacted + 2);
    uint32_t max = (uint32_t)(s_rand(&m->seed) % 6);
    bool prev = s_rand(&m->seed) % 2;
    store_watch_reply_t reply;
    int rc = s_events(m->db, prefix, from, max, prev, &reply);
    if (m->compacted && from <= m->compacted) {
        S_CHECK(m, rc == BUS_EGONE);
        return;
    }
    size_t i = 0; /* walks the model's versions in step with the pages */
    for (;;) {
        S_CHECK(m, rc == 0 && reply.header->revision == m->rev);
        const store_event_t *ev = reply.events.v;
        for (size_t e = 0; e < reply.events.n; e++, i++) {
            while (i < m->n && (m->v[i].rev < from ||
                                strncmp(s_model_keys[m->v[i].key], prefix, strlen(prefix)) != 0))
                i++;
            S_CHECK(m, i < m->n && ev[e].revision == m->v[i].rev && !ev[e].group_prev);
            S_CHECK(m, s_model_kv_is(ev[e].kv, &m->v[i], m->v[i].live));
            const s_model_ver_t *p = prev ? s_model_live(m, m->v[i].key, m->v[i].rev - 1) : NULL;
            S_CHECK(m, s_model_prev_is(ev[e].prev, p));
        }
        if (!reply.more) break;
        S_CHECK(m, reply.events.n > 0);
        rc = s_events(m->db, prefix, ev[reply.events.n - 1].revision + 1, max, prev, &reply);
    }
    while (i < m->n &&
           (m->v[i].rev < from || strncmp(s_model_keys[m->v[i].key], prefix, strlen(prefix)) != 0))
        i++;
    S_CHECK(m, i == m->n); /* nothing left out */
}

/* After any compaction step, every version has its kv.revs record; after a finished compaction,
 * exactly the versions above it, and each key's latest live one at or below it, are left. */
static void s_model_check_compacted(s_model_t *m)
{
    store_kv_stats_t st = s_stats(m->db);
    S_CHECK(m, st.versions == st.history); /* every version has its kv.revs record, and back */
    if (st.compacting) return;
    size_t versions = 0;
    for (size_t i = 0; i < m->n; i++) {
        const s_model_ver_t *v = &m->v[i];
        if (v->rev > m->compacted || (v->live && s_model_latest(m, v->key, m->compacted) == v))
            versions++;
    }
    S_CHECK(m, st.versions == versions);
    S_CHECK(m, st.compacted == m->compacted && st.revision == m->rev);
    m->physical++;
}

static void s_model_compact(s_model_t *m, bool go_on)
{
    uint64_t window = 10 + s_rand(&m->seed) % 100; /* keep some history to read */
    uint64_t target = go_on || m->rev <= window ? 0 : m->rev - window;
    MDB_txn *txn = s_begin(m->db, true);
    bool done;
    size_t steps = s_rand(&m->seed) % 40;
    S_CHECK(m, store_kv_compact(m->db->kv, txn, target, steps, &done, m->db->err,
                                sizeof m->db->err) == 0);
    assert(mdb_txn_commit(txn) == 0);
    if (s_rand(&m->seed) % 2) s_settle(m->db); /* else the index keeps what went, for now */
    if (target > m->compacted) m->compacted = target;
    s_model_check_compacted(m);
}

static void s_model(uint64_t seed, int steps, bool verbose)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    s_model_t m = {.rev = 1, .seed = seed, .seed0 = seed, .db = &db};
    int counts[4] = {0};
    for (m.step = 0; m.step < steps; m.step++) {
        int what = (int)(s_rand(&m.seed) % 100);
        if (what < 50)
            s_model_txn(&m);
        else if (what < 75)
            s_model_range(&m);
        else if (what < 92)
            s_model_events(&m);
        else
            s_model_compact(&m, what >= 97);
        counts[what < 50 ? 0 : what < 75 ? 1 : what < 92 ? 2 : 3]++;
    }
    if (verbose)
        printf("store_kv model: seed %" PRIu64 ": %d txns, %d ranges, %d watches, %d compactions; "
               "revision %" PRIu64 ", compacted %" PRIu64 ", %zu versions, %d leftover counts\n",
               seed, counts[0], counts[1], counts[2], counts[3], m.rev, m.compacted, m.n,
               m.physical);
    free(m.v);
    s_close(&db);
}

/* --- timing -------------------------------------------------------------------------------- */

static double s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void s_timing(void)
{
    s_db_t db;
    s_open(&db, 0, NULL);
    char value[1024], key[64];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = 0;
    int n = 2000;
    double t0 = s_now_us();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "/registry/pods/default/p%d", i % 500);
        s_set(&db, key, value);
    }
    double txn_us = (s_now_us() - t0) / n;
    MDB_txn *txn = s_begin(&db, true);
    t0 = s_now_us();
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "/registry/pods/default/p%d", i % 500);
        s_req_t r = {0};
        s_cmp(&r, key, STORE_COMPARE_TARGET_EXISTS, STORE_COMPARE_OP_EQ, 1);
        s_op(&r, 0, STORE_OP_TYPE_PUT, key, value, false);
        store_txn_request_t req = s_build(&r);
        store_txn_reply_t tr;
        store_kv_changes_t ch;
        bus_arena_reset(db.arena);
        assert(store_kv_txn(db.kv, txn, &req, db.arena, &tr, &ch, db.err, sizeof db.err) == 0);
    }
    double apply_us = (s_now_us() - t0) / n;
    assert(mdb_txn_commit(txn) == 0);
    store_range_request_t req = {.key = "/registry/pods/", .prefix = true};
    store_range_reply_t reply;
    t0 = s_now_us();
    for (int i = 0; i < 100; i++) assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 500);
    double range_us = (s_now_us() - t0) / 100;
    req.revision = s_stats(&db).revision - 1000; /* a past revision: keys with later versions */
    t0 = s_now_us();
    for (int i = 0; i < 100; i++) assert(s_range(&db, &req, &reply) == 0 && reply.kvs.n == 500);
    double past_us = (s_now_us() - t0) / 100;
    printf("store_kv: single-key put (1 KiB) %.1f us in its own LMDB txn (no fsync), %.1f us "
           "applied in a batch; 500-key range (1 KiB values) %.0f us current, %.0f us past\n",
           txn_us, apply_us, range_us, past_us);
    s_close(&db);
}

void store_kv_test(bool verbose)
{
    s_revisions();
    s_compares();
    s_atomic();
    s_ranges();
    s_reply_limit();
    s_history();
    s_compaction();
    s_compaction_values();
    s_compaction_restart();
    s_format();
    s_values();
    s_limits();
    s_map_full();
    s_determinism();
    s_map();
    s_index();
    s_rebuild();
    s_abort();
    s_old_reader();
    s_threads(verbose);
    s_model(20240611, 4000, verbose);
    s_model(7, 4000, verbose);
    if (verbose) s_timing();
}
