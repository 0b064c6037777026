/* core/tools/train_eval.c: the VAE's held-out reconstruction (contract in
 * train_eval.h). */
#include "core/tools/train_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/glp/frames.h"
#include "core/model/vae/vae.h"
#include "env/world.h"

#define HELDOUT_SEED_BASE (1ull << 40)
#define MATCH_PX 2.0f

/* Objects of `truth` that `read` has too (colour, shape, centre within
 * MATCH_PX); the count of truth's in *total. */
static int64_t matched(const pan_world_state *truth, const pan_world_state *read,
                       int64_t *total) {
    int64_t found = 0;
    *total = truth->n_objects;
    for (int i = 0; i < truth->n_objects; i++) {
        const pan_object_state *a = &truth->objects[i];
        for (int j = 0; j < read->n_objects; j++) {
            const pan_object_state *b = &read->objects[j];
            if (a->colour == b->colour && a->shape == b->shape &&
                fabsf(a->x - b->x) <= MATCH_PX && fabsf(a->y - b->y) <= MATCH_PX) {
                found++;
                break;
            }
        }
    }
    return found;
}

pan_status pan_train_eval_recon(pan_compute *c, const pan_model *m,
                                const char *world, int images,
                                pan_recon_report *out) {
    if (!c || !m || !world || !out || images < 1 || images > 256)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "recon eval: expected a model, a world and 1..256 "
                             "images, got %d", images);
    const pan_model_config *cfg = &m->config;
    const int64_t H = cfg->frame.height, W = cfg->frame.width, C = cfg->frame.channels;
    const int64_t z = cfg->vae.latent_channels, h = pan_latent_height(cfg),
                  w = pan_latent_width(cfg), fb = H * W * 3;
    pan_world_config wc = {.width = (int)W, .height = (int)H,
                           .frames_per_step = cfg->frame.chunk_frames};
    pan_world *wd = NULL;
    pan_status st = pan_world_create(world, &wc, &wd);
    if (st != PAN_OK) return st;
    uint8_t *truth = malloc((size_t)fb), *recon = malloc((size_t)fb);
    float *img = malloc(sizeof(float) * (size_t)(C * H * W));
    float *lat = malloc(sizeof(float) * (size_t)(z * h * w));
    pan_arena scratch = {0};
    if (!truth || !recon || !img || !lat)
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "recon eval: out of memory");
    if (st == PAN_OK)
        st = pan_arena_init(&scratch, "recon eval scratch", pan_vae_scratch_bytes(cfg, 1));
    double sq = 0.0;
    int64_t objects = 0, found = 0;
    for (int i = 0; st == PAN_OK && i < images; i++) {
        pan_tensor fr, im, lt, rc;
        pan_tensor_init(&fr, truth, PAN_DTYPE_U8, 4, PAN_SHAPE(1, H, W, 3));
        pan_tensor_init(&im, img, PAN_DTYPE_F32, 4, PAN_SHAPE(1, C, H, W));
        pan_tensor_init(&lt, lat, PAN_DTYPE_F32, 4, PAN_SHAPE(1, z, h, w));
        pan_tensor_init(&rc, recon, PAN_DTYPE_U8, 4, PAN_SHAPE(1, H, W, 3));
        st = pan_world_reset(wd, HELDOUT_SEED_BASE + (uint64_t)i, truth);
        if (st == PAN_OK) st = pan_frames_to_images(&fr, &im);
        if (st == PAN_OK) st = pan_vae_encode(c, m, &scratch, &im, &lt);
        if (st == PAN_OK) st = pan_vae_decode(c, m, &scratch, &lt, &im);
        if (st == PAN_OK) st = pan_images_to_frames(&im, &rc);
        for (int64_t k = 0; st == PAN_OK && k < fb; k++) {
            double d = (double)truth[k] - (double)recon[k];
            sq += d * d;
        }
        pan_world_state a, b;
        if (st == PAN_OK) st = pan_world_detect(wd, truth, &a);
        if (st == PAN_OK) st = pan_world_detect(wd, recon, &b);
        int64_t total = 0;
        if (st == PAN_OK) {
            found += matched(&a, &b, &total);
            objects += total;
        }
    }
    if (st == PAN_OK) {
        double mse = sq / ((double)fb * images);
        *out = (pan_recon_report){
            .images = images,
            .psnr_db = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY,
            .objects = objects,
            .objects_found = objects ? (double)found / (double)objects : 1.0};
    }
    pan_arena_free(&scratch);
    free(truth);
    free(recon);
    free(img);
    free(lat);
    pan_world_destroy(wd);
    return st;
}
