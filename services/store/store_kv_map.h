/* store_kv_map: an ordered map from byte strings to records of a fixed size, for store_kv's
 * in-memory key index: a skip list, so insert, lookup and delete take O(log n) expected steps and
 * a walk in key order starts from any key. Keys are ordered as memcmp orders them, a key before
 * every longer key it prefixes. Node levels come from a generator seeded by the caller, never
 * from a clock: the same operations build the same list. Not thread-safe (store_kv_index locks
 * around it). Its test is a part of store_kv_test.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest key the map holds. */
#define STORE_KV_MAP_KEY_MAX 65535

typedef struct store_kv_map_t store_kv_map_t;

/* A map whose records are rec_size bytes each (0 is allowed). */
store_kv_map_t *store_kv_map_new(size_t rec_size, uint64_t seed);
/* Frees the map and its records (not what records point to: free that first, walking the map).
 * Accepts NULL. */
void store_kv_map_destroy(store_kv_map_t **self_p);

/* The record of key, or NULL when absent. A record stays where it is until its key is deleted. */
void *store_kv_map_get(store_kv_map_t *self, const void *key, size_t len);
/* The record of key, added (all zero, *created set) when absent. len at most
 * STORE_KV_MAP_KEY_MAX. */
void *store_kv_map_put(store_kv_map_t *self, const void *key, size_t len, bool *created);
/* Deletes key and its record; false when it was absent. */
bool store_kv_map_del(store_kv_map_t *self, const void *key, size_t len);

/* The record of the first key at or above key (len 0: the first key), NULL when none. */
void *store_kv_map_seek(store_kv_map_t *self, const void *key, size_t len);
/* The record of the key after rec's, NULL at the end. */
void *store_kv_map_next(store_kv_map_t *self, const void *rec);
/* rec's key (valid as long as rec) and its length. */
const char *store_kv_map_key(const store_kv_map_t *self, const void *rec, size_t *len);

/* Keys held. */
size_t store_kv_map_count(const store_kv_map_t *self);
