/* backends/common/tiled_attention.h: scaled dot-product attention as two
 * sgemms per tile, shared by the openblas and onednn backends (each plugs
 * in its own sgemm and runs the tiles on its own workers).
 *
 * Contract
 * - A tile is (batch b, key/value head kh, block of query rows). The
 *   g = Hq/Hkv query heads that share kh are packed into one (g*R, D)
 *   matrix, so one sgemm pair serves all of them (backends/common/
 *   tiled_attention.c has the algorithm).
 * - pan_tiled_attention_plan fills the plan from validated arguments
 *   (backends/backend.h, PAN_OP_ATTENTION) and the backend's sgemm; it
 *   returns the number of tiles (0: nothing to do) and the scratch floats
 *   one worker needs (plan->slot_floats, a multiple of 16).
 * - Every mask kind (ROUNDS too) and the optional lse output are
 *   supported.
 * - pan_tiled_attention_tile(plan, tile, scratch) computes one tile into
 *   the output rows (and lse entries) only that tile writes; `scratch` is slot_floats floats
 *   owned by the calling worker. Tiles may run in any order on any thread.
 * - Determinism: the tiling depends only on the shapes, never on the thread
 *   count; a tile's result depends only on its inputs and the sgemm, which
 *   must itself be deterministic for a given shape.
 * - `sgemm` computes C = alpha * A @ op(B) in row-major order (beta 0), A
 *   never transposed, op(B) = B^T when trans_b; it runs single-threaded
 *   (the backend's workers supply the parallelism).
 */
#ifndef PAN_BACKENDS_COMMON_TILED_ATTENTION_H
#define PAN_BACKENDS_COMMON_TILED_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"

typedef void (*pan_tile_sgemm_fn)(bool trans_b, int m, int n, int k,
                                  float alpha, const float *a, int lda,
                                  const float *b, int ldb, float *c, int ldc);

typedef struct pan_tiled_attention {
    const pan_attention_args *args;
    pan_tile_sgemm_fn sgemm;
    const float *q, *k, *v; /* (B, Tq, Hq, D), (B, Tk, Hkv, D) x2 */
    float *out;             /* (B, Tq, Hq, D) */
    const int32_t *kv_len;  /* (B) or NULL */
    const int32_t *q_block, *k_block; /* (Tq), (Tk) with BLOCK masks */
    const uint8_t *key_mask;/* (B, Tk) or NULL */
    const int32_t *q_round, *k_round; /* (B, Tq), (B, Tk) with ROUNDS */
    float *lse;             /* (B, Hq, Tq) or NULL */
    int64_t q_block_rows;   /* query rows per tile */
    int64_t n_blocks;       /* query blocks per (b, kh) */
    size_t slot_floats;     /* scratch floats per worker */
} pan_tiled_attention;

int64_t pan_tiled_attention_plan(pan_tiled_attention *plan,
                                 const pan_attention_args *args,
                                 pan_tile_sgemm_fn sgemm);

void pan_tiled_attention_tile(const pan_tiled_attention *plan, int64_t tile,
                              float *scratch);

/* Shared with the backward (tiled_attention_backward.h): the number of
 * keys [0, nk) some query row of [i0, i0+rows) of batch b can see (the
 * causal, rounds and block masks stop early; <= 0: none), and, for one
 * score row s[0, n) of query i, -inf where the block, rounds and key masks
 * hide a key (n already stops at the causal limit). */
int64_t pan_tiled_attention_keys(const pan_tiled_attention *plan, int64_t b,
                                 int64_t i0, int64_t rows);
void pan_tiled_attention_mask_row(const pan_tiled_attention *plan, int64_t b,
                                  int64_t i, float *s, int64_t n);

#endif
