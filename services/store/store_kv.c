/* store_kv: the MVCC keyspace over LMDB (the model and the API are in store_kv.h). This file
 * holds the layout, the write path, reads, compaction and the digest; the index of keys lives in
 * memory (store_kv_index); the selftest and its model checker live in store_kv_test.c.
 *
 * Layout. Integers are big-endian, so LMDB's byte order is numeric order.
 *   kv.revs  key:   revision (8), sub (2: the change's place within its revision)
 *            value: flags (1 byte, 0x01 = tombstone), the user key's length (2); a live version
 *                   goes on with its create_revision (8) and version (8); then the user key, then
 *                   a live version's value bytes (a tombstone's record ends with the key)
 *   kv.meta  "v" -> format (8) = 3, "r" -> current revision (8), "c" -> compacted revision (8),
 *            "p" -> where compaction resumes: a kv.revs key (10),
 *            "g" + group -> the last revision that changed a key of that group (8)
 *   Every version is one kv.revs record, which says all there is to know about it: the history
 *   is the keyspace. Writes append to it in revision order, filling its pages one after another.
 *   create_revision and version are stored, not derived while reading the history in order,
 *   because compaction deletes a key's older versions: what it keeps could not be numbered again.
 *
 * The index. Finding a key's versions by key is store_kv_index's work, in memory: every key in
 * byte order with each version's (mod revision, sub, tombstone, create_revision, version),
 * rebuilt at open by one pass over kv.revs in order. Format 2 kept it in LMDB (kv.keys, by key
 * then revision), where each put inserted at a random place of a B-tree and dirtied a leaf page
 * of its own: most of the pages a batch of writes had to flush. Now a put appends to the
 * history's end (and updates a few meta entries).
 * Reads take the newest version at or below their revision from the index, then its value from
 * kv.revs by (mod, sub) through their own LMDB transaction. How the index stays exactly in step
 * with transactions that commit or abort, and with readers on other threads, is argued in
 * store_kv_index.h.
 *
 * Compaction to C walks kv.revs in order from "p" up to C. For each change (key, r, sub) it
 * deletes the records of the key's versions below r (at most the one an earlier step kept), then
 * (key, r)'s own if it is a tombstone; a live (key, r) keeps its record, which holds its value.
 * "p" then moves past (r, sub), written in the same LMDB txn as the deletes, so a crash neither
 * loses nor repeats a step. What is left of a key at or below C is its latest version there,
 * unless that was a delete, and the records before "p" are exactly those versions' records.
 * Events are read only above C, so these are never replayed. The index marks the deleted
 * versions and lets them go at store_kv_settle. */
#include "store_kv.h"
#include "store_util.h"
#include "bus_codec.h"
#include "bus_err.h"
#include "store_kv_index.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_REVKEY   10 /* revision and sub in kv.revs */
#define S_TOMB_HDR 3  /* a tombstone's record before its key: flags, key length */
#define S_LIVE_HDR 19 /* a live version's: flags, key length, create_revision, version */
#define S_TOMB     0x01u
#define S_FORMAT   3
#define S_META_N   4  /* "v", "r", "c", "p": the meta entries that are not groups */
#define S_CHUNK    64 /* keys a walk copies out of the index at a time */

struct store_kv_space_t {
    MDB_dbi revs, meta;
    store_kv_limits_t limits;
    store_kv_index_t *index;
};

/* One version of a key as the index has it. value is NULL until s_value reads it from kv.revs;
 * then it points into LMDB: valid until the txn writes or ends. A missing key and a tombstone
 * both read as not live (mod tells them apart). */
typedef struct {
    bool live;
    uint16_t sub;
    uint64_t create, mod, version;
    const uint8_t *value;
    size_t value_len;
} s_ver_t;

/* --- errors and encodings ------------------------------------------------------------------ */

/* Keys in error texts: at most S_KEY_SHOWN bytes of them, so the rest of the text survives. */
#define S_KEY_SHOWN 120
#define S_KEY_FMT   "%.*s%s"
#define S_KEY_ARG(k)                                               \
    (int)(strlen(k) > S_KEY_SHOWN ? S_KEY_SHOWN : strlen(k)), (k), \
        (strlen(k) > S_KEY_SHOWN ? "..." : "")

/* An LMDB failure. A full environment is something operators fix (compact, grow the map) and
 * the service answers as unavailable; anything else is a bug or damage. */
static int s_mdb_fail(char *err, size_t errlen, int rc, const char *what, const char *key)
{
    bool full = rc == MDB_MAP_FULL || rc == MDB_TXN_FULL;
    const char *text = rc == MDB_CORRUPTED ? "corrupt keyspace entry" : mdb_strerror(rc);
    key = key ? key : "";
    return store_fail(err, errlen, full ? BUS_EUNAVAILABLE : BUS_EINTERNAL,
                      "store: %s%s" S_KEY_FMT ": %s%s", what, *key ? " " : "", S_KEY_ARG(key), text,
                      full ? " (the store is full: compact it or give it a larger map)" : "");
}

/* The caller's arena ran out while a reply was being built. */
static int s_arena_fail(char *err, size_t errlen, const char *what, const char *key)
{
    return store_fail(err, errlen, BUS_ETOOBIG,
                      "store: %s%s" S_KEY_FMT ": reply too large for its arena", what,
                      *key ? " " : "", S_KEY_ARG(key));
}

/* The kv.revs key of (rev, sub) in out (S_REVKEY bytes). */
static void s_revkey(uint8_t *out, uint64_t rev, uint16_t sub)
{
    store_put_be(out, rev, 8);
    store_put_be(out + 8, sub, 2);
}

/* The smallest kv.revs key above k: k + 1 (revisions stay far below 2^64, so no overflow). */
static void s_revkey_next(uint8_t *k)
{
    for (int i = S_REVKEY - 1; i >= 0; i--)
        if (++k[i] != 0) return;
}

static store_kv_pos_t s_pos(const uint8_t *k)
{
    return (store_kv_pos_t){store_get_be(k, 8), (uint16_t)store_get_be(k + 8, 2)};
}

/* A kv.revs record taken apart. key and value point into LMDB (see s_ver_t). */
typedef struct {
    bool live;
    uint64_t create, version;
    const char *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
} s_hist_t;

