/* kubus up / kubus down: one machine's cluster. `up` creates the cluster the first time
 * (certificates and DIR/cluster.json), then supervises the processes its "components" list: starts
 * them brokers first, keeps their output in DIR/log, restarts them with back-off and stops them on
 * SIGTERM. `down` asks that supervisor to stop. Joining other hosts is not done here. */
#include "bus_cert.h"
#include "bus_client.h"
#include "bus_config.h"
#include "bus_log.h"
#include "bus_role.h"
#include "bus_time.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum {
    S_DIR_MAX = 1024,  /* a cluster directory's absolute path */
    S_PATH_MAX = 1280, /* S_DIR_MAX and a file name under it */
    S_BROKERS_MAX = 16,
    S_CHILDREN_MAX = 64,
    S_ARGS_MAX = 64,
    S_ENV_MAX = 64,
    S_ARG_LEN_MAX = 4096,
    S_TAIL_MAX = 240,
    S_LINE_MAX = 8192,
    S_IO_MAX = 65536,
};
#define S_LOG_MAX        ((off_t)10 << 20) /* a log file is rotated beyond this */
#define S_BACKOFF_MIN_MS 100u
#define S_BACKOFF_MAX_MS 10000u
#define S_STABLE_MS      30000u /* a child that ran this long starts again from the least back-off */
#define S_STOP_MS        10000u
#define S_READY_MS       10000

typedef struct {
    char name[64];
    char path[PATH_MAX];        /* the program, resolved */
    char *argv[S_ARGS_MAX + 2]; /* owned, NULL-terminated */
    char **envp;                /* owned, NULL-terminated; NULL: the supervisor's environment */
    bool broker;
    bool ephemeral; /* a broker of ours that binds ephemeral ports (some are 0 in cluster.json) */
    pid_t pid;      /* 0 when not running */
    int out_fd;     /* read end of its stdout+stderr pipe, or -1 */
    int log_fd;     /* DIR/log/NAME.log, or -1 */
    off_t log_size;
    uint64_t started_ms;
    uint64_t restart_ms; /* when to start it again; 0: not due */
    uint32_t backoff_ms;
    char last_exit[48];    /* "status=1", "signal=KILL"; empty before its first exit */
    char tail[S_TAIL_MAX]; /* the last line it printed, to explain a failure */
} s_child_t;

typedef struct {
    char dir[S_DIR_MAX];
    char self_dir[PATH_MAX]; /* where this kubus binary lives: programs are looked up there first */
    s_child_t children[S_CHILDREN_MAX];
    size_t children_n;
    int sig_fd, null_fd, lock_fd;
    int ready_fd;  /* detached: the pipe to the process waiting for readiness; -1 otherwise */
    bool detached; /* our own log is then DIR/log/kubus-up.log on fd 2 */
    bool stop;     /* a stop signal came */
    bool created;  /* this run created the cluster */
    char ready[S_LINE_MAX];
    bus_log_limit_t log_fail;
    char io[S_IO_MAX];
} s_sup_t;

typedef struct {
    const char *dir;
    const char *host; /* NULL: not given */
    long base_port;   /* -1: not given */
    long brokers;     /* -1: not given */
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
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (!text) abort();
    size_t n = strlen(text);
    char *line = malloc(n + 2);
    if (!line) abort();
    memcpy(line, text, n);
    memcpy(line + n, "\n", 2);
    int rc = s_write_file(path, line, err, errlen);
    free(line);
    free(text);
    return rc;
}

/* Text from a child, made printable for an error message. */
static void s_printable(char *text)
{
    for (; *text; text++)
        if ((unsigned char)*text < 0x20 || *text == 0x7f) *text = '?';
}

/* --- the cluster's files ------------------------------------------------------------------- */

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
    json_t *doc = json_pack("{s:s, s:i, s:i, s:o, s:o}", "cluster", "kubus", "heartbeat_ms", 1000,
                            "liveness", 3, "brokers", brokers, "components", components);
    if (!doc) abort();
    return doc;
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
    size_t n = rc ? strlen(err) : 0;
    if (rc) snprintf(err + n, errlen - n, " (edit its cluster.json, or use another --dir)");
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

/* --- components: what the supervisor runs -------------------------------------------------- */

