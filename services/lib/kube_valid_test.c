/* kube_valid selftest: exact upstream texts (each string below is what apimachinery v1.32
 * prints), length edges, and every metadata rule. */
#include "kube_valid.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "  \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define S_QNAME_MSG                                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "      \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define S_LABEL_MSG                                                                              \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " \
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "   \
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

static void s_streq(const char *got, const char *want)
{
    if (strcmp(got, want)) {
        fprintf(stderr, "got:  %s\nwant: %s\n", got, want);
        assert(!"string mismatch");
    }
}

static bool s_starts(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static void s_cause(const kube_errs_t *e, size_t i, const char *reason, const char *field,
                    const char *message)
{
    assert(i < kube_errs_count(e));
    s_streq(kube_errs_reason(e, i), reason);
    s_streq(kube_errs_field(e, i), field);
    s_streq(kube_errs_message(e, i), message);
}

static char *s_repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void s_test_quote(void)
{
    const char *cases[][2] = {
        {"", "\"\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\n\t\x01\x7f", "\"\\n\\t\\x01\\x7f\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
        {"\xff"
         "a",
         "\"\\xffa\""},
        {"\xc2\xa0", "\"\\u00a0\""},
        {"\xe2\x80\xa8", "\"\\u2028\""},
        {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""}, /* a surrogate is ill-formed */
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = kube_quote(cases[i][0]);
        s_streq(q, cases[i][1]);
        free(q);
    }
}

static void s_test_errs(void)
{
    kube_errs_t *e = kube_errs_new();
    char *s = kube_errs_summary(e, "Pod", "x");
    s_streq(s, "Pod \"x\" is invalid");
    free(s);
    kube_errs_invalid(e, "metadata.name", "Bad_Name", S_SUBDOMAIN_MSG);
    s = kube_errs_summary(e, "Pod", "Bad_Name");
    s_streq(s, "Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: "
               "\"Bad_Name\": " S_SUBDOMAIN_MSG);
    free(s);
    const char *const supported[] = {"Always", "Never", NULL};
    kube_errs_not_supported(e, "spec.restartPolicy", "Sometimes", supported);
    kube_errs_required(e, "spec.containers", NULL);
    kube_errs_required(e, "metadata.name", "name or generateName is required");
    kube_errs_too_long(e, "metadata.annotations", 262144);
    kube_errs_forbidden(e, "metadata.namespace", "not allowed on this type");
    kube_errs_forbidden(e, "spec.x", "");
    kube_errs_duplicate(e, "spec.ports[1].name", "http");
    kube_errs_invalid_int(e, "metadata.generation", -1, "must be greater than or equal to 0");
    kube_errs_invalid(e, "spec.y", "v", NULL);
    kube_errs_required(e, "spec.containers", NULL); /* a repeat: once in the summary */
    kube_errs_add(e, "FieldValueTypeInvalid", "spec.z", "Invalid value: %d: %s", 3, "odd");
    assert(kube_errs_count(e) == 12);
    s_cause(e, 1, "FieldValueNotSupported", "spec.restartPolicy",
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\"");
    s_cause(e, 2, "FieldValueRequired", "spec.containers", "Required value");
    s_cause(e, 3, "FieldValueRequired", "metadata.name",
            "Required value: name or generateName is required");
    s_cause(e, 4, "FieldValueTooLong", "metadata.annotations",
            "Too long: must have at most 262144 bytes");
    s_cause(e, 5, "FieldValueForbidden", "metadata.namespace",
            "Forbidden: not allowed on this type");
    s_cause(e, 6, "FieldValueForbidden", "spec.x", "Forbidden");
    s_cause(e, 7, "FieldValueDuplicate", "spec.ports[1].name", "Duplicate value: \"http\"");
    s_cause(e, 8, "FieldValueInvalid", "metadata.generation",
            "Invalid value: -1: must be greater than or equal to 0");
    s_cause(e, 9, "FieldValueInvalid", "spec.y", "Invalid value: \"v\"");
    s_cause(e, 11, "FieldValueTypeInvalid", "spec.z", "Invalid value: 3: odd");
    s = kube_errs_summary(e, "Deployment.apps", "d\"1");
    assert(s_starts(s, "Deployment.apps \"d\\\"1\" is invalid: [metadata.name: Invalid value: "));
    const char *tail = ", spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                       "\"Always\", \"Never\", spec.containers: Required value, metadata.name: "
                       "Required value: name or generateName is required, metadata.annotations: "
                       "Too long: must have at most 262144 bytes, metadata.namespace: Forbidden: "
                       "not allowed on this type, spec.x: Forbidden, spec.ports[1].name: Duplicate "
                       "value: \"http\", metadata.generation: Invalid value: -1: must be greater "
                       "than or equal to 0, spec.y: Invalid value: \"v\", spec.z: Invalid value: "
                       "3: odd]";
    assert(strlen(s) > strlen(tail));
    s_streq(s + strlen(s) - strlen(tail), tail);
    free(s);
    kube_errs_destroy(&e);
    assert(!e);
    kube_errs_destroy(&e);
    /* The list is bounded. */
    e = kube_errs_new();
    for (int i = 0; i < KUBE_ERRS_MAX + 10; i++) kube_errs_required(e, "f", NULL);
    assert(kube_errs_count(e) == KUBE_ERRS_MAX);
    s = kube_errs_summary(e, "Pod", "p");
    s_streq(s, "Pod \"p\" is invalid: f: Required value");
    free(s);
    kube_errs_destroy(&e);
}

static void s_msgs(kube_msgs_t m, size_t n, const char *first, const char *second)
{
    if (m.n != n) fprintf(stderr, "got %zu messages, want %zu\n", m.n, n);
    assert(m.n == n);
    if (first) s_streq(m.msg[0], first);
    if (second) s_streq(m.msg[1], second);
}

static void s_test_dns(void)
{
    char *s63 = s_repeat('a', 63), *s64 = s_repeat('a', 64), *s253 = s_repeat('a', 253);
    char *s254 = s_repeat('b', 254);
    s_msgs(kube_is_dns1123_label(s63), 0, NULL, NULL);
    s_msgs(kube_is_dns1123_label(s64), 1, "must be no more than 63 characters", NULL);
    s_msgs(kube_is_dns1123_label("a.b"), 1, "must not contain dots", NULL);
    s_msgs(kube_is_dns1123_label("A"), 1, S_LABEL_MSG, NULL);
    s_msgs(kube_is_dns1123_label(""), 1, S_LABEL_MSG, NULL);
    s_msgs(kube_is_dns1123_label("-a"), 1, S_LABEL_MSG, NULL);
    s_msgs(kube_is_dns1123_label("a-"), 1, S_LABEL_MSG, NULL);
    s_msgs(kube_is_dns1123_label("0-9"), 0, NULL, NULL);
    s64[10] = '.';
    s_msgs(kube_is_dns1123_label(s64), 2, "must be no more than 63 characters",
           "must not contain dots");
    for (size_t i = 1; i < 253; i += 2) s253[i] = '.';
    s_msgs(kube_is_dns1123_subdomain(s253), 0, NULL, NULL);
    s_msgs(kube_is_dns1123_subdomain(s254), 1, "must be no more than 253 characters", NULL);
    s254[0] = 'B';
    s_msgs(kube_is_dns1123_subdomain(s254), 2, "must be no more than 253 characters",
           S_SUBDOMAIN_MSG);
    const char *bad[] = {"", ".", "a.", ".a", "a..b", "a.-b", "a_b", "A.b", "a.b-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_msgs(kube_is_dns1123_subdomain(bad[i]), 1, S_SUBDOMAIN_MSG, NULL);
    s_msgs(kube_is_dns1123_subdomain("a-1.b-2.c"), 0, NULL, NULL);
    s_msgs(kube_is_dns1035_label("abc-123"), 0, NULL, NULL);
    s_msgs(kube_is_dns1035_label("1abc"), 1,
           "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
           "with an alphabetic character, and end with an alphanumeric character (e.g. "
           "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
           NULL);
    s63[0] = 'z';
    s_msgs(kube_is_dns1035_label(s63), 0, NULL, NULL);
    free(s63);
    free(s64);
    free(s253);
    free(s254);
}

static void s_test_qualified(void)
{
    char *n63 = s_repeat('N', 63), *n64 = s_repeat('N', 64), *p253 = s_repeat('p', 253);
    char *buf = malloc(400);
    assert(buf);
    s_msgs(kube_is_qualified_name("example.com/MyName"), 0, NULL, NULL);
    s_msgs(kube_is_qualified_name("a_b.c-D"), 0, NULL, NULL);
    s_msgs(kube_is_qualified_name(n63), 0, NULL, NULL);
    s_msgs(kube_is_qualified_name(n64), 1, "name part must be no more than 63 characters", NULL);
    s_msgs(kube_is_qualified_name("a/b/c"), 1,
           "a qualified name " S_QNAME_MSG
           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
           NULL);
    s_msgs(kube_is_qualified_name("/a"), 1, "prefix part must be non-empty", NULL);
    s_msgs(kube_is_qualified_name("a/"), 2, "name part must be non-empty",
           "name part " S_QNAME_MSG);
    s_msgs(kube_is_qualified_name(""), 2, "name part must be non-empty", "name part " S_QNAME_MSG);
    s_msgs(kube_is_qualified_name("app:"), 1, "name part " S_QNAME_MSG, NULL);
    s_msgs(kube_is_qualified_name("Example.com/a"), 1, "prefix part " S_SUBDOMAIN_MSG, NULL);
    snprintf(buf, 400, "%s/%s", p253, n63);
    s_msgs(kube_is_qualified_name(buf), 0, NULL, NULL);
    snprintf(buf, 400, "%sP/-%s", p253, n63);
    kube_msgs_t m = kube_is_qualified_name(buf);
    s_msgs(m, 4, "prefix part must be no more than 253 characters", "prefix part " S_SUBDOMAIN_MSG);
    s_streq(m.msg[2], "name part must be no more than 63 characters");
    s_streq(m.msg[3], "name part " S_QNAME_MSG);
    const char *lv = "a valid label must be an empty string or consist of alphanumeric characters, "
                     "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                     "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    s_msgs(kube_is_label_value(""), 0, NULL, NULL);
    s_msgs(kube_is_label_value(n63), 0, NULL, NULL);
    s_msgs(kube_is_label_value("a b"), 1, lv, NULL);
    s_msgs(kube_is_label_value("-1"), 1, lv, NULL);
    s_msgs(kube_is_label_value(n64), 1, "must be no more than 63 characters", NULL);
    n64[63] = '.';
    s_msgs(kube_is_label_value(n64), 2, "must be no more than 63 characters", lv);
    free(n63);
    free(n64);
    free(p253);
    free(buf);
}

static void s_test_names(void)
{
    s_msgs(kube_is_path_segment_name(".", false), 1, "may not be '.'", NULL);
    s_msgs(kube_is_path_segment_name("..", false), 1, "may not be '..'", NULL);
    s_msgs(kube_is_path_segment_name("..", true), 0, NULL, NULL);
    s_msgs(kube_is_path_segment_name("a/b%c", false), 2, "may not contain '/'",
           "may not contain '%'");
    s_msgs(kube_is_path_segment_name("system:admin", false), 0, NULL, NULL);
    s_msgs(kube_check_name(KUBE_NAME_PATH_SEGMENT, "a%", true), 1, "may not contain '%'", NULL);
    /* A generateName may end in '-'; upstream masks it (and the byte before) with "a". */
    s_msgs(kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, "web-", true), 0, NULL, NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, "web-", false), 1, S_SUBDOMAIN_MSG, NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, "a.-", true), 0, NULL, NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, "-", true), 1, S_SUBDOMAIN_MSG, NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1123_LABEL, "a.b", false), 1, "must not contain dots",
           NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1035_LABEL, "svc-", true), 0, NULL, NULL);
    s_msgs(kube_check_name(KUBE_NAME_DNS1035_LABEL, "1svc", false), 1, NULL, NULL);
}

