/* bus_events: publish and subscribe. A publisher's PUB socket connects to every broker's publish
 * port, so each event reaches every broker; a subscriber's SUB socket connects to every broker's
 * subscribe port, so it hears each event once per broker. Events carry the publisher's epoch (one
 * per run) and a sequence number: duplicates are dropped here, and a jump is reported as a gap
 * (events lost on a slow path), which tells the subscriber to catch up from the source of truth.
 * Topics are key-shaped ("/registry/pods/ns/name"); a subscription is a prefix. The broker checks
 * every publication and subscription against the certificate's role.
 * Single-threaded, like bus_client. */
#pragma once

#include "bus_codec.h"
#include "bus_config.h"
#include "bus_frame.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct bus_events_t bus_events_t;

typedef struct {
    const char *topic;   /* NUL-terminated copy */
    bus_envelope_t *env; /* env->caller is the publisher, stamped by the broker */
    bus_frame_t frame;   /* for bus_frame_body */
    uint64_t gap;        /* events of this publisher missed just before this one */
} bus_event_t;

/* Sockets are made on first use, as name (DIR/keys/NAME.key). */
bus_events_t *bus_events_new(const bus_config_t *config, const char *name, char *err,
                             size_t errlen);
void bus_events_destroy(bus_events_t **self_p);

int bus_events_publish(bus_events_t *self, const char *topic, const codec_msg_t *desc,
                       const void *body, codec_err_t *err);
/* Publishes a body already encoded (its message type and msgpack bytes). */
int bus_events_publish_encoded(bus_events_t *self, const char *topic, uint32_t type,
                               const uint8_t *body, size_t len, codec_err_t *err);
/* Opens the publisher's connections now rather than at the first publish. A PUB socket drops
 * what it sends before a broker's subscription reaches it, so a publisher that must not lose its
 * first events opens early. */
void bus_events_open_publisher(bus_events_t *self);
int bus_events_subscribe(bus_events_t *self, const char *prefix);
int bus_events_unsubscribe(bus_events_t *self, const char *prefix);

/* The next event without waiting (0), or BUS_ETIMEOUT. The event is valid until the next call. */
int bus_events_poll(bus_events_t *self, bus_event_t *ev);
int bus_events_recv(bus_events_t *self, bus_event_t *ev, int timeout_ms);
/* The subscriber socket for an event loop (NULL before the first subscribe). */
void *bus_events_socket(bus_events_t *self);

typedef struct {
    uint64_t published, received, duplicates, gaps, missed;
} bus_events_stats_t;
const bus_events_stats_t *bus_events_stats(const bus_events_t *self);

void bus_events_test(bool verbose);
