/* core/tools/train_batch.c: a stage's training batch drawn from the
 * worlds and a seed (contract in train_batch.h). */
#include "core/tools/train_batch.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/backbone/backbone.h"
#include "core/model/backbone/kv_cache.h"
#include "core/model/encoder/vit.h"
#include "core/model/glp/frames.h"
#include "core/model/vae/vae.h"
#include "core/rng.h"
#include "core/train/window_loss.h"
#include "env/world.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

#define DROP_PROBABILITY 0.1

_Static_assert(PAN_TRAIN_TEXT_MAX == PAN_WORLD_ACTION_MAX + 1,
               "action text buffers hold a world action and its NUL");

static double uniform(pan_rng *rng) {
    return (double)(pan_rng_next_u64(rng) >> 11) * 0x1.0p-53;
}

static void *alloc(size_t bytes, bool *ok) {
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) *ok = false;
    return p;
}

void pan_train_batch_free(pan_train_batch *b) {
    if (!b) return;
    free(b->images);
    free(b->eps);
    free(b->x1);
    free(b->x0);
    free(b->k);
    free(b->state_latents);
    free(b->z0);
    free(b->chunks);
    free(b->prev);
    for (int r = 0; r < PAN_TRAIN_BATCH_MAX_ROUNDS; r++) {
        free(b->win_x0[r]);
        free(b->win_k[r]);
        free(b->win_dropped[r]);
    }
    free(b->actions);
    free(b->texts);
    free(b->heldout);
    memset(b, 0, sizeof *b);
}

typedef struct world_source {
    const pan_model_config *cfg;
    const char *name;
} world_source;

/* The world source's fill (pan_train_frames): B episodes played in the
 * world from reset seeds and train-split actions of the stream. */
static pan_status world_fill(void *ctx, pan_rng *rng, int batch, int rounds,
                             uint8_t *frames, char (*texts)[PAN_TRAIN_TEXT_MAX],
                             bool *heldout) {
    const world_source *ws = ctx;
    const pan_model_config *cfg = ws->cfg;
    pan_world_config wc = {.width = cfg->frame.width, .height = cfg->frame.height,
                           .frames_per_step = cfg->frame.chunk_frames};
    pan_world *w = NULL;
    TRY(pan_world_create(ws->name, &wc, &w));
    const int64_t fb = (int64_t)cfg->frame.width * cfg->frame.height * 3;
    const int64_t per = (1 + (int64_t)rounds * cfg->frame.chunk_frames) * fb;
    pan_status st = PAN_OK;
    for (int b = 0; b < batch && st == PAN_OK; b++) {
        uint8_t *f = frames + b * per;
        uint64_t action_rng = pan_rng_next_u64(rng);
        st = pan_world_reset(w, pan_rng_next_u64(rng), f);
        for (int r = 0; r < rounds && st == PAN_OK; r++) {
            char *text = texts[b * rounds + r];
            st = pan_world_sample_action(w, &action_rng, PAN_SPLIT_TRAIN, text,
                                         PAN_TRAIN_TEXT_MAX);
            pan_action_result result;
            if (st == PAN_OK)
                st = pan_world_step(w, text, f + (1 + (int64_t)r * cfg->frame.chunk_frames) * fb,
                                    &result);
            /* the world's own verdict on the action in the scene it met */
            heldout[b * rounds + r] = st == PAN_OK && (result.heldout || !result.understood);
        }
    }
    pan_world_destroy(w);
    return st;
}

