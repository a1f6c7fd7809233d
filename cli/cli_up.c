/* kubus up / kubus down: one machine's cluster. `up` creates the cluster the first time
 * (certificates and DIR/cluster.json: brokers, store members, the store's cluster id), takes
 * DIR/run/up.lock, detaches unless --foreground, has the supervisor (cli_sup.c) start what
 * cluster.json lists and reports when every broker answers and the store has a leader.
 * `down` asks that supervisor to stop. Running the processes is cli_sup's; joining other hosts is
 * not done here. */
#include "bus_arena.h"
#include "bus_cert.h"
#include "bus_client.h"
#include "bus_config.h"
#include "bus_log.h"
#include "bus_time.h"
#include "cli.h"
#include "cli_pki.h"
#include "cli_sup.h"
#include "kubus_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    S_PATH_MAX = CLI_SUP_DIR_MAX + 256, /* the cluster directory and a file name under it */
    S_BROKERS_MAX = 16,
    S_STORES_MAX = 7, /* Raft members: more only slow writes down */
    S_LINE_MAX = 8192,
};
#define S_READY_MS 10000

typedef struct {
    const char *dir;
    const char *host; /* NULL: not given */
    long base_port;   /* -1: not given */
    long brokers;     /* -1: not given */
    long stores;      /* -1: not given */
    long api_port;    /* -1: not given */
    bool foreground;
    int log_level;
} s_opts_t;

/* --- small helpers -------------------------------------------------------------------------- */

static int s_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? -errno : -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int s_number(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || (*end && strcmp(end, "\n") != 0) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static bool s_exists(const char *dir, const char *file)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* mkdir -p. */
static int s_mkdirs(const char *path, mode_t mode)
{
    char buf[S_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -ENAMETOOLONG;
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != 0) continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, mode) != 0 && errno != EEXIST) return -errno;
        *p = c;
        if (!c) return 0;
    }
}

/* Replaces the file at path in one step, so that a reader never sees half of it. */
static int s_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[S_PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -errno : s_write_all(fd, text, strlen(text));
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0) rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    }
    return rc;
}

static int s_json_write(const char *path, const json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2)), *line;
    if (!text || asprintf(&line, "%s\n", text) < 0) abort();
    int rc = s_write_file(path, line, err, errlen);
    free(line);
    free(text);
    return rc;
}

/* --- the cluster's files ------------------------------------------------------------------- */

/* A port free now on host (0 if none): for an API asked to be on any port, pinned at creation
 * so that the kubeconfig can name it. */
static long s_free_port(const char *host)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof sa;
    long port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static json_t *s_cluster_doc(const s_opts_t *o)
{
    long n = o->brokers > 0 ? o->brokers : 1;
    long base = o->base_port >= 0 ? o->base_port : 7440;
    const char *host = o->host ? o->host : "127.0.0.1";
    json_t *brokers = json_array(), *components = json_array();
    for (long i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "broker-%ld", i + 1);
        json_t *ports = json_object();
        for (int p = 0; p < BUS_PORTS_N; p++)
            json_object_set_new(ports, bus_port_names[p],
                                json_integer(base ? base + 4 * i + p : 0));
        json_array_append_new(
            brokers, json_pack("{s:s, s:s, s:o}", "name", name, "host", host, "ports", ports));
        json_array_append_new(components, json_pack("{s:s, s:s, s:[s,s,s,s]}", "name", name,
                                                    "program", "kubus-broker", "args", "--dir",
                                                    "{dir}", "--name", "{name}"));
    }
    /* The store's members start together, each knowing all of them (--initial). */
    long stores = o->stores > 0 ? o->stores : 1;
    json_t *members = json_array();
    char initial[S_STORES_MAX * 16] = "";
    for (long i = 0; i < stores; i++) {
        size_t used = strlen(initial);
        snprintf(initial + used, sizeof initial - used, "%sstore-%ld", i ? "," : "", i + 1);
    }
    for (long i = 0; i < stores; i++) {
        char name[32];
        snprintf(name, sizeof name, "store-%ld", i + 1);
        json_array_append_new(members, json_string(name));
        json_array_append_new(components,
                              json_pack("{s:s, s:s, s:[s,s,s,s,s,s]}", "name", name, "program",
                                        "kubus-store", "args", "--dir", "{dir}", "--name", "{name}",
                                        "--initial", initial));
    }
    /* The API: one gateway, HTTPS on the cluster's address. */
    char listen[300];
    long api_port = o->api_port > 0 ? o->api_port : base == 0 ? s_free_port(host) : 6443;
    snprintf(listen, sizeof listen, "%s:%ld", host, api_port);
    json_array_append_new(components, json_pack("{s:s, s:s, s:[s,s,s,s,s,s]}", "name", "gateway-1",
                                                "program", "kubus-gateway", "args", "--dir",
                                                "{dir}", "--name", "{name}", "--listen", listen));
    json_t *gateway = json_pack("{s:s, s:i}", "host", host, "port", (json_int_t)api_port);
    /* A store refuses data of another cluster: the id makes each cluster's its own. */
    uint8_t id[8];
    char hex[17];
    do randombytes_buf(id, sizeof id);
    while (!(id[0] | id[1] | id[2] | id[3] | id[4] | id[5] | id[6] | id[7]));
    sodium_bin2hex(hex, sizeof hex, id, sizeof id);
    json_t *store = json_pack("{s:s, s:o}", "cluster_id", hex, "members", members);
    json_t *doc = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o}", "cluster", "kubus",
                            "heartbeat_ms", 1000, "liveness", 3, "brokers", brokers, "store", store,
                            "gateway", gateway, "components", components);
    if (!doc) abort();
    return doc;
}

