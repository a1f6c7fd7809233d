/* kubus tap: watch the control plane talk. Merges the taps of every broker, decodes each frame
 * with the schema tables, filters, and prints one line (or one JSON object) per message, with
 * gaps and rates. Sensitive fields are redacted.
 *
 *   kubus tap [--dir DIR] [--name NAME] [--service S]... [--type T]... [--kind K]...
 *             [--topic PREFIX] [--heartbeats] [--json] [--count N] [--duration SECONDS] [--stats]
 */
#include "bus_config.h"
#include "bus_err.h"
#include "bus_tap.h"
#include "bus_time.h"
#include "cli.h"

#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_FILTERS_MAX 16
#define S_RATES_MAX   256

typedef struct {
    const char *dir, *name, *topic;
    const char *services[S_FILTERS_MAX], *types[S_FILTERS_MAX], *kinds[S_FILTERS_MAX];
    size_t services_n, types_n, kinds_n;
    bool heartbeats, json, stats;
    long count, duration;
} s_opts_t;

typedef struct {
    char key[96];
    uint64_t n, last_n;
} s_rate_t;

typedef struct {
    s_rate_t rates[S_RATES_MAX];
    size_t rates_n;
    uint64_t records, gaps, lost;
} s_totals_t;

static int s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kubus tap [--dir DIR] [--name NAME] [--service S]... [--type T]... [--kind K]...\n"
        "                 [--topic PREFIX] [--heartbeats] [--json] [--count N] [--duration "
        "SECONDS]\n"
        "                 [--stats]\n"
        "  --service   requests and replies of a service (repeatable)\n"
        "  --type      messages of a type, by name (echo.request) or number (repeatable)\n"
        "  --kind      request, reply, ready, heartbeat, disconnect, reset, event (repeatable)\n"
        "  --topic     events whose topic starts with PREFIX\n"
        "  --heartbeats  show heartbeats too (hidden by default)\n"
        "  --json      one JSON object per line\n"
        "  --count     stop after N messages; --duration: after SECONDS\n"
        "  --stats     instead of messages, print rates per kind/service each second\n");
    return out == stdout ? 0 : 2;
}

static bool s_in(const char *const *list, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (v && strcmp(list[i], v) == 0) return true;
    return false;
}

static const char *s_enum(const codec_enum_t *en, uint32_t v)
{
    const char *name = codec_enum_name(en, v);
    return name ? name : "?";
}

static const char *s_kind(const bus_tap_rec_t *r)
{
    return r->frame_rc ? "malformed" : s_enum(&bus_kind_enum, r->frame.env->kind);
}

static bool s_wanted(const s_opts_t *o, const bus_tap_rec_t *r)
{
    const char *kind = s_kind(r);
    if (!o->heartbeats && strcmp(kind, "heartbeat") == 0 && !s_in(o->kinds, o->kinds_n, kind))
        return false;
    if (o->kinds_n && !s_in(o->kinds, o->kinds_n, kind)) return false;
    if (o->services_n) {
        /* The broker names records "KIND/SERVICE", replies included. */
        const char *slash = strchr(r->topic, '/');
        if (!slash || !s_in(o->services, o->services_n, slash + 1)) return false;
    }
    if (o->topic && (r->frame_rc || !r->frame.topic || r->frame.topic_len < strlen(o->topic) ||
                     memcmp(r->frame.topic, o->topic, strlen(o->topic)) != 0))
        return false;
    if (o->types_n) {
        char num[16];
        snprintf(num, sizeof num, "%u", r->frame_rc ? 0 : r->frame.env->type);
        if (!s_in(o->types, o->types_n, num) &&
            !(r->desc && s_in(o->types, o->types_n, r->desc->name)))
            return false;
    }
    return true;
}

