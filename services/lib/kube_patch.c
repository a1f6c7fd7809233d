/* kube_patch: merge patch, JSON patch and strategic merge patch (see kube_patch.h). Every entry
 * point works on a deep copy of doc and only reads the patch; recursion follows the patch, whose
 * depth is checked first, so the stack is bounded. Strategic merge is a port of upstream's
 * mergeMap/mergeSlice, names noted where a function mirrors one. */
#include "kube_patch.h"
#include "kube_obj.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ORDER  "$setElementOrder"
#define S_DELETE "$deleteFromPrimitiveList"
/* Longest rendering of a value in an error message. */
#define S_FMT_MAX 240

static int s_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* jansson reports running out of memory as NULL or -1: we abort. Keys always come from
 * existing objects, so they need no UTF-8 check. */
static json_t *s_nn(json_t *v)
{
    if (!v) abort();
    return v;
}

static void s_set(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new_nocheck(obj, key, v) != 0) abort();
}

static void s_append(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, v) != 0) abort();
}

/* Nesting of objects and arrays in v (a scalar is 0), or cap + 1 when deeper than cap: the walk
 * stops there, so it is bounded too. */
static size_t s_depth(const json_t *v, size_t cap)
{
    if (!json_is_object(v) && !json_is_array(v)) return 0;
    if (cap == 0) return 1;
    size_t max = 0, d;
    if (json_is_object(v)) {
        const char *k;
        json_t *item;
        json_object_foreach((json_t *)v, k, item)
        {
            if ((d = s_depth(item, cap - 1)) > max) max = d;
            if (max >= cap) break;
        }
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if ((d = s_depth(item, cap - 1)) > max) max = d;
            if (max >= cap) break;
        }
    }
    return max + 1;
}

/* The apiserver decodes integral JSON numbers as int64 whatever their spelling, so 80 and 80.0
 * name the same port there; jansson keeps integers and reals apart. */
static bool s_eq(const json_t *a, const json_t *b)
{
    if (!a || !b) return false;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    return json_equal(a, b);
}

/* The Go type a decoded value has upstream, for its "expected a X, but received a Y". */
static const char *s_gotype(const json_t *v)
{
    if (!v) return "<nil>";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "map[string]interface {}";
    case JSON_ARRAY: return "[]interface {}";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "int64";
    case JSON_REAL: return "float64";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "<nil>";
    }
}

/* A value as Go's %v prints it (map[k:v] with sorted keys, [a b], <nil>), cut at S_FMT_MAX
 * characters: upstream's messages quote values that way. */
typedef struct {
    char s[S_FMT_MAX + 4];
    size_t n;
    bool cut;
} s_fmt_t;

static void s_fmt_put(s_fmt_t *f, const char *str)
{
    size_t len = strlen(str);
    if (len > S_FMT_MAX - f->n) {
        len = S_FMT_MAX - f->n;
        f->cut = true;
    }
    memcpy(f->s + f->n, str, len);
    f->n += len;
}

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void s_fmt_value(s_fmt_t *f, const json_t *v, int depth);

static void s_fmt_object(s_fmt_t *f, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys) abort();
    const char *k;
    json_t *item;
    json_object_foreach((json_t *)v, k, item) keys[i++] = k;
    qsort(keys, n, sizeof *keys, s_strcmp_p);
    s_fmt_put(f, "map[");
    for (i = 0; i < n && !f->cut; i++) {
        if (i) s_fmt_put(f, " ");
        s_fmt_put(f, keys[i]);
        s_fmt_put(f, ":");
        s_fmt_value(f, json_object_get(v, keys[i]), depth + 1);
    }
    s_fmt_put(f, "]");
    free(keys);
}

static void s_fmt_value(s_fmt_t *f, const json_t *v, int depth)
{
    char num[64] = "";
    if (f->cut) return;
    switch (depth > 16 ? JSON_NULL : json_typeof(v)) {
    case JSON_OBJECT: s_fmt_object(f, v, depth); return;
    case JSON_ARRAY:
        s_fmt_put(f, "[");
        for (size_t i = 0; i < json_array_size(v) && !f->cut; i++) {
            if (i) s_fmt_put(f, " ");
            s_fmt_value(f, json_array_get(v, i), depth + 1);
        }
        s_fmt_put(f, "]");
        return;
    case JSON_STRING: s_fmt_put(f, json_string_value(v)); return;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: snprintf(num, sizeof num, "%g", json_real_value(v)); break;
    case JSON_TRUE: s_fmt_put(f, "true"); return;
    case JSON_FALSE: s_fmt_put(f, "false"); return;
    default: s_fmt_put(f, depth > 16 ? "..." : "<nil>"); return;
    }
    s_fmt_put(f, num);
}

static const char *s_fmt(s_fmt_t *f, const json_t *v)
{
    f->n = 0;
    f->cut = false;
    if (v)
        s_fmt_value(f, v, 0);
    else
        s_fmt_put(f, "<nil>");
    memcpy(f->s + f->n, f->cut ? "..." : "", f->cut ? 4 : 1);
    return f->s;
}

/* ---- JSON merge patch (RFC 7386) ---- */

/* MergePatch(target, patch) of the RFC, taking target (may be NULL) and returning the result. */
static json_t *s_merge(json_t *target, const json_t *patch)
{
    if (!json_is_object(patch)) {
        json_decref(target);
        return s_nn(json_deep_copy(patch));
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = s_nn(json_object());
    }
    const char *k;
    json_t *pv;
    json_object_foreach((json_t *)patch, k, pv)
    {
        if (json_is_null(pv)) {
            json_object_del(target, k);
            continue;
        }
        json_t *cur = json_object_get(target, k);
        s_set(target, k, s_merge(cur ? json_incref(cur) : NULL, pv));
    }
    return target;
}

