/* bus_mp: msgpack decoding by hand, because the decoder is where untrusted bytes enter and it must
 * bound everything before trusting it. */
#include "bus_mp.h"
#include "bus_buf.h"
#include "bus_err.h"

#include <assert.h>
#include <math.h>
#include <msgpack.h>
#include <string.h>

static inline uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    return v;
}

/* Consumes a header byte plus n big-endian bytes; returns the value in *v. */
static inline int s_take(bus_mp_t *self, int n, uint64_t *v)
{
    if (bus_mp_left(self) < (size_t)n + 1) return BUS_EMALFORMED;
    *v = s_be(self->p + 1, n);
    self->p += 1 + n;
    return 0;
}

bus_mp_type_t bus_mp_peek(const bus_mp_t *self)
{
    if (self->p >= self->end) return BUS_MP_END;
    uint8_t b = *self->p;
    if (b <= 0x7f) return BUS_MP_UINT;
    if (b <= 0x8f) return BUS_MP_MAP;
    if (b <= 0x9f) return BUS_MP_ARRAY;
    if (b <= 0xbf) return BUS_MP_STR;
    if (b >= 0xe0) return BUS_MP_INT;
    switch (b) {
    case 0xc0: return BUS_MP_NIL;
    case 0xc1: return BUS_MP_INVALID;
    case 0xc2:
    case 0xc3: return BUS_MP_BOOL;
    case 0xc4:
    case 0xc5:
    case 0xc6: return BUS_MP_BIN;
    case 0xc7:
    case 0xc8:
    case 0xc9: return BUS_MP_EXT;
    case 0xca:
    case 0xcb: return BUS_MP_FLOAT;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf: return BUS_MP_UINT;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        /* Signed encodings of non-negative values are still non-negative integers. */
        if (bus_mp_left(self) >= 2 && (self->p[1] & 0x80) == 0) return BUS_MP_UINT;
        return BUS_MP_INT;
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: return BUS_MP_EXT;
    case 0xd9:
    case 0xda:
    case 0xdb: return BUS_MP_STR;
    case 0xdc:
    case 0xdd: return BUS_MP_ARRAY;
    default: return BUS_MP_MAP; /* 0xde, 0xdf */
    }
}

int bus_mp_read_nil(bus_mp_t *self)
{
    if (self->p >= self->end || *self->p != 0xc0) return BUS_EMALFORMED;
    self->p++;
    return 0;
}

int bus_mp_read_bool(bus_mp_t *self, bool *v)
{
    if (self->p >= self->end || (*self->p != 0xc2 && *self->p != 0xc3)) return BUS_EMALFORMED;
    *v = *self->p++ == 0xc3;
    return 0;
}

/* Reads any integer as sign + magnitude. */
static int s_read_integer(bus_mp_t *self, bool *neg, uint64_t *mag)
{
    if (self->p >= self->end) return BUS_EMALFORMED;
    uint8_t b = *self->p;
    uint64_t v;
    *neg = false;
    if (b <= 0x7f) {
        *mag = b;
        self->p++;
        return 0;
    }
    if (b >= 0xe0) {
        *neg = true;
        *mag = (uint64_t)(256 - b);
        self->p++;
        return 0;
    }
    int n;
    switch (b) {
    case 0xcc: n = 1; break;
    case 0xcd: n = 2; break;
    case 0xce: n = 4; break;
    case 0xcf: n = 8; break;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        n = 1 << (b - 0xd0);
        if (s_take(self, n, &v)) return BUS_EMALFORMED;
        uint64_t sign = (uint64_t)1 << (8 * n - 1);
        if (v & sign) {
            *neg = true;
            /* Two's complement magnitude within n bytes; for n = 8 this is 2^64 - v. */
            *mag = n == 8 ? (~v + 1) : ((sign << 1) - v);
        } else {
            *mag = v;
        }
        return 0;
    }
    default: return BUS_EMALFORMED;
    }
    if (s_take(self, n, &v)) return BUS_EMALFORMED;
    *mag = v;
    return 0;
}

int bus_mp_read_uint(bus_mp_t *self, uint64_t *v)
{
    bool neg;
    const uint8_t *start = self->p;
    if (s_read_integer(self, &neg, v) || neg) {
        self->p = start;
        return BUS_EMALFORMED;
    }
    return 0;
}

int bus_mp_read_int(bus_mp_t *self, int64_t *v)
{
    bool neg;
    uint64_t mag;
    const uint8_t *start = self->p;
    if (s_read_integer(self, &neg, &mag)) return BUS_EMALFORMED;
    if (!neg) {
        if (mag > (uint64_t)INT64_MAX) goto fail;
        *v = (int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX + 1) goto fail;
        *v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    }
    return 0;
fail:
    self->p = start;
    return BUS_EMALFORMED;
}

