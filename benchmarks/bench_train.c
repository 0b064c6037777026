/* benchmarks/bench_train.c: pan-bench-train -- training in C against
 * PyTorch autograd on the same weights, inputs and threads: a whole
 * optimizer step of each stage, forward + backward of the parts
 * (docs/benchmarks.md, "Training against PyTorch autograd").
 *
 * Usage: pan-bench-train [--checkpoint FILE] [--threads N] [--backend NAME]
 *                        [--reps N] [--warmup N] [--peer NAME=PYTHON[:compile]
 *                        ...] [--no-torch] [--csv FILE] [--quick]
 *                        [--keep-inputs DIR] [--cases LIST]
 *
 * The model: the checkpoint, or the default config with pan-init's random
 * initialisation (seed 1; UNTRAINED). Every parameter that is all zeros
 * and not a bias (adaLN-zero: every adaLN_modulation weight,
 * decoder.final.linear and cross.state_out) gets N(0, (0.5/sqrt(fan_in))^2)
 * and its bias 0.02 N(0, 1) (seed 77), so that every backward does its full
 * work; that model is saved for the peers, which load it in float32.
 * Cases (bench_train_cases.c; train_torch.py runs the same):
 *   stage_vae      one optimizer step of stage vae, 16 images
 *   stage_decoder  one optimizer step of stage decoder, 8 pair windows
 *   stage_glp      one optimizer step of stage glp, 2 sequences of 4 rounds
 *   decoder        pan_decoder_train_forward / _backward, 8 pair windows
 *   backbone       pan_backbone_train_forward / _backward, 4 x 6 rounds
 *   vit            pan_vit_train_forward / _backward, 32 latents
 *   vae            the VAE's train encode + decode and their backwards, 16
 * A stage's step is pan_trainer_step's (bench_train_step.c): zero the
 * gradient block, the stage loss with its backward (pan_*_stage_loss),
 * pan_grads_clip at 1.0, pan_adamw_step on the stage's parameters (lr
 * 3e-4), pan_ema_update (0.999); timed whole, the loss + backward and the
 * rest also apart; the stage's weights are put back after the case. The
 * data drawing of the trainer is not timed: the stage batches come from
 * pan_train_batch_draw (tabletop, seed 1) once, before the case. Each
 * case runs once untimed (its loss or outputs and a few gradients are what
 * the peers check against; for a stage also its gradient norm and a few
 * parameters after that run's optimizer step), then --warmup + --reps
 * timed runs (parts: the gradient block zeroed untimed before each).
 * Medians [p10, p90]; samples/s = the batch / the median. A "2-hour
 * projection" prints the steps and samples of 7200 s of C's median step
 * (compute only). Targets: fastest peer / C >= 1.5x in every case; the
 * decoder's backward >= 40% of the sgemm peak measured in this run.
 * --quick: 2 reps after 1 warm-up (for tests, with a small --checkpoint).
 * --keep-inputs DIR: the peers' inputs and the saved model go to DIR (an
 * existing directory) and stay there; --cases LIST: only these cases
 * (names as above, comma-separated; for profiling).
 * The sgemm peak is measured before and after the cases; the higher counts
 * (a busy machine only lowers it).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchmarks/bench.h"
#include "benchmarks/bench_train.h"
#include "core/model/model.h"
#include "core/rng.h"

#define TARGET_RATIO 1.5
#define TARGET_DECODER_BWD_PCT 40.0

static int parse_options(int argc, char **argv, train_bench_options *o,
                         const char **csv, const char **keep) {
    *o = (train_bench_options){.threads = 2, .backend = "auto", .reps = 10,
                               .warmup = 2, .torch = true};
    bool reps_set = false, warmup_set = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-torch")) { o->torch = false; continue; }
        if (!strcmp(a, "--quick")) { o->quick = true; continue; }
        if (!v) goto bad;
        if (!strcmp(a, "--checkpoint")) o->checkpoint = v;
        else if (!strcmp(a, "--threads")) o->threads = atoi(v);
        else if (!strcmp(a, "--backend")) o->backend = v;
        else if (!strcmp(a, "--reps")) o->reps = atoi(v), reps_set = true;
        else if (!strcmp(a, "--warmup")) o->warmup = atoi(v), warmup_set = true;
        else if (!strcmp(a, "--peer")) {
            if (bench_peers_add(&o->peers, v)) goto bad;
        }
        else if (!strcmp(a, "--csv")) *csv = v;
        else if (!strcmp(a, "--keep-inputs")) *keep = v;
        else if (!strcmp(a, "--cases")) o->cases = v;
        else goto bad;
        i++;
        continue;
    bad:
        fprintf(stderr, "usage: pan-bench-train [--checkpoint FILE] [--threads N] "
                "[--backend NAME] [--reps N] [--warmup N] "
                "[--peer NAME=PYTHON[:compile] ...] [--no-torch] [--csv FILE] "
                "[--quick] [--keep-inputs DIR] [--cases LIST]\n(bad argument '%s')\n", a);
        return -1;
    }
    if (o->quick) {
        if (!reps_set) o->reps = 2;
        if (!warmup_set) o->warmup = 1;
    }
    if (o->peers.n == 0) bench_peers_default(&o->peers, PAN_SOURCE_DIR);
    if (!o->torch) o->peers.n = 0;
    if (o->threads < 1 || o->reps < 1 || o->warmup < 0) {
        fprintf(stderr, "pan-bench-train: expected --threads >= 1, --reps >= 1, "
                "--warmup >= 0; got %d, %d, %d\n", o->threads, o->reps, o->warmup);
        return -1;
    }
    return 0;
}

/* Zero non-bias parameters (adaLN-zero) and their biases get small random
 * values; returns how many tensors changed. */
