/* benchmarks/bench_train_step.c: the optimizer step of pan-bench-train's
 * stage rows (contract in bench_train.h) -- what pan_trainer_step
 * (core/tools/train_run.c) does around a stage's loss + backward: zero the
 * gradient block, the loss and its backward, global-norm clipping
 * (pan_grads_clip), AdamW on the stage's parameters only (pan_adamw_step
 * after pan_adamw_freeze, as make_stage sets it up), the EMA of the whole
 * parameter block (pan_ema_update). The settings are pan-train's defaults
 * (core/tools/train_config.c) at the schedule's peak learning rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchmarks/bench_train.h"
#include "core/tools/train_config.h"
#include "core/train/optim.h"

struct train_step {
    pan_model *m;
    pan_adamw *opt;
    float *ema;   /* (total_floats): starts as the weights, as the trainer's */
    float *saved; /* (total_floats): the weights before the first step */
};

const train_step_config train_step_defaults = {
    .lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f,
    .clip = 1.0f, .ema = 0.999f};


pan_status train_step_create(train_step **out, pan_model *m, pan_train_stage stage) {
    const pan_param_table *t = &m->params;
    size_t bytes = ((size_t)t->total_floats * sizeof(float) + 63) / 64 * 64;
    train_step *s = calloc(1, sizeof *s);
    if (s) {
        s->m = m;
        s->ema = aligned_alloc(64, bytes ? bytes : 64);
        s->saved = aligned_alloc(64, bytes ? bytes : 64);
    }
    if (!s || !s->ema || !s->saved) {
        if (s) free(s->ema), free(s->saved);
        free(s);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "bench: out of memory for the EMA and a copy of the "
                             "weights (%zu bytes each)", bytes);
    }
    memcpy(s->saved, m->block, (size_t)t->total_floats * sizeof(float));
    memcpy(s->ema, m->block, (size_t)t->total_floats * sizeof(float));
    const train_step_config *c = &train_step_defaults;
    pan_adamw_config oc = {.beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                           .weight_decay = c->weight_decay};
    int n = 0;
    const char *const *prefixes = pan_train_stage_prefixes(stage, &n);
    pan_status st = pan_adamw_create(&s->opt, t, &oc);
    if (st == PAN_OK) st = pan_adamw_freeze(s->opt, prefixes, n);
    if (st != PAN_OK) {
        train_step_destroy(s);
        return st;
    }
    *out = s;
    return PAN_OK;
}

void train_step_destroy(train_step *s) {
    if (!s) return;
    memcpy(s->m->block, s->saved, (size_t)s->m->params.total_floats * sizeof(float));
    pan_adamw_destroy(s->opt);
    free(s->ema);
    free(s->saved);
    free(s);
}

pan_status train_step_update(train_step *s, pan_grads *g, double *norm) {
    const pan_param_table *t = &s->m->params;
    const train_step_config *c = &train_step_defaults;
    double n = pan_grads_clip(t, g->block, c->clip);
    if (norm) *norm = n;
    pan_status st = pan_adamw_step(s->opt, s->m->block, g->block, c->lr);
    return st == PAN_OK ? pan_ema_update(t, s->ema, s->m->block, c->ema) : st;
}

pan_status train_step_check(train_step *s, pan_grads *g, train_io *io,
                            pan_train_stage stage, const char *const *names, int n) {
    const train_step_config *c = &train_step_defaults;
    int np = 0;
    const char *const *prefixes = pan_train_stage_prefixes(stage, &np);
    train_io_strings(io, "train_prefixes", prefixes, np);
    train_io_number(io, "lr", c->lr);
    train_io_number(io, "beta1", c->beta1);
    train_io_number(io, "beta2", c->beta2);
    train_io_number(io, "eps", c->eps);
    train_io_number(io, "weight_decay", c->weight_decay);
    train_io_number(io, "clip", c->clip);
    train_io_number(io, "ema", c->ema);
    double norm = 0;
    pan_status st = train_step_update(s, g, &norm);
    if (st != PAN_OK) return st;
    train_io_number(io, "grad_norm", norm);
    for (int i = 0; i < n; i++) {
        const pan_param_entry *e = pan_params_find(&s->m->params, names[i]);
        char key[PAN_PARAM_NAME_MAX + 8];
        snprintf(key, sizeof key, "adamw.%s", names[i]);
        if (e) train_io_tensor(io, key, false, s->m->block + e->offset, e->ndim, e->shape);
    }
    return PAN_OK;
}

pan_status train_step_time(train_step *s, pan_grads *g, int warmup, int reps,
                           train_loss_fn loss, void *ctx, train_row *row) {
    int total = warmup + reps;
    double *step = calloc((size_t)total * 3, sizeof(double));
    if (!step) return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED, "bench: out of memory");
    double *lg = step + total, *opt = lg + total;
    pan_status st = PAN_OK;
    for (int i = 0; st == PAN_OK && i < total; i++) {
        double t0 = bench_now_us();
        pan_grads_zero(g);
        double t1 = bench_now_us();
        st = loss(ctx);
        double t2 = bench_now_us();
        if (st == PAN_OK) st = train_step_update(s, g, NULL);
        double t3 = bench_now_us();
        step[i] = t3 - t0;
        lg[i] = t2 - t1;
        opt[i] = (t1 - t0) + (t3 - t2);
    }
    if (st == PAN_OK) {
        row->total = bench_stats_of(step + warmup, reps);
        row->lossgrad = bench_stats_of(lg + warmup, reps);
        row->optim = bench_stats_of(opt + warmup, reps);
    }
    free(step);
    return st;
}
