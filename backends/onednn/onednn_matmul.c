/* backends/onednn/onednn_matmul.c: batched matmul on the oneDNN matmul
 * primitive.
 *
 * out[b] = alpha * op(a[b]) @ op(b[b]) + bias + beta * out[b]
 * - Transposes are strides on the source / weights descriptors, so no copy
 *   is ever made.
 * - A broadcast b with a non-transposed a folds the batch into M: one
 *   (batch*M, K) @ (K, N) product instead of `batch` small ones.
 * - alpha != 1 is the primitive's output scale. oneDNN applies the output
 *   scale to the accumulator *and* the bias, so with alpha != 1 the bias is
 *   a binary-add post-op (added after scaling) instead of the primitive's
 *   bias; beta = 1 is a sum post-op (out += old out).
 * - Products with at most ONEDNN_SMALL_ROWS rows (after folding) go to
 *   oneDNN's dnnl_sgemm instead, which has a GEMV-style path. Measured with
 *   2 threads: (1x256)@(256x1536) 9 us there vs 35 us in the primitive,
 *   (8x256)@(256x1536) 34 vs 52 us; from 16 rows on the primitive is as
 *   fast or faster. No primitive is cached for these.
 */
#include <omp.h>
#include <string.h>

#include "backends/onednn/onednn_internal.h"

#define ONEDNN_SMALL_ROWS 8

enum { MEM_SRC = 0, MEM_WEI, MEM_DST, MEM_BIAS };
enum { BIAS_NONE = 0, BIAS_NATIVE, BIAS_POST_OP };

/* The matmul geometry actually handed to oneDNN. */
typedef struct mm_plan {
    int ndims;                  /* 2 (batch folded or 1) or 3 */
    int64_t src_dims[3], src_strides[3];
    int64_t wei_dims[3], wei_strides[3];
    int64_t dst_dims[3];
    int64_t bias_dims[3];
} mm_plan;

/* True when the batch folds into the rows: one 2-D product. */
static bool folds(const pan_matmul_args *a) {
    return a->batch == 1 || (a->b_broadcast && !a->trans_a);
}

static void plan_matmul(const pan_matmul_args *a, mm_plan *p) {
    int64_t m = a->m, n = a->n, k = a->k;
    if (folds(a)) {
        int64_t rows = a->batch * m;
        p->ndims = 2;
        p->src_dims[0] = rows;
        p->src_dims[1] = k;
        p->src_strides[0] = a->trans_a ? 1 : k;  /* trans_a only if batch 1 */
        p->src_strides[1] = a->trans_a ? m : 1;
        p->wei_dims[0] = k;
        p->wei_dims[1] = n;
        p->wei_strides[0] = a->trans_b ? 1 : n;
        p->wei_strides[1] = a->trans_b ? k : 1;
        p->dst_dims[0] = rows;
        p->dst_dims[1] = n;
        p->bias_dims[0] = 1;
        p->bias_dims[1] = n;
        return;
    }
    int64_t bb = a->b_broadcast ? 1 : a->batch;
    p->ndims = 3;
    p->src_dims[0] = a->batch;
    p->src_dims[1] = m;
    p->src_dims[2] = k;
    p->src_strides[0] = m * k;
    p->src_strides[1] = a->trans_a ? 1 : k;
    p->src_strides[2] = a->trans_a ? m : 1;
    p->wei_dims[0] = bb;
    p->wei_dims[1] = k;
    p->wei_dims[2] = n;
    p->wei_strides[0] = k * n;
    p->wei_strides[1] = a->trans_b ? 1 : n;
    p->wei_strides[2] = a->trans_b ? k : 1;
    p->dst_dims[0] = a->batch;
    p->dst_dims[1] = m;
    p->dst_dims[2] = n;
    p->bias_dims[0] = 1;
    p->bias_dims[1] = 1;
    p->bias_dims[2] = n;
}

/* Attribute: user scratchpad, output scale alpha, post-ops sum (beta = 1)
 * and binary add of the bias (bias_mode == BIAS_POST_OP). */
static pan_status make_attr(const pan_matmul_args *a, int bias_mode,
                            const dnnl_memory_desc_t *bias_md,
                            dnnl_primitive_attr_t *attr) {
    const char *op = "matmul";
    pan_status s = onednn_attr_create(attr, op);
    if (s != PAN_OK) return s;
    if (a->alpha != 1.0f) {
        s = onednn_check(
            dnnl_primitive_attr_set_output_scales(*attr, 1, 0, &a->alpha), op,
            "dnnl_primitive_attr_set_output_scales");
        if (s != PAN_OK) return s;
    }
    if (a->beta == 0.0f && bias_mode != BIAS_POST_OP) return PAN_OK;
    dnnl_post_ops_t po = NULL;
    s = onednn_check(dnnl_post_ops_create(&po), op, "dnnl_post_ops_create");
    if (s != PAN_OK) return s;
    if (a->beta == 1.0f)
        s = onednn_check(dnnl_post_ops_append_sum(po, 1.0f), op,
                         "dnnl_post_ops_append_sum");
    if (s == PAN_OK && bias_mode == BIAS_POST_OP)
        s = onednn_check(dnnl_post_ops_append_binary(po, dnnl_binary_add,
                                                     bias_md),
                         op, "dnnl_post_ops_append_binary");
    if (s == PAN_OK)
        s = onednn_check(dnnl_primitive_attr_set_post_ops(*attr, po), op,
                         "dnnl_primitive_attr_set_post_ops");
    dnnl_post_ops_destroy(po);
    return s;
}

