/* examples/pan_demo.c: the smoke demo of the compute core.
 *
 * Runs two small pieces of the scaled PAN model on every backend with the
 * same random weights: a VAE-style stem (conv, group norm, SiLU, nearest
 * upsampling, conv) and a DiT-style block (patchify, linear, layer norm,
 * adaLN modulate, chunk-wise causal self-attention, gated residual,
 * SwiGLU MLP, unpatchify). Prints, per backend, the agreement with ref
 * (normalised MSE) and the median time of a pass.
 *
 * Usage: pan-demo [--threads N] [--reps N]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/compute.h"

#define CHECK(expr)                                                            \
    do {                                                                       \
        pan_status check_status_ = (expr);                                     \
        if (check_status_ != PAN_OK) {                                         \
            fprintf(stderr, "pan-demo: %s failed: %s (%s)\n", #expr,           \
                    pan_error_message(), pan_status_name(check_status_));      \
            return check_status_;                                              \
        }                                                                      \
    } while (0)

/* Model sizes (docs/model.md default configuration, one frame of latents). */
enum { IMG = 64, LAT = 16, LAT_C = 4, PATCH = 2, DIM = 256, HEADS = 4,
       FRAMES = 3, HIDDEN = 512, STEM_C = 32 };
#define TOKENS_PER_FRAME ((LAT / PATCH) * (LAT / PATCH))
#define TOKENS (FRAMES * TOKENS_PER_FRAME)