/* The store's members named in DIR's cluster.json (a new reference), or NULL if it has none. */
static json_t *s_store_members(const char *dir)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    json_t *members = json_object_get(json_object_get(doc, "store"), "members");
    members = json_is_array(members) && json_array_size(members) ? json_incref(members) : NULL;
    json_decref(doc);
    return members;
}

/* A keypair survives an interrupted first run: it is kept, not made again. */
static int s_ensure_cert(const char *dir, const char *role, const char *name, char *err,
                         size_t errlen)
{
    char *secret = bus_cert_secret_path(dir, name);
    bool have = access(secret, F_OK) == 0;
    free(secret);
    return have ? 0 : bus_cert_create(dir, role, name, err, errlen);
}

static int s_cluster_create(const char *dir, const s_opts_t *o, char *err, size_t errlen)
{
    json_t *doc = s_cluster_doc(o), *b;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(doc, "brokers"), i, b)
    {
        const char *name = json_string_value(json_object_get(b, "name"));
        if (!rc) rc = s_ensure_cert(dir, "broker", name, err, errlen);
    }
    json_array_foreach(json_object_get(json_object_get(doc, "store"), "members"), i, b)
    {
        if (!rc) rc = s_ensure_cert(dir, "store", json_string_value(b), err, errlen);
    }
    if (!rc) rc = s_ensure_cert(dir, "gateway", "gateway-1", err, errlen);
    json_t *gw = json_object_get(doc, "gateway");
    if (!rc)
        rc = cli_pki_ensure(dir, json_string_value(json_object_get(gw, "host")),
                            (unsigned)json_integer_value(json_object_get(gw, "port")), err, errlen);
    if (!rc) rc = s_ensure_cert(dir, "admin", "admin", err, errlen);
    if (!rc) rc = s_ensure_cert(dir, "tap", "tap", err, errlen);
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    if (!rc) rc = s_json_write(path, doc, err, errlen);
    json_decref(doc);
    return rc;
}

/* Options that shape a new cluster must agree with an existing one: silently ignoring them would
 * leave the operator believing the cluster is what they asked for. --base-port 0 asks for any
 * ports, which every cluster has. */
static int s_cluster_check(const char *dir, const s_opts_t *o, char *err, size_t errlen)
{
    bus_config_t *config = bus_config_load(dir, err, errlen);
    if (!config) return -1;
    int rc = 0;
    if (o->brokers > 0 && (size_t)o->brokers != config->brokers_n) {
        snprintf(err, errlen, "the cluster in %s has %zu broker(s): --brokers %ld would change it",
                 dir, config->brokers_n, o->brokers);
        rc = -1;
    }
    json_t *members = s_store_members(dir);
    size_t stores = json_array_size(members);
    json_decref(members);
    if (rc == 0 && o->stores > 0 && (size_t)o->stores != stores) {
        snprintf(err, errlen,
                 "the cluster in %s has %zu store member(s): --stores %ld would change it", dir,
                 stores, o->stores);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < config->brokers_n; i++) {
        const bus_broker_conf_t *b = &config->brokers[i];
        if (o->host && strcmp(o->host, b->host) != 0) {
            snprintf(err, errlen, "%s of the cluster in %s has host %s: --host would change it",
                     b->name, dir, b->host);
            rc = -1;
        }
        for (int p = 0; rc == 0 && o->base_port > 0 && p < BUS_PORTS_N; p++) {
            if (b->ports[p] == o->base_port + 4 * (long)i + p) continue;
            snprintf(err, errlen,
                     "%s of the cluster in %s has %s port %u: --base-port would change it", b->name,
                     dir, bus_port_names[p], b->ports[p]);
            rc = -1;
        }
    }
    bus_config_destroy(&config);
    if (rc) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (edit its cluster.json, or use another --dir)");
    }
    return rc;
}

