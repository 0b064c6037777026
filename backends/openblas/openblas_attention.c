/* backends/openblas/openblas_attention.c: scaled dot-product attention as
 * two sgemms per (batch, query head, block of query rows).
 *
 * For one item (b, h, rows [i0, i0+R)) with L keys in the cache:
 *   S (R, nk) = scale * Q[b, i0:i0+R, h, :] @ K[b, 0:nk, h/g, :]^T
 *               (lda = Hq*D, ldb = Hkv*D: read in place from (B, T, H, D))
 *   mask S (causal rows stop at their own position; block and key masks
 *   set -inf), P = exp(S - rowmax) unnormalised, with the fast expf
 *   O (R, D) = P @ V[b, 0:nk, h/g, :]   (ldc = Hq*D), then row i *= 1/sum_i
 * nk is L, or with a causal or block mask the last key some row of the
 * block sees, so those masks skip the keys no row of the block can see. A
 * row that sees no key gets zeros. Items run on the pan pool with
 * single-threaded sgemm (measured faster than threading each small sgemm:
 * see docs/benchmarks.md); each writes only its own output rows, so
 * results are identical for every thread count.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "backends/openblas/fast_exp.h"
#include "backends/openblas/openblas_internal.h"

/* Query rows per item: larger blocks make larger, faster sgemms; with a
 * causal or block mask, smaller blocks skip more of the keys no row of the
 * block sees. Measured on the 256-token cases (docs/benchmarks.md). */
#define Q_BLOCK_DENSE 128
#define Q_BLOCK_MASKED 64

typedef struct attention_plan {
    const pan_attention_args *args;
    const float *q, *k, *v; /* (B, Tq, Hq, D), (B, Tk, Hkv, D) x2 */
    float *out;             /* (B, Tq, Hq, D) */
    const int32_t *kv_len;  /* (B) or NULL */
    const int32_t *q_block, *k_block; /* (Tq), (Tk) with BLOCK masks */
    const uint8_t *key_mask;/* (B, Tk) or NULL */
    float *scratch;         /* slots x slot_floats: S then 1/sum per row */
    size_t slot_floats;
    int64_t q_block_rows;   /* query rows per item */
    int64_t n_blocks;       /* query blocks per (b, h) */
} attention_plan;

/* Keys [0, n) of one score row: hide those the masks remove. */
static void mask_row(const attention_plan *p, int64_t b, int64_t i, float *s,
                     int64_t n) {
    const pan_attention_args *a = p->args;
    if (a->mask == PAN_ATTENTION_MASK_BLOCK) {
        int32_t qb = p->q_block[i];
        for (int64_t j = 0; j < n; j++)
            s[j] = p->k_block[j] <= qb ? s[j] : -INFINITY;
    }
    if (p->key_mask) {
        const uint8_t *km = p->key_mask + b * a->kv_capacity;
        for (int64_t j = 0; j < n; j++) s[j] = km[j] ? s[j] : -INFINITY;
    }
}

/* BLOCK mask: keys past the last one that some row of [i0, i0+rows) sees
 * are hidden from every row, so the item stops there (0: no key at all). */
static int64_t block_keys(const attention_plan *p, int64_t i0, int64_t rows,
                          int64_t len) {
    int32_t q_max = p->q_block[i0];
    for (int64_t r = 1; r < rows; r++)
        if (p->q_block[i0 + r] > q_max) q_max = p->q_block[i0 + r];
    int64_t nk = len;
    while (nk > 0 && p->k_block[nk - 1] > q_max) nk--;
    return nk;
}

/* Softmax numerator in place over s[0, n); zeros s[n, width). Returns
 * 1/sum, or 0 when the row sees no key (every score -inf). NaN scores give
 * a NaN row. */
static float softmax_row(float *s, int64_t n, int64_t width) {
    float max = pan_fast_max(s, n);
    /* every score -inf or NaN: exp(s) gives 0 (no key) or NaN */
    float shift = max == -INFINITY ? 0.0f : max;
    float sum = pan_fast_exp_shift_sum(s, n, shift);
    if (width > n) memset(s + n, 0, (size_t)(width - n) * sizeof *s);
    if (sum == 0.0f) return 0.0f;
    return 1.0f / sum;
}

