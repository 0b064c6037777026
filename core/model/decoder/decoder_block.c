/* core/model/decoder/decoder_block.c: one DiT block of the decoder over the window
 * held in the workspace (docs/model.md, "Decoder g: one forward over a
 * window"):
 *
 *   sh1 sc1 g1 sh2 sc2 g2 = adaLN_modulation(c)          per frame
 *   x += g1 * proj(attention(q, k, v of LN(x)*(1+sc1)+sh1))   block mask
 *   n  = LN(x; cross_norm);  qc = cross.q(n)
 *   x += action_out(attn(qc, action keys)) + state_out(attn(qc, state keys))
 *        on the rows of conditioned frames, each run against its own item's
 *        condition
 *   x += g2 * fc2(gelu_tanh(fc1(LN(x)*(1+sc2)+sh2)))
 */
#include <math.h>
#include <string.h>

#include "core/model/decoder/decoder_internal.h"

pan_tensor pan_decoder_mat(float *data, int64_t rows, int64_t cols) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, cols));
    return t;
}

static pan_tensor rows3(float *data, int64_t items, int64_t rows,
                        int64_t cols) {
    pan_tensor t;
    pan_tensor_init(&t, data, PAN_DTYPE_F32, 3, PAN_SHAPE(items, rows, cols));
    return t;
}

static pan_tensor heads4(float *data, int64_t b, int64_t t, int64_t h,
                         int64_t hd) {
    pan_tensor x;
    pan_tensor_init(&x, data, PAN_DTYPE_F32, 4, PAN_SHAPE(b, t, h, hd));
    return x;
}

static pan_status linear(pan_compute *c, float *out, const float *in,
                         int64_t rows, int64_t in_dim, int64_t out_dim,
                         const pan_tensor *w, const pan_tensor *b, float beta) {
    pan_tensor o = pan_decoder_mat(out, rows, out_dim);
    pan_tensor i = pan_decoder_mat((float *)in, rows, in_dim);
    return pan_compute_matmul(c, &o, &i, w, b, false, true, 1.0f, beta);
}

/* mod (FR, 6D) -> mod_parts (6, FR, D). */
static void split_modulation(pan_decoder_workspace *ws, int64_t fr,
                             int64_t d) {
    for (int64_t r = 0; r < fr; r++)
        for (int p = 0; p < 6; p++)
            memcpy(ws->mod_parts + ((int64_t)p * fr + r) * d,
                   ws->mod + (r * 6 + p) * d, (size_t)d * sizeof(float));
}

/* a = LN(x) * (1 + scale) + shift, per frame (parts indices). */
static pan_status norm_modulate(pan_compute *c, pan_decoder_workspace *ws,
                                int64_t fr, int64_t tf, int64_t d, int shift,
                                int scale) {
    pan_tensor x = pan_decoder_mat(ws->x, fr * tf, d);
    pan_tensor a = pan_decoder_mat(ws->a, fr * tf, d);
    pan_status st = pan_compute_layer_norm(c, &a, &x, NULL, NULL,
                                           ws->cfg.decoder.norm_eps);
    pan_tensor a3 = rows3(ws->a, fr, tf, d);
    pan_tensor sh = pan_decoder_mat(ws->mod_parts + shift * fr * d, fr, d);
    pan_tensor sc = pan_decoder_mat(ws->mod_parts + scale * fr * d, fr, d);
    if (st == PAN_OK) st = pan_compute_modulate(c, &a3, &a3, &sh, &sc);
    return st;
}

/* x += gate * y, per frame; y (R, D) in `y`. */
static pan_status gated_residual(pan_compute *c, pan_decoder_workspace *ws,
                                 float *y, int64_t fr, int64_t tf, int64_t d,
                                 int gate) {
    pan_tensor x3 = rows3(ws->x, fr, tf, d);
    pan_tensor y3 = rows3(y, fr, tf, d);
    pan_tensor g = pan_decoder_mat(ws->mod_parts + gate * fr * d, fr, d);
    return pan_compute_gate_add(c, &x3, &x3, &y3, &g);
}