/* --- the lock and the pid file ------------------------------------------------------------- */

/* 0: locked (*fd_out), 1: another process holds it, negative: an error. */
static int s_lock(const char *dir, int *fd_out)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/run/up.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? 1 : -e;
    }
    *fd_out = fd;
    return 0;
}

static void s_pid_path(const char *dir, char *path, size_t cap)
{
    snprintf(path, cap, "%s/run/up.pid", dir);
}

static long s_pid_read(const char *dir)
{
    char path[S_PATH_MAX], text[32];
    s_pid_path(dir, path, sizeof path);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    long pid;
    return s_number(text, 1, INT_MAX, &pid) == 0 ? pid : 0;
}

/* The lock holder writes its pid just after locking: give it a moment. */
static long s_pid_wait(const char *dir)
{
    long pid = 0;
    for (int i = 0; i < 40 && (pid = s_pid_read(dir)) == 0; i++) poll(NULL, 0, 50);
    return pid;
}

static void s_pid_write(const char *dir)
{
    char path[S_PATH_MAX], text[32], err[S_PATH_MAX + 64];
    s_pid_path(dir, path, sizeof path);
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (s_write_file(path, text, err, sizeof err) != 0)
        log_warn("up.pid.failed", "error=\"%s\"", err);
}

/* --- readiness ------------------------------------------------------------------------------ */

static void s_ready_line(const char *dir, const bus_config_t *config, const char *store,
                         const char *api, char *out, size_t cap)
{
    size_t n;
    snprintf(out, cap, "cluster up in %s (%zu broker%s:", dir, config->brokers_n,
             config->brokers_n == 1 ? "" : "s");
    for (size_t i = 0; i < config->brokers_n; i++) {
        char ep[300];
        bus_config_endpoint(&config->brokers[i], BUS_PORT_ROUTER, false, ep, sizeof ep);
        n = strlen(out);
        snprintf(out + n, cap - n, "%s %s", i ? "," : "", ep);
    }
    n = strlen(out);
    if (store[0]) snprintf(out + n, cap - n, "; store: %s", store);
    n = strlen(out);
    if (api[0]) snprintf(out + n, cap - n, "; API: %s", api);
    n = strlen(out);
    snprintf(out + n, cap - n,
             ")\n  look at it: kubus status --dir %s; watch it: kubus tap --dir %s; stop it: kubus "
             "down --dir %s",
             dir, dir, dir);
    n = strlen(out);
    if (api[0])
        snprintf(out + n, cap - n, "\n  kubectl: export KUBECONFIG=%s/kubeconfig; kubectl get ns",
                 dir);
}

/* The store answers and has a leader; store gets "N member(s), leader NAME". Asks any member, in
 * short calls, pumping the supervisor in between. */
