/* cli_sup: the process supervisor behind `kubus up` (see cli_sup.h). Children get /dev/null as
 * stdin and a pipe as stdout+stderr, which the loop copies into their logs; they die with the
 * supervisor. Nothing here knows whether the bus works: readiness is the command's business. */
#include "cli_sup.h"

#include "bus_config.h"
#include "bus_log.h"
#include "bus_role.h"
#include "bus_time.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum {
    S_PATH_MAX = CLI_SUP_DIR_MAX + 256, /* the cluster directory and a file name under it */
    S_CHILDREN_MAX = 64,
    S_ARGS_MAX = 64,
    S_ENV_MAX = 64,
    S_ARG_LEN_MAX = 4096,
    S_TAIL_MAX = 240,
    S_IO_MAX = 65536,
};
#define S_LOG_MAX        ((off_t)10 << 20) /* a log file is rotated beyond this */
#define S_BACKOFF_MIN_MS 100u
#define S_BACKOFF_MAX_MS 10000u
#define S_STABLE_MS      30000u /* a child that ran this long starts again from the least back-off */
#define S_STOP_MS        10000u
#define S_PORTS_MS       10000      /* for brokers on ephemeral ports to report them */
#define S_OWN_LOG        "kubus-up" /* a detached supervisor's log: DIR/log/kubus-up.log */

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

struct cli_sup_t {
    char dir[CLI_SUP_DIR_MAX];
    char self_dir[PATH_MAX]; /* where this kubus binary lives: programs are looked up there first */
    s_child_t children[S_CHILDREN_MAX];
    size_t children_n;
    int sig_fd, null_fd;
    bool rotate_stderr; /* fd 2 is DIR/log/kubus-up.log */
    bool stop;          /* a stop signal came, or cli_sup_stop ran */
    bus_log_limit_t log_fail;
    char io[S_IO_MAX];
};

/* --- files ------------------------------------------------------------------------------------ */

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

/* Replaces the JSON file at path in one step (indented, as `kubus up` first wrote it), so that
 * a reader never sees half of it. */
static int s_json_write(const char *path, const json_t *doc, char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2)), tmp[S_PATH_MAX + 32];
    if (!text) abort();
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -errno : s_write_all(fd, text, strlen(text));
    if (rc == 0) rc = s_write_all(fd, "\n", 1);
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0) rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    }
    free(text);
    return rc;
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

