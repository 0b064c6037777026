/* backends/onednn/onednn_matmul.c: batched matmul on the oneDNN matmul
 * primitive.
 *
 * out[b] = alpha * op(a[b]) @ op(b[b]) + bias + beta * out[b]
 * - Transposes are strides on the source / weights descriptors, so no copy
 *   is ever made in f32 (bf16, below, reorders the inputs).
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
 * - bf16 (opt-in, be->bf16_matmul, core/compute.h): the primitive takes
 *   bf16 src and weights (plain row-major), f32 bias, f32 accumulation and
 *   f32 dst. Two reorders per call round the caller's f32 a and b
 *   (transposes are their strides) into entry-owned bf16 buffers. Only on
 *   a CPU whose oneDNN ISA has AVX512-BF16 (without it oneDNN 2.6 has
 *   emulated bf16 kernels at best; not measured, so f32 runs there) and
 *   only on the primitive path: products of at most ONEDNN_SMALL_ROWS rows
 *   stay f32 in dnnl_sgemm. Whether bf16 runs is part of the cache key.
 *   oneDNN 2.6's dnnl_primitive_attr_set_fpmath_mode(bf16) is not used: on
 *   the AVX512-BF16 EPYC this was written on it still picks the f32 kernel
 *   (brg:avx512_core) and gives bits identical to f32, so the conversion
 *   has to be explicit (the bf16 primitive is brg:avx512_core_bf16).
 */
#include <omp.h>
#include <string.h>

#include "backends/onednn/onednn_internal.h"

#define ONEDNN_SMALL_ROWS 8

enum { MEM_SRC = 0, MEM_WEI, MEM_DST, MEM_BIAS, MEM_SRC16, MEM_WEI16 };
enum { PRIM_MATMUL = 0, PRIM_R_SRC, PRIM_R_WEI }; /* reorders: bf16 only */
enum { BUF_SRC16 = 0, BUF_WEI16 };
enum { BIAS_NONE = 0, BIAS_NATIVE, BIAS_POST_OP };

/* What build() gets: the op's arguments and whether to build bf16. */
typedef struct mm_ctx {
    const pan_matmul_args *a;
    bool bf16;
} mm_ctx;

/* True when oneDNN runs bf16 natively here (AVX512-BF16 or better). */
static bool bf16_native(void) {
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return ((unsigned)isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) ==
           (unsigned)dnnl_cpu_isa_avx512_core_bf16;
}

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

/* A dense row-major bf16 descriptor of `dims`. */
static pan_status bf16_md(dnnl_memory_desc_t *md, int ndims,
                          const int64_t *dims) {
    dnnl_dims_t d = {0};
    for (int i = 0; i < ndims; i++) d[i] = dims[i];
    return onednn_check(dnnl_memory_desc_init_by_tag(
                            md, ndims, d, dnnl_bf16,
                            ndims == 2 ? dnnl_ab : dnnl_abc),
                        "matmul", "dnnl_memory_desc_init_by_tag");
}

/* The bf16 copy of one input: an entry-owned buffer, its memory object
 * and the reorder that fills it from the user's f32 memory. */
static pan_status add_bf16_input(onednn_state *st, onednn_entry *e,
                                 const dnnl_memory_desc_t *user,
                                 const dnnl_memory_desc_t *want, int mem_slot,
                                 int prim_slot, int buf_slot) {
    return onednn_buffered_reorder(st, e, user, want, true, mem_slot, prim_slot,
                                   buf_slot, "matmul");
}

static pan_status build(onednn_state *st, onednn_entry *e,
                        const void *ctx) {
    const mm_ctx *cx = ctx;
    const pan_matmul_args *a = cx->a;
    const char *op = "matmul";
    mm_plan p;
    plan_matmul(a, &p);
    dnnl_memory_desc_t src_md, wei_md, dst_md, bias_md, src16_md, wei16_md;
    pan_status s = onednn_md(&src_md, p.ndims, p.src_dims, p.src_strides, op);
    if (s == PAN_OK) s = onednn_md(&wei_md, p.ndims, p.wei_dims, p.wei_strides, op);
    if (s == PAN_OK) s = onednn_md(&dst_md, p.ndims, p.dst_dims, NULL, op);
    if (s == PAN_OK) s = onednn_md(&bias_md, p.ndims, p.bias_dims, NULL, op);
    if (s == PAN_OK && cx->bf16) s = bf16_md(&src16_md, p.ndims, p.src_dims);
    if (s == PAN_OK && cx->bf16) s = bf16_md(&wei16_md, p.ndims, p.wei_dims);
    if (s != PAN_OK) return s;

    int bias_mode = !a->bias ? BIAS_NONE
                    : a->alpha == 1.0f ? BIAS_NATIVE : BIAS_POST_OP;
    dnnl_matmul_desc_t desc;
    s = onednn_check(dnnl_matmul_desc_init(&desc, cx->bf16 ? &src16_md : &src_md,
                                           cx->bf16 ? &wei16_md : &wei_md,
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
    if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_MATMUL, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_SRC], &src_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_WEI], &wei_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DST], &dst_md, NULL, op);
    if (s == PAN_OK && bias_mode != BIAS_NONE)
        s = onednn_mem_create(st, &e->mem[MEM_BIAS], &bias_md, NULL, op);
    if (s == PAN_OK && cx->bf16)
        s = add_bf16_input(st, e, &src_md, &src16_md, MEM_SRC16, PRIM_R_SRC,
                           BUF_SRC16);
    if (s == PAN_OK && cx->bf16)
        s = add_bf16_input(st, e, &wei_md, &wei16_md, MEM_WEI16, PRIM_R_WEI,
                           BUF_WEI16);
    e->variant = bias_mode;
    return s;
}

/* Runs reorder `prim` from memory `from` to memory `to`. */
static pan_status reorder(onednn_state *st, onednn_entry *e, int prim,
                          dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return onednn_run(st, e, prim, 2, args, "matmul");
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
    mm_ctx cx = {.a = a, .bf16 = be->bf16_matmul && bf16_native()};
    onednn_key_push(&key, cx.bf16);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, &cx, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->a->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_WEI], a->b->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s == PAN_OK && e->variant != BIAS_NONE)
        s = onednn_set(e->mem[MEM_BIAS], a->bias->data, op);
    if (s != PAN_OK) return s;
    dnnl_memory_t src = e->mem[MEM_SRC], wei = e->mem[MEM_WEI];
    if (cx.bf16) { /* round a and b into the entry's bf16 buffers */
        s = reorder(st, e, PRIM_R_SRC, src, e->mem[MEM_SRC16]);
        if (s == PAN_OK) s = reorder(st, e, PRIM_R_WEI, wei, e->mem[MEM_WEI16]);
        if (s != PAN_OK) return s;
        src = e->mem[MEM_SRC16];
        wei = e->mem[MEM_WEI16];
    }
    dnnl_exec_arg_t args[5] = {
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, wei},
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
    return onednn_run(st, e, PRIM_MATMUL, nargs, args, op);
}
