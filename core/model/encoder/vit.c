/* core/model/encoder/vit.c: the vision encoder h (docs/model.md, "Vision encoder
 * h"): patch embedding, pre-norm transformer blocks with 2-D RoPE, and the
 * merger MLP. Linear layers are single matmuls over (N*T, E) rows. */
#include "core/model/encoder/vit.h"

#include <math.h>

#include "core/model/encoder/vit_patches.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

/* Sizes of one call, from the config and the batch. */
typedef struct vit_dims {
    int64_t n, t, e, heads, hd, mlp, pdim, s, m2e, d;
} vit_dims;

static vit_dims vit_dims_of(const pan_model_config *cfg, int64_t n) {
    const pan_encoder_config *ec = &cfg->encoder;
    vit_dims d;
    d.n = n;
    d.t = pan_encoder_patches(cfg);
    d.e = ec->dim;
    d.heads = ec->heads;
    d.hd = ec->dim / ec->heads;
    d.mlp = ec->mlp_dim;
    d.pdim = (int64_t)cfg->vae.latent_channels * ec->patch * ec->patch;
    d.s = pan_state_tokens(cfg);
    d.m2e = (int64_t)ec->merge * ec->merge * ec->dim;
    d.d = cfg->backbone.dim;
    return d;
}

static size_t round64(size_t bytes) {
    return (bytes + PAN_ARENA_ALIGN - 1) & ~(size_t)(PAN_ARENA_ALIGN - 1);
}

/* Scratch layout of one call (each block 64-byte aligned):
 *   patches f32 (N*T, P); positions i32 (N, T, 2);
 *   x, a, q, k, v f32 (N*T, E); g, u f32 (N*T, M). */
typedef struct vit_scratch {
    float *patches;    /* (N*T, P) */
    int32_t *pos;      /* (N, T, 2) */
    float *x;          /* (N*T, E) residual stream */
    float *a;          /* (N*T, E) normed input / attention output */
    float *q, *k, *v;  /* (N*T, E) = (N, T, heads, hd); q holds the merger
                        * hidden (N*S, m2*E) at the end */
    float *g, *u;      /* (N*T, M) gate, up */
} vit_scratch;

static size_t scratch_bytes_of(const vit_dims *d) {
    size_t nt = (size_t)(d->n * d->t);
    return round64(nt * (size_t)d->pdim * sizeof(float)) +
           round64(nt * 2 * sizeof(int32_t)) +
           5 * round64(nt * (size_t)d->e * sizeof(float)) +
           2 * round64(nt * (size_t)d->mlp * sizeof(float));
}

size_t pan_vit_scratch_bytes(const pan_model_config *cfg, int n) {
    if (!cfg || n <= 0) return 0;
    vit_dims d = vit_dims_of(cfg, n);
    return scratch_bytes_of(&d) + PAN_ARENA_ALIGN; /* unaligned mark */
}

static pan_status take_scratch(pan_arena *arena, const vit_dims *d,
                               vit_scratch *s) {
    size_t nt = (size_t)(d->n * d->t);
    size_t fe = nt * (size_t)d->e * sizeof(float), fm = nt * (size_t)d->mlp * sizeof(float);
    void **slots[9] = {(void **)&s->patches, (void **)&s->pos, (void **)&s->x,
                       (void **)&s->a, (void **)&s->q, (void **)&s->k,
                       (void **)&s->v, (void **)&s->g, (void **)&s->u};
    size_t sizes[9] = {nt * (size_t)d->pdim * sizeof(float), nt * 2 * sizeof(int32_t),
                       fe, fe, fe, fe, fe, fm, fm};
    for (int i = 0; i < 9; i++) {
        *slots[i] = pan_arena_alloc(arena, sizes[i], PAN_ARENA_ALIGN);
        if (!*slots[i]) return PAN_ERR_RESOURCE_EXHAUSTED; /* message set */
    }
    return PAN_OK;
}

