/* kube_obj: JSON <-> msgpack for objects (see kube_obj.h). Encoding uses msgpack-c's packer into
 * a bus_buf; decoding uses the bounded bus_mp reader, which never trusts a declared count. */
#include "kube_obj.h"

#include "bus_err.h"
#include "bus_mp.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

static int s_encode(const json_t *v, msgpack_packer *pk, int depth)
{
    if (depth > KUBE_OBJ_DEPTH_MAX) return BUS_EINVALID;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        msgpack_pack_map(pk, json_object_size(v));
        const char *k;
        json_t *item;
        json_object_foreach((json_t *)v, k, item)
        {
            msgpack_pack_str_with_body(pk, k, strlen(k));
            int rc = s_encode(item, pk, depth + 1);
            if (rc) return rc;
        }
        return 0;
    }
    case JSON_ARRAY: {
        msgpack_pack_array(pk, json_array_size(v));
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            int rc = s_encode(item, pk, depth + 1);
            if (rc) return rc;
        }
        return 0;
    }
    case JSON_STRING:
        msgpack_pack_str_with_body(pk, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(v)); return 0;
    case JSON_REAL: msgpack_pack_double(pk, json_real_value(v)); return 0;
    case JSON_TRUE: msgpack_pack_true(pk); return 0;
    case JSON_FALSE: msgpack_pack_false(pk); return 0;
    case JSON_NULL: msgpack_pack_nil(pk); return 0;
    }
    return BUS_EINVALID;
}

int kube_obj_encode(const json_t *obj, bus_buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, bus_buf_msgpack_write);
    int rc = s_encode(obj, &pk, 0);
    return rc ? rc : out->err;
}

static json_t *s_decode(bus_mp_t *mp, int depth, char *err, size_t errlen);

static json_t *s_decode_map(bus_mp_t *mp, int depth, char *err, size_t errlen)
{
    uint32_t n;
    if (bus_mp_read_map(mp, &n)) return NULL;
    json_t *obj = json_object();
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        uint32_t klen;
        if (bus_mp_peek(mp) != BUS_MP_STR || bus_mp_read_str(mp, &k, &klen)) {
            snprintf(err, errlen, "a map key is not a string");
            json_decref(obj);
            return NULL;
        }
        /* JSON object keys are C strings here (jansson, and every field name): one with a NUL
         * inside would lose its tail on the way back out. */
        if (memchr(k, 0, klen)) {
            snprintf(err, errlen, "a map key holds a NUL byte");
            json_decref(obj);
            return NULL;
        }
        json_t *v = s_decode(mp, depth + 1, err, errlen);
        if (!v || json_object_setn_new_nocheck(obj, k, klen, v)) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *s_decode_array(bus_mp_t *mp, int depth, char *err, size_t errlen)
{
    uint32_t n;
    if (bus_mp_read_array(mp, &n)) return NULL;
    json_t *arr = json_array();
    for (uint32_t i = 0; i < n; i++) {
        json_t *v = s_decode(mp, depth + 1, err, errlen);
        if (!v) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, v);
    }
    return arr;
}

static json_t *s_decode(bus_mp_t *mp, int depth, char *err, size_t errlen)
{
    if (depth > KUBE_OBJ_DEPTH_MAX) {
        snprintf(err, errlen, "nested deeper than %d", KUBE_OBJ_DEPTH_MAX);
        return NULL;
    }
    snprintf(err, errlen, "malformed msgpack");
    switch (bus_mp_peek(mp)) {
    case BUS_MP_MAP: return s_decode_map(mp, depth, err, errlen);
    case BUS_MP_ARRAY: return s_decode_array(mp, depth, err, errlen);
    case BUS_MP_STR: {
        const char *s;
        uint32_t n;
        if (bus_mp_read_str(mp, &s, &n)) return NULL;
        json_t *v = json_stringn_nocheck(s, n);
        return v;
    }
    case BUS_MP_UINT: {
        uint64_t u;
        if (bus_mp_read_uint(mp, &u)) return NULL;
        if (u > INT64_MAX) return json_real((double)u);
        return json_integer((json_int_t)u);
    }
    case BUS_MP_INT: {
        int64_t i;
        return bus_mp_read_int(mp, &i) ? NULL : json_integer(i);
    }
    case BUS_MP_FLOAT: {
        double d;
        return bus_mp_read_f64(mp, &d) ? NULL : json_real(d);
    }
    case BUS_MP_BOOL: {
        bool b;
        return bus_mp_read_bool(mp, &b) ? NULL : json_boolean(b);
    }
    case BUS_MP_NIL: return bus_mp_read_nil(mp) ? NULL : json_null();
    default: return NULL;
    }
}

