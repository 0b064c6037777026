/* env/world.h: the ground-truth worlds (tabletop, rooms) behind one
 * interface: seeded reset, language-action step, true state, detector,
 * action sampler.
 *
 * Contract
 * - A pan_world is one live world instance created by name ("tabletop",
 *   "rooms") with a pan_world_config. It owns its state; frames are written
 *   into caller buffers, uint8 RGB, C order: one frame is (H, W, 3), one
 *   step's chunk is (K, H, W, 3).
 * - Determinism: the same seed and the same action strings give
 *   bit-identical frames and states, on any machine and thread count (no
 *   floating-point library calls whose results vary; integer or carefully
 *   bounded float arithmetic only).
 * - Actions are free text (UTF-8, at most PAN_WORLD_ACTION_MAX bytes).
 *   Text the world does not understand is NOT an error: step returns PAN_OK,
 *   the world does not change (the K frames repeat the current frame) and
 *   result->understood is false with a reason in result->message. Errors are
 *   reserved for bad arguments (NULL pointers, text over the limit, a world
 *   that was never reset), and then nothing changes.
 * - The true state (pan_world_state) is plain data of fixed size: copying it
 *   and handing it back with pan_world_set_state restores the world exactly
 *   (fork/restore). It is also what the env exposes as the "latent" of a
 *   ground-truth world (pan_world_state_vector).
 * - The detector reads objects back from a rendered frame (colour
 *   segmentation); its rules are documented in docs/worlds.md.
 * - Held-out split: some templates and some (colour, shape, direction)
 *   combinations never appear in PAN_SPLIT_TRAIN samples; the parser still
 *   understands them and flags them (result->heldout). docs/worlds.md lists
 *   the split.
 * - Thread safety: one thread per world instance; different instances are
 *   independent.
 */
#ifndef PAN_ENV_WORLD_H
#define PAN_ENV_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define PAN_WORLD_ACTION_MAX 256
#define PAN_WORLD_MAX_OBJECTS 16
#define PAN_WORLD_MIN_SIZE 32
#define PAN_WORLD_MAX_SIZE 256
#define PAN_WORLD_MAX_FRAMES_PER_STEP 16

typedef enum pan_colour {
    PAN_COLOUR_RED = 0,
    PAN_COLOUR_GREEN,
    PAN_COLOUR_BLUE,
    PAN_COLOUR_YELLOW,
    PAN_COLOUR_PURPLE,
    PAN_COLOUR_ORANGE,
    PAN_COLOUR_COUNT
} pan_colour;

typedef enum pan_shape {
    PAN_SHAPE_SQUARE = 0,
    PAN_SHAPE_CIRCLE,
    PAN_SHAPE_TRIANGLE,
    PAN_SHAPE_COUNT
} pan_shape_kind;

typedef enum pan_split {
    PAN_SPLIT_TRAIN = 0, /* held-out templates/combinations never sampled */
    PAN_SPLIT_HELDOUT,   /* only held-out templates/combinations sampled */
    PAN_SPLIT_ANY        /* everything */
} pan_split;

typedef enum pan_action_kind {
    PAN_ACTION_NONE = 0,     /* not understood */
    PAN_ACTION_AGENT,        /* moves an object / the camera */
    PAN_ACTION_ENVIRONMENT   /* lights, appear, remove, wait */
} pan_action_kind;

typedef struct pan_world_config {
    int width, height;   /* PAN_WORLD_MIN_SIZE..PAN_WORLD_MAX_SIZE; default 64 */
    int frames_per_step; /* K, 1..PAN_WORLD_MAX_FRAMES_PER_STEP; default 4 */
} pan_world_config;

/* What the parser made of an action string. */
typedef struct pan_action_result {
    bool understood;
    pan_action_kind kind;
    bool heldout;        /* the template or combination is held out */
    int template_id;     /* which template matched, -1 if none */
    char canonical[96];  /* normal form, e.g. "move red circle left 2" */
    char message[128];   /* why not understood, or what happened */
} pan_action_result;

typedef struct pan_object_state {
    int32_t colour;      /* pan_colour */
    int32_t shape;       /* pan_shape_kind */
    float x, y;          /* centre: pixels of the frame (tabletop) or
                            world cells (rooms landmarks) */
    float size;          /* half-extent in the same unit */
    bool visible;
} pan_object_state;

typedef struct pan_world_state {
    int32_t n_objects;
    pan_object_state objects[PAN_WORLD_MAX_OBJECTS];
    float brightness;    /* 1 = lights on, lower = dimmed */
    float camera_x, camera_y; /* rooms: camera centre in world cells */
    int32_t heading;     /* rooms: 0 north, 1 east, 2 south, 3 west */
    uint64_t seed;       /* the reset seed (rooms regenerate their map) */
    uint64_t rng;        /* the world's RNG state */
    int64_t steps;       /* actions taken since reset */
} pan_world_state;

typedef struct pan_world pan_world;

/* Default config: 64x64, K = 4. */
pan_world_config pan_world_config_default(void);

/* Names of the worlds, NULL-terminated: {"tabletop", "rooms", NULL}. */
const char *const *pan_world_names(void);

/* Creates a world; NOT_FOUND for an unknown name, INVALID_ARGUMENT for a
 * config out of range. The world must be reset before it is stepped. */
pan_status pan_world_create(const char *name, const pan_world_config *config,
                            pan_world **out);
void pan_world_destroy(pan_world *world);
const char *pan_world_name(const pan_world *world);
pan_world_config pan_world_get_config(const pan_world *world);

/* Starts an episode from `seed`; writes the first frame (H, W, 3). */
pan_status pan_world_reset(pan_world *world, uint64_t seed, uint8_t *frame);

/* Applies an action; writes K frames (K, H, W, 3) showing the motion and
 * fills `result` (result may be NULL). */
pan_status pan_world_step(pan_world *world, const char *action,
                          uint8_t *frames, pan_action_result *result);

/* Parses without acting (the world is unchanged). */
pan_status pan_world_parse(const pan_world *world, const char *action,
                           pan_action_result *result);

/* Renders the current state into one frame (H, W, 3). */
pan_status pan_world_render(const pan_world *world, uint8_t *frame);

pan_status pan_world_get_state(const pan_world *world, pan_world_state *state);
/* Restores a state previously read from a world of the same name and
 * config; INVALID_ARGUMENT (world unchanged) if it is inconsistent. */
pan_status pan_world_set_state(pan_world *world, const pan_world_state *state);

/* Writes a random valid action for the current state into buf (NUL-
 * terminated), drawing from *rng (advanced); only actions of `split`. */
pan_status pan_world_sample_action(const pan_world *world, uint64_t *rng,
                                   pan_split split, char *buf, size_t size);

/* Reads objects back from a frame rendered by this world (or predicted by a
 * model of it): fills detected->objects (colour, shape, centre, size,
 * visible = true), n_objects and brightness. */
pan_status pan_world_detect(const pan_world *world, const uint8_t *frame,
                            pan_world_state *detected);

/* The fixed-length float vector of the true state the env exposes as the
 * ground-truth "latent" (layout in docs/worlds.md); returns its length when
 * out is NULL, -1 for a NULL world or (with out) a NULL state. */
int pan_world_state_vector(const pan_world *world, const pan_world_state *state,
                           float *out);

#endif
