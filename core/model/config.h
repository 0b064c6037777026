/* core/model/config.h: every hyperparameter of the GLP model, in one struct.
 *
 * Contract
 * - pan_model_config is plain data. pan_model_config_default fills the
 *   tabletop defaults of docs/model.md; pan_model_config_validate checks
 *   every field and every cross-field constraint listed there and returns
 *   INVALID_ARGUMENT naming the field ("backbone.heads"), what was expected
 *   and what was found.
 * - JSON (docs/model.md, "Configuration") is parsed with jansson: every key
 *   required, unknown keys and wrong types are errors, duplicate keys are
 *   rejected. pan_model_config_from_json validates the result and leaves
 *   *out untouched on failure. `where` (e.g. the checkpoint path) prefixes
 *   error messages; it may be NULL.
 * - pan_model_config_to_json returns a malloc'd NUL-terminated string
 *   (caller frees) that from_json reads back to an identical struct.
 * - The derived-size helpers assume a validated config.
 * - Thread safety: pure functions.
 */
#ifndef PAN_CORE_MODEL_CONFIG_H
#define PAN_CORE_MODEL_CONFIG_H

#include <stddef.h>

#include "core/status.h"

#define PAN_MODEL_FORMAT "pan-glp"
#define PAN_MODEL_FORMAT_VERSION 1
#define PAN_VAE_MAX_LEVELS 4

typedef struct pan_frame_config {
    int height, width, channels; /* 64, 64, 3 */
    int chunk_frames;            /* K = 4 frames per step */
} pan_frame_config;

typedef struct pan_tokenizer_config {
    int vocab_size;       /* >= PAN_TOKEN_COUNT (262); default 264 */
    int max_action_bytes; /* 256 */
} pan_tokenizer_config;

typedef struct pan_vae_config {
    int base_channels;                    /* 32 */
    int channel_mult[PAN_VAE_MAX_LEVELS]; /* {1, 2, 2} */
    int levels;                           /* len(channel_mult): 3 */
    int res_blocks;                       /* 1 */
    int latent_channels;                  /* 4 */
    int norm_groups;                      /* 8 */
    float norm_eps;                       /* 1e-6 */
    float scaling_factor;                 /* 1.0 */
} pan_vae_config;

typedef struct pan_encoder_config {
    int patch;        /* 2 */
    int dim;          /* E = 128 */
    int layers;       /* 4 */
    int heads;        /* 4 */
    int mlp_dim;      /* 256 */
    int merge;        /* 2 */
    float rope_theta; /* 10000 */
    float norm_eps;   /* 1e-6 */
} pan_encoder_config;

typedef struct pan_backbone_config {
    int dim;          /* d = 256 */
    int layers;       /* 6 */
    int heads;        /* 8 */
    int kv_heads;     /* 2 */
    int intermediate; /* 688 */
    float rope_theta; /* 1e6 */
    float norm_eps;   /* 1e-6 */
    int queries;      /* Q = 16 */
    int max_rounds;   /* N = 10 */
} pan_backbone_config;

typedef struct pan_decoder_config {
    int patch;        /* 2 */
    int dim;          /* D = 192 */
    int layers;       /* 6 */
    int heads;        /* 6 */
    int mlp_dim;      /* 768 */
    int freq_dim;     /* F = 256, even */
    float norm_eps;   /* 1e-6 */
    int steps;        /* N = 8 Euler steps, even */
    float shift;      /* 3.0 timestep shift */
    float cfg_scale;  /* 1.0 = no classifier-free guidance */
    float cond_noise; /* 0.055 noise level of the conditioning frame */
} pan_decoder_config;

typedef struct pan_model_config {
    pan_frame_config frame;
    pan_tokenizer_config tokenizer;
    pan_vae_config vae;
    pan_encoder_config encoder;
    pan_backbone_config backbone;
    pan_decoder_config decoder;
} pan_model_config;

void pan_model_config_default(pan_model_config *cfg);
pan_status pan_model_config_validate(const pan_model_config *cfg);

pan_status pan_model_config_from_json(pan_model_config *out, const char *json,
                                      size_t length, const char *where);
/* NULL (and an error message) only when out of memory. */
char *pan_model_config_to_json(const pan_model_config *cfg);

/* Derived sizes (docs/model.md). */
int pan_vae_level_channels(const pan_model_config *cfg, int level);
int pan_latent_height(const pan_model_config *cfg); /* 16 */
int pan_latent_width(const pan_model_config *cfg);  /* 16 */
int pan_encoder_patches(const pan_model_config *cfg); /* G*G = 64 */
int pan_state_tokens(const pan_model_config *cfg);  /* S = 16 */
int pan_backbone_head_dim(const pan_model_config *cfg);
/* Longest round: (Q + S) + max_action_bytes + Q + 5 tokens. */
int pan_backbone_max_round_tokens(const pan_model_config *cfg);
/* Decoder tokens per latent frame: (h/patch) * (w/patch) = 64. */
int pan_decoder_frame_tokens(const pan_model_config *cfg);

#endif