static pan_status self_attention(pan_compute *c, const pan_dit_block_weights *w,
                                 pan_decoder_workspace *ws, int64_t fr,
                                 int64_t tf, int64_t d) {
    int64_t rows = fr * tf, heads = ws->cfg.decoder.heads, hd = d / heads;
    int64_t t = (int64_t)ws->n * tf;
    pan_status st = norm_modulate(c, ws, fr, tf, d, 0, 1);
    if (st == PAN_OK) st = linear(c, ws->q, ws->a, rows, d, d, &w->q_w, &w->q_b, 0);
    if (st == PAN_OK) st = linear(c, ws->k, ws->a, rows, d, d, &w->k_w, &w->k_b, 0);
    if (st == PAN_OK) st = linear(c, ws->v, ws->a, rows, d, d, &w->v_w, &w->v_b, 0);
    if (st != PAN_OK) return st;
    pan_tensor q = heads4(ws->q, ws->batch, t, heads, hd);
    pan_tensor k = heads4(ws->k, ws->batch, t, heads, hd);
    pan_tensor v = heads4(ws->v, ws->batch, t, heads, hd);
    pan_tensor o = heads4(ws->o, ws->batch, t, heads, hd);
    pan_tensor qb, kb;
    pan_tensor_init(&qb, ws->q_block, PAN_DTYPE_I32, 1, PAN_SHAPE(t));
    pan_tensor_init(&kb, ws->k_block, PAN_DTYPE_I32, 1, PAN_SHAPE(t));
    pan_attention_extra extra = {.q_block = &qb, .k_block = &kb};
    st = pan_compute_attention(c, &o, &q, &k, &v, PAN_ATTENTION_MASK_BLOCK,
                               1.0f / sqrtf((float)hd), &extra);
    if (st == PAN_OK)
        st = linear(c, ws->a, ws->o, rows, d, d, &w->proj_w, &w->proj_b, 0);
    if (st == PAN_OK) st = gated_residual(c, ws, ws->a, fr, tf, d, 2);
    return st;
}

/* Keys and values of every condition of the batch for this block. */
static pan_status condition_keys(pan_compute *c, const pan_dit_block_weights *w,
                                 pan_decoder_workspace *ws, int64_t d) {
    int64_t cr = (int64_t)ws->batch * ws->n_conds;
    int64_t dm = ws->cfg.backbone.dim, q = ws->cfg.backbone.queries;
    int64_t keys = ws->act_start[cr - 1] + ws->act_len[cr - 1];
    pan_status st = linear(c, ws->ak, ws->emb, keys, dm, d, &w->ak_w, &w->ak_b, 0);
    if (st == PAN_OK) st = linear(c, ws->av, ws->emb, keys, dm, d, &w->av_w, &w->av_b, 0);
    if (st == PAN_OK) st = linear(c, ws->sk, ws->states, cr * q, dm, d, &w->sk_w, &w->sk_b, 0);
    if (st == PAN_OK) st = linear(c, ws->sv, ws->states, cr * q, dm, d, &w->sv_w, &w->sv_b, 0);
    return st;
}

/* Attention of `rows` query rows (from row0 of q) against `len` keys. */
static pan_status cross_attend(pan_compute *c, pan_decoder_workspace *ws,
                               float *out, int64_t row0, int64_t rows,
                               float *keys, float *values, int64_t len,
                               int64_t d) {
    int64_t heads = ws->cfg.decoder.heads, hd = d / heads;
    pan_tensor q = heads4(ws->q + row0 * d, 1, rows, heads, hd);
    pan_tensor o = heads4(out + row0 * d, 1, rows, heads, hd);
    pan_tensor k = heads4(keys, 1, len, heads, hd);
    pan_tensor v = heads4(values, 1, len, heads, hd);
    return pan_compute_attention(c, &o, &q, &k, &v, PAN_ATTENTION_MASK_NONE,
                                 1.0f / sqrtf((float)hd), NULL);
}

