/* backends/onednn/onednn_conv_backward.c: the conv2d backward (NCHW f32)
 * on oneDNN's convolution backward-data and backward-weights primitives.
 *
 * - Two cache entries per shape, one per direction: DATA (dx from dout and
 *   the weights) and WEIGHTS (dweight and dbias from x and dout). The
 *   forward-training primitive descriptor serves only as the hint the
 *   backward descriptors need and is dropped after the build.
 * - Layouts, as in the forward (onednn_conv.c): kernels larger than 1x1
 *   with at least a SIMD block of channels on both sides run on the
 *   layouts the primitive prefers (format_tag any: nChw16c or NHWC, blocked
 *   weights); the inputs are reordered into entry-owned buffers and the
 *   result is reordered back, adding into the caller's tensor (a reorder
 *   with a sum post-op). Otherwise the primitive reads the plain tensors.
 *   Measured on this 2-core AVX-512 machine (2 threads, batch 16, median ms
 *   of data + weights, plain -> blocked): 3x3 32->32 at 64x64: 45 -> 10;
 *   3x3 64->64 at 32x32: 20 -> 5.5; 3x3 64->64 at 16x16: 2.8 -> 1.5.
 * - Backward ops accumulate (backends/backward_args.h): a plain result is
 *   computed into an entry-owned buffer and added on the pan pool; dbias
 *   always so. No allocation per call.
 * - Determinism: the primitives are deterministic for a thread count and
 *   the additions are elementwise.
 */
#include <string.h>

#include "backends/onednn/onednn_internal.h"
#include "core/threadpool.h"

enum { DIR_DATA = 0, DIR_WEIGHTS };
enum { VARIANT_PLAIN = 0, VARIANT_BLOCKED };
/* memory objects: the user's tensors (A: dout, B: weights for DATA and x
 * for WEIGHTS, OUT: dx or dweight), their primitive layouts, the bias */
enum { MEM_A = 0, MEM_B, MEM_OUT, MEM_CA, MEM_CB, MEM_COUT, MEM_DB };
/* primitives */
enum { PRIM_CONV = 0, PRIM_RA, PRIM_RB, PRIM_ROUT };
/* owned buffers */
enum { BUF_A = 0, BUF_B, BUF_OUT, BUF_DB };

typedef struct build_ctx {
    const pan_conv2d_backward_args *a;
    int dir;
} build_ctx;

/* The same rule as the forward's, with the output channels too: dout is
 * an input of both directions. */
static bool prefers_blocked(const pan_conv2d_backward_args *a) {
    return a->kh * a->kw > 1 && a->c >= 16 && a->oc >= 16;
}

/* md with the same dims as `plain` and format_tag any. */
static pan_status any_md(dnnl_memory_desc_t *md, const dnnl_memory_desc_t *plain,
                         const char *op) {
    dnnl_dims_t dims;
    for (int i = 0; i < plain->ndims; i++) dims[i] = plain->dims[i];
    return onednn_check(dnnl_memory_desc_init_by_tag(md, plain->ndims, dims,
                                                     dnnl_f32, dnnl_format_tag_any),
                        op, "dnnl_memory_desc_init_by_tag");
}

/* For an input: when the primitive's layout `want` differs from the
 * user's, a buffer, a memory object and a reorder user -> want. */
static pan_status input_layout(onednn_state *st, onednn_entry *e,
                               const dnnl_memory_desc_t *user,
                               const dnnl_memory_desc_t *want, int mem,
                               int prim, int buf, const char *op) {
    if (dnnl_memory_desc_equal(user, want)) return PAN_OK;
    return onednn_buffered_reorder(st, e, user, want, true, mem, prim, buf, op);
}

/* For the output: the primitive writes an entry-owned buffer in `want`;
 * when that is not the user's layout, a reorder adds it into the user's
 * tensor, else the op adds the buffer on the pool. */
static pan_status output_layout(onednn_state *st, onednn_entry *e,
                                const dnnl_memory_desc_t *user,
                                const dnnl_memory_desc_t *want, const char *op) {
    pan_status s = onednn_buf_alloc(&e->buf[BUF_OUT], dnnl_memory_desc_get_size(want), op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_COUT], want, e->buf[BUF_OUT], op);
    if (s != PAN_OK || dnnl_memory_desc_equal(user, want)) return s;
    dnnl_primitive_desc_t pd = NULL;
    s = onednn_reorder_pd_create(st, &pd, want, user, true, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_ROUT, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return s;
}

