/* store_apply: a ready's transaction (the API is in store_apply.h).
 *
 * Sessions. sm.sessions maps an origin to index (8), status (4, signed), type (4) and the answer:
 * the reply's msgpack bytes or the error text. sm.order maps the index (8) back to the origin,
 * so the oldest session is the first entry there. Both change only as entries are applied, the
 * same way on every member, so they are part of the replicated state (and of snapshots). */
#include "store_apply.h"
#include "store_util.h"
#include "bus_arena.h"
#include "bus_codec.h"
#include "bus_err.h"
#include "kubus_schema.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COMPACT_STEPS 2000u  /* history entries removed per ready */
#define S_LOG_COMPACT   20000u /* log entries dropped per ready */
#define S_OUT_MAX       ((size_t)1 << 30)
#define S_SESSION_HDR   16u
#define S_ORIGIN_MAX    200u

struct store_apply_t {
    MDB_env *env;
    store_log_t *log;
    store_kv_space_t *kv;
    MDB_dbi sessions, order;
    /* Decoding and running one entry: sized so that the largest transaction (128 ops whose
     * previous values are each as large as a value may be) never runs out, which would make the
     * outcome depend on something other than the entry. */
    bus_arena_t *scratch;
    bool compacting;
};

static int s_mdb_fail(char *err, size_t errlen, int rc, const char *what, uint64_t index)
{
    bool full = rc == MDB_MAP_FULL || rc == MDB_TXN_FULL;
    return store_fail(err, errlen, full ? BUS_EUNAVAILABLE : BUS_EINTERNAL,
                      "store: apply entry %" PRIu64 ": %s: %s%s", index, what, mdb_strerror(rc),
                      full ? " (the store is full: give it a larger map)" : "");
}

/* --- open ---------------------------------------------------------------------------------- */

int store_apply_open(MDB_env *env, MDB_txn *wtxn, store_log_t *log, store_kv_space_t *kv,
                     size_t value_max, store_apply_t **out, char *err, size_t errlen)
{
    *out = NULL;
    store_apply_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    int rc = mdb_dbi_open(wtxn, "sm.sessions", MDB_CREATE, &self->sessions);
    if (!rc) rc = mdb_dbi_open(wtxn, "sm.order", MDB_CREATE, &self->order);
    store_kv_stats_t st;
    if (rc) {
        free(self);
        return s_mdb_fail(err, errlen, rc, "open sessions", 0);
    }
    rc = store_kv_stats(kv, wtxn, &st, err, errlen);
    if (rc) {
        free(self);
        return rc;
    }
    self->env = env;
    self->log = log;
    self->kv = kv;
    self->compacting = st.compacting;
    self->scratch = bus_arena_new(130 * (value_max + 1024) + ((size_t)4 << 20));
    *out = self;
    return 0;
}

void store_apply_destroy(store_apply_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_arena_destroy(&(*self_p)->scratch);
    free(*self_p);
    *self_p = NULL;
}

void store_batch_init(store_batch_t *b)
{
    memset(b, 0, sizeof *b);
    bus_buf_init(&b->out, S_OUT_MAX);
}

void store_batch_free(store_batch_t *b)
{
    bus_buf_free(&b->out);
    free(b->results);
    free(b->changes);
    memset(b, 0, sizeof *b);
}

static store_result_t *s_result(store_batch_t *b, const raft_entry_t *e)
{
    if (b->results_n == b->results_cap) {
        b->results_cap = b->results_cap ? 2 * b->results_cap : 64;
        b->results = realloc(b->results, b->results_cap * sizeof *b->results);
        if (!b->results) abort();
    }
    store_result_t *r = &b->results[b->results_n++];
    *r = (store_result_t){.index = e->index, .term = e->term, .off = b->out.len};
    return r;
}

static void s_result_error(store_batch_t *b, store_result_t *r, int status, const char *text)
{
    r->status = status;
    r->type = 0;
    r->off = b->out.len;
    bus_buf_append(&b->out, text, strlen(text));
    r->len = b->out.len - r->off;
}

/* --- sessions ------------------------------------------------------------------------------ */

