/* kubus status and kubus call: requests to the bus from the command line.
 *
 *   kubus status [--dir DIR] [--name NAME] [--broker B] [--json] [--metrics]
 *       each broker's services, workers and counters (the broker answers service "broker")
 *   kubus call [--dir DIR] [--name NAME] [--instance I] [--timeout MS] SERVICE TYPE [JSON]
 *       one request with a body of message type TYPE (e.g. echo.request) given as JSON;
 *       prints the reply's body as JSON. */
#include "bus_client.h"
#include "bus_err.h"
#include "cli.h"
#include "kubus_schema.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *dir, *name, *broker, *instance;
    long timeout_ms;
    bool json, metrics;
} s_opts_t;

static int s_parse(int argc, char **argv, s_opts_t *o, int (*usage)(FILE *))
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"broker", required_argument, 0, 'b'},
                                         {"instance", required_argument, 0, 'i'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"metrics", no_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:n:b:i:t:jmh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'n': o->name = optarg; break;
        case 'b': o->broker = optarg; break;
        case 'i': o->instance = optarg; break;
        case 't': o->timeout_ms = strtol(optarg, NULL, 10); break;
        case 'j': o->json = true; break;
        case 'm': o->metrics = true; break;
        case 'h': usage(stdout); return -1;
        default: return usage(stderr);
        }
    }
    if (!o->dir) o->dir = cli_default_dir();
    if (o->timeout_ms <= 0 || o->timeout_ms > 3600000) o->timeout_ms = 5000;
    return 0;
}

/* Loads the config and connects; on failure prints why and returns NULL. */
static bus_client_t *s_connect(const s_opts_t *o, bus_config_t **config)
{
    char err[512];
    if (!(*config = cli_config(o->dir))) return NULL;
    bus_client_t *client = bus_client_new(*config, o->name, err, sizeof err);
    if (!client) {
        cli_fail("%s", err);
        bus_config_destroy(config);
    }
    return client;
}

static int s_status_usage(FILE *out)
{
    fprintf(out,
            "usage: kubus status [--dir DIR] [--name NAME] [--broker B] [--json] [--metrics]\n");
    return out == stdout ? 0 : 2;
}

static void s_status_print(const bus_status_reply_t *st)
{
    printf("broker %s: up %" PRIu64 " s, %u connections, %u requests in flight\n", st->broker,
           st->uptime_ms / 1000, st->peers, st->inflight);
    const bus_service_status_t *svc = st->services.v;
    if (!st->services.n) printf("  no services\n");
    for (size_t i = 0; i < st->services.n; i++) {
        printf("  %-20s %zu worker%s, %u queued\n", svc[i].name, svc[i].workers.n,
               svc[i].workers.n == 1 ? "" : "s", svc[i].queued);
        const bus_worker_status_t *w = svc[i].workers.v;
        for (size_t k = 0; k < svc[i].workers.n; k++)
            printf("    %-30s %u/%u in flight\n", w[k].name, w[k].inflight, w[k].credits);
    }
}

int cli_status(int argc, char **argv)
{
    s_opts_t o = {.name = "admin"};
    int rc = s_parse(argc, argv, &o, s_status_usage);
    if (rc) return rc < 0 ? 0 : rc;
    if (optind != argc) return s_status_usage(stderr);
    bus_config_t *config;
    bus_client_t *client = s_connect(&o, &config);
    if (!client) return 1;
    bus_arena_t *arena = bus_arena_new(0);
    json_t *all = json_array();
    int failed = 0;
    for (size_t i = 0; i < config->brokers_n; i++) {
        const char *b = config->brokers[i].name;
        if (o.broker && strcmp(o.broker, b) != 0) continue;
        bus_status_request_t req = {0};
        bus_call_t call = {.service = "broker",
                           .instance = b,
                           .desc = &bus_status_request_desc,
                           .body = &req,
                           .timeout_ms = (uint32_t)o.timeout_ms};
        bus_in_t in;
        codec_err_t err;
        bus_status_reply_t *st;
        if (bus_client_call(client, &call, &in, &err) != 0 ||
            bus_frame_body(&in.frame, &bus_status_reply_desc, arena, (void **)&st, &err) != 0) {
            failed = cli_fail("broker %s: %s", b, err.text);
            continue;
        }
        if (o.metrics)
            fputs(st->metrics ? st->metrics : "", stdout);
        else if (o.json)
            json_array_append_new(all,
                                  codec_to_json(&bus_status_reply_desc, st, CODEC_JSON_REDACT));
        else
            s_status_print(st);
        bus_arena_reset(arena);
    }
    if (o.json) {
        /* One broker asked for: its object; otherwise the list. */
        json_t *out = o.broker && json_array_size(all) == 1 ? json_array_get(all, 0) : all;
        char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(text);
        free(text);
    }
    json_decref(all);
    bus_arena_destroy(&arena);
    bus_client_destroy(&client);
    bus_config_destroy(&config);
    return failed;
}

static int s_call_usage(FILE *out)
{
    fprintf(out, "usage: kubus call [--dir DIR] [--name NAME] [--instance I] [--timeout MS] "
                 "SERVICE TYPE [JSON]\n"
                 "  TYPE is a message name such as echo.request; JSON its body (default {}).\n");
    return out == stdout ? 0 : 2;
}

int cli_call(int argc, char **argv)
{
    s_opts_t o = {.name = "admin"};
    int rc = s_parse(argc, argv, &o, s_call_usage);
    if (rc) return rc < 0 ? 0 : rc;
    if (argc - optind < 2 || argc - optind > 3) return s_call_usage(stderr);
    const char *service = argv[optind], *type = argv[optind + 1];
    const codec_msg_t *desc = kubus_message_by_name(type);
    if (!desc || !desc->type) return cli_fail("no message type named %s", type);
    json_error_t jerr;
    json_t *j = json_loads(argc - optind == 3 ? argv[optind + 2] : "{}", 0, &jerr);
    if (!j) return cli_fail("the body is not JSON: %s", jerr.text);
    bus_arena_t *arena = bus_arena_new(0);
    void *body;
    codec_err_t err;
    if (codec_from_json(desc, j, arena, &body, &err) != 0) {
        json_decref(j);
        bus_arena_destroy(&arena);
        return cli_fail("%s", err.text);
    }
    json_decref(j);
    bus_config_t *config;
    bus_client_t *client = s_connect(&o, &config);
    if (!client) {
        bus_arena_destroy(&arena);
        return 1;
    }
    bus_call_t call = {.service = service,
                       .instance = o.instance,
                       .desc = desc,
                       .body = body,
                       .timeout_ms = (uint32_t)o.timeout_ms};
    bus_in_t in;
    rc = bus_client_call(client, &call, &in, &err);
    if (rc) {
        cli_fail("call %s: %s (%s)", service, err.text, bus_err_reason(rc));
    } else {
        const codec_msg_t *rdesc = in.env->type ? kubus_message_by_type(in.env->type) : NULL;
        void *reply = NULL;
        if (rdesc && bus_frame_body(&in.frame, rdesc, arena, &reply, &err) == 0) {
            json_t *out = codec_to_json(rdesc, reply, CODEC_JSON_REDACT);
            char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", text);
            free(text);
            json_decref(out);
        } else {
            printf("{}\n");
        }
    }
    bus_client_destroy(&client);
    bus_config_destroy(&config);
    bus_arena_destroy(&arena);
    return rc ? 1 : 0;
}
