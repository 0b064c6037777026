/* core/model/config.c: default configuration, validation and derived sizes
 * (docs/model.md, "Configuration"). JSON lives in config_json.c. */
#include "core/model/config.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/model/backbone/tokenizer.h"
#include "core/model/weights.h"

/* Caps of docs/model.md: "all counts positive and below sane caps". */
enum {
    CAP_DIM = 16384,
    CAP_LAYERS = 256,
    CAP_VOCAB = 1048576,
    CAP_ACTION_BYTES = 65536,
    CAP_SMALL = 64,      /* patch, merge, channel_mult entries */
    CAP_CHUNK = 256,     /* chunk_frames */
    CAP_QUERIES = 4096,
    CAP_ROUNDS = 4096,
    CAP_STEPS = 1000,    /* decoder Euler steps */
};

void pan_model_config_default(pan_model_config *cfg) {
    *cfg = (pan_model_config){
        .frame = {.height = 64, .width = 64, .channels = 3, .chunk_frames = 4},
        .tokenizer = {.vocab_size = 264, .max_action_bytes = 256},
        .vae = {.base_channels = 32,
                .channel_mult = {1, 2, 2, 0},
                .levels = 3,
                .res_blocks = 1,
                .latent_channels = 4,
                .norm_groups = 8,
                .norm_eps = 1e-6f,
                .scaling_factor = 1.0f},
        .encoder = {.patch = 2, .dim = 128, .layers = 4, .heads = 4,
                    .mlp_dim = 256, .merge = 2, .rope_theta = 10000.0f,
                    .norm_eps = 1e-6f},
        .backbone = {.dim = 256, .layers = 6, .heads = 8, .kv_heads = 2,
                     .intermediate = 688, .rope_theta = 1000000.0f,
                     .norm_eps = 1e-6f, .queries = 16, .max_rounds = 10},
        .decoder = {.patch = 2, .dim = 192, .layers = 6, .heads = 6,
                    .mlp_dim = 768, .freq_dim = 256, .norm_eps = 1e-6f,
                    .steps = 8, .shift = 3.0f, .cfg_scale = 1.0f,
                    .cond_noise = 0.055f},
    };
}

static pan_status check_range(const char *field, int value, int lo, int hi) {
    if (value < lo || value > hi)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config %s: expected an integer in %d..%d, "
                             "found %d", field, lo, hi, value);
    return PAN_OK;
}

static pan_status check_positive_float(const char *field, float value) {
    if (!(isfinite(value) && value > 0.0f))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config %s: expected a finite number > 0, "
                             "found %g", field, (double)value);
    return PAN_OK;
}

/* Returns from the caller on the first failure. */
#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status st_ = (expr);                                               \
        if (st_ != PAN_OK) return st_;                                         \
    } while (0)

static pan_status check_float_in(const char *field, float value, float lo,
                                 float hi, bool hi_open) {
    if (!(isfinite(value) && value >= lo && (hi_open ? value < hi : value <= hi)))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config %s: expected a number in [%g, %g%s, "
                             "found %g", field, (double)lo, (double)hi,
                             hi_open ? ")" : "]", (double)value);
    return PAN_OK;
}

static pan_status validate_decoder_ranges(const pan_decoder_config *g) {
    TRY(check_range("decoder.patch", g->patch, 1, CAP_SMALL));
    TRY(check_range("decoder.dim", g->dim, 1, CAP_DIM));
    TRY(check_range("decoder.layers", g->layers, 1, CAP_LAYERS));
    TRY(check_range("decoder.heads", g->heads, 1, CAP_DIM));
    TRY(check_range("decoder.mlp_dim", g->mlp_dim, 1, CAP_DIM));
    TRY(check_range("decoder.freq_dim", g->freq_dim, 2, CAP_DIM));
    if (g->freq_dim % 2 != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config decoder.freq_dim: expected an even "
                             "number, found %d", g->freq_dim);
    TRY(check_positive_float("decoder.norm_eps", g->norm_eps));
    TRY(check_range("decoder.steps", g->steps, 2, CAP_STEPS));
    if (g->steps % 2 != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config decoder.steps: expected an even number "
                             "(Swin-DPM runs half the steps per window), "
                             "found %d", g->steps);
    TRY(check_float_in("decoder.shift", g->shift, 0.0f, 100.0f, false));
    TRY(check_positive_float("decoder.shift", g->shift));
    TRY(check_float_in("decoder.cfg_scale", g->cfg_scale, 0.0f, 100.0f,
                       false));
    return check_float_in("decoder.cond_noise", g->cond_noise, 0.0f, 1.0f,
                          true);
}

