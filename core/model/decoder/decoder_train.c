/* core/model/decoder/decoder_train.c: the decoder's training forward
 * (every block's activations kept) and its backward, side by side
 * (contract in decoder_train.h; the forward mirrors decoder.c and
 * decoder_block.c op for op).
 *
 * Rows: R = B * n * Tf token rows, FR = B * n frame rows, CR = B * n_conds
 * conditions. Per block, with (sh1 sc1 g1 sh2 sc2 g2) = ada(c) per frame:
 *   ln1 = LN(x_in); a1 = ln1 * (1 + sc1) + sh1; q k v = lin(a1)
 *   o = attention(q, k, v) (block mask); y1 = proj(o); x1 = x_in + g1 * y1
 *   cn = LN(x1; cross_norm); cq = cross.q(cn)
 *   oa = attention(cq, action keys), os = attention(cq, state keys)
 *   x2 = x1 + action_out(oa) + state_out(os)    (conditioned frames' rows)
 *   ln2 = LN(x2); a2 = ln2 * (1 + sc2) + sh2; hp = fc1(a2); hg = gelu(hp)
 *   y2 = fc2(hg); x_out = x2 + g2 * y2
 * Final: lnf = LN(x); af = lnf * (1 + sc) + sh; v = unpatchify(final(af)). */
#include "core/model/decoder/decoder_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/model/train_util.h"
#include "core/model/backbone/tokenizer.h"
#include "core/model/decoder/decoder_internal.h"
#include "core/model/decoder/decoder_train_internal.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

/* ---- helpers ---- */

static pan_tensor rows3(const float *data, int64_t a, int64_t b, int64_t c) {
    pan_tensor t;
    pan_tensor_init(&t, (void *)data, PAN_DTYPE_F32, 3, PAN_SHAPE(a, b, c));
    return t;
}

static pan_tensor heads4(const float *data, int64_t b, int64_t t, int64_t h,
                         int64_t hd) {
    pan_tensor x;
    pan_tensor_init(&x, (void *)data, PAN_DTYPE_F32, 4, PAN_SHAPE(b, t, h, hd));
    return x;
}

static pan_tensor mat(const float *p, int64_t r, int64_t c) {
    return pan_train_mat(p, r, c);
}

static void zero(float *p, int64_t n) { pan_train_zero(p, n); }

/* ---- forward ---- */

static void plan(const pan_model *m, pan_decoder_train *t,
                 const pan_decoder_condition *conds, const float *sigmas) {
    const pan_dit_weights *g = &m->w.decoder;
    dit_sizes s = pan_dit_sizes_of(&t->cfg);
    for (int i = 0; i < t->batch * t->n; i++)
        t->sigma[i] = sigmas ? sigmas[i] : t->frames[i % t->n].sigma;
    for (int j = 0; j < t->n; j++)
        for (int64_t k = 0; k < s.tf; k++)
            t->q_block[j * s.tf + k] = t->frames[j].block;
    const float *embed = m->w.backbone.embed_tokens.data; /* (V, dm) */
    const float *pos = g->action_pos.data;                /* (A, dm) */
    int key = 0;
    for (int i = 0; i < t->batch * t->n_conds; i++) {
        const pan_decoder_condition *cd = &conds[i];
        float *e = t->emb + (int64_t)key * s.dm;
        float *st = t->states + (int64_t)i * s.Q * s.dm;
        t->act_start[i] = key;
        t->null_cond[i] = cd->null;
        if (cd->null) {
            memcpy(e, g->null_action.data, (size_t)s.dm * sizeof(float));
            memcpy(st, g->null_state.data,
                   (size_t)(s.Q * s.dm) * sizeof(float));
            t->act_ids[key] = -1;
            t->act_len[i] = 1;
            key += 1;
            continue;
        }
        for (int k = 0; k <= cd->action_len; k++) {
            int id = k < cd->action_len ? cd->action[k] : PAN_TOKEN_END;
            t->act_ids[key + k] = id;
            for (int64_t x = 0; x < s.dm; x++)
                e[k * s.dm + x] = embed[id * s.dm + x] + pos[k * s.dm + x];
        }
        memcpy(st, cd->state, (size_t)(s.Q * s.dm) * sizeof(float));
        t->act_len[i] = cd->action_len + 1;
        key += cd->action_len + 1;
    }
}

