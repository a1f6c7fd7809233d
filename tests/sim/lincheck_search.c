/* lincheck's search: can one key's history be linearized from a given state? A just-in-time
 * depth-first search over the key's call and return events with a memo of (linearized ops,
 * value), pruned where an order cannot matter (lincheck_search). It neither narrows down nor
 * explains a failure: lincheck.c does, with many searches of parts of the history. */
#include "lincheck_impl.h"
#include "bus_err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define S_OBSERVE    (1u << 31) /* in a state: the next op must read it (see lincheck_search) */
#define S_ANY        UINT32_MAX /* what a weak put or delete needs: any state */
#define S_COVERS_MAX 16u /* sets with other weak items a memo lookup compares with, at most */

static int s_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The memo: every (set of linearized items, state) the search has reached, in a hash table of
 * compact sets (see s_search_t). A set's hashes are the xor of its items' random numbers
 * (Zobrist), updated in one step: one of the determinate items, which places it in the table,
 * one of the weak items. A set is as good as seen when one with the same determinate items
 * and a subset of its weak items was: those may as well never happen. */
typedef struct {
    struct s_slot_t {
        uint64_t hash, weak;   /* of the determinate items and state; of the weak items */
        uint32_t state, entry; /* entry + 1; 0 is an empty slot */
    } * slots;
    size_t cap, n;
    size_t *off; /* per entry: where its set starts in pool */
    size_t off_cap;
    uint64_t *pool;
    size_t pool_n, pool_cap;
    size_t weak_words; /* the last words of a set: its weak items */
} s_memo_t;

static size_t s_memo_bytes(const s_memo_t *m, size_t cap, size_t off_cap, size_t pool_cap)
{
    return cap * sizeof *m->slots + off_cap * sizeof *m->off + pool_cap * sizeof *m->pool;
}

/* Does having seen set old (as encoded by s_encode) make set redundant? */
static bool s_covers(const s_memo_t *m, const uint64_t *old, const uint64_t *set)
{
    size_t firm = 1 + (uint32_t)set[0];
    if (memcmp(old, set, firm * sizeof *set)) return false;
    for (size_t w = 0; w < m->weak_words; w++)
        if (old[firm + w] & ~set[firm + w]) return false;
    return true;
}

static void s_memo_rehash(s_memo_t *m, size_t cap)
{
    struct s_slot_t *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) abort();
    m->cap = cap;
    for (size_t j = 0; j < old_cap; j++) {
        if (!old[j].entry) continue;
        size_t k = old[j].hash & (cap - 1);
        while (m->slots[k].entry) k = (k + 1) & (cap - 1);
        m->slots[k] = old[j];
    }
    free(old);
}

/* 1 when (set, state) is new and now remembered, 0 when covered by one seen before, BUS_EBUSY
 * past the limit. set is len words from s_encode. */
static int s_memo_add(s_memo_t *m, const uint64_t *set, size_t len, uint64_t set_hash,
                      uint64_t weak_hash, uint32_t state, s_budget_t *b)
{
    uint64_t h = s_mix(set_hash ^ ((uint64_t)state * 0xff51afd7ed558ccdull));
    size_t i = h & (m->cap - 1), tried = 0;
    for (; m->slots[i].entry; i = (i + 1) & (m->cap - 1)) {
        const struct s_slot_t *s = &m->slots[i];
        if (s->hash != h || s->state != state) continue;
        /* The same set, or (for the first few) one with fewer weak items. */
        if ((s->weak == weak_hash || tried++ < S_COVERS_MAX) &&
            s_covers(m, m->pool + m->off[s->entry - 1], set))
            return 0;
    }
    size_t cap = 2 * (m->n + 1) > m->cap ? m->cap * 2 : m->cap;
    size_t off_cap = m->n == m->off_cap ? m->off_cap * 2 : m->off_cap;
    size_t pool_cap = m->pool_cap;
    while (m->pool_n + len > pool_cap) pool_cap *= 2;
    size_t bytes = s_memo_bytes(m, cap, off_cap, pool_cap);
    if (bytes > b->memo_max) return BUS_EBUSY;
    if (bytes > b->memo_peak) b->memo_peak = bytes;
    if (off_cap != m->off_cap) m->off = s_realloc(m->off, m->off_cap = off_cap, sizeof *m->off);
    if (pool_cap != m->pool_cap)
        m->pool = s_realloc(m->pool, m->pool_cap = pool_cap, sizeof *m->pool);
    memcpy(m->pool + m->pool_n, set, len * sizeof *set);
    m->off[m->n] = m->pool_n;
    m->pool_n += len;
    m->slots[i] = (struct s_slot_t){h, weak_hash, state, (uint32_t)++m->n};
    if (cap != m->cap) s_memo_rehash(m, cap);
    return 1;
}