static pan_status build(onednn_state *st, onednn_entry *e,
                        const void *ctx) {
    const pan_matmul_args *a = ctx;
    const char *op = "matmul";
    mm_plan p;
    plan_matmul(a, &p);
    dnnl_memory_desc_t src_md, wei_md, dst_md, bias_md;
    pan_status s = onednn_md(&src_md, p.ndims, p.src_dims, p.src_strides, op);
    if (s == PAN_OK) s = onednn_md(&wei_md, p.ndims, p.wei_dims, p.wei_strides, op);
    if (s == PAN_OK) s = onednn_md(&dst_md, p.ndims, p.dst_dims, NULL, op);
    if (s == PAN_OK) s = onednn_md(&bias_md, p.ndims, p.bias_dims, NULL, op);
    if (s != PAN_OK) return s;

    int bias_mode = !a->bias ? BIAS_NONE
                    : a->alpha == 1.0f ? BIAS_NATIVE : BIAS_POST_OP;
    dnnl_matmul_desc_t desc;
    s = onednn_check(dnnl_matmul_desc_init(&desc, &src_md, &wei_md,
                                           bias_mode == BIAS_NATIVE ? &bias_md
                                                                    : NULL,
                                           &dst_md),
                     op, "dnnl_matmul_desc_init");
    if (s != PAN_OK) return s;
    dnnl_primitive_attr_t attr = NULL;
    s = make_attr(a, bias_mode, &bias_md, &attr);
    dnnl_primitive_desc_t pd = NULL;
    if (s == PAN_OK) s = onednn_pd_create(st, &pd, &desc, attr, op);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s == PAN_OK) s = onednn_prim_create(st, e, 0, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_SRC], &src_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_WEI], &wei_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DST], &dst_md, NULL, op);
    if (s == PAN_OK && bias_mode != BIAS_NONE)
        s = onednn_mem_create(st, &e->mem[MEM_BIAS], &bias_md, NULL, op);
    e->variant = bias_mode;
    return s;
}

/* The few-rows path: out = bias (+ out) first, then dnnl_sgemm with
 * beta = 1 adds alpha * op(a) @ op(b). */
static pan_status small_matmul(onednn_state *st, const pan_matmul_args *a) {
    int64_t rows = a->batch * a->m, n = a->n, k = a->k;
    float *out = a->out->data; /* (rows, n) */
    const float *bias = a->bias ? a->bias->data : NULL; /* (n) */
    float beta = a->beta;
    if (bias) {
        for (int64_t r = 0; r < rows; r++) {
            float *row = out + r * n;
            if (beta == 0.0f)
                memcpy(row, bias, (size_t)n * sizeof *row);
            else
                for (int64_t j = 0; j < n; j++) row[j] += bias[j];
        }
        beta = 1.0f;
    }
    omp_set_num_threads(st->n_threads);
    return onednn_check(
        dnnl_sgemm(a->trans_a ? 'T' : 'N', a->trans_b ? 'T' : 'N', rows, n, k,
                   a->alpha, a->a->data, a->trans_a ? a->m : k, a->b->data,
                   a->trans_b ? k : n, beta, out, n),
        "matmul", "dnnl_sgemm");
}

pan_status onednn_matmul(pan_backend *be, const pan_matmul_args *a) {
    const char *op = "matmul";
    onednn_state *st = onednn_state_of(be);
    if (folds(a) && a->batch * a->m <= ONEDNN_SMALL_ROWS)
        return small_matmul(st, a);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_MATMUL);
    onednn_key_push(&key, a->batch);
    onednn_key_push(&key, a->m);
    onednn_key_push(&key, a->n);
    onednn_key_push(&key, a->k);
    onednn_key_push(&key, a->trans_a);
    onednn_key_push(&key, a->trans_b);
    onednn_key_push(&key, a->b_broadcast);
    onednn_key_push(&key, a->bias != NULL);
    onednn_key_push_f32(&key, a->alpha);
    onednn_key_push_f32(&key, a->beta);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->a->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_WEI], a->b->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s == PAN_OK && e->variant != BIAS_NONE)
        s = onednn_set(e->mem[MEM_BIAS], a->bias->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[5] = {
        {DNNL_ARG_SRC, e->mem[MEM_SRC]},
        {DNNL_ARG_WEIGHTS, e->mem[MEM_WEI]},
        {DNNL_ARG_DST, e->mem[MEM_DST]},
    };
    int nargs = 3;
    if (e->variant == BIAS_NATIVE)
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->mem[MEM_BIAS]};
    else if (e->variant == BIAS_POST_OP)
        args[nargs++] = (dnnl_exec_arg_t){
            DNNL_ARG_ATTR_MULTIPLE_POST_OP(a->beta == 1.0f ? 1 : 0) |
                DNNL_ARG_SRC_1,
            e->mem[MEM_BIAS]};
    return onednn_run(st, e, 0, nargs, args, op);
}
