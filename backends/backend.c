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

/* The entry point for `op` as an untyped function pointer, or NULL. */
typedef pan_status (*any_entry)(pan_backend *, const void *);

static any_entry entry_point(const pan_backend_vtable *vt, pan_op op) {
    switch (op) {
    case PAN_OP_MATMUL: return (any_entry)vt->matmul;
    case PAN_OP_CONV2D: return (any_entry)vt->conv2d;
    case PAN_OP_UPSAMPLE_NEAREST: return (any_entry)vt->upsample_nearest;
    case PAN_OP_GROUP_NORM: return (any_entry)vt->group_norm;
    case PAN_OP_LAYER_NORM: return (any_entry)vt->layer_norm;
    case PAN_OP_RMS_NORM: return (any_entry)vt->rms_norm;
    case PAN_OP_SOFTMAX: return (any_entry)vt->softmax;
    case PAN_OP_SILU: return (any_entry)vt->silu;
    case PAN_OP_GELU: return (any_entry)vt->gelu;
    case PAN_OP_SWIGLU: return (any_entry)vt->swiglu;
    case PAN_OP_ROPE: return (any_entry)vt->rope;
    case PAN_OP_MODULATE: return (any_entry)vt->modulate;
    case PAN_OP_GATE_ADD: return (any_entry)vt->gate_add;
    case PAN_OP_EMBEDDING: return (any_entry)vt->embedding;
    case PAN_OP_PATCHIFY: return (any_entry)vt->patchify;
    case PAN_OP_UNPATCHIFY: return (any_entry)vt->unpatchify;
    case PAN_OP_ATTENTION: return (any_entry)vt->attention;
    case PAN_OP_ADD: return (any_entry)vt->add;
    case PAN_OP_COUNT: break;
    }
    return NULL;
}

bool pan_backend_supports(pan_backend *be, pan_op op, const void *args) {
    if (!be || !entry_point(be->vtable, op)) return false;
    return !be->vtable->supports_op || be->vtable->supports_op(be, op, args);
}

pan_status pan_backend_run(pan_backend *be, pan_op op, const void *args) {
    any_entry entry = be ? entry_point(be->vtable, op) : NULL;
    if (!entry)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "backend '%s' has no %s",
                             be ? be->vtable->name : "(null)",
                             pan_op_name(op) ? pan_op_name(op) : "op");
    return entry(be, args);
}
