/* kube_obj: Kubernetes objects at rest and on the bus. An object is JSON in the gateway and the
 * controllers (jansson) and msgpack in the store and on the bus: this converts between the two,
 * value for value (maps, arrays, strings, integers, reals, booleans, null). It knows nothing of
 * kinds; the depth of what it reads is bounded, so hostile bytes cannot exhaust the stack. */
#pragma once

#include "bus_buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KUBE_OBJ_DEPTH_MAX 64

/* Appends obj's msgpack form to out. 0, or BUS_ETOOBIG when out's maximum is reached, or
 * BUS_EINVALID when obj nests deeper than KUBE_OBJ_DEPTH_MAX. */
int kube_obj_encode(const json_t *obj, bus_buf_t *out);

/* Reads one msgpack value (the whole of data) as JSON: a new reference, or NULL with err set
 * when the bytes are not one well-formed value of the kinds above (map keys must be strings). */
json_t *kube_obj_decode(const uint8_t *data, size_t len, char *err, size_t errlen);

/* Writes the object in data (msgpack) to out as compact JSON text without building it in memory
 * (a list of thousands goes straight from the store's bytes to the response). When rv is not
 * NULL, metadata.resourceVersion is written as rv (a stored one is dropped). 0, BUS_EMALFORMED
 * (err says why) or BUS_ETOOBIG (out's maximum). Real numbers print as JSON's %.17g. */
int kube_obj_write_json(const uint8_t *data, size_t len, const char *rv, bus_buf_t *out, char *err,
                        size_t errlen);

/* The value at path (map keys, depth of them) inside the object in data, decoded to JSON; NULL
 * when absent or malformed. Reads only what lies on the way. */
json_t *kube_obj_get(const uint8_t *data, size_t len, const char *const *path, size_t depth);

/* The kind of a JSON value as Go's encoding/json names it in "cannot unmarshal X into ..."
 * (object, array, string, number, bool, null): how decoding errors word a wrong type. */
const char *kube_obj_kind(const json_t *v);

/* For selftests: an object from JSON written with ' for " (readable in C). Aborts, saying why,
 * on text that is not JSON. */
json_t *kube_obj_quoted(const char *text);

void kube_obj_test(bool verbose);