static void s_memo_init(s_memo_t *m, size_t weak_words)
{
    *m = (s_memo_t){.cap = 1024, .off_cap = 256, .pool_cap = 1024, .weak_words = weak_words};
    m->slots = calloc(m->cap, sizeof *m->slots);
    m->off = s_realloc(NULL, m->off_cap, sizeof *m->off);
    m->pool = s_realloc(NULL, m->pool_cap, sizeof *m->pool);
    if (!m->slots) abort();
}

static void s_memo_fini(s_memo_t *m)
{
    free(m->slots);
    free(m->off);
    free(m->pool);
}

/* What op does to the state (a value, or S_UNKNOWN), false when its result says it cannot have
 * happened there. A weak cas is applied only when it swaps: one that does not is the same as
 * one that never happened. From S_UNKNOWN a failed cas leaves the state unknown, a little
 * weaker than "anything but expected", which keeps the state one integer and stays sound. */
bool lincheck_step(const s_op_t *o, bool weak, uint32_t state, uint32_t *next)
{
    switch (o->type) {
    case LINCHECK_PUT: *next = o->arg1; return true;
    case LINCHECK_DELETE: *next = 0; return true;
    case LINCHECK_GET: *next = o->result; return state == S_UNKNOWN || state == o->result;
    default: break;
    }
    *next = o->ok || weak ? o->arg2 : state;
    if (weak) return state == o->arg1;
    return o->ok ? state == S_UNKNOWN || state == o->arg1 : state != o->arg1;
}

/* One search. Items are numbered by call; firm (determinate) and weak ones also each on their
 * own, for the set of linearized items: firm ones below firm_low are all in it, so a set is
 * stored as firm_low, the firm words from there to the highest firm item linearized, and the
 * weak words (s_encode). Weak calls are kept off the event list: they have no return. */
