/* kubus-store: a member of the store.
 *     kubus-store --dir DIR --name NAME [--data PATH] [--initial NAME,NAME,...] [--cluster-id HEX]
 *                 [--tick-ms MS] [--election-ticks N] [--map-bytes N] [--quota-bytes N]
 *                 [--snapshot-entries N] [--catchup-entries N] [--compact-interval SECONDS]
 *                 [--log-level LEVEL]
 * Runs as the certificate NAME (role store) with its data in PATH (default DIR/data/NAME). The
 * first start of the first members names them all with --initial; a member added later starts
 * without it and waits to be added (`kubus store member add NAME`). The cluster id comes from
 * --cluster-id or cluster.json's store.cluster_id; data of another cluster is refused. As leader
 * it compacts the history every --compact-interval seconds (default 300, as kube-apiserver
 * compacts etcd; 0: only when asked) to the revision of the interval before. */
#include "bus_config.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_proc.h"
#include "store_service.h"

#include <czmq.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_INITIAL_MAX 16

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: kubus-store --dir DIR --name NAME [--data PATH] [--initial NAME,NAME,...]\n"
            "                   [--cluster-id HEX] [--tick-ms MS] [--election-ticks N]\n"
            "                   [--map-bytes N] [--quota-bytes N] [--snapshot-entries N]\n"
            "                   [--catchup-entries N] [--compact-interval SECONDS]\n"
            "                   [--log-level LEVEL]\n");
}

static int s_number(const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* The cluster id from cluster.json's "store": {"cluster_id": "HEX"}, or 0. */
static uint64_t s_cluster_id(const char *dir)
{
    char err[512];
    bus_config_t *config = bus_config_load(dir, err, sizeof err);
    if (!config) return 0;
    json_t *store = json_object_get(config->doc, "store");
    const char *hex = json_string_value(json_object_get(store, "cluster_id"));
    uint64_t id = hex ? strtoull(hex, NULL, 16) : 0;
    bus_config_destroy(&config);
    return id;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *name = NULL, *data = NULL, *initial = NULL;
    uint64_t cluster = 0, tick_ms = 50, election = 10, map = 0, quota = 0, snap = 0, catchup = 0,
             compact_s = 300;
    int level = BUS_LOG_INFO;
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"name", required_argument, 0, 'n'},
                                         {"data", required_argument, 0, 'D'},
                                         {"initial", required_argument, 0, 'i'},
                                         {"cluster-id", required_argument, 0, 'c'},
                                         {"tick-ms", required_argument, 0, 't'},
                                         {"election-ticks", required_argument, 0, 'e'},
                                         {"map-bytes", required_argument, 0, 'm'},
                                         {"quota-bytes", required_argument, 0, 'q'},
                                         {"snapshot-entries", required_argument, 0, 's'},
                                         {"catchup-entries", required_argument, 0, 'C'},
                                         {"compact-interval", required_argument, 0, 'k'},
                                         {"log-level", required_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "d:n:D:i:c:t:e:m:q:s:C:k:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'n': name = optarg; break;
        case 'D': data = optarg; break;
        case 'i': initial = optarg; break;
        case 'c': cluster = strtoull(optarg, NULL, 16); break;
        case 't': bad |= s_number(optarg, 1, 10000, &tick_ms); break;
        case 'e': bad |= s_number(optarg, 3, 1000, &election); break;
        case 'm': bad |= s_number(optarg, 1 << 20, UINT64_MAX, &map); break;
        case 'q': bad |= s_number(optarg, 1 << 20, UINT64_MAX, &quota); break;
        case 's': bad |= s_number(optarg, 10, UINT64_MAX, &snap); break;
        case 'C': bad |= s_number(optarg, 1, UINT64_MAX, &catchup); break;
        case 'k': bad |= s_number(optarg, 0, 1000000, &compact_s); break;
        case 'l': level = bus_log_parse_level(optarg); break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!dir || !name || bad || level < 0 || optind != argc) {
        s_usage(stderr);
        return 2;
    }
    bus_proc_init(name, level);
    char data_buf[4096];
    if (!data) {
        snprintf(data_buf, sizeof data_buf, "%s/data", dir);
        mkdir(data_buf, 0700);
        snprintf(data_buf, sizeof data_buf, "%s/data/%s", dir, name);
        data = data_buf;
    }
    if (!cluster) cluster = s_cluster_id(dir);
    if (!cluster) {
        log_error("store.start", "error=\"no cluster id: give --cluster-id or set store.cluster_id "
                                 "in cluster.json\"");
        return 2;
    }
    /* --initial a,b,c */
    char list[1024];
    const char *names[S_INITIAL_MAX];
    size_t names_n = 0;
    if (initial) {
        snprintf(list, sizeof list, "%s", initial);
        for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (names_n == S_INITIAL_MAX) {
                log_error("store.start", "error=\"at most %d initial members\"", S_INITIAL_MAX);
                return 2;
            }
            names[names_n++] = t;
        }
    }
    store_service_config_t cfg = {.dir = dir,
                                  .tick_ms = (uint32_t)tick_ms,
                                  .member = {.data_dir = data,
                                             .name = name,
                                             .cluster = cluster,
                                             .initial = names,
                                             .initial_n = names_n,
                                             .map_bytes = map,
                                             .quota_bytes = quota,
                                             .election_ticks = (uint32_t)election,
                                             .snapshot_entries = snap,
                                             .catchup_entries = catchup,
                                             .compact_ticks = compact_s * 1000 / tick_ms}};
    char err[1024];
    store_service_t *svc = store_service_new(&cfg, err, sizeof err);
    if (!svc) {
        log_error("store.start", "error=\"%s\"", err);
        return 1;
    }
    log_info("store.started", "data=%s cluster=%016" PRIx64, data, cluster);
    int rc = store_service_run(svc);
    store_service_destroy(&svc);
    log_info("store.stopped", "status=%d", rc);
    return rc == 0 ? 0 : 1;
}