static const dnnl_memory_desc_t *query(const_dnnl_primitive_desc_t pd,
                                       dnnl_query_t what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static pan_status build(onednn_state *st, onednn_entry *e, const void *ctx) {
    const build_ctx *bc = ctx;
    const pan_conv2d_backward_args *a = bc->a;
    const char *op = "conv2d_backward";
    bool blocked = prefers_blocked(a);
    dnnl_memory_desc_t x_md, w_md, b_md, out_md;
    pan_status s = onednn_md(&x_md, 4, PAN_SHAPE(a->n, a->c, a->h, a->w), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&w_md, 4, PAN_SHAPE(a->oc, a->c, a->kh, a->kw), NULL, op);
    if (s == PAN_OK) s = onednn_md(&b_md, 1, PAN_SHAPE(a->oc), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&out_md, 4, PAN_SHAPE(a->n, a->oc, a->oh, a->ow), NULL, op);
    dnnl_memory_desc_t cx = x_md, cw = w_md, cout = out_md;
    if (s == PAN_OK && blocked) s = any_md(&cx, &x_md, op);
    if (s == PAN_OK && blocked) s = any_md(&cw, &w_md, op);
    if (s == PAN_OK && blocked) s = any_md(&cout, &out_md, op);
    if (s != PAN_OK) return s;
    bool with_bias = bc->dir == DIR_WEIGHTS && a->dbias;
    dnnl_dims_t strides = {a->stride_h, a->stride_w};
    dnnl_dims_t pad_l = {a->pad_h, a->pad_w};
    dnnl_dims_t pad_r = {(a->oh - 1) * a->stride_h + a->kh - a->h - a->pad_h,
                         (a->ow - 1) * a->stride_w + a->kw - a->w - a->pad_w};
    dnnl_convolution_desc_t fwd_desc, desc;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    s = onednn_check(dnnl_convolution_forward_desc_init(
                         &fwd_desc, dnnl_forward_training,
                         dnnl_convolution_direct, &cx, &cw,
                         with_bias ? &b_md : NULL, &cout, strides, pad_l, pad_r),
                     op, "dnnl_convolution_forward_desc_init");
    if (s == PAN_OK) s = onednn_pd_create_hinted(st, &hint, &fwd_desc, NULL, NULL, op);
    if (s == PAN_OK && bc->dir == DIR_DATA)
        s = onednn_check(dnnl_convolution_backward_data_desc_init(
                             &desc, dnnl_convolution_direct, &cx, &cw, &cout,
                             strides, pad_l, pad_r),
                         op, "dnnl_convolution_backward_data_desc_init");
    if (s == PAN_OK && bc->dir == DIR_WEIGHTS)
        s = onednn_check(dnnl_convolution_backward_weights_desc_init(
                             &desc, dnnl_convolution_direct, &cx, &cw,
                             with_bias ? &b_md : NULL, &cout, strides, pad_l,
                             pad_r),
                         op, "dnnl_convolution_backward_weights_desc_init");
    if (s == PAN_OK) s = onednn_pd_create_hinted(st, &pd, &desc, NULL, hint, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_CONV, pd, op);
    /* A is dout in both directions; B and OUT depend on the direction. */
    const dnnl_memory_desc_t *ub = bc->dir == DIR_DATA ? &w_md : &x_md;
    const dnnl_memory_desc_t *uout = bc->dir == DIR_DATA ? &x_md : &w_md;
    const dnnl_memory_desc_t *qa = NULL, *qb = NULL, *qout = NULL;
    if (s == PAN_OK) {
        qa = query(pd, dnnl_query_diff_dst_md);
        qb = query(pd, bc->dir == DIR_DATA ? dnnl_query_weights_md : dnnl_query_src_md);
        qout = query(pd, bc->dir == DIR_DATA ? dnnl_query_diff_src_md
                                             : dnnl_query_diff_weights_md);
        if (!qa || !qb || !qout)
            s = pan_error_set(PAN_ERR_INTERNAL,
                              "onednn conv2d_backward: dnnl_primitive_desc_query_md "
                              "returned no layout");
    }
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_A], &out_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_B], ub, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_OUT], uout, NULL, op);
    if (s == PAN_OK) s = input_layout(st, e, &out_md, qa, MEM_CA, PRIM_RA, BUF_A, op);
    if (s == PAN_OK) s = input_layout(st, e, ub, qb, MEM_CB, PRIM_RB, BUF_B, op);
    if (s == PAN_OK) s = output_layout(st, e, uout, qout, op);
    if (s == PAN_OK && with_bias)
        s = onednn_buf_alloc(&e->buf[BUF_DB], dnnl_memory_desc_get_size(&b_md), op);
    if (s == PAN_OK && with_bias)
        s = onednn_mem_create(st, &e->mem[MEM_DB], &b_md, e->buf[BUF_DB], op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    e->variant = blocked ? VARIANT_BLOCKED : VARIANT_PLAIN;
    return s;
}

