/* kube_valid: Kubernetes object-metadata validation with apimachinery's exact messages (as of
 * v1.32: util/validation, api/validation, apis/meta/v1/validation), and an error list that
 * renders like field.ErrorList and apierrors.NewInvalid. Pure: no I/O, except libsodium's
 * randombytes for generated names. Not schema validation of specs: each kind checks its own. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- error list (field.ErrorList) ---- */

/* Causes beyond this are dropped: the first ones already tell the user what to fix. */
#define KUBE_ERRS_MAX 256

typedef struct kube_errs_t kube_errs_t;

kube_errs_t *kube_errs_new(void);
void kube_errs_destroy(kube_errs_t **self_p);

/* Adds a cause. reason is a StatusCause type ("FieldValueInvalid", "FieldValueRequired",
 * "FieldValueNotSupported", "FieldValueDuplicate", "FieldValueTooLong", "FieldValueForbidden",
 * "FieldValueTypeInvalid"); field a path such as "metadata.labels"; the message is what
 * field.Error.ErrorBody() gives (`Invalid value: "x": detail`). All three are copied. */
void kube_errs_add(kube_errs_t *self, const char *reason, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* `Invalid value: "VALUE": DETAIL` (no ": DETAIL" when detail is NULL or empty). */
void kube_errs_invalid(kube_errs_t *self, const char *field, const char *value, const char *detail);
/* Same, for an integer value: `Invalid value: -1: DETAIL`. */
void kube_errs_invalid_int(kube_errs_t *self, const char *field, int64_t value, const char *detail);
/* `Required value` or `Required value: DETAIL`. */
void kube_errs_required(kube_errs_t *self, const char *field, const char *detail);
/* `Unsupported value: "x": supported values: "a", "b"`; supported ends with NULL. */
void kube_errs_not_supported(kube_errs_t *self, const char *field, const char *value,
                             const char *const *supported);
/* `Too long: must have at most N bytes` (the value is never shown). */
void kube_errs_too_long(kube_errs_t *self, const char *field, size_t max_bytes);
/* `Forbidden` or `Forbidden: DETAIL`. */
void kube_errs_forbidden(kube_errs_t *self, const char *field, const char *detail);
/* `Duplicate value: "x"`. */
void kube_errs_duplicate(kube_errs_t *self, const char *field, const char *value);

size_t kube_errs_count(const kube_errs_t *self);
/* Borrowed, valid until the list is destroyed; i < count. */
const char *kube_errs_reason(const kube_errs_t *self, size_t i);
const char *kube_errs_field(const kube_errs_t *self, size_t i);
/* The cause's message without its field (StatusCause.message). */
const char *kube_errs_message(const kube_errs_t *self, size_t i);
/* Status.message as NewInvalid writes it: `Pod "x" is invalid: metadata.name: Invalid value: …`
 * for one cause, `… is invalid: [c1, c2]` for several (equal causes once), `… is invalid` for
 * none. No leading "The": kubectl adds that when it prints the causes itself. kind is the
 * qualified kind ("Pod", "Deployment.apps"). Caller frees. */
char *kube_errs_summary(const kube_errs_t *self, const char *kind, const char *name);

/* ---- format checks ---- */

/* The most messages one check gives (a qualified name: two for the prefix, two for the name). */
#define KUBE_MSGS_MAX 4

/* What a check found: n static messages, n == 0 when the value is valid. Upstream reports each
 * message as its own cause, which kube_errs_invalid_each does. */
typedef struct {
    size_t n;
    const char *msg[KUBE_MSGS_MAX];
} kube_msgs_t;

kube_msgs_t kube_is_dns1123_label(const char *value);
kube_msgs_t kube_is_dns1123_subdomain(const char *value);
kube_msgs_t kube_is_dns1035_label(const char *value);
/* A qualified name: label and annotation keys, finalizers ([prefix/]name). */
kube_msgs_t kube_is_qualified_name(const char *value);
kube_msgs_t kube_is_label_value(const char *value);
/* A name that must be a safe path segment; prefix (a generateName) skips the '.'/'..' test. */
kube_msgs_t kube_is_path_segment_name(const char *value, bool prefix);

/* One kube_errs_invalid per message of msgs. */
void kube_errs_invalid_each(kube_errs_t *self, const char *field, const char *value,
                            const kube_msgs_t *msgs);

/* ---- object metadata ---- */

/* The rule an object's name follows (upstream's ValidateNameFunc). */
typedef enum {
    KUBE_NAME_DNS1123_SUBDOMAIN, /* most kinds */
    KUBE_NAME_DNS1123_LABEL,     /* namespaces */
    KUBE_NAME_DNS1035_LABEL,     /* services */
    KUBE_NAME_PATH_SEGMENT       /* RBAC kinds */
} kube_name_rule_t;

/* Checks name against rule; prefix says it is a generateName (a trailing '-' is allowed). */
kube_msgs_t kube_check_name(kube_name_rule_t rule, const char *name, bool prefix);

/* Validates metadata on create as ValidateObjectMetaAccessor does: generateName, name (required:
 * generate it first, as upstream's BeforeCreate does), namespace (required when namespaced,
 * forbidden otherwise), generation, labels, annotations (keys and 256 KiB total),
 * ownerReferences, finalizers. meta may be NULL (then name and namespace are missing). */
void kube_validate_meta(kube_errs_t *errs, const json_t *meta, bool namespaced,
                        kube_name_rule_t name_rule);

/* The checks of an update's metadata against the stored object's that kube-apiserver makes and
 * kubus does not settle by carrying values over: an object being deleted (old has a
 * deletionTimestamp) takes no new finalizers. */
void kube_validate_meta_update(kube_errs_t *errs, const json_t *meta, const json_t *old);

/* Validates a metav1.LabelSelector object as ValidateLabelSelector does, under path (e.g.
 * "spec.selector"); NULL or JSON null is valid. */
void kube_validate_label_selector(kube_errs_t *errs, const json_t *selector, const char *path);

/* ---- helpers ---- */

/* Go's %q of s (strconv.Quote): how upstream shows a string value. Caller frees. */
char *kube_quote(const char *s);

/* upstream's SimpleNameGenerator: base cut to 58 bytes, then 5 random characters from
 * "bcdfghjklmnpqrstvwxz2456789". out holds at least 64 bytes for the full length; a shorter
 * out cuts the base further. Needs sodium_init() to have run. */
void kube_generate_name(const char *base, char *out, size_t outlen);

void kube_valid_test(bool verbose);
