/* bus_frame: signature, optional topic, envelope, body. */
#include "bus_frame.h"
#include "bus_err.h"
#include "bus_mp.h"

#include <assert.h>
#include <string.h>

static int s_fail(codec_err_t *err, int code, const char *text)
{
    if (err) snprintf(err->text, sizeof err->text, "%s", text);
    return code;
}

int bus_frame_parse(const void *data, size_t len, bool with_topic, bus_arena_t *arena,
                    bus_frame_t *out, codec_err_t *err)
{
    const uint8_t *p = data, *end = p + len;
    memset(out, 0, sizeof *out);
    if (with_topic) {
        const uint8_t *nul = memchr(p, 0, len < BUS_TOPIC_MAX + 1 ? len : BUS_TOPIC_MAX + 1);
        if (!nul) return s_fail(err, BUS_EMALFORMED, "frame: no topic terminator");
        out->topic = (const char *)p;
        out->topic_len = (size_t)(nul - p);
        p = nul + 1;
    }
    if (end - p < 2 || p[0] != BUS_MAGIC)
        return s_fail(err, BUS_EMALFORMED, "frame: not a kubus frame (bad signature)");
    if (p[1] != BUS_VERSION) return s_fail(err, BUS_EMALFORMED, "frame: unsupported version");
    bus_mp_t r;
    bus_mp_init(&r, p + 2, (size_t)(end - p - 2));
    void *env;
    int rc = codec_decode_next(&bus_envelope_desc, &r, arena, &env, err);
    if (rc) return rc;
    out->env = env;
    out->body = r.p;
    out->body_len = bus_mp_left(&r);
    if (out->env->type == 0 && out->body_len)
        return s_fail(err, BUS_EMALFORMED, "frame: bytes after an envelope without a body type");
    return 0;
}

int bus_frame_body(const bus_frame_t *frame, const codec_msg_t *desc, bus_arena_t *arena,
                   void **out, codec_err_t *err)
{
    if (frame->env->type != desc->type) {
        if (err)
            snprintf(err->text, sizeof err->text, "expected %s (type %u), got type %u", desc->name,
                     desc->type, frame->env->type);
        return BUS_EUNKNOWNTYPE;
    }
    return codec_decode(desc, frame->body, frame->body_len, arena, out, err);
}

static int s_head(bus_buf_t *out, const char *topic, size_t topic_len)
{
    static const uint8_t sig[2] = {BUS_MAGIC, BUS_VERSION};
    if (topic) {
        if (topic_len > BUS_TOPIC_MAX || memchr(topic, 0, topic_len)) return BUS_EINVALID;
        bus_buf_append(out, topic, topic_len);
        bus_buf_append(out, "", 1);
    }
    return bus_buf_append(out, sig, 2);
}

int bus_frame_build(bus_buf_t *out, const char *topic, bus_envelope_t *env, const codec_msg_t *desc,
                    const void *body, codec_err_t *err)
{
    size_t start = out->len;
    env->type = desc ? desc->type : 0;
    int rc = s_head(out, topic, topic ? strlen(topic) : 0);
    if (rc == BUS_EINVALID) return s_fail(err, rc, "frame: topic too long or not text");
    if (!rc) rc = codec_encode(&bus_envelope_desc, env, out, err);
    if (!rc && desc) rc = codec_encode(desc, body, out, err);
    if (!rc && out->err) rc = s_fail(err, out->err, "frame: larger than the limit");
    if (rc && !out->err) out->len = start;
    return rc;
}

int bus_frame_build_raw(bus_buf_t *out, const char *topic, size_t topic_len,
                        const bus_envelope_t *env, const uint8_t *body, size_t body_len,
                        codec_err_t *err)
{
    size_t start = out->len;
    int rc = s_head(out, topic, topic_len);
    if (rc == BUS_EINVALID) return s_fail(err, rc, "frame: topic too long or not text");
    if (!rc) rc = codec_encode(&bus_envelope_desc, env, out, err);
    if (!rc) bus_buf_append(out, body, body_len);
    if (!rc && out->err) rc = s_fail(err, out->err, "frame: larger than the limit");
    if (rc && !out->err) out->len = start;
    return rc;
}

