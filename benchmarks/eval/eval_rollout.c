/* benchmarks/eval/eval_rollout.c: long-horizon closed-loop rollouts from one
 * true frame: simulation consistency per step (object error, recall,
 * precision, PSNR, SSIM; rooms: camera error) and transition smoothness
 * over the first 10 steps (eval.h, docs/eval.md "Consistency"). */
#include "benchmarks/eval/eval_internal.h"
#include "benchmarks/eval/eval_pictures.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define ACT (PAN_WORLD_ACTION_MAX + 1)
#define SMOOTH_STEPS 10
#define CAMERA_MISS (PAN_EVAL_REGISTER_RADIUS + 1) /* cells, an unread view */

enum { M_ERROR = 0, M_RECALL, M_PRECISION, M_PSNR, M_SSIM, M_CAMERA, M_COUNT };

typedef struct ro_case {
    pan_world_state start;
    char (*actions)[ACT];        /* (T) */
    pan_world_state *truth;      /* (T) after each step */
    uint8_t *chunks;             /* (T, K, H, W, 3) true */
} ro_case;

static pan_status make_case(const pan_eval_config *cfg, pan_world *w, int index, int T,
                            uint64_t *seed, ro_case *c, uint8_t *frame, size_t cb) {
    *seed = eval_case_seed(cfg, EVAL_METRIC_ROLLOUT, 0, index, 0);
    uint64_t rng = *seed ^ UINT64_C(0x2545f4914f6cdd1d);
    pan_status st;
    if ((st = pan_world_reset(w, *seed, frame)) != PAN_OK ||
        (st = pan_world_get_state(w, &c->start)) != PAN_OK)
        return st;
    bool heading_known = false;
    pan_action_result r;
    for (int t = 0; t < T; t++) {
        if ((st = eval_sample_action(w, &rng, PAN_SPLIT_TRAIN, &heading_known, c->actions[t],
                                     &r)) != PAN_OK ||
            (st = pan_world_step(w, c->actions[t], c->chunks + t * cb, NULL)) != PAN_OK ||
            (st = pan_world_get_state(w, &c->truth[t])) != PAN_OK)
            return st;
    }
    return PAN_OK;
}

/* Per step sums and counts of each measure, and per case weighted sums. */
typedef struct ro_sums {
    double sum[M_COUNT][PAN_EVAL_MAX_ROLLOUT];
    int64_t count[M_COUNT][PAN_EVAL_MAX_ROLLOUT];
} ro_sums;

static void add(ro_sums *s, double *wsum, double *wcount, int m, int t, double v) {
    s->sum[m][t] += v;
    s->count[m][t]++;
    wsum[m] += (t + 1) * v;
    wcount[m] += t + 1;
}

/* Measures one predicted last frame against the truth of step t. */
static pan_status measure(pan_world *judge, bool rooms, const uint8_t *pred,
                          const uint8_t *truth_frame, const pan_world_state *truth, float tol,
                          int t, ro_sums *s, double *wsum, double *wcount) {
    pan_world_config wc = pan_world_get_config(judge);
    pan_eval_scene ts, rs;
    pan_eval_scene_from_state(judge, truth, &ts);
    pan_status st = pan_eval_scene_detect(judge, pred, truth, &rs);
    if (st != PAN_OK) return st;
    pan_eval_match m;
    pan_eval_match_scenes(&ts, &rs, tol, wc.width, &m);
    if (m.true_objects) {
        add(s, wsum, wcount, M_ERROR, t, (m.error_sum + m.error_missing) / m.true_objects);
        add(s, wsum, wcount, M_RECALL, t, (double)m.found / m.true_objects);
    }
    if (m.read_objects) add(s, wsum, wcount, M_PRECISION, t, (double)m.found / m.read_objects);
    add(s, wsum, wcount, M_PSNR, t, pan_eval_psnr(pred, truth_frame, wc.height, wc.width));
    add(s, wsum, wcount, M_SSIM, t, pan_eval_ssim(pred, truth_frame, wc.height, wc.width));
    if (rooms)
        add(s, wsum, wcount, M_CAMERA, t,
            rs.has_camera ? hypot(rs.camera_x - ts.camera_x, rs.camera_y - ts.camera_y)
                          : CAMERA_MISS);
    return PAN_OK;
}

