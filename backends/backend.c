/* backends/backend.c: op names, creation by name, and the generic call. */
#include "backends/backend.h"

#include <stdlib.h>
#include <string.h>

static const char *const op_names[PAN_OP_COUNT] = {
    [PAN_OP_MATMUL] = "matmul",
    [PAN_OP_CONV2D] = "conv2d",
    [PAN_OP_UPSAMPLE_NEAREST] = "upsample_nearest",
    [PAN_OP_GROUP_NORM] = "group_norm",
    [PAN_OP_LAYER_NORM] = "layer_norm",
    [PAN_OP_RMS_NORM] = "rms_norm",
    [PAN_OP_SOFTMAX] = "softmax",
    [PAN_OP_SILU] = "silu",
    [PAN_OP_GELU] = "gelu",
    [PAN_OP_SWIGLU] = "swiglu",
    [PAN_OP_ROPE] = "rope",
    [PAN_OP_MODULATE] = "modulate",
    [PAN_OP_GATE_ADD] = "gate_add",
    [PAN_OP_EMBEDDING] = "embedding",
    [PAN_OP_PATCHIFY] = "patchify",
    [PAN_OP_UNPATCHIFY] = "unpatchify",
    [PAN_OP_ATTENTION] = "attention",
    [PAN_OP_ADD] = "add",
    [PAN_OP_SUM_ROWS] = "sum_rows",
    [PAN_OP_CONV2D_BACKWARD] = "conv2d_backward",
    [PAN_OP_UPSAMPLE_NEAREST_BACKWARD] = "upsample_nearest_backward",
    [PAN_OP_GROUP_NORM_BACKWARD] = "group_norm_backward",
    [PAN_OP_LAYER_NORM_BACKWARD] = "layer_norm_backward",
    [PAN_OP_RMS_NORM_BACKWARD] = "rms_norm_backward",
    [PAN_OP_SOFTMAX_BACKWARD] = "softmax_backward",
    [PAN_OP_SILU_BACKWARD] = "silu_backward",
    [PAN_OP_GELU_BACKWARD] = "gelu_backward",
    [PAN_OP_SWIGLU_BACKWARD] = "swiglu_backward",
    [PAN_OP_ROPE_BACKWARD] = "rope_backward",
    [PAN_OP_MODULATE_BACKWARD] = "modulate_backward",
    [PAN_OP_GATE_ADD_BACKWARD] = "gate_add_backward",
    [PAN_OP_EMBEDDING_BACKWARD] = "embedding_backward",
    [PAN_OP_PATCHIFY_BACKWARD] = "patchify_backward",
    [PAN_OP_UNPATCHIFY_BACKWARD] = "unpatchify_backward",
    [PAN_OP_ATTENTION_BACKWARD] = "attention_backward",
    [PAN_OP_MSE_LOSS] = "mse_loss",
    [PAN_OP_L1_LOSS] = "l1_loss",
    [PAN_OP_KL_LOSS] = "kl_loss",
};

const char *pan_op_name(pan_op op) {
    if ((int)op < 0 || op >= PAN_OP_COUNT) return NULL;
    return op_names[op];
}

const char *const *pan_backend_names(void) {
    static const char *const names[] = {
#ifdef PAN_HAVE_ONEDNN
        "onednn",
#endif
        "openblas", "ref", NULL};
    return names;
}

pan_status pan_backend_create(pan_backend **out, const char *name,
                              pan_threadpool *pool, int n_threads) {
    if (!name)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "backend: name is NULL");
    if (strcmp(name, "ref") == 0)
        return pan_backend_ref_create(out, pool, n_threads);
    if (strcmp(name, "openblas") == 0)
        return pan_backend_openblas_create(out, pool, n_threads);
    if (strcmp(name, "onednn") == 0)
        return pan_backend_onednn_create(out, pool, n_threads);
    return pan_error_set(PAN_ERR_NOT_FOUND,
                         "backend: unknown backend '%s' (expected ref, "
                         "openblas or onednn)",
                         name);
}

void pan_backend_destroy(pan_backend *be) {
    if (be && be->vtable->destroy) be->vtable->destroy(be);
}

/* Whether the vtable has an entry point for `op`. Every entry point is
 * called through its own type (pan_backend_run), never through a cast
 * function pointer. */
