/* benchmarks/bench_glp_cases.c: the timed cases of pan-bench-glp
 * (contract in bench_glp.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"
#include "benchmarks/bench_glp.h"
#include "core/model/decoder/decoder.h"
#include "core/model/glp/glp.h"
#include "core/model/backbone/kv_cache.h"
#include "core/rng.h"
#include "env/world.h"

#define HISTORY 5
#define FORKS 64
#define ROLLOUT_STEPS 8
static const char ACTION[] = "move the red cube onto the blue mat now."; /* 40 B */

typedef struct bench_env {
    pan_glp *g;
    int slots;
    uint8_t *frames;   /* (slots, K, H, W, 3) */
    float *latents;    /* (slots, Q, d) */
    uint8_t **fptr;
    float **lptr;
    pan_glp_action *act;
} bench_env;

static void env_free(bench_env *e) {
    pan_glp_destroy(e->g);
    free(e->frames);
    free(e->latents);
    free(e->fptr);
    free(e->lptr);
    free(e->act);
}

static pan_status env_make(bench_env *e, const pan_model *m, int slots,
                           int max_batch) {
    const pan_model_config *cfg = &m->config;
    size_t chunk = (size_t)cfg->frame.chunk_frames * (size_t)cfg->frame.height *
                   (size_t)cfg->frame.width * 3;
    size_t q = (size_t)cfg->backbone.queries * (size_t)cfg->backbone.dim;
    *e = (bench_env){.slots = slots};
    e->frames = malloc(chunk * (size_t)slots);
    e->latents = malloc(sizeof(float) * q * (size_t)slots);
    e->fptr = malloc(sizeof *e->fptr * (size_t)slots);
    e->lptr = malloc(sizeof *e->lptr * (size_t)slots);
    e->act = malloc(sizeof *e->act * (size_t)slots);
    if (!e->frames || !e->latents || !e->fptr || !e->lptr || !e->act)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    for (int i = 0; i < slots; i++) {
        e->fptr[i] = e->frames + chunk * (size_t)i;
        e->lptr[i] = e->latents + q * (size_t)i;
        e->act[i] = (pan_glp_action){.slot = i, .text = ACTION,
                                     .len = sizeof ACTION - 1};
    }
    return pan_glp_create(&e->g, m, slots, max_batch);
}

/* Resets slots 0..n-1 from tabletop first frames (seeds 1..n), then
 * HISTORY steps: the last `frames_steps` of them with frames. */
static pan_status prefill(bench_env *e, pan_compute *c, int n,
                          int frames_steps) {
    pan_world *w = NULL;
    pan_world_config wc = pan_world_config_default();
    pan_status st = pan_world_create("tabletop", &wc, &w);
    int *ids = malloc(sizeof(int) * (size_t)n);
    uint64_t *seeds = malloc(sizeof(uint64_t) * (size_t)n);
    const uint8_t **first = malloc(sizeof *first * (size_t)n);
    if (st == PAN_OK && (!ids || !seeds || !first))
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    for (int i = 0; st == PAN_OK && i < n; i++) {
        ids[i] = i;
        seeds[i] = (uint64_t)i + 1;
        st = pan_world_reset(w, seeds[i], e->fptr[i]);
        first[i] = e->fptr[i];
    }
    if (st == PAN_OK) st = pan_glp_reset(e->g, c, n, ids, first, seeds, NULL);
    for (int t = 0; st == PAN_OK && t < HISTORY; t++)
        st = pan_glp_step(e->g, c, n, e->act, t >= HISTORY - frames_steps,
                          e->fptr, e->lptr);
    pan_world_destroy(w);
    free(ids);
    free(seeds);
    free(first);
    return st;
}

typedef struct saved {
    void **blob;
    size_t *bytes;
    int n;
} saved;

