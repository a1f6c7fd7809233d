/* gw_proto_types: internal to gw_proto. The message tables (gw_proto_types.c, field numbers of
 * k8s.io/api v1.32 generated.proto) and the walker's entry point that the selftest drives with
 * tables of its own. Not for other modules: they use gw_proto.h. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* What a field's bytes become in JSON. */
typedef enum {
    GW_PROTO_K_STR,     /* string */
    GW_PROTO_K_BYTES,   /* bytes, as base64 (standard alphabet, padded), like Go's []byte */
    GW_PROTO_K_I32,     /* varint int32 */
    GW_PROTO_K_I64,     /* varint int64 */
    GW_PROTO_K_U32,     /* varint uint32 */
    GW_PROTO_K_BOOL,    /* varint bool */
    GW_PROTO_K_MSG,     /* embedded message of type .msg, a JSON object */
    GW_PROTO_K_TIME,    /* meta/v1 Time {1: seconds, 2: nanos}: RFC 3339 UTC, seconds precision */
    GW_PROTO_K_INTSTR,  /* intstr.IntOrString {1: type, 2: intVal, 3: strVal}: number or string */
    GW_PROTO_K_QTY,     /* resource.Quantity {1: string}: its string */
    GW_PROTO_K_STRLIST, /* ExtraValue {1: repeated string}: a JSON array (a named []string) */
    GW_PROTO_K_SKIP,    /* RawExtension, managedFields: read past, not converted */
} gw_proto_kind_t;

/* Field flags. MAP: repeated {1: key string, 2: value of .kind} entries, a JSON object. KEEP0:
 * the Go field is a pointer, so the client encodes it only when set and a zero is a real value
 * ("replicas": 0); without it zero numbers and false are left out as omitempty would. INLINE: an
 * embedded Go struct tagged `json:",inline"` (Volume's VolumeSource, Probe's handler): its fields
 * go into the parent's object. */
enum { GW_PROTO_REP = 1, GW_PROTO_MAP = 2, GW_PROTO_KEEP0 = 4, GW_PROTO_INLINE = 8 };

typedef struct gw_proto_msg gw_proto_msg_t;

typedef struct {
    uint32_t num;
    const char *json;
    uint8_t kind;              /* gw_proto_kind_t */
    uint8_t flags;             /* GW_PROTO_REP | GW_PROTO_MAP | GW_PROTO_KEEP0 */
    const gw_proto_msg_t *msg; /* GW_PROTO_K_MSG only */
} gw_proto_field_t;

struct gw_proto_msg {
    const char *name;
    const gw_proto_field_t *fields; /* ascending field numbers */
    size_t fields_len;
};

#define GW_PROTO_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The message of an apiVersion/kind pair, or NULL when it is not supported. Static tables. */
const gw_proto_msg_t *gw_proto_types_root(const char *api_version, const char *kind);

/* The field numbered num in msg, or NULL (unknown fields are skipped by the caller). */
const gw_proto_field_t *gw_proto_types_field(const gw_proto_msg_t *msg, uint64_t num);

/* Decodes raw (no magic, no envelope) as one message of type msg into a new JSON object, or
 * NULL with err set. gw_proto_decode uses it after the envelope; the selftest drives it with
 * synthetic tables (a self-nesting message reaches the depth limit). */
json_t *gw_proto_decode_as(const gw_proto_msg_t *msg, const uint8_t *raw, size_t len, char *err,
                           size_t errlen);