static kube_errs_t *s_meta(const char *json, bool namespaced, kube_name_rule_t rule)
{
    json_error_t jerr;
    json_t *meta = json ? json_loads(json, 0, &jerr) : NULL;
    assert(meta || !json);
    kube_errs_t *e = kube_errs_new();
    kube_validate_meta(e, meta, namespaced, rule);
    json_decref(meta);
    return e;
}

static void s_test_meta_names(void)
{
    kube_errs_t *e =
        s_meta("{\"name\":\"web\",\"namespace\":\"default\"}", true, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 0);
    kube_errs_destroy(&e);
    e = s_meta(NULL, true, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 2);
    s_cause(e, 0, "FieldValueRequired", "metadata.name",
            "Required value: name or generateName is required");
    s_cause(e, 1, "FieldValueRequired", "metadata.namespace", "Required value");
    kube_errs_destroy(&e);
    e = s_meta("{\"name\":\"Bad_Name\",\"generateName\":\"Web-\",\"namespace\":\"a.b\"}", true,
               KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 3);
    s_cause(e, 0, "FieldValueInvalid", "metadata.generateName",
            "Invalid value: \"Web-\": " S_SUBDOMAIN_MSG);
    s_cause(e, 1, "FieldValueInvalid", "metadata.name",
            "Invalid value: \"Bad_Name\": " S_SUBDOMAIN_MSG);
    s_cause(e, 2, "FieldValueInvalid", "metadata.namespace",
            "Invalid value: \"a.b\": must not contain dots");
    char *s = kube_errs_summary(e, "Pod", "Bad_Name");
    assert(s_starts(
        s, "Pod \"Bad_Name\" is invalid: [metadata.generateName: Invalid value: \"Web-\""));
    free(s);
    kube_errs_destroy(&e);
    e = s_meta("{\"name\":\"ns1\",\"namespace\":\"x\",\"generation\":-1}", false,
               KUBE_NAME_DNS1123_LABEL);
    assert(kube_errs_count(e) == 2);
    s_cause(e, 0, "FieldValueForbidden", "metadata.namespace",
            "Forbidden: not allowed on this type");
    s_cause(e, 1, "FieldValueInvalid", "metadata.generation",
            "Invalid value: -1: must be greater than or equal to 0");
    kube_errs_destroy(&e);
    e = s_meta("{\"name\":\"system:node:a\"}", false, KUBE_NAME_PATH_SEGMENT);
    assert(kube_errs_count(e) == 0);
    kube_errs_destroy(&e);
    e = s_meta("{\"name\":7,\"labels\":[]}", false, KUBE_NAME_PATH_SEGMENT);
    assert(kube_errs_count(e) == 3);
    s_cause(e, 0, "FieldValueTypeInvalid", "metadata.name",
            "Invalid value: \"number\": must be a string");
    s_cause(e, 1, "FieldValueRequired", "metadata.name",
            "Required value: name or generateName is required");
    s_cause(e, 2, "FieldValueTypeInvalid", "metadata.labels",
            "Invalid value: \"array\": must be an object");
    kube_errs_destroy(&e);
}

