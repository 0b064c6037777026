/* tests/model/vision_errors.c: error paths of the VAE and the ViT
 * (vision_util.h, vision_check_errors): bad shapes are INVALID_ARGUMENT
 * naming the shape and leave outputs and scratch untouched; scratch below
 * *_scratch_bytes is RESOURCE_EXHAUSTED and the arena comes back rewound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/vae/vae.h"
#include "core/model/encoder/vit.h"
#include "tests/model/vision_util.h"
#include "tests/test_util.h"

#define SENTINEL 12345.0f

typedef enum call_kind { CALL_ENCODE, CALL_DECODE, CALL_VIT } call_kind;

static pan_status call(call_kind kind, pan_compute *c, const pan_model *m,
                       pan_arena *scratch, const pan_tensor *in,
                       pan_tensor *out) {
    switch (kind) {
    case CALL_ENCODE: return pan_vae_encode(c, m, scratch, in, out);
    case CALL_DECODE: return pan_vae_decode(c, m, scratch, in, out);
    default: return pan_vit_forward(c, m, scratch, in, out);
    }
}

static const char *kind_name(call_kind kind) {
    return kind == CALL_ENCODE ? "vae_encode"
           : kind == CALL_DECODE ? "vae_decode" : "vit_forward";
}

/* One call expected to fail with `want`: the output buffer (`count`
 * floats, pre-filled with SENTINEL) must be untouched, the arena rewound,
 * and for INVALID_ARGUMENT the message must contain `needle`. */
static void expect_failure(call_kind kind, pan_compute *c, const pan_model *m,
                           pan_arena *scratch, const pan_tensor *in,
                           pan_tensor *out, float *buf, int64_t count,
                           pan_status want, const char *needle,
                           const char *what) {
    for (int64_t i = 0; i < count; i++) buf[i] = SENTINEL;
    size_t mark = pan_arena_mark(scratch);
    pan_error_clear();
    pan_status got = call(kind, c, m, scratch, in, out);
    if (got != want)
        fprintf(stderr, "%s (%s): got %s, expected %s: %s\n", kind_name(kind),
                what, pan_status_name(got), pan_status_name(want),
                pan_error_message());
    CHECK(got == want);
    CHECK(pan_arena_mark(scratch) == mark);
    CHECK(pan_error_message()[0] != '\0');
    if (needle && !strstr(pan_error_message(), needle)) {
        fprintf(stderr, "%s (%s): message lacks '%s': %s\n", kind_name(kind),
                what, needle, pan_error_message());
        CHECK(!"error message names the shape");
    }
    if (want == PAN_ERR_INVALID_ARGUMENT) {
        int untouched = 1;
        for (int64_t i = 0; i < count; i++) untouched &= buf[i] == SENTINEL;
        CHECK(untouched);
    }
    printf("  %-11s %-34s -> %s\n", kind_name(kind), what, pan_status_name(got));
}

static void check_shapes(pan_compute *c, const pan_model *m, pan_arena *scratch,
                         const pan_tensor *images, const pan_tensor *latent,
                         float *buf) {
    const pan_model_config *cfg = &m->config;
    const int64_t C = cfg->frame.channels, H = cfg->frame.height,
                  W = cfg->frame.width, z = cfg->vae.latent_channels,
                  h = pan_latent_height(cfg), w = pan_latent_width(cfg),
                  S = pan_state_tokens(cfg), d = cfg->backbone.dim;
    pan_tensor in, out;

    /* encode: images of the wrong height */
    pan_tensor_init(&in, images->data, PAN_DTYPE_F32, 4, PAN_SHAPE(2, C, H / 2, W));
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 4, PAN_SHAPE(2, z, h, w));
    char needle[64];
    snprintf(needle, sizeof needle, "[2,%lld,%lld,%lld]", (long long)C,
             (long long)(H / 2), (long long)W);
    expect_failure(CALL_ENCODE, c, m, scratch, &in, &out, buf, 2 * z * h * w,
                   PAN_ERR_INVALID_ARGUMENT, needle, "images height / 2");
    /* encode: latent batch differs from the images batch */
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 4, PAN_SHAPE(1, z, h, w));
    snprintf(needle, sizeof needle, "[1,%lld,%lld,%lld]", (long long)z,
             (long long)h, (long long)w);
    expect_failure(CALL_ENCODE, c, m, scratch, images, &out, buf, z * h * w,
                   PAN_ERR_INVALID_ARGUMENT, needle, "latent batch 1 for 2 images");
    /* encode: images of the wrong dtype */
    in = *images;
    in.dtype = PAN_DTYPE_I32;
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 4, PAN_SHAPE(2, z, h, w));
    expect_failure(CALL_ENCODE, c, m, scratch, &in, &out, buf, 2 * z * h * w,
                   PAN_ERR_INVALID_ARGUMENT, "i32", "images dtype i32");
    /* decode: one latent channel too many */
    pan_tensor_init(&in, latent->data, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(1, z + 1, h, w));
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 4, PAN_SHAPE(1, C, H, W));
    snprintf(needle, sizeof needle, "[1,%lld,%lld,%lld]", (long long)(z + 1),
             (long long)h, (long long)w);
    expect_failure(CALL_DECODE, c, m, scratch, &in, &out, buf, C * H * W,
                   PAN_ERR_INVALID_ARGUMENT, needle, "latent channels z + 1");
    /* decode: images output too narrow */
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 4, PAN_SHAPE(2, C, H, W - 1));
    expect_failure(CALL_DECODE, c, m, scratch, latent, &out, buf,
                   2 * C * H * (W - 1), PAN_ERR_INVALID_ARGUMENT, NULL,
                   "images width - 1");
    /* vit: tokens with one state token too many */
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 3, PAN_SHAPE(2, S + 1, d));
    snprintf(needle, sizeof needle, "[2,%lld,%lld]", (long long)(S + 1),
             (long long)d);
    expect_failure(CALL_VIT, c, m, scratch, latent, &out, buf, 2 * (S + 1) * d,
                   PAN_ERR_INVALID_ARGUMENT, needle, "tokens S + 1");
    /* vit: a strided (transposed) latent */
    pan_tensor_transpose(latent, 2, 3, &in);
    pan_tensor_init(&out, buf, PAN_DTYPE_F32, 3, PAN_SHAPE(2, S, d));
    expect_failure(CALL_VIT, c, m, scratch, &in, &out, buf, 2 * S * d,
                   PAN_ERR_INVALID_ARGUMENT, "strided", "latent transposed");
    /* vit: a 3-D latent */
    pan_tensor_init(&in, latent->data, PAN_DTYPE_F32, 3, PAN_SHAPE(2, z, h * w));
    expect_failure(CALL_VIT, c, m, scratch, &in, &out, buf, 2 * S * d,
                   PAN_ERR_INVALID_ARGUMENT, NULL, "latent 3-D");
}

