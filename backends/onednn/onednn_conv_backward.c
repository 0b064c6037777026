/* backends/onednn/onednn_conv_backward.c: the conv2d backward (NCHW f32)
 * on oneDNN's convolution backward-data and backward-weights primitives.
 *
 * - One cache entry per shape and set of requested gradients: the
 *   forward-training primitive descriptor serves only as the hint the
 *   backward descriptors need and is dropped after the build.
 * - The primitives overwrite their outputs, and backward ops accumulate
 *   (backends/backward_args.h), so dx, dweight and dbias are computed into
 *   entry-owned buffers (allocated once, at the build) and then added into
 *   the caller's tensors on the pan pool. No allocation per call.
 * - Plain layouts (x, dout NCHW; weights OIHW) as the caller has them, so
 *   no reorders; oneDNN picks its gemm-based or jit kernels for them.
 * - Determinism: the primitives are deterministic for a thread count and
 *   the additions are elementwise.
 */
#include <string.h>

#include "backends/onednn/onednn_internal.h"
#include "core/threadpool.h"

/* memory objects */
enum { MEM_X = 0, MEM_W, MEM_DOUT, MEM_DX, MEM_DW, MEM_DB };
/* primitives */
enum { PRIM_DATA = 0, PRIM_WEIGHTS };
/* owned buffers: the primitives' outputs before accumulation */
enum { BUF_DX = 0, BUF_DW, BUF_DB };

static pan_status build(onednn_state *st, onednn_entry *e, const void *ctx) {
    const pan_conv2d_backward_args *a = ctx;
    const char *op = "conv2d_backward";
    dnnl_memory_desc_t x_md, w_md, b_md, out_md;
    pan_status s = onednn_md(&x_md, 4, PAN_SHAPE(a->n, a->c, a->h, a->w), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&w_md, 4, PAN_SHAPE(a->oc, a->c, a->kh, a->kw), NULL, op);
    if (s == PAN_OK) s = onednn_md(&b_md, 1, PAN_SHAPE(a->oc), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&out_md, 4, PAN_SHAPE(a->n, a->oc, a->oh, a->ow), NULL, op);
    if (s != PAN_OK) return s;
    dnnl_dims_t strides = {a->stride_h, a->stride_w};
    dnnl_dims_t pad_l = {a->pad_h, a->pad_w};
    dnnl_dims_t pad_r = {(a->oh - 1) * a->stride_h + a->kh - a->h - a->pad_h,
                         (a->ow - 1) * a->stride_w + a->kw - a->w - a->pad_w};
    dnnl_convolution_desc_t fwd_desc, data_desc, weights_desc;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    s = onednn_check(dnnl_convolution_forward_desc_init(
                         &fwd_desc, dnnl_forward_training,
                         dnnl_convolution_direct, &x_md, &w_md, &b_md, &out_md,
                         strides, pad_l, pad_r),
                     op, "dnnl_convolution_forward_desc_init");
    if (s == PAN_OK) s = onednn_pd_create_hinted(st, &hint, &fwd_desc, NULL, NULL, op);
    if (s == PAN_OK && a->dx) {
        s = onednn_check(dnnl_convolution_backward_data_desc_init(
                             &data_desc, dnnl_convolution_direct, &x_md, &w_md,
                             &out_md, strides, pad_l, pad_r),
                         op, "dnnl_convolution_backward_data_desc_init");
        if (s == PAN_OK)
            s = onednn_pd_create_hinted(st, &pd, &data_desc, NULL, hint, op);
        if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_DATA, pd, op);
        if (pd) dnnl_primitive_desc_destroy(pd);
        pd = NULL;
        if (s == PAN_OK)
            s = onednn_buf_alloc(&e->buf[BUF_DX], dnnl_memory_desc_get_size(&x_md), op);
        if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DX], &x_md, e->buf[BUF_DX], op);
        if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_W], &w_md, NULL, op);
    }
    if (s == PAN_OK && (a->dweight || a->dbias)) {
        s = onednn_check(dnnl_convolution_backward_weights_desc_init(
                             &weights_desc, dnnl_convolution_direct, &x_md,
                             &w_md, a->dbias ? &b_md : NULL, &out_md, strides,
                             pad_l, pad_r),
                         op, "dnnl_convolution_backward_weights_desc_init");
        if (s == PAN_OK)
            s = onednn_pd_create_hinted(st, &pd, &weights_desc, NULL, hint, op);
        if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_WEIGHTS, pd, op);
        if (pd) dnnl_primitive_desc_destroy(pd);
        if (s == PAN_OK)
            s = onednn_buf_alloc(&e->buf[BUF_DW], dnnl_memory_desc_get_size(&w_md), op);
        if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DW], &w_md, e->buf[BUF_DW], op);
        if (s == PAN_OK && a->dbias)
            s = onednn_buf_alloc(&e->buf[BUF_DB], dnnl_memory_desc_get_size(&b_md), op);
        if (s == PAN_OK && a->dbias)
            s = onednn_mem_create(st, &e->mem[MEM_DB], &b_md, e->buf[BUF_DB], op);
        if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_X], &x_md, NULL, op);
    }
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DOUT], &out_md, NULL, op);
    if (hint) dnnl_primitive_desc_destroy(hint);
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

pan_status onednn_conv2d_backward(pan_backend *be,
                                  const pan_conv2d_backward_args *a) {
    const char *op = "conv2d_backward";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_CONV2D_BACKWARD);
    int64_t params[] = {a->n, a->c, a->h, a->w, a->oc, a->kh, a->kw,
                        a->stride_h, a->stride_w, a->pad_h, a->pad_w,
                        (a->dx != NULL) | (a->dweight != NULL) << 1 |
                            (a->dbias != NULL) << 2};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        onednn_key_push(&key, params[i]);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DOUT], a->dout->data, op);
    if (s == PAN_OK && a->dx) {
        s = onednn_set(e->mem[MEM_W], a->weight->data, op);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, e->mem[MEM_DOUT]},
                                   {DNNL_ARG_WEIGHTS, e->mem[MEM_W]},
                                   {DNNL_ARG_DIFF_SRC, e->mem[MEM_DX]}};
        if (s == PAN_OK) s = onednn_run(st, e, PRIM_DATA, 3, args, op);
        if (s == PAN_OK) accumulate(be, a->dx, e->buf[BUF_DX]);
    }
    if (s == PAN_OK && (a->dweight || a->dbias)) {
        s = onednn_set(e->mem[MEM_X], a->x->data, op);
        dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->mem[MEM_X]},
                                   {DNNL_ARG_DIFF_DST, e->mem[MEM_DOUT]},
                                   {DNNL_ARG_DIFF_WEIGHTS, e->mem[MEM_DW]}};
        int nargs = 3;
        if (a->dbias)
            args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, e->mem[MEM_DB]};
        if (s == PAN_OK) s = onednn_run(st, e, PRIM_WEIGHTS, nargs, args, op);
        if (s == PAN_OK && a->dweight) accumulate(be, a->dweight, e->buf[BUF_DW]);
        if (s == PAN_OK && a->dbias) accumulate(be, a->dbias, e->buf[BUF_DB]);
    }
    return s;
}
