/* bus_map: key functions for zhashx over uint64_t. */
#include "bus_map.h"

#include <assert.h>

static size_t s_hash(const void *key)
{
    uint64_t x = *(const uint64_t *)key;
    /* splitmix64 finaliser: ids are sequential, buckets should not be. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (size_t)x;
}

static int s_compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

zhashx_t *bus_map_u64_new(void)
{
    zhashx_t *h = zhashx_new();
    zhashx_set_key_hasher(h, s_hash);
    zhashx_set_key_comparator(h, s_compare);
    zhashx_set_key_duplicator(h, NULL);
    zhashx_set_key_destructor(h, NULL);
    return h;
}

void bus_map_test(bool verbose)
{
    typedef struct {
        uint64_t id;
        int v;
    } item_t;
    item_t items[100];
    zhashx_t *h = bus_map_u64_new();
    for (int i = 0; i < 100; i++) {
        items[i].id = (uint64_t)i * 1000003u;
        items[i].v = i;
        assert(zhashx_insert(h, &items[i].id, &items[i]) == 0);
    }
    assert(zhashx_insert(h, &items[5].id, &items[5]) == -1);
    uint64_t probe = 7 * 1000003u;
    item_t *it = zhashx_lookup(h, &probe);
    assert(it && it->v == 7);
    zhashx_delete(h, &probe);
    assert(!zhashx_lookup(h, &probe) && zhashx_size(h) == 99);
    zhashx_destroy(&h);
    (void)verbose;
}