/* Scratch of `bytes` - 128: below what the call needs even from an
 * aligned start (the estimate carries 64 bytes of slack for an unaligned
 * mark, and the last block's rounding is < 64). */
static void check_scratch(pan_compute *c, const pan_model *m,
                          const pan_tensor *images, const pan_tensor *latent,
                          float *buf) {
    const pan_model_config *cfg = &m->config;
    const int64_t lat[4] = {2, cfg->vae.latent_channels, pan_latent_height(cfg),
                            pan_latent_width(cfg)};
    const int64_t tok[3] = {2, pan_state_tokens(cfg), cfg->backbone.dim};
    struct {
        call_kind kind;
        size_t bytes;
        const pan_tensor *in;
        int ndim;
        const int64_t *out_shape;
    } cases[3] = {
        {CALL_ENCODE, pan_vae_scratch_bytes(cfg, 2), images, 4, lat},
        {CALL_DECODE, pan_vae_scratch_bytes(cfg, 2), latent, 4, images->shape},
        {CALL_VIT, pan_vit_scratch_bytes(cfg, 2), latent, 3, tok},
    };
    for (int i = 0; i < 3; i++) {
        CHECK(cases[i].bytes > 128);
        pan_arena small;
        if (pan_arena_init(&small, "small scratch", cases[i].bytes - 128) != PAN_OK) {
            CHECK(!"arena_init");
            continue;
        }
        pan_tensor out;
        pan_tensor_init(&out, buf, PAN_DTYPE_F32, cases[i].ndim, cases[i].out_shape);
        expect_failure(cases[i].kind, c, m, &small, cases[i].in, &out, buf,
                       pan_tensor_numel(&out), PAN_ERR_RESOURCE_EXHAUSTED,
                       NULL, "scratch of *_scratch_bytes - 128");
        pan_arena_free(&small);
    }
}

void vision_check_errors(const pan_model *m, const pan_tensor *images,
                         const pan_tensor *latent) {
    printf("error paths (ref backend)\n");
    pan_compute *c = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                     .backend = "ref", .n_threads = 2}),
                 PAN_OK);
    if (!c) return;
    const pan_model_config *cfg = &m->config;
    int64_t big = 2LL * cfg->frame.channels * cfg->frame.height *
                  (cfg->frame.width + 1) +
                  2LL * (pan_state_tokens(cfg) + 1) * cfg->backbone.dim;
    float *buf = malloc((size_t)big * sizeof(float)); /* any output */
    pan_arena scratch = {0};
    size_t bytes = pan_vae_scratch_bytes(cfg, 2);
    if (pan_vit_scratch_bytes(cfg, 2) > bytes) bytes = pan_vit_scratch_bytes(cfg, 2);
    if (buf && pan_arena_init(&scratch, "vision scratch", bytes) == PAN_OK) {
        check_shapes(c, m, &scratch, images, latent, buf);
        pan_arena_free(&scratch);
        check_scratch(c, m, images, latent, buf);
    } else {
        CHECK(!"error-path buffers could not be allocated");
    }
    free(buf);
    pan_compute_destroy(c);
}
