/* store_kv_index: the index and the records that keep it in step with LMDB transactions (the API
 * and the argument are in store_kv_index.h).
 *
 * Two lists. The undo list holds, in order, each add and each compaction step's marks of the
 * transactions not yet known committed, with the key copied (a key's record may go and come back
 * meanwhile). The settle list holds the compaction steps whose marked versions are still in
 * memory, in kv.revs order: undone steps leave it from its end, settled ones from its front. */
#include "store_kv_index.h"
#include "store_kv_map.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A key's versions, oldest first; the first gone of them are deleted from kv.revs. */
typedef struct {
    store_kv_ver_t *v;
    uint32_t n, cap, gone;
} s_key_t;

typedef struct {
    char *key; /* malloc'd */
    uint16_t len, sub;
    bool mark;      /* a compaction step's marks; else an add */
    uint32_t count; /* mark: the versions it made gone */
    uint64_t rev;   /* add: the version's revision; mark: the step's */
    size_t txn;     /* mdb_txn_id of its transaction */
} s_undo_t;

typedef struct {
    char *key; /* malloc'd */
    uint16_t len, sub;
    uint32_t count;
    uint64_t rev;
} s_step_t;

struct store_kv_index_t {
    pthread_rwlock_t lock;
    store_kv_map_t *map; /* key -> s_key_t */
    size_t versions;     /* held */
    s_undo_t *undo;
    size_t undo_n, undo_cap;
    s_step_t *steps; /* [steps_head, steps_n) are in use */
    size_t steps_head, steps_n, steps_cap;
    store_kv_ver_t *gone; /* what the last compact call marked */
    size_t gone_cap;
};

/* Grows a malloc'd array to hold n + 1 items of size. */
static void s_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return;
    while (*cap <= n) *cap = *cap ? *cap * 2 : 16;
    if (!(*v = realloc(*v, *cap * size))) abort();
}

static char *s_dup(const char *key, size_t len)
{
    char *k = malloc(len ? len : 1);
    if (!k) abort();
    memcpy(k, key, len);
    return k;
}

static bool s_pos_below(uint64_t rev, uint16_t sub, store_kv_pos_t p)
{
    return rev < p.rev || (rev == p.rev && sub < p.sub);
}

store_kv_index_t *store_kv_index_new(void)
{
    store_kv_index_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    /* A waiting writer goes before new readers: a long scan (a count over many keys) takes the
     * lock once per chunk, and the writer gets in between two of them. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&self->lock, &attr) != 0) abort();
    pthread_rwlockattr_destroy(&attr);
    self->map = store_kv_map_new(sizeof(s_key_t), 0);
    return self;
}

void store_kv_index_destroy(store_kv_index_t **self_p)
{
    if (!self_p || !*self_p) return;
    store_kv_index_t *self = *self_p;
    for (s_key_t *k = store_kv_map_seek(self->map, NULL, 0); k; k = store_kv_map_next(self->map, k))
        free(k->v);
    store_kv_map_destroy(&self->map);
    for (size_t i = 0; i < self->undo_n; i++) free(self->undo[i].key);
    for (size_t i = self->steps_head; i < self->steps_n; i++) free(self->steps[i].key);
    free(self->undo);
    free(self->steps);
    free(self->gone);
    pthread_rwlock_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* --- a key's versions ----------------------------------------------------------------------- */

/* Appends v to key's versions; false when it is not newer than the newest. */
static bool s_append(store_kv_index_t *self, const char *key, size_t len, const store_kv_ver_t *v)
{
    bool created;
    s_key_t *k = store_kv_map_put(self->map, key, len, &created);
    if (k->n) {
        const store_kv_ver_t *last = &k->v[k->n - 1];
        if (!s_pos_below(last->mod, last->sub, (store_kv_pos_t){v->mod, v->sub})) return false;
    }
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 2;
        if (!(k->v = realloc(k->v, k->cap * sizeof *k->v))) abort();
    }
    k->v[k->n++] = *v;
    self->versions++;
    return true;
}

/* Removes the first n of k's versions (the key with them when none is left). */
static void s_drop_first(store_kv_index_t *self, s_key_t *k, const char *key, size_t len, size_t n)
{
    assert(n <= k->gone && k->gone <= k->n);
    memmove(k->v, k->v + n, (k->n - n) * sizeof *k->v);
    k->n -= (uint32_t)n;
    k->gone -= (uint32_t)n;
    self->versions -= n;
    if (k->n && k->n <= k->cap / 4) { /* a key compacted from many versions to few */
        k->cap /= 2;
        if (!(k->v = realloc(k->v, k->cap * sizeof *k->v))) abort();
    }
    if (k->n) return;
    free(k->v);
    store_kv_map_del(self->map, key, len);
}

