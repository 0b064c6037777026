/* benchmarks/eval/eval_judge.h: the exact judges of pan-eval: the 0-3
 * fidelity rubric of one step, object matching (error, recall, precision)
 * and, for rooms, reading the camera cell off a frame by registration
 * against the true map (docs/eval.md, "Judges").
 *
 * Contract
 * - A pan_eval_scene is what the judges compare: the objects (tabletop:
 *   visible objects, centres in frame pixels; rooms: landmarks in frame
 *   pixels), the brightness, and for rooms the camera cell (or none).
 *   From a true state: pan_eval_scene_from_state; from a frame:
 *   pan_eval_scene_detect (the world's detector; rooms also registers the
 *   camera, see below).
 * - Objects are matched by (colour, shape): the true worlds never show two
 *   objects of one pair, so a pair present twice in a reading is an extra
 *   (false) detection.
 * - The rubric (tabletop), with tolerance tol px (default 2 at 64 px):
 *   3  the after-reading equals the truth: every true object found within
 *      tol, no extra object, brightness within 0.1;
 *   otherwise, with "targets" the pairs the true step changed (moved more
 *      than tol, appeared, vanished; and the lights if the brightness
 *      changed by more than 0.1) and "changes" those the prediction changed
 *      (before-reading -> after-reading):
 *   0  targets and changes are disjoint (nothing happened when something
 *      should, or only the wrong object changed), or there are no targets
 *      but something changed;
 *   1  some target changed, but a bystander changed too, a target did not,
 *      or a target changed the wrong way (a move more than 45 degrees off
 *      the true direction, appear/remove/lights the wrong way);
 *   2  right object(s), right direction, final error above tolerance (or no
 *      targets, nothing changed, but an earlier error persists).
 * - Rooms: the camera cell of a frame is the cell whose true view (the map
 *   rendered there) is nearest in mean squared error, searched within
 *   PAN_EVAL_REGISTER_RADIUS cells of a centre cell, kept only when the
 *   RMS error is at most PAN_EVAL_REGISTER_RMS levels (else "unread").
 *   The rubric on cells: 3 the after-cell is the true cell; unread: 0;
 *   no true move: 2 if the prediction did not move either, else 0; a true
 *   move: 0 if the prediction did not move, 1 if it moved more than 45
 *   degrees off the true direction, else 2.
 * - Thread safety: the functions taking a pan_world use it (detector
 *   scratch, renders), so one thread per world; the rest are pure.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_JUDGE_H
#define PAN_BENCHMARKS_EVAL_EVAL_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "env/world.h"

#define PAN_EVAL_REGISTER_RADIUS 12
#define PAN_EVAL_REGISTER_RMS 24.0
#define PAN_EVAL_LIGHTS_TOLERANCE 0.1f

typedef struct pan_eval_object {
    int colour, shape;
    float x, y;           /* frame pixels */
} pan_eval_object;

typedef struct pan_eval_scene {
    int n;
    pan_eval_object objects[PAN_WORLD_MAX_OBJECTS];
    float brightness;
    bool has_camera;      /* rooms: the camera cell is known */
    int camera_x, camera_y; /* rooms: cell indices (camera_x = cell + 0.5) */
} pan_eval_scene;

bool pan_eval_world_is_rooms(const pan_world *world);

/* The truth: tabletop visible objects; rooms visible landmarks converted to
 * frame pixels and the camera cell. */
void pan_eval_scene_from_state(const pan_world *world, const pan_world_state *state,
                               pan_eval_scene *scene);

/* A reading of `frame` (H, W, 3). Rooms: the camera is registered around
 * `truth` (the true state of the step; its map, and its camera cell as the
 * search centre) with pan_eval_register. */
pan_status pan_eval_scene_detect(pan_world *world, const uint8_t *frame,
                                 const pan_world_state *truth, pan_eval_scene *scene);

/* Rooms: registers `frame` against the map of `around` (a true state), in
 * cells within PAN_EVAL_REGISTER_RADIUS of its camera. found = false when no
 * view is within PAN_EVAL_REGISTER_RMS. Leaves the world as it was. */
pan_status pan_eval_register(pan_world *world, const uint8_t *frame,
                             const pan_world_state *around, bool *found, int *cell_x,
                             int *cell_y, double *rms);

/* Comparison of a reading against the truth. */
typedef struct pan_eval_match {
    int true_objects, read_objects;
    int found;            /* true objects with a reading of their pair */
    int within;           /* ... within tolerance */
    int extra;            /* readings with no true object */
    double error_sum;     /* px over found objects */
    double error_missing; /* px: missed objects count as W/2 each */
} pan_eval_match;

void pan_eval_match_scenes(const pan_eval_scene *truth, const pan_eval_scene *read,
                           float tol, int width, pan_eval_match *m);

/* Whether a reading shows the same scene as the truth: every true object
 * within tol, no extra object, brightness within PAN_EVAL_LIGHTS_TOLERANCE,
 * and for rooms the same camera cell (what score 3 requires). */
bool pan_eval_scene_same(bool rooms, const pan_eval_scene *truth, const pan_eval_scene *read,
                         float tol);

/* The rubric; before/after are the prediction's readings and the truth's
 * scenes around one step. */
int pan_eval_judge_step(bool rooms, const pan_eval_scene *true_before,
                        const pan_eval_scene *true_after,
                        const pan_eval_scene *read_before,
                        const pan_eval_scene *read_after, float tol);

/* Frame similarity of two (H, W, 3) frames: PSNR in dB (capped at 99 for
 * identical frames) and SSIM (Gaussian window 11, sigma 1.5, per channel,
 * averaged; C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2). */
double pan_eval_psnr(const uint8_t *a, const uint8_t *b, int h, int w);
double pan_eval_ssim(const uint8_t *a, const uint8_t *b, int h, int w);
/* Mean squared difference over n bytes. */
double pan_eval_mse(const uint8_t *a, const uint8_t *b, size_t n);

#endif
