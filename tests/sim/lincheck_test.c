/* lincheck's selftest: histories written out by hand with the ops a violation must name, the
 * errors of the API, random linearizable histories of an atomic map (then one read made
 * impossible), and small random histories checked against the definition by brute force. It
 * looks inside the checker (lincheck_impl.h); it is not a test of the store. */
#include "lincheck_impl.h"
#include "bus_err.h"
#include "bus_time.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lincheck_val_t s_arg(const char *word)
{
    return strcmp(word, "-") == 0 ? LINCHECK_ABSENT : lincheck_str(word);
}

/* Records one line of a test history: "client op key [args] call return [= result]", with "-"
 * for absent and for a return that never came. Returns the op id. */
static int s_line(lincheck_t *lc, char *line)
{
    char *w[10], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " ", &save); t && n < 10; t = strtok_r(NULL, " ", &save))
        w[n++] = t;
    static const char *names[] = {"", "put", "get", "cas", "delete"};
    int op = 1, args;
    while (op < 5 && strcmp(w[1], names[op])) op++;
    assert(op < 5);
    args = op == LINCHECK_PUT ? 1 : op == LINCHECK_CAS ? 2 : 0;
    assert(n >= 5 + args);
    lincheck_val_t a1 = args > 0 ? s_arg(w[3]) : LINCHECK_ABSENT;
    lincheck_val_t a2 = args > 1 ? s_arg(w[4]) : LINCHECK_ABSENT;
    int id = lincheck_call(lc, (uint32_t)atoi(w[0]), (lincheck_op_t)op, w[2], a1, a2,
                           atoll(w[3 + args]));
    assert(id >= 0);
    const char *ret = w[4 + args], *result = n > 6 + args ? w[6 + args] : "ok";
    if (strcmp(ret, "-") == 0) return id;
    if (op == LINCHECK_GET)
        assert(lincheck_return_get(lc, id, atoll(ret), s_arg(result)) == 0);
    else
        assert(lincheck_return(lc, id, atoll(ret), strcmp(result, "ok") == 0) == 0);
    return id;
}

/* Checks a history of lines; the result must be rc and, for a violation, the set of ops (by
 * line, from 0; ends at -1) must be `set`. */
static void s_expect(const char *history, int rc, const int *set, bool verbose)
{
    lincheck_t *lc = lincheck_new(100);
    char copy[2048], *save = NULL;
    snprintf(copy, sizeof copy, "%s", history);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char line[256];
        snprintf(line, sizeof line, "%s", l);
        s_line(lc, line);
    }
    lincheck_result_t res;
    int got = lincheck_check(lc, &res);
    if (verbose && got) printf("%s", res.text);
    if (got != rc)
        fprintf(stderr, "lincheck: expected %d, got %d for\n%s%s", rc, got, history, res.text);
    assert(got == rc);
    if (rc == BUS_EINVALID) {
        size_t n = 0;
        while (set[n] >= 0) n++;
        if (res.ops_n != n) fprintf(stderr, "lincheck: wrong set for\n%s%s", history, res.text);
        assert(res.ops_n == n);
        for (size_t i = 0; i < n; i++) assert(res.ops[i] == set[i]);
        assert(strcmp(res.key, "x") == 0 && strstr(res.text, "key \"x\""));
    }
    lincheck_destroy(&lc);
}

#define S_OK(h)       s_expect(h, 0, NULL, verbose)
#define S_BAD(h, ...) s_expect(h, BUS_EINVALID, (const int[]){__VA_ARGS__, -1}, verbose)

