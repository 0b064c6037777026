/* backends/onednn/onednn_conv.c: 2-D convolution (NCHW f32) on the oneDNN
 * convolution primitive.
 *
 * Two variants, chosen per shape when the entry is built:
 * - PLAIN: the primitive reads x (N,C,H,W) and weight (OC,C,KH,KW) and
 *   writes out (N,OC,OH,OW) in place, as they are.
 * - BLOCKED: the primitive picks its preferred layouts (format_tag any,
 *   here NHWC with blocked weights, or nChw16c); x and weight are reordered into entry-owned
 *   buffers before, and the result reordered into `out` after. Weights are
 *   reordered on every call (the caller may change them between calls).
 * Measured on this 2-core AVX-512 machine (2 threads, median us, plain vs
 * blocked): 3x3 32->32 on 1x64x64: 700 vs 320; 3x3 64->64 on 4x32x32: 1740
 * vs 1160; 3x3 32->3 on 4x64x64: 1850 vs 600; but 3x3 3->32: 84 vs 106,
 * 3x3 4->128: 60 vs 87, 1x1 64->128: 310 vs 600, 1x1 128->4: 13 vs 55. So
 * blocked layouts pay for their reorders exactly when the kernel is larger
 * than 1x1 and the input has at least a SIMD block of channels
 * (conv_prefers_blocked).
 */
#include "backends/onednn/onednn_internal.h"

enum { VARIANT_PLAIN = 0, VARIANT_BLOCKED };
/* memory objects */
enum { MEM_X = 0, MEM_W, MEM_BIAS, MEM_OUT, MEM_BX, MEM_BW, MEM_BOUT };
/* primitives */
enum { PRIM_CONV = 0, PRIM_RX, PRIM_RW, PRIM_ROUT };
/* owned buffers */
enum { BUF_X = 0, BUF_W, BUF_OUT };

/* 1x1 convolutions are plain GEMMs on NCHW; larger kernels win with
 * blocked layouts once C fills a 16-float SIMD block (measured, above). */
static bool conv_prefers_blocked(const pan_conv2d_args *a) {
    return a->kh * a->kw > 1 && a->c >= 16;
}

/* If the primitive's layout `want` differs from the user's `user`, gives
 * the entry a buffer, a memory object and a reorder for it. `to_user`
 * reorders from the internal layout to the user's (the output). */
static pan_status add_reorder(onednn_state *st, onednn_entry *e,
                              const dnnl_memory_desc_t *user,
                              const dnnl_memory_desc_t *want, int mem_slot,
                              int prim_slot, int buf_slot, bool to_user) {
    if (dnnl_memory_desc_equal(user, want)) return PAN_OK;
    return to_user ? onednn_buffered_reorder(st, e, want, user, false, mem_slot,
                                             prim_slot, buf_slot, "conv2d")
                   : onednn_buffered_reorder(st, e, user, want, true, mem_slot,
                                             prim_slot, buf_slot, "conv2d");
}

