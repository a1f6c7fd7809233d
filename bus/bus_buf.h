/* bus_buf: a growable byte buffer with a hard maximum. Appends past the maximum fail with
 * BUS_ETOOBIG and the error sticks until reset, so a sequence of appends can be checked once
 * at the end. A value type: embed it, init it, free it. Also the sink for msgpack-c's packer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    int err; /* 0 or BUS_ETOOBIG, sticky until reset */
} bus_buf_t;

void bus_buf_init(bus_buf_t *self, size_t max);
void bus_buf_free(bus_buf_t *self);
/* Empties the buffer and clears the error; keeps the memory. */
void bus_buf_reset(bus_buf_t *self);
int bus_buf_append(bus_buf_t *self, const void *data, size_t len);
/* msgpack_packer_write-compatible callback: data is a bus_buf_t *. */
int bus_buf_msgpack_write(void *data, const char *buf, size_t len);

void bus_buf_test(bool verbose);
