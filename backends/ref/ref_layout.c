/* backends/ref/ref_layout.c: data movement: embedding lookup, patchify and
 * unpatchify (DiT/ViT order, see backends/backend.h). */
#include <string.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

static void embedding_rows(void *ctx, int64_t begin, int64_t end) {
    const pan_embedding_args *p = ctx;
    const float *table = p->table->data; /* (V, D) */
    const int32_t *ids = p->ids->data;   /* (count) */
    float *out = p->out->data;           /* (count, D) */
    for (int64_t i = begin; i < end; i++)
        memcpy(out + i * p->dim, table + (int64_t)ids[i] * p->dim,
               (size_t)p->dim * sizeof(float));
}

pan_status pan_ref_embedding(pan_backend *be, const pan_embedding_args *args) {
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->dim + 1) + 1;
    pan_threadpool_for(be->pool, args->count, grain, embedding_rows,
                       (void *)args);
    return PAN_OK;
}

/* One image per task: the patch permutation of pan_ref_patch_move. */
typedef struct patch_job {
    pan_ref_patch_move move;
    const float *in;
    float *out;
} patch_job;

static void patch_images(void *ctx, int64_t begin, int64_t end) {
    const patch_job *job = ctx;
    const pan_ref_patch_move *p = &job->move;
    int64_t P = p->patch, gw = p->w / P, gh = p->h / P;
    int64_t token_size = p->c * P * P;
    for (int64_t n = begin; n < end; n++) {
        const float *in = job->in + n * p->c * p->h * p->w;
        float *out = job->out + n * p->c * p->h * p->w;
        for (int64_t py = 0; py < gh; py++)
            for (int64_t px = 0; px < gw; px++)
                for (int64_t c = 0; c < p->c; c++)
                    for (int64_t dy = 0; dy < P; dy++)
                        for (int64_t dx = 0; dx < P; dx++) {
                            int64_t pixel = (c * p->h + py * P + dy) * p->w +
                                            px * P + dx;
                            int64_t value = (py * gw + px) * token_size +
                                            (c * P + dy) * P + dx;
                            int64_t to = p->to_tokens ? value : pixel;
                            int64_t from = p->to_tokens ? pixel : value;
                            out[to] = p->accumulate ? out[to] + in[from]
                                                    : in[from];
                        }
    }
}

void pan_ref_patch_run(pan_backend *be, const pan_ref_patch_move *move,
                       const float *in, float *out) {
    patch_job job = {*move, in, out};
    pan_threadpool_for(be->pool, move->n, 1, patch_images, &job);
}

static pan_status patch(pan_backend *be, const pan_patch_args *a,
                        bool to_tokens) {
    pan_ref_patch_move move = {a->n, a->c, a->h, a->w, a->patch, to_tokens,
                               false};
    pan_ref_patch_run(be, &move, a->in->data, a->out->data);
    return PAN_OK;
}

pan_status pan_ref_patchify(pan_backend *be, const pan_patch_args *args) {
    return patch(be, args, true);
}

pan_status pan_ref_unpatchify(pan_backend *be, const pan_patch_args *args) {
    return patch(be, args, false);
}
