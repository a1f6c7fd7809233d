/* store_log: the Raft log and the member's persistent facts in LMDB (the API is in store_log.h).
 *
 * Layout. Integers are big-endian.
 *   raft.log   key: index (8)   value: term (8), type (1), data
 *   raft.meta  "v"       format (8) = 1
 *              "id"      cluster (8), member (8), name
 *              "hard"    term (8), vote (8), commit (8)
 *              "applied" index (8), term (8)
 *              "conf"    the membership as of applied (store_log_conf_encode)
 *              "start"   index (8), term (8): the log holds the entries after index
 *              "snap"    index (8), term (8), membership: the newest snapshot kept */
#include "store_log.h"
#include "store_util.h"
#include "bus_err.h"

#include <assert.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FORMAT   1
#define S_ENT_HDR  9 /* term, type */
#define S_CONF_MAX (2 + 8 * 2 * RAFT_MEMBERS_MAX)

struct store_log_t {
    MDB_dbi log, meta;
    store_log_state_t st;
    MDB_txn *rtxn; /* what the storage callbacks read through */
};

/* --- encodings and errors ------------------------------------------------------------------ */

static int s_mdb_fail(char *err, size_t errlen, int rc, const char *what)
{
    bool full = rc == MDB_MAP_FULL || rc == MDB_TXN_FULL;
    return store_fail(err, errlen, full ? BUS_EUNAVAILABLE : BUS_EINTERNAL,
                      "store: raft log: %s: %s", what,
                      rc == MDB_CORRUPTED ? "corrupt entry" : mdb_strerror(rc));
}

size_t store_log_conf_encode(const raft_conf_t *conf, uint8_t *out, size_t cap)
{
    size_t n = 2 + 8 * (conf->voters_n + conf->learners_n);
    if (n > cap) return 0;
    out[0] = (uint8_t)conf->voters_n;
    out[1] = (uint8_t)conf->learners_n;
    uint8_t *p = out + 2;
    for (size_t i = 0; i < conf->voters_n; i++, p += 8) store_put_be(p, conf->voters[i], 8);
    for (size_t i = 0; i < conf->learners_n; i++, p += 8) store_put_be(p, conf->learners[i], 8);
    return n;
}

int store_log_conf_decode(const uint8_t *data, size_t len, raft_conf_t *conf)
{
    memset(conf, 0, sizeof *conf);
    if (len < 2 || data[0] > RAFT_MEMBERS_MAX || data[1] > RAFT_MEMBERS_MAX ||
        data[0] + data[1] > RAFT_MEMBERS_MAX || len != 2 + 8 * (size_t)(data[0] + data[1]))
        return BUS_EMALFORMED;
    conf->voters_n = data[0];
    conf->learners_n = data[1];
    const uint8_t *p = data + 2;
    for (size_t i = 0; i < conf->voters_n; i++, p += 8) conf->voters[i] = store_get_be(p, 8);
    for (size_t i = 0; i < conf->learners_n; i++, p += 8) conf->learners[i] = store_get_be(p, 8);
    return 0;
}

uint64_t store_log_member_id(const char *name)
{
    uint8_t h[crypto_generichash_BYTES_MIN];
    crypto_generichash(h, sizeof h, (const uint8_t *)name, strlen(name), NULL, 0);
    uint64_t id = store_get_be(h, 8);
    return id ? id : 1;
}

/* --- raft.meta ----------------------------------------------------------------------------- */

static int s_meta_put(store_log_t *self, MDB_txn *txn, const char *key, const void *v, size_t n)
{
    MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)v};
    return mdb_put(txn, self->meta, &k, &d, 0);
}

/* 0 with *v, or MDB_NOTFOUND, or an LMDB error. */
static int s_meta_get(store_log_t *self, MDB_txn *txn, const char *key, MDB_val *v)
{
    MDB_val k = {strlen(key), (void *)key};
    return mdb_get(txn, self->meta, &k, v);
}

