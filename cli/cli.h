/* The kubus command line: one program, one file per command group. Each command takes the
 * arguments after its name and returns the process exit code (0 ok, 1 failed, 2 usage). */
#pragma once

#include "bus_config.h"

#include <stdbool.h>

int cli_keys(int argc, char **argv);
int cli_up(int argc, char **argv);
int cli_down(int argc, char **argv);
int cli_tap(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_call(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_publish(int argc, char **argv);
int cli_store(int argc, char **argv);

/* The cluster directory: --dir, else $KUBUS_DIR, else /var/lib/kubus for root and ~/.kubus
 * otherwise. Returns a static string. */
const char *cli_default_dir(void);
/* Loads DIR/cluster.json; on failure prints why and returns NULL. */
bus_config_t *cli_config(const char *dir);
/* Prints "kubus: <message>" to stderr and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