static bool has_entry(const pan_backend_vtable *vt, pan_op op) {
    switch (op) {
    case PAN_OP_MATMUL: return vt->matmul != NULL;
    case PAN_OP_CONV2D: return vt->conv2d != NULL;
    case PAN_OP_UPSAMPLE_NEAREST: return vt->upsample_nearest != NULL;
    case PAN_OP_GROUP_NORM: return vt->group_norm != NULL;
    case PAN_OP_LAYER_NORM: return vt->layer_norm != NULL;
    case PAN_OP_RMS_NORM: return vt->rms_norm != NULL;
    case PAN_OP_SOFTMAX: return vt->softmax != NULL;
    case PAN_OP_SILU: return vt->silu != NULL;
    case PAN_OP_GELU: return vt->gelu != NULL;
    case PAN_OP_SWIGLU: return vt->swiglu != NULL;
    case PAN_OP_ROPE: return vt->rope != NULL;
    case PAN_OP_MODULATE: return vt->modulate != NULL;
    case PAN_OP_GATE_ADD: return vt->gate_add != NULL;
    case PAN_OP_EMBEDDING: return vt->embedding != NULL;
    case PAN_OP_PATCHIFY: return vt->patchify != NULL;
    case PAN_OP_UNPATCHIFY: return vt->unpatchify != NULL;
    case PAN_OP_ATTENTION: return vt->attention != NULL;
    case PAN_OP_ADD: return vt->add != NULL;
    case PAN_OP_SUM_ROWS: return vt->sum_rows != NULL;
    case PAN_OP_CONV2D_BACKWARD: return vt->conv2d_backward != NULL;
    case PAN_OP_UPSAMPLE_NEAREST_BACKWARD: return vt->upsample_nearest_backward != NULL;
    case PAN_OP_GROUP_NORM_BACKWARD: return vt->group_norm_backward != NULL;
    case PAN_OP_LAYER_NORM_BACKWARD: return vt->layer_norm_backward != NULL;
    case PAN_OP_RMS_NORM_BACKWARD: return vt->rms_norm_backward != NULL;
    case PAN_OP_SOFTMAX_BACKWARD: return vt->softmax_backward != NULL;
    case PAN_OP_SILU_BACKWARD: return vt->silu_backward != NULL;
    case PAN_OP_GELU_BACKWARD: return vt->gelu_backward != NULL;
    case PAN_OP_SWIGLU_BACKWARD: return vt->swiglu_backward != NULL;
    case PAN_OP_ROPE_BACKWARD: return vt->rope_backward != NULL;
    case PAN_OP_MODULATE_BACKWARD: return vt->modulate_backward != NULL;
    case PAN_OP_GATE_ADD_BACKWARD: return vt->gate_add_backward != NULL;
    case PAN_OP_EMBEDDING_BACKWARD: return vt->embedding_backward != NULL;
    case PAN_OP_PATCHIFY_BACKWARD: return vt->patchify_backward != NULL;
    case PAN_OP_UNPATCHIFY_BACKWARD: return vt->unpatchify_backward != NULL;
    case PAN_OP_ATTENTION_BACKWARD: return vt->attention_backward != NULL;
    case PAN_OP_MSE_LOSS: return vt->mse_loss != NULL;
    case PAN_OP_L1_LOSS: return vt->l1_loss != NULL;
    case PAN_OP_KL_LOSS: return vt->kl_loss != NULL;
    case PAN_OP_COUNT: break;
    }
    return false;
}

bool pan_backend_supports(pan_backend *be, pan_op op, const void *args) {
    if (!be || !has_entry(be->vtable, op)) return false;
    return !be->vtable->supports_op || be->vtable->supports_op(be, op, args);
}

