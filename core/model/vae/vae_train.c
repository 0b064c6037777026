/* core/model/vae/vae_train.c: the VAE's training forwards and backwards
 * (contract in vae_train.h), as a tape: at creation the encoder and the
 * decoder are each written down once as a list of ops (conv, group norm,
 * SiLU, nearest upsampling, add) over numbered activations, in the order
 * of vae.c and vae_resblock.c; the forward runs the list, the backward runs
 * it in reverse, each op adding into the gradient of its inputs and of its
 * weights. Every activation has its own buffer and gradient buffer for
 * max_n images, carved from one arena.
 *
 * ResBlock(x): t1 = gn(x; norm1); s1 = silu(t1); c1 = conv1(s1);
 *   t2 = gn(c1; norm2); s2 = silu(t2); c2 = conv2(s2);
 *   out = c2 + (nin_shortcut(x) or x).
 * The weights an op uses are kept as byte offsets into pan_vae_weights, so
 * the same offset finds the gradient in a gradient block's binding. */
#include "core/model/vae/vae_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/train_util.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

#define MAX_ACTS 256
#define MAX_OPS 256

typedef enum vae_op_kind { OP_CONV, OP_GN, OP_SILU, OP_UPSAMPLE, OP_ADD } vae_op_kind;

typedef struct vae_act {
    int64_t c, h, w;   /* per image */
    float *data;       /* (max_n, c, h, w) */
    float *grad;       /* (max_n, c, h, w); NULL for the input */
} vae_act;

typedef struct vae_op {
    vae_op_kind kind;
    int in, in2, out;      /* activation indices (in2: OP_ADD only) */
    size_t w_off, b_off;   /* offsets of the weight and bias tensors */
    int stride, pad;       /* OP_CONV */
} vae_op;

typedef struct vae_tape {
    vae_act act[MAX_ACTS];
    vae_op op[MAX_OPS];
    int n_acts, n_ops;
    int n;                 /* images of the last forward (0: none) */
    bool overflow;
} vae_tape;

struct pan_vae_train {
    pan_model_config cfg;
    int max_n;
    size_t bytes;          /* the arena's size */
    pan_arena arena;
    vae_tape enc, dec;
};

/* ---- building the tapes ---- */

static int new_act(vae_tape *tp, int64_t c, int64_t h, int64_t w) {
    if (tp->n_acts >= MAX_ACTS) {
        tp->overflow = true;
        return 0;
    }
    tp->act[tp->n_acts] = (vae_act){.c = c, .h = h, .w = w};
    return tp->n_acts++;
}

static void add_op(vae_tape *tp, vae_op op) {
    if (tp->n_ops >= MAX_OPS) {
        tp->overflow = true;
        return;
    }
    tp->op[tp->n_ops++] = op;
}

static size_t off(const pan_vae_weights *base, const pan_tensor *p) {
    return (size_t)((const char *)p - (const char *)base);
}

/* Appends an op producing a new activation; returns its index. */
static int conv(vae_tape *tp, const pan_vae_weights *w, int in,
                const pan_tensor *wt, const pan_tensor *b, int stride, int pad) {
    const vae_act *a = &tp->act[in];
    int64_t kh = wt->shape[2];
    int64_t oh = (a->h + 2 * pad - kh) / stride + 1;
    int64_t ow = (a->w + 2 * pad - wt->shape[3]) / stride + 1;
    int out = new_act(tp, wt->shape[0], oh, ow);
    add_op(tp, (vae_op){.kind = OP_CONV, .in = in, .out = out,
                        .w_off = off(w, wt), .b_off = off(w, b),
                        .stride = stride, .pad = pad});
    return out;
}

static int unary(vae_tape *tp, vae_op_kind kind, int in, size_t w_off,
                 size_t b_off, int scale) {
    const vae_act *a = &tp->act[in];
    int out = new_act(tp, a->c, a->h * scale, a->w * scale);
    add_op(tp, (vae_op){.kind = kind, .in = in, .out = out, .w_off = w_off,
                        .b_off = b_off});
    return out;
}

