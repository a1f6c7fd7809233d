/* kubus-selftest: runs the selftests of every module, and the generated round-trip test of every
 * schema message. `kubus-selftest --list` names them; `kubus-selftest NAME...` runs some;
 * no argument runs all. Each prints "ok NAME" or dies with the failed assertion. */
#include "bus_arena.h"
#include "bus_cert.h"
#include "bus_client.h"
#include "bus_events.h"
#include "bus_config.h"
#include "bus_frame.h"
#include "bus_heap.h"
#include "bus_map.h"
#include "bus_zap.h"
#include "bus_role.h"
#include "bus_buf.h"
#include "bus_codec.h"
#include "bus_err.h"
#include "bus_log.h"
#include "bus_mp.h"
#include "gw.h"
#include "gw_defaults.h"
#include "gw_proto.h"
#include "gw_rbac.h"
#include "gw_sa.h"
#include "gw_table_fns.h"
#include "kube_obj.h"
#include "kube_patch.h"
#include "kube_select.h"
#include "kube_time.h"
#include "kube_valid.h"
#include "kube_yaml.h"
#include "kubus_schema.h"
#include "lincheck.h"
#include "raft_memlog.h"
#include "raft_scenario.h"
#include "selftests.h"
#include "store_kv.h"
#include "store_member.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn)(bool verbose);
} s_test_t;

static const s_test_t s_tests[] = {
#define T(name) {#name, name##_test},
    SELFTESTS(T)
#undef T
};

static int s_run(const char *name, bool verbose)
{
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++)
        if (strcmp(s_tests[i].name, name) == 0) {
            s_tests[i].fn(verbose);
            printf("ok %s\n", name);
            return 0;
        }
    for (size_t i = 0; i < kubus_schema_tests_n; i++)
        if (strcmp(kubus_schema_tests[i].name, name) == 0) {
            kubus_schema_tests[i].fn();
            printf("ok %s\n", name);
            return 0;
        }
    fprintf(stderr, "kubus-selftest: no test named %s\n", name);
    return 1;
}

int main(int argc, char **argv)
{
    bool verbose = false;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = true;
        first = 2;
    }
    bus_log_set_level(verbose ? BUS_LOG_DEBUG : BUS_LOG_ERROR);
    if (argc > first && strcmp(argv[first], "--list") == 0) {
        for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) puts(s_tests[i].name);
        for (size_t i = 0; i < kubus_schema_tests_n; i++) puts(kubus_schema_tests[i].name);
        return 0;
    }
    if (argc > first) {
        for (int i = first; i < argc; i++)
            if (s_run(argv[i], verbose)) return 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) s_run(s_tests[i].name, verbose);
    for (size_t i = 0; i < kubus_schema_tests_n; i++) s_run(kubus_schema_tests[i].name, verbose);
    return 0;
}
