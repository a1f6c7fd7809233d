/* bus_config: cluster.json, checked strictly (unknown keys are errors) so a typo is reported
 * instead of silently falling back to a default. */
#include "bus_config.h"
#include "bus_cert.h"
#include "bus_err.h"
#include "bus_frame.h"
#include "bus_role.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bus_port_names[BUS_PORTS_N] = {"router", "publish", "subscribe", "tap"};

static int s_fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return -1;
}

static int s_uint(json_t *doc, const char *key, uint32_t lo, uint32_t hi, uint32_t def,
                  uint32_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, errlen, "cluster.json: %s must be an integer in %u..%u", key, lo, hi);
        return -1;
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* Ports of a broker started with port 0, from DIR/run/NAME.ports.json. Kept apart from the
 * configured ports: the broker itself must still bind ephemeral ports next time. */
static void s_run_ports(const char *dir, bus_broker_conf_t *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/run/%s.ports.json", dir, b->name);
    json_t *doc = json_load_file(path, 0, NULL);
    if (!doc) return;
    for (int i = 0; i < BUS_PORTS_N; i++) {
        json_t *v = json_object_get(doc, bus_port_names[i]);
        if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 65536)
            b->run_ports[i] = (uint16_t)json_integer_value(v);
    }
    json_decref(doc);
}

static int s_broker(const char *dir, json_t *j, bus_broker_conf_t *b, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return s_fail(err, errlen, "cluster.json: a broker must be an object%s%s", "", "");
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "name") && strcmp(key, "host") && strcmp(key, "bind") &&
            strcmp(key, "ports"))
            return s_fail(err, errlen, "cluster.json: unknown broker key \"%s\"%s", key, "");
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *host = json_string_value(json_object_get(j, "host"));
    const char *bind = json_string_value(json_object_get(j, "bind"));
    if (!name || !bus_name_valid(name))
        return s_fail(err, errlen, "cluster.json: a broker needs a valid name%s%s", "", "");
    if (!host || !*host || strlen(host) >= sizeof b->host ||
        (bind && strlen(bind) >= sizeof b->bind))
        return s_fail(err, errlen, "cluster.json: broker %s needs a host%s", name, "");
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->host, sizeof b->host, "%s", host);
    snprintf(b->bind, sizeof b->bind, "%s", bind ? bind : host);
    json_t *ports = json_object_get(j, "ports");
    if (!json_is_object(ports))
        return s_fail(err, errlen, "cluster.json: broker %s needs ports%s", name, "");
    json_object_foreach(ports, key, v)
    {
        int i = 0;
        while (i < BUS_PORTS_N && strcmp(bus_port_names[i], key)) i++;
        if (i == BUS_PORTS_N)
            return s_fail(err, errlen, "cluster.json: broker %s: unknown port \"%s\"", name, key);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
            return s_fail(err, errlen, "cluster.json: broker %s: port %s must be 0..65535", name,
                          key);
        b->ports[i] = (uint16_t)json_integer_value(v);
    }
    for (int i = 0; i < BUS_PORTS_N; i++)
        if (!json_object_get(ports, bus_port_names[i]))
            return s_fail(err, errlen, "cluster.json: broker %s: no %s port", name,
                          bus_port_names[i]);
    s_run_ports(dir, b);
    char cerr[256];
    zcert_t *cert = bus_cert_load_public(dir, name, cerr, sizeof cerr);
    if (cert) {
        snprintf(b->public_key, sizeof b->public_key, "%s", zcert_public_txt(cert));
        zcert_destroy(&cert);
    }
    return 0;
}