static json_t *s_json(const bus_tap_rec_t *r)
{
    json_t *j =
        json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "broker",
                  r->rec->broker ? r->rec->broker : "", "seq", (json_int_t)r->rec->seq, "time_us",
                  (json_int_t)r->rec->time_us, "socket", s_enum(&bus_socket_enum, r->rec->socket),
                  "direction", s_enum(&bus_direction_enum, r->rec->direction), "peer",
                  r->rec->peer ? r->rec->peer : "", "topic", r->topic, "kind", s_kind(r), "bytes",
                  (json_int_t)r->raw_len);
    if (r->frame_rc) return j;
    const bus_envelope_t *e = r->frame.env;
    if (e->service) json_object_set_new(j, "service", json_string(e->service));
    uint64_t rid = r->rec->request_rid ? r->rec->request_rid : e->rid;
    if (rid) json_object_set_new(j, "rid", json_integer((json_int_t)rid));
    if (e->status) json_object_set_new(j, "status", json_integer(e->status));
    if (e->error) json_object_set_new(j, "error", json_string(e->error));
    if (e->served_by) json_object_set_new(j, "served_by", json_string(e->served_by));
    if (e->type)
        json_object_set_new(j, "type",
                            r->desc ? json_string(r->desc->name) : json_integer(e->type));
    if (r->body)
        json_object_set_new(j, "body",
                            codec_to_json(r->desc, r->body, CODEC_JSON_REDACT | CODEC_JSON_BRIEF));
    return j;
}

static void s_print(const bus_tap_rec_t *r)
{
    time_t secs = (time_t)(r->rec->time_us / 1000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    printf("%s.%06u %s #%" PRIu64 " %-3s %-9s %-22s", when, (unsigned)(r->rec->time_us % 1000000),
           r->rec->broker ? r->rec->broker : "?", r->rec->seq,
           s_enum(&bus_direction_enum, r->rec->direction), s_kind(r),
           r->rec->peer && *r->rec->peer ? r->rec->peer : "-");
    if (r->frame_rc) {
        printf(" %zu bytes\n", r->raw_len);
        return;
    }
    const bus_envelope_t *e = r->frame.env;
    if (e->service) printf(" %s", e->service);
    if (e->instance) printf("@%s", e->instance);
    if (r->frame.topic) printf(" %.*s", (int)r->frame.topic_len, r->frame.topic);
    /* A worker's reply carries the broker's id; show the caller's, which its request line has. */
    uint64_t rid = r->rec->request_rid ? r->rec->request_rid : e->rid;
    if (rid) printf(" rid=%" PRIu64, rid);
    if (e->served_by) printf(" by=%s", e->served_by);
    if (e->status)
        printf(" status=%s error=\"%s\"", bus_err_reason(e->status), e->error ? e->error : "");
    if (r->body) {
        char *text = codec_print(r->desc, r->body, CODEC_JSON_REDACT | CODEC_JSON_BRIEF);
        printf(" %s", text);
        free(text);
    } else if (e->type) {
        printf(" type=%u (%zu bytes)", e->type, r->frame.body_len);
    }
    printf("\n");
}

static void s_count_rate(s_totals_t *t, const bus_tap_rec_t *r)
{
    char key[96];
    snprintf(key, sizeof key, "%s/%s", s_kind(r),
             r->frame_rc             ? ""
             : r->frame.env->service ? r->frame.env->service
                                     : "");
    size_t i = 0;
    while (i < t->rates_n && strcmp(t->rates[i].key, key)) i++;
    if (i == t->rates_n) {
        if (t->rates_n == S_RATES_MAX) return;
        snprintf(t->rates[t->rates_n++].key, sizeof key, "%s", key);
    }
    t->rates[i].n++;
}

static void s_print_rates(s_totals_t *t, double secs)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char when[16];
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    printf("%s", when);
    for (size_t i = 0; i < t->rates_n; i++) {
        printf("  %s %.0f/s", t->rates[i].key, (double)(t->rates[i].n - t->rates[i].last_n) / secs);
        t->rates[i].last_n = t->rates[i].n;
    }
    printf("\n");
    fflush(stdout);
}

