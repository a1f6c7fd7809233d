/* store_kv_map: the skip list (the API is in store_kv_map.h).
 *
 * Each key is one allocation: its record first (so that the record is as aligned as malloc's
 * memory), then the node: the key's length, its level, one forward pointer per level, the key's
 * bytes. Level l is reached by a quarter of the nodes of level l - 1, so a search visits about
 * 4 * log4(n) nodes; the head has every level. */
#include "store_kv_map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_LEVELS 24 /* enough for 4^24 keys */

typedef struct s_node_t {
    uint32_t len;
    uint8_t level;
    struct s_node_t *next[]; /* level of them, then the key */
} s_node_t;

struct store_kv_map_t {
    size_t rec_size; /* rounded up to keep the node aligned */
    size_t count;
    int level; /* the highest level in use */
    uint64_t seed;
    s_node_t *head;
};

static int s_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static const char *s_key(const s_node_t *n)
{
    return (const char *)&n->next[n->level];
}

static s_node_t *s_node(const store_kv_map_t *self, const void *rec)
{
    return (s_node_t *)((char *)rec + self->rec_size);
}

static void *s_rec(const store_kv_map_t *self, s_node_t *n)
{
    return n ? (char *)n - self->rec_size : NULL;
}

/* A level for a new node: 1, then one more with probability 1/4 each time (xorshift64*). */
static int s_random_level(store_kv_map_t *self)
{
    self->seed ^= self->seed >> 12;
    self->seed ^= self->seed << 25;
    self->seed ^= self->seed >> 27;
    uint64_t r = self->seed * 0x2545F4914F6CDD1Dull;
    int level = 1;
    while (level < S_LEVELS && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    return level;
}

store_kv_map_t *store_kv_map_new(size_t rec_size, uint64_t seed)
{
    store_kv_map_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->rec_size = (rec_size + 15) & ~(size_t)15;
    self->seed = seed ? seed : 0x9E3779B97F4A7C15ull; /* xorshift must not start at 0 */
    self->level = 1;
    self->head = calloc(1, sizeof(s_node_t) + S_LEVELS * sizeof(s_node_t *));
    if (!self->head) abort();
    self->head->level = S_LEVELS;
    return self;
}

void store_kv_map_destroy(store_kv_map_t **self_p)
{
    if (!self_p || !*self_p) return;
    store_kv_map_t *self = *self_p;
    for (s_node_t *n = self->head->next[0], *next; n; n = next) {
        next = n->next[0];
        free(s_rec(self, n));
    }
    free(self->head);
    free(self);
    *self_p = NULL;
}

/* The first node at or above key; update (when not NULL) gets, per level, the last node before
 * it. */
static s_node_t *s_seek(store_kv_map_t *self, const void *key, size_t len, s_node_t **update)
{
    s_node_t *x = self->head;
    for (int i = self->level - 1; i >= 0; i--) {
        while (x->next[i] && s_cmp(s_key(x->next[i]), x->next[i]->len, key, len) < 0)
            x = x->next[i];
        if (update) update[i] = x;
    }
    return x->next[0];
}

static bool s_is(const s_node_t *n, const void *key, size_t len)
{
    return n && n->len == len && memcmp(s_key(n), key, len) == 0;
}

void *store_kv_map_get(store_kv_map_t *self, const void *key, size_t len)
{
    if (!len) key = ""; /* memcmp wants a pointer even for no bytes */
    s_node_t *n = s_seek(self, key, len, NULL);
    return s_is(n, key, len) ? s_rec(self, n) : NULL;
}

void *store_kv_map_put(store_kv_map_t *self, const void *key, size_t len, bool *created)
{
    assert(len <= STORE_KV_MAP_KEY_MAX);
    if (!len) key = "";
    s_node_t *update[S_LEVELS];
    s_node_t *n = s_seek(self, key, len, update);
    *created = !s_is(n, key, len);
    if (!*created) return s_rec(self, n);
    int level = s_random_level(self);
    for (int i = self->level; i < level; i++) update[i] = self->head;
    if (level > self->level) self->level = level;
    char *mem = calloc(1, self->rec_size + sizeof(s_node_t) + level * sizeof(s_node_t *) + len);
    if (!mem) abort();
    n = (s_node_t *)(mem + self->rec_size);
    n->len = (uint32_t)len;
    n->level = (uint8_t)level;
    memcpy((char *)s_key(n), key, len);
    for (int i = 0; i < level; i++) {
        n->next[i] = update[i]->next[i];
        update[i]->next[i] = n;
    }
    self->count++;
    return mem;
}

bool store_kv_map_del(store_kv_map_t *self, const void *key, size_t len)
{
    if (!len) key = "";
    s_node_t *update[S_LEVELS];
    s_node_t *n = s_seek(self, key, len, update);
    if (!s_is(n, key, len)) return false;
    for (int i = 0; i < n->level; i++) update[i]->next[i] = n->next[i];
    while (self->level > 1 && !self->head->next[self->level - 1]) self->level--;
    free(s_rec(self, n));
    self->count--;
    return true;
}

void *store_kv_map_seek(store_kv_map_t *self, const void *key, size_t len)
{
    if (!len) key = "";
    return s_rec(self, s_seek(self, key, len, NULL));
}

void *store_kv_map_next(store_kv_map_t *self, const void *rec)
{
    return s_rec(self, s_node(self, rec)->next[0]);
}

const char *store_kv_map_key(const store_kv_map_t *self, const void *rec, size_t *len)
{
    const s_node_t *n = s_node(self, rec);
    *len = n->len;
    return s_key(n);
}

size_t store_kv_map_count(const store_kv_map_t *self)
{
    return self->count;
}
