/* env/world_internal.h: what a world implementation provides (internal).
 *
 * Contract: env/world.c checks every public argument (NULL pointers, text
 * length, reset-before-step, config ranges) before calling into a world, so
 * implementations only see valid input. A parsed action travels between
 * parse and apply in an opaque buffer of PAN_WORLD_PARSED_MAX bytes; each
 * world keeps its own action struct there (static_assert its size).
 */
#ifndef PAN_ENV_WORLD_INTERNAL_H
#define PAN_ENV_WORLD_INTERNAL_H

#include "env/world.h"

#define PAN_WORLD_PARSED_MAX 256

typedef struct pan_world_vtable {
    const char *name;
    /* Allocates w->impl for w->config. */
    pan_status (*create)(pan_world *w);
    void (*destroy)(pan_world *w);
    /* New episode from seed (state only; world.c renders the frame). */
    pan_status (*reset)(pan_world *w, uint64_t seed);
    /* Fills result; when understood, writes the action into parsed. */
    void (*parse)(const pan_world *w, const char *text,
                  pan_action_result *result, void *parsed);
    /* Advances one step and writes K frames. parsed == NULL: the action was
     * not understood; the state stays (but for the step count) and the K
     * frames repeat the current frame. May add what happened to result. */
    pan_status (*apply)(pan_world *w, const void *parsed, uint8_t *frames,
                        pan_action_result *result);
    void (*render)(const pan_world *w, uint8_t *frame);
    void (*get_state)(const pan_world *w, pan_world_state *state);
    pan_status (*set_state)(pan_world *w, const pan_world_state *state);
    void (*sample_action)(const pan_world *w, uint64_t *rng, pan_split split,
                          char *buf, size_t size);
    void (*detect)(const pan_world *w, const uint8_t *frame,
                   pan_world_state *detected);
    int (*state_vector)(const pan_world *w, const pan_world_state *state,
                        float *out);
} pan_world_vtable;

struct pan_world {
    const pan_world_vtable *vtable;
    pan_world_config config;
    bool was_reset;
    void *impl;
};

extern const pan_world_vtable pan_tabletop_vtable;
extern const pan_world_vtable pan_rooms_vtable;

#endif
