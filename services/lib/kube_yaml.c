/* kube_yaml: YAML -> JSON over libyaml's document loader (see kube_yaml.h). Plain scalars are
 * resolved as YAML 1.1 does for Kubernetes manifests (null, booleans, integers, floats); quoted
 * ones are strings. */
#include "kube_yaml.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

static bool s_is(const char *v, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(v, *words)) return true;
    return false;
}

static json_t *s_number(const char *v, size_t len)
{
    char *end;
    errno = 0;
    if (len > 1 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        long long i = strtoll(v, &end, 16);
        return *end || errno ? NULL : json_integer(i);
    }
    const char *digits = v + (*v == '-' || *v == '+');
    if (*digits && strspn(digits, "0123456789") == strlen(digits)) {
        long long i = strtoll(v, &end, 10);
        if (!errno && !*end) return json_integer(i);
        return NULL; /* too large for an integer: a string, as Go's decoder would refuse it */
    }
    static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
    if (s_is(v, inf) || s_is(v, ninf)) return NULL; /* JSON has no infinity: keep the text */
    if (strpbrk(v, ".eE") && strspn(v, "0123456789.eE+-") == len && strpbrk(v, "0123456789")) {
        double d = strtod(v, &end);
        if (!*end && isfinite(d)) return json_real(d);
    }
    return NULL;
}

static json_t *s_scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return json_stringn(v, len);
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON",  NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no",  "No",
                                     "NO",    "off",   "Off",   "OFF", NULL};
    if (strlen(v) != len) return json_stringn(v, len); /* a NUL inside: only a string holds it */
    if (s_is(v, nulls)) return json_null();
    if (s_is(v, yes)) return json_true();
    if (s_is(v, no)) return json_false();
    json_t *num = s_number(v, len);
    return num ? num : json_stringn(v, len);
}

static json_t *s_node(yaml_document_t *doc, yaml_node_t *n, int depth, char *err, size_t errlen)
{
    if (!n) {
        snprintf(err, errlen, "error converting YAML to JSON: a node is missing");
        return NULL;
    }
    if (depth > KUBE_YAML_DEPTH_MAX) {
        snprintf(err, errlen, "error converting YAML to JSON: nested deeper than %d",
                 KUBE_YAML_DEPTH_MAX);
        return NULL;
    }
    if (n->type == YAML_SCALAR_NODE) return s_scalar(n);
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            json_t *v = s_node(doc, yaml_document_get_node(doc, *it), depth + 1, err, errlen);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) {
            snprintf(err, errlen, "error converting YAML to JSON: a map key is not a string");
            json_decref(o);
            return NULL;
        }
        json_t *v = s_node(doc, yaml_document_get_node(doc, p->value), depth + 1, err, errlen);
        if (!v) {
            json_decref(o);
            return NULL;
        }
        json_object_setn_new(o, (const char *)k->data.scalar.value, k->data.scalar.length, v);
    }
    return o;
}

/* libyaml's loader resolves aliases into shared nodes: refuse them, so a small body cannot
 * become a huge object. */
static bool s_has_alias(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    yaml_parser_t p;
    yaml_event_t ev;
    bool alias = false, done = false;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, data, len);
    while (!done && !alias) {
        if (!yaml_parser_parse(&p, &ev)) break;
        alias = ev.type == YAML_ALIAS_EVENT;
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (alias) snprintf(err, errlen, "error converting YAML to JSON: aliases are not allowed");
    return alias;
}

