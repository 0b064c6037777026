/* backends/onednn/onednn_eltwise.c: elementwise ops on oneDNN primitives.
 *
 * - silu:    eltwise swish with alpha = 1 (x * sigmoid(x))
 * - gelu:    eltwise gelu_erf or gelu_tanh
 * - softmax: softmax (accurate) over the last axis of (rows, cols)
 * - add:     binary add
 * - swiglu:  eltwise swish on the gate a, then binary mul by b (oneDNN
 *            2.6 runs eltwise with a binary post-op only in its slow
 *            reference kernel, which also returns NaN for 1-D tensors)
 * Tensors are contiguous, so the elementwise ops see them as 1-D (count).
 * All run in place when out aliases an input (oneDNN allows dst == src for
 * eltwise and softmax, and dst == src0 for binary; add swaps its operands
 * when out is b, which is exact because IEEE addition commutes).
 */
#include "backends/onednn/onednn_internal.h"

enum { MEM_SRC = 0, MEM_DST, MEM_SRC1 };

/* Creates the primitive from `desc` and memory objects for src and dst
 * (and src1 when `with_src1`), all with descriptor `md`. */
static pan_status build_simple(onednn_state *st, onednn_entry *e,
                               const void *desc, const dnnl_memory_desc_t *md,
                               bool with_src1, const char *op) {
    dnnl_primitive_desc_t pd = NULL;
    pan_status s = onednn_pd_create(st, &pd, desc, NULL, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, 0, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_SRC], md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DST], md, NULL, op);
    if (s == PAN_OK && with_src1)
        s = onednn_mem_create(st, &e->mem[MEM_SRC1], md, NULL, op);
    return s;
}

/* ---- silu / gelu ---- */

typedef struct unary_ctx {
    int64_t count;
    dnnl_alg_kind_t alg;
    const char *op;
} unary_ctx;

static pan_status build_unary(onednn_state *st, onednn_entry *e,
                              const void *ctx) {
    const unary_ctx *u = ctx;
    dnnl_memory_desc_t md;
    pan_status s = onednn_md(&md, 1, &u->count, NULL, u->op);
    if (s != PAN_OK) return s;
    /* swish: x * sigmoid(alpha * x); the gelu kinds ignore alpha. */
    float alpha = u->alg == dnnl_eltwise_swish ? 1.0f : 0.0f;
    dnnl_eltwise_desc_t desc;
    s = onednn_check(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference,
                                                    u->alg, &md, alpha, 0.0f),
                     u->op, "dnnl_eltwise_forward_desc_init");
    if (s != PAN_OK) return s;
    return build_simple(st, e, &desc, &md, false, u->op);
}

static pan_status run_unary(pan_backend *be, pan_op pop, const char *op,
                            dnnl_alg_kind_t alg, const pan_unary_args *a) {
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, pop);
    onednn_key_push(&key, a->count);
    onednn_key_push(&key, (int64_t)alg);
    unary_ctx ctx = {.count = a->count, .alg = alg, .op = op};
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build_unary, &ctx, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->x->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->mem[MEM_SRC]},
                               {DNNL_ARG_DST, e->mem[MEM_DST]}};
    return onednn_run(st, e, 0, 2, args, op);
}

pan_status onednn_silu(pan_backend *be, const pan_unary_args *a) {
    return run_unary(be, PAN_OP_SILU, "silu", dnnl_eltwise_swish, a);
}

pan_status onednn_gelu(pan_backend *be, const pan_unary_args *a) {
    dnnl_alg_kind_t alg = a->gelu_mode == PAN_GELU_TANH ? dnnl_eltwise_gelu_tanh
                                                        : dnnl_eltwise_gelu_erf;
    return run_unary(be, PAN_OP_GELU, "gelu", alg, a);
}

/* ---- softmax ---- */

static pan_status build_softmax(onednn_state *st, onednn_entry *e,
                                const void *ctx) {
    const pan_softmax_args *a = ctx;
    const char *op = "softmax";
    dnnl_memory_desc_t md;
    pan_status s = onednn_md(&md, 2, PAN_SHAPE(a->rows, a->cols), NULL, op);
    if (s != PAN_OK) return s;
    dnnl_softmax_v2_desc_t desc;
    s = onednn_check(dnnl_softmax_v2_forward_desc_init(
                         &desc, dnnl_forward_inference, dnnl_softmax_accurate,
                         &md, &md, 1),
                     op, "dnnl_softmax_v2_forward_desc_init");
    if (s != PAN_OK) return s;
    return build_simple(st, e, &desc, &md, false, op);
}

pan_status onednn_softmax(pan_backend *be, const pan_softmax_args *a) {
    const char *op = "softmax";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_SOFTMAX);
    onednn_key_push(&key, a->rows);
    onednn_key_push(&key, a->cols);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build_softmax, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->x->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->mem[MEM_SRC]},
                               {DNNL_ARG_DST, e->mem[MEM_DST]}};
    return onednn_run(st, e, 0, 2, args, op);
}

