/* benchmarks/bench_server.c: pan-bench-server, the cost of serving the env
 * over ZeroMQ (docs/benchmarks.md, "Server benchmark").
 *
 *   pan-bench-server [--world NAME] [--requests N] [--warmup N] [--spin-us N]
 *                    [--csv FILE]
 *
 * For each case (batch = num_envs 1 and 16, obs_mode latent and full) the
 * same workload runs twice:
 *   in-process  pan_vec_env_step on a vector env of the case's config;
 *   remote      pan_client_step through a pan_server running in a thread
 *               of this process (tcp://127.0.0.1:*, one worker), over
 *               loopback TCP, with the C client (DEALER, msgpack, the obs
 *               tensors as blob frames read in place).
 * Both reset with the same seeds and step the same pre-sampled action
 * texts (a pool drawn once from the world's sampler, so sampling is not
 * timed), autoreset next_step. The server runs in its own thread
 * (bench_server_thread.c), a fresh one per case. Each request (one STEP of all N envs) is
 * timed alone after `warmup` untimed ones; reported: env-steps/s over the
 * timed requests, p50 / p99 of the per-request time, and the remote
 * overhead p50 = remote p50 - in-process p50 (target: <= 150 us for
 * latent obs). The server's own STATS p50 shows how much of a remote
 * request is spent inside the server (from the request's arrival on its
 * I/O thread to the reply leaving the worker), and a PING round trip (no
 * env work, answered on the server's I/O thread) the transport floor.
 * Reports only; never fails on a
 * slow result. Full obs at batch 16 use a quarter of the requests (each
 * reply carries 786 KB of frames). --csv FILE also writes each figure as a
 * machine-readable row (bench.h, bench_csv); stdout is unchanged. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "benchmarks/bench.h"
#include "benchmarks/bench_server_thread.h"
#include "env/env.h"

#define POOL 512 /* pre-sampled actions per env */

typedef struct bench_case_cfg {
    int batch;
    pan_obs_mode mode;
} bench_case_cfg;

typedef struct timings {
    double p50, p99, steps_per_s;
} timings;

typedef struct action_pool {
    int n;                                /* envs */
    char (*text)[PAN_ENV_ACTION_MAX + 1]; /* (POOL, N) */
    const char **ptrs;                    /* (POOL, N) */
} action_pool;

static pan_env_config config_of(const char *world, bench_case_cfg c) {
    pan_env_config cfg = pan_env_config_default();
    cfg.world = world;
    cfg.num_envs = c.batch;
    cfg.obs_mode = c.mode;
    return cfg;
}

/* Actions from the world's own sampler of a scratch env, stepped as it
 * goes so the texts fit the states the benchmark will see. */
static int pool_create(const char *world, int n, action_pool *p) {
    bench_case_cfg c = {n, PAN_OBS_LATENT};
    pan_env_config cfg = config_of(world, c);
    pan_vec_env *env = NULL;
    if (pan_vec_env_create(&cfg, &env) != PAN_OK) return -1;
    p->n = n;
    p->text = malloc(sizeof *p->text * (size_t)POOL * (size_t)n);
    p->ptrs = malloc(sizeof *p->ptrs * (size_t)POOL * (size_t)n);
    float *latent = malloc(sizeof(float) * (size_t)n * 256); /* (N, 1, D) D <= 256 */
    pan_env_info *infos = calloc((size_t)n, sizeof *infos);
    float *rew = malloc(sizeof(float) * (size_t)n);
    bool *te = malloc((size_t)n), *tr = malloc((size_t)n);
    char **rows = malloc(sizeof(char *) * (size_t)n);
    int rc = -1;
    if (!p->text || !p->ptrs || !latent || !infos || !rew || !te || !tr || !rows) goto done;
    pan_obs_batch obs = {NULL, latent};
    if (pan_vec_env_reset(env, NULL, NULL, &obs, infos) != PAN_OK) goto done;
    for (int t = 0; t < POOL; t++) {
        for (int i = 0; i < n; i++) {
            rows[i] = p->text[t * n + i];
            p->ptrs[t * n + i] = p->text[t * n + i];
        }
        if (pan_vec_env_sample_actions(env, PAN_SPLIT_TRAIN, rows, PAN_ENV_ACTION_MAX + 1) ||
            pan_vec_env_step(env, p->ptrs + t * n, &obs, rew, te, tr, infos, NULL, NULL, NULL))
            goto done;
    }
    rc = 0;
done:
    free(latent); free(infos); free(rew); free(te); free(tr); free(rows);
    pan_vec_env_destroy(env);
    return rc;
}