static int s_wait_store(cli_sup_t *sup, const char *dir, bus_client_t *client, uint64_t deadline,
                        char *store, size_t cap, char *err, size_t errlen)
{
    json_t *members = s_store_members(dir);
    size_t n = json_array_size(members);
    json_decref(members);
    if (n == 0) return 0; /* a cluster made before the store was part of it */
    bus_arena_t *arena = bus_arena_new((size_t)1 << 20);
    store_status_request_t req = {0};
    bus_call_t call = {
        .service = "store", .desc = &store_status_request_desc, .body = &req, .timeout_ms = 300};
    char last[256] = "no store member answered";
    int rc = -1;
    while (rc != 0 && !cli_sup_stopping(sup) && bus_now_ms() < deadline) {
        bus_in_t in;
        codec_err_t cerr;
        store_status_reply_t *r = NULL;
        bus_arena_reset(arena);
        int crc = bus_client_call(client, &call, &in, &cerr);
        if (!crc)
            crc = bus_frame_body(&in.frame, &store_status_reply_desc, arena, (void **)&r, &cerr);
        if (crc) {
            snprintf(last, sizeof last, "the store: %s", cerr.text);
        } else if (!r->header || !r->header->leader || !r->header->leader[0]) {
            snprintf(last, sizeof last, "the store has no leader yet");
        } else {
            snprintf(store, cap, "%zu member%s, leader %s", n, n == 1 ? "" : "s",
                     r->header->leader);
            rc = 0;
            break;
        }
        cli_sup_pump(sup, 100);
    }
    if (rc) {
        snprintf(err, errlen, "%s within %d s", last, S_READY_MS / 1000);
        cli_sup_why(sup, err, errlen);
    }
    bus_arena_destroy(&arena);
    return rc;
}

/* The API accepts connections (a cluster made before the gateway was part of it has none); api
 * gets its URL. */
static int s_wait_api(cli_sup_t *sup, const char *dir, uint64_t deadline, char *api, size_t cap,
                      char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    json_t *gw = json_object_get(doc, "gateway");
    const char *host = json_string_value(json_object_get(gw, "host"));
    long port = (long)json_integer_value(json_object_get(gw, "port"));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int rc = 0;
    if (host && port > 0 && inet_pton(AF_INET, host, &sa.sin_addr) == 1) {
        rc = -1;
        while (rc != 0 && !cli_sup_stopping(sup) && bus_now_ms() < deadline) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) rc = 0;
            if (fd >= 0) close(fd);
            if (rc) cli_sup_pump(sup, 100);
        }
        if (rc) {
            snprintf(err, errlen, "the API on %s:%ld did not answer within %d s", host, port,
                     S_READY_MS / 1000);
            cli_sup_why(sup, err, errlen);
        } else {
            snprintf(api, cap, "https://%s:%ld", host, port);
        }
    }
    json_decref(doc);
    return rc;
}

/* Every broker answers our heartbeats (the bus works end to end, keys included), the store
 * has a leader and the API accepts connections. ready gets the line that says so. */
static int s_wait_alive(cli_sup_t *sup, const char *dir, char ready[S_LINE_MAX], char *err,
                        size_t errlen)
{
    bus_config_t *config = bus_config_load(dir, err, errlen);
    bus_client_t *client = config ? bus_client_new(config, "admin", err, errlen) : NULL;
    if (!client) {
        bus_config_destroy(&config);
        return -1;
    }
    uint64_t deadline = bus_now_ms() + S_READY_MS;
    int rc;
    /* In short steps, to keep collecting the children's output and signals meanwhile. */
    while ((rc = bus_client_wait_alive(client, config->brokers_n, 100)) != 0 &&
           !cli_sup_stopping(sup) && bus_now_ms() < deadline)
        cli_sup_pump(sup, 0);
    char store[128] = "", api[300] = "";
    if (rc != 0) {
        snprintf(err, errlen, "%zu of %zu broker(s) answered within %d s", bus_client_alive(client),
                 config->brokers_n, S_READY_MS / 1000);
        cli_sup_why(sup, err, errlen);
    } else if ((rc = s_wait_store(sup, dir, client, deadline, store, sizeof store, err, errlen)) ==
                   0 &&
               (rc = s_wait_api(sup, dir, deadline, api, sizeof api, err, errlen)) == 0) {
        s_ready_line(dir, config, store, api, ready, S_LINE_MAX);
    }
    bus_client_destroy(&client);
    bus_config_destroy(&config);
    return rc == 0 ? 0 : -1;
}

/* Tells whoever waits for readiness: 'R' ready, 'E' failed, with the text. ready_fd is the pipe
 * to the process that waits when detached (closed here), -1 in the foreground. */
static void s_notify(int ready_fd, char kind, const char *text)
{
    if (ready_fd < 0) {
        if (kind == 'R') {
            printf("kubus: %s\n", text);
            fflush(stdout);
        } else {
            cli_fail("%s", text);
        }
        return;
    }
    char msg[S_LINE_MAX + 2];
    snprintf(msg, sizeof msg, "%c%s", kind, text);
    s_write_all(ready_fd, msg, strlen(msg)); /* the waiter may be gone: nothing to do then */
    close(ready_fd);
}