/* The index of k's newest version at or below rev; -1 when none. */
static long s_at(const s_key_t *k, uint64_t rev)
{
    size_t lo = 0, hi = k->n; /* the first version above rev is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->v[mid].mod <= rev)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

int store_kv_index_load(store_kv_index_t *self, const char *key, size_t len,
                        const store_kv_ver_t *v)
{
    pthread_rwlock_wrlock(&self->lock);
    bool ok = s_append(self, key, len, v);
    pthread_rwlock_unlock(&self->lock);
    return ok ? 0 : -1;
}

/* --- reads ---------------------------------------------------------------------------------- */

bool store_kv_index_latest(store_kv_index_t *self, const char *key, size_t len, uint64_t rev,
                           store_kv_ver_t *out)
{
    pthread_rwlock_rdlock(&self->lock);
    const s_key_t *k = store_kv_map_get(self->map, key, len);
    long i = k ? s_at(k, rev) : -1;
    if (i >= 0) *out = k->v[i];
    pthread_rwlock_unlock(&self->lock);
    return i >= 0;
}

size_t store_kv_index_scan(store_kv_index_t *self, const void *from, size_t len, uint64_t rev,
                           store_kv_index_item_t *out, size_t max)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&self->lock);
    for (const s_key_t *k = store_kv_map_seek(self->map, from, len); k && n < max;
         k = store_kv_map_next(self->map, k), n++) {
        store_kv_index_item_t *it = &out[n];
        const char *key = store_kv_map_key(self->map, k, &it->len);
        memcpy(it->key, key, it->len);
        it->key[it->len] = 0;
        long i = s_at(k, rev);
        it->has = i >= 0;
        it->v = it->has ? k->v[i] : (store_kv_ver_t){0};
    }
    pthread_rwlock_unlock(&self->lock);
    return n;
}

size_t store_kv_index_versions(store_kv_index_t *self, uint64_t rev, store_kv_pos_t resume)
{
    pthread_rwlock_rdlock(&self->lock);
    size_t n = self->versions;
    for (size_t i = 0; i < self->undo_n; i++)
        if (!self->undo[i].mark && self->undo[i].rev > rev) n--;
    for (size_t i = self->steps_head; i < self->steps_n; i++)
        if (s_pos_below(self->steps[i].rev, self->steps[i].sub, resume)) n -= self->steps[i].count;
    pthread_rwlock_unlock(&self->lock);
    return n;
}

size_t store_kv_index_held(store_kv_index_t *self)
{
    pthread_rwlock_rdlock(&self->lock);
    size_t n = self->versions;
    pthread_rwlock_unlock(&self->lock);
    return n;
}

/* --- the writer ----------------------------------------------------------------------------- */

static bool s_aborted(const s_undo_t *u, uint64_t rev, store_kv_pos_t resume)
{
    return u->mark ? !s_pos_below(u->rev, u->sub, resume) : u->rev > rev;
}

/* Undoes u, the newest entry of the undo list. */
static void s_undo(store_kv_index_t *self, const s_undo_t *u)
{
    s_key_t *k = store_kv_map_get(self->map, u->key, u->len);
    assert(k && k->n);
    if (u->mark) {
        assert(k->gone >= u->count && self->steps_n > self->steps_head);
        k->gone -= u->count;
        s_step_t *s = &self->steps[--self->steps_n]; /* its step, the newest */
        assert(s->rev == u->rev && s->sub == u->sub && s->count == u->count);
        free(s->key);
        return;
    }
    assert(k->v[k->n - 1].mod == u->rev && k->v[k->n - 1].sub == u->sub && k->gone < k->n);
    k->n--;
    self->versions--;
    if (!k->n) {
        free(k->v);
        store_kv_map_del(self->map, u->key, u->len);
    }
}

void store_kv_index_sync(store_kv_index_t *self, size_t txn, uint64_t rev, store_kv_pos_t resume)
{
    pthread_rwlock_wrlock(&self->lock);
    while (self->undo_n && s_aborted(&self->undo[self->undo_n - 1], rev, resume)) {
        s_undo_t *u = &self->undo[--self->undo_n];
        s_undo(self, u);
        free(u->key);
    }
    size_t old = 0; /* entries of older transactions come first: they committed */
    while (old < self->undo_n && self->undo[old].txn < txn) free(self->undo[old++].key);
    if (old) memmove(self->undo, self->undo + old, (self->undo_n - old) * sizeof *self->undo);
    self->undo_n -= old;
#ifdef KUBUS_DEBUG
    for (size_t i = 0; i < self->undo_n; i++) assert(!s_aborted(&self->undo[i], rev, resume));
#endif
    pthread_rwlock_unlock(&self->lock);
}

