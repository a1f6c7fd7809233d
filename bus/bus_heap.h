/* bus_heap: a binary min-heap of (key, value) pairs of 64-bit integers, used for deadlines:
 * key = when, value = what. Removal is lazy: the owner checks, when an entry comes due, whether
 * it still means anything. Bounded by max entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bus_heap_t bus_heap_t;

bus_heap_t *bus_heap_new(size_t max);
void bus_heap_destroy(bus_heap_t **self_p);
/* 0, or BUS_EBUSY when full. */
int bus_heap_push(bus_heap_t *self, uint64_t key, uint64_t value);
/* True and the smallest entry, without removing it; false when empty. */
bool bus_heap_peek(const bus_heap_t *self, uint64_t *key, uint64_t *value);
/* Keeps only the entries keep(key, value, arg) says still matter (for lazy deletion: call it
 * when push finds the heap full). Returns how many were dropped. */
size_t bus_heap_compact(bus_heap_t *self, bool (*keep)(uint64_t key, uint64_t value, void *arg),
                        void *arg);
/* Removes the smallest entry; false when empty. */
bool bus_heap_pop(bus_heap_t *self, uint64_t *key, uint64_t *value);
size_t bus_heap_size(const bus_heap_t *self);

void bus_heap_test(bool verbose);
