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
pan_status pan_ref_patchify(pan_backend *be, const pan_patch_args *args);
pan_status pan_ref_unpatchify(pan_backend *be, const pan_patch_args *args);
pan_status pan_ref_attention(pan_backend *be, const pan_attention_args *args);

/* Items per thread below which a loop is not worth splitting. */
#define PAN_REF_GRAIN_ELEMENTS 16384

#endif
