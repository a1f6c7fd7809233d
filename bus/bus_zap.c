/* bus_zap: ZAP requests in, verdicts out. */
#include "bus_zap.h"
#include "bus_cert.h"
#include "bus_log.h"
#include "bus_role.h"
#include "bus_time.h"

#include <assert.h>
#include <czmq.h>
#include <string.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct bus_zap_t {
    zactor_t *actor;
};

typedef struct {
    const char *certs_dir;
    char err[256];
} s_args_t;

/* The verdict for one request: NULL to admit (user set), or the reason to refuse. */
static const char *s_judge(zcertstore_t *store, const char *domain, const char *mechanism,
                           zframe_t *key, char *user, size_t user_cap)
{
    if (strcmp(mechanism, "CURVE") != 0) return "not a CURVE connection";
    if (!key || zframe_size(key) != 32) return "no CURVE key";
    char key_txt[41];
    zmq_z85_encode(key_txt, zframe_data(key), 32);
    zcert_t *cert = zcertstore_lookup(store, key_txt);
    if (!cert) return "unknown key";
    const char *rname = bus_cert_role(cert), *name = bus_cert_name(cert);
    const kubus_role_t *role = bus_role_find(rname);
    if (!role || !bus_name_valid(name)) return "certificate without a valid role and name";
    if (strcmp(rname, "broker") == 0) return "a broker's key may not connect as a peer";
    bool ok;
    if (strcmp(domain, BUS_ZAP_ROUTER) == 0)
        ok = !role->tap;
    else if (strcmp(domain, BUS_ZAP_PUBLISH) == 0)
        ok = role->publish[0] != NULL;
    else if (strcmp(domain, BUS_ZAP_SUBSCRIBE) == 0)
        ok = role->subscribe[0] != NULL;
    else if (strcmp(domain, BUS_ZAP_TAP) == 0)
        ok = role->tap;
    else
        return "unknown domain";
    if (!ok) return "role not allowed on this socket";
    snprintf(user, user_cap, "%s/%s", rname, name);
    return NULL;
}

static void s_handle(zsock_t *rep, zcertstore_t *store, bus_log_limit_t *limit)
{
    zmsg_t *req = zmsg_recv(rep);
    if (!req) return;
    char *version = zmsg_popstr(req), *request_id = zmsg_popstr(req), *domain = zmsg_popstr(req),
         *address = zmsg_popstr(req), *identity = zmsg_popstr(req), *mechanism = zmsg_popstr(req);
    zframe_t *key = zmsg_pop(req);
    char user[200] = "";
    const char *why = "malformed ZAP request";
    if (version && strcmp(version, "1.0") == 0 && request_id && domain && address && mechanism)
        why = s_judge(store, domain, mechanism, key, user, sizeof user);
    if (why) {
        char key_txt[41] = "-";
        if (key && zframe_size(key) == 32) zmq_z85_encode(key_txt, zframe_data(key), 32);
        bus_log_limited(limit, BUS_LOG_WARN, "zap.refused",
                        "domain=%s address=%s mechanism=%s key=%s reason=\"%s\"",
                        domain ? domain : "-", address ? address : "-", mechanism ? mechanism : "-",
                        key_txt, why);
    } else {
        log_debug("zap.admitted", "domain=%s address=%s user=%s", domain, address, user);
    }
    zmsg_t *reply = zmsg_new();
    zmsg_addstr(reply, "1.0");
    zmsg_addstr(reply, request_id ? request_id : "");
    zmsg_addstr(reply, why ? "400" : "200");
    zmsg_addstr(reply, why ? why : "OK");
    zmsg_addstr(reply, why ? "" : user);
    zmsg_addmem(reply, NULL, 0); /* no metadata */
    zmsg_send(&reply, rep);
    zframe_destroy(&key);
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&identity);
    zstr_free(&mechanism);
    zmsg_destroy(&req);
}

