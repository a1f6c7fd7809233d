/* kube_select: a port of labels/selector.go's lexer and recursive-descent parser (same tokens,
 * same lookahead rules, same messages) and of fields/selector.go's split-and-unescape parser.
 * Key and value checks come from kube_valid. */
#include "kube_select.h"
#include "kube_str.h"
#include "kube_valid.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static char *s_strndup(const char *text, size_t len)
{
    char *p = strndup(text, len);
    if (!p) abort();
    return p;
}

static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A list of owned strings. */
typedef struct {
    char **v;
    size_t n, cap;
} s_list_t;

static void s_list_add(s_list_t *l, char *owned)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    l->v[l->n++] = owned;
}

static void s_list_free(s_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, without repeats: what upstream's sets.String.List() gives. */
static void s_list_sort_unique(s_list_t *l)
{
    if (l->n) qsort(l->v, l->n, sizeof *l->v, s_strcmp_p);
    size_t out = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (out && !strcmp(l->v[out - 1], l->v[i]))
            free(l->v[i]);
        else
            l->v[out++] = l->v[i];
    }
    l->n = out;
}

/* Go's %#v of a []string; a nil slice (upstream's only empty one here) is "[]string(nil)". */
static char *s_go_strings(const s_list_t *l)
{
    kube_str_t out = {0};
    if (!l->n) return s_strndup("[]string(nil)", 13);
    kube_str_adds(&out, "[]string{");
    for (size_t i = 0; i < l->n; i++) {
        char *q = kube_quote(l->v[i]);
        if (i) kube_str_adds(&out, ", ");
        kube_str_adds(&out, q);
        free(q);
    }
    kube_str_adds(&out, "}");
    return kube_str_take(&out);
}

/* strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range. */
static bool s_parse_int64(const char *s, int64_t *v)
{
    const char *p = s + (*s == '+' || *s == '-');
    if (*p < '0' || *p > '9') return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9') return false;
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (errno == ERANGE || *end) return false;
    *v = x;
    return true;
}

/* ---- label selector: representation ---- */

typedef enum { S_IN, S_NOTIN, S_EQ, S_EQEQ, S_NE, S_GT, S_LT, S_EXISTS, S_NOT_EXISTS } s_op_t;

typedef struct {
    char *key;
    s_op_t op;
    s_list_t vals;
} s_req_t;

struct kube_labels_t {
    bool nothing; /* upstream's labels.Nothing(): matches no set of labels */
    size_t n;
    s_req_t reqs[KUBE_SELECT_TERMS_MAX];
};

static kube_labels_t *s_labels_new(void)
{
    kube_labels_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    return self;
}

void kube_labels_destroy(kube_labels_t **self_p)
{
    kube_labels_t *self = *self_p;
    if (!self) return;
    for (size_t i = 0; i < self->n; i++) {
        free(self->reqs[i].key);
        s_list_free(&self->reqs[i].vals);
    }
    free(self);
    *self_p = NULL;
}

/* Requirements ordered by key; stable, as Go's sort is for selectors this small. */
static void s_labels_sort(kube_labels_t *self)
{
    for (size_t i = 1; i < self->n; i++) {
        s_req_t r = self->reqs[i];
        size_t j = i;
        for (; j > 0 && strcmp(self->reqs[j - 1].key, r.key) > 0; j--)
            self->reqs[j] = self->reqs[j - 1];
        self->reqs[j] = r;
    }
}

/* Collects field errors as ToAggregate does: equal texts once, then "a" or "[a, b]". */
static void s_agg_add(s_list_t *agg, char *msg)
{
    for (size_t i = 0; i < agg->n; i++) {
        if (!strcmp(agg->v[i], msg)) {
            free(msg);
            return;
        }
    }
    s_list_add(agg, msg);
}

