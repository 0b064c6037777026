/* benchmarks/bench_glp.c: pan-bench-glp -- the world-model env in C
 * against the PyTorch twin with the same weights and threads, in one run
 * (docs/benchmarks.md, "World-model env").
 *
 * Usage: pan-bench-glp [--checkpoint FILE] [--threads N] [--backend NAME]
 *                      [--reps N] [--warmup N] [--python PATH] [--no-torch]
 *                      [--csv FILE]
 *
 * Without --checkpoint a default-config model from pan-init's random
 * initialisation (seed 1; UNTRAINED) is written to a temporary file so the
 * twin loads the same weights. Cases (benchmarks/glp_torch.py times the
 * same ones):
 *   env_step B=1,16   one full GLP env step with frames (backbone, Swin-DPM
 *                     decoder, VAE decode, re-encoding) on a history of 5
 *                     rounds whose decoder window is in steady state; the
 *                     slots are restored from snapshots before every rep
 *   latent_step B=1,16 one latent-mode step (backbone only), 5 rounds
 *   rollout           64 forks x 8 latent steps: 64 copies of one env
 *                     (timed) then 8 batched latent steps of batch 64
 *   decoder B=16      one decoder forward over [cond, A, B] (2K+1 frames):
 *                     GFLOP/s against the sgemm peak of the same compute,
 *                     measured in this run (a 1024^3 matmul)
 * Then memory: bytes per env slot, live KV per env, peak RSS. Medians.
 * Targets: torch/C >= 2x at batch 1 and >= 1.5x at batch 16 (env step);
 * decoder >= 50% of the sgemm peak. Nothing fails on a slow result.
 * --csv FILE also writes each figure as a machine-readable row (bench.h,
 * bench_csv; the twin's figure as the peer value); stdout is unchanged.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchmarks/bench.h"
#include "benchmarks/bench_glp.h"
#include "core/model/glp.h"
#include "core/model/model.h"

static int parse_options(int argc, char **argv, glp_bench_options *o,
                         const char **csv) {
    *o = (glp_bench_options){.threads = 2, .backend = "auto", .reps = 10,
                             .warmup = 2, .python = "/usr/bin/python3",
                             .torch = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-torch")) { o->torch = false; continue; }
        if (!v) goto bad;
        if (!strcmp(a, "--checkpoint")) o->checkpoint = v;
        else if (!strcmp(a, "--threads")) o->threads = atoi(v);
        else if (!strcmp(a, "--backend")) o->backend = v;
        else if (!strcmp(a, "--reps")) o->reps = atoi(v);
        else if (!strcmp(a, "--warmup")) o->warmup = atoi(v);
        else if (!strcmp(a, "--python")) o->python = v;
        else if (!strcmp(a, "--csv")) *csv = v;
        else goto bad;
        i++;
        continue;
    bad:
        fprintf(stderr, "usage: pan-bench-glp [--checkpoint FILE] [--threads N] "
                "[--backend NAME] [--reps N] [--warmup N] [--python PATH] "
                "[--no-torch] [--csv FILE]\n(bad argument '%s')\n", a);
        return -1;
    }
    if (o->threads < 1 || o->reps < 1 || o->warmup < 0) {
        fprintf(stderr, "pan-bench-glp: threads and reps must be >= 1\n");
        return -1;
    }
    return 0;
}

/* Runs glp_torch.py and fills the torch column of matching rows. */
static void run_torch(const glp_bench_options *o, const char *checkpoint,
                      glp_row *rows, int n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/benchmarks/glp_torch.py' --checkpoint '%s' --threads %d "
             "--batch 1,16 --reps %d --warmup %d",
             o->python, PAN_SOURCE_DIR, checkpoint, o->threads, o->reps,
             o->warmup);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "pan-bench-glp: cannot run %s\n", cmd);
        return;
    }
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        char name[32];
        int batch = 0;
        double med = 0;
        const char *m = strstr(line, "median_us=");
        if (sscanf(line, "case name=%31s", name) != 1 || !m ||
            sscanf(m, "median_us=%lf", &med) != 1) {
            fputs(line, stderr);
            continue;
        }
        const char *b = strstr(line, "batch=");
        const char *f = strstr(line, "forks=");
        if (b) sscanf(b, "batch=%d", &batch);
        if (f) sscanf(f, "forks=%d", &batch);
        for (int i = 0; i < n; i++)
            if (!strcmp(rows[i].name, name) && rows[i].batch == batch) {
                rows[i].torch_us = med;
                rows[i].have_torch = true;
            }
    }
    int status = pclose(p);
    if (status != 0)
        fprintf(stderr, "pan-bench-glp: glp_torch.py exited with status %d\n",
                status);
}

