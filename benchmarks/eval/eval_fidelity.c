/* benchmarks/eval/eval_fidelity.c: action fidelity: 3-action closed-loop
 * cases from true frames, every step judged by the 0-3 rubric
 * (eval.h, docs/eval.md "Fidelity"). */
#include "benchmarks/eval/eval_internal.h"

#include <stdlib.h>
#include <string.h>

#define T PAN_EVAL_FIDELITY_STEPS
#define ACT (PAN_WORLD_ACTION_MAX + 1)

typedef struct fid_case {
    pan_world_state start;
    char actions[T][ACT];
    pan_action_result parsed[T];
    pan_world_state truth[T];   /* after each step */
    bool still[T];              /* the step left the true frame unchanged */
} fid_case;

/* Case `index` of `split`: a reset, a warm-up, then 3 actions of the split
 * stepped in the true world. frame (H, W, 3): the start frame; chunk and
 * prev (one frame) are scratch. */
static pan_status make_case(const pan_eval_config *cfg, pan_world *w, int split, int index,
                            uint64_t *seed, fid_case *c, uint8_t *frame, uint8_t *chunk,
                            uint8_t *prev) {
    uint64_t rng;
    pan_status st = eval_case_start(cfg, w, EVAL_METRIC_FIDELITY, split, index, 0,
                                    UINT64_C(0x9e3779b97f4a7c15), seed, &rng, &c->start, frame,
                                    chunk);
    if (st != PAN_OK) return st;
    bool heading_known = false;
    pan_split sp = split ? PAN_SPLIT_HELDOUT : PAN_SPLIT_TRAIN;
    pan_world_config wc = pan_world_get_config(w);
    size_t fb = (size_t)wc.height * wc.width * 3;
    const uint8_t *last = chunk + (wc.frames_per_step - 1) * fb;
    memcpy(prev, frame, fb);
    for (int t = 0; t < T; t++) {
        if ((st = eval_sample_action(w, &rng, sp, &heading_known, c->actions[t],
                                     &c->parsed[t])) != PAN_OK ||
            (st = pan_world_step(w, c->actions[t], chunk, NULL)) != PAN_OK ||
            (st = pan_world_get_state(w, &c->truth[t])) != PAN_OK)
            return st;
        c->still[t] = !memcmp(prev, last, fb);
        memcpy(prev, last, fb);
    }
    return PAN_OK;
}

/* The accumulators, one flat array: score, pass, then by kind, by group and
 * by step position. */
enum {
    A_SCORE = 0,
    A_PASS,
    A_KIND_SCORE,                               /* 2 */
    A_KIND_PASS = A_KIND_SCORE + 2,             /* 2 */
    A_GROUP_SCORE = A_KIND_PASS + 2,            /* PAN_EVAL_GROUP_COUNT */
    A_GROUP_PASS = A_GROUP_SCORE + PAN_EVAL_GROUP_COUNT,
    A_STEP_PASS = A_GROUP_PASS + PAN_EVAL_GROUP_COUNT, /* T */
    A_COUNT = A_STEP_PASS + T
};

