/* bus_codec: the table-driven walker. Encoding goes through msgpack-c's packer; decoding through
 * bus_mp's bounded reader straight into the struct, with no intermediate tree. Every check the
 * description implies (types, lengths, ranges, enum values, UTF-8, required fields) happens both
 * ways, so what encodes also decodes. */
#include "bus_codec.h"
#include "bus_err.h"
#include "bus_mp.h"

#include <assert.h>
#include <inttypes.h>
#include <msgpack.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FIELDS_MAX  256
#define S_KEY_MAX     512    /* strmap key length */
#define S_VALUE_MAX   262144 /* strmap value length */
#define S_BRIEF_BYTES 48

static int s_fail(codec_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_fail(codec_err_t *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
        /* The text may quote a peer's bytes, and truncation may cut a character. */
        codec_utf8_repair(err->text);
    }
    return code;
}

/* Prefixes the error text with a path element: "name." or "name[3].". */
static void s_wrap(codec_err_t *err, const char *name, long index)
{
    if (!err) return;
    char tmp[sizeof err->text];
    /* "name: problem" inside becomes "outer.name: problem"; a text that starts with ':' names no
     * field of its own and attaches to the path directly. */
    const char *dot = err->text[0] == ':' ? "" : ".";
    if (index >= 0)
        snprintf(tmp, sizeof tmp, "%s[%ld]%s%s", name, index, dot, err->text);
    else
        snprintf(tmp, sizeof tmp, "%s%s%s", name, dot, err->text);
    memcpy(err->text, tmp, sizeof tmp);
    codec_utf8_repair(err->text);
}