static void pool_destroy(action_pool *p) {
    free(p->text);
    free(p->ptrs);
}

static timings summarise(double *us, int n, int batch) {
    double total = 0.0;
    for (int i = 0; i < n; i++) total += us[i];
    bench_stats s = bench_stats_of(us, n); /* sorts */
    double p99 = us[(int)((double)(n - 1) * 0.99 + 0.5)];
    return (timings){s.median, p99, (double)n * batch / (total * 1e-6)};
}

static int spin_us = PAN_CLIENT_DEFAULT_SPIN_US; /* the client's busy-poll */
static bench_csv *csv_out;                       /* the --csv rows, or NULL */

/* The rows of one path of a case: throughput and per-request times. */
static void csv_timings(const char *row, const timings *t, int requests) {
    char note[64];
    snprintf(note, sizeof note, "%d timed requests", requests);
    bench_csv_row(csv_out, row, "env_steps_per_s", t->steps_per_s, "env-steps/s", NAN, note);
    bench_csv_row(csv_out, row, "p50_us", t->p50, "us", NAN, "per request");
    bench_csv_row(csv_out, row, "p99_us", t->p99, "us", NAN, "per request");
}

static int run_local(const char *world, bench_case_cfg c, const action_pool *p, int warmup,
                     int requests, timings *out) {
    pan_env_config cfg = config_of(world, c);
    pan_vec_env *env = NULL;
    if (pan_vec_env_create(&cfg, &env) != PAN_OK) return -1;
    pan_env_spaces sp;
    pan_vec_env_spaces(env, &sp);
    int n = c.batch, d = (int)sp.latent.shape[1];
    size_t fb = (size_t)sp.frames.shape[0] * (size_t)sp.frames.shape[1] *
                (size_t)sp.frames.shape[2] * 3;
    float *latent = malloc(sizeof(float) * (size_t)n * (size_t)d);           /* (N, 1, D) */
    uint8_t *frames = c.mode == PAN_OBS_FULL ? malloc((size_t)n * fb) : NULL; /* (N, K, H, W, 3) */
    pan_env_info *infos = calloc((size_t)n, sizeof *infos);
    float *rew = malloc(sizeof(float) * (size_t)n);
    bool *te = malloc((size_t)n), *tr = malloc((size_t)n);
    uint64_t *seeds = malloc(sizeof(uint64_t) * (size_t)n);
    double *us = malloc(sizeof(double) * (size_t)requests);
    int rc = -1;
    if (!latent || (c.mode == PAN_OBS_FULL && !frames) || !infos || !rew || !te || !tr ||
        !seeds || !us)
        goto done;
    for (int i = 0; i < n; i++) seeds[i] = 1 + (uint64_t)i;
    pan_obs_batch obs = {frames, latent};
    if (pan_vec_env_reset(env, seeds, NULL, &obs, infos) != PAN_OK) goto done;
    for (int r = 0; r < warmup + requests; r++) {
        const char *const *acts = p->ptrs + (size_t)(r % POOL) * (size_t)n;
        double t0 = bench_now_us();
        if (pan_vec_env_step(env, acts, &obs, rew, te, tr, infos, NULL, NULL, NULL) != PAN_OK)
            goto done;
        if (r >= warmup) us[r - warmup] = bench_now_us() - t0;
    }
    *out = summarise(us, requests, n);
    rc = 0;
done:
    free(latent); free(frames); free(infos); free(rew); free(te); free(tr); free(seeds);
    free(us);
    pan_vec_env_destroy(env);
    return rc;
}

