/* tests/op_cases_pointwise.c: parity cases for the normalisations, softmax,
 * silu, gelu, swiglu, add, modulate and gate_add, including the in-place
 * variants the ops allow. */
#include <stdio.h>
#include <string.h>

#include "tests/op_harness.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Where the output goes: a separate buffer, or over one of the inputs. */
typedef enum placement { OUT_SEPARATE = 0, OUT_OVER_FIRST, OUT_OVER_SECOND }
    placement;

static const char *placement_text(placement where) {
    return where == OUT_OVER_FIRST    ? " in-place(out=1st)"
           : where == OUT_OVER_SECOND ? " in-place(out=2nd)"
                                      : "";
}

/* For an in-place run, the view of `out` (which the harness filled with
 * op_case.init = the input's values) that replaces `in`; otherwise `in`. */
static pan_tensor place(const pan_tensor *in, float *out, bool over) {
    pan_tensor t = *in;
    if (over) t.data = out;
    return t;
}

/* op_case.init for an output that replaces `in` (or NULL). */
static const float *init_for(const pan_tensor *in, bool over) {
    return over ? in->data : NULL;
}

/* ---- group_norm, layer_norm, rms_norm ---- */

typedef struct norm_params {
    pan_op op;
    pan_tensor x, gamma, beta;
    bool has_gamma, has_beta, in_place;
    int groups;
    float eps;
} norm_params;

static pan_status run_norm(pan_compute *c, const void *params, float *out) {
    const norm_params *p = params;
    pan_tensor o = p->x;
    o.data = out;
    pan_tensor x = place(&p->x, out, p->in_place);
    const pan_tensor *gamma = p->has_gamma ? &p->gamma : NULL;
    const pan_tensor *beta = p->has_beta ? &p->beta : NULL;
    switch (p->op) {
    case PAN_OP_GROUP_NORM:
        return pan_compute_group_norm(c, &o, &x, gamma, beta, p->groups, p->eps);
    case PAN_OP_LAYER_NORM:
        return pan_compute_layer_norm(c, &o, &x, gamma, beta, p->eps);
    default:
        return pan_compute_rms_norm(c, &o, &x, gamma, p->eps);
    }
}

typedef struct norm_spec {
    int ndim;
    int64_t shape[4];
    int groups; /* group norm only */
    bool gamma, beta, in_place;
    float scale, offset, eps;
} norm_spec;

static void norm_run_specs(op_harness *h, pan_op op, const norm_spec *specs,
                           int count) {
    for (int i = 0; i < count; i++) {
        const norm_spec *s = &specs[i];
        norm_params p = {.op = op, .has_gamma = s->gamma, .has_beta = s->beta,
                         .in_place = s->in_place, .groups = s->groups,
                         .eps = s->eps};
        p.x = op_rand(h, s->ndim, s->shape, s->scale, s->offset);
        int64_t width = op == PAN_OP_GROUP_NORM ? s->shape[1]
                                                : s->shape[s->ndim - 1];
        if (s->gamma) p.gamma = op_rand(h, 1, PAN_SHAPE(width), 1, 1);
        if (s->beta) p.beta = op_rand(h, 1, PAN_SHAPE(width), 1, 0);
        char sx[48], groups[24] = "";
        if (op == PAN_OP_GROUP_NORM)
            snprintf(groups, sizeof groups, " groups=%d", s->groups);
        op_case tc = {.op = op, .out_count = pan_tensor_numel(&p.x),
                      .run = run_norm, .params = &p,
                      .init = init_for(&p.x, s->in_place)};
        snprintf(tc.shape, sizeof tc.shape, "x%s%s%s%s eps=%g x~%g+-%g%s",
                 pan_tensor_shape_str(&p.x, sx, sizeof sx), groups,
                 s->gamma ? " +gamma" : "", s->beta ? " +beta" : "",
                 (double)s->eps, (double)s->offset, (double)s->scale,
                 s->in_place ? " in-place" : "");
        op_harness_run_case(h, &tc);
    }
}