/* Replaces {dir} and {name}. */
static int s_subst(const char *in, const char *dir, const char *name, char *out, size_t cap)
{
    size_t n = 0;
    while (*in) {
        const char *rep = NULL;
        size_t skip = 1;
        if (strncmp(in, "{dir}", 5) == 0) rep = dir, skip = 5;
        if (strncmp(in, "{name}", 6) == 0) rep = name, skip = 6;
        size_t len = rep ? strlen(rep) : 1;
        if (n + len >= cap) return -1;
        memcpy(out + n, rep ? rep : in, len);
        n += len;
        in += skip;
    }
    out[n] = 0;
    return 0;
}

/* Next to this kubus binary first (a build or an install keeps its programs together), then
 * along PATH. */
static int s_resolve(const s_sup_t *sup, const char *program, char out[PATH_MAX])
{
    char found[PATH_MAX];
    if (strchr(program, '/'))
        snprintf(found, sizeof found, "%s", program);
    else
        snprintf(found, sizeof found, "%s/%s", sup->self_dir, program);
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (access(found, X_OK) != 0) {
        if (strchr(program, '/') || !*path) return -1;
        const char *colon = strchrnul(path, ':');
        int len = (int)(colon - path);
        snprintf(found, sizeof found, "%.*s/%s", len ? len : 1, len ? path : ".", program);
        path = *colon ? colon + 1 : colon;
    }
    /* Absolute, because the detached supervisor runs in /. */
    return realpath(found, out) ? 0 : -1;
}

/* Whether the component's env sets the variable of the "NAME=value" entry. */
static bool s_env_sets(json_t *env, const char *entry)
{
    size_t len = strcspn(entry, "=");
    const char *key;
    json_t *v;
    json_object_foreach(env, key, v)
    {
        if (strlen(key) == len && strncmp(key, entry, len) == 0) return true;
    }
    return false;
}

/* The supervisor's environment with the component's "env" over it. */
static int s_envp(s_child_t *c, json_t *env, const char *dir, char *err, size_t errlen)
{
    size_t n = 0;
    while (environ[n]) n++;
    c->envp = calloc(n + json_object_size(env) + 1, sizeof *c->envp);
    if (!c->envp) abort();
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!s_env_sets(env, environ[i])) c->envp[k++] = strdup(environ[i]);
    const char *key;
    json_t *v;
    json_object_foreach(env, key, v)
    {
        char value[S_ARG_LEN_MAX];
        if (!*key || strchr(key, '=') || !json_is_string(v) ||
            s_subst(json_string_value(v), dir, c->name, value, sizeof value) != 0) {
            snprintf(err, errlen, "component %s: env %s must be a string (at most %d bytes)",
                     c->name, key, S_ARG_LEN_MAX - 1);
            return -1;
        }
        if (asprintf(&c->envp[k++], "%s=%s", key, value) < 0) abort();
    }
    return 0;
}

static int s_args(s_child_t *c, const char *program, json_t *args, const char *dir, char *err,
                  size_t errlen)
{
    c->argv[0] = strdup(program);
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        char arg[S_ARG_LEN_MAX];
        if (!json_is_string(a) || s_subst(json_string_value(a), dir, c->name, arg, sizeof arg)) {
            snprintf(err, errlen, "component %s: argument %zu must be a string (at most %d bytes)",
                     c->name, i + 1, S_ARG_LEN_MAX - 1);
            return -1;
        }
        c->argv[i + 1] = strdup(arg);
    }
    return 0;
}

static int s_component(s_sup_t *sup, json_t *j, s_child_t *c, char *err, size_t errlen)
{
    const char *key, *name = json_string_value(json_object_get(j, "name"));
    const char *program = json_string_value(json_object_get(j, "program"));
    json_t *v, *args = json_object_get(j, "args"), *env = json_object_get(j, "env");
    if (!name || !bus_name_valid(name) || strcmp(name, "kubus-up") == 0) {
        snprintf(err, errlen,
                 "cluster.json: every component needs a valid name (1..63 of a-z0-9.-)");
        return -1;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    json_object_foreach(j, key, v)
    {
        if (strcmp(key, "name") && strcmp(key, "program") && strcmp(key, "args") &&
            strcmp(key, "env")) {
            snprintf(err, errlen, "cluster.json: component %s: unknown key \"%s\"", name, key);
            return -1;
        }
    }
    if (!program || !*program ||
        (args && (!json_is_array(args) || json_array_size(args) > S_ARGS_MAX)) ||
        (env && (!json_is_object(env) || json_object_size(env) > S_ENV_MAX))) {
        snprintf(err, errlen,
                 "cluster.json: component %s needs a program, at most %d args and %d env entries",
                 name, S_ARGS_MAX, S_ENV_MAX);
        return -1;
    }
    if (s_resolve(sup, program, c->path) != 0) {
        snprintf(err, errlen, "component %s: no program %s next to kubus (%s) or in PATH", name,
                 program, sup->self_dir);
        return -1;
    }
    const char *base = strrchr(program, '/');
    c->broker = strcmp(base ? base + 1 : program, "kubus-broker") == 0;
    c->backoff_ms = S_BACKOFF_MIN_MS;
    if (s_args(c, program, args, sup->dir, err, errlen)) return -1;
    return env ? s_envp(c, env, sup->dir, err, errlen) : 0;
}

static int s_log_open(const char *dir, const char *name, int *fd, off_t *size)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/log/%s.log", dir, name);
    *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st) != 0) return -errno;
    *size = st.st_size;
    return 0;
}