static void attention_item(void *ctx, int64_t item, int slot) {
    const attention_plan *p = ctx;
    const pan_attention_args *a = p->args;
    int64_t hq = a->q_heads, hkv = a->kv_heads, d = a->head_dim;
    int64_t tq = a->q_len, tk = a->kv_capacity;
    /* items run largest block first: block index descends fastest */
    int64_t blk = p->n_blocks - 1 - item % p->n_blocks;
    int64_t bh = item / p->n_blocks, b = bh / hq, h = bh % hq;
    int64_t qb = p->q_block_rows, i0 = blk * qb;
    int64_t rows = tq - i0 < qb ? tq - i0 : qb;
    int64_t len = p->kv_len ? p->kv_len[b] : tk;
    bool causal = a->mask == PAN_ATTENTION_MASK_CAUSAL;
    int64_t nk = causal ? len - tq + i0 + rows : len; /* >= rows when causal */
    if (a->mask == PAN_ATTENTION_MASK_BLOCK)
        nk = block_keys(p, i0, rows, len);
    const float *q = p->q + ((b * tq + i0) * hq + h) * d;
    const float *k = p->k + (b * tk * hkv + h / (hq / hkv)) * d;
    const float *v = p->v + (b * tk * hkv + h / (hq / hkv)) * d;
    float *out = p->out + ((b * tq + i0) * hq + h) * d; /* rows, ld Hq*D */
    if (nk <= 0) {
        for (int64_t r = 0; r < rows; r++)
            memset(out + r * hq * d, 0, (size_t)d * sizeof *out);
        return;
    }
    float *s = p->scratch + (size_t)slot * p->slot_floats; /* (rows, nk) */
    float *inv = s + rows * nk;                              /* (rows) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)nk,
                (int)d, a->scale, q, (int)(hq * d), k, (int)(hkv * d), 0.0f, s,
                (int)nk);
    for (int64_t r = 0; r < rows; r++) {
        float *row = s + r * nk;
        int64_t n = causal ? len - tq + i0 + r + 1 : nk;
        mask_row(p, b, i0 + r, row, n);
        inv[r] = softmax_row(row, n, nk);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)d,
                (int)nk, 1.0f, s, (int)nk, v, (int)(hkv * d), 0.0f, out,
                (int)(hq * d));
    for (int64_t r = 0; r < rows; r++) {
        float *o = out + r * hq * d;
        if (inv[r] == 0.0f) {
            memset(o, 0, (size_t)d * sizeof *o);
            continue;
        }
        for (int64_t j = 0; j < d; j++) o[j] *= inv[r];
    }
}

pan_status pan_openblas_attention(pan_backend *be,
                                  const pan_attention_args *args) {
    const pan_attention_args *a = args;
    if (a->batch == 0 || a->q_len == 0 || a->q_heads == 0 ||
        a->head_dim == 0)
        return PAN_OK;
    attention_plan p = {.args = a, .q = a->q->data, .k = a->k->data,
                        .v = a->v->data, .out = a->out->data,
                        .kv_len = a->kv_len ? a->kv_len->data : NULL,
                        .q_block = a->q_block ? a->q_block->data : NULL,
                        .k_block = a->k_block ? a->k_block->data : NULL,
                        .key_mask = a->key_mask ? a->key_mask->data : NULL};
    p.q_block_rows = a->mask == PAN_ATTENTION_MASK_NONE ? Q_BLOCK_DENSE
                                                        : Q_BLOCK_MASKED;
    if (p.q_block_rows > a->q_len) p.q_block_rows = a->q_len;
    p.n_blocks = (a->q_len + p.q_block_rows - 1) / p.q_block_rows;
    int64_t items = a->batch * a->q_heads * p.n_blocks;
    int64_t tk = a->kv_capacity > 0 ? a->kv_capacity : 1;
    p.slot_floats =
        pan_openblas_slot_floats((size_t)(p.q_block_rows * (tk + 1)));
    int slots = pan_openblas_slots(be, items);
    p.scratch = pan_openblas_scratch(be, p.slot_floats * (size_t)slots,
                                     "attention");
    if (!p.scratch) return PAN_ERR_RESOURCE_EXHAUSTED;
    pan_openblas_parallel(be, items, attention_item, &p);
    return PAN_OK;
}
