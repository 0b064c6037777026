/* benchmarks/bench_train_flops.c: analytic FLOPs of the parts' forwards
 * for pan-bench-train (contract in bench_train.h; the formulas are
 * docs/benchmarks.md's, "Training against PyTorch autograd").
 *
 * Only matmuls, convolutions and attention products are counted (2 FLOPs
 * per multiply-add); norms, activations, RoPE and the losses are not.
 * Attention counts what the mask lets through (q k^T and p v: 4 * keys *
 * head_dim * heads per query), not what a kernel may compute and
 * discard. */
#include "benchmarks/bench_train.h"
#include "core/model/config.h"

static double conv(double cin, double cout, double k, double res) {
    return 2.0 * cin * cout * k * k * res * res; /* res x res outputs */
}

static double resblock(double cin, double cout, double res) {
    return conv(cin, cout, 3, res) + conv(cout, cout, 3, res) +
           (cin != cout ? conv(cin, cout, 1, res) : 0.0);
}

train_flops train_flops_vae_encode(const pan_model_config *cfg, int images) {
    const pan_vae_config *v = &cfg->vae;
    double res = cfg->frame.height, f = conv(cfg->frame.channels,
                                             pan_vae_level_channels(cfg, 0), 3, res);
    for (int i = 0; i < v->levels; i++) {
        double ch = pan_vae_level_channels(cfg, i);
        for (int j = 0; j < v->res_blocks; j++)
            f += resblock(j == 0 && i > 0 ? pan_vae_level_channels(cfg, i - 1) : ch, ch,
                          res);
        if (i < v->levels - 1) {
            res /= 2;
            f += conv(ch, ch, 3, res); /* stride 2: res/2 outputs */
        }
    }
    double top = pan_vae_level_channels(cfg, v->levels - 1);
    f += resblock(top, top, res) + conv(top, 2.0 * v->latent_channels, 3, res);
    return (train_flops){.linear = f * images};
}

train_flops train_flops_vae_decode(const pan_model_config *cfg, int images) {
    const pan_vae_config *v = &cfg->vae;
    double top = pan_vae_level_channels(cfg, v->levels - 1);
    double res = pan_latent_height(cfg);
    double f = conv(v->latent_channels, top, 3, res) + resblock(top, top, res);
    for (int i = v->levels - 1; i >= 0; i--) {
        double ch = pan_vae_level_channels(cfg, i);
        for (int j = 0; j < v->res_blocks; j++)
            f += resblock(j == 0 && i < v->levels - 1 ? pan_vae_level_channels(cfg, i + 1)
                                                       : ch, ch, res);
        if (i > 0) {
            res *= 2;
            f += conv(ch, ch, 3, res); /* after the nearest upsample */
        }
    }
    f += conv(pan_vae_level_channels(cfg, 0), cfg->frame.channels, 3, res);
    return (train_flops){.linear = f * images};
}

train_flops train_flops_vit(const pan_model_config *cfg, int latents) {
    const pan_encoder_config *e = &cfg->encoder;
    double T = pan_encoder_patches(cfg), D = e->dim, M = e->mlp_dim;
    double P = (double)cfg->vae.latent_channels * e->patch * e->patch;
    double g = (double)e->merge * e->merge, W = g * D, d = cfg->backbone.dim;
    double lin = 2 * T * P * D + e->layers * 2 * T * (4 * D * D + 3 * D * M) +
                 2 * (T / g) * (W * W + W * d);
    double att = e->layers * 4 * T * T * D;
    return (train_flops){.linear = lin * latents, .attention = att * latents};
}

train_flops train_flops_decoder(const pan_model_config *cfg, int batch, bool pair,
                                const int *action_len) {
    const pan_decoder_config *g = &cfg->decoder;
    double D = g->dim, M = g->mlp_dim, d = cfg->backbone.dim, Q = cfg->backbone.queries;
    double tf = pan_decoder_frame_tokens(cfg), K = cfg->frame.chunk_frames;
    double P = (double)cfg->vae.latent_channels * g->patch * g->patch;
    int C = pair ? 2 : 1;
    double n = pair ? 2 * K + 1 : K + 1, T = n * tf, Tc = (n - 1) * tf;
    /* block-causal keys per query row, summed: cond sees itself; A sees
     * cond + A; B sees everything before and itself */
    double keys = pair ? tf * tf * (1 + K * (1 + K) + K * (2 * K + 1))
                       : tf * tf * (1 + K * (1 + K));
    train_flops f = {0};
    for (int b = 0; b < batch; b++) {
        double lin = 2 * T * P * D + 2 * n * D * 2 * D + 2 * T * D * P; /* in, final */
        lin += g->layers * (2 * n * D * 6 * D + 2 * T * (4 * D * D + 2 * D * M) +
                            2 * Tc * 3 * D * D);
        double att = g->layers * 4 * keys * D;
        for (int c = 0; c < C; c++) {
            double A = action_len[b * C + c] < 0 ? 1 : action_len[b * C + c] + 1;
            lin += g->layers * 2 * 2 * (A + Q) * d * D;         /* k, v */
            att += g->layers * 4 * K * tf * (A + Q) * D;        /* its K frames */
        }
        f.linear += lin;
        f.attention += att;
    }
    return f;
}

train_flops train_flops_backbone(const pan_model_config *cfg, int seqs,
                                 const int *starts, const int *round_tokens) {
    const pan_backbone_config *bb = &cfg->backbone;
    double d = bb->dim, kvd = (double)bb->kv_heads * pan_backbone_head_dim(cfg);
    double I = bb->intermediate, Q = bb->queries, N = bb->max_rounds;
    train_flops f = {0};
    for (int s = 0; s < seqs; s++) {
        double tokens = 0;
        for (int r = starts[s]; r < starts[s + 1]; r++) {
            int rr = r - starts[s];
            double L = round_tokens[r], before = 0;
            if (rr > 0) {
                before = round_tokens[starts[s]];
                int lo = rr - (int)N + 2 > 1 ? rr - (int)N + 2 : 1;
                for (int q = lo; q < rr; q++) before += round_tokens[starts[s] + q];
            }
            /* query i of the round sees `before` + i + 1 keys */
            f.attention += bb->layers * 4 * d * (L * before + L * (L + 1) / 2);
            tokens += L;
            f.linear += 2 * Q * d * d; /* state head */
        }
        f.linear += bb->layers * 2 * tokens * (2 * d * d + 2 * d * kvd + 3 * d * I);
    }
    return f;
}

double train_flops_total(train_flops f) { return f.linear + f.attention; }

double train_flops_backward(train_flops f) { return 2.0 * f.linear + 2.5 * f.attention; }