/* NAME.log becomes NAME.log.1 (replacing the older one) and a new NAME.log starts. */
static int s_log_rotate(const char *dir, const char *name, int *fd, off_t *size)
{
    char path[S_PATH_MAX], old[S_PATH_MAX + 4];
    snprintf(path, sizeof path, "%s/log/%s.log", dir, name);
    snprintf(old, sizeof old, "%s.1", path);
    if (*fd >= 0) close(*fd);
    *fd = -1;
    rename(path, old);
    return s_log_open(dir, name, fd, size);
}

/* Read from cluster.json itself: bus_config fills zero ports from an earlier run's report. */
static void s_mark_ephemeral(s_sup_t *sup, json_t *brokers)
{
    size_t i;
    json_t *b;
    json_array_foreach(brokers, i, b)
    {
        const char *name = json_string_value(json_object_get(b, "name"));
        json_t *ports = json_object_get(b, "ports");
        bool zero = false;
        for (int p = 0; p < BUS_PORTS_N; p++)
            zero = zero || json_integer_value(json_object_get(ports, bus_port_names[p])) == 0;
        for (size_t k = 0; name && k < sup->children_n; k++) {
            s_child_t *c = &sup->children[k];
            if (c->broker && strcmp(c->name, name) == 0) c->ephemeral = zero;
        }
    }
}

static int s_components(s_sup_t *sup, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", sup->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *list, *j;
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, jerr.text);
        return -1;
    }
    list = json_object_get(doc, "components");
    int rc = 0;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > S_CHILDREN_MAX) {
        snprintf(err, errlen, "%s: \"components\" must list 1 to %d processes", path,
                 S_CHILDREN_MAX);
        rc = -1;
    }
    size_t i;
    json_array_foreach(list, i, j)
    {
        s_child_t *c = &sup->children[sup->children_n++];
        c->out_fd = c->log_fd = -1;
        if (rc || (rc = s_component(sup, j, c, err, errlen)) != 0) break;
        for (size_t k = 0; k + 1 < sup->children_n; k++)
            if (strcmp(sup->children[k].name, c->name) == 0) {
                snprintf(err, errlen, "%s: two components named %s", path, c->name);
                rc = -1;
            }
        if (!rc && (rc = s_log_open(sup->dir, c->name, &c->log_fd, &c->log_size)) != 0)
            snprintf(err, errlen, "cannot open %s/log/%s.log: %s", sup->dir, c->name,
                     strerror(-rc));
    }
    if (!rc) s_mark_ephemeral(sup, json_object_get(doc, "brokers"));
    json_decref(doc);
    return rc;
}

