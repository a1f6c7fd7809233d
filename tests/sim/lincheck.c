/* lincheck: records key-value histories and checks them one key at a time. Values and keys are
 * interned, so the model state is one integer. A key is searched (lincheck_search.c); a failure
 * is narrowed to a window of events that fails on its own, then to the fewest ops that still
 * cannot be ordered (s_locate), and explained. Not the search itself, nor a general-purpose
 * model checker. */
#include "lincheck_impl.h"
#include "bus_err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_WINDOW_MAX  256u /* determinate ops in a window worth weakening one by one */
#define S_QUICK_STEPS 128u /* steps an op for a first search, before looking for a local fault */

static int s_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t s_hash_bytes(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ len;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return s_mix(h);
}

lincheck_val_t lincheck_str(const char *s)
{
    return s ? (lincheck_val_t){s, strlen(s)} : LINCHECK_ABSENT;
}

static bool s_str_eq(const lincheck_t *self, uint32_t id, const void *data, size_t len,
                     uint64_t hash)
{
    const s_str_t *s = &self->strs[id];
    return s->hash == hash && s->len == len && memcmp(self->bytes + s->off, data, len) == 0;
}

static void s_table_grow(lincheck_t *self)
{
    size_t cap = self->table_cap ? self->table_cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) abort();
    for (uint32_t id = 1; id < self->strs_n; id++) {
        size_t i = self->strs[id].hash & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = id;
    }
    free(self->table);
    self->table = t;
    self->table_cap = cap;
}

/* The id of a byte string (absent is 0), adding it if new. */
uint32_t lincheck_intern(lincheck_t *self, lincheck_val_t v)
{
    if (!v.data) return 0;
    uint64_t hash = s_hash_bytes(v.data, v.len);
    size_t i = hash & (self->table_cap - 1);
    for (; self->table[i]; i = (i + 1) & (self->table_cap - 1))
        if (s_str_eq(self, self->table[i], v.data, v.len, hash)) return self->table[i];
    if (self->strs_n == self->strs_cap) {
        self->strs_cap *= 2;
        self->strs = s_realloc(self->strs, self->strs_cap, sizeof *self->strs);
    }
    while (self->bytes_n + v.len > self->bytes_cap) {
        self->bytes_cap *= 2;
        self->bytes = s_realloc(self->bytes, self->bytes_cap, 1);
    }
    memcpy(self->bytes + self->bytes_n, v.data, v.len);
    uint32_t id = (uint32_t)self->strs_n++;
    self->strs[id] = (s_str_t){hash, self->bytes_n, v.len};
    self->bytes_n += v.len;
    self->table[i] = id;
    if (2 * self->strs_n > self->table_cap) s_table_grow(self);
    return id;
}

lincheck_t *lincheck_new(size_t ops_max)
{
    lincheck_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->ops_max = ops_max;
    self->strs_cap = 64;
    self->strs = s_realloc(NULL, self->strs_cap, sizeof *self->strs);
    self->strs_n = 1; /* id 0 is absent */
    self->bytes_cap = 4096;
    self->bytes = s_realloc(NULL, self->bytes_cap, 1);
    s_table_grow(self);
    self->steps_max = 20000000;
    self->memo_max = (size_t)256 << 20;
    return self;
}

void lincheck_destroy(lincheck_t **self_p)
{
    if (!self_p || !*self_p) return;
    lincheck_t *self = *self_p;
    free(self->ops);
    free(self->strs);
    free(self->bytes);
    free(self->table);
    free(self);
    *self_p = NULL;
}

void lincheck_set_limits(lincheck_t *self, uint64_t steps_max, size_t memo_bytes_max)
{
    self->steps_max = steps_max;
    self->memo_max = memo_bytes_max;
}

size_t lincheck_size(const lincheck_t *self)
{
    return self->ops_n;
}