static int unzero(pan_model *m) {
    pan_rng rng = pan_rng_seed(77);
    int changed = 0;
    const pan_param_table *t = &m->params;
    for (int i = 0; i < t->count; i++) {
        const pan_param_entry *e = &t->entries[i];
        float *p = m->block + e->offset;
        size_t len = strlen(e->name);
        bool bias = len > 5 && !strcmp(e->name + len - 5, ".bias");
        if (bias || e->ndim < 2) continue;
        bool zero = true;
        for (int64_t j = 0; zero && j < e->numel; j++) zero = p[j] == 0.0f;
        if (!zero) continue;
        double fan_in = (double)e->numel / (double)e->shape[0];
        for (int64_t j = 0; j < e->numel; j++)
            p[j] = (float)(0.5 / sqrt(fan_in) * pan_rng_normal(&rng));
        changed++;
        char name[PAN_PARAM_NAME_MAX + 8];
        snprintf(name, sizeof name, "%.*s.bias", (int)(len - 7), e->name);
        bool weight = len > 7 && !strcmp(e->name + len - 7, ".weight");
        const pan_param_entry *b = weight ? pan_params_find(t, name) : NULL;
        if (!b) continue;
        float *pb = m->block + b->offset;
        bool bz = true;
        for (int64_t j = 0; bz && j < b->numel; j++) bz = pb[j] == 0.0f;
        if (bz) {
            for (int64_t j = 0; j < b->numel; j++)
                pb[j] = (float)(0.02 * pan_rng_normal(&rng));
            changed++;
        }
    }
    return changed;
}

typedef struct torch_ctx {
    train_row *rows;
    int n;
    const char *peer;
} torch_ctx;

static double field_value(const char *line, const char *key) {
    const char *p = strstr(line, key);
    double v = NAN;
    if (p) sscanf(p + strlen(key), "%lf", &v);
    return v;
}

/* "case name=N median_us=.. fwd_us=.. bwd_us=.. [lossgrad_us=..
 * optim_us=..] warmup_ms=.." and the "checkcase ..." and "optimizer ..."
 * detail lines. */
static bool torch_line(int i, const char *line, void *ctx_) {
    torch_ctx *ctx = ctx_;
    if (!strncmp(line, "checkcase ", 10)) {
        printf("    %s: %s", ctx->peer, line + 10);
        return true;
    }
    if (!strncmp(line, "optimizer ", 10)) {
        printf("    %s: %s", ctx->peer, line);
        return true;
    }
    char name[32];
    if (sscanf(line, "case name=%31s", name) != 1 || !strstr(line, "median_us="))
        return false;
    for (int k = 0; k < ctx->n; k++) {
        train_row *r = &ctx->rows[k];
        if (strcmp(r->name, name)) continue;
        r->torch_us[i] = field_value(line, "median_us=");
        r->torch_fwd_us[i] = field_value(line, "fwd_us=");
        r->torch_bwd_us[i] = field_value(line, "bwd_us=");
        r->torch_lossgrad_us[i] = field_value(line, "lossgrad_us=");
        r->torch_optim_us[i] = field_value(line, "optim_us=");
        r->warmup_ms[i] = field_value(line, "warmup_ms=");
        r->have[i] = r->torch_us[i] == r->torch_us[i];
    }
    return true;
}

