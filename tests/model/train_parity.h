/* tests/model/train_parity.h: what the training-gradient suites share
 * (test_train_parity.c and its per-part case files).
 *
 * Contract
 * - The fixture is tests/reference/train_reference.py's (record names in
 *   its docstring): per case "<case>/<field>", f64 outputs and
 *   "<case>/grad/<parameter>" for every parameter of the model.
 * - train_compare_grads(fx, prefix, model, grads, bound, worst, what):
 *   every parameter's gradient in `grads` (a binding of a gradient block by
 *   model's table) against "<prefix>/grad/<name>": where the twin's is all
 *   zero (a parameter the case does not reach) the C one must be exactly
 *   zero; where its largest |value| is below 1e-12 of the case's largest
 *   gradient (zero in exact arithmetic, like attention's key biases, which
 *   softmax cannot see), every C value must be within 1e-6 of that largest
 *   gradient; elsewhere nmse <= bound. Prints each failing tensor with its
 *   nmse; returns the number of failures and raises *worst to the largest
 *   nmse seen.
 * - train_compare(fx, record, got, n, bound, worst, what): one f64 record
 *   against n floats (a missing record or another size fails).
 * - train_view(record): a contiguous pan_tensor over an input record
 *   (f32/i32/u8), shapes of up to PAN_TENSOR_MAX_DIMS dimensions.
 * - train_nmse_f32(a, b, n): sum (a-b)^2 / sum a^2 over two float arrays.
 */
#ifndef PAN_TESTS_MODEL_TRAIN_PARITY_H
#define PAN_TESTS_MODEL_TRAIN_PARITY_H

#include <stdint.h>

#include "core/compute.h"
#include "core/model/model.h"
#include "core/train/grads.h"
#include "tests/fixture.h"

int train_compare_grads(const fixture *fx, const char *prefix,
                        const pan_model *m, pan_grads *g, double bound,
                        double *worst, const char *what);
int train_compare(const fixture *fx, const char *record, const float *got,
                  int64_t n, double bound, double *worst, const char *what);
pan_tensor train_view(const fixture_record *r);
double train_nmse_f32(const float *a, const float *b, int64_t n);

/* The cases, one file per model part; each returns its failures. */
int train_case_vit(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend);
int train_case_backbone(pan_compute *c, const pan_model *m, const fixture *fx,
                        const char *backend);
int train_case_vae(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend);
int train_case_stages(pan_compute *c, const pan_model *vae,
                      const pan_model *dec, const pan_model *glp,
                      const fixture *fx, const char *backend);
int train_case_dit(pan_compute *c, const pan_model *m, const fixture *fx,
                   const char *backend);

#endif