static void print_rows(const glp_row *rows, int n) {
    printf("\n%-12s %5s %14s %14s %9s %s\n", "case", "batch", "C ms (median)",
           "torch ms", "torch/C", "target");
    for (int i = 0; i < n; i++) {
        const glp_row *r = &rows[i];
        printf("%-12s %5d %14.2f ", r->name, r->batch, r->c_us / 1e3);
        if (r->have_torch)
            printf("%14.2f %8.2fx %s\n", r->torch_us / 1e3,
                   r->torch_us / r->c_us, r->target ? r->target : "");
        else
            printf("%14s %9s %s\n", "-", "-", r->target ? r->target : "");
    }
}

/* The rows as --csv rows (the twin's median as the peer value). */
static void csv_rows(const glp_bench_options *o, const glp_row *rows, int n) {
    for (int i = 0; i < n; i++) {
        const glp_row *r = &rows[i];
        char row[64], note[96];
        if (!strcmp(r->name, "rollout"))
            snprintf(row, sizeof row, "rollout, %d forks x 8 latent steps", r->batch);
        else
            snprintf(row, sizeof row, "%s, batch %d", r->name, r->batch);
        /* env_step's targets are torch/C ratios (">= 2x"); the decoder's is
         * its share of the sgemm peak (its pct_peak row). */
        bool ratio = r->target && strchr(r->target, 'x') && !strchr(r->target, '%');
        double need = ratio ? atof(r->target + 3) : 0.0;
        snprintf(note, sizeof note, "%d reps after %d warm-up%s%s%s", o->reps, o->warmup,
                 !r->target ? "" : ratio ? "; target torch/C " : "; target ",
                 r->target ? r->target : "",
                 !ratio || !r->have_torch ? ""
                 : r->torch_us / r->c_us >= need ? ": met" : ": missed");
        bench_csv_row(o->csv, row, "median_ms", r->c_us / 1e3, "ms",
                      r->have_torch ? r->torch_us / 1e3 : NAN, note);
    }
}

static const char *model_path(const glp_bench_options *o, char *tmp,
                              size_t size, pan_model **m) {
    if (o->checkpoint) {
        if (pan_model_load(m, o->checkpoint) != PAN_OK) return NULL;
        return o->checkpoint;
    }
    pan_model_config cfg;
    pan_model_config_default(&cfg);
    snprintf(tmp, size, "/tmp/pan-bench-glp-%ld.safetensors", (long)getpid());
    if (pan_model_create_random(m, &cfg, 1) != PAN_OK ||
        pan_model_save(*m, tmp, "untrained: random initialisation, seed 1 "
                                "(pan-bench-glp)") != PAN_OK)
        return NULL;
    return tmp;
}

int main(int argc, char **argv) {
    glp_bench_options o;
    const char *csv_path = NULL;
    if (parse_options(argc, argv, &o, &csv_path) != 0) return 2;
    bool csv_failed = false;
    o.csv = bench_csv_open(csv_path, &csv_failed);
    if (csv_failed) return 2;
    pan_model *m = NULL;
    char tmp[256];
    const char *path = model_path(&o, tmp, sizeof tmp, &m);
    if (!path) {
        fprintf(stderr, "pan-bench-glp: %s\n", pan_error_message());
        return 1;
    }
    pan_compute *c = NULL;
    if (pan_compute_create(&c, &(pan_compute_options){
                                   .backend = o.backend,
                                   .n_threads = o.threads}) != PAN_OK) {
        fprintf(stderr, "pan-bench-glp: %s\n", pan_error_message());
        pan_model_destroy(m);
        return 1;
    }
    printf("pan-bench-glp: %s model (%s), backend %s, %d threads, %d reps "
           "after %d warm-up\n", m->trained ? "trained" : "UNTRAINED",
           path, o.backend, o.threads, o.reps, o.warmup);
    glp_row rows[8];
    int n = 0;
    pan_status st = glp_bench_run(&o, c, m, rows, &n);
    if (st != PAN_OK)
        fprintf(stderr, "pan-bench-glp: %s\n", pan_error_message());
    if (st == PAN_OK && o.torch) run_torch(&o, path, rows, n);
    if (st == PAN_OK) print_rows(rows, n);
    if (st == PAN_OK) csv_rows(&o, rows, n);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS of this process: %.1f MiB\n", ru.ru_maxrss / 1024.0);
    bench_csv_row(o.csv, "memory (C)", "peak_rss_mib", ru.ru_maxrss / 1024.0, "MiB",
                  NAN, "this process (a 65-slot pool, batch-16 workspaces)");
    if (!bench_csv_close(o.csv) && st == PAN_OK)
        st = pan_error_set(PAN_ERR_IO, "cannot write the CSV file");
    pan_compute_destroy(c);
    pan_model_destroy(m);
    if (!o.checkpoint) unlink(tmp);
    return st == PAN_OK ? 0 : 1;
}
