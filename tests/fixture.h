/* tests/fixture.h: reads the reference fixtures that
 * the scripts in tests/reference/ write (inputs and PyTorch outputs).
 *
 * Format "PANFIX01" (all integers little endian; the reader checks that the
 * host is little endian too):
 *   file    = magic "PANFIX01" (8 bytes), u32 version (1), u32 count,
 *             count records
 *   record  = u32 name_len, name (name_len bytes of UTF-8, no NUL),
 *             u32 dtype, u32 ndim (0..FIXTURE_MAX_DIMS = 6), i64 shape[ndim],
 *             data: prod(shape) elements, C order
 *   dtype   = 0 f32 | 1 f64 | 2 i32 | 3 u8   (element size 4, 8, 4, 1)
 * Names are "<op>/<case>/<field>", e.g. "matmul/2/a"; scalar attributes are
 * 0-D f64 records ("matmul/2/alpha"); the PyTorch result is the f64 record
 * "<op>/<case>/expected".
 *
 * Contract: fixture_load reads the whole file, copies each record's data
 * into its own aligned buffer and fails with IO or DATA_LOSS (message names
 * the file and what is wrong) without leaking. Not thread safe.
 */
#ifndef PAN_TESTS_FIXTURE_H
#define PAN_TESTS_FIXTURE_H

#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

typedef enum fixture_dtype {
    FIXTURE_F32 = 0,
    FIXTURE_F64 = 1,
    FIXTURE_I32 = 2,
    FIXTURE_U8 = 3,
} fixture_dtype;

#define FIXTURE_NAME_MAX 128
#define FIXTURE_MAX_DIMS 6 /* records may have more dims than a pan_tensor */

typedef struct fixture_record {
    char name[FIXTURE_NAME_MAX];
    fixture_dtype dtype;
    int ndim;
    int64_t shape[FIXTURE_MAX_DIMS];
    int64_t count; /* elements */
    void *data;    /* (count) elements of dtype, 64-byte aligned */
} fixture_record;

typedef struct fixture {
    fixture_record *records; /* (count) */
    int count;
} fixture;

pan_status fixture_load(fixture *fx, const char *path);
void fixture_free(fixture *fx);

/* The record called `name`, or NULL. */
const fixture_record *fixture_find(const fixture *fx, const char *name);

/* The record named by printf(fmt, ...) with dtype `dtype`; NULL, after a
 * line on stderr saying which record is missing or has the wrong dtype. */
const fixture_record *fixture_need(const fixture *fx, fixture_dtype dtype,
                                   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sum (ref - got)^2 / sum ref^2 in double (0 when both are all zero,
 * +inf when only ref is): the parity tests' error against the float64
 * twin. */
double fixture_nmse(const double *ref, const float *got, int64_t n);

#endif