/* Loads documents into out (an array) until the stream ends or max are read. */
static int s_load(const uint8_t *data, size_t len, json_t *out, size_t max, bool keep_empty,
                  char *err, size_t errlen)
{
    if (s_has_alias(data, len, err, errlen)) return -1;
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, data, len);
    int rc = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&p, &doc)) {
            snprintf(err, errlen, "error converting YAML to JSON: yaml: line %zu: %s",
                     p.problem_mark.line + 1, p.problem ? p.problem : "malformed");
            rc = -1;
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) { /* the end of the stream */
            yaml_document_delete(&doc);
            break;
        }
        json_t *v = s_node(&doc, root, 0, err, errlen);
        yaml_document_delete(&doc);
        if (!v) {
            rc = -1;
            break;
        }
        if (!json_is_null(v) || keep_empty) {
            if (json_array_size(out) == max) {
                json_decref(v);
                snprintf(err, errlen, "more than %zu documents", max);
                rc = -1;
                break;
            }
            json_array_append_new(out, v);
        } else {
            json_decref(v);
        }
    }
    yaml_parser_delete(&p);
    return rc;
}

json_t *kube_yaml_decode(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    json_t *docs = json_array();
    if (s_load(data, len, docs, KUBE_YAML_DOCS_MAX, true, err, errlen)) {
        json_decref(docs);
        return NULL;
    }
    if (json_array_size(docs) > 1) {
        snprintf(err, errlen, "error converting YAML to JSON: more than one document");
        json_decref(docs);
        return NULL;
    }
    json_t *v = json_array_size(docs) ? json_incref(json_array_get(docs, 0)) : json_null();
    json_decref(docs);
    return v;
}

json_t *kube_yaml_decode_all(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    json_t *docs = json_array();
    if (s_load(data, len, docs, KUBE_YAML_DOCS_MAX, false, err, errlen)) {
        json_decref(docs);
        return NULL;
    }
    return docs;
}

static void s_expect(const char *yaml, const char *json)
{
    char err[256];
    json_t *got = kube_yaml_decode((const uint8_t *)yaml, strlen(yaml), err, sizeof err);
    json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
    if (!got || !json_equal(got, want)) {
        char *text = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "kube_yaml: %s -> %s (%s), want %s\n", yaml, text ? text : "NULL", err,
                json);
        abort();
    }
    json_decref(got);
    json_decref(want);
}

void kube_yaml_test(bool verbose)
{
    s_expect("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '1', b: \"2\"}\n",
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
             "\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
    s_expect("a: 1\nb: -2\nc: 1.5\nd: true\ne: no\nf: ~\ng: 0x10\nh: 1e3\ni: 007\nj: abc\n",
             "{\"a\":1,\"b\":-2,\"c\":1.5,\"d\":true,\"e\":false,\"f\":null,\"g\":16,\"h\":1000.0,"
             "\"i\":7,\"j\":\"abc\"}");
    s_expect("l: [1, two, {x: y}]\nbig: 99999999999999999999\ninf: .inf\n",
             "{\"l\":[1,\"two\",{\"x\":\"y\"}],\"big\":\"99999999999999999999\",\"inf\":\".inf\"}");
    s_expect("", "null");
    s_expect("---\nx: 1\n", "{\"x\":1}");
    char err[256];
    const char *bad[] = {"a: [1, 2\n",        "a: &x 1\nb: *x\n", "? [1]\n: 2\n",
                         "x: 1\n---\ny: 2\n", "a: b: c\n",        NULL};
    for (int i = 0; bad[i]; i++)
        assert(!kube_yaml_decode((const uint8_t *)bad[i], strlen(bad[i]), err, sizeof err) &&
               strstr(err, "YAML"));
    char deep[400] = "";
    for (int i = 0; i < KUBE_YAML_DEPTH_MAX + 2; i++) strcat(deep, "[");
    assert(!kube_yaml_decode((const uint8_t *)deep, strlen(deep), err, sizeof err));
    const char *multi = "a: 1\n---\n---\nb: 2\n...\n---\nc: [3]\n";
    json_t *docs = kube_yaml_decode_all((const uint8_t *)multi, strlen(multi), err, sizeof err);
    assert(docs && json_array_size(docs) == 3);
    assert(json_integer_value(json_object_get(json_array_get(docs, 1), "b")) == 2);
    json_decref(docs);
    (void)verbose;
}
