/* bus_tap: the reading side of the brokers' taps. One SUB socket connects to every broker's tap
 * port (as a certificate with the tap role) and subscribes by prefix; record topics are
 * "KIND/SERVICE" for requests and replies ("request/echo", "reply/echo", "ready/",
 * "heartbeat/"), "event/TOPIC" for events. Each record says which broker saw what, with that
 * broker's sequence number: a jump is reported as a gap (the tap drops rather than blocks). The
 * mirrored frame is parsed and its body decoded with the schema tables. Single-threaded. */
#pragma once

#include "bus_config.h"
#include "bus_frame.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct bus_tap_t bus_tap_t;

typedef struct {
    const char *topic;       /* the record's topic */
    bus_tap_record_t *rec;   /* who saw what, when */
    bool hello;              /* the broker confirms a subscription; no frame */
    uint64_t gap;            /* records of this broker lost just before this one */
    int frame_rc;            /* 0 when the mirrored frame parsed */
    bus_frame_t frame;       /* the mirrored frame (when frame_rc is 0) */
    const codec_msg_t *desc; /* the body's description, NULL when unknown or none */
    void *body;              /* the decoded body, NULL when desc is NULL or it did not decode */
    const uint8_t *raw;
    size_t raw_len;
} bus_tap_rec_t;

bus_tap_t *bus_tap_new(const bus_config_t *config, const char *name, char *err, size_t errlen);
void bus_tap_destroy(bus_tap_t **self_p);
int bus_tap_subscribe(bus_tap_t *self, const char *prefix);
/* The next record (0), BUS_ETIMEOUT, or BUS_ECLOSED when interrupted. Valid until the next call. */
int bus_tap_recv(bus_tap_t *self, bus_tap_rec_t *rec, int timeout_ms);