typedef struct demo_tensors {
    pan_tensor image, stem_w1, stem_b1, stem_h, stem_g, stem_up, stem_w2,
        stem_out;
    pan_tensor latents, tokens, w_in, x, ln, shift, scale, gate, wq, wk, wv,
        wo, q, k, v, att, proj, w_gate, w_up, w_down, hgate, hup, mlp,
        q_block, k_block, latents_out, w_out, tokens_out;
} demo_tensors;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float rand_uniform(void) { /* xorshift64*, in [-1, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545F4914F6CDD1Dull) >> 40) / 8388608.0f - 1.0f;
}

static pan_status alloc_f32(pan_arena *arena, pan_tensor *t, int ndim,
                            const int64_t *shape, float fill_scale) {
    pan_status status = pan_arena_tensor(arena, t, PAN_DTYPE_F32, ndim, shape);
    if (status != PAN_OK) return status;
    float *data = t->data;
    for (int64_t i = 0; i < pan_tensor_numel(t); i++)
        data[i] = fill_scale * rand_uniform();
    return PAN_OK;
}

static pan_status make_tensors(pan_arena *a, demo_tensors *t) {
    CHECK(alloc_f32(a, &t->image, 4, PAN_SHAPE(1, 3, IMG, IMG), 1.0f));
    CHECK(alloc_f32(a, &t->stem_w1, 4, PAN_SHAPE(STEM_C, 3, 3, 3), 0.2f));
    CHECK(alloc_f32(a, &t->stem_b1, 1, PAN_SHAPE(STEM_C), 0.1f));
    CHECK(alloc_f32(a, &t->stem_h, 4, PAN_SHAPE(1, STEM_C, IMG, IMG), 0));
    CHECK(alloc_f32(a, &t->stem_g, 4, PAN_SHAPE(1, STEM_C, IMG, IMG), 0));
    CHECK(alloc_f32(a, &t->stem_up, 4, PAN_SHAPE(1, STEM_C, 2 * IMG, 2 * IMG), 0));
    CHECK(alloc_f32(a, &t->stem_w2, 4, PAN_SHAPE(STEM_C, STEM_C, 3, 3), 0.06f));
    CHECK(alloc_f32(a, &t->stem_out, 4, PAN_SHAPE(1, STEM_C, 2 * IMG, 2 * IMG), 0));
    int64_t tok_c = LAT_C * PATCH * PATCH;
    CHECK(alloc_f32(a, &t->latents, 4, PAN_SHAPE(FRAMES, LAT_C, LAT, LAT), 1.0f));
    CHECK(alloc_f32(a, &t->tokens, 3, PAN_SHAPE(FRAMES, TOKENS_PER_FRAME, tok_c), 0));
    CHECK(alloc_f32(a, &t->w_in, 2, PAN_SHAPE(tok_c, DIM), 0.3f));
    CHECK(alloc_f32(a, &t->x, 3, PAN_SHAPE(1, TOKENS, DIM), 0));
    CHECK(alloc_f32(a, &t->ln, 3, PAN_SHAPE(1, TOKENS, DIM), 0));
    CHECK(alloc_f32(a, &t->shift, 2, PAN_SHAPE(1, DIM), 0.1f));
    CHECK(alloc_f32(a, &t->scale, 2, PAN_SHAPE(1, DIM), 0.1f));
    CHECK(alloc_f32(a, &t->gate, 2, PAN_SHAPE(1, DIM), 0.5f));
    float ws = 1.0f / sqrtf((float)DIM);
    CHECK(alloc_f32(a, &t->wq, 2, PAN_SHAPE(DIM, DIM), ws));
    CHECK(alloc_f32(a, &t->wk, 2, PAN_SHAPE(DIM, DIM), ws));
    CHECK(alloc_f32(a, &t->wv, 2, PAN_SHAPE(DIM, DIM), ws));
    CHECK(alloc_f32(a, &t->wo, 2, PAN_SHAPE(DIM, DIM), ws));
    CHECK(alloc_f32(a, &t->q, 4, PAN_SHAPE(1, TOKENS, HEADS, DIM / HEADS), 0));
    CHECK(alloc_f32(a, &t->k, 4, PAN_SHAPE(1, TOKENS, HEADS, DIM / HEADS), 0));
    CHECK(alloc_f32(a, &t->v, 4, PAN_SHAPE(1, TOKENS, HEADS, DIM / HEADS), 0));
    CHECK(alloc_f32(a, &t->att, 4, PAN_SHAPE(1, TOKENS, HEADS, DIM / HEADS), 0));
    CHECK(alloc_f32(a, &t->proj, 3, PAN_SHAPE(1, TOKENS, DIM), 0));
    CHECK(alloc_f32(a, &t->w_gate, 2, PAN_SHAPE(DIM, HIDDEN), ws));
    CHECK(alloc_f32(a, &t->w_up, 2, PAN_SHAPE(DIM, HIDDEN), ws));
    CHECK(alloc_f32(a, &t->w_down, 2, PAN_SHAPE(HIDDEN, DIM), ws));
    CHECK(alloc_f32(a, &t->hgate, 3, PAN_SHAPE(1, TOKENS, HIDDEN), 0));
    CHECK(alloc_f32(a, &t->hup, 3, PAN_SHAPE(1, TOKENS, HIDDEN), 0));
    CHECK(alloc_f32(a, &t->mlp, 3, PAN_SHAPE(1, TOKENS, DIM), 0));
    CHECK(alloc_f32(a, &t->w_out, 2, PAN_SHAPE(DIM, tok_c), ws));
    CHECK(alloc_f32(a, &t->tokens_out, 3, PAN_SHAPE(FRAMES, TOKENS_PER_FRAME, tok_c), 0));
    CHECK(alloc_f32(a, &t->latents_out, 4, PAN_SHAPE(FRAMES, LAT_C, LAT, LAT), 0));
    /* chunk ids: frame 0 conditions, frames 1 and 2 are chunks A and B */
    CHECK(pan_arena_tensor(a, &t->q_block, PAN_DTYPE_I32, 1, PAN_SHAPE(TOKENS)));
    CHECK(pan_arena_tensor(a, &t->k_block, PAN_DTYPE_I32, 1, PAN_SHAPE(TOKENS)));
    for (int i = 0; i < TOKENS; i++)
        ((int32_t *)t->q_block.data)[i] = ((int32_t *)t->k_block.data)[i] =
            i / TOKENS_PER_FRAME;
    return PAN_OK;
}

