/* gw_proto: decodes the protobuf bodies of kubectl 1.32's typed clients ("k8s\0" magic, then
 * runtime.Unknown wrapping the object's own message) into the JSON of the same object. A walker
 * over the tables of gw_proto_types.c; not an encoder, not a general protobuf library (no groups,
 * floats or enums: Kubernetes messages use none). Every byte is bounds-checked: it comes from the
 * network. */

/* JSON conventions: what encoding/json prints for the Go object, given that the client encodes
 * the empty strings and zeros of non-pointer fields too.
 * - A string "" is left out, and so are zero numbers and false, unless the field is a pointer
 *   upstream (KEEP0 in the tables): the client sends those only when set, so "replicas": 0 and
 *   "suspend": false stay. Leaving out a non-pointer zero changes nothing for a JSON reader.
 * - An embedded message always appears, empty or not ("resources": {}, "status": {}), as Go's
 *   non-omitempty structs do. A zero Time ({} or seconds 0) is left out (Go prints null).
 * - Repeated fields and maps appear once they have an entry; elements and map values are kept as
 *   they are, "" included. bytes become base64 (standard, padded), as Go's []byte.
 * - A scalar read twice keeps the last value; a message read twice merges (protobuf's rule).
 *   Unknown field numbers are skipped, whatever their wire type (3/4 excepted: refused).
 * Limits: body 3 MiB, one string or bytes value 1 MiB, nesting 32, 100 000 fields in all. */
#include "gw_proto.h"
#include "gw_proto_types.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_DEPTH_MAX  32
#define S_FIELDS_MAX 100000
#define S_STRING_MAX (1u << 20)
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years Go's Time.MarshalJSON accepts. */
#define S_TIME_MIN (-62135596800LL)
#define S_TIME_MAX 253402300799LL

enum { S_WT_VARINT = 0, S_WT_I64 = 1, S_WT_LEN = 2, S_WT_I32 = 5 };

/* A view of the bytes still to read; p never passes end. */
typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} s_rd_t;

/* One field's payload: the varint, or the slice of a length-delimited or fixed-size value. */
typedef struct {
    int wt;
    uint64_t v;
    const uint8_t *p;
    size_t len;
} s_val_t;

typedef struct {
    char *err;
    size_t errlen;
    int depth;     /* index of the message being read: 0 = the kind's own message */
    size_t fields; /* fields read so far, all levels together */
    /* For error texts: path[0] the root message, path[d + 1] the field read at depth d. */
    const char *path[S_DEPTH_MAX + 2];
} s_ctx_t;

/* Never NULL, so that p + 0 is defined for empty slices. */
static const uint8_t s_empty[1];