static void s_agg_invalid(s_list_t *agg, const char *path, const char *value, const char *detail)
{
    char *q = kube_quote(value), *msg;
    if (asprintf(&msg, "%s: Invalid value: %s: %s", path, q, detail) < 0) abort();
    free(q);
    s_agg_add(agg, msg);
}

static void s_agg_invalid_list(s_list_t *agg, const s_list_t *vals, const char *detail)
{
    char *go = s_go_strings(vals), *msg;
    if (asprintf(&msg, "values: Invalid value: %s: %s", go, detail) < 0) abort();
    free(go);
    s_agg_add(agg, msg);
}

/* kube_valid's messages joined as upstream's validateLabelKey/Value join them. */
static char *s_join_msgs(const kube_msgs_t *m)
{
    kube_str_t out = {0};
    for (size_t i = 0; i < m->n; i++) {
        if (i) kube_str_adds(&out, "; ");
        kube_str_adds(&out, m->msg[i]);
    }
    return kube_str_take(&out);
}

static void s_check_values(s_list_t *agg, const char *key, s_op_t op, const s_list_t *vals)
{
    if ((op == S_IN || op == S_NOTIN) && vals->n == 0)
        s_agg_invalid_list(agg, vals, "for 'in', 'notin' operators, values set can't be empty");
    if ((op == S_EQ || op == S_EQEQ || op == S_NE) && vals->n != 1)
        s_agg_invalid_list(agg, vals, "exact-match compatibility requires one single value");
    if ((op == S_EXISTS || op == S_NOT_EXISTS) && vals->n != 0)
        s_agg_invalid_list(agg, vals, "values set must be empty for exists and does not exist");
    if ((op == S_GT || op == S_LT) && vals->n != 1)
        s_agg_invalid_list(agg, vals, "for 'Gt', 'Lt' operators, exactly one value is required");
    for (size_t i = 0; (op == S_GT || op == S_LT) && i < vals->n; i++) {
        int64_t x;
        char path[32];
        snprintf(path, sizeof path, "values[%zu]", i);
        if (!s_parse_int64(vals->v[i], &x))
            s_agg_invalid(agg, path, vals->v[i],
                          "for 'Gt', 'Lt' operators, the value must be an integer");
    }
    for (size_t i = 0; i < vals->n; i++) {
        kube_msgs_t m = kube_is_label_value(vals->v[i]);
        if (!m.n) continue;
        char *path, *joined = s_join_msgs(&m);
        if (asprintf(&path, "values[%zu][%s]", i, key) < 0) abort();
        s_agg_invalid(agg, path, vals->v[i], joined);
        free(path);
        free(joined);
    }
}

/* labels.NewRequirement: validates, then adds (taking key and vals) or writes the aggregate
 * error after prefix. Either way key and vals are consumed. */
static int s_add_requirement(kube_labels_t *self, char *key, s_op_t op, s_list_t *vals,
                             const char *prefix, char *err, size_t errlen)
{
    s_list_t agg = {0};
    if (self->n == KUBE_SELECT_TERMS_MAX) {
        s_err(err, errlen, "label selector has more than %d requirements", KUBE_SELECT_TERMS_MAX);
        free(key);
        s_list_free(vals);
        return -1;
    }
    kube_msgs_t km = kube_is_qualified_name(key);
    if (km.n) {
        char *joined = s_join_msgs(&km);
        s_agg_invalid(&agg, "key", key, joined);
        free(joined);
    }
    s_check_values(&agg, key, op, vals);
    if (agg.n) {
        kube_str_t all = {0};
        for (size_t i = 0; i < agg.n; i++) {
            if (i) kube_str_adds(&all, ", ");
            kube_str_adds(&all, agg.v[i]);
        }
        char *text = kube_str_take(&all);
        s_err(err, errlen, agg.n > 1 ? "%s[%s]" : "%s%s", prefix, text);
        free(text);
        s_list_free(&agg);
        free(key);
        s_list_free(vals);
        return -1;
    }
    self->reqs[self->n++] = (s_req_t){.key = key, .op = op, .vals = *vals};
    memset(vals, 0, sizeof *vals);
    return 0;
}