int kube_merge_patch(const json_t *doc, const json_t *patch, json_t **out, char *err, size_t errlen)
{
    assert(doc && patch && out);
    if (json_is_null(patch)) {
        *out = s_nn(json_deep_copy(doc));
        return 0;
    }
    if (!json_is_object(patch))
        return s_fail(err, errlen, "a merge patch must be a JSON object, not %s",
                      kube_obj_kind(patch));
    if (s_depth(patch, KUBE_PATCH_DEPTH_MAX) > KUBE_PATCH_DEPTH_MAX)
        return s_fail(err, errlen, "patch nests deeper than %d levels", KUBE_PATCH_DEPTH_MAX);
    *out = s_merge(s_nn(json_deep_copy(doc)), patch);
    return 0;
}

/* ---- JSON patch (RFC 6902) ---- */

/* An RFC 6901 pointer split into tokens, ~1 and ~0 undone, in one buffer. */
typedef struct {
    char *buf;
    const char *tok[KUBE_PATCH_DEPTH_MAX];
    size_t n;
} s_ptr_t;

/* 0, or -1 when path is not a pointer to a member (that includes "", the whole document, which
 * upstream refuses too), or -2 when it has more than KUBE_PATCH_DEPTH_MAX tokens. */
static int s_ptr_parse(s_ptr_t *p, const char *path)
{
    p->n = 0;
    p->buf = NULL;
    if (path[0] != '/') return -1;
    p->buf = strdup(path);
    if (!p->buf) abort();
    char *r = p->buf + 1;
    for (;;) {
        if (p->n == KUBE_PATCH_DEPTH_MAX) return -2;
        /* Decoding only shrinks a token, so it is done in place. */
        char *w = r, *q = r;
        p->tok[p->n++] = w;
        while (*q && *q != '/') {
            if (q[0] == '~' && (q[1] == '0' || q[1] == '1')) {
                *w++ = q[1] == '1' ? '/' : '~';
                q += 2;
            } else {
                *w++ = *q++;
            }
        }
        char end = *q;
        *w = '\0';
        if (!end) return 0;
        r = q + 1;
    }
}

/* An array index: decimal digits only (no sign: negative indices are refused), or "-" (one past
 * the end) where end_ok. 0; -1 when tok is not an index; -2 when out of range. */
static int s_ptr_index(const char *tok, size_t size, bool end_ok, size_t *idx)
{
    if (strcmp(tok, "-") == 0) {
        *idx = size;
        return end_ok ? 0 : -2;
    }
    if (!*tok) return -1;
    size_t v = 0;
    for (const char *c = tok; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        /* Once past size the value is out of range anyway: stop growing, never overflow. */
        if (v <= size) v = v * 10 + (size_t)(*c - '0');
    }
    if (v > size || (v == size && !end_ok)) return -2;
    *idx = v;
    return 0;
}

typedef struct {
    char *err;
    size_t errlen;
    const char *op; /* the operation applied, for messages */
    size_t copied;  /* bytes "copy" has added so far */
    size_t depth;   /* an upper bound on the document's nesting */
} s_jp_t;

/* Where a pointer leads: the container of its last token and, when that exists, the member. */
typedef struct {
    s_ptr_t p;
    json_t *parent;
    json_t *v;
    size_t idx; /* v's position when parent is an array */
} s_loc_t;

static int s_jp_index(s_jp_t *jp, const s_loc_t *l, const char *path, bool end_ok, size_t *idx)
{
    const char *tok = l->p.tok[l->p.n - 1];
    int rc = s_ptr_index(tok, json_array_size(l->parent), end_ok, idx);
    if (rc == -1)
        return s_fail(jp->err, jp->errlen,
                      "error in %s for path: '%s': value was not a proper array index: '%s'",
                      jp->op, path, tok);
    if (rc == -2)
        return s_fail(jp->err, jp->errlen,
                      "error in %s for path: '%s': Unable to access invalid index: %s: invalid "
                      "index referenced",
                      jp->op, path, tok);
    return 0;
}

/* Resolves path to its parent container (what names path in messages: "path", "from path"...).
 * With member, the member must exist too. The caller frees l->p.buf, on failure as well. */
static int s_jp_locate(s_jp_t *jp, json_t *doc, const char *what, const char *path, bool member,
                       s_loc_t *l)
{
    memset(l, 0, sizeof *l);
    int rc = s_ptr_parse(&l->p, path);
    if (rc == -2)
        return s_fail(jp->err, jp->errlen,
                      "%s operation does not apply: %s \"%s\" is deeper than %d", jp->op, what,
                      path, KUBE_PATCH_DEPTH_MAX);
    json_t *cur = rc == 0 ? doc : NULL;
    for (size_t i = 0; cur && i + 1 < l->p.n; i++) {
        size_t idx;
        if (json_is_object(cur))
            cur = json_object_get(cur, l->p.tok[i]);
        else if (json_is_array(cur) &&
                 s_ptr_index(l->p.tok[i], json_array_size(cur), false, &idx) == 0)
            cur = json_array_get(cur, idx);
        else
            cur = NULL;
    }
    if (json_is_object(cur) || json_is_array(cur)) l->parent = cur;
    if (l->parent && member) {
        if (json_is_array(cur)) {
            if (s_jp_index(jp, l, path, false, &l->idx) < 0) return -1;
            l->v = json_array_get(cur, l->idx);
        } else {
            l->v = json_object_get(cur, l->p.tok[l->p.n - 1]);
        }
    }
    if (!l->parent || (member && !l->v))
        return s_fail(jp->err, jp->errlen,
                      "%s operation does not apply: doc is missing %s: \"%s\": missing value",
                      jp->op, what, path);
    return 0;
}