/* Views of a (1, T, C) activation as a 2-D matrix. */
static pan_tensor as_rows(const pan_tensor *t, int64_t cols) {
    pan_tensor view;
    pan_tensor_reshape(t, 2, PAN_SHAPE(pan_tensor_numel(t) / cols, cols), &view);
    return view;
}

static pan_status run_stem(pan_compute *c, demo_tensors *t) {
    CHECK(pan_compute_conv2d(c, &t->stem_h, &t->image, &t->stem_w1, &t->stem_b1, 1, 1));
    CHECK(pan_compute_group_norm(c, &t->stem_g, &t->stem_h, NULL, NULL, 8, 1e-5f));
    CHECK(pan_compute_silu(c, &t->stem_g, &t->stem_g));
    CHECK(pan_compute_upsample_nearest(c, &t->stem_up, &t->stem_g, 2));
    CHECK(pan_compute_conv2d(c, &t->stem_out, &t->stem_up, &t->stem_w2, NULL, 1, 1));
    return PAN_OK;
}

static pan_status run_block(pan_compute *c, demo_tensors *t) {
    int64_t tok_c = LAT_C * PATCH * PATCH;
    CHECK(pan_compute_patchify(c, &t->tokens, &t->latents, PATCH));
    pan_tensor tokens2 = as_rows(&t->tokens, tok_c), x2 = as_rows(&t->x, DIM);
    CHECK(pan_compute_matmul(c, &x2, &tokens2, &t->w_in, NULL, false, false, 1, 0));
    CHECK(pan_compute_layer_norm(c, &t->ln, &t->x, NULL, NULL, 1e-6f));
    CHECK(pan_compute_modulate(c, &t->ln, &t->ln, &t->shift, &t->scale));
    pan_tensor ln2 = as_rows(&t->ln, DIM);
    pan_tensor q2 = as_rows(&t->q, DIM), k2 = as_rows(&t->k, DIM),
               v2 = as_rows(&t->v, DIM), att2 = as_rows(&t->att, DIM),
               proj2 = as_rows(&t->proj, DIM);
    CHECK(pan_compute_matmul(c, &q2, &ln2, &t->wq, NULL, false, false, 1, 0));
    CHECK(pan_compute_matmul(c, &k2, &ln2, &t->wk, NULL, false, false, 1, 0));
    CHECK(pan_compute_matmul(c, &v2, &ln2, &t->wv, NULL, false, false, 1, 0));
    pan_attention_extra extra = {.q_block = &t->q_block, .k_block = &t->k_block};
    CHECK(pan_compute_attention(c, &t->att, &t->q, &t->k, &t->v,
                                PAN_ATTENTION_MASK_BLOCK,
                                1.0f / sqrtf((float)(DIM / HEADS)), &extra));
    CHECK(pan_compute_matmul(c, &proj2, &att2, &t->wo, NULL, false, false, 1, 0));
    CHECK(pan_compute_gate_add(c, &t->x, &t->x, &t->proj, &t->gate));
    CHECK(pan_compute_layer_norm(c, &t->ln, &t->x, NULL, NULL, 1e-6f));
    pan_tensor hg2 = as_rows(&t->hgate, HIDDEN), hu2 = as_rows(&t->hup, HIDDEN),
               mlp2 = as_rows(&t->mlp, DIM);
    CHECK(pan_compute_matmul(c, &hg2, &ln2, &t->w_gate, NULL, false, false, 1, 0));
    CHECK(pan_compute_matmul(c, &hu2, &ln2, &t->w_up, NULL, false, false, 1, 0));
    CHECK(pan_compute_swiglu(c, &t->hgate, &t->hgate, &t->hup));
    CHECK(pan_compute_matmul(c, &mlp2, &hg2, &t->w_down, NULL, false, false, 1, 0));
    CHECK(pan_compute_add(c, &t->x, &t->x, &t->mlp));
    pan_tensor out2 = as_rows(&t->tokens_out, tok_c);
    CHECK(pan_compute_matmul(c, &out2, &x2, &t->w_out, NULL, false, false, 1, 0));
    CHECK(pan_compute_unpatchify(c, &t->latents_out, &t->tokens_out, PATCH));
    return PAN_OK;
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double nmse(const pan_tensor *ref, const pan_tensor *got) {
    const float *a = ref->data, *b = got->data;
    double num = 0, den = 0;
    for (int64_t i = 0; i < pan_tensor_numel(ref); i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)a[i] * a[i];
    }
    return den > 0 ? num / den : num;
}

