/* benchmarks/bench_glp.c: pan-bench-glp -- the world-model env in C
 * against the PyTorch twin with the same weights and threads, in one run
 * (docs/benchmarks.md, "World-model env").
 *
 * Usage: pan-bench-glp [--checkpoint FILE] [--threads N] [--backend NAME]
 *                      [--reps N] [--warmup N] [--peer NAME=PYTHON[:compile]
 *                      ...] [--python PATH] [--no-torch] [--csv FILE]
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
 * Every PyTorch peer (bench.h; default: debian=/usr/bin/python3 and, when
 * the project's venv exists, eager and compile on its python; --peer
 * replaces them, --python PATH is --peer torch=PATH) runs glp_torch.py,
 * which checks its batched sampler against the twin's per env first (and,
 * compiled, every compiled function against eager); the table shows each
 * peer's median, peer / C, and the fastest peer / C.
 * Targets: fastest peer / C >= 2x at batch 1 and >= 1.5x at batch 16 (env
 * step); decoder >= 50% of the sgemm peak. Nothing fails on a slow result.
 * --csv FILE also writes each figure as a machine-readable row (bench.h,
 * bench_csv: one row per peer and one for the fastest); stdout is
 * unchanged.
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
#include "core/model/glp/glp.h"
#include "core/model/model.h"

static int parse_options(int argc, char **argv, glp_bench_options *o,
                         const char **csv) {
    *o = (glp_bench_options){.threads = 2, .backend = "auto", .reps = 10,
                             .warmup = 2, .torch = true};
    const char *python = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-torch")) { o->torch = false; continue; }
        if (!v) goto bad;
        if (!strcmp(a, "--checkpoint")) o->checkpoint = v;
        else if (!strcmp(a, "--threads")) o->threads = atoi(v);
        else if (!strcmp(a, "--backend")) o->backend = v;
        else if (!strcmp(a, "--reps")) o->reps = atoi(v);
        else if (!strcmp(a, "--warmup")) o->warmup = atoi(v);
        else if (!strcmp(a, "--python")) python = v;
        else if (!strcmp(a, "--peer")) {
            if (bench_peers_add(&o->peers, v)) goto bad;
        }
        else if (!strcmp(a, "--csv")) *csv = v;
        else goto bad;
        i++;
        continue;
    bad:
        fprintf(stderr, "usage: pan-bench-glp [--checkpoint FILE] [--threads N] "
                "[--backend NAME] [--reps N] [--warmup N] "
                "[--peer NAME=PYTHON[:compile] ...] [--python PATH] [--no-torch] "
                "[--csv FILE]\n(bad argument '%s')\n", a);
        return -1;
    }
    if (python && o->peers.n > 0) {
        fprintf(stderr, "pan-bench-glp: --python and --peer exclude each other\n");
        return -1;
    }
    if (python) {
        char spec[1100];
        snprintf(spec, sizeof spec, "torch=%s", python);
        if (bench_peers_add(&o->peers, spec)) return -1;
    }
    if (o->peers.n == 0) bench_peers_default(&o->peers, PAN_SOURCE_DIR);
    if (!o->torch) o->peers.n = 0;
    if (o->threads < 1 || o->reps < 1 || o->warmup < 0) {
        fprintf(stderr, "pan-bench-glp: threads and reps must be >= 1\n");
        return -1;
    }
    return 0;
}

typedef struct torch_ctx {
    glp_row *rows;
    int n;
} torch_ctx;

/* A "case name=.. batch=|forks=.. median_us=.." line into peer i's column. */
static bool torch_line(int i, const char *line, void *ctx_) {
    torch_ctx *ctx = ctx_;
    char name[32];
    int batch = 0;
    double med = 0, warm = NAN;
    const char *m = strstr(line, "median_us=");
    if (sscanf(line, "case name=%31s", name) != 1 || !m ||
        sscanf(m, "median_us=%lf", &med) != 1)
        return false;
    const char *b = strstr(line, "batch="), *f = strstr(line, "forks=");
    const char *w = strstr(line, "warmup_ms=");
    if (b) sscanf(b, "batch=%d", &batch);
    if (f) sscanf(f, "forks=%d", &batch);
    if (w) sscanf(w, "warmup_ms=%lf", &warm);
    for (int k = 0; k < ctx->n; k++)
        if (!strcmp(ctx->rows[k].name, name) && ctx->rows[k].batch == batch) {
            ctx->rows[k].torch_us[i] = med;
            ctx->rows[k].warmup_ms[i] = warm;
            ctx->rows[k].have[i] = true;
        }
    return true;
}

/* Runs glp_torch.py under every peer and fills their columns. */
static void run_torch(glp_bench_options *o, const char *checkpoint, glp_row *rows,
                      int n) {
    char args[2048] = "--checkpoint ", tail[160];
    bench_shell_quote(args, sizeof args, checkpoint);
    snprintf(tail, sizeof tail, " --threads %d --batch 1,16 --reps %d --warmup %d",
             o->threads, o->reps, o->warmup);
    strcat(args, tail);
    torch_ctx ctx = {rows, n};
    for (int i = 0; i < o->peers.n; i++) {
        printf("running peer %s (%s%s) ...\n", o->peers.p[i].name, o->peers.p[i].python,
               o->peers.p[i].compile ? ", torch.compile" : "");
        bench_peer_run(&o->peers, i, PAN_SOURCE_DIR, "glp_torch.py", args, torch_line,
                       &ctx);
        if (o->peers.p[i].checks_failed) /* its figures are not the model's */
            for (int k = 0; k < n; k++) rows[k].have[i] = false;
    }
}