static int s_parse(int argc, char **argv, s_opts_t *o)
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"service", required_argument, 0, 's'},
                                         {"type", required_argument, 0, 't'},
                                         {"kind", required_argument, 0, 'k'},
                                         {"topic", required_argument, 0, 'T'},
                                         {"heartbeats", no_argument, 0, 'H'},
                                         {"json", no_argument, 0, 'j'},
                                         {"count", required_argument, 0, 'c'},
                                         {"duration", required_argument, 0, 'D'},
                                         {"stats", no_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:n:s:t:k:T:Hjc:D:Sh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'n': o->name = optarg; break;
        case 's':
            if (o->services_n == S_FILTERS_MAX) return s_usage(stderr);
            o->services[o->services_n++] = optarg;
            break;
        case 't':
            if (o->types_n == S_FILTERS_MAX) return s_usage(stderr);
            o->types[o->types_n++] = optarg;
            break;
        case 'k':
            if (o->kinds_n == S_FILTERS_MAX) return s_usage(stderr);
            o->kinds[o->kinds_n++] = optarg;
            break;
        case 'T': o->topic = optarg; break;
        case 'H': o->heartbeats = true; break;
        case 'j': o->json = true; break;
        case 'c': o->count = strtol(optarg, NULL, 10); break;
        case 'D': o->duration = strtol(optarg, NULL, 10); break;
        case 'S': o->stats = true; break;
        case 'h': return s_usage(stdout) - 1;
        default: return s_usage(stderr);
        }
    }
    return optind == argc ? 0 : s_usage(stderr);
}

int cli_tap(int argc, char **argv)
{
    s_opts_t o = {.name = "tap"};
    int rc = s_parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    if (!o.dir) o.dir = cli_default_dir();
    char err[512];
    bus_config_t *config = cli_config(o.dir);
    if (!config) return 1;
    bus_tap_t *tap = bus_tap_new(config, o.name, err, sizeof err);
    if (!tap) {
        bus_config_destroy(&config);
        return cli_fail("%s", err);
    }
    /* The whole stream, filtered here: a broker numbers every record it taps, so only a tap that
     * sees them all can tell a drop from a record that was filtered out. */
    bus_tap_subscribe(tap, "");
    size_t hellos = 0;
    s_totals_t t = {0};
    uint64_t start = bus_now_ms(), last_rate = start, shown = 0;
    uint64_t stop_at = o.duration > 0 ? start + (uint64_t)o.duration * 1000 : UINT64_MAX;
    while (!zsys_interrupted && (o.count <= 0 || shown < (uint64_t)o.count)) {
        uint64_t now = bus_now_ms();
        if (now >= stop_at) break;
        if (o.stats && now - last_rate >= 1000) {
            s_print_rates(&t, (double)(now - last_rate) / 1000.0);
            last_rate = now;
        }
        bus_tap_rec_t r;
        int wait = (int)(stop_at - now < 200 ? stop_at - now : 200);
        if (bus_tap_recv(tap, &r, wait) != 0) continue;
        if (r.gap) {
            t.gaps++;
            t.lost += r.gap;
            fprintf(stderr, "kubus tap: %s dropped %" PRIu64 " records before #%" PRIu64 "\n",
                    r.rec->broker ? r.rec->broker : "?", r.gap, r.rec->seq);
        }
        if (r.hello) {
            if (++hellos == config->brokers_n)
                fprintf(stderr, "kubus tap: attached to %zu broker%s\n", config->brokers_n,
                        config->brokers_n == 1 ? "" : "s");
            continue;
        }
        t.records++;
        if (!s_wanted(&o, &r)) continue;
        shown++;
        s_count_rate(&t, &r);
        if (o.stats) continue;
        if (o.json) {
            json_t *j = s_json(&r);
            char *text = json_dumps(j, JSON_COMPACT);
            puts(text);
            free(text);
            json_decref(j);
        } else {
            s_print(&r);
        }
        fflush(stdout);
    }
    fprintf(stderr,
            "kubus tap: %" PRIu64 " shown of %" PRIu64 " records, %" PRIu64 " gaps (%" PRIu64
            " records lost)\n",
            shown, t.records, t.gaps, t.lost);
    bus_tap_destroy(&tap);
    bus_config_destroy(&config);
    return 0;
}
