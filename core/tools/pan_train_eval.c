/* core/tools/pan_train_eval.c: the periodic evaluation of `pan-train run`
 * (every.eval steps; docs/training.md, "Running a training"): on the EMA
 * model just written (RUN/model.safetensors), the VAE's held-out
 * reconstruction (core/tools/train_eval.h) and, for stages decoder and
 * glp, `pan-eval --quick --planning-tasks 0` (action fidelity and the
 * step-wise choice on held-out cases; its report kept in RUN/eval-<step>).
 * The result is one JSONL line for the run's log. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/tools/pan_train_commands.h"
#include "core/tools/train_eval.h"

#ifndef PAN_EVAL_BUILD_PATH
#define PAN_EVAL_BUILD_PATH ""
#endif

extern char **environ;

/* pan-eval beside this executable (an installation), else the build's. */
static void pan_eval_path(char *out, size_t size) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(out, size, "%s/pan-eval", self);
            if (access(out, X_OK) == 0) return;
        }
    }
    snprintf(out, size, "%s", PAN_EVAL_BUILD_PATH);
}

static double number_at(json_t *root, const char *a, const char *b, const char *c) {
    json_t *v = json_object_get(json_object_get(root, a), b);
    if (c) v = json_object_get(v, c);
    if (json_is_object(v)) v = json_object_get(v, "mean");
    return json_is_number(v) ? json_number_value(v) : -1.0;
}

/* Runs pan-eval on `model`; fills the three rates (-1 when missing). */
static pan_status run_pan_eval(const char *model, const char *world, const char *out,
                               int threads, double rates[3]) {
    char exe[PATH_MAX + 16], th[16];
    pan_eval_path(exe, sizeof exe);
    if (!exe[0] || access(exe, X_OK) != 0)
        return pan_error_set(PAN_ERR_NOT_FOUND,
                             "evaluation: pan-eval not found (beside pan-train or "
                             "at %s)", PAN_EVAL_BUILD_PATH);
    snprintf(th, sizeof th, "%d", threads);
    char *args[] = {exe, "--model", (char *)model, "--world", (char *)world,
                    "--quick", "--planning-tasks", "0", "--no-pictures", "--quiet",
                    "--threads", th, "--out", (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, exe, NULL, NULL, args, environ);
    if (rc != 0)
        return pan_error_set(PAN_ERR_IO, "evaluation: cannot run %s: %s", exe, strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return pan_error_set(PAN_ERR_INTERNAL, "evaluation: %s failed (status %d)",
                             exe, status);
    char report[PATH_MAX + 64];
    snprintf(report, sizeof report, "%s/report.json", out);
    json_t *root = json_load_file(report, 0, NULL);
    if (!root)
        return pan_error_set(PAN_ERR_DATA_LOSS, "evaluation: cannot read %s", report);
    rates[0] = number_at(root, "fidelity", "train", "pass");
    rates[1] = number_at(root, "fidelity", "heldout", "pass");
    rates[2] = number_at(root, "stepwise", "train", NULL);
    json_decref(root);
    return PAN_OK;
}

pan_status pan_train_eval_line(pan_compute *c, const char *dir, const char *world,
                               int stage_uses_decoder, int64_t step, int threads,
                               char *line, size_t size) {
    char model_path[PATH_MAX + 32];
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
    pan_model *m = NULL;
    pan_status st = pan_model_load(&m, model_path);
    pan_recon_report rr = {0};
    if (st == PAN_OK) st = pan_train_eval_recon(c, m, world, 32, &rr);
    pan_model_destroy(m);
    if (st != PAN_OK) return st;
    int n = snprintf(line, size,
                     "{\"step\": %" PRId64 ", \"eval_psnr_db\": %.4f, "
                     "\"eval_objects_found\": %.4f", step, rr.psnr_db, rr.objects_found);
    if (stage_uses_decoder) {
        char out[PATH_MAX + 32];
        snprintf(out, sizeof out, "%s/eval-%09" PRId64, dir, step);
        double rates[3] = {-1.0, -1.0, -1.0};
        st = run_pan_eval(model_path, world, out, threads, rates);
        if (st != PAN_OK) return st;
        n += snprintf(line + n, size - (size_t)n,
                      ", \"eval_fidelity_train\": %.4f, \"eval_fidelity_heldout\": "
                      "%.4f, \"eval_stepwise_train\": %.4f", rates[0], rates[1], rates[2]);
    }
    snprintf(line + n, size - (size_t)n, "}");
    return PAN_OK;
}
