/* fuzz_check: the properties every decoded message must keep, shared by the fuzz targets (a
 * header, not a fuzz_*.c, so the build does not make a target of it). A broken property prints
 * what broke and aborts, which libFuzzer records as a crash with the input that caused it.
 * Decoding back uses an arena of its own so the input's own arena limit applies only to the
 * input; both are reset per input, so nothing grows from one input to the next. */
#pragma once

#include "bus_arena.h"
#include "bus_buf.h"
#include "bus_codec.h"
#include "bus_err.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARENA_MAX (1u << 20)  /* what one input may decode into */
#define FUZZ_BUF_MAX   (16u << 20) /* re-encodings; they grow only as far as they need */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bus_arena_t *s_check_arena;
static bus_buf_t s_enc1, s_enc2;

static inline void fuzz_check_init(void)
{
    s_check_arena = bus_arena_new(0);
    bus_buf_init(&s_enc1, FUZZ_BUF_MAX);
    bus_buf_init(&s_enc2, FUZZ_BUF_MAX);
}

static inline void fuzz_check_fail(const codec_msg_t *desc, const char *what,
                                   const codec_err_t *err)
{
    fprintf(stderr, "fuzz: %s: %s%s%s\n", desc->name, what, err ? ": " : "", err ? err->text : "");
    abort();
}

/* A refused input: one of the documented codes, and a reason in err. */
static inline void fuzz_check_refusal(const codec_msg_t *desc, int rc, const codec_err_t *err)
{
    if (rc != BUS_EMALFORMED && rc != BUS_EINVALID && rc != BUS_ETOOBIG)
        fuzz_check_fail(desc, "refused with an undocumented code", err);
    if (!err->text[0]) fuzz_check_fail(desc, "refused without saying why", NULL);
}

/* The arena limit: given one byte less than a successful decode of these bytes used, decoding
 * them again is refused as too big (not as malformed, not a crash), and given exactly as much
 * it succeeds. A second, smaller limit picked from the input moves the failure across every
 * allocation the decoder makes. */
static inline void fuzz_check_arena_limit(const codec_msg_t *desc, const uint8_t *data, size_t len,
                                          size_t used)
{
    if (used < 2) return;
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) hash = (hash ^ data[i]) * 16777619u;
    size_t limits[3] = {used, used - 1, 1 + hash % (used - 1)};
    for (int i = 0; i < 3; i++) {
        if (limits[i] == 0) continue; /* 0 would mean the default limit */
        bus_arena_t *a = bus_arena_new(limits[i]);
        codec_err_t err = {{0}};
        void *m = NULL;
        int rc = codec_decode(desc, data, len, a, &m, &err);
        if (i == 0 && rc) fuzz_check_fail(desc, "refused with exactly the arena it needed", &err);
        if (i > 0 && rc != BUS_ETOOBIG)
            fuzz_check_fail(desc, "a too small arena is not too big", &err);
        if (bus_arena_used(a) > limits[i]) fuzz_check_fail(desc, "arena used past its limit", NULL);
        bus_arena_destroy(&a);
    }
}

/* False when a float field holds NaN or an infinity, which JSON cannot carry. */
static inline bool fuzz_check_finite(const codec_msg_t *desc, const void *msg)
{
    for (size_t i = 0; i < desc->fields_n; i++) {
        const codec_field_t *f = &desc->fields[i];
        if (f->kind != CODEC_F64 && f->kind != CODEC_MSG) continue;
        const char *slot = (const char *)msg + f->offset, *v = slot;
        size_t n = 1, size = f->kind == CODEC_F64 ? sizeof(double) : f->msg->size;
        if (f->flags & CODEC_LIST) {
            const codec_list_t *list = (const codec_list_t *)slot;
            n = list->n;
            v = list->v;
        } else if (f->kind == CODEC_MSG) {
            v = *(const char *const *)slot;
            if (!v) continue;
        }
        for (size_t k = 0; k < n; k++) {
            double d;
            if (f->kind == CODEC_MSG) {
                if (!fuzz_check_finite(f->msg, v + k * size)) return false;
                continue;
            }
            memcpy(&d, v + k * size, sizeof d);
            if (!isfinite(d)) return false;
        }
    }
    return true;
}

/* JSON text there and back gives the same message (what `kubus` prints, it can read). */
static inline void fuzz_check_json(const codec_msg_t *desc, const void *msg)
{
    codec_err_t err = {{0}};
    json_t *j = codec_to_json(desc, msg, 0);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) fuzz_check_fail(desc, "JSON cannot be written", NULL);
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    if (!back) fuzz_check_fail(desc, "JSON written cannot be read", NULL);
    void *m = NULL;
    bus_arena_reset(s_check_arena);
    int rc = codec_from_json(desc, back, s_check_arena, &m, &err);
    json_decref(back);
    if (rc) fuzz_check_fail(desc, "JSON of a decoded message refused", &err);
    if (!codec_equal(desc, msg, m))
        fuzz_check_fail(desc, "JSON round trip changed the message", NULL);
}

/* What a successfully decoded message must allow: validation, printing, and a round trip that
 * gives an equal message and then the very same bytes. */
static inline void fuzz_check_message(const codec_msg_t *desc, const void *msg)
{
    codec_err_t err = {{0}};
    if (codec_validate(desc, msg, &err))
        fuzz_check_fail(desc, "decoded message does not validate", &err);

    static const unsigned flags[2] = {0, CODEC_JSON_REDACT | CODEC_JSON_BRIEF};
    for (int i = 0; i < 2; i++) {
        json_t *j = codec_to_json(desc, msg, flags[i]);
        if (!json_is_object(j)) fuzz_check_fail(desc, "codec_to_json gave no object", NULL);
        json_decref(j);
        char *text = codec_print(desc, msg, flags[i]);
        if (strncmp(text, desc->name, strlen(desc->name)) != 0)
            fuzz_check_fail(desc, "codec_print does not start with the name", NULL);
        free(text);
    }

    bus_buf_reset(&s_enc1);
    bus_buf_reset(&s_enc2);
    if (codec_encode(desc, msg, &s_enc1, &err))
        fuzz_check_fail(desc, "decoded message does not encode", &err);
    bus_arena_reset(s_check_arena);
    void *back = NULL;
    if (codec_decode(desc, s_enc1.data, s_enc1.len, s_check_arena, &back, &err))
        fuzz_check_fail(desc, "re-encoded message does not decode", &err);
    if (!codec_equal(desc, msg, back))
        fuzz_check_fail(desc, "round trip changed the message", NULL);
    if (codec_encode(desc, back, &s_enc2, &err))
        fuzz_check_fail(desc, "round-tripped message does not encode", &err);
    if (s_enc1.len != s_enc2.len || memcmp(s_enc1.data, s_enc2.data, s_enc1.len) != 0)
        fuzz_check_fail(desc, "encoding is not stable across a round trip", NULL);

    if (fuzz_check_finite(desc, msg)) fuzz_check_json(desc, msg);
}
