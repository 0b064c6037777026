/* benchmarks/eval/eval.h: pan-eval, PAN's evaluation table with exact
 * judges: a world model (the "subject") is run against a ground-truth world
 * on generated cases and every prediction is judged by the world's own
 * detector and state (docs/eval.md is the specification).
 *
 * Contract
 * - pan_eval_run evaluates one subject (eval_subject.h: the true world, the
 *   frozen model, an in-process checkpoint, or a model served by pan-server)
 *   on one world ("tabletop" | "rooms") and fills a pan_eval_result:
 *     fidelity (per split: train, held-out): 0-3 rubric per judged step of
 *       3-action closed-loop cases, mean score / 3 and strict pass rate,
 *       by action kind (agent / environment) and by action group;
 *     step-wise (per split): 4-way choice of the true next chunk;
 *     consistency: closed-loop rollouts, per-step curves of object error,
 *       recall, precision, PSNR, SSIM (rooms: camera error too), values at
 *       steps 10 / 32 / 64 and later-steps-weighted means;
 *     smoothness: PAN's median velocity x exp(-median acceleration) over the
 *       detector's object tracks of every frame of the first 10 steps of
 *       those rollouts, and the same for the true world on the same cases;
 *     revisit (rooms): walk out and back, the return view against the
 *       departure view and the truth;
 *     structured planning: random, no-model, propose-k-simulate-pick and
 *       CEM imagining in the subject, and the oracle (CEM imagining in the
 *       true world), all acting in the true world.
 * - Cases are pure functions of (world, metric, split, case index) and the
 *   seed base: every episode seed lies in [PAN_EVAL_SEED_BASE,
 *   PAN_EVAL_SEED_BASE + 2^32), disjoint from training, which draws its
 *   seeds below PAN_EVAL_SEED_BASE (docs/eval.md, "Seeds"). The same
 *   config and subject give the same result (given a deterministic
 *   subject; a served model is deterministic too).
 * - Every statistic is n, mean and a 95% bootstrap interval over cases
 *   (clustered: the judged steps of one case are resampled together), from
 *   a fixed bootstrap seed.
 * - Errors: INVALID_ARGUMENT for a bad config (the message names the
 *   field), whatever the subject returns (with its message). A failed run
 *   leaves `result` zeroed. Progress lines go to config->progress (NULL:
 *   silent).
 * - Thread safety: one run at a time per subject.
 */
#ifndef PAN_BENCHMARKS_EVAL_EVAL_H
#define PAN_BENCHMARKS_EVAL_EVAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "benchmarks/eval/eval_stats.h"
#include "benchmarks/eval/eval_subject.h"
#include "core/status.h"

#define PAN_EVAL_SEED_BASE (UINT64_C(1) << 40)
#define PAN_EVAL_FIDELITY_STEPS 3
#define PAN_EVAL_MAX_ROLLOUT 64
#define PAN_EVAL_SPLITS 2 /* 0 train, 1 held-out */

typedef enum pan_eval_group {
    PAN_EVAL_GROUP_DIRECTION = 0, /* tabletop */
    PAN_EVAL_GROUP_PLACE,
    PAN_EVAL_GROUP_RELATION,
    PAN_EVAL_GROUP_LIGHTS,
    PAN_EVAL_GROUP_APPEAR,
    PAN_EVAL_GROUP_REMOVE,
    PAN_EVAL_GROUP_WAIT,          /* both worlds */
    PAN_EVAL_GROUP_MOVE,          /* rooms: compass, forward, back */
    PAN_EVAL_GROUP_TURN,          /* rooms: turn, face */
    PAN_EVAL_GROUP_COUNT
} pan_eval_group;

const char *pan_eval_group_name(pan_eval_group g);

typedef struct pan_eval_capture pan_eval_capture;

typedef struct pan_eval_config {
    const char *world;        /* "tabletop" | "rooms" */
    bool quick;               /* the small case counts below */
    int fidelity_cases;       /* per split; 0: 300 (quick 12) */
    int stepwise_cases;       /* per split; 0: 100 (quick 12) */
    int rollout_cases;        /* consistency rollouts; 0: 8 (quick 2) */
    int rollout_steps;        /* 0: 64 (quick 16); at most 64 */
    int revisit_cases;        /* rooms; 0: 60 (quick 8) */
    int planning_tasks;       /* structured tasks per planner; 0: 100
                                 (quick 4); -1: no planning */
    float tolerance_px;       /* 0: 2 px at 64 px width, scaled with width */
    uint64_t seed_base;       /* 0: PAN_EVAL_SEED_BASE */
    FILE *progress;           /* progress lines with rate and ETA, or NULL */
    struct pan_eval_capture *capture; /* frames for pictures (eval_pictures.h),
                                         filled by the rollouts; or NULL */
} pan_eval_config;