static pan_status validate_ranges(const pan_model_config *c) {
    TRY(check_range("frame.height", c->frame.height, 1, CAP_DIM));
    TRY(check_range("frame.width", c->frame.width, 1, CAP_DIM));
    TRY(check_range("frame.channels", c->frame.channels, 1, CAP_DIM));
    TRY(check_range("frame.chunk_frames", c->frame.chunk_frames, 1, CAP_CHUNK));

    TRY(check_range("tokenizer.vocab_size", c->tokenizer.vocab_size,
                    PAN_TOKEN_COUNT, CAP_VOCAB));
    TRY(check_range("tokenizer.max_action_bytes", c->tokenizer.max_action_bytes,
                    1, CAP_ACTION_BYTES));

    TRY(check_range("vae.base_channels", c->vae.base_channels, 1, CAP_DIM));
    TRY(check_range("vae.channel_mult (length)", c->vae.levels, 1,
                    PAN_VAE_MAX_LEVELS));
    for (int i = 0; i < c->vae.levels; i++) {
        char field[40];
        snprintf(field, sizeof field, "vae.channel_mult[%d]", i);
        TRY(check_range(field, c->vae.channel_mult[i], 1, CAP_SMALL));
        if ((int64_t)c->vae.base_channels * c->vae.channel_mult[i] > CAP_DIM)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "config %s: expected base_channels * "
                                 "channel_mult <= %d, found %d * %d", field,
                                 CAP_DIM, c->vae.base_channels,
                                 c->vae.channel_mult[i]);
    }
    TRY(check_range("vae.res_blocks", c->vae.res_blocks, 1,
                    PAN_VAE_MAX_RES_BLOCKS));
    TRY(check_range("vae.latent_channels", c->vae.latent_channels, 1, CAP_DIM));
    TRY(check_range("vae.norm_groups", c->vae.norm_groups, 1, CAP_DIM));
    TRY(check_positive_float("vae.norm_eps", c->vae.norm_eps));
    TRY(check_positive_float("vae.scaling_factor", c->vae.scaling_factor));

    TRY(check_range("encoder.patch", c->encoder.patch, 1, CAP_SMALL));
    TRY(check_range("encoder.dim", c->encoder.dim, 1, CAP_DIM));
    TRY(check_range("encoder.layers", c->encoder.layers, 1, CAP_LAYERS));
    TRY(check_range("encoder.heads", c->encoder.heads, 1, CAP_DIM));
    TRY(check_range("encoder.mlp_dim", c->encoder.mlp_dim, 1, CAP_DIM));
    TRY(check_range("encoder.merge", c->encoder.merge, 1, CAP_SMALL));
    TRY(check_positive_float("encoder.rope_theta", c->encoder.rope_theta));
    TRY(check_positive_float("encoder.norm_eps", c->encoder.norm_eps));

    TRY(check_range("backbone.dim", c->backbone.dim, 1, CAP_DIM));
    TRY(check_range("backbone.layers", c->backbone.layers, 1, CAP_LAYERS));
    TRY(check_range("backbone.heads", c->backbone.heads, 1, CAP_DIM));
    TRY(check_range("backbone.kv_heads", c->backbone.kv_heads, 1, CAP_DIM));
    TRY(check_range("backbone.intermediate", c->backbone.intermediate, 1,
                    CAP_DIM));
    TRY(check_positive_float("backbone.rope_theta", c->backbone.rope_theta));
    TRY(check_positive_float("backbone.norm_eps", c->backbone.norm_eps));
    TRY(check_range("backbone.queries", c->backbone.queries, 1, CAP_QUERIES));
    TRY(check_range("backbone.max_rounds", c->backbone.max_rounds, 2,
                    CAP_ROUNDS));
    return validate_decoder_ranges(&c->decoder);
}

