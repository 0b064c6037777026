/* core/model/encoder/vit_train.c: the vision encoder h's training forward
 * (keeping every layer's activations) and its backward, side by side
 * (contract in vit_train.h). The forward runs the ops of vit.c in the same
 * order; the backward visits them in reverse and adds into the gradients.
 *
 * Per block (rows = N*T tokens, E wide; M the MLP width):
 *   a1 = rms(x_in; norm1); q, k, v = qkv(a1); q, k = rope2(q, k)
 *   att = attention(q, k, v) (lse kept); x_mid = x_in + proj(att)
 *   a2 = rms(x_mid; norm2); g = gate(a2); u = up(a2); h = silu(g) * u
 *   x_out = x_mid + down(h)
 * Merger: y = rms(x; ln_q) as (N*S, m*m*E); h1 = fc1(y);
 * tokens = fc2(gelu(h1)). */
#include "core/model/encoder/vit_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/encoder/vit_patches.h"
#include "core/model/train_util.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

/* Short names for core/model/train_util.h's helpers. */
static pan_tensor mat(const float *p, int64_t r, int64_t c) {
    return pan_train_mat(p, r, c);
}
static void zero(float *p, int64_t n) { pan_train_zero(p, n); }

/* What one block keeps for its backward. */
typedef struct vit_layer_acts {
    float *x_in;      /* (NT, E) the block's input */
    float *a1;        /* (NT, E) rms(x_in; norm1) */
    float *q, *k, *v; /* (NT, E) = (N, T, heads, hd); q, k after RoPE */
    float *att;       /* (NT, E) attention output */
    float *lse;       /* (N, heads, T) */
    float *x_mid;     /* (NT, E) x_in + proj(att) */
    float *a2;        /* (NT, E) rms(x_mid; norm2) */
    float *g, *u, *h; /* (NT, M) gate, up, silu(g) * u */
} vit_layer_acts;

struct pan_vit_train {
    pan_model_config cfg;
    int max_n;
    int n;            /* images of the last forward (0: none yet) */
    pan_arena arena;
    float *patches;   /* (NT, P) */
    int32_t *pos;     /* (N, T, 2) */
    vit_layer_acts *layers; /* (encoder.layers) */
    float *x_fin;     /* (NT, E) the last block's output */
    float *y;         /* (NT, E) = (NS, m*m*E) rms(x_fin; ln_q) */
    float *h1;        /* (NS, m*m*E) fc1(y), before GELU */
    float *h1g;       /* (NS, m*m*E) gelu(h1) */
    /* backward scratch */
    float *dx;               /* (NT, E) gradient of the residual stream */
    float *da, *dq, *dk, *dv, *dqr, *dkr, *datt; /* (NT, E) */
    float *dh, *dg, *du;     /* (NT, M) */
    float *dpatches;         /* (NT, P) */
};

typedef struct vit_sizes {
    int64_t t, e, heads, hd, mlp, pdim, s, m2e, d, layers;
} vit_sizes;

static vit_sizes sizes_of(const pan_model_config *cfg) {
    const pan_encoder_config *ec = &cfg->encoder;
    return (vit_sizes){
        .t = pan_encoder_patches(cfg),
        .e = ec->dim,
        .heads = ec->heads,
        .hd = ec->dim / ec->heads,
        .mlp = ec->mlp_dim,
        .pdim = (int64_t)cfg->vae.latent_channels * ec->patch * ec->patch,
        .s = pan_state_tokens(cfg),
        .m2e = (int64_t)ec->merge * ec->merge * ec->dim,
        .d = cfg->backbone.dim,
        .layers = ec->layers};
}

