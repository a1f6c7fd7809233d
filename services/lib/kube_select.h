/* kube_select: Kubernetes label selectors (labels.Parse, metav1.LabelSelector) and field
 * selectors (fields.ParseSelector): parsed, matched and printed with apimachinery's rules and
 * error texts (v1.32). Pure: no I/O. Not field extraction: the caller says what a field key is
 * worth on an object, through a callback. Each selector has at most KUBE_SELECT_TERMS_MAX
 * requirements and KUBE_SELECT_TEXT_MAX bytes of text (keys and values for a JSON one). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define KUBE_SELECT_TERMS_MAX 64
#define KUBE_SELECT_TEXT_MAX  8192

/* ---- label selectors ---- */

typedef struct kube_labels_t kube_labels_t;

/* Parses labels.Parse's syntax: "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a",
 * "a>5", "a<5", joined by commas (an AND). "" (or NULL) selects everything. On error returns
 * NULL and writes upstream's message to err (e.g. "unable to parse requirement: <nil>: Invalid
 * value: \"a_\": name part must …"); err may be NULL. */
kube_labels_t *kube_labels_parse(const char *text, char *err, size_t errlen);
/* Converts a metav1.LabelSelector ({"matchLabels":{…},"matchExpressions":[{"key","operator",
 * "values"}]}) as LabelSelectorAsSelector does: {} selects everything, while NULL or JSON null
 * selects nothing (upstream's labels.Nothing()). NULL and a message on error. */
kube_labels_t *kube_labels_from_selector(const json_t *label_selector, char *err, size_t errlen);
/* Whether labels (a JSON object of strings; NULL means none) satisfy every requirement. A member
 * that is not a string counts as absent. */
bool kube_labels_match(const kube_labels_t *self, const json_t *labels);
/* The canonical text: requirements ordered by key, values of a set sorted, e.g.
 * "app=web,tier in (a,b),!x". "" for everything and for nothing. Caller frees. */
char *kube_labels_string(const kube_labels_t *self);
/* True when the selector does not restrict (selects everything); false for nothing. */
bool kube_labels_empty(const kube_labels_t *self);
void kube_labels_destroy(kube_labels_t **self_p);

/* ---- field selectors ---- */

typedef enum { KUBE_FIELDS_EQ, KUBE_FIELDS_NE } kube_fields_op_t;

typedef struct kube_fields_t kube_fields_t;

/* The value of field key on the object at arg, or NULL when the object has no such field (it
 * then compares as "", as upstream's fields.Set.Get does). */
typedef const char *(*kube_field_get_fn)(void *arg, const char *key);

/* Parses "k=v", "k==v", "k!=v" terms joined by commas; in values "\," "\=" "\\" stand for
 * themselves. "" (or NULL) selects everything. Terms are kept in upstream's order (sorted as
 * text). NULL and upstream's message on error ("invalid selector: 'x'; can't understand 'x'"). */
kube_fields_t *kube_fields_parse(const char *text, char *err, size_t errlen);
size_t kube_fields_count(const kube_fields_t *self);
/* Term i's key and (unescaped) value, borrowed until destroy; i < count. */
const char *kube_fields_key(const kube_fields_t *self, size_t i);
const char *kube_fields_value(const kube_fields_t *self, size_t i);
kube_fields_op_t kube_fields_op(const kube_fields_t *self, size_t i);
/* Whether every term holds for the object get describes. */
bool kube_fields_match(const kube_fields_t *self, kube_field_get_fn get, void *arg);
/* The value an "=" term requires of key (the first such term), or NULL: lets a caller turn
 * "metadata.name=x" into a direct lookup. The other terms still have to match. */
const char *kube_fields_equals(const kube_fields_t *self, const char *key);
/* The canonical text, values escaped: "a=b\,c,d!=e". Caller frees. */
char *kube_fields_string(const kube_fields_t *self);
void kube_fields_destroy(kube_fields_t **self_p);

void kube_select_test(bool verbose);