int lincheck_call(lincheck_t *self, uint32_t client, lincheck_op_t op, const char *key,
                  lincheck_val_t arg1, lincheck_val_t arg2, int64_t time_us)
{
    if (!key || !*key || strlen(key) > LINCHECK_KEY_MAX) return BUS_EINVALID;
    if (arg1.len > LINCHECK_VALUE_MAX || arg2.len > LINCHECK_VALUE_MAX) return BUS_EINVALID;
    if ((!arg1.data && arg1.len) || (!arg2.data && arg2.len)) return BUS_EINVALID;
    bool args_ok = op == LINCHECK_CAS || (op == LINCHECK_PUT && arg1.data && !arg2.data) ||
                   ((op == LINCHECK_GET || op == LINCHECK_DELETE) && !arg1.data && !arg2.data);
    if (!args_ok) return BUS_EINVALID;
    /* At most 4 interned strings an op: ids stay below S_UNKNOWN. */
    if (self->ops_n >= self->ops_max || self->ops_n >= (1u << 27)) return BUS_EBUSY;
    if (self->ops_n % 1024 == 0)
        self->ops = s_realloc(self->ops, self->ops_n + 1024, sizeof *self->ops);
    s_op_t *o = &self->ops[self->ops_n];
    *o = (s_op_t){
        .client = client, .type = (uint8_t)op, .call_us = time_us, .call_seq = self->seq++};
    o->key = lincheck_intern(self, lincheck_str(key));
    o->arg1 = lincheck_intern(self, arg1);
    o->arg2 = lincheck_intern(self, arg2);
    return (int)self->ops_n++;
}

static s_op_t *s_returnable(lincheck_t *self, int id, int64_t time_us)
{
    if (id < 0 || (size_t)id >= self->ops_n) return NULL;
    s_op_t *o = &self->ops[id];
    if (o->returned || time_us < o->call_us) return NULL;
    return o;
}

int lincheck_return(lincheck_t *self, int id, int64_t time_us, bool ok)
{
    s_op_t *o = s_returnable(self, id, time_us);
    if (!o || o->type == LINCHECK_GET || (o->type != LINCHECK_CAS && !ok)) return BUS_EINVALID;
    o->returned = true;
    o->ok = ok;
    o->ret_us = time_us;
    o->ret_seq = self->seq++;
    return 0;
}

int lincheck_return_get(lincheck_t *self, int id, int64_t time_us, lincheck_val_t value)
{
    s_op_t *o = s_returnable(self, id, time_us);
    if (!o || o->type != LINCHECK_GET || value.len > LINCHECK_VALUE_MAX) return BUS_EINVALID;
    if (!value.data && value.len) return BUS_EINVALID;
    o->returned = true;
    o->result = lincheck_intern(self, value);
    o->ret_us = time_us;
    o->ret_seq = self->seq++;
    return 0;
}

/* ---- One key: positions, the search, and an explanation when it fails ------------------- */

typedef struct {
    uint32_t key;
    s_item_t *items; /* by call position */
    size_t n;
    int64_t *time_us; /* per event position */
    uint32_t events;  /* returned events */
} s_key_t;

typedef struct {
    int64_t time_us;
    uint64_t seq;
    uint32_t item;
    bool call;
} s_tev_t;