static void s_sup_destroy(s_sup_t **self_p)
{
    if (!self_p || !*self_p) return;
    s_sup_t *sup = *self_p;
    for (size_t i = 0; i < sup->children_n; i++) {
        s_child_t *c = &sup->children[i];
        for (char **a = c->argv; *a; a++) free(*a);
        for (char **e = c->envp; e && *e; e++) free(*e);
        free(c->envp);
        if (c->out_fd >= 0) close(c->out_fd);
        if (c->log_fd >= 0) close(c->log_fd);
    }
    int fds[] = {sup->sig_fd, sup->null_fd, sup->lock_fd, sup->ready_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    free(sup);
    *self_p = NULL;
}

/* Takes lock_fd in every case. */
static s_sup_t *s_sup_new(const char *dir, int lock_fd, char *err, size_t errlen)
{
    s_sup_t *sup = calloc(1, sizeof *sup);
    if (!sup) abort();
    snprintf(sup->dir, sizeof sup->dir, "%s", dir);
    sup->lock_fd = lock_fd;
    sup->sig_fd = sup->ready_fd = -1;
    sup->log_fail.burst = 1;
    sup->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    ssize_t n = readlink("/proc/self/exe", sup->self_dir, sizeof sup->self_dir - 1);
    char *slash = n > 0 ? memrchr(sup->self_dir, '/', (size_t)n) : NULL;
    if (slash) *slash = 0;
    if (sup->null_fd < 0 || !slash) {
        snprintf(err, errlen, "cannot open /dev/null or read /proc/self/exe: %s", strerror(errno));
        s_sup_destroy(&sup);
    } else if (s_components(sup, err, errlen) != 0) {
        s_sup_destroy(&sup);
    }
    return sup;
}

/* --- children -------------------------------------------------------------------------------- */

/* Keeps the last line a child printed. */
static void s_tail(s_child_t *c, const char *buf, size_t n)
{
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    if (n == 0) return;
    size_t start = n;
    while (start > 0 && buf[start - 1] != '\n') start--;
    if (n - start >= sizeof c->tail) start = n - (sizeof c->tail - 1);
    memcpy(c->tail, buf + start, n - start);
    c->tail[n - start] = 0;
    s_printable(c->tail);
}

static void s_child_output(s_sup_t *sup, s_child_t *c, const char *buf, size_t n)
{
    s_tail(c, buf, n);
    int rc = 0;
    if (c->log_fd < 0) /* it could not be opened last time */
        rc = s_log_open(sup->dir, c->name, &c->log_fd, &c->log_size);
    else if (c->log_size + (off_t)n > S_LOG_MAX)
        rc = s_log_rotate(sup->dir, c->name, &c->log_fd, &c->log_size);
    if (rc == 0) rc = s_write_all(c->log_fd, buf, n);
    if (rc == 0)
        c->log_size += (off_t)n;
    else
        bus_log_limited(&sup->log_fail, BUS_LOG_WARN, "up.log.failed", "name=%s error=\"%s\"",
                        c->name, strerror(-rc));
}

/* Reads what the child wrote; a bounded amount per call, so one chatty child cannot starve the
 * others. Closes the pipe at its end. */
static void s_child_drain(s_sup_t *sup, s_child_t *c)
{
    for (int i = 0; i < 16 && c->out_fd >= 0; i++) {
        ssize_t n = read(c->out_fd, sup->io, sizeof sup->io);
        if (n > 0) {
            s_child_output(sup, c, sup->io, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            close(c->out_fd);
            c->out_fd = -1;
        }
    }
}

/* Between fork and exec only async-signal-safe calls: the bus library may have threads. */
static void s_child_exec(const s_sup_t *sup, const s_child_t *c, int out, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Dies with the supervisor; the check closes the window where the supervisor died first. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    if (dup2(sup->null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(127);
    close_range(3, ~0u, 0);
    execve(c->path, c->argv, c->envp ? c->envp : environ);
    static const char msg[] = "kubus up: exec failed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

static int s_child_start(s_sup_t *sup, s_child_t *c)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) s_child_exec(sup, c, fds[1], parent);
    int e = errno;
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -e;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    if (c->out_fd >= 0) { /* still held open by something the last instance started */
        s_child_drain(sup, c);
        if (c->out_fd >= 0) close(c->out_fd);
    }
    c->out_fd = fds[0];
    c->pid = pid;
    c->started_ms = bus_now_ms();
    c->restart_ms = 0;
    log_info(c->last_exit[0] ? "up.child.restarted" : "up.child.started",
             "name=%s pid=%ld program=%s", c->name, (long)pid, c->path);
    return 0;
}

static void s_status_text(int status, char *out, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(out, cap, "status=%d", WEXITSTATUS(status));
    } else {
        const char *name = sigabbrev_np(WTERMSIG(status));
        if (name)
            snprintf(out, cap, "signal=%s", name);
        else
            snprintf(out, cap, "signal=%d", WTERMSIG(status));
    }
}

static s_child_t *s_child_of(s_sup_t *sup, pid_t pid)
{
    for (size_t i = 0; i < sup->children_n; i++)
        if (sup->children[i].pid == pid) return &sup->children[i];
    return NULL;
}

/* Collects every child that ended; schedules its restart unless stopping. */
static void s_reap(s_sup_t *sup)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        s_child_t *c = s_child_of(sup, pid);
        if (!c) continue;
        s_child_drain(sup, c);
        c->pid = 0;
        s_status_text(status, c->last_exit, sizeof c->last_exit);
        uint64_t now = bus_now_ms(), ran_ms = now - c->started_ms;
        if (sup->stop) {
            log_info("up.child.stopped", "name=%s pid=%ld %s", c->name, (long)pid, c->last_exit);
            continue;
        }
        if (ran_ms >= S_STABLE_MS) c->backoff_ms = S_BACKOFF_MIN_MS;
        c->restart_ms = now + c->backoff_ms;
        log_warn("up.child.exited", "name=%s pid=%ld %s ran_ms=%llu restart_in_ms=%u", c->name,
                 (long)pid, c->last_exit, (unsigned long long)ran_ms, c->backoff_ms);
        c->backoff_ms = c->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : c->backoff_ms * 2;
    }
}

