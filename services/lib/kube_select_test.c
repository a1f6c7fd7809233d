/* kube_select selftest: the canonical text of parsed selectors, upstream's exact error texts (the
 * ones quoted from Kubernetes' own tests and kubectl sessions included), matching, limits. */
#include "kube_select.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_QNAME_MSG                                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "      \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define S_VALUE_MSG                                                                             \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or " \
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "          \
    "'my_value',  or '12345', regex used for validation is "                                    \
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static void s_streq(const char *got, const char *want)
{
    if (strcmp(got, want)) {
        fprintf(stderr, "got:  %s\nwant: %s\n", got, want);
        assert(!"string mismatch");
    }
}

/* text parses, and prints as canon. */
static void s_canon(const char *text, const char *canon)
{
    char err[256] = "";
    kube_labels_t *sel = kube_labels_parse(text, err, sizeof err);
    if (!sel) fprintf(stderr, "%s: %s\n", text, err);
    assert(sel);
    char *s = kube_labels_string(sel);
    s_streq(s, canon);
    free(s);
    /* The canonical text parses to itself. */
    kube_labels_t *again = kube_labels_parse(canon, NULL, 0);
    assert(again);
    s = kube_labels_string(again);
    s_streq(s, canon);
    free(s);
    kube_labels_destroy(&again);
    kube_labels_destroy(&sel);
    assert(!sel);
}

static void s_fails(const char *text, const char *want)
{
    char err[4096] = "";
    kube_labels_t *sel = kube_labels_parse(text, err, sizeof err);
    assert(!sel);
    s_streq(err, want);
}

static void s_test_parse(void)
{
    s_canon("", "");
    s_canon("x=a", "x=a");
    s_canon("x==a", "x==a");
    s_canon("x!=a", "x!=a");
    s_canon("x in (b,a)", "x in (a,b)");
    s_canon("x notin (a)", "x notin (a)");
    s_canon("x", "x");
    s_canon("!x", "!x");
    s_canon("x>5", "x>5");
    s_canon("x<5", "x<5");
}

static void s_test_parse_more(void)
{
    s_canon(" x = a ,\ty in ( b , a )\n", "x=a,y in (a,b)");
    s_canon("z=1,a=2,m", "a=2,m,z=1");
    s_canon("a=b,a!=c", "a=b,a!=c");
    s_canon("x in (in)", "x in (in)");
    s_canon("in in (notin)", "in in (notin)");
    s_canon("x in ()", "x in ()");
    s_canon("x in (a,)", "x in (,a)");
    s_canon("x in (,a)", "x in (,a)");
    s_canon("x in (a,,b)", "x in (,a,b)");
    s_canon("x in (a,a)", "x in (a)");
    s_canon("x=", "x=");
    s_canon("x=,y", "x=,y");
    s_canon("example.com/app=web,!example.com/gone", "example.com/app=web,!example.com/gone");
    s_canon("a>10,b<0", "a>10,b<0");
}

