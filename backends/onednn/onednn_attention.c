/* backends/onednn/onednn_attention.c: attention with oneDNN's sgemm: the
 * tiled algorithm of backends/common/tiled_attention.h, tiles on the pan
 * pool, one single-threaded dnnl_sgemm per product (inside the pool's
 * OpenMP parallel region oneDNN runs serially).
 *
 * Why not OpenBLAS here: for the tile shapes of the backbone's rounds
 * (188 packed query rows, head dim 32, 558..930 keys) a single-threaded
 * dnnl_sgemm runs at 145..165 GFLOP/s against OpenBLAS's 100..105
 * (measured 2026-11-24, docs/benchmarks.md), and attention is a third of a
 * batch-1 backbone step.
 * The backward runs tiled_attention_backward.h's (batch, key/value head)
 * items the same way, with dnnl_sgemm as its gemm.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "backends/common/tiled_attention.h"
#include "backends/common/tiled_attention_backward.h"
#include "backends/onednn/onednn_internal.h"
#include "core/threadpool.h"

static void dnnl_tile_sgemm(bool trans_b, int m, int n, int k, float alpha,
                            const float *a, int lda, const float *b, int ldb,
                            float *c, int ldc) {
    /* row-major; the status can only report bad arguments, which the
     * validated shapes rule out */
    (void)dnnl_sgemm('N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                     0.0f, c, ldc);
}

typedef struct tiles_ctx {
    pan_tiled_attention plan;
    float *scratch; /* slots x plan.slot_floats */
    int64_t tiles;
    atomic_llong next;
} tiles_ctx;

/* Each slot takes the next unclaimed tile until none is left. */
static void run_slots(void *ctx, int64_t begin, int64_t end) {
    tiles_ctx *t = ctx;
    for (int64_t slot = begin; slot < end; slot++) {
        float *scratch = t->scratch + (size_t)slot * t->plan.slot_floats;
        for (;;) {
            int64_t tile = atomic_fetch_add(&t->next, 1);
            if (tile >= t->tiles) break;
            pan_tiled_attention_tile(&t->plan, tile, scratch);
        }
    }
}

/* Workers for `items` and the backend's attention scratch grown to
 * slots x slot_floats; 0 on allocation failure (error set). */
static int64_t reserve_slots(pan_backend *be, int64_t items, size_t slot_floats,
                             const char *op) {
    onednn_state *st = onednn_state_of(be);
    int64_t slots = be->pool ? pan_threadpool_size(be->pool) : 1;
    if (slots > st->n_threads) slots = st->n_threads;
    if (slots > items) slots = items;
    if (slots < 1) slots = 1;
    size_t floats = slot_floats * (size_t)slots;
    if (floats > st->attention_floats) {
        float *p = aligned_alloc(64, floats * sizeof(float));
        if (!p) {
            pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                          "%s (onednn): out of memory for %zu bytes of "
                          "scratch", op, floats * sizeof(float));
            return 0;
        }
        free(st->attention_scratch);
        st->attention_scratch = p;
        st->attention_floats = floats;
    }
    return slots;
}

pan_status onednn_attention(pan_backend *be, const pan_attention_args *args) {
    onednn_state *st = onednn_state_of(be);
    tiles_ctx t;
    t.tiles = pan_tiled_attention_plan(&t.plan, args, dnnl_tile_sgemm);
    if (t.tiles == 0) return PAN_OK;
    int64_t slots = reserve_slots(be, t.tiles, t.plan.slot_floats, "attention");
    if (slots == 0) return PAN_ERR_RESOURCE_EXHAUSTED;
    t.scratch = st->attention_scratch;
    atomic_init(&t.next, 0);
    pan_threadpool_for(be->pool, slots, 1, run_slots, &t);
    return PAN_OK;
}

/* ---- backward ---- */

static void dnnl_tile_gemm(bool trans_a, bool trans_b, int m, int n, int k,
                           float alpha, const float *a, int lda,
                           const float *b, int ldb, float beta, float *c,
                           int ldc) {
    (void)dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha,
                     a, lda, b, ldb, beta, c, ldc);
}

typedef struct items_ctx {
    pan_tiled_attention_backward plan;
    float *scratch; /* slots x plan.slot_floats */
    int64_t items;
    atomic_llong next;
} items_ctx;

static void run_item_slots(void *ctx, int64_t begin, int64_t end) {
    items_ctx *t = ctx;
    for (int64_t slot = begin; slot < end; slot++) {
        float *scratch = t->scratch + (size_t)slot * t->plan.slot_floats;
        for (;;) {
            int64_t item = atomic_fetch_add(&t->next, 1);
            if (item >= t->items) break;
            pan_tiled_attention_backward_item(&t->plan, item, scratch);
        }
    }
}

pan_status onednn_attention_backward(pan_backend *be,
                                     const pan_attention_backward_args *args) {
    onednn_state *st = onednn_state_of(be);
    items_ctx t;
    t.items = pan_tiled_attention_backward_plan(&t.plan, args, dnnl_tile_gemm);
    if (t.items == 0) return PAN_OK;
    int64_t slots = reserve_slots(be, t.items, t.plan.slot_floats,
                                  "attention_backward");
    if (slots == 0) return PAN_ERR_RESOURCE_EXHAUSTED;
    t.scratch = st->attention_scratch;
    atomic_init(&t.next, 0);
    pan_threadpool_for(be->pool, slots, 1, run_item_slots, &t);
    return PAN_OK;
}