static void s_restart_due(s_sup_t *sup)
{
    uint64_t now = bus_now_ms();
    for (size_t i = 0; i < sup->children_n && !sup->stop; i++) {
        s_child_t *c = &sup->children[i];
        if (c->pid || !c->restart_ms || now < c->restart_ms) continue;
        int rc = s_child_start(sup, c);
        if (rc == 0) continue;
        c->restart_ms = now + c->backoff_ms;
        log_error("up.child.start.failed", "name=%s error=\"%s\" retry_in_ms=%u", c->name,
                  strerror(-rc), c->backoff_ms);
    }
}

/* --- the supervisor's loop ----------------------------------------------------------------- */

static void s_signals(s_sup_t *sup)
{
    struct signalfd_siginfo si;
    while (read(sup->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) continue;
        if (!sup->stop) log_info("up.stopping", "signal=%s", sigabbrev_np((int)si.ssi_signo));
        sup->stop = true;
    }
    s_reap(sup);
}

/* Our own log, when detached, rotates like the children's. */
static void s_self_rotate(s_sup_t *sup)
{
    struct stat st;
    if (!sup->detached || fstat(STDERR_FILENO, &st) != 0 || st.st_size < S_LOG_MAX) return;
    int fd = -1;
    off_t size;
    if (s_log_rotate(sup->dir, "kubus-up", &fd, &size) == 0) dup2(fd, STDERR_FILENO);
    if (fd >= 0) close(fd);
}

/* Milliseconds until the next restart is due, capped by timeout_ms (-1: no cap). */
static int s_wait_ms(const s_sup_t *sup, int timeout_ms)
{
    uint64_t now = bus_now_ms();
    int wait = timeout_ms;
    for (size_t i = 0; i < sup->children_n; i++) {
        uint64_t at = sup->children[i].restart_ms;
        if (!at) continue;
        int ms = at <= now ? 0 : at - now > INT_MAX ? INT_MAX : (int)(at - now);
        if (wait < 0 || ms < wait) wait = ms;
    }
    return wait;
}

/* Waits up to timeout_ms (-1: until something happens) for signals, output or a due restart, and
 * handles them. */
static void s_pump(s_sup_t *sup, int timeout_ms)
{
    struct pollfd fds[S_CHILDREN_MAX + 1];
    s_child_t *owner[S_CHILDREN_MAX + 1];
    nfds_t n = 0;
    fds[n] = (struct pollfd){sup->sig_fd, POLLIN, 0};
    owner[n++] = NULL;
    for (size_t i = 0; i < sup->children_n; i++) {
        if (sup->children[i].out_fd < 0) continue;
        fds[n] = (struct pollfd){sup->children[i].out_fd, POLLIN, 0};
        owner[n++] = &sup->children[i];
    }
    int rc = poll(fds, n, sup->stop ? timeout_ms : s_wait_ms(sup, timeout_ms));
    if (rc < 0 && errno != EINTR) {
        log_error("up.poll.failed", "error=\"%s\"", strerror(errno));
        poll(NULL, 0, 100); /* not a reason to stop supervising, nor to spin */
    }
    for (nfds_t i = 1; rc > 0 && i < n; i++)
        if (fds[i].revents) s_child_drain(sup, owner[i]);
    if (rc > 0 && fds[0].revents) s_signals(sup);
    if (!sup->stop) s_restart_due(sup);
    s_self_rotate(sup);
}

static bool s_running(const s_sup_t *sup, bool brokers)
{
    for (size_t i = 0; i < sup->children_n; i++)
        if (sup->children[i].pid > 0 && sup->children[i].broker == brokers) return true;
    return false;
}

static void s_wait_exit(s_sup_t *sup, bool brokers, uint64_t deadline_ms)
{
    uint64_t now;
    while (s_running(sup, brokers) && (now = bus_now_ms()) < deadline_ms)
        s_pump(sup, (int)(deadline_ms - now));
}