typedef struct add_job {
    float *dst;
    const float *src;
} add_job;

static void add_range(void *ctx, int64_t begin, int64_t end) {
    const add_job *j = ctx;
    for (int64_t i = begin; i < end; i++) j->dst[i] += j->src[i];
}

/* dst[0, n) += src[0, n) on the pool. */
static void accumulate(pan_backend *be, pan_tensor *dst, const void *src) {
    add_job j = {.dst = dst->data, .src = src};
    pan_threadpool_for(be->pool, pan_tensor_numel(dst), 16384, add_range, &j);
}

/* The user's memory `user` in the primitive's layout: reordered into the
 * entry's buffer when the entry has a reorder for it. */
static pan_status layout_in(onednn_state *st, onednn_entry *e, int prim,
                            int user, int internal, dnnl_memory_t *out) {
    *out = e->mem[user];
    if (!e->prim[prim]) return PAN_OK;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, e->mem[user]},
                               {DNNL_ARG_TO, e->mem[internal]}};
    *out = e->mem[internal];
    return onednn_run(st, e, prim, 2, args, "conv2d_backward");
}

/* One direction: inputs dout and `b`, result added into `out`. */
static pan_status run_direction(pan_backend *be, const pan_conv2d_backward_args *a,
                                int dir, const pan_tensor *b, pan_tensor *out) {
    const char *op = "conv2d_backward";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_CONV2D_BACKWARD);
    int64_t params[] = {a->n, a->c, a->h, a->w, a->oc, a->kh, a->kw,
                        a->stride_h, a->stride_w, a->pad_h, a->pad_w, dir,
                        dir == DIR_WEIGHTS && a->dbias != NULL};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        onednn_key_push(&key, params[i]);
    build_ctx bc = {.a = a, .dir = dir};
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, &bc, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_A], a->dout->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_B], b->data, op);
    dnnl_memory_t ma = NULL, mb = NULL;
    if (s == PAN_OK) s = layout_in(st, e, PRIM_RA, MEM_A, MEM_CA, &ma);
    if (s == PAN_OK) s = layout_in(st, e, PRIM_RB, MEM_B, MEM_CB, &mb);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[5];
    int nargs = 0;
    args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, ma};
    if (dir == DIR_DATA) {
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, mb};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, e->mem[MEM_COUT]};
    } else {
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, mb};
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, e->mem[MEM_COUT]};
        if (e->mem[MEM_DB])
            args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, e->mem[MEM_DB]};
    }
    s = onednn_run(st, e, PRIM_CONV, nargs, args, op);
    if (s == PAN_OK && out && e->prim[PRIM_ROUT]) {
        s = onednn_set(e->mem[MEM_OUT], out->data, op);
        dnnl_exec_arg_t r[3] = {{DNNL_ARG_FROM, e->mem[MEM_COUT]},
                                {DNNL_ARG_TO, e->mem[MEM_OUT]}};
        if (s == PAN_OK) s = onednn_run(st, e, PRIM_ROUT, 2, r, op);
    } else if (s == PAN_OK && out) {
        accumulate(be, out, e->buf[BUF_OUT]);
    }
    if (s == PAN_OK && dir == DIR_WEIGHTS && a->dbias)
        accumulate(be, a->dbias, e->buf[BUF_DB]);
    return s;
}

pan_status onednn_conv2d_backward(pan_backend *be,
                                  const pan_conv2d_backward_args *a) {
    pan_status s = PAN_OK;
    if (a->dx) s = run_direction(be, a, DIR_DATA, a->weight, a->dx);
    if (s == PAN_OK && (a->dweight || a->dbias))
        s = run_direction(be, a, DIR_WEIGHTS, a->x, a->dweight);
    return s;
}