static pan_status check_shape(const char *what, const pan_tensor *t,
                              const int64_t *want, int ndim) {
    pan_tensor expected;
    pan_tensor_init(&expected, NULL, PAN_DTYPE_F32, ndim, want);
    if (t && t->dtype == PAN_DTYPE_F32 && pan_tensor_same_shape(t, &expected) &&
        pan_tensor_is_contiguous(t) && (t->data || pan_tensor_numel(t) == 0))
        return PAN_OK;
    char got[64], exp[64];
    const char *dtype = t ? pan_dtype_name(t->dtype) : NULL;
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "vit_forward: %s has shape %s (%s%s), expected %s "
                         "(f32, contiguous; from the model config)",
                         what, t ? pan_tensor_shape_str(t, got, sizeof got) : "none",
                         dtype ? dtype : "?",
                         t && !pan_tensor_is_contiguous(t) ? ", strided" : "",
                         pan_tensor_shape_str(&expected, exp, sizeof exp));
}

/* out (rows, n_out) = in (rows, n_in) @ w^T + b, or += when accumulate. */
static pan_status linear(pan_compute *c, float *out, const float *in,
                         int64_t rows, const pan_tensor *w, const pan_tensor *b,
                         bool accumulate) {
    pan_tensor to, ti; /* (rows, w.shape[0]), (rows, w.shape[1]) */
    TRY(pan_tensor_init(&ti, (void *)in, PAN_DTYPE_F32, 2,
                        PAN_SHAPE(rows, w->shape[1])));
    TRY(pan_tensor_init(&to, out, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, w->shape[0])));
    return pan_compute_matmul(c, &to, &ti, w, b, false, true, 1.0f,
                              accumulate ? 1.0f : 0.0f);
}

static pan_status rms(pan_compute *c, const vit_dims *d, float *out,
                      const float *x, const pan_tensor *gamma, float eps) {
    pan_tensor to, tx; /* (N*T, E) */
    TRY(pan_tensor_init(&tx, (void *)x, PAN_DTYPE_F32, 2, PAN_SHAPE(d->n * d->t, d->e)));
    TRY(pan_tensor_init(&to, out, PAN_DTYPE_F32, 2, PAN_SHAPE(d->n * d->t, d->e)));
    return pan_compute_rms_norm(c, &to, &tx, gamma, eps);
}

static pan_status block(pan_compute *c, const pan_model_config *cfg,
                        const pan_vit_block_weights *bw, const vit_dims *d,
                        vit_scratch *s, const pan_tensor *positions) {
    const float eps = cfg->encoder.norm_eps;
    const int64_t rows = d->n * d->t, e = d->e;
    /* a = rms(x; norm1); q, k, v = rows 0..E, E..2E, 2E..3E of qkv */
    TRY(rms(c, d, s->a, s->x, &bw->norm1_w, eps));
    float *dst[3] = {s->q, s->k, s->v};
    for (int i = 0; i < 3; i++) {
        pan_tensor w, b; /* (E, E), (E) */
        TRY(pan_tensor_slice(&bw->qkv_w, 0, i * e, e, &w));
        TRY(pan_tensor_slice(&bw->qkv_b, 0, i * e, e, &b));
        TRY(linear(c, dst[i], s->a, rows, &w, &b, false));
    }
    pan_tensor q, k, v, att; /* (N, T, heads, hd) */
    const int64_t *hs = PAN_SHAPE(d->n, d->t, d->heads, d->hd);
    TRY(pan_tensor_init(&q, s->q, PAN_DTYPE_F32, 4, hs));
    TRY(pan_tensor_init(&k, s->k, PAN_DTYPE_F32, 4, hs));
    TRY(pan_tensor_init(&v, s->v, PAN_DTYPE_F32, 4, hs));
    TRY(pan_tensor_init(&att, s->a, PAN_DTYPE_F32, 4, hs));
    TRY(pan_compute_rope(c, &q, &q, positions, 2, cfg->encoder.rope_theta));
    TRY(pan_compute_rope(c, &k, &k, positions, 2, cfg->encoder.rope_theta));
    TRY(pan_compute_attention(c, &att, &q, &k, &v, PAN_ATTENTION_MASK_NONE,
                              1.0f / sqrtf((float)d->hd), NULL));
    /* x += proj(att) */
    TRY(linear(c, s->x, s->a, rows, &bw->proj_w, &bw->proj_b, true));
    /* x += down(silu(gate(a)) * up(a)), a = rms(x; norm2) */
    TRY(rms(c, d, s->a, s->x, &bw->norm2_w, eps));
    TRY(linear(c, s->g, s->a, rows, &bw->gate_w, &bw->gate_b, false));
    TRY(linear(c, s->u, s->a, rows, &bw->up_w, &bw->up_b, false));
    pan_tensor g, u; /* (N*T, M) */
    TRY(pan_tensor_init(&g, s->g, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, d->mlp)));
    TRY(pan_tensor_init(&u, s->u, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, d->mlp)));
    TRY(pan_compute_swiglu(c, &g, &g, &u));
    return linear(c, s->x, s->g, rows, &bw->down_w, &bw->down_b, true);
}