typedef struct pan_eval_fidelity {
    pan_eval_stat score, pass;            /* all judged steps */
    pan_eval_stat kind_score[2], kind_pass[2]; /* 0 agent, 1 environment */
    pan_eval_stat group_score[PAN_EVAL_GROUP_COUNT];
    pan_eval_stat group_pass[PAN_EVAL_GROUP_COUNT];
    pan_eval_stat step_pass[PAN_EVAL_FIDELITY_STEPS]; /* by position in case */
    int64_t histogram[4];                 /* judged steps per score 0..3 */
    /* judged steps at that position whose true action left the frame
     * unchanged (still), or changed it but not the scene beyond the
     * tolerance (small): what a do-nothing model can pass */
    int64_t truth_still[PAN_EVAL_FIDELITY_STEPS], truth_small[PAN_EVAL_FIDELITY_STEPS];
} pan_eval_fidelity;

typedef struct pan_eval_curve {
    int steps;                            /* T */
    double object_error[PAN_EVAL_MAX_ROLLOUT]; /* px, mean over cases */
    double recall[PAN_EVAL_MAX_ROLLOUT], precision[PAN_EVAL_MAX_ROLLOUT];
    double psnr[PAN_EVAL_MAX_ROLLOUT], ssim[PAN_EVAL_MAX_ROLLOUT];
    double camera_error[PAN_EVAL_MAX_ROLLOUT]; /* rooms: cells */
    /* later-steps-weighted means (weight t) */
    pan_eval_stat w_object_error, w_recall, w_precision, w_psnr, w_ssim,
        w_camera_error;
} pan_eval_curve;

typedef struct pan_eval_smoothness {
    double value, truth_value, ratio;     /* ratio = value / truth_value */
    double median_speed, median_accel;    /* px / frame, px / frame^2 */
    int64_t samples, truth_samples;
} pan_eval_smoothness;

typedef struct pan_eval_revisit {
    pan_eval_stat pass;         /* return view registered at the departure
                                   cell and PSNR(return, departure) >= 22 dB */
    pan_eval_stat psnr_departure, psnr_truth; /* dB of the return view */
} pan_eval_revisit;

/* Structured planning: the planners of agents/c/planner.h act in the true
 * world on "structured: random" tasks (budget 5-10 actions); success is
 * the goal predicate in the true world. */
enum { PAN_EVAL_PLAN_RANDOM = 0, PAN_EVAL_PLAN_NOMODEL, PAN_EVAL_PLAN_PICK,
       PAN_EVAL_PLAN_CEM, PAN_EVAL_PLAN_ORACLE, PAN_EVAL_PLANNERS };

const char *pan_eval_planner_name(int planner);

typedef struct pan_eval_planning {
    bool measured;              /* false: the subject cannot imagine
                                   (frozen, server) or planning was off */
    char why_not[128];
    int tasks;
    pan_eval_stat success[PAN_EVAL_PLANNERS];
    double mean_actions[PAN_EVAL_PLANNERS];
    double decisions_per_s[PAN_EVAL_PLANNERS];
    double imagined_steps_per_s[PAN_EVAL_PLANNERS];
    double pan_minus_nomodel;   /* points: CEM in the model - no-model */
    double oracle_minus_pan;    /* points: oracle - CEM in the model */
} pan_eval_planning;

/* The judges' own check: the world's detector on true frames degraded as a
 * model degrades them (eval_degrade.h presets "mild" and "moderate"), and on
 * wrong frames under the same degradations (none may pass). */
#define PAN_EVAL_DETECTOR_PRESETS 2
typedef struct pan_eval_detector {
    int frames;                                   /* true frames per preset */
    const char *preset[PAN_EVAL_DETECTOR_PRESETS];
    double agreement[PAN_EVAL_DETECTOR_PRESETS];  /* frames read entirely right */
    double found_2px[PAN_EVAL_DETECTOR_PRESETS];  /* objects within 2 px */
    long wrong_frames[PAN_EVAL_DETECTOR_PRESETS]; /* wrong frames built */
    long wrong_passed[PAN_EVAL_DETECTOR_PRESETS]; /* ... read as the truth */
} pan_eval_detector;

typedef struct pan_eval_result {
    char world[16];
    char subject[256];                    /* pan_eval_subject_describe */
    int width, height, frames_per_step;
    float tolerance_px;
    pan_eval_fidelity fidelity[PAN_EVAL_SPLITS];
    pan_eval_stat stepwise[PAN_EVAL_SPLITS];
    pan_eval_curve consistency;
    pan_eval_smoothness smoothness;
    bool has_revisit;
    pan_eval_revisit revisit;
    pan_eval_planning planning;
    pan_eval_detector detector;
    int64_t subject_steps;                /* env steps the subject ran */
    double seconds[6];                    /* fidelity, stepwise, rollouts,
                                             revisit, planning, total */
} pan_eval_result;

/* The defaults filled in (case counts, tolerance, seed base). */
pan_eval_config pan_eval_config_resolve(const pan_eval_config *config,
                                        int width);

pan_status pan_eval_run(const pan_eval_config *config, pan_eval_subject *subject,
                        pan_eval_result *result);

#endif