/* The buffers of t->max_n images (ctx is the pan_vit_train). */
static void carve(void *ctx, pan_arena_carver *cv) {
    pan_vit_train *t = ctx;
    const pan_model_config *cfg = &t->cfg;
    const int n = t->max_n;
    vit_sizes z = sizes_of(cfg);
    size_t f = sizeof(float), nt = (size_t)n * (size_t)z.t;
    size_t fe = nt * (size_t)z.e * f, fm = nt * (size_t)z.mlp * f;
    pan_arena_take(cv, (void **)&t->patches, nt * (size_t)z.pdim * f);
    pan_arena_take(cv, (void **)&t->pos, nt * 2 * sizeof(int32_t));
    for (int64_t l = 0; l < z.layers; l++) {
        vit_layer_acts *a = &t->layers[l];
        float **fes[] = {&a->x_in, &a->a1, &a->q, &a->k, &a->v, &a->att,
                         &a->x_mid, &a->a2};
        for (size_t i = 0; i < sizeof fes / sizeof fes[0]; i++)
            pan_arena_take(cv, (void **)fes[i], fe);
        pan_arena_take(cv, (void **)&a->lse,
                       (size_t)n * (size_t)(z.heads * z.t) * f);
        pan_arena_take(cv, (void **)&a->g, fm);
        pan_arena_take(cv, (void **)&a->u, fm);
        pan_arena_take(cv, (void **)&a->h, fm);
    }
    float **fes[] = {&t->x_fin, &t->y, &t->h1, &t->h1g, &t->dx, &t->da,
                     &t->dq, &t->dk, &t->dv, &t->dqr, &t->dkr, &t->datt};
    for (size_t i = 0; i < sizeof fes / sizeof fes[0]; i++)
        pan_arena_take(cv, (void **)fes[i], fe); /* (NS, m*m*E): NT*E too */
    pan_arena_take(cv, (void **)&t->dh, fm);
    pan_arena_take(cv, (void **)&t->dg, fm);
    pan_arena_take(cv, (void **)&t->du, fm);
    pan_arena_take(cv, (void **)&t->dpatches, nt * (size_t)z.pdim * f);
}

/* A training state's struct and per-layer array, without the arena. */
static pan_vit_train *alloc_state(const pan_model_config *cfg) {
    pan_vit_train *t = calloc(1, sizeof *t);
    if (t) t->layers = calloc((size_t)cfg->encoder.layers, sizeof *t->layers);
    if (t && !t->layers) {
        free(t);
        t = NULL;
    }
    return t;
}

size_t pan_vit_train_bytes(const pan_model_config *cfg, int n) {
    if (!cfg || n < 1 || pan_model_config_validate(cfg) != PAN_OK) return 0;
    pan_vit_train *t = alloc_state(cfg);
    if (!t) return 0;
    t->cfg = *cfg;
    t->max_n = n;
    size_t bytes = 0;
    pan_arena_carve(NULL, NULL, carve, t, &bytes);
    pan_vit_train_destroy(t);
    return bytes;
}

pan_status pan_vit_train_create(pan_vit_train **out,
                                const pan_model_config *cfg, int max_n) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vit_train: expected a config and an output, "
                             "found NULL");
    TRY(pan_model_config_validate(cfg));
    if (max_n < 1 || max_n > 65536)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vit_train: max_n must be 1..65536, got %d",
                             max_n);
    pan_vit_train *t = alloc_state(cfg);
    if (!t)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "vit_train: out of memory");
    t->cfg = *cfg;
    t->max_n = max_n;
    pan_status st = pan_arena_carve(&t->arena, "vit training activations",
                                    carve, t, NULL);
    if (st != PAN_OK) {
        pan_vit_train_destroy(t);
        return st;
    }
    *out = t;
    return PAN_OK;
}

void pan_vit_train_destroy(pan_vit_train *t) {
    if (!t) return;
    pan_arena_free(&t->arena);
    free(t->layers);
    free(t);
}

//* q, k or v's rows of the fused qkv weight and bias (part 0, 1, 2). */
static pan_status qkv_part(const pan_vit_block_weights *bw, int part,
                           int64_t e, pan_tensor *w, pan_tensor *b) {
    TRY(pan_tensor_slice(&bw->qkv_w, 0, part * e, e, w));
    return pan_tensor_slice(&bw->qkv_b, 0, part * e, e, b);
}

static pan_tensor heads4(const float *data, int n, const vit_sizes *z) {
    pan_tensor t;
    pan_tensor_init(&t, (void *)data, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(n, z->t, z->heads, z->hd));
    return t;
}

/* ---- forward ---- */

