/* tests/model/ckpt_mutate.h: helpers the checkpoint tests share to build
 * damaged checkpoints from a valid one.
 *
 * Contract
 * - ckpt_bytes holds a whole file in memory (malloc'd; ckpt_bytes_free).
 * - ckpt_split parses a safetensors image into its header JSON (jansson,
 *   insertion order kept) and a pointer to its data region; ckpt_join
 *   writes header + data back (new header length, no padding needed).
 * - ckpt_write_custom writes a checkpoint of `model` by hand (not through
 *   pan_safetensors_write), tensor by tensor in table order, where the
 *   options can drop one tensor, store one as BF16 (round to nearest
 *   even), give one another shape (same element count) and append an
 *   extra tensor.
 * - ckpt_tiny_config: the small configuration the tests use.
 * - Every function returns 0 on success, -1 with a message on stderr.
 */
#ifndef PAN_TESTS_MODEL_CKPT_MUTATE_H
#define PAN_TESTS_MODEL_CKPT_MUTATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model/model.h"

typedef struct ckpt_bytes {
    unsigned char *data; /* (size) */
    size_t size;
} ckpt_bytes;

int ckpt_read_file(const char *path, ckpt_bytes *out);
int ckpt_write_file(const char *path, const void *data, size_t size);
void ckpt_bytes_free(ckpt_bytes *b);

/* header: new reference (json_decref it); data points into `file`. */
int ckpt_split(const ckpt_bytes *file, json_t **header,
               const unsigned char **data, size_t *data_size);
int ckpt_join(const char *path, const json_t *header,
              const unsigned char *data, size_t data_size);

typedef struct ckpt_custom {
    const char *drop;         /* tensor left out, or NULL */
    const char *bf16;         /* tensor stored as BF16, or NULL */
    const char *reshape;      /* tensor stored with `new_shape`, or NULL */
    int new_ndim;
    int64_t new_shape[4];
    const char *extra;        /* extra F32 tensor of 4 floats, or NULL */
} ckpt_custom;

int ckpt_write_custom(const char *path, const pan_model *model,
                      const ckpt_custom *opt);

/* f32 -> bf16 bits, round to nearest even (finite inputs). */
uint16_t ckpt_f32_to_bf16(float x);

void ckpt_tiny_config(pan_model_config *cfg);

#endif
