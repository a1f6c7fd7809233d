/* cli_sup: the process supervisor behind `kubus up`. It runs the "components" DIR/cluster.json
 * lists as children: brokers first, each one's output in DIR/log/NAME.log (rotated), started again
 * with back-off when it ends, stopped in order (services, then the brokers they talk through).
 * Signals reach it through a descriptor, so its loop sees them along with everything else. It does
 * not create the cluster, lock it, detach or say when the cluster is ready: cli_up.c does. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum {
    CLI_SUP_DIR_MAX = 1024, /* a cluster directory's absolute path, its terminating 0 included */
};

typedef struct cli_sup_t cli_sup_t;

/* Reads the components of DIR/cluster.json (DIR absolute and shorter than CLI_SUP_DIR_MAX),
 * finds their programs (next to this kubus binary first, then along PATH) and opens their logs.
 * Starts nothing. NULL with err set when a component is wrong or its program is missing. */
cli_sup_t *cli_sup_new(const char *dir, char *err, size_t errlen);
/* Closes the supervisor's descriptors and frees it; stop its children first (cli_sup_stop).
 * Accepts NULL and sets *self_p to NULL. */
void cli_sup_destroy(cli_sup_t **self_p);

/* How many components cluster.json lists. */
size_t cli_sup_size(const cli_sup_t *self);

/* Says that fd 2 is now DIR/log/kubus-up.log, the log of a detached supervisor: the loop then
 * rotates it as it rotates the components' logs (which is why no component may be named
 * kubus-up). */
void cli_sup_rotate_stderr(cli_sup_t *self);

/* Blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD and takes them through a descriptor; the first three
 * stop the supervisor. Also ignores SIGPIPE. Call it before any thread starts, so that no thread
 * takes them. 0, or -errno. */
int cli_sup_signals(cli_sup_t *self);

/* Starts the brokers, waits for those on ephemeral ports to report the ports they bound and writes
 * those into cluster.json (so that a broker started again binds the same ones), then starts the
 * other components. 0, or negative with err set. Returns early, with 0, when a stop signal comes
 * meanwhile: check cli_sup_stopping. */
int cli_sup_start(cli_sup_t *self, char *err, size_t errlen);

/* Waits up to timeout_ms (-1: until something happens) for signals, the components' output or a
 * restart that is due, and handles them. */
void cli_sup_pump(cli_sup_t *self, int timeout_ms);
/* Pumps until a stop signal comes. */
void cli_sup_run(cli_sup_t *self);
/* Whether a stop signal came, or cli_sup_stop ran. */
bool cli_sup_stopping(const cli_sup_t *self);

/* Appends "; broker-1 exited (status=1): <its last line>" to err for the first component that
 * exited, if any, to say why the cluster is not ready. */
void cli_sup_why(const cli_sup_t *self, char *err, size_t errlen);

/* Stops every component: SIGTERM to the services, then to the brokers; SIGKILL to whatever outlives
 * its share of 10 s. Nothing is started again afterwards. */
void cli_sup_stop(cli_sup_t *self);
