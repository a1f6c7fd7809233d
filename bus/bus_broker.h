/* bus_broker: the kernel of kubus. One broker owns four CURVE sockets:
 *   router     ROUTER: requests, replies, worker announcements, heartbeats
 *   publish    XSUB: publishers' events come in here
 *   subscribe  XPUB: events go out to subscribers by topic prefix (manual: the broker decides
 *              which subscriptions a role may make)
 *   tap        XPUB: a copy of every frame, with a per-broker sequence number; drops, never blocks
 *
 * Requests name a service and are dispatched least-recently-used over the workers that announced
 * it, within each worker's credits (requests at once); a request may name one instance. A request
 * with no worker free waits, bounded, until its deadline. A worker that stops heartbeating or
 * disconnects is purged and its requests are sent to another worker (unless flagged
 * BUS_FLAG_ONCE) or failed with BUS_EWORKERLOST. Brokers keep no state worth saving: run several
 * and have every peer connect to all of them.
 *
 * The broker itself answers the service "broker" (status and metrics). It is not thread-safe:
 * bus_broker_run owns the calling thread until stopped. */
#pragma once

#include "bus_config.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct bus_broker_t bus_broker_t;

/* The limits (bus_broker_limits_t) are in bus_config.h: cluster.json may set them. */

/* Loads the broker's certificate (DIR/keys/NAME.key, role broker), starts its ZAP handler and
 * binds its sockets. If a configured port is 0 the chosen ports go to DIR/run/NAME.ports.json.
 * NULL with err set on failure. */
bus_broker_t *bus_broker_new(const bus_config_t *config, const char *name,
                             const bus_broker_limits_t *limits, char *err, size_t errlen);
void bus_broker_destroy(bus_broker_t **self_p);

/* Serves until bus_broker_stop is called from a signal handler or another thread, or the process
 * is interrupted (SIGINT/SIGTERM through czmq). Returns 0, or a negative code on a fatal error. */
int bus_broker_run(bus_broker_t *self);
void bus_broker_stop(bus_broker_t *self);

/* The port actually bound (after ephemeral binding). */
uint16_t bus_broker_port(const bus_broker_t *self, bus_port_t port);
