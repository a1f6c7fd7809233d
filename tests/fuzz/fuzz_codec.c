/* fuzz_codec: one message body without a frame around it. The first byte picks the description
 * (index into kubus_messages[], modulo their number), the rest is decoded as that message. The
 * raw bytes are also walked value by value with bus_mp_skip, which must stay inside them, and a
 * message that decodes must be one msgpack value that bus_mp_skip accepts whole. */
#include "bus_mp.h"
#include "fuzz_check.h"
#include "kubus_schema.h"

#include <stdbool.h>
#include <stdint.h>

/* Deep enough for any message that decodes: CODEC_DEPTH_MAX nested messages, each with a list,
 * plus an unknown tag at the bottom holding BUS_MP_DEPTH_MAX levels of its own. */
#define S_SKIP_DEPTH (2 * CODEC_DEPTH_MAX + BUS_MP_DEPTH_MAX + 8)

static bus_arena_t *s_arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_arena = bus_arena_new(FUZZ_ARENA_MAX);
    fuzz_check_init();
    return 0;
}

/* Skips values until the bytes end or one is malformed; every step moves forward, in bounds. */
static void s_walk(const codec_msg_t *desc, const uint8_t *data, size_t len)
{
    bus_mp_t r;
    bus_mp_init(&r, data, len);
    while (bus_mp_left(&r)) {
        const uint8_t *before = r.p;
        int rc = bus_mp_skip(&r, BUS_MP_DEPTH_MAX);
        if (r.p > r.end || r.p < (const uint8_t *)data)
            fuzz_check_fail(desc, "skip left the buffer", NULL);
        if (rc) {
            if (rc != BUS_EMALFORMED)
                fuzz_check_fail(desc, "skip failed with an undocumented code", NULL);
            return;
        }
        if (r.p == before) fuzz_check_fail(desc, "skip succeeded without moving", NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const codec_msg_t *desc = kubus_messages[data[0] % kubus_messages_n];
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    s_walk(desc, data, size);
    s_walk(desc, body, len);

    bus_arena_reset(s_arena);
    codec_err_t err = {{0}};
    void *m = NULL;
    int rc = codec_decode(desc, body, len, s_arena, &m, &err);
    if (rc) {
        fuzz_check_refusal(desc, rc, &err);
        return 0;
    }
    bus_mp_t r;
    bus_mp_init(&r, body, len);
    if (bus_mp_skip(&r, S_SKIP_DEPTH) || bus_mp_left(&r))
        fuzz_check_fail(desc, "a decoded message is not one msgpack value", NULL);
    fuzz_check_arena_limit(desc, body, len, bus_arena_used(s_arena));
    fuzz_check_message(desc, m);
    return 0;
}