/* Splits a kv.revs record into its fields; false when malformed. */
static bool s_hist_decode(const MDB_val *d, s_hist_t *h)
{
    const uint8_t *p = d->mv_data;
    if (d->mv_size < S_TOMB_HDR || (p[0] & ~S_TOMB)) return false;
    *h = (s_hist_t){.live = !(p[0] & S_TOMB), .key_len = store_get_be(p + 1, 2)};
    size_t hdr = h->live ? S_LIVE_HDR : S_TOMB_HDR;
    if (!h->key_len || h->key_len > STORE_KV_KEY_MAX || d->mv_size < hdr + h->key_len) return false;
    if (h->live) {
        h->create = store_get_be(p + 3, 8);
        h->version = store_get_be(p + 11, 8);
        if (!h->create || !h->version) return false;
    }
    h->key = (const char *)p + hdr;
    h->value = p + hdr + h->key_len;
    h->value_len = d->mv_size - hdr - h->key_len;
    return h->live || !h->value_len;
}

/* Checks that a kv.revs record is the one of version v of key, as the index describes it. */
static bool s_hist_is(const s_hist_t *h, const char *key, size_t len, const s_ver_t *v)
{
    return h->key_len == len && memcmp(h->key, key, len) == 0 && h->live == v->live &&
           h->create == v->create && h->version == v->version;
}

/* Memory order of byte strings, shorter first on a tie: the order of user keys. */
static int s_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* --- reading versions ---------------------------------------------------------------------- */

static s_ver_t s_ver(const store_kv_ver_t *iv)
{
    return (s_ver_t){.live = iv->live,
                     .sub = iv->sub,
                     .create = iv->create,
                     .mod = iv->mod,
                     .version = iv->version};
}

/* The latest version of key at or below rev, in *v (all zero when none). */
static void s_latest(store_kv_space_t *self, const char *key, size_t len, uint64_t rev, s_ver_t *v)
{
    store_kv_ver_t iv;
    *v = store_kv_index_latest(self->index, key, len, rev, &iv) ? s_ver(&iv) : (s_ver_t){0};
}

/* Reads the value of version v of key (when live) out of its kv.revs record. Returns 0 or an
 * LMDB code (MDB_CORRUPTED when the record is missing or is not the one the index describes). */
static int s_value(store_kv_space_t *self, MDB_txn *txn, const char *key, size_t len, s_ver_t *v)
{
    if (!v->live) return 0;
    uint8_t rb[S_REVKEY];
    s_revkey(rb, v->mod, v->sub);
    MDB_val k = {S_REVKEY, rb}, d;
    int rc = mdb_get(txn, self->revs, &k, &d);
    if (rc) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc; /* a version whose value is lost */
    s_hist_t h;
    if (!s_hist_decode(&d, &h) || !s_hist_is(&h, key, len, v)) return MDB_CORRUPTED;
    v->value = h.value;
    v->value_len = h.value_len;
    return 0;
}

static int s_meta_get(store_kv_space_t *self, MDB_txn *txn, const void *name, size_t len,
                      uint64_t *out)
{
    MDB_val k = {len, (void *)name}, d;
    *out = 0;
    int rc = mdb_get(txn, self->meta, &k, &d);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return rc;
    if (d.mv_size != 8) return MDB_CORRUPTED;
    *out = store_get_be(d.mv_data, 8);
    return 0;
}

static int s_meta_put(store_kv_space_t *self, MDB_txn *txn, const void *name, size_t len,
                      uint64_t value)
{
    uint8_t b[8];
    store_put_be(b, value, 8);
    MDB_val k = {len, (void *)name}, d = {8, b};
    return mdb_put(txn, self->meta, &k, &d, 0);
}

/* Where compaction resumes: the kv.revs key of the first change it has not processed. */
static int s_resume_get(store_kv_space_t *self, MDB_txn *txn, uint8_t out[S_REVKEY])
{
    MDB_val k = {1, "p"}, d;
    int rc = mdb_get(txn, self->meta, &k, &d);
    if (rc) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc; /* written when the store was made */
    if (d.mv_size != S_REVKEY) return MDB_CORRUPTED;
    memcpy(out, d.mv_data, S_REVKEY);
    return 0;
}

static int s_resume_put(store_kv_space_t *self, MDB_txn *txn, const uint8_t pos[S_REVKEY])
{
    MDB_val k = {1, "p"}, d = {S_REVKEY, (void *)pos};
    return mdb_put(txn, self->meta, &k, &d, 0);
}

/* Current and compacted revision. */
static int s_revs(store_kv_space_t *self, MDB_txn *txn, uint64_t *cur, uint64_t *compacted,
                  char *err, size_t errlen)
{
    int rc = s_meta_get(self, txn, "r", 1, cur);
    if (!rc) rc = s_meta_get(self, txn, "c", 1, compacted);
    return rc ? s_mdb_fail(err, errlen, rc, "read", "meta") : 0;
}

/* A store_kv_t in arena for version v of key (which the caller has placed in arena or borrows);
 * the value is copied when with_value. NULL when the arena is exhausted. */
static store_kv_t *s_kv_new(bus_arena_t *arena, char *key, const s_ver_t *v, bool with_value)
{
    store_kv_t *kv = key ? bus_arena_alloc(arena, sizeof *kv) : NULL;
    if (!kv) return NULL;
    *kv = (store_kv_t){
        .key = key, .create_revision = v->create, .mod_revision = v->mod, .version = v->version};
    if (with_value && v->value_len) {
        if (!(kv->value.data = bus_arena_alloc(arena, v->value_len))) return NULL;
        memcpy(kv->value.data, v->value, v->value_len);
        kv->value.len = v->value_len;
    }
    return kv;
}

static store_header_t *s_header(bus_arena_t *arena, uint64_t rev, uint64_t compacted)
{
    store_header_t *h = bus_arena_alloc(arena, sizeof *h);
    if (h) *h = (store_header_t){.revision = rev, .compacted = compacted};
    return h;
}

/* Grows a malloc'd array to hold n + 1 items of size. */
static void s_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return;
    *cap = *cap ? *cap * 2 : 64;
    if (!(*v = realloc(*v, *cap * size))) abort();
}

/* Moves a malloc'd array into arena; frees it either way. */
static void *s_to_arena(bus_arena_t *arena, void *v, size_t n, size_t size, bool *ok)
{
    void *out = NULL;
    if (n && (out = bus_arena_alloc(arena, n * size))) memcpy(out, v, n * size);
    if (n && !out) *ok = false;
    free(v);
    return out;
}

/* --- walks over the index ------------------------------------------------------------------ */

/* The keys of the index in order from a position, each with its version at rev, copied out a
 * chunk at a time (the index is locked only while a chunk is copied: the writer goes on
 * meanwhile, and what it adds is above rev). */