static pan_status block_forward(pan_compute *c, const pan_model_config *cfg,
                                const pan_vit_block_weights *bw,
                                const vit_sizes *z, int n, vit_layer_acts *a,
                                const pan_tensor *positions, float *x_out) {
    const float eps = cfg->encoder.norm_eps;
    const int64_t rows = (int64_t)n * z->t, e = z->e;
    pan_tensor tx = mat(a->x_in, rows, e), ta1 = mat(a->a1, rows, e);
    TRY(pan_compute_rms_norm(c, &ta1, &tx, &bw->norm1_w, eps));
    float *dst[3] = {a->q, a->k, a->v};
    for (int i = 0; i < 3; i++) {
        pan_tensor w, b;
        TRY(qkv_part(bw, i, e, &w, &b));
        TRY(pan_train_linear(c, dst[i], a->a1, rows, &w, &b, 0.0f));
    }
    pan_tensor q = heads4(a->q, n, z), k = heads4(a->k, n, z);
    pan_tensor v = heads4(a->v, n, z), att = heads4(a->att, n, z);
    pan_tensor lse;
    pan_tensor_init(&lse, a->lse, PAN_DTYPE_F32, 3, PAN_SHAPE(n, z->heads,
                                                              z->t));
    TRY(pan_compute_rope(c, &q, &q, positions, 2, cfg->encoder.rope_theta));
    TRY(pan_compute_rope(c, &k, &k, positions, 2, cfg->encoder.rope_theta));
    pan_attention_extra ex = {.lse = &lse};
    TRY(pan_compute_attention(c, &att, &q, &k, &v, PAN_ATTENTION_MASK_NONE,
                              1.0f / sqrtf((float)z->hd), &ex));
    memcpy(a->x_mid, a->x_in, (size_t)(rows * e) * sizeof(float));
    TRY(pan_train_linear(c, a->x_mid, a->att, rows, &bw->proj_w, &bw->proj_b,
                         1.0f));
    pan_tensor tm = mat(a->x_mid, rows, e), ta2 = mat(a->a2, rows, e);
    TRY(pan_compute_rms_norm(c, &ta2, &tm, &bw->norm2_w, eps));
    TRY(pan_train_linear(c, a->g, a->a2, rows, &bw->gate_w, &bw->gate_b, 0.0f));
    TRY(pan_train_linear(c, a->u, a->a2, rows, &bw->up_w, &bw->up_b, 0.0f));
    pan_tensor g = mat(a->g, rows, z->mlp), u = mat(a->u, rows, z->mlp);
    pan_tensor h = mat(a->h, rows, z->mlp);
    TRY(pan_compute_swiglu(c, &h, &g, &u));
    memcpy(x_out, a->x_mid, (size_t)(rows * e) * sizeof(float));
    return pan_train_linear(c, x_out, a->h, rows, &bw->down_w, &bw->down_b,
                            1.0f);
}

pan_status pan_vit_train_forward(pan_compute *c, const pan_model *m,
                                 pan_vit_train *t, const pan_tensor *latent,
                                 pan_tensor *tokens) {
    static const char *fn = "vit_train_forward";
    if (!c || !m || !t)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model and training state are "
                             "required", fn);
    TRY(pan_train_check_config(fn, &t->cfg, m));
    const pan_model_config *cfg = &m->config;
    int64_t n = latent && latent->ndim == 4 ? latent->shape[0] : 0;
    if (n < 1 || n > t->max_n)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: latent must hold 1..%d images (N, %d, %d, "
                             "%d), found %lld", fn, t->max_n,
                             cfg->vae.latent_channels, pan_latent_height(cfg),
                             pan_latent_width(cfg), (long long)n);
    vit_sizes z = sizes_of(cfg);
    const int64_t *lat_shape = PAN_SHAPE(n, cfg->vae.latent_channels,
                                         pan_latent_height(cfg),
                                         pan_latent_width(cfg));
    TRY(pan_train_check_f32(fn, "latent", latent, 4, lat_shape));
    TRY(pan_train_check_f32(fn, "tokens", tokens, 3, PAN_SHAPE(n, z.s, z.d)));
    const pan_vit_weights *w = &m->w.encoder;
    const int64_t rows = n * z.t;
    t->n = 0; /* invalid until the forward completes */
    pan_vit_gather_patches(latent->data, n, latent->shape[1], latent->shape[2],
                           latent->shape[3], cfg->encoder.patch,
                           cfg->encoder.merge, t->patches, t->pos);
    pan_tensor positions;
    TRY(pan_tensor_init(&positions, t->pos, PAN_DTYPE_I32, 3,
                        PAN_SHAPE(n, z.t, 2)));
    TRY(pan_train_linear(c, t->layers[0].x_in, t->patches, rows,
                         &w->patch_embed_w,
               &w->patch_embed_b, 0.0f));
    for (int64_t l = 0; l < z.layers; l++) {
        float *x_out = l + 1 < z.layers ? t->layers[l + 1].x_in : t->x_fin;
        TRY(block_forward(c, cfg, &w->blocks[l], &z, (int)n, &t->layers[l],
                          &positions, x_out));
    }
    pan_tensor tx = mat(t->x_fin, rows, z.e), ty = mat(t->y, rows, z.e);
    TRY(pan_compute_rms_norm(c, &ty, &tx, &w->merger_norm_w,
                             cfg->encoder.norm_eps));
    const int64_t groups = n * z.s;
    TRY(pan_train_linear(c, t->h1, t->y, groups, &w->merger_fc1_w,
                         &w->merger_fc1_b, 0.0f));
    pan_tensor h1 = mat(t->h1, groups, z.m2e), h1g = mat(t->h1g, groups, z.m2e);
    TRY(pan_compute_gelu(c, &h1g, &h1, PAN_GELU_ERF));
    TRY(pan_train_linear(c, tokens->data, t->h1g, groups, &w->merger_fc2_w,
               &w->merger_fc2_b, 0.0f));
    t->n = (int)n;
    return PAN_OK;
}

