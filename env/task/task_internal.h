/* env/task/task_internal.h: the task spec's insides and the tabletop place
 * task's entry points (internal to env/task).
 *
 * Contract
 * - A pan_task is immutable after pan_task_create: its world, its mode
 *   (none, random, a fixed goal) and its normalised spec text.
 * - task_place_* work on the tabletop world only; pan_task_* (task.c) check
 *   the arguments and the world before calling them.
 * - Thread safety: pure functions of their arguments (begin edits only the
 *   world it is given).
 */
#ifndef PAN_ENV_TASK_TASK_INTERNAL_H
#define PAN_ENV_TASK_TASK_INTERNAL_H

#include "env/task.h"

typedef enum task_world {
    TASK_WORLD_TABLETOP = 0,
    TASK_WORLD_ROOMS
} task_world;

typedef enum task_mode {
    TASK_MODE_NONE = 0, /* no goal */
    TASK_MODE_RANDOM,   /* a random place goal per episode */
    TASK_MODE_GOAL      /* the fixed goal in `goal` */
} task_mode;

struct pan_task {
    task_world world;
    task_mode mode;
    bool latent;                  /* "latent: ...": a goal-latent task */
    pan_goal goal;                /* TASK_MODE_GOAL */
    char spec[PAN_TASK_TEXT_MAX]; /* "none", "random" or the goal's text */
};

/* The canonical place words, in pan_place order ("top left corner"...). */
extern const char *const task_place_names[PAN_PLACE_COUNT];

/* Parses a goal in words through the tabletop parser (templates 13-16). */
pan_status task_place_parse(const char *text, pan_goal *goal);
/* Writes goal->text: "put the <colour> <shape> in the <place>". */
void task_place_goal_text(pan_goal *goal);
/* Checks colour, shape and place of a PLACE goal ("where" names the call). */
pan_status task_place_check_goal(const pan_goal *goal, const char *where);
/* Begins an episode on a freshly reset tabletop world (docs/env.md).
 * frames: (K, H, W, 3) scratch for the world's edit actions, or NULL to
 * allocate one when an edit is needed. */
pan_status task_place_begin(const pan_task *task, pan_world *world,
                            uint64_t seed, uint8_t *frames, pan_goal *goal);

/* pan_task_begin with a caller's scratch (K, H, W, 3) for the world's
 * frames (NULL: allocated when needed); the vector env passes its own so
 * that nothing is allocated per episode. */
pan_status task_begin_with_frames(const pan_task *task, pan_world *world,
                                  uint64_t seed, uint8_t *frames,
                                  pan_goal *goal);
/* "latent:" prefix of a spec or goal text: the rest after it, or NULL. */
const char *task_latent_rest(const char *text);
/* Makes a begun place goal a goal-latent one (kind and text). */
void task_latent_goal(pan_goal *goal);
/* Reward and success of a goal-latent goal. */
pan_status task_latent_evaluate(const pan_goal *goal, const pan_task_input *in,
                                float *reward, bool *success);

/* Does the goal hold in `state` for frames of `config`? */
bool task_place_holds(const pan_goal *goal, const pan_world_config *config,
                      const pan_world_state *state);

#endif
