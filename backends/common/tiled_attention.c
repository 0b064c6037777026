/* backends/common/tiled_attention.c: the tiled attention algorithm
 * (contract in tiled_attention.h).
 *
 * The g = Hq/Hkv query heads that share key/value head kh are packed into
 * one (g*R, D) matrix (head-major), so one sgemm pair serves all of them
 * and K, V are packed once per tile instead of g times. For one tile
 * (b, kh, rows [i0, i0+R)) with L keys in the cache:
 *   S (g*R, nk) = scale * Qp @ K[b, 0:nk, kh, :]^T   (ldb = Hkv*D, in place)
 *   mask S (causal rows stop at their own position; block and key masks
 *   set -inf), P = exp(S - rowmax) unnormalised, with the fast expf
 *   Op (g*R, D) = P @ V[b, 0:nk, kh, :], then each row scaled by 1/sum into
 *   its place in out (B, Tq, Hq, D)
 * nk is L, or with a causal, rounds or block mask the last key some row of
 * the block sees, so those masks skip the keys no row of the block can
 * see. A row that sees no key gets zeros. The optional lse output is
 * rowmax + log(sum) of each packed row (-inf when it sees no key). Query blocks are of equal size (within
 * one row) so tiles balance.
 */
#include "backends/common/tiled_attention.h"

#include <math.h>
#include <string.h>

#include "backends/common/fast_exp.h"

/* Query rows per tile: larger blocks make larger, faster sgemms; with a
 * causal or block mask, smaller blocks skip more of the keys no row of the
 * block sees. Measured on the 256-token cases (docs/benchmarks.md) and the
 * backbone's 93-row rounds. */
#define Q_BLOCK_DENSE 128
#define Q_BLOCK_MASKED 64

/* Scratch floats of one tile of `rows` query rows against `keys` keys:
 * Q and O of the g heads (g*rows*D each), S (g*rows, keys), 1/sum. */
static size_t tile_floats(int64_t g, int64_t rows, int64_t keys, int64_t d) {
    return (size_t)(g * rows * (2 * d + keys + 1));
}

int64_t pan_tiled_attention_plan(pan_tiled_attention *p,
                                 const pan_attention_args *a,
                                 pan_tile_sgemm_fn sgemm) {
    memset(p, 0, sizeof *p);
    if (a->batch == 0 || a->q_len == 0 || a->q_heads == 0 ||
        a->head_dim == 0)
        return 0;
    p->args = a;
    p->sgemm = sgemm;
    p->q = a->q->data;
    p->k = a->k->data;
    p->v = a->v->data;
    p->out = a->out ? a->out->data : NULL; /* NULL: a backward plan */
    p->kv_len = a->kv_len ? a->kv_len->data : NULL;
    p->q_block = a->q_block ? a->q_block->data : NULL;
    p->k_block = a->k_block ? a->k_block->data : NULL;
    p->key_mask = a->key_mask ? a->key_mask->data : NULL;
    p->q_round = a->q_round ? a->q_round->data : NULL;
    p->k_round = a->k_round ? a->k_round->data : NULL;
    p->lse = a->lse ? a->lse->data : NULL;
    p->q_block_rows = a->mask == PAN_ATTENTION_MASK_NONE ? Q_BLOCK_DENSE
                                                         : Q_BLOCK_MASKED;
    if (p->q_block_rows > a->q_len) p->q_block_rows = a->q_len;
    p->n_blocks = (a->q_len + p->q_block_rows - 1) / p->q_block_rows;
    /* equal blocks (sizes differ by at most one row) balance the tiles */
    p->q_block_rows = (a->q_len + p->n_blocks - 1) / p->n_blocks;
    int64_t tk = a->kv_capacity > 0 ? a->kv_capacity : 1;
    size_t floats = tile_floats(a->q_heads / a->kv_heads, p->q_block_rows, tk,
                                a->head_dim);
    p->slot_floats = (floats + 15) / 16 * 16; /* 64-byte multiple */
    return a->batch * a->kv_heads * p->n_blocks;
}

void pan_tiled_attention_mask_row(const pan_tiled_attention *p, int64_t b,
                                  int64_t i, float *s, int64_t n) {
    const pan_attention_args *a = p->args;
    if (a->mask == PAN_ATTENTION_MASK_BLOCK) {
        int32_t qb = p->q_block[i];
        for (int64_t j = 0; j < n; j++)
            s[j] = p->k_block[j] <= qb ? s[j] : -INFINITY;
    }
    if (a->mask == PAN_ATTENTION_MASK_ROUNDS) {
        const int32_t *kr = p->k_round + b * a->kv_capacity;
        int64_t lo = (int64_t)p->q_round[b * a->q_len + i] - a->round_window + 2;
        for (int64_t j = 0; j < n; j++)
            s[j] = kr[j] == 0 || kr[j] >= lo ? s[j] : -INFINITY;
    }
    if (p->key_mask) {
        const uint8_t *km = p->key_mask + b * a->kv_capacity;
        for (int64_t j = 0; j < n; j++) s[j] = km[j] ? s[j] : -INFINITY;
    }
}

static int64_t block_keys(const pan_tiled_attention *p, int64_t i0,
                          int64_t rows, int64_t len) {
    int32_t q_max = p->q_block[i0];
    for (int64_t r = 1; r < rows; r++)
        if (p->q_block[i0 + r] > q_max) q_max = p->q_block[i0 + r];
    int64_t nk = len;
    while (nk > 0 && p->k_block[nk - 1] > q_max) nk--;
    return nk;
}

