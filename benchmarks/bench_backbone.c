/* benchmarks/bench_backbone.c: pan-bench-backbone, the latency of one
 * backbone step in C against the PyTorch twin (docs/model.md, "Backbone f").
 *
 *   pan-bench-backbone [--threads 2] [--reps 30] [--warmup 3]
 *                      [--backend auto] [--python /usr/bin/python3]
 *                      [--no-torch] [--csv FILE]
 *
 * A default-config model with random weights (pan_model_create_random,
 * seed 1) is saved to a temporary checkpoint. For batch B in {1, 16} and a
 * history of H in {5, 10} rounds (10 = a full window: the timed round
 * evicts one), B env slots are prefilled with H rounds (round 0: S = 16
 * state tokens, later rounds Q + S = 32; every round a 40-byte action and
 * Q = 16 queries: 77 and 93 tokens); this set-up is timed apart. Then one
 * round (32 state tokens, the same action) is appended to all B envs with
 * one pan_backbone_step; before every repetition the slots are restored
 * from the prefilled cache with pan_kv_cache_copy (untimed), so each
 * repetition does the same work. Reported: median, p10, p90 over `reps`
 * after `warmup` untimed ones.
 *
 * Then benchmarks/backbone_torch.py (found under PAN_SOURCE_DIR, compiled
 * in) loads the SAME checkpoint into the twin (float32, inference_mode,
 * torch.set_num_threads(threads)) and times the same step with its own KV
 * cache; the table shows the ratio torch / C (targets: >= 3x at batch 1,
 * >= 1.5x at batch 16). Memory: weights, workspace and KV-cache bytes
 * (per slot and live per env), and the peak RSS of this process measured
 * before the Python child starts. Reports only; never fails on a slow
 * result (exit 1 only when something cannot run). --csv FILE also writes
 * each figure as a machine-readable row (bench.h, bench_csv; the twin's
 * figure as the peer value); stdout is unchanged.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchmarks/bench.h"
#include "core/compute.h"
#include "core/model/backbone.h"
#include "core/model/kv_cache.h"
#include "core/model/model.h"

#ifndef PAN_SOURCE_DIR
#define PAN_SOURCE_DIR "."
#endif

#define ACTION "move the red cube onto the blue mat now." /* 40 bytes */
#define N_BATCHES 2
#define N_HISTORIES 2
static const int BATCHES[N_BATCHES] = {1, 16};
static const int HISTORIES[N_HISTORIES] = {5, 10};

typedef struct options {
    int threads, reps, warmup;
    const char *backend, *python, *csv;
    bool torch;
} options;

typedef struct result {
    int batch, history;
    bench_stats c;           /* microseconds */
    double prefill_ms;
    int64_t live_tokens;     /* slot 0 after the timed round */
    bool have_torch;
    double t_median, t_p10, t_p90, t_prefill_ms; /* twin, microseconds/ms */
} result;

typedef struct inputs {
    float *state0; /* (B, S, d) round 0 */
    float *state;  /* (B, Q + S, d) later rounds */
} inputs;

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.threads = 2, .reps = 30, .warmup = 3, .backend = "auto",
                   .python = "/usr/bin/python3", .torch = true};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 0;
        if (!strcmp(a, "--no-torch")) { o->torch = false; continue; }
        if (!v) ok = -1;
        else if (!strcmp(a, "--threads")) ok = parse_int(v, 1, 256, &o->threads);
        else if (!strcmp(a, "--reps")) ok = parse_int(v, 1, 100000, &o->reps);
        else if (!strcmp(a, "--warmup")) ok = parse_int(v, 0, 100000, &o->warmup);
        else if (!strcmp(a, "--backend")) o->backend = v;
        else if (!strcmp(a, "--python")) o->python = v;
        else if (!strcmp(a, "--csv")) o->csv = v;
        else ok = -1;
        if (ok) {
            fprintf(stderr,
                    "usage: pan-bench-backbone [--threads N] [--reps N] "
                    "[--warmup N] [--backend ref|openblas|onednn|auto] "
                    "[--python PATH] [--no-torch] [--csv FILE]\n(bad argument '%s')\n", a);
            return -1;
        }
        i++;
    }
    return 0;
}

/* Uniform [-1, 1) from a SplitMix64 stream: inputs only need to be finite
 * and varied. */
static void fill_random(float *x, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        x[i] = (float)((double)(z >> 40) / (double)(1ull << 23) - 1.0);
    }
}