static void s_test_histories(bool verbose)
{
    /* Sequential: one client, every op in turn. */
    S_OK("1 put x a 0 1\n1 get x 2 3 = a\n1 cas x a b 4 5 = ok\n1 get x 6 7 = b\n"
         "1 cas x a c 8 9 = failed\n1 delete x 10 11\n1 get x 12 13 = -\n1 cas x - d 14 15 = ok\n"
         "1 cas x - e 16 17 = failed\n1 delete x 18 19\n1 delete x 20 21\n1 get x 22 23 = -\n");
    S_OK("1 put x \"\" 0 1\n1 get x 2 3 = \"\"\n"); /* quotes are plain bytes here */
    /* Concurrent: put 2 before the first get, put 1 between the gets. */
    const char *conc = "1 put x 1 0 100\n2 put x 2 10 110\n3 get x 20 30 = 2\n3 get x 40 50 = 1\n";
    char h[1024];
    snprintf(h, sizeof h, "%s4 get x 120 130 = 1\n", conc);
    S_OK(h);
    /* ...but then 2 cannot come back: it is written once, and had to be before the first get
     * (the key being absent before); whether put 1 happened or not does not matter. */
    snprintf(h, sizeof h, "%s4 get x 120 130 = 2\n", conc);
    S_BAD(h, 2, 3, 4);
    /* A read of a value overwritten before the read began. */
    S_BAD("1 put x a 0 10\n2 put x b 20 30\n3 get x 40 50 = a\n", 1, 2);
    /* A stale read after a completed write; a new value then the old one. */
    S_BAD("1 put x a 0 10\n2 get x 20 30 = -\n", 0, 1);
    S_BAD("1 put x a 0 10\n2 put x b 20 100\n3 get x 30 40 = b\n4 get x 50 60 = a\n", 2, 3);
    /* Two successful cas from the same expected value; one of them alone is fine. */
    S_BAD("1 put x a 0 10\n2 cas x a b 20 30 = ok\n3 cas x a c 25 35 = ok\n", 1, 2);
    S_OK("1 put x a 0 10\n2 cas x a b 20 30 = ok\n3 cas x a c 25 35 = failed\n");
    /* Values never written; an absent get is fine concurrent with the first write. */
    S_BAD("1 put x a 0 10\n2 get x 20 30 = z\n", 1);
    S_BAD("1 put x a 0 10\n2 cas x q r 20 30 = ok\n", 1);
    S_BAD("1 get x 0 10 = a\n2 put x a 20 30\n", 0);
    S_OK("1 put x a 0 10\n2 get x 5 15 = -\n");
}

static void s_test_indeterminate(bool verbose)
{
    /* An indeterminate write seen, or not, or seen late after another write... */
    S_OK("1 put x a 0 10\n2 put x b 20 -\n3 get x 30 40 = b\n");
    S_OK("1 put x a 0 10\n2 put x b 20 -\n3 get x 30 40 = a\n");
    S_OK("1 put x a 0 10\n2 put x b 20 -\n3 put x c 30 40\n3 get x 50 60 = c\n"
         "4 get x 70 80 = b\n4 get x 90 95 = b\n");
    /* ...but not seen, then not: it happens once. */
    S_BAD("1 put x a 0 10\n2 put x b 20 -\n3 get x 30 40 = b\n4 get x 50 60 = a\n", 2, 3);
    S_BAD("1 put x a 0 10\n2 put x b 20 -\n3 put x c 30 40\n3 get x 50 60 = c\n"
          "4 get x 70 80 = b\n4 get x 90 95 = b\n3 get x 100 110 = c\n",
          5, 6);
    /* An indeterminate cas swaps only from its expected value; a lost get constrains nothing. */
    S_OK("1 put x a 0 10\n2 cas x a b 20 -\n3 get x 30 40 = b\n");
    S_OK("1 put x a 0 10\n2 cas x a b 20 -\n3 get x 30 40 = a\n");
    S_BAD("1 put x a 0 10\n2 cas x z b 20 -\n3 get x 30 40 = b\n", 2);
    S_OK("1 put x a 0 10\n2 get x 20 -\n3 get x 30 40 = a\n");
    /* An indeterminate delete. */
    S_OK("1 put x a 0 10\n2 delete x 20 -\n3 get x 30 40 = -\n3 get x 50 60 = -\n");
    S_BAD("1 put x a 0 10\n2 delete x 20 -\n3 get x 30 40 = -\n3 get x 50 60 = a\n", 2, 3);
}

