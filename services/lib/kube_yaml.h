/* kube_yaml: YAML bodies and manifests as JSON, the way kube-apiserver and kubectl read them
 * (sigs.k8s.io/yaml: YAML 1.1 scalars, string keys). Aliases are refused (a "billion laughs"
 * body would expand without bound); depth and size are bounded. Not a YAML writer. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KUBE_YAML_DEPTH_MAX 64
#define KUBE_YAML_DOCS_MAX  1000

/* The one document in data as JSON (a new reference), or NULL with err set: malformed YAML,
 * more than one document, a non-string key, an alias, too deep. An empty document is JSON null. */
json_t *kube_yaml_decode(const uint8_t *data, size_t len, char *err, size_t errlen);

/* Every non-empty document of a multi-document stream ("---" separated), as a JSON array. */
json_t *kube_yaml_decode_all(const uint8_t *data, size_t len, char *err, size_t errlen);

void kube_yaml_test(bool verbose);