pan_status pan_backend_run(pan_backend *be, pan_op op, const void *args) {
    if (!be || !has_entry(be->vtable, op))
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "backend '%s' has no %s",
                             be ? be->vtable->name : "(null)",
                             pan_op_name(op) ? pan_op_name(op) : "op");
    const pan_backend_vtable *vt = be->vtable;
    switch (op) {
    case PAN_OP_MATMUL:
        return vt->matmul(be, (const pan_matmul_args *)args);
    case PAN_OP_CONV2D:
        return vt->conv2d(be, (const pan_conv2d_args *)args);
    case PAN_OP_UPSAMPLE_NEAREST:
        return vt->upsample_nearest(be, (const pan_upsample_args *)args);
    case PAN_OP_GROUP_NORM:
        return vt->group_norm(be, (const pan_norm_args *)args);
    case PAN_OP_LAYER_NORM:
        return vt->layer_norm(be, (const pan_norm_args *)args);
    case PAN_OP_RMS_NORM:
        return vt->rms_norm(be, (const pan_norm_args *)args);
    case PAN_OP_SOFTMAX:
        return vt->softmax(be, (const pan_softmax_args *)args);
    case PAN_OP_SILU:
        return vt->silu(be, (const pan_unary_args *)args);
    case PAN_OP_GELU:
        return vt->gelu(be, (const pan_unary_args *)args);
    case PAN_OP_SWIGLU:
        return vt->swiglu(be, (const pan_binary_args *)args);
    case PAN_OP_ROPE:
        return vt->rope(be, (const pan_rope_args *)args);
    case PAN_OP_MODULATE:
        return vt->modulate(be, (const pan_modulate_args *)args);
    case PAN_OP_GATE_ADD:
        return vt->gate_add(be, (const pan_gate_add_args *)args);
    case PAN_OP_EMBEDDING:
        return vt->embedding(be, (const pan_embedding_args *)args);
    case PAN_OP_PATCHIFY:
        return vt->patchify(be, (const pan_patch_args *)args);
    case PAN_OP_UNPATCHIFY:
        return vt->unpatchify(be, (const pan_patch_args *)args);
    case PAN_OP_ATTENTION:
        return vt->attention(be, (const pan_attention_args *)args);
    case PAN_OP_ADD:
        return vt->add(be, (const pan_binary_args *)args);
    case PAN_OP_SUM_ROWS:
        return vt->sum_rows(be, (const pan_sum_rows_args *)args);
    case PAN_OP_CONV2D_BACKWARD:
        return vt->conv2d_backward(be, (const pan_conv2d_backward_args *)args);
    case PAN_OP_UPSAMPLE_NEAREST_BACKWARD:
        return vt->upsample_nearest_backward(be, (const pan_upsample_backward_args *)args);
    case PAN_OP_GROUP_NORM_BACKWARD:
        return vt->group_norm_backward(be, (const pan_norm_backward_args *)args);
    case PAN_OP_LAYER_NORM_BACKWARD:
        return vt->layer_norm_backward(be, (const pan_norm_backward_args *)args);
    case PAN_OP_RMS_NORM_BACKWARD:
        return vt->rms_norm_backward(be, (const pan_norm_backward_args *)args);
    case PAN_OP_SOFTMAX_BACKWARD:
        return vt->softmax_backward(be, (const pan_softmax_backward_args *)args);
    case PAN_OP_SILU_BACKWARD:
        return vt->silu_backward(be, (const pan_unary_backward_args *)args);
    case PAN_OP_GELU_BACKWARD:
        return vt->gelu_backward(be, (const pan_unary_backward_args *)args);
    case PAN_OP_SWIGLU_BACKWARD:
        return vt->swiglu_backward(be, (const pan_swiglu_backward_args *)args);
    case PAN_OP_ROPE_BACKWARD:
        return vt->rope_backward(be, (const pan_rope_backward_args *)args);
    case PAN_OP_MODULATE_BACKWARD:
        return vt->modulate_backward(be, (const pan_modulate_backward_args *)args);
    case PAN_OP_GATE_ADD_BACKWARD:
        return vt->gate_add_backward(be, (const pan_gate_add_backward_args *)args);
    case PAN_OP_EMBEDDING_BACKWARD:
        return vt->embedding_backward(be, (const pan_embedding_backward_args *)args);
    case PAN_OP_PATCHIFY_BACKWARD:
        return vt->patchify_backward(be, (const pan_patch_backward_args *)args);
    case PAN_OP_UNPATCHIFY_BACKWARD:
        return vt->unpatchify_backward(be, (const pan_patch_backward_args *)args);
    case PAN_OP_ATTENTION_BACKWARD:
        return vt->attention_backward(be, (const pan_attention_backward_args *)args);
    case PAN_OP_MSE_LOSS:
        return vt->mse_loss(be, (const pan_loss_args *)args);
    case PAN_OP_L1_LOSS:
        return vt->l1_loss(be, (const pan_loss_args *)args);
    case PAN_OP_KL_LOSS:
        return vt->kl_loss(be, (const pan_loss_args *)args);
    case PAN_OP_COUNT: break;
    }
    return pan_error_set(PAN_ERR_UNIMPLEMENTED, "backend: op %d out of range",
                         (int)op);
}
