/* benchmarks/eval/eval_report_json.c: report.json (eval_report.h). */
#include "benchmarks/eval/eval_report.h"
#include "benchmarks/eval/eval_report_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *stat_json(const pan_eval_stat *s) {
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer(s->n));
    json_object_set_new(o, "cases", json_integer(s->clusters));
    json_object_set_new(o, "mean", num(s->mean));
    json_object_set_new(o, "ci95", json_pack("[o o]", num(s->lo), num(s->hi)));
    return o;
}

static json_t *fidelity_json(const pan_eval_fidelity *f) {
    json_t *o = json_object();
    json_object_set_new(o, "score", stat_json(&f->score));
    json_object_set_new(o, "pass", stat_json(&f->pass));
    const char *kinds[2] = {"agent", "environment"};
    for (int k = 0; k < 2; k++)
        json_object_set_new(o, kinds[k], json_pack("{s o s o}", "score",
                                                   stat_json(&f->kind_score[k]), "pass",
                                                   stat_json(&f->kind_pass[k])));
    json_t *groups = json_object();
    for (int g = 0; g < PAN_EVAL_GROUP_COUNT; g++)
        if (f->group_score[g].n)
            json_object_set_new(groups, pan_eval_group_name(g),
                                json_pack("{s o s o}", "score", stat_json(&f->group_score[g]),
                                          "pass", stat_json(&f->group_pass[g])));
    json_object_set_new(o, "groups", groups);
    json_t *steps = json_array();
    for (int t = 0; t < PAN_EVAL_FIDELITY_STEPS; t++) json_array_append_new(steps, stat_json(&f->step_pass[t]));
    json_object_set_new(o, "pass_by_step", steps);
    json_object_set_new(o, "truth_still_by_step",
                        json_pack("[I I I]", (json_int_t)f->truth_still[0],
                                  (json_int_t)f->truth_still[1], (json_int_t)f->truth_still[2]));
    json_object_set_new(o, "truth_small_by_step",
                        json_pack("[I I I]", (json_int_t)f->truth_small[0],
                                  (json_int_t)f->truth_small[1], (json_int_t)f->truth_small[2]));
    json_object_set_new(o, "histogram", json_pack("[I I I I]", (json_int_t)f->histogram[0],
                                                  (json_int_t)f->histogram[1],
                                                  (json_int_t)f->histogram[2],
                                                  (json_int_t)f->histogram[3]));
    return o;
}

static json_t *curve_array(const double *v, int n) {
    json_t *a = json_array();
    for (int t = 0; t < n; t++) json_array_append_new(a, num(v[t]));
    return a;
}

static json_t *consistency_json(const pan_eval_result *r) {
    const pan_eval_curve *c = &r->consistency;
    json_t *o = json_object();
    json_object_set_new(o, "steps", json_integer(c->steps));
    json_t *curves = json_object();
    json_object_set_new(curves, "object_error_px", curve_array(c->object_error, c->steps));
    json_object_set_new(curves, "recall", curve_array(c->recall, c->steps));
    json_object_set_new(curves, "precision", curve_array(c->precision, c->steps));
    json_object_set_new(curves, "psnr_db", curve_array(c->psnr, c->steps));
    json_object_set_new(curves, "ssim", curve_array(c->ssim, c->steps));
    if (!strcmp(r->world, "rooms"))
        json_object_set_new(curves, "camera_error_cells", curve_array(c->camera_error, c->steps));
    json_object_set_new(o, "curves", curves);
    json_t *w = json_object();
    json_object_set_new(w, "object_error_px", stat_json(&c->w_object_error));
    json_object_set_new(w, "recall", stat_json(&c->w_recall));
    json_object_set_new(w, "precision", stat_json(&c->w_precision));
    json_object_set_new(w, "psnr_db", stat_json(&c->w_psnr));
    json_object_set_new(w, "ssim", stat_json(&c->w_ssim));
    if (!strcmp(r->world, "rooms"))
        json_object_set_new(w, "camera_error_cells", stat_json(&c->w_camera_error));
    json_object_set_new(o, "later_weighted", w);
    json_t *at = json_object();
    const int marks[3] = {10, 32, 64};
    for (int k = 0; k < 3; k++) {
        if (marks[k] > c->steps) continue;
        char key[8];
        snprintf(key, sizeof key, "%d", marks[k]);
        int t = marks[k] - 1;
        json_object_set_new(at, key, json_pack("{s o s o s o s o s o}", "object_error_px",
                                               num(c->object_error[t]), "recall",
                                               num(c->recall[t]), "precision",
                                               num(c->precision[t]), "psnr_db", num(c->psnr[t]),
                                               "ssim", num(c->ssim[t])));
    }
    json_object_set_new(o, "at_step", at);
    return o;
}

