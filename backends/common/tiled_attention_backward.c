/* backends/common/tiled_attention_backward.c: the tiled attention backward
 * (contract in tiled_attention_backward.h).
 *
 * For item (b, kh), query block [i0, i0+R) of the g heads packed into
 * m = g*R rows, against the nk keys the block can see (as the forward):
 *   Qp, dOp (m, D) packed; Dv[r] = dout_r . out_r; l[r] = lse
 *   P  (m, nk) = exp(scale * Qp @ K^T - l), masked entries 0, rows with
 *                l = -inf (no key) all 0
 *   dV += P^T @ dOp                      (into dv, ldc = Hkv*D, beta 1)
 *   dS (m, nk) = P * (dOp @ V^T - Dv)
 *   dq += scale * dS @ K                 (via a packed (m, D) buffer)
 *   dK += scale * dS^T @ Qp              (into dk, beta 1)
 * Five gemms per block; exp is pan_fast_exp_shift_sum's.
 */
#include "backends/common/tiled_attention_backward.h"

#include <math.h>
#include <string.h>

#include "backends/common/fast_exp.h"

int64_t pan_tiled_attention_backward_plan(pan_tiled_attention_backward *p,
                                          const pan_attention_backward_args *a,
                                          pan_tile_gemm_fn gemm) {
    memset(p, 0, sizeof *p);
    int64_t tiles = pan_tiled_attention_plan(&p->fwd, &a->fwd, NULL);
    if (tiles == 0 || a->fwd.kv_capacity == 0) return 0;
    p->args = a;
    p->gemm = gemm;
    p->out = a->out->data;
    p->dout = a->dout->data;
    p->lse = a->lse->data;
    p->dq = a->dq ? a->dq->data : NULL;
    p->dk = a->dk ? a->dk->data : NULL;
    p->dv = a->dv ? a->dv->data : NULL;
    int64_t g = a->fwd.q_heads / a->fwd.kv_heads;
    int64_t m = g * p->fwd.q_block_rows, d = a->fwd.head_dim;
    size_t floats = (size_t)(m * (3 * d + 2 * a->fwd.kv_capacity + 2));
    p->slot_floats = (floats + 15) / 16 * 16;
    return a->fwd.batch * a->fwd.kv_heads;
}

/* One query block of item (b, kh). */
static void block(const pan_tiled_attention_backward *p, int64_t b, int64_t kh,
                  int64_t blk, float *scratch) {
    const pan_attention_args *a = &p->args->fwd;
    int64_t hq = a->q_heads, hkv = a->kv_heads, d = a->head_dim;
    int64_t g = hq / hkv, tq = a->q_len, tk = a->kv_capacity;
    int64_t qb = p->fwd.q_block_rows, i0 = blk * qb;
    int64_t rows = tq - i0 < qb ? tq - i0 : qb;
    int64_t nk = pan_tiled_attention_keys(&p->fwd, b, i0, rows);
    if (nk <= 0) return; /* no row of the block sees a key */
    int64_t len = p->fwd.kv_len ? p->fwd.kv_len[b] : tk;
    bool causal = a->mask == PAN_ATTENTION_MASK_CAUSAL ||
                  a->mask == PAN_ATTENTION_MASK_ROUNDS;
    int64_t m = g * rows, ld = hkv * d;
    float *qp = scratch;       /* (m, D) */
    float *dop = qp + m * d;   /* (m, D) */
    float *dqp = dop + m * d;  /* (m, D) */
    float *s = dqp + m * d;    /* (m, nk): scores, then P */
    float *ds = s + m * nk;    /* (m, nk): dP, then dS */
    float *dvec = ds + m * nk; /* (m) */
    float *lse = dvec + m;     /* (m) */
    const float *k = p->fwd.k + (b * tk * hkv + kh) * d;
    const float *v = p->fwd.v + (b * tk * hkv + kh) * d;
    for (int64_t j = 0; j < g; j++)
        for (int64_t r = 0; r < rows; r++) {
            int64_t pr = j * rows + r;
            int64_t at = ((b * tq + i0 + r) * hq + kh * g + j) * d;
            memcpy(qp + pr * d, p->fwd.q + at, (size_t)d * sizeof *qp);
            memcpy(dop + pr * d, p->dout + at, (size_t)d * sizeof *dop);
            double dot = 0.0;
            for (int64_t e = 0; e < d; e++)
                dot += (double)p->dout[at + e] * p->out[at + e];
            dvec[pr] = (float)dot;
            lse[pr] = p->lse[(b * hq + kh * g + j) * tq + i0 + r];
        }
    p->gemm(false, true, (int)m, (int)nk, (int)d, a->scale, qp, (int)d, k,
            (int)ld, 0.0f, s, (int)nk);
    for (int64_t pr = 0; pr < m; pr++) {
        int64_t r = pr % rows;
        float *row = s + pr * nk;
        int64_t n = causal ? len - tq + i0 + r + 1 : nk;
        if (lse[pr] == -INFINITY || n <= 0) {
            memset(row, 0, (size_t)nk * sizeof *row);
            continue;
        }
        pan_tiled_attention_mask_row(&p->fwd, b, i0 + r, row, n);
        (void)pan_fast_exp_shift_sum(row, n, lse[pr]);
        if (nk > n) memset(row + n, 0, (size_t)(nk - n) * sizeof *row);
    }
    float *dv = p->dv ? p->dv + (b * tk * hkv + kh) * d : NULL;
    if (dv)
        p->gemm(true, false, (int)nk, (int)d, (int)m, 1.0f, s, (int)nk, dop,
                (int)d, 1.0f, dv, (int)ld);
    if (!p->dq && !p->dk) return;
    p->gemm(false, true, (int)m, (int)nk, (int)d, 1.0f, dop, (int)d, v,
            (int)ld, 0.0f, ds, (int)nk);
    for (int64_t pr = 0; pr < m; pr++) {
        float *dsr = ds + pr * nk;
        const float *pp = s + pr * nk;
        for (int64_t j = 0; j < nk; j++) dsr[j] = pp[j] * (dsr[j] - dvec[pr]);
    }
    if (p->dq) {
        p->gemm(false, false, (int)m, (int)d, (int)nk, a->scale, ds, (int)nk,
                k, (int)ld, 0.0f, dqp, (int)d);
        for (int64_t j = 0; j < g; j++)
            for (int64_t r = 0; r < rows; r++) {
                float *dst = p->dq + ((b * tq + i0 + r) * hq + kh * g + j) * d;
                const float *src = dqp + (j * rows + r) * d;
                for (int64_t e = 0; e < d; e++) dst[e] += src[e];
            }
    }
    if (p->dk)
        p->gemm(true, false, (int)nk, (int)d, (int)m, a->scale, ds, (int)nk,
                qp, (int)d, 1.0f, p->dk + (b * tk * hkv + kh) * d, (int)ld);
}

void pan_tiled_attention_backward_item(const pan_tiled_attention_backward *p,
                                       int64_t item, float *scratch) {
    int64_t hkv = p->args->fwd.kv_heads;
    for (int64_t blk = 0; blk < p->fwd.n_blocks; blk++)
        block(p, item / hkv, item % hkv, blk, scratch);
}