/* Valid UTF-8 without NUL, overlong forms or surrogates. */
static bool s_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c == 0) return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one. */
static size_t s_utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void codec_utf8_repair(char *text)
{
    uint8_t *s = (uint8_t *)text;
    size_t n = strlen(text), i = 0;
    while (i < n) {
        size_t len = s_utf8_seq(s + i, n - i);
        if (len) {
            i += len;
            continue;
        }
        /* A lead byte whose sequence runs past the end was cut short: drop the rest. */
        if (s[i] >= 0xc0 && (s[i] & 0xf8) != 0xf8) {
            size_t want = (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3 : 4, k = 1;
            while (k < n - i && (s[i + k] & 0xc0) == 0x80) k++;
            if (i + k == n && k < want) {
                s[i] = 0;
                return;
            }
        }
        s[i++] = '?';
    }
}

const char *codec_enum_name(const codec_enum_t *en, uint32_t value)
{
    for (size_t i = 0; i < en->values_n; i++)
        if (en->values[i].value == value) return en->values[i].name;
    return NULL;
}

int64_t codec_enum_value(const codec_enum_t *en, const char *name)
{
    for (size_t i = 0; i < en->values_n; i++)
        if (strcmp(en->values[i].name, name) == 0) return en->values[i].value;
    return -1;
}

const codec_field_t *codec_field_by_name(const codec_msg_t *desc, const char *name)
{
    for (size_t i = 0; i < desc->fields_n; i++)
        if (strcmp(desc->fields[i].name, name) == 0) return &desc->fields[i];
    return NULL;
}

static const codec_field_t *s_field_by_tag(const codec_msg_t *desc, uint64_t tag)
{
    size_t lo = 0, hi = desc->fields_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (desc->fields[mid].tag == tag) return &desc->fields[mid];
        if (desc->fields[mid].tag < tag)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static size_t s_elem_size(const codec_field_t *f)
{
    switch (f->kind) {
    case CODEC_BOOL: return sizeof(bool);
    case CODEC_U32:
    case CODEC_ENUM: return sizeof(uint32_t);
    case CODEC_I32: return sizeof(int32_t);
    case CODEC_U64: return sizeof(uint64_t);
    case CODEC_I64: return sizeof(int64_t);
    case CODEC_F64: return sizeof(double);
    case CODEC_STR: return sizeof(char *);
    case CODEC_BYTES: return sizeof(codec_bytes_t);
    case CODEC_MSG: return f->msg->size;
    case CODEC_STRMAP: return sizeof(codec_kv_t);
    default: return 0;
    }
}

/* --- checks shared by encode and decode ---------------------------------------------------- */

static int s_check_uint(const codec_field_t *f, uint64_t v, codec_err_t *err)
{
    if (f->kind == CODEC_ENUM) {
        if (!codec_enum_name(f->en, (uint32_t)v) || v > UINT32_MAX)
            return s_fail(err, BUS_EINVALID, "%s: %" PRIu64 " is not a %s", f->name, v,
                          f->en->name);
        return 0;
    }
    if (v > f->max || (f->min > 0 && v < (uint64_t)f->min))
        return s_fail(err, BUS_EINVALID, "%s: %" PRIu64 " is outside %" PRId64 "..%" PRIu64,
                      f->name, v, f->min, f->max);
    return 0;
}

static int s_check_int(const codec_field_t *f, int64_t v, codec_err_t *err)
{
    if (v < f->min || (v > 0 && (uint64_t)v > f->max))
        return s_fail(err, BUS_EINVALID, "%s: %" PRId64 " is outside %" PRId64 "..%" PRIu64,
                      f->name, v, f->min, f->max);
    return 0;
}

static int s_check_str(const codec_field_t *f, const char *s, size_t len, size_t max,
                       codec_err_t *err)
{
    if (len > max) return s_fail(err, BUS_EINVALID, "%s: %zu bytes, max %zu", f->name, len, max);
    if (!s_utf8_ok((const uint8_t *)s, len))
        return s_fail(err, BUS_EINVALID, "%s: not valid UTF-8 text", f->name);
    return 0;
}

/* --- decode -------------------------------------------------------------------------------- */

static int s_decode_into(const codec_msg_t *d, bus_mp_t *r, bus_arena_t *a, void *out, int depth,
                         codec_err_t *err);

static int s_decode_str(const codec_field_t *f, bus_mp_t *r, bus_arena_t *a, size_t max, char **out,
                        codec_err_t *err)
{
    const char *s;
    uint32_t n;
    if (bus_mp_read_str(r, &s, &n))
        return s_fail(err, BUS_EMALFORMED, "%s: expected a string", f->name);
    int rc = s_check_str(f, s, n, max, err);
    if (rc) return rc;
    if (!(*out = bus_arena_strndup(a, s, n)))
        return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", f->name);
    return 0;
}

/* One value (not a list) into slot; for CODEC_MSG the slot is the struct itself. */
static int s_decode_one(const codec_field_t *f, bus_mp_t *r, bus_arena_t *a, void *slot, int depth,
                        codec_err_t *err)
{
    uint64_t u;
    int64_t i;
    int rc;
    switch (f->kind) {
    case CODEC_BOOL:
        if (bus_mp_read_bool(r, slot))
            return s_fail(err, BUS_EMALFORMED, "%s: expected a boolean", f->name);
        return 0;
    case CODEC_U32:
    case CODEC_ENUM:
    case CODEC_U64:
        if (bus_mp_read_uint(r, &u))
            return s_fail(err, BUS_EMALFORMED, "%s: expected an unsigned integer", f->name);
        if (f->kind != CODEC_U64 && u > UINT32_MAX)
            return s_fail(err, BUS_EINVALID, "%s: %" PRIu64 " does not fit 32 bits", f->name, u);
        if ((rc = s_check_uint(f, u, err))) return rc;
        if (f->kind == CODEC_U64)
            *(uint64_t *)slot = u;
        else
            *(uint32_t *)slot = (uint32_t)u;
        return 0;
    case CODEC_I32:
    case CODEC_I64:
        if (bus_mp_read_int(r, &i))
            return s_fail(err, BUS_EMALFORMED, "%s: expected an integer", f->name);
        if (f->kind == CODEC_I32 && (i < INT32_MIN || i > INT32_MAX))
            return s_fail(err, BUS_EINVALID, "%s: %" PRId64 " does not fit 32 bits", f->name, i);
        if ((rc = s_check_int(f, i, err))) return rc;
        if (f->kind == CODEC_I64)
            *(int64_t *)slot = i;
        else
            *(int32_t *)slot = (int32_t)i;
        return 0;
    case CODEC_F64:
        if (bus_mp_read_f64(r, slot))
            return s_fail(err, BUS_EMALFORMED, "%s: expected a number", f->name);
        return 0;
    case CODEC_STR: return s_decode_str(f, r, a, f->max, slot, err);
    case CODEC_BYTES: {
        const uint8_t *b;
        uint32_t n;
        if (bus_mp_read_bin(r, &b, &n))
            return s_fail(err, BUS_EMALFORMED, "%s: expected bytes", f->name);
        if (n > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %u bytes, max %" PRIu64, f->name, n, f->max);
        codec_bytes_t *out = slot;
        out->len = n;
        out->data = NULL;
        if (n && !(out->data = bus_arena_alloc(a, n)))
            return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", f->name);
        if (n) memcpy(out->data, b, n);
        return 0;
    }
    case CODEC_MSG: return s_decode_into(f->msg, r, a, slot, depth + 1, err);
    case CODEC_STRMAP: {
        uint32_t n;
        if (bus_mp_read_map(r, &n))
            return s_fail(err, BUS_EMALFORMED, "%s: expected a map", f->name);
        if (n > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %u entries, max %" PRIu64, f->name, n, f->max);
        codec_list_t *list = slot;
        list->n = n;
        if (n && !(list->v = bus_arena_alloc(a, n * sizeof(codec_kv_t))))
            return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", f->name);
        codec_kv_t *kv = list->v;
        for (uint32_t k = 0; k < n; k++) {
            if ((rc = s_decode_str(f, r, a, S_KEY_MAX, &kv[k].key, err)) ||
                (rc = s_decode_str(f, r, a, S_VALUE_MAX, &kv[k].value, err)))
                return rc;
            for (uint32_t j = 0; j < k; j++)
                if (strcmp(kv[j].key, kv[k].key) == 0)
                    return s_fail(err, BUS_EMALFORMED, "%s: key \"%s\" twice", f->name, kv[k].key);
        }
        return 0;
    }
    default: return s_fail(err, BUS_EINTERNAL, "%s: bad field kind %d", f->name, f->kind);
    }
}

static int s_decode_field(const codec_field_t *f, bus_mp_t *r, bus_arena_t *a, void *slot,
                          int depth, codec_err_t *err)
{
    if (!(f->flags & CODEC_LIST)) {
        if (f->kind != CODEC_MSG) return s_decode_one(f, r, a, slot, depth, err);
        void *m = bus_arena_alloc(a, f->msg->size);
        if (!m) return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", f->name);
        *(void **)slot = m;
        int rc = s_decode_one(f, r, a, m, depth, err);
        if (rc) s_wrap(err, f->name, -1);
        return rc;
    }
    uint32_t n;
    if (bus_mp_read_array(r, &n))
        return s_fail(err, BUS_EMALFORMED, "%s: expected a list", f->name);
    if (n > f->items_max)
        return s_fail(err, BUS_EINVALID, "%s: %u items, max %u", f->name, n, f->items_max);
    codec_list_t *list = slot;
    size_t size = s_elem_size(f);
    list->n = n;
    if (n && !(list->v = bus_arena_alloc(a, (size_t)n * size)))
        return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", f->name);
    for (uint32_t k = 0; k < n; k++) {
        int rc = s_decode_one(f, r, a, (char *)list->v + k * size, depth, err);
        if (rc) {
            if (f->kind == CODEC_MSG) s_wrap(err, f->name, k);
            return rc;
        }
    }
    return 0;
}

static int s_decode_into(const codec_msg_t *d, bus_mp_t *r, bus_arena_t *a, void *out, int depth,
                         codec_err_t *err)
{
    if (depth > CODEC_DEPTH_MAX)
        return s_fail(err, BUS_EMALFORMED, ": nested more than %d deep", CODEC_DEPTH_MAX);
    if (d->fields_n > S_FIELDS_MAX) return s_fail(err, BUS_EINTERNAL, "too many fields");
    uint32_t n;
    if (bus_mp_read_map(r, &n)) return s_fail(err, BUS_EMALFORMED, "expected a map of fields");
    uint64_t seen[S_FIELDS_MAX / 64] = {0};    /* tags met, nil or not: a second is malformed */
    uint64_t present[S_FIELDS_MAX / 64] = {0}; /* tags with a value: what required counts */
    for (uint32_t k = 0; k < n; k++) {
        uint64_t tag;
        if (bus_mp_read_uint(r, &tag)) return s_fail(err, BUS_EMALFORMED, "field key is not a tag");
        const codec_field_t *f = s_field_by_tag(d, tag);
        if (!f) {
            /* Unknown tags are fields from a newer schema: skip them. */
            if (bus_mp_skip(r, BUS_MP_DEPTH_MAX))
                return s_fail(err, BUS_EMALFORMED, "tag %" PRIu64 ": malformed value", tag);
            continue;
        }
        size_t idx = (size_t)(f - d->fields);
        if (seen[idx / 64] & (1ull << (idx % 64)))
            return s_fail(err, BUS_EMALFORMED, "%s: tag %" PRIu64 " twice", f->name, tag);
        seen[idx / 64] |= 1ull << (idx % 64);
        if (bus_mp_peek(r) == BUS_MP_NIL) {
            bus_mp_read_nil(r); /* nil is absent */
            continue;
        }
        present[idx / 64] |= 1ull << (idx % 64);
        int rc = s_decode_field(f, r, a, (char *)out + f->offset, depth, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < d->fields_n; i++)
        if ((d->fields[i].flags & CODEC_REQUIRED) && !(present[i / 64] & (1ull << (i % 64))))
            return s_fail(err, BUS_EINVALID, "%s: required", d->fields[i].name);
    return 0;
}

int codec_decode_next(const codec_msg_t *desc, bus_mp_t *r, bus_arena_t *arena, void **out,
                      codec_err_t *err)
{
    void *m = bus_arena_alloc(arena, desc->size);
    if (!m) return s_fail(err, BUS_ETOOBIG, "%s: message too large to decode", desc->name);
    int rc = s_decode_into(desc, r, arena, m, 0, err);
    if (rc) {
        s_wrap(err, desc->name, -1);
        return rc;
    }
    *out = m;
    return 0;
}

int codec_decode(const codec_msg_t *desc, const void *data, size_t len, bus_arena_t *arena,
                 void **out, codec_err_t *err)
{
    bus_mp_t r;
    bus_mp_init(&r, data, len);
    void *m;
    int rc = codec_decode_next(desc, &r, arena, &m, err);
    if (rc) return rc;
    if (bus_mp_left(&r))
        return s_fail(err, BUS_EMALFORMED, "%s: %zu bytes after the message", desc->name,
                      bus_mp_left(&r));
    *out = m;
    return 0;
}

/* --- encode -------------------------------------------------------------------------------- */

static bool s_present(const codec_field_t *f, const void *slot)
{
    if (f->flags & CODEC_REQUIRED) return true;
    if ((f->flags & CODEC_LIST) || f->kind == CODEC_STRMAP) return ((const codec_list_t *)slot)->n;
    switch (f->kind) {
    case CODEC_BOOL: return *(const bool *)slot;
    case CODEC_U32:
    case CODEC_ENUM: return *(const uint32_t *)slot;
    case CODEC_I32: return *(const int32_t *)slot;
    case CODEC_U64: return *(const uint64_t *)slot;
    case CODEC_I64: return *(const int64_t *)slot;
    case CODEC_F64: {
        uint64_t bits;
        memcpy(&bits, slot, sizeof bits);
        return bits != 0;
    }
    case CODEC_STR:
    case CODEC_MSG: return *(void *const *)slot != NULL;
    case CODEC_BYTES: return ((const codec_bytes_t *)slot)->len;
    default: return false;
    }
}

static int s_encode_msg(const codec_msg_t *d, const void *m, msgpack_packer *pk, int depth,
                        codec_err_t *err);

static int s_encode_str(const codec_field_t *f, const char *s, size_t max, msgpack_packer *pk,
                        codec_err_t *err)
{
    if (!s) return s_fail(err, BUS_EINVALID, "%s: required", f->name);
    size_t n = strlen(s);
    int rc = s_check_str(f, s, n, max, err);
    if (rc) return rc;
    msgpack_pack_str_with_body(pk, s, n);
    return 0;
}

/* One value (not a list); for CODEC_MSG, slot is the struct. */
static int s_encode_one(const codec_field_t *f, const void *slot, msgpack_packer *pk, int depth,
                        codec_err_t *err)
{
    int rc;
    switch (f->kind) {
    case CODEC_BOOL:
        if (*(const bool *)slot)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        return 0;
    case CODEC_U32:
    case CODEC_ENUM: {
        uint32_t v = *(const uint32_t *)slot;
        if ((rc = s_check_uint(f, v, err))) return rc;
        msgpack_pack_uint32(pk, v);
        return 0;
    }
    case CODEC_U64: {
        uint64_t v = *(const uint64_t *)slot;
        if ((rc = s_check_uint(f, v, err))) return rc;
        msgpack_pack_uint64(pk, v);
        return 0;
    }
    case CODEC_I32:
    case CODEC_I64: {
        int64_t v = f->kind == CODEC_I32 ? *(const int32_t *)slot : *(const int64_t *)slot;
        if ((rc = s_check_int(f, v, err))) return rc;
        msgpack_pack_int64(pk, v);
        return 0;
    }
    case CODEC_F64: msgpack_pack_double(pk, *(const double *)slot); return 0;
    case CODEC_STR: return s_encode_str(f, *(char *const *)slot, f->max, pk, err);
    case CODEC_BYTES: {
        const codec_bytes_t *b = slot;
        if (b->len > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %zu bytes, max %" PRIu64, f->name, b->len,
                          f->max);
        msgpack_pack_bin_with_body(pk, b->len ? (const void *)b->data : "", b->len);
        return 0;
    }
    case CODEC_MSG: return s_encode_msg(f->msg, slot, pk, depth + 1, err);
    case CODEC_STRMAP: {
        const codec_list_t *list = slot;
        if (list->n > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %zu entries, max %" PRIu64, f->name, list->n,
                          f->max);
        const codec_kv_t *kv = list->v;
        msgpack_pack_map(pk, list->n);
        for (size_t k = 0; k < list->n; k++) {
            for (size_t j = 0; j < k; j++)
                if (kv[j].key && kv[k].key && strcmp(kv[j].key, kv[k].key) == 0)
                    return s_fail(err, BUS_EINVALID, "%s: key \"%s\" twice", f->name, kv[k].key);
            if ((rc = s_encode_str(f, kv[k].key, S_KEY_MAX, pk, err)) ||
                (rc = s_encode_str(f, kv[k].value, S_VALUE_MAX, pk, err)))
                return rc;
        }
        return 0;
    }
    default: return s_fail(err, BUS_EINTERNAL, "%s: bad field kind %d", f->name, f->kind);
    }
}

static int s_encode_field(const codec_field_t *f, const void *slot, msgpack_packer *pk, int depth,
                          codec_err_t *err)
{
    if (!(f->flags & CODEC_LIST)) {
        if (f->kind != CODEC_MSG) return s_encode_one(f, slot, pk, depth, err);
        const void *m = *(void *const *)slot;
        if (!m) return s_fail(err, BUS_EINVALID, "%s: required", f->name);
        int rc = s_encode_one(f, m, pk, depth, err);
        if (rc) s_wrap(err, f->name, -1);
        return rc;
    }
    const codec_list_t *list = slot;
    if (list->n > f->items_max)
        return s_fail(err, BUS_EINVALID, "%s: %zu items, max %u", f->name, list->n, f->items_max);
    size_t size = s_elem_size(f);
    msgpack_pack_array(pk, list->n);
    for (size_t k = 0; k < list->n; k++) {
        int rc = s_encode_one(f, (const char *)list->v + k * size, pk, depth, err);
        if (rc) {
            if (f->kind == CODEC_MSG) s_wrap(err, f->name, (long)k);
            return rc;
        }
    }
    return 0;
}

static int s_encode_msg(const codec_msg_t *d, const void *m, msgpack_packer *pk, int depth,
                        codec_err_t *err)
{
    if (depth > CODEC_DEPTH_MAX)
        return s_fail(err, BUS_EINVALID, ": nested more than %d deep", CODEC_DEPTH_MAX);
    size_t n = 0;
    for (size_t i = 0; i < d->fields_n; i++)
        n += s_present(&d->fields[i], (const char *)m + d->fields[i].offset);
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < d->fields_n; i++) {
        const codec_field_t *f = &d->fields[i];
        const void *slot = (const char *)m + f->offset;
        if (!s_present(f, slot)) continue;
        msgpack_pack_uint32(pk, f->tag);
        int rc = s_encode_field(f, slot, pk, depth, err);
        if (rc) return rc;
    }
    return 0;
}

int codec_encode(const codec_msg_t *desc, const void *msg, bus_buf_t *out, codec_err_t *err)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, bus_buf_msgpack_write);
    size_t start = out->len;
    int rc = s_encode_msg(desc, msg, &pk, 0, err);
    if (!rc && out->err)
        rc = s_fail(err, out->err, "%s: encoding exceeds %zu bytes", desc->name, out->max);
    if (rc) {
        if (rc != BUS_ETOOBIG) s_wrap(err, desc->name, -1);
        if (!out->err) out->len = start;
    }
    return rc;
}

static int s_discard(void *data, const char *buf, size_t len)
{
    return 0;
}

int codec_validate(const codec_msg_t *desc, const void *msg, codec_err_t *err)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, NULL, s_discard);
    int rc = s_encode_msg(desc, msg, &pk, 0, err);
    if (rc) s_wrap(err, desc->name, -1);
    return rc;
}