/* ---- swiglu ---- */

/* Two passes: eltwise swish a -> t, then binary mul t * b -> out. t is out
 * itself unless out is b; then t is an entry-owned buffer and the product
 * runs as b * t -> b (binary is in place only for src0; IEEE
 * multiplication commutes, so the result is the same). */
enum { SW_A = 0, SW_T, SW_B0, SW_B1, SW_OUT };

static pan_status build_swiglu(onednn_state *st, onednn_entry *e,
                               const void *ctx) {
    const pan_binary_args *a = ctx;
    const char *op = "swiglu";
    bool out_is_b = a->out->data == a->b->data;
    dnnl_memory_desc_t md;
    pan_status s = onednn_md(&md, 1, &a->count, NULL, op);
    if (s != PAN_OK) return s;
    dnnl_eltwise_desc_t edesc;
    s = onednn_check(dnnl_eltwise_forward_desc_init(&edesc, dnnl_forward_inference,
                                                    dnnl_eltwise_swish, &md,
                                                    1.0f, 0.0f),
                     op, "dnnl_eltwise_forward_desc_init");
    dnnl_binary_desc_t bdesc;
    if (s == PAN_OK)
        s = onednn_check(dnnl_binary_desc_init(&bdesc, dnnl_binary_mul, &md,
                                               &md, &md),
                         op, "dnnl_binary_desc_init");
    for (int p = 0; p < 2 && s == PAN_OK; p++) {
        dnnl_primitive_desc_t pd = NULL;
        s = onednn_pd_create(st, &pd, p == 0 ? (const void *)&edesc
                                             : (const void *)&bdesc,
                             NULL, op);
        if (s == PAN_OK) s = onednn_prim_create(st, e, p, pd, op);
        if (pd) dnnl_primitive_desc_destroy(pd);
    }
    if (s == PAN_OK && out_is_b)
        s = onednn_buf_alloc(&e->buf[0], (size_t)a->count * sizeof(float), op);
    for (int m = SW_A; m <= SW_OUT && s == PAN_OK; m++)
        s = onednn_mem_create(st, &e->mem[m], &md, NULL, op);
    return s;
}

pan_status onednn_swiglu(pan_backend *be, const pan_binary_args *a) {
    const char *op = "swiglu";
    onednn_state *st = onednn_state_of(be);
    bool out_is_b = a->out->data == a->b->data;
    onednn_key key;
    onednn_key_init(&key, PAN_OP_SWIGLU);
    onednn_key_push(&key, a->count);
    onednn_key_push(&key, out_is_b);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build_swiglu, a, &e);
    if (s != PAN_OK) return s;
    void *t = out_is_b ? e->buf[0] : a->out->data; /* (count) */
    s = onednn_set(e->mem[SW_A], a->a->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[SW_T], t, op);
    if (s == PAN_OK)
        s = onednn_set(e->mem[SW_B0], out_is_b ? a->b->data : t, op);
    if (s == PAN_OK)
        s = onednn_set(e->mem[SW_B1], out_is_b ? t : a->b->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[SW_OUT], a->out->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t eargs[3] = {{DNNL_ARG_SRC, e->mem[SW_A]},
                                {DNNL_ARG_DST, e->mem[SW_T]}};
    s = onednn_run(st, e, 0, 2, eargs, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t bargs[4] = {{DNNL_ARG_SRC_0, e->mem[SW_B0]},
                                {DNNL_ARG_SRC_1, e->mem[SW_B1]},
                                {DNNL_ARG_DST, e->mem[SW_OUT]}};
    return onednn_run(st, e, 1, 3, bargs, op);
}

/* ---- add ---- */

static pan_status build_add(onednn_state *st, onednn_entry *e,
                            const void *ctx) {
    const pan_binary_args *a = ctx;
    const char *op = "add";
    dnnl_memory_desc_t md;
    pan_status s = onednn_md(&md, 1, &a->count, NULL, op);
    if (s != PAN_OK) return s;
    dnnl_binary_desc_t desc;
    s = onednn_check(dnnl_binary_desc_init(&desc, dnnl_binary_add, &md, &md, &md),
                     op, "dnnl_binary_desc_init");
    if (s != PAN_OK) return s;
    return build_simple(st, e, &desc, &md, true, op);
}

pan_status onednn_add(pan_backend *be, const pan_binary_args *a) {
    const char *op = "add";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_ADD);
    onednn_key_push(&key, a->count);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build_add, a, &e);
    if (s != PAN_OK) return s;
    const void *src0 = a->a->data, *src1 = a->b->data; /* (count) each */
    if (a->out->data == src1 && src1 != src0) {
        src1 = src0;
        src0 = a->out->data;
    }
    s = onednn_set(e->mem[MEM_SRC], src0, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC1], src1, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC_0, e->mem[MEM_SRC]},
                               {DNNL_ARG_SRC_1, e->mem[MEM_SRC1]},
                               {DNNL_ARG_DST, e->mem[MEM_DST]}};
    return onednn_run(st, e, 0, 3, args, op);
}