static void norm_cases(op_harness *h) {
    static const norm_spec group[] = {
        {4, {2, 32, 8, 8}, 8, true, true, false, 1, 0, 1e-5f},
        {4, {1, 6, 5, 3}, 3, false, false, false, 1, 0, 1e-5f},
        {2, {3, 4}, 2, true, true, false, 1, 0, 1e-5f},
        {3, {1, 8, 7}, 1, true, true, true, 1, 0, 1e-6f},
        {4, {2, 5, 4, 4}, 5, true, true, false, 1, 0, 1e-5f},
        {4, {1, 64, 16, 16}, 32, true, true, true, 2, 0, 1e-6f},
        {4, {2, 12, 3, 5}, 4, true, true, false, 1, 3, 1e-5f}, /* mean != 0 */
        {4, {1, 4, 3, 3}, 2, true, false, false, 1, 0, 1e-5f},
    };
    static const norm_spec layer[] = {
        {1, {7}, 0, true, true, false, 1, 0, 1e-5f},
        {3, {1, 1, 7}, 0, false, false, false, 1, 0, 1e-5f},
        {3, {3, 5, 64}, 0, true, true, false, 1, 0, 1e-6f},
        {3, {2, 17, 33}, 0, true, false, false, 1, 0, 1e-5f},
        {2, {4, 256}, 0, true, true, true, 1, 0, 1e-6f},
        {4, {2, 3, 4, 40}, 0, false, false, false, 1, 0, 1e-5f},
        {2, {8, 96}, 0, true, true, false, 1, 3, 1e-5f}, /* mean != 0 */
        /* large enough for onednn (it refuses < 2048 values) */
        {3, {2, 96, 256}, 0, true, true, false, 1, 0, 1e-6f},
        {3, {1, 64, 256}, 0, true, false, true, 1, 1, 1e-6f},
        {2, {40, 100}, 0, false, false, false, 1, 0, 1e-5f},
    };
    static const norm_spec rms[] = {
        {2, {1, 7}, 0, true, false, false, 1, 0, 1e-6f},
        {3, {3, 5, 64}, 0, true, false, false, 1, 0, 1e-6f},
        {4, {2, 3, 4, 48}, 0, true, false, true, 1, 0, 1e-6f},
        {2, {17, 257}, 0, true, false, false, 1, 0, 1e-5f},
        {3, {1, 1, 1}, 0, true, false, false, 1, 0, 1e-6f},
        {2, {5, 256}, 0, true, false, false, 30, 0, 1e-6f},
    };
    norm_run_specs(h, PAN_OP_GROUP_NORM, group, COUNT(group));
    norm_run_specs(h, PAN_OP_LAYER_NORM, layer, COUNT(layer));
    norm_run_specs(h, PAN_OP_RMS_NORM, rms, COUNT(rms));
}

/* ---- softmax, silu, gelu ---- */

typedef struct unary_params {
    pan_op op;
    pan_tensor x;
    pan_gelu_mode mode;
    bool in_place;
} unary_params;

static pan_status run_unary(pan_compute *c, const void *params, float *out) {
    const unary_params *p = params;
    pan_tensor o = p->x;
    o.data = out;
    pan_tensor x = place(&p->x, out, p->in_place);
    switch (p->op) {
    case PAN_OP_SOFTMAX: return pan_compute_softmax(c, &o, &x);
    case PAN_OP_SILU: return pan_compute_silu(c, &o, &x);
    default: return pan_compute_gelu(c, &o, &x, p->mode);
    }
}

typedef struct unary_spec {
    int ndim;
    int64_t shape[4];
    float scale;
    bool in_place;
} unary_spec;

