/* benchmarks/bench_backbone.c: pan-bench-backbone, the latency of one
 * backbone step in C against the PyTorch twin (docs/model.md, "Backbone f").
 *
 *   pan-bench-backbone [--threads 2] [--reps 30] [--warmup 3]
 *                      [--backend auto] [--batch 1,16] [--history 5,10]
 *                      [--peer NAME=PYTHON[:compile] ...]
 *                      [--python PATH] [--no-torch] [--csv FILE]
 *
 * A default-config model with random weights (pan_model_create_random,
 * seed 1) is saved to a temporary checkpoint. For batch B in {1, 16} and a
 * history of H in {5, 10} rounds (--batch, --history: a subset) (10 = a full window: the timed round
 * evicts one), B env slots are prefilled with H rounds (round 0: S = 16
 * state tokens, later rounds Q + S = 32; every round a 40-byte action and
 * Q = 16 queries: 77 and 93 tokens); this set-up is timed apart. Then one
 * round (32 state tokens, the same action) is appended to all B envs with
 * one pan_backbone_step; before every repetition the slots are restored
 * from the prefilled cache with pan_kv_cache_copy (untimed), so each
 * repetition does the same work. Reported: median, p10, p90 over `reps`
 * after `warmup` untimed ones.
 *
 * Then, for every PyTorch peer (bench.h; default: debian=/usr/bin/python3
 * and, when the project's venv exists, eager and compile on its python;
 * --peer replaces them, --python PATH is --peer torch=PATH),
 * benchmarks/backbone_torch.py (found under PAN_SOURCE_DIR, compiled in)
 * loads the SAME checkpoint into the twin (float32, inference_mode,
 * torch.set_num_threads(threads)), times the same step with its own KV
 * cache, and runs the step on C's own inputs of two cases (batch 1 history
 * 5, batch 16 history 10: written to the temporary directory) against C's
 * output (nmse <= 1e-6). The table shows each peer's median and its ratio
 * peer / C, and the ratio of the fastest peer (targets: >= 3x at batch 1,
 * >= 1.5x at batch 16, judged on the fastest). A peer that fails (no torch,
 * a failed compile or check) is reported and the others run. Memory:
 * weights, workspace and KV-cache bytes (per slot and live per env), and
 * the peak RSS of this process measured before the Python children start.
 * Reports only; never fails on a slow result (exit 1 only when C cannot
 * run). --csv FILE also writes each figure as a machine-readable row
 * (bench.h, bench_csv: one row per peer, and one for the fastest); stdout
 * is unchanged.
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
#include "core/model/backbone/backbone.h"
#include "core/model/backbone/kv_cache.h"
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
    const char *backend, *csv;
    bool torch;
    bool batch_on[N_BATCHES], history_on[N_HISTORIES]; /* --batch, --history */
    char batch_list[32], history_list[32];              /* the same, for the twin */
    bench_peers peers;
} options;

typedef struct peer_result {
    bool have;
    double median, p10, p90; /* microseconds */
    double prefill_ms, warmup_ms;
} peer_result;

typedef struct result {
    int batch, history;
    bench_stats c;           /* microseconds */
    double prefill_ms;
    int64_t live_tokens;     /* slot 0 after the timed round */
    peer_result t[BENCH_MAX_PEERS];
} result;

/* The cases whose inputs and output C writes for the peers' check. */
static bool checked_case(int batch, int history) {
    return (batch == 1 && history == 5) || (batch == 16 && history == 10);
}

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

/* "1,16" -> on[i] for the values of `all` it names; -1 on anything else. */
static int parse_subset(const char *s, const int *all, int n, bool *on, char *copy,
                        size_t size) {
    char buf[32];
    if (strlen(s) >= sizeof buf || strlen(s) >= size) return -1;
    strcpy(buf, s);
    strcpy(copy, s);
    for (int i = 0; i < n; i++) on[i] = false;
    bool any = false;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int v, i;
        if (parse_int(tok, 1, 1000, &v)) return -1;
        for (i = 0; i < n && all[i] != v; i++) {}
        if (i == n) return -1;
        on[i] = any = true;
    }
    return any ? 0 : -1;
}

