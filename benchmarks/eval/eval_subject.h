/* benchmarks/eval/eval_subject.h: the world model under evaluation (the
 * "subject"), behind one small interface: start N envs from true frames,
 * step them with action text, get the predicted chunks.
 *
 * Contract
 * - Kinds:
 *     WORLD  the ground-truth world itself (started from the true state,
 *            not from the frame): the judges' upper bound, 100% by
 *            construction;
 *     FROZEN repeats the frame it was started from, whatever the action:
 *            the baseline of a model that does nothing;
 *     MODEL  a GLP checkpoint run in-process (env.h's world-model env,
 *            reset from the true frame with initial_frames);
 *     SERVER a model served by pan-server (MAKE model NAME, RESET with
 *            options.initial_frames, STEP), through the C client.
 * - A subject holds `capacity` envs. reset(n <= capacity) starts envs
 *   0..n-1: env i from frames[i] (H, W, 3), the true state states[i] that
 *   frame shows, and seeds[i] (the model's noise). step(n) steps envs
 *   0..n-1 with actions[i] and writes their chunks (n, K, H, W, 3). n must
 *   equal the n of the last reset. A model subject runs exactly n envs (its
 *   vector env or server session is made again when n changes).
 * - Only frames are compared: the judges never read a model's latent.
 * - Errors: INVALID_ARGUMENT for bad arguments, the model's or server's
 *   own errors otherwise (message kept). After an error the envs must be
 *   reset again.
 * - Thread safety: one thread at a time per subject.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_SUBJECT_H
#define PAN_BENCHMARKS_EVAL_EVAL_SUBJECT_H

#include <stdint.h>

#include "core/status.h"
#include "env/world.h"

typedef enum pan_eval_subject_kind {
    PAN_EVAL_SUBJECT_WORLD = 0,
    PAN_EVAL_SUBJECT_FROZEN,
    PAN_EVAL_SUBJECT_MODEL,
    PAN_EVAL_SUBJECT_SERVER
} pan_eval_subject_kind;

typedef struct pan_eval_subject_config {
    pan_eval_subject_kind kind;
    const char *world;            /* "tabletop" | "rooms" */
    pan_world_config world_config; /* MODEL/SERVER: taken from the model */
    int capacity;                 /* envs per batch; 0: 16 (1 for WORLD/FROZEN
                                     is never needed: any value works) */
    const char *model_path;       /* MODEL: the checkpoint */
    const char *backend;          /* MODEL: compute backend, NULL = auto */
    int threads;                  /* MODEL: 0 = default */
    const char *endpoint;         /* SERVER: "tcp://127.0.0.1:5555" */
    const char *model_name;       /* SERVER: the served model's name */
    int timeout_ms;               /* SERVER: per request; 0 = 600000 */
} pan_eval_subject_config;

typedef struct pan_eval_subject pan_eval_subject;

pan_status pan_eval_subject_create(const pan_eval_subject_config *config,
                                   pan_eval_subject **out);
void pan_eval_subject_destroy(pan_eval_subject *s);

/* "true world", "frozen", "model FILE (crc32 ..., trained|UNTRAINED)",
 * "server EP model NAME (...)". Stable for a run. */
const char *pan_eval_subject_describe(const pan_eval_subject *s);
/* The model's configuration JSON (MODEL), or NULL. Owned by the subject. */
const char *pan_eval_subject_config_json(const pan_eval_subject *s);
int pan_eval_subject_capacity(const pan_eval_subject *s);
pan_world_config pan_eval_subject_world_config(const pan_eval_subject *s);
/* Environment steps run so far (env x step). */
int64_t pan_eval_subject_steps(const pan_eval_subject *s);

/* For planning (eval_planning.c): an env of one that imagines as the
 * subject does, and a planner simulator (agents/c/planner.h) over it.
 *   MODEL  a vector env of its model in latent mode (planner_sim_vec);
 *   SERVER a latent-mode session of the served model on the same server
 *          (planner_sim_client);
 * restarted from a true frame by resync(frame (H, W, 3), seed, task) before
 * every decision (task: "latent: <goal>"). UNIMPLEMENTED for WORLD (it
 * imagines in the true env itself) and FROZEN (it cannot imagine). The
 * imaginer is the caller's to destroy, before the subject. */
struct pan_planner_sim;
typedef struct pan_eval_imaginer pan_eval_imaginer;
pan_status pan_eval_imaginer_create(pan_eval_subject *s, pan_eval_imaginer **out);
pan_status pan_eval_imaginer_resync(pan_eval_imaginer *im, const uint8_t *frame,
                                    uint64_t seed, const char *task);
const struct pan_planner_sim *pan_eval_imaginer_sim(const pan_eval_imaginer *im);
void pan_eval_imaginer_destroy(pan_eval_imaginer *im);

pan_eval_subject_kind pan_eval_subject_get_kind(const pan_eval_subject *s);

pan_status pan_eval_subject_reset(pan_eval_subject *s, int n,
                                  const uint64_t *seeds,
                                  const pan_world_state *states,
                                  const uint8_t *frames);
pan_status pan_eval_subject_step(pan_eval_subject *s, int n,
                                 const char *const *actions, uint8_t *chunks);

#endif