static int s_put_pair(store_log_t *self, MDB_txn *txn, const char *key, uint64_t a, uint64_t b)
{
    uint8_t buf[16];
    store_put_be(buf, a, 8);
    store_put_be(buf + 8, b, 8);
    return s_meta_put(self, txn, key, buf, sizeof buf);
}

static int s_put_hard(store_log_t *self, MDB_txn *txn, const raft_hard_t *h)
{
    uint8_t buf[24];
    store_put_be(buf, h->term, 8);
    store_put_be(buf + 8, h->vote, 8);
    store_put_be(buf + 16, h->commit, 8);
    return s_meta_put(self, txn, "hard", buf, sizeof buf);
}

static int s_put_conf(store_log_t *self, MDB_txn *txn, const char *key, uint64_t index,
                      uint64_t term, const raft_conf_t *conf, bool with_position)
{
    uint8_t buf[16 + S_CONF_MAX];
    size_t off = with_position ? 16 : 0;
    if (with_position) {
        store_put_be(buf, index, 8);
        store_put_be(buf + 8, term, 8);
    }
    size_t n = store_log_conf_encode(conf, buf + off, sizeof buf - off);
    return s_meta_put(self, txn, key, buf, off + n);
}

/* The last index in raft.log, or start when it is empty. */
static int s_find_last(store_log_t *self, MDB_txn *txn, uint64_t *last)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, self->log, &c);
    if (rc) return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) {
        *last = self->st.first - 1;
        return 0;
    }
    if (rc) return rc;
    if (k.mv_size != 8) return MDB_CORRUPTED;
    *last = store_get_be(k.mv_data, 8);
    return 0;
}

int store_log_load(store_log_t *self, MDB_txn *txn, store_log_state_t *out, char *err,
                   size_t errlen)
{
    store_log_state_t st = {.first = 1};
    MDB_val v;
    int rc = s_meta_get(self, txn, "id", &v);
    if (rc == 0) {
        if (v.mv_size < 17 || v.mv_size > 16 + STORE_NAME_MAX)
            return s_mdb_fail(err, errlen, MDB_CORRUPTED, "id");
        st.cluster = store_get_be(v.mv_data, 8);
        st.member = store_get_be((uint8_t *)v.mv_data + 8, 8);
        memcpy(st.name, (uint8_t *)v.mv_data + 16, v.mv_size - 16);
    }
    if (rc == 0 || rc == MDB_NOTFOUND) rc = s_meta_get(self, txn, "hard", &v);
    if (rc == 0) {
        if (v.mv_size != 24) return s_mdb_fail(err, errlen, MDB_CORRUPTED, "hard state");
        st.hard =
            (raft_hard_t){store_get_be(v.mv_data, 8), store_get_be((uint8_t *)v.mv_data + 8, 8),
                          store_get_be((uint8_t *)v.mv_data + 16, 8)};
    }
    if (rc == 0 || rc == MDB_NOTFOUND) rc = s_meta_get(self, txn, "applied", &v);
    if (rc == 0) {
        if (v.mv_size != 16) return s_mdb_fail(err, errlen, MDB_CORRUPTED, "applied");
        st.applied = store_get_be(v.mv_data, 8);
        st.applied_term = store_get_be((uint8_t *)v.mv_data + 8, 8);
    }
    if (rc == 0 || rc == MDB_NOTFOUND) rc = s_meta_get(self, txn, "conf", &v);
    if (rc == 0 && store_log_conf_decode(v.mv_data, v.mv_size, &st.conf) != 0)
        return s_mdb_fail(err, errlen, MDB_CORRUPTED, "membership");
    if (rc == 0 || rc == MDB_NOTFOUND) rc = s_meta_get(self, txn, "start", &v);
    if (rc == 0) {
        if (v.mv_size != 16) return s_mdb_fail(err, errlen, MDB_CORRUPTED, "start");
        st.first = store_get_be(v.mv_data, 8) + 1;
        st.prev_term = store_get_be((uint8_t *)v.mv_data + 8, 8);
    }
    if (rc == 0 || rc == MDB_NOTFOUND) rc = s_meta_get(self, txn, "snap", &v);
    if (rc == 0) {
        if (v.mv_size < 16 ||
            store_log_conf_decode((uint8_t *)v.mv_data + 16, v.mv_size - 16, &st.snap.conf) != 0)
            return s_mdb_fail(err, errlen, MDB_CORRUPTED, "snapshot");
        st.snap.index = store_get_be(v.mv_data, 8);
        st.snap.term = store_get_be((uint8_t *)v.mv_data + 8, 8);
    }
    if (rc && rc != MDB_NOTFOUND) return s_mdb_fail(err, errlen, rc, "read meta");
    self->st = st;
    rc = s_find_last(self, txn, &self->st.last);
    if (rc) return s_mdb_fail(err, errlen, rc, "find the last entry");
    if (self->st.last >= self->st.first) {
        /* The first entry must be where start says: a gap means damage. */
        uint8_t key[8];
        store_put_be(key, self->st.first, 8);
        MDB_val k = {8, key};
        rc = mdb_get(txn, self->log, &k, &v);
        if (rc)
            return s_mdb_fail(err, errlen, rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc, "first entry");
    }
    if (self->st.hard.commit > self->st.last || self->st.applied > self->st.hard.commit)
        return store_fail(err, errlen, BUS_EINTERNAL,
                          "store: raft log: commit %" PRIu64 " or applied %" PRIu64
                          " beyond the last entry %" PRIu64 ": damaged data",
                          self->st.hard.commit, self->st.applied, self->st.last);
    if (out) *out = self->st;
    return 0;
}

