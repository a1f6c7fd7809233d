/* fuzz_frame: whole bus frames as they arrive from a socket. Each input is parsed both with and
 * without a topic; a frame that parses must rebuild to a frame that parses the same, its
 * envelope and (when the type is known) its body must survive the codec's round trip, and a
 * refusal must use a documented code and say why. */
#include "bus_frame.h"
#include "fuzz_check.h"
#include "kubus_schema.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static bus_arena_t *s_arena;
static bus_buf_t s_frame;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_arena = bus_arena_new(FUZZ_ARENA_MAX);
    bus_buf_init(&s_frame, FUZZ_BUF_MAX);
    fuzz_check_init();
    return 0;
}

/* The parsed parts cover the input exactly: topic, NUL, signature, envelope, body. */
static void s_check_layout(const uint8_t *data, size_t size, bool with_topic, const bus_frame_t *f)
{
    const codec_msg_t *env = &bus_envelope_desc;
    if (!f->env) fuzz_check_fail(env, "parsed frame without an envelope", NULL);
    if (f->body + f->body_len != data + size)
        fuzz_check_fail(env, "body does not end the frame", NULL);
    if (!with_topic) {
        if (f->topic || f->topic_len) fuzz_check_fail(env, "topic without a topic part", NULL);
        return;
    }
    if ((const uint8_t *)f->topic != data || f->topic_len > BUS_TOPIC_MAX ||
        memchr(f->topic, 0, f->topic_len) || data[f->topic_len] != 0)
        fuzz_check_fail(env, "topic is not the text before the first NUL", NULL);
}

/* Rebuilding the frame from its parts gives a frame that parses to the same parts. */
static void s_check_rebuild(bool with_topic, const bus_frame_t *f)
{
    const codec_msg_t *env = &bus_envelope_desc;
    codec_err_t err = {{0}};
    bus_buf_reset(&s_frame);
    if (bus_frame_build_raw(&s_frame, f->topic, f->topic_len, f->env, f->body, f->body_len, &err))
        fuzz_check_fail(env, "a parsed frame does not rebuild", &err);
    bus_frame_t g;
    bus_arena_reset(s_check_arena);
    if (bus_frame_parse(s_frame.data, s_frame.len, with_topic, s_check_arena, &g, &err))
        fuzz_check_fail(env, "a rebuilt frame does not parse", &err);
    if (!codec_equal(env, f->env, g.env))
        fuzz_check_fail(env, "rebuilding changed the envelope", NULL);
    if (g.topic_len != f->topic_len || (f->topic_len && memcmp(g.topic, f->topic, f->topic_len)))
        fuzz_check_fail(env, "rebuilding changed the topic", NULL);
    if (g.body_len != f->body_len || (f->body_len && memcmp(g.body, f->body, f->body_len)))
        fuzz_check_fail(env, "rebuilding changed the body", NULL);
}

static void s_check_body(const bus_frame_t *f)
{
    const codec_msg_t *desc = kubus_message_by_type(f->env->type);
    if (!desc) return; /* unknown types are the receiver's to refuse */
    if (desc->type != f->env->type) fuzz_check_fail(desc, "looked up under another type", NULL);
    codec_err_t err = {{0}};
    void *body = NULL;
    size_t before = bus_arena_used(s_arena);
    int rc = bus_frame_body(f, desc, s_arena, &body, &err);
    if (rc) {
        fuzz_check_refusal(desc, rc, &err);
        return;
    }
    fuzz_check_arena_limit(desc, f->body, f->body_len, bus_arena_used(s_arena) - before);
    fuzz_check_message(desc, body);
}

static void s_one(const uint8_t *data, size_t size, bool with_topic)
{
    bus_arena_reset(s_arena);
    bus_frame_t f;
    codec_err_t err = {{0}};
    int rc = bus_frame_parse(data, size, with_topic, s_arena, &f, &err);
    if (rc) {
        fuzz_check_refusal(&bus_envelope_desc, rc, &err);
        return;
    }
    s_check_layout(data, size, with_topic, &f);
    s_check_rebuild(with_topic, &f);
    if (f.env->type) s_check_body(&f);
    fuzz_check_message(&bus_envelope_desc, f.env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_one(data, size, false);
    s_one(data, size, true);
    return 0;
}