static int parse_options(int argc, char **argv, options *o) {
    *o = (options){.threads = 2, .reps = 30, .warmup = 3, .backend = "auto",
                   .torch = true, .batch_on = {true, true}, .history_on = {true, true},
                   .batch_list = "1,16", .history_list = "5,10"};
    const char *python = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 0;
        if (!strcmp(a, "--no-torch")) { o->torch = false; continue; }
        if (!v) ok = -1;
        else if (!strcmp(a, "--threads")) ok = parse_int(v, 1, 256, &o->threads);
        else if (!strcmp(a, "--reps")) ok = parse_int(v, 1, 100000, &o->reps);
        else if (!strcmp(a, "--warmup")) ok = parse_int(v, 0, 100000, &o->warmup);
        else if (!strcmp(a, "--backend")) o->backend = v;
        else if (!strcmp(a, "--python")) python = v;
        else if (!strcmp(a, "--peer")) ok = bench_peers_add(&o->peers, v);
        else if (!strcmp(a, "--batch"))
            ok = parse_subset(v, BATCHES, N_BATCHES, o->batch_on, o->batch_list,
                              sizeof o->batch_list);
        else if (!strcmp(a, "--history"))
            ok = parse_subset(v, HISTORIES, N_HISTORIES, o->history_on, o->history_list,
                              sizeof o->history_list);
        else if (!strcmp(a, "--csv")) o->csv = v;
        else ok = -1;
        if (ok) {
            fprintf(stderr,
                    "usage: pan-bench-backbone [--threads N] [--reps N] "
                    "[--warmup N] [--backend ref|openblas|onednn|auto] "
                    "[--batch 1,16] [--history 5,10] "
                    "[--peer NAME=PYTHON[:compile] ...] [--python PATH] [--no-torch] "
                    "[--csv FILE]\n(bad argument '%s')\n", a);
            return -1;
        }
        i++;
    }
    if (python && o->peers.n == 0) {
        char spec[1100];
        snprintf(spec, sizeof spec, "torch=%s", python);
        if (bench_peers_add(&o->peers, spec)) return -1;
    } else if (python) {
        fprintf(stderr, "pan-bench-backbone: --python and --peer exclude each other\n");
        return -1;
    }
    if (o->peers.n == 0) bench_peers_default(&o->peers, PAN_SOURCE_DIR);
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

/* C's inputs of a case (state0 (B, S, d), state (B, Q+S, d)) and its
 * output (B, Q, d), float32, for the peers' --check. */
static int write_check(const char *path, const pan_model_config *cfg, const inputs *in,
                       int batch, const float *out) {
    size_t d = (size_t)cfg->backbone.dim, s = (size_t)pan_state_tokens(cfg);
    size_t q = (size_t)cfg->backbone.queries, b = (size_t)batch;
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(in->state0, sizeof(float), b * s * d, f) == b * s * d &&
              fwrite(in->state, sizeof(float), b * (q + s) * d, f) == b * (q + s) * d &&
              fwrite(out, sizeof(float), b * q * d, f) == b * q * d;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) fprintf(stderr, "pan-bench-backbone: cannot write %s\n", path);
    return ok ? 0 : -1;
}

/* One (batch, history) case in C; check_path: where to write its check
 * file, or NULL. */