static int run_remote(const char *endpoint, const char *world, bench_case_cfg c,
                      const action_pool *p, int warmup, int requests, timings *out,
                      double *server_p50) {
    pan_client *cl = NULL;
    if (pan_client_connect(endpoint, 30000, &cl) != PAN_OK ||
        pan_client_set_spin_us(cl, spin_us) != PAN_OK)
        return -1;
    pan_client_make_args ma = pan_client_make_args_default(world);
    ma.num_envs = c.batch;
    ma.obs_mode = c.mode == PAN_OBS_FULL ? "full" : "latent";
    uint64_t session = 0;
    pan_client_spaces sp;
    int n = c.batch, rc = -1;
    uint64_t *seeds = malloc(sizeof(uint64_t) * (size_t)n);
    double *us = malloc(sizeof(double) * (size_t)requests);
    if (!seeds || !us || pan_client_make(cl, &ma, &session, &sp) != PAN_OK) goto done;
    for (int i = 0; i < n; i++) seeds[i] = 1 + (uint64_t)i;
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_EACH, .seeds = seeds, .n_seeds = n};
    pan_client_obs_result rr;
    if (pan_client_reset(cl, session, &ra, &rr) != PAN_OK) goto done;
    pan_client_step_result sr;
    for (int r = 0; r < warmup + requests; r++) {
        const char *const *acts = p->ptrs + (size_t)(r % POOL) * (size_t)n;
        double t0 = bench_now_us();
        if (pan_client_step(cl, session, n, acts, &sr) != PAN_OK) goto done;
        if (r >= warmup) us[r - warmup] = bench_now_us() - t0;
    }
    pan_client_stats_result st;
    if (pan_client_stats(cl, NULL, &st) != PAN_OK) goto done;
    *server_p50 = st.latency_p50_us;
    *out = summarise(us, requests, n);
    rc = pan_client_close(cl, session) == PAN_OK ? 0 : -1;
done:
    if (rc != 0)
        fprintf(stderr, "pan-bench-server: remote: [%s] %s\n", pan_client_error_code(cl),
                pan_client_error_message(cl));
    free(seeds);
    free(us);
    pan_client_destroy(cl);
    return rc;
}

/* The transport floor: PING without a session is answered by the
 * server's I/O thread without any env work or worker hand-off. */
static int run_ping(int warmup, int requests) {
    bench_server_thread *server = bench_server_thread_start();
    pan_client *cl = NULL;
    double *us = malloc(sizeof(double) * (size_t)requests);
    int rc = -1;
    if (!server || !us ||
        pan_client_connect(bench_server_thread_endpoint(server), 30000, &cl) != PAN_OK ||
        pan_client_set_spin_us(cl, spin_us) != PAN_OK)
        goto done;
    for (int r = 0; r < warmup + requests; r++) {
        double t0 = bench_now_us();
        if (pan_client_ping(cl, NULL) != PAN_OK) goto done;
        if (r >= warmup) us[r - warmup] = bench_now_us() - t0;
    }
    timings t = summarise(us, requests, 1);
    printf("PING round trip (transport floor, no env work): p50 %.1f us, p99 %.1f us\n", t.p50,
           t.p99);
    bench_csv_row(csv_out, "PING round trip", "p50_us", t.p50, "us", NAN,
                  "transport floor, no env work");
    bench_csv_row(csv_out, "PING round trip", "p99_us", t.p99, "us", NAN,
                  "transport floor, no env work");
    rc = 0;
done:
    if (rc != 0) fprintf(stderr, "pan-bench-server: ping: %s\n", pan_error_message());
    pan_client_destroy(cl);
    bench_server_thread_stop(server);
    free(us);
    return rc;
}