static void s_undo_push(store_kv_index_t *self, size_t txn, const char *key, size_t len, bool mark,
                        uint64_t rev, uint16_t sub, uint32_t count)
{
    s_grow((void **)&self->undo, &self->undo_cap, self->undo_n, sizeof *self->undo);
    self->undo[self->undo_n++] = (s_undo_t){.key = s_dup(key, len),
                                            .len = (uint16_t)len,
                                            .sub = sub,
                                            .mark = mark,
                                            .count = count,
                                            .rev = rev,
                                            .txn = txn};
}

void store_kv_index_add(store_kv_index_t *self, size_t txn, const char *key, size_t len,
                        const store_kv_ver_t *v)
{
    pthread_rwlock_wrlock(&self->lock);
    bool ok = s_append(self, key, len, v);
    assert(ok); /* store_kv adds only at a revision above every one written */
    if (ok) s_undo_push(self, txn, key, len, false, v->mod, v->sub, 0);
    pthread_rwlock_unlock(&self->lock);
}

/* Notes a step whose marks wait to be settled; the list stays in kv.revs order. */
static void s_step_push(store_kv_index_t *self, const char *key, size_t len, store_kv_pos_t at,
                        uint32_t count)
{
    if (self->steps_head && self->steps_head == self->steps_n) self->steps_head = self->steps_n = 0;
    if (self->steps_n == self->steps_cap && self->steps_head) {
        self->steps_n -= self->steps_head;
        memmove(self->steps, self->steps + self->steps_head, self->steps_n * sizeof *self->steps);
        self->steps_head = 0;
    }
    s_grow((void **)&self->steps, &self->steps_cap, self->steps_n, sizeof *self->steps);
    self->steps[self->steps_n++] = (s_step_t){
        .key = s_dup(key, len), .len = (uint16_t)len, .sub = at.sub, .count = count, .rev = at.rev};
}

int store_kv_index_compact(store_kv_index_t *self, size_t txn, const char *key, size_t len,
                           store_kv_pos_t at, const store_kv_ver_t **gone, size_t *n)
{
    *n = 0;
    *gone = NULL;
    int rc = -1;
    pthread_rwlock_wrlock(&self->lock);
    s_key_t *k = store_kv_map_get(self->map, key, len);
    long j = k ? s_at(k, at.rev) : -1;
    if (j >= 0 && (size_t)j >= k->gone && k->v[j].mod == at.rev && k->v[j].sub == at.sub) {
        size_t end = (size_t)j + (k->v[j].live ? 0 : 1);
        if (end > k->gone) {
            *n = end - k->gone;
            s_grow((void **)&self->gone, &self->gone_cap, *n - 1, sizeof *self->gone);
            memcpy(self->gone, k->v + k->gone, *n * sizeof *k->v);
            *gone = self->gone;
            k->gone = (uint32_t)end;
            s_undo_push(self, txn, key, len, true, at.rev, at.sub, (uint32_t)*n);
            s_step_push(self, key, len, at, (uint32_t)*n);
        }
        rc = 0;
    }
    pthread_rwlock_unlock(&self->lock);
    return rc;
}

/* --- settling ------------------------------------------------------------------------------- */

void store_kv_index_settle(store_kv_index_t *self, store_kv_pos_t resume)
{
    pthread_rwlock_wrlock(&self->lock);
    while (self->steps_head < self->steps_n) {
        s_step_t *s = &self->steps[self->steps_head];
        if (!s_pos_below(s->rev, s->sub, resume)) break;
        s_key_t *k = store_kv_map_get(self->map, s->key, s->len);
        assert(k && s->count <= k->gone);
#ifdef KUBUS_DEBUG
        for (size_t i = 0; i < s->count; i++)
            assert(k->v[i].mod < s->rev ||
                   (k->v[i].mod == s->rev && k->v[i].sub == s->sub && !k->v[i].live));
#endif
        if (k) s_drop_first(self, k, s->key, s->len, s->count);
        free(s->key);
        self->steps_head++;
    }
    pthread_rwlock_unlock(&self->lock);
}