typedef struct {
    store_kv_index_t *index;
    uint64_t rev;
    store_kv_index_item_t *items;
    size_t n, i, chunk;
    bool last;                          /* the index ends with the chunk held */
    uint8_t from[STORE_KV_KEY_MAX + 2]; /* where the next chunk starts */
    size_t from_len;
} s_walk_t;

/* A walk from pos; chunk is the first chunk's size (later ones grow to S_CHUNK). */
static void s_walk_init(s_walk_t *w, store_kv_index_t *index, uint64_t rev, const void *pos,
                        size_t len, size_t chunk)
{
    *w = (s_walk_t){.index = index, .rev = rev, .chunk = chunk, .from_len = len};
    memcpy(w->from, pos, len);
    w->items = malloc(S_CHUNK * sizeof *w->items);
    if (!w->items) abort();
}

static void s_walk_free(s_walk_t *w)
{
    free(w->items);
    w->items = NULL;
}

/* The next key, NULL at the end. Valid until the next call. */
static const store_kv_index_item_t *s_walk_next(s_walk_t *w)
{
    if (w->i == w->n) {
        if (w->last) return NULL;
        w->n = store_kv_index_scan(w->index, w->from, w->from_len, w->rev, w->items, w->chunk);
        w->i = 0;
        w->last = w->n < w->chunk;
        if (!w->n) return NULL;
        const store_kv_index_item_t *end = &w->items[w->n - 1];
        memcpy(w->from, end->key, end->len);
        w->from[end->len] = 0; /* the smallest key above it: keys hold no NUL */
        w->from_len = end->len + 1;
        w->chunk = w->chunk * 2 < S_CHUNK ? w->chunk * 2 : S_CHUNK;
    }
    return &w->items[w->i++];
}

/* --- open ---------------------------------------------------------------------------------- */

static int s_open_dbs(store_kv_space_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    const char *names[] = {"kv.revs", "kv.meta"};
    MDB_dbi *dbis[] = {&self->revs, &self->meta};
    for (size_t i = 0; i < 2; i++) {
        int rc = mdb_dbi_open(txn, names[i], MDB_CREATE, dbis[i]);
        if (rc) return s_mdb_fail(err, errlen, rc, "open", names[i]);
    }
    uint64_t format;
    int rc = s_meta_get(self, txn, "v", 1, &format);
    if (rc) return s_mdb_fail(err, errlen, rc, "read", "meta");
    if (format && format != S_FORMAT)
        return store_fail(err, errlen, BUS_ECONFIG,
                          "store: the keyspace is in format %" PRIu64
                          ", this build reads format %d",
                          format, S_FORMAT);
    if (format) return 0;
    MDB_stat st;
    rc = mdb_stat(txn, self->revs, &st);
    if (!rc && st.ms_entries)
        return store_fail(err, errlen, BUS_ECONFIG, "store: kv.revs holds entries but no format");
    if (!rc) rc = s_meta_put(self, txn, "v", 1, S_FORMAT);
    if (!rc) rc = s_meta_put(self, txn, "r", 1, 1);
    if (!rc) rc = s_meta_put(self, txn, "c", 1, 0);
    uint8_t start[S_REVKEY] = {0};
    if (!rc) rc = s_resume_put(self, txn, start);
    return rc ? s_mdb_fail(err, errlen, rc, "initialize", "meta") : 0;
}

/* Builds the index out of kv.revs, in order: each key's versions come oldest first. */
static int s_load(store_kv_space_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, self->revs, &c);
    if (rc) return s_mdb_fail(err, errlen, rc, "open cursor", "kv.revs");
    MDB_val k, d;
    for (rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); !rc; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        s_hist_t h;
        if (k.mv_size != S_REVKEY || !s_hist_decode(&d, &h)) {
            rc = MDB_CORRUPTED;
            break;
        }
        store_kv_pos_t pos = s_pos(k.mv_data);
        store_kv_ver_t v = {.mod = pos.rev,
                            .sub = pos.sub,
                            .live = h.live,
                            .create = h.create,
                            .version = h.version};
        if ((h.live && h.create > pos.rev) ||
            store_kv_index_load(self->index, h.key, h.key_len, &v)) {
            rc = MDB_CORRUPTED;
            break;
        }
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? s_mdb_fail(err, errlen, rc, "load", "kv.revs") : 0;
}

int store_kv_open(MDB_txn *txn, const store_kv_limits_t *limits, store_kv_space_t **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    store_kv_limits_t l = limits ? *limits : (store_kv_limits_t){0};
    if (!l.value_max) l.value_max = STORE_KV_VALUE_MAX_DEF;
    if (!l.reply_bytes_max) l.reply_bytes_max = STORE_KV_REPLY_BYTES_MAX_DEF;
    if (!l.count_scan_max) l.count_scan_max = STORE_KV_COUNT_SCAN_MAX_DEF;
    if (l.value_max > 16000000)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: value limit %zu is above the schema's 16000000", l.value_max);
    if (sodium_init() < 0) abort();
    store_kv_space_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->limits = l;
    self->index = store_kv_index_new();
    int rc = s_open_dbs(self, txn, err, errlen);
    if (!rc) rc = s_load(self, txn, err, errlen);
    if (rc) {
        store_kv_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void store_kv_destroy(store_kv_space_t **self_p)
{
    if (!self_p || !*self_p) return;
    store_kv_index_destroy(&(*self_p)->index);
    free(*self_p);
    *self_p = NULL;
}

uint64_t store_kv_revision(store_kv_space_t *self, MDB_txn *txn)
{
    uint64_t v;
    return s_meta_get(self, txn, "r", 1, &v) ? 0 : v;
}

uint64_t store_kv_compacted(store_kv_space_t *self, MDB_txn *txn)
{
    uint64_t v;
    return s_meta_get(self, txn, "c", 1, &v) ? 0 : v;
}

size_t store_kv_group_len(const char *key, size_t len)
{
    int slashes = 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] == '/' && ++slashes == 3) return i + 1;
    return len;
}

/* Compaction's resume point as txn sees it. */
static int s_resume_pos(store_kv_space_t *self, MDB_txn *txn, store_kv_pos_t *out)
{
    uint8_t p[S_REVKEY];
    int rc = s_resume_get(self, txn, p);
    if (!rc) *out = s_pos(p);
    return rc;
}

/* The start of a write call: the index forgets what aborted transactions left in it (see
 * store_kv_index.h). cur is the revision wtxn sees. */
