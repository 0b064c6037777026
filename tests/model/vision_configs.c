/* tests/model/vision_configs.c: the VAE and the ViT beyond the fixture's
 * default config (vision_util.h, vision_check_configs).
 *
 * - Shapes the twin fixture does not cover (4 levels with 2 ResBlocks and
 *   non-square frames; decreasing channel_mult; patch 1; merge 1), on
 *   random models: every part runs from an arena of exactly
 *   *_scratch_bytes entered at an unaligned mark (so the planner is exact
 *   enough for any config), outputs are finite, guards intact, the arena
 *   rewound, and the "auto" backend agrees with "ref" (nmse <= 1e-6).
 * - scaling_factor: with the same weights, encode under s = 2 is exactly
 *   2 * encode under s = 1, and decode(2 * z) under s = 2 is exactly
 *   decode(z) under s = 1 (multiplying and dividing by 2 is exact in f32).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/vae/vae.h"
#include "core/model/encoder/vit.h"
#include "tests/model/vision_util.h"
#include "tests/test_util.h"

typedef struct part_io {
    int64_t img[4], lat[4], tok[3]; /* shapes for batch n */
} part_io;

static part_io shapes_of(const pan_model_config *cfg, int64_t n) {
    part_io io = {
        {n, cfg->frame.channels, cfg->frame.height, cfg->frame.width},
        {n, cfg->vae.latent_channels, pan_latent_height(cfg), pan_latent_width(cfg)},
        {n, pan_state_tokens(cfg), cfg->backbone.dim}};
    return io;
}

/* Runs encode(images), decode(latent_in) and vit(latent_in) on backend
 * `name` into guarded buffers; fills enc (n,z,h,w), dec (n,C,H,W), tok
 * (n,S,d). Returns 1 when every call succeeded. */
static int run_parts(const char *name, const pan_model *m, int64_t n,
                     const float *images, const float *latent_in, float *enc,
                     float *dec, float *tok) {
    const pan_model_config *cfg = &m->config;
    part_io io = shapes_of(cfg, n);
    pan_compute *c = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                     .backend = name, .n_threads = 2}),
                 PAN_OK);
    if (!c) return 0;
    size_t bytes = pan_vae_scratch_bytes(cfg, (int)n);
    if (pan_vit_scratch_bytes(cfg, (int)n) > bytes)
        bytes = pan_vit_scratch_bytes(cfg, (int)n);
    pan_arena scratch = {0};
    int ok = pan_arena_init(&scratch, "config scratch", bytes) == PAN_OK &&
             pan_arena_alloc(&scratch, 1, 1) != NULL; /* unaligned mark */
    CHECK(ok);
    size_t mark = pan_arena_mark(&scratch);

    int64_t counts[3] = {vision_numel(4, io.lat), vision_numel(4, io.img),
                         vision_numel(3, io.tok)};
    float *dst[3] = {enc, dec, tok};
    for (int part = 0; ok && part < 3; part++) {
        test_guarded g;
        if (test_guarded_alloc(&g, counts[part]) != 0) {
            ok = 0;
            break;
        }
        test_fill_nan(g.data, g.count);
        pan_tensor in, out;
        pan_status s;
        if (part == 0) {
            pan_tensor_init(&in, (void *)images, PAN_DTYPE_F32, 4, io.img);
            pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 4, io.lat);
            s = pan_vae_encode(c, m, &scratch, &in, &out);
        } else if (part == 1) {
            pan_tensor_init(&in, (void *)latent_in, PAN_DTYPE_F32, 4, io.lat);
            pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 4, io.img);
            s = pan_vae_decode(c, m, &scratch, &in, &out);
        } else {
            pan_tensor_init(&in, (void *)latent_in, PAN_DTYPE_F32, 4, io.lat);
            pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 3, io.tok);
            s = pan_vit_forward(c, m, &scratch, &in, &out);
        }
        CHECK_STATUS(s, PAN_OK);
        CHECK(pan_arena_mark(&scratch) == mark);
        CHECK(test_first_nonfinite(g.data, g.count) < 0);
        CHECK(test_guard_intact(&g));
        memcpy(dst[part], g.data, (size_t)g.count * sizeof(float));
        test_guarded_free(&g);
        ok = s == PAN_OK;
    }
    pan_arena_free(&scratch);
    pan_compute_destroy(c);
    return ok;
}

typedef struct part_out {
    float *enc, *dec, *tok; /* (n,z,h,w), (n,C,H,W), (n,S,d) */
} part_out;

static int alloc_out(part_out *o, const part_io *io) {
    o->enc = malloc((size_t)vision_numel(4, io->lat) * sizeof(float));
    o->dec = malloc((size_t)vision_numel(4, io->img) * sizeof(float));
    o->tok = malloc((size_t)vision_numel(3, io->tok) * sizeof(float));
    return o->enc && o->dec && o->tok;
}

static void free_out(part_out *o) {
    free(o->enc);
    free(o->dec);
    free(o->tok);
}

static double nmse_f32(const float *ref, const float *got, int64_t n) {
    return test_nmse(ref, got, n);
}

