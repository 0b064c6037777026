/* benchmarks/eval/eval_report.c: report.md and writing both reports
 * (eval_report.h). */
#include "benchmarks/eval/eval_report_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- meta --------------------------------------------------------------- */

void pan_eval_meta_fill(pan_eval_report_meta *m, const char *commit) {
    snprintf(m->commit, sizeof m->commit, "%s", commit && *commit ? commit : "unknown");
    char cpu[160] = "unknown CPU", line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            const char *c = strchr(line, ':');
            if (c) snprintf(cpu, sizeof cpu, "%s", c + 2);
            cpu[strcspn(cpu, "\n")] = 0;
            break;
        }
    }
    if (f) fclose(f);
    double load[3] = {0, 0, 0};
    FILE *l = fopen("/proc/loadavg", "r");
    if (!l || fscanf(l, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    if (l) fclose(l);
    struct utsname u;
    uname(&u);
    snprintf(m->machine, sizeof m->machine, "%s, %ld cores, %s %s, load average %.2f at the end",
             cpu, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, load[0]);
    time_t now = time(NULL);
    strftime(m->date, sizeof m->date, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
}

/* ---- markdown ----------------------------------------------------------- */

static const char *pct(const pan_eval_stat *s, char *buf) {
    if (!s->n || !isfinite(s->mean)) return "-";
    sprintf(buf, "%.1f%% [%.1f, %.1f] (n=%lld)", 100 * s->mean, 100 * s->lo, 100 * s->hi,
            (long long)s->n);
    return buf;
}

static const char *val(const pan_eval_stat *s, const char *fmt, char *buf) {
    if (!s->n || !isfinite(s->mean)) return "-";
    char f3[64];
    snprintf(f3, sizeof f3, "%s [%s, %s]", fmt, fmt, fmt);
    sprintf(buf, f3, s->mean, s->lo, s->hi);
    return buf;
}

static const char *dbl(double v, const char *fmt, char *buf) {
    if (!isfinite(v)) return "-";
    sprintf(buf, fmt, v);
    return buf;
}

void pan_eval_report_markdown(FILE *f, const pan_eval_result *r, const pan_eval_report_meta *m) {
    char a[96], b[96];
    bool rooms = !strcmp(r->world, "rooms");
    const pan_eval_fidelity *tr = &r->fidelity[0], *ho = &r->fidelity[1];
    fprintf(f, "# pan-eval: %s\n\n", r->world);
    fprintf(f, "- subject: %s\n- commit: %s\n- machine: %s\n- date: %s\n", r->subject,
            m->commit, m->machine, m->date);
    if (m->command) fprintf(f, "- command: `%s`\n", m->command);
    fprintf(f, "- frames %dx%d, K = %d; tolerance %.1f px; %s run; %lld subject env steps in "
               "%.0f s\n\n",
            r->width, r->height, r->frames_per_step, (double)r->tolerance_px,
            m->config->quick ? "quick" : "full", (long long)r->subject_steps, r->seconds[5]);
    fprintf(f, "Statistics: mean [95%% bootstrap interval over cases] (n = judged items). "
               "Definitions: docs/eval.md.\n\n");

    fprintf(f, "## PAN's table, exactly judged\n\n");
    fprintf(f, "PAN's numbers come from a **different setting** (real video, a VLM or human "
               "judge, PAN's 7B+14B model); they are shown for orientation only.\n\n");
    fprintf(f, "| dimension | PAN (paper) | pan, train split | pan, held-out split |\n");
    fprintf(f, "|---|---|---|---|\n");
    fprintf(f, "| action fidelity, agent (strict pass) | 70.3%% | %s | %s |\n",
            pct(&tr->kind_pass[0], a), pct(&ho->kind_pass[0], b));
    if (!rooms)
        fprintf(f, "| action fidelity, environment (strict pass) | 47.0%% | %s | %s |\n",
                pct(&tr->kind_pass[1], a), pct(&ho->kind_pass[1], b));
    fprintf(f, "| transition smoothness (ratio to the true world) | 53.6%% | %s | |\n",
            dbl(100 * r->smoothness.ratio, "%.1f%%", a));
    fprintf(f, "| simulation consistency (later-weighted SSIM) | 64.1%% | %s | |\n",
            val(&r->consistency.w_ssim, "%.3f", a));
    fprintf(f, "| step-wise simulation (4-way, chance 25%%) | 56.1%% | %s | %s |\n",
            pct(&r->stepwise[0], a), pct(&r->stepwise[1], b));
    fprintf(f, "| open-ended planning | +26.7 pts | not measured | |\n");
    const pan_eval_planning *pl = &r->planning;
    if (pl->measured)
        fprintf(f, "| structured planning (CEM in pan minus no-model) | +23.4 pts | %+.1f pts | |\n\n",
                pl->pan_minus_nomodel);
    else
        fprintf(f, "| structured planning | +23.4 pts | not measured: %s | |\n\n", pl->why_not);

    fprintf(f, "## Action fidelity (0-3 rubric, 3-action closed-loop cases)\n\n");
    fprintf(f, "| | train: score/3 | train: pass | held-out: score/3 | held-out: pass |\n");
    fprintf(f, "|---|---|---|---|---|\n");
    char c[96], d[96];
    fprintf(f, "| all | %s | %s | %s | %s |\n", pct(&tr->score, a), pct(&tr->pass, b),
            pct(&ho->score, c), pct(&ho->pass, d));
    const char *kinds[2] = {"agent actions", "environment actions"};
    for (int k = 0; k < 2; k++)
        if (tr->kind_score[k].n || ho->kind_score[k].n)
            fprintf(f, "| %s | %s | %s | %s | %s |\n", kinds[k], pct(&tr->kind_score[k], a),
                    pct(&tr->kind_pass[k], b), pct(&ho->kind_score[k], c),
                    pct(&ho->kind_pass[k], d));
    for (int g = 0; g < PAN_EVAL_GROUP_COUNT; g++)
        if (tr->group_score[g].n || ho->group_score[g].n)
            fprintf(f, "| group: %s | %s | %s | %s | %s |\n", pan_eval_group_name(g),
                    pct(&tr->group_score[g], a), pct(&tr->group_pass[g], b),
                    pct(&ho->group_score[g], c), pct(&ho->group_pass[g], d));
    for (int t = 0; t < PAN_EVAL_FIDELITY_STEPS; t++)
        fprintf(f, "| step %d of 3 | | %s | | %s |\n", t + 1, pct(&tr->step_pass[t], a),
                pct(&ho->step_pass[t], b));
    fprintf(f, "\nScores 0/1/2/3 (train): %lld / %lld / %lld / %lld; held-out: %lld / %lld / "
               "%lld / %lld.\n\n",
            (long long)tr->histogram[0], (long long)tr->histogram[1],
            (long long)tr->histogram[2], (long long)tr->histogram[3],
            (long long)ho->histogram[0], (long long)ho->histogram[1],
            (long long)ho->histogram[2], (long long)ho->histogram[3]);

    const pan_eval_curve *cv = &r->consistency;
    fprintf(f, "## Simulation consistency (%d closed-loop rollouts of %d steps, train actions)\n\n",
            m->config->rollout_cases, cv->steps);
    fprintf(f, "| step | object error (px) | recall | precision | PSNR (dB) | SSIM |%s\n",
            rooms ? " camera error (cells) |" : "");
    fprintf(f, "|---|---|---|---|---|---|%s\n", rooms ? "---|" : "");
    const int marks[4] = {1, 10, 32, 64};
    for (int k = 0; k < 4; k++) {
        int t = marks[k] - 1;
        if (marks[k] > cv->steps) continue;
        char e1[32], e2[32], e3[32], e4[32], e5[32], e6[32];
        fprintf(f, "| %d | %s | %s | %s | %s | %s |", marks[k], dbl(cv->object_error[t], "%.2f", e1),
                dbl(cv->recall[t], "%.3f", e2), dbl(cv->precision[t], "%.3f", e3),
                dbl(cv->psnr[t], "%.2f", e4), dbl(cv->ssim[t], "%.3f", e5));
        if (rooms) fprintf(f, " %s |", dbl(cv->camera_error[t], "%.2f", e6));
        fprintf(f, "\n");
    }
    char e[6][96];
    fprintf(f, "| later-weighted | %s | %s | %s | %s | %s |", val(&cv->w_object_error, "%.2f", e[0]),
            val(&cv->w_recall, "%.3f", e[1]), val(&cv->w_precision, "%.3f", e[2]),
            val(&cv->w_psnr, "%.2f", e[3]), val(&cv->w_ssim, "%.3f", e[4]));
    if (rooms) fprintf(f, " %s |", val(&cv->w_camera_error, "%.2f", e[5]));
    fprintf(f, "\n\n");
    const pan_eval_smoothness *sm = &r->smoothness;
    fprintf(f, "## Transition smoothness (first 10 steps of those rollouts)\n\n");
    fprintf(f, "median speed x exp(-median acceleration) over detector tracks: subject %s "
               "(median speed %s px/frame, median acceleration %s px/frame^2, %lld samples); "
               "true world %s (%lld samples); ratio %s.\n\n",
            dbl(sm->value, "%.4f", a), dbl(sm->median_speed, "%.3f", b),
            dbl(sm->median_accel, "%.3f", c), (long long)sm->samples,
            dbl(sm->truth_value, "%.4f", d), (long long)sm->truth_samples,
            dbl(sm->ratio, "%.3f", e[0]));
    if (r->has_revisit) {
        fprintf(f, "## Revisit consistency (wait, 3 moves out, the same 3 back)\n\n");
        fprintf(f, "| pass | PSNR return vs departure (dB) | PSNR return vs truth (dB) |\n");
        fprintf(f, "|---|---|---|\n| %s | %s | %s |\n\n", pct(&r->revisit.pass, a),
                val(&r->revisit.psnr_departure, "%.2f", b), val(&r->revisit.psnr_truth, "%.2f", c));
    }
    fprintf(f, "## Step-wise simulation\n\ntrain %s; held-out %s (chance 25%%).\n\n",
            pct(&r->stepwise[0], a), pct(&r->stepwise[1], b));
    if (pl->measured) {
        fprintf(f, "## Structured planning (%d \"structured: random\" tasks per planner, "
                   "acting in the true world)\n\n", pl->tasks);
        fprintf(f, "| planner | imagines in | success | mean actions | decisions/s | imagined "
                   "steps/s |\n|---|---|---|---|---|---|\n");
        static const char *const where[PAN_EVAL_PLANNERS] = {"-", "-", "the subject",
                                                             "the subject", "the true world"};
        for (int k = 0; k < PAN_EVAL_PLANNERS; k++)
            fprintf(f, "| %s | %s | %s | %.2f | %.1f | %.0f |\n", pan_eval_planner_name(k),
                    where[k], pct(&pl->success[k], a), pl->mean_actions[k],
                    pl->decisions_per_s[k], pl->imagined_steps_per_s[k]);
        fprintf(f, "\npan minus no-model: %+.1f points (PAN: +23.4); oracle minus pan: %+.1f "
                   "points (the cost of model error).\n\n",
                pl->pan_minus_nomodel, pl->oracle_minus_pan);
    }
    const pan_eval_detector *dt = &r->detector;
    fprintf(f, "## The judge itself: the detector on degraded frames\n\n");
    fprintf(f, "True frames degraded as a model degrades them (noise, blur, sub-pixel shift, "
               "colour gain and offset; presets in docs/worlds.md) must read as correct, and "
               "wrong frames (an object 3 px off, missing, extra, recoloured, lights or camera "
               "wrong) under the same degradation must not.\n\n");
    fprintf(f, "| preset | true frames read right | objects within 2 px | wrong frames read as "
               "the truth |\n|---|---|---|---|\n");
    for (int k = 0; k < PAN_EVAL_DETECTOR_PRESETS; k++)
        if (dt->preset[k])
            fprintf(f, "| %s | %.1f%% of %d | %.1f%% | %ld of %ld |\n", dt->preset[k],
                    100 * dt->agreement[k], dt->frames, 100 * dt->found_2px[k],
                    dt->wrong_passed[k], dt->wrong_frames[k]);
    fprintf(f, "\n");
    if (m->n_pictures) {
        fprintf(f, "## Pictures\n\n");
        for (int i = 0; i < m->n_pictures; i++) fprintf(f, "![%s](%s)\n", m->pictures[i], m->pictures[i]);
        fprintf(f, "\n");
    }
    fprintf(f, "Timings: fidelity %.0f s, step-wise %.0f s, rollouts %.0f s, revisit %.0f s, "
               "planning %.0f s.\n",
            r->seconds[0], r->seconds[1], r->seconds[2], r->seconds[3], r->seconds[4]);
}

/* ---- files -------------------------------------------------------------- */

static pan_status write_atomic(const char *dir, const char *name, const pan_eval_result *r,
                               const pan_eval_report_meta *m, bool json) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return pan_error_set(PAN_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    if (json) {
        json_t *o = pan_eval_report_json(r, m);
        json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
        fputc('\n', f);
        json_decref(o);
    } else {
        pan_eval_report_markdown(f, r, m);
    }
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return pan_error_set(PAN_ERR_IO, "%s: write failed", tmp);
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return pan_error_set(PAN_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
    }
    return PAN_OK;
}

pan_status pan_eval_report_write(const char *dir, const pan_eval_result *r,
                                 const pan_eval_report_meta *m) {
    pan_status st = write_atomic(dir, "report.json", r, m, true);
    if (st == PAN_OK) st = write_atomic(dir, "report.md", r, m, false);
    return st;
}
