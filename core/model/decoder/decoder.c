/* core/model/decoder/decoder.c: the decoder forward (contract in decoder.h):
 * validation, the per-forward plan, token and timestep embeddings, the
 * blocks (decoder_block.c) and the final adaLN layer.
 *
 *   x_j = patch_embed(patches_j) + pos_embed + frame_embed[slot_j]
 *   c_j = silu(time_mlp.2(silu(time_mlp.0(sincos(1000 sigma_j)))))
 *   blocks; v_j = unpatchify(final.linear(LN(x)*(1+sc)+sh))
 */
#include <math.h>
#include <string.h>

#include "core/model/decoder/decoder_internal.h"
#include "core/model/backbone/tokenizer.h"

#define BAD(...) pan_error_set(PAN_ERR_INVALID_ARGUMENT, __VA_ARGS__)

pan_status pan_decoder_validate(const pan_model_config *cfg, int max_batch,
                                int batch, int n,
                                const pan_decoder_frame *frames,
                                const float *sigmas, const float *latents,
                                const pan_decoder_condition *conds,
                                int n_conds, int out_first, int out_count,
                                const float *out) {
    int k2 = 2 * cfg->frame.chunk_frames;
    if (batch < 1 || batch > max_batch)
        return BAD("decoder: batch must be 1..%d, got %d", max_batch, batch);
    if (n < 1 || n > k2 + 1)
        return BAD("decoder: window frames must be 1..%d, got %d", k2 + 1,
                   n);
    if (n_conds < 0 || n_conds > PAN_DECODER_MAX_CONDS)
        return BAD("decoder: n_conds must be 0..%d, got %d",
                   PAN_DECODER_MAX_CONDS, n_conds);
    if (!frames || !latents || !out || (n_conds > 0 && !conds))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder: frames, latents, out (and conds when "
                             "n_conds > 0) must not be NULL");
    bool seen_cond = false;
    for (int j = 0; j < n; j++) {
        const pan_decoder_frame *f = &frames[j];
        if (!(f->sigma >= 0.0f && f->sigma <= 1.0f))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "decoder: frame %d sigma must be in [0, 1], "
                                 "got %g", j, (double)f->sigma);
        if (f->slot < 0 || f->slot > k2)
            return BAD("decoder: frame %d slot must be 0..%d, got %d", j, k2,
                       f->slot);
        if (f->block < 0 || f->block > 2 || (j > 0 && f->block < frames[j - 1].block))
            return BAD("decoder: frame %d block must be 0..2 and not below "
                       "the previous frame's, got %d", j, f->block);
        if (f->cond < -1 || f->cond >= n_conds)
            return BAD("decoder: frame %d cond must be -1..%d, got %d", j,
                       n_conds - 1, f->cond);
        if (f->cond < 0 && seen_cond)
            return BAD("decoder: frame %d has no condition after a "
                       "conditioned frame (unconditioned frames come "
                       "first)", j);
        if (f->cond >= 0) seen_cond = true;
    }
    for (int i = 0; sigmas && i < batch * n; i++)
        if (!(sigmas[i] >= 0.0f && sigmas[i] <= 1.0f))
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "decoder: item %d frame %d sigma must be in "
                                 "[0, 1], got %g", i / n, i % n,
                                 (double)sigmas[i]);
    for (int i = 0; i < batch * n_conds; i++) {
        const pan_decoder_condition *cd = &conds[i];
        if (cd->null) continue;
        if (!cd->state || (cd->action_len > 0 && !cd->action))
            return BAD("decoder: item %d condition %d needs a state and its "
                       "action bytes", i / n_conds, i % n_conds);
        if (cd->action_len < 0 ||
            cd->action_len > cfg->tokenizer.max_action_bytes)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "decoder: item %d condition %d action of %d "
                                 "bytes, expected 0..%d", i / n_conds,
                                 i % n_conds, cd->action_len,
                                 cfg->tokenizer.max_action_bytes);
    }
    if (out_first < 0 || out_count < 1 || out_first + out_count > n)
        return BAD("decoder: output frames [%d, %d) must lie inside the "
                   "window of %d", out_first, out_first + out_count, n);
    return PAN_OK;
}