static void s_test_parse_errors(void)
{
    s_fails("x=a b", "found 'b', expected: ',' or 'end of string'");
    s_fails("a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
    s_fails(",", "found ',', expected: !, identifier, or 'end of string'");
    s_fails("a,", "found '', expected: identifier after ','");
    s_fails("a,=", "found '=', expected: identifier after ','");
    s_fails("!", "unable to parse requirement: found '', expected: identifier");
    s_fails("!a=b", "found '=', expected: ',' or 'end of string'");
    s_fails("x in a", "unable to parse requirement: found 'a' expected: '('");
    s_fails("x in", "unable to parse requirement: found '' expected: '('");
    s_fails("x in (a", "unable to parse requirement: found '', expected: ',' or ')'");
    s_fails("x in (=", "unable to parse requirement: found '=', expected: ',', ')' or identifier");
    s_fails("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier");
    s_fails("x==(", "unable to parse requirement: found '(', expected: identifier");
    s_fails("x<=1", "unable to parse requirement: found '=', expected: identifier");
    s_fails("x!==a", "unable to parse requirement: found '=', expected: identifier");
    s_fails("app:monolith", "unable to parse requirement: <nil>: Invalid value: \"app:monolith\": "
                            "name part " S_QNAME_MSG);
    s_fails("a/b/c ?=? def",
            "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified "
            "name " S_QNAME_MSG
            " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    s_fails("app.kubernetes_io/name=x",
            "unable to parse requirement: <nil>: Invalid value: \"app.kubernetes_io/name\": prefix "
            "part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    s_fails("/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be "
                  "non-empty");
    s_fails("a/", "unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be "
                  "non-empty; name part " S_QNAME_MSG);
    s_fails("a=-x",
            "unable to parse requirement: values[0][a]: Invalid value: \"-x\": " S_VALUE_MSG);
    s_fails("a in (-y,-x)",
            "unable to parse requirement: [values[0][a]: Invalid value: \"-x\": " S_VALUE_MSG
            ", values[1][a]: Invalid value: \"-y\": " S_VALUE_MSG "]");
    s_fails("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' "
                   "operators, the value must be an integer");
    s_fails("a>99999999999999999999", "unable to parse requirement: values[0]: Invalid value: "
                                      "\"99999999999999999999\": for 'Gt', 'Lt' operators, the "
                                      "value must be an integer");
    s_fails("a<-1",
            "unable to parse requirement: values[0][a]: Invalid value: \"-1\": " S_VALUE_MSG);
}

static void s_test_parse_limits(void)
{
    char text[KUBE_SELECT_TEXT_MAX + 2], err[2 * KUBE_SELECT_TEXT_MAX];
    size_t len = 0;
    for (int i = 0; i < KUBE_SELECT_TERMS_MAX; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%sk%d", i ? "," : "", i);
    kube_labels_t *sel = kube_labels_parse(text, err, sizeof err);
    assert(sel);
    kube_labels_destroy(&sel);
    snprintf(text + len, sizeof text - len, ",k64");
    s_fails(text, "label selector has more than 64 requirements");
    /* A value of 63 characters is the longest; 64 fails both value rules at once. */
    memset(text, 'v', sizeof text);
    memcpy(text, "a=", 2);
    text[2 + 63] = '\0';
    sel = kube_labels_parse(text, err, sizeof err);
    assert(sel);
    kube_labels_destroy(&sel);
    text[2 + 63] = '-';
    text[2 + 64] = '\0';
    assert(!kube_labels_parse(text, err, sizeof err));
    assert(strstr(err, "\": must be no more than 63 characters; a valid label must be"));
    memset(text, 'a', sizeof text);
    text[KUBE_SELECT_TEXT_MAX] = '\0';
    sel = kube_labels_parse(text, err, sizeof err);
    assert(!sel); /* a 8192-byte key is too long a name, but is parsed */
    assert(strstr(err, "name part must be no more than 63 characters"));
    text[KUBE_SELECT_TEXT_MAX] = 'a';
    text[KUBE_SELECT_TEXT_MAX + 1] = '\0';
    s_fails(text, "label selector is longer than 8192 bytes");
    /* A small error buffer truncates; a NULL one is allowed. */
    assert(!kube_labels_parse("a b", err, 8) && !strcmp(err, "unable "));
    assert(!kube_labels_parse("a b", NULL, 0));
}

static bool s_match(const char *selector, const char *labels_json)
{
    json_error_t jerr;
    json_t *labels = labels_json ? json_loads(labels_json, 0, &jerr) : NULL;
    kube_labels_t *sel = kube_labels_parse(selector, NULL, 0);
    assert(sel && (labels || !labels_json));
    bool m = kube_labels_match(sel, labels);
    kube_labels_destroy(&sel);
    json_decref(labels);
    return m;
}

static void s_test_match(void)
{
    const char *l = "{\"app\":\"web\",\"tier\":\"fe\",\"n\":\"7\",\"odd\":7}";
    assert(s_match("", l) && s_match("", NULL) && s_match("", "[]"));
    assert(s_match("app=web", l) && s_match("app==web", l) && !s_match("app=db", l));
    assert(!s_match("app!=web", l) && s_match("app!=db", l) && s_match("missing!=x", l));
    assert(s_match("app in (db,web)", l) && !s_match("app in (db)", l));
    assert(!s_match("app notin (web)", l) && s_match("missing notin (x)", l));
    assert(s_match("app", l) && !s_match("!app", l) && s_match("!missing", l));
    assert(!s_match("missing", l) && !s_match("missing in (x)", l));
    assert(s_match("n>5", l) && !s_match("n>7", l) && s_match("n<8", l) && !s_match("n<7", l));
    assert(!s_match("app>1", l) && !s_match("missing>1", l) && !s_match("missing<1", l));
    assert(s_match("app=web,tier=fe", l) && !s_match("app=web,tier=be", l));
    assert(!s_match("odd", l) && s_match("!odd", l)); /* not a string: absent */
    assert(s_match("!a", NULL) && !s_match("a", NULL) && s_match("a!=b", NULL));
    assert(s_match("x in ()", "{\"x\":\"\"}") && !s_match("x=", "{}"));
}

static kube_labels_t *s_from(const char *json, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &jerr);
    assert(j);
    kube_labels_t *sel = kube_labels_from_selector(j, err, errlen);
    json_decref(j);
    return sel;
}

static void s_from_canon(const char *json, const char *canon)
{
    char err[512] = "";
    kube_labels_t *sel = s_from(json, err, sizeof err);
    if (!sel) fprintf(stderr, "%s: %s\n", json, err);
    assert(sel);
    char *s = kube_labels_string(sel);
    s_streq(s, canon);
    free(s);
    kube_labels_destroy(&sel);
}

static void s_from_fails(const char *json, const char *want)
{
    char err[2048] = "";
    assert(!s_from(json, err, sizeof err));
    s_streq(err, want);
}

static void s_test_from_selector(void)
{
    kube_labels_t *sel = kube_labels_from_selector(NULL, NULL, 0);
    assert(sel && !kube_labels_empty(sel) && !kube_labels_match(sel, NULL));
    char *s = kube_labels_string(sel);
    s_streq(s, "");
    free(s);
    kube_labels_destroy(&sel);
    sel = s_from("null", NULL, 0);
    assert(sel && !kube_labels_empty(sel) && !kube_labels_match(sel, NULL));
    kube_labels_destroy(&sel);
    sel = s_from("{}", NULL, 0);
    assert(sel && kube_labels_empty(sel) && kube_labels_match(sel, NULL));
    kube_labels_destroy(&sel);
    sel = kube_labels_parse("a", NULL, 0);
    assert(!kube_labels_empty(sel));
    kube_labels_destroy(&sel);
    s_from_canon("{\"matchLabels\":{},\"matchExpressions\":[]}", "");
    s_from_canon("{\"matchLabels\":{\"z\":\"1\",\"a\":\"2\"}}", "a=2,z=1");
    s_from_canon("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
                 "{\"key\":\"t\",\"operator\":\"In\",\"values\":[\"b\",\"a\"]},"
                 "{\"key\":\"u\",\"operator\":\"NotIn\",\"values\":[\"x\"]},"
                 "{\"key\":\"e\",\"operator\":\"Exists\"},"
                 "{\"key\":\"d\",\"operator\":\"DoesNotExist\",\"values\":null}]}",
                 "app=web,!d,e,t in (a,b),u notin (x)");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"In\",\"values\":[]}]}",
                 "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
                 "can't be empty");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"NotIn\"}]}",
                 "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
                 "can't be empty");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Exists\","
                 "\"values\":[\"a\",\"b\"]}]}",
                 "values: Invalid value: []string{\"a\", \"b\"}: values set must be empty for "
                 "exists and does not exist");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"name\",\"operator\":\"Seriously\"}]}",
                 "\"Seriously\" is not a valid label selector operator");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"name\"}]}",
                 "\"\" is not a valid label selector operator");
    s_from_fails("{\"matchLabels\":{\"A_\":\"x\"}}",
                 "key: Invalid value: \"A_\": name part " S_QNAME_MSG);
    s_from_fails("{\"matchLabels\":{\"app\":\"a b\"}}",
                 "values[0][app]: Invalid value: \"a b\": " S_VALUE_MSG);
    s_from_fails("{\"matchLabels\":{\"a\":1}}", "matchLabels: value of a is not a string");
    s_from_fails("{\"matchLabels\":[]}",
                 "label selector: matchLabels must be an object, matchExpressions an array");
    s_from_fails("[]", "label selector: matchLabels must be an object, matchExpressions an array");
    s_from_fails("{\"matchExpressions\":[1]}", "matchExpressions: each item must be an object");
    s_from_fails("{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":\"a\"}]}",
                 "matchExpressions: values must be an array");
}

