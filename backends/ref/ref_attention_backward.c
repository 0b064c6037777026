/* backends/ref/ref_attention_backward.c: the flash-style attention
 * backward (contract: backends/backward_args.h, ATTENTION_BACKWARD).
 *
 * One task per (batch, key/value head): it owns dk and dv of that head and
 * dq of the query heads that read it, so nothing is shared between tasks.
 * Within a task, queries run in order (head, then query), keys in order,
 * and every sum is in double: p = exp(scale q.k - lse) is recomputed from
 * the forward's lse, D = dout . out, ds = p (dout . v - D).
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef struct backward_job {
    const pan_attention_backward_args *args;
    atomic_int out_of_memory;
} backward_job;

static void head_tasks(void *ctx, int64_t begin, int64_t end) {
    backward_job *job = ctx;
    const pan_attention_backward_args *a = job->args;
    const pan_attention_args *p = &a->fwd;
    int64_t D = p->head_dim, Hq = p->q_heads, Hkv = p->kv_heads;
    int64_t Tq = p->q_len, Tk = p->kv_capacity, group = Hq / Hkv;
    /* dk, dv (Tk, D) and dq of one row (D), in double */
    double *acc = malloc((size_t)(2 * Tk * D + D + 1) * sizeof *acc);
    if (!acc) {
        atomic_store(&job->out_of_memory, 1);
        return;
    }
    double *dk = acc, *dv = acc + Tk * D, *dq = acc + 2 * Tk * D;
    const float *q_all = p->q->data, *k_all = p->k->data, *v_all = p->v->data;
    const float *out_all = a->out->data, *dout_all = a->dout->data;
    const float *lse_all = a->lse->data; /* (B, Hq, Tq) */
    for (int64_t task = begin; task < end; task++) {
        int64_t b = task / Hkv, kvh = task % Hkv;
        int64_t kv_len = p->kv_len ? ((const int32_t *)p->kv_len->data)[b] : Tk;
        for (int64_t e = 0; e < 2 * Tk * D; e++) acc[e] = 0.0;
        for (int64_t h = kvh * group; h < (kvh + 1) * group; h++)
            for (int64_t i = 0; i < Tq; i++) {
                double lse = lse_all[(b * Hq + h) * Tq + i];
                if (lse == -INFINITY) continue; /* saw no key */
                int64_t row = (b * Tq + i) * Hq + h;
                const float *q = q_all + row * D, *o = out_all + row * D;
                const float *g = dout_all + row * D;
                double big_d = 0.0;
                for (int64_t d = 0; d < D; d++) big_d += (double)g[d] * o[d];
                for (int64_t d = 0; d < D; d++) dq[d] = 0.0;
                for (int64_t j = 0; j < Tk; j++) {
                    if (!pan_ref_attention_visible(p, b, i, j, kv_len)) continue;
                    int64_t kv = ((b * Tk + j) * Hkv + kvh) * D;
                    const float *k = k_all + kv, *v = v_all + kv;
                    double dot = 0.0, dp = 0.0;
                    for (int64_t d = 0; d < D; d++) {
                        dot += (double)q[d] * k[d];
                        dp += (double)g[d] * v[d];
                    }
                    double pr = exp((double)p->scale * dot - lse);
                    double ds = pr * (dp - big_d) * (double)p->scale;
                    for (int64_t d = 0; d < D; d++) {
                        dv[j * D + d] += pr * g[d];
                        dk[j * D + d] += ds * q[d];
                        dq[d] += ds * k[d];
                    }
                }
                if (a->dq) {
                    float *dqo = (float *)a->dq->data + row * D;
                    for (int64_t d = 0; d < D; d++) dqo[d] += (float)dq[d];
                }
            }
        for (int64_t j = 0; j < Tk; j++) {
            int64_t kv = ((b * Tk + j) * Hkv + kvh) * D;
            if (a->dk) {
                float *dko = (float *)a->dk->data + kv;
                for (int64_t d = 0; d < D; d++) dko[d] += (float)dk[j * D + d];
            }
            if (a->dv) {
                float *dvo = (float *)a->dv->data + kv;
                for (int64_t d = 0; d < D; d++) dvo[d] += (float)dv[j * D + d];
            }
        }
    }
    free(acc);
}

pan_status pan_ref_attention_backward(pan_backend *be,
                                      const pan_attention_backward_args *args) {
    backward_job job = {.args = args};
    atomic_init(&job.out_of_memory, 0);
    pan_threadpool_for(be->pool, args->fwd.batch * args->fwd.kv_heads, 1,
                       head_tasks, &job);
    if (atomic_load(&job.out_of_memory))
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref attention_backward: cannot allocate %lld "
                             "key gradients",
                             (long long)args->fwd.kv_capacity);
    return PAN_OK;
}
