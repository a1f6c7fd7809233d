/* lincheck's insides, shared by the checker (lincheck.c), its search (lincheck_search.c) and its
 * selftest (lincheck_test.c): the recorded history, its interned strings, and the interface of
 * the search of one key. Not for other modules, which use lincheck.h; its s_ and S_ names are
 * private to these files. */
#pragma once

#include "lincheck.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define S_INF     UINT32_MAX      /* position of a return that never came */
#define S_UNKNOWN (1u << 30)      /* state: any value (the start of a window of the history) */
#define S_ANON    (S_UNKNOWN + 1) /* state: a value no op of the search compares with */
#define S_LIN     0               /* search results besides BUS_EBUSY */
#define S_NOTLIN  1

/* An op as recorded. */
typedef struct {
    uint32_t client;
    uint8_t type;
    bool returned;
    bool ok;                          /* cas: swapped */
    uint32_t key, arg1, arg2, result; /* interned; 0 is absent */
    int64_t call_us, ret_us;
    uint64_t call_seq, ret_seq; /* recording order, for events at the same time */
} s_op_t;

/* An interned string: bytes[off, off + len). */
typedef struct {
    uint64_t hash;
    size_t off, len;
} s_str_t;

struct lincheck_t {
    s_op_t *ops;
    size_t ops_n, ops_max;
    uint64_t seq;
    s_str_t *strs; /* interned byte strings: id i >= 1 is strs[i] */
    size_t strs_n, strs_cap;
    uint8_t *bytes;
    size_t bytes_n, bytes_cap;
    uint32_t *table; /* open addressing over ids, 0 empty, load at most 1/2 */
    size_t table_cap;
    uint64_t steps_max;
    size_t memo_max;
};

/* Tiny helpers both halves of the checker use, inline so that they stay private. */
static inline void *s_realloc(void *p, size_t n, size_t size)
{
    p = realloc(p, n * size);
    if (!p && n) abort();
    return p;
}

static inline uint64_t s_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* One op of a key's history as the search sees it. */
typedef struct {
    uint32_t op;        /* index in self->ops */
    uint32_t call, ret; /* positions in the key's event order; ret S_INF: never returned */
    bool weak;          /* result unknown: may take effect any time after its call, or never */
    bool optional;      /* may have taken effect before the window the search starts at, or
                           else between its call and return as usual */
} s_item_t;

/* What searches may use and have used: one budget can serve several searches. */
typedef struct {
    uint64_t steps_max, steps;
    size_t memo_max, memo_peak;
    uint32_t reached; /* the latest return some search got to with all before it linearized */
} s_budget_t;

/* The id of a byte string (absent is 0), adding it if new. */
uint32_t lincheck_intern(lincheck_t *self, lincheck_val_t v);
/* Op id as one line of text, indented, in out; returns the bytes written (cap when cut short). */
size_t lincheck_show_op(const lincheck_t *self, int id, char *out, size_t cap);
/* What op does to the state (a value, or S_UNKNOWN): false when its result says it cannot have
 * happened there. */
bool lincheck_step(const s_op_t *o, bool weak, uint32_t state, uint32_t *next);
/* Is there an order of the items, each between its call and its return, that the model accepts
 * from state start? S_LIN, S_NOTLIN or BUS_EBUSY past the limits of b, which counts its use. */
int lincheck_search(const lincheck_t *self, const s_item_t *items, size_t n, uint32_t start,
                    s_budget_t *b);