static int s_tev_cmp(const void *a, const void *b)
{
    const s_tev_t *x = a, *y = b;
    if (x->time_us != y->time_us) return x->time_us < y->time_us ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int s_item_cmp(const void *a, const void *b)
{
    uint32_t x = ((const s_item_t *)a)->call, y = ((const s_item_t *)b)->call;
    return x < y ? -1 : x > y;
}

/* Orders the events of ops[0..n) (all on one key) by time, then recording order. */
static void s_key_init(s_key_t *k, const lincheck_t *self, const uint32_t *ops, size_t n)
{
    k->key = self->ops[ops[0]].key;
    k->n = n;
    k->items = s_realloc(NULL, n, sizeof *k->items);
    s_tev_t *ev = s_realloc(NULL, 2 * n, sizeof *ev);
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        const s_op_t *o = &self->ops[ops[i]];
        k->items[i] = (s_item_t){ops[i], 0, S_INF, !o->returned, false};
        ev[e++] = (s_tev_t){o->call_us, o->call_seq, (uint32_t)i, true};
        if (o->returned) ev[e++] = (s_tev_t){o->ret_us, o->ret_seq, (uint32_t)i, false};
    }
    qsort(ev, e, sizeof *ev, s_tev_cmp);
    k->time_us = s_realloc(NULL, e, sizeof *k->time_us);
    for (uint32_t p = 0; p < e; p++) {
        k->time_us[p] = ev[p].time_us;
        if (ev[p].call)
            k->items[ev[p].item].call = p;
        else
            k->items[ev[p].item].ret = p;
    }
    k->events = (uint32_t)e;
    free(ev);
    qsort(k->items, n, sizeof *k->items, s_item_cmp);
}

static void s_key_fini(s_key_t *k)
{
    free(k->items);
    free(k->time_us);
}

/* The history seen between event positions [from, to), starting from any state when from > 0:
 * the ops called before `to` that had not returned at `from`. Those not returned by `to` become
 * weak; those called before `from` optional (they may have taken effect before it). Returns how
 * many items were written to out. The window fails whenever a later `from` fails (its first op
 * finds some state there), so the latest failing `from` can be found by bisection. */
static size_t s_window(const s_key_t *k, uint32_t from, uint32_t to, s_item_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < k->n && k->items[i].call < to; i++) {
        s_item_t it = k->items[i];
        if (it.ret != S_INF && it.ret < from) continue;
        it.weak = it.weak || it.ret == S_INF || it.ret >= to;
        it.optional = it.call < from;
        out[m++] = it;
    }
    return m;
}

static int s_check_window(const lincheck_t *self, const s_key_t *k, uint32_t from, uint32_t to,
                          s_item_t *scratch, s_budget_t *b)
{
    size_t m = s_window(k, from, to, scratch);
    return lincheck_search(self, scratch, m, from ? S_UNKNOWN : 0, b);
}

