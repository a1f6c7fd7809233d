/* kubus watch and kubus publish: events on the bus from the command line.
 *
 *   kubus watch [--dir DIR] [--name NAME] [--count N] [--duration SECONDS] [--json] PREFIX...
 *       prints every event whose topic starts with a PREFIX, once however many brokers carry it,
 *       and says when a publisher's events were lost on the way (a gap)
 *   kubus publish [--dir DIR] [--name NAME] TOPIC TYPE [JSON]
 *       publishes one event with a body of message type TYPE given as JSON
 * What a certificate may publish or watch is decided by its role (kubus keys roles). */
#include "bus_err.h"
#include "bus_events.h"
#include "bus_time.h"
#include "cli.h"
#include "kubus_schema.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *dir, *name;
    long count, duration;
    bool json;
} s_opts_t;

static int s_parse(int argc, char **argv, s_opts_t *o, int (*usage)(FILE *))
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"count", required_argument, 0, 'c'},
                                         {"duration", required_argument, 0, 'D'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:n:c:D:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'n': o->name = optarg; break;
        case 'c': o->count = strtol(optarg, NULL, 10); break;
        case 'D': o->duration = strtol(optarg, NULL, 10); break;
        case 'j': o->json = true; break;
        case 'h': usage(stdout); return -1;
        default: return usage(stderr);
        }
    }
    if (!o->dir) o->dir = cli_default_dir();
    return 0;
}

static bus_events_t *s_open(const s_opts_t *o, bus_config_t **config)
{
    char err[512];
    if (!(*config = cli_config(o->dir))) return NULL;
    bus_events_t *ev = bus_events_new(*config, o->name, err, sizeof err);
    if (!ev) {
        cli_fail("%s", err);
        bus_config_destroy(config);
    }
    return ev;
}

static int s_watch_usage(FILE *out)
{
    fprintf(out, "usage: kubus watch [--dir DIR] [--name NAME] [--count N] [--duration SECONDS] "
                 "[--json] PREFIX...\n");
    return out == stdout ? 0 : 2;
}

static void s_print_event(const bus_event_t *ev, bool json)
{
    const codec_msg_t *desc = ev->env->type ? kubus_message_by_type(ev->env->type) : NULL;
    bus_arena_t *arena = bus_arena_new(0);
    void *body = NULL;
    codec_err_t err;
    if (desc && bus_frame_body(&ev->frame, desc, arena, &body, &err) != 0) body = NULL;
    json_t *j = json_pack("{s:s, s:s, s:I}", "topic", ev->topic, "publisher", ev->env->caller,
                          "seq", (json_int_t)ev->env->seq);
    if (desc) json_object_set_new(j, "type", json_string(desc->name));
    if (body) json_object_set_new(j, "body", codec_to_json(desc, body, CODEC_JSON_REDACT));
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (json)
        puts(text);
    else
        printf("%s %s #%" PRIu64 " %s\n", ev->topic, ev->env->caller, ev->env->seq, text);
    fflush(stdout);
    free(text);
    json_decref(j);
    bus_arena_destroy(&arena);
}

int cli_watch(int argc, char **argv)
{
    s_opts_t o = {.name = "admin"};
    int rc = s_parse(argc, argv, &o, s_watch_usage);
    if (rc) return rc < 0 ? 0 : rc;
    if (optind == argc) return s_watch_usage(stderr);
    bus_config_t *config;
    bus_events_t *ev = s_open(&o, &config);
    if (!ev) return 1;
    for (int i = optind; i < argc; i++)
        if (bus_events_subscribe(ev, argv[i]) != 0) return cli_fail("bad prefix %s", argv[i]);
    uint64_t shown = 0,
             stop_at = o.duration > 0 ? bus_now_ms() + (uint64_t)o.duration * 1000 : UINT64_MAX;
    fprintf(stderr, "kubus watch: subscribed\n");
    while (!zsys_interrupted && (o.count <= 0 || shown < (uint64_t)o.count)) {
        uint64_t now = bus_now_ms();
        if (now >= stop_at) break;
        bus_event_t e;
        if (bus_events_recv(ev, &e, (int)(stop_at - now < 200 ? stop_at - now : 200)) != 0)
            continue;
        if (e.gap)
            fprintf(stderr, "kubus watch: %" PRIu64 " events of %s lost before #%" PRIu64 "\n",
                    e.gap, e.env->caller, e.env->seq);
        s_print_event(&e, o.json);
        shown++;
    }
    const bus_events_stats_t *st = bus_events_stats(ev);
    fprintf(stderr,
            "kubus watch: %" PRIu64 " events, %" PRIu64 " duplicates dropped, %" PRIu64 " lost\n",
            st->received, st->duplicates, st->missed);
    bus_events_destroy(&ev);
    bus_config_destroy(&config);
    return 0;
}

static int s_publish_usage(FILE *out)
{
    fprintf(out, "usage: kubus publish [--dir DIR] [--name NAME] [--count N] TOPIC TYPE [JSON]\n");
    return out == stdout ? 0 : 2;
}

int cli_publish(int argc, char **argv)
{
    s_opts_t o = {.name = "admin", .count = 1};
    int rc = s_parse(argc, argv, &o, s_publish_usage);
    if (rc) return rc < 0 ? 0 : rc;
    if (argc - optind < 2 || argc - optind > 3 || o.count < 1) return s_publish_usage(stderr);
    const char *topic = argv[optind], *type = argv[optind + 1];
    const codec_msg_t *desc = kubus_message_by_name(type);
    if (!desc || !desc->type) return cli_fail("no message type named %s", type);
    json_error_t jerr;
    json_t *j = json_loads(argc - optind == 3 ? argv[optind + 2] : "{}", 0, &jerr);
    if (!j) return cli_fail("the body is not JSON: %s", jerr.text);
    bus_arena_t *arena = bus_arena_new(0);
    void *body;
    codec_err_t err;
    rc = codec_from_json(desc, j, arena, &body, &err);
    json_decref(j);
    bus_config_t *config = NULL;
    bus_events_t *ev = rc ? NULL : s_open(&o, &config);
    if (rc) cli_fail("%s", err.text);
    if (ev) {
        /* A PUB socket drops what it sends before its connections are up: give them a moment. */
        bus_events_open_publisher(ev);
        zclock_sleep(500);
        for (long i = 0; i < o.count && rc == 0; i++)
            rc = bus_events_publish(ev, topic, desc, body, &err);
        if (rc) cli_fail("publish: %s", err.text);
        zclock_sleep(200); /* and a moment to flush before closing */
    }
    int status = rc || !ev ? 1 : 0;
    bus_events_destroy(&ev);
    bus_config_destroy(&config);
    bus_arena_destroy(&arena);
    return status;
}
