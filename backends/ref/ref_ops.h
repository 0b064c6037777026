/* backends/ref/ref_ops.h: the ref backend's kernels (internal).
 *
 * Contract: plain, obvious C that is the oracle for every other backend.
 * Each kernel gets validated args (backends/backend.h), splits its outputs
 * over the backend's thread pool so that every output element is computed
 * by one thread in a fixed order (bit-identical for any thread count), and
 * returns PAN_OK or RESOURCE_EXHAUSTED if scratch memory cannot be had.
 */
#ifndef PAN_BACKENDS_REF_OPS_H
#define PAN_BACKENDS_REF_OPS_H

#include "backends/backend.h"

pan_status pan_ref_matmul(pan_backend *be, const pan_matmul_args *args);
pan_status pan_ref_conv2d(pan_backend *be, const pan_conv2d_args *args);
pan_status pan_ref_upsample_nearest(pan_backend *be, const pan_upsample_args *args);
pan_status pan_ref_group_norm(pan_backend *be, const pan_norm_args *args);
pan_status pan_ref_layer_norm(pan_backend *be, const pan_norm_args *args);
pan_status pan_ref_rms_norm(pan_backend *be, const pan_norm_args *args);
pan_status pan_ref_softmax(pan_backend *be, const pan_softmax_args *args);
pan_status pan_ref_silu(pan_backend *be, const pan_unary_args *args);
pan_status pan_ref_gelu(pan_backend *be, const pan_unary_args *args);
pan_status pan_ref_swiglu(pan_backend *be, const pan_binary_args *args);
pan_status pan_ref_add(pan_backend *be, const pan_binary_args *args);
pan_status pan_ref_rope(pan_backend *be, const pan_rope_args *args);
pan_status pan_ref_modulate(pan_backend *be, const pan_modulate_args *args);
pan_status pan_ref_gate_add(pan_backend *be, const pan_gate_add_args *args);
pan_status pan_ref_embedding(pan_backend *be, const pan_embedding_args *args);
/* The patch permutation of PATCHIFY (to_tokens) or UNPATCHIFY over n
 * images (c, h, w) with patch size `patch`, copying or, with `accumulate`,
 * adding into `out`; shared by the forward and backward ops. */
typedef struct pan_ref_patch_move {
    int64_t n, c, h, w;
    int patch;
    bool to_tokens, accumulate;
} pan_ref_patch_move;
void pan_ref_patch_run(pan_backend *be, const pan_ref_patch_move *move,
                       const float *in, float *out);
pan_status pan_ref_patchify(pan_backend *be, const pan_patch_args *args);
pan_status pan_ref_unpatchify(pan_backend *be, const pan_patch_args *args);
pan_status pan_ref_attention(pan_backend *be, const pan_attention_args *args);

/* training ops (backends/backward_args.h): accumulate into gradients,
 * reductions in double and in a fixed order */
pan_status pan_ref_sum_rows(pan_backend *be, const pan_sum_rows_args *args);
pan_status pan_ref_conv2d_backward(pan_backend *be, const pan_conv2d_backward_args *args);
pan_status pan_ref_upsample_nearest_backward(pan_backend *be, const pan_upsample_backward_args *args);
pan_status pan_ref_group_norm_backward(pan_backend *be, const pan_norm_backward_args *args);
pan_status pan_ref_layer_norm_backward(pan_backend *be, const pan_norm_backward_args *args);
pan_status pan_ref_rms_norm_backward(pan_backend *be, const pan_norm_backward_args *args);
pan_status pan_ref_softmax_backward(pan_backend *be, const pan_softmax_backward_args *args);
pan_status pan_ref_silu_backward(pan_backend *be, const pan_unary_backward_args *args);
pan_status pan_ref_gelu_backward(pan_backend *be, const pan_unary_backward_args *args);
pan_status pan_ref_swiglu_backward(pan_backend *be, const pan_swiglu_backward_args *args);
pan_status pan_ref_rope_backward(pan_backend *be, const pan_rope_backward_args *args);
pan_status pan_ref_modulate_backward(pan_backend *be, const pan_modulate_backward_args *args);
pan_status pan_ref_gate_add_backward(pan_backend *be, const pan_gate_add_backward_args *args);
pan_status pan_ref_embedding_backward(pan_backend *be, const pan_embedding_backward_args *args);
pan_status pan_ref_patchify_backward(pan_backend *be, const pan_patch_backward_args *args);
pan_status pan_ref_unpatchify_backward(pan_backend *be, const pan_patch_backward_args *args);
pan_status pan_ref_attention_backward(pan_backend *be, const pan_attention_backward_args *args);
pan_status pan_ref_mse_loss(pan_backend *be, const pan_loss_args *args);
pan_status pan_ref_l1_loss(pan_backend *be, const pan_loss_args *args);
pan_status pan_ref_kl_loss(pan_backend *be, const pan_loss_args *args);

/* Whether query i of batch b sees key j (every mask kind); kv_len is the
 * batch's number of existing keys. Shared by the forward and backward;
 * inline, as it runs once per (query, key) pair. */
static inline int pan_ref_attention_visible(const pan_attention_args *p,
                                            int64_t b, int64_t i, int64_t j,
                                            int64_t kv_len) {
    if (j >= kv_len) return 0;
    if (p->key_mask && !((const uint8_t *)p->key_mask->data)[b * p->kv_capacity + j])
        return 0;
    if (p->mask == PAN_ATTENTION_MASK_CAUSAL)
        return j <= kv_len - p->q_len + i;
    if (p->mask == PAN_ATTENTION_MASK_BLOCK)
        return ((const int32_t *)p->k_block->data)[j] <=
               ((const int32_t *)p->q_block->data)[i];
    if (p->mask == PAN_ATTENTION_MASK_ROUNDS) {
        if (j > kv_len - p->q_len + i) return 0;
        int32_t kr = ((const int32_t *)p->k_round->data)[b * p->kv_capacity + j];
        int32_t qr = ((const int32_t *)p->q_round->data)[b * p->q_len + i];
        return kr == 0 || (int64_t)kr >= (int64_t)qr - p->round_window + 2;
    }
    return 1;
}

/* Items per thread below which a loop is not worth splitting. */
#define PAN_REF_GRAIN_ELEMENTS 16384

#endif