static void s_test_meta_maps(void)
{
    kube_errs_t *e =
        s_meta("{\"name\":\"a\",\"labels\":{\"app\":\"web\",\"a/b/c\":\"x y\","
               "\"k\":\"\"},\"annotations\":{\"Example.COM/Key\":\"v\",\"bad key\":\"\"}}",
               false, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 3);
    s_cause(e, 0, "FieldValueInvalid", "metadata.labels",
            "Invalid value: \"a/b/c\": a qualified name " S_QNAME_MSG
            " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    assert(s_starts(kube_errs_message(e, 1), "Invalid value: \"x y\": a valid label must be"));
    s_cause(e, 2, "FieldValueInvalid", "metadata.annotations",
            "Invalid value: \"bad key\": name part " S_QNAME_MSG);
    kube_errs_destroy(&e);
    /* 256 KiB of annotations is the most: key and value bytes both count. */
    char *big = s_repeat('v', 262144 - 1);
    json_t *meta = json_pack("{s:s, s:{s:s}}", "name", "a", "annotations", "k", big);
    e = kube_errs_new();
    kube_validate_meta(e, meta, false, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 0);
    json_object_set_new(json_object_get(meta, "annotations"), "k2", json_string(""));
    kube_validate_meta(e, meta, false, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 1);
    s_cause(e, 0, "FieldValueTooLong", "metadata.annotations",
            "Too long: must have at most 262144 bytes");
    json_decref(meta);
    free(big);
    kube_errs_destroy(&e);
}

