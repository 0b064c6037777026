/* backends/onednn/onednn_exec.c: checked wrappers around the oneDNN calls
 * every op makes (descriptors, primitive creation, memory, execution). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl_debug.h>

#include "backends/onednn/onednn_internal.h"

pan_status onednn_check(dnnl_status_t status, const char *op,
                        const char *call) {
    if (status == dnnl_success) return PAN_OK;
    return pan_error_set(PAN_ERR_INTERNAL, "onednn %s: %s failed: %s", op,
                         call, dnnl_status2str(status));
}

pan_status onednn_md(dnnl_memory_desc_t *md, int ndims, const int64_t *dims,
                     const int64_t *strides, const char *op) {
    dnnl_dims_t d, s;
    memset(d, 0, sizeof d);
    memset(s, 0, sizeof s);
    int64_t step = 1;
    for (int i = ndims - 1; i >= 0; i--) {
        d[i] = dims[i];
        s[i] = strides ? strides[i] : step;
        step *= dims[i] > 0 ? dims[i] : 1;
    }
    return onednn_check(
        dnnl_memory_desc_init_by_strides(md, ndims, d, dnnl_f32, s), op,
        "dnnl_memory_desc_init_by_strides");
}

pan_status onednn_attr_create(dnnl_primitive_attr_t *attr, const char *op) {
    pan_status s = onednn_check(dnnl_primitive_attr_create(attr), op,
                                "dnnl_primitive_attr_create");
    if (s != PAN_OK) return s;
    s = onednn_check(
        dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user),
        op, "dnnl_primitive_attr_set_scratchpad_mode");
    if (s != PAN_OK) {
        dnnl_primitive_attr_destroy(*attr);
        *attr = NULL;
    }
    return s;
}

pan_status onednn_pd_create(onednn_state *st, dnnl_primitive_desc_t *pd,
                            const void *op_desc, dnnl_primitive_attr_t attr,
                            const char *op) {
    return onednn_pd_create_hinted(st, pd, op_desc, attr, NULL, op);
}

pan_status onednn_pd_create_hinted(onednn_state *st, dnnl_primitive_desc_t *pd,
                                   const void *op_desc,
                                   dnnl_primitive_attr_t attr,
                                   const_dnnl_primitive_desc_t hint,
                                   const char *op) {
    dnnl_primitive_attr_t own = NULL;
    if (!attr) {
        pan_status s = onednn_attr_create(&own, op);
        if (s != PAN_OK) return s;
        attr = own;
    }
    omp_set_num_threads(st->n_threads);
    pan_status s = onednn_check(
        dnnl_primitive_desc_create(pd, op_desc, attr, st->engine, hint), op,
        "dnnl_primitive_desc_create");
    if (own) dnnl_primitive_attr_destroy(own);
    return s;
}

pan_status onednn_reorder_pd_create(onednn_state *st, dnnl_primitive_desc_t *pd,
                                    const dnnl_memory_desc_t *src,
                                    const dnnl_memory_desc_t *dst,
                                    bool accumulate, const char *op) {
    dnnl_primitive_attr_t attr = NULL;
    pan_status s = onednn_attr_create(&attr, op);
    if (s != PAN_OK) return s;
    if (accumulate) {
        dnnl_post_ops_t ops = NULL;
        s = onednn_check(dnnl_post_ops_create(&ops), op, "dnnl_post_ops_create");
        if (s == PAN_OK)
            s = onednn_check(dnnl_post_ops_append_sum(ops, 1.0f), op,
                             "dnnl_post_ops_append_sum");
        if (s == PAN_OK)
            s = onednn_check(dnnl_primitive_attr_set_post_ops(attr, ops), op,
                             "dnnl_primitive_attr_set_post_ops");
        if (ops) dnnl_post_ops_destroy(ops);
        if (s != PAN_OK) {
            dnnl_primitive_attr_destroy(attr);
            return s;
        }
    }
    omp_set_num_threads(st->n_threads);
    s = onednn_check(dnnl_reorder_primitive_desc_create(pd, src, st->engine, dst,
                                                        st->engine, attr),
                     op, "dnnl_reorder_primitive_desc_create");
    dnnl_primitive_attr_destroy(attr);
    return s;
}

/* Grows the shared scratchpad to at least `bytes` (old contents are
 * dropped: scratchpads hold nothing between executions). */