json_t *kube_obj_decode(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    bus_mp_t mp;
    bus_mp_init(&mp, data, len);
    json_t *v = s_decode(&mp, 0, err, errlen);
    if (v && bus_mp_left(&mp)) {
        snprintf(err, errlen, "%zu bytes after the value", bus_mp_left(&mp));
        json_decref(v);
        return NULL;
    }
    return v;
}

/* --- straight to JSON text ---------------------------------------------------------------- */

static void s_text(bus_buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    bus_buf_append(out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        bus_buf_append(out, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', (char)c, 0};
        size_t elen = 2;
        if (c == '\n')
            esc[1] = 'n';
        else if (c == '\t')
            esc[1] = 't';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c == '\b')
            esc[1] = 'b';
        else if (c == '\f')
            esc[1] = 'f';
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        bus_buf_append(out, esc, elen);
    }
    bus_buf_append(out, s + run, n - run);
    bus_buf_append(out, "\"", 1);
}

static int s_write(bus_mp_t *mp, bus_buf_t *out, const char *rv, int depth, char *err,
                   size_t errlen);

static int s_write_map(bus_mp_t *mp, bus_buf_t *out, const char *rv, int depth, char *err,
                       size_t errlen)
{
    uint32_t n;
    if (bus_mp_read_map(mp, &n)) return BUS_EMALFORMED;
    bus_buf_append(out, "{", 1);
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        uint32_t klen;
        if (bus_mp_peek(mp) != BUS_MP_STR || bus_mp_read_str(mp, &k, &klen)) {
            snprintf(err, errlen, "a map key is not a string");
            return BUS_EMALFORMED;
        }
        /* At depth 1, inside metadata: the resourceVersion given replaces a stored one. */
        if (rv && depth == 1 && klen == 15 && !memcmp(k, "resourceVersion", 15)) {
            if (bus_mp_skip(mp, BUS_MP_DEPTH_MAX)) return BUS_EMALFORMED;
            continue;
        }
        if (!first) bus_buf_append(out, ",", 1);
        first = false;
        s_text(out, k, klen);
        bus_buf_append(out, ":", 1);
        bool meta = depth == 0 && klen == 8 && !memcmp(k, "metadata", 8);
        int rc = s_write(mp, out, meta ? rv : NULL, meta ? 1 : depth + 2, err, errlen);
        if (rc) return rc;
    }
    if (rv && depth == 1) {
        if (!first) bus_buf_append(out, ",", 1);
        s_text(out, "resourceVersion", 15);
        bus_buf_append(out, ":", 1);
        s_text(out, rv, strlen(rv));
    }
    bus_buf_append(out, "}", 1);
    return 0;
}