/* Runs the cluster until a stop signal, then stops it. Takes ready_fd (see s_notify). */
static int s_supervise(cli_sup_t *sup, const char *dir, bool created, int ready_fd)
{
    char err[S_LINE_MAX] = "", ready[S_LINE_MAX] = "", path[S_PATH_MAX];
    int rc = cli_sup_signals(sup);
    if (rc != 0) snprintf(err, sizeof err, "cannot take signals: %s", strerror(-rc));
    s_pid_write(dir);
    log_info("up.started", "dir=%s pid=%ld components=%zu created=%s", dir, (long)getpid(),
             cli_sup_size(sup), created ? "yes" : "no");
    if (rc == 0) rc = cli_sup_start(sup, err, sizeof err);
    if (rc == 0 && !cli_sup_stopping(sup)) rc = s_wait_alive(sup, dir, ready, err, sizeof err);
    if (rc == 0 && !cli_sup_stopping(sup)) {
        log_info("up.ready", "dir=%s", dir);
        s_notify(ready_fd, 'R', ready);
    } else {
        if (!err[0] || cli_sup_stopping(sup))
            snprintf(err, sizeof err, "stopped before the cluster was ready");
        log_error("up.failed", "error=\"%s\"", err);
        s_notify(ready_fd, 'E', err);
    }
    if (rc == 0) cli_sup_run(sup);
    /* Asked to stop (a signal) is a clean end, even before ready; failing to start is not.
     * Read before stopping: stopping itself sets the flag. */
    bool asked = cli_sup_stopping(sup);
    cli_sup_stop(sup);
    s_pid_path(dir, path, sizeof path);
    unlink(path);
    log_info("up.stopped", "dir=%s", dir);
    return rc == 0 || asked ? 0 : 1;
}

/* --- detaching ------------------------------------------------------------------------------ */

/* In the foreground process: waits for the daemon's word and turns it into an exit code. */
static int s_await(const char *dir, int fd)
{
    char msg[S_LINE_MAX + 2];
    size_t n = 0;
    uint64_t deadline = bus_now_ms() + 60000; /* the daemon gives up well before */
    while (n < sizeof msg - 1) {
        uint64_t now = bus_now_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) == 0) break;
        ssize_t r = read(fd, msg + n, sizeof msg - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    msg[n] = 0;
    if (n > 0 && msg[0] == 'R') {
        printf("kubus: %s\n", msg + 1);
        return 0;
    }
    if (n > 0) return cli_fail("%s (see %s/log/kubus-up.log)", msg + 1, dir);
    return cli_fail("the supervisor ended before the cluster was ready; see %s/log/kubus-up.log",
                    dir);
}

/* stdin and stdout from /dev/null, stderr to DIR/log/kubus-up.log. */
static int s_daemon_stdio(const char *dir)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/log/kubus-up.log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC), rc = 0;
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(fd, 2) < 0) rc = -errno;
    if (null_fd >= 0) close(null_fd);
    close(fd);
    return rc;
}

/* Forks the supervisor off as a daemon (its own session, twice forked so it never gets a
 * terminal back, in /). Returns -1 in the daemon, which goes on to supervise with *ready_fd set;
 * in the foreground process, the exit code. The lock descriptor is shared, so the lock passes to
 * the daemon. */
static int s_detach(cli_sup_t *sup, const char *dir, int *ready_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return cli_fail("pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cli_fail("fork: %s", strerror(errno));
    }
    if (pid > 0) {
        close(fds[1]);
        waitpid(pid, NULL, 0);
        return s_await(dir, fds[0]);
    }
    close(fds[0]);
    if (setsid() < 0 || (pid = fork()) < 0) _exit(1); /* the parent then reports it ended */
    if (pid > 0) _exit(0);
    int rc = chdir("/") != 0 ? -errno : s_daemon_stdio(dir);
    if (rc != 0) {
        char err[256];
        snprintf(err, sizeof err, "cannot start the daemon: %s", strerror(-rc));
        s_notify(fds[1], 'E', err);
        _exit(1);
    }
    *ready_fd = fds[1];
    cli_sup_rotate_stderr(sup);
    return -1;
}

/* --- kubus up ------------------------------------------------------------------------------- */