int store_log_reload(store_log_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    return store_log_load(self, txn, NULL, err, errlen);
}

const store_log_state_t *store_log_state(const store_log_t *self)
{
    return &self->st;
}

/* Opens the databases in txn and loads what they hold. */
static int s_open(store_log_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    int rc = mdb_dbi_open(txn, "raft.log", MDB_CREATE, &self->log);
    if (!rc) rc = mdb_dbi_open(txn, "raft.meta", MDB_CREATE, &self->meta);
    MDB_val v;
    if (!rc) rc = s_meta_get(self, txn, "v", &v);
    if (rc == MDB_NOTFOUND) {
        MDB_stat st;
        rc = mdb_stat(txn, self->log, &st);
        if (!rc && st.ms_entries)
            return store_fail(err, errlen, BUS_ECONFIG,
                              "store: raft log holds entries but no format");
        uint8_t f[8];
        store_put_be(f, S_FORMAT, 8);
        if (!rc) rc = s_meta_put(self, txn, "v", f, 8);
    } else if (!rc && (v.mv_size != 8 || store_get_be(v.mv_data, 8) != S_FORMAT)) {
        return store_fail(
            err, errlen, BUS_ECONFIG,
            "store: the raft log is in an unknown format (this build reads format %d)", S_FORMAT);
    }
    if (rc) return s_mdb_fail(err, errlen, rc, "open");
    return store_log_load(self, txn, NULL, err, errlen);
}

int store_log_open(MDB_txn *txn, store_log_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (sodium_init() < 0) abort();
    store_log_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    int rc = s_open(self, txn, err, errlen);
    if (rc) {
        free(self);
        return rc;
    }
    *out = self;
    return 0;
}

int store_log_reopen(store_log_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    self->rtxn = NULL;
    return s_open(self, txn, err, errlen);
}

