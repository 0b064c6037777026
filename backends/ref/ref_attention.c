/* backends/ref/ref_attention.c: scaled dot-product attention, one query row
 * (batch, query, head) at a time: scores, mask, softmax, weighted sum; the
 * optional lse output is max + log(sum) of that row's softmax. The mask
 * rule (pan_ref_attention_visible, ref_ops.h) is shared with the backward
 * pass. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef struct attention_job {
    const pan_attention_args *args;
    atomic_int out_of_memory;
} attention_job;

static void attention_rows(void *ctx, int64_t begin, int64_t end) {
    attention_job *job = ctx;
    const pan_attention_args *p = job->args;
    int64_t D = p->head_dim, Hq = p->q_heads, Hkv = p->kv_heads;
    int64_t group = Hq / Hkv;
    float *scores = malloc((size_t)(p->kv_capacity + 1) * sizeof *scores);
    if (!scores) {
        atomic_store(&job->out_of_memory, 1);
        return;
    }
    for (int64_t row = begin; row < end; row++) {
        /* row = (b * Tq + i) * Hq + h */
        int64_t h = row % Hq, i = (row / Hq) % p->q_len, b = row / Hq / p->q_len;
        int64_t kv_len = p->kv_len ? ((const int32_t *)p->kv_len->data)[b]
                                   : p->kv_capacity;
        int64_t kvh = h / group;
        const float *q = (const float *)p->q->data + row * D;  /* (D) */
        float *out = (float *)p->out->data + row * D;          /* (D) */
        float max = -INFINITY;
        for (int64_t j = 0; j < p->kv_capacity; j++) {
            scores[j] = -INFINITY;
            if (!pan_ref_attention_visible(p, b, i, j, kv_len)) continue;
            const float *k = (const float *)p->k->data +
                             ((b * p->kv_capacity + j) * Hkv + kvh) * D;
            float dot = 0.0f;
            for (int64_t d = 0; d < D; d++) dot += q[d] * k[d];
            scores[j] = dot * p->scale;
            if (scores[j] > max) max = scores[j];
        }
        for (int64_t d = 0; d < D; d++) out[d] = 0.0f;
        float *lse = p->lse ? (float *)p->lse->data + (b * Hq + h) * p->q_len + i
                            : NULL; /* (B, Hq, Tq) */
        if (lse) *lse = -INFINITY;
        if (max == -INFINITY) continue; /* sees no key: zeros */
        double sum = 0.0;
        for (int64_t j = 0; j < p->kv_capacity; j++) {
            scores[j] = scores[j] == -INFINITY ? 0.0f : expf(scores[j] - max);
            sum += scores[j];
        }
        if (lse) *lse = (float)((double)max + log(sum));
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < p->kv_capacity; j++) {
            if (scores[j] == 0.0f) continue;
            const float *v = (const float *)p->v->data +
                             ((b * p->kv_capacity + j) * Hkv + kvh) * D;
            float weight = scores[j] * inv;
            for (int64_t d = 0; d < D; d++) out[d] += weight * v[d];
        }
    }
    free(scores);
}

pan_status pan_ref_attention(pan_backend *be, const pan_attention_args *args) {
    attention_job job = {.args = args};
    atomic_init(&job.out_of_memory, 0);
    int64_t rows = args->batch * args->q_len * args->q_heads;
    pan_threadpool_for(be->pool, rows, 1, attention_rows, &job);
    if (atomic_load(&job.out_of_memory))
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref attention: cannot allocate %lld scores",
                             (long long)args->kv_capacity);
    return PAN_OK;
}
