/* kubus-gateway: the Kubernetes API.
 *     kubus-gateway --dir DIR --name NAME [--listen HOST:PORT] [--plain HOST:PORT]
 *                   [--cert FILE --key FILE] [--log-level LEVEL]
 * Serves HTTPS on --listen (default 127.0.0.1:6443; certificate DIR/pki/gateway.crt and key
 * DIR/pki/gateway.key unless given) and, when asked, plain HTTP on --plain (loopback only).
 * Runs on the bus as the certificate NAME (role gateway); bearer tokens come from
 * DIR/tokens.csv. */
#include "gw.h"
#include "gw_sa.h"

#include "bus_err.h"
#include "bus_log.h"
#include "bus_proc.h"

#include <czmq.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus-gateway --dir DIR --name NAME [--listen HOST:PORT] "
                 "[--plain HOST:PORT]\n"
                 "                     [--cert FILE --key FILE] [--log-level LEVEL]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"plain", required_argument, 0, 'p'},
                                         {"cert", required_argument, 0, 'c'},
                                         {"key", required_argument, 0, 'k'},
                                         {"log-level", required_argument, 0, 'v'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL, *name = NULL, *listen = "127.0.0.1:6443", *plain = NULL;
    const char *cert = NULL, *key = NULL;
    int c, level = BUS_LOG_INFO;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': name = optarg; break;
        case 'l': listen = optarg; break;
        case 'p': plain = optarg; break;
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'v':
            if ((level = bus_log_parse_level(optarg)) < 0) {
                fprintf(stderr, "kubus-gateway: unknown log level %s\n", optarg);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!dir || !name || optind < argc) {
        s_usage(stderr);
        return 2;
    }
    bus_proc_init(name, level);
    if (sodium_init() < 0) abort();
    char err[1024];
    static gw_t gw;
    gw.dir = dir;
    snprintf(gw.name, sizeof gw.name, "%s", name);
    gw.svc = bus_service_new(dir, name, err, sizeof err);
    if (!gw.svc) {
        log_error("gateway.start", "error=\"%s\"", err);
        return 1;
    }
    char cert_path[4096], key_path[4096];
    snprintf(cert_path, sizeof cert_path, "%s/pki/gateway.crt", dir);
    snprintf(key_path, sizeof key_path, "%s/pki/gateway.key", dir);
    gw_listen_t listens[2] = {{.addr = (char *)listen,
                               .tls = true,
                               .cert = cert ? cert : cert_path,
                               .key = key ? key : key_path}};
    int n = 1;
    if (plain) listens[n++] = (gw_listen_t){.addr = (char *)plain, .tls = false};
    if (!strcmp(listen, "none")) {
        listens[0] = listens[1];
        n--;
    }
    int rc = 1;
    if (gw_auth_load(&gw, err, sizeof err) || gw_seal_init(dir, err, sizeof err) ||
        gw_sa_init(dir, err, sizeof err) || gw_api_init(&gw, err, sizeof err) ||
        gw_watch_init(&gw) || gw_authz_init(&gw) ||
        gw_http_start(&gw, listens, n, err, sizeof err)) {
        log_error("gateway.start", "error=\"%s\"", err);
    } else {
        log_info("gateway.ready", "name=%s", name);
        gw_rest_bootstrap(&gw);
        rc = bus_service_run(gw.svc) ? 1 : 0;
    }
    gw.stopping = true;
    gw_watch_stop();
    bus_service_destroy(&gw.svc); /* pending store calls answer 503 and resume their requests */
    /* libmicrohttpd refuses to stop with suspended connections: let it take up the resumed. */
    for (int i = 0; i < 3; i++) gw_http_run(&gw);
    gw_http_stop(&gw);
    gw_watch_free();
    gw_authz_free();
    gw_sa_free();
    gw_api_free(&gw);
    json_decref(gw.tokens);
    log_info("gateway.stopped", "name=%s", name);
    return rc;
}