/* ---- backward ---- */

/* t->dx holds d x_out on entry and d x_in on return. */
static pan_status block_backward(pan_compute *c, const pan_model_config *cfg,
                                 const pan_vit_block_weights *bw,
                                 pan_vit_block_weights *gw, const vit_sizes *z,
                                 int n, const vit_layer_acts *a,
                                 const pan_tensor *positions, pan_vit_train *t) {
    const float eps = cfg->encoder.norm_eps;
    const int64_t rows = (int64_t)n * z->t, e = z->e, ne = rows * e;
    const int64_t nm = rows * z->mlp;
    /* x_out = x_mid + down(h) */
    zero(t->dh, nm);
    TRY(pan_train_linear_backward(c, t->dx, a->h, rows, &bw->down_w, t->dh,
                                  &gw->down_w,
                        &gw->down_b));
    pan_tensor g = mat(a->g, rows, z->mlp), u = mat(a->u, rows, z->mlp);
    pan_tensor dh = mat(t->dh, rows, z->mlp), dg = mat(t->dg, rows, z->mlp);
    pan_tensor du = mat(t->du, rows, z->mlp);
    zero(t->dg, nm);
    zero(t->du, nm);
    TRY(pan_compute_swiglu_backward(c, &g, &u, &dh, &dg, &du));
    zero(t->da, ne);
    TRY(pan_train_linear_backward(c, t->dg, a->a2, rows, &bw->gate_w, t->da,
                                  &gw->gate_w,
                        &gw->gate_b));
    TRY(pan_train_linear_backward(c, t->du, a->a2, rows, &bw->up_w, t->da,
                                  &gw->up_w,
                        &gw->up_b));
    pan_tensor xm = mat(a->x_mid, rows, e), da = mat(t->da, rows, e);
    pan_tensor dx = mat(t->dx, rows, e);
    TRY(pan_compute_rms_norm_backward(c, &xm, &bw->norm2_w, &da, eps, &dx,
                                      &gw->norm2_w));
    /* x_mid = x_in + proj(att) */
    zero(t->datt, ne);
    TRY(pan_train_linear_backward(c, t->dx, a->att, rows, &bw->proj_w, t->datt,
                        &gw->proj_w, &gw->proj_b));
    pan_tensor q = heads4(a->q, n, z), k = heads4(a->k, n, z);
    pan_tensor v = heads4(a->v, n, z), att = heads4(a->att, n, z);
    pan_tensor datt = heads4(t->datt, n, z), dq = heads4(t->dq, n, z);
    pan_tensor dk = heads4(t->dk, n, z), dv = heads4(t->dv, n, z);
    pan_tensor lse;
    pan_tensor_init(&lse, a->lse, PAN_DTYPE_F32, 3, PAN_SHAPE(n, z->heads,
                                                              z->t));
    zero(t->dq, ne);
    zero(t->dk, ne);
    zero(t->dv, ne);
    TRY(pan_compute_attention_backward(c, &q, &k, &v, &att, &datt, &lse,
                                       PAN_ATTENTION_MASK_NONE,
                                       1.0f / sqrtf((float)z->hd), NULL, &dq,
                                       &dk, &dv));
    pan_tensor dqr = heads4(t->dqr, n, z), dkr = heads4(t->dkr, n, z);
    zero(t->dqr, ne);
    zero(t->dkr, ne);
    TRY(pan_compute_rope_backward(c, &dq, positions, 2, cfg->encoder.rope_theta,
                                  &dqr));
    TRY(pan_compute_rope_backward(c, &dk, positions, 2, cfg->encoder.rope_theta,
                                  &dkr));
    const float *dparts[3] = {t->dqr, t->dkr, t->dv};
    zero(t->da, ne);
    for (int i = 0; i < 3; i++) {
        pan_tensor w, b, dw, db;
        TRY(qkv_part(bw, i, e, &w, &b));
        TRY(qkv_part(gw, i, e, &dw, &db));
        TRY(pan_train_linear_backward(c, dparts[i], a->a1, rows, &w, t->da,
                                      &dw, &db));
    }
    pan_tensor xi = mat(a->x_in, rows, e);
    return pan_compute_rms_norm_backward(c, &xi, &bw->norm1_w, &da, eps, &dx,
                                         &gw->norm1_w);
}