/* A value or key as text: quoted and escaped, long ones cut short. */
static void s_show(const lincheck_t *self, uint32_t id, bool quote, char *out, size_t cap)
{
    if (!id) {
        snprintf(out, cap, "absent");
        return;
    }
    const s_str_t *s = &self->strs[id];
    const uint8_t *p = self->bytes + s->off;
    size_t o = 0, shown = s->len < 48 ? s->len : 48;
    if (quote) out[o++] = '"';
    for (size_t i = 0; i < shown && o + 8 < cap; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
            out[o++] = (char)p[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
    }
    if (shown < s->len)
        snprintf(out + o, cap - o, "%s...(%zu bytes)", quote ? "\"" : "", s->len);
    else
        snprintf(out + o, cap - o, "%s", quote ? "\"" : "");
}

size_t lincheck_show_op(const lincheck_t *self, int id, char *out, size_t cap)
{
    const s_op_t *o = &self->ops[id];
    char a[256], b[256], r[256], ret[32];
    s_show(self, o->arg1, true, a, sizeof a);
    s_show(self, o->arg2, true, b, sizeof b);
    s_show(self, o->result, true, r, sizeof r);
    snprintf(ret, sizeof ret, o->returned ? "%" PRId64 : "never", o->ret_us);
    const char *res = !o->returned ? "?" : o->type == LINCHECK_GET ? r : o->ok ? "ok" : "failed";
    int n = 0;
    switch (o->type) {
    case LINCHECK_PUT:
        n = snprintf(out, cap, "  #%d client %" PRIu32 " put %s [%" PRId64 ", %s] -> %s\n", id,
                     o->client, a, o->call_us, ret, res);
        break;
    case LINCHECK_CAS:
        n = snprintf(out, cap, "  #%d client %" PRIu32 " cas %s -> %s [%" PRId64 ", %s] -> %s\n",
                     id, o->client, a, b, o->call_us, ret, res);
        break;
    default:
        n = snprintf(out, cap, "  #%d client %" PRIu32 " %s [%" PRId64 ", %s] -> %s\n", id,
                     o->client, o->type == LINCHECK_GET ? "get" : "delete", o->call_us, ret, res);
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;
}

/* Position of the earliest return of a get (or swapped cas) that saw a value no put or cas on
 * the key had even been called to write by then; S_INF if none. *item is that op's index. */
static uint32_t s_never_written(const lincheck_t *self, const s_key_t *k, size_t *item)
{
    /* (value, call) of every write, sorted: a value's first entry is its earliest call. */
    uint64_t *writes = s_realloc(NULL, k->n + 1, sizeof *writes);
    size_t m = 0;
    uint32_t best = S_INF;
    for (size_t i = 0; i < k->n; i++) {
        const s_op_t *o = &self->ops[k->items[i].op];
        uint32_t v = o->type == LINCHECK_PUT ? o->arg1 : o->type == LINCHECK_CAS ? o->arg2 : 0;
        if (v) writes[m++] = (uint64_t)v << 32 | k->items[i].call;
    }
    qsort(writes, m, sizeof *writes, s_u64_cmp);
    for (size_t i = 0; i < k->n; i++) {
        const s_op_t *o = &self->ops[k->items[i].op];
        if (k->items[i].weak || k->items[i].ret >= best) continue;
        uint32_t v = o->type == LINCHECK_GET            ? o->result
                     : o->type == LINCHECK_CAS && o->ok ? o->arg1
                                                        : 0;
        if (!v) continue;
        size_t lo = 0, hi = m; /* the first entry >= (v, 0) */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (writes[mid] < (uint64_t)v << 32)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == m || writes[lo] >> 32 != v || (uint32_t)writes[lo] > k->items[i].ret) {
            best = k->items[i].ret;
            *item = i;
        }
    }
    free(writes);
    return best;
}

/* The latest `from` at which the window [from, to) fails on its own: S_NOTLIN and *from_p, or
 * S_LIN when even the whole prefix [0, to) passes, or BUS_EBUSY. Tries from the end, doubling
 * the width, then halves the gap: a violation is usually local, and small windows are quick. */
static int s_latest_window(const lincheck_t *self, const s_key_t *k, uint32_t to, s_item_t *scratch,
                           uint32_t *from_p, bool *minimal, s_budget_t *b)
{
    uint32_t hi = to, lo = to, width = 1; /* W(hi, to) passes; W(lo, to) fails */
    int rc = S_LIN;
    while (rc == S_LIN && lo > 0) {
        lo = width < to ? to - width : 0;
        rc = s_check_window(self, k, lo, to, scratch, b);
        hi = rc == S_LIN ? lo : hi;
        width *= 2;
    }
    if (rc != S_NOTLIN) return rc;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        rc = s_check_window(self, k, mid, to, scratch, b);
        *minimal = *minimal && rc != BUS_EBUSY;
        *(rc == S_NOTLIN ? &lo : &hi) = mid;
    }
    *from_p = lo;
    return S_NOTLIN;
}

/* The smallest failing prefix [0, to) of a key that fails, when [0, after) passes. */
static uint32_t s_failing_prefix(const lincheck_t *self, const s_key_t *k, uint32_t after,
                                 s_item_t *scratch, bool *minimal, s_budget_t *b)
{
    uint32_t lo = after, hi = k->events, step = 1; /* H(lo) passes, H(hi) fails */
    while (hi - lo > 1) {
        uint32_t mid = lo + step < hi ? lo + step : lo + (hi - lo) / 2;
        int rc = s_check_window(self, k, 0, mid, scratch, b);
        *minimal = *minimal && rc != BUS_EBUSY;
        *(rc == S_NOTLIN ? &hi : &lo) = mid;
        step = rc == S_NOTLIN ? UINT32_MAX : step * 2;
    }
    return hi;
}