static int s_usage_up(FILE *out)
{
    fprintf(
        out,
        "usage: kubus up [--dir DIR] [--host ADDR] [--base-port N] [--brokers N] [--stores N]\n"
        "                [--api-port N] [--foreground] [--log-level error|warn|info|debug|trace]\n"
        "Starts the cluster in DIR and supervises it, in the background unless --foreground.\n"
        "The first time it creates the cluster: N brokers (default 1, at most %d) on ADDR\n"
        "(default 127.0.0.1) with ports from N (default 7440, four per broker; 0: ephemeral),\n"
        "a store of N members (default 1; 3 or 5 survive the loss of 1 or 2; at most %d) and\n"
        "the Kubernetes API on ADDR:N (--api-port, default 6443), with a cluster CA, an admin\n"
        "token and DIR/kubeconfig for kubectl.\n",
        S_BROKERS_MAX, S_STORES_MAX);
    return out == stdout ? 0 : 2;
}

static int s_bad_usage(int (*usage)(FILE *), const char *fmt, const char *arg)
{
    fputs("kubus: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return usage(stderr);
}

static bool s_host_valid(const char *host)
{
    size_t n = strlen(host);
    return n > 0 && n < 256 &&
           strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:%_") == n;
}

/* -1 to go on, or the exit code (help, bad usage). */
static int s_parse_up(int argc, char **argv, s_opts_t *o)
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"host", required_argument, 0, 'H'},
                                         {"base-port", required_argument, 0, 'p'},
                                         {"brokers", required_argument, 0, 'b'},
                                         {"stores", required_argument, 0, 's'},
                                         {"api-port", required_argument, 0, 'a'},
                                         {"foreground", no_argument, 0, 'f'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    *o = (s_opts_t){
        .base_port = -1, .brokers = -1, .stores = -1, .api_port = -1, .log_level = BUS_LOG_INFO};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:H:p:b:s:a:fl:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'H': o->host = optarg; break;
        case 'p':
            if (s_number(optarg, 0, 65535, &o->base_port))
                return s_bad_usage(s_usage_up, "--base-port must be 0..65535, not %s", optarg);
            break;
        case 'b':
            if (s_number(optarg, 1, S_BROKERS_MAX, &o->brokers))
                return s_bad_usage(s_usage_up, "--brokers must be 1..16, not %s", optarg);
            break;
        case 's':
            if (s_number(optarg, 1, S_STORES_MAX, &o->stores))
                return s_bad_usage(s_usage_up, "--stores must be 1..7, not %s", optarg);
            break;
        case 'a':
            if (s_number(optarg, 1, 65535, &o->api_port))
                return s_bad_usage(s_usage_up, "--api-port must be 1..65535, not %s", optarg);
            break;
        case 'f': o->foreground = true; break;
        case 'l':
            if ((o->log_level = bus_log_parse_level(optarg)) < 0)
                return s_bad_usage(s_usage_up, "unknown log level %s", optarg);
            break;
        case 'h': return s_usage_up(stdout);
        default:
            return s_bad_usage(s_usage_up, "bad option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind != argc) return s_bad_usage(s_usage_up, "unexpected argument %s", argv[optind]);
    if (o->host && !s_host_valid(o->host)) return s_bad_usage(s_usage_up, "bad host %s", o->host);
    if (o->base_port > 0 && o->base_port + 4 * (o->brokers > 0 ? o->brokers : 1) - 1 > 65535)
        return s_bad_usage(s_usage_up, "%s", "not enough ports above --base-port for every broker");
    return -1;
}

/* Creates DIR, DIR/run and DIR/log; *abs gets DIR's absolute path (children run in /). */
static int s_prepare_dir(const char *dir, char *abs, char *err, size_t errlen)
{
    char real[PATH_MAX], path[S_PATH_MAX];
    int rc = s_mkdirs(dir, 0700);
    if (rc == 0 && !realpath(dir, real)) rc = -errno;
    if (rc == 0 && strlen(real) >= CLI_SUP_DIR_MAX) rc = -ENAMETOOLONG;
    for (int i = 0; rc == 0 && i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", real, i ? "log" : "run");
        if (mkdir(path, 0755) != 0 && errno != EEXIST) rc = -errno;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot prepare %s: %s", dir, strerror(-rc));
        return -1;
    }
    snprintf(abs, CLI_SUP_DIR_MAX, "%s", real);
    return 0;
}

static int s_up(const s_opts_t *o, const char *dir)
{
    char err[S_LINE_MAX], path[S_PATH_MAX];
    /* A supervisor killed by SIGKILL leaves its pid file: nobody may act on that pid. */
    s_pid_path(dir, path, sizeof path);
    unlink(path);
    bool create = !s_exists(dir, "cluster.json");
    if (create && s_cluster_create(dir, o, err, sizeof err) != 0) return cli_fail("%s", err);
    cli_sup_t *sup = cli_sup_new(dir, err, sizeof err);
    if (!sup) return cli_fail("%s", err);
    int ready_fd = -1;
    int rc = o->foreground ? -1 : s_detach(sup, dir, &ready_fd);
    if (rc < 0) rc = s_supervise(sup, dir, create, ready_fd);
    cli_sup_destroy(&sup);
    return rc;
}

int cli_up(int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_up(argc, argv, &o);
    if (rc >= 0) return rc;
    bus_log_init("kubus-up");
    bus_log_set_level(o.log_level);
    char dir[CLI_SUP_DIR_MAX], err[S_LINE_MAX];
    if (s_prepare_dir(o.dir ? o.dir : cli_default_dir(), dir, err, sizeof err) != 0)
        return cli_fail("%s", err);
    if (s_exists(dir, "cluster.json") && s_cluster_check(dir, &o, err, sizeof err) != 0)
        return cli_fail("%s", err);
    int lock_fd = -1;
    rc = s_lock(dir, &lock_fd);
    if (rc == 1) {
        long pid = s_pid_wait(dir);
        if (pid > 0)
            printf("kubus: already running in %s (pid %ld)\n", dir, pid);
        else
            printf("kubus: already running in %s (a supervisor holds run/up.lock)\n", dir);
        return 0;
    }
    if (rc < 0) return cli_fail("cannot lock %s/run/up.lock: %s", dir, strerror(-rc));
    rc = s_up(&o, dir);
    close(lock_fd); /* in a detached supervisor's parent, the daemon holds the lock on */
    return rc;
}

/* --- kubus down ----------------------------------------------------------------------------- */

static int s_usage_down(FILE *out)
{
    fprintf(out,
            "usage: kubus down [--dir DIR] [--timeout SECONDS]\n"
            "Stops the cluster that `kubus up` runs in DIR, waiting up to SECONDS (default 20).\n");
    return out == stdout ? 0 : 2;
}

/* The lock is free once the supervisor has exited, whatever its pid has become since. */
static bool s_lock_free(int fd)
{
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) return false;
    flock(fd, LOCK_UN);
    return true;
}