static void unary_run_specs(op_harness *h, pan_op op, pan_gelu_mode mode,
                            const unary_spec *specs, int count) {
    for (int i = 0; i < count; i++) {
        unary_params p = {.op = op, .mode = mode,
                          .in_place = specs[i].in_place};
        p.x = op_rand(h, specs[i].ndim, specs[i].shape, specs[i].scale, 0);
        char sx[48];
        op_case tc = {.op = op, .out_count = pan_tensor_numel(&p.x),
                      .run = run_unary, .params = &p,
                      .init = init_for(&p.x, p.in_place)};
        snprintf(tc.shape, sizeof tc.shape, "x%s%s x~+-%g%s",
                 pan_tensor_shape_str(&p.x, sx, sizeof sx),
                 op != PAN_OP_GELU ? "" : mode == PAN_GELU_TANH ? " tanh"
                                                                 : " erf",
                 (double)specs[i].scale, specs[i].in_place ? " in-place" : "");
        op_harness_run_case(h, &tc);
    }
}

static void unary_cases(op_harness *h) {
    static const unary_spec softmax[] = {
        {1, {1}, 1, false},          {2, {1, 1}, 1, false},
        {2, {3, 7}, 3, false},       {3, {2, 5, 33}, 3, false},
        {4, {4, 2, 3, 129}, 3, true}, {2, {6, 50}, 100, false}, /* exp overflow */
        {2, {2, 1000}, 5, false},
        {3, {4, 256, 256}, 4, false}, {3, {2, 64, 192}, 4, true}, /* large */
    };
    static const unary_spec act[] = {
        {0, {0}, 3, false},          {1, {1}, 3, false},
        {1, {7}, 3, false},          {2, {3, 17}, 3, false},
        {4, {2, 3, 5, 33}, 3, true}, {1, {1000}, 8, false},
        {2, {4, 64}, 20, false},     /* saturation on both sides */
        /* large enough for onednn (it refuses < 2048 values) */
        {3, {2, 192, 512}, 6, false}, {4, {1, 32, 64, 64}, 4, true},
        {2, {3, 1001}, 30, false},
    };
    unary_run_specs(h, PAN_OP_SOFTMAX, PAN_GELU_ERF, softmax, COUNT(softmax));
    unary_run_specs(h, PAN_OP_SILU, PAN_GELU_ERF, act, COUNT(act));
    unary_run_specs(h, PAN_OP_GELU, PAN_GELU_ERF, act, COUNT(act));
    unary_run_specs(h, PAN_OP_GELU, PAN_GELU_TANH, act, COUNT(act));
}

/* ---- swiglu, add ---- */

typedef struct binary_params {
    pan_op op;
    pan_tensor a, b;
    placement where;
} binary_params;

static pan_status run_binary(pan_compute *c, const void *params, float *out) {
    const binary_params *p = params;
    pan_tensor o = p->a;
    o.data = out;
    pan_tensor a = place(&p->a, out, p->where == OUT_OVER_FIRST);
    pan_tensor b = place(&p->b, out, p->where == OUT_OVER_SECOND);
    if (p->op == PAN_OP_ADD) return pan_compute_add(c, &o, &a, &b);
    return pan_compute_swiglu(c, &o, &a, &b);
}

static void binary_cases(op_harness *h) {
    static const struct {
        int ndim;
        int64_t shape[4];
        placement where;
    } specs[] = {
        {0, {0}, OUT_SEPARATE},          {1, {5}, OUT_SEPARATE},
        {2, {3, 33}, OUT_SEPARATE},      {4, {2, 4, 4, 17}, OUT_OVER_FIRST},
        {4, {2, 4, 4, 17}, OUT_OVER_SECOND}, {2, {1, 1000}, OUT_SEPARATE},
        /* large enough for onednn (add < 16384, swiglu < 2048 refused) */
        {3, {2, 192, 256}, OUT_SEPARATE}, {3, {1, 192, 512}, OUT_OVER_FIRST},
        {4, {1, 32, 33, 17}, OUT_OVER_SECOND},
    };
    static const pan_op ops[] = {PAN_OP_SWIGLU, PAN_OP_ADD};
    for (int o = 0; o < COUNT(ops); o++)
        for (int i = 0; i < COUNT(specs); i++) {
            binary_params p = {.op = ops[o], .where = specs[i].where};
            p.a = op_rand(h, specs[i].ndim, specs[i].shape, 4, 0);
            p.b = op_rand(h, specs[i].ndim, specs[i].shape, 2, 0);
            char sa[48];
            op_case tc = {.op = ops[o], .out_count = pan_tensor_numel(&p.a),
                          .run = run_binary, .params = &p};
            if (p.where == OUT_OVER_FIRST) tc.init = p.a.data;
            if (p.where == OUT_OVER_SECOND) tc.init = p.b.data;
            snprintf(tc.shape, sizeof tc.shape, "a,b%s%s",
                     pan_tensor_shape_str(&p.a, sa, sizeof sa),
                     placement_text(p.where));
            op_harness_run_case(h, &tc);
        }
}