int bus_mp_read_f64(bus_mp_t *self, double *v)
{
    if (self->p >= self->end) return BUS_EMALFORMED;
    uint64_t bits;
    if (*self->p == 0xca) {
        if (s_take(self, 4, &bits)) return BUS_EMALFORMED;
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        *v = f;
        return 0;
    }
    if (*self->p == 0xcb) {
        if (s_take(self, 8, &bits)) return BUS_EMALFORMED;
        memcpy(v, &bits, sizeof *v);
        return 0;
    }
    int64_t i;
    if (bus_mp_read_int(self, &i)) return BUS_EMALFORMED;
    *v = (double)i;
    return 0;
}

/* Reads a length-prefixed header: fix range, or one of three sized forms. */
static int s_read_len(bus_mp_t *self, uint8_t fix_lo, uint8_t fix_hi, uint8_t b8, uint8_t b16,
                      uint8_t b32, uint32_t *len)
{
    if (self->p >= self->end) return BUS_EMALFORMED;
    uint8_t b = *self->p;
    uint64_t v;
    if (fix_hi && b >= fix_lo && b <= fix_hi) {
        *len = b - fix_lo;
        self->p++;
        return 0;
    }
    if (b8 && b == b8) {
        if (s_take(self, 1, &v)) return BUS_EMALFORMED;
    } else if (b == b16) {
        if (s_take(self, 2, &v)) return BUS_EMALFORMED;
    } else if (b == b32) {
        if (s_take(self, 4, &v)) return BUS_EMALFORMED;
    } else {
        return BUS_EMALFORMED;
    }
    *len = (uint32_t)v;
    return 0;
}

static int s_read_body(bus_mp_t *self, uint32_t len, const uint8_t **b)
{
    if (bus_mp_left(self) < len) return BUS_EMALFORMED;
    *b = self->p;
    self->p += len;
    return 0;
}

int bus_mp_read_str(bus_mp_t *self, const char **s, uint32_t *len)
{
    const uint8_t *start = self->p, *b;
    if (s_read_len(self, 0xa0, 0xbf, 0xd9, 0xda, 0xdb, len) || s_read_body(self, *len, &b)) {
        self->p = start;
        return BUS_EMALFORMED;
    }
    *s = (const char *)b;
    return 0;
}

int bus_mp_read_bin(bus_mp_t *self, const uint8_t **b, uint32_t *len)
{
    const uint8_t *start = self->p;
    if (s_read_len(self, 0, 0, 0xc4, 0xc5, 0xc6, len) || s_read_body(self, *len, b)) {
        self->p = start;
        return BUS_EMALFORMED;
    }
    return 0;
}

int bus_mp_read_map(bus_mp_t *self, uint32_t *n)
{
    const uint8_t *start = self->p;
    if (s_read_len(self, 0x80, 0x8f, 0, 0xde, 0xdf, n) || (uint64_t)*n * 2 > bus_mp_left(self)) {
        self->p = start;
        return BUS_EMALFORMED;
    }
    return 0;
}

int bus_mp_read_array(bus_mp_t *self, uint32_t *n)
{
    const uint8_t *start = self->p;
    if (s_read_len(self, 0x90, 0x9f, 0, 0xdc, 0xdd, n) || *n > bus_mp_left(self)) {
        self->p = start;
        return BUS_EMALFORMED;
    }
    return 0;
}

static int s_skip_ext(bus_mp_t *self)
{
    uint8_t b = *self->p;
    uint64_t len;
    if (b >= 0xd4 && b <= 0xd8) {
        len = (uint64_t)1 << (b - 0xd4);
        self->p++;
    } else if (s_take(self, b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4, &len)) {
        return BUS_EMALFORMED;
    }
    /* The type byte, then the data. */
    if (bus_mp_left(self) < len + 1) return BUS_EMALFORMED;
    self->p += len + 1;
    return 0;
}

int bus_mp_skip(bus_mp_t *self, int depth_left)
{
    if (depth_left <= 0) return BUS_EMALFORMED;
    uint32_t n;
    const char *s;
    const uint8_t *b;
    bool bv;
    int64_t iv;
    uint64_t uv;
    double dv;
    switch (bus_mp_peek(self)) {
    case BUS_MP_NIL: return bus_mp_read_nil(self);
    case BUS_MP_BOOL: return bus_mp_read_bool(self, &bv);
    case BUS_MP_UINT: return bus_mp_read_uint(self, &uv);
    case BUS_MP_INT: return bus_mp_read_int(self, &iv);
    case BUS_MP_FLOAT: return bus_mp_read_f64(self, &dv);
    case BUS_MP_STR: return bus_mp_read_str(self, &s, &n);
    case BUS_MP_BIN: return bus_mp_read_bin(self, &b, &n);
    case BUS_MP_EXT: return s_skip_ext(self);
    case BUS_MP_ARRAY:
        if (bus_mp_read_array(self, &n)) return BUS_EMALFORMED;
        for (uint32_t i = 0; i < n; i++)
            if (bus_mp_skip(self, depth_left - 1)) return BUS_EMALFORMED;
        return 0;
    case BUS_MP_MAP:
        if (bus_mp_read_map(self, &n)) return BUS_EMALFORMED;
        for (uint32_t i = 0; i < 2 * n; i++)
            if (bus_mp_skip(self, depth_left - 1)) return BUS_EMALFORMED;
        return 0;
    default: return BUS_EMALFORMED;
    }
}

