/* benchmarks/bench_bf16_matmul.c: pan-bench-bf16-matmul, the onednn
 * backend's matmul in f32 vs opt-in bf16 (core/compute.h bf16_matmul).
 *
 *   pan-bench-bf16-matmul [--reps N] [--warmup N] [--threads N]
 *
 * For the model's linear shapes (x (M, K) @ w (N, K)^T + b): the forward
 * matmul and the linear backward (pan_compute_matmul_backward: dx, dw,
 * dbias, three matmul-shaped ops). Two strict onednn computes, one per
 * mode, with the same thread count; each repetition times f32 then bf16
 * back to back, so a load that drifts during the run hits both modes
 * alike. Prints warm-up and repetitions, median / p10 / p90 in
 * milliseconds per mode, GFLOP/s at the median, the ratio of the medians
 * (f32 / bf16: above 1 means bf16 is faster), bf16's nmse against f32,
 * and the load average before and after (Linux /proc/loadavg), because
 * figures from a loaded machine say so. Benchmarks report; the exit status
 * is 0 whatever the timings (2 on bad arguments, 1 when an op fails).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench.h"
#include "core/compute.h"

typedef struct shape {
    int64_t m, k, n;
} shape;

static const shape shapes[] = {
    {2048, 512, 512},   /* backbone tokens x width */
    {4096, 128, 384},   /* a narrow stage's qkv projection */
    {1024, 1024, 1024}, /* the square reference */
};

/* One linear layer's tensors (inputs uniform in [-1, 1), fixed seed). */
typedef struct layer {
    float *x, *w, *b, *out, *g, *dx, *dw, *db; /* see shape comments below */
    pan_tensor tx, tw, tb, tout, tg, tdx, tdw, tdb;
} layer;

static float *filled(int64_t n, uint64_t *seed) {
    float *p = aligned_alloc(64, (size_t)((n * 4 + 63) / 64 * 64));
    if (!p) return NULL;
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(*seed >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    }
    return p;
}

static bool layer_init(layer *l, const shape *s) {
    uint64_t seed = 12345;
    l->x = filled(s->m * s->k, &seed);   /* (M, K) */
    l->w = filled(s->n * s->k, &seed);   /* (N, K) */
    l->b = filled(s->n, &seed);          /* (N) */
    l->out = filled(s->m * s->n, &seed); /* (M, N) */
    l->g = filled(s->m * s->n, &seed);   /* (M, N) upstream gradient */
    l->dx = filled(s->m * s->k, &seed);  /* (M, K) */
    l->dw = filled(s->n * s->k, &seed);  /* (N, K) */
    l->db = filled(s->n, &seed);         /* (N) */
    if (!l->x || !l->w || !l->b || !l->out || !l->g || !l->dx || !l->dw ||
        !l->db)
        return false;
    pan_tensor_init(&l->tx, l->x, PAN_DTYPE_F32, 2, PAN_SHAPE(s->m, s->k));
    pan_tensor_init(&l->tw, l->w, PAN_DTYPE_F32, 2, PAN_SHAPE(s->n, s->k));
    pan_tensor_init(&l->tb, l->b, PAN_DTYPE_F32, 1, PAN_SHAPE(s->n));
    pan_tensor_init(&l->tout, l->out, PAN_DTYPE_F32, 2, PAN_SHAPE(s->m, s->n));
    pan_tensor_init(&l->tg, l->g, PAN_DTYPE_F32, 2, PAN_SHAPE(s->m, s->n));
    pan_tensor_init(&l->tdx, l->dx, PAN_DTYPE_F32, 2, PAN_SHAPE(s->m, s->k));
    pan_tensor_init(&l->tdw, l->dw, PAN_DTYPE_F32, 2, PAN_SHAPE(s->n, s->k));
    pan_tensor_init(&l->tdb, l->db, PAN_DTYPE_F32, 1, PAN_SHAPE(s->n));
    return true;
}

static void layer_free(layer *l) {
    free(l->x);
    free(l->w);
    free(l->b);
    free(l->out);
    free(l->g);
    free(l->dx);
    free(l->dw);
    free(l->db);
}

/* pass 0: forward, 1: backward (accumulates into dx, dw, db). */
static pan_status run_pass(pan_compute *c, layer *l, int pass) {
    if (pass == 0)
        return pan_compute_matmul(c, &l->tout, &l->tx, &l->tw, &l->tb, false,
                                  true, 1.0f, 0.0f);
    return pan_compute_matmul_backward(c, &l->tg, &l->tx, &l->tw, false, true,
                                       1.0f, &l->tdx, &l->tdw, &l->tdb);
}

static void print_load(const char *when) {
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "";
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        fclose(f);
    }
    line[strcspn(line, "\n")] = 0;
    printf("load average %s: %s\n", when, *line ? line : "(unknown)");
}

static bool parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