static int s_write(bus_mp_t *mp, bus_buf_t *out, const char *rv, int depth, char *err,
                   size_t errlen)
{
    if (depth > 2 * KUBE_OBJ_DEPTH_MAX + 2) {
        snprintf(err, errlen, "nested deeper than %d", KUBE_OBJ_DEPTH_MAX);
        return BUS_EMALFORMED;
    }
    char num[40];
    switch (bus_mp_peek(mp)) {
    case BUS_MP_MAP: return s_write_map(mp, out, rv, depth, err, errlen);
    case BUS_MP_ARRAY: {
        uint32_t n;
        if (bus_mp_read_array(mp, &n)) return BUS_EMALFORMED;
        bus_buf_append(out, "[", 1);
        for (uint32_t i = 0; i < n; i++) {
            if (i) bus_buf_append(out, ",", 1);
            int rc = s_write(mp, out, NULL, depth + 2, err, errlen);
            if (rc) return rc;
        }
        bus_buf_append(out, "]", 1);
        return 0;
    }
    case BUS_MP_STR: {
        const char *v;
        uint32_t n;
        if (bus_mp_read_str(mp, &v, &n)) return BUS_EMALFORMED;
        s_text(out, v, n);
        return 0;
    }
    case BUS_MP_UINT: {
        uint64_t u;
        if (bus_mp_read_uint(mp, &u)) return BUS_EMALFORMED;
        bus_buf_append(out, num, (size_t)snprintf(num, sizeof num, "%" PRIu64, u));
        return 0;
    }
    case BUS_MP_INT: {
        int64_t i;
        if (bus_mp_read_int(mp, &i)) return BUS_EMALFORMED;
        bus_buf_append(out, num, (size_t)snprintf(num, sizeof num, "%" PRId64, i));
        return 0;
    }
    case BUS_MP_FLOAT: {
        double d;
        if (bus_mp_read_f64(mp, &d) || !isfinite(d)) return BUS_EMALFORMED;
        int n = snprintf(num, sizeof num, "%.17g", d);
        if (!strpbrk(num, ".eE")) n += snprintf(num + n, sizeof num - (size_t)n, ".0");
        bus_buf_append(out, num, (size_t)n);
        return 0;
    }
    case BUS_MP_BOOL: {
        bool b;
        if (bus_mp_read_bool(mp, &b)) return BUS_EMALFORMED;
        bus_buf_append(out, b ? "true" : "false", b ? 4 : 5);
        return 0;
    }
    case BUS_MP_NIL:
        if (bus_mp_read_nil(mp)) return BUS_EMALFORMED;
        bus_buf_append(out, "null", 4);
        return 0;
    default: snprintf(err, errlen, "malformed msgpack"); return BUS_EMALFORMED;
    }
}

int kube_obj_write_json(const uint8_t *data, size_t len, const char *rv, bus_buf_t *out, char *err,
                        size_t errlen)
{
    bus_mp_t mp;
    bus_mp_init(&mp, data, len);
    snprintf(err, errlen, "malformed msgpack");
    int rc = s_write(&mp, out, rv, 0, err, errlen);
    if (!rc && bus_mp_left(&mp)) {
        snprintf(err, errlen, "%zu bytes after the value", bus_mp_left(&mp));
        return BUS_EMALFORMED;
    }
    return rc ? rc : out->err;
}

json_t *kube_obj_get(const uint8_t *data, size_t len, const char *const *path, size_t depth)
{
    bus_mp_t mp;
    bus_mp_init(&mp, data, len);
    for (size_t d = 0; d < depth; d++) {
        uint32_t n;
        if (bus_mp_peek(&mp) != BUS_MP_MAP || bus_mp_read_map(&mp, &n)) return NULL;
        bool found = false;
        for (uint32_t i = 0; i < n && !found; i++) {
            const char *k;
            uint32_t klen;
            if (bus_mp_peek(&mp) != BUS_MP_STR || bus_mp_read_str(&mp, &k, &klen)) return NULL;
            if (klen == strlen(path[d]) && !memcmp(k, path[d], klen))
                found = true;
            else if (bus_mp_skip(&mp, BUS_MP_DEPTH_MAX))
                return NULL;
        }
        if (!found) return NULL;
    }
    char err[64];
    return s_decode(&mp, 0, err, sizeof err);
}

const char *kube_obj_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    default: return "null";
    }
}

json_t *kube_obj_quoted(const char *text)
{
    char *t = strdup(text);
    if (!t) abort();
    for (char *c = t; *c; c++)
        if (*c == '\'') *c = '"';
    json_error_t err;
    json_t *obj = json_loads(t, 0, &err);
    if (!obj) {
        fprintf(stderr, "kube_obj_quoted: bad JSON: %s: %s\n", err.text, t);
        abort();
    }
    free(t);
    return obj;
}