/* Keeps jp->depth a bound on the document's nesting once a value nesting sub levels is put under
 * ntok tokens, and refuses to pass KUBE_PATCH_DOC_DEPTH_MAX: a chain of moves or copies could
 * otherwise nest a tree deep enough to overflow the recursive walks that free or print it. */
static int s_jp_deepen(s_jp_t *jp, size_t ntok, size_t sub)
{
    size_t d = ntok + sub;
    if (d <= jp->depth) return 0;
    if (d > KUBE_PATCH_DOC_DEPTH_MAX)
        return s_fail(jp->err, jp->errlen,
                      "%s operation would nest the document deeper than %d levels", jp->op,
                      KUBE_PATCH_DOC_DEPTH_MAX);
    jp->depth = d;
    return 0;
}

/* Adds v (taken) at path: sets a member, or inserts an element ("-" appends). sub bounds v's
 * nesting. */
static int s_jp_put(s_jp_t *jp, json_t *doc, const char *what, const char *path, json_t *v,
                    size_t sub)
{
    s_loc_t l;
    size_t idx = 0;
    int rc = s_jp_locate(jp, doc, what, path, false, &l);
    if (rc == 0 && json_is_array(l.parent)) rc = s_jp_index(jp, &l, path, true, &idx);
    if (rc == 0) rc = s_jp_deepen(jp, l.p.n, sub);
    if (rc == 0 && json_is_object(l.parent)) {
        s_set(l.parent, l.p.tok[l.p.n - 1], v);
        v = NULL;
    } else if (rc == 0) {
        if (json_array_insert_new(l.parent, idx, v) != 0) abort();
        v = NULL;
    }
    json_decref(v);
    free(l.p.buf);
    return rc;
}

/* Takes the member at path out of the document: a new reference, or NULL with an error set.
 * *ntok is the number of tokens of path (the member's own nesting). */
static json_t *s_jp_take(s_jp_t *jp, json_t *doc, const char *what, const char *path, size_t *ntok)
{
    s_loc_t l;
    json_t *v = NULL;
    if (s_jp_locate(jp, doc, what, path, true, &l) == 0) {
        v = json_incref(l.v);
        if (json_is_object(l.parent))
            json_object_del(l.parent, l.p.tok[l.p.n - 1]);
        else
            json_array_remove(l.parent, l.idx);
    }
    *ntok = l.p.n;
    free(l.p.buf);
    return v;
}

static int s_jp_replace(s_jp_t *jp, json_t *doc, const char *path, const json_t *value)
{
    s_loc_t l;
    int rc = s_jp_locate(jp, doc, "path", path, true, &l);
    if (rc == 0) rc = s_jp_deepen(jp, l.p.n, s_depth(value, KUBE_PATCH_DEPTH_MAX));
    if (rc == 0) {
        json_t *v = s_nn(json_deep_copy(value));
        if (json_is_object(l.parent))
            s_set(l.parent, l.p.tok[l.p.n - 1], v);
        else if (json_array_set_new(l.parent, l.idx, v) != 0)
            abort();
    }
    free(l.p.buf);
    return rc;
}

/* A moved or copied subtree that sat under f tokens nests at most depth - f levels. */
static size_t s_jp_sub(const s_jp_t *jp, size_t f)
{
    return jp->depth > f ? jp->depth - f : 0;
}

static int s_jp_move(s_jp_t *jp, json_t *doc, const char *from, const char *path)
{
    size_t f;
    json_t *v = s_jp_take(jp, doc, "from path", from, &f);
    if (!v) return -1;
    return s_jp_put(jp, doc, "destination path", path, v, s_jp_sub(jp, f));
}

