/* bus_zap: the broker's ZAP handler (ZeroMQ RFC 27), run as an actor in its own thread. It must
 * be running before any CURVE socket binds: without a handler, libzmq 4.3.4 admits any key. It
 * admits only CURVE keys whose certificate is in the cluster's certificate directory (re-read
 * when the directory changes, so new members need no restart), and only where the certificate's
 * role may connect:
 *     domain "router"     any role but tap and broker (requests, replies, workers)
 *     domain "publish"    roles that may publish events
 *     domain "subscribe"  roles that may subscribe to events
 *     domain "tap"        roles that may read the tap
 * An admitted connection's User-Id is "role/name"; the broker reads it from every message.
 * Refusals are logged with the peer's address and key (public keys are not secrets). czmq's zauth
 * is not used because it ignores domains. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct bus_zap_t bus_zap_t;

#define BUS_ZAP_ROUTER    "router"
#define BUS_ZAP_PUBLISH   "publish"
#define BUS_ZAP_SUBSCRIBE "subscribe"
#define BUS_ZAP_TAP       "tap"

/* Starts the handler over certs_dir. NULL, with err set, when it cannot bind (for example when
 * this process already runs one). */
bus_zap_t *bus_zap_new(const char *certs_dir, char *err, size_t errlen);
void bus_zap_destroy(bus_zap_t **self_p);

void bus_zap_test(bool verbose);
