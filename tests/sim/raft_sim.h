/* raft_sim: a deterministic simulation of a Raft cluster: the real core (services/store/raft.c)
 * on simulated nodes, network, clocks and disks, driven entirely by one seed. Nodes persist,
 * then send, then apply, then advance, as the store does (a leader's appends and heartbeats leave
 * before its write, as the store sends them); a crash loses what was not synced.
 * The network drops, delays, duplicates, reorders and partitions; nodes crash and restart;
 * members are added, promoted, removed; leadership is transferred. Clients put, get,
 * compare-and-set and delete through the leader (linearizable reads by ReadIndex), retrying with
 * the same request id, and the history they saw is checked for linearizability. Invariants are
 * checked as the run goes: one leader per term, log matching, no committed entry lost, identical
 * applied prefixes; and at the end, after healing every fault, identical state on every member. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t seed;
    int nodes;            /* initial voters (3 or 5); two spares join and leave */
    uint64_t duration_ms; /* simulated time with faults, then everything heals */
    int clients;
    int keys;
    uint32_t drop_pct;     /* per message, in tenths of a percent */
    uint32_t dup_pct;      /* per message, in tenths of a percent */
    uint32_t delay_max_us; /* messages take 0.1 ms .. this */
    uint32_t partition_ms; /* mean time between partitions (0: none) */
    uint32_t crash_ms;     /* mean time between crashes (0: none) */
    uint32_t member_ms;    /* mean time between membership changes (0: none) */
    uint32_t transfer_ms;  /* mean time between leadership transfers (0: none) */
    uint32_t isolate_ms;   /* mean time between cutting the current leader off (0: none) */
    uint32_t skew_pct;     /* nodes' clocks run up to this much slower or faster */
    uint32_t fsync_max_us; /* disks take 0.1 ms .. this to sync (default 3 ms) */
    uint32_t torn_pct;     /* per mille of crashes aimed at a node in the middle of a sync */
    int verbose;           /* 1: elections, faults, membership; 2: also every append and ready */
} raft_sim_opts_t;

typedef struct {
    uint64_t events, ops, ops_ok, ops_unknown, elections, max_term, crashes, partitions, snapshots,
        conf_changes, transfers, committed;
    uint64_t digest;    /* a hash of the run, to compare two runs of one seed */
    char failure[2048]; /* empty when every check held */
} raft_sim_result_t;

/* The profiles: "calm", "lossy", "partitions", "crashes", "members", "leaders", "chaos". */
int raft_sim_profile(const char *name, uint64_t seed, raft_sim_opts_t *out);

/* Runs one simulation. 0 when every invariant and the linearizability check held. */
int raft_sim_run(const raft_sim_opts_t *opts, raft_sim_result_t *result);