static pan_status save_all(const bench_env *e, int n, saved *s) {
    s->n = n;
    s->blob = calloc((size_t)n, sizeof *s->blob);
    s->bytes = calloc((size_t)n, sizeof *s->bytes);
    if (!s->blob || !s->bytes)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    for (int i = 0; i < n; i++) {
        s->bytes[i] = pan_glp_snapshot_bytes(e->g, i);
        s->blob[i] = malloc(s->bytes[i]);
        if (!s->blob[i])
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
        pan_status st = pan_glp_save(e->g, i, s->blob[i]);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

static void saved_free(saved *s) {
    for (int i = 0; s->blob && i < s->n; i++) free(s->blob[i]);
    free(s->blob);
    free(s->bytes);
}

/* Median of reps timed steps of slots 0..n-1, restored before each. */
static pan_status time_steps(const glp_bench_options *o, bench_env *e,
                             pan_compute *c, int n, bool with_frames,
                             const saved *s, double *median) {
    int total = o->warmup + o->reps;
    double *us = malloc(sizeof(double) * (size_t)total);
    if (!us) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    pan_status st = PAN_OK;
    for (int r = 0; st == PAN_OK && r < total; r++) {
        for (int i = 0; st == PAN_OK && i < n; i++)
            st = pan_glp_load(e->g, i, s->blob[i], s->bytes[i]);
        double t0 = bench_now_us();
        if (st == PAN_OK)
            st = pan_glp_step(e->g, c, n, e->act, with_frames, e->fptr, e->lptr);
        us[r] = bench_now_us() - t0;
    }
    if (st == PAN_OK) *median = bench_stats_of(us + o->warmup, o->reps).median;
    free(us);
    return st;
}

static pan_status step_case(const glp_bench_options *o, pan_compute *c,
                            const pan_model *m, int batch, bool with_frames,
                            double *median, size_t *live_kv) {
    bench_env e;
    saved s = {0};
    pan_status st = env_make(&e, m, batch, batch);
    if (st == PAN_OK) st = prefill(&e, c, batch, with_frames ? 1 : 0);
    if (st == PAN_OK) st = save_all(&e, batch, &s);
    if (st == PAN_OK) *live_kv = s.bytes[0];
    if (st == PAN_OK) st = time_steps(o, &e, c, batch, with_frames, &s, median);
    saved_free(&s);
    env_free(&e);
    return st;
}

/* 64 copies of slot 0 (latent history) and 8 latent steps of batch 64. */
static pan_status rollout_case(const glp_bench_options *o, pan_compute *c,
                               const pan_model *m, double *median) {
    bench_env e;
    pan_status st = env_make(&e, m, FORKS + 1, FORKS);
    if (st == PAN_OK) st = prefill(&e, c, 1, 0);
    int total = o->warmup + o->reps;
    double *us = malloc(sizeof(double) * (size_t)total);
    if (st == PAN_OK && !us)
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    for (int i = 0; i < FORKS; i++) e.act[i].slot = i + 1;
    for (int r = 0; st == PAN_OK && r < total; r++) {
        double t0 = bench_now_us();
        for (int i = 1; st == PAN_OK && i <= FORKS; i++) st = pan_glp_copy(e.g, i, 0);
        for (int t = 0; st == PAN_OK && t < ROLLOUT_STEPS; t++)
            st = pan_glp_step(e.g, c, FORKS, e.act, false, NULL, e.lptr);
        us[r] = bench_now_us() - t0;
    }
    if (st == PAN_OK) *median = bench_stats_of(us + o->warmup, o->reps).median;
    free(us);
    env_free(&e);
    return st;
}

/* Matmul and attention FLOPs of one decoder forward over [cond, A, B]
 * for `batch` items with conditions of `action_len` bytes. */
static double decoder_flops(const pan_model_config *cfg, int batch,
                            int action_len) {
    const pan_decoder_config *g = &cfg->decoder;
    double D = g->dim, M = g->mlp_dim, d = cfg->backbone.dim;
    double tf = pan_decoder_frame_tokens(cfg), K = cfg->frame.chunk_frames;
    double T = (2 * K + 1) * tf, A = action_len + 2, Q = cfg->backbone.queries;
    double P = cfg->vae.latent_channels * g->patch * g->patch;
    /* per token: q k v proj, cross q, 2 cross outs, mlp; patch in/out */
    double linear = 2 * T * (7 * D * D + 2 * D * M + 2 * P * D);
    double cond = 2 * 2 * (A * d * D + Q * d * D) * 2; /* 2 conds, k and v */
    double keys = tf * tf + K * tf * (K + 1) * tf + K * tf * T; /* block-causal */
    double attention = 4 * keys * D + 4 * T * (A + Q) * D;
    return batch * (g->layers * (linear + cond + attention));
}

static pan_status decoder_case(const glp_bench_options *o, pan_compute *c,
                               const pan_model *m, double *median,
                               double *gflops) {
    const pan_model_config *cfg = &m->config;
    int B = 16, K = cfg->frame.chunk_frames, n = 2 * K + 1, A = sizeof ACTION - 1;
    size_t F = (size_t)cfg->vae.latent_channels * (size_t)pan_latent_height(cfg) *
               (size_t)pan_latent_width(cfg);
    size_t q = (size_t)cfg->backbone.queries * (size_t)cfg->backbone.dim;
    float *lat = malloc(sizeof(float) * (size_t)B * (size_t)n * F);
    float *states = malloc(sizeof(float) * q);
    float *out = malloc(sizeof(float) * (size_t)B * (size_t)K * F);
    pan_decoder_workspace *ws = NULL;
    pan_status st = pan_decoder_workspace_create(&ws, cfg, B);
    if (st == PAN_OK && (!lat || !states || !out))
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    pan_decoder_frame frames[64];
    pan_decoder_condition conds[32];
    if (st == PAN_OK) {
        pan_rng rng = pan_rng_seed(7);
        pan_rng_fill_normal(&rng, lat, (size_t)B * (size_t)n * F);
        pan_rng_fill_normal(&rng, states, q);
        for (int f = 0; f < n; f++)
            frames[f] = (pan_decoder_frame){
                .sigma = f == 0 ? 0.055f : f <= K ? 0.3f : 0.9f, .slot = f,
                .block = f == 0 ? 0 : f <= K ? 1 : 2,
                .cond = f == 0 ? -1 : f <= K ? 0 : 1};
        for (int i = 0; i < 2 * B; i++)
            conds[i] = (pan_decoder_condition){
                .state = states, .action = (const uint8_t *)ACTION, .action_len = A};
    }
    int total = o->warmup + o->reps;
    double *us = malloc(sizeof(double) * (size_t)total);
    for (int r = 0; st == PAN_OK && us && r < total; r++) {
        double t0 = bench_now_us();
        st = pan_decoder_forward(c, m, ws, B, n, frames, lat, conds, 2, K + 1,
                                 K, out);
        us[r] = bench_now_us() - t0;
    }
    if (st == PAN_OK && us) {
        *median = bench_stats_of(us + o->warmup, o->reps).median;
        *gflops = decoder_flops(cfg, B, A) / (*median * 1e3);
    }
    free(us);
    free(lat);
    free(states);
    free(out);
    pan_decoder_workspace_destroy(ws);
    return st;
}

/* GFLOP/s of a 1024^3 matmul (x W^T, as the model's linears) on `c`. */
static pan_status sgemm_peak(const glp_bench_options *o, pan_compute *c,
                             double *gflops) {
    int N = 1024;
    float *a = malloc(sizeof(float) * (size_t)N * N * 3);
    if (!a) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    pan_rng rng = pan_rng_seed(3);
    pan_rng_fill_normal(&rng, a, (size_t)N * N * 2);
    pan_tensor x, w, y;
    pan_tensor_init(&x, a, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    pan_tensor_init(&w, a + (size_t)N * N, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    pan_tensor_init(&y, a + 2 * (size_t)N * N, PAN_DTYPE_F32, 2, PAN_SHAPE(N, N));
    int total = o->warmup + o->reps;
    double us[256];
    pan_status st = PAN_OK;
    for (int r = 0; st == PAN_OK && r < total && r < 256; r++) {
        double t0 = bench_now_us();
        st = pan_compute_matmul(c, &y, &x, &w, NULL, false, true, 1.0f, 0.0f);
        us[r] = bench_now_us() - t0;
    }
    if (st == PAN_OK)
        *gflops = 2.0 * N * N * N /
                  (bench_stats_of(us + o->warmup, total - o->warmup).median * 1e3);
    free(a);
    return st;
}

pan_status glp_bench_run(const glp_bench_options *o, pan_compute *c,
                         const pan_model *m, glp_row *rows, int *n) {
    *n = 0;
    size_t live = 0;
    pan_status st = PAN_OK;
    int batches[2] = {1, 16};
    for (int b = 0; st == PAN_OK && b < 2; b++) {
        glp_row r = {.name = "env_step", .batch = batches[b],
                     .target = b == 0 ? ">= 2x" : ">= 1.5x"};
        st = step_case(o, c, m, batches[b], true, &r.c_us, &live);
        printf("env_step batch %2d: %.1f ms (snapshot of one env: %.2f MiB)\n",
               batches[b], r.c_us / 1e3, live / 1048576.0);
        fflush(stdout);
        rows[(*n)++] = r;
    }
    for (int b = 0; st == PAN_OK && b < 2; b++) {
        glp_row r = {.name = "latent_step", .batch = batches[b]};
        st = step_case(o, c, m, batches[b], false, &r.c_us, &live);
        rows[(*n)++] = r;
    }
    if (st == PAN_OK) {
        glp_row r = {.name = "rollout", .batch = FORKS};
        st = rollout_case(o, c, m, &r.c_us);
        if (st == PAN_OK)
            printf("rollout %d forks x %d latent steps: %.1f ms, %.0f env "
                   "steps/s\n", FORKS, ROLLOUT_STEPS, r.c_us / 1e3,
                   FORKS * ROLLOUT_STEPS / (r.c_us / 1e6));
        rows[(*n)++] = r;
    }
    double peak = 0, dec = 0;
    if (st == PAN_OK) {
        glp_row r = {.name = "decoder", .batch = 16, .target = ">= 50% peak"};
        st = decoder_case(o, c, m, &r.c_us, &dec);
        if (st == PAN_OK) st = sgemm_peak(o, c, &peak);
        if (st == PAN_OK) {
            printf("decoder batch 16 over 2K+1 frames: %.1f GFLOP/s; sgemm "
                   "peak (1024^3, same compute): %.1f GFLOP/s; %.0f%% of peak\n",
                   dec, peak, 100.0 * dec / peak);
            const char *row = "decoder, batch 16, 2K+1 frames";
            bench_csv_row(o->csv, row, "gflops", dec, "GFLOP/s", NAN,
                          "matmul and attention FLOPs");
            bench_csv_row(o->csv, row, "sgemm_peak_gflops", peak, "GFLOP/s", NAN,
                          "1024^3 x W^T on the same compute, this run");
            bench_csv_row(o->csv, row, "pct_peak", 100.0 * dec / peak, "%", NAN,
                          100.0 * dec / peak >= 50.0 ? "target >= 50%: met"
                                                     : "target >= 50%: missed");
        }
        rows[(*n)++] = r;
    }
    if (st == PAN_OK) {
        bench_env e;
        st = env_make(&e, m, 1, 1);
        if (st == PAN_OK) {
            printf("memory per env slot: %.2f MiB allocated (KV cache worst "
                   "case, decoder window, state); %.2f MiB in a snapshot at "
                   "history %d\n", pan_glp_bytes_per_slot(e.g) / 1048576.0,
                   live / 1048576.0, HISTORY);
            bench_csv_row(o->csv, "memory (C)", "mib_per_env_slot",
                          pan_glp_bytes_per_slot(e.g) / 1048576.0, "MiB", NAN,
                          "allocated: KV cache worst case, decoder window, state");
            bench_csv_row(o->csv, "memory (C)", "snapshot_mib", live / 1048576.0,
                          "MiB", NAN, "one env at a history of 5 rounds");
        }
        env_free(&e);
    }
    return st;
}
