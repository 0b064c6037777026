/* backends/openblas/openblas_backend.c: the openblas backend's vtable,
 * creation, scratch and the parallel-items helper. The ops live in
 * openblas_matmul.c, openblas_conv.c, openblas_attention.c and
 * openblas_norm.c. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backends/common/fast_gelu.h"
#include "backends/common/fast_group_norm.h"
#include "backends/common/fast_silu.h"
#include "backends/openblas/openblas_internal.h"
#include "core/threadpool.h"

#define ALIGN_BYTES 64

static void *aligned_bytes(size_t bytes) {
    size_t rounded = (bytes + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
    return aligned_alloc(ALIGN_BYTES, rounded ? rounded : ALIGN_BYTES);
}

float *pan_openblas_scratch(pan_backend *be, size_t floats, const char *op) {
    pan_openblas *ob = be->impl;
    if (floats <= ob->scratch_cap) return ob->scratch;
    if (floats > SIZE_MAX / sizeof(float) / 2) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                      "%s (openblas): scratch of %zu floats is too large", op,
                      floats);
        return NULL;
    }
    size_t cap = ob->scratch_cap + ob->scratch_cap / 2; /* grow by 1.5x */
    if (cap < floats) cap = floats;
    float *p = aligned_bytes(cap * sizeof(float));
    if (!p) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                      "%s (openblas): out of memory for %zu bytes of scratch",
                      op, cap * sizeof(float));
        return NULL;
    }
    free(ob->scratch);
    ob->scratch = p;
    ob->scratch_cap = cap;
    return p;
}

size_t pan_openblas_slot_floats(size_t floats) {
    size_t per_line = ALIGN_BYTES / sizeof(float);
    return (floats + per_line - 1) / per_line * per_line;
}

void pan_openblas_use_threads(pan_backend *be) {
    if (openblas_get_num_threads() != be->n_threads)
        openblas_set_num_threads(be->n_threads);
}

int pan_openblas_slots(pan_backend *be, int64_t n_items) {
    pan_openblas *ob = be->impl;
    int64_t slots = ob->n_slots < n_items ? ob->n_slots : n_items;
    return slots < 1 ? 1 : (int)slots;
}

typedef struct parallel_ctx {
    pan_openblas_item_fn fn;
    void *ctx;
    int64_t n_items;
    atomic_llong next;
} parallel_ctx;

/* Each slot takes the next unclaimed item until none is left. Which slot
 * runs an item never changes the item's result. */
static void parallel_slots(void *p, int64_t begin, int64_t end) {
    parallel_ctx *pc = p;
    for (int64_t slot = begin; slot < end; slot++) {
        for (;;) {
            int64_t item = atomic_fetch_add(&pc->next, 1);
            if (item >= pc->n_items) break;
            pc->fn(pc->ctx, item, (int)slot);
        }
    }
}

void pan_openblas_parallel(pan_backend *be, int64_t n_items,
                           pan_openblas_item_fn fn, void *ctx) {
    int slots = pan_openblas_slots(be, n_items);
    if (slots <= 1) {
        pan_openblas_use_threads(be);
        for (int64_t i = 0; i < n_items; i++) fn(ctx, i, 0);
        return;
    }
    parallel_ctx pc = {.fn = fn, .ctx = ctx, .n_items = n_items};
    atomic_init(&pc.next, 0);
    /* The OpenMP build of OpenBLAS runs single-threaded by itself inside a
     * parallel region (the OpenMP pool); the pthread build must be told. */
    bool pthread_blas = openblas_get_parallel() == 1;
    if (pthread_blas) openblas_set_num_threads(1);
    pan_threadpool_for(be->pool, slots, 1, parallel_slots, &pc);
    if (pthread_blas) openblas_set_num_threads(be->n_threads);
}

static void openblas_destroy(pan_backend *be) {
    pan_openblas *ob = be->impl;
    if (ob) free(ob->scratch);
    free(ob);
    free(be);
}