/* ---- label selector: lexer ---- */

typedef enum {
    T_EOS,
    T_CLOSE,
    T_COMMA,
    T_NOT,
    T_EQEQ,
    T_EQ,
    T_GT,
    T_ID,
    T_IN,
    T_LT,
    T_NE,
    T_NOTIN,
    T_OPEN
} s_tok_t;

typedef struct {
    s_tok_t tok;
    const char *lit;
    int len;
} s_item_t;

static bool s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool s_is_special(char c)
{
    return c && strchr("=!(),><", c);
}

/* One token at *pos. Of the operators only "==" and "!=" are two characters long, so the
 * upstream scanner's longest match comes down to looking one character ahead. */
static s_item_t s_lex(const char **pos)
{
    const char *p = *pos;
    while (s_is_space(*p)) p++;
    s_item_t it = {T_EOS, p, 0};
    if (!*p) {
        *pos = p;
        return it;
    }
    if ((p[0] == '=' || p[0] == '!') && p[1] == '=') {
        it.tok = p[0] == '=' ? T_EQEQ : T_NE;
        it.len = 2;
    } else if (s_is_special(*p)) {
        static const char chars[] = "=!(),><";
        static const s_tok_t toks[] = {T_EQ, T_NOT, T_OPEN, T_CLOSE, T_COMMA, T_GT, T_LT};
        it.tok = toks[strchr(chars, *p) - chars];
        it.len = 1;
    } else {
        while (p[it.len] && !s_is_special(p[it.len]) && !s_is_space(p[it.len])) it.len++;
        it.tok = it.len == 2 && !memcmp(p, "in", 2)      ? T_IN
                 : it.len == 5 && !memcmp(p, "notin", 5) ? T_NOTIN
                                                         : T_ID;
    }
    *pos = p + it.len;
    return it;
}

/* ---- label selector: parser ---- */

typedef struct {
    s_item_t *items;
    size_t pos;
    char *err;
    size_t errlen;
    const char *prefix; /* "unable to parse requirement: " inside a requirement */
} s_parser_t;

/* In a values context "in" and "notin" are plain identifiers ("x in (in)"). */
static s_item_t s_peek(const s_parser_t *p, bool values)
{
    s_item_t it = p->items[p->pos];
    if (values && (it.tok == T_IN || it.tok == T_NOTIN)) it.tok = T_ID;
    return it;
}

static s_item_t s_next(s_parser_t *p, bool values)
{
    s_item_t it = s_peek(p, values);
    if (it.tok != T_EOS) p->pos++;
    return it;
}

/* Upstream's parse errors all read "found '<literal>'" and then what was expected. */
static int s_fail(s_parser_t *p, s_item_t it, const char *expected)
{
    s_err(p->err, p->errlen, "%sfound '%.*s'%s", p->prefix, it.len, it.lit, expected);
    return -1;
}

/* parseIdentifiersList: "(a,b)", "(a,)", "(,a)" and "(a,,b)", the empty ones standing for "". */
static int s_parse_list(s_parser_t *p, s_list_t *vals)
{
    for (;;) {
        s_item_t it = s_next(p, true), la;
        if (it.tok == T_ID) {
            s_list_add(vals, s_strndup(it.lit, (size_t)it.len));
            la = s_peek(p, true);
            if (la.tok == T_CLOSE) return 0;
            if (la.tok != T_COMMA) return s_fail(p, la, ", expected: ',' or ')'");
        } else if (it.tok == T_COMMA) {
            if (!vals->n) s_list_add(vals, s_strndup("", 0));
            la = s_peek(p, true);
            if (la.tok == T_CLOSE || la.tok == T_COMMA) s_list_add(vals, s_strndup("", 0));
            if (la.tok == T_CLOSE) return 0;
        } else {
            return s_fail(p, it, ", expected: ',', or identifier");
        }
    }
}

