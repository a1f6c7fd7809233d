/* gw_proto: Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) decoded to JSON.
 * Decoding only, and only the kinds kubectl's typed clients send (kubectl create …, auth can-i,
 * auth whoami, create token): the gateway answers in JSON, so no encoder is needed. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest body accepted (the caller enforces it first; checked again here). */
#define GW_PROTO_BODY_MAX (3u << 20)

/* Decodes body: checks the 4-byte magic 6b 38 73 00, reads runtime.Unknown {1: TypeMeta{1:
 * apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}, then raw as the message of
 * that apiVersion/kind. Returns the object as JSON with "apiVersion" and "kind" set (a new
 * reference), or NULL with err set (kind not supported, malformed bytes, limits exceeded). The
 * texts start with "protobuf: " and name the field path where decoding stopped. body is only
 * borrowed for the call. */
json_t *gw_proto_decode(const uint8_t *body, size_t len, char *err, size_t errlen);

/* Asserts decodes of bodies captured from kubectl 1.32 and of malformed bodies. */
void gw_proto_test(bool verbose);
