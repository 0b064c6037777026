/* backends/onednn/onednn_norm.c: layer normalisation on the oneDNN
 * layer_normalization primitive.
 *
 * x (rows, cols) normalised over cols with biased variance; gamma and beta
 * (cols) are optional and independent: oneDNN 2.6 takes them as separate
 * scale and shift arguments (dnnl_use_scale, dnnl_use_shift). Inference
 * mode: the statistics stay inside the primitive. In place allowed.
 * group_norm and rms_norm have no oneDNN 2.6 primitive (ref runs them).
 */
#include "backends/onednn/onednn_internal.h"

enum { MEM_SRC = 0, MEM_DST, MEM_SCALE, MEM_SHIFT };

static pan_status build(onednn_state *st, onednn_entry *e,
                        const void *ctx) {
    const pan_norm_args *a = ctx;
    const char *op = "layer_norm";
    dnnl_memory_desc_t md, param_md;
    pan_status s = onednn_md(&md, 2, PAN_SHAPE(a->rows, a->cols), NULL, op);
    if (s == PAN_OK) s = onednn_md(&param_md, 1, &a->cols, NULL, op);
    if (s != PAN_OK) return s;
    unsigned flags = 0;
    if (a->gamma) flags |= dnnl_use_scale;
    if (a->beta) flags |= dnnl_use_shift;
    dnnl_layer_normalization_desc_t desc;
    s = onednn_check(dnnl_layer_normalization_forward_desc_init(
                         &desc, dnnl_forward_inference, &md, NULL, a->eps,
                         flags),
                     op, "dnnl_layer_normalization_forward_desc_init");
    dnnl_primitive_desc_t pd = NULL;
    if (s == PAN_OK) s = onednn_pd_create(st, &pd, &desc, NULL, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, 0, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_SRC], &md, NULL, op);
    if (s == PAN_OK) s = onednn_mem_create(st, &e->mem[MEM_DST], &md, NULL, op);
    if (s == PAN_OK && a->gamma)
        s = onednn_mem_create(st, &e->mem[MEM_SCALE], &param_md, NULL, op);
    if (s == PAN_OK && a->beta)
        s = onednn_mem_create(st, &e->mem[MEM_SHIFT], &param_md, NULL, op);
    return s;
}

pan_status onednn_layer_norm(pan_backend *be, const pan_norm_args *a) {
    const char *op = "layer_norm";
    onednn_state *st = onednn_state_of(be);
    onednn_key key;
    onednn_key_init(&key, PAN_OP_LAYER_NORM);
    onednn_key_push(&key, a->rows);
    onednn_key_push(&key, a->cols);
    onednn_key_push(&key, a->gamma != NULL);
    onednn_key_push(&key, a->beta != NULL);
    onednn_key_push_f32(&key, a->eps);
    onednn_entry *e = NULL;
    pan_status s = onednn_entry_get(st, &key, build, a, &e);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_SRC], a->x->data, op);
    if (s == PAN_OK) s = onednn_set(e->mem[MEM_DST], a->out->data, op);
    if (s == PAN_OK && a->gamma)
        s = onednn_set(e->mem[MEM_SCALE], a->gamma->data, op);
    if (s == PAN_OK && a->beta)
        s = onednn_set(e->mem[MEM_SHIFT], a->beta->data, op);
    if (s != PAN_OK) return s;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->mem[MEM_SRC]},
                               {DNNL_ARG_DST, e->mem[MEM_DST]}};
    int nargs = 2;
    if (a->gamma)
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCALE, e->mem[MEM_SCALE]};
    if (a->beta)
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SHIFT, e->mem[MEM_SHIFT]};
    return onednn_run(st, e, 0, nargs, args, op);
}
