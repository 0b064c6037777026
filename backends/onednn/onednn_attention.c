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
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "backends/common/tiled_attention.h"
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

pan_status onednn_attention(pan_backend *be, const pan_attention_args *args) {
    onednn_state *st = onednn_state_of(be);
    tiles_ctx t;
    t.tiles = pan_tiled_attention_plan(&t.plan, args, dnnl_tile_sgemm);
    if (t.tiles == 0) return PAN_OK;
    int64_t slots = be->pool ? pan_threadpool_size(be->pool) : 1;
    if (slots > st->n_threads) slots = st->n_threads;
    if (slots > t.tiles) slots = t.tiles;
    if (slots < 1) slots = 1;
    size_t floats = t.plan.slot_floats * (size_t)slots;
    if (floats > st->attention_floats) {
        float *p = aligned_alloc(64, floats * sizeof(float));
        if (!p)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "attention (onednn): out of memory for %zu "
                                 "bytes of scratch", floats * sizeof(float));
        free(st->attention_scratch);
        st->attention_scratch = p;
        st->attention_floats = floats;
    }
    t.scratch = st->attention_scratch;
    atomic_init(&t.next, 0);
    pan_threadpool_for(be->pool, slots, 1, run_slots, &t);
    return PAN_OK;
}
