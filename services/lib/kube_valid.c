/* kube_valid: hand-written matchers for apimachinery's regexes, messages copied from v1.32, and a
 * cause list. Not the per-kind spec checks, which build on these. */
#include "kube_valid.h"
#include "kube_obj.h"
#include "kube_str.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small owned-string helpers ---- */

static char *s_strdup(const char *text)
{
    char *p = strdup(text);
    if (!p) abort();
    return p;
}

static char *s_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *s_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    if (vasprintf(&p, fmt, ap) < 0) abort();
    va_end(ap);
    return p;
}

/* "base.child", or "child" under an empty base. */
static char *s_path(const char *base, const char *child)
{
    return *base ? s_printf("%s.%s", base, child) : s_strdup(child);
}

/* ---- Go's strconv.Quote ---- */

/* Length of the well-formed UTF-8 sequence at s (as Go's utf8.DecodeRune accepts it: no
 * overlongs, no surrogates, nothing past U+10FFFF), or 0; *r gets the code point. */
static size_t s_utf8_decode(const unsigned char *s, uint32_t *r)
{
    unsigned char c = s[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0xC2 || c > 0xF4) return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    uint32_t v = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; i++) v = v << 6 | (s[i] & 0x3F);
    *r = v;
    return n;
}

/* Go's unicode.IsPrint for non-ASCII, approximated: the separators, format characters and
 * private-use ranges it rejects; unassigned code points are treated as printable. */
static bool s_is_print(uint32_t r)
{
    if (r < 0xA1 || r == 0xAD || r == 0x1680 || r == 0x3000 || r == 0xFEFF) return false;
    if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F)) return false;
    if ((r >= 0x205F && r <= 0x206F) || (r >= 0xE000 && r <= 0xF8FF)) return false;
    if ((r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF) return false;
    return r < 0xF0000;
}

static void s_quote_rune(kube_str_t *out, const unsigned char *s, size_t n, uint32_t r)
{
    static const char esc[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
    char buf[16];
    const char *e = r && r < 0x80 ? strchr(esc, (int)r) : NULL;
    if (r == '"' || r == '\\') {
        kube_str_add(out, "\\", 1);
        kube_str_add(out, (const char *)s, 1);
    } else if (r >= 0x20 && r < 0x7F) {
        kube_str_add(out, (const char *)s, 1);
    } else if (e) {
        snprintf(buf, sizeof buf, "\\%c", letters[e - esc]);
        kube_str_adds(out, buf);
    } else if (r < 0x80) {
        snprintf(buf, sizeof buf, "\\x%02x", (unsigned)r);
        kube_str_adds(out, buf);
    } else if (s_is_print(r)) {
        kube_str_add(out, (const char *)s, n);
    } else {
        snprintf(buf, sizeof buf, r < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)r);
        kube_str_adds(out, buf);
    }
}

char *kube_quote(const char *s)
{
    kube_str_t out = {0};
    const unsigned char *p = (const unsigned char *)s;
    kube_str_add(&out, "\"", 1);
    while (*p) {
        uint32_t r = *p;
        size_t n = 1;
        if (*p >= 0x80 && !(n = s_utf8_decode(p, &r))) {
            /* Go shows each byte of ill-formed UTF-8 as \xNN. */
            char buf[8];
            snprintf(buf, sizeof buf, "\\x%02x", *p);
            kube_str_adds(&out, buf);
            p++;
            continue;
        }
        s_quote_rune(&out, p, n, r);
        p += n;
    }
    kube_str_add(&out, "\"", 1);
    return kube_str_take(&out);
}

/* Go's %#v of a []string: []string{"a", "b"}. */
static char *s_go_strings(const json_t *array)
{
    kube_str_t out = {0};
    size_t i;
    json_t *v;
    kube_str_adds(&out, "[]string{");
    json_array_foreach(array, i, v)
    {
        char *q = kube_quote(json_is_string(v) ? json_string_value(v) : "");
        if (i) kube_str_adds(&out, ", ");
        kube_str_adds(&out, q);
        free(q);
    }
    kube_str_adds(&out, "}");
    return kube_str_take(&out);
}

/* ---- error list ---- */

typedef struct {
    char *reason;
    char *field;
    char *message;
} s_cause_t;

struct kube_errs_t {
    s_cause_t *causes;
    size_t n, cap;
};