typedef pan_status (*demo_part)(pan_compute *, demo_tensors *);

/* Runs `part` reps times; returns the median microseconds. */
static double time_part(pan_compute *c, demo_tensors *t, demo_part part,
                        int reps, pan_status *status) {
    double samples[64];
    if (reps > 64) reps = 64;
    *status = part(c, t); /* warm-up: primitive creation, caches */
    for (int r = 0; r < reps && *status == PAN_OK; r++) {
        double start = now_us();
        *status = part(c, t);
        samples[r] = now_us() - start;
    }
    qsort(samples, (size_t)reps, sizeof samples[0], compare_doubles);
    return samples[reps / 2];
}

int main(int argc, char **argv) {
    int threads = 0, reps = 9;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: pan-demo [--threads N] [--reps N]\n");
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    pan_arena arena;
    CHECK(pan_arena_init(&arena, "demo", 64u << 20));
    demo_tensors t;
    CHECK(make_tensors(&arena, &t));
    pan_tensor ref_stem, ref_block;
    CHECK(pan_arena_tensor(&arena, &ref_stem, PAN_DTYPE_F32, 4, t.stem_out.shape));
    CHECK(pan_arena_tensor(&arena, &ref_block, PAN_DTYPE_F32, 4, t.latents_out.shape));

    printf("pan-demo: the compute core on a VAE-style stem (64x64 image) and a "
           "DiT-style block (%d tokens, d=%d, chunk-wise causal attention)\n",
           TOKENS, DIM);
    printf("%-9s %-8s %14s %12s %14s %12s\n", "backend", "threads", "stem median",
           "stem nmse", "block median", "block nmse");
    const char *backends[] = {"ref", "openblas", "onednn", "auto"};
    int failures = 0;
    for (int b = 0; b < 4; b++) {
        pan_compute *c = NULL;
        pan_compute_options opts = {.backend = backends[b], .n_threads = threads};
        if (pan_compute_create(&c, &opts) != PAN_OK) {
            printf("%-9s unavailable: %s\n", backends[b], pan_error_message());
            continue;
        }
        pan_status s1, s2;
        double stem_us = time_part(c, &t, run_stem, reps, &s1);
        double block_us = time_part(c, &t, run_block, reps, &s2);
        if (s1 != PAN_OK || s2 != PAN_OK) {
            printf("%-9s failed: %s\n", backends[b], pan_error_message());
            failures++;
            pan_compute_destroy(c);
            continue;
        }
        if (b == 0) {
            memcpy(ref_stem.data, t.stem_out.data, pan_tensor_nbytes(&ref_stem));
            memcpy(ref_block.data, t.latents_out.data, pan_tensor_nbytes(&ref_block));
        }
        printf("%-9s %-8d %11.0f us %12.2e %11.0f us %12.2e\n", backends[b],
               pan_compute_threads(c), stem_us, nmse(&ref_stem, &t.stem_out),
               block_us, nmse(&ref_block, &t.latents_out));
        pan_compute_destroy(c);
    }
    printf("nmse = sum (ref - x)^2 / sum ref^2 against the ref backend; times "
           "are medians of %d passes after one warm-up.\n", reps);
    pan_arena_free(&arena);
    return failures ? 1 : 0;
}