static pan_status cross_attention(pan_compute *c, const pan_dit_block_weights *w,
                                  pan_decoder_workspace *ws, int64_t tf,
                                  int64_t d) {
    int n = ws->n, f0 = ws->first_cond_frame;
    if (ws->n_conds == 0 || f0 >= n) return PAN_OK;
    int64_t rows = (int64_t)ws->batch * n * tf, q = ws->cfg.backbone.queries;
    pan_tensor x = pan_decoder_mat(ws->x, rows, d);
    pan_tensor a = pan_decoder_mat(ws->a, rows, d);
    pan_status st = pan_compute_layer_norm(c, &a, &x, &w->cross_norm_w,
                                           &w->cross_norm_b,
                                           ws->cfg.decoder.norm_eps);
    if (st == PAN_OK) st = linear(c, ws->q, ws->a, rows, d, d, &w->cq_w, &w->cq_b, 0);
    if (st == PAN_OK) st = condition_keys(c, w, ws, d);
    for (int b = 0; b < ws->batch && st == PAN_OK; b++) {
        /* runs of consecutive frames with the same condition */
        for (int f = f0; f < n && st == PAN_OK;) {
            int cond = ws->frames[f].cond, e = f;
            while (e < n && ws->frames[e].cond == cond) e++;
            int64_t row0 = ((int64_t)b * n + f) * tf, len = (int64_t)(e - f) * tf;
            int ci = b * ws->n_conds + cond;
            st = cross_attend(c, ws, ws->o, row0, len,
                              ws->ak + (int64_t)ws->act_start[ci] * d,
                              ws->av + (int64_t)ws->act_start[ci] * d,
                              ws->act_len[ci], d);
            if (st == PAN_OK)
                st = cross_attend(c, ws, ws->o2, row0, len,
                                  ws->sk + (int64_t)ci * q * d,
                                  ws->sv + (int64_t)ci * q * d, q, d);
            f = e;
        }
        /* x += action_out(o) + state_out(o2) on the conditioned rows */
        int64_t row0 = ((int64_t)b * n + f0) * tf, len = (int64_t)(n - f0) * tf;
        if (st == PAN_OK)
            st = linear(c, ws->x + row0 * d, ws->o + row0 * d, len, d, d,
                        &w->aout_w, &w->aout_b, 1.0f);
        if (st == PAN_OK)
            st = linear(c, ws->x + row0 * d, ws->o2 + row0 * d, len, d, d,
                        &w->sout_w, &w->sout_b, 1.0f);
    }
    return st;
}

static pan_status mlp(pan_compute *c, const pan_dit_block_weights *w,
                      pan_decoder_workspace *ws, int64_t fr, int64_t tf,
                      int64_t d) {
    int64_t rows = fr * tf, m = ws->cfg.decoder.mlp_dim;
    pan_status st = norm_modulate(c, ws, fr, tf, d, 3, 4);
    if (st == PAN_OK)
        st = linear(c, ws->hidden, ws->a, rows, d, m, &w->fc1_w, &w->fc1_b, 0);
    pan_tensor h = pan_decoder_mat(ws->hidden, rows, m);
    if (st == PAN_OK) st = pan_compute_gelu(c, &h, &h, PAN_GELU_TANH);
    if (st == PAN_OK)
        st = linear(c, ws->a, ws->hidden, rows, m, d, &w->fc2_w, &w->fc2_b, 0);
    if (st == PAN_OK) st = gated_residual(c, ws, ws->a, fr, tf, d, 5);
    return st;
}

pan_status pan_decoder_block(pan_compute *c, const pan_model *m,
                             pan_decoder_workspace *ws, int layer) {
    const pan_dit_block_weights *w = &m->w.decoder.blocks[layer];
    int64_t d = ws->cfg.decoder.dim, tf = ws->tf;
    int64_t fr = (int64_t)ws->batch * ws->n;
    pan_status st = linear(c, ws->mod, ws->cvec, fr, d, 6 * d, &w->ada_w,
                           &w->ada_b, 0);
    if (st != PAN_OK) return st;
    split_modulation(ws, fr, d);
    st = self_attention(c, w, ws, fr, tf, d);
    if (st == PAN_OK) st = cross_attention(c, w, ws, tf, d);
    if (st == PAN_OK) st = mlp(c, w, ws, fr, tf, d);
    return st;
}
