/* core/compute_backward.c: SUM_ROWS, the matmul backward composed from
 * forward matmuls, and the training losses (core/compute.h; semantics in
 * backends/backward_args.h).
 *
 * matmul: out = alpha * op(A) @ op(B) + bias. With G = dout (batch, M, N):
 *   d op(A) = alpha * G @ op(B)^T     d op(B) = alpha * op(A)^T @ G
 * so, per transposition (each a forward matmul with beta = 1):
 *   da, !trans_a (M, K):  G @ op(B)^T       = matmul(G, B, trans_b = !tb)
 *   da,  trans_a (K, M):  op(B) @ G^T       = matmul(B, G, ta = tb, tb = 1)
 *   db, !trans_b (K, N):  op(A)^T @ G       = matmul(A, G, ta = !ta)
 *   db,  trans_b (N, K):  G^T @ op(A)       = matmul(G, A, ta = 1, tb = ta)
 *   dbias (N):            SUM_ROWS of G viewed (batch*M, N)
 * A broadcast B (one weight matrix for every batch entry) needs two care
 * points: for da with trans_a the shared B is the first operand, which
 * matmul cannot broadcast, so each batch entry is one 2-D matmul; db sums
 * over the batch: with !trans_a, A and G fold into (batch*M, .) matrices
 * and one 2-D matmul does it, otherwise one 2-D matmul per entry, in
 * batch order (beta = 1 accumulates, the order is fixed).
 */
#include <math.h>

#include "core/compute.h"
#include "core/compute_internal.h"

pan_status pan_compute_sum_rows(pan_compute *c, const pan_tensor *x,
                                pan_tensor *out) {
    const char *op = "sum_rows";
    TRY(pan_need(op, "x", x, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, "out", out, PAN_DTYPE_F32, 1, 1));
    int64_t cols = x->shape[x->ndim - 1];
    TRY(pan_need_shape(op, "out", out, 1, PAN_SHAPE(cols)));
    TRY(pan_need_no_alias(op, out, "x", x));
    pan_sum_rows_args args = {.x = x, .out = out, .cols = cols,
                              .rows = cols ? pan_tensor_numel(x) / cols : 0};
    return pan_compute_dispatch(c, PAN_OP_SUM_ROWS, &args);
}

/* A contiguous view of `t` with another shape (same element count). */
static pan_tensor view(const pan_tensor *t, int ndim, const int64_t *shape) {
    pan_tensor v = {0};
    pan_status s = pan_tensor_init(&v, t->data, t->dtype, ndim, shape);
    (void)s; /* the shapes come from validated tensors */
    return v;
}

/* Entry `i` of a 3-D tensor as a 2-D view. */
static pan_tensor entry(const pan_tensor *t, int64_t i) {
    pan_tensor v = view(t, 2, PAN_SHAPE(t->shape[1], t->shape[2]));
    v.data = (float *)t->data + i * t->shape[1] * t->shape[2];
    return v;
}