json_t *pan_eval_report_json(const pan_eval_result *r, const pan_eval_report_meta *m) {
    json_t *o = json_object();
    json_object_set_new(o, "format", json_string("pan-eval report 1"));
    json_object_set_new(o, "world", json_string(r->world));
    json_object_set_new(o, "subject", json_string(r->subject));
    json_object_set_new(o, "commit", json_string(m->commit));
    json_object_set_new(o, "machine", json_string(m->machine));
    json_object_set_new(o, "date", json_string(m->date));
    if (m->command) json_object_set_new(o, "command", json_string(m->command));
    if (m->config_json) {
        json_t *cfg = json_loads(m->config_json, 0, NULL);
        json_object_set_new(o, "model_config", cfg ? cfg : json_null());
    }
    const pan_eval_config *c = m->config;
    json_object_set_new(o, "settings",
                        json_pack("{s b s i s i s i s i s i s i s f s I s [i i i]}", "quick", c->quick,
                                  "fidelity_cases_per_split", c->fidelity_cases,
                                  "stepwise_cases_per_split", c->stepwise_cases,
                                  "rollout_cases", c->rollout_cases, "rollout_steps",
                                  c->rollout_steps, "revisit_cases", c->revisit_cases,
                                  "planning_tasks", c->planning_tasks,
                                  "tolerance_px", (double)r->tolerance_px, "seed_base",
                                  (json_int_t)c->seed_base, "frame", r->width, r->height,
                                  r->frames_per_step));
    const char *splits[2] = {"train", "heldout"};
    json_t *fid = json_object(), *sw = json_object();
    for (int s = 0; s < PAN_EVAL_SPLITS; s++) {
        json_object_set_new(fid, splits[s], fidelity_json(&r->fidelity[s]));
        json_object_set_new(sw, splits[s], stat_json(&r->stepwise[s]));
    }
    json_object_set_new(o, "fidelity", fid);
    json_object_set_new(o, "stepwise", sw);
    json_object_set_new(o, "consistency", consistency_json(r));
    const pan_eval_smoothness *sm = &r->smoothness;
    json_object_set_new(o, "smoothness",
                        json_pack("{s o s o s o s o s o s I s I}", "value", num(sm->value),
                                  "truth_value", num(sm->truth_value), "ratio", num(sm->ratio),
                                  "median_speed_px", num(sm->median_speed),
                                  "median_accel_px", num(sm->median_accel), "samples",
                                  (json_int_t)sm->samples, "truth_samples",
                                  (json_int_t)sm->truth_samples));
    if (r->has_revisit)
        json_object_set_new(o, "revisit",
                            json_pack("{s o s o s o}", "pass", stat_json(&r->revisit.pass),
                                      "psnr_return_vs_departure_db",
                                      stat_json(&r->revisit.psnr_departure),
                                      "psnr_return_vs_truth_db",
                                      stat_json(&r->revisit.psnr_truth)));
    const pan_eval_planning *pl = &r->planning;
    json_t *plan = json_object();
    json_object_set_new(plan, "measured", json_boolean(pl->measured));
    if (!pl->measured) json_object_set_new(plan, "why_not", json_string(pl->why_not));
    if (pl->measured) {
        json_object_set_new(plan, "tasks_per_planner", json_integer(pl->tasks));
        static const char *const keys[PAN_EVAL_PLANNERS] = {"random", "nomodel", "pick", "cem",
                                                            "oracle"};
        for (int k = 0; k < PAN_EVAL_PLANNERS; k++)
            json_object_set_new(plan, keys[k],
                                json_pack("{s o s f s f s f}", "success",
                                          stat_json(&pl->success[k]), "mean_actions",
                                          pl->mean_actions[k], "decisions_per_s",
                                          pl->decisions_per_s[k], "imagined_steps_per_s",
                                          pl->imagined_steps_per_s[k]));
        json_object_set_new(plan, "pan_minus_nomodel_pts", num(pl->pan_minus_nomodel));
        json_object_set_new(plan, "oracle_minus_pan_pts", num(pl->oracle_minus_pan));
    }
    json_object_set_new(o, "planning", plan);
    json_t *det = json_object();
    json_object_set_new(det, "true_frames_per_preset", json_integer(r->detector.frames));
    for (int k = 0; k < PAN_EVAL_DETECTOR_PRESETS; k++)
        if (r->detector.preset[k])
            json_object_set_new(det, r->detector.preset[k],
                                json_pack("{s o s o s I s I}", "agreement",
                                          num(r->detector.agreement[k]), "found_within_2px",
                                          num(r->detector.found_2px[k]), "wrong_frames",
                                          (json_int_t)r->detector.wrong_frames[k],
                                          "wrong_frames_read_as_truth",
                                          (json_int_t)r->detector.wrong_passed[k]));
    json_object_set_new(o, "detector_on_degraded_frames", det);
    json_object_set_new(o, "subject_env_steps", json_integer(r->subject_steps));
    json_object_set_new(o, "seconds",
                        json_pack("{s f s f s f s f s f s f}", "fidelity", r->seconds[0],
                                  "stepwise", r->seconds[1], "rollouts", r->seconds[2], "revisit",
                                  r->seconds[3], "planning", r->seconds[4], "total",
                                  r->seconds[5]));
    json_t *pics = json_array();
    for (int i = 0; i < m->n_pictures; i++) json_array_append_new(pics, json_string(m->pictures[i]));
    json_object_set_new(o, "pictures", pics);
    return o;
}
