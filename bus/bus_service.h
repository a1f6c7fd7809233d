/* bus_service: the loop every kubus service runs on. It owns a bus_client and (when used) a
 * bus_events, and dispatches:
 *   requests  by body type to the handler registered with bus_service_on; the body is decoded
 *             and validated first. A type with no handler, or a body that does not decode, is
 *             answered with an error (and one log line) without reaching any handler.
 *   replies   to the continuation given with bus_service_call.
 *   events    to the handler given with bus_service_subscribe.
 *   timers    bus_service_after.
 * Handlers must not block: slow work runs elsewhere and comes back as a message or timer.
 * bus_service_run returns on SIGTERM/SIGINT or bus_service_stop; destroying the service tells the
 * brokers goodbye so they re-dispatch its requests at once. */
#pragma once

#include "bus_client.h"
#include "bus_events.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct bus_service_t bus_service_t;

/* A request handler: msg is the decoded body (NULL for a body-less type). Answer with
 * bus_client_reply(bus_service_client(svc), &in->reply_to, ...), now or later (copy reply_to). */
typedef void(bus_request_fn)(bus_service_t *svc, bus_in_t *in, void *msg, void *arg);
/* A reply to bus_service_call: in->env->status says whether it worked. */
typedef void(bus_reply_fn)(bus_service_t *svc, bus_in_t *in, void *arg);
typedef void(bus_event_fn)(bus_service_t *svc, bus_event_t *ev, void *arg);
typedef void(bus_timer_fn)(bus_service_t *svc, void *arg);

/* Loads DIR/cluster.json and connects as name. NULL with err set on failure. */
bus_service_t *bus_service_new(const char *dir, const char *name, char *err, size_t errlen);
void bus_service_destroy(bus_service_t **self_p);

bus_client_t *bus_service_client(bus_service_t *self);
const bus_config_t *bus_service_config(bus_service_t *self);

/* Serve service with credits requests at once. */
int bus_service_offer(bus_service_t *self, const char *service, uint32_t credits);
/* Requests whose body is desc's type go to fn. */
int bus_service_on(bus_service_t *self, const codec_msg_t *desc, bus_request_fn *fn, void *arg);
/* Sends a request; fn gets the reply (or the error). If the service ends first, free_arg (when
 * not NULL) is called on arg instead. */
int bus_service_call(bus_service_t *self, const bus_call_t *call, bus_reply_fn *fn, void *arg,
                     void (*free_arg)(void *arg), codec_err_t *err);
int bus_service_subscribe(bus_service_t *self, const char *prefix, bus_event_fn *fn, void *arg);
int bus_service_publish(bus_service_t *self, const char *topic, const codec_msg_t *desc,
                        const void *body, codec_err_t *err);
/* Connects the publisher now (see bus_events_open_publisher). */
int bus_service_open_publisher(bus_service_t *self);
int bus_service_publish_encoded(bus_service_t *self, const char *topic, uint32_t type,
                                const uint8_t *body, size_t len, codec_err_t *err);
/* Calls fn once after delay_ms. If the service ends first, free_arg (when not NULL) is called on
 * arg instead. Returns a timer id (>= 0) or a negative error. */
int bus_service_after(bus_service_t *self, uint32_t delay_ms, bus_timer_fn *fn, void *arg,
                      void (*free_arg)(void *arg));

/* Calls fn whenever descriptor fd is readable (a worker thread saying it is done). */
int bus_service_poll_fd(bus_service_t *self, int fd, bus_timer_fn *fn, void *arg);

/* Calls fn after each batch of work the loop did (requests, replies, events or timers handled),
 * before it waits again: where a service does what it batches, such as writing to disk once for
 * every request that came in. One hook; NULL removes it. */
void bus_service_on_drained(bus_service_t *self, bus_timer_fn *fn, void *arg);

/* Runs until stopped. 0 on a clean stop; BUS_EFORBIDDEN when a broker refused the service. */
int bus_service_run(bus_service_t *self);
void bus_service_stop(bus_service_t *self);
/* After bus_service_run returned from a clean stop (a signal included), runs the loop again, as
 * before, until done(arg) holds or for at most ms: a service's last words, such as handing its
 * work to another instance. A further signal ends it early. 0 when done(arg) holds at the end,
 * BUS_ETIMEOUT otherwise; the service stays stopped either way. */
int bus_service_run_until(bus_service_t *self, uint32_t ms, bool (*done)(void *arg), void *arg);
