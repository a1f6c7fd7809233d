/* gw_rbac: kube-apiserver's RBAC authorizer over the JSON forms of Roles, ClusterRoles and their
 * bindings: rule matching (pkg/apis/rbac/v1/evaluation_helpers.go), the rule resolver
 * (pkg/registry/rbac/validation/rule.go), ClusterRole aggregation as the aggregation controller
 * leaves it, the Forbidden message (responsewriters/errors.go) and the bootstrap policy.
 * It does not parse URLs, read the store or special-case system:masters in gw_rbac_allowed. */
#include "gw_rbac.h"

#include "kube_valid.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ERRORS_MAX 64 /* distinct resolution errors kept for one denial's reason */
#define S_SA_PREFIX  "system:serviceaccount:"

/* ---- allocation (out of memory aborts), a growable string, a pointer vector, a string map ---- */

static void *s_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static void *s_zalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) abort();
    return p;
}

static char *s_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) abort();
    return d;
}

static const char *s_str(const char *s)
{
    return s ? s : "";
}

typedef struct {
    char *p;
    size_t n, cap;
} s_buf_t;

static void s_buf_add(s_buf_t *b, const char *s, size_t len)
{
    if (b->n + len + 1 > b->cap) {
        b->cap = (b->n + len + 1) * 2;
        b->p = s_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void s_buf_reset(s_buf_t *b)
{
    b->n = 0;
    s_buf_add(b, "", 0); /* so that b->p is always a string */
}

static void s_buf_puts(s_buf_t *b, const char *s)
{
    s_buf_add(b, s, strlen(s));
}

static void s_buf_printf(s_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_buf_printf(s_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) abort();
    if (b->n + (size_t)len + 1 > b->cap) {
        b->cap = (b->n + (size_t)len + 1) * 2;
        b->p = s_realloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

typedef struct {
    void **v;
    int n, cap;
} s_vec_t;

static void s_vec_push(s_vec_t *v, void *p)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->v = s_realloc(v->v, (size_t)v->cap * sizeof *v->v);
    }
    v->v[v->n++] = p;
}

/* Keeps the order of the rest: it is the order bindings are visited (and errors reported). */
static void s_vec_del(s_vec_t *v, const void *p)
{
    for (int i = 0; i < v->n; i++) {
        if (v->v[i] != p) continue;
        memmove(v->v + i, v->v + i + 1, (size_t)(v->n - i - 1) * sizeof *v->v);
        v->n--;
        return;
    }
}

typedef struct s_ent {
    struct s_ent *next;
    uint64_t h;
    void *val;
    char key[];
} s_ent_t;

typedef struct {
    s_ent_t **b;
    size_t cap, n;
} s_map_t;

static uint64_t s_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static s_ent_t **s_map_link(const s_map_t *m, const char *key, uint64_t h)
{
    if (!m->cap) return NULL;
    s_ent_t **l = &m->b[h & (m->cap - 1)];
    while (*l && ((*l)->h != h || strcmp((*l)->key, key) != 0)) l = &(*l)->next;
    return l;
}

static void *s_map_get(const s_map_t *m, const char *key)
{
    s_ent_t **l = s_map_link(m, key, s_hash(key));
    return l && *l ? (*l)->val : NULL;
}

static void s_map_grow(s_map_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    s_ent_t **b = s_zalloc(cap * sizeof *b);
    for (size_t i = 0; i < m->cap; i++) {
        for (s_ent_t *e = m->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->h & (cap - 1)];
            b[e->h & (cap - 1)] = e;
        }
    }
    free(m->b);
    m->b = b;
    m->cap = cap;
}

/* Inserts key (not present: the caller checked with s_map_get). */
static void s_map_add(s_map_t *m, const char *key, void *val)
{
    if (m->n + 1 > m->cap / 2) s_map_grow(m);
    size_t len = strlen(key);
    s_ent_t *e = s_zalloc(sizeof *e + len + 1);
    memcpy(e->key, key, len + 1);
    e->h = s_hash(key);
    e->val = val;
    e->next = m->b[e->h & (m->cap - 1)];
    m->b[e->h & (m->cap - 1)] = e;
    m->n++;
}

static void *s_map_take(s_map_t *m, const char *key)
{
    s_ent_t **l = s_map_link(m, key, s_hash(key));
    if (!l || !*l) return NULL;
    s_ent_t *e = *l;
    void *val = e->val;
    *l = e->next;
    free(e);
    m->n--;
    return val;
}

/* ---- the policy ---- */

typedef enum { S_ROLE, S_CLUSTER_ROLE, S_ROLE_BINDING, S_CLUSTER_ROLE_BINDING, S_KINDS } s_kind_t;
static const char *const s_kinds[S_KINDS] = {"Role", "ClusterRole", "RoleBinding",
                                             "ClusterRoleBinding"};

typedef struct {
    char **v;
    int n;
} s_list_t;

typedef struct {
    s_list_t verbs, groups, resources, names, urls;
} s_rule_t;

typedef struct s_obj s_obj_t;
struct s_obj {
    s_kind_t kind;
    char *ns, *name; /* ns "" for the cluster kinds */
    /* Role, ClusterRole */
    s_rule_t *rules;
    int rules_n;
    json_t *labels;      /* ClusterRole metadata.labels, or NULL */
    json_t *selectors;   /* aggregationRule.clusterRoleSelectors; NULL: not aggregated */
    s_vec_t leaves;      /* aggregated: the non-aggregated ClusterRoles whose rules it has */
    uint64_t leaves_gen; /* the policy's cr_gen when leaves were computed */
    uint64_t mark;       /* aggregation walk stamp */
    int cr_index;        /* index in the policy's cluster_roles */
    /* RoleBinding, ClusterRoleBinding */
    char *ref_kind, *ref_name;
    char **keys; /* the subject index keys it is filed under */
    int keys_n;
    uint64_t seen; /* decision stamp: each binding is evaluated once per decision */
};

struct gw_rbac_t {
    s_map_t objs;          /* store key -> s_obj_t */
    s_map_t subjects;      /* subject key -> s_vec_t of bindings naming that subject */
    s_vec_t cluster_roles; /* every ClusterRole, for aggregation selectors */
    uint64_t cr_gen;       /* bumped on every ClusterRole change: invalidates aggregation */
    uint64_t epoch;        /* decision stamp */
    uint64_t walk;         /* aggregation walk stamp */
    s_vec_t errors;        /* this decision's distinct resolution errors (char *) */
    s_buf_t key, combined, reason;
};

/* A map key: a tag, then the namespace with its length so that no name can forge another key,
 * then the name. Built by hand: this runs a few times per decision. */
static void s_key(s_buf_t *b, char tag, const char *ns, const char *name)
{
    char len[24];
    size_t n = strlen(ns), i = sizeof len;
    len[--i] = '/';
    do {
        len[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    s_buf_reset(b);
    s_buf_add(b, &tag, 1);
    s_buf_add(b, len + i, sizeof len - i);
    s_buf_puts(b, ns);
    s_buf_add(b, "/", 1);
    s_buf_puts(b, name);
}

/* Store key: the kind as a digit. */
static const char *s_obj_key(gw_rbac_t *self, s_kind_t kind, const char *ns, const char *name)
{
    s_key(&self->key, (char)('0' + kind), ns, name);
    return self->key.p;
}

/* Subject key: 'U' user name or 'G' group name, in scope ns ("" for ClusterRoleBindings). */
static void s_subject_key(s_buf_t *b, char type, const char *ns, const char *name)
{
    s_key(b, type, ns, name);
}

static void s_list_free(s_list_t *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

static void s_obj_free(s_obj_t *o)
{
    if (!o) return;
    for (int i = 0; i < o->rules_n; i++) {
        s_rule_t *r = &o->rules[i];
        s_list_free(&r->verbs);
        s_list_free(&r->groups);
        s_list_free(&r->resources);
        s_list_free(&r->names);
        s_list_free(&r->urls);
    }
    free(o->rules);
    json_decref(o->labels);
    json_decref(o->selectors);
    free(o->leaves.v);
    for (int i = 0; i < o->keys_n; i++) free(o->keys[i]);
    free(o->keys);
    free(o->ref_kind);
    free(o->ref_name);
    free(o->ns);
    free(o->name);
    free(o);
}

gw_rbac_t *gw_rbac_new(void)
{
    gw_rbac_t *self = s_zalloc(sizeof *self);
    self->cr_gen = 1; /* leaves_gen 0 is never current */
    s_buf_reset(&self->key);
    s_buf_reset(&self->combined);
    s_buf_reset(&self->reason);
    return self;
}

static void s_errors_clear(gw_rbac_t *self)
{
    for (int i = 0; i < self->errors.n; i++) free(self->errors.v[i]);
    self->errors.n = 0;
}

void gw_rbac_destroy(gw_rbac_t **self_p)
{
    if (!self_p || !*self_p) return;
    gw_rbac_t *self = *self_p;
    for (size_t i = 0; i < self->objs.cap; i++) {
        for (s_ent_t *e = self->objs.b[i], *next; e; e = next) {
            next = e->next;
            s_obj_free(e->val);
            free(e);
        }
    }
    for (size_t i = 0; i < self->subjects.cap; i++) {
        for (s_ent_t *e = self->subjects.b[i], *next; e; e = next) {
            next = e->next;
            s_vec_t *v = e->val;
            free(v->v);
            free(v);
            free(e);
        }
    }
    free(self->objs.b);
    free(self->subjects.b);
    free(self->cluster_roles.v);
    s_errors_clear(self);
    free(self->errors.v);
    free(self->key.p);
    free(self->combined.p);
    free(self->reason.p);
    free(self);
    *self_p = NULL;
}

/* ---- decoding objects ---- */

static int s_kind_of(const char *kind)
{
    for (int k = 0; k < S_KINDS; k++)
        if (kind && strcmp(kind, s_kinds[k]) == 0) return k;
    return -1;
}

/* A []string field: absent or null is empty; anything but strings inside is invalid. */
static int s_parse_list(const json_t *arr, s_list_t *l)
{
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr)) return -EINVAL;
    l->v = s_zalloc(json_array_size(arr) * sizeof *l->v);
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (!json_is_string(s)) return -EINVAL;
        l->v[l->n++] = s_strdup(json_string_value(s));
    }
    return 0;
}

static int s_parse_rules(s_obj_t *o, const json_t *rules)
{
    if (!rules || json_is_null(rules)) return 0;
    if (!json_is_array(rules)) return -EINVAL;
    if (json_array_size(rules) > GW_RBAC_RULES_MAX) return -E2BIG;
    o->rules = s_zalloc(json_array_size(rules) * sizeof *o->rules);
    size_t i;
    const json_t *r;
    json_array_foreach(rules, i, r)
    {
        if (!json_is_object(r)) return -EINVAL;
        s_rule_t *d = &o->rules[o->rules_n++];
        if (s_parse_list(json_object_get(r, "verbs"), &d->verbs) ||
            s_parse_list(json_object_get(r, "apiGroups"), &d->groups) ||
            s_parse_list(json_object_get(r, "resources"), &d->resources) ||
            s_parse_list(json_object_get(r, "resourceNames"), &d->names) ||
            s_parse_list(json_object_get(r, "nonResourceURLs"), &d->urls))
            return -EINVAL;
    }
    return 0;
}

/* As metav1.LabelSelectorAsSelector would accept it: In/NotIn need values, Exists and
 * DoesNotExist take none, no other operator. */
static bool s_selector_valid(const json_t *sel)
{
    if (!json_is_object(sel)) return false;
    const json_t *ml = json_object_get(sel, "matchLabels"), *me, *v, *e;
    const char *k;
    size_t i;
    if (ml && !json_is_null(ml)) {
        if (!json_is_object(ml)) return false;
        json_object_foreach((json_t *)ml, k, v)
        {
            if (!json_is_string(v)) return false;
        }
    }
    me = json_object_get(sel, "matchExpressions");
    if (!me || json_is_null(me)) return true;
    if (!json_is_array(me)) return false;
    json_array_foreach(me, i, e)
    {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        const json_t *vals = json_object_get(e, "values");
        if (!key || !*key || !op || (vals && !json_is_null(vals) && !json_is_array(vals)))
            return false;
        size_t j, n = json_array_size(vals);
        json_array_foreach(vals, j, v)
        {
            if (!json_is_string(v)) return false;
        }
        bool set = strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0;
        bool exists = strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0;
        if ((!set && !exists) || (set && n == 0) || (exists && n != 0)) return false;
    }
    return true;
}

static int s_parse_role(s_obj_t *o, const json_t *obj)
{
    int rc = s_parse_rules(o, json_object_get(obj, "rules"));
    if (rc || o->kind != S_CLUSTER_ROLE) return rc;
    const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    if (json_is_object(labels)) o->labels = json_deep_copy(labels);
    const json_t *agg = json_object_get(obj, "aggregationRule");
    if (!agg || json_is_null(agg)) return 0;
    if (!json_is_object(agg)) return -EINVAL;
    const json_t *sels = json_object_get(agg, "clusterRoleSelectors"), *sel;
    /* A present aggregationRule without selectors still replaces the rules, with nothing. */
    if (!sels || json_is_null(sels)) {
        o->selectors = json_array();
        return 0;
    }
    if (!json_is_array(sels)) return -EINVAL;
    size_t i;
    json_array_foreach(sels, i, sel)
    {
        if (!s_selector_valid(sel)) return -EINVAL;
    }
    o->selectors = json_deep_copy(sels);
    return 0;
}

/* Files the binding under one subject key, once however often its subjects repeat it. */
static void s_binding_key(s_obj_t *o, s_buf_t *b, char type, const char *ns, const char *name)
{
    s_subject_key(b, type, ns, name);
    for (int i = 0; i < o->keys_n; i++)
        if (strcmp(o->keys[i], b->p) == 0) return;
    o->keys[o->keys_n++] = s_strdup(b->p);
}

/* Subjects become index keys as appliesToUser matches them: a ServiceAccount is the user
 * system:serviceaccount:NS:NAME, NS defaulting to the binding's namespace (none for a
 * ClusterRoleBinding: such a subject never matches); unknown kinds never match. */
static int s_parse_subjects(s_obj_t *o, const json_t *subjects)
{
    if (!subjects || json_is_null(subjects)) return 0;
    if (!json_is_array(subjects)) return -EINVAL;
    if (json_array_size(subjects) > GW_RBAC_SUBJECTS_MAX) return -E2BIG;
    o->keys = s_zalloc(json_array_size(subjects) * sizeof *o->keys);
    s_buf_t b = {0}, sa = {0};
    size_t i;
    const json_t *s;
    json_array_foreach(subjects, i, s)
    {
        const char *kind = json_string_value(json_object_get(s, "kind"));
        const char *name = s_str(json_string_value(json_object_get(s, "name")));
        const char *sns = s_str(json_string_value(json_object_get(s, "namespace")));
        if (!kind) continue;
        if (strcmp(kind, "User") == 0) s_binding_key(o, &b, 'U', o->ns, name);
        if (strcmp(kind, "Group") == 0) s_binding_key(o, &b, 'G', o->ns, name);
        if (strcmp(kind, "ServiceAccount") != 0) continue;
        if (!*sns) sns = o->ns;
        if (!*sns) continue;
        s_buf_reset(&sa);
        s_buf_printf(&sa, S_SA_PREFIX "%s:%s", sns, name);
        s_binding_key(o, &b, 'U', o->ns, sa.p);
    }
    free(b.p);
    free(sa.p);
    return 0;
}

static int s_parse_binding(s_obj_t *o, const json_t *obj)
{
    const json_t *ref = json_object_get(obj, "roleRef");
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    if (!kind || !name || !*name) return -EINVAL;
    o->ref_kind = s_strdup(kind);
    o->ref_name = s_strdup(name);
    return s_parse_subjects(o, json_object_get(obj, "subjects"));
}

static int s_parse(const json_t *obj, s_obj_t **out)
{
    *out = NULL;
    int kind = s_kind_of(json_string_value(json_object_get(obj, "kind")));
    if (kind < 0) return -EINVAL;
    const json_t *meta = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *ns = s_str(json_string_value(json_object_get(meta, "namespace")));
    bool namespaced = kind == S_ROLE || kind == S_ROLE_BINDING;
    if (!name || !*name || (namespaced && !*ns)) return -EINVAL;
    s_obj_t *o = s_zalloc(sizeof *o);
    o->kind = (s_kind_t)kind;
    o->name = s_strdup(name);
    o->ns = s_strdup(namespaced ? ns : ""); /* a cluster object's namespace is dropped */
    bool role = kind == S_ROLE || kind == S_CLUSTER_ROLE;
    int rc = role ? s_parse_role(o, obj) : s_parse_binding(o, obj);
    if (rc) {
        s_obj_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ---- adding and removing ---- */

static void s_link(gw_rbac_t *self, s_obj_t *o)
{
    s_map_add(&self->objs, s_obj_key(self, o->kind, o->ns, o->name), o);
    if (o->kind == S_CLUSTER_ROLE) {
        o->cr_index = self->cluster_roles.n;
        s_vec_push(&self->cluster_roles, o);
        self->cr_gen++;
    }
    for (int i = 0; i < o->keys_n; i++) {
        s_vec_t *v = s_map_get(&self->subjects, o->keys[i]);
        if (!v) {
            v = s_zalloc(sizeof *v);
            s_map_add(&self->subjects, o->keys[i], v);
        }
        s_vec_push(v, o);
    }
}

static void s_unlink(gw_rbac_t *self, s_obj_t *o)
{
    s_map_take(&self->objs, s_obj_key(self, o->kind, o->ns, o->name));
    if (o->kind == S_CLUSTER_ROLE) {
        s_vec_t *crs = &self->cluster_roles;
        s_obj_t *last = crs->v[--crs->n];
        crs->v[o->cr_index] = last;
        last->cr_index = o->cr_index;
        self->cr_gen++;
    }
    for (int i = 0; i < o->keys_n; i++) {
        s_vec_t *v = s_map_get(&self->subjects, o->keys[i]);
        if (!v) continue;
        s_vec_del(v, o);
        if (v->n) continue;
        s_map_take(&self->subjects, o->keys[i]);
        free(v->v);
        free(v);
    }
}

int gw_rbac_put(gw_rbac_t *self, const json_t *obj)
{
    s_obj_t *o;
    int rc = s_parse(obj, &o);
    if (rc) return rc;
    s_obj_t *old = s_map_get(&self->objs, s_obj_key(self, o->kind, o->ns, o->name));
    if (!old && self->objs.n >= GW_RBAC_OBJECTS_MAX) {
        s_obj_free(o);
        return -ENOSPC;
    }
    if (old) {
        s_unlink(self, old);
        s_obj_free(old);
    }
    s_link(self, o);
    return 0;
}

int gw_rbac_remove(gw_rbac_t *self, const char *kind, const char *ns, const char *name)
{
    int k = s_kind_of(kind);
    if (k < 0) return -EINVAL;
    if (k == S_CLUSTER_ROLE || k == S_CLUSTER_ROLE_BINDING) ns = "";
    s_obj_t *o = s_map_get(&self->objs, s_obj_key(self, (s_kind_t)k, s_str(ns), s_str(name)));
    if (!o) return -ENOENT;
    s_unlink(self, o);
    s_obj_free(o);
    return 0;
}

/* ---- aggregation ---- */

static bool s_in_values(const json_t *vals, const char *v)
{
    size_t i;
    const json_t *s;
    json_array_foreach(vals, i, s)
    {
        if (strcmp(json_string_value(s), v) == 0) return true;
    }
    return false;
}

/* labels.Selector semantics; an empty selector selects everything. */
static bool s_selector_matches(const json_t *sel, const json_t *labels)
{
    json_t *ml = json_object_get(sel, "matchLabels");
    const json_t *me = json_object_get(sel, "matchExpressions"), *e, *v;
    const char *k;
    size_t i;
    json_object_foreach(ml, k, v)
    {
        const char *have = json_string_value(json_object_get(labels, k));
        if (!have || strcmp(have, json_string_value(v)) != 0) return false;
    }
    json_array_foreach(me, i, e)
    {
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *op = json_string_value(json_object_get(e, "operator"));
        const char *have = json_string_value(json_object_get(labels, key));
        const json_t *vals = json_object_get(e, "values");
        bool ok = strcmp(op, "In") == 0       ? have && s_in_values(vals, have)
                  : strcmp(op, "NotIn") == 0  ? !have || !s_in_values(vals, have)
                  : strcmp(op, "Exists") == 0 ? have != NULL
                                              : have == NULL;
        if (!ok) return false;
    }
    return true;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp((*(s_obj_t *const *)a)->name, (*(s_obj_t *const *)b)->name);
}

/* Appends the ClusterRoles cur selects not yet met in this walk: selector by selector, each
 * selector's by name, as the controller lists them. */
static void s_agg_select(gw_rbac_t *self, const s_obj_t *cur, s_vec_t *found)
{
    size_t i;
    const json_t *sel;
    json_array_foreach(cur->selectors, i, sel)
    {
        int start = found->n;
        for (int j = 0; j < self->cluster_roles.n; j++) {
            s_obj_t *cr = self->cluster_roles.v[j];
            if (cr->mark == self->walk || !s_selector_matches(sel, cr->labels)) continue;
            cr->mark = self->walk;
            s_vec_push(found, cr);
        }
        if (found->n - start > 1)
            qsort(found->v + start, (size_t)(found->n - start), sizeof *found->v, s_by_name);
    }
}

/* The controller replaces an aggregated role's rules with those of the roles it selects (never
 * itself), and re-runs whenever any ClusterRole changes, so chains settle to the rules of every
 * non-aggregated role reachable through selections: a depth-first walk, cycles cut by marks. */
static void s_agg_refresh(gw_rbac_t *self, s_obj_t *role)
{
    if (role->leaves_gen == self->cr_gen) return;
    role->leaves_gen = self->cr_gen;
    role->leaves.n = 0;
    self->walk++;
    role->mark = self->walk;
    s_vec_t todo = {0}, found = {0};
    s_vec_push(&todo, role);
    while (todo.n) {
        s_obj_t *cur = todo.v[--todo.n];
        if (!cur->selectors) {
            s_vec_push(&role->leaves, cur);
            continue;
        }
        found.n = 0;
        s_agg_select(self, cur, &found);
        for (int i = found.n - 1; i >= 0; i--) s_vec_push(&todo, found.v[i]);
    }
    free(todo.v);
    free(found.v);
}

/* ---- deciding ---- */

static bool s_list_has(const s_list_t *l, const char *s, bool star)
{
    for (int i = 0; i < l->n; i++)
        if ((star && strcmp(l->v[i], "*") == 0) || strcmp(l->v[i], s) == 0) return true;
    return false;
}

/* ResourceMatches: "*", the exact "resource[/subresource]", or star-slash-subresource. The
 * other way round (a resource, a slash, a star) is no wildcard upstream: it matches only a
 * request for that literal string, which never comes. */
static bool s_resource_matches(const s_list_t *l, const char *combined, const char *sub)
{
    size_t sub_len = strlen(sub);
    for (int i = 0; i < l->n; i++) {
        const char *r = l->v[i];
        if (strcmp(r, "*") == 0 || strcmp(r, combined) == 0) return true;
        if (sub_len && strlen(r) == sub_len + 2 && strncmp(r, "*/", 2) == 0 &&
            strcmp(r + 2, sub) == 0)
            return true;
    }
    return false;
}

/* NonResourceURLMatches: "*", exact, or a rule ending in '*' (all trailing '*' trimmed) as a
 * prefix. */
static bool s_url_matches(const s_list_t *l, const char *path)
{
    for (int i = 0; i < l->n; i++) {
        const char *u = l->v[i];
        size_t n = strlen(u);
        if (strcmp(u, "*") == 0 || strcmp(u, path) == 0) return true;
        if (!n || u[n - 1] != '*') continue;
        while (n && u[n - 1] == '*') n--;
        if (strncmp(path, u, n) == 0) return true;
    }
    return false;
}

/* RuleAllows. resourceNames restricts to named requests: a list or create (no name) never
 * matches a rule that has resourceNames. */
static bool s_rule_allows(const s_rule_t *r, const gw_rbac_request_t *req, const char *combined)
{
    if (!s_list_has(&r->verbs, s_str(req->verb), true)) return false;
    if (!req->resource_request) return s_url_matches(&r->urls, s_str(req->path));
    return s_list_has(&r->groups, s_str(req->api_group), true) &&
           s_resource_matches(&r->resources, combined, s_str(req->subresource)) &&
           (r->names.n == 0 || s_list_has(&r->names, s_str(req->name), false));
}

static bool s_role_allows(gw_rbac_t *self, const s_obj_t *role, const gw_rbac_request_t *req)
{
    for (int i = 0; i < role->rules_n; i++)
        if (s_rule_allows(&role->rules[i], req, self->combined.p)) return true;
    return false;
}

static void s_error(gw_rbac_t *self, const char *fmt, const char *arg);

/* GetRoleReferenceRules' role for one binding; NULL (an error noted) when it names none. */
static s_obj_t *s_binding_role(gw_rbac_t *self, const s_obj_t *b)
{
    s_obj_t *role = NULL;
    if (strcmp(b->ref_kind, "Role") == 0) {
        role = s_map_get(&self->objs, s_obj_key(self, S_ROLE, b->ns, b->ref_name));
        if (!role) s_error(self, "role.rbac.authorization.k8s.io %s not found", b->ref_name);
    } else if (strcmp(b->ref_kind, "ClusterRole") == 0) {
        role = s_map_get(&self->objs, s_obj_key(self, S_CLUSTER_ROLE, "", b->ref_name));
        if (!role) s_error(self, "clusterrole.rbac.authorization.k8s.io %s not found", b->ref_name);
    } else {
        s_error(self, "unsupported role reference kind: %s", b->ref_kind);
    }
    return role;
}

/* The binding's rules against the request. */
static bool s_binding_allows(gw_rbac_t *self, const s_obj_t *b, const gw_rbac_request_t *req)
{
    s_obj_t *role = s_binding_role(self, b);
    if (!role) return false;
    if (!role->selectors) return s_role_allows(self, role, req);
    s_agg_refresh(self, role);
    for (int i = 0; i < role->leaves.n; i++)
        if (s_role_allows(self, role->leaves.v[i], req)) return true;
    return false;
}

static bool s_key_allows(gw_rbac_t *self, const gw_rbac_request_t *req, const char *scope,
                         char type, const char *name)
{
    s_subject_key(&self->key, type, scope, name);
    s_vec_t *v = s_map_get(&self->subjects, self->key.p);
    for (int i = 0; v && i < v->n; i++) {
        s_obj_t *b = v->v[i];
        if (b->seen == self->epoch) continue; /* named the user and a group: once is enough */
        b->seen = self->epoch;
        if (s_binding_allows(self, b, req)) return true;
    }
    return false;
}

static bool s_scope_allows(gw_rbac_t *self, const gw_rbac_request_t *req, const char *scope)
{
    if (s_key_allows(self, req, scope, 'U', s_str(req->user))) return true;
    for (int i = 0; i < req->groups_n; i++)
        if (req->groups[i] && s_key_allows(self, req, scope, 'G', req->groups[i])) return true;
    return false;
}

/* utilerrors.NewAggregate(...).Error(): one distinct message bare, several as "[a, b]". */
static void s_reason(gw_rbac_t *self)
{
    s_buf_reset(&self->reason);
    if (!self->errors.n) return;
    s_buf_puts(&self->reason, "RBAC: ");
    if (self->errors.n > 1) s_buf_puts(&self->reason, "[");
    for (int i = 0; i < self->errors.n; i++) {
        if (i) s_buf_puts(&self->reason, ", ");
        s_buf_puts(&self->reason, self->errors.v[i]);
    }
    if (self->errors.n > 1) s_buf_puts(&self->reason, "]");
}

/* ClusterRoleBindings first, then (for a namespaced request) the namespace's RoleBindings, as
 * VisitRulesFor; stops at the first rule that allows. */
bool gw_rbac_allowed(gw_rbac_t *self, const gw_rbac_request_t *req, const char **reason)
{
    self->epoch++;
    s_errors_clear(self);
    s_buf_reset(&self->combined);
    if (req->resource_request) {
        s_buf_puts(&self->combined, s_str(req->resource));
        if (*s_str(req->subresource)) {
            s_buf_puts(&self->combined, "/");
            s_buf_puts(&self->combined, req->subresource);
        }
    }
    const char *ns = s_str(req->namespace_);
    bool ok = s_scope_allows(self, req, "") || (*ns && s_scope_allows(self, req, ns));
    if (ok) s_errors_clear(self);
    s_reason(self);
    if (reason) *reason = self->reason.p;
    return ok;
}

bool gw_rbac_is_privileged(const gw_rbac_request_t *req)
{
    for (int i = 0; i < req->groups_n; i++)
        if (req->groups[i] && strcmp(req->groups[i], "system:masters") == 0) return true;
    return false;
}

/* ---- texts: Go's %q, the Forbidden message ---- */

/* fmt's %q of a string (strconv.Quote). */
static void s_buf_quote(s_buf_t *b, const char *s)
{
    char *q = kube_quote(s);
    s_buf_puts(b, q);
    free(q);
}

/* fmt with %q for arg; fmt has exactly one %s. */
static void s_error(gw_rbac_t *self, const char *fmt, const char *arg)
{
    s_buf_t b = {0};
    const char *at = strstr(fmt, "%s");
    s_buf_add(&b, fmt, (size_t)(at - fmt));
    s_buf_quote(&b, arg);
    s_buf_puts(&b, at + 2);
    for (int i = 0; i < self->errors.n; i++) {
        if (strcmp(self->errors.v[i], b.p) != 0) continue;
        free(b.p);
        return;
    }
    if (self->errors.n >= S_ERRORS_MAX) {
        free(b.p);
        return;
    }
    s_vec_push(&self->errors, b.p);
}

/* forbiddenMessage, then responsewriters' sanitizer (&, <, > as HTML entities). */
static void s_forbidden_inner(const gw_rbac_request_t *req, s_buf_t *out)
{
    s_buf_t m = {0};
    s_buf_puts(&m, "User ");
    s_buf_quote(&m, s_str(req->user));
    s_buf_printf(&m, " cannot %s ", s_str(req->verb));
    if (!req->resource_request) {
        s_buf_puts(&m, "path ");
        s_buf_quote(&m, s_str(req->path));
    } else {
        s_buf_t res = {0};
        s_buf_puts(&res, s_str(req->resource));
        if (*s_str(req->subresource)) s_buf_printf(&res, "/%s", req->subresource);
        s_buf_puts(&m, "resource ");
        s_buf_quote(&m, res.p);
        s_buf_puts(&m, " in API group ");
        s_buf_quote(&m, s_str(req->api_group));
        free(res.p);
        if (*s_str(req->namespace_)) {
            s_buf_puts(&m, " in the namespace ");
            s_buf_quote(&m, req->namespace_);
        } else {
            s_buf_puts(&m, " at the cluster scope");
        }
    }
    for (const char *c = m.p; *c; c++) {
        if (*c == '&')
            s_buf_puts(out, "&amp;");
        else if (*c == '<')
            s_buf_puts(out, "&lt;");
        else if (*c == '>')
            s_buf_puts(out, "&gt;");
        else
            s_buf_add(out, c, 1);
    }
    free(m.p);
}

/* apierrors.NewForbidden(GroupResource{group, resource}, name, errors.New(msg)). */
void gw_rbac_forbidden_message_reason(const gw_rbac_request_t *req, const char *reason, char *out,
                                      size_t outlen)
{
    s_buf_t b = {0};
    s_buf_reset(&b);
    const char *group = req->resource_request ? s_str(req->api_group) : "";
    const char *resource = req->resource_request ? s_str(req->resource) : "";
    const char *name = req->resource_request ? s_str(req->name) : "";
    if (!*group && !*resource) {
        s_buf_puts(&b, "forbidden: ");
    } else {
        s_buf_puts(&b, resource);
        if (*group) s_buf_printf(&b, ".%s", group);
        if (*name) {
            s_buf_puts(&b, " ");
            s_buf_quote(&b, name);
        }
        s_buf_puts(&b, " is forbidden: ");
    }
    s_forbidden_inner(req, &b);
    if (reason && *reason) s_buf_printf(&b, ": %s", reason);
    if (outlen) snprintf(out, outlen, "%s", b.p);
    free(b.p);
}

void gw_rbac_forbidden_message(const gw_rbac_request_t *req, char *out, size_t outlen)
{
    gw_rbac_forbidden_message_reason(req, NULL, out, outlen);
}

/* ---- rules back to JSON ---- */

static json_t *s_list_json(const s_list_t *l)
{
    json_t *a = json_array();
    if (!a) abort();
    for (int i = 0; i < l->n; i++) json_array_append_new(a, json_string(l->v[i]));
    return a;
}

/* A PolicyRule in v1's field order; verbs always, the rest when not empty (omitempty). */
static json_t *s_rule_json(const s_rule_t *r)
{
    json_t *o = json_object();
    if (!o) abort();
    json_object_set_new(o, "verbs", s_list_json(&r->verbs));
    if (r->groups.n) json_object_set_new(o, "apiGroups", s_list_json(&r->groups));
    if (r->resources.n) json_object_set_new(o, "resources", s_list_json(&r->resources));
    if (r->names.n) json_object_set_new(o, "resourceNames", s_list_json(&r->names));
    if (r->urls.n) json_object_set_new(o, "nonResourceURLs", s_list_json(&r->urls));
    return o;
}

json_t *gw_rbac_aggregated_rules(gw_rbac_t *self, const char *name)
{
    s_obj_t *role = s_map_get(&self->objs, s_obj_key(self, S_CLUSTER_ROLE, "", s_str(name)));
    if (!role || !role->selectors) return NULL;
    s_agg_refresh(self, role);
    json_t *rules = json_array();
    if (!rules) abort();
    for (int i = 0; i < role->leaves.n; i++) {
        const s_obj_t *leaf = role->leaves.v[i];
        for (int j = 0; j < leaf->rules_n; j++) {
            json_t *r = s_rule_json(&leaf->rules[j]);
            bool dup = false;
            size_t k;
            json_t *have;
            json_array_foreach(rules, k, have)
            {
                dup = dup || json_equal(have, r);
            }
            if (dup)
                json_decref(r);
            else
                json_array_append_new(rules, r);
        }
    }
    return rules;
}

/* One role's rules as the authorizer's RulesFor shows them: a rule with resources as a
 * ResourceRule, one with URLs as a NonResourceRule. */
static void s_role_rules(const s_obj_t *role, json_t *res, json_t *nonres)
{
    for (int i = 0; i < role->rules_n; i++) {
        const s_rule_t *r = &role->rules[i];
        if (r->resources.n) {
            json_t *o = json_object();
            if (!o) abort();
            json_object_set_new(o, "verbs", s_list_json(&r->verbs));
            if (r->groups.n) json_object_set_new(o, "apiGroups", s_list_json(&r->groups));
            json_object_set_new(o, "resources", s_list_json(&r->resources));
            if (r->names.n) json_object_set_new(o, "resourceNames", s_list_json(&r->names));
            json_array_append_new(res, o);
        }
        if (r->urls.n)
            json_array_append_new(nonres, json_pack("{s:o, s:o}", "verbs", s_list_json(&r->verbs),
                                                    "nonResourceURLs", s_list_json(&r->urls)));
    }
}

static void s_key_rules(gw_rbac_t *self, const char *scope, char type, const char *name,
                        json_t *res, json_t *nonres)
{
    s_subject_key(&self->key, type, scope, name);
    s_vec_t *v = s_map_get(&self->subjects, self->key.p);
    for (int i = 0; v && i < v->n; i++) {
        s_obj_t *b = v->v[i];
        if (b->seen == self->epoch) continue;
        b->seen = self->epoch;
        s_obj_t *role = s_binding_role(self, b);
        if (!role) continue;
        if (!role->selectors) {
            s_role_rules(role, res, nonres);
            continue;
        }
        s_agg_refresh(self, role);
        for (int j = 0; j < role->leaves.n; j++) s_role_rules(role->leaves.v[j], res, nonres);
    }
}

json_t *gw_rbac_rules(gw_rbac_t *self, const gw_rbac_request_t *who, const char *ns)
{
    self->epoch++;
    s_errors_clear(self);
    json_t *res = json_array(), *nonres = json_array();
    if (!res || !nonres) abort();
    const char *scopes[2] = {"", s_str(ns)};
    for (int sc = 0; sc < (*scopes[1] ? 2 : 1); sc++) {
        s_key_rules(self, scopes[sc], 'U', s_str(who->user), res, nonres);
        for (int i = 0; i < who->groups_n; i++)
            if (who->groups[i]) s_key_rules(self, scopes[sc], 'G', who->groups[i], res, nonres);
    }
    json_t *out = json_pack("{s:o, s:o, s:b}", "resourceRules", res, "nonResourceRules", nonres,
                            "incomplete", false);
    if (self->errors.n) {
        s_reason(self);
        json_object_set_new(out, "evaluationError", json_string(self->reason.p + 6)); /* "RBAC: " */
    }
    s_errors_clear(self);
    return out;
}