kube_errs_t *kube_errs_new(void)
{
    kube_errs_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    return self;
}

void kube_errs_destroy(kube_errs_t **self_p)
{
    kube_errs_t *self = *self_p;
    if (!self) return;
    for (size_t i = 0; i < self->n; i++) {
        free(self->causes[i].reason);
        free(self->causes[i].field);
        free(self->causes[i].message);
    }
    free(self->causes);
    free(self);
    *self_p = NULL;
}

void kube_errs_add(kube_errs_t *self, const char *reason, const char *field, const char *fmt, ...)
{
    if (self->n == KUBE_ERRS_MAX) return;
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 8;
        self->causes = realloc(self->causes, self->cap * sizeof *self->causes);
        if (!self->causes) abort();
    }
    s_cause_t *c = &self->causes[self->n++];
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->message, fmt, ap) < 0) abort();
    va_end(ap);
    c->reason = s_strdup(reason);
    c->field = s_strdup(field);
}

/* ": detail", or nothing for no detail: field.Error appends the detail only when non-empty. */
static const char *s_sep(const char *detail)
{
    return detail && *detail ? ": " : "";
}

void kube_errs_invalid(kube_errs_t *self, const char *field, const char *value, const char *detail)
{
    char *q = kube_quote(value);
    kube_errs_add(self, "FieldValueInvalid", field, "Invalid value: %s%s%s", q, s_sep(detail),
                  detail ? detail : "");
    free(q);
}

void kube_errs_invalid_int(kube_errs_t *self, const char *field, int64_t value, const char *detail)
{
    kube_errs_add(self, "FieldValueInvalid", field, "Invalid value: %lld%s%s", (long long)value,
                  s_sep(detail), detail ? detail : "");
}

void kube_errs_required(kube_errs_t *self, const char *field, const char *detail)
{
    kube_errs_add(self, "FieldValueRequired", field, "Required value%s%s", s_sep(detail),
                  detail ? detail : "");
}

void kube_errs_not_supported(kube_errs_t *self, const char *field, const char *value,
                             const char *const *supported)
{
    kube_str_t detail = {0};
    for (size_t i = 0; supported && supported[i]; i++) {
        char *q = kube_quote(supported[i]);
        kube_str_adds(&detail, i ? ", " : "supported values: ");
        kube_str_adds(&detail, q);
        free(q);
    }
    char *d = kube_str_take(&detail), *q = kube_quote(value);
    kube_errs_add(self, "FieldValueNotSupported", field, "Unsupported value: %s%s%s", q, s_sep(d),
                  d);
    free(q);
    free(d);
}

void kube_errs_too_long(kube_errs_t *self, const char *field, size_t max_bytes)
{
    kube_errs_add(self, "FieldValueTooLong", field, "Too long: must have at most %zu bytes",
                  max_bytes);
}

void kube_errs_forbidden(kube_errs_t *self, const char *field, const char *detail)
{
    kube_errs_add(self, "FieldValueForbidden", field, "Forbidden%s%s", s_sep(detail),
                  detail ? detail : "");
}

void kube_errs_duplicate(kube_errs_t *self, const char *field, const char *value)
{
    char *q = kube_quote(value);
    kube_errs_add(self, "FieldValueDuplicate", field, "Duplicate value: %s", q);
    free(q);
}

void kube_errs_invalid_each(kube_errs_t *self, const char *field, const char *value,
                            const kube_msgs_t *msgs)
{
    for (size_t i = 0; i < msgs->n; i++) kube_errs_invalid(self, field, value, msgs->msg[i]);
}

size_t kube_errs_count(const kube_errs_t *self)
{
    return self->n;
}

const char *kube_errs_reason(const kube_errs_t *self, size_t i)
{
    assert(i < self->n);
    return self->causes[i].reason;
}

const char *kube_errs_field(const kube_errs_t *self, size_t i)
{
    assert(i < self->n);
    return self->causes[i].field;
}

const char *kube_errs_message(const kube_errs_t *self, size_t i)
{
    assert(i < self->n);
    return self->causes[i].message;
}

/* Whether cause i renders like an earlier one: ToAggregate keeps the first of equal texts. */
static bool s_seen_before(const kube_errs_t *self, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(self->causes[j].field, self->causes[i].field) &&
            !strcmp(self->causes[j].message, self->causes[i].message))
            return true;
    return false;
}

