/* tests/model/test_vision_parity.c: frames, VAE and vision encoder h
 * against the PyTorch twin (label "parity").
 *
 * Usage: test_vision_parity MODEL.safetensors MODEL_REFERENCE.bin
 * Both files come from tests/reference/model_reference.py (the ctest
 * fixture pan_model_fixture). For every backend compiled in (strict =
 * false, 2 threads) it runs frames->images, VAE encode, VAE decode and the
 * ViT on the fixture inputs into guarded, NaN-filled buffers and compares
 * with the float64 PyTorch result: no NaN/Inf, guards intact, nmse <= 1e-11
 * (f32 through ~20 layers against an f64 twin gives ~1e-12 .. 1e-9; a
 * dropped bias or a wrong token order gives ~1e-2 .. 1). The decoded
 * images, converted back to frames, must be within 1 of the rounded
 * expected pixels. Then the error paths: bad shapes give INVALID_ARGUMENT
 * and leave outputs and scratch untouched, a scratch arena below
 * *_scratch_bytes gives RESOURCE_EXHAUSTED, and *_scratch_bytes suffices
 * even from an unaligned arena mark. Configs the fixture does not cover
 * (more levels and blocks, non-square frames, decreasing channels, patch
 * 1, merge 1, scaling_factor 2) run on random models: auto against ref
 * and exact scaling identities (vision_configs.c). Timings (encode/decode of 4 frames,
 * ViT of 4 latents) are printed, never asserted. Exits non-zero on any
 * failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/compute.h"
#include "core/model/glp/frames.h"
#include "core/model/model.h"
#include "core/model/vae/vae.h"
#include "core/model/encoder/vit.h"
#include "tests/fixture.h"
#include "tests/model/vision_util.h"
#include "tests/test_util.h"

/* Observed (2026-12-07, AMD EPYC, every backend): 1.5e-12 (vae_encode). */
#define NMSE_BOUND 1e-11

typedef struct vision_case {
    pan_tensor frames;   /* u8 (2, H, W, 3) */
    const double *frames_expected;  /* (2, 3, H, W) */
    pan_tensor enc_in;   /* f32 (2, 3, H, W) */
    const double *enc_expected;     /* (2, z, h, w) */
    pan_tensor dec_in;   /* f32 (2, z, h, w) */
    const double *dec_expected;     /* (2, 3, H, W) */
    pan_tensor vit_in;   /* f32 (2, z, h, w) */
    const double *vit_expected;     /* (2, S, d) */
} vision_case;

static int load_case(const fixture *fx, const pan_model_config *cfg,
                     vision_case *vc) {
    const int64_t H = cfg->frame.height, W = cfg->frame.width,
                  C = cfg->frame.channels, z = cfg->vae.latent_channels,
                  h = pan_latent_height(cfg), w = pan_latent_width(cfg),
                  S = pan_state_tokens(cfg), d = cfg->backbone.dim;
    int ok = 1;
    ok &= vision_record(fx, "frames/0/frames", FIXTURE_U8, 4,
                        PAN_SHAPE(2, H, W, C), &vc->frames, NULL);
    ok &= vision_record(fx, "frames/0/expected", FIXTURE_F64, 4,
                        PAN_SHAPE(2, C, H, W), NULL, &vc->frames_expected);
    ok &= vision_record(fx, "vae_encode/0/images", FIXTURE_F32, 4,
                        PAN_SHAPE(2, C, H, W), &vc->enc_in, NULL);
    ok &= vision_record(fx, "vae_encode/0/expected", FIXTURE_F64, 4,
                        PAN_SHAPE(2, z, h, w), NULL, &vc->enc_expected);
    ok &= vision_record(fx, "vae_decode/0/latent", FIXTURE_F32, 4,
                        PAN_SHAPE(2, z, h, w), &vc->dec_in, NULL);
    ok &= vision_record(fx, "vae_decode/0/expected", FIXTURE_F64, 4,
                        PAN_SHAPE(2, C, H, W), NULL, &vc->dec_expected);
    ok &= vision_record(fx, "vit/0/latent", FIXTURE_F32, 4,
                        PAN_SHAPE(2, z, h, w), &vc->vit_in, NULL);
    ok &= vision_record(fx, "vit/0/expected", FIXTURE_F64, 3,
                        PAN_SHAPE(2, S, d), NULL, &vc->vit_expected);
    return ok;
}

/* Compares a guarded output with the f64 expectation; prints one line. */
static void compare(const char *backend, const char *module,
                    const test_guarded *g, const double *expected) {
    int64_t bad = test_first_nonfinite(g->data, g->count);
    double nmse = vision_nmse(expected, g->data, g->count);
    printf("  %-8s %-11s nmse %.3e%s\n", backend, module, nmse,
           bad >= 0 ? "  (NON-FINITE)" : "");
    if (bad >= 0)
        fprintf(stderr, "%s %s: element %lld is not finite\n", backend, module,
                (long long)bad);
    CHECK(bad < 0);
    CHECK(nmse <= NMSE_BOUND);
    CHECK(test_guard_intact(g));
}