static int s_parse_values(s_parser_t *p, s_list_t *vals)
{
    s_item_t it = s_next(p, true);
    if (it.tok != T_OPEN) return s_fail(p, it, " expected: '('");
    it = s_peek(p, true);
    if (it.tok == T_CLOSE) {
        s_next(p, true);
        s_list_add(vals, s_strndup("", 0));
        return 0;
    }
    if (it.tok != T_ID && it.tok != T_COMMA)
        return s_fail(p, it, ", expected: ',', ')' or identifier");
    if (s_parse_list(p, vals) < 0) return -1;
    s_next(p, true); /* the ')' the list stopped at */
    return 0;
}

static int s_parse_exact(s_parser_t *p, s_list_t *vals)
{
    s_item_t it = s_peek(p, true);
    if (it.tok == T_EOS || it.tok == T_COMMA) {
        s_list_add(vals, s_strndup("", 0));
        return 0;
    }
    it = s_next(p, true);
    if (it.tok != T_ID) return s_fail(p, it, ", expected: identifier");
    s_list_add(vals, s_strndup(it.lit, (size_t)it.len));
    return 0;
}

static int s_parse_operator(s_parser_t *p, s_op_t *op)
{
    s_item_t it = s_next(p, false);
    switch (it.tok) {
    case T_IN: *op = S_IN; return 0;
    case T_NOTIN: *op = S_NOTIN; return 0;
    case T_EQ: *op = S_EQ; return 0;
    case T_EQEQ: *op = S_EQEQ; return 0;
    case T_NE: *op = S_NE; return 0;
    case T_GT: *op = S_GT; return 0;
    case T_LT: *op = S_LT; return 0;
    default: return s_fail(p, it, ", expected: in, notin, =, ==, !=, gt, lt");
    }
}

/* The key of a requirement, checked as parseKeyAndInferOperator does (path <nil>). */
static int s_parse_key(s_parser_t *p, char **key, bool * not )
{
    s_item_t it = s_next(p, true);
    *not = it.tok == T_NOT;
    if (*not ) it = s_next(p, true);
    if (it.tok != T_ID) return s_fail(p, it, ", expected: identifier");
    *key = s_strndup(it.lit, (size_t)it.len);
    kube_msgs_t m = kube_is_qualified_name(*key);
    if (!m.n) return 0;
    char *q = kube_quote(*key), *joined = s_join_msgs(&m);
    s_err(p->err, p->errlen, "%s<nil>: Invalid value: %s: %s", p->prefix, q, joined);
    free(q);
    free(joined);
    free(*key);
    *key = NULL;
    return -1;
}

static int s_parse_requirement(s_parser_t *p, kube_labels_t *sel)
{
    char *key;
    bool not ;
    s_op_t op = S_EXISTS;
    s_list_t vals = {0};
    if (s_parse_key(p, &key, &not ) < 0) return -1;
    s_tok_t la = s_peek(p, true).tok;
    if (not ) {
        op = S_NOT_EXISTS;
    } else if (la != T_EOS && la != T_COMMA) {
        int rc = s_parse_operator(p, &op);
        if (rc == 0)
            rc = op == S_IN || op == S_NOTIN ? s_parse_values(p, &vals) : s_parse_exact(p, &vals);
        if (rc < 0) {
            free(key);
            s_list_free(&vals);
            return -1;
        }
        s_list_sort_unique(&vals);
    }
    return s_add_requirement(sel, key, op, &vals, p->prefix, p->err, p->errlen);
}