static int norm_silu(vae_tape *tp, const pan_vae_weights *w, int in,
                     const pan_tensor *gamma, const pan_tensor *beta) {
    int g = unary(tp, OP_GN, in, off(w, gamma), off(w, beta), 1);
    return unary(tp, OP_SILU, g, 0, 0, 1);
}

static int resblock(vae_tape *tp, const pan_vae_weights *w,
                    const pan_resblock_weights *rb, int x) {
    int s1 = norm_silu(tp, w, x, &rb->norm1_w, &rb->norm1_b);
    int c1 = conv(tp, w, s1, &rb->conv1_w, &rb->conv1_b, 1, 1);
    int s2 = norm_silu(tp, w, c1, &rb->norm2_w, &rb->norm2_b);
    int c2 = conv(tp, w, s2, &rb->conv2_w, &rb->conv2_b, 1, 1);
    int sc = rb->shortcut_w.data
                 ? conv(tp, w, x, &rb->shortcut_w, &rb->shortcut_b, 1, 0)
                 : x;
    const vae_act *a = &tp->act[c2];
    int out = new_act(tp, a->c, a->h, a->w);
    add_op(tp, (vae_op){.kind = OP_ADD, .in = c2, .in2 = sc, .out = out});
    return out;
}

static void build_encoder(vae_tape *tp, const pan_model_config *cfg,
                          const pan_vae_weights *w) {
    const pan_vae_config *vc = &cfg->vae;
    int x = new_act(tp, cfg->frame.channels, cfg->frame.height,
                    cfg->frame.width);
    x = conv(tp, w, x, &w->enc_conv_in_w, &w->enc_conv_in_b, 1, 1);
    for (int i = 0; i < vc->levels; i++) {
        for (int j = 0; j < vc->res_blocks; j++)
            x = resblock(tp, w, &w->down[i].blocks[j], x);
        if (i < vc->levels - 1)
            x = conv(tp, w, x, &w->down[i].resample_w, &w->down[i].resample_b,
                     2, 1);
    }
    x = resblock(tp, w, &w->enc_mid, x);
    x = norm_silu(tp, w, x, &w->enc_norm_out_w, &w->enc_norm_out_b);
    conv(tp, w, x, &w->enc_conv_out_w, &w->enc_conv_out_b, 1, 1);
}

static void build_decoder(vae_tape *tp, const pan_model_config *cfg,
                          const pan_vae_weights *w) {
    const pan_vae_config *vc = &cfg->vae;
    int x = new_act(tp, vc->latent_channels, pan_latent_height(cfg),
                    pan_latent_width(cfg)); /* latent / scaling_factor */
    x = conv(tp, w, x, &w->dec_conv_in_w, &w->dec_conv_in_b, 1, 1);
    x = resblock(tp, w, &w->dec_mid, x);
    for (int i = vc->levels - 1; i >= 0; i--) {
        for (int j = 0; j < vc->res_blocks; j++)
            x = resblock(tp, w, &w->up[i].blocks[j], x);
        if (i > 0) {
            x = unary(tp, OP_UPSAMPLE, x, 0, 0, 2);
            x = conv(tp, w, x, &w->up[i].resample_w, &w->up[i].resample_b, 1,
                     1);
        }
    }
    x = norm_silu(tp, w, x, &w->dec_norm_out_w, &w->dec_norm_out_b);
    conv(tp, w, x, &w->dec_conv_out_w, &w->dec_conv_out_b, 1, 1);
}

/* Buffers of every activation (the input's too: a copy, which conv_in's
 * weight gradient reads) and a gradient buffer for each but the input,
 * unless `input_grad` (the decoder's latent). */
static void carve_tape(vae_tape *tp, int max_n, bool input_grad,
                       pan_arena_carver *cv) {
    for (int i = 0; i < tp->n_acts; i++) {
        vae_act *a = &tp->act[i];
        size_t bytes = (size_t)max_n * (size_t)(a->c * a->h * a->w) * sizeof(float);
        pan_arena_take(cv, (void **)&a->data, bytes);
        if (i > 0 || input_grad) pan_arena_take(cv, (void **)&a->grad, bytes);
    }
}

