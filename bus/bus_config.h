/* bus_config: the cluster's bus settings, read from DIR/cluster.json:
 *
 *   {"cluster": "kubus", "heartbeat_ms": 1000, "liveness": 3, "msg_max": 16777216,
 *    "brokers": [{"name": "broker-1", "host": "127.0.0.1", "bind": "127.0.0.1",
 *                 "ports": {"router": 7440, "publish": 7441, "subscribe": 7442, "tap": 7443}}],
 *    "broker_limits": {"inflight_max": 100000, "caller_max": 20000, ...},
 *    ...other sections belong to their readers (the supervisor's "components")}
 *
 * A port of 0 asks the broker for an ephemeral port; it writes the ports it got to
 * DIR/run/NAME.ports.json, and loading the config reads them from there. Each broker's public key
 * comes from DIR/certs/NAME.cert. Peers connect to host; the broker binds bind (default host). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    BUS_PORT_ROUTER = 0, /* requests and replies (ROUTER) */
    BUS_PORT_PUBLISH,    /* publishers connect here (XSUB) */
    BUS_PORT_SUBSCRIBE,  /* subscribers connect here (XPUB) */
    BUS_PORT_TAP,        /* the tap (PUB) */
    BUS_PORTS_N
} bus_port_t;

typedef struct {
    char name[64];
    char host[256];
    char bind[256];
    uint16_t ports[BUS_PORTS_N];     /* as configured; 0 means ephemeral */
    uint16_t run_ports[BUS_PORTS_N]; /* what a broker with ephemeral ports bound (run file) */
    char public_key[41];             /* Z85; empty when the certificate is missing */
} bus_broker_conf_t;

/* A broker's limits (cluster.json "broker_limits"); 0 takes the default. */
typedef struct {
    uint32_t inflight_max; /* requests held at once (queued or at workers) */
    uint32_t queue_max;    /* queued requests per service */
    uint32_t peers_max;    /* connections on the router */
    uint32_t services_max; /* distinct services */
    uint64_t bytes_max;    /* request bodies held at once */
    uint32_t timeout_max_ms;
    uint32_t timeout_def_ms;
    uint32_t caller_max; /* requests held for one caller */
    uint32_t abandon_ms; /* a request past its deadline at a worker that never answers is
                            forgotten this long after (its credit returned) */
} bus_broker_limits_t;

typedef struct {
    char *dir;
    char *cluster;
    uint32_t heartbeat_ms;
    uint32_t liveness;
    uint32_t msg_max;
    bus_broker_conf_t *brokers;
    size_t brokers_n;
    bus_broker_limits_t broker_limits;
    json_t *doc; /* the whole document, for sections other modules own */
} bus_config_t;

/* Reads DIR/cluster.json. NULL with err set when it is missing or wrong. */
bus_config_t *bus_config_load(const char *dir, char *err, size_t errlen);
void bus_config_destroy(bus_config_t **self_p);

/* The broker of that name, or NULL. */
const bus_broker_conf_t *bus_config_broker(const bus_config_t *self, const char *name);

/* "tcp://host:port" to connect to (the configured port, or the one the broker reported), or to
 * bind (with bind true; a configured 0 becomes "*"). */
void bus_config_endpoint(const bus_broker_conf_t *broker, bus_port_t port, bool bind, char *out,
                         size_t cap);

/* Names of the ports as used in cluster.json. */
extern const char *const bus_port_names[BUS_PORTS_N];

void bus_config_test(bool verbose);
