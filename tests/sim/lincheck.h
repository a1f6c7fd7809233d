/* lincheck: a linearizability checker for histories of a key-value map (put, get, compare-and-set,
 * delete), as recorded by the store's deterministic simulation. Each key is checked on its own
 * (ops on different keys commute): a depth-first search linearizes ops just in time (Wing & Gong,
 * Lowe), remembering every (set of linearized ops, value) it has reached, as Porcupine and
 * Knossos do. It is not a model of the store's revisions or transactions: only of the values the
 * clients saw.
 *
 * Histories where each write writes a value of its own are checked fastest and explained most
 * clearly; values that recur make reads ambiguous, and the search wider. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lincheck_t lincheck_t;

typedef enum {
    LINCHECK_PUT = 1,    /* put(key, value) -> ok */
    LINCHECK_GET = 2,    /* get(key) -> value or absent */
    LINCHECK_CAS = 3,    /* cas(key, expected or absent, new) -> ok (swapped) or failed */
    LINCHECK_DELETE = 4, /* delete(key) -> ok, whether or not the key existed */
} lincheck_op_t;

/* A value: bytes, or absent (data NULL). An empty value is present: data non-NULL, len 0.
 * Borrowed for the duration of the call: the checker copies what it keeps. */
typedef struct {
    const void *data;
    size_t len;
} lincheck_val_t;

#define LINCHECK_ABSENT ((lincheck_val_t){NULL, 0})
/* A C string as a value; NULL is absent. */
lincheck_val_t lincheck_str(const char *s);

#define LINCHECK_KEY_MAX   1024u  /* bytes in a key */
#define LINCHECK_VALUE_MAX 65536u /* bytes in a value; compare larger values by a digest */
#define LINCHECK_SHOW_MAX  16u    /* ops named in an explanation */
#define LINCHECK_TEXT_MAX  4096u  /* bytes of explanation */

typedef struct {
    /* For BUS_EINVALID: the key (escaped, maybe cut short) and the ids of a smallest set of its
     * ops that cannot be ordered, by call, at most LINCHECK_SHOW_MAX of them (the latest). The
     * set holds even if every other op on the key may or may not have taken effect, at any time
     * after its call; and, when the text says "whatever the key held at T", from any value at
     * T, the ops called before T having taken effect before it or as usual. For BUS_EBUSY: the
     * first key whose search gave up. */
    char key[256];
    int ops[LINCHECK_SHOW_MAX];
    size_t ops_n;
    /* One line, then one line per op of the set: what failed and why. Empty when linearizable. */
    char text[LINCHECK_TEXT_MAX];
    /* What the check did: keys and ops seen, search steps, the largest memo of one search. */
    size_t keys;
    size_t ops_total;
    uint64_t steps;
    size_t memo_bytes_peak;
} lincheck_result_t;

/* A history of at most ops_max ops. Aborts when out of memory. */
lincheck_t *lincheck_new(size_t ops_max);
void lincheck_destroy(lincheck_t **self_p);

/* Limits of a search of a key: steps (one step tries, or passes over, one op), and bytes of its
 * memo. Past either the key's answer is BUS_EBUSY (unknown). Defaults: 20 million steps and
 * 256 MiB. A key is searched first with 128 steps an op (plus 65536); if that does not settle
 * it, the events where the search got stuck are checked for a local fault, then the whole key
 * with the full budget. Narrowing a fault down and then weakening it to the fewest ops have a
 * budget each, so a key costs at most a few budgets; when those run out the set named is sound
 * but maybe not the smallest (the text says so). */
void lincheck_set_limits(lincheck_t *self, uint64_t steps_max, size_t memo_bytes_max);

/* Records that client called op on key at time_us. put: arg1 = value (present), arg2 absent.
 * get and delete: both absent. cas: arg1 = expected (absent: "create if absent"), arg2 = new
 * (absent: delete if equal). Returns the op id (>= 0, in call order), BUS_EBUSY when ops_max ops
 * are recorded, or BUS_EINVALID for a bad op, key or value (empty key, too long, wrong
 * arguments). The client is only shown in explanations.
 *
 * Time: ops are ordered by time, and events (calls and returns) with the same time by the order
 * they were recorded, so a simulation that records as things happen gets an exact order. An op
 * that never returns (its client timed out or crashed) is indeterminate: it may take effect at
 * any time after its call, or never, and its result is unknown. */
int lincheck_call(lincheck_t *self, uint32_t client, lincheck_op_t op, const char *key,
                  lincheck_val_t arg1, lincheck_val_t arg2, int64_t time_us);
/* Records the return of op id at time_us (>= its call). put and delete: ok must be true (an op
 * that failed before it could take effect is best left indeterminate). cas: ok = it swapped.
 * 0, or BUS_EINVALID (unknown id, already returned, a get, time before the call). */
int lincheck_return(lincheck_t *self, int id, int64_t time_us, bool ok);
/* Records the return of get id with what it read. 0 or BUS_EINVALID as above. */
int lincheck_return_get(lincheck_t *self, int id, int64_t time_us, lincheck_val_t value);

/* Ops recorded so far. */
size_t lincheck_size(const lincheck_t *self);

/* Checks the history recorded so far (it can go on growing afterwards). 0 when linearizable;
 * BUS_EINVALID when a key is not (the first found, explained in res; later keys are not
 * checked); else BUS_EBUSY when some key's search ran past the limits: unknown. res may be
 * NULL. Deterministic: the same history gives the same answer and explanation. */
int lincheck_check(lincheck_t *self, lincheck_result_t *res);

void lincheck_test(bool verbose);