static void s_actor(zsock_t *pipe, void *arg)
{
    s_args_t *args = arg;
    zsock_t *rep = zsock_new(ZMQ_REP);
    if (!rep || zsock_bind(rep, S_ZAP_ENDPOINT) != 0) {
        snprintf(args->err, sizeof args->err, "cannot bind %s: %s (another ZAP handler?)",
                 S_ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        zsock_destroy(&rep);
        zsock_signal(pipe, 1);
        return;
    }
    zcertstore_t *store = zcertstore_new(args->certs_dir);
    bus_log_limit_t limit = {.burst = 20};
    zsock_signal(pipe, 0);
    zpoller_t *poller = zpoller_new(pipe, rep, NULL);
    /* Never stop on SIGINT/SIGTERM: while the broker's sockets live, a missing handler would
     * mean libzmq admits any key. Only the owner's $TERM ends the handler. */
    zpoller_set_nonstop(poller, true);
    for (;;) {
        void *which = zpoller_wait(poller, -1);
        if (which == rep) {
            s_handle(rep, store, &limit);
        } else {
            /* $TERM from the owner, or interrupted: stop. */
            if (which == pipe) {
                char *cmd = zstr_recv(pipe);
                zstr_free(&cmd);
            }
            break;
        }
    }
    zpoller_destroy(&poller);
    zcertstore_destroy(&store);
    zsock_destroy(&rep);
}

bus_zap_t *bus_zap_new(const char *certs_dir, char *err, size_t errlen)
{
    s_args_t args = {.certs_dir = certs_dir};
    zactor_t *actor = zactor_new(s_actor, &args);
    /* zactor_new returns once the actor signalled; a failed bind signals 1 and exits. */
    if (!actor) {
        snprintf(err, errlen, "cannot start the ZAP handler");
        return NULL;
    }
    if (args.err[0]) {
        snprintf(err, errlen, "%s", args.err);
        zactor_destroy(&actor);
        return NULL;
    }
    bus_zap_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    self->actor = actor;
    return self;
}

void bus_zap_destroy(bus_zap_t **self_p)
{
    if (!self_p || !*self_p) return;
    zactor_destroy(&(*self_p)->actor);
    free(*self_p);
    *self_p = NULL;
}

/* --- selftest ------------------------------------------------------------------------------ */

/* Connects a DEALER with cert (NULL: no CURVE at all) to endpoint, sends "hi"; returns the
 * User-Id the server saw, or NULL when nothing arrived within 300 ms. */
static char *s_try(zsock_t *server, const char *endpoint, const char *server_key, zcert_t *cert)
{
    zsock_t *client = zsock_new(ZMQ_DEALER);
    if (cert) {
        zcert_apply(cert, client);
        zsock_set_curve_serverkey(client, server_key);
    }
    zsock_connect(client, "%s", endpoint);
    zstr_send(client, "hi");
    zsock_set_rcvtimeo(server, 300);
    char *user = NULL;
    zmq_msg_t id, msg;
    zmq_msg_init(&id);
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&id, zsock_resolve(server), 0) >= 0 &&
        zmq_msg_recv(&msg, zsock_resolve(server), 0) >= 0) {
        const char *u = zmq_msg_gets(&msg, "User-Id");
        user = strdup(u ? u : "(none)");
    }
    zmq_msg_close(&id);
    zmq_msg_close(&msg);
    zsock_destroy(&client);
    return user;
}

void bus_zap_test(bool verbose)
{
    char dir[] = "/tmp/kubus-zap-test-XXXXXX", err[256];
    assert(mkdtemp(dir));
    assert(bus_cert_create(dir, "broker", "b1", err, sizeof err) == 0);
    assert(bus_cert_create(dir, "admin", "alice", err, sizeof err) == 0);
    assert(bus_cert_create(dir, "tap", "watcher", err, sizeof err) == 0);
    char *certs = bus_cert_dir(dir);
    int level = bus_log_level;
    bus_log_set_level(verbose ? BUS_LOG_DEBUG : BUS_LOG_ERROR);
    bus_zap_t *zap = bus_zap_new(certs, err, sizeof err);
    assert(zap);
    /* One handler per process: a second cannot bind. */
    bus_zap_t *again = bus_zap_new(certs, err, sizeof err);
    assert(!again && strstr(err, "ZAP"));

    zcert_t *bcert = bus_cert_load_secret(dir, "b1", err, sizeof err);
    zsock_t *server = zsock_new(ZMQ_ROUTER);
    zcert_apply(bcert, server);
    zsock_set_curve_server(server, 1);
    zsock_set_zap_domain(server, BUS_ZAP_ROUTER);
    assert(zsock_bind(server, "tcp://127.0.0.1:*") > 0);
    const char *endpoint = zsock_endpoint(server);

    zcert_t *alice = bus_cert_load_secret(dir, "alice", err, sizeof err);
    zcert_t *watcher = bus_cert_load_secret(dir, "watcher", err, sizeof err);
    zcert_t *stranger = zcert_new();
    char *user = s_try(server, endpoint, zcert_public_txt(bcert), alice);
    assert(user && strcmp(user, "admin/alice") == 0);
    free(user);
    assert(s_try(server, endpoint, zcert_public_txt(bcert), stranger) == NULL);
    assert(s_try(server, endpoint, zcert_public_txt(bcert), watcher) == NULL); /* tap on router */
    assert(s_try(server, endpoint, zcert_public_txt(bcert), bcert) == NULL);   /* broker key */
    assert(s_try(server, endpoint, zcert_public_txt(bcert), NULL) == NULL);    /* plain */
    /* A certificate added while running is admitted without a restart. */
    zclock_sleep(1100); /* the store notices changes by directory mtime, at 1 s resolution */
    assert(bus_cert_create(dir, "admin", "bob", err, sizeof err) == 0);
    zcert_t *bob = bus_cert_load_secret(dir, "bob", err, sizeof err);
    user = s_try(server, endpoint, zcert_public_txt(bcert), bob);
    assert(user && strcmp(user, "admin/bob") == 0);
    free(user);

    zsock_destroy(&server);
    zcert_destroy(&bob);
    zcert_destroy(&alice);
    zcert_destroy(&watcher);
    zcert_destroy(&stranger);
    zcert_destroy(&bcert);
    bus_zap_destroy(&zap);
    bus_log_set_level(level);
    free(certs);
    char *cmd;
    assert(asprintf(&cmd, "rm -rf %s", dir) > 0);
    assert(system(cmd) == 0);
    free(cmd);
}