/* Copies are bounded in bytes: each may double the document. */
static int s_jp_copy(s_jp_t *jp, json_t *doc, const char *from, const char *path)
{
    s_loc_t l;
    int rc = s_jp_locate(jp, doc, "from path", from, true, &l);
    size_t f = l.p.n;
    free(l.p.buf);
    if (rc < 0) return rc;
    jp->copied += json_dumpb(l.v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    if (jp->copied > KUBE_PATCH_COPY_BYTES_MAX)
        return s_fail(jp->err, jp->errlen,
                      "Unable to complete the copy, the accumulated size increase of copy is %zu, "
                      "exceeding the limit %d",
                      jp->copied, KUBE_PATCH_COPY_BYTES_MAX);
    return s_jp_put(jp, doc, "destination path", path, s_nn(json_deep_copy(l.v)), s_jp_sub(jp, f));
}

static int s_jp_test(s_jp_t *jp, json_t *doc, const char *path, const json_t *value)
{
    s_loc_t l;
    int rc = s_jp_locate(jp, doc, "path", path, true, &l);
    free(l.p.buf);
    if (rc == 0 && !json_equal(l.v, value))
        rc = s_fail(jp->err, jp->errlen, "testing value %s failed: test failed", path);
    return rc;
}

static const char *s_jp_str(const json_t *op, const char *field)
{
    return json_string_value(json_object_get(op, field));
}

typedef enum { S_ADD, S_REMOVE, S_REPLACE, S_MOVE, S_COPY, S_TEST, S_OPS } s_op_t;

static int s_jp_apply(s_jp_t *jp, json_t *doc, const json_t *op)
{
    static const char *const names[S_OPS] = {"add", "remove", "replace", "move", "copy", "test"};
    const char *name = s_jp_str(op, "op"), *path = s_jp_str(op, "path"), *from = NULL;
    const json_t *value = json_object_get(op, "value");
    s_op_t k = S_ADD;
    jp->op = name ? name : "unknown";
    while (k < S_OPS && strcmp(jp->op, names[k]) != 0) k++;
    if (k == S_OPS) return s_fail(jp->err, jp->errlen, "Unexpected kind: %s", jp->op);
    if (!path)
        return s_fail(jp->err, jp->errlen, "%s operation failed to decode path: missing value",
                      jp->op);
    if ((k == S_MOVE || k == S_COPY) && !(from = s_jp_str(op, "from")))
        return s_fail(jp->err, jp->errlen, "%s operation failed to decode from: missing value",
                      jp->op);
    /* RFC 6902 requires a value (upstream would take a missing one for null). */
    if ((k == S_ADD || k == S_REPLACE || k == S_TEST) && !value)
        return s_fail(jp->err, jp->errlen, "%s operation failed to decode value: missing value",
                      jp->op);
    switch (k) {
    case S_ADD:
        return s_jp_put(jp, doc, "path", path, s_nn(json_deep_copy(value)),
                        s_depth(value, KUBE_PATCH_DEPTH_MAX));
    case S_REMOVE: {
        size_t ntok;
        json_t *v = s_jp_take(jp, doc, "path", path, &ntok);
        int rc = v ? 0 : -1;
        json_decref(v);
        return rc;
    }
    case S_REPLACE: return s_jp_replace(jp, doc, path, value);
    case S_MOVE: return s_jp_move(jp, doc, from, path);
    case S_COPY: return s_jp_copy(jp, doc, from, path);
    default: return s_jp_test(jp, doc, path, value);
    }
}

/* What is checked before anything applies: an array (upstream's decoder), not too many
 * operations (the apiserver), each an object (the decoder) and not too deep (ours). */
static int s_jp_check(const json_t *ops, char *err, size_t errlen)
{
    if (!json_is_array(ops))
        return s_fail(err, errlen,
                      "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
                      kube_obj_kind(ops));
    if (json_array_size(ops) > KUBE_PATCH_OPS_MAX)
        return s_fail(err, errlen, "The allowed maximum operations in a JSON patch is %d, got %zu",
                      KUBE_PATCH_OPS_MAX, json_array_size(ops));
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        if (!json_is_object(op) && !json_is_null(op))
            return s_fail(err, errlen,
                          "json: cannot unmarshal %s into Go value of type jsonpatch.Operation",
                          kube_obj_kind(op));
        if (s_depth(op, KUBE_PATCH_DEPTH_MAX + 1) > KUBE_PATCH_DEPTH_MAX + 1)
            return s_fail(err, errlen, "operation %zu nests deeper than %d levels", i,
                          KUBE_PATCH_DEPTH_MAX);
    }
    return 0;
}

int kube_json_patch(const json_t *doc, const json_t *ops, json_t **out, char *err, size_t errlen)
{
    assert(doc && ops && out);
    if (!json_is_null(ops) && s_jp_check(ops, err, errlen) < 0) return -1;
    s_jp_t jp = {.err = err, .errlen = errlen, .op = "", .copied = 0};
    jp.depth = s_depth(doc, KUBE_PATCH_DOC_DEPTH_MAX);
    json_t *work = s_nn(json_deep_copy(doc));
    for (size_t i = 0; i < json_array_size(ops); i++) {
        if (s_jp_apply(&jp, work, json_array_get(ops, i)) < 0) {
            json_decref(work);
            return -1;
        }
    }
    *out = work;
    return 0;
}

/* ---- strategic merge patch ---- */

typedef struct {
    kube_patch_schema_fn schema;
    void *arg;
    const char *path[KUBE_PATCH_DEPTH_MAX + 1]; /* field names from the root */
    size_t depth;
    char *err;
    size_t errlen;
} s_smp_t;

#define S_FAIL(c, ...) s_fail((c)->err, (c)->errlen, __VA_ARGS__)

/* A borrowed list of values: the elements of a patch's array (never referenced, so the caller's
 * patch is not touched, not even its reference counts) or of an array we hold. */
typedef struct {
    const json_t **v;
    size_t n;
} s_view_t;

static s_view_t s_view_new(size_t cap)
{
    s_view_t l = {malloc((cap ? cap : 1) * sizeof(const json_t *)), 0};
    if (!l.v) abort();
    return l;
}

static s_view_t s_view_of(const json_t *arr)
{
    s_view_t l = s_view_new(json_array_size(arr));
    for (; l.n < json_array_size(arr); l.n++) l.v[l.n] = json_array_get(arr, l.n);
    return l;
}

static void s_view_free(s_view_t *l)
{
    free(l->v);
    l->v = NULL;
}

/* Position of item in l, or SIZE_MAX: by the merge key's value when key, else by value
 * (upstream's index()). */
static size_t s_find(s_view_t l, const json_t *item, const char *key)
{
    const json_t *id = key ? json_object_get(item, key) : item;
    for (size_t i = 0; i < l.n; i++)
        if (s_eq(id, key ? json_object_get(l.v[i], key) : l.v[i])) return i;
    return SIZE_MAX;
}

