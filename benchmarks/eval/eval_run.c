/* benchmarks/eval/eval_run.c: pan_eval_run, the whole table for one world
 * and one subject (eval.h). */
#include "benchmarks/eval/eval_internal.h"
#include "benchmarks/eval/eval_degrade.h"

#include <stdio.h>
#include <string.h>

pan_eval_config pan_eval_config_resolve(const pan_eval_config *in, int width) {
    pan_eval_config c = *in;
    if (!c.fidelity_cases) c.fidelity_cases = c.quick ? 12 : 300;
    if (!c.stepwise_cases) c.stepwise_cases = c.quick ? 12 : 100;
    if (!c.rollout_cases) c.rollout_cases = c.quick ? 2 : 8;
    if (!c.rollout_steps) c.rollout_steps = c.quick ? 16 : PAN_EVAL_MAX_ROLLOUT;
    if (!c.revisit_cases) c.revisit_cases = c.quick ? 8 : 60;
    if (!c.planning_tasks) c.planning_tasks = c.quick ? 4 : 100;
    if (c.tolerance_px <= 0) c.tolerance_px = 2.0f * (float)width / 64.0f;
    if (!c.seed_base) c.seed_base = PAN_EVAL_SEED_BASE;
    return c;
}

static pan_status check(const pan_eval_config *c) {
    if (!c->world || (strcmp(c->world, "tabletop") && strcmp(c->world, "rooms")))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "eval: world must be 'tabletop' or 'rooms', got '%s'",
                             c->world ? c->world : "(null)");
    const struct { const char *name; int v, max; } counts[] = {
        {"fidelity_cases", c->fidelity_cases, 1 << 20},
        {"stepwise_cases", c->stepwise_cases, 1 << 20},
        {"rollout_cases", c->rollout_cases, 1 << 20},
        {"rollout_steps", c->rollout_steps, PAN_EVAL_MAX_ROLLOUT},
        {"revisit_cases", c->revisit_cases, 1 << 20},
        {"planning_tasks", c->planning_tasks < 0 ? 1 : c->planning_tasks, 1 << 20}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i].v < 1 || counts[i].v > counts[i].max)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval: %s must be 1..%d, got %d",
                                 counts[i].name, counts[i].max, counts[i].v);
    if (c->seed_base > UINT64_MAX - (UINT64_C(1) << 32))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "eval: seed_base too large");
    return PAN_OK;
}

/* The detector on degraded true frames and on wrong frames (the judges'
 * own error, reported beside the table). */
static pan_status detector_check(const pan_eval_config *c, pan_eval_detector *d) {
    static const char *const presets[PAN_EVAL_DETECTOR_PRESETS] = {"mild", "moderate"};
    d->frames = c->quick ? 96 : 480;
    for (int k = 0; k < PAN_EVAL_DETECTOR_PRESETS; k++) {
        pan_degrade g;
        pan_detector_agreement a;
        pan_detector_wrong w;
        pan_status st;
        if ((st = pan_degrade_preset(presets[k], &g)) != PAN_OK ||
            (st = pan_eval_detector_agreement(c->world, &g, d->frames, c->seed_base + k, &a)) !=
                PAN_OK ||
            (st = pan_eval_detector_wrong(c->world, &g, d->frames / 4, c->seed_base + 16 + k,
                                          &w)) != PAN_OK)
            return st;
        d->preset[k] = presets[k];
        d->agreement[k] = a.agreement;
        d->found_2px[k] = a.all.objects ? (double)a.all.found_2px / a.all.objects : 1.0;
        for (int j = 0; j < PAN_WRONG_KINDS; j++) {
            d->wrong_frames[k] += w.frames[j];
            d->wrong_passed[k] += w.passed[j];
        }
    }
    return PAN_OK;
}

pan_status pan_eval_run(const pan_eval_config *config, pan_eval_subject *s,
                        pan_eval_result *res) {
    if (!config || !s || !res)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "pan_eval_run: NULL argument");
    memset(res, 0, sizeof *res);
    pan_world_config wc = pan_eval_subject_world_config(s);
    pan_eval_config c = pan_eval_config_resolve(config, wc.width);
    pan_status st = check(&c);
    if (st != PAN_OK) return st;
    pan_eval_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.world, sizeof r.world, "%s", c.world);
    snprintf(r.subject, sizeof r.subject, "%s", pan_eval_subject_describe(s));
    r.width = wc.width;
    r.height = wc.height;
    r.frames_per_step = wc.frames_per_step;
    r.tolerance_px = c.tolerance_px;
    double t0 = eval_now(), t;
    for (int split = 0; split < PAN_EVAL_SPLITS; split++)
        if ((st = eval_fidelity(&c, s, split, &r.fidelity[split])) != PAN_OK) return st;
    r.seconds[0] = (t = eval_now()) - t0;
    for (int split = 0; split < PAN_EVAL_SPLITS; split++)
        if ((st = eval_stepwise(&c, s, split, &r.stepwise[split])) != PAN_OK) return st;
    r.seconds[1] = eval_now() - t;
    t = eval_now();
    if ((st = eval_rollouts(&c, s, &r.consistency, &r.smoothness)) != PAN_OK) return st;
    r.seconds[2] = eval_now() - t;
    t = eval_now();
    if (!strcmp(c.world, "rooms")) {
        r.has_revisit = true;
        if ((st = eval_revisit(&c, s, &r.revisit)) != PAN_OK) return st;
    }
    r.seconds[3] = eval_now() - t;
    t = eval_now();
    if ((st = eval_planning(&c, s, &r.planning)) != PAN_OK) return st;
    r.seconds[4] = eval_now() - t;
    if ((st = detector_check(&c, &r.detector)) != PAN_OK) return st;
    r.seconds[5] = eval_now() - t0;
    r.subject_steps = pan_eval_subject_steps(s);
    *res = r;
    return PAN_OK;
}