static void run_torch(train_bench_options *o, const char *dir, const char *model,
                      train_row *rows, int n) {
    char args[3072] = "--inputs ", tail[160];
    bench_shell_quote(args, sizeof args, dir);
    strcat(args, " --checkpoint ");
    bench_shell_quote(args, sizeof args, model);
    snprintf(tail, sizeof tail, " --threads %d --reps %d --warmup %d", o->threads,
             o->reps, o->warmup);
    strcat(args, tail);
    for (int i = 0; i < o->peers.n; i++) {
        torch_ctx ctx = {rows, n, o->peers.p[i].name};
        printf("running peer %s (%s%s) ...\n", o->peers.p[i].name, o->peers.p[i].python,
               o->peers.p[i].compile ? ", torch.compile" : "");
        bench_peer_run(&o->peers, i, PAN_SOURCE_DIR, "train_torch.py", args, torch_line,
                       &ctx);
        if (o->peers.p[i].checks_failed)
            for (int k = 0; k < n; k++) rows[k].have[i] = false;
    }
}

static int fastest(const train_row *r, const bench_peers *peers) {
    int best = -1;
    for (int i = 0; i < peers->n; i++)
        if (r->have[i] && (best < 0 || r->torch_us[i] < r->torch_us[best])) best = i;
    return best;
}

/* The per-sample rate of a median of `us` microseconds. */
static double per_s(const train_row *r, double us) { return r->samples / (us * 1e-6); }

/* What GFLOP/s counts: the stage step's loss + backward, a part's whole. */
static double compute_us(const train_row *r) {
    return r->step ? r->lossgrad.median : r->total.median;
}

static void print_times(const train_bench_options *o, const train_row *rows, int n) {
    const bench_peers *peers = &o->peers;
    printf("\n%-46s %28s %17s %11s |", "case", "C ms median [p10, p90]", "split ms",
           "C samples/s");
    for (int i = 0; i < peers->n; i++) printf(" %19.19s |", peers->p[i].name);
    printf(" %16s | target\n", "fastest / C");
    for (int k = 0; k < n; k++) {
        const train_row *r = &rows[k];
        char c[64], split[40] = "-";
        snprintf(c, sizeof c, "%.2f [%.2f, %.2f]", r->total.median / 1e3,
                 r->total.p10 / 1e3, r->total.p90 / 1e3);
        if (r->split)
            snprintf(split, sizeof split, "%.2f / %.2f", r->fwd.median / 1e3,
                     r->bwd.median / 1e3);
        if (r->step)
            snprintf(split, sizeof split, "%.2f / %.2f", r->lossgrad.median / 1e3,
                     r->optim.median / 1e3);
        printf("%-46s %28s %17s %11.2f |", r->what, c, split, per_s(r, r->total.median));
        for (int i = 0; i < peers->n; i++) {
            char cell[40] = "-";
            if (r->have[i])
                snprintf(cell, sizeof cell, "%9.2f (%5.2fx)", r->torch_us[i] / 1e3,
                         r->torch_us[i] / r->total.median);
            printf(" %19s |", cell);
        }
        int best = fastest(r, peers);
        char cell[48] = "-", verdict[32] = "";
        if (best >= 0) {
            double ratio = r->torch_us[best] / r->total.median;
            snprintf(cell, sizeof cell, "%5.2fx %s", ratio, peers->p[best].name);
            snprintf(verdict, sizeof verdict, ">= %.1fx: %s", TARGET_RATIO,
                     ratio >= TARGET_RATIO ? "met" : "MISSED");
        }
        printf(" %16s | %s\n", cell, verdict);
    }
    printf("stage rows: one optimizer step as pan-train's (zero the gradients, loss + "
           "backward,\nclip at 1.0, AdamW on the stage's parameters, EMA), split = loss + "
           "backward / the rest;\nthe parts: forward + backward, split = forward / "
           "backward. samples: images, windows,\nsequences or latents per second of C's "
           "median.\n");
    if (peers->n == 0) return;
    printf("peers in ms, (peer / C), the same work; target: fastest peer / C >= "
           "%.1fx\n", TARGET_RATIO);
    printf("\npeers' forward / backward ms (for a stage: of the step's loss):\n");
    for (int k = 0; k < n; k++) {
        printf("  %-46s", rows[k].what);
        for (int i = 0; i < peers->n; i++)
            if (rows[k].have[i])
                printf(" %s %.1f / %.1f;", peers->p[i].name, rows[k].torch_fwd_us[i] / 1e3,
                       rows[k].torch_bwd_us[i] / 1e3);
        printf("\n");
    }
    printf("\nwarm-up per peer, s (untimed: the check run, warm-up reps; with "
           "torch.compile: the compilation):\n");
    for (int i = 0; i < peers->n; i++) {
        printf("  %-8s", peers->p[i].name);
        for (int k = 0; k < n; k++)
            if (rows[k].have[i])
                printf(" %s %.1f", rows[k].name, rows[k].warmup_ms[i] * 1e-3);
        printf("\n");
    }
    bench_peers_print(peers);
}