static void make_rounds(const pan_model_config *cfg, const inputs *in, int batch,
                        bool first, pan_backbone_round *rounds) {
    int d = cfg->backbone.dim, s = pan_state_tokens(cfg), q = cfg->backbone.queries;
    int n = first ? s : q + s;
    for (int b = 0; b < batch; b++)
        rounds[b] = (pan_backbone_round){
            .slot = b,
            .state = (first ? in->state0 : in->state) + (size_t)b * (size_t)n * (size_t)d,
            .n_state = n,
            .action = ACTION,
            .action_len = strlen(ACTION)};
}

static int fail(const char *what) {
    fprintf(stderr, "pan-bench-backbone: %s: %s\n", what, pan_error_message());
    return -1;
}

/* One (batch, history) case in C. */
static int run_case(pan_compute *c, const pan_model *m, pan_backbone_workspace *ws,
                    const inputs *in, const options *o, result *r) {
    const pan_model_config *cfg = &m->config;
    int batch = r->batch;
    size_t out_floats = (size_t)batch * (size_t)cfg->backbone.queries *
                        (size_t)cfg->backbone.dim;
    float *out = malloc(sizeof(float) * out_floats);            /* (B, Q, d) */
    pan_backbone_round *rounds = malloc(sizeof *rounds * (size_t)batch); /* (B) */
    double *us = malloc(sizeof(double) * (size_t)o->reps);      /* (reps) */
    pan_kv_cache *base = NULL, *work = NULL;
    int rc = -1;
    if (!out || !rounds || !us) {
        fprintf(stderr, "pan-bench-backbone: out of memory\n");
        goto done;
    }
    if (pan_kv_cache_create(&base, cfg, batch, 0) != PAN_OK ||
        pan_kv_cache_create(&work, cfg, batch, 0) != PAN_OK) {
        fail("kv cache");
        goto done;
    }
    double t0 = bench_now_us();
    for (int h = 0; h < r->history; h++) {
        make_rounds(cfg, in, batch, h == 0, rounds);
        if (pan_backbone_step(c, m, ws, base, rounds, batch, out) != PAN_OK) {
            fail("prefill");
            goto done;
        }
    }
    r->prefill_ms = (bench_now_us() - t0) * 1e-3;
    make_rounds(cfg, in, batch, false, rounds);
    for (int rep = 0; rep < o->warmup + o->reps; rep++) {
        for (int b = 0; b < batch; b++)
            if (pan_kv_cache_copy(work, b, base, b) != PAN_OK) {
                fail("kv cache copy");
                goto done;
            }
        double t = bench_now_us();
        if (pan_backbone_step(c, m, ws, work, rounds, batch, out) != PAN_OK) {
            fail("step");
            goto done;
        }
        t = bench_now_us() - t;
        if (rep >= o->warmup) us[rep - o->warmup] = t;
    }
    for (size_t i = 0; i < out_floats; i++)
        if (!(out[i] == out[i]) || out[i] > 1e30f || out[i] < -1e30f) {
            fprintf(stderr, "pan-bench-backbone: non-finite output\n");
            goto done;
        }
    r->c = bench_stats_of(us, o->reps);
    r->live_tokens = pan_kv_cache_live_tokens(work, 0);
    rc = 0;
done:
    pan_kv_cache_destroy(base);
    pan_kv_cache_destroy(work);
    free(out);
    free(rounds);
    free(us);
    return rc;
}

/* Runs the twin on the same checkpoint and fills the torch columns. */
static void run_torch(const options *o, const char *checkpoint, result *results,
                      int n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/benchmarks/backbone_torch.py' --checkpoint '%s' "
             "--threads %d --batch 1,16 --history 5,10 --reps %d --warmup %d",
             o->python, PAN_SOURCE_DIR, checkpoint, o->threads, o->reps, o->warmup);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        fprintf(stderr, "pan-bench-backbone: cannot run %s\n", cmd);
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, p)) {
        int batch, history;
        double med, p10, p90, pre;
        if (sscanf(line, "case batch=%d history=%d median_us=%lf p10_us=%lf "
                         "p90_us=%lf prefill_ms=%lf",
                   &batch, &history, &med, &p10, &p90, &pre) != 6) {
            fputs(line, stderr);
            continue;
        }
        for (int i = 0; i < n; i++)
            if (results[i].batch == batch && results[i].history == history)
                results[i] = (result){.batch = batch, .history = history,
                                      .c = results[i].c,
                                      .prefill_ms = results[i].prefill_ms,
                                      .live_tokens = results[i].live_tokens,
                                      .have_torch = true, .t_median = med,
                                      .t_p10 = p10, .t_p90 = p90,
                                      .t_prefill_ms = pre};
    }
    int status = pclose(p);
    if (status != 0)
        fprintf(stderr, "pan-bench-backbone: %s exited with status %d\n",
                "backbone_torch.py", status);
}