/* Both tapes' buffers for t->max_n images (ctx is the pan_vae_train). */
static void carve(void *ctx, pan_arena_carver *cv) {
    pan_vae_train *t = ctx;
    carve_tape(&t->enc, t->max_n, false, cv);
    carve_tape(&t->dec, t->max_n, true, cv);
}

/* The tapes are built against a config's shapes: a scratch model binding
 * of that config supplies the weight tensors (shapes and offsets only). */
static pan_status build(pan_vae_train *t) {
    pan_param_table table = {0};
    TRY(pan_params_build(&t->cfg, &table));
    float *block = aligned_alloc(64,
                                 ((size_t)table.total_floats * 4 + 63) / 64 * 64);
    pan_model_weights w = {0};
    pan_status st = block ? pan_params_bind(&table, block, &w)
                          : pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                          "vae_train: out of memory");
    if (st == PAN_OK) {
        build_encoder(&t->enc, &t->cfg, &w.vae);
        build_decoder(&t->dec, &t->cfg, &w.vae);
        if (t->enc.overflow || t->dec.overflow)
            st = pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                               "vae_train: the VAE has more than %d ops or "
                               "activations (levels %d, res_blocks %d)",
                               MAX_OPS, t->cfg.vae.levels,
                               t->cfg.vae.res_blocks);
    }
    pan_params_unbind(&w);
    free(block);
    pan_params_free(&table);
    return st;
}

static pan_status create(pan_vae_train **out, const pan_model_config *cfg,
                         int max_n, bool carve_it) {
    TRY(pan_model_config_validate(cfg));
    if (max_n < 1 || max_n > 65536)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vae_train: max_n must be 1..65536, got %d", max_n);
    pan_vae_train *t = calloc(1, sizeof *t);
    if (!t)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "vae_train: out of memory");
    t->cfg = *cfg;
    t->max_n = max_n;
    pan_status st = build(t);
    if (st == PAN_OK)
        st = pan_arena_carve(carve_it ? &t->arena : NULL,
                             "vae training activations", carve, t, &t->bytes);
    if (st != PAN_OK) {
        pan_vae_train_destroy(t);
        return st;
    }
    *out = t;
    return PAN_OK;
}

size_t pan_vae_train_bytes(const pan_model_config *cfg, int max_n) {
    pan_vae_train *t = NULL;
    if (!cfg || create(&t, cfg, max_n, false) != PAN_OK) return 0;
    size_t bytes = t->bytes;
    pan_vae_train_destroy(t);
    return bytes;
}

pan_status pan_vae_train_create(pan_vae_train **out,
                                const pan_model_config *cfg, int max_n) {
    if (!out || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "vae_train: expected a config and an output, "
                             "found NULL");
    return create(out, cfg, max_n, true);
}

void pan_vae_train_destroy(pan_vae_train *t) {
    if (!t) return;
    pan_arena_free(&t->arena);
    free(t);
}

/* ---- running the tapes ---- */

static pan_tensor view(const vae_act *a, int n, float *data) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 4, PAN_SHAPE(n, a->c, a->h, a->w));
    return t;
}

static const pan_tensor *weight(const pan_vae_weights *w, size_t offset) {
    return (const pan_tensor *)((const char *)w + offset);
}

static pan_tensor *grad_of(pan_vae_weights *g, size_t offset) {
    return (pan_tensor *)((char *)g + offset);
}

static pan_status run_forward(pan_compute *c, const pan_vae_config *vc,
                              const pan_vae_weights *w, vae_tape *tp, int n) {
    for (int i = 0; i < tp->n_ops; i++) {
        const vae_op *op = &tp->op[i];
        const vae_act *in = &tp->act[op->in], *out = &tp->act[op->out];
        pan_tensor x = view(in, n, in->data), y = view(out, n, out->data);
        switch (op->kind) {
        case OP_CONV:
            TRY(pan_compute_conv2d(c, &y, &x, weight(w, op->w_off),
                                   weight(w, op->b_off), op->stride, op->pad));
            break;
        case OP_GN:
            TRY(pan_compute_group_norm(c, &y, &x, weight(w, op->w_off),
                                       weight(w, op->b_off), vc->norm_groups,
                                       vc->norm_eps));
            break;
        case OP_SILU: TRY(pan_compute_silu(c, &y, &x)); break;
        case OP_UPSAMPLE: TRY(pan_compute_upsample_nearest(c, &y, &x,
                                                           2)); break;
        case OP_ADD: {
            const vae_act *in2 = &tp->act[op->in2];
            pan_tensor x2 = view(in2, n, in2->data);
            TRY(pan_compute_add(c, &y, &x, &x2));
            break;
        }
        }
    }
    return PAN_OK;
}

