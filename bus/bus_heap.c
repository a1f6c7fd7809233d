/* bus_heap: array-backed binary heap. */
#include "bus_heap.h"
#include "bus_err.h"

#include <assert.h>
#include <stdlib.h>

typedef struct {
    uint64_t key;
    uint64_t value;
} s_entry_t;

struct bus_heap_t {
    s_entry_t *v;
    size_t n, cap, max;
};

bus_heap_t *bus_heap_new(size_t max)
{
    bus_heap_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->max = max;
    return self;
}

void bus_heap_destroy(bus_heap_t **self_p)
{
    if (!self_p || !*self_p) return;
    free((*self_p)->v);
    free(*self_p);
    *self_p = NULL;
}

int bus_heap_push(bus_heap_t *self, uint64_t key, uint64_t value)
{
    if (self->n >= self->max) return BUS_EBUSY;
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->v = realloc(self->v, self->cap * sizeof *self->v);
        if (!self->v) abort();
    }
    size_t i = self->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (self->v[parent].key <= key) break;
        self->v[i] = self->v[parent];
        i = parent;
    }
    self->v[i] = (s_entry_t){key, value};
    return 0;
}

bool bus_heap_peek(const bus_heap_t *self, uint64_t *key, uint64_t *value)
{
    if (!self->n) return false;
    *key = self->v[0].key;
    *value = self->v[0].value;
    return true;
}

bool bus_heap_pop(bus_heap_t *self, uint64_t *key, uint64_t *value)
{
    if (!bus_heap_peek(self, key, value)) return false;
    s_entry_t last = self->v[--self->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= self->n) break;
        if (c + 1 < self->n && self->v[c + 1].key < self->v[c].key) c++;
        if (last.key <= self->v[c].key) break;
        self->v[i] = self->v[c];
        i = c;
    }
    if (self->n) self->v[i] = last;
    return true;
}

/* Moves entry i down to its place (for rebuilding after a compaction). */
static void s_sift_down(bus_heap_t *self, size_t i)
{
    s_entry_t e = self->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= self->n) break;
        if (c + 1 < self->n && self->v[c + 1].key < self->v[c].key) c++;
        if (e.key <= self->v[c].key) break;
        self->v[i] = self->v[c];
        i = c;
    }
    self->v[i] = e;
}

size_t bus_heap_compact(bus_heap_t *self, bool (*keep)(uint64_t key, uint64_t value, void *arg),
                        void *arg)
{
    size_t kept = 0, before = self->n;
    for (size_t i = 0; i < self->n; i++)
        if (keep(self->v[i].key, self->v[i].value, arg)) self->v[kept++] = self->v[i];
    self->n = kept;
    for (size_t i = kept / 2; i-- > 0;) s_sift_down(self, i);
    return before - kept;
}

size_t bus_heap_size(const bus_heap_t *self)
{
    return self->n;
}

static bool s_keep_even(uint64_t key, uint64_t value, void *arg)
{
    return value % 2 == 0;
}

void bus_heap_test(bool verbose)
{
    bus_heap_t *h = bus_heap_new(1000);
    uint64_t k, v, prev = 0;
    assert(!bus_heap_pop(h, &k, &v));
    uint64_t x = 12345;
    for (int i = 0; i < 1000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        assert(bus_heap_push(h, x >> 40, (uint64_t)i) == 0);
    }
    assert(bus_heap_push(h, 1, 1) == BUS_EBUSY);
    assert(bus_heap_size(h) == 1000);
    for (int i = 0; i < 1000; i++) {
        assert(bus_heap_pop(h, &k, &v));
        assert(k >= prev);
        prev = k;
    }
    assert(bus_heap_size(h) == 0 && !bus_heap_peek(h, &k, &v));
    /* Compaction keeps order: drop the odd values, the rest still come out sorted. */
    for (int i = 0; i < 1000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        assert(bus_heap_push(h, x >> 40, (uint64_t)i) == 0);
    }
    assert(bus_heap_compact(h, s_keep_even, NULL) == 500 && bus_heap_size(h) == 500);
    assert(bus_heap_push(h, 0, 2) == 0);
    prev = 0;
    for (int i = 0; i < 501; i++) {
        assert(bus_heap_pop(h, &k, &v) && k >= prev && v % 2 == 0);
        prev = k;
    }
    assert(bus_heap_size(h) == 0);
    bus_heap_destroy(&h);
    (void)verbose;
}