char *kube_errs_summary(const kube_errs_t *self, const char *kind, const char *name)
{
    kube_str_t out = {0}, list = {0};
    char *q = kube_quote(name);
    size_t unique = 0;
    kube_str_adds(&out, kind);
    kube_str_adds(&out, " ");
    kube_str_adds(&out, q);
    kube_str_adds(&out, " is invalid");
    free(q);
    for (size_t i = 0; i < self->n; i++) {
        if (s_seen_before(self, i)) continue;
        if (unique++) kube_str_adds(&list, ", ");
        kube_str_adds(&list, self->causes[i].field);
        kube_str_adds(&list, ": ");
        kube_str_adds(&list, self->causes[i].message);
    }
    char *l = kube_str_take(&list);
    if (unique) kube_str_adds(&out, unique > 1 ? ": [" : ": ");
    kube_str_adds(&out, l);
    if (unique > 1) kube_str_adds(&out, "]");
    free(l);
    return kube_str_take(&out);
}

/* ---- format checks ---- */

#define S_LABEL_FMT     "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define S_SUBDOMAIN_FMT S_LABEL_FMT "(\\." S_LABEL_FMT ")*"
#define S_QNAME_MSG                                                                             \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "      \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define S_SUBDOMAIN_MSG                                                                           \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "  \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used " \
    "for validation is '" S_SUBDOMAIN_FMT "')"