static void s_test_delete(bool verbose)
{
    S_OK("1 put x a 0 10\n2 delete x 20 30\n3 get x 40 50 = -\n4 delete x 60 70\n"
         "5 cas x - b 80 90 = ok\n6 get x 100 110 = b\n");
    S_OK("1 delete x 0 10\n2 get x 20 30 = -\n");
    S_BAD("1 put x a 0 10\n2 delete x 20 30\n3 get x 40 50 = a\n", 1, 2);
    S_BAD("1 put x a 0 10\n2 cas x - b 20 30 = ok\n", 0, 1);
    S_BAD("1 cas x - b 0 10 = failed\n", 0);
    S_BAD("1 put x a 0 10\n2 delete x 20 30\n3 cas x a b 40 50 = ok\n", 1, 2);
    /* A cas to absent deletes when equal. */
    S_OK("1 put x a 0 10\n2 cas x a - 20 30 = ok\n3 get x 40 50 = -\n");
}

/* Keys and values in an explanation: escaped, long ones cut short. */
static void s_test_text(void)
{
    lincheck_t *lc = lincheck_new(10);
    lincheck_val_t none = LINCHECK_ABSENT, bin = {"\0\"\xff", 3};
    char big[100];
    memset(big, 'z', sizeof big);
    int p = lincheck_call(lc, 1, LINCHECK_PUT, "k\n", bin, none, 0);
    int g = lincheck_call(lc, 2, LINCHECK_GET, "k\n", none, none, 2);
    assert(lincheck_return(lc, p, 1, true) == 0);
    assert(lincheck_return_get(lc, g, 3, (lincheck_val_t){big, sizeof big}) == 0);
    lincheck_result_t res;
    assert(lincheck_check(lc, &res) == BUS_EINVALID && strcmp(res.key, "k\\x0a") == 0);
    assert(strstr(res.text, "\"zzzz") && strstr(res.text, "z\"...(100 bytes)"));
    lincheck_destroy(&lc);
    lc = lincheck_new(10);
    p = lincheck_call(lc, 1, LINCHECK_PUT, "k", bin, none, 0);
    assert(lincheck_return(lc, p, 1, true) == 0);
    int d = lincheck_call(lc, 1, LINCHECK_DELETE, "k", none, none, 2);
    assert(lincheck_return(lc, d, 3, true) == 0);
    g = lincheck_call(lc, 2, LINCHECK_GET, "k", none, none, 4);
    assert(lincheck_return_get(lc, g, 5, bin) == 0);
    assert(lincheck_check(lc, &res) == BUS_EINVALID && res.ops_n == 2);
    assert(strstr(res.text, "get [4, 5] -> \"\\x00\\x22\\xff\""));
    lincheck_destroy(&lc);
}

/* Events at the same time: the order they were recorded in decides. */
static void s_test_ties(void)
{
    lincheck_t *lc = lincheck_new(10);
    int p = lincheck_call(lc, 1, LINCHECK_PUT, "x", lincheck_str("a"), LINCHECK_ABSENT, 0);
    assert(lincheck_return(lc, p, 10, true) == 0);
    int g = lincheck_call(lc, 2, LINCHECK_GET, "x", LINCHECK_ABSENT, LINCHECK_ABSENT, 10);
    assert(lincheck_return_get(lc, g, 20, LINCHECK_ABSENT) == 0);
    assert(lincheck_check(lc, NULL) == BUS_EINVALID);
    lincheck_destroy(&lc);
    lc = lincheck_new(10);
    p = lincheck_call(lc, 1, LINCHECK_PUT, "x", lincheck_str("a"), LINCHECK_ABSENT, 0);
    g = lincheck_call(lc, 2, LINCHECK_GET, "x", LINCHECK_ABSENT, LINCHECK_ABSENT, 10);
    assert(lincheck_return(lc, p, 10, true) == 0);
    assert(lincheck_return_get(lc, g, 20, LINCHECK_ABSENT) == 0);
    assert(lincheck_check(lc, NULL) == 0);
    lincheck_destroy(&lc);
}

