/* backends/ref/ref_loss.c: the training losses MSE (per-item weights), L1
 * and the KL of a diagonal Gaussian against N(0, 1) (contract:
 * backends/backward_args.h). One task per item sums its elements in
 * double; the item sums are then added in item order, so the loss does not
 * depend on the thread count. Gradients are elementwise. */
#include <math.h>
#include <stdlib.h>

#include "backends/ref/ref_ops.h"
#include "core/threadpool.h"

typedef enum loss_kind { LOSS_MSE, LOSS_L1, LOSS_KL } loss_kind;

typedef struct loss_job {
    const pan_loss_args *args;
    loss_kind kind;
    double *item; /* (B) per-item sums */
} loss_job;

static void loss_items(void *ctx, int64_t begin, int64_t end) {
    loss_job *j = ctx;
    const pan_loss_args *p = j->args;
    const float *weights = p->weights ? p->weights->data : NULL;
    int64_t E = p->per_item;
    double inv_b = 1.0 / (double)p->batch, gs = p->grad_scale;
    for (int64_t b = begin; b < end; b++) {
        const float *x = (const float *)p->pred->data + b * E;
        const float *t = (const float *)p->target->data + b * E;
        float *dx = p->dpred ? (float *)p->dpred->data + b * E : NULL;
        float *dt = p->dtarget ? (float *)p->dtarget->data + b * E : NULL;
        double w = weights ? weights[b] : 1.0, sum = 0.0;
        /* d loss / d element, without the element's own factor */
        double unit = gs * inv_b * (E ? w / (double)E : 0.0);
        for (int64_t e = 0; e < E; e++) {
            double xv = x[e], tv = t[e], diff = xv - tv;
            switch (j->kind) {
            case LOSS_MSE:
                sum += diff * diff;
                if (dx) dx[e] += (float)(2.0 * diff * unit);
                break;
            case LOSS_L1:
                sum += fabs(diff);
                if (dx) dx[e] += (float)((diff > 0) - (diff < 0)) * (float)unit;
                break;
            case LOSS_KL: { /* x = mean, t = logvar */
                double ev = exp(tv);
                sum += -0.5 * (1.0 + tv - xv * xv - ev);
                if (dx) dx[e] += (float)(gs * inv_b * xv);
                if (dt) dt[e] += (float)(gs * inv_b * 0.5 * (ev - 1.0));
                break;
            }
            }
        }
        j->item[b] = j->kind == LOSS_KL ? sum : (E ? w * sum / (double)E : 0.0);
    }
}

static pan_status loss(pan_backend *be, const pan_loss_args *args,
                       loss_kind kind, const char *op) {
    loss_job j = {.args = args, .kind = kind};
    j.item = malloc((size_t)(args->batch + 1) * sizeof *j.item);
    if (!j.item)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "ref %s: cannot allocate %lld item sums", op,
                             (long long)args->batch);
    int64_t grain = PAN_REF_GRAIN_ELEMENTS / (args->per_item + 1) + 1;
    pan_threadpool_for(be->pool, args->batch, grain, loss_items, &j);
    double total = 0.0;
    for (int64_t b = 0; b < args->batch; b++) total += j.item[b];
    ((float *)args->loss->data)[0] = (float)(total / (double)args->batch);
    free(j.item);
    return PAN_OK;
}

pan_status pan_ref_mse_loss(pan_backend *be, const pan_loss_args *args) {
    return loss(be, args, LOSS_MSE, "mse_loss");
}

pan_status pan_ref_l1_loss(pan_backend *be, const pan_loss_args *args) {
    return loss(be, args, LOSS_L1, "l1_loss");
}

pan_status pan_ref_kl_loss(pan_backend *be, const pan_loss_args *args) {
    return loss(be, args, LOSS_KL, "kl_loss");
}
