/* core/train/optim.c: AdamW, gradient clipping, EMA and the learning-rate
 * schedule (contract in optim.h). */
#include "core/train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool decays(const pan_param_entry *e) { return e->ndim >= 2; }

pan_status pan_adamw_create(pan_adamw **out, const pan_param_table *table,
                            const pan_adamw_config *cfg) {
    if (!out || !table || !cfg)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "adamw: expected a table, a config and an output");
    if (!(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f) ||
        !(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f) || !(cfg->eps > 0.0f) ||
        !isfinite(cfg->eps) || !(cfg->weight_decay >= 0.0f) ||
        !isfinite(cfg->weight_decay))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "adamw: betas must be in [0, 1), eps > 0 and "
                             "weight_decay >= 0, got beta1 %g beta2 %g eps %g "
                             "weight_decay %g", (double)cfg->beta1,
                             (double)cfg->beta2, (double)cfg->eps,
                             (double)cfg->weight_decay);
    pan_adamw *o = calloc(1, sizeof *o);
    size_t bytes = ((size_t)table->total_floats * sizeof(float) + 63) / 64 * 64;
    if (o) {
        o->m = aligned_alloc(64, bytes ? bytes : 64);
        o->v = aligned_alloc(64, bytes ? bytes : 64);
    }
    if (!o || !o->m || !o->v) {
        pan_adamw_destroy(o);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "adamw: out of memory for two %zu-byte moment "
                             "blocks", bytes);
    }
    memset(o->m, 0, bytes);
    memset(o->v, 0, bytes);
    o->table = table;
    o->cfg = *cfg;
    *out = o;
    return PAN_OK;
}

pan_status pan_adamw_freeze(pan_adamw *opt, const char *const *prefixes,
                            int n_prefixes) {
    if (!opt || (n_prefixes > 0 && !prefixes) || n_prefixes < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "adamw freeze: expected an optimizer and %d "
                             "prefixes", n_prefixes);
    bool *frozen = calloc((size_t)opt->table->count + 1, sizeof *frozen);
    if (!frozen)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "adamw freeze: out of memory");
    for (int i = 0; i < opt->table->count; i++) {
        bool trains = false;
        for (int k = 0; k < n_prefixes && !trains; k++)
            trains = !strncmp(opt->table->entries[i].name, prefixes[k],
                              strlen(prefixes[k]));
        frozen[i] = !trains;
    }
    free(opt->frozen);
    opt->frozen = frozen;
    return PAN_OK;
}

void pan_adamw_destroy(pan_adamw *opt) {
    if (!opt) return;
    free(opt->frozen);
    free(opt->m);
    free(opt->v);
    free(opt);
}

pan_status pan_adamw_step(pan_adamw *opt, float *params, const float *grads,
                          float lr) {
    if (!opt || !params || !grads)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "adamw step: optimizer, parameters and gradients "
                             "are required");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "adamw step: learning rate %g, expected a finite "
                             "value >= 0", (double)lr);
    const pan_adamw_config *c = &opt->cfg;
    const int64_t t = ++opt->step;
    const float bc1 = (float)(1.0 - pow((double)c->beta1, (double)t));
    const float bc2_sqrt = (float)sqrt(1.0 - pow((double)c->beta2, (double)t));
    const float step_size = lr / bc1, b1 = c->beta1, b2 = c->beta2;
    for (int i = 0; i < opt->table->count; i++) {
        const pan_param_entry *e = &opt->table->entries[i];
        if (opt->frozen && opt->frozen[i]) continue;
        float *p = params + e->offset, *m = opt->m + e->offset;
        float *v = opt->v + e->offset;
        const float *g = grads + e->offset;
        const float keep = decays(e) ? 1.0f - lr * c->weight_decay : 1.0f;
        for (int64_t k = 0; k < e->numel; k++) {
            p[k] *= keep;
            m[k] = b1 * m[k] + (1.0f - b1) * g[k];
            v[k] = b2 * v[k] + (1.0f - b2) * g[k] * g[k];
            float denom = sqrtf(v[k]) / bc2_sqrt + c->eps;
            p[k] -= step_size * (m[k] / denom);
        }
    }
    return PAN_OK;
}

double pan_grads_global_norm(const pan_param_table *table, const float *grads) {
    double sum = 0.0;
    for (int i = 0; i < table->count; i++) {
        const pan_param_entry *e = &table->entries[i];
        const float *g = grads + e->offset;
        for (int64_t k = 0; k < e->numel; k++) sum += (double)g[k] * (double)g[k];
    }
    return sqrt(sum);
}

double pan_grads_clip(const pan_param_table *table, float *grads,
                      double max_norm) {
    double norm = pan_grads_global_norm(table, grads);
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / norm);
        for (int i = 0; i < table->count; i++) {
            const pan_param_entry *e = &table->entries[i];
            float *g = grads + e->offset;
            for (int64_t k = 0; k < e->numel; k++) g[k] *= scale;
        }
    }
    return norm;
}

pan_status pan_ema_update(const pan_param_table *table, float *ema,
                          const float *params, float decay) {
    if (!table || !ema || !params || !(decay >= 0.0f && decay <= 1.0f))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "ema: expected a table, two blocks and a decay "
                             "in [0, 1], got %g", (double)decay);
    for (int i = 0; i < table->count; i++) {
        const pan_param_entry *e = &table->entries[i];
        float *a = ema + e->offset;
        const float *p = params + e->offset;
        for (int64_t k = 0; k < e->numel; k++)
            a[k] = decay * a[k] + (1.0f - decay) * p[k];
    }
    return PAN_OK;
}

double pan_lr_at(const pan_lr_schedule *s, int64_t step) {
    if (!s || s->total <= 0) return 0.0;
    if (step < s->warmup) return s->base * (double)(step + 1) / (double)s->warmup;
    if (step >= s->total) return s->min;
    int64_t span = s->total - s->warmup;
    double progress = span > 0 ? (double)(step - s->warmup) / (double)span : 1.0;
    const double pi = 3.14159265358979323846;
    return s->min + (s->base - s->min) * 0.5 * (1.0 + cos(pi * progress));
}
