/* make_corpus: writes the seed corpora of the fuzz targets, tests/fuzz/corpus/{frame,codec}/.
 * Valid encodings of every message come from codec_sample, so new schemas get seeds by running
 * this again; the edge cases (truncation, bad signature, huge counts, deep nesting, duplicate
 * and unknown tags) are written byte by byte. Not part of the build: `ops/fuzz --seeds` compiles
 * and runs it. It only writes seed-* files, so committed regression inputs stay as they are. */
#include "bus_arena.h"
#include "bus_buf.h"
#include "bus_codec.h"
#include "bus_frame.h"
#include "kubus_schema.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_SEED_MAX 4096 /* bytes in one seed */

static const char *s_root;
static int s_count;

static void s_write(const char *target, const char *name, const void *data, size_t len)
{
    char path[1024];
    if (len > S_SEED_MAX) {
        fprintf(stderr, "make_corpus: %s/%s: %zu bytes, more than %d\n", target, name, len,
                S_SEED_MAX);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s", s_root, target);
    if (mkdir(path, 0755) && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/seed-%s", s_root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
        perror(path);
        exit(1);
    }
    s_count++;
}

/* Raw msgpack: a buffer with a packer on it. */
typedef struct {
    bus_buf_t b;
    msgpack_packer pk;
} s_raw_t;

static void s_raw_init(s_raw_t *r)
{
    bus_buf_init(&r->b, 1 << 20);
    msgpack_packer_init(&r->pk, &r->b, bus_buf_msgpack_write);
}

static void s_bytes(s_raw_t *r, const void *data, size_t len)
{
    bus_buf_append(&r->b, data, len);
}

static void s_str(s_raw_t *r, const char *s)
{
    msgpack_pack_str_with_body(&r->pk, s, strlen(s));
}

static int s_index(const codec_msg_t *desc)
{
    for (size_t i = 0; i < kubus_messages_n; i++)
        if (kubus_messages[i] == desc) return (int)i;
    abort();
}

static void s_frame(s_raw_t *r, const char *topic, uint32_t kind)
{
    bus_envelope_t env = {.kind = kind};
    codec_err_t err;
    if (bus_frame_build(&r->b, topic, &env, NULL, NULL, &err)) abort();
}

/* A valid frame for every message type: without a topic from seed 1, with one from seed 2. */
static void s_frame_samples(bus_arena_t *a)
{
    for (size_t i = 0; i < kubus_messages_n; i++) {
        const codec_msg_t *desc = kubus_messages[i];
        if (!desc->type) continue;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            bus_buf_t b;
            bus_buf_init(&b, S_SEED_MAX);
            codec_err_t err;
            bus_envelope_t *env = codec_sample(&bus_envelope_desc, a, seed);
            char topic[160], name[160];
            snprintf(topic, sizeof topic, "/test/%s", desc->name);
            if (bus_frame_build(&b, seed == 2 ? topic : NULL, env, desc,
                                codec_sample(desc, a, seed), &err)) {
                fprintf(stderr, "make_corpus: %s: %s\n", desc->name, err.text);
                exit(1);
            }
            snprintf(name, sizeof name, "%s-%s", desc->name, seed == 2 ? "topic" : "plain");
            s_write("frame", name, b.data, b.len);
            bus_buf_free(&b);
            bus_arena_reset(a);
        }
    }
}

/* An envelope {kind: heartbeat, 99: value} with the value written by the caller. */
static void s_env_unknown(s_raw_t *r, uint32_t nfields)
{
    bus_buf_reset(&r->b);
    s_bytes(r, "\xb5\x01", 2);
    msgpack_pack_map(&r->pk, nfields);
    msgpack_pack_uint8(&r->pk, 1);
    msgpack_pack_uint8(&r->pk, BUS_KIND_HEARTBEAT);
}