static bool s_prefixed(const char *key, const char *prefix)
{
    return strncmp(key, prefix, strlen(prefix)) == 0;
}

/* The field "<prefix>/<field>" names; NULL when malformed (upstream's extractKey). */
static const char *s_directive_field(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(key, prefix, n) == 0 && key[n] == '/' ? key + n + 1 : NULL;
}

static bool s_is_directive(const char *key)
{
    return strcmp(key, "$patch") == 0 || strcmp(key, "$retainKeys") == 0 ||
           s_prefixed(key, S_ORDER) || s_prefixed(key, S_DELETE);
}

static int s_smp_no_key(s_smp_t *c, const json_t *m, const char *key)
{
    s_fmt_t f;
    if (!json_is_object(m))
        return S_FAIL(c, "expected a map[string]interface {}, but received a %s", s_gotype(m));
    return S_FAIL(c, "map: %s does not contain declared merge key: %s", s_fmt(&f, m), key);
}

static int s_smp_keys(s_smp_t *c, s_view_t l, const char *key)
{
    for (size_t i = 0; i < l.n; i++)
        if (!json_object_get(l.v[i], key)) return s_smp_no_key(c, l.v[i], key);
    return 0;
}

static int s_smp_not_list(s_smp_t *c, const json_t *v)
{
    return S_FAIL(c, "expected a []interface {}, but received a %s", s_gotype(v));
}

/* Enters field name: the schema tells what it is. s_smp_leave undoes it. */
static kube_patch_field_t s_smp_enter(s_smp_t *c, const char *name)
{
    kube_patch_field_t f = {0};
    /* Each level is a level of the patch, whose depth was checked. */
    assert(c->depth < sizeof c->path / sizeof c->path[0]);
    c->path[c->depth++] = name;
    if (c->schema && !c->schema(c->arg, c->path, c->depth, &f)) memset(&f, 0, sizeof f);
    return f;
}

static void s_smp_leave(s_smp_t *c)
{
    c->depth--;
}

/* ---- list order (upstream's normalizeElementOrder) ---- */

typedef struct {
    size_t rank, pos;
    const json_t *v;
} s_rank_t;

static int s_rank_cmp(const void *a, const void *b)
{
    const s_rank_t *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts l stably by where its elements are in order. Upstream's comparison is not an order
 * for elements missing from order; both callers sort a list by a superset of it, so the place
 * given to those (last) never matters. */
static void s_sort_by(s_view_t l, s_view_t order, const char *key)
{
    s_rank_t *r = malloc((l.n ? l.n : 1) * sizeof *r);
    if (!r) abort();
    for (size_t i = 0; i < l.n; i++) r[i] = (s_rank_t){s_find(order, l.v[i], key), i, l.v[i]};
    qsort(r, l.n, sizeof *r, s_rank_cmp);
    for (size_t i = 0; i < l.n; i++) l.v[i] = r[i].v;
    free(r);
}

/* upstream's mergeSortedSlice: interleaves the server-only items (left) with the patch's items
 * (right), each keeping its order. A server-only item goes first only when both are in the live
 * list and it came first there; so an item new to the list goes before the server-only items
 * still waiting (a container added by a patch is listed first, as kubectl's docs show). */
static json_t *s_merge_sorted(s_view_t left, s_view_t right, s_view_t live, const char *key)
{
    json_t *out = s_nn(json_array());
    size_t i = 0, j = 0;
    while (i < left.n || j < right.n) {
        bool take_left = j >= right.n;
        if (i < left.n && j < right.n) {
            size_t li = s_find(live, left.v[i], key), ri = s_find(live, right.v[j], key);
            take_left = li != SIZE_MAX && ri != SIZE_MAX && li < ri;
        }
        /* Both views borrow elements of the merged list, which is ours. */
        s_append(out, json_incref((json_t *)(take_left ? left.v[i++] : right.v[j++])));
    }
    return out;
}

/* Orders merged (borrowed) into a new list: the items the patch names (by patch_order) first
 * in patch_order's order, the server-only ones in live's order, then interleaved as above. */
static json_t *s_smp_order(s_smp_t *c, const json_t *merged, s_view_t patch_order, s_view_t live,
                           const char *key)
{
    s_view_t all = s_view_of(merged), in = s_view_new(all.n), out = s_view_new(all.n);
    json_t *res = NULL;
    if (!key || (s_smp_keys(c, all, key) == 0 && s_smp_keys(c, patch_order, key) == 0 &&
                 s_smp_keys(c, live, key) == 0)) {
        for (size_t i = 0; i < all.n; i++) {
            s_view_t *to = s_find(patch_order, all.v[i], key) != SIZE_MAX ? &in : &out;
            to->v[to->n++] = all.v[i];
        }
        s_sort_by(in, patch_order, key);
        s_sort_by(out, live, key);
        res = s_merge_sorted(out, in, live, key);
    }
    s_view_free(&all);
    s_view_free(&in);
    s_view_free(&out);
    return res;
}

/* ---- maps and lists ---- */

static json_t *s_smp_map(s_smp_t *c, json_t *orig, const json_t *patch);
static json_t *s_smp_list(s_smp_t *c, json_t *ol, const json_t *pl, const kube_patch_field_t *f);

static bool s_merging(const kube_patch_field_t *f)
{
    return f->merge_key || f->merge_primitives;
}

/* A patch value with nothing in the document to merge into is merged into nothing, so the
 * nulls and directives inside it are applied, never copied (upstream copies it as it is and
 * lets decoding into a typed object drop what does not fit). Lists that do not merge are
 * copied whole, as a merge patch does. */
static json_t *s_smp_new(s_smp_t *c, const json_t *pv, const kube_patch_field_t *f)
{
    if (json_is_object(pv)) return s_smp_map(c, NULL, pv);
    if (json_is_array(pv) && s_merging(f)) return s_smp_list(c, s_nn(json_array()), pv, f);
    return s_nn(json_deep_copy(pv));
}

/* upstream's sliceElementType: all elements of both lists have one kind, which is not a list.
 * Integers and reals are one kind (numbers), as they are once the apiserver decodes them. */
static int s_smp_kind(s_smp_t *c, const json_t *ol, const json_t *pl, json_type *kind)
{
    const json_t *lists[2] = {ol, pl};
    bool have = false;
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < json_array_size(lists[l]); i++) {
            json_type t = json_typeof(json_array_get(lists[l], i));
            t = t == JSON_REAL ? JSON_INTEGER : t == JSON_FALSE ? JSON_TRUE : t;
            if (!have && t == JSON_ARRAY) return S_FAIL(c, "lists of lists are not supported");
            if (have && t != *kind) {
                s_fmt_t fa, fb;
                return S_FAIL(c, "list element types are not identical: [%s %s]", s_fmt(&fa, ol),
                              s_fmt(&fb, pl));
            }
            *kind = t;
            have = true;
        }
    }
    return 0;
}