static void print_table(const result *res, int n, const options *o, size_t token_bytes) {
    printf("\nbackbone step: one round appended per env (32 state tokens, 40-byte "
           "action, 16 queries: 93 tokens), %d reps after %d warm-up, %d threads\n",
           o->reps, o->warmup, o->threads);
    printf("%5s %7s | %28s | %28s | %7s | %9s %9s | %s\n", "batch", "history",
           "C ms: median [p10, p90]", "torch ms: median [p10, p90]", "torch/C",
           "C pre ms", "torch pre", "live KV/env");
    for (int i = 0; i < n; i++) {
        const result *r = &res[i];
        char cbuf[64], tbuf[64] = "-", ratio[16] = "-", tpre[16] = "-";
        snprintf(cbuf, sizeof cbuf, "%8.3f [%7.3f, %7.3f]", r->c.median * 1e-3,
                 r->c.p10 * 1e-3, r->c.p90 * 1e-3);
        if (r->have_torch) {
            snprintf(tbuf, sizeof tbuf, "%8.3f [%7.3f, %7.3f]", r->t_median * 1e-3,
                     r->t_p10 * 1e-3, r->t_p90 * 1e-3);
            snprintf(ratio, sizeof ratio, "%6.2fx", r->t_median / r->c.median);
            snprintf(tpre, sizeof tpre, "%9.1f", r->t_prefill_ms);
        }
        printf("%5d %7d | %28s | %28s | %7s | %9.1f %9s | %lld tok, %.2f MiB\n",
               r->batch, r->history, cbuf, tbuf, ratio, r->prefill_ms, tpre,
               (long long)r->live_tokens,
               (double)r->live_tokens * (double)token_bytes / 1048576.0);
    }
    printf("targets: torch/C >= 3x at batch 1, >= 1.5x at batch 16\n");
}

/* The table's figures as --csv rows (the twin's as the peer value). */
static void csv_table(bench_csv *csv, const result *res, int n, const options *o,
                      size_t token_bytes) {
    for (int i = 0; i < n; i++) {
        const result *r = &res[i];
        char row[96], note[160];
        double need = r->batch == 1 ? 3.0 : 1.5;
        snprintf(row, sizeof row, "batch %d, history %d: one round (93 tokens)", r->batch,
                 r->history);
        snprintf(note, sizeof note, "C p10 %.3f, p90 %.3f; %d reps after %d warm-up; "
                 "target torch/C >= %.1fx%s", r->c.p10 * 1e-3, r->c.p90 * 1e-3, o->reps,
                 o->warmup, need, !r->have_torch ? ""
                 : r->t_median / r->c.median >= need ? ": met" : ": missed");
        bench_csv_row(csv, row, "step_median_ms", r->c.median * 1e-3, "ms",
                      r->have_torch ? r->t_median * 1e-3 : NAN, note);
        bench_csv_row(csv, row, "prefill_ms", r->prefill_ms, "ms",
                      r->have_torch ? r->t_prefill_ms : NAN, "building the history, once");
        bench_csv_row(csv, row, "live_kv_mib_per_env",
                      (double)r->live_tokens * (double)token_bytes / 1048576.0, "MiB", NAN,
                      "");
    }
}