/* SIGTERM to one kind of children; SIGKILL to those still running at kill_ms. */
static void s_stop_kind(s_sup_t *sup, bool brokers, uint64_t kill_ms)
{
    for (size_t i = 0; i < sup->children_n; i++) {
        s_child_t *c = &sup->children[i];
        c->restart_ms = 0;
        if (c->pid > 0 && c->broker == brokers) kill(c->pid, SIGTERM);
    }
    s_wait_exit(sup, brokers, kill_ms);
    for (size_t i = 0; i < sup->children_n; i++) {
        s_child_t *c = &sup->children[i];
        if (c->pid <= 0 || c->broker != brokers) continue;
        log_warn("up.child.kill", "name=%s pid=%ld", c->name, (long)c->pid);
        kill(c->pid, SIGKILL);
    }
    /* SIGKILL is quick, unless a process is stuck in the kernel: then it is left behind. */
    s_wait_exit(sup, brokers, bus_now_ms() + 1000);
}

/* Services first, then the brokers they talk through, which keep a share of the S_STOP_MS
 * budget even when a service has to be killed. */
static void s_stop_all(s_sup_t *sup)
{
    sup->stop = true;
    uint64_t start = bus_now_ms();
    s_stop_kind(sup, false, start + S_STOP_MS * 6 / 10);
    s_stop_kind(sup, true, start + S_STOP_MS);
    for (size_t i = 0; i < sup->children_n; i++) s_child_drain(sup, &sup->children[i]);
}

/* "; broker-1 exited (status=1): <its last line>", to say why something is not ready. */
static void s_why(const s_sup_t *sup, char *err, size_t errlen)
{
    for (size_t i = 0; i < sup->children_n; i++) {
        const s_child_t *c = &sup->children[i];
        if (!c->last_exit[0]) continue;
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "; %s exited (%s): %s", c->name, c->last_exit,
                 c->tail[0] ? c->tail : "(no output)");
        return;
    }
}

static int s_start_kind(s_sup_t *sup, bool brokers, char *err, size_t errlen)
{
    for (size_t i = 0; i < sup->children_n; i++) {
        s_child_t *c = &sup->children[i];
        if (c->broker != brokers) continue;
        int rc = s_child_start(sup, c);
        if (rc) {
            snprintf(err, errlen, "cannot start %s (%s): %s", c->name, c->path, strerror(-rc));
            return -1;
        }
    }
    return 0;
}

static void s_ports_path(const s_sup_t *sup, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/run/%s.ports.json", sup->dir, name);
}

/* Brokers on ephemeral ports say which ones they got in DIR/run/NAME.ports.json. */
static int s_wait_ports(s_sup_t *sup, char *err, size_t errlen)
{
    uint64_t deadline = bus_now_ms() + S_READY_MS;
    for (size_t i = 0; i < sup->children_n; i++) {
        char path[S_PATH_MAX];
        if (!sup->children[i].ephemeral) continue;
        s_ports_path(sup, sup->children[i].name, path, sizeof path);
        /* A file appears once; polling for it briefly at start-up is simpler than inotify. */
        while (access(path, F_OK) != 0 && !sup->stop) {
            if (bus_now_ms() >= deadline) {
                snprintf(err, errlen, "%s did not bind its ports within %d s",
                         sup->children[i].name, S_READY_MS / 1000);
                s_why(sup, err, errlen);
                return -1;
            }
            s_pump(sup, 50);
        }
    }
    return 0;
}

/* Writes the ports ephemeral brokers got into cluster.json, so that a restarted broker binds the
 * same ones and every client keeps finding it. */
static int s_pin_ports(s_sup_t *sup, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", sup->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *b;
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, jerr.text);
        return -1;
    }
    size_t i;
    bool changed = false;
    json_array_foreach(json_object_get(doc, "brokers"), i, b)
    {
        char run[S_PATH_MAX];
        const char *name = json_string_value(json_object_get(b, "name"));
        json_t *ports = json_object_get(b, "ports");
        s_ports_path(sup, name ? name : "", run, sizeof run);
        json_t *got = name ? json_load_file(run, 0, NULL) : NULL;
        for (int p = 0; got && p < BUS_PORTS_N; p++) {
            json_int_t want = json_integer_value(json_object_get(ports, bus_port_names[p]));
            json_int_t v = json_integer_value(json_object_get(got, bus_port_names[p]));
            if (want != 0 || v <= 0 || v > 65535) continue;
            json_object_set_new(ports, bus_port_names[p], json_integer(v));
            changed = true;
        }
        json_decref(got);
    }
    int rc = changed ? s_json_write(path, doc, err, errlen) : 0;
    if (changed && rc == 0) log_info("up.ports.pinned", "file=%s", path);
    json_decref(doc);
    return rc;
}