/* ---- modulate, gate_add ---- */

typedef struct adaln_params {
    pan_op op;
    pan_tensor x, y;         /* (B, T, C): x or residual; y for gate_add */
    pan_tensor shift, scale; /* (B, C): shift/scale, or gate in `scale` */
    placement where;         /* over x/residual or over y */
} adaln_params;

static pan_status run_adaln(pan_compute *c, const void *params, float *out) {
    const adaln_params *p = params;
    pan_tensor o = p->x;
    o.data = out;
    pan_tensor x = place(&p->x, out, p->where == OUT_OVER_FIRST);
    if (p->op == PAN_OP_MODULATE)
        return pan_compute_modulate(c, &o, &x, &p->shift, &p->scale);
    pan_tensor y = place(&p->y, out, p->where == OUT_OVER_SECOND);
    return pan_compute_gate_add(c, &o, &x, &y, &p->scale);
}

static void adaln_cases(op_harness *h) {
    static const struct {
        int64_t b, t, c;
        placement where;
    } specs[] = {
        {1, 1, 1, OUT_SEPARATE},    {2, 5, 33, OUT_SEPARATE},
        {3, 16, 64, OUT_OVER_FIRST}, {2, 9, 40, OUT_OVER_SECOND},
        {1, 7, 256, OUT_SEPARATE},
    };
    static const pan_op ops[] = {PAN_OP_MODULATE, PAN_OP_GATE_ADD};
    for (int o = 0; o < COUNT(ops); o++)
        for (int i = 0; i < COUNT(specs); i++) {
            /* modulate has one input that out may replace */
            if (ops[o] == PAN_OP_MODULATE && specs[i].where == OUT_OVER_SECOND)
                continue;
            adaln_params p = {.op = ops[o], .where = specs[i].where};
            p.x = op_rand(h, 3, PAN_SHAPE(specs[i].b, specs[i].t, specs[i].c),
                          2, 0);
            if (ops[o] == PAN_OP_GATE_ADD)
                p.y = op_rand(h, 3, p.x.shape, 2, 0);
            else
                p.shift = op_rand(h, 2, PAN_SHAPE(specs[i].b, specs[i].c), 1, 0);
            p.scale = op_rand(h, 2, PAN_SHAPE(specs[i].b, specs[i].c), 1, 0);
            char sx[48];
            op_case tc = {.op = ops[o], .out_count = pan_tensor_numel(&p.x),
                          .run = run_adaln, .params = &p};
            if (p.where == OUT_OVER_FIRST) tc.init = p.x.data;
            if (p.where == OUT_OVER_SECOND) tc.init = p.y.data;
            snprintf(tc.shape, sizeof tc.shape, "x%s %s[%lld,%lld]%s",
                     pan_tensor_shape_str(&p.x, sx, sizeof sx),
                     ops[o] == PAN_OP_GATE_ADD ? "gate" : "shift,scale",
                     (long long)specs[i].b, (long long)specs[i].c,
                     placement_text(p.where));
            op_harness_run_case(h, &tc);
        }
}

void op_cases_pointwise(op_harness *h) {
    norm_cases(h);
    unary_cases(h);
    binary_cases(h);
    adaln_cases(h);
}
