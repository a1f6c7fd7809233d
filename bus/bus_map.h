/* bus_map: zhashx tables keyed by 64-bit integers (request ids). The key must live inside the
 * item (the table stores a pointer to it, never a copy), so an item carries its own id. */
#pragma once

#include <czmq.h>
#include <stdbool.h>

/* A zhashx whose keys are const uint64_t * pointing into the items. */
zhashx_t *bus_map_u64_new(void);

void bus_map_test(bool verbose);