static int s_sync(store_kv_space_t *self, MDB_txn *wtxn, uint64_t cur, char *err, size_t errlen)
{
    store_kv_pos_t p;
    int rc = s_resume_pos(self, wtxn, &p);
    if (rc) return s_mdb_fail(err, errlen, rc, "read", "meta");
    store_kv_index_sync(self->index, mdb_txn_id(wtxn), cur, p);
    return 0;
}

int store_kv_settle(store_kv_space_t *self, MDB_txn *txn, char *err, size_t errlen)
{
    store_kv_pos_t p;
    int rc = s_resume_pos(self, txn, &p);
    if (rc) return s_mdb_fail(err, errlen, rc, "settle", NULL);
    store_kv_index_settle(self->index, p);
    return 0;
}

/* --- transactions -------------------------------------------------------------------------- */

static int s_check_key(const char *key, const char *what, char *err, size_t errlen)
{
    if (!key || !*key) return store_fail(err, errlen, BUS_EINVALID, "store: %s: empty key", what);
    size_t len = strlen(key);
    if (len > STORE_KV_KEY_MAX)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: %s " S_KEY_FMT
                          ": a key of %zu bytes is longer than the limit of %d bytes",
                          what, S_KEY_ARG(key), len, STORE_KV_KEY_MAX);
    return 0;
}

static int s_check_ops(store_kv_space_t *self, const codec_list_t *ops, char *err, size_t errlen)
{
    const store_op_t *op = ops->v;
    for (size_t i = 0; i < ops->n; i++) {
        const char *what = op[i].type == STORE_OP_TYPE_DELETE ? "delete" : "put";
        int rc = s_check_key(op[i].key, what, err, errlen);
        if (rc) return rc;
        if (op[i].type == STORE_OP_TYPE_PUT && op[i].value.len > self->limits.value_max)
            return store_fail(err, errlen, BUS_ETOOBIG,
                              "store: put " S_KEY_FMT
                              ": a value of %zu bytes is larger than the limit of %zu bytes",
                              S_KEY_ARG(op[i].key), op[i].value.len, self->limits.value_max);
        for (size_t j = 0; j < i; j++)
            if (strcmp(op[j].key, op[i].key) == 0)
                return store_fail(err, errlen, BUS_EINVALID,
                                  "store: %s " S_KEY_FMT
                                  ": a key may appear once in a transaction's branch",
                                  what, S_KEY_ARG(op[i].key));
    }
    return 0;
}

/* Everything that can refuse a request, before anything is written. */
static int s_txn_check(store_kv_space_t *self, const store_txn_request_t *req, char *err,
                       size_t errlen)
{
    const codec_list_t *lists[] = {&req->compares, &req->success, &req->failure};
    const char *names[] = {"compares", "success", "failure"};
    for (size_t i = 0; i < 3; i++) {
        const codec_field_t *f = codec_field_by_name(&store_txn_request_desc, names[i]);
        if (lists[i]->n > f->items_max)
            return store_fail(err, errlen, BUS_EINVALID, "store: txn: %zu %s, the limit is %u",
                              lists[i]->n, names[i], f->items_max);
    }
    const store_compare_t *c = req->compares.v;
    for (size_t i = 0; i < req->compares.n; i++) {
        int rc = s_check_key(c[i].key, "compare", err, errlen);
        if (rc) return rc;
    }
    int rc = s_check_ops(self, &req->success, err, errlen);
    if (!rc) rc = s_check_ops(self, &req->failure, err, errlen);
    if (rc) return rc;
    codec_err_t cerr;
    if (codec_validate(&store_txn_request_desc, req, &cerr))
        return store_fail(err, errlen, BUS_EINVALID, "store: txn: %s", cerr.text);
    return 0;
}

static bool s_compare_holds(const store_compare_t *c, const s_ver_t *v)
{
    uint64_t have = 0;
    switch (c->target) {
    case STORE_COMPARE_TARGET_MOD: have = v->live ? v->mod : 0; break;
    case STORE_COMPARE_TARGET_CREATE: have = v->live ? v->create : 0; break;
    case STORE_COMPARE_TARGET_VERSION: have = v->live ? v->version : 0; break;
    case STORE_COMPARE_TARGET_EXISTS: have = v->live; break;
    default: return false;
    }
    switch (c->op) {
    case STORE_COMPARE_OP_EQ: return have == c->value;
    case STORE_COMPARE_OP_NE: return have != c->value;
    case STORE_COMPARE_OP_LT: return have < c->value;
    case STORE_COMPARE_OP_GT: return have > c->value;
    default: return false;
    }
}

/* Whether every compare holds against the keys at revision cur (the writer's: its own earlier
 * changes included). */
static bool s_compares(store_kv_space_t *self, const codec_list_t *compares, uint64_t cur)
{
    const store_compare_t *cmp = compares->v;
    for (size_t i = 0; i < compares->n; i++) {
        s_ver_t v;
        s_latest(self, cmp[i].key, strlen(cmp[i].key), cur, &v);
        if (!s_compare_holds(&cmp[i], &v)) return false;
    }
    return true;
}

/* The state of one store_kv_txn. It reads and builds its reply first, then writes, so that
 * only LMDB can fail once writing has begun. */
typedef struct {
    store_kv_space_t *self;
    MDB_txn *txn;
    uint64_t cur; /* the revision before the txn */
    uint64_t rev; /* the revision the changes take */
    uint16_t sub; /* changes so far */
    bus_arena_t *arena;
    store_event_t *events; /* one per change */
    char *err;
    size_t errlen;
} s_apply_t;

/* Reads the op's key, fills its result and, if it changes something, its event. */
static int s_plan_op(s_apply_t *a, const store_op_t *op, store_op_result_t *result)
{
    bool put = op->type == STORE_OP_TYPE_PUT;
    const char *what = put ? "put" : "delete";
    s_ver_t was;
    s_latest(a->self, op->key, strlen(op->key), a->cur, &was);
    int rc = s_value(a->self, a->txn, op->key, strlen(op->key), &was); /* for prev */
    if (rc) return s_mdb_fail(a->err, a->errlen, rc, what, op->key);
    if (!put && !was.live) return 0;
    store_kv_t *prev = was.live ? s_kv_new(a->arena, op->key, &was, true) : NULL;
    if (was.live && !prev) return s_arena_fail(a->err, a->errlen, what, op->key);
    if (op->prev_kv) result->prev = prev;
    result->deleted = !put;
    s_ver_t now = {.live = put, .mod = a->rev};
    if (put) {
        now.create = was.live ? was.create : a->rev;
        now.version = was.live ? was.version + 1 : 1;
    }
    store_event_t *ev = &a->events[a->sub++];
    *ev = (store_event_t){.type = put ? STORE_EVENT_TYPE_PUT : STORE_EVENT_TYPE_DELETE,
                          .kv = s_kv_new(a->arena, op->key, &now, false),
                          .prev = prev,
                          .revision = a->rev};
    if (!ev->kv) return s_arena_fail(a->err, a->errlen, what, op->key);
    if (put) ev->kv->value = op->value;
    return 0;
}