typedef struct {
    size_t n;               /* items searched (some need not be, see s_needed) */
    size_t events;          /* calls, and returns of the firm items */
    const s_op_t **op;      /* per item */
    bool *weak, *optional;  /* per item */
    uint32_t *index;        /* per item: its number among the firm, or the weak, items */
    uint64_t *zobrist;      /* per item */
    uint32_t *next, *prev;  /* the event list: node 0 is the head, node k + 1 event k */
    uint32_t *item, *match; /* per node: its item; a call's return node (0 for a return) */
    uint32_t *pos;          /* per node: its position in the key's events */
    uint32_t *weak_node;    /* per weak item, by call: its call node */
    size_t weak_n, firm_n;
    uint32_t *stack_node, *stack_state, *stack_high;
    uint8_t *stack_how;       /* S_SKIPPED, S_FORCED */
    uint64_t *firm, *weak_in; /* linearized firm and weak items, by index */
    uint32_t firm_low;        /* the first firm item not linearized */
    uint64_t *code;           /* the set, encoded */
    size_t weak_left;         /* weak items not linearized */
    size_t firm_left;         /* firm items not linearized: the search is done at 0 */
    /* Weak items that need and leave the same states are interchangeable: each group is
     * linearized in order (see s_search_groups, s_candidates). */
    uint32_t *leaves;        /* per item: the state it leaves, if weak */
    uint32_t *group;         /* per item: its group + 1, 0 for none */
    uint32_t *group_first;   /* per group: its first member in group_item */
    uint32_t *group_applied; /* per group: members linearized */
    uint32_t *group_item;    /* the members of each group, by call */
    uint32_t *group_leaves;  /* per group: the state its members leave; groups come by it */
    uint32_t *group_from;    /* per group: the state its members need, S_ANY for none */
    size_t group_n;
    uint32_t *wanted; /* scratch for s_candidates */
    uint32_t *cand;   /* weak items worth trying now, by weak index */
    size_t cand_n;
    /* Where the search is. */
    uint32_t state;   /* the model's, with S_OBSERVE */
    uint64_t hash[2]; /* of the determinate and of the weak items linearized */
    size_t sp;        /* items linearized, on the stack */
    int pass;         /* which calls are tried (S_PASS_*) */
    uint32_t node;    /* passes READ and WRITE: the node tried next */
    uint32_t limit;   /* pass WEAK: the first return node */
    size_t next_cand; /* pass WEAK: the candidate tried next */
    bool resume_skip; /* at node: try only the optional op's skip */
} s_search_t;

#define S_SKIPPED 1 /* an optional op, linearized as having taken effect before the window */
#define S_FORCED  2 /* a read, linearized as soon as it could be: no alternative to try */

/* The order in which calls are tried at each point of the search (see lincheck_search). */
enum { S_PASS_READ, S_PASS_WRITE, S_PASS_WEAK };

typedef struct {
    uint64_t key; /* position << 32 | item */
    uint32_t item;
    bool call;
} s_event_t;

static int s_event_cmp(const void *a, const void *b)
{
    uint64_t x = ((const s_event_t *)a)->key, y = ((const s_event_t *)b)->key;
    return x < y ? -1 : x > y;
}

/* Items that cannot change the outcome are left out: weak gets (they constrain nothing), and
 * optional ops that have no effect (they may have happened before the window). */
static bool s_needed(const s_op_t *o, const s_item_t *it)
{
    bool reads = o->type == LINCHECK_GET || (o->type == LINCHECK_CAS && !o->ok);
    return !(it->weak && o->type == LINCHECK_GET) && !(it->optional && !it->weak && reads);
}

typedef struct {
    uint32_t leaves, from, weak; /* the state it leaves, the one it needs (S_ANY), its index */
} s_member_t;

static int s_member_cmp(const void *a, const void *b)
{
    const s_member_t *x = a, *y = b;
    if (x->leaves != y->leaves) return x->leaves < y->leaves ? -1 : 1;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return x->weak < y->weak ? -1 : x->weak > y->weak;
}

/* Groups the weak items by the state they need (a cas its expected value, others none) and
 * the state they leave, values that no get returned and no cas expected all being S_ANON:
 * members of a group are interchangeable once called. */