/* The stage rows: loss + backward and the rest of the step, per side, and
 * samples/s; the ratio of the loss + backward alone. */
static void print_steps(const train_bench_options *o, const train_row *rows, int n) {
    const bench_peers *peers = &o->peers;
    bool any = false;
    for (int k = 0; k < n; k++) any = any || rows[k].step;
    if (!any) return;
    printf("\noptimizer steps: ms of loss + backward / zero + clip + AdamW + EMA, "
           "samples/s of the whole step:\n");
    for (int k = 0; k < n; k++) {
        const train_row *r = &rows[k];
        if (!r->step) continue;
        printf("  %s\n    %-8s %8.2f / %6.2f ms  %8.2f %s/s\n", r->what, "C",
               r->lossgrad.median / 1e3, r->optim.median / 1e3,
               per_s(r, r->total.median), r->unit);
        int best = -1;
        for (int i = 0; i < peers->n; i++) {
            if (!r->have[i]) continue;
            printf("    %-8s %8.2f / %6.2f ms  %8.2f %s/s\n", peers->p[i].name,
                   r->torch_lossgrad_us[i] / 1e3, r->torch_optim_us[i] / 1e3,
                   per_s(r, r->torch_us[i]), r->unit);
            if (r->torch_lossgrad_us[i] == r->torch_lossgrad_us[i] &&
                (best < 0 || r->torch_lossgrad_us[i] < r->torch_lossgrad_us[best]))
                best = i;
        }
        if (best >= 0)
            printf("    loss + backward alone: fastest / C %.2fx (%s)\n",
                   r->torch_lossgrad_us[best] / r->lossgrad.median, peers->p[best].name);
    }
}

#define PROJECTION_S 7200.0

static void print_projection(const train_row *rows, int n, bench_csv *csv) {
    bool any = false;
    for (int k = 0; k < n; k++) any = any || rows[k].step;
    if (!any) return;
    printf("\n2-hour projection, compute only: 7200 s / C's median step above. It "
           "leaves out what\npan-train run also does per step: drawing the data (world "
           "episodes, VAE encoding\nof the frames, glp's previous predictions), "
           "progress, log and state files.\n");
    for (int k = 0; k < n; k++) {
        const train_row *r = &rows[k];
        if (!r->step) continue;
        double steps = PROJECTION_S / (r->total.median * 1e-6);
        printf("  %-46s %9.2f ms/step %9.0f steps %11.0f %s\n", r->what,
               r->total.median / 1e3, steps, steps * r->samples, r->unit);
        char note[160];
        snprintf(note, sizeof note, "7200 s / C's median step; compute only (excludes "
                 "drawing the data)");
        bench_csv_row(csv, r->what, "steps_2h", steps, "steps", NAN, note);
        bench_csv_row(csv, r->what, "samples_2h", steps * r->samples, r->unit, NAN, note);
    }
}