/* auto vs ref on a random model of `cfg`, batch 2. */
static void check_config(const char *label, const pan_model_config *cfg) {
    pan_model *m = NULL;
    CHECK_STATUS(pan_model_create_random(&m, cfg, 7), PAN_OK);
    if (!m) return;
    const int64_t n = 2;
    part_io io = shapes_of(cfg, n);
    int64_t n_img = vision_numel(4, io.img), n_lat = vision_numel(4, io.lat);
    float *images = malloc((size_t)n_img * sizeof(float)); /* (n, C, H, W) */
    float *latent = malloc((size_t)n_lat * sizeof(float)); /* (n, z, h, w) */
    part_out ref = {0}, fast = {0};
    if (images && latent && alloc_out(&ref, &io) && alloc_out(&fast, &io)) {
        test_rng rng = {42};
        test_fill_uniform(&rng, images, n_img, 1.0f, 0.0f);
        test_fill_uniform(&rng, latent, n_lat, 2.0f, 0.0f);
        int ok = run_parts("ref", m, n, images, latent, ref.enc, ref.dec, ref.tok) &&
                 run_parts("auto", m, n, images, latent, fast.enc, fast.dec,
                           fast.tok);
        CHECK(ok);
        if (ok) {
            double e = nmse_f32(ref.enc, fast.enc, n_lat);
            double d = nmse_f32(ref.dec, fast.dec, n_img);
            double t = nmse_f32(ref.tok, fast.tok, vision_numel(3, io.tok));
            printf("  %-28s auto vs ref nmse: encode %.2e, decode %.2e, "
                   "vit %.2e\n", label, e, d, t);
            CHECK(e <= 1e-6 && d <= 1e-6 && t <= 1e-6);
        }
    } else {
        CHECK(!"out of memory");
    }
    free_out(&ref);
    free_out(&fast);
    free(images);
    free(latent);
    pan_model_destroy(m);
}

static void check_scaling(const pan_model_config *base) {
    pan_model_config c1 = *base, c2 = *base;
    c1.vae.scaling_factor = 1.0f;
    c2.vae.scaling_factor = 2.0f;
    pan_model *m1 = NULL, *m2 = NULL;
    CHECK_STATUS(pan_model_create_random(&m1, &c1, 3), PAN_OK);
    CHECK_STATUS(pan_model_create_random(&m2, &c2, 3), PAN_OK);
    const int64_t n = 1;
    part_io io = shapes_of(&c1, n);
    int64_t n_img = vision_numel(4, io.img), n_lat = vision_numel(4, io.lat);
    float *images = malloc((size_t)n_img * sizeof(float)); /* (1, C, H, W) */
    float *lat1 = malloc((size_t)n_lat * sizeof(float));   /* (1, z, h, w) */
    float *lat2 = malloc((size_t)n_lat * sizeof(float));   /* 2 * lat1 */
    part_out o1 = {0}, o2 = {0};
    if (m1 && m2 && images && lat1 && lat2 && alloc_out(&o1, &io) &&
        alloc_out(&o2, &io)) {
        test_rng rng = {5};
        test_fill_uniform(&rng, images, n_img, 1.0f, 0.0f);
        test_fill_uniform(&rng, lat1, n_lat, 2.0f, 0.0f);
        for (int64_t i = 0; i < n_lat; i++) lat2[i] = 2.0f * lat1[i];
        int ok = run_parts("auto", m1, n, images, lat1, o1.enc, o1.dec, o1.tok) &&
                 run_parts("auto", m2, n, images, lat2, o2.enc, o2.dec, o2.tok);
        CHECK(ok);
        if (ok) {
            int enc_exact = 1, dec_exact = 1;
            for (int64_t i = 0; i < n_lat; i++)
                enc_exact &= o2.enc[i] == 2.0f * o1.enc[i];
            for (int64_t i = 0; i < n_img; i++) dec_exact &= o2.dec[i] == o1.dec[i];
            printf("  scaling_factor 2: encode x2 %s, decode(2z) %s\n",
                   enc_exact ? "exact" : "DIFFERS", dec_exact ? "exact" : "DIFFERS");
            CHECK(enc_exact);
            CHECK(dec_exact);
        }
    } else {
        CHECK(!"scaling check could not be set up");
    }
    free_out(&o1);
    free_out(&o2);
    free(images);
    free(lat1);
    free(lat2);
    pan_model_destroy(m1);
    pan_model_destroy(m2);
}

void vision_check_configs(void) {
    printf("other configs (random models)\n");
    pan_model_config base;
    pan_model_config_default(&base);

    pan_model_config deep = base; /* 4 levels, 2 blocks, 64x96, patch 1 */
    deep.frame.width = 96;
    deep.vae.base_channels = 16;
    deep.vae.levels = 4;
    memcpy(deep.vae.channel_mult, (int[]){1, 2, 4, 4}, sizeof(int[4]));
    deep.vae.res_blocks = 2;
    deep.encoder.patch = 1;
    deep.encoder.dim = 64;
    deep.encoder.heads = 2;
    deep.encoder.layers = 2;
    deep.encoder.mlp_dim = 96;
    deep.backbone.dim = 128;
    CHECK_STATUS(pan_model_config_validate(&deep), PAN_OK);
    check_config("4 levels x 2 blocks, 64x96", &deep);

    pan_model_config shrink = base; /* decreasing channels, merge 1 */
    shrink.vae.base_channels = 8;
    memcpy(shrink.vae.channel_mult, (int[]){4, 2, 1}, sizeof(int[3]));
    shrink.encoder.merge = 1;
    shrink.encoder.layers = 1;
    CHECK_STATUS(pan_model_config_validate(&shrink), PAN_OK);
    check_config("channel_mult 4,2,1, merge 1", &shrink);

    check_scaling(&base);
}
