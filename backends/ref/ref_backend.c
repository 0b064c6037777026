/* backends/ref/ref_backend.c: the ref backend's vtable and buffers. */
#include <stdlib.h>

#include "backends/backend.h"
#include "backends/ref/ref_ops.h"

static void ref_destroy(pan_backend *be) { free(be); }

static void *ref_buffer_alloc(pan_backend *be, size_t bytes) {
    size_t rounded = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, rounded ? rounded : 64);
}

static void ref_buffer_free(pan_backend *be, void *ptr) { free(ptr); }

static const pan_backend_vtable ref_vtable = {
    .name = "ref",
    .destroy = ref_destroy,
    .buffer_alloc = ref_buffer_alloc,
    .buffer_free = ref_buffer_free,
    .supports_op = NULL, /* every op, every argument set */
    .matmul = pan_ref_matmul,
    .conv2d = pan_ref_conv2d,
    .upsample_nearest = pan_ref_upsample_nearest,
    .group_norm = pan_ref_group_norm,
    .layer_norm = pan_ref_layer_norm,
    .rms_norm = pan_ref_rms_norm,
    .softmax = pan_ref_softmax,
    .silu = pan_ref_silu,
    .gelu = pan_ref_gelu,
    .swiglu = pan_ref_swiglu,
    .rope = pan_ref_rope,
    .modulate = pan_ref_modulate,
    .gate_add = pan_ref_gate_add,
    .embedding = pan_ref_embedding,
    .patchify = pan_ref_patchify,
    .unpatchify = pan_ref_unpatchify,
    .attention = pan_ref_attention,
    .add = pan_ref_add,
    .sum_rows = pan_ref_sum_rows,
    .conv2d_backward = pan_ref_conv2d_backward,
    .upsample_nearest_backward = pan_ref_upsample_nearest_backward,
    .group_norm_backward = pan_ref_group_norm_backward,
    .layer_norm_backward = pan_ref_layer_norm_backward,
    .rms_norm_backward = pan_ref_rms_norm_backward,
    .softmax_backward = pan_ref_softmax_backward,
    .silu_backward = pan_ref_silu_backward,
    .gelu_backward = pan_ref_gelu_backward,
    .swiglu_backward = pan_ref_swiglu_backward,
    .rope_backward = pan_ref_rope_backward,
    .modulate_backward = pan_ref_modulate_backward,
    .gate_add_backward = pan_ref_gate_add_backward,
    .embedding_backward = pan_ref_embedding_backward,
    .patchify_backward = pan_ref_patchify_backward,
    .unpatchify_backward = pan_ref_unpatchify_backward,
    .attention_backward = pan_ref_attention_backward,
    .mse_loss = pan_ref_mse_loss,
    .l1_loss = pan_ref_l1_loss,
    .kl_loss = pan_ref_kl_loss,
};

pan_status pan_backend_ref_create(pan_backend **out, pan_threadpool *pool,
                                  int n_threads) {
    pan_backend *be = calloc(1, sizeof *be);
    if (!be)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref backend: out of memory");
    be->vtable = &ref_vtable;
    be->pool = pool;
    be->n_threads = n_threads;
    *out = be;
    return PAN_OK;
}