static pan_status forward(pan_compute *c, const pan_model *m,
                          const vit_dims *d, vit_scratch *s,
                          const pan_tensor *latent, pan_tensor *tokens) {
    const pan_model_config *cfg = &m->config;
    const pan_vit_weights *w = &m->w.encoder;
    const int64_t rows = d->n * d->t;

    pan_vit_gather_patches(latent->data, d->n, latent->shape[1],
                           latent->shape[2], latent->shape[3],
                           cfg->encoder.patch, cfg->encoder.merge, s->patches,
                           s->pos);
    pan_tensor positions; /* i32 (N, T, 2) */
    TRY(pan_tensor_init(&positions, s->pos, PAN_DTYPE_I32, 3,
                        PAN_SHAPE(d->n, d->t, 2)));
    /* x (N*T, E) = patch_embed(patches) */
    TRY(linear(c, s->x, s->patches, rows, &w->patch_embed_w, &w->patch_embed_b,
               false));
    for (int i = 0; i < cfg->encoder.layers; i++)
        TRY(block(c, cfg, &w->blocks[i], d, s, &positions));
    /* merger: y = rms(x; ln_q) as (N*S, m*m*E); out = fc2(gelu(fc1(y))) */
    TRY(rms(c, d, s->a, s->x, &w->merger_norm_w, cfg->encoder.norm_eps));
    const int64_t groups = d->n * d->s;
    TRY(linear(c, s->q, s->a, groups, &w->merger_fc1_w, &w->merger_fc1_b, false));
    pan_tensor hidden; /* (N*S, m*m*E) */
    TRY(pan_tensor_init(&hidden, s->q, PAN_DTYPE_F32, 2, PAN_SHAPE(groups, d->m2e)));
    TRY(pan_compute_gelu(c, &hidden, &hidden, PAN_GELU_ERF));
    return linear(c, tokens->data, s->q, groups, &w->merger_fc2_w,
                  &w->merger_fc2_b, false);
}

pan_status pan_vit_forward(pan_compute *c, const pan_model *m,
                           pan_arena *scratch, const pan_tensor *latent,
                           pan_tensor *tokens) {
    if (!c || !m || !scratch)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vit_forward: compute, model and scratch are required");
    const pan_model_config *cfg = &m->config;
    if (!latent || latent->ndim != 4 || latent->shape[0] < 1) {
        char got[64];
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vit_forward: latent has shape %s, expected 4 "
                             "dimensions (N, %d, %d, %d) with N >= 1",
                             latent ? pan_tensor_shape_str(latent, got, sizeof got)
                                    : "none",
                             cfg->vae.latent_channels, pan_latent_height(cfg),
                             pan_latent_width(cfg));
    }
    vit_dims d = vit_dims_of(cfg, latent->shape[0]);
    TRY(check_shape("latent", latent,
                    PAN_SHAPE(d.n, cfg->vae.latent_channels,
                              pan_latent_height(cfg), pan_latent_width(cfg)),
                    4));
    TRY(check_shape("tokens", tokens, PAN_SHAPE(d.n, d.s, d.d), 3));

    size_t mark = pan_arena_mark(scratch);
    vit_scratch s;
    pan_status status = take_scratch(scratch, &d, &s);
    if (status == PAN_OK) status = forward(c, m, &d, &s, latent, tokens);
    pan_arena_rewind(scratch, mark);
    return status;
}