/* --- JSON ---------------------------------------------------------------------------------- */

static json_t *s_msg_to_json(const codec_msg_t *d, const void *m, unsigned flags);

static json_t *s_one_to_json(const codec_field_t *f, const void *slot, unsigned flags)
{
    switch (f->kind) {
    case CODEC_BOOL: return json_boolean(*(const bool *)slot);
    case CODEC_U32: return json_integer(*(const uint32_t *)slot);
    case CODEC_ENUM: {
        uint32_t v = *(const uint32_t *)slot;
        const char *name = codec_enum_name(f->en, v);
        return name ? json_string(name) : json_integer(v);
    }
    case CODEC_I32: return json_integer(*(const int32_t *)slot);
    case CODEC_I64: return json_integer(*(const int64_t *)slot);
    case CODEC_U64: {
        uint64_t v = *(const uint64_t *)slot;
        if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
        char num[24];
        snprintf(num, sizeof num, "%" PRIu64, v);
        return json_string(num);
    }
    case CODEC_F64: return json_real(*(const double *)slot);
    case CODEC_STR: {
        const char *s = *(char *const *)slot;
        return json_string(s ? s : "");
    }
    case CODEC_BYTES: {
        const codec_bytes_t *b = slot;
        if ((flags & CODEC_JSON_BRIEF) && b->len > S_BRIEF_BYTES)
            return json_sprintf("<%zu bytes>", b->len);
        size_t cap = sodium_base64_ENCODED_LEN(b->len, sodium_base64_VARIANT_ORIGINAL);
        char *text = malloc(cap);
        if (!text) abort();
        sodium_bin2base64(text, cap, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
        json_t *j = json_string(text);
        free(text);
        return j;
    }
    case CODEC_MSG: return s_msg_to_json(f->msg, slot, flags);
    case CODEC_STRMAP: {
        json_t *obj = json_object();
        const codec_list_t *list = slot;
        const codec_kv_t *kv = list->v;
        for (size_t k = 0; k < list->n; k++)
            json_object_set_new(obj, kv[k].key, json_string(kv[k].value));
        return obj;
    }
    default: return json_null();
    }
}

static json_t *s_field_to_json(const codec_field_t *f, const void *slot, unsigned flags)
{
    if ((flags & CODEC_JSON_REDACT) && (f->flags & CODEC_SENSITIVE))
        return json_string("<redacted>");
    if (!(f->flags & CODEC_LIST)) {
        if (f->kind == CODEC_MSG) return s_msg_to_json(f->msg, *(void *const *)slot, flags);
        return s_one_to_json(f, slot, flags);
    }
    const codec_list_t *list = slot;
    size_t size = s_elem_size(f);
    json_t *arr = json_array();
    for (size_t k = 0; k < list->n; k++)
        json_array_append_new(arr, s_one_to_json(f, (const char *)list->v + k * size, flags));
    return arr;
}

static json_t *s_msg_to_json(const codec_msg_t *d, const void *m, unsigned flags)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < d->fields_n; i++) {
        const codec_field_t *f = &d->fields[i];
        const void *slot = (const char *)m + f->offset;
        if (!s_present(f, slot)) continue;
        if (f->kind == CODEC_MSG && !(f->flags & CODEC_LIST) && !*(void *const *)slot) continue;
        json_t *v = s_field_to_json(f, slot, flags);
        if (v) json_object_set_new(obj, f->name, v);
    }
    return obj;
}

