/* bus_frame: the bytes of one bus frame. A frame is
 *     [topic NUL]  0xB5 0x01  envelope  [body]
 * where the topic part exists only on event and tap frames (so a subscription prefix selects
 * them), the envelope is the bus.envelope message and the body is the message envelope.type names
 * (absent when type is 0). One frame per message: CURVE encrypts each frame on its own. */
#pragma once

#include "bus_arena.h"
#include "bus_buf.h"
#include "bus_codec.h"
#include "kubus_schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MAGIC       0xB5
#define BUS_VERSION     1
#define BUS_TOPIC_MAX   512
#define BUS_MSG_MAX_DEF (16u << 20) /* default largest frame, configurable per cluster */

/* Request flags (envelope.flags). */
#define BUS_FLAG_ONCE 0x1u /* at most once: never re-sent after a worker or broker is lost */
/* Only if served now: no worker of the service (of the instance, when named) is connected, so
 * fail at once with "no such service" rather than wait for one to come. */
#define BUS_FLAG_PRESENT 0x2u

/* A parsed frame. env lives in the arena; topic and body point into the frame's bytes. */
typedef struct {
    bus_envelope_t *env;
    const char *topic; /* NULL unless parsed with a topic */
    size_t topic_len;
    const uint8_t *body;
    size_t body_len;
} bus_frame_t;

/* Parses a frame. with_topic: expect the topic part. Returns 0, BUS_EMALFORMED (bad signature,
 * envelope or topic), BUS_EINVALID (an envelope field beyond its limits) or BUS_ETOOBIG (the
 * arena's limit); err says what. The body is not decoded here. */
int bus_frame_parse(const void *data, size_t len, bool with_topic, bus_arena_t *arena,
                    bus_frame_t *out, codec_err_t *err);

/* Decodes the body as desc; BUS_EUNKNOWNTYPE when env->type is not desc's type. */
int bus_frame_body(const bus_frame_t *frame, const codec_msg_t *desc, bus_arena_t *arena,
                   void **out, codec_err_t *err);

/* Appends a whole frame to out: topic (NULL for none), envelope, then either a body encoded from
 * desc/body (desc NULL for none) or raw body bytes. Sets env->type from desc when desc is given. */
int bus_frame_build(bus_buf_t *out, const char *topic, bus_envelope_t *env, const codec_msg_t *desc,
                    const void *body, codec_err_t *err);
int bus_frame_build_raw(bus_buf_t *out, const char *topic, size_t topic_len,
                        const bus_envelope_t *env, const uint8_t *body, size_t body_len,
                        codec_err_t *err);

void bus_frame_test(bool verbose);