void store_log_destroy(store_log_t **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

int store_log_identify(store_log_t *self, MDB_txn *wtxn, uint64_t cluster, uint64_t member,
                       const char *name, bool adopt, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (!cluster || !member || !n || n > STORE_NAME_MAX)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: a cluster id, member id and name are needed");
    if (adopt) self->st.cluster = 0;
    if (self->st.cluster && self->st.cluster != cluster)
        return store_fail(err, errlen, BUS_ECONFIG,
                          "store: the data belongs to cluster %016" PRIx64
                          ", and this member was started for cluster %016" PRIx64,
                          self->st.cluster, cluster);
    if (self->st.cluster && (self->st.member != member || strcmp(self->st.name, name) != 0))
        return store_fail(err, errlen, BUS_ECONFIG,
                          "store: the data belongs to member %s (%016" PRIx64
                          "), and this member is %s (%016" PRIx64 ")",
                          self->st.name, self->st.member, name, member);
    if (self->st.cluster) return 0;
    uint8_t buf[16 + STORE_NAME_MAX];
    store_put_be(buf, cluster, 8);
    store_put_be(buf + 8, member, 8);
    memcpy(buf + 16, name, n);
    int rc = s_meta_put(self, wtxn, "id", buf, 16 + n);
    if (rc) return s_mdb_fail(err, errlen, rc, "record the member");
    self->st.cluster = cluster;
    self->st.member = member;
    snprintf(self->st.name, sizeof self->st.name, "%s", name);
    return 0;
}

int store_log_set_hard(store_log_t *self, MDB_txn *wtxn, const raft_hard_t *hard, char *err,
                       size_t errlen)
{
    int rc = s_put_hard(self, wtxn, hard);
    if (rc) return s_mdb_fail(err, errlen, rc, "hard state");
    self->st.hard = *hard;
    return 0;
}

/* --- writing the log ----------------------------------------------------------------------- */

static int s_put_entry(store_log_t *self, MDB_txn *txn, const raft_entry_t *e, unsigned flags)
{
    uint8_t key[8];
    store_put_be(key, e->index, 8);
    MDB_val k = {8, key}, v = {S_ENT_HDR + e->len, NULL};
    int rc = mdb_put(txn, self->log, &k, &v, flags | MDB_RESERVE);
    if (rc) return rc;
    uint8_t *p = v.mv_data;
    store_put_be(p, e->term, 8);
    p[8] = e->type;
    if (e->len) memcpy(p + S_ENT_HDR, e->data, e->len);
    return 0;
}

/* Deletes entries from index on. */
static int s_truncate(store_log_t *self, MDB_txn *txn, uint64_t from)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, self->log, &c);
    if (rc) return rc;
    uint8_t key[8];
    store_put_be(key, from, 8);
    MDB_val k = {8, key}, v;
    /* After a delete, MDB_NEXT gives the entry that followed the deleted one. */
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        rc = mdb_cursor_del(c, 0);
        if (!rc) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_log_bootstrap(store_log_t *self, MDB_txn *wtxn, const uint64_t *voters, size_t n,
                        char *err, size_t errlen)
{
    if (self->st.last >= self->st.first || self->st.hard.term || self->st.first != 1)
        return store_fail(err, errlen, BUS_EINVALID, "store: bootstrap needs an empty log");
    if (!n || n > RAFT_MEMBERS_MAX)
        return store_fail(err, errlen, BUS_EINVALID, "store: bootstrap needs 1 to %d members",
                          RAFT_MEMBERS_MAX);
    uint8_t data[RAFT_MEMBERS_MAX][9];
    raft_entry_t boot[RAFT_MEMBERS_MAX];
    size_t k = raft_bootstrap(voters, n, data, boot);
    int rc = 0;
    for (size_t i = 0; i < k && !rc; i++) rc = s_put_entry(self, wtxn, &boot[i], MDB_APPEND);
    raft_hard_t hard = {1, RAFT_NONE, k};
    raft_conf_t conf = {0};
    for (size_t i = 0; i < n; i++) conf.voters[conf.voters_n++] = voters[i];
    if (!rc) rc = s_put_hard(self, wtxn, &hard);
    if (!rc) rc = s_put_pair(self, wtxn, "applied", k, 1);
    if (!rc) rc = s_put_conf(self, wtxn, "conf", 0, 0, &conf, false);
    if (rc) return s_mdb_fail(err, errlen, rc, "bootstrap");
    self->st.hard = hard;
    self->st.applied = k;
    self->st.applied_term = 1;
    self->st.conf = conf;
    self->st.last = k;
    return 0;
}