json_t *codec_to_json(const codec_msg_t *desc, const void *msg, unsigned flags)
{
    return s_msg_to_json(desc, msg, flags);
}

char *codec_print(const codec_msg_t *desc, const void *msg, unsigned flags)
{
    json_t *j = codec_to_json(desc, msg, flags);
    char *body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    size_t n = strlen(desc->name) + strlen(body) + 2;
    char *text = malloc(n);
    if (!text) abort();
    snprintf(text, n, "%s %s", desc->name, body);
    free(body);
    return text;
}

static int s_msg_from_json(const codec_msg_t *d, const json_t *j, bus_arena_t *a, void *out,
                           int depth, codec_err_t *err);

static int s_str_from_json(const codec_field_t *f, const json_t *j, bus_arena_t *a, size_t max,
                           char **out, codec_err_t *err)
{
    if (!json_is_string(j)) return s_fail(err, BUS_EINVALID, "%s: expected a string", f->name);
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    int rc = s_check_str(f, s, n, max, err);
    if (rc) return rc;
    if (!(*out = bus_arena_strndup(a, s, n)))
        return s_fail(err, BUS_ETOOBIG, "%s: too large", f->name);
    return 0;
}

static int s_one_from_json(const codec_field_t *f, const json_t *j, bus_arena_t *a, void *slot,
                           int depth, codec_err_t *err)
{
    int rc;
    switch (f->kind) {
    case CODEC_BOOL:
        if (!json_is_boolean(j))
            return s_fail(err, BUS_EINVALID, "%s: expected a boolean", f->name);
        *(bool *)slot = json_is_true(j);
        return 0;
    case CODEC_ENUM:
        if (json_is_string(j)) {
            int64_t v = codec_enum_value(f->en, json_string_value(j));
            if (v < 0)
                return s_fail(err, BUS_EINVALID, "%s: \"%s\" is not a %s", f->name,
                              json_string_value(j), f->en->name);
            *(uint32_t *)slot = (uint32_t)v;
            return 0;
        }
        __attribute__((fallthrough)); /* a number is accepted too */
    case CODEC_U32:
    case CODEC_U64: {
        uint64_t v;
        if (json_is_integer(j) && json_integer_value(j) >= 0) {
            v = (uint64_t)json_integer_value(j);
        } else if (f->kind == CODEC_U64 && json_is_string(j)) {
            char *end;
            const char *s = json_string_value(j);
            v = strtoull(s, &end, 10);
            if (!*s || *end || *s == '-')
                return s_fail(err, BUS_EINVALID, "%s: expected an unsigned integer", f->name);
        } else {
            return s_fail(err, BUS_EINVALID, "%s: expected an unsigned integer", f->name);
        }
        if (f->kind != CODEC_U64 && v > UINT32_MAX)
            return s_fail(err, BUS_EINVALID, "%s: does not fit 32 bits", f->name);
        if ((rc = s_check_uint(f, v, err))) return rc;
        if (f->kind == CODEC_U64)
            *(uint64_t *)slot = v;
        else
            *(uint32_t *)slot = (uint32_t)v;
        return 0;
    }
    case CODEC_I32:
    case CODEC_I64: {
        if (!json_is_integer(j))
            return s_fail(err, BUS_EINVALID, "%s: expected an integer", f->name);
        int64_t v = json_integer_value(j);
        if (f->kind == CODEC_I32 && (v < INT32_MIN || v > INT32_MAX))
            return s_fail(err, BUS_EINVALID, "%s: does not fit 32 bits", f->name);
        if ((rc = s_check_int(f, v, err))) return rc;
        if (f->kind == CODEC_I64)
            *(int64_t *)slot = v;
        else
            *(int32_t *)slot = (int32_t)v;
        return 0;
    }
    case CODEC_F64:
        if (!json_is_number(j)) return s_fail(err, BUS_EINVALID, "%s: expected a number", f->name);
        *(double *)slot = json_number_value(j);
        return 0;
    case CODEC_STR: return s_str_from_json(f, j, a, f->max, slot, err);
    case CODEC_BYTES: {
        if (!json_is_string(j))
            return s_fail(err, BUS_EINVALID, "%s: expected base64 text", f->name);
        size_t tlen = json_string_length(j), n = 0;
        /* n bytes take 4 * ceil(n / 3) characters, which decode into at most n + 2 slots; the
         * exact limit is checked after decoding. */
        size_t cap = tlen / 4 * 3 + 3;
        if (tlen / 4 * 3 > f->max + 2)
            return s_fail(err, BUS_EINVALID, "%s: more than %" PRIu64 " bytes", f->name, f->max);
        codec_bytes_t *b = slot;
        b->data = cap ? bus_arena_alloc(a, cap) : NULL;
        if (cap && !b->data) return s_fail(err, BUS_ETOOBIG, "%s: too large", f->name);
        if (tlen && sodium_base642bin(b->data, cap, json_string_value(j), tlen, NULL, &n, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0)
            return s_fail(err, BUS_EINVALID, "%s: not base64", f->name);
        if (n > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %zu bytes, max %" PRIu64, f->name, n, f->max);
        b->len = n;
        if (!n) b->data = NULL;
        return 0;
    }
    case CODEC_MSG: return s_msg_from_json(f->msg, j, a, slot, depth + 1, err);
    case CODEC_STRMAP: {
        if (!json_is_object(j)) return s_fail(err, BUS_EINVALID, "%s: expected an object", f->name);
        size_t n = json_object_size(j);
        if (n > f->max)
            return s_fail(err, BUS_EINVALID, "%s: %zu entries, max %" PRIu64, f->name, n, f->max);
        codec_list_t *list = slot;
        list->n = n;
        list->v = n ? bus_arena_alloc(a, n * sizeof(codec_kv_t)) : NULL;
        if (n && !list->v) return s_fail(err, BUS_ETOOBIG, "%s: too large", f->name);
        codec_kv_t *kv = list->v;
        size_t k = 0;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)j, key, value)
        {
            json_t *jk = json_string(key);
            rc = s_str_from_json(f, jk, a, S_KEY_MAX, &kv[k].key, err);
            json_decref(jk);
            if (rc || (rc = s_str_from_json(f, value, a, S_VALUE_MAX, &kv[k].value, err)))
                return rc;
            k++;
        }
        return 0;
    }
    default: return s_fail(err, BUS_EINTERNAL, "%s: bad field kind", f->name);
    }
}