/* Mask blocks of the rows, condition embeddings and states (packed). */
static void plan_conditions(const pan_model *m, pan_decoder_workspace *ws,
                            const pan_decoder_condition *conds) {
    const pan_dit_weights *g = &m->w.decoder;
    int64_t dm = ws->cfg.backbone.dim, q = ws->cfg.backbone.queries;
    for (int j = 0; j < ws->n; j++)
        for (int t = 0; t < ws->tf; t++)
            ws->q_block[j * ws->tf + t] = ws->k_block[j * ws->tf + t] =
                ws->frames[j].block;
    const float *embed = m->w.backbone.embed_tokens.data; /* (V, d) */
    int key = 0;
    for (int i = 0; i < ws->batch * ws->n_conds; i++) {
        const pan_decoder_condition *cd = &conds[i];
        float *e = ws->emb + (int64_t)key * dm;       /* (len, d) */
        float *s = ws->states + (int64_t)i * q * dm;  /* (Q, d) */
        ws->act_start[i] = key;
        if (cd->null) {
            memcpy(e, g->null_action.data, (size_t)dm * sizeof(float));
            memcpy(s, g->null_state.data, (size_t)(q * dm) * sizeof(float));
            ws->act_len[i] = 1;
            key += 1;
            continue;
        }
        const float *pos = g->action_pos.data; /* (A, d) */
        for (int t = 0; t <= cd->action_len; t++) {
            int id = t < cd->action_len ? cd->action[t] : PAN_TOKEN_END;
            for (int64_t x = 0; x < dm; x++)
                e[t * dm + x] = embed[id * dm + x] + pos[t * dm + x];
        }
        memcpy(s, cd->state, (size_t)(q * dm) * sizeof(float));
        ws->act_len[i] = cd->action_len + 1;
        key += cd->action_len + 1;
    }
}

/* x = patch_embed(patches) + pos_embed + frame_embed[slot]. */
static pan_status embed_tokens(pan_compute *c, const pan_model *m,
                               pan_decoder_workspace *ws,
                               const float *latents) {
    const pan_dit_weights *g = &m->w.decoder;
    const pan_model_config *cfg = &ws->cfg;
    int64_t fr = (int64_t)ws->batch * ws->n, tf = ws->tf;
    int64_t z = cfg->vae.latent_channels, p = cfg->decoder.patch;
    int64_t d = cfg->decoder.dim, pv = z * p * p;
    pan_tensor img, tok;
    pan_tensor_init(&img, (float *)latents, PAN_DTYPE_F32, 4,
                    PAN_SHAPE(fr, z, pan_latent_height(cfg),
                              pan_latent_width(cfg)));
    pan_tensor_init(&tok, ws->patches, PAN_DTYPE_F32, 3,
                    PAN_SHAPE(fr, tf, pv));
    pan_status st = pan_compute_patchify(c, &tok, &img, (int)p);
    pan_tensor x = pan_decoder_mat(ws->x, fr * tf, d);
    pan_tensor pt = pan_decoder_mat(ws->patches, fr * tf, pv);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &x, &pt, &g->patch_embed_w,
                                &g->patch_embed_b, false, true, 1.0f, 0.0f);
    if (st != PAN_OK) return st;
    const float *pos = g->pos_embed.data, *fe = g->frame_embed.data;
    for (int64_t r = 0; r < fr; r++) {
        const float *slot = fe + (int64_t)ws->frames[r % ws->n].slot * d;
        for (int64_t t = 0; t < tf; t++) {
            float *row = ws->x + (r * tf + t) * d;
            for (int64_t i = 0; i < d; i++) row[i] += pos[t * d + i] + slot[i];
        }
    }
    return PAN_OK;
}

/* c_j = silu(time_mlp.2(silu(time_mlp.0(sincos(1000 sigma_j))))). */
static pan_status embed_time(pan_compute *c, const pan_model *m,
                             pan_decoder_workspace *ws) {
    const pan_dit_weights *g = &m->w.decoder;
    int64_t fr = (int64_t)ws->batch * ws->n, d = ws->cfg.decoder.dim;
    int64_t f = ws->cfg.decoder.freq_dim, half = f / 2;
    for (int64_t r = 0; r < fr; r++) {
        double t = 1000.0 * (double)ws->sigma[r];
        float *e = ws->freq + r * f;
        for (int64_t i = 0; i < half; i++) {
            double w = exp(-log(10000.0) * (double)i / (double)half);
            e[i] = (float)cos(t * w);
            e[half + i] = (float)sin(t * w);
        }
    }
    pan_tensor e = pan_decoder_mat(ws->freq, fr, f);
    pan_tensor h = pan_decoder_mat(ws->mod, fr, d); /* scratch */
    pan_tensor cv = pan_decoder_mat(ws->cvec, fr, d);
    pan_status st = pan_compute_matmul(c, &h, &e, &g->time_fc1_w,
                                       &g->time_fc1_b, false, true, 1.0f, 0.0f);
    if (st == PAN_OK) st = pan_compute_silu(c, &h, &h);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &cv, &h, &g->time_fc2_w, &g->time_fc2_b,
                                false, true, 1.0f, 0.0f);
    if (st == PAN_OK) st = pan_compute_silu(c, &cv, &cv);
    return st;
}