static void s_search_groups(s_search_t *s)
{
    uint32_t *seen = s_realloc(NULL, s->n + 1, sizeof *seen);
    s_member_t *order = s_realloc(NULL, s->weak_n + 1, sizeof *order);
    size_t m = 0;
    for (size_t k = 0; k < s->n; k++) {
        const s_op_t *o = s->op[k];
        if (o->type == LINCHECK_GET || o->type == LINCHECK_CAS)
            seen[m++] = o->type == LINCHECK_GET ? o->result : o->arg1;
    }
    qsort(seen, m, sizeof *seen, s_u32_cmp);
    s->leaves = s_realloc(NULL, s->n + 1, sizeof *s->leaves);
    for (uint32_t w = 0; w < s->weak_n; w++) {
        uint32_t it = s->item[s->weak_node[w]];
        const s_op_t *o = s->op[it];
        uint32_t v = o->type == LINCHECK_PUT ? o->arg1 : o->type == LINCHECK_CAS ? o->arg2 : 0;
        s->leaves[it] = v && !bsearch(&v, seen, m, sizeof *seen, s_u32_cmp) ? S_ANON : v;
        order[w] = (s_member_t){s->leaves[it], o->type == LINCHECK_CAS ? o->arg1 : S_ANY, w};
    }
    qsort(order, s->weak_n, sizeof *order, s_member_cmp);
    s->group = calloc(s->n + 1, sizeof *s->group);
    s->group_first = s_realloc(NULL, s->weak_n + 2, sizeof *s->group_first);
    s->group_applied = calloc(s->weak_n + 1, sizeof *s->group_applied);
    s->group_item = s_realloc(NULL, s->weak_n + 1, sizeof *s->group_item);
    s->group_leaves = s_realloc(NULL, s->weak_n + 1, sizeof *s->group_leaves);
    s->group_from = s_realloc(NULL, s->weak_n + 1, sizeof *s->group_from);
    if (!s->group || !s->group_applied) abort();
    for (uint32_t i = 0; i < s->weak_n; i++) {
        if (!i || order[i].leaves != order[i - 1].leaves || order[i].from != order[i - 1].from) {
            s->group_first[s->group_n] = i;
            s->group_leaves[s->group_n] = order[i].leaves;
            s->group_from[s->group_n++] = order[i].from;
        }
        s->group_item[i] = s->item[s->weak_node[order[i].weak]];
        s->group[s->group_item[i]] = (uint32_t)s->group_n;
    }
    s->group_first[s->group_n] = (uint32_t)s->weak_n;
    s->wanted = s_realloc(NULL, s->n + 1, sizeof *s->wanted);
    s->cand = s_realloc(NULL, s->weak_n + 1, sizeof *s->cand);
    free(seen);
    free(order);
}

/* Links the firm items' calls and returns into the event list, in order. */
static void s_search_list(s_search_t *s, const s_event_t *ev)
{
    size_t nodes = s->events + 1;
    s->next = s_realloc(NULL, nodes, sizeof *s->next);
    s->prev = s_realloc(NULL, nodes, sizeof *s->prev);
    s->item = s_realloc(NULL, nodes, sizeof *s->item);
    s->pos = s_realloc(NULL, nodes, sizeof *s->pos);
    s->match = calloc(nodes, sizeof *s->match);
    s->weak_node = s_realloc(NULL, s->n + 1, sizeof *s->weak_node);
    uint32_t *ret_node = s_realloc(NULL, s->n + 1, sizeof *ret_node), last = 0;
    if (!s->match) abort();
    for (uint32_t e = 0; e < s->events; e++) {
        uint32_t node = e + 1, it = ev[e].item;
        s->item[node] = it;
        s->pos[node] = (uint32_t)(ev[e].key >> 32);
        if (ev[e].call && s->weak[it]) {
            s->weak_node[s->weak_n++] = node;
            continue;
        }
        if (!ev[e].call) ret_node[it] = node;
        s->next[last] = node;
        s->prev[node] = last;
        last = node;
    }
    s->next[last] = 0;
    s->prev[0] = last;
    for (uint32_t e = 0; e < s->events; e++)
        if (ev[e].call && !s->weak[ev[e].item]) s->match[e + 1] = ret_node[ev[e].item];
    free(ret_node);
}