int store_apply_session(store_apply_t *self, MDB_txn *txn, const char *origin, uint64_t *index)
{
    MDB_val k = {strlen(origin), (void *)origin}, v;
    int rc = mdb_get(txn, self->sessions, &k, &v);
    if (rc == MDB_NOTFOUND) return BUS_ENOTFOUND;
    if (rc || v.mv_size < S_SESSION_HDR) return BUS_EINTERNAL;
    *index = store_get_be(v.mv_data, 8);
    return 0;
}

/* The first answer to origin, if it had one: 1 (filled into r), 0 (none), or an LMDB error. */
static int s_session_answer(store_apply_t *self, MDB_txn *txn, const char *origin, store_batch_t *b,
                            store_result_t *r)
{
    MDB_val k = {strlen(origin), (void *)origin}, v;
    int rc = mdb_get(txn, self->sessions, &k, &v);
    if (rc) return rc == MDB_NOTFOUND ? 0 : rc;
    if (v.mv_size < S_SESSION_HDR) return MDB_CORRUPTED;
    const uint8_t *p = v.mv_data;
    r->status = (int32_t)(uint32_t)(store_get_be(p + 8, 8) >> 32);
    r->type = (uint32_t)store_get_be(p + 8, 8);
    r->off = b->out.len;
    bus_buf_append(&b->out, p + S_SESSION_HDR, v.mv_size - S_SESSION_HDR);
    r->len = b->out.len - r->off;
    return 1;
}

/* Records r as origin's answer, forgetting the oldest session past STORE_SESSIONS_MAX. A reply
 * too large to keep is kept without its ops' results (compact is the bytes to keep then). */
