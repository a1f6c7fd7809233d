/* kube_patch: the three PATCH body types of the Kubernetes API over jansson: JSON merge patch
 * (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, with the kube-apiserver's
 * semantics and error texts. Pure functions: no I/O, no globals. It knows no Kubernetes types:
 * strategic merge learns about fields from the caller's schema callback. Not server-side apply. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting of objects and arrays accepted in a patch (and in a JSON patch's values and
 * pointers); deeper input is an error, so hostile bodies cannot exhaust the stack. */
#define KUBE_PATCH_DEPTH_MAX 100
/* Most operations in one JSON patch (the apiserver's limit; it answers 413 beyond). */
#define KUBE_PATCH_OPS_MAX 10000
/* Most bytes (compact JSON) that "copy" operations may add to a document in one JSON patch
 * (the apiserver's JSONPatchMaxCopyBytes default). */
#define KUBE_PATCH_COPY_BYTES_MAX (3 * 1024 * 1024)
/* A JSON patch may not move, copy or add values so as to nest the document deeper than this. */
#define KUBE_PATCH_DOC_DEPTH_MAX 1000

/* What strategic merge needs to know about one field. path holds the field names from the
 * object's root to the field (list positions are not in it: the fields of a list's elements
 * follow the list's own name), e.g. {"spec","template","spec","containers"}. */
typedef struct {
    const char *merge_key; /* a list of objects merged element by element on this key
                              ("name", "containerPort", "port", "mountPath", "uid"…);
                              NULL: not a merging list */
    bool merge_primitives; /* a list of scalars with patchStrategy "merge" (finalizers):
                              union of both, order kept, duplicates not added */
    bool retain_keys;      /* patchStrategy "retainKeys" (e.g. volumes' elements). Applying a
                              patch honours "$retainKeys" wherever it appears, as upstream does;
                              the flag is for whoever builds patches. */
} kube_patch_field_t;

/* Fills *out for the field at path and returns true if the schema knows it; false (out zeroed)
 * for unknown fields, which are then treated as plain maps / atomic lists. path and its strings
 * are valid during the call only. */
typedef bool (*kube_patch_schema_fn)(void *arg, const char *const *path, size_t depth,
                                     kube_patch_field_t *out);

/* Each returns 0 and a new reference in *out (the input doc and patch are not modified), or -1
 * with a message in err (at most errlen bytes, always NUL-terminated; err may be NULL when
 * errlen is 0) and *out untouched. A null patch (or null ops) changes nothing. */

/* RFC 7386. The patch must be an object (the apiserver refuses any other top-level patch). */
int kube_merge_patch(const json_t *doc, const json_t *patch, json_t **out, char *err,
                     size_t errlen);
/* RFC 6902, with evanphx/json-patch's messages ("testing value /a failed: test failed").
 * ops must be an array of at most KUBE_PATCH_OPS_MAX operations; the empty pointer (the whole
 * document) and negative indices are refused. A failed operation leaves *out untouched: the
 * patch applies whole or not at all. */
int kube_json_patch(const json_t *doc, const json_t *ops, json_t **out, char *err, size_t errlen);
/* Strategic merge patch as k8s.io/apimachinery/pkg/util/strategicpatch applies it
 * (StrategicMergeMapPatch): directives $patch, $retainKeys, $setElementOrder/<field> and
 * $deleteFromPrimitiveList/<field>, never left in the output. doc and patch must be objects.
 * "$patch": "delete" in a map leaves an empty map there, as upstream's mergeMap does. A patch
 * value with nothing to merge into is merged into nothing (its nulls and directives applied).
 * Merged lists are ordered as upstream's normalizeElementOrder orders them: the items the patch
 * names in the patch's order ($setElementOrder's when given), the others in their live order,
 * interleaved so that a live-only item goes before a patch item only if it came before it in
 * the live list; so an item new to the list comes before the live-only items after it.
 * schema may be NULL (every field unknown: the result is that of a merge patch, except that
 * directives are applied). */
int kube_strategic_patch(const json_t *doc, const json_t *patch, kube_patch_schema_fn schema,
                         void *arg, json_t **out, char *err, size_t errlen);

void kube_patch_test(bool verbose);