static void s_test_api(void)
{
    lincheck_t *lc = lincheck_new(3);
    lincheck_val_t a = lincheck_str("a"), none = LINCHECK_ABSENT;
    lincheck_result_t res;
    assert(lincheck_check(lc, &res) == 0 && res.keys == 0 && lincheck_size(lc) == 0);
    char big[LINCHECK_KEY_MAX + 2];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert(lincheck_call(lc, 1, LINCHECK_PUT, "", a, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_PUT, NULL, a, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_PUT, big, a, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_PUT, "x", none, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_GET, "x", a, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_DELETE, "x", none, a, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, (lincheck_op_t)9, "x", none, none, 0) == BUS_EINVALID);
    lincheck_val_t huge = {big, LINCHECK_VALUE_MAX + 1};
    assert(lincheck_call(lc, 1, LINCHECK_PUT, "x", huge, none, 0) == BUS_EINVALID);
    assert(lincheck_call(lc, 1, LINCHECK_PUT, "x", (lincheck_val_t){NULL, 3}, none, 0) ==
           BUS_EINVALID);
    int p = lincheck_call(lc, 1, LINCHECK_PUT, "x", a, none, 5);
    int g = lincheck_call(lc, 2, LINCHECK_GET, "x", none, none, 6);
    int c = lincheck_call(lc, 3, LINCHECK_CAS, "x", none, a, 7);
    assert(p == 0 && g == 1 && c == 2 && lincheck_size(lc) == 3);
    assert(lincheck_call(lc, 1, LINCHECK_GET, "x", none, none, 8) == BUS_EBUSY);
    assert(lincheck_return(lc, p, 4, true) == BUS_EINVALID);  /* before its call */
    assert(lincheck_return(lc, p, 9, false) == BUS_EINVALID); /* a put is ok */
    assert(lincheck_return(lc, g, 9, true) == BUS_EINVALID);  /* a get has a value */
    assert(lincheck_return_get(lc, p, 9, a) == BUS_EINVALID); /* not a get */
    assert(lincheck_return(lc, 3, 9, true) == BUS_EINVALID);  /* no such op */
    assert(lincheck_return(lc, -1, 9, true) == BUS_EINVALID);
    assert(lincheck_return(lc, p, 9, true) == 0);
    assert(lincheck_return(lc, p, 9, true) == BUS_EINVALID); /* twice */
    assert(lincheck_return(lc, c, 10, false) == 0);
    assert(lincheck_return_get(lc, g, 11, a) == 0);
    assert(lincheck_check(lc, &res) == 0 && res.keys == 1 && res.ops_total == 3);
    assert(res.text[0] == 0 && res.ops_n == 0);
    lincheck_destroy(&lc);
    lincheck_destroy(&lc);
}

/* Many keys, overlapping in time; each key's history stands alone. */
static void s_test_keys(bool verbose, uint32_t keys, int bad)
{
    lincheck_t *lc = lincheck_new(4 * keys);
    char key[16], v[16], w[16];
    for (uint32_t k = 0; k < keys; k++) {
        snprintf(key, sizeof key, "k%u", k);
        snprintf(v, sizeof v, "a%u", k);
        int p =
            lincheck_call(lc, k % 8, LINCHECK_PUT, key, lincheck_str(v), LINCHECK_ABSENT, 3 * k);
        assert(lincheck_return(lc, p, 3 * k + 5, true) == 0);
    }
    for (uint32_t k = 0; k < keys; k++) {
        snprintf(key, sizeof key, "k%u", k);
        snprintf(v, sizeof v, "a%u", (int)k == bad ? k + 1 : k); /* another key's value */
        snprintf(w, sizeof w, "b%u", k);
        int g = lincheck_call(lc, k % 8, LINCHECK_GET, key, LINCHECK_ABSENT, LINCHECK_ABSENT,
                              10000 + 3 * k);
        int c = lincheck_call(lc, k % 8 + 8, LINCHECK_CAS, key, lincheck_str(v), lincheck_str(w),
                              10000 + 3 * k + 1);
        assert(lincheck_return_get(lc, g, 10000 + 3 * k + 5, lincheck_str(v)) == 0);
        assert(lincheck_return(lc, c, 10000 + 3 * k + 6, true) == 0);
    }
    lincheck_result_t res;
    int rc = lincheck_check(lc, &res);
    assert(res.keys == (bad < 0 ? keys : (size_t)bad + 1) && res.ops_total == 3 * keys);
    if (bad < 0) {
        assert(rc == 0);
    } else {
        if (verbose) printf("%s", res.text);
        snprintf(key, sizeof key, "k%d", bad);
        assert(rc == BUS_EINVALID && strcmp(res.key, key) == 0);
        assert(res.ops_n == 1 && res.ops[0] == (int)keys + 2 * bad);
    }
    lincheck_destroy(&lc);
}