static void s_search_init(s_search_t *s, const lincheck_t *self, const s_item_t *items, size_t n)
{
    memset(s, 0, sizeof *s);
    s->op = s_realloc(NULL, n + 1, sizeof *s->op);
    s->weak = s_realloc(NULL, n + 1, sizeof *s->weak);
    s->optional = s_realloc(NULL, n + 1, sizeof *s->optional);
    s->index = s_realloc(NULL, n + 1, sizeof *s->index);
    s->zobrist = s_realloc(NULL, n + 1, sizeof *s->zobrist);
    s_event_t *ev = s_realloc(NULL, 2 * n + 1, sizeof *ev);
    for (size_t i = 0; i < n; i++) { /* items come by call */
        const s_op_t *o = &self->ops[items[i].op];
        if (!s_needed(o, &items[i])) continue;
        uint32_t k = (uint32_t)s->n++;
        s->op[k] = o;
        s->weak[k] = items[i].weak;
        s->optional[k] = items[i].optional && !items[i].weak;
        s->index[k] = (uint32_t)(s->weak[k] ? s->weak_left++ : s->firm_left++);
        s->zobrist[k] = s_mix(k * 0x2545f4914f6cdd1dull + 1);
        ev[s->events++] = (s_event_t){(uint64_t)items[i].call << 32 | k, k, true};
        if (!s->weak[k]) ev[s->events++] = (s_event_t){(uint64_t)items[i].ret << 32 | k, k, false};
    }
    s->firm_n = s->firm_left;
    qsort(ev, s->events, sizeof *ev, s_event_cmp);
    s_search_list(s, ev);
    free(ev);
    s->stack_node = s_realloc(NULL, s->n + 1, sizeof *s->stack_node);
    s->stack_state = s_realloc(NULL, s->n + 1, sizeof *s->stack_state);
    s->stack_high = s_realloc(NULL, s->n + 2, sizeof *s->stack_high);
    s->stack_high[0] = 0;
    s->stack_how = s_realloc(NULL, s->n + 1, sizeof *s->stack_how);
    s->firm = calloc(s->firm_n / 64 + 2, sizeof *s->firm);
    s->weak_in = calloc(s->weak_n / 64 + 1, sizeof *s->weak_in);
    s->code = s_realloc(NULL, s->firm_n / 64 + s->weak_n / 64 + 4, sizeof *s->code);
    if (!s->firm || !s->weak_in) abort();
    s_search_groups(s);
}

static void s_search_fini(s_search_t *s)
{
    void *p[] = {s->op,          s->weak,          s->optional,    s->index,        s->zobrist,
                 s->next,        s->prev,          s->item,        s->pos,          s->match,
                 s->weak_node,   s->stack_node,    s->stack_state, s->stack_high,   s->stack_how,
                 s->firm,        s->weak_in,       s->code,        s->leaves,       s->group,
                 s->group_first, s->group_applied, s->group_item,  s->group_leaves, s->group_from,
                 s->wanted,      s->cand};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) free(p[i]);
}

static bool s_bit(const uint64_t *bits, uint32_t i)
{
    return bits[i / 64] >> (i % 64) & 1;
}

/* Adds item it to the set of linearized items, or takes it out. */
static void s_mark(s_search_t *s, uint32_t it, bool in)
{
    uint32_t i = s->index[it];
    uint64_t *bits = s->weak[it] ? s->weak_in : s->firm, bit = 1ull << (i % 64);
    bits[i / 64] = in ? bits[i / 64] | bit : bits[i / 64] & ~bit;
    if (s->weak[it]) return;
    if (!in && i < s->firm_low) s->firm_low = i;
    while (in && s->firm_low < s->firm_n && s_bit(s->firm, s->firm_low)) s->firm_low++;
}

/* Encodes the set in s->code, the highest firm item in it below high; returns its length. */
static size_t s_encode(s_search_t *s, uint32_t high)
{
    size_t nw = 0, weak_words = s->weak_n / 64 + 1;
    for (uint32_t w = s->firm_low / 64; high > s->firm_low && w <= (high - 1) / 64; w++)
        s->code[1 + nw++] = s->firm[w];
    s->code[0] = (uint64_t)s->firm_low << 32 | nw;
    memcpy(s->code + 1 + nw, s->weak_in, weak_words * sizeof *s->code);
    return 1 + nw + weak_words;
}