/* Softmax numerator in place over s[0, n); zeros s[n, width). Returns
 * 1/sum, or 0 when the row sees no key (every score -inf); *lse gets
 * max + log(sum) (-inf without a key). NaN scores give a NaN row. */
static float softmax_row(float *s, int64_t n, int64_t width, float *lse) {
    float max = pan_fast_max(s, n);
    /* every score -inf or NaN: exp(s) gives 0 (no key) or NaN */
    float shift = max == -INFINITY ? 0.0f : max;
    float sum = pan_fast_exp_shift_sum(s, n, shift);
    if (width > n) memset(s + n, 0, (size_t)(width - n) * sizeof *s);
    if (sum == 0.0f) {
        *lse = -INFINITY;
        return 0.0f;
    }
    *lse = shift + logf(sum);
    return 1.0f / sum;
}

int64_t pan_tiled_attention_keys(const pan_tiled_attention *p, int64_t b,
                                 int64_t i0, int64_t rows) {
    const pan_attention_args *a = p->args;
    int64_t len = p->kv_len ? p->kv_len[b] : a->kv_capacity;
    if (a->mask == PAN_ATTENTION_MASK_CAUSAL ||
        a->mask == PAN_ATTENTION_MASK_ROUNDS)
        return len - a->q_len + i0 + rows;
    if (a->mask == PAN_ATTENTION_MASK_BLOCK) return block_keys(p, i0, rows, len);
    return len;
}

void pan_tiled_attention_tile(const pan_tiled_attention *p, int64_t tile,
                              float *scratch) {
    const pan_attention_args *a = p->args;
    int64_t hq = a->q_heads, hkv = a->kv_heads, d = a->head_dim;
    int64_t g = hq / hkv; /* query heads sharing one key/value head */
    int64_t tq = a->q_len, tk = a->kv_capacity;
    /* items run largest block first: block index descends fastest */
    int64_t blk = p->n_blocks - 1 - tile % p->n_blocks;
    int64_t bh = tile / p->n_blocks, b = bh / hkv, kh = bh % hkv;
    int64_t qb = p->q_block_rows, i0 = blk * qb;
    int64_t rows = tq - i0 < qb ? tq - i0 : qb;
    int64_t len = p->kv_len ? p->kv_len[b] : tk;
    bool causal = a->mask == PAN_ATTENTION_MASK_CAUSAL ||
                  a->mask == PAN_ATTENTION_MASK_ROUNDS;
    int64_t nk = pan_tiled_attention_keys(p, b, i0, rows);
    /* the g query heads of key head kh are heads kh*g .. kh*g+g-1, which
     * sit side by side in each token's row of q and out */
    const float *q = p->q + ((b * tq + i0) * hq + kh * g) * d;
    const float *k = p->k + (b * tk * hkv + kh) * d;
    const float *v = p->v + (b * tk * hkv + kh) * d;
    float *out = p->out + ((b * tq + i0) * hq + kh * g) * d;
    if (nk <= 0) {
        for (int64_t r = 0; r < rows; r++)
            memset(out + r * hq * d, 0, (size_t)(g * d) * sizeof *out);
        if (p->lse)
            for (int64_t j = 0; j < g; j++)
                for (int64_t r = 0; r < rows; r++)
                    p->lse[((b * hq + kh * g + j) * tq) + i0 + r] = -INFINITY;
        return;
    }
    /* packed rows are head-major: row j*rows + r is head kh*g+j, query
     * i0+r; one sgemm pair then serves all g heads */
    int64_t m = g * rows;
    float *qp = scratch;                                     /* (m, D) */
    float *op = qp + m * d;                                  /* (m, D) */
    float *s = op + m * d;                                   /* (m, nk) */
    float *inv = s + m * nk;                                 /* (m) */
    for (int64_t j = 0; j < g; j++)
        for (int64_t r = 0; r < rows; r++)
            memcpy(qp + (j * rows + r) * d, q + r * hq * d + j * d,
                   (size_t)d * sizeof *qp);
    p->sgemm(true, (int)m, (int)nk, (int)d, a->scale, qp, (int)d, k,
             (int)(hkv * d), s, (int)nk);
    for (int64_t pr = 0; pr < m; pr++) {
        int64_t r = pr % rows;
        float *row = s + pr * nk;
        int64_t n = causal ? len - tq + i0 + r + 1 : nk;
        pan_tiled_attention_mask_row(p, b, i0 + r, row, n);
        float lse;
        inv[pr] = softmax_row(row, n, nk, &lse);
        if (p->lse) /* (B, Hq, Tq); packed row pr is head kh*g + pr/rows */
            p->lse[(b * hq + kh * g + pr / rows) * tq + i0 + r] = lse;
    }
    p->sgemm(false, (int)m, (int)d, (int)nk, 1.0f, s, (int)nk, v,
             (int)(hkv * d), op, (int)d);
    for (int64_t j = 0; j < g; j++)
        for (int64_t r = 0; r < rows; r++) {
            const float *src = op + (j * rows + r) * d;
            float *dst = out + r * hq * d + j * d, w = inv[j * rows + r];
            if (w == 0.0f) /* the row sees no key */
                memset(dst, 0, (size_t)d * sizeof *dst);
            else
                for (int64_t e = 0; e < d; e++) dst[e] = src[e] * w;
        }
}