pan_status pan_vit_train_backward(pan_compute *c, const pan_model *m,
                                  pan_vit_train *t, const pan_tensor *dtokens,
                                  pan_model_weights *grads,
                                  pan_tensor *dlatent) {
    static const char *fn = "vit_train_backward";
    if (!c || !m || !t || !grads)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model, training state and "
                             "gradients are required", fn);
    TRY(pan_train_check_config(fn, &t->cfg, m));
    if (t->n < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: no completed forward to go back through",
                             fn);
    const pan_model_config *cfg = &m->config;
    vit_sizes z = sizes_of(cfg);
    const int n = t->n;
    TRY(pan_train_check_f32(fn, "dtokens", dtokens, 3, PAN_SHAPE(n, z.s, z.d)));
    if (dlatent)
        TRY(pan_train_check_f32(fn, "dlatent", dlatent, 4,
                                PAN_SHAPE(n, cfg->vae.latent_channels,
                                          pan_latent_height(cfg),
                                          pan_latent_width(cfg))));
    const pan_vit_weights *w = &m->w.encoder;
    pan_vit_weights *gw = &grads->encoder;
    const int64_t rows = (int64_t)n * z.t, groups = (int64_t)n * z.s;
    const int64_t ne = rows * z.e;
    /* tokens = fc2(gelu(h1)); h1 = fc1(y) */
    zero(t->da, ne); /* d gelu(h1), (NS, m*m*E) */
    TRY(pan_train_linear_backward(c, dtokens->data, t->h1g, groups,
                                  &w->merger_fc2_w,
                        t->da, &gw->merger_fc2_w, &gw->merger_fc2_b));
    pan_tensor h1 = mat(t->h1, groups, z.m2e), dh1g = mat(t->da, groups, z.m2e);
    pan_tensor dh1 = mat(t->dq, groups, z.m2e);
    zero(t->dq, ne);
    TRY(pan_compute_gelu_backward(c, &h1, &dh1g, PAN_GELU_ERF, &dh1));
    zero(t->dk, ne); /* d y */
    TRY(pan_train_linear_backward(c, t->dq, t->y, groups, &w->merger_fc1_w,
                                  t->dk,
                        &gw->merger_fc1_w, &gw->merger_fc1_b));
    pan_tensor xf = mat(t->x_fin, rows, z.e), dy = mat(t->dk, rows, z.e);
    pan_tensor dx = mat(t->dx, rows, z.e);
    zero(t->dx, ne);
    TRY(pan_compute_rms_norm_backward(c, &xf, &w->merger_norm_w, &dy,
                                      cfg->encoder.norm_eps, &dx,
                                      &gw->merger_norm_w));
    pan_tensor positions;
    TRY(pan_tensor_init(&positions, t->pos, PAN_DTYPE_I32, 3,
                        PAN_SHAPE(n, z.t, 2)));
    for (int64_t l = z.layers - 1; l >= 0; l--)
        TRY(block_backward(c, cfg, &w->blocks[l], &gw->blocks[l], &z, n,
                           &t->layers[l], &positions, t));
    /* x_in[0] = patch_embed(patches) */
    if (dlatent) zero(t->dpatches, rows * z.pdim);
    TRY(pan_train_linear_backward(c, t->dx, t->patches, rows, &w->patch_embed_w,
                        dlatent ? t->dpatches : NULL, &gw->patch_embed_w,
                        &gw->patch_embed_b));
    if (dlatent)
        pan_vit_scatter_patches_add(t->dpatches, n, dlatent->shape[1],
                                    dlatent->shape[2], dlatent->shape[3],
                                    cfg->encoder.patch, cfg->encoder.merge,
                                    dlatent->data);
    return PAN_OK;
}
