/* core/model/params_declare.c: every parameter of the GLP model, in the
 * declaration order of docs/model.md ("Parameters"). One walk; the visitor
 * decides what to do with each parameter (size the table, bind a view). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/model/params_internal.h"

typedef struct decl {
    pan_param_visit_fn visit;
    void *ctx;
    pan_status status;               /* first failure; later adds are no-ops */
    char name[PAN_PARAM_NAME_MAX];
} decl;

/* Declares one parameter named by printf(fmt, ...). */
static void add(decl *d, pan_tensor *slot, pan_param_init init, int ndim,
                const int64_t *shape, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void add(decl *d, pan_tensor *slot, pan_param_init init, int ndim,
                const int64_t *shape, const char *fmt, ...) {
    if (d->status != PAN_OK) return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(d->name, sizeof d->name, fmt, args);
    va_end(args);
    if (n < 0 || n >= (int)sizeof d->name) {
        d->status = pan_error_set(PAN_ERR_INTERNAL,
                                  "parameter table: name '%s...' longer than "
                                  "%d bytes", d->name, PAN_PARAM_NAME_MAX - 1);
        return;
    }
    d->status = d->visit(d->ctx, d->name, ndim, shape, init, slot);
}

#define FAN_IN PAN_PARAM_INIT_FAN_IN
#define ZEROS PAN_PARAM_INIT_ZEROS
#define ONES PAN_PARAM_INIT_ONES
#define EMBEDDING PAN_PARAM_INIT_EMBEDDING

/* Conv weight (cout, cin, k, k) and bias (cout) named P.weight, P.bias. */
static void conv(decl *d, pan_tensor *w, pan_tensor *b, int64_t cout,
                 int64_t cin, int64_t k, const char *p) {
    add(d, w, FAN_IN, 4, PAN_SHAPE(cout, cin, k, k), "%s.weight", p);
    add(d, b, ZEROS, 1, PAN_SHAPE(cout), "%s.bias", p);
}

/* Linear weight (out, in) and, when b != NULL, bias (out). */
static void linear(decl *d, pan_tensor *w, pan_tensor *b, int64_t out,
                   int64_t in, const char *p) {
    add(d, w, FAN_IN, 2, PAN_SHAPE(out, in), "%s.weight", p);
    if (b) add(d, b, ZEROS, 1, PAN_SHAPE(out), "%s.bias", p);
}

static void group_norm(decl *d, pan_tensor *w, pan_tensor *b, int64_t c,
                       const char *p) {
    add(d, w, ONES, 1, PAN_SHAPE(c), "%s.weight", p);
    add(d, b, ZEROS, 1, PAN_SHAPE(c), "%s.bias", p);
}

static void resblock(decl *d, pan_resblock_weights *r, int64_t cin,
                     int64_t cout, const char *p) {
    char sub[PAN_PARAM_NAME_MAX];
    snprintf(sub, sizeof sub, "%s.norm1", p);
    group_norm(d, &r->norm1_w, &r->norm1_b, cin, sub);
    snprintf(sub, sizeof sub, "%s.conv1", p);
    conv(d, &r->conv1_w, &r->conv1_b, cout, cin, 3, sub);
    snprintf(sub, sizeof sub, "%s.norm2", p);
    group_norm(d, &r->norm2_w, &r->norm2_b, cout, sub);
    snprintf(sub, sizeof sub, "%s.conv2", p);
    conv(d, &r->conv2_w, &r->conv2_b, cout, cout, 3, sub);
    if (cin != cout) {
        snprintf(sub, sizeof sub, "%s.nin_shortcut", p);
        conv(d, &r->shortcut_w, &r->shortcut_b, cout, cin, 1, sub);
    }
}

static void declare_vae(decl *d, const pan_model_config *c, pan_vae_weights *v) {
    const int L = c->vae.levels, R = c->vae.res_blocks;
    const int64_t z = c->vae.latent_channels, top = pan_vae_level_channels(c, L - 1);
    char p[PAN_PARAM_NAME_MAX];

    conv(d, &v->enc_conv_in_w, &v->enc_conv_in_b, pan_vae_level_channels(c, 0),
         c->frame.channels, 3, "vae.encoder.conv_in");
    for (int i = 0; i < L; i++) {
        int64_t ch = pan_vae_level_channels(c, i);
        for (int j = 0; j < R; j++) {
            int64_t cin = (j == 0 && i > 0) ? pan_vae_level_channels(c, i - 1) : ch;
            snprintf(p, sizeof p, "vae.encoder.down.%d.block.%d", i, j);
            resblock(d, &v->down[i].blocks[j], cin, ch, p);
        }
        if (i < L - 1) {
            snprintf(p, sizeof p, "vae.encoder.down.%d.downsample.conv", i);
            conv(d, &v->down[i].resample_w, &v->down[i].resample_b, ch, ch, 3, p);
        }
    }
    resblock(d, &v->enc_mid, top, top, "vae.encoder.mid.block_1");
    group_norm(d, &v->enc_norm_out_w, &v->enc_norm_out_b, top,
               "vae.encoder.norm_out");
    conv(d, &v->enc_conv_out_w, &v->enc_conv_out_b, 2 * z, top, 3,
         "vae.encoder.conv_out");

    conv(d, &v->dec_conv_in_w, &v->dec_conv_in_b, top, z, 3,
         "vae.decoder.conv_in");
    resblock(d, &v->dec_mid, top, top, "vae.decoder.mid.block_1");
    for (int i = L - 1; i >= 0; i--) {
        int64_t ch = pan_vae_level_channels(c, i);
        for (int j = 0; j < R; j++) {
            int64_t cin = (j == 0 && i < L - 1) ? pan_vae_level_channels(c, i + 1) : ch;
            snprintf(p, sizeof p, "vae.decoder.up.%d.block.%d", i, j);
            resblock(d, &v->up[i].blocks[j], cin, ch, p);
        }
        if (i > 0) {
            snprintf(p, sizeof p, "vae.decoder.up.%d.upsample.conv", i);
            conv(d, &v->up[i].resample_w, &v->up[i].resample_b, ch, ch, 3, p);
        }
    }
    int64_t ch0 = pan_vae_level_channels(c, 0);
    group_norm(d, &v->dec_norm_out_w, &v->dec_norm_out_b, ch0,
               "vae.decoder.norm_out");
    conv(d, &v->dec_conv_out_w, &v->dec_conv_out_b, c->frame.channels, ch0, 3,
         "vae.decoder.conv_out");
}

static void declare_encoder(decl *d, const pan_model_config *c,
                            pan_vit_weights *e) {
    const int64_t E = c->encoder.dim, M = c->encoder.mlp_dim;
    const int64_t m2 = (int64_t)c->encoder.merge * c->encoder.merge;
    const int64_t P = (int64_t)c->vae.latent_channels * c->encoder.patch *
                      c->encoder.patch;
    char p[PAN_PARAM_NAME_MAX];

    linear(d, &e->patch_embed_w, &e->patch_embed_b, E, P, "encoder.patch_embed");
    for (int i = 0; i < c->encoder.layers; i++) {
        pan_vit_block_weights *b = &e->blocks[i];
        add(d, &b->norm1_w, ONES, 1, PAN_SHAPE(E), "encoder.blocks.%d.norm1.weight", i);
        snprintf(p, sizeof p, "encoder.blocks.%d.attn.qkv", i);
        linear(d, &b->qkv_w, &b->qkv_b, 3 * E, E, p);
        snprintf(p, sizeof p, "encoder.blocks.%d.attn.proj", i);
        linear(d, &b->proj_w, &b->proj_b, E, E, p);
        add(d, &b->norm2_w, ONES, 1, PAN_SHAPE(E), "encoder.blocks.%d.norm2.weight", i);
        snprintf(p, sizeof p, "encoder.blocks.%d.mlp.gate_proj", i);
        linear(d, &b->gate_w, &b->gate_b, M, E, p);
        snprintf(p, sizeof p, "encoder.blocks.%d.mlp.up_proj", i);
        linear(d, &b->up_w, &b->up_b, M, E, p);
        snprintf(p, sizeof p, "encoder.blocks.%d.mlp.down_proj", i);
        linear(d, &b->down_w, &b->down_b, E, M, p);
    }
    add(d, &e->merger_norm_w, ONES, 1, PAN_SHAPE(E), "encoder.merger.ln_q.weight");
    linear(d, &e->merger_fc1_w, &e->merger_fc1_b, m2 * E, m2 * E,
           "encoder.merger.mlp.0");
    linear(d, &e->merger_fc2_w, &e->merger_fc2_b, c->backbone.dim, m2 * E,
           "encoder.merger.mlp.2");
}

static void declare_backbone(decl *d, const pan_model_config *c,
                             pan_backbone_weights *b) {
    const int64_t dim = c->backbone.dim, hd = pan_backbone_head_dim(c);
    const int64_t H = c->backbone.heads, Hkv = c->backbone.kv_heads;
    const int64_t I = c->backbone.intermediate;
    char p[PAN_PARAM_NAME_MAX];

    add(d, &b->embed_tokens, EMBEDDING, 2,
        PAN_SHAPE(c->tokenizer.vocab_size, dim), "model.embed_tokens.weight");
    for (int i = 0; i < c->backbone.layers; i++) {
        pan_qwen2_layer_weights *l = &b->layers[i];
        add(d, &l->input_norm_w, ONES, 1, PAN_SHAPE(dim),
            "model.layers.%d.input_layernorm.weight", i);
        snprintf(p, sizeof p, "model.layers.%d.self_attn.q_proj", i);
        linear(d, &l->q_w, NULL, H * hd, dim, p);
        snprintf(p, sizeof p, "model.layers.%d.self_attn.k_proj", i);
        linear(d, &l->k_w, NULL, Hkv * hd, dim, p);
        snprintf(p, sizeof p, "model.layers.%d.self_attn.v_proj", i);
        linear(d, &l->v_w, NULL, Hkv * hd, dim, p);
        add(d, &l->q_b, ZEROS, 1, PAN_SHAPE(H * hd),
            "model.layers.%d.self_attn.q_proj.bias", i);
        add(d, &l->k_b, ZEROS, 1, PAN_SHAPE(Hkv * hd),
            "model.layers.%d.self_attn.k_proj.bias", i);
        add(d, &l->v_b, ZEROS, 1, PAN_SHAPE(Hkv * hd),
            "model.layers.%d.self_attn.v_proj.bias", i);
        snprintf(p, sizeof p, "model.layers.%d.self_attn.o_proj", i);
        linear(d, &l->o_w, NULL, dim, H * hd, p);
        add(d, &l->post_norm_w, ONES, 1, PAN_SHAPE(dim),
            "model.layers.%d.post_attention_layernorm.weight", i);
        snprintf(p, sizeof p, "model.layers.%d.mlp.gate_proj", i);
        linear(d, &l->gate_w, NULL, I, dim, p);
        snprintf(p, sizeof p, "model.layers.%d.mlp.up_proj", i);
        linear(d, &l->up_w, NULL, I, dim, p);
        snprintf(p, sizeof p, "model.layers.%d.mlp.down_proj", i);
        linear(d, &l->down_w, NULL, dim, I, p);
    }
    add(d, &b->final_norm_w, ONES, 1, PAN_SHAPE(dim), "model.norm.weight");
    add(d, &b->query_embeddings, EMBEDDING, 2,
        PAN_SHAPE(c->backbone.queries, dim), "glp.query_embeddings.weight");
    linear(d, &b->state_head_w, &b->state_head_b, dim, dim, "glp.state_head");
}

/* A linear layer of DiT block i named "decoder.blocks.{i}.<what>"; the
 * zero-initialised ones (adaLN, the state stream's output) with `zero`. */
static void block_linear(decl *d, pan_tensor *w, pan_tensor *b, int64_t out,
                         int64_t in, int i, const char *what, bool zero) {
    char p[PAN_PARAM_NAME_MAX];
    snprintf(p, sizeof p, "decoder.blocks.%d.%s", i, what);
    if (!zero) {
        linear(d, w, b, out, in, p);
        return;
    }
    add(d, w, ZEROS, 2, PAN_SHAPE(out, in), "%s.weight", p);
    add(d, b, ZEROS, 1, PAN_SHAPE(out), "%s.bias", p);
}

static void declare_dit_block(decl *d, const pan_model_config *c,
                              pan_dit_block_weights *b, int i) {
    const int64_t D = c->decoder.dim, M = c->decoder.mlp_dim;
    const int64_t dm = c->backbone.dim;
    char p[PAN_PARAM_NAME_MAX];
    block_linear(d, &b->ada_w, &b->ada_b, 6 * D, D, i, "adaLN_modulation", true);
    block_linear(d, &b->q_w, &b->q_b, D, D, i, "attn.q", false);
    block_linear(d, &b->k_w, &b->k_b, D, D, i, "attn.k", false);
    block_linear(d, &b->v_w, &b->v_b, D, D, i, "attn.v", false);
    block_linear(d, &b->proj_w, &b->proj_b, D, D, i, "attn.proj", false);
    snprintf(p, sizeof p, "decoder.blocks.%d.cross_norm", i);
    group_norm(d, &b->cross_norm_w, &b->cross_norm_b, D, p);
    block_linear(d, &b->cq_w, &b->cq_b, D, D, i, "cross.q", false);
    block_linear(d, &b->ak_w, &b->ak_b, D, dm, i, "cross.action_k", false);
    block_linear(d, &b->av_w, &b->av_b, D, dm, i, "cross.action_v", false);
    block_linear(d, &b->aout_w, &b->aout_b, D, D, i, "cross.action_out", false);
    block_linear(d, &b->sk_w, &b->sk_b, D, dm, i, "cross.state_k", false);
    block_linear(d, &b->sv_w, &b->sv_b, D, dm, i, "cross.state_v", false);
    /* PAN's new stream starts as a no-op: zero-initialised output */
    block_linear(d, &b->sout_w, &b->sout_b, D, D, i, "cross.state_out", true);
    block_linear(d, &b->fc1_w, &b->fc1_b, M, D, i, "mlp.fc1", false);
    block_linear(d, &b->fc2_w, &b->fc2_b, D, M, i, "mlp.fc2", false);
}

static void declare_decoder(decl *d, const pan_model_config *c,
                            pan_dit_weights *g) {
    const pan_decoder_config *gc = &c->decoder;
    const int64_t D = gc->dim, F = gc->freq_dim, dm = c->backbone.dim;
    const int64_t P = (int64_t)c->vae.latent_channels * gc->patch * gc->patch;
    const int64_t K = c->frame.chunk_frames;
    linear(d, &g->patch_embed_w, &g->patch_embed_b, D, P,
           "decoder.patch_embed");
    add(d, &g->pos_embed, EMBEDDING, 2,
        PAN_SHAPE(pan_decoder_frame_tokens(c), D), "decoder.pos_embed");
    add(d, &g->frame_embed, EMBEDDING, 2, PAN_SHAPE(2 * K + 1, D),
        "decoder.frame_embed");
    linear(d, &g->time_fc1_w, &g->time_fc1_b, D, F, "decoder.time_mlp.0");
    linear(d, &g->time_fc2_w, &g->time_fc2_b, D, D, "decoder.time_mlp.2");
    add(d, &g->action_pos, EMBEDDING, 2,
        PAN_SHAPE(c->tokenizer.max_action_bytes + 1, dm),
        "decoder.action_pos");
    add(d, &g->null_state, EMBEDDING, 2, PAN_SHAPE(c->backbone.queries, dm),
        "decoder.null_state");
    add(d, &g->null_action, EMBEDDING, 2, PAN_SHAPE(1, dm),
        "decoder.null_action");
    for (int i = 0; i < gc->layers; i++)
        declare_dit_block(d, c, &g->blocks[i], i);
    add(d, &g->final_ada_w, ZEROS, 2, PAN_SHAPE(2 * D, D),
        "decoder.final.adaLN_modulation.weight");
    add(d, &g->final_ada_b, ZEROS, 1, PAN_SHAPE(2 * D),
        "decoder.final.adaLN_modulation.bias");
    add(d, &g->final_w, ZEROS, 2, PAN_SHAPE(P, D),
        "decoder.final.linear.weight");
    add(d, &g->final_b, ZEROS, 1, PAN_SHAPE(P), "decoder.final.linear.bias");
}

pan_status pan_params_declare(const pan_model_config *cfg,
                              pan_model_weights *w, pan_param_visit_fn visit,
                              void *ctx) {
    decl d = {.visit = visit, .ctx = ctx, .status = PAN_OK};
    declare_vae(&d, cfg, &w->vae);
    declare_encoder(&d, cfg, &w->encoder);
    declare_backbone(&d, cfg, &w->backbone);
    declare_decoder(&d, cfg, &w->decoder);
    return d.status;
}