static int s_parse_selector(s_parser_t *p, kube_labels_t *sel)
{
    for (;;) {
        s_item_t it = s_peek(p, true);
        if (it.tok == T_EOS) return 0;
        if (it.tok != T_ID && it.tok != T_NOT)
            return s_fail(p, it, ", expected: !, identifier, or 'end of string'");
        p->prefix = "unable to parse requirement: ";
        if (s_parse_requirement(p, sel) < 0) return -1;
        p->prefix = "";
        it = s_next(p, true);
        if (it.tok == T_EOS) return 0;
        if (it.tok != T_COMMA) return s_fail(p, it, ", expected: ',' or 'end of string'");
        it = s_peek(p, true);
        if (it.tok != T_ID && it.tok != T_NOT)
            return s_fail(p, it, ", expected: identifier after ','");
    }
}

kube_labels_t *kube_labels_parse(const char *text, char *err, size_t errlen)
{
    text = text ? text : "";
    size_t len = strlen(text);
    if (len > KUBE_SELECT_TEXT_MAX) {
        s_err(err, errlen, "label selector is longer than %d bytes", KUBE_SELECT_TEXT_MAX);
        return NULL;
    }
    /* Every token but the end takes at least one byte. */
    s_item_t *items = malloc((len + 1) * sizeof *items);
    if (!items) abort();
    const char *pos = text;
    for (size_t i = 0; i == 0 || items[i - 1].tok != T_EOS; i++) items[i] = s_lex(&pos);
    s_parser_t p = {.items = items, .err = err, .errlen = errlen, .prefix = ""};
    kube_labels_t *self = s_labels_new();
    if (s_parse_selector(&p, self) < 0) kube_labels_destroy(&self);
    if (self) s_labels_sort(self);
    free(items);
    return self;
}

/* ---- label selector from metav1.LabelSelector ---- */

/* Bytes of keys and values so far, bounded like a selector's text. */
static int s_charge(size_t *used, const char *s, char *err, size_t errlen)
{
    *used += strlen(s);
    if (*used <= KUBE_SELECT_TEXT_MAX) return 0;
    s_err(err, errlen, "label selector is longer than %d bytes", KUBE_SELECT_TEXT_MAX);
    return -1;
}