/* A list of scalars with merge strategy: the union, each value once, then ordered. */
static json_t *s_smp_list_scalars(s_smp_t *c, const json_t *ol, const json_t *pl)
{
    const json_t *lists[2] = {ol, pl};
    s_view_t seen = s_view_new(json_array_size(ol) + json_array_size(pl));
    json_t *merged = s_nn(json_array());
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < json_array_size(lists[l]); i++) {
            const json_t *e = json_array_get(lists[l], i);
            if (s_find(seen, e, NULL) != SIZE_MAX) continue;
            seen.v[seen.n++] = e;
            s_append(merged, s_nn(json_deep_copy(e)));
        }
    }
    s_view_t po = s_view_of(pl), live = s_view_of(ol);
    json_t *res = s_smp_order(c, merged, po, live, NULL);
    s_view_free(&po);
    s_view_free(&live);
    s_view_free(&seen);
    json_decref(merged);
    return res;
}

static void s_remove_matching(json_t *ol, const char *key, const json_t *kv)
{
    for (size_t i = json_array_size(ol); i-- > 0;)
        if (s_eq(json_object_get(json_array_get(ol, i), key), kv)) json_array_remove(ol, i);
}

/* upstream's mergeSliceWithSpecialElements: elements with "$patch" delete from ol by key or
 * make the patch a replacement; the others are collected in plain (which the caller frees). */
static int s_smp_specials(s_smp_t *c, json_t *ol, const json_t *pl, const char *key,
                          s_view_t *plain, bool *replace)
{
    *plain = s_view_new(json_array_size(pl));
    *replace = false;
    for (size_t i = 0; i < json_array_size(pl); i++) {
        const json_t *e = json_array_get(pl, i), *dir = json_object_get(e, "$patch");
        const char *d = json_string_value(dir);
        if (!dir) {
            plain->v[plain->n++] = e;
        } else if (d && strcmp(d, "delete") == 0) {
            const json_t *kv = json_object_get(e, key);
            if (!kv) return s_smp_no_key(c, e, key);
            s_remove_matching(ol, key, kv);
        } else if (d && strcmp(d, "replace") == 0) {
            *replace = true; /* the other "$patch" elements still apply */
        } else if (d && strcmp(d, "merge") == 0) {
            return S_FAIL(c, "merging lists cannot yet be specified in the patch");
        } else {
            s_fmt_t fd, fe;
            return S_FAIL(c, "unknown patch type: %s in map: %s", s_fmt(&fd, dir), s_fmt(&fe, e));
        }
    }
    return 0;
}

static json_t *s_smp_list_replace(s_smp_t *c, s_view_t plain, const char *key)
{
    json_t *res = s_nn(json_array());
    for (size_t i = 0; i < plain.n; i++) {
        json_t *m = NULL;
        if (s_smp_keys(c, (s_view_t){plain.v + i, 1}, key) == 0) m = s_smp_map(c, NULL, plain.v[i]);
        if (!m) {
            json_decref(res);
            return NULL;
        }
        s_append(res, m);
    }
    return res;
}

/* upstream's mergeSliceWithoutSpecialElements, then the order: each element merges into the
 * live one with its key or is appended. ol (held) is changed in place. */
static json_t *s_smp_list_merge(s_smp_t *c, json_t *ol, s_view_t plain, const char *key)
{
    /* The live order is the list before appends; merged elements keep their key. */
    json_t *live = s_nn(json_copy(ol)), *res = NULL;
    size_t i = 0;
    for (; i < plain.n; i++) {
        const json_t *e = plain.v[i], *kv = json_object_get(e, key);
        if (!kv && s_smp_no_key(c, e, key) < 0) break;
        size_t at = 0;
        while (at < json_array_size(ol) && !s_eq(json_object_get(json_array_get(ol, at), key), kv))
            at++;
        json_t *cur = at < json_array_size(ol) ? json_incref(json_array_get(ol, at)) : NULL;
        json_t *m = s_smp_map(c, cur, e);
        if (!m) break;
        if (cur && json_array_set_new(ol, at, m) != 0) abort();
        if (!cur) s_append(ol, m);
    }
    if (i == plain.n) {
        s_view_t lv = s_view_of(live);
        res = s_smp_order(c, ol, plain, lv, key);
        s_view_free(&lv);
    }
    json_decref(live);
    return res;
}

