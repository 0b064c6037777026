/* tests/model/train_parity.c: gradient comparison helpers of the training
 * suites (contract in train_parity.h). */
#include "tests/model/train_parity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int train_compare(const fixture *fx, const char *record, const float *got,
                  int64_t n, double bound, double *worst, const char *what) {
    const fixture_record *r = fixture_find(fx, record);
    if (!r || r->dtype != FIXTURE_F64 || r->count != n) {
        fprintf(stderr, "%s: record '%s' missing, not f64, or not %lld "
                "values\n", what, record, (long long)n);
        return 1;
    }
    double e = fixture_nmse(r->data, got, n);
    if (e > *worst) *worst = e;
    if (e <= bound) return 0;
    fprintf(stderr, "%s: %s nmse %.3g > bound %.1g\n", what, record, e, bound);
    return 1;
}

/* The largest |value| of every "<prefix>/grad/..." record (0 if none). */
static double largest_gradient(const fixture *fx, const char *prefix,
                               const pan_model *m) {
    double big = 0.0;
    for (int i = 0; i < m->params.count; i++) {
        char name[FIXTURE_NAME_MAX + PAN_PARAM_NAME_MAX];
        snprintf(name, sizeof name, "%s/grad/%s", prefix, m->params.entries[i].name);
        const fixture_record *r = fixture_find(fx, name);
        if (!r || r->dtype != FIXTURE_F64) continue;
        for (int64_t k = 0; k < r->count; k++) {
            double v = fabs(((const double *)r->data)[k]);
            if (v > big) big = v;
        }
    }
    return big;
}

int train_compare_grads(const fixture *fx, const char *prefix,
                        const pan_model *m, pan_grads *g, double bound,
                        double *worst, const char *what) {
    int failed = 0, reached = 0;
    const double big = largest_gradient(fx, prefix, m);
    for (int i = 0; i < m->params.count; i++) {
        const pan_param_entry *e = &m->params.entries[i];
        char name[FIXTURE_NAME_MAX + PAN_PARAM_NAME_MAX];
        snprintf(name, sizeof name, "%s/grad/%s", prefix, e->name);
        const fixture_record *r = fixture_find(fx, name);
        const float *got = g->block + e->offset;
        if (!r || r->dtype != FIXTURE_F64 || r->count != e->numel) {
            fprintf(stderr, "%s: gradient record '%s' missing or of another "
                    "size\n", what, name);
            failed++;
            continue;
        }
        const double *want = r->data;
        bool zero = true;
        for (int64_t k = 0; k < e->numel && zero; k++) zero = want[k] == 0.0;
        if (zero) {
            for (int64_t k = 0; k < e->numel; k++)
                if (got[k] != 0.0f) {
                    fprintf(stderr, "%s: %s should stay zero (the case does "
                            "not reach it), element %lld is %g\n", what,
                            e->name, (long long)k, (double)got[k]);
                    failed++;
                    break;
                }
            continue;
        }
        double top = 0.0;
        for (int64_t k = 0; k < e->numel; k++)
            if (fabs(want[k]) > top) top = fabs(want[k]);
        if (top <= 1e-12 * big) {
            /* zero in exact arithmetic but not in the twin's rounding
             * (attention's key biases: softmax ignores a shift shared by
             * all keys): only an absolute bound makes sense */
            for (int64_t k = 0; k < e->numel; k++)
                if (!(fabs((double)got[k]) <= 1e-6 * big)) {
                    fprintf(stderr, "%s: %s is zero up to rounding in the "
                            "twin (|max| %.3g), element %lld is %g (bound "
                            "%.3g)\n", what, e->name, top, (long long)k,
                            (double)got[k], 1e-6 * big);
                    failed++;
                    break;
                }
            continue;
        }
        reached++;
        double err = fixture_nmse(want, got, e->numel);
        if (err > *worst) *worst = err;
        if (!(err <= bound)) {
            fprintf(stderr, "%s: grad %s nmse %.3g > bound %.1g\n", what,
                    e->name, err, bound);
            failed++;
        }
    }
    if (reached == 0) {
        fprintf(stderr, "%s: the fixture's gradients are all zero\n", what);
        failed++;
    }
    return failed;
}

pan_tensor train_view(const fixture_record *r) {
    static const pan_dtype dtypes[] = {[FIXTURE_F32] = PAN_DTYPE_F32,
                                       [FIXTURE_F64] = PAN_DTYPE_F32,
                                       [FIXTURE_I32] = PAN_DTYPE_I32,
                                       [FIXTURE_U8] = PAN_DTYPE_U8};
    pan_tensor t = {0};
    int64_t shape[PAN_TENSOR_MAX_DIMS];
    int ndim = r->ndim;
    for (int d = 0; d < ndim && d < PAN_TENSOR_MAX_DIMS; d++)
        shape[d] = r->shape[d];
    if (ndim > PAN_TENSOR_MAX_DIMS) { /* fold the leading dimensions */
        int64_t lead = 1;
        for (int d = 0; d <= ndim - PAN_TENSOR_MAX_DIMS; d++) lead *= r->shape[d];
        shape[0] = lead;
        for (int d = 1; d < PAN_TENSOR_MAX_DIMS; d++)
            shape[d] = r->shape[ndim - PAN_TENSOR_MAX_DIMS + d];
        ndim = PAN_TENSOR_MAX_DIMS;
    }
    pan_tensor_init(&t, r->data, dtypes[r->dtype], ndim, shape);
    return t;
}

double train_nmse_f32(const float *a, const float *b, int64_t n) {
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)a[i] * (double)a[i];
    }
    return den > 0.0 ? num / den : num;
}