int store_log_persist(store_log_t *self, MDB_txn *wtxn, const raft_ready_t *rd, char *err,
                      size_t errlen)
{
    int rc = 0;
    if (rd->entries_n) {
        uint64_t from = rd->entries[0].index;
        if (from < self->st.first || from > self->st.last + 1)
            return store_fail(err, errlen, BUS_EINTERNAL,
                              "store: raft log: entries from %" PRIu64
                              " do not fit a log of [%" PRIu64 ", %" PRIu64 "]",
                              from, self->st.first, self->st.last);
        if (from <= self->st.last) rc = s_truncate(self, wtxn, from);
        for (size_t i = 0; i < rd->entries_n && !rc; i++) {
            if (rd->entries[i].index != from + i)
                return store_fail(err, errlen, BUS_EINTERNAL,
                                  "store: raft log: entries out of order");
            rc = s_put_entry(self, wtxn, &rd->entries[i], MDB_APPEND);
        }
        if (rc) return s_mdb_fail(err, errlen, rc, "append");
        self->st.last = from + rd->entries_n - 1;
    }
    if (rd->hard_changed || rd->must_sync) {
        rc = s_put_hard(self, wtxn, &rd->hard);
        if (rc) return s_mdb_fail(err, errlen, rc, "hard state");
        self->st.hard = rd->hard;
    }
    return 0;
}

int store_log_set_applied(store_log_t *self, MDB_txn *wtxn, uint64_t index, uint64_t term,
                          const raft_conf_t *conf, char *err, size_t errlen)
{
    int rc = s_put_pair(self, wtxn, "applied", index, term);
    if (!rc && memcmp(conf, &self->st.conf, sizeof *conf) != 0)
        rc = s_put_conf(self, wtxn, "conf", 0, 0, conf, false);
    if (rc) return s_mdb_fail(err, errlen, rc, "applied index");
    self->st.applied = index;
    self->st.applied_term = term;
    self->st.conf = *conf;
    return 0;
}

int store_log_reset(store_log_t *self, MDB_txn *wtxn, uint64_t index, uint64_t term,
                    const raft_conf_t *conf, char *err, size_t errlen)
{
    int rc = mdb_drop(wtxn, self->log, 0);
    if (!rc) rc = s_put_pair(self, wtxn, "start", index, term);
    if (!rc) rc = s_put_pair(self, wtxn, "applied", index, term);
    if (!rc) rc = s_put_conf(self, wtxn, "conf", 0, 0, conf, false);
    if (self->st.hard.commit < index) {
        raft_hard_t h = self->st.hard;
        h.commit = index;
        if (!rc) rc = s_put_hard(self, wtxn, &h);
        if (!rc) self->st.hard = h;
    }
    if (rc) return s_mdb_fail(err, errlen, rc, "reset");
    self->st.first = index + 1;
    self->st.last = index;
    self->st.prev_term = term;
    self->st.applied = index;
    self->st.applied_term = term;
    self->st.conf = *conf;
    return 0;
}

static int s_term_at(store_log_t *self, MDB_txn *txn, uint64_t index, uint64_t *term)
{
    if (index + 1 == self->st.first) {
        *term = self->st.prev_term;
        return 0;
    }
    if (index < self->st.first) return RAFT_ECOMPACTED;
    if (index > self->st.last) return RAFT_EUNAVAILABLE;
    uint8_t key[8];
    store_put_be(key, index, 8);
    MDB_val k = {8, key}, v;
    int rc = mdb_get(txn, self->log, &k, &v);
    if (rc) return rc;
    if (v.mv_size < S_ENT_HDR) return MDB_CORRUPTED;
    *term = store_get_be(v.mv_data, 8);
    return 0;
}