static void print_flops(const train_row *rows, int n, double peak) {
    printf("\nGFLOP/s of C (matmul, conv and attention FLOPs, docs/benchmarks.md) "
           "against the sgemm peak %.1f GFLOP/s (1024^3, this run); a stage's over its "
           "step's loss + backward:\n", peak);
    printf("%-46s %10s %10s %10s %10s %10s %8s\n", "case", "GFLOP fwd", "GFLOP bwd",
           "GF/s fwd", "GF/s bwd", "GF/s all", "% peak");
    for (int k = 0; k < n; k++) {
        const train_row *r = &rows[k];
        double all = (r->flops_fwd + r->flops_bwd) / (compute_us(r) * 1e3);
        char f[16] = "-", b[16] = "-";
        if (r->split) {
            snprintf(f, sizeof f, "%.1f", r->flops_fwd / (r->fwd.median * 1e3));
            snprintf(b, sizeof b, "%.1f", r->flops_bwd / (r->bwd.median * 1e3));
        }
        printf("%-46s %10.2f %10.2f %10s %10s %10.1f %7.0f%%\n", r->what,
               r->flops_fwd / 1e9, r->flops_bwd / 1e9, f, b, all, 100.0 * all / peak);
    }
    for (int k = 0; k < n; k++)
        if (!strcmp(rows[k].name, "decoder")) {
            double bwd = rows[k].flops_bwd / (rows[k].bwd.median * 1e3);
            printf("decoder backward: %.1f GFLOP/s = %.0f%% of peak (target >= %.0f%%: "
                   "%s)\n", bwd, 100.0 * bwd / peak, TARGET_DECODER_BWD_PCT,
                   100.0 * bwd / peak >= TARGET_DECODER_BWD_PCT ? "met" : "MISSED");
        }
}

static void csv_rows(const train_bench_options *o, const train_row *rows, int n,
                     double peak) {
    const bench_peers *peers = &o->peers;
    bench_csv *csv = o->csv;
    char note[512], label[160], who[64];
    bench_csv_row(csv, "sgemm", "sgemm_peak_gflops", peak, "GFLOP/s", NAN,
                  "1024^3 x W^T on the same compute, this run");
    for (int k = 0; k < n; k++) {
        const train_row *r = &rows[k];
        int best = fastest(r, peers);
        snprintf(note, sizeof note, "%s, %d reps after %d warm-up", r->step
                 ? "one optimizer step (zero, loss + backward, clip, AdamW, EMA)"
                 : "forward + backward", o->reps, o->warmup);
        if (best < 0)
            bench_csv_row(csv, r->what, "median_ms", r->total.median / 1e3, "ms", NAN,
                          note);
        for (int i = 0; i < peers->n; i++)
            if (r->have[i])
                bench_csv_peer_row(csv, r->what, "median_ms", r->total.median / 1e3, "ms",
                                   peers->p[i].name, r->torch_us[i] / 1e3,
                                   bench_peer_label(&peers->p[i], label, sizeof label));
        if (best >= 0) {
            double ratio = r->torch_us[best] / r->total.median;
            snprintf(who, sizeof who, "fastest: %s", peers->p[best].name);
            snprintf(note, sizeof note, "the fastest peer, %s; target peer/C >= %.1fx: %s",
                     bench_peer_label(&peers->p[best], label, sizeof label), TARGET_RATIO,
                     ratio >= TARGET_RATIO ? "met" : "missed");
            bench_csv_peer_row(csv, r->what, "median_ms", r->total.median / 1e3, "ms", who,
                               r->torch_us[best] / 1e3, note);
        }
        bench_csv_row(csv, r->what, "p10_ms", r->total.p10 / 1e3, "ms", NAN, "C");
        bench_csv_row(csv, r->what, "p90_ms", r->total.p90 / 1e3, "ms", NAN, "C");
        char unit[32];
        snprintf(unit, sizeof unit, "%s/s", r->unit);
        if (peers->n == 0)
            bench_csv_row(csv, r->what, "samples_per_s", per_s(r, r->total.median), unit,
                          NAN, "C, of the median");
        for (int i = 0; i < peers->n; i++)
            if (r->have[i])
                bench_csv_peer_row(csv, r->what, "samples_per_s", per_s(r, r->total.median),
                                   unit, peers->p[i].name, per_s(r, r->torch_us[i]),
                                   "of the median");
        if (r->step) {
            const char *lg = "the step's loss + backward",
                       *op = "the step's zero + clip + AdamW + EMA";
            if (peers->n == 0) {
                bench_csv_row(csv, r->what, "loss_backward_ms", r->lossgrad.median / 1e3,
                              "ms", NAN, lg);
                bench_csv_row(csv, r->what, "optimizer_ms", r->optim.median / 1e3, "ms",
                              NAN, op);
            }
            for (int i = 0; i < peers->n; i++)
                if (r->have[i]) {
                    bench_csv_peer_row(csv, r->what, "loss_backward_ms",
                                       r->lossgrad.median / 1e3, "ms", peers->p[i].name,
                                       r->torch_lossgrad_us[i] / 1e3, lg);
                    bench_csv_peer_row(csv, r->what, "optimizer_ms",
                                       r->optim.median / 1e3, "ms", peers->p[i].name,
                                       r->torch_optim_us[i] / 1e3, op);
                }
        }
        for (int i = 0; i < peers->n; i++)
            if (r->have[i]) {
                bench_csv_peer_row(csv, r->what, "forward_ms",
                                   r->split ? r->fwd.median / 1e3 : NAN, "ms",
                                   peers->p[i].name, r->torch_fwd_us[i] / 1e3,
                                   "the peer's forward (the loss)");
                bench_csv_peer_row(csv, r->what, "backward_ms",
                                   r->split ? r->bwd.median / 1e3 : NAN, "ms",
                                   peers->p[i].name, r->torch_bwd_us[i] / 1e3,
                                   "the peer's loss.backward()");
                if (r->warmup_ms[i] == r->warmup_ms[i])
                    bench_csv_peer_row(csv, r->what, "warmup_ms", NAN, "ms",
                                       peers->p[i].name, r->warmup_ms[i],
                                       peers->p[i].compile
                                       ? "untimed: check run, torch.compile's "
                                         "compilation, warm-up reps"
                                       : "untimed: check run, warm-up reps");
            }
        if (r->split && peers->n == 0) {
            bench_csv_row(csv, r->what, "forward_ms", r->fwd.median / 1e3, "ms", NAN, "C");
            bench_csv_row(csv, r->what, "backward_ms", r->bwd.median / 1e3, "ms", NAN, "C");
        }
        double all = (r->flops_fwd + r->flops_bwd) / (compute_us(r) * 1e3);
        bench_csv_row(csv, r->what, "gflops", all, "GFLOP/s", NAN, r->step
                      ? "matmul, conv and attention FLOPs over the step's loss + backward"
                      : "matmul, conv and attention FLOPs of forward + backward");
        bench_csv_row(csv, r->what, "pct_peak", 100.0 * all / peak, "%", NAN,
                      "of the sgemm peak of this run");
        if (r->split) {
            double bwd = r->flops_bwd / (r->bwd.median * 1e3);
            bench_csv_row(csv, r->what, "gflops_forward",
                          r->flops_fwd / (r->fwd.median * 1e3), "GFLOP/s", NAN, "C");
            bench_csv_row(csv, r->what, "gflops_backward", bwd, "GFLOP/s", NAN, "C");
            bool dec = !strcmp(r->name, "decoder");
            snprintf(note, sizeof note, "backward, of the sgemm peak%s%s", dec
                     ? "; target >= 40%: " : "",
                     !dec ? "" : 100.0 * bwd / peak >= TARGET_DECODER_BWD_PCT ? "met"
                                                                             : "missed");
            bench_csv_row(csv, r->what, "pct_peak_backward", 100.0 * bwd / peak, "%",
                          NAN, note);
        }
        snprintf(note, sizeof note, "activation arenas of the case, %s", r->act_note);
        bench_csv_row(csv, r->what, "activation_mib_per_sample",
                      r->act_bytes / r->samples / 1048576.0, "MiB", NAN, note);
    }
    bench_peers_csv(csv, peers);
}