/* Zeroes every gradient buffer, puts dout into the last activation's, and
 * runs the ops in reverse. */
static pan_status run_backward(pan_compute *c, const pan_vae_config *vc,
                               const pan_vae_weights *w, pan_vae_weights *g,
                               vae_tape *tp, const float *dout) {
    const int n = tp->n;
    for (int i = 0; i < tp->n_acts; i++) {
        vae_act *a = &tp->act[i];
        if (a->grad)
            memset(a->grad, 0,
                   (size_t)n * (size_t)(a->c * a->h * a->w) * sizeof(float));
    }
    vae_act *last = &tp->act[tp->n_acts - 1];
    memcpy(last->grad, dout,
           (size_t)n * (size_t)(last->c * last->h * last->w) * sizeof(float));
    for (int i = tp->n_ops - 1; i >= 0; i--) {
        const vae_op *op = &tp->op[i];
        vae_act *in = &tp->act[op->in], *out = &tp->act[op->out];
        pan_tensor x = view(in, n, in->data), dy = view(out, n, out->grad);
        pan_tensor dx = view(in, n, in->grad);
        pan_tensor *dxp = in->grad ? &dx : NULL;
        switch (op->kind) {
        case OP_CONV:
            TRY(pan_compute_conv2d_backward(c, &x, weight(w, op->w_off), &dy,
                                            op->stride, op->pad, dxp,
                                            grad_of(g, op->w_off),
                                            grad_of(g, op->b_off)));
            break;
        case OP_GN:
            TRY(pan_compute_group_norm_backward(
                c, &x, weight(w, op->w_off), &dy, vc->norm_groups, vc->norm_eps,
                dxp, grad_of(g, op->w_off), grad_of(g, op->b_off)));
            break;
        case OP_SILU:
            if (dxp) TRY(pan_compute_silu_backward(c, &x, &dy, dxp));
            break;
        case OP_UPSAMPLE:
            if (dxp) TRY(pan_compute_upsample_nearest_backward(c, &dy, 2, dxp));
            break;
        case OP_ADD: {
            vae_act *in2 = &tp->act[op->in2];
            pan_tensor dx2 = view(in2, n, in2->grad);
            if (dxp) TRY(pan_compute_add(c, dxp, dxp, &dy));
            if (in2->grad) TRY(pan_compute_add(c, &dx2, &dx2, &dy));
            break;
        }
        }
    }
    return PAN_OK;
}

/* ---- the public calls ---- */

/* t must be f32 (n, c, h, w), contiguous, with data. */
static pan_status check(const char *fn, const pan_tensor *t, int n,
                        int64_t c, int64_t h, int64_t w, const char *what) {
    return pan_train_check_f32(fn, what, t, 4, PAN_SHAPE(n, c, h, w));
}

static pan_status check_call(const char *fn, const pan_model *m,
                             const pan_vae_train *t, const pan_tensor *lead,
                             int *n) {
    if (!m || !t)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: model and training state are required", fn);
    TRY(pan_train_check_config(fn, &t->cfg, m));
    int64_t k = lead && lead->ndim == 4 ? lead->shape[0] : 0;
    if (k < 1 || k > t->max_n)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: a batch of 1..%d expected, found %lld", fn,
                             t->max_n, (long long)k);
    *n = (int)k;
    return PAN_OK;
}