static int s_down(const char *dir, long timeout_s)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/run/up.lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) return cli_fail("cannot open %s: %s", path, strerror(errno));
    if (fd < 0 || s_lock_free(fd)) {
        if (fd >= 0) close(fd);
        printf("kubus: not running in %s\n", dir);
        return 0;
    }
    long pid = s_pid_wait(dir);
    if (pid <= 0 || kill((pid_t)pid, SIGTERM) != 0) {
        close(fd);
        return cli_fail("a supervisor holds %s/run/up.lock but %s/run/up.pid names no process "
                        "it can signal",
                        dir, dir);
    }
    uint64_t deadline = bus_now_ms() + (uint64_t)timeout_s * 1000;
    while (!s_lock_free(fd) && bus_now_ms() < deadline) poll(NULL, 0, 50);
    bool stopped = s_lock_free(fd);
    close(fd);
    if (!stopped)
        return cli_fail("the supervisor of %s (pid %ld) did not stop within %ld s", dir, pid,
                        timeout_s);
    printf("kubus: cluster in %s stopped\n", dir);
    return 0;
}

int cli_down(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL;
    long timeout_s = 20;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 't':
            if (s_number(optarg, 1, 86400, &timeout_s))
                return s_bad_usage(s_usage_down, "--timeout must be 1..86400 seconds, not %s",
                                   optarg);
            break;
        case 'h': return s_usage_down(stdout);
        default:
            return s_bad_usage(s_usage_down, "bad option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind != argc) return s_bad_usage(s_usage_down, "unexpected argument %s", argv[optind]);
    /* Named as `kubus up` names it. */
    char abs[PATH_MAX];
    if (!dir) dir = cli_default_dir();
    return s_down(realpath(dir, abs) ? abs : dir, timeout_s);
}