typedef struct {
    int id;       /* op in flight, or -1 */
    uint32_t who; /* client id: a new one after each crash */
    bool applied;
    lincheck_op_t op;
    uint32_t key, a1, a2, got; /* values by number; 0 is absent */
    bool ok;
} s_client_t;

static uint32_t s_rand(uint64_t *x)
{
    *x = *x * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*x >> 33);
}

static lincheck_val_t s_val(uint32_t v, char *buf, size_t cap)
{
    if (!v) return LINCHECK_ABSENT;
    snprintf(buf, cap, "v%u", v);
    return lincheck_str(buf);
}

/* A random history: how many ops, keys and clients, how often an op is lost (per thousand
 * client steps), and how values recur (0: each write its own; n: over a sliding window of 4n
 * writes of the key, which makes reads ambiguous and the search work). */
typedef struct {
    uint64_t seed;
    size_t ops;
    uint32_t keys, clients, lost_permille, recur;
} s_sim_t;

static void s_sim_call(lincheck_t *lc, const s_sim_t *sim, s_client_t *c, uint32_t *value,
                       uint32_t *writes, int64_t now, uint64_t *seed)
{
    char key[16], a[16], b[16];
    uint32_t r = s_rand(seed) % 100, k = s_rand(seed) % sim->keys, w = sim->recur;
    uint32_t fresh = w ? 1 + writes[k]++ / w + s_rand(seed) % 4 : 1 + writes[k]++;
    uint32_t old = w ? 1 + writes[k] / w + s_rand(seed) % 4 : 1 + s_rand(seed) % writes[k];
    c->op = r < 35 ? LINCHECK_PUT : r < 70 ? LINCHECK_GET : r < 90 ? LINCHECK_CAS : LINCHECK_DELETE;
    c->key = k;
    c->a1 = c->op == LINCHECK_PUT ? fresh : 0;
    c->a2 = 0;
    if (c->op == LINCHECK_CAS) {
        r = s_rand(seed) % 100;
        c->a1 = r < 60 ? value[k] : r < 80 ? 0 : old;
        c->a2 = fresh;
    }
    snprintf(key, sizeof key, "k%u", k);
    c->id = lincheck_call(lc, c->who, c->op, key, s_val(c->a1, a, sizeof a),
                          s_val(c->a2, b, sizeof b), now);
    c->applied = false;
    assert(c->id >= 0);
}

/* The op takes effect now, atomically. */
static void s_sim_apply(s_client_t *c, uint32_t *value)
{
    uint32_t *v = &value[c->key];
    c->got = *v;
    c->ok = c->op != LINCHECK_CAS || *v == c->a1;
    if (c->op == LINCHECK_PUT || (c->op == LINCHECK_CAS && c->ok))
        *v = c->op == LINCHECK_PUT ? c->a1 : c->a2;
    if (c->op == LINCHECK_DELETE) *v = 0;
    c->applied = true;
}

/* A history from an atomic map driven by random clients: each op takes effect at one instant
 * between its call and its return, so the history is linearizable. A lost op's client crashes
 * before or after it took effect, and the op never returns. */
static void s_simulate(lincheck_t *lc, const s_sim_t *sim)
{
    s_client_t clients[16];
    assert(sim->clients <= 16);
    uint32_t *value = calloc(sim->keys, sizeof *value), *writes = calloc(sim->keys, sizeof *writes);
    assert(value && writes);
    for (uint32_t i = 0; i < sim->clients; i++) clients[i] = (s_client_t){.id = -1, .who = i + 1};
    int64_t now = 0;
    size_t started = 0, busy = 0;
    uint64_t seed = sim->seed;
    char buf[16];
    while (started < sim->ops || busy) {
        now += s_rand(&seed) % 3;
        s_client_t *c = &clients[s_rand(&seed) % sim->clients];
        bool crash = s_rand(&seed) % 1000 < sim->lost_permille;
        if (c->id < 0 && started < sim->ops) {
            s_sim_call(lc, sim, c, value, writes, now, &seed);
            started++, busy++;
        } else if (c->id >= 0 && !c->applied && !crash) {
            s_sim_apply(c, value);
        } else if (c->id >= 0) {
            if (!crash && c->op == LINCHECK_GET)
                assert(lincheck_return_get(lc, c->id, now, s_val(c->got, buf, sizeof buf)) == 0);
            else if (!crash)
                assert(lincheck_return(lc, c->id, now, c->ok) == 0);
            c->who += crash ? 100 : 0;
            c->id = -1;
            busy--;
        }
    }
    free(value);
    free(writes);
}

