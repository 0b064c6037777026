/* backends/onednn/onednn_backend.c: the oneDNN backend's vtable, creation,
 * destruction, buffers and the supports_op policy.
 *
 * Ops run here: matmul, conv2d, upsample_nearest, layer_norm, softmax,
 * silu, gelu, swiglu, add, attention (with lse and every mask kind), and
 * for training sum_rows, conv2d_backward and attention_backward (see
 * onednn_<op>.c). Everything else is NULL and runs on ref. supports_op
 * refuses empty tensors and elementwise ops too small to pay for a
 * primitive call (thresholds below, measured), so dispatch falls back for
 * those.
 */
#include <omp.h>
#include <stdlib.h>

#include "backends/common/fast_gelu.h"
#include "backends/common/fast_group_norm.h"
#include "backends/common/fast_silu.h"
#include "backends/onednn/onednn_internal.h"

/* Below these sizes (values) the fallback's plain C loop beats the fixed
 * cost of a oneDNN call (2-3 us). Measured against ref with 2 threads:
 * silu 1024: ref 2.4 us, onednn 3.7; 4096: 9.5 vs 5.8. add 4096: 1.1 vs
 * 3.3; 16384: 5.2 vs 3.3. layer_norm (., 256) 1024: 2.1 vs 2.1; 4096: 8.0
 * vs 2.4. swiglu 1024: 2.9 vs 4.6; 4096: 10.8 vs 5.0. gelu, softmax and
 * upsample_nearest win from 256 values up. */
#define ONEDNN_MIN_SILU 2048
#define ONEDNN_MIN_ADD 16384
#define ONEDNN_MIN_LAYER_NORM 2048
#define ONEDNN_MIN_SWIGLU 2048

static void onednn_destroy(pan_backend *be) {
    if (!be) return;
    onednn_state *st = onednn_state_of(be);
    if (st) {
        onednn_cache_free(&st->cache);
        if (st->stream) dnnl_stream_destroy(st->stream);
        if (st->engine) dnnl_engine_destroy(st->engine);
        free(st->scratch);
        free(st->attention_scratch);
        free(st->ones);
        free(st);
    }
    free(be);
}

static void *onednn_buffer_alloc(pan_backend *be, size_t bytes) {
    size_t rounded = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, rounded ? rounded : 64);
}

static void onednn_buffer_free(pan_backend *be, void *ptr) { free(ptr); }