static int s_field_from_json(const codec_field_t *f, const json_t *j, bus_arena_t *a, void *slot,
                             int depth, codec_err_t *err)
{
    if (!(f->flags & CODEC_LIST)) {
        if (f->kind != CODEC_MSG) return s_one_from_json(f, j, a, slot, depth, err);
        void *m = bus_arena_alloc(a, f->msg->size);
        if (!m) return s_fail(err, BUS_ETOOBIG, "%s: too large", f->name);
        *(void **)slot = m;
        int rc = s_one_from_json(f, j, a, m, depth, err);
        if (rc) s_wrap(err, f->name, -1);
        return rc;
    }
    if (!json_is_array(j)) return s_fail(err, BUS_EINVALID, "%s: expected a list", f->name);
    size_t n = json_array_size(j);
    if (n > f->items_max)
        return s_fail(err, BUS_EINVALID, "%s: %zu items, max %u", f->name, n, f->items_max);
    codec_list_t *list = slot;
    size_t size = s_elem_size(f);
    list->n = n;
    list->v = n ? bus_arena_alloc(a, n * size) : NULL;
    if (n && !list->v) return s_fail(err, BUS_ETOOBIG, "%s: too large", f->name);
    for (size_t k = 0; k < n; k++) {
        int rc =
            s_one_from_json(f, json_array_get(j, k), a, (char *)list->v + k * size, depth, err);
        if (rc) {
            if (f->kind == CODEC_MSG) s_wrap(err, f->name, (long)k);
            return rc;
        }
    }
    return 0;
}

static int s_msg_from_json(const codec_msg_t *d, const json_t *j, bus_arena_t *a, void *out,
                           int depth, codec_err_t *err)
{
    if (depth > CODEC_DEPTH_MAX)
        return s_fail(err, BUS_EINVALID, ": nested more than %d deep", CODEC_DEPTH_MAX);
    if (!json_is_object(j)) return s_fail(err, BUS_EINVALID, "expected an object");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value)
    {
        const codec_field_t *f = codec_field_by_name(d, key);
        if (!f) return s_fail(err, BUS_EINVALID, "unknown field \"%s\"", key);
        if (json_is_null(value)) continue;
        int rc = s_field_from_json(f, value, a, (char *)out + f->offset, depth, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < d->fields_n; i++) {
        const codec_field_t *f = &d->fields[i];
        if ((f->flags & CODEC_REQUIRED) && !json_object_get(j, f->name) &&
            (f->kind == CODEC_STR || f->kind == CODEC_MSG || (f->flags & CODEC_LIST)))
            return s_fail(err, BUS_EINVALID, "%s: required", f->name);
    }
    return 0;
}

int codec_from_json(const codec_msg_t *desc, const json_t *json, bus_arena_t *arena, void **out,
                    codec_err_t *err)
{
    void *m = bus_arena_alloc(arena, desc->size);
    if (!m) return s_fail(err, BUS_ETOOBIG, "%s: too large", desc->name);
    int rc = s_msg_from_json(desc, json, arena, m, 0, err);
    if (rc) {
        s_wrap(err, desc->name, -1);
        return rc;
    }
    *out = m;
    return 0;
}