static void s_test_from_limits(void)
{
    json_t *sel = json_object(), *exprs = json_array();
    json_object_set_new(sel, "matchExpressions", exprs);
    for (int i = 0; i < KUBE_SELECT_TERMS_MAX; i++)
        json_array_append_new(exprs, json_pack("{s:s, s:s}", "key", "k", "operator", "Exists"));
    char err[128];
    kube_labels_t *l = kube_labels_from_selector(sel, err, sizeof err);
    assert(l);
    kube_labels_destroy(&l);
    json_array_append_new(exprs, json_pack("{s:s, s:s}", "key", "k", "operator", "Exists"));
    assert(!kube_labels_from_selector(sel, err, sizeof err));
    s_streq(err, "label selector has more than 64 requirements");
    json_array_clear(exprs);
    json_t *vals = json_array();
    for (int i = 0; i < 1000; i++) json_array_append_new(vals, json_string("abcdefghi"));
    json_array_append_new(
        exprs, json_pack("{s:s, s:s, s:o}", "key", "k", "operator", "In", "values", vals));
    assert(!kube_labels_from_selector(sel, err, sizeof err));
    s_streq(err, "label selector is longer than 8192 bytes");
    json_decref(sel);
}

static const char *s_get(void *arg, const char *key)
{
    const char *const *kv = arg;
    for (size_t i = 0; kv[i]; i += 2)
        if (!strcmp(kv[i], key)) return kv[i + 1];
    return NULL;
}