static const char s_msg_label[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '" S_LABEL_FMT "')";
static const char s_msg_subdomain[] = S_SUBDOMAIN_MSG;
static const char s_msg_dns1035[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
static const char s_msg_qname_slashes[] =
    "a qualified name " S_QNAME_MSG
    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
static const char s_msg_label_value[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

static void s_msgs_add(kube_msgs_t *m, const char *msg)
{
    assert(m->n < KUBE_MSGS_MAX);
    m->msg[m->n++] = msg;
}

static bool s_is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool s_is_alnum(char c)
{
    return s_is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?, or [a-z]… when alpha_first (DNS-1035). */
static bool s_match_label(const char *s, size_t len, bool alpha_first)
{
    if (len == 0 || !s_is_lower_alnum(s[0]) || !s_is_lower_alnum(s[len - 1])) return false;
    if (alpha_first && !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (size_t i = 0; i < len; i++)
        if (!s_is_lower_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

/* Labels joined by single dots. */
static bool s_match_subdomain(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') continue;
        if (!s_match_label(s + start, i - start, false)) return false;
        start = i + 1;
    }
    return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool s_match_qname(const char *s, size_t len)
{
    if (len == 0 || !s_is_alnum(s[0]) || !s_is_alnum(s[len - 1])) return false;
    for (size_t i = 0; i < len; i++)
        if (!s_is_alnum(s[i]) && !strchr("-_.", s[i])) return false;
    return true;
}

kube_msgs_t kube_is_dns1123_label(const char *value)
{
    kube_msgs_t m = {0};
    size_t len = strlen(value);
    if (len > 63) s_msgs_add(&m, "must be no more than 63 characters");
    if (!s_match_label(value, len, false))
        /* A valid subdomain that is no label can only be failing on its dots. */
        s_msgs_add(&m, s_match_subdomain(value, len) ? "must not contain dots" : s_msg_label);
    return m;
}

kube_msgs_t kube_is_dns1123_subdomain(const char *value)
{
    kube_msgs_t m = {0};
    size_t len = strlen(value);
    if (len > 253) s_msgs_add(&m, "must be no more than 253 characters");
    if (!s_match_subdomain(value, len)) s_msgs_add(&m, s_msg_subdomain);
    return m;
}

kube_msgs_t kube_is_dns1035_label(const char *value)
{
    kube_msgs_t m = {0};
    size_t len = strlen(value);
    if (len > 63) s_msgs_add(&m, "must be no more than 63 characters");
    if (!s_match_label(value, len, true)) s_msgs_add(&m, s_msg_dns1035);
    return m;
}

kube_msgs_t kube_is_qualified_name(const char *value)
{
    kube_msgs_t m = {0};
    const char *slash = strchr(value, '/'), *name = value;
    if (slash && strchr(slash + 1, '/')) {
        s_msgs_add(&m, s_msg_qname_slashes);
        return m;
    }
    if (slash) {
        size_t plen = (size_t)(slash - value);
        name = slash + 1;
        if (plen == 0) s_msgs_add(&m, "prefix part must be non-empty");
        if (plen > 253) s_msgs_add(&m, "prefix part must be no more than 253 characters");
        if (plen > 0 && !s_match_subdomain(value, plen))
            s_msgs_add(&m, "prefix part " S_SUBDOMAIN_MSG);
    }
    size_t len = strlen(name);
    if (len == 0) s_msgs_add(&m, "name part must be non-empty");
    if (len > 63) s_msgs_add(&m, "name part must be no more than 63 characters");
    if (!s_match_qname(name, len)) s_msgs_add(&m, "name part " S_QNAME_MSG);
    return m;
}

kube_msgs_t kube_is_label_value(const char *value)
{
    kube_msgs_t m = {0};
    size_t len = strlen(value);
    if (len > 63) s_msgs_add(&m, "must be no more than 63 characters");
    if (len > 0 && !s_match_qname(value, len)) s_msgs_add(&m, s_msg_label_value);
    return m;
}

kube_msgs_t kube_is_path_segment_name(const char *value, bool prefix)
{
    kube_msgs_t m = {0};
    if (!prefix && !strcmp(value, ".")) {
        s_msgs_add(&m, "may not be '.'");
        return m;
    }
    if (!prefix && !strcmp(value, "..")) {
        s_msgs_add(&m, "may not be '..'");
        return m;
    }
    if (strchr(value, '/')) s_msgs_add(&m, "may not contain '/'");
    if (strchr(value, '%')) s_msgs_add(&m, "may not contain '%'");
    return m;
}

kube_msgs_t kube_check_name(kube_name_rule_t rule, const char *name, bool prefix)
{
    if (rule == KUBE_NAME_PATH_SEGMENT) return kube_is_path_segment_name(name, prefix);
    size_t len = strlen(name);
    char *masked = s_strdup(name);
    /* upstream's maskTrailingDash, quirk included: it drops the last two bytes, not one, before
     * appending "a". It would panic on "-" alone; that is left unmasked here. */
    if (prefix && len > 1 && name[len - 1] == '-') strcpy(masked + len - 2, "a");
    kube_msgs_t m = rule == KUBE_NAME_DNS1123_LABEL   ? kube_is_dns1123_label(masked)
                    : rule == KUBE_NAME_DNS1035_LABEL ? kube_is_dns1035_label(masked)
                                                      : kube_is_dns1123_subdomain(masked);
    free(masked);
    return m;
}

/* ---- metadata ---- */

/* JSON of the wrong type: upstream's decoder refuses it before validation, we report a cause. */
static void s_type_invalid(kube_errs_t *errs, const char *field, const json_t *v, const char *want)
{
    kube_errs_add(errs, "FieldValueTypeInvalid", field, "Invalid value: \"%s\": must be %s",
                  kube_obj_kind(v), want);
}

/* The string member key of obj; "" when absent or null, and a cause when of another type. */
static const char *s_get_string(kube_errs_t *errs, const json_t *obj, const char *key,
                                const char *field)
{
    const json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) return "";
    if (json_is_string(v)) return json_string_value(v);
    s_type_invalid(errs, field, v, "a string");
    return "";
}

/* obj's member key when it is of type type; NULL (and a cause if present and wrong) otherwise. */
static const json_t *s_get_typed(kube_errs_t *errs, const json_t *obj, const char *key,
                                 json_type type, const char *field)
{
    const json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v)) return NULL;
    if (json_typeof(v) == type) return v;
    s_type_invalid(errs, field, v, type == JSON_OBJECT ? "an object" : "an array");
    return NULL;
}

static void s_validate_labels(kube_errs_t *errs, const json_t *labels, const char *field)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)labels, k, v)
    {
        kube_msgs_t km = kube_is_qualified_name(k);
        kube_errs_invalid_each(errs, field, k, &km);
        if (!json_is_string(v)) {
            s_type_invalid(errs, field, v, "a string");
            continue;
        }
        kube_msgs_t vm = kube_is_label_value(json_string_value(v));
        kube_errs_invalid_each(errs, field, json_string_value(v), &vm);
    }
}

#define S_ANNOTATIONS_MAX (256 * 1024)

