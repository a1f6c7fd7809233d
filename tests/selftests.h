/* The list of module selftests, in dependency order: each module's test may rely on the ones
 * before it. Add a module here when it gets a selftest. */
#pragma once

#include <stdbool.h>

#define SELFTESTS(T) \
    T(bus_err)       \
    T(bus_log)       \
    T(bus_arena)     \
    T(bus_buf)       \
    T(bus_mp)        \
    T(bus_codec)     \
    T(bus_frame)     \
    T(bus_role)      \
    T(bus_cert)      \
    T(bus_config)    \
    T(bus_heap)      \
    T(bus_map)       \
    T(bus_zap)       \
    T(bus_client)    \
    T(bus_events)    \
    T(kube_obj)      \
    T(kube_time)     \
    T(kube_valid)    \
    T(kube_select)   \
    T(kube_patch)    \
    T(kube_yaml)     \
    T(gw_table_fns)  \
    T(gw_defaults)   \
    T(gw_rbac)       \
    T(gw_proto)      \
    T(gw_seal)       \
    T(gw_sa)         \
    T(store_kv)      \
    T(lincheck)      \
    T(raft_memlog)   \
    T(raft_scenario) \
    T(store_member)
