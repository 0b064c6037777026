/* backends/onednn/onednn_resample.c: nearest-neighbour upsampling on the
 * oneDNN resampling primitive.
 *
 * x (N,C,H,W) -> out (N,C,H*f,W*f), both plain NCHW. With an integer factor
 * oneDNN's nearest rule (source index = floor((o + 0.5) / f)) picks the
 * same source pixel as o / f.
 */
#include "backends/onednn/onednn_internal.h"

enum { MEM_SRC = 0, MEM_DST };

static pan_status build(onednn_state *st, onednn_entry *e, const void *ctx) {
    const pan_upsample_args *a = ctx;
    const char *op = "upsample_nearest";
    int64_t f = a->factor;
    dnnl_memory_desc_t src_md, dst_md;
    pan_status s = onednn_md(&src_md, 4, PAN_SHAPE(a->n, a->c, a->h, a->w),
                             NULL, op);
    if (s == PAN_OK)
        s = onednn_md(&dst_md, 4, PAN_SHAPE(a->n, a->c, a->h * f, a->w * f),
                      NULL, op);
    if (s != PAN_OK) return s;
    dnnl_resampling_desc_t desc;
    s = onednn_check(dnnl_resampling_forward_desc_init(
                         &desc, dnnl_forward_inference, dnnl_resampling_nearest,
                         NULL, &src_md, &dst_md),
                     op, "dnnl_resampling_forward_desc_init");
    dnnl_primitive_desc_t pd = NULL;
    if (s == PAN_OK) s = onednn_pd_create(st, &pd, &desc, NULL, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, 0, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_SRC], &src_md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DST], &dst_md, NULL, op);
    return s;
}

pan_status onednn_upsample_nearest(pan_backend *be, const pan_upsample_args *a) {
    const char *op = "upsample_nearest";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_UPSAMPLE_NEAREST);
    onednn_key_push(&key, a->n);
    onednn_key_push(&key, a->c);
    onednn_key_push(&key, a->h);
    onednn_key_push(&key, a->w);
    onednn_key_push(&key, a->factor);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->x->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, e->mem[MEM_SRC]},
                               {DNNL_ARG_DST, e->mem[MEM_DST]}};
    return onednn_run(st, e, 0, 2, args, op);
}
