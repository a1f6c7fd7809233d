/* kubus: the cluster's command line. `kubus help` lists the commands. */
#include "bus_log.h"
#include "cli.h"
#include "cli_kube.h"

#include <czmq.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} s_commands[] = {
    {"up", cli_up, "start a cluster on this machine (creating it the first time)"},
    {"down", cli_down, "stop the cluster started by `kubus up`"},
    {"keys", cli_keys, "create and list the certificates of a cluster"},
    {"status", cli_status, "what each broker serves, and its counters"},
    {"tap", cli_tap, "watch every message on the bus"},
    {"call", cli_call, "send one request to a service and print the reply"},
    {"watch", cli_watch, "print the events under topic prefixes"},
    {"publish", cli_publish, "publish an event"},
    {"store", cli_store, "read and write the store, its members, snapshots and maintenance"},
    {"get", cli_kube, "list or show objects of the Kubernetes API (as kubectl get)"},
    {"describe", cli_kube, "show an object in detail, with its events"},
    {"apply", cli_kube, "create or update objects from manifests (-f)"},
    {"create", cli_kube, "create objects from manifests (-f)"},
    {"replace", cli_kube, "replace objects with manifests (-f)"},
    {"patch", cli_kube, "patch objects (strategic, merge or JSON patch)"},
    {"delete", cli_kube, "delete objects, and wait until they are gone"},
    {"scale", cli_kube, "set the replicas of a deployment, replica set or stateful set"},
    {"label", cli_kube, "set or remove labels"},
    {"annotate", cli_kube, "set or remove annotations"},
    {"logs", cli_kube, "print a container's log"},
    {"rollout", cli_kube, "wait for a deployment's rollout (rollout status)"},
    {"api-resources", cli_kube, "the resource types the API serves"},
    {"explain", cli_kube, "the fields of a resource type, from the API's OpenAPI schema"},
    {"auth", cli_kube, "may I? (auth can-i VERB TYPE, auth can-i --list)"},
    {"version", cli_kube, "the client's and the API server's versions"},
    {"cluster-info", cli_kube, "where the control plane and cluster services run"},
};

const char *cli_default_dir(void)
{
    static char dir[4096];
    const char *env = getenv("KUBUS_DIR");
    if (env && *env) return env;
    if (geteuid() == 0) return "/var/lib/kubus";
    const char *home = getenv("HOME");
    snprintf(dir, sizeof dir, "%s/.kubus", home && *home ? home : ".");
    return dir;
}

bus_config_t *cli_config(const char *dir)
{
    char err[512];
    bus_config_t *config = bus_config_load(dir, err, sizeof err);
    if (!config) cli_fail("%s", err);
    return config;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kubus: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus COMMAND [ARGS]   (kubus COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        fprintf(out, "  %-13s %s\n", s_commands[i].name, s_commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    /* A closed output pipe is an error to report, not a reason to die mid-write. */
    signal(SIGPIPE, SIG_IGN);
    bus_log_init("kubus");
    bus_log_set_level(BUS_LOG_WARN);
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp(argv[1], s_commands[i].name) == 0) return s_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "kubus: unknown command \"%s\"\n", argv[1]);
    s_usage(stderr);
    return 2;
}
