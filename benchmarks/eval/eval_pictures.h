/* benchmarks/eval/eval_pictures.h: the pictures of a pan-eval report: for
 * the first consistency rollouts, a PNG strip (one row per step: true |
 * predicted | difference) and an animated GIF of every frame (the same
 * three panels), and the consistency curves plotted by
 * scripts/eval_plots.py (matplotlib) when /usr/bin/python3 has it.
 *
 * Contract
 * - pan_eval_capture holds the frames; eval_rollouts fills it when
 *   config->capture is set (cases x (1 + steps * K) frames of truth and
 *   prediction: the start frame, then every frame of every chunk).
 * - pan_eval_pictures_write writes DIR/rollout-<i>.png and
 *   DIR/rollout-<i>.gif for each captured case and appends their names to
 *   meta->pictures; IO errors name the file (the report can still be
 *   written). pan_eval_plots_write runs the plotting script on
 *   DIR/report.json and appends consistency.png when it succeeds.
 * - PNG through libpng, GIF through giflib (Debian libgif-dev).
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_PICTURES_H
#define PAN_BENCHMARKS_EVAL_EVAL_PICTURES_H

#include <stdint.h>

#include "benchmarks/eval/eval.h"
#include "benchmarks/eval/eval_report.h"

#define PAN_EVAL_CAPTURE_CASES 2
#define PAN_EVAL_CAPTURE_STEPS 12

struct pan_eval_capture {
    int cases, steps, K, H, W;  /* cases and steps actually captured: filled */
    uint8_t *truth;             /* (PAN_EVAL_CAPTURE_CASES, 1 + steps*K, H, W, 3) */
    uint8_t *pred;              /* same */
    char actions[PAN_EVAL_CAPTURE_CASES][PAN_EVAL_CAPTURE_STEPS][PAN_WORLD_ACTION_MAX + 1];
};

pan_status pan_eval_capture_init(pan_eval_capture *cap, const pan_eval_config *cfg,
                                 pan_world_config wc);
void pan_eval_capture_free(pan_eval_capture *cap);

pan_status pan_eval_pictures_write(const char *dir, const pan_eval_capture *cap,
                                   const pan_eval_result *r, pan_eval_report_meta *meta);
pan_status pan_eval_plots_write(const char *dir, const char *source_dir,
                                pan_eval_report_meta *meta);

#endif
