/* Arena: a list of chunks, bump allocation inside the newest. Large requests get their own
 * chunk so a big string does not waste the rest of a small one. */
#include "bus_arena.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_CHUNK 8192u
#define S_ALIGN 16u

typedef struct s_chunk_t {
    struct s_chunk_t *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
} s_chunk_t;

struct bus_arena_t {
    s_chunk_t *head; /* newest first; the last one is kept on reset */
    size_t used;
    size_t max;
};

static s_chunk_t *s_chunk_new(size_t cap)
{
    s_chunk_t *c = malloc(sizeof *c + cap);
    if (!c) abort();
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

bus_arena_t *bus_arena_new(size_t max_bytes)
{
    bus_arena_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->max = max_bytes ? max_bytes : (size_t)64 << 20;
    self->head = s_chunk_new(S_CHUNK);
    return self;
}

void bus_arena_destroy(bus_arena_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_arena_t *self = *self_p;
    while (self->head) {
        s_chunk_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    free(self);
    *self_p = NULL;
}

void *bus_arena_alloc(bus_arena_t *self, size_t size)
{
    size_t need = (size + S_ALIGN - 1) & ~(size_t)(S_ALIGN - 1);
    if (need < size || need > self->max - self->used) return NULL;
    s_chunk_t *c = self->head;
    if (c->cap - c->used < need) {
        if (need > S_CHUNK / 4) {
            /* Own chunk, linked behind the current one so the current keeps serving. */
            s_chunk_t *big = s_chunk_new(need);
            big->used = need;
            big->next = c->next;
            c->next = big;
            self->used += need;
            memset(big->data, 0, need);
            return big->data;
        }
        c = s_chunk_new(S_CHUNK);
        c->next = self->head;
        self->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    self->used += need;
    memset(p, 0, need);
    return p;
}

char *bus_arena_strndup(bus_arena_t *self, const char *s, size_t n)
{
    if (n == SIZE_MAX) return NULL;
    char *p = bus_arena_alloc(self, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void bus_arena_reset(bus_arena_t *self)
{
    /* Keep one standard-size chunk; big ones would pin memory a later message may not need. */
    s_chunk_t *keep = NULL;
    for (s_chunk_t *c = self->head, *next; c; c = next) {
        next = c->next;
        if (!keep && c->cap == S_CHUNK)
            keep = c;
        else
            free(c);
    }
    self->head = keep ? keep : s_chunk_new(S_CHUNK);
    self->head->next = NULL;
    self->head->used = 0;
    self->used = 0;
}

size_t bus_arena_used(const bus_arena_t *self)
{
    return self->used;
}

void bus_arena_test(bool verbose)
{
    bus_arena_t *a = bus_arena_new(100000);
    char *s = bus_arena_strndup(a, "hello world", 5);
    assert(strcmp(s, "hello") == 0);
    uint64_t *x = bus_arena_alloc(a, sizeof *x);
    assert(((uintptr_t)x & 15) == 0 && *x == 0);
    /* Many small allocations span chunks. */
    for (int i = 0; i < 1000; i++) assert(bus_arena_alloc(a, 40));
    /* A big one gets its own chunk; the limit holds. */
    assert(bus_arena_alloc(a, 50000));
    assert(bus_arena_alloc(a, 60000) == NULL);
    size_t used = bus_arena_used(a);
    assert(used > 50000 && used <= 100000);
    bus_arena_reset(a);
    assert(bus_arena_used(a) == 0);
    assert(bus_arena_alloc(a, 60000));
    assert(bus_arena_alloc(a, (size_t)-1) == NULL);
    bus_arena_destroy(&a);
    bus_arena_destroy(&a);
    assert(a == NULL);
    (void)verbose;
}
