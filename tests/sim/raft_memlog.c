/* raft_memlog: an array of entries and an offset. */
#include "raft_memlog.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void raft_memlog_init(raft_memlog_t *self)
{
    memset(self, 0, sizeof *self);
    self->first = 1;
}

uint64_t raft_memlog_last(const raft_memlog_t *self)
{
    return self->first + self->n - 1;
}

void raft_memlog_truncate(raft_memlog_t *self, uint64_t from)
{
    while (self->n && raft_memlog_last(self) >= from) free((void *)self->e[--self->n].data);
}

void raft_memlog_free(raft_memlog_t *self)
{
    raft_memlog_truncate(self, 0);
    free(self->e);
    raft_memlog_init(self);
}

void raft_memlog_append(raft_memlog_t *self, const raft_entry_t *e)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? 2 * self->cap : 256;
        self->e = realloc(self->e, self->cap * sizeof *self->e);
        if (!self->e) abort();
    }
    raft_entry_t c = *e;
    uint8_t *d = c.len ? malloc(c.len) : NULL;
    if (c.len) memcpy(d, e->data, c.len);
    c.data = d;
    self->e[self->n++] = c;
}

void raft_memlog_compact(raft_memlog_t *self, uint64_t index)
{
    if (index < self->first || index > raft_memlog_last(self)) return;
    size_t k = index - self->first + 1;
    self->prev_term = self->e[k - 1].term;
    for (size_t i = 0; i < k; i++) free((void *)self->e[i].data);
    memmove(self->e, self->e + k, (self->n - k) * sizeof *self->e);
    self->n -= k;
    self->first = index + 1;
}

int raft_memlog_persist(raft_memlog_t *self, const raft_ready_t *rd)
{
    if (rd->has_snapshot) {
        raft_memlog_truncate(self, 0);
        self->first = rd->snapshot.index + 1;
        self->prev_term = rd->snapshot.term;
        self->snap = rd->snapshot;
    }
    if (!rd->entries_n) return 0;
    raft_memlog_truncate(self, rd->entries[0].index);
    if (rd->entries[0].index != raft_memlog_last(self) + 1) return RAFT_EINVALID;
    for (size_t i = 0; i < rd->entries_n; i++) raft_memlog_append(self, &rd->entries[i]);
    return 0;
}

static int s_term(void *arg, uint64_t index, uint64_t *term)
{
    const raft_memlog_t *self = arg;
    if (index + 1 == self->first) {
        *term = self->prev_term;
        return 0;
    }
    if (index < self->first) return RAFT_ECOMPACTED;
    if (index > raft_memlog_last(self)) return RAFT_EUNAVAILABLE;
    *term = self->e[index - self->first].term;
    return 0;
}

uint64_t raft_memlog_term_of(const raft_memlog_t *self, uint64_t index)
{
    uint64_t t;
    return s_term((void *)self, index, &t) == 0 ? t : 0;
}

static uint64_t s_first(void *arg)
{
    return ((raft_memlog_t *)arg)->first;
}

static uint64_t s_last(void *arg)
{
    return raft_memlog_last(arg);
}

static int s_entries(void *arg, uint64_t lo, uint64_t hi, size_t max_bytes,
                     void (*emit)(void *ctx, const raft_entry_t *e), void *ctx)
{
    const raft_memlog_t *self = arg;
    if (lo < self->first) return RAFT_ECOMPACTED;
    if (hi > raft_memlog_last(self) + 1) return RAFT_EUNAVAILABLE;
    size_t bytes = 0;
    for (uint64_t i = lo; i < hi; i++) {
        const raft_entry_t *e = &self->e[i - self->first];
        emit(ctx, e);
        bytes += e->len;
        if (bytes > max_bytes) break;
    }
    return 0;
}

static int s_snapshot(void *arg, raft_snap_meta_t *meta)
{
    *meta = ((raft_memlog_t *)arg)->snap;
    return 0;
}

raft_storage_t raft_memlog_storage(raft_memlog_t *self)
{
    return (raft_storage_t){self, s_first, s_last, s_term, s_entries, s_snapshot};
}

static void s_count(void *ctx, const raft_entry_t *e)
{
    (*(size_t *)ctx)++;
}

void raft_memlog_test(bool verbose)
{
    raft_memlog_t l;
    raft_memlog_init(&l);
    uint8_t d[3] = {1, 2, 3};
    for (uint64_t i = 1; i <= 10; i++)
        raft_memlog_append(
            &l, &(raft_entry_t){.term = 1 + i / 5, .index = i, .type = 1, .data = d, .len = 3});
    raft_storage_t st = raft_memlog_storage(&l);
    uint64_t t;
    assert(st.first_index(st.arg) == 1 && st.last_index(st.arg) == 10);
    assert(st.term(st.arg, 5, &t) == 0 && t == 2 && st.term(st.arg, 11, &t) == RAFT_EUNAVAILABLE);
    size_t n = 0;
    assert(st.entries(st.arg, 2, 11, 7, s_count, &n) == 0 && n == 3); /* stops past 7 bytes */
    raft_memlog_compact(&l, 4);
    assert(l.first == 5 && raft_memlog_term_of(&l, 4) == 1 &&
           st.term(st.arg, 3, &t) == RAFT_ECOMPACTED);
    raft_ready_t rd = {.entries = (raft_entry_t[]){{.term = 3, .index = 8, .type = 1}},
                       .entries_n = 1};
    assert(raft_memlog_persist(&l, &rd) == 0 && raft_memlog_last(&l) == 8 &&
           raft_memlog_term_of(&l, 8) == 3);
    rd.entries = (raft_entry_t[]){{.term = 3, .index = 12, .type = 1}};
    assert(raft_memlog_persist(&l, &rd) == RAFT_EINVALID);
    raft_ready_t snap = {.has_snapshot = true, .snapshot = {.index = 20, .term = 4}};
    assert(raft_memlog_persist(&l, &snap) == 0 && l.first == 21 &&
           raft_memlog_term_of(&l, 20) == 4);
    raft_memlog_free(&l);
    (void)verbose;
}
