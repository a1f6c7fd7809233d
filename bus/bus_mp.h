/* bus_mp: a bounded msgpack pull reader. It reads values in place from one buffer and never
 * allocates. Every container count is checked against the bytes left before anything trusts it
 * (msgpack-c's unpacker allocates from the declared count, so five bytes could demand gigabytes),
 * and skipping nests at most BUS_MP_DEPTH_MAX deep. Every read returns 0 or BUS_EMALFORMED; after
 * an error the position is unspecified. Writing uses msgpack-c's packer (see bus_buf). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MP_DEPTH_MAX 32

typedef enum {
    BUS_MP_END = 0, /* no bytes left */
    BUS_MP_NIL,
    BUS_MP_BOOL,
    BUS_MP_UINT, /* non-negative integer, any encoding */
    BUS_MP_INT,  /* negative integer */
    BUS_MP_FLOAT,
    BUS_MP_STR,
    BUS_MP_BIN,
    BUS_MP_ARRAY,
    BUS_MP_MAP,
    BUS_MP_EXT,
    BUS_MP_INVALID, /* 0xc1, the one byte msgpack never uses */
} bus_mp_type_t;

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} bus_mp_t;

static inline void bus_mp_init(bus_mp_t *self, const void *data, size_t len)
{
    self->p = data;
    self->end = self->p + len;
}

static inline size_t bus_mp_left(const bus_mp_t *self)
{
    return (size_t)(self->end - self->p);
}

/* Type of the next value without consuming it. */
bus_mp_type_t bus_mp_peek(const bus_mp_t *self);

int bus_mp_read_nil(bus_mp_t *self);
int bus_mp_read_bool(bus_mp_t *self, bool *v);
/* Any integer encoding whose value fits the target. */
int bus_mp_read_uint(bus_mp_t *self, uint64_t *v);
int bus_mp_read_int(bus_mp_t *self, int64_t *v);
/* float32, float64, or an integer. */
int bus_mp_read_f64(bus_mp_t *self, double *v);
/* Borrowed pointers into the buffer, not NUL-terminated. */
int bus_mp_read_str(bus_mp_t *self, const char **s, uint32_t *len);
int bus_mp_read_bin(bus_mp_t *self, const uint8_t **b, uint32_t *len);
/* Container headers; n is checked against the bytes left (a map entry needs 2, an element 1). */
int bus_mp_read_map(bus_mp_t *self, uint32_t *n);
int bus_mp_read_array(bus_mp_t *self, uint32_t *n);
/* Skips one whole value, nested at most depth_left levels. */
int bus_mp_skip(bus_mp_t *self, int depth_left);

void bus_mp_test(bool verbose);