static void s_ready_line(s_sup_t *sup, const bus_config_t *config)
{
    char *out = sup->ready;
    size_t cap = sizeof sup->ready, n;
    snprintf(out, cap, "cluster up in %s (%zu broker%s:", sup->dir, config->brokers_n,
             config->brokers_n == 1 ? "" : "s");
    for (size_t i = 0; i < config->brokers_n; i++) {
        char ep[300];
        bus_config_endpoint(&config->brokers[i], BUS_PORT_ROUTER, false, ep, sizeof ep);
        n = strlen(out);
        snprintf(out + n, cap - n, "%s %s", i ? "," : "", ep);
    }
    n = strlen(out);
    snprintf(out + n, cap - n,
             ")\n  look at it: kubus status --dir %s; watch it: kubus tap --dir %s; stop it: kubus "
             "down --dir %s",
             sup->dir, sup->dir, sup->dir);
}

/* Every broker answers our heartbeats: the bus works end to end, keys included. */
static int s_wait_alive(s_sup_t *sup, char *err, size_t errlen)
{
    bus_config_t *config = bus_config_load(sup->dir, err, errlen);
    bus_client_t *client = config ? bus_client_new(config, "admin", err, errlen) : NULL;
    if (!client) {
        bus_config_destroy(&config);
        return -1;
    }
    uint64_t deadline = bus_now_ms() + S_READY_MS;
    int rc;
    /* In short steps, to keep collecting the children's output and signals meanwhile. */
    while ((rc = bus_client_wait_alive(client, config->brokers_n, 100)) != 0 && !sup->stop &&
           bus_now_ms() < deadline)
        s_pump(sup, 0);
    if (rc != 0) {
        snprintf(err, errlen, "%zu of %zu broker(s) answered within %d s", bus_client_alive(client),
                 config->brokers_n, S_READY_MS / 1000);
        s_why(sup, err, errlen);
    } else {
        s_ready_line(sup, config);
    }
    bus_client_destroy(&client);
    bus_config_destroy(&config);
    return rc == 0 ? 0 : -1;
}

static int s_start(s_sup_t *sup, char *err, size_t errlen)
{
    for (size_t i = 0; i < sup->children_n; i++) {
        char path[S_PATH_MAX];
        s_ports_path(sup, sup->children[i].name, path, sizeof path);
        if (sup->children[i].ephemeral) unlink(path); /* an earlier run's: not these ports */
    }
    int rc = s_start_kind(sup, true, err, errlen);
    if (!rc) rc = s_wait_ports(sup, err, errlen);
    if (!rc && !sup->stop) rc = s_pin_ports(sup, err, errlen);
    if (!rc && !sup->stop) rc = s_start_kind(sup, false, err, errlen);
    if (!rc && !sup->stop) rc = s_wait_alive(sup, err, errlen);
    return rc;
}

/* Tells whoever waits for readiness: 'R' ready, 'E' failed, with the text. */
static void s_notify(s_sup_t *sup, char kind, const char *text)
{
    if (sup->ready_fd < 0) {
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
    s_write_all(sup->ready_fd, msg, strlen(msg)); /* the waiter may be gone: nothing to do then */
    close(sup->ready_fd);
    sup->ready_fd = -1;
}

/* Signals arrive through a descriptor, so the loop sees them with everything else. They are
 * blocked before the bus library starts any thread, so no thread takes them. */
static int s_signals_open(s_sup_t *sup)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -errno;
    signal(SIGPIPE, SIG_IGN);
    zsys_handler_set(NULL);
    sup->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return sup->sig_fd < 0 ? -errno : 0;
}

static void s_pid_write(const s_sup_t *sup)
{
    char path[S_PATH_MAX], text[32], err[S_PATH_MAX + 64];
    s_pid_path(sup->dir, path, sizeof path);
    snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (s_write_file(path, text, err, sizeof err) != 0)
        log_warn("up.pid.failed", "error=\"%s\"", err);
}