static void print_memory(const pan_model *m, const train_row *rows, int n,
                         bench_csv *csv) {
    printf("\nmemory (C): activation arenas per sample (the parts' *_train_bytes):\n");
    for (int k = 0; k < n; k++)
        printf("  %-46s %8.2f MiB %s (%.1f MiB for the case)\n", rows[k].what,
               rows[k].act_bytes / rows[k].samples / 1048576.0, rows[k].act_note,
               rows[k].act_bytes / 1048576.0);
    double grads = (double)m->params.total_floats * sizeof(float) / 1048576.0;
    printf("  gradient block: %.1f MiB (%lld parameters)\n", grads,
           (long long)m->params.total_params);
    bench_csv_row(csv, "memory (C)", "grad_block_mib", grads, "MiB", NAN,
                  "one f32 block bound by the parameter table");
    bool steps = false;
    for (int k = 0; k < n; k++) steps = steps || rows[k].step;
    if (steps)
        printf("  optimizer (stage rows): AdamW moments 2 x %.1f MiB + EMA %.1f MiB, as "
               "the trainer's; + a %.1f MiB copy of the weights (this benchmark's, to "
               "put them back)\n", grads, grads, grads);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS of this process: %.1f MiB\n", ru.ru_maxrss / 1024.0);
    bench_csv_row(csv, "memory (C)", "peak_rss_mib", ru.ru_maxrss / 1024.0, "MiB", NAN,
                  "this process: model, gradients, the largest case's arenas");
}