static pan_status build(onednn_state *st, onednn_entry *e,
                        const void *ctx) {
    const pan_conv2d_args *a = ctx;
    const char *op = "conv2d";
    bool blocked = conv_prefers_blocked(a);
    dnnl_memory_desc_t x_md, w_md, b_md, out_md;
    pan_status s = onednn_md(&x_md, 4, PAN_SHAPE(a->n, a->c, a->h, a->w), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&w_md, 4, PAN_SHAPE(a->oc, a->c, a->kh, a->kw), NULL, op);
    if (s == PAN_OK) s = onednn_md(&b_md, 1, PAN_SHAPE(a->oc), NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&out_md, 4, PAN_SHAPE(a->n, a->oc, a->oh, a->ow), NULL, op);
    if (s != PAN_OK) return s;

    dnnl_memory_desc_t cx = x_md, cw = w_md, cout = out_md;
    if (blocked) {
        dnnl_dims_t dims;
        for (int i = 0; i < 4; i++) dims[i] = x_md.dims[i];
        s = onednn_check(dnnl_memory_desc_init_by_tag(&cx, 4, dims, dnnl_f32,
                                                      dnnl_format_tag_any),
                         op, "dnnl_memory_desc_init_by_tag");
        for (int i = 0; i < 4 && s == PAN_OK; i++) dims[i] = w_md.dims[i];
        if (s == PAN_OK)
            s = onednn_check(dnnl_memory_desc_init_by_tag(
                                 &cw, 4, dims, dnnl_f32, dnnl_format_tag_any),
                             op, "dnnl_memory_desc_init_by_tag");
        for (int i = 0; i < 4 && s == PAN_OK; i++) dims[i] = out_md.dims[i];
        if (s == PAN_OK)
            s = onednn_check(dnnl_memory_desc_init_by_tag(
                                 &cout, 4, dims, dnnl_f32, dnnl_format_tag_any),
                             op, "dnnl_memory_desc_init_by_tag");
        if (s != PAN_OK) return s;
    }
    dnnl_dims_t strides = {a->stride_h, a->stride_w};
    dnnl_dims_t pad_l = {a->pad_h, a->pad_w};
    /* Right padding so that the output size comes out exactly OH x OW. */
    dnnl_dims_t pad_r = {(a->oh - 1) * a->stride_h + a->kh - a->h - a->pad_h,
                         (a->ow - 1) * a->stride_w + a->kw - a->w - a->pad_w};
    dnnl_convolution_desc_t desc;
    s = onednn_check(dnnl_convolution_forward_desc_init(
                         &desc, dnnl_forward_inference, dnnl_convolution_direct,
                         &cx, &cw, a->bias ? &b_md : NULL, &cout, strides,
                         pad_l, pad_r),
                     op, "dnnl_convolution_forward_desc_init");
    dnnl_primitive_desc_t pd = NULL;
    if (s == PAN_OK) s = onednn_pd_create(st, &pd, &desc, NULL, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, PRIM_CONV, pd, op);
    if (s == PAN_OK && blocked) {
        const dnnl_memory_desc_t *qx, *qw, *qout;
        qx = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
        qw = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        qout = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        if (qx && qw && qout) {
            cx = *qx;
            cw = *qw;
            cout = *qout;
        } else {
            s = pan_error_set(PAN_ERR_INTERNAL,
                              "onednn conv2d: dnnl_primitive_desc_query_md "
                              "returned no src/weights/dst layout");
        }
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_X], &x_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_W], &w_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_OUT], &out_md, NULL, op);
    if (s == PAN_OK && a->bias)
        s = onednn_mem_create(st, &e->mem[MEM_BIAS], &b_md, NULL, op);
    if (s == PAN_OK && blocked)
        s = add_reorder(st, e, &x_md, &cx, MEM_BX, PRIM_RX, BUF_X, false);
    if (s == PAN_OK && blocked)
        s = add_reorder(st, e, &w_md, &cw, MEM_BW, PRIM_RW, BUF_W, false);
    if (s == PAN_OK && blocked)
        s = add_reorder(st, e, &out_md, &cout, MEM_BOUT, PRIM_ROUT, BUF_OUT,
                        true);
    e->variant = blocked ? VARIANT_BLOCKED : VARIANT_PLAIN;
    return s;
}

/* Runs reorder `prim` from memory `from` to memory `to`. */
static pan_status reorder(onednn_state *st, onednn_entry *e, int prim,
                          dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return onednn_run(st, e, prim, 2, args, "conv2d");
}

pan_status onednn_conv2d(pan_backend *be, const pan_conv2d_args *a) {
    const char *op = "conv2d";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_CONV2D);
    int64_t params[] = {a->n, a->c, a->h, a->w, a->oc, a->kh, a->kw,
                        a->stride_h, a->stride_w, a->pad_h, a->pad_w,
                        a->bias != NULL};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        onednn_key_push(&key, params[i]);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_X], a->x->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_W], a->weight->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_OUT], a->out->data, op);
    if (s == PAN_OK && a->bias)
        s = onednn_set(e->mem[MEM_BIAS], a->bias->data, op);
    if (s != PAN_OK) return s;

    dnnl_memory_t x = e->mem[MEM_X], w = e->mem[MEM_W], out = e->mem[MEM_OUT];
    if (e->prim[PRIM_RX]) {
        s = reorder(st, e, PRIM_RX, x, e->mem[MEM_BX]);
        x = e->mem[MEM_BX];
    }
    if (s == PAN_OK && e->prim[PRIM_RW]) {
        s = reorder(st, e, PRIM_RW, w, e->mem[MEM_BW]);
        w = e->mem[MEM_BW];
    }
    if (s == PAN_OK && e->prim[PRIM_ROUT]) out = e->mem[MEM_BOUT];
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[5] = {
        {DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, out}};
    int nargs = 3;
    if (a->bias) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->mem[MEM_BIAS]};
    s = onednn_run(st, e, PRIM_CONV, nargs, args, op);
    if (s == PAN_OK && e->prim[PRIM_ROUT])
        s = reorder(st, e, PRIM_ROUT, out, e->mem[MEM_OUT]);
    return s;
}