static int s_supervise(s_sup_t *sup)
{
    char err[S_LINE_MAX] = "", path[S_PATH_MAX];
    int rc = s_signals_open(sup);
    if (rc != 0) snprintf(err, sizeof err, "cannot take signals: %s", strerror(-rc));
    s_pid_write(sup);
    log_info("up.started", "dir=%s pid=%ld components=%zu created=%s", sup->dir, (long)getpid(),
             sup->children_n, sup->created ? "yes" : "no");
    if (rc == 0) rc = s_start(sup, err, sizeof err);
    if (rc == 0 && !sup->stop) {
        log_info("up.ready", "dir=%s", sup->dir);
        s_notify(sup, 'R', sup->ready);
    } else {
        if (!err[0] || sup->stop) snprintf(err, sizeof err, "stopped before the cluster was ready");
        log_error("up.failed", "error=\"%s\"", err);
        s_notify(sup, 'E', err);
    }
    while (rc == 0 && !sup->stop) s_pump(sup, -1);
    s_stop_all(sup);
    s_pid_path(sup->dir, path, sizeof path);
    unlink(path);
    log_info("up.stopped", "dir=%s", sup->dir);
    return rc == 0 || sup->stop ? 0 : 1;
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

static int s_daemon_stdio(const s_sup_t *sup)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/log/kubus-up.log", sup->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    int rc = 0;
    if (dup2(sup->null_fd, 0) < 0 || dup2(sup->null_fd, 1) < 0 || dup2(fd, 2) < 0) rc = -errno;
    close(fd);
    return rc;
}

/* Forks the supervisor off as a daemon (its own session, twice forked so it never gets a
 * terminal back, in /). Returns -1 in the daemon, which goes on to supervise; in the foreground
 * process, the exit code. The lock descriptor is shared, so the lock passes to the daemon. */
static int s_detach(s_sup_t *sup)
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
        return s_await(sup->dir, fds[0]);
    }
    close(fds[0]);
    if (setsid() < 0 || (pid = fork()) < 0) _exit(1); /* the parent then reports it ended */
    if (pid > 0) _exit(0);
    sup->ready_fd = fds[1];
    sup->detached = true;
    int rc = chdir("/") != 0 ? -errno : s_daemon_stdio(sup);
    if (rc != 0) {
        char err[256];
        snprintf(err, sizeof err, "cannot start the daemon: %s", strerror(-rc));
        s_notify(sup, 'E', err);
        _exit(1);
    }
    return -1;
}

/* --- kubus up ------------------------------------------------------------------------------- */

static int s_usage_up(FILE *out)
{
    fprintf(
        out,
        "usage: kubus up [--dir DIR] [--host ADDR] [--base-port N] [--brokers N] [--foreground]\n"
        "                [--log-level error|warn|info|debug|trace]\n"
        "Starts the cluster in DIR and supervises it, in the background unless --foreground.\n"
        "The first time it creates the cluster: N brokers (default 1, at most %d) on ADDR\n"
        "(default 127.0.0.1) with ports from N (default 7440, four per broker; 0: ephemeral).\n",
        S_BROKERS_MAX);
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
                                         {"foreground", no_argument, 0, 'f'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    *o = (s_opts_t){.base_port = -1, .brokers = -1, .log_level = BUS_LOG_INFO};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "d:H:p:b:fl:h", opts, NULL)) != -1) {
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
    if (rc == 0 && strlen(real) >= S_DIR_MAX) rc = -ENAMETOOLONG;
    for (int i = 0; rc == 0 && i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", real, i ? "log" : "run");
        if (mkdir(path, 0755) != 0 && errno != EEXIST) rc = -errno;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot prepare %s: %s", dir, strerror(-rc));
        return -1;
    }
    snprintf(abs, S_DIR_MAX, "%s", real);
    return 0;
}

static int s_up(const s_opts_t *o, const char *dir, int lock_fd)
{
    char err[S_LINE_MAX], path[S_PATH_MAX];
    /* A supervisor killed by SIGKILL leaves its pid file: nobody may act on that pid. */
    s_pid_path(dir, path, sizeof path);
    unlink(path);
    bool create = !s_exists(dir, "cluster.json");
    if (create && s_cluster_create(dir, o, err, sizeof err) != 0) {
        close(lock_fd);
        return cli_fail("%s", err);
    }
    s_sup_t *sup = s_sup_new(dir, lock_fd, err, sizeof err);
    if (!sup) return cli_fail("%s", err);
    sup->created = create;
    int rc = o->foreground ? -1 : s_detach(sup);
    if (rc < 0) rc = s_supervise(sup);
    s_sup_destroy(&sup);
    return rc;
}

int cli_up(int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_up(argc, argv, &o);
    if (rc >= 0) return rc;
    bus_log_init("kubus-up");
    bus_log_set_level(o.log_level);
    char dir[S_DIR_MAX], err[S_LINE_MAX];
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
    return s_up(&o, dir, lock_fd);
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
