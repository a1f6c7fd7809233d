/* bus_buf: doubling growth, bounded by max. */
#include "bus_buf.h"
#include "bus_err.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void bus_buf_init(bus_buf_t *self, size_t max)
{
    memset(self, 0, sizeof *self);
    self->max = max;
}

void bus_buf_free(bus_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}

void bus_buf_reset(bus_buf_t *self)
{
    self->len = 0;
    self->err = 0;
}

int bus_buf_append(bus_buf_t *self, const void *data, size_t len)
{
    if (self->err) return self->err;
    if (len > self->max - self->len) return self->err = BUS_ETOOBIG;
    if (self->len + len > self->cap) {
        size_t cap = self->cap ? self->cap : 256;
        while (cap < self->len + len) cap *= 2;
        if (cap > self->max) cap = self->max;
        uint8_t *p = realloc(self->data, cap);
        if (!p) abort();
        self->data = p;
        self->cap = cap;
    }
    if (len) memcpy(self->data + self->len, data, len);
    self->len += len;
    return 0;
}

int bus_buf_msgpack_write(void *data, const char *buf, size_t len)
{
    return bus_buf_append(data, buf, len) == 0 ? 0 : -1;
}

void bus_buf_test(bool verbose)
{
    bus_buf_t b;
    bus_buf_init(&b, 1000);
    assert(bus_buf_append(&b, "abc", 3) == 0);
    for (int i = 0; i < 99; i++) assert(bus_buf_append(&b, "0123456789", 10) == 0);
    assert(b.len == 993 && memcmp(b.data, "abc0123", 7) == 0);
    assert(bus_buf_append(&b, "0123456789", 10) == BUS_ETOOBIG);
    /* The error sticks, even for an append that would fit. */
    assert(bus_buf_append(&b, "x", 1) == BUS_ETOOBIG);
    assert(b.err == BUS_ETOOBIG && b.len == 993);
    bus_buf_reset(&b);
    assert(b.len == 0 && b.err == 0 && bus_buf_append(&b, "x", 1) == 0);
    bus_buf_free(&b);
    (void)verbose;
}