pan_status pan_vae_train_encode(pan_compute *c, const pan_model *m,
                                pan_vae_train *t, const pan_tensor *images,
                                pan_tensor *moments) {
    static const char *fn = "vae_train_encode";
    int n = 0;
    TRY(check_call(fn, m, t, images, &n));
    const vae_act *in = &t->enc.act[0], *out = &t->enc.act[t->enc.n_acts - 1];
    TRY(check(fn, images, n, in->c, in->h, in->w, "images"));
    TRY(check(fn, moments, n, out->c, out->h, out->w, "moments"));
    t->enc.n = 0;
    memcpy(in->data, images->data,
           (size_t)n * (size_t)(in->c * in->h * in->w) * sizeof(float));
    TRY(run_forward(c, &t->cfg.vae, &m->w.vae, &t->enc, n));
    memcpy(moments->data, out->data,
           (size_t)n * (size_t)(out->c * out->h * out->w) * sizeof(float));
    t->enc.n = n;
    return PAN_OK;
}

pan_status pan_vae_train_encode_backward(pan_compute *c, const pan_model *m,
                                         pan_vae_train *t,
                                         const pan_tensor *dmoments,
                                         pan_model_weights *grads) {
    static const char *fn = "vae_train_encode_backward";
    int n = 0;
    TRY(check_call(fn, m, t, dmoments, &n));
    if (!grads || t->enc.n < 1 || n != t->enc.n)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: gradients and a completed encode of the same "
                             "batch are required (last encode: %d images, "
                             "dmoments: %d)", fn, t->enc.n, n);
    const vae_act *out = &t->enc.act[t->enc.n_acts - 1];
    TRY(check(fn, dmoments, n, out->c, out->h, out->w, "dmoments"));
    return run_backward(c, &t->cfg.vae, &m->w.vae, &grads->vae, &t->enc,
                        dmoments->data);
}

pan_status pan_vae_train_decode(pan_compute *c, const pan_model *m,
                                pan_vae_train *t, const pan_tensor *latent,
                                pan_tensor *images) {
    static const char *fn = "vae_train_decode";
    int n = 0;
    TRY(check_call(fn, m, t, latent, &n));
    const vae_act *in = &t->dec.act[0], *out = &t->dec.act[t->dec.n_acts - 1];
    TRY(check(fn, latent, n, in->c, in->h, in->w, "latent"));
    TRY(check(fn, images, n, out->c, out->h, out->w, "images"));
    t->dec.n = 0;
    const float s = t->cfg.vae.scaling_factor, *src = latent->data;
    int64_t count = (int64_t)n * in->c * in->h * in->w;
    for (int64_t i = 0; i < count; i++) in->data[i] = src[i] / s;
    TRY(run_forward(c, &t->cfg.vae, &m->w.vae, &t->dec, n));
    memcpy(images->data, out->data,
           (size_t)n * (size_t)(out->c * out->h * out->w) * sizeof(float));
    t->dec.n = n;
    return PAN_OK;
}

pan_status pan_vae_train_decode_backward(pan_compute *c, const pan_model *m,
                                         pan_vae_train *t,
                                         const pan_tensor *dimages,
                                         pan_model_weights *grads,
                                         pan_tensor *dlatent) {
    static const char *fn = "vae_train_decode_backward";
    int n = 0;
    TRY(check_call(fn, m, t, dimages, &n));
    if (!grads || t->dec.n < 1 || n != t->dec.n)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: gradients and a completed decode of the same "
                             "batch are required (last decode: %d images, "
                             "dimages: %d)", fn, t->dec.n, n);
    const vae_act *in = &t->dec.act[0], *out = &t->dec.act[t->dec.n_acts - 1];
    TRY(check(fn, dimages, n, out->c, out->h, out->w, "dimages"));
    if (dlatent) TRY(check(fn, dlatent, n, in->c, in->h, in->w, "dlatent"));
    TRY(run_backward(c, &t->cfg.vae, &m->w.vae, &grads->vae, &t->dec,
                     dimages->data));
    if (dlatent) { /* input = latent / scaling_factor */
        const float s = t->cfg.vae.scaling_factor;
        float *dl = dlatent->data;
        int64_t count = (int64_t)n * in->c * in->h * in->w;
        for (int64_t i = 0; i < count; i++) dl[i] += in->grad[i] / s;
    }
    return PAN_OK;
}