static bool onednn_supports_op(pan_backend *be, pan_op op, const void *args) {
    switch (op) {
    case PAN_OP_MATMUL: {
        const pan_matmul_args *a = args;
        return a->batch > 0 && a->m > 0 && a->n > 0 && a->k > 0;
    }
    case PAN_OP_CONV2D: {
        const pan_conv2d_args *a = args;
        return a->n > 0 && a->c > 0 && a->oc > 0 && a->oh > 0 && a->ow > 0;
    }
    case PAN_OP_SILU:
        return ((const pan_unary_args *)args)->count >= ONEDNN_MIN_SILU;
    case PAN_OP_GELU:
        return ((const pan_unary_args *)args)->count > 0;
    case PAN_OP_ADD:
        return ((const pan_binary_args *)args)->count >= ONEDNN_MIN_ADD;
    case PAN_OP_SWIGLU:
        return ((const pan_binary_args *)args)->count >= ONEDNN_MIN_SWIGLU;
    case PAN_OP_UPSAMPLE_NEAREST: {
        const pan_upsample_args *a = args;
        return a->n > 0 && a->c > 0 && a->h > 0 && a->w > 0;
    }
    case PAN_OP_SOFTMAX: {
        const pan_softmax_args *a = args;
        return a->rows > 0 && a->cols > 0;
    }
    case PAN_OP_ATTENTION: { /* the tile sgemms take int sizes */
        const pan_attention_args *a = args;
        int64_t d = a->head_dim ? a->head_dim : 1;
        return a->kv_capacity <= INT32_MAX && a->q_heads <= INT32_MAX / d &&
               a->q_len <= INT32_MAX / (a->q_heads ? a->q_heads : 1);
    }
    case PAN_OP_SUM_ROWS: /* dnnl_sgemm takes int64 sizes */
        return true;
    case PAN_OP_ATTENTION_BACKWARD: { /* the tile sgemms take int sizes */
        const pan_attention_args *a =
            &((const pan_attention_backward_args *)args)->fwd;
        int64_t d = a->head_dim ? a->head_dim : 1;
        return a->kv_capacity <= INT32_MAX && a->q_heads <= INT32_MAX / d &&
               a->q_len <= INT32_MAX / (a->q_heads ? a->q_heads : 1);
    }
    case PAN_OP_CONV2D_BACKWARD: {
        const pan_conv2d_backward_args *a = args;
        return a->n > 0 && a->c > 0 && a->oc > 0 && a->oh > 0 && a->ow > 0;
    }
    case PAN_OP_LAYER_NORM: {
        const pan_norm_args *a = args;
        return a->cols > 0 && a->rows * a->cols >= ONEDNN_MIN_LAYER_NORM;
    }
    case PAN_OP_GELU_BACKWARD:
        return pan_fast_gelu_backward_supported(args);
    case PAN_OP_GROUP_NORM:
    case PAN_OP_SILU_BACKWARD:
    case PAN_OP_GROUP_NORM_BACKWARD:
        return true;
    default:
        return false;
    }
}

static const pan_backend_vtable onednn_vtable = {
    .name = "onednn",
    .destroy = onednn_destroy,
    .buffer_alloc = onednn_buffer_alloc,
    .buffer_free = onednn_buffer_free,
    .supports_op = onednn_supports_op,
    .matmul = onednn_matmul,
    .conv2d = onednn_conv2d,
    .upsample_nearest = onednn_upsample_nearest,
    .layer_norm = onednn_layer_norm,
    .softmax = onednn_softmax,
    .silu = onednn_silu,
    .gelu = onednn_gelu,
    .swiglu = onednn_swiglu,
    .add = onednn_add,
    .attention = onednn_attention,
    .sum_rows = onednn_sum_rows,
    .conv2d_backward = onednn_conv2d_backward,
    .attention_backward = onednn_attention_backward,
    .gelu_backward = pan_fast_gelu_tanh_backward,
    .silu_backward = pan_fast_silu_backward,
    .group_norm = pan_fast_group_norm,
    .group_norm_backward = pan_fast_group_norm_backward,
};

/* n_threads < 1 means every processor OpenMP sees. */
pan_status pan_backend_onednn_create(pan_backend **out, pan_threadpool *pool,
                                     int n_threads) {
    const char *op = "create";
    pan_backend *be = calloc(1, sizeof *be);
    onednn_state *st = calloc(1, sizeof *st);
    if (!be || !st) {
        free(be);
        free(st);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "onednn backend: out of memory");
    }
    be->vtable = &onednn_vtable;
    be->pool = pool;
    be->impl = st;
    st->n_threads = n_threads >= 1 ? n_threads : omp_get_num_procs();
    be->n_threads = st->n_threads;
    omp_set_num_threads(st->n_threads);
    pan_status s = onednn_check(dnnl_engine_create(&st->engine, dnnl_cpu, 0),
                                op, "dnnl_engine_create");
    if (s == PAN_OK)
        s = onednn_check(dnnl_stream_create(&st->stream, st->engine,
                                            dnnl_stream_default_flags),
                         op, "dnnl_stream_create");
    if (s == PAN_OK) s = onednn_cache_init(&st->cache, ONEDNN_CACHE_CAPACITY);
    if (s != PAN_OK) {
        onednn_destroy(be);
        return s;
    }
    *out = be;
    return PAN_OK;
}