pan_status eval_rollouts(const pan_eval_config *cfg, pan_eval_subject *s,
                         pan_eval_curve *curve, pan_eval_smoothness *smooth) {
    memset(curve, 0, sizeof *curve);
    memset(smooth, 0, sizeof *smooth);
    pan_world_config wc = pan_eval_subject_world_config(s);
    int cap = pan_eval_subject_capacity(s), N = cfg->rollout_cases, T = cfg->rollout_steps;
    int S = T < SMOOTH_STEPS ? T : SMOOTH_STEPS, K = wc.frames_per_step;
    size_t fb = (size_t)wc.height * wc.width * 3, cb = fb * K, clip = fb * (1 + (size_t)S * K);
    pan_world *w = NULL, *judge = NULL;
    ro_sums *sums = calloc(1, sizeof *sums);
    pan_eval_acc wacc[M_COUNT];
    for (int m = 0; m < M_COUNT; m++) pan_eval_acc_init(&wacc[m]);
    eval_track_samples model_tracks = {0}, truth_tracks = {0};
    ro_case *cases = calloc((size_t)cap, sizeof *cases);
    char (*actions)[ACT] = malloc((size_t)cap * T * ACT);
    pan_world_state *truth = malloc((size_t)cap * T * sizeof *truth);
    uint8_t *true_chunks = malloc((size_t)cap * T * cb);
    uint8_t *frames = malloc(cap * fb), *chunks = malloc(cap * cb);
    uint8_t *pclip = malloc(cap * clip), *tclip = malloc(clip);
    uint64_t *seeds = malloc(cap * sizeof *seeds);
    pan_world_state *states = malloc(cap * sizeof *states);
    const char **acts = malloc(cap * sizeof *acts);
    double (*wsum)[M_COUNT] = calloc((size_t)cap, sizeof *wsum);
    double (*wcount)[M_COUNT] = calloc((size_t)cap, sizeof *wcount);
    pan_status st = PAN_OK;
    if (!sums || !cases || !actions || !truth || !true_chunks || !frames || !chunks || !pclip ||
        !tclip || !seeds || !states || !acts || !wsum || !wcount) {
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval rollouts: out of memory");
        goto done;
    }
    if ((st = pan_world_create(cfg->world, &wc, &w)) != PAN_OK ||
        (st = pan_world_create(cfg->world, &wc, &judge)) != PAN_OK)
        goto done;
    bool rooms = pan_eval_world_is_rooms(w);
    pan_eval_capture *capture = cfg->capture;
    if (capture) {
        capture->cases = N < PAN_EVAL_CAPTURE_CASES ? N : PAN_EVAL_CAPTURE_CASES;
        capture->steps = T < PAN_EVAL_CAPTURE_STEPS ? T : PAN_EVAL_CAPTURE_STEPS;
    }
    size_t cclip = fb * (1 + (size_t)(capture ? capture->steps : 0) * K);
    eval_progress prog;
    eval_progress_begin(&prog, cfg->progress, "consistency rollouts", (int64_t)N * T);
    for (int b0 = 0; b0 < N; b0 += cap) {
        int n = N - b0 < cap ? N - b0 : cap;
        for (int i = 0; i < n; i++) {
            cases[i].actions = actions + (size_t)i * T;
            cases[i].truth = truth + (size_t)i * T;
            cases[i].chunks = true_chunks + (size_t)i * T * cb;
            if ((st = make_case(cfg, w, b0 + i, T, &seeds[i], &cases[i], frames + i * fb, cb)) !=
                PAN_OK)
                goto done;
            states[i] = cases[i].start;
            memcpy(pclip + i * clip, frames + i * fb, fb);
            memset(wsum[i], 0, sizeof wsum[i]);
            memset(wcount[i], 0, sizeof wcount[i]);
            if (capture && b0 + i < capture->cases) {
                memcpy(capture->truth + (b0 + i) * cclip, frames + i * fb, fb);
                memcpy(capture->pred + (b0 + i) * cclip, frames + i * fb, fb);
            }
        }
        if ((st = pan_eval_subject_reset(s, n, seeds, states, frames)) != PAN_OK) goto done;
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) acts[i] = cases[i].actions[t];
            if ((st = pan_eval_subject_step(s, n, acts, chunks)) != PAN_OK) goto done;
            for (int i = 0; i < n; i++) {
                const uint8_t *pred = chunks + i * cb + (K - 1) * fb;
                const uint8_t *tf = cases[i].chunks + t * cb + (K - 1) * fb;
                if ((st = measure(judge, rooms, pred, tf, &cases[i].truth[t],
                                  cfg->tolerance_px, t, sums, wsum[i], wcount[i])) != PAN_OK)
                    goto done;
                if (t < S) memcpy(pclip + i * clip + fb * (1 + (size_t)t * K), chunks + i * cb, cb);
                if (capture && b0 + i < capture->cases && t < capture->steps) {
                    size_t at = (b0 + i) * cclip + fb * (1 + (size_t)t * K);
                    memcpy(capture->pred + at, chunks + i * cb, cb);
                    memcpy(capture->truth + at, cases[i].chunks + t * cb, cb);
                    snprintf(capture->actions[b0 + i][t], ACT, "%s", cases[i].actions[t]);
                }
            }
            eval_progress_add(&prog, n);
        }
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < M_COUNT; m++) {
                if (wcount[i][m] > 0 &&
                    (st = pan_eval_acc_add(&wacc[m], b0 + i, wsum[i][m] / wcount[i][m])) != PAN_OK)
                    goto done;
            }
            memcpy(tclip, frames + i * fb, fb);
            memcpy(tclip + fb, cases[i].chunks, (size_t)S * cb);
            if ((st = eval_track_clip(judge, pclip + i * clip, 1 + S * K, &model_tracks)) != PAN_OK ||
                (st = eval_track_clip(judge, tclip, 1 + S * K, &truth_tracks)) != PAN_OK)
                goto done;
        }
    }
    eval_progress_end(&prog);
    curve->steps = T;
    double *dst[M_COUNT] = {curve->object_error, curve->recall, curve->precision, curve->psnr,
                            curve->ssim, curve->camera_error};
    for (int m = 0; m < M_COUNT; m++)
        for (int t = 0; t < T; t++)
            dst[m][t] = sums->count[m][t] ? sums->sum[m][t] / sums->count[m][t] : NAN;
    pan_eval_stat *wdst[M_COUNT] = {&curve->w_object_error, &curve->w_recall,
                                    &curve->w_precision, &curve->w_psnr, &curve->w_ssim,
                                    &curve->w_camera_error};
    for (int m = 0; m < M_COUNT; m++) *wdst[m] = pan_eval_acc_stat(&wacc[m]);
    double tm, ta;
    smooth->samples = model_tracks.n;
    smooth->truth_samples = truth_tracks.n;
    eval_smoothness_of(&model_tracks, &smooth->value, &smooth->median_speed, &smooth->median_accel);
    eval_smoothness_of(&truth_tracks, &smooth->truth_value, &tm, &ta);
    smooth->ratio = smooth->truth_value > 0 ? smooth->value / smooth->truth_value : NAN;
done:
    for (int m = 0; m < M_COUNT; m++) pan_eval_acc_free(&wacc[m]);
    eval_track_free(&model_tracks);
    eval_track_free(&truth_tracks);
    pan_world_destroy(w);
    pan_world_destroy(judge);
    free(sums);
    free(cases);
    free(actions);
    free(truth);
    free(true_chunks);
    free(frames);
    free(chunks);
    free(pclip);
    free(tclip);
    free(seeds);
    free(states);
    free(acts);
    free(wsum);
    free(wcount);
    return st;
}