/* "broker_limits": every key known, every value a positive integer. */
static int s_limits(json_t *j, bus_broker_limits_t *l, char *err, size_t errlen)
{
    if (!j) return 0;
    struct {
        const char *name;
        uint32_t *u32;
        uint64_t *u64;
    } keys[] = {
        {"inflight_max", &l->inflight_max, NULL},     {"queue_max", &l->queue_max, NULL},
        {"peers_max", &l->peers_max, NULL},           {"services_max", &l->services_max, NULL},
        {"bytes_max", NULL, &l->bytes_max},           {"timeout_max_ms", &l->timeout_max_ms, NULL},
        {"timeout_def_ms", &l->timeout_def_ms, NULL}, {"caller_max", &l->caller_max, NULL},
        {"abandon_ms", &l->abandon_ms, NULL}};
    const char *key;
    json_t *v;
    if (!json_is_object(j))
        return s_fail(err, errlen, "cluster.json: broker_limits must be an object%s%s", "", "");
    json_object_foreach(j, key, v)
    {
        size_t i = 0;
        while (i < sizeof keys / sizeof keys[0] && strcmp(keys[i].name, key)) i++;
        if (i == sizeof keys / sizeof keys[0])
            return s_fail(err, errlen, "cluster.json: unknown broker limit \"%s\"%s", key, "");
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
        if (n < 1 || (keys[i].u32 && n > UINT32_MAX))
            return s_fail(err, errlen, "cluster.json: broker limit %s must be a positive integer%s",
                          key, "");
        if (keys[i].u32)
            *keys[i].u32 = (uint32_t)n;
        else
            *keys[i].u64 = (uint64_t)n;
    }
    return 0;
}

bus_config_t *bus_config_load(const char *dir, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, jerr.text);
        return NULL;
    }
    bus_config_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->dir = strdup(dir);
    self->doc = doc;
    const char *cluster = json_string_value(json_object_get(doc, "cluster"));
    self->cluster = strdup(cluster ? cluster : "kubus");
    json_t *brokers = json_object_get(doc, "brokers");
    if (!json_is_object(doc) ||
        s_uint(doc, "heartbeat_ms", 10, 60000, 1000, &self->heartbeat_ms, err, errlen) ||
        s_uint(doc, "liveness", 2, 100, 3, &self->liveness, err, errlen) ||
        s_uint(doc, "msg_max", 4096, 256u << 20, BUS_MSG_MAX_DEF, &self->msg_max, err, errlen) ||
        s_limits(json_object_get(doc, "broker_limits"), &self->broker_limits, err, errlen))
        goto fail;
    if (!json_is_array(brokers) || json_array_size(brokers) == 0 || json_array_size(brokers) > 16) {
        snprintf(err, errlen, "%s: \"brokers\" must list 1 to 16 brokers", path);
        goto fail;
    }
    self->brokers_n = json_array_size(brokers);
    self->brokers = calloc(self->brokers_n, sizeof *self->brokers);
    if (!self->brokers) abort();
    for (size_t i = 0; i < self->brokers_n; i++)
        if (s_broker(dir, json_array_get(brokers, i), &self->brokers[i], err, errlen)) goto fail;
    return self;
fail:
    bus_config_destroy(&self);
    return NULL;
}