static pan_status embed_forward(pan_compute *c, const pan_model *m,
                                pan_decoder_train *t, const dit_sizes *s,
                                const float *latents) {
    const pan_dit_weights *g = &m->w.decoder;
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s->tf;
    pan_tensor img, tok;
    pan_tensor_init(&img, (void *)latents, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(fr, s->z, s->lh, s->lw));
    tok = rows3(t->patches_in, fr, s->tf, s->P);
    TRY(pan_compute_patchify(c, &tok, &img, (int)s->patch));
    float *x = t->layers[0].x_in;
    TRY(pan_train_linear(c, x, t->patches_in, R, &g->patch_embed_w,
                         &g->patch_embed_b, 0));
    const float *pos = g->pos_embed.data, *fe = g->frame_embed.data;
    for (int64_t r = 0; r < fr; r++) {
        const float *slot = fe + (int64_t)t->frames[r % t->n].slot * s->D;
        for (int64_t k = 0; k < s->tf; k++) {
            float *row = x + (r * s->tf + k) * s->D;
            for (int64_t i = 0; i < s->D; i++) row[i] += pos[k * s->D + i] + slot[i];
        }
    }
    /* time: cvec = silu(fc2(silu(fc1(sincos(1000 sigma))))) */
    int64_t half = s->F / 2;
    for (int64_t r = 0; r < fr; r++) {
        double tt = 1000.0 * (double)t->sigma[r];
        float *e = t->freq + r * s->F;
        for (int64_t i = 0; i < half; i++) {
            double w = exp(-log(10000.0) * (double)i / (double)half);
            e[i] = (float)cos(tt * w);
            e[half + i] = (float)sin(tt * w);
        }
    }
    TRY(pan_train_linear(c, t->t1, t->freq, fr, &g->time_fc1_w, &g->time_fc1_b,
                         0));
    pan_tensor t1 = mat(t->t1, fr, s->D), s1 = mat(t->s1, fr, s->D);
    TRY(pan_compute_silu(c, &s1, &t1));
    TRY(pan_train_linear(c, t->t2, t->s1, fr, &g->time_fc2_w, &g->time_fc2_b,
                         0));
    pan_tensor t2 = mat(t->t2, fr, s->D), cv = mat(t->cvec, fr, s->D);
    return pan_compute_silu(c, &cv, &t2);
}

/* out = LN(x) (no affine) then modulate by parts (shift, scale). */
static pan_status norm_modulate(pan_compute *c, const pan_decoder_train *t,
                                const dit_sizes *s, const float *x, float *ln,
                                float *out, const float *mp, int shift,
                                int scale) {
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s->tf;
    pan_tensor tx = mat(x, R, s->D), tl = mat(ln, R, s->D);
    TRY(pan_compute_layer_norm(c, &tl, &tx, NULL, NULL,
                               t->cfg.decoder.norm_eps));
    pan_tensor l3 = rows3(ln, fr, s->tf, s->D), o3 = rows3(out, fr, s->tf,
                                                           s->D);
    pan_tensor sh = mat(mp + shift * fr * s->D, fr, s->D);
    pan_tensor sc = mat(mp + scale * fr * s->D, fr, s->D);
    return pan_compute_modulate(c, &o3, &l3, &sh, &sc);
}

static pan_status gated(pan_compute *c, const pan_decoder_train *t,
                        const dit_sizes *s, float *out, const float *res,
                        const float *y, const float *mp, int gate) {
    int64_t fr = (int64_t)t->batch * t->n;
    pan_tensor o3 = rows3(out, fr, s->tf, s->D), r3 = rows3(res, fr, s->tf,
                                                            s->D);
    pan_tensor y3 = rows3(y, fr, s->tf, s->D);
    pan_tensor g = mat(mp + gate * fr * s->D, fr, s->D);
    return pan_compute_gate_add(c, &o3, &r3, &y3, &g);
}

/* Calls fn(ctx, row0, rows, ci) for every run of consecutive conditioned
 * frames with one condition, item by item. */
typedef pan_status (*run_fn)(void *ctx, int64_t row0, int64_t rows, int ci);

static pan_status each_run(const pan_decoder_train *t, run_fn fn, void *ctx) {
    for (int b = 0; b < t->batch; b++)
        for (int f = t->first_cond_frame; f < t->n;) {
            int cond = t->frames[f].cond, e = f;
            while (e < t->n && t->frames[e].cond == cond) e++;
            TRY(fn(ctx, ((int64_t)b * t->n + f) * t->tf,
                   (int64_t)(e - f) * t->tf, b * t->n_conds + cond));
            f = e;
        }
    return PAN_OK;
}

typedef struct cross_ctx {
    pan_compute *c;
    pan_decoder_train *t;
    const dit_sizes *s;
    dit_layer_acts *a;
} cross_ctx;