/* Weakens the ops of a failing window one at a time while it still fails: what is left
 * determinate cannot be ordered. Past S_WINDOW_MAX determinate ops, not tried. */
static void s_minimize(const lincheck_t *self, s_item_t *items, size_t m, uint32_t from,
                       bool *minimal, s_budget_t *b)
{
    size_t firm = 0;
    for (size_t i = 0; i < m; i++) firm += !items[i].weak;
    *minimal = *minimal && firm <= S_WINDOW_MAX;
    for (size_t i = 0; i < m && firm <= S_WINDOW_MAX; i++) {
        if (items[i].weak) continue;
        items[i].weak = true;
        int rc = lincheck_search(self, items, m, from ? S_UNKNOWN : 0, b);
        *minimal = *minimal && rc != BUS_EBUSY;
        items[i].weak = rc == S_NOTLIN;
    }
}

/* Writes the explanation: what, then the ops of items left determinate. */
static void s_explain(const lincheck_t *self, const s_item_t *items, size_t m, const char *what,
                      bool minimal, lincheck_result_t *res)
{
    size_t shown = 0, left = 0, len;
    for (size_t i = 0; i < m; i++) left += !items[i].weak;
    len = (size_t)snprintf(
        res->text, LINCHECK_TEXT_MAX,
        "key \"%s\": %s (%zu op%s; any other op on the key may or may not have taken effect%s):\n",
        res->key, what, left, left == 1 ? "" : "s",
        minimal ? "" : "; maybe not the smallest set: the search ran past its limits");
    for (size_t i = 0; i < m; i++) {
        if (items[i].weak) continue;
        if (left-- > LINCHECK_SHOW_MAX) continue; /* show the ones nearest the failure */
        res->ops[shown++] = (int)items[i].op;
        if (len < LINCHECK_TEXT_MAX)
            len +=
                lincheck_show_op(self, (int)items[i].op, res->text + len, LINCHECK_TEXT_MAX - len);
    }
    res->ops_n = shown;
}

/* A key's history failed, or its search ran out of budget after getting to return `reached`
 * (so the prefix before it passes): S_NOTLIN with a window [*from, *to) that fails on its own,
 * or what a full search says. Violations are usually local, so the window ending at `reached`
 * is tried first; only then the whole history, with the full budget, and the smallest prefix
 * that fails. */
static int s_locate(const lincheck_t *self, const s_key_t *k, int rc, uint32_t reached,
                    s_item_t *scratch, uint32_t *from, uint32_t *to, bool *minimal,
                    lincheck_result_t *res)
{
    s_budget_t b = {.steps_max = self->steps_max, .memo_max = self->memo_max};
    *to = reached + 1;
    int local = s_latest_window(self, k, *to, scratch, from, minimal, &b);
    res->steps += b.steps;
    if (local == S_NOTLIN) return S_NOTLIN;
    uint32_t passes = local == S_LIN ? *to : reached; /* the prefix before it passes */
    if (rc == BUS_EBUSY) {
        b = (s_budget_t){.steps_max = self->steps_max, .memo_max = self->memo_max};
        rc = lincheck_search(self, k->items, k->n, 0, &b);
        res->steps += b.steps;
        if (b.memo_peak > res->memo_bytes_peak) res->memo_bytes_peak = b.memo_peak;
        if (rc != S_NOTLIN) return rc;
        passes = b.reached > passes ? b.reached : passes;
    }
    b = (s_budget_t){.steps_max = self->steps_max, .memo_max = self->memo_max};
    *to = s_failing_prefix(self, k, passes, scratch, minimal, &b);
    *from = 0;
    if (s_latest_window(self, k, *to, scratch, from, minimal, &b) != S_NOTLIN) *minimal = false;
    res->steps += b.steps;
    return S_NOTLIN;
}

/* Checks one key: S_LIN, S_NOTLIN (explained in res) or BUS_EBUSY (explained if first). A
 * first search with a part of the budget answers most histories. */