static void s_validate_annotations(kube_errs_t *errs, const json_t *annotations)
{
    const char *field = "metadata.annotations", *k;
    json_t *v;
    size_t total = 0;
    json_object_foreach((json_t *)annotations, k, v)
    {
        /* Annotation keys are qualified names in any case: upstream lowercases, then checks. */
        char *lower = s_strdup(k);
        for (char *p = lower; *p; p++) *p = (char)tolower((unsigned char)*p);
        kube_msgs_t m = kube_is_qualified_name(lower);
        kube_errs_invalid_each(errs, field, k, &m);
        free(lower);
        total += strlen(k);
        if (json_is_string(v))
            total += json_string_length(v);
        else
            s_type_invalid(errs, field, v, "a string");
    }
    if (total > S_ANNOTATIONS_MAX) kube_errs_too_long(errs, field, S_ANNOTATIONS_MAX);
}

/* The version part of an apiVersion, as schema.ParseGroupVersion splits it ("" when it fails). */
static const char *s_api_version_version(const char *api_version)
{
    const char *slash = strchr(api_version, '/');
    if (!slash) return api_version;
    return strchr(slash + 1, '/') ? "" : slash + 1;
}

/* A reference as its generated String() prints it, which is what upstream's error shows. */
static char *s_owner_ref_string(const json_t *ref)
{
    const char *names[] = {"kind", "name", "uid", "apiVersion"};
    const char *go[] = {"Kind", "Name", "UID", "APIVersion"};
    kube_str_t out = {0};
    kube_str_adds(&out, "&OwnerReference{");
    for (size_t i = 0; i < 4; i++) {
        const json_t *v = json_object_get(ref, names[i]);
        kube_str_adds(&out, go[i]);
        kube_str_adds(&out, ":");
        kube_str_adds(&out, json_is_string(v) ? json_string_value(v) : "");
        kube_str_adds(&out, ",");
    }
    const char *bools[] = {"controller", "blockOwnerDeletion"};
    const char *gob[] = {"Controller:", "BlockOwnerDeletion:"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(ref, bools[i]);
        kube_str_adds(&out, gob[i]);
        kube_str_adds(&out, !json_is_boolean(v) ? "nil," : json_is_true(v) ? "*true," : "*false,");
    }
    kube_str_adds(&out, "}");
    return kube_str_take(&out);
}

static void s_validate_owner_ref(kube_errs_t *errs, const json_t *ref, const char *field)
{
    static const char *const members[] = {"apiVersion", "kind", "name", "uid"};
    const char *vals[4];
    for (size_t i = 0; i < 4; i++) {
        char *f = s_path(field, members[i]);
        vals[i] = s_get_string(errs, ref, members[i], f);
        const char *check = i == 0 ? s_api_version_version(vals[0]) : vals[i];
        if (!*check)
            kube_errs_invalid(errs, f, vals[i],
                              i ? "must not be empty" : "version must not be empty");
        free(f);
    }
    /* Events are banned as owners: they are garbage-collected on their own schedule. */
    if (!strcmp(vals[0], "v1") && !strcmp(vals[1], "Event")) {
        char *s = s_owner_ref_string(ref);
        kube_errs_add(errs, "FieldValueInvalid", field,
                      "Invalid value: %s: /v1, Kind=Event is disallowed from being an owner", s);
        free(s);
    }
}

/* []v1.OwnerReference as %#v shows it, except that pointers show their target, not an address. */
static char *s_owner_refs_go(const json_t *refs)
{
    kube_str_t out = {0};
    size_t i;
    json_t *ref;
    kube_str_adds(&out, "[]v1.OwnerReference{");
    json_array_foreach(refs, i, ref)
    {
        const char *m[] = {"apiVersion", "kind", "name", "uid"};
        const char *go[] = {"APIVersion", "Kind", "Name", "UID"};
        kube_str_adds(&out, i ? ", v1.OwnerReference{" : "v1.OwnerReference{");
        for (size_t j = 0; j < 4; j++) {
            const json_t *v = json_object_get(ref, m[j]);
            char *q = kube_quote(json_is_string(v) ? json_string_value(v) : "");
            char *part = s_printf("%s:%s, ", go[j], q);
            kube_str_adds(&out, part);
            free(part);
            free(q);
        }
        const json_t *c = json_object_get(ref, "controller");
        const json_t *b = json_object_get(ref, "blockOwnerDeletion");
        char *tail = s_printf("Controller:(*bool)(%s), BlockOwnerDeletion:(*bool)(%s)}",
                              json_is_boolean(c) ? (json_is_true(c) ? "true" : "false") : "nil",
                              json_is_boolean(b) ? (json_is_true(b) ? "true" : "false") : "nil");
        kube_str_adds(&out, tail);
        free(tail);
    }
    kube_str_adds(&out, "}");
    return kube_str_take(&out);
}

