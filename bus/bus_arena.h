/* Arena: a bump allocator for everything decoded from one message or one request, freed in one
 * step. It has a byte limit: an allocation past it returns NULL and the caller reports the
 * input as too large. Out of memory from the system aborts. Not thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct bus_arena_t bus_arena_t;

/* A new arena that hands out at most max_bytes in all (0 = 64 MiB). */
bus_arena_t *bus_arena_new(size_t max_bytes);
void bus_arena_destroy(bus_arena_t **self_p);

/* Zeroed memory aligned for any type, valid until reset or destroy; NULL past the limit. */
void *bus_arena_alloc(bus_arena_t *self, size_t size);
/* A NUL-terminated copy of n bytes; NULL past the limit. */
char *bus_arena_strndup(bus_arena_t *self, const char *s, size_t n);
/* Frees every allocation; keeps the first chunk for reuse. */
void bus_arena_reset(bus_arena_t *self);
size_t bus_arena_used(const bus_arena_t *self);

void bus_arena_test(bool verbose);