static int run_case(pan_compute *c, const pan_model *m, pan_backbone_workspace *ws,
                    const inputs *in, const options *o, const char *check_path,
                    result *r) {
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
    if (check_path && write_check(check_path, cfg, in, batch, out)) goto done;
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

typedef struct torch_ctx {
    result *results;
    int n;
} torch_ctx;

/* A "case batch=.. history=.." line of backbone_torch.py into peer i's column. */
static bool torch_line(int i, const char *line, void *ctx_) {
    torch_ctx *ctx = ctx_;
    int batch, history;
    double med, p10, p90, pre, warm = NAN;
    if (sscanf(line, "case batch=%d history=%d median_us=%lf p10_us=%lf "
                     "p90_us=%lf prefill_ms=%lf",
               &batch, &history, &med, &p10, &p90, &pre) != 6)
        return false;
    const char *w = strstr(line, "warmup_ms=");
    if (w) sscanf(w, "warmup_ms=%lf", &warm);
    for (int k = 0; k < ctx->n; k++)
        if (ctx->results[k].batch == batch && ctx->results[k].history == history)
            ctx->results[k].t[i] = (peer_result){.have = true, .median = med, .p10 = p10,
                                                 .p90 = p90, .prefill_ms = pre,
                                                 .warmup_ms = warm};
    return true;
}

/* Runs every peer on the same checkpoint (and C's check files in dir). */
static void run_torch(options *o, const char *checkpoint, const char *dir,
                      result *results, int n) {
    char args[4096] = "--checkpoint ", tail[256];
    bench_shell_quote(args, sizeof args, checkpoint);
    snprintf(tail, sizeof tail, " --threads %d --batch %s --history %s --reps %d "
             "--warmup %d", o->threads, o->batch_list, o->history_list, o->reps,
             o->warmup);
    strcat(args, tail);
    for (int k = 0; k < n; k++) {
        char spec[1200];
        if (!checked_case(results[k].batch, results[k].history)) continue;
        snprintf(spec, sizeof spec, "%d:%d:%s/check-b%d-h%d.f32", results[k].batch,
                 results[k].history, dir, results[k].batch, results[k].history);
        strcat(args, " --check ");
        if (!bench_shell_quote(args, sizeof args, spec)) break;
    }
    torch_ctx ctx = {results, n};
    for (int i = 0; i < o->peers.n; i++) {
        printf("  running peer %s (%s%s) ...\n", o->peers.p[i].name, o->peers.p[i].python,
               o->peers.p[i].compile ? ", torch.compile" : "");
        bench_peer_run(&o->peers, i, PAN_SOURCE_DIR, "backbone_torch.py", args,
                       torch_line, &ctx);
        if (o->peers.p[i].checks_failed) /* its figures are not the model's */
            for (int k = 0; k < n; k++) results[k].t[i].have = false;
    }
}

/* The fastest peer of a case (-1: none has a figure). */
static int fastest(const result *r, const bench_peers *peers) {
    int best = -1;
    for (int i = 0; i < peers->n; i++)
        if (r->t[i].have && (best < 0 || r->t[i].median < r->t[best].median)) best = i;
    return best;
}

static void print_table(const result *res, int n, const options *o, size_t token_bytes) {
    const bench_peers *peers = &o->peers;
    printf("\nbackbone step: one round appended per env (32 state tokens, 40-byte "
           "action, 16 queries: 93 tokens), %d reps after %d warm-up, %d threads\n",
           o->reps, o->warmup, o->threads);
    printf("%5s %7s | %28s |", "batch", "history", "C ms: median [p10, p90]");
    for (int i = 0; i < peers->n; i++) printf(" %17.17s |", peers->p[i].name);
    printf(" %16s | %9s | %s\n", "fastest / C", "C pre ms", "live KV/env");
    for (int k = 0; k < n; k++) {
        const result *r = &res[k];
        printf("%5d %7d | %8.3f [%7.3f, %7.3f] |", r->batch, r->history,
               r->c.median * 1e-3, r->c.p10 * 1e-3, r->c.p90 * 1e-3);
        for (int i = 0; i < peers->n; i++) {
            char cell[32] = "-";
            if (r->t[i].have)
                snprintf(cell, sizeof cell, "%8.2f (%5.2fx)", r->t[i].median * 1e-3,
                         r->t[i].median / r->c.median);
            printf(" %17s |", cell);
        }
        int best = fastest(r, peers);
        char cell[48] = "-";
        if (best >= 0)
            snprintf(cell, sizeof cell, "%5.2fx %s", r->t[best].median / r->c.median,
                     peers->p[best].name);
        printf(" %16s | %9.1f | %lld tok, %.2f MiB\n", cell, r->prefill_ms,
               (long long)r->live_tokens,
               (double)r->live_tokens * (double)token_bytes / 1048576.0);
    }
    printf("peers in ms, (peer / C); targets: fastest peer / C >= 3x at batch 1, "
           ">= 1.5x at batch 16\n");
    printf("\nper peer: step ms median [p10, p90]; prefill ms (building the history "
           "once); warm-up s (untimed; with torch.compile: the compilation)\n");
    for (int i = 0; i < peers->n; i++)
        for (int k = 0; k < n; k++) {
            const result *r = &res[k];
            const peer_result *t = &r->t[i];
            if (!t->have) continue;
            printf("  %-8s batch %2d history %2d: %8.3f [%8.3f, %8.3f]  prefill %8.1f  "
                   "warm-up %7.1f s\n", peers->p[i].name, r->batch, r->history,
                   t->median * 1e-3, t->p10 * 1e-3, t->p90 * 1e-3, t->prefill_ms,
                   t->warmup_ms * 1e-3);
        }
    bench_peers_print(peers);
}

/* The table's figures as --csv rows: per case one row per peer with a
 * figure, one for the fastest, C's alone when no peer has one. */
static void csv_table(bench_csv *csv, const result *res, int n, const options *o,
                      size_t token_bytes) {
    const bench_peers *peers = &o->peers;
    for (int k = 0; k < n; k++) {
        const result *r = &res[k];
        char row[96], note[256], label[160];
        double need = r->batch == 1 ? 3.0 : 1.5;
        int best = fastest(r, peers);
        snprintf(row, sizeof row, "batch %d, history %d: one round (93 tokens)", r->batch,
                 r->history);
        snprintf(note, sizeof note, "C p10 %.3f, p90 %.3f; %d reps after %d warm-up",
                 r->c.p10 * 1e-3, r->c.p90 * 1e-3, o->reps, o->warmup);
        if (best < 0)
            bench_csv_row(csv, row, "step_median_ms", r->c.median * 1e-3, "ms", NAN, note);
        for (int i = 0; i < peers->n; i++) {
            const peer_result *t = &r->t[i];
            if (!t->have) continue;
            snprintf(note, sizeof note, "%s; peer p10 %.3f, p90 %.3f",
                     bench_peer_label(&peers->p[i], label, sizeof label),
                     t->p10 * 1e-3, t->p90 * 1e-3);
            bench_csv_peer_row(csv, row, "step_median_ms", r->c.median * 1e-3, "ms",
                               peers->p[i].name, t->median * 1e-3, note);
        }
        if (best >= 0) {
            char who[64];
            snprintf(who, sizeof who, "fastest: %s", peers->p[best].name);
            snprintf(note, sizeof note, "the fastest peer, %s; target peer/C >= %.1fx: %s",
                     bench_peer_label(&peers->p[best], label, sizeof label), need,
                     r->t[best].median / r->c.median >= need ? "met" : "missed");
            bench_csv_peer_row(csv, row, "step_median_ms", r->c.median * 1e-3, "ms", who,
                               r->t[best].median * 1e-3, note);
        }
        bench_csv_row(csv, row, "prefill_ms", r->prefill_ms, "ms", NAN,
                      "C: building the history, once");
        for (int i = 0; i < peers->n; i++) {
            const peer_result *t = &r->t[i];
            if (!t->have) continue;
            bench_csv_peer_row(csv, row, "prefill_ms", NAN, "ms", peers->p[i].name,
                               t->prefill_ms, "building the history, once");
            if (t->warmup_ms == t->warmup_ms)
                bench_csv_peer_row(csv, row, "warmup_ms", NAN, "ms", peers->p[i].name,
                                   t->warmup_ms, peers->p[i].compile
                                   ? "untimed: torch.compile's compilation and the "
                                     "warm-up reps" : "untimed: the warm-up reps");
        }
        bench_csv_row(csv, row, "live_kv_mib_per_env",
                      (double)r->live_tokens * (double)token_bytes / 1048576.0, "MiB", NAN,
                      "");
    }
    bench_peers_csv(csv, peers);
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
    char check_paths[N_BATCHES * N_HISTORIES][sizeof dir + 32] = {{0}};
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
    int max_batch = 0;
    for (int bi = 0; bi < N_BATCHES; bi++)
        if (o.batch_on[bi]) max_batch = BATCHES[bi];
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
        if (!o.batch_on[bi]) continue;
        pan_backbone_workspace_destroy(ws);
        ws = NULL;
        if (pan_backbone_workspace_create(&ws, &cfg, BATCHES[bi]) != PAN_OK) {
            fail("workspace");
            goto done;
        }
        if (pan_backbone_workspace_bytes(ws) > ws_bytes)
            ws_bytes = pan_backbone_workspace_bytes(ws);
        for (int hi = 0; hi < N_HISTORIES; hi++) {
            if (!o.history_on[hi]) continue;
            res[n] = (result){.batch = BATCHES[bi], .history = HISTORIES[hi]};
            if (checked_case(BATCHES[bi], HISTORIES[hi]))
                snprintf(check_paths[n], sizeof check_paths[n], "%s/check-b%d-h%d.f32",
                         dir, BATCHES[bi], HISTORIES[hi]);
            if (run_case(c, m, ws, &in, &o, check_paths[n][0] ? check_paths[n] : NULL,
                         &res[n]))
                goto done;
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

    if (o.torch) run_torch(&o, path, dir, res, n);
    else o.peers.n = 0;
    print_table(res, n, &o, token_bytes);
    csv_table(csv, res, n, &o, token_bytes);
    bench_csv_row(csv, "memory (C)", "weights_mib",
                  (double)m->params.total_floats * 4.0 / 1048576.0, "MiB", NAN, "all parts");
    char ws_note[64];
    snprintf(ws_note, sizeof ws_note, "backbone workspace at max batch %d", max_batch);
    bench_csv_row(csv, "memory (C)", "workspace_mib", (double)ws_bytes / 1048576.0, "MiB",
                  NAN, ws_note);
    bench_csv_row(csv, "memory (C)", "kv_cache_mib_per_slot", (double)per_slot / 1048576.0,
                  "MiB", NAN, "worst-case capacity");
    bench_csv_row(csv, "memory (C)", "peak_rss_mib", (double)ru.ru_maxrss / 1024.0, "MiB",
                  NAN, "before the Python children");
    printf("\nmemory (C): weights %.2f MiB (%lld params, all parts), backbone workspace "
           "%.2f MiB (max_batch %d), KV cache %.2f MiB per slot (capacity %lld "
           "tokens) = %.2f MiB for %d slots; peak RSS %.1f MiB (before the Python "
           "children)\n",
           (double)m->params.total_floats * 4.0 / 1048576.0,
           (long long)m->params.total_params, (double)ws_bytes / 1048576.0, max_batch,
           (double)per_slot / 1048576.0,
           (long long)(per_slot / token_bytes), (double)per_slot * max_batch / 1048576.0,
           max_batch, (double)ru.ru_maxrss / 1024.0);
    rc = 0;
done:
    if (!bench_csv_close(csv)) rc = 1;
    if (path[0]) unlink(path);
    for (int k = 0; k < N_BATCHES * N_HISTORIES; k++)
        if (check_paths[k][0]) unlink(check_paths[k]);
    if (made_dir) rmdir(dir);
    pan_backbone_workspace_destroy(ws);
    pan_compute_destroy(c);
    pan_model_destroy(m);
    free(in.state0);
    free(in.state);
    return rc;
}