static pan_status cross_run_forward(void *vctx, int64_t row0, int64_t rows,
                                    int ci) {
    cross_ctx *x = vctx;
    const dit_sizes *s = x->s;
    dit_layer_acts *a = x->a;
    const pan_decoder_train *t = x->t;
    float scale = 1.0f / sqrtf((float)s->hd);
    pan_tensor q = heads4(a->cq + row0 * s->D, 1, rows, s->H, s->hd);
    int64_t k0 = t->act_start[ci], kl = t->act_len[ci];
    pan_tensor ka = heads4(a->ak + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor va = heads4(a->av + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor oa = heads4(a->oa + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor la;
    pan_tensor_init(&la, a->lse_a + s->H * row0, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(1, s->H, rows));
    pan_attention_extra ea = {.lse = &la};
    TRY(pan_compute_attention(x->c, &oa, &q, &ka, &va, PAN_ATTENTION_MASK_NONE,
                              scale, &ea));
    int64_t s0 = (int64_t)ci * s->Q;
    pan_tensor ks = heads4(a->sk + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor vs = heads4(a->sv + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor os = heads4(a->os + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor ls;
    pan_tensor_init(&ls, a->lse_s + s->H * row0, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(1, s->H, rows));
    pan_attention_extra es = {.lse = &ls};
    return pan_compute_attention(x->c, &os, &q, &ks, &vs,
                                 PAN_ATTENTION_MASK_NONE, scale, &es);
}

static bool has_cross(const pan_decoder_train *t) {
    return t->n_conds > 0 && t->first_cond_frame < t->n;
}

static pan_status block_forward(pan_compute *c, const pan_dit_block_weights *w,
                                pan_decoder_train *t, const dit_sizes *s,
                                dit_layer_acts *a, float *x_out) {
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s->tf, D = s->D;
    TRY(pan_train_linear(c, t->mod, t->cvec, fr, &w->ada_w, &w->ada_b, 0));
    for (int64_t r = 0; r < fr; r++)
        for (int p = 0; p < 6; p++)
            memcpy(a->mp + ((int64_t)p * fr + r) * D, t->mod + (r * 6 + p) * D,
                   (size_t)D * sizeof(float));
    /* self-attention */
    TRY(norm_modulate(c, t, s, a->x_in, a->ln1, a->a1, a->mp, 0, 1));
    TRY(pan_train_linear(c, a->q, a->a1, R, &w->q_w, &w->q_b, 0));
    TRY(pan_train_linear(c, a->k, a->a1, R, &w->k_w, &w->k_b, 0));
    TRY(pan_train_linear(c, a->v, a->a1, R, &w->v_w, &w->v_b, 0));
    int64_t tn = (int64_t)t->n * s->tf;
    pan_tensor q = heads4(a->q, t->batch, tn, s->H, s->hd);
    pan_tensor k = heads4(a->k, t->batch, tn, s->H, s->hd);
    pan_tensor v = heads4(a->v, t->batch, tn, s->H, s->hd);
    pan_tensor o = heads4(a->o, t->batch, tn, s->H, s->hd);
    pan_tensor qb, lse;
    pan_tensor_init(&qb, t->q_block, PAN_DTYPE_I32, 1, PAN_SHAPE(tn));
    pan_tensor_init(&lse, a->lse, PAN_DTYPE_F32, 3, PAN_SHAPE(t->batch, s->H,
                                                              tn));
    pan_attention_extra ex = {.q_block = &qb, .k_block = &qb, .lse = &lse};
    TRY(pan_compute_attention(c, &o, &q, &k, &v, PAN_ATTENTION_MASK_BLOCK,
                              1.0f / sqrtf((float)s->hd), &ex));
    TRY(pan_train_linear(c, a->y1, a->o, R, &w->proj_w, &w->proj_b, 0));
    TRY(gated(c, t, s, a->x1, a->x_in, a->y1, a->mp, 2));
    /* cross-attention on the conditioned frames' rows */
    memcpy(a->x2, a->x1, (size_t)(R * D) * sizeof(float));
    if (has_cross(t)) {
        pan_tensor tx1 = mat(a->x1, R, D), tcn = mat(a->cn, R, D);
        TRY(pan_compute_layer_norm(c, &tcn, &tx1, &w->cross_norm_w,
                                   &w->cross_norm_b, t->cfg.decoder.norm_eps));
        TRY(pan_train_linear(c, a->cq, a->cn, R, &w->cq_w, &w->cq_b, 0));
        int64_t cr = (int64_t)t->batch * t->n_conds;
        int64_t keys = t->act_start[cr - 1] + t->act_len[cr - 1];
        TRY(pan_train_linear(c, a->ak, t->emb, keys, &w->ak_w, &w->ak_b, 0));
        TRY(pan_train_linear(c, a->av, t->emb, keys, &w->av_w, &w->av_b, 0));
        TRY(pan_train_linear(c, a->sk, t->states, cr * s->Q, &w->sk_w,
                             &w->sk_b, 0));
        TRY(pan_train_linear(c, a->sv, t->states, cr * s->Q, &w->sv_w,
                             &w->sv_b, 0));
        cross_ctx cx = {c, t, s, a};
        TRY(each_run(t, cross_run_forward, &cx));
        for (int b = 0; b < t->batch; b++) {
            int64_t row0 = ((int64_t)b * t->n + t->first_cond_frame) * s->tf;
            int64_t len = (int64_t)(t->n - t->first_cond_frame) * s->tf;
            TRY(pan_train_linear(c, a->x2 + row0 * D, a->oa + row0 * D, len,
                                 &w->aout_w,
                       &w->aout_b, 1.0f));
            TRY(pan_train_linear(c, a->x2 + row0 * D, a->os + row0 * D, len,
                                 &w->sout_w,
                       &w->sout_b, 1.0f));
        }
    }
    /* MLP */
    TRY(norm_modulate(c, t, s, a->x2, a->ln2, a->a2, a->mp, 3, 4));
    TRY(pan_train_linear(c, a->hp, a->a2, R, &w->fc1_w, &w->fc1_b, 0));
    pan_tensor hp = mat(a->hp, R, s->M), hg = mat(a->hg, R, s->M);
    TRY(pan_compute_gelu(c, &hg, &hp, PAN_GELU_TANH));
    TRY(pan_train_linear(c, a->y2, a->hg, R, &w->fc2_w, &w->fc2_b, 0));
    return gated(c, t, s, x_out, a->x2, a->y2, a->mp, 5);
}

pan_status pan_decoder_train_forward(pan_compute *c, const pan_model *m,
                                     pan_decoder_train *t, int batch, int n,
                                     const pan_decoder_frame *frames,
                                     const float *sigmas,
                                     const float *latents,
                                     const pan_decoder_condition *conds,
                                     int n_conds, float *out) {
    if (!c || !m || !t)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder_train_forward: compute, model and "
                             "training state are required");
    TRY(pan_train_check_config("decoder_train_forward", &t->cfg, m));
    TRY(pan_decoder_validate(&t->cfg, t->max_batch, batch, n, frames, sigmas,
                             latents, conds, n_conds, 0, n, out));
    dit_sizes s = pan_dit_sizes_of(&t->cfg);
    const pan_dit_weights *g = &m->w.decoder;
    t->batch = 0;
    int b = batch;
    memcpy(t->frames, frames, (size_t)n * sizeof *frames);
    t->n = n;
    t->n_conds = n_conds;
    t->tf = (int)s.tf;
    t->first_cond_frame = n;
    for (int j = n - 1; j >= 0 && frames[j].cond >= 0; j--) t->first_cond_frame = j;
    t->batch = b;
    plan(m, t, conds, sigmas);
    pan_status st = embed_forward(c, m, t, &s, latents);
    for (int64_t l = 0; st == PAN_OK && l < s.layers; l++) {
        float *x_out = l + 1 < s.layers ? t->layers[l + 1].x_in : t->x_fin;
        st = block_forward(c, &g->blocks[l], t, &s, &t->layers[l], x_out);
    }
    int64_t fr = (int64_t)batch * n, R = fr * s.tf;
    if (st == PAN_OK)
        st = pan_train_linear(c, t->mod, t->cvec, fr, &g->final_ada_w,
                              &g->final_ada_b, 0);
    if (st == PAN_OK) {
        for (int64_t r = 0; r < fr; r++)
            for (int p = 0; p < 2; p++)
                memcpy(t->mpf + ((int64_t)p * fr + r) * s.D,
                       t->mod + (r * 2 + p) * s.D, (size_t)s.D * sizeof(float));
        st = norm_modulate(c, t, &s, t->x_fin, t->lnf, t->af, t->mpf, 0, 1);
    }
    if (st == PAN_OK)
        st = pan_train_linear(c, t->dpatches, t->af, R, &g->final_w,
                              &g->final_b, 0);
    if (st == PAN_OK) { /* (FR, Tf, P) -> (FR, z, h, w) */
        pan_tensor tok = rows3(t->dpatches, fr, s.tf, s.P), img;
        pan_tensor_init(&img, out, PAN_DTYPE_F32, 4, PAN_SHAPE(fr, s.z, s.lh,
                                                               s.lw));
        st = pan_compute_unpatchify(c, &img, &tok, (int)s.patch);
    }
    if (st != PAN_OK) t->batch = 0;
    return st;
}

/* ---- backward ---- */

typedef struct cross_bwd_ctx {
    pan_compute *c;
    pan_decoder_train *t;
    const dit_sizes *s;
    const dit_layer_acts *a;
} cross_bwd_ctx;

static pan_status cross_run_backward(void *vctx, int64_t row0, int64_t rows,
                                     int ci) {
    cross_bwd_ctx *x = vctx;
    const dit_sizes *s = x->s;
    const dit_layer_acts *a = x->a;
    pan_decoder_train *t = x->t;
    float scale = 1.0f / sqrtf((float)s->hd);
    pan_tensor q = heads4(a->cq + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor dq = heads4(t->dcq + row0 * s->D, 1, rows, s->H, s->hd);
    int64_t k0 = t->act_start[ci], kl = t->act_len[ci];
    pan_tensor ka = heads4(a->ak + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor va = heads4(a->av + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor dka = heads4(t->dak + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor dva = heads4(t->dav + k0 * s->D, 1, kl, s->H, s->hd);
    pan_tensor oa = heads4(a->oa + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor doa = heads4(t->doa + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor la;
    pan_tensor_init(&la, a->lse_a + s->H * row0, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(1, s->H, rows));
    TRY(pan_compute_attention_backward(x->c, &q, &ka, &va, &oa, &doa, &la,
                                       PAN_ATTENTION_MASK_NONE, scale, NULL,
                                       &dq, &dka, &dva));
    int64_t s0 = (int64_t)ci * s->Q;
    pan_tensor ks = heads4(a->sk + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor vs = heads4(a->sv + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor dks = heads4(t->dsk + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor dvs = heads4(t->dsv + s0 * s->D, 1, s->Q, s->H, s->hd);
    pan_tensor os = heads4(a->os + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor dos = heads4(t->dos + row0 * s->D, 1, rows, s->H, s->hd);
    pan_tensor ls;
    pan_tensor_init(&ls, a->lse_s + s->H * row0, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(1, s->H, rows));
    return pan_compute_attention_backward(x->c, &q, &ks, &vs, &os, &dos, &ls,
                                          PAN_ATTENTION_MASK_NONE, scale, NULL,
                                          &dq, &dks, &dvs);
}

/* The backward of norm_modulate: d ln from dout; d shift, d scale into dmp
 * parts; dx += LN's backward. */
static pan_status norm_modulate_backward(pan_compute *c, pan_decoder_train *t,
                                         const dit_sizes *s, const float *x,
                                         const float *ln, const float *mp,
                                         const float *dout, float *dmp,
                                         int shift, int scale, float *dx) {
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s->tf;
    pan_tensor l3 = rows3(ln, fr, s->tf, s->D), do3 = rows3(dout, fr, s->tf,
                                                            s->D);
    pan_tensor sc = mat(mp + scale * fr * s->D, fr, s->D);
    pan_tensor dsh = mat(dmp + shift * fr * s->D, fr, s->D);
    pan_tensor dsc = mat(dmp + scale * fr * s->D, fr, s->D);
    zero(t->dy, R * s->D); /* d ln */
    pan_tensor dl3 = rows3(t->dy, fr, s->tf, s->D);
    TRY(pan_compute_modulate_backward(c, &l3, &sc, &do3, &dl3, &dsh, &dsc));
    pan_tensor tx = mat(x, R, s->D), dl = mat(t->dy, R, s->D), tdx = mat(dx, R,
                                                                         s->D);
    return pan_compute_layer_norm_backward(c, &tx, NULL, &dl,
                                           t->cfg.decoder.norm_eps, &tdx, NULL,
                                           NULL);
}

/* dx holds d x_out on entry, d x_in on return. */
static pan_status block_backward(pan_compute *c, const pan_dit_block_weights *w,
                                 pan_dit_block_weights *gw, pan_decoder_train *t,
                                 const dit_sizes *s, const dit_layer_acts *a) {
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s->tf, D = s->D;
    int64_t rd = R * D, rm = R * s->M;
    zero(t->dmp, 6 * fr * D);
    /* x_out = x2 + g2 * y2 */
    pan_tensor y2 = rows3(a->y2, fr, s->tf, D), dx3 = rows3(t->dx, fr, s->tf,
                                                            D);
    pan_tensor g2 = mat(a->mp + 5 * fr * D, fr,
                        D), dg2 = mat(t->dmp + 5 * fr * D, fr, D);
    zero(t->da, rd);
    pan_tensor da3 = rows3(t->da, fr, s->tf, D);
    TRY(pan_compute_gate_add_backward(c, &y2, &g2, &dx3, NULL, &da3, &dg2));
    zero(t->dh1, rm);
    TRY(pan_train_linear_backward(c, t->da, a->hg, R, &w->fc2_w, t->dh1,
                                  &gw->fc2_w, &gw->fc2_b));
    pan_tensor hp = mat(a->hp, R, s->M), dh1 = mat(t->dh1, R, s->M);
    pan_tensor dh2 = mat(t->dh2, R, s->M);
    zero(t->dh2, rm);
    TRY(pan_compute_gelu_backward(c, &hp, &dh1, PAN_GELU_TANH, &dh2));
    zero(t->da, rd);
    TRY(pan_train_linear_backward(c, t->dh2, a->a2, R, &w->fc1_w, t->da,
                                  &gw->fc1_w, &gw->fc1_b));
    TRY(norm_modulate_backward(c, t, s, a->x2, a->ln2, a->mp, t->da, t->dmp, 3,
                               4, t->dx));
    /* x2 = x1 + action_out(oa) + state_out(os) on the conditioned rows */
    if (has_cross(t)) {
        zero(t->doa, rd);
        zero(t->dos, rd);
        for (int b = 0; b < t->batch; b++) {
            int64_t row0 = ((int64_t)b * t->n + t->first_cond_frame) * s->tf;
            int64_t len = (int64_t)(t->n - t->first_cond_frame) * s->tf;
            TRY(pan_train_linear_backward(c, t->dx + row0 * D,
                                          a->oa + row0 * D, len,
                                &w->aout_w, t->doa + row0 * D, &gw->aout_w,
                                &gw->aout_b));
            TRY(pan_train_linear_backward(c, t->dx + row0 * D,
                                          a->os + row0 * D, len,
                                &w->sout_w, t->dos + row0 * D, &gw->sout_w,
                                &gw->sout_b));
        }
        int64_t cr = (int64_t)t->batch * t->n_conds;
        int64_t keys = t->act_start[cr - 1] + t->act_len[cr - 1];
        zero(t->dcq, rd);
        zero(t->dak, keys * D);
        zero(t->dav, keys * D);
        zero(t->dsk, cr * s->Q * D);
        zero(t->dsv, cr * s->Q * D);
        cross_bwd_ctx cx = {c, t, s, a};
        TRY(each_run(t, cross_run_backward, &cx));
        TRY(pan_train_linear_backward(c, t->dak, t->emb, keys, &w->ak_w,
                                      t->demb,
                            &gw->ak_w, &gw->ak_b));
        TRY(pan_train_linear_backward(c, t->dav, t->emb, keys, &w->av_w,
                                      t->demb,
                            &gw->av_w, &gw->av_b));
        TRY(pan_train_linear_backward(c, t->dsk, t->states, cr * s->Q,
                                      &w->sk_w, t->dstw,
                            &gw->sk_w, &gw->sk_b));
        TRY(pan_train_linear_backward(c, t->dsv, t->states, cr * s->Q,
                                      &w->sv_w, t->dstw,
                            &gw->sv_w, &gw->sv_b));
        zero(t->da, rd); /* d cn */
        TRY(pan_train_linear_backward(c, t->dcq, a->cn, R, &w->cq_w, t->da,
                                      &gw->cq_w,
                            &gw->cq_b));
        pan_tensor x1 = mat(a->x1, R, D), dcn = mat(t->da, R, D);
        pan_tensor dx = mat(t->dx, R, D);
        TRY(pan_compute_layer_norm_backward(c, &x1, &w->cross_norm_w, &dcn,
                                            t->cfg.decoder.norm_eps, &dx,
                                            &gw->cross_norm_w,
                                            &gw->cross_norm_b));
    }
    /* x1 = x_in + g1 * y1; y1 = proj(o) */
    pan_tensor y1 = rows3(a->y1, fr, s->tf, D);
    pan_tensor g1 = mat(a->mp + 2 * fr * D, fr,
                        D), dg1 = mat(t->dmp + 2 * fr * D, fr, D);
    zero(t->da, rd);
    TRY(pan_compute_gate_add_backward(c, &y1, &g1, &dx3, NULL, &da3, &dg1));
    zero(t->dv, rd); /* d o */
    TRY(pan_train_linear_backward(c, t->da, a->o, R, &w->proj_w, t->dv,
                                  &gw->proj_w,
                        &gw->proj_b));
    int64_t tn = (int64_t)t->n * s->tf;
    pan_tensor q = heads4(a->q, t->batch, tn, s->H, s->hd);
    pan_tensor k = heads4(a->k, t->batch, tn, s->H, s->hd);
    pan_tensor v = heads4(a->v, t->batch, tn, s->H, s->hd);
    pan_tensor o = heads4(a->o, t->batch, tn, s->H, s->hd);
    pan_tensor dout = heads4(t->dv, t->batch, tn, s->H, s->hd);
    pan_tensor dq = heads4(t->dq, t->batch, tn, s->H, s->hd);
    pan_tensor dk = heads4(t->dk, t->batch, tn, s->H, s->hd);
    pan_tensor dv = heads4(t->doa, t->batch, tn, s->H, s->hd); /* scratch */
    pan_tensor qb, lse;
    pan_tensor_init(&qb, t->q_block, PAN_DTYPE_I32, 1, PAN_SHAPE(tn));
    pan_tensor_init(&lse, a->lse, PAN_DTYPE_F32, 3, PAN_SHAPE(t->batch, s->H,
                                                              tn));
    pan_attention_extra ex = {.q_block = &qb, .k_block = &qb};
    zero(t->dq, rd);
    zero(t->dk, rd);
    zero(t->doa, rd);
    TRY(pan_compute_attention_backward(c, &q, &k, &v, &o, &dout, &lse,
                                       PAN_ATTENTION_MASK_BLOCK,
                                       1.0f / sqrtf((float)s->hd), &ex, &dq,
                                       &dk, &dv));
    zero(t->da, rd); /* d a1 */
    TRY(pan_train_linear_backward(c, t->dq, a->a1, R, &w->q_w, t->da, &gw->q_w,
                                  &gw->q_b));
    TRY(pan_train_linear_backward(c, t->dk, a->a1, R, &w->k_w, t->da, &gw->k_w,
                                  &gw->k_b));
    TRY(pan_train_linear_backward(c, t->doa, a->a1, R, &w->v_w, t->da,
                                  &gw->v_w, &gw->v_b));
    TRY(norm_modulate_backward(c, t, s, a->x_in, a->ln1, a->mp, t->da, t->dmp,
                               0, 1, t->dx));
    /* mod = ada(cvec): d mod (FR, 6D) from the parts */
    for (int64_t r = 0; r < fr; r++)
        for (int p = 0; p < 6; p++)
            memcpy(t->mod + (r * 6 + p) * D, t->dmp + ((int64_t)p * fr + r) * D,
                   (size_t)D * sizeof(float));
    return pan_train_linear_backward(c, t->mod, t->cvec, fr, &w->ada_w,
                                     t->dcvec,
                           &gw->ada_w, &gw->ada_b);
}

/* The conditions' inputs: action keys' embeddings into embed_tokens and
 * action_pos (null: null_action), states into dstates (null: null_state). */
static void conditions_backward(pan_decoder_train *t, const dit_sizes *s,
                                pan_model_weights *grads, float *dstates) {
    pan_dit_weights *gd = &grads->decoder;
    float *dembed = grads->backbone.embed_tokens.data; /* (V, dm) */
    float *dpos = gd->action_pos.data;                 /* (A, dm) */
    int64_t dm = s->dm, qd = s->Q * dm;
    for (int i = 0; i < t->batch * t->n_conds; i++) {
        const float *de = t->demb + (int64_t)t->act_start[i] * dm;
        const float *dst = t->dstw + (int64_t)i * qd;
        if (t->null_cond[i]) {
            float *na = gd->null_action.data;
            for (int64_t x = 0; x < dm; x++) na[x] += de[x];
            float *ns = gd->null_state.data;
            for (int64_t x = 0; x < qd; x++) ns[x] += dst[x];
            continue;
        }
        for (int k = 0; k < t->act_len[i]; k++) {
            int id = t->act_ids[t->act_start[i] + k];
            for (int64_t x = 0; x < dm; x++) {
                dembed[(int64_t)id * dm + x] += de[k * dm + x];
                dpos[k * dm + x] += de[k * dm + x];
            }
        }
        if (dstates) {
            float *to = dstates + (int64_t)i * qd;
            for (int64_t x = 0; x < qd; x++) to[x] += dst[x];
        }
    }
}

pan_status pan_decoder_train_backward(pan_compute *c, const pan_model *m,
                                      pan_decoder_train *t, const float *dout,
                                      pan_model_weights *grads, float *dstates,
                                      float *dlatents) {
    static const char *fn = "decoder_train_backward";
    if (!c || !m || !t || !grads || !dout)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: compute, model, training state, dout and "
                             "gradients are required", fn);
    TRY(pan_train_check_config(fn, &t->cfg, m));
    if (t->batch < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: no completed forward to go back through", fn);
    dit_sizes s = pan_dit_sizes_of(&t->cfg);
    const pan_dit_weights *g = &m->w.decoder;
    pan_dit_weights *gd = &grads->decoder;
    int64_t fr = (int64_t)t->batch * t->n, R = fr * s.tf, D = s.D;
    int64_t cr = (int64_t)t->batch * t->n_conds;
    int64_t keys = cr > 0 ? t->act_start[cr - 1] + t->act_len[cr - 1] : 0;
    zero(t->demb, keys * s.dm);
    zero(t->dstw, cr * s.Q * s.dm);
    zero(t->dcvec, fr * D);
    /* final: v = unpatchify(final(af)) */
    pan_tensor img, tok = rows3(t->dpatches, fr, s.tf, s.P);
    pan_tensor_init(&img, (void *)dout, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(fr, s.z, s.lh, s.lw));
    zero(t->dpatches, R * s.P);
    TRY(pan_compute_unpatchify_backward(c, &img, (int)s.patch, &tok));
    zero(t->da, R * D);
    TRY(pan_train_linear_backward(c, t->dpatches, t->af, R, &g->final_w, t->da,
                        &gd->final_w, &gd->final_b));
    zero(t->dmp, 2 * fr * D);
    zero(t->dx, R * D);
    TRY(norm_modulate_backward(c, t, &s, t->x_fin, t->lnf, t->mpf, t->da,
                               t->dmp, 0, 1, t->dx));
    for (int64_t r = 0; r < fr; r++)
        for (int p = 0; p < 2; p++)
            memcpy(t->mod + (r * 2 + p) * D, t->dmp + ((int64_t)p * fr + r) * D,
                   (size_t)D * sizeof(float));
    TRY(pan_train_linear_backward(c, t->mod, t->cvec, fr, &g->final_ada_w,
                                  t->dcvec,
                        &gd->final_ada_w, &gd->final_ada_b));
    for (int64_t l = s.layers - 1; l >= 0; l--)
        TRY(block_backward(c, &g->blocks[l], &gd->blocks[l], t, &s,
                           &t->layers[l]));
    /* x = patch_embed(patches) + pos_embed + frame_embed[slot] */
    if (dlatents) zero(t->dpatches, R * s.P);
    TRY(pan_train_linear_backward(c, t->dx, t->patches_in, R, &g->patch_embed_w,
                        dlatents ? t->dpatches : NULL, &gd->patch_embed_w,
                        &gd->patch_embed_b));
    float *dpos = gd->pos_embed.data, *dfe = gd->frame_embed.data;
    for (int64_t r = 0; r < fr; r++) {
        float *slot = dfe + (int64_t)t->frames[r % t->n].slot * D;
        for (int64_t k = 0; k < s.tf; k++) {
            const float *row = t->dx + (r * s.tf + k) * D;
            for (int64_t i = 0; i < D; i++) {
                dpos[k * D + i] += row[i];
                slot[i] += row[i];
            }
        }
    }
    if (dlatents) {
        pan_tensor dimg, dtok = rows3(t->dpatches, fr, s.tf, s.P);
        pan_tensor_init(&dimg, dlatents, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(fr, s.z, s.lh, s.lw));
        TRY(pan_compute_patchify_backward(c, &dtok, (int)s.patch, &dimg));
    }
    /* time: cvec = silu(t2); t2 = fc2(s1); s1 = silu(t1); t1 = fc1(freq) */
    pan_tensor t2 = mat(t->t2, fr, D), dcv = mat(t->dcvec, fr, D);
    pan_tensor dt = mat(t->dt, fr, D);
    zero(t->dt, fr * D);
    TRY(pan_compute_silu_backward(c, &t2, &dcv, &dt));
    zero(t->dcvec, fr * D); /* reused: d s1 */
    TRY(pan_train_linear_backward(c, t->dt, t->s1, fr, &g->time_fc2_w, t->dcvec,
                        &gd->time_fc2_w, &gd->time_fc2_b));
    pan_tensor t1 = mat(t->t1, fr, D);
    zero(t->dt, fr * D);
    TRY(pan_compute_silu_backward(c, &t1, &dcv, &dt));
    TRY(pan_train_linear_backward(c, t->dt, t->freq, fr, &g->time_fc1_w, NULL,
                        &gd->time_fc1_w, &gd->time_fc1_b));
    if (cr > 0) conditions_backward(t, &s, grads, dstates);
    return PAN_OK;
}