/* latents (count, z, h, w) = VAE encode of frames (count, H, W, 3). */
static pan_status encode(pan_compute *c, const pan_model *m,
                         const uint8_t *frames, int64_t count, float *latents) {
    const pan_model_config *cfg = &m->config;
    const int64_t H = cfg->frame.height, W = cfg->frame.width, C = cfg->frame.channels;
    const int64_t lf = (int64_t)cfg->vae.latent_channels * pan_latent_height(cfg) *
                       pan_latent_width(cfg);
    const int64_t group = 16;
    float *images = malloc(sizeof(float) * (size_t)(group * C * H * W));
    pan_arena scratch = {0};
    pan_status st = images ? pan_arena_init(&scratch, "batch vae scratch",
                                            pan_vae_scratch_bytes(cfg, (int)group))
                           : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                           "train batch: out of memory");
    for (int64_t i = 0; st == PAN_OK && i < count; i += group) {
        int64_t n = count - i < group ? count - i : group;
        pan_tensor fr, im, lat;
        pan_tensor_init(&fr, (void *)(frames + i * H * W * 3), PAN_DTYPE_U8, 4,
                        PAN_SHAPE(n, H, W, 3));
        pan_tensor_init(&im, images, PAN_DTYPE_F32, 4, PAN_SHAPE(n, C, H, W));
        pan_tensor_init(&lat, latents + i * lf, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(n, cfg->vae.latent_channels,
                                  pan_latent_height(cfg), pan_latent_width(cfg)));
        st = pan_frames_to_images(&fr, &im);
        if (st == PAN_OK) st = pan_vae_encode(c, m, &scratch, &im, &lat);
    }
    pan_arena_free(&scratch);
    free(images);
    return st;
}

/* p_r for r = 1..R-1 of every item: round by round on the KV-cache path,
 * round r's states [ŝ_r, h(last frame of chunk r-1)]. */
static pan_status predictions(pan_compute *c, const pan_model *m,
                              pan_train_batch *b) {
    const pan_model_config *cfg = &m->config;
    const int64_t d = cfg->backbone.dim, Q = cfg->backbone.queries;
    const int64_t S = pan_state_tokens(cfg), K = cfg->frame.chunk_frames;
    const int64_t lf = (int64_t)cfg->vae.latent_channels * pan_latent_height(cfg) *
                       pan_latent_width(cfg);
    pan_kv_cache *cache = NULL;
    pan_backbone_workspace *ws = NULL;
    pan_arena scratch = {0};
    float *state = malloc(sizeof(float) * (size_t)((Q + S) * d));
    TRY(pan_kv_cache_create(&cache, cfg, 1, 0));
    pan_status st = pan_backbone_workspace_create(&ws, cfg, 1);
    if (st == PAN_OK)
        st = pan_arena_init(&scratch, "batch vit scratch", pan_vit_scratch_bytes(cfg, 1));
    if (st == PAN_OK && !state)
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "train batch: out of memory");
    for (int i = 0; st == PAN_OK && i < b->batch; i++) {
        pan_kv_cache_reset(cache, 0);
        const int64_t shape[4] = {1, cfg->vae.latent_channels,
                                  pan_latent_height(cfg), pan_latent_width(cfg)};
        pan_tensor lat, tok;
        pan_tensor_init(&lat, b->z0 + i * lf, PAN_DTYPE_F32, 4, shape);
        pan_tensor_init(&tok, state, PAN_DTYPE_F32, 3, PAN_SHAPE(1, S, d));
        st = pan_vit_forward(c, m, &scratch, &lat, &tok);
        int64_t n_state = S;
        for (int r = 0; st == PAN_OK && r + 1 < b->rounds; r++) {
            const pan_train_action *a = &b->actions[i * b->rounds + r];
            pan_backbone_round round = {.slot = 0, .state = state,
                                        .n_state = (int)n_state,
                                        .action = a->bytes,
                                        .action_len = (size_t)a->len};
            float *p = b->prev + ((int64_t)i * (b->rounds - 1) + r) * Q * d;
            st = pan_backbone_step(c, m, ws, cache, &round, 1, p);
            if (st != PAN_OK) break;
            memcpy(state, p, (size_t)(Q * d) * sizeof(float));
            pan_tensor_init(&lat, b->chunks + (((int64_t)i * b->rounds + r) * K + K - 1) * lf,
                            PAN_DTYPE_F32, 4, shape);
            pan_tensor_init(&tok, state + Q * d, PAN_DTYPE_F32, 3, PAN_SHAPE(1, S, d));
            st = pan_vit_forward(c, m, &scratch, &lat, &tok);
            n_state = Q + S;
        }
    }
    pan_arena_free(&scratch);
    free(state);
    pan_backbone_workspace_destroy(ws);
    pan_kv_cache_destroy(cache);
    return st;
}