static void s_validate_owner_refs(kube_errs_t *errs, const json_t *refs)
{
    const char *field = "metadata.ownerReferences";
    char *first = NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        if (!json_is_object(ref)) {
            s_type_invalid(errs, field, ref, "an object");
            continue;
        }
        s_validate_owner_ref(errs, ref, field);
        if (!json_is_true(json_object_get(ref, "controller"))) continue;
        const json_t *k = json_object_get(ref, "kind"), *n = json_object_get(ref, "name");
        char *cur = s_printf("%s/%s", json_is_string(k) ? json_string_value(k) : "",
                             json_is_string(n) ? json_string_value(n) : "");
        if (!first) {
            first = cur;
            continue;
        }
        char *go = s_owner_refs_go(refs);
        kube_errs_add(errs, "FieldValueInvalid", field,
                      "Invalid value: %s: Only one reference can have Controller set to true. "
                      "Found \"true\" in references for %s and %s",
                      go, first, cur);
        free(go);
        free(cur);
    }
    free(first);
}

void kube_validate_meta_update(kube_errs_t *errs, const json_t *meta, const json_t *old)
{
    if (!json_object_get(old, "deletionTimestamp")) return;
    const json_t *had = json_object_get(old, "finalizers");
    json_t *added = json_array();
    size_t i, j;
    json_t *f, *g;
    json_array_foreach(json_object_get(meta, "finalizers"), i, f)
    {
        bool known = !json_is_string(f);
        json_array_foreach(had, j, g) known |= json_equal(f, g);
        if (!known) json_array_append(added, f);
    }
    if (json_array_size(added)) {
        char *go = s_go_strings(added);
        kube_str_t msg = {0};
        kube_str_adds(&msg, "no new finalizers can be added if the object is being deleted, "
                            "found new finalizers ");
        kube_str_adds(&msg, go);
        char *text = kube_str_take(&msg);
        kube_errs_forbidden(errs, "metadata.finalizers", text);
        free(text);
        free(go);
    }
    json_decref(added);
}

static void s_validate_finalizers(kube_errs_t *errs, const json_t *finalizers)
{
    const char *field = "metadata.finalizers";
    bool orphan = false, foreground = false;
    size_t i;
    json_t *f;
    json_array_foreach(finalizers, i, f)
    {
        if (!json_is_string(f)) {
            s_type_invalid(errs, field, f, "a string");
            continue;
        }
        kube_msgs_t m = kube_is_qualified_name(json_string_value(f));
        kube_errs_invalid_each(errs, field, json_string_value(f), &m);
        orphan |= !strcmp(json_string_value(f), "orphan");
        foreground |= !strcmp(json_string_value(f), "foregroundDeletion");
    }
    if (orphan && foreground) {
        char *go = s_go_strings(finalizers);
        kube_errs_add(errs, "FieldValueInvalid", field,
                      "Invalid value: %s: finalizer orphan and foregroundDeletion cannot be both "
                      "set",
                      go);
        free(go);
    }
}

static void s_validate_name(kube_errs_t *errs, const json_t *meta, kube_name_rule_t rule)
{
    const char *gen = s_get_string(errs, meta, "generateName", "metadata.generateName");
    const char *name = s_get_string(errs, meta, "name", "metadata.name");
    if (*gen) {
        kube_msgs_t m = kube_check_name(rule, gen, true);
        kube_errs_invalid_each(errs, "metadata.generateName", gen, &m);
    }
    if (!*name) {
        kube_errs_required(errs, "metadata.name", "name or generateName is required");
    } else {
        kube_msgs_t m = kube_check_name(rule, name, false);
        kube_errs_invalid_each(errs, "metadata.name", name, &m);
    }
}