static int s_check_key(const lincheck_t *self, const uint32_t *ops, size_t n,
                       lincheck_result_t *res, bool first_busy)
{
    s_key_t k;
    s_key_init(&k, self, ops, n);
    uint64_t quick = (uint64_t)n * S_QUICK_STEPS + 65536;
    s_budget_t b = {.steps_max = quick < self->steps_max ? quick : self->steps_max,
                    .memo_max = self->memo_max};
    int rc = lincheck_search(self, k.items, k.n, 0, &b);
    s_item_t *items = s_realloc(NULL, k.n, sizeof *items);
    uint32_t from = 0, to = 0;
    size_t at, m = 0;
    bool minimal = true;
    char what[512];
    res->keys++;
    res->steps += b.steps;
    if (b.memo_peak > res->memo_bytes_peak) res->memo_bytes_peak = b.memo_peak;
    if (rc != S_LIN) s_show(self, k.key, false, res->key, sizeof res->key);
    if (rc != S_LIN && s_never_written(self, &k, &at) != S_INF) {
        const s_op_t *o = &self->ops[k.items[at].op];
        char v[256];
        items[m] = k.items[at];
        items[m++].weak = false;
        s_show(self, o->type == LINCHECK_GET ? o->result : o->arg1, true, v, sizeof v);
        snprintf(what, sizeof what,
                 "%s %s, which no put or cas on the key wrote before it returned",
                 o->type == LINCHECK_GET ? "a get returned" : "a cas swapped from", v);
        rc = S_NOTLIN;
    } else if (rc != S_LIN) {
        rc = s_locate(self, &k, rc, b.reached, items, &from, &to, &minimal, res);
    }
    if (rc == S_NOTLIN && !m) {
        s_budget_t eb = {.steps_max = self->steps_max, .memo_max = self->memo_max};
        m = s_window(&k, from, to, items);
        s_minimize(self, items, m, from, &minimal, &eb);
        res->steps += eb.steps;
        if (from)
            snprintf(what, sizeof what,
                     "these ops cannot be ordered, whatever the key held at %" PRId64,
                     k.time_us[from]);
        else
            snprintf(what, sizeof what,
                     "these ops cannot be ordered, starting from the key absent");
    }
    if (rc == S_NOTLIN) s_explain(self, items, m, what, minimal, res);
    if (rc == BUS_EBUSY && first_busy)
        snprintf(res->text, sizeof res->text,
                 "key \"%s\": unknown: the search of its %zu ops ran past its limits (%" PRIu64
                 " steps, %zu bytes of memo)\n",
                 res->key, n, self->steps_max, self->memo_max);
    free(items);
    s_key_fini(&k);
    return rc;
}

int lincheck_check(lincheck_t *self, lincheck_result_t *res)
{
    lincheck_result_t scratch;
    if (!res) res = &scratch;
    memset(res, 0, sizeof *res);
    res->ops_total = self->ops_n;
    /* Group the ops by key; within a key, by id. */
    uint64_t *order = s_realloc(NULL, self->ops_n + 1, sizeof *order);
    uint32_t *ops = s_realloc(NULL, self->ops_n + 1, sizeof *ops);
    for (size_t i = 0; i < self->ops_n; i++) order[i] = (uint64_t)self->ops[i].key << 32 | i;
    qsort(order, self->ops_n, sizeof *order, s_u64_cmp);
    int rc = 0;
    for (size_t i = 0, j; i < self->ops_n; i = j) {
        for (j = i; j < self->ops_n && order[j] >> 32 == order[i] >> 32; j++)
            ops[j - i] = (uint32_t)order[j];
        int krc = s_check_key(self, ops, j - i, res, rc == 0);
        if (krc == S_NOTLIN) {
            rc = BUS_EINVALID;
            break;
        }
        if (krc == BUS_EBUSY) rc = BUS_EBUSY;
    }
    free(order);
    free(ops);
    return rc;
}
