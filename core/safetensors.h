/* core/safetensors.h: reading and writing safetensors files.
 *
 * Contract
 * - pan_safetensors_open mmaps the file read-only and validates the whole
 *   header before returning (docs/model.md, "Checkpoint files"): header
 *   length in [2, 100,000,000] and inside the file; JSON parsed by jansson
 *   with duplicate keys rejected; the top level an object; every entry an
 *   object with exactly "dtype" (F32 or BF16; another safetensors dtype
 *   such as I64 or F16 is UNIMPLEMENTED naming it, a string that is no
 *   safetensors dtype is DATA_LOSS), "shape" (0..4 non-negative integers) and
 *   "data_offsets" ([begin, end], end - begin == numel * dtype size); the
 *   entries tile the data region exactly (no holes, no overlaps, nothing
 *   past the end, nothing left over); "__metadata__", when present, an
 *   object of strings. Failures: NOT_FOUND (no such file), IO (cannot
 *   open/stat/mmap), DATA_LOSS
 *   (anything malformed), UNIMPLEMENTED (unsupported dtype); the message
 *   names the file, the tensor and the field, with expected and found.
 * - Tensors are kept in file order of their data offsets. Their data stays
 *   valid until pan_safetensors_close.
 * - pan_safetensors_read_f32 copies one tensor into f32 memory, widening
 *   BF16 (exact: bf16 is the top half of an f32).
 * - pan_safetensors_write writes `count` f32 tensors in the given order
 *   and the metadata map atomically: PATH.tmp.<pid>, header padded with
 *   spaces so the data starts at a multiple of 64 bytes, fsync, rename over
 *   PATH, fsync of the directory. On failure PATH is untouched and the
 *   temporary file removed.
 * - Thread safety: a file handle is read-only after open; distinct handles
 *   are independent.
 */
#ifndef PAN_CORE_SAFETENSORS_H
#define PAN_CORE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

#define PAN_SAFETENSORS_MAX_HEADER 100000000u

typedef struct pan_st_tensor {
    const char *name;   /* NUL-terminated, owned by the file handle */
    pan_dtype dtype;    /* PAN_DTYPE_F32 or PAN_DTYPE_BF16 */
    int ndim;
    int64_t shape[PAN_TENSOR_MAX_DIMS];
    int64_t numel;
    const void *data;   /* inside the mapping; may be unaligned */
    uint64_t begin, end; /* data_offsets */
} pan_st_tensor;

typedef struct pan_st_meta {
    const char *key, *value; /* owned by the file handle */
} pan_st_meta;

typedef struct pan_safetensors {
    char *path;
    const pan_st_tensor *tensors; /* (count), by begin offset */
    int count;
    const pan_st_meta *meta;      /* (meta_count) */
    int meta_count;
    size_t file_size;
    void *impl;
} pan_safetensors;

pan_status pan_safetensors_open(pan_safetensors **out, const char *path);
void pan_safetensors_close(pan_safetensors *st);

/* The tensor / metadata value with that exact name, or NULL. */
const pan_st_tensor *pan_safetensors_find(const pan_safetensors *st,
                                          const char *name);
const char *pan_safetensors_meta(const pan_safetensors *st, const char *key);

/* dst holds t->numel floats. */
void pan_safetensors_read_f32(const pan_st_tensor *t, float *dst);

typedef struct pan_st_write_tensor {
    const char *name;
    int ndim;
    const int64_t *shape;
    const float *data; /* numel floats */
} pan_st_write_tensor;

pan_status pan_safetensors_write(const char *path,
                                 const pan_st_write_tensor *tensors, int count,
                                 const pan_st_meta *meta, int meta_count);

#endif