/* The meta key of a key's group ("g" + group) in gk; returns its length. */
static size_t s_group_key(uint8_t *gk, const char *key)
{
    size_t glen = store_kv_group_len(key, strlen(key));
    gk[0] = 'g';
    memcpy(gk + 1, key, glen);
    return glen + 1;
}

/* Reads every op's key, builds results and events (with group_prev: the group's last revision
 * before this txn, also for a second change of a group in the same txn). Writes nothing. */
static int s_plan(s_apply_t *a, const codec_list_t *ops, store_txn_reply_t *reply)
{
    size_t n = ops->n;
    reply->results.n = n;
    reply->results.v = n ? bus_arena_alloc(a->arena, n * sizeof(store_op_result_t)) : NULL;
    a->events = n ? bus_arena_alloc(a->arena, n * sizeof(store_event_t)) : NULL;
    if (n && (!reply->results.v || !a->events)) return s_arena_fail(a->err, a->errlen, "txn", "");
    const store_op_t *op = ops->v;
    store_op_result_t *results = reply->results.v;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) rc = s_plan_op(a, &op[i], &results[i]);
    uint8_t gk[1 + STORE_KV_KEY_MAX];
    for (uint16_t i = 0; i < a->sub && !rc; i++) {
        const char *key = a->events[i].kv->key;
        if ((rc = s_meta_get(a->self, a->txn, gk, s_group_key(gk, key), &a->events[i].group_prev)))
            rc = s_mdb_fail(a->err, a->errlen, rc, "read group of", key);
    }
    return rc;
}

/* Writes the kv.revs record of change sub (event ev: a put or a tombstone), appended since
 * revisions only grow. */
static int s_write(s_apply_t *a, const store_event_t *ev, uint16_t sub)
{
    bool put = ev->type == STORE_EVENT_TYPE_PUT;
    const store_kv_t *kv = ev->kv;
    size_t len = strlen(kv->key), value_len = put ? kv->value.len : 0;
    size_t hdr = put ? S_LIVE_HDR : S_TOMB_HDR;
    uint8_t rb[S_REVKEY];
    s_revkey(rb, a->rev, sub);
    MDB_val rk = {S_REVKEY, rb}, rd = {hdr + len + value_len, NULL};
    int rc = mdb_put(a->txn, a->self->revs, &rk, &rd, MDB_APPEND | MDB_RESERVE);
    if (rc) return rc;
    uint8_t *p = rd.mv_data;
    p[0] = put ? 0 : S_TOMB;
    store_put_be(p + 1, len, 2);
    if (put) {
        store_put_be(p + 3, kv->create_revision, 8);
        store_put_be(p + 11, kv->version, 8);
    }
    memcpy(p + hdr, kv->key, len);
    if (value_len) memcpy(p + hdr + len, kv->value.data, value_len);
    return 0;
}

/* Writes the planned changes, the groups' last revision and the store's revision, then adds
 * the new versions to the index (after "r": see store_kv_index.h). */
static int s_commit(s_apply_t *a)
{
    for (uint16_t i = 0; i < a->sub; i++) {
        const store_event_t *ev = &a->events[i];
        int rc = s_write(a, ev, i);
        if (rc)
            return s_mdb_fail(a->err, a->errlen, rc,
                              ev->type == STORE_EVENT_TYPE_PUT ? "put" : "delete", ev->kv->key);
    }
    uint8_t gk[1 + STORE_KV_KEY_MAX];
    for (uint16_t i = 0; i < a->sub; i++) {
        const char *key = a->events[i].kv->key;
        int rc = s_meta_put(a->self, a->txn, gk, s_group_key(gk, key), a->rev);
        if (rc) return s_mdb_fail(a->err, a->errlen, rc, "record group of", key);
    }
    int rc = s_meta_put(a->self, a->txn, "r", 1, a->rev);
    if (rc) return s_mdb_fail(a->err, a->errlen, rc, "record revision", NULL);
    size_t txn = mdb_txn_id(a->txn);
    for (uint16_t i = 0; i < a->sub; i++) {
        const store_kv_t *kv = a->events[i].kv;
        store_kv_ver_t v = {.mod = a->rev,
                            .create = kv->create_revision,
                            .version = kv->version,
                            .sub = i,
                            .live = a->events[i].type == STORE_EVENT_TYPE_PUT};
        store_kv_index_add(a->self->index, txn, kv->key, strlen(kv->key), &v);
    }
    return 0;
}

int store_kv_txn(store_kv_space_t *self, MDB_txn *wtxn, const store_txn_request_t *req,
                 bus_arena_t *arena, store_txn_reply_t *reply, store_kv_changes_t *changes,
                 char *err, size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    if (changes) memset(changes, 0, sizeof *changes);
    uint64_t cur, compacted;
    int rc = s_txn_check(self, req, err, errlen);
    if (!rc) rc = s_revs(self, wtxn, &cur, &compacted, err, errlen);
    if (!rc) rc = s_sync(self, wtxn, cur, err, errlen);
    if (rc) return rc;
    if (cur >= STORE_KV_REVISION_MAX)
        return store_fail(err, errlen, BUS_EUNAVAILABLE, "store: txn: revisions are exhausted");
    bool ok = s_compares(self, &req->compares, cur);
    s_apply_t a = {.self = self,
                   .txn = wtxn,
                   .cur = cur,
                   .rev = cur + 1,
                   .arena = arena,
                   .err = err,
                   .errlen = errlen};
    const codec_list_t *ops = ok ? &req->success : &req->failure;
    if ((rc = s_plan(&a, ops, reply))) return rc;
    reply->succeeded = ok;
    reply->revision = a.sub ? a.rev : cur;
    if (!(reply->header = s_header(arena, reply->revision, compacted)))
        return s_arena_fail(err, errlen, "txn", "");
    if (a.sub && (rc = s_commit(&a))) return rc;
    if (changes && a.sub) *changes = (store_kv_changes_t){a.rev, {a.sub, a.events}};
    return 0;
}

/* --- ranges -------------------------------------------------------------------------------- */

/* Which keys a range covers; the walk starts at key (or after the continue key). */
typedef struct {
    const char *key, *end;
    size_t key_len, end_len;
    bool prefix, single;
} s_span_t;