static void s_test_meta_owners(void)
{
    kube_errs_t *e =
        s_meta("{\"name\":\"a\",\"ownerReferences\":["
               "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"1\","
               "\"controller\":true},"
               "{\"apiVersion\":\"a/b/c\",\"kind\":\"\",\"uid\":\"2\"},"
               "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"3\","
               "\"controller\":true}],"
               "\"finalizers\":[\"orphan\",\"foregroundDeletion\",\"a/b/c\"]}",
               false, KUBE_NAME_DNS1123_SUBDOMAIN);
    assert(kube_errs_count(e) == 7);
    s_cause(e, 0, "FieldValueInvalid", "metadata.ownerReferences.apiVersion",
            "Invalid value: \"a/b/c\": version must not be empty");
    s_cause(e, 1, "FieldValueInvalid", "metadata.ownerReferences.kind",
            "Invalid value: \"\": must not be empty");
    s_cause(e, 2, "FieldValueInvalid", "metadata.ownerReferences.name",
            "Invalid value: \"\": must not be empty");
    s_cause(e, 3, "FieldValueInvalid", "metadata.ownerReferences",
            "Invalid value: &OwnerReference{Kind:Event,Name:e,UID:3,APIVersion:v1,Controller:*true,"
            "BlockOwnerDeletion:nil,}: /v1, Kind=Event is disallowed from being an owner");
    const char *m = kube_errs_message(e, 4);
    assert(
        s_starts(m, "Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"apps/v1\""));
    const char *want = "Only one reference can have Controller set to true. Found \"true\" in "
                       "references for ReplicaSet/rs and Event/e";
    s_streq(m + strlen(m) - strlen(want), want);
    assert(s_starts(kube_errs_message(e, 5), "Invalid value: \"a/b/c\": a qualified name"));
    s_cause(e, 6, "FieldValueInvalid", "metadata.finalizers",
            "Invalid value: []string{\"orphan\", \"foregroundDeletion\", \"a/b/c\"}: finalizer "
            "orphan and foregroundDeletion cannot be both set");
    kube_errs_destroy(&e);
}

