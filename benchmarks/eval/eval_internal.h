/* benchmarks/eval/eval_internal.h: what the metric files of pan-eval share
 * (internal): case seeds, action groups, sampling with the rooms heading
 * rule, progress lines, and the per-metric entry points pan_eval_run calls.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_INTERNAL_H
#define PAN_BENCHMARKS_EVAL_EVAL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "benchmarks/eval/eval.h"
#include "benchmarks/eval/eval_judge.h"

/* Seed sub-ranges of [seed_base, seed_base + 2^32): metric m, split s,
 * case i (attempt a when a case had to be drawn again). */
enum { EVAL_METRIC_FIDELITY = 0, EVAL_METRIC_STEPWISE, EVAL_METRIC_ROLLOUT,
       EVAL_METRIC_REVISIT, EVAL_METRIC_PLANNING };
uint64_t eval_case_seed(const pan_eval_config *cfg, int metric, int split, int index,
                        int attempt);

/* The action group of a parsed action (from its canonical form). */
pan_eval_group eval_action_group(bool rooms, const pan_action_result *r);

/* Draws an action of `split` for the world's current state into buf
 * (PAN_WORLD_ACTION_MAX + 1 bytes) and parses it into r. Rooms: a forward
 * or back move is redrawn while *heading_known is false (the model cannot
 * see the heading); a compass move or "face" makes it known. */
pan_status eval_sample_action(pan_world *w, uint64_t *rng, pan_split split,
                              bool *heading_known, char *buf, pan_action_result *r);

/* The start of a case: the world reset from the case's seed (returned in
 * *seed), the warm-up from *rng (seeded here from the seed and `salt`),
 * the start state and its frame (H, W, 3); chunk is scratch. */
pan_status eval_case_start(const pan_eval_config *cfg, pan_world *w, int metric, int split,
                           int index, int attempt, uint64_t salt, uint64_t *seed,
                           uint64_t *rng, pan_world_state *start, uint8_t *frame,
                           uint8_t *chunk);

/* Warm-up: 0-2 train actions from rng so cases do not all start at a reset
 * state (rooms: compass moves only, so the heading stays unknown). */
pan_status eval_warm_up(pan_world *w, uint64_t *rng, uint8_t *chunk);

typedef struct eval_progress {
    FILE *out;
    const char *what, *unit;  /* unit: "case steps" unless set after begin */
    int64_t total, done;
    double start, last;
    bool tty;
} eval_progress;

double eval_now(void);
void eval_progress_begin(eval_progress *p, FILE *out, const char *what, int64_t total);
void eval_progress_add(eval_progress *p, int64_t units);
void eval_progress_end(eval_progress *p);

/* The metrics; each fills its part of `res`. */
pan_status eval_fidelity(const pan_eval_config *cfg, pan_eval_subject *s, int split,
                         pan_eval_fidelity *res);
pan_status eval_stepwise(const pan_eval_config *cfg, pan_eval_subject *s, int split,
                         pan_eval_stat *res);
pan_status eval_rollouts(const pan_eval_config *cfg, pan_eval_subject *s,
                         pan_eval_curve *curve, pan_eval_smoothness *smooth);
pan_status eval_revisit(const pan_eval_config *cfg, pan_eval_subject *s,
                        pan_eval_revisit *res);
pan_status eval_planning(const pan_eval_config *cfg, pan_eval_subject *s,
                         pan_eval_planning *res);

/* Smoothness of object tracks: frames (F, H, W, 3) of one clip read by the
 * detector; appends speed / acceleration samples (px per frame) of the
 * pairs seen in three consecutive frames that move (more than 0.5 px in
 * either of the two intervals). */
typedef struct eval_track_samples {
    double *speed, *accel;
    int64_t n, capacity;
} eval_track_samples;
pan_status eval_track_clip(pan_world *w, const uint8_t *frames, int n_frames,
                           eval_track_samples *out);
void eval_track_free(eval_track_samples *t);
void eval_smoothness_of(eval_track_samples *t, double *value, double *median_speed,
                        double *median_accel);

#endif