/* Whether a key met in order, at or above the span's start, is still inside it. */
static bool s_span_has(const s_span_t *s, const char *k, size_t len)
{
    if (s->single) return len == s->key_len && memcmp(k, s->key, len) == 0;
    if (s->prefix) return len >= s->key_len && memcmp(k, s->key, s->key_len) == 0;
    return s_cmp(k, len, s->end, s->end_len) < 0;
}

static int s_range_check(const store_range_request_t *req, s_span_t *span, char *err, size_t errlen)
{
    const char *key = req->key ? req->key : "", *end = req->end ? req->end : "";
    const char *after = req->after ? req->after : "";
    *span = (s_span_t){.key = key, .key_len = strlen(key), .end = end, .end_len = strlen(end)};
    span->prefix = req->prefix;
    span->single = !req->prefix && !span->end_len;
    if (span->key_len > STORE_KV_KEY_MAX || strlen(after) > STORE_KV_KEY_MAX ||
        span->end_len > STORE_KV_KEY_MAX + 1)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: range: a key longer than the limit of %d bytes",
                          STORE_KV_KEY_MAX);
    return 0;
}

/* The revision a read is served at: want, or the current one for 0. */
static int s_read_at(store_kv_space_t *self, MDB_txn *txn, uint64_t want, uint64_t *rev,
                     uint64_t *compacted, char *err, size_t errlen)
{
    uint64_t cur;
    int rc = s_revs(self, txn, &cur, compacted, err, errlen);
    if (rc) return rc;
    *rev = want ? want : cur;
    if (*rev > cur)
        return store_fail(err, errlen, BUS_EUNAVAILABLE,
                          "store: revision %" PRIu64 " is ahead of this member (at %" PRIu64 ")",
                          *rev, cur);
    if (*rev < *compacted)
        return store_fail(err, errlen, BUS_EGONE,
                          "store: required revision has been compacted (revision %" PRIu64
                          ", compacted %" PRIu64 ")",
                          *rev, *compacted);
    return 0;
}

/* A range's result while it is collected: kvs in a malloc'd array, keys and values in arena. */
typedef struct {
    store_kv_t *v;
    size_t n, cap, max;
    size_t bytes, bytes_max;
    bool full, keys_only;
    uint64_t count;
    bool more, oom;
} s_page_t;

static void s_page_add(s_page_t *p, bus_arena_t *arena, const char *key, size_t len,
                       const s_ver_t *v)
{
    size_t need = len + (p->keys_only ? 0 : v->value_len);
    if (p->n >= p->max || (p->n && p->bytes + need > p->bytes_max)) {
        p->full = p->more = true;
        return;
    }
    s_grow((void **)&p->v, &p->cap, p->n, sizeof *p->v);
    char *k = bus_arena_strndup(arena, key, len);
    store_kv_t *kv = k ? s_kv_new(arena, k, v, !p->keys_only) : NULL;
    if (!kv) {
        p->oom = p->full = true;
        return;
    }
    p->v[p->n++] = *kv;
    p->bytes += need;
}

/* Walks the span from its start (after the continue key when there is one), filling the page,
 * then counting the rest within count_scan_max keys. Only the page's values are read. */
static int s_range_walk(store_kv_space_t *self, MDB_txn *txn, uint64_t rev, const s_span_t *span,
                        const char *after, bus_arena_t *arena, s_page_t *page)
{
    uint8_t pos[STORE_KV_KEY_MAX + 1];
    size_t pos_len = span->key_len, after_len = strlen(after);
    memcpy(pos, span->key, pos_len);
    if (after_len) {
        uint8_t next[STORE_KV_KEY_MAX + 1]; /* the smallest key above after: after, 0x01 */
        memcpy(next, after, after_len);
        next[after_len] = 1;
        if (s_cmp(next, after_len + 1, pos, pos_len) > 0)
            memcpy(pos, next, pos_len = after_len + 1);
    }
    s_walk_t w;
    s_walk_init(&w, self->index, rev, pos, pos_len, span->single ? 2 : 8);
    uint64_t past = 0; /* keys visited after the page was full */
    int rc = 0;
    for (const store_kv_index_item_t *it; (it = s_walk_next(&w));) {
        if (!s_span_has(span, it->key, it->len)) break;
        if (page->full && ++past > self->limits.count_scan_max) break;
        if (!it->has || !it->v.live) continue;
        page->count++;
        if (page->full) {
            page->more = true;
            continue;
        }
        s_ver_t v = s_ver(&it->v);
        if (!page->keys_only && (rc = s_value(self, txn, it->key, it->len, &v))) break;
        s_page_add(page, arena, it->key, it->len, &v);
        if (page->oom) break;
    }
    s_walk_free(&w);
    return rc;
}

int store_kv_range(store_kv_space_t *self, MDB_txn *rtxn, const store_range_request_t *req,
                   bus_arena_t *arena, store_range_reply_t *reply, char *err, size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    s_span_t span;
    uint64_t rev, compacted;
    int rc = s_range_check(req, &span, err, errlen);
    if (!rc) rc = s_read_at(self, rtxn, req->revision, &rev, &compacted, err, errlen);
    if (rc) return rc;
    s_page_t page = {.max = STORE_KV_RANGE_KVS_MAX,
                     .bytes_max = self->limits.reply_bytes_max,
                     .keys_only = req->keys_only};
    if (req->limit && req->limit < page.max) page.max = req->limit;
    if (req->count_only) page.max = 0;
    page.full = page.max == 0;
    rc = s_range_walk(self, rtxn, rev, &span, req->after ? req->after : "", arena, &page);
    bool ok = !page.oom;
    reply->kvs.v = s_to_arena(arena, page.v, page.n, sizeof *page.v, &ok);
    reply->kvs.n = page.n;
    if (rc) return s_mdb_fail(err, errlen, rc, "range", span.key);
    reply->more = page.more && !req->count_only;
    reply->count = page.count;
    if (!ok || !(reply->header = s_header(arena, rev, compacted)))
        return s_arena_fail(err, errlen, "range", span.key);
    return 0;
}

/* --- history ------------------------------------------------------------------------------- */

/* A watch reply's events while they are collected: a malloc'd array, kvs in arena. */
typedef struct {
    store_event_t *v;
    size_t n, cap, max;
    size_t bytes, bytes_max;
    uint64_t last_rev;
    bool more;
} s_feed_t;

/* The version written at (rev, sub), whose kv.revs record is h, and, when asked, the one before
 * it (p->live false when none). */