/* --- equality and samples (tests) ---------------------------------------------------------- */

static bool s_equal_msg(const codec_msg_t *d, const void *a, const void *b);

static bool s_equal_one(const codec_field_t *f, const void *x, const void *y)
{
    switch (f->kind) {
    case CODEC_STR: {
        const char *s = *(char *const *)x, *t = *(char *const *)y;
        return (!s && !t) || (s && t && strcmp(s, t) == 0);
    }
    case CODEC_BYTES: {
        const codec_bytes_t *s = x, *t = y;
        return s->len == t->len && (!s->len || memcmp(s->data, t->data, s->len) == 0);
    }
    case CODEC_MSG: return s_equal_msg(f->msg, x, y);
    case CODEC_STRMAP: {
        const codec_list_t *s = x, *t = y;
        if (s->n != t->n) return false;
        const codec_kv_t *p = s->v, *q = t->v;
        for (size_t k = 0; k < s->n; k++)
            if (strcmp(p[k].key, q[k].key) || strcmp(p[k].value, q[k].value)) return false;
        return true;
    }
    default: return memcmp(x, y, s_elem_size(f)) == 0;
    }
}

static bool s_equal_msg(const codec_msg_t *d, const void *a, const void *b)
{
    for (size_t i = 0; i < d->fields_n; i++) {
        const codec_field_t *f = &d->fields[i];
        const void *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;
        if (f->flags & CODEC_LIST) {
            const codec_list_t *s = x, *t = y;
            if (s->n != t->n) return false;
            size_t size = s_elem_size(f);
            for (size_t k = 0; k < s->n; k++)
                if (!s_equal_one(f, (const char *)s->v + k * size, (const char *)t->v + k * size))
                    return false;
        } else if (f->kind == CODEC_MSG) {
            const void *s = *(void *const *)x, *t = *(void *const *)y;
            if (!s != !t || (s && !s_equal_msg(f->msg, s, t))) return false;
        } else if (!s_equal_one(f, x, y)) {
            return false;
        }
    }
    return true;
}

bool codec_equal(const codec_msg_t *desc, const void *a, const void *b)
{
    return s_equal_msg(desc, a, b);
}

static uint64_t s_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static char *s_sample_str(bus_arena_t *a, uint64_t *rng, size_t max)
{
    /* ASCII plus two-byte and three-byte characters, never beyond max bytes. */
    static const char *pieces[] = {"a", "Z", "0", "-", " ", "é", "€", "/"};
    size_t want = s_rand(rng) % 13, n = 0;
    char buf[64];
    for (size_t k = 0; k < want; k++) {
        const char *p = pieces[s_rand(rng) % 8];
        size_t len = strlen(p);
        if (n + len > max || n + len >= sizeof buf) break;
        memcpy(buf + n, p, len);
        n += len;
    }
    return bus_arena_strndup(a, buf, n);
}

static void s_sample_msg(const codec_msg_t *d, bus_arena_t *a, uint64_t *rng, void *out, int depth);

static void s_sample_one(const codec_field_t *f, bus_arena_t *a, uint64_t *rng, void *slot,
                         int depth)
{
    uint64_t r = s_rand(rng);
    switch (f->kind) {
    case CODEC_BOOL: *(bool *)slot = r & 1; break;
    case CODEC_U32:
    case CODEC_U64: {
        uint64_t lo = f->min > 0 ? (uint64_t)f->min : 0, span = f->max - lo;
        uint64_t v = lo + (span == UINT64_MAX ? r : r % (span + 1));
        if (r % 5 == 0) v = f->max; /* edges matter */
        if (f->kind == CODEC_U64)
            *(uint64_t *)slot = v;
        else
            *(uint32_t *)slot = (uint32_t)v;
        break;
    }
    case CODEC_I32:
    case CODEC_I64: {
        /* Unsigned arithmetic wraps, which is what spans of signed ranges need. */
        uint64_t span = f->max - (uint64_t)f->min;
        uint64_t off = span == UINT64_MAX ? r : r % (span + 1);
        int64_t v = (int64_t)((uint64_t)f->min + off);
        if (r % 5 == 0) v = f->min;
        if (f->kind == CODEC_I64)
            *(int64_t *)slot = v;
        else
            *(int32_t *)slot = (int32_t)v;
        break;
    }
    case CODEC_F64: *(double *)slot = (double)(int64_t)r / 1024.0; break;
    case CODEC_ENUM: *(uint32_t *)slot = f->en->values[r % f->en->values_n].value; break;
    case CODEC_STR: *(char **)slot = s_sample_str(a, rng, f->max); break;
    case CODEC_BYTES: {
        codec_bytes_t *b = slot;
        b->len = r % 21 > f->max ? f->max : r % 21;
        b->data = b->len ? bus_arena_alloc(a, b->len) : NULL;
        for (size_t k = 0; k < b->len; k++) b->data[k] = (uint8_t)s_rand(rng);
        break;
    }
    case CODEC_MSG: s_sample_msg(f->msg, a, rng, slot, depth + 1); break;
    case CODEC_STRMAP: {
        codec_list_t *list = slot;
        list->n = f->max < 3 ? f->max : 3;
        list->v = list->n ? bus_arena_alloc(a, list->n * sizeof(codec_kv_t)) : NULL;
        codec_kv_t *kv = list->v;
        for (size_t k = 0; k < list->n; k++) {
            char key[16];
            snprintf(key, sizeof key, "k%zu", k);
            kv[k].key = bus_arena_strndup(a, key, strlen(key));
            kv[k].value = s_sample_str(a, rng, 64);
        }
        break;
    }
    default: break;
    }
}

static void s_sample_msg(const codec_msg_t *d, bus_arena_t *a, uint64_t *rng, void *out, int depth)
{
    for (size_t i = 0; i < d->fields_n; i++) {
        const codec_field_t *f = &d->fields[i];
        void *slot = (char *)out + f->offset;
        bool required = f->flags & CODEC_REQUIRED;
        /* Optional fields are sometimes left absent; recursion stops after two levels. */
        if (!required && (s_rand(rng) % 4 == 0 || (f->kind == CODEC_MSG && depth >= 2))) continue;
        if (f->flags & CODEC_LIST) {
            codec_list_t *list = slot;
            list->n = f->items_max < 3 ? f->items_max : 1 + s_rand(rng) % 3;
            size_t size = s_elem_size(f);
            list->v = bus_arena_alloc(a, list->n * size);
            for (size_t k = 0; k < list->n; k++)
                s_sample_one(f, a, rng, (char *)list->v + k * size, depth);
        } else if (f->kind == CODEC_MSG) {
            void *m = bus_arena_alloc(a, f->msg->size);
            *(void **)slot = m;
            s_sample_one(f, a, rng, m, depth);
        } else {
            s_sample_one(f, a, rng, slot, depth);
        }
    }
}