void kube_obj_test(bool verbose)
{
    const char *text = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
                       "\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
                       "\"ports\":[{\"containerPort\":80}]}],\"x\":-5,\"y\":1.5,\"z\":null,"
                       "\"t\":true,\"f\":false,\"e\":\"\"}}";
    json_t *obj = json_loads(text, 0, NULL);
    assert(obj);
    bus_buf_t buf;
    bus_buf_init(&buf, 1 << 20);
    assert(kube_obj_encode(obj, &buf) == 0);
    char err[128];
    json_t *back = kube_obj_decode(buf.data, buf.len, err, sizeof err);
    assert(back && json_equal(obj, back));
    json_decref(back);
    /* Trailing bytes, truncation and a non-string key are refused. */
    assert(bus_buf_append(&buf, "\xc0", 1) == 0);
    assert(!kube_obj_decode(buf.data, buf.len, err, sizeof err) && strstr(err, "after"));
    assert(!kube_obj_decode(buf.data, buf.len - 3, err, sizeof err));
    const uint8_t intkey[] = {0x81, 0x01, 0x02};
    assert(!kube_obj_decode(intkey, sizeof intkey, err, sizeof err) && strstr(err, "key"));
    /* Found by fuzz_kube: a key with a NUL inside decoded, then re-encoded shorter. */
    const uint8_t nulkey[] = {0x81, 0xa4, 'x', 0, 0, 0, 0xc0};
    assert(!kube_obj_decode(nulkey, sizeof nulkey, err, sizeof err) && strstr(err, "NUL"));
    /* A declared count larger than the bytes is refused before anything is allocated. */
    const uint8_t huge[] = {0xdd, 0x7f, 0xff, 0xff, 0xff};
    assert(!kube_obj_decode(huge, sizeof huge, err, sizeof err));
    /* Depth is bounded both ways. */
    uint8_t deep[200];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0xc0;
    assert(!kube_obj_decode(deep, sizeof deep, err, sizeof err) && strstr(err, "deeper"));
    json_t *nest = json_array();
    for (int i = 0; i < KUBE_OBJ_DEPTH_MAX + 2; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, nest);
        nest = outer;
    }
    bus_buf_reset(&buf);
    assert(kube_obj_encode(nest, &buf) == BUS_EINVALID);
    json_decref(nest);
    assert(!strcmp(kube_obj_kind(json_object_get(obj, "spec")), "object"));
    assert(!strcmp(kube_obj_kind(json_object_get(json_object_get(obj, "spec"), "y")), "number"));
    assert(!strcmp(kube_obj_kind(json_object_get(json_object_get(obj, "spec"), "t")), "bool"));
    /* The buffer's maximum holds. */
    bus_buf_t small;
    bus_buf_init(&small, 16);
    assert(kube_obj_encode(obj, &small) == BUS_ETOOBIG);
    bus_buf_free(&small);
    /* Straight to text: the same JSON as through jansson, with the resourceVersion given. */
    bus_buf_reset(&buf);
    json_t *meta = json_object_get(obj, "metadata");
    json_object_set_new(meta, "resourceVersion", json_string("old"));
    assert(kube_obj_encode(obj, &buf) == 0);
    bus_buf_t out;
    bus_buf_init(&out, 1 << 20);
    assert(kube_obj_write_json(buf.data, buf.len, "42", &out, err, sizeof err) == 0);
    json_t *back2 = json_loadb((const char *)out.data, out.len, 0, NULL);
    json_object_set_new(meta, "resourceVersion", json_string("42"));
    assert(back2 && json_equal(back2, obj));
    json_decref(back2);
    const char *const lp[] = {"metadata", "labels"};
    json_t *labels = kube_obj_get(buf.data, buf.len, lp, 2);
    assert(labels && !strcmp(json_string_value(json_object_get(labels, "a")), "b"));
    json_decref(labels);
    const char *const np[] = {"metadata", "nope"};
    assert(!kube_obj_get(buf.data, buf.len, np, 2));
    /* Escapes: quotes, backslashes and control bytes. */
    json_t *esc = json_pack("{s:s, s:f}", "k\"\\", "a\n\x01\"z", "num", 2.0);
    bus_buf_reset(&buf);
    bus_buf_reset(&out);
    assert(kube_obj_encode(esc, &buf) == 0);
    assert(kube_obj_write_json(buf.data, buf.len, NULL, &out, err, sizeof err) == 0);
    json_t *esc2 = json_loadb((const char *)out.data, out.len, 0, NULL);
    assert(esc2 && json_equal(esc, esc2));
    json_decref(esc);
    json_decref(esc2);
    bus_buf_free(&out);
    bus_buf_free(&buf);
    json_decref(obj);
    (void)verbose;
}