/* Final adaLN layer and unpatchify of the requested frames into out. */
static pan_status final_layer(pan_compute *c, const pan_model *m,
                              pan_decoder_workspace *ws, int out_first,
                              int out_count, float *out) {
    const pan_dit_weights *g = &m->w.decoder;
    const pan_model_config *cfg = &ws->cfg;
    int64_t fr = (int64_t)ws->batch * ws->n, tf = ws->tf;
    int64_t d = cfg->decoder.dim, z = cfg->vae.latent_channels;
    int64_t p = cfg->decoder.patch, pv = z * p * p;
    int64_t lh = pan_latent_height(cfg), lw = pan_latent_width(cfg);
    pan_tensor cv = pan_decoder_mat(ws->cvec, fr, d);
    pan_tensor mod = pan_decoder_mat(ws->mod, fr, 2 * d);
    pan_status st = pan_compute_matmul(c, &mod, &cv, &g->final_ada_w,
                                       &g->final_ada_b, false, true, 1.0f,
                                       0.0f);
    if (st != PAN_OK) return st;
    for (int64_t r = 0; r < fr; r++) /* shift (part 0), scale (part 1) */
        for (int part = 0; part < 2; part++)
            memcpy(ws->mod_parts + (part * fr + r) * d,
                   ws->mod + (r * 2 + part) * d, (size_t)d * sizeof(float));
    pan_tensor x = pan_decoder_mat(ws->x, fr * tf, d);
    pan_tensor a = pan_decoder_mat(ws->a, fr * tf, d);
    st = pan_compute_layer_norm(c, &a, &x, NULL, NULL, cfg->decoder.norm_eps);
    pan_tensor a3;
    pan_tensor_init(&a3, ws->a, PAN_DTYPE_F32, 3, PAN_SHAPE(fr, tf, d));
    pan_tensor sh = pan_decoder_mat(ws->mod_parts, fr, d);
    pan_tensor sc = pan_decoder_mat(ws->mod_parts + fr * d, fr, d);
    if (st == PAN_OK) st = pan_compute_modulate(c, &a3, &a3, &sh, &sc);
    pan_tensor pt = pan_decoder_mat(ws->patches, fr * tf, pv);
    if (st == PAN_OK)
        st = pan_compute_matmul(c, &pt, &a, &g->final_w, &g->final_b, false,
                                true, 1.0f, 0.0f);
    for (int b = 0; b < ws->batch && st == PAN_OK; b++) {
        pan_tensor tok, img; /* (count, Tf, P) -> (count, z, h, w) */
        int64_t first = (int64_t)b * ws->n + out_first;
        pan_tensor_init(&tok, ws->patches + first * tf * pv, PAN_DTYPE_F32, 3,
                        PAN_SHAPE(out_count, tf, pv));
        pan_tensor_init(&img, out + (int64_t)b * out_count * z * lh * lw,
                        PAN_DTYPE_F32, 4, PAN_SHAPE(out_count, z, lh, lw));
        st = pan_compute_unpatchify(c, &img, &tok, (int)p);
    }
    return st;
}

pan_status pan_decoder_forward(pan_compute *c, const pan_model *m,
                               pan_decoder_workspace *ws, int batch, int n,
                               const pan_decoder_frame *frames,
                               const float *latents,
                               const pan_decoder_condition *conds, int n_conds,
                               int out_first, int out_count, float *out) {
    return pan_decoder_forward_items(c, m, ws, batch, n, frames, NULL, latents,
                                     conds, n_conds, out_first, out_count, out);
}

pan_status pan_decoder_forward_items(pan_compute *c, const pan_model *m,
                                     pan_decoder_workspace *ws, int batch,
                                     int n, const pan_decoder_frame *frames,
                                     const float *sigmas, const float *latents,
                                     const pan_decoder_condition *conds,
                                     int n_conds, int out_first, int out_count,
                                     float *out) {
    if (!c || !m || !ws)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder: compute, model and workspace must not "
                             "be NULL");
    if (memcmp(&m->config, &ws->cfg, sizeof ws->cfg) != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "decoder: the workspace was made for another "
                             "model configuration");
    pan_status st = pan_decoder_validate(&ws->cfg, ws->max_batch, batch, n,
                                         frames, sigmas, latents, conds,
                                         n_conds, out_first, out_count, out);
    if (st != PAN_OK) return st;
    ws->batch = batch;
    ws->n = n;
    ws->n_conds = n_conds;
    ws->tf = pan_decoder_frame_tokens(&ws->cfg);
    ws->frames = frames;
    for (int i = 0; i < batch * n; i++)
        ws->sigma[i] = sigmas ? sigmas[i] : frames[i % n].sigma;
    ws->first_cond_frame = n;
    for (int j = n - 1; j >= 0 && frames[j].cond >= 0; j--)
        ws->first_cond_frame = j;
    plan_conditions(m, ws, conds);
    st = embed_tokens(c, m, ws, latents);
    if (st == PAN_OK) st = embed_time(c, m, ws);
    for (int l = 0; l < ws->cfg.decoder.layers && st == PAN_OK; l++)
        st = pan_decoder_block(c, m, ws, l);
    if (st == PAN_OK) st = final_layer(c, m, ws, out_first, out_count, out);
    return st;
}
