/* backends/common/tiled_attention_backward.h: the attention backward
 * (backends/backward_args.h, ATTENTION_BACKWARD) as sgemms per block of
 * queries, shared by the openblas and onednn backends like the forward
 * (tiled_attention.h), each plugging in its own gemm.
 *
 * Contract
 * - A work item is one (batch b, key/value head kh): it owns dk and dv of
 *   that head and dq of the g = Hq/Hkv query heads that read it, so items
 *   never write the same memory and may run in any order on any thread.
 *   Inside an item the query blocks of the forward's tiling run in order;
 *   the g heads are packed into one matrix as in the forward.
 * - pan_tiled_attention_backward_plan fills the plan from validated
 *   arguments and returns the number of items (0: nothing to do) and the
 *   scratch floats one worker needs (slot_floats, a multiple of 16).
 * - Determinism: the items, blocks and gemm shapes depend only on the
 *   arguments; results are bit-identical for a given gemm.
 * - `gemm` computes C = alpha op(A) op(B) + beta C, row-major, with any
 *   transposition, single-threaded (the backend's workers supply the
 *   parallelism).
 */
#ifndef PAN_BACKENDS_COMMON_TILED_ATTENTION_BACKWARD_H
#define PAN_BACKENDS_COMMON_TILED_ATTENTION_BACKWARD_H

#include "backends/common/tiled_attention.h"

typedef void (*pan_tile_gemm_fn)(bool trans_a, bool trans_b, int m, int n,
                                 int k, float alpha, const float *a, int lda,
                                 const float *b, int ldb, float beta, float *c,
                                 int ldc);

typedef struct pan_tiled_attention_backward {
    pan_tiled_attention fwd; /* sizes, masks, q/k/v, the query blocks */
    const pan_attention_backward_args *args;
    pan_tile_gemm_fn gemm;
    const float *out, *dout, *lse; /* (B,Tq,Hq,D) x2, (B,Hq,Tq) */
    float *dq, *dk, *dv;           /* each NULL if not requested */
    size_t slot_floats;
} pan_tiled_attention_backward;

int64_t pan_tiled_attention_backward_plan(pan_tiled_attention_backward *plan,
                                          const pan_attention_backward_args *args,
                                          pan_tile_gemm_fn gemm);

void pan_tiled_attention_backward_item(const pan_tiled_attention_backward *plan,
                                       int64_t item, float *scratch);

#endif