static int s_event_vers(store_kv_space_t *self, MDB_txn *txn, const s_hist_t *h, uint64_t rev,
                        uint16_t sub, bool prev_kv, s_ver_t *v, s_ver_t *p)
{
    *v = (s_ver_t){.live = h->live,
                   .sub = sub,
                   .create = h->create,
                   .mod = rev,
                   .version = h->version,
                   .value = h->value,
                   .value_len = h->value_len};
    *p = (s_ver_t){0};
    if (!prev_kv) return 0;
    s_latest(self, h->key, h->key_len, rev - 1, p);
    return s_value(self, txn, h->key, h->key_len, p);
}

static bool s_feed_add(s_feed_t *f, bus_arena_t *arena, const char *key, size_t len, uint64_t rev,
                       const s_ver_t *v, const s_ver_t *p)
{
    s_grow((void **)&f->v, &f->cap, f->n, sizeof *f->v);
    char *k = bus_arena_strndup(arena, key, len);
    store_event_t *ev = &f->v[f->n];
    *ev = (store_event_t){.type = v->live ? STORE_EVENT_TYPE_PUT : STORE_EVENT_TYPE_DELETE,
                          .revision = rev};
    if (!k || !(ev->kv = s_kv_new(arena, k, v, true))) return false;
    if (p->live && !(ev->prev = s_kv_new(arena, k, p, true))) return false;
    f->n++;
    f->bytes += len + v->value_len + p->value_len;
    f->last_rev = rev;
    return true;
}

/* Collects the events under prefix from revision from on. from is above the compacted revision
 * (or nothing was ever compacted), so the walk never meets the records that compaction keeps at
 * or below it for their values: those are not events any more. Returns 0, an LMDB code, or
 * BUS_ETOOBIG when the arena runs out. */