static void noise(pan_rng *rng, float *k, float *x0, bool *dropped, int batch,
                  int64_t x0_floats, int conds, float top) {
    for (int i = 0; i < batch; i++) k[i] = (float)(uniform(rng) * top);
    pan_rng_fill_normal(rng, x0, (size_t)x0_floats);
    for (int i = 0; dropped && i < batch * conds; i++)
        dropped[i] = uniform(rng) < DROP_PROBABILITY;
}

pan_status pan_train_batch_draw(pan_compute *c, const pan_model *m,
                                const char *world, pan_train_stage stage,
                                uint64_t seed, int batch, int rounds,
                                pan_window_kind window, pan_train_batch *out) {
    if (!m || !world)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: compute, model, world and output "
                             "are required");
    world_source ws = {.cfg = &m->config, .name = world};
    pan_train_frames src = {.fill = world_fill, .ctx = &ws};
    return pan_train_batch_draw_from(c, m, &src, stage, seed, batch, rounds,
                                     window, out);
}

pan_status pan_train_batch_draw_from(pan_compute *c, const pan_model *m,
                                     const pan_train_frames *src,
                                     pan_train_stage stage, uint64_t seed,
                                     int batch, int rounds,
                                     pan_window_kind window,
                                     pan_train_batch *out) {
    if (!c || !m || !src || !src->fill || !out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: compute, model, source and output "
                             "are required");
    const pan_model_config *cfg = &m->config;
    if (stage < PAN_STAGE_VAE || stage > PAN_STAGE_GLP)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: unknown stage %d", (int)stage);
    if (batch < 1 || batch > 4096)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: batch %d, expected 1..4096", batch);
    if (stage == PAN_STAGE_DECODER) rounds = window == PAN_WINDOW_PAIR ? 2 : 1;
    if (stage == PAN_STAGE_VAE) rounds = 0;
    if (stage == PAN_STAGE_GLP && (rounds < 1 || rounds > PAN_TRAIN_BATCH_MAX_ROUNDS))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: %d rounds, expected 1..%d", rounds,
                             PAN_TRAIN_BATCH_MAX_ROUNDS);
    if (cfg->frame.channels != 3)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "train batch: the worlds render 3 channels, the "
                             "model has %d", cfg->frame.channels);
    pan_train_batch b = {.stage = stage, .batch = batch, .rounds = rounds,
                         .kind = window, .kl_weight = 1e-3f};
    const int64_t K = cfg->frame.chunk_frames, Q = cfg->backbone.queries;
    const int64_t d = cfg->backbone.dim;
    const int64_t fb = (int64_t)cfg->frame.width * cfg->frame.height * 3;
    const int64_t lf = (int64_t)cfg->vae.latent_channels * pan_latent_height(cfg) *
                       pan_latent_width(cfg);
    const int64_t per = 1 + (int64_t)rounds * K; /* frames per episode */
    bool ok = true;
    uint8_t *frames = alloc((size_t)(batch * per * fb), &ok);
    float *lat = alloc(sizeof(float) * (size_t)(batch * per * lf), &ok);
    b.texts = alloc(sizeof *b.texts * (size_t)(batch * (rounds ? rounds : 1)), &ok);
    b.heldout = alloc(sizeof *b.heldout * (size_t)(batch * (rounds ? rounds : 1)), &ok);
    pan_rng rng = pan_rng_seed(seed);
    pan_status st = ok ? src->fill(src->ctx, &rng, batch, rounds, frames, b.texts,
                                   b.heldout)
                       : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                       "train batch: out of memory");
    if (st == PAN_OK && stage == PAN_STAGE_VAE) {
        const int64_t im = (int64_t)cfg->frame.channels * cfg->frame.height *
                           cfg->frame.width;
        b.images = alloc(sizeof(float) * (size_t)(batch * im), &ok);
        b.eps = alloc(sizeof(float) * (size_t)(batch * lf), &ok);
        if (ok) {
            pan_tensor fr, ims;
            pan_tensor_init(&fr, frames, PAN_DTYPE_U8, 4,
                            PAN_SHAPE(batch, cfg->frame.height, cfg->frame.width, 3));
            pan_tensor_init(&ims, b.images, PAN_DTYPE_F32, 4,
                            PAN_SHAPE(batch, 3, cfg->frame.height, cfg->frame.width));
            st = pan_frames_to_images(&fr, &ims);
            pan_rng_fill_normal(&rng, b.eps, (size_t)(batch * lf));
        }
    } else if (st == PAN_OK) {
        st = encode(c, m, frames, batch * per, lat);
    }
    int n_conds = rounds;
    b.actions = alloc(sizeof *b.actions * (size_t)(batch * (rounds ? rounds : 1)), &ok);
    for (int i = 0; ok && i < batch * rounds; i++)
        b.actions[i] = (pan_train_action){.bytes = (const uint8_t *)b.texts[i],
                                          .len = (int)strlen(b.texts[i])};
    if (st == PAN_OK && ok && stage == PAN_STAGE_DECODER) {
        const int64_t n = 1 + (int64_t)n_conds * K;
        b.x1 = alloc(sizeof(float) * (size_t)(batch * n * lf), &ok);
        b.x0 = alloc(sizeof(float) * (size_t)(batch * n * lf), &ok);
        b.k = alloc(sizeof(float) * (size_t)batch, &ok);
        b.state_latents = alloc(sizeof(float) * (size_t)(batch * n_conds * lf), &ok);
        bool *drop = alloc(sizeof(bool) * (size_t)(batch * n_conds), &ok);
        if (ok) {
            /* x1 = the episode's latents: o_0 then the chunks */
            memcpy(b.x1, lat, sizeof(float) * (size_t)(batch * n * lf));
            for (int i = 0; i < batch; i++)
                for (int ci = 0; ci < n_conds; ci++)
                    memcpy(b.state_latents + ((int64_t)i * n_conds + ci) * lf,
                           lat + ((int64_t)i * per + (ci + 1) * K) * lf,
                           sizeof(float) * (size_t)lf);
            noise(&rng, b.k, b.x0, drop, batch, batch * n * lf, n_conds,
                  window == PAN_WINDOW_PAIR ? 0.5f : 1.0f);
            for (int i = 0; i < batch * n_conds; i++) b.actions[i].dropped = drop[i];
        }
        free(drop);
    }
    if (st == PAN_OK && ok && stage == PAN_STAGE_GLP) {
        b.z0 = alloc(sizeof(float) * (size_t)(batch * lf), &ok);
        b.chunks = alloc(sizeof(float) * (size_t)(batch * rounds * K * lf), &ok);
        b.prev = alloc(sizeof(float) * (size_t)(batch * (rounds > 1 ? rounds - 1 : 1) * Q * d), &ok);
        for (int i = 0; ok && i < batch; i++) {
            memcpy(b.z0 + i * lf, lat + i * per * lf, sizeof(float) * (size_t)lf);
            memcpy(b.chunks + (int64_t)i * rounds * K * lf, lat + (i * per + 1) * lf,
                   sizeof(float) * (size_t)(rounds * K * lf));
        }
        for (int r = 0; ok && r < rounds; r++) {
            pan_window_kind kind = r == 0 ? PAN_WINDOW_FIRST : PAN_WINDOW_PAIR;
            int64_t n = pan_window_frames(cfg, kind);
            int nc = pan_window_conds(kind);
            b.win_x0[r] = alloc(sizeof(float) * (size_t)(batch * n * lf), &ok);
            b.win_k[r] = alloc(sizeof(float) * (size_t)batch, &ok);
            b.win_dropped[r] = alloc(sizeof(bool) * (size_t)(batch * nc), &ok);
            if (ok)
                noise(&rng, b.win_k[r], b.win_x0[r], b.win_dropped[r], batch,
                      batch * n * lf, nc, r == 0 ? 1.0f : 0.5f);
            b.windows[r] = (pan_glp_window_noise){.x0 = b.win_x0[r], .k = b.win_k[r],
                                                  .dropped = b.win_dropped[r]};
        }
        if (ok) st = predictions(c, m, &b);
    }
    if (st == PAN_OK && !ok)
        st = pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "train batch: out of memory");
    free(frames);
    free(lat);
    if (st != PAN_OK) {
        pan_train_batch_free(&b);
        return st;
    }
    *out = b;
    return PAN_OK;
}