static pan_status record(pan_eval_acc *a, pan_eval_fidelity *res, int64_t id, int t,
                         bool rooms, const pan_action_result *r, int score) {
    double s3 = score / 3.0, pass = score == 3;
    int kind = r->kind == PAN_ACTION_AGENT ? 0 : r->kind == PAN_ACTION_ENVIRONMENT ? 1 : -1;
    pan_eval_group g = eval_action_group(rooms, r);
    res->histogram[score]++;
    const int slots[] = {A_SCORE, A_PASS, A_GROUP_SCORE + g, A_GROUP_PASS + g, A_STEP_PASS + t,
                         kind >= 0 ? A_KIND_SCORE + kind : -1,
                         kind >= 0 ? A_KIND_PASS + kind : -1};
    const double values[] = {s3, pass, s3, pass, pass, s3, pass};
    for (int j = 0; j < 7; j++) {
        if (slots[j] < 0) continue;
        pan_status st = pan_eval_acc_add(&a[slots[j]], id, values[j]);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

pan_status eval_fidelity(const pan_eval_config *cfg, pan_eval_subject *s, int split,
                         pan_eval_fidelity *res) {
    memset(res, 0, sizeof *res);
    pan_world_config wc = pan_eval_subject_world_config(s);
    int cap = pan_eval_subject_capacity(s), N = cfg->fidelity_cases;
    size_t fb = (size_t)wc.height * wc.width * 3, cb = fb * wc.frames_per_step;
    pan_world *w = NULL, *judge = NULL;
    pan_eval_acc a[A_COUNT];
    for (int k = 0; k < A_COUNT; k++) pan_eval_acc_init(&a[k]);
    fid_case *cases = calloc((size_t)cap, sizeof *cases);
    uint8_t *frames = malloc(cap * fb), *chunks = malloc(cap * cb), *prev = malloc(fb);
    uint64_t *seeds = malloc(cap * sizeof *seeds);
    pan_world_state *states = malloc(cap * sizeof *states);
    const char **acts = malloc(cap * sizeof *acts);
    pan_eval_scene *tprev = malloc(cap * sizeof *tprev), *rprev = malloc(cap * sizeof *rprev);
    pan_status st = PAN_OK;
    if (!cases || !frames || !chunks || !prev || !seeds || !states || !acts || !tprev || !rprev) {
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "eval fidelity: out of memory");
        goto done;
    }
    if ((st = pan_world_create(cfg->world, &wc, &w)) != PAN_OK ||
        (st = pan_world_create(cfg->world, &wc, &judge)) != PAN_OK)
        goto done;
    bool rooms = pan_eval_world_is_rooms(w);
    eval_progress prog;
    eval_progress_begin(&prog, cfg->progress, split ? "fidelity (held-out)" : "fidelity (train)",
                        (int64_t)N * T);
    for (int b0 = 0; b0 < N; b0 += cap) {
        int n = N - b0 < cap ? N - b0 : cap;
        for (int i = 0; i < n; i++) {
            if ((st = make_case(cfg, w, split, b0 + i, &seeds[i], &cases[i], frames + i * fb,
                                chunks, prev)) != PAN_OK)
                goto done;
            states[i] = cases[i].start;
            pan_eval_scene_from_state(w, &cases[i].start, &tprev[i]);
            if ((st = pan_eval_scene_detect(judge, frames + i * fb, &cases[i].start,
                                            &rprev[i])) != PAN_OK)
                goto done;
        }
        if ((st = pan_eval_subject_reset(s, n, seeds, states, frames)) != PAN_OK) goto done;
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) acts[i] = cases[i].actions[t];
            if ((st = pan_eval_subject_step(s, n, acts, chunks)) != PAN_OK) goto done;
            for (int i = 0; i < n; i++) {
                const uint8_t *last = chunks + i * cb + (wc.frames_per_step - 1) * fb;
                pan_eval_scene ta, ra;
                pan_eval_scene_from_state(w, &cases[i].truth[t], &ta);
                if ((st = pan_eval_scene_detect(judge, last, &cases[i].truth[t], &ra)) != PAN_OK)
                    goto done;
                if (cases[i].still[t])
                    res->truth_still[t]++;
                else if (pan_eval_scene_same(rooms, &tprev[i], &ta, cfg->tolerance_px))
                    res->truth_small[t]++;
                int score = pan_eval_judge_step(rooms, &tprev[i], &ta, &rprev[i], &ra,
                                                cfg->tolerance_px);
                if ((st = record(a, res, b0 + i, t, rooms, &cases[i].parsed[t], score)) != PAN_OK)
                    goto done;
                tprev[i] = ta;
                rprev[i] = ra;
            }
            eval_progress_add(&prog, n);
        }
    }
    eval_progress_end(&prog);
    res->score = pan_eval_acc_stat(&a[A_SCORE]);
    res->pass = pan_eval_acc_stat(&a[A_PASS]);
    for (int k = 0; k < 2; k++) {
        res->kind_score[k] = pan_eval_acc_stat(&a[A_KIND_SCORE + k]);
        res->kind_pass[k] = pan_eval_acc_stat(&a[A_KIND_PASS + k]);
    }
    for (int g = 0; g < PAN_EVAL_GROUP_COUNT; g++) {
        res->group_score[g] = pan_eval_acc_stat(&a[A_GROUP_SCORE + g]);
        res->group_pass[g] = pan_eval_acc_stat(&a[A_GROUP_PASS + g]);
    }
    for (int t = 0; t < T; t++) res->step_pass[t] = pan_eval_acc_stat(&a[A_STEP_PASS + t]);
done:
    for (int k = 0; k < A_COUNT; k++) pan_eval_acc_free(&a[k]);
    pan_world_destroy(w);
    pan_world_destroy(judge);
    free(cases);
    free(frames);
    free(chunks);
    free(prev);
    free(seeds);
    free(states);
    free(acts);
    free(tprev);
    free(rprev);
    return st;
}