/* The small wrapper messages, decoded with the same walker and then converted. */
static const gw_proto_field_t s_f_time[] = {
    {1, "seconds", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {2, "nanos", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
};
static const gw_proto_field_t s_f_intstr[] = {
    {1, "type", GW_PROTO_K_I64, GW_PROTO_KEEP0, NULL},
    {2, "intVal", GW_PROTO_K_I32, GW_PROTO_KEEP0, NULL},
    {3, "strVal", GW_PROTO_K_STR, 0, NULL},
};
static const gw_proto_field_t s_f_qty[] = {{1, "string", GW_PROTO_K_STR, 0, NULL}};
static const gw_proto_field_t s_f_strlist[] = {{1, "items", GW_PROTO_K_STR, GW_PROTO_REP, NULL}};
static const gw_proto_field_t s_f_typemeta[] = {
    {1, "apiVersion", GW_PROTO_K_STR, 0, NULL},
    {2, "kind", GW_PROTO_K_STR, 0, NULL},
};
static const gw_proto_msg_t s_m_time = {"Time", s_f_time, GW_PROTO_LEN(s_f_time)};
static const gw_proto_msg_t s_m_intstr = {"IntOrString", s_f_intstr, GW_PROTO_LEN(s_f_intstr)};
static const gw_proto_msg_t s_m_qty = {"Quantity", s_f_qty, GW_PROTO_LEN(s_f_qty)};
static const gw_proto_msg_t s_m_strlist = {"ExtraValue", s_f_strlist, GW_PROTO_LEN(s_f_strlist)};
static const gw_proto_msg_t s_m_typemeta = {"TypeMeta", s_f_typemeta, GW_PROTO_LEN(s_f_typemeta)};

static json_t *s_oom(json_t *j)
{
    if (!j) abort();
    return j;
}

static void s_set(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new_nocheck(obj, key, v) != 0) abort();
}

/* Records "protobuf: PATH: WHAT" and returns -1. Only the innermost failure calls it. */
static int s_fail(s_ctx_t *ctx, const char *fmt, ...)
{
    char what[200], path[400] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t n = 0;
    for (int i = 0; i <= ctx->depth + 1 && i < S_DEPTH_MAX + 2; i++) {
        if (!ctx->path[i] || n >= sizeof path) continue;
        n += (size_t)snprintf(path + n, sizeof path - n, "%s%s", n ? "." : "", ctx->path[i]);
    }
    if (ctx->errlen) snprintf(ctx->err, ctx->errlen, "protobuf: %s%s%s", path, n ? ": " : "", what);
    return -1;
}

static int s_varint(s_ctx_t *ctx, s_rd_t *rd, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        if (rd->p == rd->end) return s_fail(ctx, "truncated varint");
        uint8_t b = *rd->p++;
        /* The tenth byte holds bit 63 only; more would not fit in 64 bits. */
        if (shift == 63 && b > 1) return s_fail(ctx, "varint longer than 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
    }
    *out = v;
    return 0;
}

static int s_take(s_ctx_t *ctx, s_rd_t *rd, uint64_t len, s_val_t *val)
{
    size_t left = (size_t)(rd->end - rd->p);
    if (len > left) return s_fail(ctx, "length %" PRIu64 " past the end (%zu left)", len, left);
    val->p = rd->p;
    val->len = (size_t)len;
    rd->p += len;
    return 0;
}

/* Reads one field: its number and its payload (not yet interpreted). */
static int s_next(s_ctx_t *ctx, s_rd_t *rd, uint64_t *num, s_val_t *val)
{
    uint64_t key = 0, len = 0;
    if (s_varint(ctx, rd, &key) < 0) return -1;
    if (++ctx->fields > S_FIELDS_MAX) return s_fail(ctx, "more than %d fields", S_FIELDS_MAX);
    *num = key >> 3;
    *val = (s_val_t){.wt = (int)(key & 7), .p = s_empty};
    if (*num == 0 || *num > 0x1fffffff)
        return s_fail(ctx, "field number %" PRIu64 " out of range", *num);
    switch (val->wt) {
    case S_WT_VARINT: return s_varint(ctx, rd, &val->v);
    case S_WT_I64: return s_take(ctx, rd, 8, val);
    case S_WT_I32: return s_take(ctx, rd, 4, val);
    case S_WT_LEN:
        if (s_varint(ctx, rd, &len) < 0) return -1;
        return s_take(ctx, rd, len, val);
    case 3:
    case 4:
        return s_fail(ctx, "field %" PRIu64 ": groups (wire type %d) are not supported", *num,
                      val->wt);
    default: return s_fail(ctx, "field %" PRIu64 ": invalid wire type %d", *num, val->wt);
    }
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), which is what JSON
 * text needs; jansson's own check cannot be told apart from out of memory. */
static bool s_utf8(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xc2 && c <= 0xdf ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (!n || len - i < n) return false;
        uint32_t cp = n == 1 ? c : c & (0x7f >> n);
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

static int s_string(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    if (val->len > S_STRING_MAX) return s_fail(ctx, "string of %zu bytes exceeds 1 MiB", val->len);
    if (!s_utf8(val->p, val->len)) return s_fail(ctx, "string is not valid UTF-8");
    *out = s_oom(json_stringn_nocheck((const char *)val->p, val->len));
    return 0;
}

static int s_base64(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    if (val->len > S_STRING_MAX) return s_fail(ctx, "bytes of %zu exceed 1 MiB", val->len);
    size_t cap = sodium_base64_ENCODED_LEN(val->len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    if (!b64) abort();
    sodium_bin2base64(b64, cap, val->p, val->len, sodium_base64_VARIANT_ORIGINAL);
    *out = s_oom(json_string_nocheck(b64));
    free(b64);
    return 0;
}

/* Two's complement without relying on the implementation-defined unsigned-to-signed cast. */
static int64_t s_signed(uint64_t v)
{
    return v <= INT64_MAX ? (int64_t)v : -(int64_t)(UINT64_MAX - v) - 1;
}

static int s_int(s_ctx_t *ctx, int kind, uint64_t v, json_t **out)
{
    int64_t x = s_signed(v);
    if (kind == GW_PROTO_K_BOOL) {
        *out = json_boolean(v != 0);
        return 0;
    }
    /* Encoders sign-extend int32 to 64 bits; anything else did not come from one. */
    if (kind == GW_PROTO_K_I32 && (x < INT32_MIN || x > INT32_MAX))
        return s_fail(ctx, "int32 out of range: %" PRId64, x);
    if (kind == GW_PROTO_K_U32 && v > UINT32_MAX)
        return s_fail(ctx, "uint32 out of range: %" PRIu64, v);
    *out = s_oom(json_integer((json_int_t)x));
    return 0;
}

static int s_decode_into(s_ctx_t *ctx, const gw_proto_msg_t *msg, const uint8_t *p, size_t len,
                         json_t *obj);

/* An embedded message one level deeper, its fields set into obj. */
static int s_nested(s_ctx_t *ctx, const gw_proto_msg_t *msg, const s_val_t *val, json_t *obj)
{
    if (ctx->depth + 1 >= S_DEPTH_MAX)
        return s_fail(ctx, "messages nested deeper than %d", S_DEPTH_MAX);
    ctx->depth++;
    ctx->path[ctx->depth + 1] = NULL;
    int rc = s_decode_into(ctx, msg, val->p, val->len, obj);
    ctx->depth--;
    return rc;
}

/* An embedded message as a new object. */
static json_t *s_msg(s_ctx_t *ctx, const gw_proto_msg_t *msg, const s_val_t *val)
{
    json_t *obj = s_oom(json_object());
    if (s_nested(ctx, msg, val, obj) == 0) return obj;
    json_decref(obj);
    return NULL;
}

/* meta/v1 Time: RFC 3339 in UTC with seconds, as metav1.Time's JSON (nanos are dropped by
 * upstream's Unmarshal too); the zero time becomes null, which the caller leaves out. */
static int s_time(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    json_t *t = s_msg(ctx, &s_m_time, val);
    if (!t) return -1;
    json_int_t sec = json_integer_value(json_object_get(t, "seconds"));
    json_int_t nsec = json_integer_value(json_object_get(t, "nanos"));
    json_decref(t);
    if (sec == 0 && nsec == 0) {
        *out = json_null();
        return 0;
    }
    if (sec < S_TIME_MIN || sec > S_TIME_MAX)
        return s_fail(ctx, "time %lld outside years 1-9999", (long long)sec);
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) return s_fail(ctx, "time %lld not representable", (long long)sec);
    char buf[40];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    *out = s_oom(json_string(buf));
    return 0;
}

/* intstr.IntOrString: type 0 is intVal as a number, type 1 strVal as a string. */
static int s_intstr(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    json_t *t = s_msg(ctx, &s_m_intstr, val);
    if (!t) return -1;
    json_int_t type = json_integer_value(json_object_get(t, "type"));
    const char *str = json_string_value(json_object_get(t, "strVal"));
    if (type == 0)
        *out = s_oom(json_integer(json_integer_value(json_object_get(t, "intVal"))));
    else if (type == 1)
        *out = s_oom(json_string_nocheck(str ? str : ""));
    json_decref(t);
    if (type != 0 && type != 1) return s_fail(ctx, "IntOrString of type %lld", (long long)type);
    return 0;
}

/* resource.Quantity: its canonical string. Absent reads as Go's zero Quantity, "0". */
static int s_qty(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    json_t *t = s_msg(ctx, &s_m_qty, val);
    if (!t) return -1;
    const char *s = json_string_value(json_object_get(t, "string"));
    *out = s_oom(json_string_nocheck(s ? s : "0"));
    json_decref(t);
    return 0;
}

/* ExtraValue is a Go []string with a message of its own on the wire: JSON has the bare array. */
static int s_strlist(s_ctx_t *ctx, const s_val_t *val, json_t **out)
{
    json_t *t = s_msg(ctx, &s_m_strlist, val);
    if (!t) return -1;
    json_t *items = json_object_get(t, "items");
    *out = items ? json_incref(items) : s_oom(json_array());
    json_decref(t);
    return 0;
}

static bool s_is_varint(int kind)
{
    return kind == GW_PROTO_K_I32 || kind == GW_PROTO_K_I64 || kind == GW_PROTO_K_U32 ||
           kind == GW_PROTO_K_BOOL;
}

/* One value of field f as JSON (json null: a zero Time, to be left out). */
static int s_value(s_ctx_t *ctx, const gw_proto_field_t *f, const s_val_t *val, json_t **out)
{
    int want = s_is_varint(f->kind) ? S_WT_VARINT : S_WT_LEN;
    if (f->kind != GW_PROTO_K_SKIP && val->wt != want)
        return s_fail(ctx, "wire type %d, expected %d", val->wt, want);
    switch ((gw_proto_kind_t)f->kind) {
    case GW_PROTO_K_STR: return s_string(ctx, val, out);
    case GW_PROTO_K_BYTES: return s_base64(ctx, val, out);
    case GW_PROTO_K_I32:
    case GW_PROTO_K_I64:
    case GW_PROTO_K_U32:
    case GW_PROTO_K_BOOL: return s_int(ctx, f->kind, val->v, out);
    case GW_PROTO_K_MSG: *out = s_msg(ctx, f->msg, val); return *out ? 0 : -1;
    case GW_PROTO_K_TIME: return s_time(ctx, val, out);
    case GW_PROTO_K_INTSTR: return s_intstr(ctx, val, out);
    case GW_PROTO_K_QTY: return s_qty(ctx, val, out);
    case GW_PROTO_K_STRLIST: return s_strlist(ctx, val, out);
    case GW_PROTO_K_SKIP: break;
    }
    *out = json_null();
    return 0;
}

/* The omitempty rule of the header comment, for a non-repeated field. */
static bool s_omit(const gw_proto_field_t *f, const json_t *v)
{
    if (json_is_null(v)) return true;
    if (json_is_string(v)) return json_string_length(v) == 0;
    if (f->flags & GW_PROTO_KEEP0) return false;
    if (json_is_integer(v)) return json_integer_value(v) == 0;
    return json_is_false(v);
}

/* The array or object under key in obj, created on first use (a later scalar under the same
 * name cannot happen: one table row per name). */
static json_t *s_child(json_t *obj, const char *key, bool array)
{
    json_t *c = json_object_get(obj, key);
    if (array ? json_is_array(c) : json_is_object(c)) return c;
    c = s_oom(array ? json_array() : json_object());
    s_set(obj, key, c);
    return c;
}

/* The key of a map entry: a NUL-terminated copy, since JSON object keys are C strings here. */
static int s_key(s_ctx_t *ctx, const s_val_t *val, char **out)
{
    if (val->wt != S_WT_LEN) return s_fail(ctx, "map key of wire type %d", val->wt);
    if (val->len > S_STRING_MAX) return s_fail(ctx, "map key of %zu bytes exceeds 1 MiB", val->len);
    if (!s_utf8(val->p, val->len)) return s_fail(ctx, "map key is not valid UTF-8");
    if (memchr(val->p, 0, val->len)) return s_fail(ctx, "map key contains NUL");
    *out = malloc(val->len + 1);
    if (!*out) abort();
    memcpy(*out, val->p, val->len);
    (*out)[val->len] = '\0';
    return 0;
}

/* One map entry {1: key, 2: value}; a missing value is the zero value of its kind. */
static int s_map_entry(s_ctx_t *ctx, json_t *obj, const gw_proto_field_t *f, const s_val_t *val)
{
    if (val->wt != S_WT_LEN) return s_fail(ctx, "map entry of wire type %d", val->wt);
    if (ctx->depth + 1 >= S_DEPTH_MAX)
        return s_fail(ctx, "messages nested deeper than %d", S_DEPTH_MAX);
    s_val_t key = {.wt = S_WT_LEN, .p = s_empty};
    s_val_t value = {.wt = s_is_varint(f->kind) ? S_WT_VARINT : S_WT_LEN, .p = s_empty};
    s_rd_t rd = {val->p, val->p + val->len};
    char *k = NULL;
    json_t *v = NULL;
    int rc = 0;
    ctx->depth++;
    while (rc == 0 && rd.p < rd.end) {
        uint64_t num = 0;
        s_val_t one;
        ctx->path[ctx->depth + 1] = NULL;
        if ((rc = s_next(ctx, &rd, &num, &one)) < 0) break;
        if (num == 1) key = one;
        if (num == 2) value = one;
    }
    if (rc == 0) rc = s_key(ctx, &key, &k);
    if (rc == 0) rc = s_value(ctx, f, &value, &v);
    ctx->depth--;
    if (rc == 0) s_set(s_child(obj, f->json, false), k, v);
    free(k);
    return rc;
}

/* A packed repeated scalar (proto3 style): varints back to back in one slice. Kubernetes'
 * proto2 encoders do not pack, but a reader should accept both. */
static int s_packed(s_ctx_t *ctx, json_t *obj, const gw_proto_field_t *f, const s_val_t *val)
{
    json_t *arr = s_child(obj, f->json, true);
    s_rd_t rd = {val->p, val->p + val->len};
    while (rd.p < rd.end) {
        uint64_t v = 0;
        json_t *j = NULL;
        if (++ctx->fields > S_FIELDS_MAX) return s_fail(ctx, "more than %d fields", S_FIELDS_MAX);
        if (s_varint(ctx, &rd, &v) < 0 || s_int(ctx, f->kind, v, &j) < 0) return -1;
        if (json_array_append_new(arr, j) != 0) abort();
    }
    return 0;
}

/* Places one occurrence of field f into obj. */
static int s_field(s_ctx_t *ctx, json_t *obj, const gw_proto_field_t *f, const s_val_t *val)
{
    if (f->flags & GW_PROTO_MAP) return s_map_entry(ctx, obj, f, val);
    if (f->flags & GW_PROTO_INLINE) {
        if (val->wt != S_WT_LEN) return s_fail(ctx, "wire type %d, expected 2", val->wt);
        return s_nested(ctx, f->msg, val, obj);
    }
    if ((f->flags & GW_PROTO_REP) && val->wt == S_WT_LEN && s_is_varint(f->kind))
        return s_packed(ctx, obj, f, val);
    /* A message read again merges into the first, as protobuf (and Go's decoder) do. */
    json_t *seen = json_object_get(obj, f->json);
    if (f->kind == GW_PROTO_K_MSG && !(f->flags & GW_PROTO_REP) && json_is_object(seen)) {
        if (val->wt != S_WT_LEN) return s_fail(ctx, "wire type %d, expected 2", val->wt);
        return s_nested(ctx, f->msg, val, seen);
    }
    json_t *v = NULL;
    if (s_value(ctx, f, val, &v) < 0) return -1;
    if (f->flags & GW_PROTO_REP) {
        if (json_array_append_new(s_child(obj, f->json, true), v) != 0) abort();
    } else if (s_omit(f, v)) {
        json_object_del(obj, f->json);
        json_decref(v);
    } else {
        s_set(obj, f->json, v);
    }
    return 0;
}

static int s_decode_into(s_ctx_t *ctx, const gw_proto_msg_t *msg, const uint8_t *p, size_t len,
                         json_t *obj)
{
    s_rd_t rd = {p, p + len};
    while (rd.p < rd.end) {
        uint64_t num = 0;
        s_val_t val;
        ctx->path[ctx->depth + 1] = NULL;
        if (s_next(ctx, &rd, &num, &val) < 0) return -1;
        const gw_proto_field_t *f = gw_proto_types_field(msg, num);
        /* Unknown numbers are newer fields: skipped, already bounds-checked by s_next. */
        if (!f || f->kind == GW_PROTO_K_SKIP) continue;
        ctx->path[ctx->depth + 1] = f->json;
        if (s_field(ctx, obj, f, &val) < 0) return -1;
    }
    return 0;
}

json_t *gw_proto_decode_as(const gw_proto_msg_t *msg, const uint8_t *raw, size_t len, char *err,
                           size_t errlen)
{
    s_ctx_t ctx = {.err = err, .errlen = errlen, .path = {msg->name}};
    json_t *obj = s_oom(json_object());
    if (s_decode_into(&ctx, msg, len ? raw : s_empty, len, obj) < 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* runtime.Unknown's fields, all borrowed from the body. */
typedef struct {
    json_t *type_meta; /* {"apiVersion", "kind"}, owned */
    s_val_t raw;
    s_val_t content_encoding;
    s_val_t content_type;
} s_unknown_t;

static int s_unknown(s_ctx_t *ctx, const uint8_t *p, size_t len, s_unknown_t *u)
{
    s_rd_t rd = {p, p + len};
    while (rd.p < rd.end) {
        uint64_t num = 0;
        s_val_t val;
        ctx->path[1] = NULL;
        if (s_next(ctx, &rd, &num, &val) < 0) return -1;
        if (num > 4) continue;
        static const char *const names[] = {"", "typeMeta", "raw", "contentEncoding",
                                            "contentType"};
        ctx->path[1] = names[num];
        if (val.wt != S_WT_LEN) return s_fail(ctx, "wire type %d, expected 2", val.wt);
        if (num == 1) {
            json_decref(u->type_meta);
            if (!(u->type_meta = s_msg(ctx, &s_m_typemeta, &val))) return -1;
        }
        if (num == 2) u->raw = val;
        if (num == 3) u->content_encoding = val;
        if (num == 4) u->content_type = val;
    }
    return 0;
}

/* Checks the envelope and returns the borrowed apiVersion and kind; refuses what is not a plain
 * protobuf object (a content encoding such as gzip, another content type). */
static int s_envelope(s_ctx_t *ctx, const s_unknown_t *u, const char **api_version,
                      const char **kind)
{
    json_t *av = json_object_get(u->type_meta, "apiVersion");
    json_t *k = json_object_get(u->type_meta, "kind");
    ctx->path[1] = NULL;
    if (!av || !k) return s_fail(ctx, "typeMeta has no apiVersion or kind");
    if (strlen(json_string_value(av)) != json_string_length(av) ||
        strlen(json_string_value(k)) != json_string_length(k))
        return s_fail(ctx, "typeMeta contains NUL");
    static const char proto_type[] = "application/vnd.kubernetes.protobuf";
    if (u->content_encoding.len)
        return s_fail(ctx, "contentEncoding \"%.*s\" is not supported",
                      (int)(u->content_encoding.len > 40 ? 40 : u->content_encoding.len),
                      (const char *)u->content_encoding.p);
    if (u->content_type.len && (u->content_type.len != strlen(proto_type) ||
                                memcmp(u->content_type.p, proto_type, strlen(proto_type)) != 0))
        return s_fail(ctx, "contentType is not %s", proto_type);
    *api_version = json_string_value(av);
    *kind = json_string_value(k);
    return 0;
}

json_t *gw_proto_decode(const uint8_t *body, size_t len, char *err, size_t errlen)
{
    s_ctx_t ctx = {.err = err, .errlen = errlen, .path = {"Unknown"}};
    s_unknown_t u = {.raw = {.p = s_empty}};
    const char *api_version = NULL, *kind = NULL;
    json_t *obj = NULL;
    if (len > GW_PROTO_BODY_MAX) {
        s_fail(&ctx, "body of %zu bytes exceeds %u", len, GW_PROTO_BODY_MAX);
        return NULL;
    }
    if (len < 4 || memcmp(body, "k8s\0", 4) != 0) {
        s_fail(&ctx, "body does not start with the magic k8s\\0");
        return NULL;
    }
    if (s_unknown(&ctx, body + 4, len - 4, &u) < 0 || s_envelope(&ctx, &u, &api_version, &kind) < 0)
        goto done;
    const gw_proto_msg_t *msg = gw_proto_types_root(api_version, kind);
    if (!msg) {
        s_fail(&ctx, "kind %.64s %.64s is not supported", api_version, kind);
        goto done;
    }
    obj = s_oom(json_object());
    s_set(obj, "apiVersion", json_incref(json_object_get(u.type_meta, "apiVersion")));
    s_set(obj, "kind", json_incref(json_object_get(u.type_meta, "kind")));
    ctx.path[0] = msg->name;
    if (s_decode_into(&ctx, msg, u.raw.p, u.raw.len, obj) < 0) {
        json_decref(obj);
        obj = NULL;
    }
done:
    json_decref(u.type_meta);
    return obj;
}
