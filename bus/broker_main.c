/* kubus-broker: runs one broker of a cluster.
 *     kubus-broker --dir DIR --name NAME [--log-level LEVEL]
 * DIR holds cluster.json, certs/ and keys/ (see `kubus keys` and `kubus up`). Stops cleanly on
 * SIGTERM or SIGINT. */
#include "bus_broker.h"
#include "bus_config.h"
#include "bus_log.h"
#include "bus_proc.h"

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kubus-broker --dir DIR --name NAME [--log-level error|warn|info|debug|trace]\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL;
    int level = BUS_LOG_INFO;
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:n:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': name = optarg; break;
        case 'l':
            if ((level = bus_log_parse_level(optarg)) < 0) {
                fprintf(stderr, "kubus-broker: unknown log level %s\n", optarg);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!dir || !name || optind != argc) {
        s_usage(stderr);
        return 2;
    }
    bus_proc_init(name, level);
    zsys_set_linger(0);
    char err[512];
    bus_config_t *config = bus_config_load(dir, err, sizeof err);
    if (!config) {
        log_error("broker.config", "error=\"%s\"", err);
        return 1;
    }
    bus_broker_t *broker = bus_broker_new(config, name, NULL, err, sizeof err);
    if (!broker) {
        log_error("broker.start", "error=\"%s\"", err);
        bus_config_destroy(&config);
        return 1;
    }
    int rc = bus_broker_run(broker);
    bus_broker_destroy(&broker);
    bus_config_destroy(&config);
    return rc == 0 ? 0 : 1;
}
