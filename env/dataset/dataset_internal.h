/* env/dataset/dataset_internal.h: what the episode writer and reader share
 * (internal): the names of the msgpack fields and enum strings, header
 * byte order helpers, the declared-length pre-scan of a msgpack body, and
 * an allocation that may leave out the frames.
 *
 * Contract: docs/dataset.md is the specification; the tables here are its
 * single C copy. Everything is pure (no global state).
 */
#ifndef PAN_ENV_DATASET_INTERNAL_H
#define PAN_ENV_DATASET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env/dataset/dataset.h"
#include "env/msgpack_bounds.h"

/* Deepest container nesting accepted in a body (the format needs 5). */
#define PAN_EPISODE_MAX_DEPTH 16

/* Action kinds as stored: index = pan_action_kind. */
extern const char *const pan_episode_kind_names[3];

/* Little-endian fixed-width integers of the header and trailer. */
static inline void pan_put_u32le(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void pan_put_u64le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t pan_get_u32le(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t pan_get_u64le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* The declared-length pre-scan of a body is pan_msgpack_check_bounds
 * (env/msgpack_bounds.h), called with max_depth PAN_EPISODE_MAX_DEPTH. */

/* pan_episode_alloc, optionally without the frames (ep->frames = NULL). */
pan_status pan_episode_alloc_parts(pan_episode *ep, const pan_episode_meta *meta,
                                   bool with_frames);

#endif