/* a returned before b was called. */
static bool s_precedes(const s_op_t *a, const s_op_t *b)
{
    return a->returned &&
           (a->ret_us < b->call_us || (a->ret_us == b->call_us && a->ret_seq < b->call_seq));
}

static uint32_t s_written(const s_op_t *o)
{
    return o->type == LINCHECK_PUT ? o->arg1 : o->type == LINCHECK_CAS ? o->arg2 : 0;
}

/* Changes the result of a late get to a value that cannot be read then: some write x (put,
 * delete or swapped cas) returned before the get began, and every write of the new result
 * returned before x began. Returns the get's id. */
static int s_corrupt(lincheck_t *lc)
{
    for (size_t g = lc->ops_n; g-- > 0;) {
        s_op_t *get = &lc->ops[g], *x = NULL;
        if (get->type != LINCHECK_GET || !get->returned) continue;
        for (size_t i = 0; i < lc->ops_n; i++) {
            s_op_t *o = &lc->ops[i];
            bool write = o->type != LINCHECK_GET && (o->type != LINCHECK_CAS || o->ok);
            if (o->key == get->key && write && s_precedes(o, get) &&
                (!x || x->call_us < o->call_us))
                x = o;
        }
        for (size_t i = 0; x && i < lc->ops_n; i++) {
            uint32_t v = s_written(&lc->ops[i]);
            if (lc->ops[i].key != get->key || !v || v == get->result) continue;
            if (v == (x->type == LINCHECK_CAS ? x->arg2 : x->type == LINCHECK_PUT ? x->arg1 : 0))
                continue;
            bool stale = true;
            for (size_t j = 0; j < lc->ops_n && stale; j++)
                if (lc->ops[j].key == get->key && s_written(&lc->ops[j]) == v)
                    stale = s_precedes(&lc->ops[j], x);
            if (!stale) continue;
            get->result = v;
            return (int)g;
        }
    }
    return -1;
}

static void s_test_random(bool verbose, const s_sim_t *sim)
{
    lincheck_t *lc = lincheck_new(sim->ops);
    s_simulate(lc, sim);
    lincheck_result_t res;
    /* Limits: too few steps, or too small a memo, is unknown, not a verdict. */
    lincheck_set_limits(lc, 100, (size_t)256 << 20);
    assert(lincheck_check(lc, &res) == BUS_EBUSY && strstr(res.text, "unknown") && res.key[0]);
    lincheck_set_limits(lc, 20000000, 4096);
    assert(lincheck_check(lc, &res) == BUS_EBUSY);
    lincheck_set_limits(lc, 20000000, (size_t)256 << 20);
    uint64_t t0 = bus_now_us();
    int rc = lincheck_check(lc, &res);
    uint64_t t1 = bus_now_us();
    if (rc) fprintf(stderr, "lincheck: seed %" PRIu64 ": %s", sim->seed, res.text);
    assert(rc == 0 && res.ops_total == sim->ops && res.keys == sim->keys);
    size_t lost = 0;
    for (size_t i = 0; i < lc->ops_n; i++) lost += !lc->ops[i].returned;
    if (verbose)
        printf("lincheck: %zu ops (%zu lost) on %u keys, %u clients, values %s: linearizable in "
               "%.1f ms, %" PRIu64 " steps, memo peak %zu KiB\n",
               sim->ops, lost, sim->keys, sim->clients, sim->recur ? "recurring" : "unique",
               (t1 - t0) / 1e3, res.steps, res.memo_bytes_peak / 1024);
    int g = s_corrupt(lc);
    assert(g >= 0);
    char key[16];
    snprintf(key, sizeof key, "%.*s", (int)lc->strs[lc->ops[g].key].len,
             (const char *)lc->bytes + lc->strs[lc->ops[g].key].off);
    t0 = bus_now_us();
    rc = lincheck_check(lc, &res);
    t1 = bus_now_us();
    if (verbose)
        printf("lincheck: op #%d corrupted: found in %.1f ms, %" PRIu64 " steps\n%s", g,
               (t1 - t0) / 1e3, res.steps, res.text);
    assert(rc == BUS_EINVALID && strcmp(res.key, key) == 0);
    bool named = false;
    for (size_t i = 0; i < res.ops_n; i++) named = named || res.ops[i] == g;
    assert(named && res.ops_n <= 4 && !strstr(res.text, "smallest"));
    lincheck_destroy(&lc);
}