int main(int argc, char **argv) {
    options o;
    if (parse_options(argc, argv, &o)) return 2;
    bool csv_failed = false;
    bench_csv *csv = bench_csv_open(o.csv, &csv_failed);
    if (csv_failed) return 2;
    pan_model_config cfg;
    pan_model_config_default(&cfg);
    pan_model *m = NULL;
    pan_compute *c = NULL;
    pan_backbone_workspace *ws = NULL;
    inputs in = {0};
    char dir[] = "/tmp/pan-bench-backbone-XXXXXX", path[sizeof dir + 32] = "";
    bool made_dir = false;
    int rc = 1;
    result res[N_BATCHES * N_HISTORIES];
    int n = 0;

    if (pan_model_create_random(&m, &cfg, 1) != PAN_OK) { fail("model"); goto done; }
    if (!mkdtemp(dir)) { perror("pan-bench-backbone: mkdtemp"); goto done; }
    made_dir = true;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (pan_model_save(m, path, "untrained: random weights of pan-bench-backbone, seed 1")) {
        fail("save");
        goto done;
    }
    if (pan_compute_create(&c, &(pan_compute_options){.backend = o.backend,
                                                      .n_threads = o.threads}) != PAN_OK) {
        fail("compute");
        goto done;
    }
    int d = cfg.backbone.dim, s = pan_state_tokens(&cfg), q = cfg.backbone.queries;
    int max_batch = BATCHES[N_BATCHES - 1];
    in.state0 = malloc(sizeof(float) * (size_t)max_batch * (size_t)s * (size_t)d);
    in.state = malloc(sizeof(float) * (size_t)max_batch * (size_t)(q + s) * (size_t)d);
    if (!in.state0 || !in.state) { fprintf(stderr, "out of memory\n"); goto done; }
    fill_random(in.state0, (size_t)max_batch * (size_t)s * (size_t)d, 1);
    fill_random(in.state, (size_t)max_batch * (size_t)(q + s) * (size_t)d, 2);

    printf("pan-bench-backbone: backend %s, %d threads, default config (d %d, %d layers, "
           "%d/%d heads, max_rounds %d), checkpoint %s\n",
           pan_compute_backend_name(c), pan_compute_threads(c), d, cfg.backbone.layers,
           cfg.backbone.heads, cfg.backbone.kv_heads, cfg.backbone.max_rounds, path);
    size_t ws_bytes = 0;
    for (int bi = 0; bi < N_BATCHES; bi++) {
        pan_backbone_workspace_destroy(ws);
        ws = NULL;
        if (pan_backbone_workspace_create(&ws, &cfg, BATCHES[bi]) != PAN_OK) {
            fail("workspace");
            goto done;
        }
        if (pan_backbone_workspace_bytes(ws) > ws_bytes)
            ws_bytes = pan_backbone_workspace_bytes(ws);
        for (int hi = 0; hi < N_HISTORIES; hi++) {
            res[n] = (result){.batch = BATCHES[bi], .history = HISTORIES[hi]};
            if (run_case(c, m, ws, &in, &o, &res[n])) goto done;
            printf("  C batch %2d history %2d: median %.3f ms (prefill %.1f ms)\n",
                   res[n].batch, res[n].history, res[n].c.median * 1e-3,
                   res[n].prefill_ms);
            n++;
        }
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    pan_kv_cache *one = NULL;
    if (pan_kv_cache_create(&one, &cfg, 1, 0) != PAN_OK) { fail("kv cache"); goto done; }
    size_t per_slot = pan_kv_cache_bytes_per_slot(one);
    size_t token_bytes = per_slot / (size_t)pan_kv_cache_capacity(one);
    pan_kv_cache_destroy(one);

    if (o.torch) run_torch(&o, path, res, n);
    print_table(res, n, &o, token_bytes);
    csv_table(csv, res, n, &o, token_bytes);
    bench_csv_row(csv, "memory (C)", "weights_mib",
                  (double)m->params.total_floats * 4.0 / 1048576.0, "MiB", NAN, "all parts");
    bench_csv_row(csv, "memory (C)", "workspace_mib", (double)ws_bytes / 1048576.0, "MiB",
                  NAN, "backbone workspace at max batch 16");
    bench_csv_row(csv, "memory (C)", "kv_cache_mib_per_slot", (double)per_slot / 1048576.0,
                  "MiB", NAN, "worst-case capacity");
    bench_csv_row(csv, "memory (C)", "peak_rss_mib", (double)ru.ru_maxrss / 1024.0, "MiB",
                  NAN, "before the Python child");
    printf("\nmemory (C): weights %.2f MiB (%lld params, all parts), backbone workspace "
           "%.2f MiB (max_batch %d), KV cache %.2f MiB per slot (capacity %lld "
           "tokens) = %.2f MiB for %d slots; peak RSS %.1f MiB (before the Python "
           "child)\n",
           (double)m->params.total_floats * 4.0 / 1048576.0,
           (long long)m->params.total_params, (double)ws_bytes / 1048576.0, max_batch,
           (double)per_slot / 1048576.0,
           (long long)(per_slot / token_bytes), (double)per_slot * max_batch / 1048576.0,
           max_batch, (double)ru.ru_maxrss / 1024.0);
    rc = 0;
done:
    if (!bench_csv_close(csv)) rc = 1;
    if (path[0]) unlink(path);
    if (made_dir) rmdir(dir);
    pan_backbone_workspace_destroy(ws);
    pan_compute_destroy(c);
    pan_model_destroy(m);
    free(in.state0);
    free(in.state);
    return rc;
}