static void *openblas_buffer_alloc(pan_backend *be, size_t bytes) {
    (void)be;
    return aligned_bytes(bytes);
}

static void openblas_buffer_free(pan_backend *be, void *ptr) {
    (void)be;
    free(ptr);
}

static bool fits(int64_t v) { return v >= 0 && v <= PAN_OPENBLAS_MAX_DIM; }

/* cblas takes 32-bit sizes: refuse (so ref runs) what does not fit. */
static bool openblas_supports_op(pan_backend *be, pan_op op,
                                 const void *args) {
    (void)be;
    switch (op) {
    case PAN_OP_MATMUL: {
        const pan_matmul_args *a = args;
        return fits(a->m) && fits(a->n) && fits(a->k);
    }
    case PAN_OP_CONV2D: {
        const pan_conv2d_args *a = args;
        return fits(a->oc) && a->c <= PAN_OPENBLAS_MAX_DIM / a->kh / a->kw &&
               a->oh <= PAN_OPENBLAS_MAX_DIM / (a->ow ? a->ow : 1);
    }
    case PAN_OP_ATTENTION: {
        const pan_attention_args *a = args;
        int64_t d = a->head_dim ? a->head_dim : 1;
        return fits(a->kv_capacity) && a->q_heads <= PAN_OPENBLAS_MAX_DIM / d;
    }
    case PAN_OP_ATTENTION_BACKWARD: {
        const pan_attention_args *a = &((const pan_attention_backward_args *)args)->fwd;
        int64_t d = a->head_dim ? a->head_dim : 1;
        return fits(a->kv_capacity) && a->q_heads <= PAN_OPENBLAS_MAX_DIM / d;
    }
    case PAN_OP_SUM_ROWS: {
        const pan_sum_rows_args *a = args;
        return fits(a->rows) && fits(a->cols);
    }
    case PAN_OP_GELU_BACKWARD:
        return pan_fast_gelu_backward_supported(args);
    case PAN_OP_GROUP_NORM:
    case PAN_OP_SILU_BACKWARD:
    case PAN_OP_GROUP_NORM_BACKWARD:
        return true;
    default:
        return true;
    }
}

static const pan_backend_vtable openblas_vtable = {
    .name = "openblas",
    .destroy = openblas_destroy,
    .buffer_alloc = openblas_buffer_alloc,
    .buffer_free = openblas_buffer_free,
    .supports_op = openblas_supports_op,
    .matmul = pan_openblas_matmul,
    .conv2d = pan_openblas_conv2d,
    .attention = pan_openblas_attention,
    .rms_norm = pan_openblas_rms_norm,
    .sum_rows = pan_openblas_sum_rows,
    .attention_backward = pan_openblas_attention_backward,
    .gelu_backward = pan_fast_gelu_tanh_backward,
    .silu_backward = pan_fast_silu_backward,
    .group_norm = pan_fast_group_norm,
    .group_norm_backward = pan_fast_group_norm_backward,
};

pan_status pan_backend_openblas_create(pan_backend **out, pan_threadpool *pool,
                                       int n_threads) {
    if (!out)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "openblas backend: 'out' is NULL");
    if (n_threads < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "openblas backend: n_threads must be >= 1, got %d",
                             n_threads);
    pan_backend *be = calloc(1, sizeof *be);
    pan_openblas *ob = calloc(1, sizeof *ob);
    if (!be || !ob) {
        free(be);
        free(ob);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "openblas backend: out of memory");
    }
    ob->n_slots = pool ? pan_threadpool_size(pool) : 1;
    if (ob->n_slots > n_threads) ob->n_slots = n_threads;
    be->vtable = &openblas_vtable;
    be->pool = pool;
    be->n_threads = n_threads;
    be->impl = ob;
    openblas_set_num_threads(n_threads);
    *out = be;
    return PAN_OK;
}
