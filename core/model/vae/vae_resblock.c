/* core/model/vae/vae_resblock.c: the VAE ResBlock and the activation-size
 * planner shared by encode and decode (docs/model.md, "VAE"). */
#include "core/model/vae/vae_internal.h"

#define TRY(expr)                                                              \
    do {                                                                       \
        pan_status s_ = (expr);                                                \
        if (s_ != PAN_OK) return s_;                                           \
    } while (0)

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int64_t pan_vae_max_activation(const pan_model_config *cfg, int64_t n) {
    const int levels = cfg->vae.levels;
    const int64_t H = cfg->frame.height, W = cfg->frame.width;
    int64_t best = 0;
    /* Encoder: conv_in output, then per level its blocks (input and output
     * channels at that resolution) and the strided downsample output. */
    for (int i = 0; i < levels; i++) {
        int64_t h = H >> i, w = W >> i;
        int64_t ch = pan_vae_level_channels(cfg, i);
        int64_t cin0 = i > 0 ? pan_vae_level_channels(cfg, i - 1) : ch;
        best = max64(best, n * max64(ch, cin0) * h * w);
    }
    /* Decoder: conv_in / mid at the latent size, per level its blocks
     * (first input from the level above) and the upsampled tensor at the
     * next finer resolution. */
    for (int i = levels - 1; i >= 0; i--) {
        int64_t h = H >> i, w = W >> i;
        int64_t ch = pan_vae_level_channels(cfg, i);
        int64_t cin0 = i < levels - 1 ? pan_vae_level_channels(cfg, i + 1) : ch;
        best = max64(best, n * max64(ch, cin0) * h * w);
        if (i > 0) best = max64(best, n * ch * (h * 2) * (w * 2));
    }
    return best;
}

pan_status pan_vae_norm_silu(pan_compute *c, const pan_vae_config *vc,
                             float *out, const float *x, const pan_tensor *gamma,
                             const pan_tensor *beta, int64_t n, int64_t ch,
                             int64_t h, int64_t w) {
    pan_tensor tx, to; /* (n, ch, h, w) */
    TRY(pan_tensor_init(&tx, (void *)x, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, w)));
    TRY(pan_tensor_init(&to, out, PAN_DTYPE_F32, 4, PAN_SHAPE(n, ch, h, w)));
    TRY(pan_compute_group_norm(c, &to, &tx, gamma, beta, vc->norm_groups,
                               vc->norm_eps));
    return pan_compute_silu(c, &to, &to);
}

pan_status pan_vae_resblock(pan_compute *c, const pan_vae_config *vc,
                            const pan_resblock_weights *rb, pan_vae_bufs *bufs,
                            int64_t n, int64_t cin, int64_t cout, int64_t h,
                            int64_t w) {
    pan_tensor x, t1_in, t2_out, t1_out; /* views into the three buffers */
    TRY(pan_tensor_init(&x, bufs->x, PAN_DTYPE_F32, 4, PAN_SHAPE(n, cin, h, w)));
    TRY(pan_tensor_init(&t1_in, bufs->t1, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(n, cin, h, w)));
    TRY(pan_tensor_init(&t2_out, bufs->t2, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(n, cout, h, w)));
    TRY(pan_tensor_init(&t1_out, bufs->t1, PAN_DTYPE_F32, 4,
                        PAN_SHAPE(n, cout, h, w)));

    /* t1 (n, cin, h, w) = silu(gn(x; norm1)) */
    TRY(pan_vae_norm_silu(c, vc, bufs->t1, bufs->x, &rb->norm1_w, &rb->norm1_b,
                          n, cin, h, w));
    /* t2 (n, cout, h, w) = silu(gn(conv1(t1); norm2)) */
    TRY(pan_compute_conv2d(c, &t2_out, &t1_in, &rb->conv1_w, &rb->conv1_b, 1, 1));
    TRY(pan_vae_norm_silu(c, vc, bufs->t2, bufs->t2, &rb->norm2_w, &rb->norm2_b,
                          n, cout, h, w));
    /* t1 (n, cout, h, w) = conv2(t2) */
    TRY(pan_compute_conv2d(c, &t1_out, &t2_out, &rb->conv2_w, &rb->conv2_b, 1, 1));
    if (rb->shortcut_w.data) {
        /* t2 (n, cout, h, w) = nin_shortcut(x); t1 += t2 */
        TRY(pan_compute_conv2d(c, &t2_out, &x, &rb->shortcut_w, &rb->shortcut_b,
                               1, 0));
        TRY(pan_compute_add(c, &t1_out, &t1_out, &t2_out));
    } else {
        TRY(pan_compute_add(c, &t1_out, &t1_out, &x));
    }
    float *result = bufs->t1; /* rotate: the result becomes x */
    bufs->t1 = bufs->x;
    bufs->x = result;
    return PAN_OK;
}