static int s_session_record(store_apply_t *self, MDB_txn *txn, const char *origin,
                            const store_result_t *r, const uint8_t *body, size_t len)
{
    MDB_val k = {strlen(origin), (void *)origin}, v = {S_SESSION_HDR + len, NULL};
    int rc = mdb_put(txn, self->sessions, &k, &v, MDB_RESERVE);
    if (rc) return rc;
    uint8_t *p = v.mv_data;
    store_put_be(p, r->index, 8);
    store_put_be(p + 8, ((uint64_t)(uint32_t)r->status << 32) | r->type, 8);
    if (len) memcpy(p + S_SESSION_HDR, body, len);
    uint8_t ik[8];
    store_put_be(ik, r->index, 8);
    MDB_val ok = {8, ik};
    rc = mdb_put(txn, self->order, &ok, &k, 0);
    MDB_stat st;
    if (!rc) rc = mdb_stat(txn, self->order, &st);
    if (rc || st.ms_entries <= STORE_SESSIONS_MAX) return rc;
    MDB_cursor *c;
    rc = mdb_cursor_open(txn, self->order, &c);
    MDB_val fk, fv;
    if (!rc) rc = mdb_cursor_get(c, &fk, &fv, MDB_FIRST);
    if (!rc) {
        MDB_val sk = fv;
        rc = mdb_del(txn, self->sessions, &sk, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
        if (!rc) rc = mdb_cursor_del(c, 0);
    }
    mdb_cursor_close(c);
    return rc;
}

/* --- one entry ----------------------------------------------------------------------------- */

static void s_fill_header(store_header_t *h, const store_batch_t *b)
{
    h->member = (char *)b->member;
    h->leader = (char *)b->leader;
    h->term = b->term;
}

/* Appends the encoded reply to out; a reply too large for the bus becomes an error (a
 * deterministic one: it depends only on the entry and the state). */
static void s_reply(store_batch_t *b, store_result_t *r, const codec_msg_t *desc, const void *msg)
{
    codec_err_t cerr;
    r->off = b->out.len;
    if (codec_encode(desc, msg, &b->out, &cerr) != 0 || b->out.len - r->off > (16u << 20)) {
        b->out.len = r->off;
        b->out.err = 0;
        s_result_error(b, r, BUS_ETOOBIG, "store: the reply is larger than the bus carries");
        return;
    }
    r->status = 0;
    r->type = desc->type;
    r->len = b->out.len - r->off;
}

static void s_changes(store_batch_t *b, const store_kv_changes_t *ch)
{
    const store_event_t *ev = ch->events.v;
    for (size_t i = 0; i < ch->events.n; i++) {
        if (b->changes_n == b->changes_cap) {
            b->changes_cap = b->changes_cap ? 2 * b->changes_cap : 256;
            b->changes = realloc(b->changes, b->changes_cap * sizeof *b->changes);
            if (!b->changes) abort();
        }
        store_change_t *c = &b->changes[b->changes_n];
        c->key_off = b->out.len;
        c->key_len = strlen(ev[i].kv->key);
        bus_buf_append(&b->out, ev[i].kv->key, c->key_len + 1);
        c->off = b->out.len;
        codec_err_t cerr;
        if (codec_encode(&store_event_desc, &ev[i], &b->out, &cerr) != 0) {
            b->out.len = c->key_off; /* too large to publish: watchers catch up by revision */
            b->out.err = 0;
            continue;
        }
        c->len = b->out.len - c->off;
        b->changes_n++;
    }
}

/* Runs a proposal's transaction. 0 (r filled, whatever the transaction's own outcome) or an
 * LMDB failure, which fails the batch (its transaction is aborted: no nested one is needed, and
 * LMDB's nested transactions cost megabytes of fresh memory each). */
static int s_run_txn(store_apply_t *self, MDB_txn *txn, const store_txn_request_t *req,
                     store_batch_t *b, store_result_t *r, char *err, size_t errlen)
{
    store_txn_reply_t reply;
    store_kv_changes_t changes;
    char text[1024];
    int rc = store_kv_txn(self->kv, txn, req, self->scratch, &reply, &changes, text, sizeof text);
    if (rc == BUS_EINVALID || rc == BUS_ETOOBIG) {
        /* The request's own fault, found before any write: txn is untouched. */
        s_result_error(b, r, rc, text);
        return 0;
    }
    if (rc)
        return store_fail(err, errlen, rc, "store: apply entry %" PRIu64 ": %s", r->index, text);
    s_fill_header(reply.header, b);
    s_reply(b, r, &store_txn_reply_desc, &reply);
    s_changes(b, &changes);
    return 0;
}

static int s_run_compact(store_apply_t *self, MDB_txn *txn, uint64_t revision, store_batch_t *b,
                         store_result_t *r, char *err, size_t errlen)
{
    bool done;
    char text[512];
    int rc = store_kv_compact(self->kv, txn, revision, 1, &done, text, sizeof text);
    if (rc == BUS_EINVALID) {
        s_result_error(b, r, rc, text);
        return 0;
    }
    if (rc)
        return store_fail(err, errlen, rc, "store: apply entry %" PRIu64 ": %s", r->index, text);
    self->compacting = !done;
    store_header_t h = {.revision = store_kv_revision(self->kv, txn),
                        .compacted = store_kv_compacted(self->kv, txn)};
    s_fill_header(&h, b);
    store_compact_reply_t reply = {.header = &h};
    s_reply(b, r, &store_compact_reply_desc, &reply);
    return 0;
}

static int s_apply_normal(store_apply_t *self, MDB_txn *txn, const raft_entry_t *e,
                          store_batch_t *b, char *err, size_t errlen)
{
    bus_arena_reset(self->scratch);
    store_result_t *r = s_result(b, e);
    store_proposal_t *p;
    codec_err_t cerr;
    if (codec_decode(&store_proposal_desc, e->data, e->len, self->scratch, (void **)&p, &cerr)) {
        char text[600];
        snprintf(text, sizeof text, "store: entry %" PRIu64 " does not decode: %s", e->index,
                 cerr.text);
        s_result_error(b, r, BUS_EMALFORMED, text);
        return 0;
    }
    const char *origin = p->origin && p->origin[0] ? p->origin : NULL;
    if (origin) {
        int rc = s_session_answer(self, txn, origin, b, r);
        if (rc < 0 || rc > 1) return s_mdb_fail(err, errlen, rc, "read session", e->index);
        if (rc == 1) return 0;
    }
    int rc = 0;
    if (p->txn)
        rc = s_run_txn(self, txn, p->txn, b, r, err, errlen);
    else if (p->compact)
        rc = s_run_compact(self, txn, p->compact, b, r, err, errlen);
    else
        s_result_error(b, r, BUS_EINVALID, "store: a proposal needs a txn or a compaction");
    if (rc || !origin) return rc;
    /* Keep the answer for a retry; a large one without the ops' results. */
    const uint8_t *body = b->out.data + r->off;
    size_t len = r->len;
    bus_buf_t small;
    bus_buf_init(&small, STORE_SESSION_REPLY_MAX);
    if (len > STORE_SESSION_REPLY_MAX && r->type == store_txn_reply_desc.type) {
        store_txn_reply_t *full;
        if (codec_decode(&store_txn_reply_desc, body, len, self->scratch, (void **)&full, &cerr) ==
                0 &&
            (full->results.n = 0, codec_encode(&store_txn_reply_desc, full, &small, &cerr) == 0)) {
            body = small.data;
            len = small.len;
        }
    }
    if (len > STORE_SESSION_REPLY_MAX) len = 0; /* an error text never is; nothing else left */
    rc = s_session_record(self, txn, origin, r, body, len);
    bus_buf_free(&small);
    return rc ? s_mdb_fail(err, errlen, rc, "record session", e->index) : 0;
}

/* --- the batch ----------------------------------------------------------------------------- */

static int s_apply_entries(store_apply_t *self, MDB_txn *txn, store_batch_t *b, char *err,
                           size_t errlen)
{
    const raft_ready_t *rd = b->rd;
    const store_log_state_t *st = store_log_state(self->log);
    raft_conf_t conf = st->conf;
    uint64_t applied = st->applied, applied_term = st->applied_term;
    for (size_t i = 0; i < rd->committed_n; i++) {
        const raft_entry_t *e = &rd->committed[i];
        if (e->index <= applied) continue; /* covered by a snapshot installed */
        if (e->type == RAFT_ENTRY_NORMAL) {
            int rc = s_apply_normal(self, txn, e, b, err, errlen);
            if (rc) return rc;
        } else if (e->type == RAFT_ENTRY_CONF) {
            raft_apply_conf(b->raft, e, &conf);
        }
        applied = e->index;
        applied_term = e->term;
    }
    b->conf = conf;
    b->applied = applied;
    if (applied == st->applied) return 0;
    return store_log_set_applied(self->log, txn, applied, applied_term, &conf, err, errlen);
}

static int s_background(store_apply_t *self, MDB_txn *txn, store_batch_t *b, char *err,
                        size_t errlen)
{
    int rc = 0;
    if (self->compacting) {
        bool done;
        rc = store_kv_compact(self->kv, txn, 0, S_COMPACT_STEPS, &done, err, errlen);
        if (!rc) self->compacting = !done;
    }
    if (!rc && b->compact_log_to) {
        bool done;
        rc =
            store_log_compact(self->log, txn, b->compact_log_to, S_LOG_COMPACT, &done, err, errlen);
        b->log_compacting = !rc && !done;
    }
    if (!rc && b->snapshot) rc = store_log_set_snapshot(self->log, txn, b->snapshot, err, errlen);
    return rc;
}

int store_apply_run(store_apply_t *self, store_batch_t *b, char *err, size_t errlen)
{
    bus_buf_reset(&b->out);
    b->results_n = b->changes_n = 0;
    b->log_compacting = false;
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc) return s_mdb_fail(err, errlen, rc, "begin", 0);
    bool compacting = self->compacting;
    rc = store_log_persist(self->log, txn, b->rd, err, errlen);
    if (!rc) rc = s_apply_entries(self, txn, b, err, errlen);
    if (!rc) rc = s_background(self, txn, b, err, errlen);
    if (!rc && b->out.err)
        rc = store_fail(err, errlen, BUS_ETOOBIG, "store: the batch's answers exceed %zu bytes",
                        (size_t)S_OUT_MAX);
    if (!rc) {
        b->revision = store_kv_revision(self->kv, txn);
        b->compacted = store_kv_compacted(self->kv, txn);
        if (b->on_applied) b->on_applied(b->on_applied_arg);
        /* Only the log needs LMDB's full sync; an apply alone is redone after a crash. */
        bool light = !b->rd->must_sync;
        if (light) mdb_env_set_flags(self->env, MDB_NOMETASYNC, 1);
        rc = mdb_txn_commit(txn);
        if (light) mdb_env_set_flags(self->env, MDB_NOMETASYNC, 0);
        if (rc) rc = s_mdb_fail(err, errlen, rc, "commit", 0);
        txn = NULL;
    }
    if (rc) {
        if (txn) mdb_txn_abort(txn);
        self->compacting = compacting;
        /* The handle's cached state followed the writes: read it back from disk. */
        MDB_txn *r;
        if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &r) == 0) {
            store_log_reload(self->log, r, NULL, 0);
            mdb_txn_abort(r);
        }
        return rc;
    }
    b->compacting = self->compacting;
    return 0;
}