/* --- selftest ------------------------------------------------------------------------------ */

static void s_check_int_roundtrip(int64_t x)
{
    bus_buf_t b;
    bus_buf_init(&b, 64);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, bus_buf_msgpack_write);
    msgpack_pack_int64(&pk, x);
    bus_mp_t r;
    bus_mp_init(&r, b.data, b.len);
    int64_t v;
    assert(bus_mp_read_int(&r, &v) == 0 && v == x && bus_mp_left(&r) == 0);
    bus_mp_init(&r, b.data, b.len);
    uint64_t u;
    if (x >= 0)
        assert(bus_mp_read_uint(&r, &u) == 0 && u == (uint64_t)x);
    else
        assert(bus_mp_read_uint(&r, &u) == BUS_EMALFORMED && r.p == b.data);
    bus_buf_free(&b);
}

void bus_mp_test(bool verbose)
{
    int64_t ints[] = {
        0,         1,         127,       128,         255,       256,
        65535,     65536,     -1,        -32,         -33,       -128,
        -129,      -32768,    -32769,    INT32_MIN,   INT32_MAX, (int64_t)INT32_MIN - 1,
        INT64_MAX, INT64_MIN, 1LL << 40, -(1LL << 40)};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) s_check_int_roundtrip(ints[i]);

    /* uint64 above INT64_MAX reads as uint, not as int. */
    const uint8_t big[] = {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    bus_mp_t r;
    uint64_t u;
    int64_t i64;
    bus_mp_init(&r, big, sizeof big);
    assert(bus_mp_read_uint(&r, &u) == 0 && u == UINT64_MAX);
    bus_mp_init(&r, big, sizeof big);
    assert(bus_mp_read_int(&r, &i64) == BUS_EMALFORMED);

    /* A container count larger than the bytes left is refused before anything trusts it. */
    const uint8_t huge_array[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    uint32_t n;
    bus_mp_init(&r, huge_array, sizeof huge_array);
    assert(bus_mp_read_array(&r, &n) == BUS_EMALFORMED);
    const uint8_t huge_map[] = {0xdf, 0x00, 0x00, 0x00, 0x02, 0x01, 0x02, 0x03};
    bus_mp_init(&r, huge_map, sizeof huge_map);
    assert(bus_mp_read_map(&r, &n) == BUS_EMALFORMED);
    assert(bus_mp_skip(&r, 8) == BUS_EMALFORMED);

    /* Strings: truncated bodies are refused. */
    const uint8_t str[] = {0xa5, 'h', 'e', 'l', 'l', 'o'};
    const char *s;
    bus_mp_init(&r, str, sizeof str);
    assert(bus_mp_read_str(&r, &s, &n) == 0 && n == 5 && memcmp(s, "hello", 5) == 0);
    bus_mp_init(&r, str, sizeof str - 1);
    assert(bus_mp_read_str(&r, &s, &n) == BUS_EMALFORMED);

    /* Deep nesting is bounded. */
    uint8_t deep[100];
    memset(deep, 0x91, sizeof deep);
    deep[99] = 0xc0;
    bus_mp_init(&r, deep, sizeof deep);
    assert(bus_mp_skip(&r, BUS_MP_DEPTH_MAX) == BUS_EMALFORMED);
    bus_mp_init(&r, deep + 80, 20);
    assert(bus_mp_skip(&r, BUS_MP_DEPTH_MAX) == 0 && bus_mp_left(&r) == 0);

    /* Skips every kind: map{1: [nil, true, 1.5, bin"ab", ext], "k": -5}. */
    bus_buf_t b;
    bus_buf_init(&b, 1024);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &b, bus_buf_msgpack_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_uint8(&pk, 1);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    msgpack_pack_double(&pk, 1.5);
    msgpack_pack_bin_with_body(&pk, "ab", 2);
    msgpack_pack_ext_with_body(&pk, "xyz", 3, 7);
    msgpack_pack_str_with_body(&pk, "k", 1);
    msgpack_pack_int8(&pk, -5);
    bus_mp_init(&r, b.data, b.len);
    assert(bus_mp_skip(&r, 4) == 0 && bus_mp_left(&r) == 0);
    double d;
    bus_mp_init(&r, b.data + 5, b.len - 5); /* the double */
    assert(bus_mp_peek(&r) == BUS_MP_FLOAT && bus_mp_read_f64(&r, &d) == 0 && d == 1.5);
    /* Every truncation fails cleanly. */
    for (size_t cut = 0; cut < b.len; cut++) {
        bus_mp_init(&r, b.data, cut);
        assert(bus_mp_skip(&r, 4) == BUS_EMALFORMED);
    }
    bus_buf_free(&b);

    const uint8_t invalid[] = {0xc1};
    bus_mp_init(&r, invalid, 1);
    assert(bus_mp_peek(&r) == BUS_MP_INVALID && bus_mp_skip(&r, 4) == BUS_EMALFORMED);
    (void)verbose;
}
