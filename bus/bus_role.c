/* bus_role: pattern checks over the generated role table. */
#include "bus_role.h"

#include <assert.h>
#include <string.h>

const kubus_role_t *bus_role_find(const char *name)
{
    for (size_t i = 0; i < kubus_roles_n; i++)
        if (strcmp(kubus_roles[i].name, name) == 0) return &kubus_roles[i];
    return NULL;
}

static bool s_service_match(const char *const *patterns, const char *service)
{
    for (; *patterns; patterns++) {
        const char *p = *patterns;
        size_t n = strlen(p);
        if (n && p[n - 1] == '*') {
            if (strncmp(p, service, n - 1) == 0) return true;
        } else if (strcmp(p, service) == 0) {
            return true;
        }
    }
    return false;
}

static bool s_topic_match(const char *const *patterns, const char *topic, size_t len)
{
    for (; *patterns; patterns++) {
        const char *p = *patterns;
        size_t n = strlen(p);
        if (strcmp(p, "*") == 0) return true;
        if (n <= len && memcmp(p, topic, n) == 0) return true;
    }
    return false;
}

bool bus_role_may_serve(const kubus_role_t *role, const char *service)
{
    return s_service_match(role->serve, service);
}

bool bus_role_may_call(const kubus_role_t *role, const char *service)
{
    return s_service_match(role->call, service);
}

bool bus_role_may_publish(const kubus_role_t *role, const char *topic, size_t topic_len)
{
    return s_topic_match(role->publish, topic, topic_len);
}

bool bus_role_may_subscribe(const kubus_role_t *role, const char *prefix, size_t prefix_len)
{
    return s_topic_match(role->subscribe, prefix, prefix_len);
}

bool bus_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '.'))) return false;
    }
    return true;
}

void bus_role_test(bool verbose)
{
    const kubus_role_t *admin = bus_role_find("admin"), *node = bus_role_find("node"),
                       *tap = bus_role_find("tap"), *store = bus_role_find("store");
    assert(admin && node && tap && store && !bus_role_find("root"));
    assert(bus_role_may_call(admin, "anything"));
    assert(!bus_role_may_serve(admin, "store"));
    /* A node agent may not register as the store; the store may. */
    assert(!bus_role_may_serve(node, "store") && bus_role_may_serve(store, "store"));
    assert(bus_role_may_publish(store, "/registry/pods/a/b", 18));
    assert(!bus_role_may_publish(node, "/registry/pods/a/b", 18));
    /* Topic prefixes: a narrower subscription inside an allowed prefix is fine, a wider one not. */
    assert(bus_role_may_subscribe(node, "/registry/pods/", 15));
    assert(!bus_role_may_subscribe(node, "/regis", 6));
    assert(!bus_role_may_subscribe(node, "", 0));
    assert(bus_role_may_subscribe(admin, "", 0));
    assert(tap->tap && !admin->tap);
    assert(!bus_role_may_call(tap, "echo") && !bus_role_may_subscribe(tap, "/", 1));

    assert(bus_name_valid("node-1") && bus_name_valid("a") && bus_name_valid("broker.2"));
    assert(!bus_name_valid("") && !bus_name_valid("-x") && !bus_name_valid("Upper"));
    assert(!bus_name_valid("a/b") && !bus_name_valid("a b") && !bus_name_valid(NULL));
    (void)verbose;
}