/* A guarded output of `count` floats filled with NaN; 0 on failure. */
static int fresh(test_guarded *g, int64_t count) {
    if (test_guarded_alloc(g, count) != 0) {
        CHECK(!"out of memory for a guarded output");
        return 0;
    }
    test_fill_nan(g->data, g->count);
    return 1;
}

/* A scratch arena of exactly `bytes`, entered at an unaligned mark (one
 * byte already used) to prove *_scratch_bytes covers the alignment. */
static pan_status unaligned_arena(pan_arena *a, size_t bytes) {
    pan_status s = pan_arena_init(a, "vision scratch", bytes);
    if (s != PAN_OK) return s;
    return pan_arena_alloc(a, 1, 1) ? PAN_OK : PAN_ERR_RESOURCE_EXHAUSTED;
}

static void run_backend(const char *name, const pan_model *m,
                        const vision_case *vc) {
    const pan_model_config *cfg = &m->config;
    pan_compute *c = NULL;
    CHECK_STATUS(pan_compute_create(&c, &(pan_compute_options){
                     .backend = name, .n_threads = 2, .strict = false}),
                 PAN_OK);
    if (!c) return;
    size_t bytes = pan_vae_scratch_bytes(cfg, 2);
    size_t vit_bytes = pan_vit_scratch_bytes(cfg, 2);
    if (vit_bytes > bytes) bytes = vit_bytes;
    pan_arena scratch = {0};
    CHECK_STATUS(unaligned_arena(&scratch, bytes), PAN_OK);
    size_t mark = pan_arena_mark(&scratch);

    test_guarded g;
    pan_tensor out;

    /* frames -> images */
    if (!fresh(&g, pan_tensor_numel(&vc->enc_in))) goto done;
    pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 4, vc->enc_in.shape);
    CHECK_STATUS(pan_frames_to_images(&vc->frames, &out), PAN_OK);
    compare(name, "frames", &g, vc->frames_expected);
    test_guarded_free(&g);

    /* VAE encode */
    int64_t lat_shape[4] = {2, cfg->vae.latent_channels, pan_latent_height(cfg),
                            pan_latent_width(cfg)};
    if (!fresh(&g, vision_numel(4, lat_shape))) goto done;
    pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 4, lat_shape);
    CHECK_STATUS(pan_vae_encode(c, m, &scratch, &vc->enc_in, &out), PAN_OK);
    CHECK(pan_arena_mark(&scratch) == mark);
    compare(name, "vae_encode", &g, vc->enc_expected);
    test_guarded_free(&g);

    /* VAE decode, then back to frames */
    if (!fresh(&g, pan_tensor_numel(&vc->enc_in))) goto done;
    pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 4, vc->enc_in.shape);
    CHECK_STATUS(pan_vae_decode(c, m, &scratch, &vc->dec_in, &out), PAN_OK);
    CHECK(pan_arena_mark(&scratch) == mark);
    compare(name, "vae_decode", &g, vc->dec_expected);
    int64_t worst = vision_check_frames(&out, vc->dec_expected);
    printf("  %-8s %-11s max |u8 - round(expected)| %lld\n", name, "to_frames",
           (long long)worst);
    CHECK(worst >= 0 && worst <= 1);
    test_guarded_free(&g);

    /* ViT */
    int64_t tok_shape[3] = {2, pan_state_tokens(cfg), cfg->backbone.dim};
    if (!fresh(&g, vision_numel(3, tok_shape))) goto done;
    pan_tensor_init(&out, g.data, PAN_DTYPE_F32, 3, tok_shape);
    CHECK_STATUS(pan_vit_forward(c, m, &scratch, &vc->vit_in, &out), PAN_OK);
    CHECK(pan_arena_mark(&scratch) == mark);
    compare(name, "vit", &g, vc->vit_expected);
    test_guarded_free(&g);

    vision_print_timings(c, m, vc->enc_in.data, vc->dec_in.data);
done:
    pan_arena_free(&scratch);
    pan_compute_destroy(c);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors MODEL_REFERENCE.bin\n",
                argv[0]);
        return 2;
    }
    pan_model *m = NULL;
    fixture fx = {0};
    CHECK_STATUS(pan_model_load(&m, argv[1]), PAN_OK);
    CHECK_STATUS(fixture_load(&fx, argv[2]), PAN_OK);
    if (!m || !fx.records) {
        pan_model_destroy(m);
        fixture_free(&fx);
        return test_exit_code("test_vision_parity");
    }
    vision_case vc;
    int ok = load_case(&fx, &m->config, &vc);
    CHECK(ok);
    if (ok) {
        for (const char *const *name = pan_backend_names(); *name; name++) {
            printf("backend %s\n", *name);
            run_backend(*name, m, &vc);
        }
        vision_check_errors(m, &vc.enc_in, &vc.dec_in);
        vision_check_configs();
    }
    fixture_free(&fx);
    pan_model_destroy(m);
    return test_exit_code("test_vision_parity");
}