pan_status pan_compute_matmul_backward(pan_compute *c, const pan_tensor *dout,
                                       const pan_tensor *a,
                                       const pan_tensor *b, bool trans_a,
                                       bool trans_b, float alpha,
                                       pan_tensor *da, pan_tensor *db,
                                       pan_tensor *dbias) {
    const char *op = "matmul_backward";
    TRY(pan_need(op, "a", a, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need(op, "b", b, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need(op, "dout", dout, PAN_DTYPE_F32, 2, 3));
    TRY(pan_need_finite(op, "alpha", alpha));
    int ra = a->ndim, rb = b->ndim;
    int64_t batch = ra == 3 ? a->shape[0] : 1;
    int64_t m = trans_a ? a->shape[ra - 1] : a->shape[ra - 2];
    int64_t k = trans_a ? a->shape[ra - 2] : a->shape[ra - 1];
    int64_t kb = trans_b ? b->shape[rb - 1] : b->shape[rb - 2];
    int64_t n = trans_b ? b->shape[rb - 2] : b->shape[rb - 1];
    int64_t batch_b = rb == 3 ? b->shape[0] : 1;
    char sa[SHAPE_STR_MAX], sb[SHAPE_STR_MAX];
    if (kb != k)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: inner dimensions differ: a %s%s gives K=%lld, "
                             "b %s%s gives K=%lld",
                             op, pan_shape_str(a, sa),
                             trans_a ? " (transposed)" : "", (long long)k,
                             pan_shape_str(b, sb),
                             trans_b ? " (transposed)" : "", (long long)kb);
    if (batch_b != batch && batch_b != 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: b %s has batch %lld, expected 1 or %lld (the "
                             "batch of a %s)",
                             op, pan_shape_str(b, sb), (long long)batch_b,
                             (long long)batch, pan_shape_str(a, sa));
    if (rb == 3 && ra == 2)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: b %s is 3-D but a %s is 2-D; give a batch "
                             "dimension to a",
                             op, pan_shape_str(b, sb), pan_shape_str(a, sa));
    bool broadcast = batch_b == 1 && ra == 3;
    if (ra == 3)
        TRY(pan_need_shape(op, "dout", dout, 3, PAN_SHAPE(batch, m, n)));
    else
        TRY(pan_need_shape(op, "dout", dout, 2, PAN_SHAPE(m, n)));
    if (da) {
        TRY(pan_need(op, "da", da, PAN_DTYPE_F32, 2, 3));
        TRY(pan_need_same_shape(op, "da", da, "a", a));
    }
    if (db) {
        TRY(pan_need(op, "db", db, PAN_DTYPE_F32, 2, 3));
        TRY(pan_need_same_shape(op, "db", db, "b", b));
    }
    if (dbias) {
        TRY(pan_need(op, "dbias", dbias, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "dbias", dbias, 1, PAN_SHAPE(n)));
    }
    pan_named_tensor outs[] = {{"da", da}, {"db", db}, {"dbias", dbias}};
    pan_named_tensor ins[] = {{"a", a}, {"b", b}, {"dout", dout}};
    if (!da && !db && !dbias)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: every gradient output is NULL (nothing to "
                             "compute)",
                             op);
    TRY(pan_need_disjoint(op, outs, 3, ins, 3));

    pan_tensor b2 = rb == 3 && broadcast ? view(b, 2, b->shape + 1) : *b;
    if (da) {
        if (trans_a && broadcast) {
            for (int64_t i = 0; i < batch; i++) {
                pan_tensor dai = entry(da, i), gi = entry(dout, i);
                TRY(pan_compute_matmul(c, &dai, &b2, &gi, NULL, trans_b, true,
                                       alpha, 1.0f));
            }
        } else if (trans_a) {
            TRY(pan_compute_matmul(c, da, b, dout, NULL, trans_b, true, alpha,
                                   1.0f));
        } else {
            TRY(pan_compute_matmul(c, da, dout, broadcast ? &b2 : b, NULL,
                                   false, !trans_b, alpha, 1.0f));
        }
    }
    if (db) {
        pan_tensor db2 = rb == 3 && broadcast ? view(db, 2, db->shape + 1) : *db;
        if (broadcast && !trans_a) {
            pan_tensor a2 = view(a, 2, PAN_SHAPE(batch * m, k));
            pan_tensor g2 = view(dout, 2, PAN_SHAPE(batch * m, n));
            if (trans_b)
                TRY(pan_compute_matmul(c, &db2, &g2, &a2, NULL, true, false,
                                       alpha, 1.0f));
            else
                TRY(pan_compute_matmul(c, &db2, &a2, &g2, NULL, true, false,
                                       alpha, 1.0f));
        } else if (broadcast) {
            for (int64_t i = 0; i < batch; i++) {
                pan_tensor ai = entry(a, i), gi = entry(dout, i);
                if (trans_b)
                    TRY(pan_compute_matmul(c, &db2, &gi, &ai, NULL, true, true,
                                           alpha, 1.0f));
                else
                    TRY(pan_compute_matmul(c, &db2, &ai, &gi, NULL, false,
                                           false, alpha, 1.0f));
            }
        } else if (trans_b) {
            TRY(pan_compute_matmul(c, db, dout, a, NULL, true, trans_a, alpha,
                                   1.0f));
        } else {
            TRY(pan_compute_matmul(c, db, a, dout, NULL, !trans_a, false,
                                   alpha, 1.0f));
        }
    }
    if (dbias) TRY(pan_compute_sum_rows(c, dout, dbias));
    return PAN_OK;
}

/* pred/target (or mean/logvar) and the loss outputs. */
static pan_status loss_common(const char *op, const char *x_name,
                              const pan_tensor *x, const char *t_name,
                              const pan_tensor *t, const pan_tensor *weights,
                              float grad_scale, pan_tensor *loss,
                              const char *dx_name, pan_tensor *dx,
                              const char *dt_name, pan_tensor *dt,
                              pan_loss_args *args) {
    TRY(pan_need(op, x_name, x, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need(op, t_name, t, PAN_DTYPE_F32, 1, 4));
    TRY(pan_need_same_shape(op, t_name, t, x_name, x));
    TRY(pan_need(op, "loss", loss, PAN_DTYPE_F32, 1, 1));
    TRY(pan_need_shape(op, "loss", loss, 1, PAN_SHAPE(1)));
    TRY(pan_need_finite(op, "grad_scale", grad_scale));
    int64_t batch = x->shape[0];
    if (batch < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: '%s' has batch 0, expected >= 1 items", op,
                             x_name);
    if (weights) {
        TRY(pan_need(op, "weights", weights, PAN_DTYPE_F32, 1, 1));
        TRY(pan_need_shape(op, "weights", weights, 1, PAN_SHAPE(batch)));
    }
    if (dx) {
        TRY(pan_need(op, dx_name, dx, PAN_DTYPE_F32, 1, 4));
        TRY(pan_need_same_shape(op, dx_name, dx, x_name, x));
    }
    if (dt) {
        TRY(pan_need(op, dt_name, dt, PAN_DTYPE_F32, 1, 4));
        TRY(pan_need_same_shape(op, dt_name, dt, t_name, t));
    }
    pan_named_tensor outs[] = {{"loss", loss}, {dx_name, dx}, {dt_name, dt}};
    pan_named_tensor ins[] = {{x_name, x}, {t_name, t}, {"weights", weights}};
    TRY(pan_need_disjoint(op, outs, 3, ins, 3));
    *args = (pan_loss_args){.pred = x, .target = t, .weights = weights,
                            .loss = loss, .dpred = dx, .dtarget = dt,
                            .grad_scale = grad_scale, .batch = batch,
                            .per_item = pan_tensor_numel(x) / batch};
    return PAN_OK;
}

pan_status pan_compute_mse_loss(pan_compute *c, const pan_tensor *pred,
                                const pan_tensor *target,
                                const pan_tensor *weights, float grad_scale,
                                pan_tensor *loss, pan_tensor *dpred) {
    pan_loss_args args;
    TRY(loss_common("mse_loss", "pred", pred, "target", target, weights,
                    grad_scale, loss, "dpred", dpred, "", NULL, &args));
    return pan_compute_dispatch(c, PAN_OP_MSE_LOSS, &args);
}

pan_status pan_compute_l1_loss(pan_compute *c, const pan_tensor *pred,
                               const pan_tensor *target,
                               const pan_tensor *weights, float grad_scale,
                               pan_tensor *loss, pan_tensor *dpred) {
    pan_loss_args args;
    TRY(loss_common("l1_loss", "pred", pred, "target", target, weights,
                    grad_scale, loss, "dpred", dpred, "", NULL, &args));
    return pan_compute_dispatch(c, PAN_OP_L1_LOSS, &args);
}

pan_status pan_compute_kl_loss(pan_compute *c, const pan_tensor *mean,
                               const pan_tensor *logvar, float grad_scale,
                               pan_tensor *loss, pan_tensor *dmean,
                               pan_tensor *dlogvar) {
    pan_loss_args args;
    TRY(loss_common("kl_loss", "mean", mean, "logvar", logvar, NULL,
                    grad_scale, loss, "dmean", dmean, "dlogvar", dlogvar,
                    &args));
    return pan_compute_dispatch(c, PAN_OP_KL_LOSS, &args);
}
