/* kubus-sim-raft: runs the deterministic Raft simulation.
 *     kubus-sim-raft [--profile NAME|all] [--seed N | --seeds FIRST-LAST | --random COUNT]
 *                    [--duration-ms MS] [-v [-v]]
 * Profiles: calm, lossy, partitions, crashes, members, leaders, chaos (all: each in turn). Prints
 * one line per seed and, for a failure, the command that replays it. --random runs COUNT seeds
 * drawn from the system's random source: the soak. Exit 1 if any seed failed. */
#include "raft_sim.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_profiles[] = {"calm",    "lossy",   "partitions", "crashes",
                                         "members", "leaders", "chaos"};

static void s_usage(FILE *out)
{
    fprintf(out, "usage: kubus-sim-raft [--profile "
                 "calm|lossy|partitions|crashes|members|leaders|chaos|all]\n"
                 "                      [--seed N | --seeds FIRST-LAST | --random COUNT] "
                 "[--duration-ms MS]\n"
                 "                      [-v [-v]]\n");
}

/* Runs one seed of one profile; prints its line. 0 ok, 1 failed, 2 no such profile. */
static int s_run(const char *profile, uint64_t seed, uint64_t duration, int verbose)
{
    raft_sim_opts_t o;
    if (raft_sim_profile(profile, seed, &o) != 0) {
        fprintf(stderr, "kubus-sim-raft: no profile %s\n", profile);
        return 2;
    }
    if (duration) o.duration_ms = duration;
    o.verbose = verbose;
    raft_sim_result_t r;
    int rc = raft_sim_run(&o, &r);
    printf("%s seed %" PRIu64 ": %s events=%" PRIu64 " ops=%" PRIu64 " ok=%" PRIu64
           " unknown=%" PRIu64 " committed=%" PRIu64 " elections=%" PRIu64 " term=%" PRIu64
           " crashes=%" PRIu64 " partitions=%" PRIu64 " snapshots=%" PRIu64 " conf=%" PRIu64
           " transfers=%" PRIu64 " digest=%016" PRIx64 "\n",
           profile, seed, rc ? "FAIL" : "ok", r.events, r.ops, r.ops_ok, r.ops_unknown, r.committed,
           r.elections, r.max_term, r.crashes, r.partitions, r.snapshots, r.conf_changes,
           r.transfers, r.digest);
    if (rc) {
        char extra[64] = "";
        if (duration) snprintf(extra, sizeof extra, " --duration-ms %" PRIu64, duration);
        printf("  %s\n  replay: kubus-sim-raft --profile %s --seed %" PRIu64 "%s -v\n", r.failure,
               profile, seed, extra);
    }
    fflush(stdout);
    return rc ? 1 : 0;
}

static uint64_t s_random_seed(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &v, sizeof v) != sizeof v) abort();
    close(fd);
    return v >> 1; /* printable as a decimal without surprise */
}

int main(int argc, char **argv)
{
    const char *profile = "chaos";
    uint64_t first = 1, last = 1, duration = 0, random = 0;
    int verbose = 0;
    static const struct option opts[] = {{"profile", required_argument, 0, 'p'},
                                         {"seed", required_argument, 0, 's'},
                                         {"seeds", required_argument, 0, 'S'},
                                         {"random", required_argument, 0, 'r'},
                                         {"duration-ms", required_argument, 0, 'd'},
                                         {"verbose", no_argument, 0, 'v'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "p:s:S:r:d:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': profile = optarg; break;
        case 's': first = last = strtoull(optarg, NULL, 10); break;
        case 'S':
            if (sscanf(optarg, "%" SCNu64 "-%" SCNu64, &first, &last) != 2 || last < first) {
                s_usage(stderr);
                return 2;
            }
            break;
        case 'r': random = strtoull(optarg, NULL, 10); break;
        case 'd': duration = strtoull(optarg, NULL, 10); break;
        case 'v': verbose++; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    size_t n = sizeof s_profiles / sizeof s_profiles[0];
    bool all = strcmp(profile, "all") == 0;
    uint64_t runs = random ? random : last - first + 1, failed = 0;
    for (uint64_t i = 0; i < runs; i++) {
        uint64_t seed = random ? s_random_seed() : first + i;
        for (size_t p = 0; p < (all ? n : 1); p++) {
            int rc = s_run(all ? s_profiles[p] : profile, seed, duration, verbose);
            if (rc == 2) return 2;
            failed += (uint64_t)rc;
        }
    }
    if (random || runs > 1)
        printf("%" PRIu64 " runs, %" PRIu64 " failed\n", runs * (all ? n : 1), failed);
    return failed ? 1 : 0;
}
