/* tests/model/ckpt_mutate.c: see ckpt_mutate.h. */
#include "tests/model/ckpt_mutate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ckpt_read_file(const char *path, ckpt_bytes *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ckpt_read_file: cannot open %s\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    out->data = malloc(size > 0 ? (size_t)size : 1);
    out->size = (size_t)size;
    if (!out->data || fread(out->data, 1, out->size, f) != out->size) {
        fclose(f);
        free(out->data);
        fprintf(stderr, "ckpt_read_file: cannot read %s\n", path);
        return -1;
    }
    fclose(f);
    return 0;
}

int ckpt_write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size)) {
        if (f) fclose(f);
        fprintf(stderr, "ckpt_write_file: cannot write %s\n", path);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

void ckpt_bytes_free(ckpt_bytes *b) {
    free(b->data);
    b->data = NULL;
    b->size = 0;
}

int ckpt_split(const ckpt_bytes *file, json_t **header,
               const unsigned char **data, size_t *data_size) {
    uint64_t hl = 0;
    if (file->size < 8) return -1;
    memcpy(&hl, file->data, 8);
    if (hl > file->size - 8) return -1;
    json_error_t err;
    *header = json_loadb((const char *)file->data + 8, (size_t)hl, 0, &err);
    if (!*header) {
        fprintf(stderr, "ckpt_split: %s\n", err.text);
        return -1;
    }
    *data = file->data + 8 + hl;
    *data_size = file->size - 8 - (size_t)hl;
    return 0;
}

static int write_parts(const char *path, const char *header,
                       const unsigned char *data, size_t data_size) {
    FILE *f = fopen(path, "wb");
    uint64_t hl = strlen(header);
    int ok = f && fwrite(&hl, 8, 1, f) == 1 &&
             fwrite(header, 1, hl, f) == hl &&
             (data_size == 0 || fwrite(data, 1, data_size, f) == data_size);
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "write_parts: cannot write %s\n", path);
    return ok ? 0 : -1;
}

int ckpt_join(const char *path, const json_t *header, const unsigned char *data,
              size_t data_size) {
    char *text = json_dumps(header, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) return -1;
    int rc = write_parts(path, text, data, data_size);
    free(text);
    return rc;
}

uint16_t ckpt_f32_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    uint32_t rounding = 0x7FFFu + ((bits >> 16) & 1u);
    return (uint16_t)((bits + rounding) >> 16);
}

static int append(unsigned char **buf, size_t *size, size_t *cap,
                  const void *src, size_t n) {
    if (*size + n > *cap) {
        size_t grown = (*size + n) * 2 + 64;
        unsigned char *p = realloc(*buf, grown);
        if (!p) return -1;
        *buf = p;
        *cap = grown;
    }
    if (n) memcpy(*buf + *size, src, n);
    *size += n;
    return 0;
}

static json_t *shape_json(int ndim, const int64_t *shape) {
    json_t *a = json_array();
    for (int d = 0; d < ndim; d++) json_array_append_new(a, json_integer(shape[d]));
    return a;
}

int ckpt_write_custom(const char *path, const pan_model *model,
                      const ckpt_custom *opt) {
    const pan_param_table *t = &model->params;
    json_t *header = json_object();
    json_t *meta = json_object();
    char *config = pan_model_config_to_json(&model->config);
    json_object_set_new(meta, "pan.config", json_string(config));
    json_object_set_new(meta, "pan.trained", json_string("false"));
    json_object_set_new(header, "__metadata__", meta);
    free(config);
    unsigned char *data = NULL;
    size_t size = 0, cap = 0;
    int rc = 0;
    for (int i = 0; i < t->count && rc == 0; i++) {
        const pan_param_entry *e = &t->entries[i];
        if (opt->drop && !strcmp(opt->drop, e->name)) continue;
        const float *x = model->block + e->offset; /* (numel) */
        size_t begin = size;
        const char *dtype = "F32";
        if (opt->bf16 && !strcmp(opt->bf16, e->name)) {
            dtype = "BF16";
            for (int64_t k = 0; k < e->numel && rc == 0; k++) {
                uint16_t h = ckpt_f32_to_bf16(x[k]);
                rc = append(&data, &size, &cap, &h, 2);
            }
        } else {
            rc = append(&data, &size, &cap, x, (size_t)e->numel * 4);
        }
        int reshape = opt->reshape && !strcmp(opt->reshape, e->name);
        json_t *entry = json_object();
        json_object_set_new(entry, "dtype", json_string(dtype));
        json_object_set_new(entry, "shape",
                            reshape ? shape_json(opt->new_ndim, opt->new_shape)
                                    : shape_json(e->ndim, e->shape));
        json_t *offsets = json_array();
        json_array_append_new(offsets, json_integer((json_int_t)begin));
        json_array_append_new(offsets, json_integer((json_int_t)size));
        json_object_set_new(entry, "data_offsets", offsets);
        json_object_set_new(header, e->name, entry);
    }
    if (opt->extra && rc == 0) {
        const float extra[4] = {1, 2, 3, 4};
        size_t begin = size;
        rc = append(&data, &size, &cap, extra, sizeof extra);
        json_object_set_new(
            header, opt->extra,
            json_pack("{s:s, s:[i], s:[I, I]}", "dtype", "F32", "shape", 4,
                      "data_offsets", (json_int_t)begin, (json_int_t)size));
    }
    if (rc == 0) rc = ckpt_join(path, header, data, size);
    json_decref(header);
    free(data);
    return rc;
}

void ckpt_tiny_config(pan_model_config *cfg) {
    pan_model_config_default(cfg);
    cfg->vae.base_channels = 8;
    cfg->encoder.dim = 16;
    cfg->encoder.layers = 1;
    cfg->encoder.mlp_dim = 32;
    cfg->backbone.dim = 32;
    cfg->backbone.layers = 1;
    cfg->backbone.heads = 2;
    cfg->backbone.kv_heads = 1;
    cfg->backbone.intermediate = 32;
    cfg->backbone.queries = 2;
}