static kube_fields_t *s_fields(const char *text, const char *canon)
{
    char err[256] = "";
    kube_fields_t *f = kube_fields_parse(text, err, sizeof err);
    if (!f) fprintf(stderr, "%s: %s\n", text, err);
    assert(f);
    char *s = kube_fields_string(f);
    s_streq(s, canon);
    free(s);
    return f;
}

static void s_fields_fails(const char *text, const char *want)
{
    char err[512] = "";
    assert(!kube_fields_parse(text, err, sizeof err));
    s_streq(err, want);
}

static void s_test_fields(void)
{
    const char *obj[] = {"metadata.name", "foo", "status.phase", "Running", NULL};
    kube_fields_t *f = s_fields("", "");
    assert(kube_fields_count(f) == 0 && kube_fields_match(f, s_get, obj));
    kube_fields_destroy(&f);
    assert(!f);
    f = s_fields(NULL, "");
    kube_fields_destroy(&f);
    f = s_fields("metadata.name=foo", "metadata.name=foo");
    assert(kube_fields_count(f) == 1 && kube_fields_op(f, 0) == KUBE_FIELDS_EQ);
    s_streq(kube_fields_key(f, 0), "metadata.name");
    s_streq(kube_fields_value(f, 0), "foo");
    s_streq(kube_fields_equals(f, "metadata.name"), "foo");
    assert(!kube_fields_equals(f, "status.phase"));
    assert(kube_fields_match(f, s_get, obj));
    kube_fields_destroy(&f);
    f = s_fields("b=1,a!=2,a==3", "a!=2,a=3,b=1");
    assert(kube_fields_op(f, 0) == KUBE_FIELDS_NE && kube_fields_op(f, 1) == KUBE_FIELDS_EQ);
    s_streq(kube_fields_equals(f, "a"), "3");
    kube_fields_destroy(&f);
    f = s_fields("a!=x", "a!=x");
    assert(!kube_fields_equals(f, "a"));
    kube_fields_destroy(&f);
    f = s_fields("a=x\\,y\\=z\\\\w", "a=x\\,y\\=z\\\\w");
    s_streq(kube_fields_value(f, 0), "x,y=z\\w");
    kube_fields_destroy(&f);
    f = s_fields("a!b=c,=x,c!=,,", "=x,a!b=c,c!=");
    s_streq(kube_fields_key(f, 1), "a!b");
    s_streq(kube_fields_key(f, 0), "");
    assert(kube_fields_op(f, 2) == KUBE_FIELDS_NE && !strcmp(kube_fields_value(f, 2), ""));
    kube_fields_destroy(&f);
}