static int s_events_walk(store_kv_space_t *self, MDB_txn *txn, MDB_cursor *hc,
                         const store_watch_request_t *req, uint64_t from, bus_arena_t *arena,
                         s_feed_t *f)
{
    const char *prefix = req->prefix ? req->prefix : "";
    size_t plen = strlen(prefix);
    uint8_t rb[S_REVKEY];
    s_revkey(rb, from, 0);
    MDB_val k = {S_REVKEY, rb}, d;
    int rc = mdb_cursor_get(hc, &k, &d, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(hc, &k, &d, MDB_NEXT)) {
        s_hist_t h;
        if (k.mv_size != S_REVKEY || !s_hist_decode(&d, &h)) return MDB_CORRUPTED;
        if (h.key_len < plen || memcmp(h.key, prefix, plen) != 0) continue;
        store_kv_pos_t pos = s_pos(k.mv_data);
        s_ver_t v, p;
        if ((rc = s_event_vers(self, txn, &h, pos.rev, pos.sub, req->prev_kv, &v, &p))) return rc;
        size_t need = h.key_len + v.value_len + p.value_len;
        if (f->n && pos.rev != f->last_rev && (f->n >= f->max || f->bytes + need > f->bytes_max)) {
            f->more = true; /* cut between revisions only: the reader goes on from rev */
            return 0;
        }
        if (!s_feed_add(f, arena, h.key, h.key_len, pos.rev, &v, &p)) return BUS_ETOOBIG;
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_kv_events(store_kv_space_t *self, MDB_txn *rtxn, const store_watch_request_t *req,
                    bus_arena_t *arena, store_watch_reply_t *reply, char *err, size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    if (req->prefix && strlen(req->prefix) > STORE_KV_KEY_MAX)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: watch: a prefix longer than the limit of %d bytes",
                          STORE_KV_KEY_MAX);
    uint64_t cur, compacted, from = req->from_revision ? req->from_revision : 1;
    int rc = s_revs(self, rtxn, &cur, &compacted, err, errlen);
    if (rc) return rc;
    if (compacted && from <= compacted)
        return store_fail(err, errlen, BUS_EGONE,
                          "store: watch from revision %" PRIu64
                          ": required revision has been compacted (compacted revision %" PRIu64 ")",
                          from, compacted);
    s_feed_t f = {.max = STORE_KV_EVENTS_MAX, .bytes_max = self->limits.reply_bytes_max};
    if (req->max && req->max < f.max) f.max = req->max;
    MDB_cursor *hc = NULL;
    rc = mdb_cursor_open(rtxn, self->revs, &hc);
    if (!rc) rc = s_events_walk(self, rtxn, hc, req, from, arena, &f);
    if (hc) mdb_cursor_close(hc);
    bool ok = rc != BUS_ETOOBIG;
    reply->events.v = s_to_arena(arena, f.v, f.n, sizeof *f.v, &ok);
    reply->events.n = f.n;
    reply->more = f.more;
    if (rc && rc != BUS_ETOOBIG) return s_mdb_fail(err, errlen, rc, "watch", req->prefix);
    if (!ok || !(reply->header = s_header(arena, cur, compacted)))
        return s_arena_fail(err, errlen, "watch", req->prefix ? req->prefix : "");
    return 0;
}

/* --- compaction ---------------------------------------------------------------------------- */

/* Deletes the kv.revs record of version iv of key, found with hc and checked to be that
 * version's before it goes. */
static int s_drop(MDB_cursor *hc, const char *key, size_t len, const store_kv_ver_t *iv)
{
    s_ver_t v = s_ver(iv);
    uint8_t rb[S_REVKEY];
    s_revkey(rb, v.mod, v.sub);
    MDB_val rk = {S_REVKEY, rb}, rd;
    int rc = mdb_cursor_get(hc, &rk, &rd, MDB_SET_KEY);
    if (rc) return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
    s_hist_t h;
    if (!s_hist_decode(&rd, &h) || !s_hist_is(&h, key, len, &v)) return MDB_CORRUPTED;
    return mdb_cursor_del(hc, 0);
}

/* One change (key, rev, sub) at or below the compaction's revision: deletes the key's versions
 * below rev (at most the one an earlier step kept), then (key, rev) itself if it is a tombstone,
 * each with its kv.revs record. A live (key, rev) stays, record and all: it may be the version
 * that reads at the compacted revision find. The index marks what goes. Moves hc. */
static int s_compact_one(store_kv_space_t *self, size_t txn, MDB_cursor *hc, const char *key,
                         size_t len, store_kv_pos_t at)
{
    const store_kv_ver_t *gone;
    size_t n;
    if (store_kv_index_compact(self->index, txn, key, len, at, &gone, &n)) return MDB_CORRUPTED;
    for (size_t i = 0; i < n; i++) {
        int rc = s_drop(hc, key, len, &gone[i]);
        if (rc) return rc;
    }
    return 0;
}

/* Processes at most max_steps changes at or below target, in kv.revs order from the resume
 * point, then records where the next call resumes (in txn, with the deletes). */
static int s_compact_steps(store_kv_space_t *self, MDB_txn *txn, MDB_cursor *hc, uint64_t target,
                           size_t max_steps, bool *done)
{
    uint8_t pos[S_REVKEY];
    int rc = s_resume_get(self, txn, pos);
    size_t steps = 0, id = mdb_txn_id(txn);
    while (!rc) {
        MDB_val k = {S_REVKEY, pos}, d;
        s_hist_t h;
        rc = mdb_cursor_get(hc, &k, &d, MDB_SET_RANGE);
        if (rc == MDB_NOTFOUND) {
            *done = true;
            rc = 0;
            break;
        }
        if (!rc && (k.mv_size != S_REVKEY || !s_hist_decode(&d, &h))) rc = MDB_CORRUPTED;
        if (!rc && store_get_be(k.mv_data, 8) > target) *done = true;
        if (rc || *done || steps == max_steps) break;
        char key[STORE_KV_KEY_MAX];
        size_t len = h.key_len;
        memcpy(key, h.key, len); /* the deletes move LMDB's pages under h */
        memcpy(pos, k.mv_data, S_REVKEY);
        rc = s_compact_one(self, id, hc, key, len, s_pos(pos)); /* hc is sought again */
        s_revkey_next(pos);
        steps++;
    }
    if (!rc && steps) rc = s_resume_put(self, txn, pos);
    return rc;
}

int store_kv_compact(store_kv_space_t *self, MDB_txn *wtxn, uint64_t revision, size_t max_steps,
                     bool *done, char *err, size_t errlen)
{
    *done = false;
    uint64_t cur, target;
    int rc = s_revs(self, wtxn, &cur, &target, err, errlen);
    if (!rc) rc = s_sync(self, wtxn, cur, err, errlen);
    if (rc) return rc;
    if (revision > cur)
        return store_fail(err, errlen, BUS_EINVALID,
                          "store: compact to revision %" PRIu64
                          ": above the current revision %" PRIu64,
                          revision, cur);
    if (revision > target) {
        if ((rc = s_meta_put(self, wtxn, "c", 1, revision)))
            return s_mdb_fail(err, errlen, rc, "record compaction", NULL);
        target = revision;
    }
    MDB_cursor *hc = NULL;
    rc = mdb_cursor_open(wtxn, self->revs, &hc);
    if (!rc) rc = s_compact_steps(self, wtxn, hc, target, max_steps, done);
    if (hc) mdb_cursor_close(hc);
    return rc ? s_mdb_fail(err, errlen, rc, "compact", NULL) : 0;
}

/* --- digest and counters ------------------------------------------------------------------- */

static void s_hash_u64(crypto_generichash_state *st, uint64_t v)
{
    uint8_t b[8];
    store_put_be(b, v, 8);
    crypto_generichash_update(st, b, 8);
}

/* Every live key at rev, each with its value read from kv.revs. */
static int s_digest_keys(store_kv_space_t *self, MDB_txn *txn, uint64_t rev,
                         crypto_generichash_state *st)
{
    s_walk_t w;
    s_walk_init(&w, self->index, rev, "", 0, S_CHUNK);
    int rc = 0;
    for (const store_kv_index_item_t *it; !rc && (it = s_walk_next(&w));) {
        if (!it->has || !it->v.live) continue;
        s_ver_t v = s_ver(&it->v);
        if ((rc = s_value(self, txn, it->key, it->len, &v))) break;
        s_hash_u64(st, it->len);
        crypto_generichash_update(st, (const uint8_t *)it->key, it->len);
        s_hash_u64(st, v.create);
        s_hash_u64(st, v.mod);
        s_hash_u64(st, v.version);
        s_hash_u64(st, v.value_len);
        crypto_generichash_update(st, v.value, v.value_len);
    }
    s_walk_free(&w);
    return rc;
}

static int s_digest_groups(MDB_cursor *c, crypto_generichash_state *st)
{
    MDB_val k = {1, "g"}, d;
    int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
    for (; rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (((const uint8_t *)k.mv_data)[0] != 'g') break;
        s_hash_u64(st, k.mv_size);
        crypto_generichash_update(st, k.mv_data, k.mv_size);
        crypto_generichash_update(st, d.mv_data, d.mv_size);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_kv_digest(store_kv_space_t *self, MDB_txn *txn, uint8_t out[32], char *err, size_t errlen)
{
    uint64_t cur, compacted;
    int rc = s_revs(self, txn, &cur, &compacted, err, errlen);
    if (rc) return rc;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    /* The logical content only: not the disk format (so the tag stays at 1 across formats),
     * nor how far compaction has got ("p", and the versions it has yet to delete). */
    crypto_generichash_update(&st, (const uint8_t *)"kubus.store_kv.1", 16);
    s_hash_u64(&st, cur);
    s_hash_u64(&st, compacted);
    rc = s_digest_keys(self, txn, cur, &st);
    MDB_cursor *c;
    if (!rc && !(rc = mdb_cursor_open(txn, self->meta, &c))) {
        rc = s_digest_groups(c, &st);
        mdb_cursor_close(c);
    }
    crypto_generichash_final(&st, out, 32);
    return rc ? s_mdb_fail(err, errlen, rc, "digest", NULL) : 0;
}

int store_kv_stats(store_kv_space_t *self, MDB_txn *txn, store_kv_stats_t *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rc = s_revs(self, txn, &out->revision, &out->compacted, err, errlen);
    if (rc) return rc;
    MDB_stat hs, ms;
    MDB_cursor *c = NULL;
    uint8_t pos[S_REVKEY];
    MDB_val k = {S_REVKEY, pos}, d;
    if (!(rc = mdb_stat(txn, self->revs, &hs)) && !(rc = mdb_stat(txn, self->meta, &ms)) &&
        !(rc = s_resume_get(self, txn, pos)) && !(rc = mdb_cursor_open(txn, self->revs, &c))) {
        out->versions = store_kv_index_versions(self->index, out->revision, s_pos(pos));
        /* Work is left when the first change compaction has not processed is at or below C. */
        rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
        out->compacting =
            !rc && k.mv_size == S_REVKEY && store_get_be(k.mv_data, 8) <= out->compacted;
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    if (c) mdb_cursor_close(c);
    if (rc) return s_mdb_fail(err, errlen, rc, "stats", NULL);
    out->history = hs.ms_entries;
    out->groups = ms.ms_entries - S_META_N;
    return 0;
}