int store_log_compact(store_log_t *self, MDB_txn *wtxn, uint64_t index, size_t max_entries,
                      bool *done, char *err, size_t errlen)
{
    *done = true;
    if (index > self->st.applied) index = self->st.applied;
    if (index < self->st.first) return 0;
    uint64_t upto = index;
    if (max_entries && upto - self->st.first + 1 > max_entries) {
        upto = self->st.first + max_entries - 1;
        *done = false;
    }
    uint64_t term;
    int rc = s_term_at(self, wtxn, upto, &term);
    if (rc) return s_mdb_fail(err, errlen, rc < 0 ? MDB_CORRUPTED : rc, "compact");
    MDB_cursor *c = NULL;
    rc = mdb_cursor_open(wtxn, self->log, &c);
    MDB_val k, v;
    if (!rc) rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0 && k.mv_size == 8 && store_get_be(k.mv_data, 8) <= upto) {
        rc = mdb_cursor_del(c, 0);
        if (!rc) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) rc = 0;
    if (c) mdb_cursor_close(c);
    if (!rc) rc = s_put_pair(self, wtxn, "start", upto, term);
    if (rc) return s_mdb_fail(err, errlen, rc, "compact");
    self->st.first = upto + 1;
    self->st.prev_term = term;
    return 0;
}

int store_log_set_snapshot(store_log_t *self, MDB_txn *wtxn, const raft_snap_meta_t *meta,
                           char *err, size_t errlen)
{
    int rc = s_put_conf(self, wtxn, "snap", meta->index, meta->term, &meta->conf, true);
    if (rc) return s_mdb_fail(err, errlen, rc, "snapshot");
    self->st.snap = *meta;
    return 0;
}

/* --- storage for the core ------------------------------------------------------------------ */

void store_log_use(store_log_t *self, MDB_txn *txn)
{
    self->rtxn = txn;
}

static uint64_t s_first(void *arg)
{
    return ((store_log_t *)arg)->st.first;
}

static uint64_t s_last(void *arg)
{
    return ((store_log_t *)arg)->st.last;
}

static int s_term(void *arg, uint64_t index, uint64_t *term)
{
    store_log_t *self = arg;
    assert(self->rtxn);
    int rc = s_term_at(self, self->rtxn, index, term);
    return rc > 0 ? RAFT_EUNAVAILABLE : rc;
}

static int s_entries(void *arg, uint64_t lo, uint64_t hi, size_t max_bytes,
                     void (*emit)(void *ctx, const raft_entry_t *e), void *ctx)
{
    store_log_t *self = arg;
    assert(self->rtxn);
    if (lo < self->st.first) return RAFT_ECOMPACTED;
    if (hi > self->st.last + 1) return RAFT_EUNAVAILABLE;
    MDB_cursor *c;
    if (mdb_cursor_open(self->rtxn, self->log, &c)) return RAFT_EUNAVAILABLE;
    uint8_t key[8];
    store_put_be(key, lo, 8);
    MDB_val k = {8, key}, v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
    size_t bytes = 0;
    for (uint64_t i = lo; i < hi && rc == 0; i++) {
        if (k.mv_size != 8 || store_get_be(k.mv_data, 8) != i || v.mv_size < S_ENT_HDR) {
            rc = MDB_CORRUPTED;
            break;
        }
        const uint8_t *p = v.mv_data;
        raft_entry_t e = {.term = store_get_be(p, 8),
                          .index = i,
                          .type = p[8],
                          .data = p + S_ENT_HDR,
                          .len = v.mv_size - S_ENT_HDR};
        emit(ctx, &e);
        bytes += e.len;
        if (bytes > max_bytes || i + 1 == hi) break;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc ? RAFT_EUNAVAILABLE : 0;
}

static int s_snapshot(void *arg, raft_snap_meta_t *meta)
{
    *meta = ((store_log_t *)arg)->st.snap;
    return 0;
}

raft_storage_t store_log_storage(store_log_t *self)
{
    return (raft_storage_t){self, s_first, s_last, s_term, s_entries, s_snapshot};
}