static void s_ports_path(const cli_sup_t *self, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/run/%s.ports.json", self->dir, name);
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
static int s_resolve(const cli_sup_t *self, const char *program, char out[PATH_MAX])
{
    char found[PATH_MAX];
    if (strchr(program, '/'))
        snprintf(found, sizeof found, "%s", program);
    else
        snprintf(found, sizeof found, "%s/%s", self->self_dir, program);
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (access(found, X_OK) != 0) {
        if (strchr(program, '/') || !*path) return -1;
        const char *colon = strchrnul(path, ':');
        int len = (int)(colon - path);
        snprintf(found, sizeof found, "%.*s/%s", len ? len : 1, len ? path : ".", program);
        path = *colon ? colon + 1 : colon;
    }
    /* Absolute, because a detached supervisor runs in /. */
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

/* Fills c from one entry of "components". */
static int s_component(cli_sup_t *self, json_t *j, s_child_t *c, char *err, size_t errlen)
{
    const char *key, *name = json_string_value(json_object_get(j, "name"));
    const char *program = json_string_value(json_object_get(j, "program"));
    json_t *v, *args = json_object_get(j, "args"), *env = json_object_get(j, "env");
    /* A component's log is DIR/log/NAME.log: kubus-up would write into the supervisor's own. */
    if (!name || !bus_name_valid(name) || strcmp(name, S_OWN_LOG) == 0) {
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
    if (s_resolve(self, program, c->path) != 0) {
        snprintf(err, errlen, "component %s: no program %s next to kubus (%s) or in PATH", name,
                 program, self->self_dir);
        return -1;
    }
    const char *base = strrchr(program, '/');
    c->broker = strcmp(base ? base + 1 : program, "kubus-broker") == 0;
    c->backoff_ms = S_BACKOFF_MIN_MS;
    if (s_args(c, program, args, self->dir, err, errlen)) return -1;
    return env ? s_envp(c, env, self->dir, err, errlen) : 0;
}

/* Adds one component and opens its log. It is counted even when that fails, so that destroying
 * the supervisor frees what it got. */
static int s_add(cli_sup_t *self, json_t *j, const char *file, char *err, size_t errlen)
{
    s_child_t *c = &self->children[self->children_n++];
    c->out_fd = c->log_fd = -1;
    if (s_component(self, j, c, err, errlen) != 0) return -1;
    for (size_t k = 0; k + 1 < self->children_n; k++) {
        if (strcmp(self->children[k].name, c->name) != 0) continue;
        snprintf(err, errlen, "%s: two components named %s", file, c->name);
        return -1;
    }
    int rc = s_log_open(self->dir, c->name, &c->log_fd, &c->log_size);
    if (rc != 0)
        snprintf(err, errlen, "cannot open %s/log/%s.log: %s", self->dir, c->name, strerror(-rc));
    return rc;
}

/* A broker with a port of 0 in cluster.json binds ephemeral ports: marks the components that run
 * one. */
static void s_mark_ephemeral(cli_sup_t *self, json_t *brokers)
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
        for (size_t k = 0; name && k < self->children_n; k++) {
            s_child_t *c = &self->children[k];
            if (c->broker && strcmp(c->name, name) == 0) c->ephemeral = zero;
        }
    }
}

static int s_components(cli_sup_t *self, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", self->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, jerr.text);
        return -1;
    }
    json_t *list = json_object_get(doc, "components");
    size_t n = json_array_size(list); /* 0 when it is not an array */
    int rc = 0;
    if (n == 0 || n > S_CHILDREN_MAX) {
        snprintf(err, errlen, "%s: \"components\" must list 1 to %d processes", path,
                 S_CHILDREN_MAX);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_add(self, json_array_get(list, i), path, err, errlen);
    if (rc == 0) s_mark_ephemeral(self, json_object_get(doc, "brokers"));
    json_decref(doc);
    return rc;
}

/* --- the supervisor ------------------------------------------------------------------------- */

cli_sup_t *cli_sup_new(const char *dir, char *err, size_t errlen)
{
    cli_sup_t *self = calloc(1, sizeof *self);
    if (!self) abort();
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    self->sig_fd = -1;
    self->log_fail.burst = 1;
    self->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    ssize_t n = readlink("/proc/self/exe", self->self_dir, sizeof self->self_dir - 1);
    char *slash = n > 0 ? memrchr(self->self_dir, '/', (size_t)n) : NULL;
    if (slash) *slash = 0;
    if (self->null_fd < 0 || !slash) {
        snprintf(err, errlen, "cannot open /dev/null or read /proc/self/exe: %s", strerror(errno));
        cli_sup_destroy(&self);
    } else if (s_components(self, err, errlen) != 0) {
        cli_sup_destroy(&self);
    }
    return self;
}

void cli_sup_destroy(cli_sup_t **self_p)
{
    if (!self_p || !*self_p) return;
    cli_sup_t *self = *self_p;
    for (size_t i = 0; i < self->children_n; i++) {
        s_child_t *c = &self->children[i];
        for (char **a = c->argv; *a; a++) free(*a);
        for (char **e = c->envp; e && *e; e++) free(*e);
        free(c->envp);
        if (c->out_fd >= 0) close(c->out_fd);
        if (c->log_fd >= 0) close(c->log_fd);
    }
    if (self->sig_fd >= 0) close(self->sig_fd);
    if (self->null_fd >= 0) close(self->null_fd);
    free(self);
    *self_p = NULL;
}

size_t cli_sup_size(const cli_sup_t *self)
{
    return self->children_n;
}

void cli_sup_rotate_stderr(cli_sup_t *self)
{
    self->rotate_stderr = true;
}

bool cli_sup_stopping(const cli_sup_t *self)
{
    return self->stop;
}

/* --- children -------------------------------------------------------------------------------- */

/* Keeps the last line a child printed, made printable for an error message. */
static void s_tail(s_child_t *c, const char *buf, size_t n)
{
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    if (n == 0) return;
    size_t start = n;
    while (start > 0 && buf[start - 1] != '\n') start--;
    if (n - start >= sizeof c->tail) start = n - (sizeof c->tail - 1);
    memcpy(c->tail, buf + start, n - start);
    c->tail[n - start] = 0;
    for (char *t = c->tail; *t; t++)
        if ((unsigned char)*t < 0x20 || *t == 0x7f) *t = '?';
}

static void s_child_output(cli_sup_t *self, s_child_t *c, const char *buf, size_t n)
{
    s_tail(c, buf, n);
    int rc = 0;
    if (c->log_fd < 0) /* it could not be opened last time */
        rc = s_log_open(self->dir, c->name, &c->log_fd, &c->log_size);
    else if (c->log_size + (off_t)n > S_LOG_MAX)
        rc = s_log_rotate(self->dir, c->name, &c->log_fd, &c->log_size);
    if (rc == 0) rc = s_write_all(c->log_fd, buf, n);
    if (rc == 0)
        c->log_size += (off_t)n;
    else
        bus_log_limited(&self->log_fail, BUS_LOG_WARN, "up.log.failed", "name=%s error=\"%s\"",
                        c->name, strerror(-rc));
}

/* Reads what the child wrote; a bounded amount per call, so one chatty child cannot starve the
 * others. Closes the pipe at its end. */
static void s_child_drain(cli_sup_t *self, s_child_t *c)
{
    for (int i = 0; i < 16 && c->out_fd >= 0; i++) {
        ssize_t n = read(c->out_fd, self->io, sizeof self->io);
        if (n > 0) {
            s_child_output(self, c, self->io, (size_t)n);
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
static void s_child_exec(const cli_sup_t *self, const s_child_t *c, int out, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Dies with the supervisor; the check closes the window where the supervisor died first. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    if (dup2(self->null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(127);
    close_range(3, ~0u, 0);
    execve(c->path, c->argv, c->envp ? c->envp : environ);
    static const char msg[] = "kubus up: exec failed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

static int s_child_start(cli_sup_t *self, s_child_t *c)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) s_child_exec(self, c, fds[1], parent);
    int e = errno;
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -e;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    if (c->out_fd >= 0) { /* still held open by something the last instance started */
        s_child_drain(self, c);
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

static s_child_t *s_child_of(cli_sup_t *self, pid_t pid)
{
    for (size_t i = 0; i < self->children_n; i++)
        if (self->children[i].pid == pid) return &self->children[i];
    return NULL;
}

/* Collects every child that ended; schedules its restart unless stopping. */
static void s_reap(cli_sup_t *self)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        s_child_t *c = s_child_of(self, pid);
        if (!c) continue;
        s_child_drain(self, c);
        c->pid = 0;
        s_status_text(status, c->last_exit, sizeof c->last_exit);
        uint64_t now = bus_now_ms(), ran_ms = now - c->started_ms;
        if (self->stop) {
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

static void s_restart_due(cli_sup_t *self)
{
    uint64_t now = bus_now_ms();
    for (size_t i = 0; i < self->children_n; i++) {
        s_child_t *c = &self->children[i];
        if (c->pid || !c->restart_ms || now < c->restart_ms) continue;
        int rc = s_child_start(self, c);
        if (rc == 0) continue;
        c->restart_ms = now + c->backoff_ms;
        log_error("up.child.start.failed", "name=%s error=\"%s\" retry_in_ms=%u", c->name,
                  strerror(-rc), c->backoff_ms);
    }
}

/* --- the loop ------------------------------------------------------------------------------- */

/* Signals arrive through a descriptor, so the loop sees them with everything else. */
int cli_sup_signals(cli_sup_t *self)
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
    self->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return self->sig_fd < 0 ? -errno : 0;
}

static void s_signals(cli_sup_t *self)
{
    struct signalfd_siginfo si;
    while (read(self->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) continue;
        if (!self->stop) log_info("up.stopping", "signal=%s", sigabbrev_np((int)si.ssi_signo));
        self->stop = true;
    }
    s_reap(self);
}

/* The supervisor's own log, when detached, rotates like the children's. */
static void s_self_rotate(cli_sup_t *self)
{
    struct stat st;
    if (!self->rotate_stderr || fstat(STDERR_FILENO, &st) != 0 || st.st_size < S_LOG_MAX) return;
    int fd = -1;
    off_t size;
    if (s_log_rotate(self->dir, S_OWN_LOG, &fd, &size) == 0) dup2(fd, STDERR_FILENO);
    if (fd >= 0) close(fd);
}

/* Milliseconds until the next restart is due, capped by timeout_ms (-1: no cap). */
static int s_wait_ms(const cli_sup_t *self, int timeout_ms)
{
    uint64_t now = bus_now_ms();
    int wait = timeout_ms;
    for (size_t i = 0; i < self->children_n; i++) {
        uint64_t at = self->children[i].restart_ms;
        if (!at) continue;
        int ms = at <= now ? 0 : at - now > INT_MAX ? INT_MAX : (int)(at - now);
        if (wait < 0 || ms < wait) wait = ms;
    }
    return wait;
}

void cli_sup_pump(cli_sup_t *self, int timeout_ms)
{
    struct pollfd fds[S_CHILDREN_MAX + 1];
    s_child_t *owner[S_CHILDREN_MAX + 1];
    nfds_t n = 0;
    fds[n] = (struct pollfd){self->sig_fd, POLLIN, 0};
    owner[n++] = NULL;
    for (size_t i = 0; i < self->children_n; i++) {
        if (self->children[i].out_fd < 0) continue;
        fds[n] = (struct pollfd){self->children[i].out_fd, POLLIN, 0};
        owner[n++] = &self->children[i];
    }
    int rc = poll(fds, n, self->stop ? timeout_ms : s_wait_ms(self, timeout_ms));
    if (rc < 0 && errno != EINTR) {
        log_error("up.poll.failed", "error=\"%s\"", strerror(errno));
        poll(NULL, 0, 100); /* not a reason to stop supervising, nor to spin */
    }
    for (nfds_t i = 1; rc > 0 && i < n; i++)
        if (fds[i].revents) s_child_drain(self, owner[i]);
    if (rc > 0 && fds[0].revents) s_signals(self);
    if (!self->stop) s_restart_due(self);
    s_self_rotate(self);
}

void cli_sup_run(cli_sup_t *self)
{
    while (!self->stop) cli_sup_pump(self, -1);
}

void cli_sup_why(const cli_sup_t *self, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->children_n; i++) {
        const s_child_t *c = &self->children[i];
        if (!c->last_exit[0]) continue;
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, "; %s exited (%s): %s", c->name, c->last_exit,
                 c->tail[0] ? c->tail : "(no output)");
        return;
    }
}

/* --- starting ------------------------------------------------------------------------------- */

static int s_start_kind(cli_sup_t *self, bool brokers, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->children_n; i++) {
        s_child_t *c = &self->children[i];
        if (c->broker != brokers) continue;
        int rc = s_child_start(self, c);
        if (rc) {
            snprintf(err, errlen, "cannot start %s (%s): %s", c->name, c->path, strerror(-rc));
            return -1;
        }
    }
    return 0;
}

/* Brokers on ephemeral ports say which ones they got in DIR/run/NAME.ports.json. */
static int s_wait_ports(cli_sup_t *self, char *err, size_t errlen)
{
    uint64_t deadline = bus_now_ms() + S_PORTS_MS;
    for (size_t i = 0; i < self->children_n; i++) {
        char path[S_PATH_MAX];
        if (!self->children[i].ephemeral) continue;
        s_ports_path(self, self->children[i].name, path, sizeof path);
        /* A file appears once; polling for it briefly at start-up is simpler than inotify. */
        while (access(path, F_OK) != 0 && !self->stop) {
            if (bus_now_ms() >= deadline) {
                snprintf(err, errlen, "%s did not bind its ports within %d s",
                         self->children[i].name, S_PORTS_MS / 1000);
                cli_sup_why(self, err, errlen);
                return -1;
            }
            cli_sup_pump(self, 50);
        }
    }
    return 0;
}

/* Writes the ports ephemeral brokers got into cluster.json, so that a restarted broker binds the
 * same ones and every client keeps finding it. */
static int s_pin_ports(cli_sup_t *self, char *err, size_t errlen)
{
    char path[S_PATH_MAX];
    snprintf(path, sizeof path, "%s/cluster.json", self->dir);
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
        s_ports_path(self, name ? name : "", run, sizeof run);
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

int cli_sup_start(cli_sup_t *self, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->children_n; i++) {
        char path[S_PATH_MAX];
        if (!self->children[i].ephemeral) continue;
        s_ports_path(self, self->children[i].name, path, sizeof path);
        unlink(path); /* an earlier run's: not these ports */
    }
    int rc = s_start_kind(self, true, err, errlen);
    if (!rc) rc = s_wait_ports(self, err, errlen);
    if (!rc && !self->stop) rc = s_pin_ports(self, err, errlen);
    if (!rc && !self->stop) rc = s_start_kind(self, false, err, errlen);
    return rc;
}

/* --- stopping ------------------------------------------------------------------------------- */

static bool s_running(const cli_sup_t *self, bool brokers)
{
    for (size_t i = 0; i < self->children_n; i++)
        if (self->children[i].pid > 0 && self->children[i].broker == brokers) return true;
    return false;
}

static void s_wait_exit(cli_sup_t *self, bool brokers, uint64_t deadline_ms)
{
    uint64_t now;
    while (s_running(self, brokers) && (now = bus_now_ms()) < deadline_ms)
        cli_sup_pump(self, (int)(deadline_ms - now));
}

/* SIGTERM to one kind of children; SIGKILL to those still running at kill_ms. */
static void s_stop_kind(cli_sup_t *self, bool brokers, uint64_t kill_ms)
{
    for (size_t i = 0; i < self->children_n; i++) {
        s_child_t *c = &self->children[i];
        c->restart_ms = 0;
        if (c->pid > 0 && c->broker == brokers) kill(c->pid, SIGTERM);
    }
    s_wait_exit(self, brokers, kill_ms);
    for (size_t i = 0; i < self->children_n; i++) {
        s_child_t *c = &self->children[i];
        if (c->pid <= 0 || c->broker != brokers) continue;
        log_warn("up.child.kill", "name=%s pid=%ld", c->name, (long)c->pid);
        kill(c->pid, SIGKILL);
    }
    /* SIGKILL is quick, unless a process is stuck in the kernel: then it is left behind. */
    s_wait_exit(self, brokers, bus_now_ms() + 1000);
}

/* Services first, then the brokers they talk through, which keep a share of the S_STOP_MS
 * budget even when a service has to be killed. */
void cli_sup_stop(cli_sup_t *self)
{
    self->stop = true;
    uint64_t start = bus_now_ms();
    s_stop_kind(self, false, start + S_STOP_MS * 6 / 10);
    s_stop_kind(self, true, start + S_STOP_MS);
    for (size_t i = 0; i < self->children_n; i++) s_child_drain(self, &self->children[i]);
}