static int usage(void) {
    fprintf(stderr, "usage: pan-bench-server [--world NAME] [--requests N] [--warmup N] "
                    "[--spin-us N] [--csv FILE]\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *world = "tabletop";
    int requests = 2000, warmup = 200;
    const char *csv_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--world") == 0) world = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--requests") == 0) requests = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--warmup") == 0) warmup = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--spin-us") == 0) spin_us = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--csv") == 0) csv_path = argv[++i];
        else return usage();
    }
    if (requests < 10 || warmup < 0 || spin_us < 0 || spin_us > 1000000) return usage();
    bool csv_failed = false;
    csv_out = bench_csv_open(csv_path, &csv_failed);
    if (csv_failed) return 2;

    printf("pan-bench-server: %s 64x64 K=4, a fresh server per case in a thread of this "
           "process on tcp://127.0.0.1:* (1 worker), %d warm-up + %d timed requests per case, "
           "client spin %d us\n",
           world, warmup, requests, spin_us);
    if (run_ping(warmup, requests) != 0) return 1;
    printf("%-6s %-7s %-11s %9s %12s %10s %10s %12s %10s\n", "batch", "obs", "path", "requests",
           "env-steps/s", "p50_us", "p99_us", "overhead_us", "server_us");
    static const bench_case_cfg cases[] = {{1, PAN_OBS_LATENT}, {1, PAN_OBS_FULL},
                                           {16, PAN_OBS_LATENT}, {16, PAN_OBS_FULL}};
    int rc = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        bench_case_cfg c = cases[k];
        int reqs = c.batch == 16 && c.mode == PAN_OBS_FULL ? requests / 4 : requests;
        action_pool pool = {0};
        timings local, remote;
        double server_p50 = 0.0;
        const char *mode = c.mode == PAN_OBS_FULL ? "full" : "latent";
        bench_server_thread *server = bench_server_thread_start();
        if (!server) {
            fprintf(stderr, "pan-bench-server: %s\n", pan_error_message());
            return 1;
        }
        int failed = pool_create(world, c.batch, &pool) != 0 ||
                     run_local(world, c, &pool, warmup, reqs, &local) != 0 ||
                     run_remote(bench_server_thread_endpoint(server), world, c, &pool, warmup,
                                reqs, &remote, &server_p50) != 0;
        bench_server_thread_stop(server);
        if (failed) {
            fprintf(stderr, "pan-bench-server: batch %d %s failed: %s\n", c.batch, mode,
                    pan_error_message());
            pool_destroy(&pool);
            rc = 1;
            break;
        }
        printf("%-6d %-7s %-11s %9d %12.0f %10.1f %10.1f %12s %10s\n", c.batch, mode,
               "in-process", reqs, local.steps_per_s, local.p50, local.p99, "", "");
        const char *target = c.mode == PAN_OBS_LATENT
                                 ? (remote.p50 - local.p50 <= 150.0 ? "target <= 150: met"
                                                                    : "target <= 150: MISSED")
                                 : "";
        printf("%-6d %-7s %-11s %9d %12.0f %10.1f %10.1f %12.1f %10.1f%s%s%s\n", c.batch, mode,
               "remote", reqs, remote.steps_per_s, remote.p50, remote.p99,
               remote.p50 - local.p50, server_p50, *target ? "  (" : "", target,
               *target ? ")" : "");
        char row[96];
        snprintf(row, sizeof row, "%s batch %d, obs %s, in-process", world, c.batch, mode);
        csv_timings(row, &local, reqs);
        snprintf(row, sizeof row, "%s batch %d, obs %s, remote (spin %d us)", world, c.batch,
                 mode, spin_us);
        csv_timings(row, &remote, reqs);
        bench_csv_row(csv_out, row, "overhead_p50_us", remote.p50 - local.p50, "us", NAN, target);
        bench_csv_row(csv_out, row, "server_p50_us", server_p50, "us", NAN,
                      "the server's own time (STATS)");
        pool_destroy(&pool);
    }
    if (!bench_csv_close(csv_out)) rc = 1;
    return rc;
}
