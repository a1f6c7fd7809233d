/* bus_role: what a certificate's role allows on the bus, from the generated role table
 * (schemas/roles.yaml). Service patterns: exact name, "prefix*", or "*". Topic patterns are
 * prefixes: a role with "/registry/" may publish or subscribe anywhere under it; "*" is all. */
#pragma once

#include "kubus_schema.h"

#include <stdbool.h>

/* The role of that name, or NULL. */
const kubus_role_t *bus_role_find(const char *name);

bool bus_role_may_serve(const kubus_role_t *role, const char *service);
bool bus_role_may_call(const kubus_role_t *role, const char *service);
bool bus_role_may_publish(const kubus_role_t *role, const char *topic, size_t topic_len);
bool bus_role_may_subscribe(const kubus_role_t *role, const char *prefix, size_t prefix_len);

/* Names of certificates, instances and services: 1..63 of [a-z0-9.-], starting alphanumeric. */
bool bus_name_valid(const char *name);

void bus_role_test(bool verbose);