/* Extension values of every size class: fixext1, fixext16, ext8, ext16, ext32. */
static void s_ext(s_raw_t *r, int k)
{
    static const char *ext[] = {"\xd4\x01\x61",
                                ("\xd8\xfe"
                                 "0123456789abcdef"),
                                "\xc7\x03\x07xyz", "\xc8\x00\x02\x05zz",
                                "\xc9\x00\x00\x00\x01\x05z"};
    static const size_t len[] = {3, 18, 6, 6, 7};
    s_bytes(r, ext[k], len[k]);
}

/* bus.status_reply {services: [{name: "s", workers: [{name: ""} x n]}]}: a small input that
 * decodes to many allocations, for the arena's chunks and limit. */
static void s_many_workers(s_raw_t *r, int n)
{
    s_bytes(r, "\x81\x06\x91\x82\x01\xa1s\x03", 8);
    msgpack_pack_array(&r->pk, (size_t)n);
    for (int i = 0; i < n; i++) s_bytes(r, "\x81\x01\xa0", 3);
}

static void s_frame_edges(s_raw_t *r)
{
    s_write("frame", "empty", "", 0);
    s_write("frame", "bad-signature", "hello", 5);
    s_write("frame", "bad-version", "\xb5\x02\x81\x01\x04", 5);
    s_write("frame", "signature-only", "\xb5\x01", 2);
    s_write("frame", "huge-map", "\xb5\x01\xdf\xff\xff\xff\xff", 7);
    s_write("frame", "no-kind", "\xb5\x01\x81\x03\x05", 5);
    s_write("frame", "kind-nil", "\xb5\x01\x82\x01\xc0\x04\xa1x", 8);
    s_write("frame", "duplicate-tag", "\xb5\x01\x82\x01\x04\x01\x04", 7);
    s_write("frame", "empty-then-stray", "\xb5\x01\x81\x01\x04\x01", 6);
    /* An echo request cut inside its envelope. */
    s_write("frame", "truncated", "\xb5\x01\x84\x01\x02\x02\x64\x04\xa4\x65\x63", 11);
    /* Sizes in the widest encodings a peer might use: kind as uint64, type as int64. */
    s_write("frame", "wide-ints",
            "\xb5\x01\x82\xcf\x00\x00\x00\x00\x00\x00\x00\x01\xcf\x00\x00\x00\x00\x00\x00\x00\x04"
            "\x02\xd3\x00\x00\x00\x00\x00\x00\x00\x00",
            31);

    s_env_unknown(r, 2);
    msgpack_pack_uint8(&r->pk, 99);
    s_bytes(r, "\xdd\xff\xff\xff\xff", 5);
    s_write("frame", "huge-array", r->b.data, r->b.len);

    s_env_unknown(r, 2);
    msgpack_pack_uint8(&r->pk, 99);
    for (int i = 0; i < BUS_MP_DEPTH_MAX + 8; i++) msgpack_pack_array(&r->pk, 1);
    msgpack_pack_nil(&r->pk);
    s_write("frame", "deep-nesting", r->b.data, r->b.len);

    s_env_unknown(r, 6);
    for (int k = 0; k < 5; k++) {
        msgpack_pack_uint8(&r->pk, (uint8_t)(100 + k));
        s_ext(r, k);
    }
    s_write("frame", "unknown-ext-tags", r->b.data, r->b.len);

    /* A type the schema does not know, with a body; and an echo request whose body breaks. */
    bus_buf_reset(&r->b);
    s_bytes(r, "\xb5\x01\x82\x01\x02\x02\xcd\x02\x2b\x81\x01\xa2hi", 14);
    s_write("frame", "unknown-type", r->b.data, r->b.len);
    bus_buf_reset(&r->b);
    s_bytes(r, "\xb5\x01\x82\x01\x03\x02\x04", 7); /* a reply of type bus.status_reply */
    s_many_workers(r, 1300);
    s_write("frame", "many-workers", r->b.data, r->b.len);
    s_write("frame", "echo-bad-body", "\xb5\x01\x82\x01\x02\x02\x64\x82\x01\xc4\x02z", 12);

    /* Topics: the longest allowed, one byte too long, and one on a frame with an empty topic. */
    char topic[BUS_TOPIC_MAX + 2];
    memset(topic, 'a', sizeof topic);
    topic[0] = '/';
    topic[BUS_TOPIC_MAX] = 0;
    bus_buf_reset(&r->b);
    s_frame(r, topic, BUS_KIND_EVENT);
    s_write("frame", "topic-longest", r->b.data, r->b.len);
    bus_buf_reset(&r->b);
    s_bytes(r, topic, BUS_TOPIC_MAX);
    s_bytes(r, "a", 1);
    s_frame(r, "", BUS_KIND_EVENT);
    s_write("frame", "topic-too-long", r->b.data, r->b.len);
}