/* The fastest peer of a row (-1: none has a figure). */
static int fastest(const glp_row *r, const bench_peers *peers) {
    int best = -1;
    for (int i = 0; i < peers->n; i++)
        if (r->have[i] && (best < 0 || r->torch_us[i] < r->torch_us[best])) best = i;
    return best;
}

static void print_rows(const glp_bench_options *o, const glp_row *rows, int n) {
    const bench_peers *peers = &o->peers;
    printf("\n%-12s %5s %14s |", "case", "batch", "C ms (median)");
    for (int i = 0; i < peers->n; i++) printf(" %19.19s |", peers->p[i].name);
    printf(" %18s | %s\n", "fastest / C", "target");
    for (int k = 0; k < n; k++) {
        const glp_row *r = &rows[k];
        printf("%-12s %5d %14.2f |", r->name, r->batch, r->c_us / 1e3);
        for (int i = 0; i < peers->n; i++) {
            char cell[40] = "-";
            if (r->have[i])
                snprintf(cell, sizeof cell, "%10.2f (%5.2fx)", r->torch_us[i] / 1e3,
                         r->torch_us[i] / r->c_us);
            printf(" %19s |", cell);
        }
        int best = fastest(r, peers);
        char cell[48] = "-";
        if (best >= 0)
            snprintf(cell, sizeof cell, "%6.2fx %s", r->torch_us[best] / r->c_us,
                     peers->p[best].name);
        printf(" %18s | %s\n", cell, r->target ? r->target : "");
    }
    if (peers->n == 0) return;
    printf("peers in ms, (peer / C); the env-step targets are on the fastest peer\n");
    printf("\nwarm-up per peer, s (untimed set-up and warm-up reps; with torch.compile: "
           "the compilation):\n");
    for (int i = 0; i < peers->n; i++) {
        printf("  %-8s", peers->p[i].name);
        for (int k = 0; k < n; k++)
            if (rows[k].have[i])
                printf(" %s/%d %.1f", rows[k].name, rows[k].batch,
                       rows[k].warmup_ms[i] * 1e-3);
        printf("\n");
    }
    bench_peers_print(peers);
}

/* The rows as --csv rows: one per peer with a figure, one for the fastest
 * (C's alone when no peer has one), the warm-ups, and the peers. */
static void csv_rows(const glp_bench_options *o, const glp_row *rows, int n) {
    const bench_peers *peers = &o->peers;
    for (int k = 0; k < n; k++) {
        const glp_row *r = &rows[k];
        char row[64], note[256], label[160], who[64];
        if (!strcmp(r->name, "rollout"))
            snprintf(row, sizeof row, "rollout, %d forks x 8 latent steps", r->batch);
        else
            snprintf(row, sizeof row, "%s, batch %d", r->name, r->batch);
        /* env_step's targets are torch/C ratios (">= 2x"); the decoder's is
         * its share of the sgemm peak (its pct_peak row). */
        bool ratio = r->target && strchr(r->target, 'x') && !strchr(r->target, '%');
        double need = ratio ? atof(r->target + 3) : 0.0;
        int best = fastest(r, peers);
        snprintf(note, sizeof note, "%d reps after %d warm-up", o->reps, o->warmup);
        if (best < 0)
            bench_csv_row(o->csv, row, "median_ms", r->c_us / 1e3, "ms", NAN, note);
        for (int i = 0; i < peers->n; i++)
            if (r->have[i])
                bench_csv_peer_row(o->csv, row, "median_ms", r->c_us / 1e3, "ms",
                                   peers->p[i].name, r->torch_us[i] / 1e3,
                                   bench_peer_label(&peers->p[i], label, sizeof label));
        if (best >= 0) {
            snprintf(who, sizeof who, "fastest: %s", peers->p[best].name);
            snprintf(note, sizeof note, "the fastest peer, %s%s%s%s",
                     bench_peer_label(&peers->p[best], label, sizeof label),
                     ratio ? "; target peer/C " : "", ratio ? r->target : "",
                     !ratio ? "" : r->torch_us[best] / r->c_us >= need ? ": met"
                                                                    : ": missed");
            bench_csv_peer_row(o->csv, row, "median_ms", r->c_us / 1e3, "ms", who,
                               r->torch_us[best] / 1e3, note);
        }
        for (int i = 0; i < peers->n; i++)
            if (r->have[i] && r->warmup_ms[i] == r->warmup_ms[i])
                bench_csv_peer_row(o->csv, row, "warmup_ms", NAN, "ms", peers->p[i].name,
                                   r->warmup_ms[i], peers->p[i].compile
                                   ? "untimed: set-up, torch.compile's compilation, "
                                     "warm-up reps" : "untimed: set-up, warm-up reps");
    }
    bench_peers_csv(o->csv, peers);
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
    if (st == PAN_OK) run_torch(&o, path, rows, n);
    if (st == PAN_OK) print_rows(&o, rows, n);
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
