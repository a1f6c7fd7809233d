/* bus_codec: the one walker that encodes, decodes, validates, prints and converts to and from
 * JSON every message described in schemas/. The generator (schemas/gen.py) emits only tables:
 * a C struct per message and a codec_msg_t describing its fields. Nothing here knows any
 * particular message.
 *
 * Wire form: a message is a msgpack map from field tag (unsigned integer) to value. Tags are
 * permanent; unknown tags are skipped; a tag seen twice is malformed; nil means absent.
 * Zero values (0, false, NULL, empty) are not written unless the field is required.
 *
 * In-memory form (what the generated structs hold):
 *   bool -> bool, u32/enum -> uint32_t, u64 -> uint64_t, i32 -> int32_t, i64 -> int64_t,
 *   f64 -> double, str -> char * (NUL-terminated, NULL when absent), bytes -> codec_bytes_t,
 *   message -> T * (NULL when absent), list of X -> codec_list_t whose v points to X[n],
 *   strmap -> codec_list_t of codec_kv_t.
 * Decoded values live in the arena given to the decoder and stay valid until it is reset. */
#pragma once

#include "bus_arena.h"
#include "bus_buf.h"
#include "bus_mp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CODEC_BOOL = 1,
    CODEC_U32,
    CODEC_U64,
    CODEC_I32,
    CODEC_I64,
    CODEC_F64,
    CODEC_ENUM,
    CODEC_STR,
    CODEC_BYTES,
    CODEC_MSG,
    CODEC_STRMAP,
} codec_kind_t;

#define CODEC_REQUIRED  0x1u /* must be present on the wire */
#define CODEC_LIST      0x2u /* a list of the kind */
#define CODEC_SENSITIVE 0x4u /* never printed in clear (tap, logs, JSON with CODEC_JSON_REDACT) */

/* Nesting limit for messages inside messages. */
#define CODEC_DEPTH_MAX 16

typedef struct {
    uint8_t *data;
    size_t len;
} codec_bytes_t;

typedef struct {
    size_t n;
    void *v;
} codec_list_t;

typedef struct {
    char *key;
    char *value;
} codec_kv_t;

typedef struct {
    const char *name;
    uint32_t value;
} codec_enum_value_t;

typedef struct codec_enum_t {
    const char *name;
    const codec_enum_value_t *values;
    size_t values_n;
} codec_enum_t;

typedef struct codec_msg_t codec_msg_t;

typedef struct {
    uint32_t tag;
    const char *name;
    uint8_t kind;  /* codec_kind_t */
    uint8_t flags; /* CODEC_REQUIRED | CODEC_LIST | CODEC_SENSITIVE */
    uint32_t offset;
    uint64_t max;       /* str/bytes: length; strmap: entries; integers: largest value */
    int64_t min;        /* integers: smallest value */
    uint32_t items_max; /* lists: element count */
    const codec_msg_t *msg;
    const codec_enum_t *en;
    const char *doc;
} codec_field_t;

struct codec_msg_t {
    const char *name;            /* "package.message" */
    uint32_t type;               /* bus message type, 0 for messages only used inside others */
    uint32_t size;               /* sizeof the struct */
    const codec_field_t *fields; /* sorted by tag */
    size_t fields_n;
    const char *doc;
};

/* What went wrong, with the field path: "bus.envelope.service: 300 bytes, max 64". */
typedef struct {
    char text[256];
} codec_err_t;

/* Appends the encoding of msg (a struct described by desc) to out. Returns 0, BUS_ETOOBIG when
 * out's maximum is reached, or BUS_EINVALID when msg itself breaks its description (a required
 * field missing, a value out of range); err says which field. */
int codec_encode(const codec_msg_t *desc, const void *msg, bus_buf_t *out, codec_err_t *err);

/* Decodes exactly len bytes into a new struct allocated in arena (*out). Returns 0,
 * BUS_EMALFORMED (not msgpack, wrong types, duplicate tags, trailing bytes), BUS_EINVALID (a
 * required field missing, a value beyond its limits) or BUS_ETOOBIG (the arena's limit). */
int codec_decode(const codec_msg_t *desc, const void *data, size_t len, bus_arena_t *arena,
                 void **out, codec_err_t *err);

/* Like codec_decode, but reads one message from the front of r and leaves the rest. */
int codec_decode_next(const codec_msg_t *desc, bus_mp_t *r, bus_arena_t *arena, void **out,
                      codec_err_t *err);

/* Checks an in-memory struct against its description (what codec_encode checks). */
int codec_validate(const codec_msg_t *desc, const void *msg, codec_err_t *err);

#define CODEC_JSON_REDACT 0x1u /* sensitive fields become "<redacted>" */
#define CODEC_JSON_BRIEF  0x2u /* bytes longer than 48 become "<N bytes>"; for one-line views */

/* A JSON object for msg: field names as keys, enums by name, bytes as base64 (or brief). Absent
 * fields are left out. The caller owns the result. */
json_t *codec_to_json(const codec_msg_t *desc, const void *msg, unsigned flags);

/* The reverse: builds a struct in arena from a JSON object. Unknown keys are an error
 * (BUS_EINVALID) so a typo is not silently dropped. */
int codec_from_json(const codec_msg_t *desc, const json_t *json, bus_arena_t *arena, void **out,
                    codec_err_t *err);

/* One-line text form for logs and the tap: "bus.ready {...}". Caller frees. */
char *codec_print(const codec_msg_t *desc, const void *msg, unsigned flags);

/* Deep equality of two structs of one description. */
bool codec_equal(const codec_msg_t *desc, const void *a, const void *b);

/* Fills a struct in arena with deterministic values that exercise every field (for tests). */
void *codec_sample(const codec_msg_t *desc, bus_arena_t *arena, uint64_t seed);

/* Makes text valid UTF-8 in place: invalid bytes become '?', and a character cut short at the
 * end (by truncating into a fixed buffer) is dropped. */
void codec_utf8_repair(char *text);

/* Enum helpers: name of a value (NULL when unknown), value of a name (-1 when unknown). */
const char *codec_enum_name(const codec_enum_t *en, uint32_t value);
int64_t codec_enum_value(const codec_enum_t *en, const char *name);

/* Field lookup by name (NULL when none). */
const codec_field_t *codec_field_by_name(const codec_msg_t *desc, const char *name);

/* The round trip every message must pass: sample -> encode -> decode -> equal -> re-encode to
 * identical bytes, every truncation rejected, JSON there and back. Used by the generated tests. */
void codec_selftest_message(const codec_msg_t *desc);

void bus_codec_test(bool verbose);
