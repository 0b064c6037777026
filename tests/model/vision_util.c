/* tests/model/vision_util.c: fixture access, comparison, the frames
 * rounding check and timings for test_vision_parity (vision_util.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "tests/model/vision_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/model/glp/frames.h"
#include "core/model/vae/vae.h"
#include "core/model/encoder/vit.h"
#include "tests/test_util.h"

int64_t vision_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

int vision_record(const fixture *fx, const char *name, fixture_dtype dtype,
                  int ndim, const int64_t *shape, pan_tensor *t,
                  const double **f64) {
    const fixture_record *r = fixture_find(fx, name);
    if (!r) {
        fprintf(stderr, "fixture: record '%s' is missing\n", name);
        return 0;
    }
    int same = r->dtype == dtype && r->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = r->shape[i] == shape[i];
    if (!same) {
        fprintf(stderr, "fixture: record '%s' has dtype %d and %d dims, "
                "expected dtype %d with the config's shape\n",
                name, (int)r->dtype, r->ndim, (int)dtype);
        return 0;
    }
    if (t) {
        pan_dtype pd = dtype == FIXTURE_U8 ? PAN_DTYPE_U8 : PAN_DTYPE_F32;
        if (pan_tensor_init(t, r->data, pd, ndim, shape) != PAN_OK) return 0;
        t->name = name;
    }
    if (f64) *f64 = r->data;
    return 1;
}

double vision_nmse(const double *expected, const float *got, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = expected[i] - (double)got[i];
        num += d * d;
        den += expected[i] * expected[i];
    }
    if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
    return num / den;
}

int64_t vision_check_frames(const pan_tensor *images, const double *expected) {
    const int64_t n = images->shape[0], ch = images->shape[1],
                  h = images->shape[2], w = images->shape[3];
    const int64_t count = n * ch * h * w, guard = 64;
    unsigned char *base = malloc((size_t)(count + 2 * guard)); /* guard|data|guard */
    if (!base) return -1;
    unsigned char *px = base + guard; /* (n, h, w, ch) */
    memset(base, 0xA5, (size_t)(count + 2 * guard));
    pan_tensor frames;
    pan_tensor_init(&frames, px, PAN_DTYPE_U8, 4, PAN_SHAPE(n, h, w, ch));
    pan_status s = pan_images_to_frames(images, &frames);
    CHECK_STATUS(s, PAN_OK);
    int intact = 1;
    for (int64_t i = 0; i < guard; i++)
        intact &= base[i] == 0xA5 && px[count + i] == 0xA5;
    CHECK(intact);
    int64_t worst = -1;
    if (s == PAN_OK && intact) {
        worst = 0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t c = 0; c < ch; c++)
                for (int64_t y = 0; y < h; y++)
                    for (int64_t x = 0; x < w; x++) {
                        double e = expected[((b * ch + c) * h + y) * w + x];
                        double r = floor((e + 1.0) * 127.5 + 0.5);
                        r = r < 0.0 ? 0.0 : r > 255.0 ? 255.0 : r;
                        int64_t got = px[((b * h + y) * w + x) * ch + c];
                        int64_t diff = llabs(got - (int64_t)r);
                        if (diff > worst) worst = diff;
                    }
    }
    free(base);
    return worst;
}

/* ---- timings ---- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum { TIMING_BATCH = 4, TIMING_REPS = 5 };

typedef enum timed_part { TIME_ENCODE, TIME_DECODE, TIME_VIT } timed_part;

static double time_part(timed_part part, pan_compute *c, const pan_model *m,
                        pan_arena *scratch, const pan_tensor *in,
                        pan_tensor *out) {
    double samples[TIMING_REPS];
    for (int rep = -1; rep < TIMING_REPS; rep++) { /* rep -1: warm-up */
        double t0 = now_ms();
        pan_status s = part == TIME_ENCODE ? pan_vae_encode(c, m, scratch, in, out)
                       : part == TIME_DECODE
                           ? pan_vae_decode(c, m, scratch, in, out)
                           : pan_vit_forward(c, m, scratch, in, out);
        CHECK_STATUS(s, PAN_OK);
        if (s != PAN_OK) return NAN;
        if (rep >= 0) samples[rep] = now_ms() - t0;
    }
    qsort(samples, TIMING_REPS, sizeof samples[0], cmp_double);
    return samples[TIMING_REPS / 2];
}

void vision_print_timings(pan_compute *c, const pan_model *m,
                          const float *images2, const float *latent2) {
    const pan_model_config *cfg = &m->config;
    const int64_t B = TIMING_BATCH;
    const int64_t img[4] = {B, cfg->frame.channels, cfg->frame.height,
                            cfg->frame.width};
    const int64_t lat[4] = {B, cfg->vae.latent_channels, pan_latent_height(cfg),
                            pan_latent_width(cfg)};
    const int64_t tok[3] = {B, pan_state_tokens(cfg), cfg->backbone.dim};
    const int64_t n_img = vision_numel(4, img), n_lat = vision_numel(4, lat);
    float *images = malloc((size_t)n_img * sizeof(float));  /* (4, C, H, W) */
    float *latent = malloc((size_t)n_lat * sizeof(float));  /* (4, z, h, w) */
    float *decoded = malloc((size_t)n_img * sizeof(float)); /* (4, C, H, W) */
    float *tokens = malloc((size_t)vision_numel(3, tok) * sizeof(float)); /* (4, S, d) */
    size_t bytes = pan_vae_scratch_bytes(cfg, (int)B);
    size_t vit_bytes = pan_vit_scratch_bytes(cfg, (int)B);
    pan_arena scratch = {0};
    if (!images || !latent || !decoded || !tokens ||
        pan_arena_init(&scratch, "timing scratch",
                       bytes > vit_bytes ? bytes : vit_bytes) != PAN_OK) {
        CHECK(!"timing buffers could not be allocated");
    } else {
        /* the two fixture items, twice */
        for (int i = 0; i < 2; i++) {
            memcpy(images + i * n_img / 2, images2, (size_t)n_img / 2 * sizeof(float));
            memcpy(latent + i * n_lat / 2, latent2, (size_t)n_lat / 2 * sizeof(float));
        }
        pan_tensor t_img, t_lat, t_dec, t_tok, t_lat_out;
        pan_tensor_init(&t_img, images, PAN_DTYPE_F32, 4, img);
        pan_tensor_init(&t_lat, latent, PAN_DTYPE_F32, 4, lat);
        pan_tensor_init(&t_dec, decoded, PAN_DTYPE_F32, 4, img);
        pan_tensor_init(&t_tok, tokens, PAN_DTYPE_F32, 3, tok);
        float *enc_out = malloc((size_t)n_lat * sizeof(float)); /* (4, z, h, w) */
        pan_tensor_init(&t_lat_out, enc_out, PAN_DTYPE_F32, 4, lat);
        if (enc_out) {
            double enc = time_part(TIME_ENCODE, c, m, &scratch, &t_img, &t_lat_out);
            double dec = time_part(TIME_DECODE, c, m, &scratch, &t_lat, &t_dec);
            double vit = time_part(TIME_VIT, c, m, &scratch, &t_lat, &t_tok);
            printf("  %-8s timing, batch %lld (median of %d, 2 threads): "
                   "vae_encode %.2f ms, vae_decode %.2f ms, vit %.2f ms\n",
                   pan_compute_backend_name(c), (long long)B, TIMING_REPS, enc,
                   dec, vit);
        }
        free(enc_out);
    }
    pan_arena_free(&scratch);
    free(images);
    free(latent);
    free(decoded);
    free(tokens);
}