static void s_test_fields_match(void)
{
    const char *obj[] = {"metadata.name", "foo", "status.phase", "Running", NULL};
    const struct {
        const char *sel;
        bool match;
    } cases[] = {
        {"metadata.name=foo,status.phase=Running", true},
        {"metadata.name=foo,status.phase!=Running", false},
        {"status.phase!=Pending", true},
        {"spec.nodeName=", true}, /* absent reads as "" */
        {"spec.nodeName!=", false},
        {"spec.nodeName=n1", false},
        {"metadata.name=bar", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kube_fields_t *f = kube_fields_parse(cases[i].sel, NULL, 0);
        assert(f && kube_fields_match(f, s_get, obj) == cases[i].match);
        kube_fields_destroy(&f);
    }
}

static void s_test_fields_errors(void)
{
    s_fields_fails("x", "invalid selector: 'x'; can't understand 'x'");
    s_fields_fails("a=1,x", "invalid selector: 'a=1,x'; can't understand 'x'");
    s_fields_fails("z,y", "invalid selector: 'z,y'; can't understand 'y'");
    s_fields_fails("a!b", "invalid selector: 'a!b'; can't understand 'a!b'");
    s_fields_fails("a=b=c", "invalid field selector: unescaped character in value: 61");
    s_fields_fails("a=,b", "invalid selector: 'a=,b'; can't understand 'b'");
    s_fields_fails("a=x,b=\\,c=\\\\", "invalid field selector: unescaped character in value: 61");
    s_fields_fails("a=b\\", "invalid field selector: invalid escape sequence: \\");
    s_fields_fails("a=\\q", "invalid field selector: invalid escape sequence: \\q");
    s_fields_fails("a=\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9");
    s_fields_fails("a=\\\xff", "invalid field selector: invalid escape sequence: \\\xef\xbf\xbd");
    char text[KUBE_SELECT_TEXT_MAX + 2];
    size_t len = 0;
    for (int i = 0; i < KUBE_SELECT_TERMS_MAX; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%sk%d=v", i ? "," : "", i);
    kube_fields_t *f = kube_fields_parse(text, NULL, 0);
    assert(f && kube_fields_count(f) == KUBE_SELECT_TERMS_MAX);
    kube_fields_destroy(&f);
    snprintf(text + len, sizeof text - len, ",k64=v");
    s_fields_fails(text, "field selector has more than 64 terms");
    memset(text, 'a', sizeof text);
    text[0] = '=';
    text[KUBE_SELECT_TEXT_MAX] = '\0';
    f = kube_fields_parse(text, NULL, 0);
    assert(f);
    kube_fields_destroy(&f);
    text[KUBE_SELECT_TEXT_MAX] = 'a';
    text[KUBE_SELECT_TEXT_MAX + 1] = '\0';
    s_fields_fails(text, "field selector is longer than 8192 bytes");
}

void kube_select_test(bool verbose)
{
    s_test_parse();
    s_test_parse_more();
    s_test_parse_errors();
    s_test_parse_limits();
    s_test_match();
    s_test_from_selector();
    s_test_from_limits();
    s_test_fields();
    s_test_fields_match();
    s_test_fields_errors();
    if (verbose) printf("kube_select: ok\n");
}