int main(int argc, char **argv) {
    int reps = 15, warmup = 3, threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(argv[i], "--reps") == 0 && parse_int(v, 1, 10000, &reps))
            i++;
        else if (strcmp(argv[i], "--warmup") == 0 &&
                 parse_int(v, 0, 1000, &warmup))
            i++;
        else if (strcmp(argv[i], "--threads") == 0 &&
                 parse_int(v, 1, 256, &threads))
            i++;
        else {
            fprintf(stderr, "usage: pan-bench-bf16-matmul [--reps N] "
                            "[--warmup N] [--threads N]\n");
            return 2;
        }
    }
    pan_compute *cs[2] = {NULL, NULL};
    for (int mode = 0; mode < 2; mode++) {
        pan_compute_options o = {.backend = "onednn", .n_threads = threads,
                                 .strict = true,
                                 .bf16_matmul = mode ? 1 : -1};
        if (pan_compute_create(&cs[mode], &o) != PAN_OK) {
            fprintf(stderr, "pan-bench-bf16-matmul: %s\n", pan_error_message());
            pan_compute_destroy(cs[0]);
            return 1;
        }
    }
    printf("onednn matmul, f32 vs bf16 inputs; %d threads, %d warm-up, %d "
           "reps each, interleaved\n", threads, warmup, reps);
    print_load("before");
    printf("%-22s %-8s %-24s %-24s %7s %9s\n", "shape (M x K x N)", "pass",
           "f32 ms med [p10 p90]", "bf16 ms med [p10 p90]", "f32/bf16",
           "nmse");
    double *us[2] = {malloc((size_t)reps * sizeof(double)),
                     malloc((size_t)reps * sizeof(double))};
    int rc = us[0] && us[1] ? 0 : 1;
    for (size_t si = 0; rc == 0 && si < sizeof shapes / sizeof shapes[0]; si++) {
        const shape *s = &shapes[si];
        layer l;
        memset(&l, 0, sizeof l);
        if (!layer_init(&l, s)) {
            fprintf(stderr, "pan-bench-bf16-matmul: out of memory\n");
            rc = 1;
        }
        for (int pass = 0; rc == 0 && pass < 2; pass++) {
            /* nmse of bf16 against f32 on the forward output */
            float *out32 = malloc((size_t)(s->m * s->n) * sizeof(float));
            if (!out32) rc = 1;
            for (int mode = 0; rc == 0 && mode < 2; mode++) {
                if (run_pass(cs[mode], &l, 0) != PAN_OK) rc = 1;
                if (rc == 0 && mode == 0)
                    memcpy(out32, l.out, (size_t)(s->m * s->n) * sizeof(float));
            }
            double num = 0, den = 0;
            for (int64_t i = 0; rc == 0 && i < s->m * s->n; i++) {
                double d = (double)out32[i] - (double)l.out[i];
                num += d * d;
                den += (double)out32[i] * (double)out32[i];
            }
            free(out32);
            for (int r = 0; rc == 0 && r < warmup; r++)
                for (int mode = 0; rc == 0 && mode < 2; mode++)
                    if (run_pass(cs[mode], &l, pass) != PAN_OK) rc = 1;
            for (int r = 0; rc == 0 && r < reps; r++)
                for (int mode = 0; rc == 0 && mode < 2; mode++) {
                    double t0 = bench_now_us();
                    if (run_pass(cs[mode], &l, pass) != PAN_OK) rc = 1;
                    us[mode][r] = bench_now_us() - t0;
                }
            if (rc != 0) {
                fprintf(stderr, "pan-bench-bf16-matmul: %s\n",
                        pan_error_message());
                break;
            }
            bench_stats st[2] = {bench_stats_of(us[0], reps),
                                 bench_stats_of(us[1], reps)};
            char name[32], col[2][40];
            snprintf(name, sizeof name, "%lldx%lldx%lld", (long long)s->m,
                     (long long)s->k, (long long)s->n);
            double flops = 2.0 * (double)(s->m * s->k * s->n) * (pass ? 2 : 1);
            for (int mode = 0; mode < 2; mode++)
                snprintf(col[mode], sizeof col[mode], "%.2f [%.2f %.2f] %3.0fG",
                         st[mode].median / 1e3, st[mode].p10 / 1e3,
                         st[mode].p90 / 1e3, flops / st[mode].median / 1e3);
            printf("%-22s %-8s %-24s %-24s %7.2f %9.1e\n", name,
                   pass ? "backward" : "forward", col[0], col[1],
                   st[0].median / st[1].median, den > 0 ? num / den : 0.0);
        }
        layer_free(&l);
    }
    print_load("after");
    printf("(backward = dx and dw matmuls plus dbias; nmse = bf16 forward "
           "output vs f32)\n");
    free(us[0]);
    free(us[1]);
    pan_compute_destroy(cs[0]);
    pan_compute_destroy(cs[1]);
    return rc;
}