void bus_frame_test(bool verbose)
{
    bus_arena_t *a = bus_arena_new(0);
    bus_buf_t b;
    bus_buf_init(&b, 4096);
    codec_err_t err;
    bus_frame_t f;

    echo_request_t req = {.payload = {(uint8_t *)"ping", 4}, .note = "n"};
    bus_envelope_t env = {.kind = BUS_KIND_REQUEST, .rid = 7, .service = "echo", .timeout_ms = 500};
    assert(bus_frame_build(&b, NULL, &env, &echo_request_desc, &req, &err) == 0);
    assert(env.type == MSG_ECHO_REQUEST);
    assert(bus_frame_parse(b.data, b.len, false, a, &f, &err) == 0);
    assert(f.env->kind == BUS_KIND_REQUEST && f.env->rid == 7 &&
           strcmp(f.env->service, "echo") == 0);
    echo_request_t *back;
    assert(bus_frame_body(&f, &echo_request_desc, a, (void **)&back, &err) == 0);
    assert(back->payload.len == 4 && memcmp(back->payload.data, "ping", 4) == 0);
    /* The wrong body type is named as such. */
    void *wrong;
    assert(bus_frame_body(&f, &echo_reply_desc, a, &wrong, &err) == BUS_EUNKNOWNTYPE);

    /* Forwarding: the same body under a rewritten envelope. */
    bus_buf_t fwd;
    bus_buf_init(&fwd, 4096);
    bus_envelope_t env2 = *f.env;
    env2.caller = "test/client-1";
    assert(bus_frame_build_raw(&fwd, NULL, 0, &env2, f.body, f.body_len, &err) == 0);
    assert(bus_frame_parse(fwd.data, fwd.len, false, a, &f, &err) == 0);
    assert(strcmp(f.env->caller, "test/client-1") == 0);
    assert(bus_frame_body(&f, &echo_request_desc, a, (void **)&back, &err) == 0);

    /* Topics. */
    bus_buf_reset(&b);
    bus_envelope_t ev = {.kind = BUS_KIND_EVENT, .seq = 3};
    assert(bus_frame_build(&b, "/test/a", &ev, NULL, NULL, &err) == 0);
    assert(memcmp(b.data, "/test/a\0", 8) == 0);
    assert(bus_frame_parse(b.data, b.len, true, a, &f, &err) == 0);
    assert(f.topic_len == 7 && f.env->seq == 3 && f.body_len == 0);
    assert(bus_frame_parse(b.data, b.len, false, a, &f, &err) == BUS_EMALFORMED);

    /* Garbage, wrong version, truncation, stray bytes after an empty body. */
    assert(bus_frame_parse("hello", 5, false, a, &f, &err) == BUS_EMALFORMED);
    const uint8_t v2[] = {BUS_MAGIC, 2, 0x80};
    assert(bus_frame_parse(v2, 3, false, a, &f, &err) == BUS_EMALFORMED);
    assert(strstr(err.text, "version"));
    assert(bus_frame_parse(fwd.data, fwd.len, false, a, &f, &err) == 0);
    size_t env_end = fwd.len - f.body_len;
    for (size_t cut = 0; cut < env_end; cut++)
        assert(bus_frame_parse(fwd.data, cut, false, a, &f, &err) != 0);
    bus_buf_reset(&b);
    bus_envelope_t hb = {.kind = BUS_KIND_HEARTBEAT};
    assert(bus_frame_build(&b, NULL, &hb, NULL, NULL, &err) == 0);
    assert(bus_buf_append(&b, "\x01", 1) == 0);
    assert(bus_frame_parse(b.data, b.len, false, a, &f, &err) == BUS_EMALFORMED);
    /* An envelope without its required kind. */
    const uint8_t nokind[] = {BUS_MAGIC, BUS_VERSION, 0x81, 0x03, 0x05};
    assert(bus_frame_parse(nokind, sizeof nokind, false, a, &f, &err) == BUS_EINVALID);

    bus_buf_free(&fwd);
    bus_buf_free(&b);
    bus_arena_destroy(&a);
    (void)verbose;
}