static void s_validate_namespace(kube_errs_t *errs, const json_t *meta, bool namespaced)
{
    const char *ns = s_get_string(errs, meta, "namespace", "metadata.namespace");
    if (namespaced && !*ns) {
        kube_errs_required(errs, "metadata.namespace", NULL);
    } else if (namespaced) {
        kube_msgs_t m = kube_is_dns1123_label(ns);
        kube_errs_invalid_each(errs, "metadata.namespace", ns, &m);
    } else if (*ns) {
        kube_errs_forbidden(errs, "metadata.namespace", "not allowed on this type");
    }
}

void kube_validate_meta(kube_errs_t *errs, const json_t *meta, bool namespaced,
                        kube_name_rule_t name_rule)
{
    if (meta && !json_is_object(meta)) {
        s_type_invalid(errs, "metadata", meta, "an object");
        meta = NULL;
    }
    s_validate_name(errs, meta, name_rule);
    s_validate_namespace(errs, meta, namespaced);
    const json_t *gen = meta ? json_object_get(meta, "generation") : NULL;
    if (json_is_integer(gen) && json_integer_value(gen) < 0)
        kube_errs_invalid_int(errs, "metadata.generation", json_integer_value(gen),
                              "must be greater than or equal to 0");
    const json_t *v = s_get_typed(errs, meta, "labels", JSON_OBJECT, "metadata.labels");
    if (v) s_validate_labels(errs, v, "metadata.labels");
    if ((v = s_get_typed(errs, meta, "annotations", JSON_OBJECT, "metadata.annotations")))
        s_validate_annotations(errs, v);
    if ((v = s_get_typed(errs, meta, "ownerReferences", JSON_ARRAY, "metadata.ownerReferences")))
        s_validate_owner_refs(errs, v);
    if ((v = s_get_typed(errs, meta, "finalizers", JSON_ARRAY, "metadata.finalizers")))
        s_validate_finalizers(errs, v);
}

static void s_validate_requirement(kube_errs_t *errs, const json_t *req, const char *field)
{
    char *fop = s_path(field, "operator"), *fkey = s_path(field, "key");
    char *fvals = s_path(field, "values");
    const char *op = s_get_string(errs, req, "operator", fop);
    const char *key = s_get_string(errs, req, "key", fkey);
    const json_t *vals = s_get_typed(errs, req, "values", JSON_ARRAY, fvals);
    size_t n = json_array_size(vals);
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
        if (!n)
            kube_errs_required(errs, fvals, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
        if (n)
            kube_errs_forbidden(
                errs, fvals, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
        kube_errs_invalid(errs, fop, op, "not a valid selector operator");
    }
    kube_msgs_t m = kube_is_qualified_name(key);
    kube_errs_invalid_each(errs, fkey, key, &m);
    for (size_t i = 0; i < n; i++) {
        char *fi = s_printf("%s[%zu]", fvals, i);
        const json_t *v = json_array_get(vals, i);
        if (json_is_string(v)) {
            m = kube_is_label_value(json_string_value(v));
            kube_errs_invalid_each(errs, fi, json_string_value(v), &m);
        } else {
            s_type_invalid(errs, fi, v, "a string");
        }
        free(fi);
    }
    free(fop);
    free(fkey);
    free(fvals);
}

void kube_validate_label_selector(kube_errs_t *errs, const json_t *selector, const char *path)
{
    if (!selector || json_is_null(selector)) return;
    if (!json_is_object(selector)) {
        s_type_invalid(errs, path, selector, "an object");
        return;
    }
    char *f = s_path(path, "matchLabels");
    const json_t *ml = s_get_typed(errs, selector, "matchLabels", JSON_OBJECT, f);
    if (ml) s_validate_labels(errs, ml, f);
    free(f);
    f = s_path(path, "matchExpressions");
    const json_t *exprs = s_get_typed(errs, selector, "matchExpressions", JSON_ARRAY, f);
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        char *fi = s_printf("%s[%zu]", f, i);
        const json_t *req = json_array_get(exprs, i);
        if (json_is_object(req))
            s_validate_requirement(errs, req, fi);
        else
            s_type_invalid(errs, fi, req, "an object");
        free(fi);
    }
    free(f);
}

void kube_generate_name(const char *base, char *out, size_t outlen)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    assert(outlen >= 6);
    size_t n = strlen(base);
    if (n > 58) n = 58;
    if (n > outlen - 6) n = outlen - 6;
    memmove(out, base, n);
    for (size_t i = 0; i < 5; i++)
        out[n + i] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
    out[n + 5] = '\0';
}