/* The definition, by brute force: is there an order of the ops in `in`, each after every op in
 * `in` that returned before it was called, that the model accepts from state (and that leaves
 * out only ops that never returned)? For a few ops only. */
static bool s_brute(const lincheck_t *lc, uint32_t in, uint32_t done, uint32_t state)
{
    bool left = false;
    for (uint32_t i = 0; i < lc->ops_n; i++)
        left = left || ((in & ~done) >> i & 1 && lc->ops[i].returned);
    if (!left) return true;
    for (uint32_t i = 0; i < lc->ops_n; i++) {
        const s_op_t *o = &lc->ops[i];
        bool ready = (in & ~done) >> i & 1, weak = !o->returned;
        for (uint32_t j = 0; j < lc->ops_n && ready; j++)
            ready = !((in & ~done) >> j & 1) || !s_precedes(&lc->ops[j], o);
        uint32_t next = state;
        if (!ready || (weak && o->type == LINCHECK_GET)) continue;
        if (!lincheck_step(o, weak, state, &next)) { /* a weak op may have had no effect */
            if (!weak) continue;
            next = state;
        }
        if (s_brute(lc, in, done | 1u << i, next)) return true;
    }
    return false;
}

static const char *s_small_values[] = {"-", "a", "b", "c", "d", "e"};

/* Records a small random history of one key: n ops of a register that take effect at one
 * instant between call and return, some lost (applied or not); in one history in two, one
 * result changed, which makes a part of those wrong. Events at the same time are recorded in random
 * order. */