static void s_test_selector(void)
{
    json_error_t jerr;
    json_t *sel = json_loads("{\"matchLabels\":{\"app\":\"-x\"},\"matchExpressions\":["
                             "{\"key\":\"a\",\"operator\":\"In\"},"
                             "{\"key\":\"b\",\"operator\":\"Exists\",\"values\":[\"1\"]},"
                             "{\"key\":\"c/\",\"operator\":\"Gt\",\"values\":[\"x y\"]}]}",
                             0, &jerr);
    assert(sel);
    kube_errs_t *e = kube_errs_new();
    kube_validate_label_selector(e, sel, "spec.selector");
    kube_validate_label_selector(e, NULL, "spec.selector");
    assert(kube_errs_count(e) == 7);
    assert(!strcmp(kube_errs_field(e, 0), "spec.selector.matchLabels"));
    s_cause(e, 1, "FieldValueRequired", "spec.selector.matchExpressions[0].values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'");
    s_cause(e, 2, "FieldValueForbidden", "spec.selector.matchExpressions[1].values",
            "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    s_cause(e, 3, "FieldValueInvalid", "spec.selector.matchExpressions[2].operator",
            "Invalid value: \"Gt\": not a valid selector operator");
    s_cause(e, 4, "FieldValueInvalid", "spec.selector.matchExpressions[2].key",
            "Invalid value: \"c/\": name part must be non-empty");
    assert(!strcmp(kube_errs_field(e, 6), "spec.selector.matchExpressions[2].values[0]"));
    kube_errs_destroy(&e);
    json_decref(sel);
}

