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

void kube_obj_test(bool verbose);
