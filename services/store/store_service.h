/* store_service: a store member on the bus. It serves "store" (the requests of schemas/store.yaml,
 * each handed to store_member), carries the member's Raft messages as store.raft events on
 * /store/raft/<member id>, forwards writes a follower takes to the leader's instance, fetches a
 * leader's snapshot in pieces, publishes the changes the leader applies on their keys, and ticks
 * the core. The member does the work; this file only moves messages. */
#pragma once

#include "store_member.h"

#include <stdint.h>

typedef struct store_service_t store_service_t;

typedef struct {
    const char *dir; /* the cluster directory (cluster.json, keys) */
    store_member_config_t member;
    uint32_t tick_ms; /* the core's tick (default 50 ms) */
    uint32_t credits; /* requests taken at once (default 10000) */
} store_service_config_t;

/* Connects to the bus and opens the member. NULL with err set. */
store_service_t *store_service_new(const store_service_config_t *cfg, char *err, size_t errlen);
/* Serves until SIGTERM or SIGINT; a leader first hands its leadership on. 0 on a clean stop. */
int store_service_run(store_service_t *self);
void store_service_destroy(store_service_t **self_p);

/* The topic a member's Raft messages go to. */
void store_service_raft_topic(uint64_t member, char *out, size_t cap);