void bus_config_destroy(bus_config_t **self_p)
{
    if (!self_p || !*self_p) return;
    bus_config_t *self = *self_p;
    json_decref(self->doc);
    free(self->brokers);
    free(self->cluster);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

const bus_broker_conf_t *bus_config_broker(const bus_config_t *self, const char *name)
{
    for (size_t i = 0; i < self->brokers_n; i++)
        if (strcmp(self->brokers[i].name, name) == 0) return &self->brokers[i];
    return NULL;
}

void bus_config_endpoint(const bus_broker_conf_t *broker, bus_port_t port, bool bind, char *out,
                         size_t cap)
{
    const char *host = bind ? broker->bind : broker->host;
    bool v6 = strchr(host, ':') != NULL;
    uint16_t p = broker->ports[port] ? broker->ports[port] : bind ? 0 : broker->run_ports[port];
    if (p == 0 && bind)
        snprintf(out, cap, "tcp://%s%s%s:*", v6 ? "[" : "", host, v6 ? "]" : "");
    else
        snprintf(out, cap, "tcp://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", p);
}

void bus_config_test(bool verbose)
{
    char dir[] = "/tmp/kubus-config-test-XXXXXX";
    assert(mkdtemp(dir));
    char path[256], err[256];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"cluster\":\"c1\",\"heartbeat_ms\":250,\"brokers\":[{\"name\":\"b1\",\"host\":\"127.0."
          "0.1\","
          "\"ports\":{\"router\":7000,\"publish\":0,\"subscribe\":7002,\"tap\":7003}}]}",
          f);
    fclose(f);
    assert(bus_cert_create(dir, "broker", "b1", err, sizeof err) == 0);
    char run[256];
    snprintf(run, sizeof run, "%s/run", dir);
    assert(mkdir(run, 0755) == 0);
    snprintf(path, sizeof path, "%s/run/b1.ports.json", dir);
    f = fopen(path, "w");
    fputs("{\"router\":9,\"publish\":7001}", f);
    fclose(f);

    bus_config_t *c = bus_config_load(dir, err, sizeof err);
    assert(c && strcmp(c->cluster, "c1") == 0 && c->heartbeat_ms == 250 && c->liveness == 3);
    const bus_broker_conf_t *b = bus_config_broker(c, "b1");
    assert(b && strlen(b->public_key) == 40);
    /* Configured ports win; a 0 is connected through the run file's port, but bound as "*". */
    assert(b->ports[BUS_PORT_ROUTER] == 7000 && b->ports[BUS_PORT_PUBLISH] == 0);
    char ep[300];
    bus_config_endpoint(b, BUS_PORT_TAP, false, ep, sizeof ep);
    assert(strcmp(ep, "tcp://127.0.0.1:7003") == 0);
    bus_config_endpoint(b, BUS_PORT_ROUTER, false, ep, sizeof ep);
    assert(strcmp(ep, "tcp://127.0.0.1:7000") == 0);
    bus_config_endpoint(b, BUS_PORT_PUBLISH, false, ep, sizeof ep);
    assert(strcmp(ep, "tcp://127.0.0.1:7001") == 0);
    bus_config_endpoint(b, BUS_PORT_PUBLISH, true, ep, sizeof ep);
    assert(strcmp(ep, "tcp://127.0.0.1:*") == 0);
    bus_config_destroy(&c);
    assert(c == NULL);

    snprintf(path, sizeof path, "%s/cluster.json", dir);
    f = fopen(path, "w");
    fputs("{\"brokers\":[{\"name\":\"b1\",\"host\":\"h\",\"ports\":{\"router\":1,\"publish\":2,"
          "\"subscribe\":3,\"tap\":4,\"tapp\":5}}]}",
          f);
    fclose(f);
    assert(bus_config_load(dir, err, sizeof err) == NULL && strstr(err, "tapp"));
    f = fopen(path, "w");
    fputs("{\"heartbeat_ms\":1,\"brokers\":[]}", f);
    fclose(f);
    assert(bus_config_load(dir, err, sizeof err) == NULL && strstr(err, "heartbeat_ms"));
    /* Broker limits: known keys with positive values only. */
    const char *one = "{\"brokers\":[{\"name\":\"b1\",\"host\":\"h\",\"ports\":{\"router\":1,"
                      "\"publish\":2,\"subscribe\":3,\"tap\":4}}],\"broker_limits\":%s}";
    const char *cases[] = {"{\"caller_max\":7}", "{\"caller_mux\":7}", "{\"queue_max\":0}"};
    for (int i = 0; i < 3; i++) {
        f = fopen(path, "w");
        fprintf(f, one, cases[i]);
        fclose(f);
        c = bus_config_load(dir, err, sizeof err);
        assert(i == 0 ? c && c->broker_limits.caller_max == 7 && c->broker_limits.queue_max == 0
                      : !c && strstr(err, "broker limit"));
        bus_config_destroy(&c);
    }

    char *cmd;
    assert(asprintf(&cmd, "rm -rf %s", dir) > 0);
    assert(system(cmd) == 0);
    free(cmd);
    (void)verbose;
}