/* Two lists (upstream's mergeSliceHandler and mergeSlice): lists with a merge strategy merge,
 * the others become the patch's list. Takes ol. */
static json_t *s_smp_list(s_smp_t *c, json_t *ol, const json_t *pl, const kube_patch_field_t *f)
{
    if (!s_merging(f)) {
        json_decref(ol);
        return s_nn(json_deep_copy(pl));
    }
    if (!json_array_size(ol) && !json_array_size(pl)) return ol;
    json_type kind = JSON_NULL;
    json_t *res = NULL;
    if (s_smp_kind(c, ol, pl, &kind) == 0) {
        if (kind != JSON_OBJECT) {
            res = s_smp_list_scalars(c, ol, pl);
        } else if (!f->merge_key) {
            S_FAIL(c, "cannot merge lists without merge key for type map");
        } else {
            s_view_t plain;
            bool replace;
            if (s_smp_specials(c, ol, pl, f->merge_key, &plain, &replace) == 0)
                res = replace ? s_smp_list_replace(c, plain, f->merge_key)
                              : s_smp_list_merge(c, ol, plain, f->merge_key);
            s_view_free(&plain);
        }
    }
    json_decref(ol);
    return res;
}

/* upstream's validatePatchWithSetOrderList: the patch's items (deletions and other "$patch"
 * elements aside) appear in the order list, in the same relative order. */
static int s_smp_check_order(s_smp_t *c, const json_t *pl, const json_t *order, const char *key)
{
    size_t n = json_array_size(pl), m = json_array_size(order), pi = 0, si = 0;
    if (!n || !m) return 0;
    while (pi < n && si < m) {
        const json_t *e = json_array_get(pl, pi), *o = json_array_get(order, si);
        if (key && !json_is_object(e)) return s_smp_no_key(c, e, key);
        if (json_object_get(e, "$patch")) {
            pi++;
            continue;
        }
        if (key && (!json_object_get(e, key) || !json_object_get(o, key)))
            return s_smp_no_key(c, json_object_get(e, key) ? o : e, key);
        if (key ? s_eq(json_object_get(e, key), json_object_get(o, key)) : s_eq(e, o)) pi++;
        si++;
    }
    for (; pi < n; pi++) {
        const json_t *e = json_array_get(pl, pi);
        const char *d = json_string_value(json_object_get(e, "$patch"));
        if (key && d && strcmp(d, "delete") == 0) continue;
        s_fmt_t fp, fo;
        return S_FAIL(c, "The order in patch list: %s doesn't match " S_ORDER " list: %s",
                      s_fmt(&fp, pl), s_fmt(&fo, order));
    }
    return 0;
}

/* "$setElementOrder/<name>": merges the field's list when the patch has one, then orders the
 * result by the order list (upstream's mergePatchIntoOriginal). */
static int s_smp_order_field(s_smp_t *c, json_t *orig, const json_t *patch, const char *name,
                             const json_t *order, const kube_patch_field_t *f)
{
    json_t *ol = json_object_get(orig, name);
    const json_t *pl = json_object_get(patch, name);
    if (ol && !json_is_array(ol)) return s_smp_not_list(c, ol);
    if (pl && !json_is_array(pl)) return s_smp_not_list(c, pl);
    if (s_smp_check_order(c, pl, order, f->merge_key) < 0) return -1;
    if (!ol && !pl) return 0;
    /* The live order, its elements kept alive while merging changes the list. */
    json_t *live = ol ? s_nn(json_copy(ol)) : s_nn(json_array());
    json_t *merged = !pl  ? json_incref(ol)
                     : ol ? s_smp_list(c, json_incref(ol), pl, f)
                          : s_smp_new(c, pl, f);
    json_t *res = merged;
    if (merged && json_array_size(merged)) {
        const char *key = json_is_object(json_array_get(merged, 0)) ? f->merge_key : NULL;
        s_view_t ov = s_view_of(order), lv = s_view_of(live);
        res = s_smp_order(c, merged, ov, lv, key);
        s_view_free(&ov);
        s_view_free(&lv);
        json_decref(merged);
    }
    json_decref(live);
    if (!res) return -1;
    s_set(orig, name, res);
    return 0;
}

static int s_smp_orders(s_smp_t *c, json_t *orig, const json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v)
    {
        if (!s_prefixed(k, S_ORDER)) continue;
        const char *name = s_directive_field(k, S_ORDER);
        if (!name) return S_FAIL(c, "invalid patch format of setElementOrder list");
        if (!json_is_array(v)) return s_smp_not_list(c, v);
        kube_patch_field_t f = s_smp_enter(c, name);
        int rc = s_smp_order_field(c, orig, patch, name, v, &f);
        s_smp_leave(c);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Whether patch orders field name, which s_smp_orders then merged already. */
static bool s_smp_ordered(const json_t *patch, const char *name)
{
    char *key;
    if (asprintf(&key, S_ORDER "/%s", name) < 0) abort();
    bool found = json_object_get(patch, key) != NULL;
    free(key);
    return found;
}

static bool s_listed(const json_t *list, const char *key)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *s = json_string_value(json_array_get(list, i));
        if (s && strcmp(s, key) == 0) return true;
    }
    return false;
}

