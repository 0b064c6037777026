/* core/model/train_util.c: the training passes' shared helpers (contract
 * in train_util.h). */
#include "core/model/train_util.h"

pan_tensor pan_train_mat(const float *data, int64_t rows, int64_t cols) {
    pan_tensor t;
    pan_tensor_init(&t, (void *)data, PAN_DTYPE_F32, 2, PAN_SHAPE(rows, cols));
    return t;
}

pan_status pan_train_linear(pan_compute *c, float *out, const float *in,
                            int64_t rows, const pan_tensor *w,
                            const pan_tensor *b, float beta) {
    pan_tensor to = pan_train_mat(out, rows, w->shape[0]);
    pan_tensor ti = pan_train_mat(in, rows, w->shape[1]);
    return pan_compute_matmul(c, &to, &ti, w, b, false, true, 1.0f, beta);
}

pan_status pan_train_linear_backward(pan_compute *c, const float *dout,
                                     const float *in, int64_t rows,
                                     const pan_tensor *w, float *din,
                                     pan_tensor *dw, pan_tensor *db) {
    pan_tensor tdo = pan_train_mat(dout, rows, w->shape[0]);
    pan_tensor ti = pan_train_mat(in, rows, w->shape[1]);
    pan_tensor tdi = pan_train_mat(din, rows, w->shape[1]);
    return pan_compute_matmul_backward(c, &tdo, &ti, w, false, true, 1.0f,
                                       din ? &tdi : NULL, dw, db);
}

pan_status pan_train_check_config(const char *fn, const pan_model_config *cfg,
                                  const pan_model *m) {
    if (memcmp(&m->config, cfg, sizeof *cfg) != 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: the training state was made for another "
                             "model configuration", fn);
    return PAN_OK;
}

pan_status pan_train_check_f32(const char *fn, const char *what,
                               const pan_tensor *t, int ndim,
                               const int64_t *want) {
    pan_tensor expected;
    pan_tensor_init(&expected, NULL, PAN_DTYPE_F32, ndim, want);
    if (t && t->dtype == PAN_DTYPE_F32 && pan_tensor_same_shape(t, &expected) &&
        pan_tensor_is_contiguous(t) && t->data)
        return PAN_OK;
    char got[64], exp[64];
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: %s has shape %s, expected %s (f32, contiguous, "
                         "with data; from the model config)", fn, what,
                         t ? pan_tensor_shape_str(t, got, sizeof got) : "none",
                         pan_tensor_shape_str(&expected, exp, sizeof exp));
}