/* seed-<message>-<n>: the index byte, then a sampled encoding. */
static void s_codec_samples(bus_arena_t *a)
{
    for (size_t i = 0; i < kubus_messages_n; i++) {
        const codec_msg_t *desc = kubus_messages[i];
        for (uint64_t seed = 1; seed <= (desc->fields_n ? 2 : 1); seed++) {
            bus_buf_t b;
            bus_buf_init(&b, S_SEED_MAX);
            codec_err_t err;
            uint8_t index = (uint8_t)i;
            bus_buf_append(&b, &index, 1);
            if (codec_encode(desc, codec_sample(desc, a, seed), &b, &err)) {
                fprintf(stderr, "make_corpus: %s: %s\n", desc->name, err.text);
                exit(1);
            }
            char name[160];
            snprintf(name, sizeof name, "%s-%d", desc->name, (int)seed);
            s_write("codec", name, b.data, b.len);
            bus_buf_free(&b);
            bus_arena_reset(a);
        }
    }
}

/* selftest.all_kinds {label: "x", ...}: the index byte, then a map of n + 1 fields. */
static void s_kinds_labelled(s_raw_t *r, uint32_t n, const char *label)
{
    uint8_t index = (uint8_t)s_index(&selftest_all_kinds_desc);
    bus_buf_reset(&r->b);
    s_bytes(r, &index, 1);
    msgpack_pack_map(&r->pk, n + 1);
    msgpack_pack_uint8(&r->pk, 8);
    s_str(r, label);
}

static void s_kinds(s_raw_t *r, uint32_t n)
{
    s_kinds_labelled(r, n, "x");
}

/* all_kinds.child nested depth levels deep: {1: 1, 3: {1: 1, 3: ...}}. */
static void s_kinds_nested(s_raw_t *r, int depth)
{
    s_kinds(r, 1);
    msgpack_pack_uint8(&r->pk, 10);
    for (int d = 1; d < depth; d++) s_bytes(r, "\x82\x01\x01\x03", 4);
    s_bytes(r, "\x81\x01\x01", 3);
}

/* selftest.all_kinds with lengths and counts at their limits (bytes one short: 63 of 64). */
static void s_kinds_limits(s_raw_t *r)
{
    s_kinds_labelled(r, 6, "0123456789abcdef");
    msgpack_pack_uint8(&r->pk, 2);
    msgpack_pack_uint16(&r->pk, 1000);
    msgpack_pack_uint8(&r->pk, 4);
    msgpack_pack_int8(&r->pk, -50);
    msgpack_pack_uint8(&r->pk, 9);
    uint8_t blob[63];
    for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)i;
    msgpack_pack_bin_with_body(&r->pk, blob, sizeof blob);
    msgpack_pack_uint8(&r->pk, 11);
    msgpack_pack_array(&r->pk, 4);
    for (int i = 0; i < 4; i++) s_bytes(r, "\x81\x01\xce\xff\xff\xff\xff", 7);
    msgpack_pack_uint8(&r->pk, 12);
    msgpack_pack_array(&r->pk, 5);
    for (int i = 0; i < 5; i++) s_str(r, "abcdefgh");
    msgpack_pack_uint8(&r->pk, 13);
    msgpack_pack_map(&r->pk, 3);
    for (const char *k = "abc"; *k; k++) {
        msgpack_pack_str_with_body(&r->pk, k, 1);
        s_str(r, "");
    }
}