void *codec_sample(const codec_msg_t *desc, bus_arena_t *arena, uint64_t seed)
{
    uint64_t rng = seed * 0x2545f4914f6cdd1dull + 1;
    void *m = bus_arena_alloc(arena, desc->size);
    s_sample_msg(desc, arena, &rng, m, 0);
    return m;
}

void codec_selftest_message(const codec_msg_t *desc)
{
    bus_arena_t *a = bus_arena_new(0);
    bus_buf_t b1, b2;
    bus_buf_init(&b1, 1 << 20);
    bus_buf_init(&b2, 1 << 20);
    for (uint64_t seed = 1; seed <= 40; seed++) {
        codec_err_t err = {{0}};
        void *m = codec_sample(desc, a, seed), *back = NULL, *fromj = NULL;
        bus_buf_reset(&b1);
        bus_buf_reset(&b2);
        int rc = codec_encode(desc, m, &b1, &err);
        if (rc) fprintf(stderr, "%s seed %" PRIu64 ": %s\n", desc->name, seed, err.text);
        assert(rc == 0);
        rc = codec_decode(desc, b1.data, b1.len, a, &back, &err);
        if (rc) fprintf(stderr, "%s seed %" PRIu64 ": %s\n", desc->name, seed, err.text);
        assert(rc == 0 && codec_equal(desc, m, back));
        assert(codec_encode(desc, back, &b2, &err) == 0);
        assert(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
        /* Every proper prefix is refused, never crashes. */
        for (size_t cut = 0; cut < b1.len; cut++)
            assert(codec_decode(desc, b1.data, cut, a, &back, &err) != 0);
        /* Trailing bytes are refused. */
        assert(bus_buf_append(&b1, "\xc0", 1) == 0);
        assert(codec_decode(desc, b1.data, b1.len, a, &back, &err) == BUS_EMALFORMED);
        /* JSON there and back. */
        json_t *j = codec_to_json(desc, m, 0);
        rc = codec_from_json(desc, j, a, &fromj, &err);
        if (rc) fprintf(stderr, "%s seed %" PRIu64 " json: %s\n", desc->name, seed, err.text);
        assert(rc == 0 && codec_equal(desc, m, fromj));
        json_decref(j);
        char *text = codec_print(desc, m, CODEC_JSON_REDACT | CODEC_JSON_BRIEF);
        assert(strncmp(text, desc->name, strlen(desc->name)) == 0);
        free(text);
        bus_arena_reset(a);
    }
    bus_buf_free(&b1);
    bus_buf_free(&b2);
    bus_arena_destroy(&a);
}

/* --- selftest ------------------------------------------------------------------------------ */

#include "kubus_schema.h" /* selftest.all_kinds exercises every kind of field */

/* Encodes a map by hand: pairs of (tag, raw msgpack value). */
static void s_raw_map(bus_buf_t *b, size_t n, const uint32_t *tags, const char *const *values,
                      const size_t *lens)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, b, bus_buf_msgpack_write);
    bus_buf_reset(b);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_uint32(&pk, tags[i]);
        bus_buf_append(b, values[i], lens[i]);
    }
}

static int s_decode_raw(bus_buf_t *b, bus_arena_t *a, codec_err_t *err, size_t n,
                        const uint32_t *tags, const char *const *values, const size_t *lens)
{
    void *m;
    s_raw_map(b, n, tags, values, lens);
    return codec_decode(&selftest_all_kinds_desc, b->data, b->len, a, &m, err);
}