static int s_from_match_labels(kube_labels_t *self, const json_t *ml, size_t *used, char *err,
                               size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ml, k, v)
    {
        if (!json_is_string(v)) {
            s_err(err, errlen, "matchLabels: value of %s is not a string", k);
            return -1;
        }
        if (s_charge(used, k, err, errlen) < 0 ||
            s_charge(used, json_string_value(v), err, errlen) < 0)
            return -1;
        s_list_t vals = {0};
        s_list_add(&vals, s_strndup(json_string_value(v), json_string_length(v)));
        if (s_add_requirement(self, s_strndup(k, strlen(k)), S_EQ, &vals, "", err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int s_expr_op(const json_t *expr, s_op_t *op, char *err, size_t errlen)
{
    const json_t *j = json_object_get(expr, "operator");
    const char *name = json_is_string(j) ? json_string_value(j) : "";
    static const char *const names[] = {"In", "NotIn", "Exists", "DoesNotExist"};
    static const s_op_t ops[] = {S_IN, S_NOTIN, S_EXISTS, S_NOT_EXISTS};
    for (size_t i = 0; i < 4; i++) {
        if (!strcmp(name, names[i])) {
            *op = ops[i];
            return 0;
        }
    }
    char *q = kube_quote(name);
    s_err(err, errlen, "%s is not a valid label selector operator", q);
    free(q);
    return -1;
}

static int s_from_expression(kube_labels_t *self, const json_t *expr, size_t *used, char *err,
                             size_t errlen)
{
    s_op_t op;
    if (!json_is_object(expr)) {
        s_err(err, errlen, "matchExpressions: each item must be an object");
        return -1;
    }
    if (s_expr_op(expr, &op, err, errlen) < 0) return -1;
    const json_t *jk = json_object_get(expr, "key"), *jv = json_object_get(expr, "values"), *v;
    const char *key = json_is_string(jk) ? json_string_value(jk) : "";
    s_list_t vals = {0};
    size_t i;
    if (jv && !json_is_null(jv) && !json_is_array(jv)) {
        s_err(err, errlen, "matchExpressions: values must be an array");
        return -1;
    }
    if (s_charge(used, key, err, errlen) < 0) return -1;
    json_array_foreach(jv, i, v)
    {
        if (!json_is_string(v) || s_charge(used, json_string_value(v), err, errlen) < 0) {
            if (!json_is_string(v)) s_err(err, errlen, "matchExpressions: values must be strings");
            s_list_free(&vals);
            return -1;
        }
        s_list_add(&vals, s_strndup(json_string_value(v), json_string_length(v)));
    }
    return s_add_requirement(self, s_strndup(key, strlen(key)), op, &vals, "", err, errlen);
}

kube_labels_t *kube_labels_from_selector(const json_t *label_selector, char *err, size_t errlen)
{
    kube_labels_t *self = s_labels_new();
    if (!label_selector || json_is_null(label_selector)) {
        self->nothing = true;
        return self;
    }
    const json_t *ml = json_object_get(label_selector, "matchLabels");
    const json_t *me = json_object_get(label_selector, "matchExpressions");
    if (!json_is_object(label_selector) || (ml && !json_is_null(ml) && !json_is_object(ml)) ||
        (me && !json_is_null(me) && !json_is_array(me))) {
        s_err(err, errlen,
              "label selector: matchLabels must be an object, matchExpressions an "
              "array");
        kube_labels_destroy(&self);
        return NULL;
    }
    size_t used = 0, i;
    json_t *expr;
    if (json_is_object(ml) && s_from_match_labels(self, ml, &used, err, errlen) < 0)
        kube_labels_destroy(&self);
    json_array_foreach(me, i, expr)
    {
        if (self && s_from_expression(self, expr, &used, err, errlen) < 0)
            kube_labels_destroy(&self);
    }
    if (self) s_labels_sort(self);
    return self;
}

/* ---- label selector: use ---- */

/* The string value of label key, or NULL when absent (or not a string). */
static const char *s_label(const json_t *labels, const char *key)
{
    const json_t *v = json_is_object(labels) ? json_object_get(labels, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool s_has(const s_req_t *r, const char *value)
{
    for (size_t i = 0; i < r->vals.n; i++)
        if (!strcmp(r->vals.v[i], value)) return true;
    return false;
}

static bool s_req_match(const s_req_t *r, const json_t *labels)
{
    const char *v = s_label(labels, r->key);
    int64_t have, want;
    switch (r->op) {
    case S_IN:
    case S_EQ:
    case S_EQEQ: return v && s_has(r, v);
    case S_NOTIN:
    case S_NE: return !v || !s_has(r, v);
    case S_EXISTS: return v != NULL;
    case S_NOT_EXISTS: return v == NULL;
    case S_GT:
    case S_LT:
        if (!v || r->vals.n != 1 || !s_parse_int64(v, &have) || !s_parse_int64(r->vals.v[0], &want))
            return false;
        return r->op == S_GT ? have > want : have < want;
    }
    return false;
}

bool kube_labels_match(const kube_labels_t *self, const json_t *labels)
{
    if (self->nothing) return false;
    for (size_t i = 0; i < self->n; i++)
        if (!s_req_match(&self->reqs[i], labels)) return false;
    return true;
}

bool kube_labels_empty(const kube_labels_t *self)
{
    return !self->nothing && self->n == 0;
}

static void s_req_string(kube_str_t *out, const s_req_t *r)
{
    static const char *const ops[] = {" in ", " notin ", "=", "==", "!=", ">", "<", "", ""};
    if (r->op == S_NOT_EXISTS) kube_str_adds(out, "!");
    kube_str_adds(out, r->key);
    if (r->op == S_EXISTS || r->op == S_NOT_EXISTS) return;
    kube_str_adds(out, ops[r->op]);
    bool set = r->op == S_IN || r->op == S_NOTIN;
    if (set) kube_str_adds(out, "(");
    /* Sorted on output, leaving the requirement as given (upstream's safeSort). */
    char **sorted = malloc((r->vals.n + 1) * sizeof *sorted);
    if (!sorted) abort();
    memcpy(sorted, r->vals.v, r->vals.n * sizeof *sorted);
    if (r->vals.n) qsort(sorted, r->vals.n, sizeof *sorted, s_strcmp_p);
    for (size_t i = 0; i < r->vals.n; i++) {
        if (i) kube_str_adds(out, ",");
        kube_str_adds(out, sorted[i]);
    }
    free(sorted);
    if (set) kube_str_adds(out, ")");
}

char *kube_labels_string(const kube_labels_t *self)
{
    kube_str_t out = {0};
    for (size_t i = 0; i < self->n; i++) {
        if (i) kube_str_adds(&out, ",");
        s_req_string(&out, &self->reqs[i]);
    }
    return kube_str_take(&out);
}

/* ---- field selectors ---- */

typedef struct {
    char *key;
    char *value;
    kube_fields_op_t op;
} s_term_t;

struct kube_fields_t {
    size_t n;
    s_term_t terms[KUBE_SELECT_TERMS_MAX];
};

void kube_fields_destroy(kube_fields_t **self_p)
{
    kube_fields_t *self = *self_p;
    if (!self) return;
    for (size_t i = 0; i < self->n; i++) {
        free(self->terms[i].key);
        free(self->terms[i].value);
    }
    free(self);
    *self_p = NULL;
}

/* splitTerms: commas not escaped by a backslash separate terms; escapes stay in the terms. */
static void s_split_terms(const char *text, s_list_t *parts)
{
    if (!*text) return;
    size_t start = 0, i = 0;
    for (bool slash = false; text[i]; i++) {
        if (slash)
            slash = false;
        else if (text[i] == '\\')
            slash = true;
        else if (text[i] == ',') {
            s_list_add(parts, s_strndup(text + start, i - start));
            start = i + 1;
        }
    }
    s_list_add(parts, s_strndup(text + start, i - start));
}

/* splitTerm: the first "!=", "==" or "=" (tried in that order at each position) splits. */
static bool s_split_term(const char *term, size_t *lhs_len, kube_fields_op_t *op, const char **rhs)
{
    for (const char *p = term; *p; p++) {
        size_t n = !strncmp(p, "!=", 2) || !strncmp(p, "==", 2) ? 2 : *p == '=' ? 1 : 0;
        if (!n) continue;
        *lhs_len = (size_t)(p - term);
        *op = *p == '!' ? KUBE_FIELDS_NE : KUBE_FIELDS_EQ;
        *rhs = p + n;
        return true;
    }
    return false;
}

/* Length of the character at s as Go's range loop reads it: a UTF-8 sequence, or one byte. */
static size_t s_char_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0xC2 || u[0] > 0xF4) return 1;
    size_t n = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
    for (size_t i = 1; i < n; i++)
        if ((u[i] & 0xC0) != 0x80) return 1;
    return n;
}

/* UnescapeValue: NULL and upstream's message when rhs has a bad escape or a bare ',' or '='. */
static char *s_unescape(const char *rhs, char *err, size_t errlen)
{
    kube_str_t out = {0};
    for (const char *p = rhs; *p; p++) {
        if (*p == '\\' && p[1] && strchr("\\,=", p[1])) {
            kube_str_add(&out, ++p, 1);
        } else if (*p == '\\') {
            /* Go prints the rune after the backslash; ill-formed UTF-8 reads as U+FFFD. */
            size_t n = p[1] ? s_char_len(p + 1) : 0;
            bool bad = n == 1 && (unsigned char)p[1] >= 0x80;
            s_err(err, errlen, "invalid field selector: invalid escape sequence: \\%.*s",
                  bad ? 3 : (int)n, bad ? "\xEF\xBF\xBD" : p + 1);
            free(out.p);
            return NULL;
        } else if (*p == ',' || *p == '=') {
            /* Upstream formats the rune with %v: its code point in decimal. */
            s_err(err, errlen, "invalid field selector: unescaped character in value: %d", *p);
            free(out.p);
            return NULL;
        } else {
            kube_str_add(&out, p, 1);
        }
    }
    return kube_str_take(&out);
}

static int s_fields_add(kube_fields_t *self, const char *text, const char *part, char *err,
                        size_t errlen)
{
    size_t lhs_len;
    kube_fields_op_t op;
    const char *rhs;
    if (!s_split_term(part, &lhs_len, &op, &rhs)) {
        s_err(err, errlen, "invalid selector: '%s'; can't understand '%s'", text, part);
        return -1;
    }
    char *value = s_unescape(rhs, err, errlen);
    if (!value) return -1;
    if (self->n == KUBE_SELECT_TERMS_MAX) {
        s_err(err, errlen, "field selector has more than %d terms", KUBE_SELECT_TERMS_MAX);
        free(value);
        return -1;
    }
    self->terms[self->n++] = (s_term_t){s_strndup(part, lhs_len), value, op};
    return 0;
}

kube_fields_t *kube_fields_parse(const char *text, char *err, size_t errlen)
{
    text = text ? text : "";
    if (strlen(text) > KUBE_SELECT_TEXT_MAX) {
        s_err(err, errlen, "field selector is longer than %d bytes", KUBE_SELECT_TEXT_MAX);
        return NULL;
    }
    kube_fields_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    s_list_t parts = {0};
    s_split_terms(text, &parts);
    /* Upstream sorts the raw terms first: that fixes both the term order and which bad term an
     * error names. */
    if (parts.n) qsort(parts.v, parts.n, sizeof *parts.v, s_strcmp_p);
    for (size_t i = 0; i < parts.n && self; i++) {
        if (*parts.v[i] && s_fields_add(self, text, parts.v[i], err, errlen) < 0)
            kube_fields_destroy(&self);
    }
    s_list_free(&parts);
    return self;
}

size_t kube_fields_count(const kube_fields_t *self)
{
    return self->n;
}

const char *kube_fields_key(const kube_fields_t *self, size_t i)
{
    assert(i < self->n);
    return self->terms[i].key;
}

const char *kube_fields_value(const kube_fields_t *self, size_t i)
{
    assert(i < self->n);
    return self->terms[i].value;
}

kube_fields_op_t kube_fields_op(const kube_fields_t *self, size_t i)
{
    assert(i < self->n);
    return self->terms[i].op;
}

bool kube_fields_match(const kube_fields_t *self, kube_field_get_fn get, void *arg)
{
    for (size_t i = 0; i < self->n; i++) {
        const char *v = get(arg, self->terms[i].key);
        bool eq = !strcmp(v ? v : "", self->terms[i].value);
        if (eq != (self->terms[i].op == KUBE_FIELDS_EQ)) return false;
    }
    return true;
}

const char *kube_fields_equals(const kube_fields_t *self, const char *key)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->terms[i].op == KUBE_FIELDS_EQ && !strcmp(self->terms[i].key, key))
            return self->terms[i].value;
    return NULL;
}

char *kube_fields_string(const kube_fields_t *self)
{
    kube_str_t out = {0};
    for (size_t i = 0; i < self->n; i++) {
        if (i) kube_str_adds(&out, ",");
        kube_str_adds(&out, self->terms[i].key);
        kube_str_adds(&out, self->terms[i].op == KUBE_FIELDS_EQ ? "=" : "!=");
        for (const char *p = self->terms[i].value; *p; p++) {
            if (strchr("\\,=", *p)) kube_str_add(&out, "\\", 1);
            kube_str_add(&out, p, 1);
        }
    }
    return kube_str_take(&out);
}
