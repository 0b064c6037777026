/* backends/ref/ref_rope.c: rotary position embedding, "rotate half".
 * Frequencies are computed in f32 exactly as Hugging Face does
 * (inv_freq = 1 / theta^(2i/dim); angle = pos * inv_freq), so the PyTorch
 * twin matches bit for bit in the angles. */
#include <math.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

/* Rotates `dim` values of x (pairs i, i + dim/2) by position `pos`. */
static void rotate(const float *x, float *out, int64_t dim, int32_t pos,
                   float theta) {
    int64_t half = dim / 2;
    for (int64_t i = 0; i < half; i++) {
        float inv_freq = 1.0f / powf(theta, (float)(2 * i) / (float)dim);
        float angle = (float)pos * inv_freq;
        float c = cosf(angle), s = sinf(angle);
        float x1 = x[i], x2 = x[i + half];
        out[i] = x1 * c - x2 * s;
        out[i + half] = x2 * c + x1 * s;
    }
}

static void rope_tokens(void *ctx, int64_t begin, int64_t end) {
    const pan_rope_args *p = ctx;
    const int32_t *positions = p->positions->data; /* (B, T) or (B, T, 2) */
    int64_t D = p->head_dim;
    for (int64_t bt = begin; bt < end; bt++) {
        for (int64_t h = 0; h < p->heads; h++) {
            int64_t offset = (bt * p->heads + h) * D;
            const float *x = (const float *)p->x->data + offset;
            float *out = (float *)p->out->data + offset;
            if (p->dims == 1) {
                rotate(x, out, D, positions[bt], p->theta);
            } else {
                rotate(x, out, D / 2, positions[2 * bt], p->theta);
                rotate(x + D / 2, out + D / 2, D / 2, positions[2 * bt + 1],
                       p->theta);
            }
        }
    }
}

pan_status pan_ref_rope(pan_backend *be, const pan_rope_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->heads * args->head_dim) + 1;
    pan_threadpool_for(be->pool, args->batch * args->tokens, grain,
                       rope_tokens, (void *)args);
    return PAN_OK;
}