static void remove_dir(const char *dir) {
    char path[1200];
    const char *files[] = {"inputs.bin", "inputs.json", "model.safetensors"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(int argc, char **argv) {
    train_bench_options o;
    const char *csv_path = NULL, *keep = NULL;
    if (parse_options(argc, argv, &o, &csv_path, &keep) != 0) return 2;
    bool csv_failed = false;
    o.csv = bench_csv_open(csv_path, &csv_failed);
    if (csv_failed) return 2;
    char dir[1024], model_path[1100];
    if (keep) snprintf(dir, sizeof dir, "%s", keep);
    else snprintf(dir, sizeof dir, "/tmp/pan-bench-train-XXXXXX");
    if (keep ? (access(dir, W_OK) != 0) : !mkdtemp(dir)) {
        fprintf(stderr, "pan-bench-train: cannot use the directory %s\n", dir);
        return 1;
    }
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
    pan_model *m = NULL;
    pan_compute *c = NULL;
    pan_status st;
    if (o.checkpoint) {
        st = pan_model_load(&m, o.checkpoint);
    } else {
        pan_model_config cfg;
        pan_model_config_default(&cfg);
        st = pan_model_create_random(&m, &cfg, 1);
    }
    int changed = st == PAN_OK ? unzero(m) : 0;
    if (st == PAN_OK)
        st = pan_model_save(m, model_path, "pan-bench-train: the benchmark's weights "
                            "(adaLN-zero tensors made small and random)");
    if (st == PAN_OK)
        st = pan_compute_create(&c, &(pan_compute_options){.backend = o.backend,
                                                           .n_threads = o.threads});
    if (st != PAN_OK) {
        fprintf(stderr, "pan-bench-train: %s\n", pan_error_message());
        pan_model_destroy(m);
        if (!keep) remove_dir(dir);
        return 1;
    }
    printf("pan-bench-train: %s model (%s; %d zero tensors made small and random), "
           "backend %s, %d threads, %d reps after %d warm-up\n",
           m->trained ? "trained" : "UNTRAINED", o.checkpoint ? o.checkpoint
                                                              : "default config, seed 1",
           changed, pan_compute_backend_name(c), pan_compute_threads(c), o.reps, o.warmup);
    double peak = 0;
    st = train_sgemm_peak(&o, c, &peak);
    if (st == PAN_OK) printf("sgemm peak (1024^3, x W^T): %.1f GFLOP/s\n", peak);
    train_io *io = o.peers.n > 0 ? train_io_open(dir) : NULL;
    if (o.peers.n > 0 && !io) st = pan_error_set(PAN_ERR_IO, "cannot write the inputs");
    train_row rows[TRAIN_MAX_ROWS];
    int n = 0;
    if (st == PAN_OK) st = train_bench_run(&o, c, m, io, rows, &n);
    double peak_after = 0;
    if (st == PAN_OK) st = train_sgemm_peak(&o, c, &peak_after);
    if (st == PAN_OK) {
        printf("sgemm peak after the cases: %.1f GFLOP/s; counted: %.1f\n", peak_after,
               peak_after > peak ? peak_after : peak);
        if (peak_after > peak) peak = peak_after;
    }
    if (io && !train_io_close(io) && st == PAN_OK)
        st = pan_error_set(PAN_ERR_IO, "cannot write the inputs in %s", dir);
    if (st != PAN_OK) fprintf(stderr, "pan-bench-train: %s\n", pan_error_message());
    if (st == PAN_OK) run_torch(&o, dir, model_path, rows, n);
    if (st == PAN_OK) {
        print_times(&o, rows, n);
        print_steps(&o, rows, n);
        print_projection(rows, n, o.csv);
        print_flops(rows, n, peak);
        csv_rows(&o, rows, n, peak);
        print_memory(m, rows, n, o.csv);
    }
    if (!bench_csv_close(o.csv) && st == PAN_OK)
        st = pan_error_set(PAN_ERR_IO, "cannot write the CSV file");
    pan_compute_destroy(c);
    pan_model_destroy(m);
    if (!keep) remove_dir(dir);
    return st == PAN_OK ? 0 : 1;
}