void bus_codec_test(bool verbose)
{
    codec_selftest_message(&selftest_all_kinds_desc);

    bus_arena_t *a = bus_arena_new(0);
    bus_buf_t b;
    bus_buf_init(&b, 1 << 16);
    codec_err_t err;
    void *out;

    /* Minimal valid: the one required field. */
    const uint32_t t1[] = {8};
    const char *v1[] = {"\xa2hi"};
    const size_t l1[] = {3};
    assert(s_decode_raw(&b, a, &err, 1, t1, v1, l1) == 0);

    /* Unknown tags are skipped, whatever they hold; nil is absent. */
    const uint32_t t2[] = {99, 8, 3, 100};
    const char *v2[] = {"\x92\x81\x01\xc3\xa1x", "\xa2hi", "\xc0", "\xc7\x02\x05\x01\x02"};
    const size_t l2[] = {6, 3, 1, 5};
    s_raw_map(&b, 4, t2, v2, l2);
    assert(codec_decode(&selftest_all_kinds_desc, b.data, b.len, a, &out, &err) == 0);
    selftest_all_kinds_t *m = out;
    assert(strcmp(m->label, "hi") == 0 && m->big == 0);

    /* A tag twice is malformed. */
    const uint32_t t3[] = {8, 8};
    const char *v3[] = {"\xa2hi", "\xa2ho"};
    const size_t l3[] = {3, 3};
    assert(s_decode_raw(&b, a, &err, 2, t3, v3, l3) == BUS_EMALFORMED);
    assert(strstr(err.text, "twice"));

    /* Nil, then the same tag again, is a duplicate too. */
    const uint32_t t3b[] = {3, 3, 8};
    const char *v3b[] = {"\xc0", "\x05", "\xa2hi"};
    const size_t l3b[] = {1, 1, 3};
    assert(s_decode_raw(&b, a, &err, 3, t3b, v3b, l3b) == BUS_EMALFORMED &&
           strstr(err.text, "twice"));

    /* A required field missing is invalid, and says which. */
    const uint32_t t4[] = {3};
    const char *v4[] = {"\x05"};
    const size_t l4[] = {1};
    assert(s_decode_raw(&b, a, &err, 1, t4, v4, l4) == BUS_EINVALID);
    assert(strcmp(err.text, "selftest.all_kinds.label: required") == 0);

    /* Limits: string length, integer range, enum values, UTF-8, wrong wire type. */
    const uint32_t t5[] = {8};
    const char *v5[] = {"\xb1"
                        "abcdefghijklmnopq"};
    const size_t l5[] = {18};
    assert(s_decode_raw(&b, a, &err, 1, t5, v5, l5) == BUS_EINVALID);
    assert(strstr(err.text, "label: 17 bytes, max 16"));
    const uint32_t t6[] = {8, 2};
    const char *v6[] = {"\xa1x", "\x00"};
    const size_t l6[] = {2, 1};
    assert(s_decode_raw(&b, a, &err, 2, t6, v6, l6) == BUS_EINVALID && strstr(err.text, "small"));
    const char *v7[] = {"\xa1x", "\xcd\x03\xe9"}; /* 1001 > max 1000 */
    const size_t l7[] = {2, 3};
    assert(s_decode_raw(&b, a, &err, 2, t6, v7, l7) == BUS_EINVALID);
    const uint32_t t8[] = {8, 7};
    const char *v8[] = {"\xa1x", "\x03"}; /* color 3 is not defined */
    const size_t l8[] = {2, 1};
    assert(s_decode_raw(&b, a, &err, 2, t8, v8, l8) == BUS_EINVALID && strstr(err.text, "color"));
    const char *v9[] = {"\xa2\xc3\x28"}; /* invalid UTF-8 */
    const size_t l9[] = {3};
    assert(s_decode_raw(&b, a, &err, 1, t1, v9, l9) == BUS_EINVALID && strstr(err.text, "UTF-8"));
    const char *v10[] = {"\x07"}; /* an integer where a string belongs */
    assert(s_decode_raw(&b, a, &err, 1, t1, v10, l4) == BUS_EMALFORMED);
    const char *v11[] = {"\xa2\x00x"}; /* NUL inside text */
    assert(s_decode_raw(&b, a, &err, 1, t1, v11, l1) == BUS_EINVALID);

    /* Nested errors carry the path, list index included. */
    const uint32_t t12[] = {8, 11};
    const char *v12[] = {"\xa1x", "\x92\x81\x01\x01\x82\x01\x02\x02\x05"}; /* [{1:1},{1:2,2:5}] */
    const size_t l12[] = {2, 9};
    assert(s_decode_raw(&b, a, &err, 2, t12, v12, l12) == BUS_EMALFORMED);
    assert(strcmp(err.text, "selftest.all_kinds.children[1].name: expected a string") == 0);

    /* List limits: item count (children max 4) and element length (names: max 8 bytes). */
    const uint32_t t14[] = {8, 11};
    const char *v14[] = {"\xa1x",
                         "\x95\x81\x01\x01\x81\x01\x01\x81\x01\x01\x81\x01\x01\x81\x01\x01"};
    const size_t l14[] = {2, 16};
    assert(s_decode_raw(&b, a, &err, 2, t14, v14, l14) == BUS_EINVALID);
    assert(strstr(err.text, "children: 5 items, max 4"));
    const uint32_t t15[] = {8, 12};
    const char *v15[] = {"\xa1x", "\x92\xa1y\xa9"
                                  "123456789"};
    const size_t l15[] = {2, 14};
    assert(s_decode_raw(&b, a, &err, 2, t15, v15, l15) == BUS_EINVALID);
    assert(strstr(err.text, "names: 9 bytes, max 8"));
    json_t *jl =
        json_pack("{s:s, s:[s,s,s,s,s,s]}", "label", "x", "names", "a", "b", "c", "d", "e", "f");
    assert(codec_from_json(&selftest_all_kinds_desc, jl, a, &out, &err) == BUS_EINVALID);
    assert(strstr(err.text, "names: 6 items, max 5"));
    json_decref(jl);

    /* Nesting deeper than the limit is refused: child.nested.nested... */
    bus_buf_reset(&b);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, bus_buf_msgpack_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_uint32(&pk, 8);
    msgpack_pack_str_with_body(&pk, "x", 1);
    msgpack_pack_uint32(&pk, 10);
    for (int d = 0; d < CODEC_DEPTH_MAX + 2; d++) {
        msgpack_pack_map(&pk, 2);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_uint32(&pk, 1);
        msgpack_pack_uint32(&pk, 3);
    }
    msgpack_pack_map(&pk, 1);
    msgpack_pack_uint32(&pk, 1);
    msgpack_pack_uint32(&pk, 1);
    assert(codec_decode(&selftest_all_kinds_desc, b.data, b.len, a, &out, &err) == BUS_EMALFORMED);
    assert(strstr(err.text, "selftest.all_kinds.child.nested.nested") &&
           strstr(err.text, ": nested more than 16 deep"));

    /* The arena's limit turns into "too big", not a crash. */
    bus_arena_t *tiny = bus_arena_new(64);
    const char *v13[] = {"\xa2hi", "\xa2hi"};
    const uint32_t t13[] = {8, 14};
    s_raw_map(&b, 2, t13, v13, l3);
    assert(codec_decode(&selftest_all_kinds_desc, b.data, b.len, tiny, &out, &err) == BUS_ETOOBIG);
    bus_arena_destroy(&tiny);

    /* Encoding checks the same limits; a failed encode leaves the buffer as it was. */
    selftest_all_kinds_t s = {.label = "ok", .small = 5000};
    bus_buf_reset(&b);
    assert(codec_encode(&selftest_all_kinds_desc, &s, &b, &err) == BUS_EINVALID && b.len == 0);
    assert(strstr(err.text, "small"));
    s.small = 0;
    s.label = NULL;
    assert(codec_validate(&selftest_all_kinds_desc, &s, &err) == BUS_EINVALID);
    s.label = "ok";
    s.password = "hunter2";
    assert(codec_encode(&selftest_all_kinds_desc, &s, &b, &err) == 0);
    bus_buf_t small;
    bus_buf_init(&small, 4);
    assert(codec_encode(&selftest_all_kinds_desc, &s, &small, &err) == BUS_ETOOBIG);
    bus_buf_free(&small);

    /* JSON: sensitive fields are redacted on request; unknown keys are refused. */
    char *text = codec_print(&selftest_all_kinds_desc, &s, CODEC_JSON_REDACT);
    assert(strstr(text, "<redacted>") && !strstr(text, "hunter2"));
    free(text);
    json_t *j = json_pack("{s:s, s:i}", "label", "x", "bogus", 1);
    assert(codec_from_json(&selftest_all_kinds_desc, j, a, &out, &err) == BUS_EINVALID);
    assert(strstr(err.text, "unknown field \"bogus\""));
    json_decref(j);
    /* Repair: a character cut at the end is dropped, invalid bytes become '?'. */
    char cut[] = "ok \xe2\x82",
         bad[] = "a\xff"
                 "b\xc3\x28"
                 "c",
         fine[] = "€ é";
    codec_utf8_repair(cut);
    codec_utf8_repair(bad);
    codec_utf8_repair(fine);
    assert(strcmp(cut, "ok ") == 0 && strcmp(bad, "a?b?(c") == 0 && strcmp(fine, "€ é") == 0);

    /* Bytes exactly at their limit (64, not a multiple of 3) survive JSON both ways. */
    uint8_t full[64] = {0};
    selftest_all_kinds_t at_max = {.label = "x", .blob = {full, sizeof full}};
    j = codec_to_json(&selftest_all_kinds_desc, &at_max, 0);
    assert(codec_from_json(&selftest_all_kinds_desc, j, a, &out, &err) == 0);
    assert(codec_equal(&selftest_all_kinds_desc, &at_max, out));
    json_decref(j);
    j = json_pack("{s:s, s:s}", "label", "x", "color", "blue");
    assert(codec_from_json(&selftest_all_kinds_desc, j, a, &out, &err) == 0);
    assert(((selftest_all_kinds_t *)out)->color == SELFTEST_COLOR_BLUE);
    json_decref(j);

    bus_buf_free(&b);
    bus_arena_destroy(&a);
    (void)verbose;
}