/* Takes a call and its return out of the list; s_unlift puts them back, in reverse order.
 * Weak calls are not in the list. */
static void s_lift(s_search_t *s, uint32_t c)
{
    uint32_t r = s->match[c];
    if (!r) return;
    s->next[s->prev[c]] = s->next[c];
    s->prev[s->next[c]] = s->prev[c];
    s->next[s->prev[r]] = s->next[r];
    s->prev[s->next[r]] = s->prev[r];
}

static void s_unlift(s_search_t *s, uint32_t c)
{
    uint32_t r = s->match[c];
    if (!r) return;
    s->next[s->prev[r]] = r;
    s->prev[s->next[r]] = r;
    s->next[s->prev[c]] = c;
    s->prev[s->next[c]] = c;
}

/* Which pass tries item it from state: reads that change nothing go first. */
static int s_pass(const s_search_t *s, uint32_t it, uint32_t state)
{
    const s_op_t *o = s->op[it];
    if (s->weak[it]) return S_PASS_WEAK;
    if (o->type == LINCHECK_CAS && !o->ok) return S_PASS_READ;
    return o->type == LINCHECK_GET && state != S_UNKNOWN ? S_PASS_READ : S_PASS_WRITE;
}

/* Tries to linearize call node c (how & S_SKIPPED: as having happened before the window):
 * 1 when it did, 0 when it cannot or the result is covered by the memo, or BUS_EBUSY. */
static int s_try(s_search_t *s, s_memo_t *memo, uint32_t c, uint8_t how, s_budget_t *b)
{
    uint32_t it = s->item[c], next = s->state & ~S_OBSERVE, high = s->stack_high[s->sp];
    if (!(how & S_SKIPPED) && !lincheck_step(s->op[it], s->weak[it], next, &next)) return 0;
    next = s->group[it] ? s->leaves[it] : next;
    if (s->weak[it]) next |= S_OBSERVE;
    if (!s->weak[it] && s->index[it] + 1 > high) high = s->index[it] + 1;
    s_mark(s, it, true);
    uint64_t firm = s->hash[0] ^ (s->weak[it] ? 0 : s->zobrist[it]);
    uint64_t weak = s->hash[1] ^ (s->weak[it] ? s->zobrist[it] : 0);
    int rc = s_memo_add(memo, s->code, s_encode(s, high), firm, weak, next, b);
    if (rc != 1) {
        s_mark(s, it, false);
        return rc;
    }
    s->stack_node[s->sp] = c;
    s->stack_how[s->sp] = how;
    s->stack_state[s->sp++] = s->state;
    s->stack_high[s->sp] = high;
    s->state = next;
    s->hash[s->weak[it]] ^= s->zobrist[it];
    s->weak_left -= s->weak[it];
    s->firm_left -= !s->weak[it];
    if (s->group[it]) s->group_applied[s->group[it] - 1]++;
    s_lift(s, c);
    return 1;
}

/* Undoes the last linearization: its call node, and how; false when there is none. */
static bool s_undo(s_search_t *s, uint32_t *node, uint8_t *how)
{
    if (!s->sp) return false;
    *node = s->stack_node[--s->sp];
    s->state = s->stack_state[s->sp];
    *how = s->stack_how[s->sp];
    uint32_t it = s->item[*node];
    s_mark(s, it, false);
    s->hash[s->weak[it]] ^= s->zobrist[it];
    s->weak_left += s->weak[it];
    s->firm_left += !s->weak[it];
    if (s->group[it]) s->group_applied[s->group[it] - 1]--;
    s_unlift(s, *node);
    return true;
}

/* The first return node in the list, 0 when it is empty. */
static uint32_t s_first_return(const s_search_t *s)
{
    uint32_t node = s->next[0];
    while (node && s->match[node]) node = s->next[node];
    return node;
}
static void s_want(s_search_t *s, size_t *n, uint32_t v)
{
    for (size_t i = 0; i < *n; i++)
        if (s->wanted[i] == v) return;
    s->wanted[(*n)++] = v;
}