/* "$retainKeys": the map keeps only the listed keys of the live map, then takes the patch, whose
 * own keys must all be listed (upstream's applyRetainKeysDirective). */
static int s_smp_retain(s_smp_t *c, json_t *orig, const json_t *patch)
{
    const json_t *keep = json_object_get(patch, "$retainKeys");
    if (!keep) return 0;
    if (!json_is_array(keep)) return S_FAIL(c, "invalid patch format of retainKeys");
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach((json_t *)patch, k, v)
    {
        if (!json_is_null(v) && !s_is_directive(k) && !s_listed(keep, k))
            return S_FAIL(c, "invalid patch format of retainKeys");
    }
    json_object_foreach_safe(orig, tmp, k, v)
    {
        if (!s_listed(keep, k)) json_object_del(orig, k);
    }
    return 0;
}

/* "$deleteFromPrimitiveList/<name>": removes those values from the live list. */
static int s_smp_delete_from(s_smp_t *c, json_t *orig, const char *k, const json_t *pv)
{
    const char *name = s_directive_field(k, S_DELETE);
    if (!name) return S_FAIL(c, "invalid patch format of primitive list");
    if (json_is_null(pv)) { /* upstream: null deletes the field, as anywhere else */
        json_object_del(orig, name);
        return 0;
    }
    if (!json_is_array(pv)) return s_smp_not_list(c, pv);
    json_t *ol = json_object_get(orig, name);
    /* Nothing to delete from (upstream would store the deletion list as the field). */
    if (!json_is_array(ol)) return 0;
    s_view_t del = s_view_of(pv);
    json_t *kept = s_nn(json_array());
    for (size_t i = 0; i < json_array_size(ol); i++) {
        json_t *e = json_array_get(ol, i);
        if (s_find(del, e, NULL) == SIZE_MAX) s_append(kept, json_incref(e));
    }
    s_view_free(&del);
    s_set(orig, name, kept);
    return 0;
}

/* One field of a map: null deletes, two maps or two lists merge, anything else replaces. */
static int s_smp_field(s_smp_t *c, json_t *orig, const char *k, const json_t *pv)
{
    if (json_is_null(pv)) {
        json_object_del(orig, k);
        return 0;
    }
    json_t *ov = json_object_get(orig, k), *nv;
    kube_patch_field_t f = s_smp_enter(c, k);
    if (json_is_object(ov) && json_is_object(pv))
        nv = s_smp_map(c, json_incref(ov), pv);
    else if (json_is_array(ov) && json_is_array(pv))
        nv = s_smp_list(c, json_incref(ov), pv, &f);
    else
        nv = s_smp_new(c, pv, &f);
    s_smp_leave(c);
    if (!nv) return -1;
    s_set(orig, k, nv);
    return 0;
}

/* The body of upstream's mergeMap, in its order: retainKeys, ordered lists, then the fields. */
static json_t *s_smp_map_body(s_smp_t *c, json_t *orig, const json_t *patch)
{
    int rc = s_smp_retain(c, orig, patch);
    if (rc == 0) rc = s_smp_orders(c, orig, patch);
    const char *k;
    json_t *pv;
    json_object_foreach((json_t *)patch, k, pv)
    {
        if (rc < 0) break;
        if (s_prefixed(k, S_DELETE))
            rc = s_smp_delete_from(c, orig, k, pv);
        else if (!s_is_directive(k) && !s_smp_ordered(patch, k))
            rc = s_smp_field(c, orig, k, pv);
    }
    if (rc == 0) return orig;
    json_decref(orig);
    return NULL;
}

/* A map (taken; NULL when the document has none) merged with a patch map. "$patch": "replace"
 * puts the patch (less the directive) in its place, "delete" leaves an empty map, as upstream's
 * handleDirectiveInMergeMap does. */
static json_t *s_smp_map(s_smp_t *c, json_t *orig, const json_t *patch)
{
    const json_t *dir = json_object_get(patch, "$patch");
    if (!dir) return s_smp_map_body(c, orig ? orig : s_nn(json_object()), patch);
    json_decref(orig);
    const char *d = json_string_value(dir);
    if (d && strcmp(d, "replace") == 0) return s_smp_map_body(c, s_nn(json_object()), patch);
    if (d && strcmp(d, "delete") == 0) return s_nn(json_object());
    s_fmt_t fd, fp;
    S_FAIL(c, "unknown patch type: %s in map: %s", s_fmt(&fd, dir), s_fmt(&fp, patch));
    return NULL;
}

int kube_strategic_patch(const json_t *doc, const json_t *patch, kube_patch_schema_fn schema,
                         void *arg, json_t **out, char *err, size_t errlen)
{
    assert(doc && patch && out);
    if (!json_is_object(doc)) return s_fail(err, errlen, "the document is not a JSON object");
    if (json_is_null(patch)) {
        *out = s_nn(json_deep_copy(doc));
        return 0;
    }
    if (!json_is_object(patch))
        return s_fail(err, errlen,
                      "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                      kube_obj_kind(patch));
    if (s_depth(patch, KUBE_PATCH_DEPTH_MAX) > KUBE_PATCH_DEPTH_MAX)
        return s_fail(err, errlen, "patch nests deeper than %d levels", KUBE_PATCH_DEPTH_MAX);
    s_smp_t c = {.schema = schema, .arg = arg, .err = err, .errlen = errlen};
    json_t *res = s_smp_map(&c, s_nn(json_deep_copy(doc)), patch);
    if (!res) return -1;
    *out = res;
    return 0;
}