static uint32_t s_small_history(lincheck_t *lc, uint64_t *seed)
{
    uint32_t n = 3 + s_rand(seed) % 7, state = 0, order[32], tie[32], m = 0;
    struct {
        int64_t at[3]; /* call, taking effect, return */
        uint32_t type, a1, a2, got;
        bool ok, lost;
    } op[12];
    for (uint32_t i = 0; i < n; i++) {
        op[i].at[0] = s_rand(seed) % 30;
        op[i].at[1] = op[i].at[0] + s_rand(seed) % 8;
        op[i].at[2] = op[i].at[1] + s_rand(seed) % 8;
        op[i].type = 1 + s_rand(seed) % 4;
        op[i].a1 = op[i].type == LINCHECK_PUT ? 1 + s_rand(seed) % 5 : s_rand(seed) % 4;
        op[i].a2 = s_rand(seed) % 6;
        op[i].lost = s_rand(seed) % 4 == 0;
    }
    for (int64_t t = 0; t < 60; t++) /* the register */
        for (uint32_t i = 0; i < n; i++) {
            if (op[i].at[1] != t || (op[i].lost && s_rand(seed) % 2)) continue;
            op[i].got = state;
            op[i].ok = op[i].type != LINCHECK_CAS || state == op[i].a1;
            if (op[i].type == LINCHECK_PUT || (op[i].type == LINCHECK_CAS && op[i].ok))
                state = op[i].type == LINCHECK_PUT ? op[i].a1 : op[i].a2;
            if (op[i].type == LINCHECK_DELETE) state = 0;
        }
    if (s_rand(seed) % 2 == 0) {
        uint32_t i = s_rand(seed) % n;
        op[i].got = s_rand(seed) % 4;
        op[i].ok = !op[i].ok;
    }
    for (uint32_t i = 0; i < n; i++) {
        order[m++] = 2 * i;
        if (!op[i].lost) order[m++] = 2 * i + 1;
    }
    for (uint32_t e = 0; e < 32; e++) tie[e] = s_rand(seed);
    for (uint32_t e = 1; e < m; e++) /* events by time, ties at random, calls first */
        for (uint32_t f = e; f > 0; f--) {
            uint32_t a = order[f - 1], b = order[f];
            int64_t ta = op[a / 2].at[a % 2 * 2], tb = op[b / 2].at[b % 2 * 2];
            if (ta < tb || (ta == tb && (a / 2 == b / 2 ? a < b : tie[a] < tie[b]))) break;
            order[f - 1] = b;
            order[f] = a;
        }
    int ids[12];
    for (uint32_t e = 0; e < m; e++) {
        uint32_t i = order[e] / 2, t = op[i].type;
        lincheck_val_t a1 = s_arg(s_small_values[op[i].a1]);
        lincheck_val_t a2 = s_arg(s_small_values[op[i].a2]);
        if (order[e] % 2 == 0)
            ids[i] = lincheck_call(lc, i, (lincheck_op_t)t, "x",
                                   t == LINCHECK_PUT || t == LINCHECK_CAS ? a1 : LINCHECK_ABSENT,
                                   t == LINCHECK_CAS ? a2 : LINCHECK_ABSENT, op[i].at[0]);
        else if (t == LINCHECK_GET)
            assert(lincheck_return_get(lc, ids[i], op[i].at[2], s_arg(s_small_values[op[i].got])) ==
                   0);
        else
            assert(lincheck_return(lc, ids[i], op[i].at[2], t != LINCHECK_CAS || op[i].ok) == 0);
    }
    return n;
}
/* Small random histories, checked against the definition; so is what a violation names. */
static void s_test_brute(bool verbose, uint64_t seed, int rounds)
{
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        lincheck_t *lc = lincheck_new(16);
        uint32_t n = s_small_history(lc, &seed), named = 0;
        lincheck_result_t res;
        int rc = lincheck_check(lc, &res);
        bool lin = s_brute(lc, (1u << n) - 1, 0, 0);
        for (uint32_t i = 0; (rc == 0) != lin && i < n; i++) {
            char line[512];
            lincheck_show_op(lc, (int)i, line, sizeof line);
            fprintf(stderr, "lincheck: round %d, %s by definition:\n%s%s", r,
                    lin ? "linearizable" : "not linearizable", i ? "" : res.text, line);
        }
        assert(rc == (lin ? 0 : BUS_EINVALID));
        bad += !lin;
        /* The ops named cannot be ordered by themselves, from any state if so said. */
        uint32_t starts = strstr(res.text, "whatever") ? 7 : 1;
        for (size_t i = 0; i < res.ops_n; i++) named |= 1u << res.ops[i];
        for (uint32_t st = 0; st < starts && !lin; st++) /* absent, a to e, another */
            assert(!s_brute(lc, named, 0,
                            st == 6 ? S_ANON : lincheck_intern(lc, s_arg(s_small_values[st]))));
        lincheck_destroy(&lc);
    }
    if (verbose)
        printf("lincheck: %d small random histories agree with the definition (%d are not "
               "linearizable)\n",
               rounds, bad);
}

void lincheck_test(bool verbose)
{
    s_test_brute(verbose, 7, 5000);
    s_test_api();
    s_test_text();
    s_test_ties();
    s_test_histories(verbose);
    s_test_indeterminate(verbose);
    s_test_delete(verbose);
    s_test_keys(verbose, 300, -1);
    s_test_keys(verbose, 300, 17);
    /* One busy key, values recurring, 1 op in 50 lost; many keys, values unique. */
    s_test_random(verbose, &(s_sim_t){1, 3000, 1, 8, 10, 8});
    s_test_random(verbose, &(s_sim_t){2, 20000, 40, 12, 10, 0});
    s_test_random(verbose, &(s_sim_t){3, 4000, 2, 6, 50, 0});
}