static void s_codec_edges(s_raw_t *r)
{
    uint8_t index = (uint8_t)s_index(&selftest_all_kinds_desc);
    s_write("codec", "all_kinds-empty", &index, 1);

    const struct {
        const char *name, *value; /* all_kinds {label: "x", tag: value} */
        uint8_t tag;
        size_t len;
    } one[] = {
        {"huge-array", "\xdd\xff\xff\xff\xff", 11, 5},
        {"huge-bin", "\xc6\xff\xff\xff\xff", 9, 5},
        {"float32-nan", "\xca\x7f\xc0\x00\x00", 6, 5},
        {"float64-minus-zero", "\xcb\x80\x00\x00\x00\x00\x00\x00\x00", 6, 9},
        {"strmap-duplicate", "\x82\xa1k\xa1v\xa1k\xa1w", 13, 9},
        {"strmap-utf8",
         "\x83\xa3k\xc3\xa4\xa4\xf0\x9f\x98\x80\xa1"
         "b\xa0\xa1"
         "c\xa3\xe2\x82\xac",
         13, 19},
        {"utf8-overlong", "\xa2\xc0\xaf", 14, 3},
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        s_kinds(r, 1);
        msgpack_pack_uint8(&r->pk, one[i].tag);
        s_bytes(r, one[i].value, one[i].len);
        s_write("codec", one[i].name, r->b.data, r->b.len);
    }

    s_kinds(r, 1);
    msgpack_pack_uint8(&r->pk, 8);
    s_str(r, "y");
    s_write("codec", "duplicate-tag", r->b.data, r->b.len);

    s_kinds(r, 5);
    for (int tag = 100; tag < 104; tag++) {
        msgpack_pack_uint16(&r->pk, (uint16_t)(tag * 100));
        msgpack_pack_ext_with_body(&r->pk, "0123456789abcdef", (size_t)1 << (tag - 100), 3);
    }
    msgpack_pack_uint8(&r->pk, 99);
    for (int i = 0; i < BUS_MP_DEPTH_MAX - 2; i++) {
        msgpack_pack_map(&r->pk, 1);
        s_str(r, "k");
    }
    msgpack_pack_nil(&r->pk);
    s_write("codec", "unknown-tags-deep", r->b.data, r->b.len);

    s_kinds_limits(r);
    s_write("codec", "limits", r->b.data, r->b.len);
    uint8_t status = (uint8_t)s_index(&bus_status_reply_desc);
    bus_buf_reset(&r->b);
    s_bytes(r, &status, 1);
    s_many_workers(r, 1300);
    s_write("codec", "many-workers", r->b.data, r->b.len);

    s_kinds_nested(r, CODEC_DEPTH_MAX);
    s_write("codec", "nested-deepest", r->b.data, r->b.len);
    s_kinds_nested(r, CODEC_DEPTH_MAX + 1);
    s_write("codec", "nested-too-deep", r->b.data, r->b.len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus CORPUS_DIR\n");
        return 2;
    }
    s_root = argv[1];
    bus_arena_t *a = bus_arena_new(0);
    s_raw_t r;
    s_raw_init(&r);
    s_frame_samples(a);
    s_frame_edges(&r);
    s_codec_samples(a);
    s_codec_edges(&r);
    bus_buf_free(&r.b);
    bus_arena_destroy(&a);
    printf("make_corpus: %d seeds in %s\n", s_count, s_root);
    return 0;
}