static pan_status scratch_reserve(onednn_state *st, size_t bytes,
                                  const char *op) {
    if (bytes <= st->scratch_bytes) return PAN_OK;
    void *p = NULL;
    pan_status s = onednn_buf_alloc(&p, bytes, op);
    if (s != PAN_OK) return s;
    free(st->scratch);
    st->scratch = p;
    st->scratch_bytes = bytes;
    return PAN_OK;
}

pan_status onednn_prim_create(onednn_state *st, onednn_entry *e, int slot,
                              const_dnnl_primitive_desc_t pd, const char *op) {
    pan_status s = onednn_check(dnnl_primitive_create(&e->prim[slot], pd), op,
                                "dnnl_primitive_create");
    if (s != PAN_OK) return s;
    const dnnl_memory_desc_t *smd =
        dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (bytes == 0) return PAN_OK;
    s = scratch_reserve(st, bytes, op);
    if (s != PAN_OK) return s;
    return onednn_mem_create(st, &e->scratch[slot], smd, NULL, op);
}

pan_status onednn_mem_create(onednn_state *st, dnnl_memory_t *mem,
                             const dnnl_memory_desc_t *md, void *handle,
                             const char *op) {
    return onednn_check(dnnl_memory_create(mem, md, st->engine,
                                           handle ? handle : DNNL_MEMORY_NONE),
                        op, "dnnl_memory_create");
}

pan_status onednn_buf_alloc(void **buf, size_t bytes, const char *op) {
    size_t rounded = (bytes + 63) / 64 * 64;
    *buf = aligned_alloc(64, rounded ? rounded : 64);
    if (!*buf)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "onednn %s: out of memory allocating %zu bytes",
                             op, bytes);
    return PAN_OK;
}

pan_status onednn_set(dnnl_memory_t mem, const void *ptr, const char *op) {
    return onednn_check(dnnl_memory_set_data_handle(mem, (void *)ptr), op,
                        "dnnl_memory_set_data_handle");
}

pan_status onednn_run(onednn_state *st, onednn_entry *e, int slot, int nargs,
                      dnnl_exec_arg_t *args, const char *op) {
    if (e->scratch[slot]) {
        pan_status s = onednn_set(e->scratch[slot], st->scratch, op);
        if (s != PAN_OK) return s;
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->scratch[slot]};
    }
    omp_set_num_threads(st->n_threads);
    pan_status s = onednn_check(
        dnnl_primitive_execute(e->prim[slot], st->stream, nargs, args), op,
        "dnnl_primitive_execute");
    if (s != PAN_OK) return s;
    return onednn_check(dnnl_stream_wait(st->stream), op, "dnnl_stream_wait");
}

pan_status onednn_entry_get(onednn_state *st, const onednn_key *key,
                            onednn_build_fn build, const void *ctx,
                            onednn_entry **out) {
    onednn_entry *e = onednn_cache_find(&st->cache, key);
    if (!e) {
        e = onednn_cache_insert(&st->cache, key);
        pan_status s = build(st, e, ctx);
        if (s != PAN_OK) {
            onednn_cache_drop(&st->cache, e);
            return s;
        }
    }
    *out = e;
    return PAN_OK;
}

pan_status onednn_buffered_reorder(onednn_state *st, onednn_entry *e,
                                   const dnnl_memory_desc_t *from,
                                   const dnnl_memory_desc_t *to, bool buffer_to,
                                   int mem_slot, int prim_slot, int buf_slot,
                                   const char *op) {
    const dnnl_memory_desc_t *held = buffer_to ? to : from;
    pan_status s = onednn_buf_alloc(&e->buf[buf_slot],
                                    dnnl_memory_desc_get_size(held), op);
    if (s == PAN_OK)
        s = onednn_mem_create(st, &e->mem[mem_slot], held, e->buf[buf_slot], op);
    dnnl_primitive_desc_t pd = NULL;
    if (s == PAN_OK) s = onednn_reorder_pd_create(st, &pd, from, to, false, op);
    if (s == PAN_OK) s = onednn_prim_create(st, e, prim_slot, pd, op);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return s;
}