/* The first group that leaves state v or a later one. */
static size_t s_group_lower(const s_search_t *s, uint32_t v)
{
    size_t lo = 0, hi = s->group_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->group_leaves[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The weak index of group g's first member not linearized yet, if called before limit; else
 * UINT32_MAX. */
static uint32_t s_group_next(const s_search_t *s, size_t g, uint32_t limit)
{
    uint32_t i = s->group_first[g] + s->group_applied[g];
    if (i == s->group_first[g + 1]) return UINT32_MAX;
    uint32_t w = s->index[s->group_item[i]];
    return s->weak_node[w] < limit ? w : UINT32_MAX;
}

/* The weak items worth trying in this state, called before limit, by weak index: those that
 * let a read blocked here (called before limit) be linearized next, directly or through weak
 * cas that are. Of a group only the first not linearized yet: once called they are alike.
 * None from an unknown state: the reader could as well find the state it wants there. */
static void s_candidates(s_search_t *s, uint32_t state, uint32_t limit)
{
    size_t n = 0, kept = 0;
    bool any = false; /* a failed cas is blocked: anything but state will do */
    s->cand_n = 0;
    if (state == S_UNKNOWN) return;
    for (uint32_t node = s->next[0]; node != limit; node = s->next[node]) {
        const s_op_t *o = s->op[s->item[node]];
        if (o->type == LINCHECK_GET && o->result != state) s_want(s, &n, o->result);
        if (o->type == LINCHECK_CAS && o->ok && o->arg1 != state) s_want(s, &n, o->arg1);
        any = any || (o->type == LINCHECK_CAS && !o->ok && o->arg1 == state);
    }
    for (size_t i = 0; i < n; i++) { /* a cas that needs another state wants it in turn */
        for (size_t g = s_group_lower(s, s->wanted[i]);
             g < s->group_n && s->group_leaves[g] == s->wanted[i] && s->wanted[i] != state; g++) {
            uint32_t w = s_group_next(s, g, limit);
            if (w != UINT32_MAX && (s->group_from[g] == S_ANY || s->group_from[g] == state))
                s->cand[s->cand_n++] = w;
            else if (w != UINT32_MAX)
                s_want(s, &n, s->group_from[g]);
        }
    }
    for (size_t g = 0; any && g < s->group_n; g++) {
        uint32_t w = s_group_next(s, g, limit);
        if (w != UINT32_MAX && s->group_leaves[g] != state &&
            (s->group_from[g] == S_ANY || s->group_from[g] == state))
            s->cand[s->cand_n++] = w;
    }
    qsort(s->cand, s->cand_n, sizeof *s->cand, s_u32_cmp);
    for (size_t i = 0; i < s->cand_n; i++)
        if (!kept || s->cand[kept - 1] != s->cand[i]) s->cand[kept++] = s->cand[i];
    s->cand_n = kept;
}

/* Pass WEAK: tries the next candidate. 1 when linearized, 0 when not, BUS_EBUSY; *end when
 * there was none left. */
static int s_visit_weak(s_search_t *s, s_memo_t *memo, s_budget_t *b, bool *end)
{
    *end = s->next_cand == s->cand_n;
    if (*end) return 0;
    uint32_t c = s->weak_node[s->cand[s->next_cand++]];
    if ((s->state & S_OBSERVE) && s->op[s->item[c]]->type != LINCHECK_CAS) return 0;
    return s_try(s, memo, c, 0, b);
}

/* Passes READ and WRITE: tries the call at node, if of this pass, and moves on. As above;
 * *end at a return. */
static int s_visit_call(s_search_t *s, s_memo_t *memo, s_budget_t *b, bool *end)
{
    assert(s->node != 0); /* a return comes before the end of the list */
    uint32_t it = s->item[s->node];
    const s_op_t *o = s->op[it];
    bool observe = s->state & S_OBSERVE, skip = s->resume_skip;
    int got = 0;
    s->resume_skip = false;
    *end = !s->match[s->node];
    if (*end || s_pass(s, it, s->state & ~S_OBSERVE) != s->pass ||
        (observe && o->type != LINCHECK_GET && o->type != LINCHECK_CAS)) {
        s->node = *end ? s->node : s->next[s->node];
        return 0;
    }
    if (!skip) got = s_try(s, memo, s->node, s->pass == S_PASS_READ ? S_FORCED : 0, b);
    if (!got && s->optional[it] && !observe) got = s_try(s, memo, s->node, S_SKIPPED, b);
    if (!got) s->node = s->next[s->node];
    return got;
}

/* At the end of a pass: on to the next, or else (no op could be linearized before the first
 * return) undo and go on after the last op linearized. S_NOTLIN when there is none. */
static int s_pass_end(s_search_t *s, s_budget_t *b)
{
    if (s->pass == S_PASS_READ && s->pos[s->node] > b->reached) b->reached = s->pos[s->node];
    if (s->pass == S_PASS_READ || (s->pass == S_PASS_WRITE && s->weak_left)) {
        s->pass++;
        s->limit = s->node;
        s->node = s->next[0];
        if (s->pass == S_PASS_WEAK) s_candidates(s, s->state & ~S_OBSERVE, s->limit);
        s->next_cand = 0;
        return S_LIN;
    }
    uint32_t node;
    uint8_t how = S_FORCED;
    while (how & S_FORCED) /* a forced read had no alternative */
        if (!s_undo(s, &node, &how)) return S_NOTLIN;
    uint32_t it = s->item[node];
    s->pass = s_pass(s, it, s->state & ~S_OBSERVE);
    if (s->pass == S_PASS_WEAK) { /* the next candidate after it */
        s->limit = s_first_return(s);
        s_candidates(s, s->state & ~S_OBSERVE, s->limit);
        for (s->next_cand = 0; s->next_cand < s->cand_n && s->cand[s->next_cand] <= s->index[it];)
            s->next_cand++;
    } else {
        s->resume_skip = s->optional[it] && !(how & S_SKIPPED);
        s->node = s->resume_skip ? node : s->next[node];
    }
    return S_LIN;
}

/* Is there an order of the items, each between its call and its return, that the model accepts
 * from state start? S_LIN, S_NOTLIN or BUS_EBUSY. Depth first, linearizing ops just in time,
 * with the calls before the first return tried in three passes:
 *  - reads (gets, failed cas) that the state satisfies: linearizing one now is never worse than
 *    later, so it is the only branch tried;
 *  - other determinate ops (an optional one with its effect, then without);
 *  - weak ops, and then only when the next op reads what they wrote (S_OBSERVE): in any order,
 *    one that is overwritten before it is read can as well never have happened. */
int lincheck_search(const lincheck_t *self, const s_item_t *items, size_t n, uint32_t start,
                    s_budget_t *b)
{
    s_search_t s;
    s_search_init(&s, self, items, n);
    s_memo_t memo;
    s_memo_init(&memo, s.weak_n / 64 + 1);
    s.state = start;
    s.node = s.next[0];
    s.pass = S_PASS_READ;
    int rc = S_LIN;
    while (rc == S_LIN && s.firm_left) {
        bool end = false;
        int got = 0;
        if (++b->steps > b->steps_max)
            rc = BUS_EBUSY;
        else
            got = s.pass == S_PASS_WEAK ? s_visit_weak(&s, &memo, b, &end)
                                        : s_visit_call(&s, &memo, b, &end);
        if (got < 0) rc = got;
        if (got == 1) {
            s.pass = S_PASS_READ;
            s.node = s.next[0];
        } else if (end) {
            rc = s_pass_end(&s, b);
        }
    }
    s_memo_fini(&memo);
    s_search_fini(&s);
    return rc;
}