static pan_status validate_decoder_relations(const pan_model_config *c) {
    const pan_decoder_config *g = &c->decoder;
    if (g->dim % g->heads != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config decoder.heads: expected a divisor of "
                             "decoder.dim (%d), found %d", g->dim, g->heads);
    int lh = pan_latent_height(c), lw = pan_latent_width(c);
    if (lh % g->patch != 0 || lw % g->patch != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config decoder.patch: expected a divisor of the "
                             "latent size %dx%d, found %d", lh, lw, g->patch);
    return PAN_OK;
}

static pan_status validate_relations(const pan_model_config *c) {
    for (int i = 0; i < c->vae.levels; i++) {
        int ch = pan_vae_level_channels(c, i);
        if (ch % c->vae.norm_groups != 0)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "config vae.norm_groups: expected a divisor "
                                 "of every level's channels (level %d has %d), "
                                 "found %d", i, ch, c->vae.norm_groups);
    }
    int64_t step = ((int64_t)1 << (c->vae.levels - 1)) * c->encoder.patch *
                   c->encoder.merge;
    if (c->frame.height % step != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config frame.height: expected a multiple of "
                             "2^(levels-1) * encoder.patch * encoder.merge = "
                             "%lld, found %d", (long long)step, c->frame.height);
    if (c->frame.width % step != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config frame.width: expected a multiple of "
                             "2^(levels-1) * encoder.patch * encoder.merge = "
                             "%lld, found %d", (long long)step, c->frame.width);
    const pan_encoder_config *e = &c->encoder;
    if (e->dim % e->heads != 0 || (e->dim / e->heads) % 4 != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config encoder.heads: expected a divisor of "
                             "encoder.dim (%d) leaving a head dim that is a "
                             "multiple of 4, found %d", e->dim, e->heads);
    const pan_backbone_config *b = &c->backbone;
    if (b->dim % b->heads != 0 || (b->dim / b->heads) % 2 != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config backbone.heads: expected a divisor of "
                             "backbone.dim (%d) leaving an even head dim, "
                             "found %d", b->dim, b->heads);
    if (b->heads % b->kv_heads != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config backbone.kv_heads: expected a divisor of "
                             "backbone.heads (%d), found %d", b->heads,
                             b->kv_heads);
    return validate_decoder_relations(c);
}

pan_status pan_model_config_validate(const pan_model_config *cfg) {
    if (!cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "config: expected a configuration, found NULL");
    TRY(validate_ranges(cfg));
    return validate_relations(cfg);
}

/* ---- derived sizes (valid configs only) ---- */

int pan_vae_level_channels(const pan_model_config *cfg, int level) {
    return cfg->vae.base_channels * cfg->vae.channel_mult[level];
}

int pan_latent_height(const pan_model_config *cfg) {
    return cfg->frame.height >> (cfg->vae.levels - 1);
}

int pan_latent_width(const pan_model_config *cfg) {
    return cfg->frame.width >> (cfg->vae.levels - 1);
}

int pan_encoder_patches(const pan_model_config *cfg) {
    return (pan_latent_height(cfg) / cfg->encoder.patch) *
           (pan_latent_width(cfg) / cfg->encoder.patch);
}

int pan_state_tokens(const pan_model_config *cfg) {
    int pm = cfg->encoder.patch * cfg->encoder.merge;
    return (pan_latent_height(cfg) / pm) * (pan_latent_width(cfg) / pm);
}

int pan_decoder_frame_tokens(const pan_model_config *cfg) {
    return (pan_latent_height(cfg) / cfg->decoder.patch) *
           (pan_latent_width(cfg) / cfg->decoder.patch);
}

int pan_backbone_head_dim(const pan_model_config *cfg) {
    return cfg->backbone.dim / cfg->backbone.heads;
}

int pan_backbone_max_round_tokens(const pan_model_config *cfg) {
    int q = cfg->backbone.queries;
    return (q + pan_state_tokens(cfg)) + cfg->tokenizer.max_action_bytes + q + 5;
}
