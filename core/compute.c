/* core/compute.c: backend choice, thread counts and dispatch with fallback. */
#include "core/compute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compute_internal.h"
#include "core/threadpool.h"

#define MAX_CHOSEN 4

struct pan_compute {
    char backend_name[16];
    bool strict;
    bool bf16_matmul;
    int n_threads;
    pan_threadpool *pool;
    pan_backend *ref;                 /* always present: the fallback */
    pan_backend *chosen[MAX_CHOSEN];  /* in order of preference */
    int n_chosen;
    const char *last_backend;
};

static pan_status add_backend(pan_compute *c, const char *name) {
    pan_backend *be = NULL;
    if (strcmp(name, "ref") == 0) {
        c->chosen[c->n_chosen++] = c->ref;
        return PAN_OK;
    }
    pan_status status = pan_backend_create(&be, name, c->pool, c->n_threads);
    if (status != PAN_OK) return status;
    be->bf16_matmul = c->bf16_matmul;
    c->chosen[c->n_chosen++] = be;
    return PAN_OK;
}

pan_status pan_compute_create(pan_compute **out,
                              const pan_compute_options *options) {
    pan_compute_options opts = options ? *options : (pan_compute_options){0};
    const char *name = opts.backend;
    if (!name) name = getenv("PAN_BACKEND");
    if (!name || !*name) name = "auto";
    if (strcmp(name, "auto") != 0 && strcmp(name, "ref") != 0 &&
        strcmp(name, "openblas") != 0 && strcmp(name, "onednn") != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "compute: unknown backend '%s' (expected ref, "
                             "openblas, onednn or auto)",
                             name);
    int n_threads = opts.n_threads;
    if (n_threads == 0) n_threads = pan_threadpool_default_threads();
    if (n_threads < 1 || n_threads > PAN_THREADPOOL_MAX_THREADS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "compute: n_threads must be 1..%d, got %d",
                             PAN_THREADPOOL_MAX_THREADS, n_threads);

    int bf16 = opts.bf16_matmul;
    if (bf16 < -1 || bf16 > 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "compute: bf16_matmul must be -1 (off), 0 "
                             "(PAN_BF16_MATMUL) or 1 (on), got %d",
                             bf16);
    if (bf16 == 0) {
        const char *env = getenv("PAN_BF16_MATMUL");
        if (!env || !*env || strcmp(env, "0") == 0)
            bf16 = -1;
        else if (strcmp(env, "1") == 0)
            bf16 = 1;
        else
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "compute: PAN_BF16_MATMUL must be 0 or 1, "
                                 "got '%s'",
                                 env);
    }

    pan_compute *c = calloc(1, sizeof *c);
    if (!c)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "compute: out of memory");
    snprintf(c->backend_name, sizeof c->backend_name, "%s", name);
    c->strict = opts.strict;
    c->bf16_matmul = bf16 == 1;
    c->n_threads = n_threads;
    c->last_backend = "";
    pan_status status = pan_threadpool_create(&c->pool, n_threads);
    if (status == PAN_OK)
        status = pan_backend_ref_create(&c->ref, c->pool, n_threads);
    if (status == PAN_OK && strcmp(name, "auto") == 0) {
        for (const char *const *n = pan_backend_names(); *n && status == PAN_OK;
             n++)
            status = add_backend(c, *n);
    } else if (status == PAN_OK) {
        status = add_backend(c, name);
    }
    if (status != PAN_OK) {
        pan_compute_destroy(c);
        return status;
    }
    *out = c;
    return PAN_OK;
}

void pan_compute_destroy(pan_compute *c) {
    if (!c) return;
    for (int i = 0; i < c->n_chosen; i++)
        if (c->chosen[i] != c->ref) pan_backend_destroy(c->chosen[i]);
    pan_backend_destroy(c->ref);
    pan_threadpool_destroy(c->pool);
    free(c);
}

const char *pan_compute_backend_name(const pan_compute *c) {
    return c->backend_name;
}

int pan_compute_threads(const pan_compute *c) { return c->n_threads; }

bool pan_compute_bf16_matmul(const pan_compute *c) { return c->bf16_matmul; }

pan_threadpool *pan_compute_pool(pan_compute *c) { return c->pool; }

const char *pan_compute_last_backend(const pan_compute *c) {
    return c->last_backend;
}

pan_backend *pan_compute_pick(pan_compute *c, pan_op op, const void *args) {
    for (int i = 0; i < c->n_chosen; i++)
        if (pan_backend_supports(c->chosen[i], op, args)) return c->chosen[i];
    if (c->strict) return NULL;
    return c->ref;
}

pan_status pan_compute_dispatch(pan_compute *c, pan_op op, const void *args) {
    pan_backend *be = pan_compute_pick(c, op, args);
    if (!be)
        return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                             "%s: backend '%s' does not support this op or "
                             "these arguments (strict mode, no fallback)",
                             pan_op_name(op), c->backend_name);
    pan_status status = pan_backend_run(be, op, args);
    if (status == PAN_OK) c->last_backend = be->vtable->name;
    return status;
}