static void s_test_generate(void)
{
    char out[64], small[10];
    char *base = s_repeat('b', 70);
    kube_generate_name(base, out, sizeof out);
    assert(strlen(out) == 63 && !strncmp(out, base, 58));
    for (size_t i = 58; i < 63; i++) assert(strchr("bcdfghjklmnpqrstvwxz2456789", out[i]));
    kube_generate_name("web-", out, sizeof out);
    assert(strlen(out) == 9 && !strncmp(out, "web-", 4));
    kube_msgs_t m = kube_is_dns1123_subdomain(out);
    assert(m.n == 0);
    kube_generate_name("abcdefgh", small, sizeof small);
    assert(strlen(small) == 9 && !strncmp(small, "abcd", 4));
    /* The suffix is random: three draws are not all equal (odds 27^-10). */
    char again[64], third[64];
    kube_generate_name("web-", again, sizeof again);
    kube_generate_name("web-", third, sizeof third);
    assert(strcmp(out, again) || strcmp(out, third));
    free(base);
}

/* An object being deleted keeps the finalizers it has and may lose them, but gains none. */
static void s_test_meta_update(void)
{
    json_t *old = json_loads("{\"finalizers\":[\"a/x\",\"b\"]}", 0, NULL);
    json_t *meta = json_loads("{\"finalizers\":[\"b\",\"c\",\"a/x\",\"d\"]}", 0, NULL);
    kube_errs_t *e = kube_errs_new();
    kube_validate_meta_update(e, meta, old); /* not being deleted: anything goes */
    assert(kube_errs_count(e) == 0);
    json_object_set_new(old, "deletionTimestamp", json_string("2026-11-23T10:00:00Z"));
    kube_validate_meta_update(e, meta, old);
    assert(kube_errs_count(e) == 1);
    s_cause(e, 0, "FieldValueForbidden", "metadata.finalizers",
            "Forbidden: no new finalizers can be added if the object is being deleted, found new "
            "finalizers []string{\"c\", \"d\"}");
    kube_errs_destroy(&e);
    e = kube_errs_new();
    json_object_set_new(meta, "finalizers", json_pack("[s]", "b"));
    kube_validate_meta_update(e, meta, old);
    json_object_del(meta, "finalizers");
    kube_validate_meta_update(e, meta, old);
    assert(kube_errs_count(e) == 0);
    kube_errs_destroy(&e);
    json_decref(old);
    json_decref(meta);
}

void kube_valid_test(bool verbose)
{
    if (sodium_init() < 0) abort();
    s_test_quote();
    s_test_errs();
    s_test_dns();
    s_test_qualified();
    s_test_names();
    s_test_meta_names();
    s_test_meta_maps();
    s_test_meta_owners();
    s_test_meta_update();
    s_test_selector();
    s_test_generate();
    if (verbose) printf("kube_valid: ok\n");
}
