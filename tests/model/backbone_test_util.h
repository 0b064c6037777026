/* tests/model/backbone_test_util.h: helpers of the backbone and KV cache
 * suites.
 *
 * Contract
 * - backbone_snapshot_take copies everything observable of a cache: every
 *   slot's counters, key mask and every layer's K and V planes (the whole
 *   capacity, live or not); backbone_snapshot_equal compares two snapshots
 *   byte for byte. Used to prove that a failed call changed nothing.
 * - backbone_tiny_config: a small valid config (backbone dim 32, 2 layers,
 *   4 heads, 2 kv heads, 2 queries, max_rounds 3, 24 action bytes) for the
 *   unit suites.
 * Everything is static inline; memory errors abort the test (tests only).
 */
#ifndef PAN_TESTS_MODEL_BACKBONE_TEST_UTIL_H
#define PAN_TESTS_MODEL_BACKBONE_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/config.h"
#include "core/model/backbone/kv_cache.h"

typedef struct backbone_snapshot {
    unsigned char *bytes; /* (size) */
    size_t size;
} backbone_snapshot;

static inline void *backbone_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

static inline void backbone_snapshot_take(pan_kv_cache *c,
                                          const pan_model_config *cfg,
                                          backbone_snapshot *s) {
    int slots = pan_kv_cache_slots(c);
    int64_t cap = pan_kv_cache_capacity(c);
    size_t plane = (size_t)cap * (size_t)cfg->backbone.kv_heads *
                   (size_t)pan_backbone_head_dim(cfg) * sizeof(float);
    size_t per_slot = 4 * sizeof(int64_t) + (size_t)cap +
                      (size_t)cfg->backbone.layers * 2 * plane;
    s->size = per_slot * (size_t)slots;
    s->bytes = backbone_xmalloc(s->size);
    unsigned char *p = s->bytes;
    for (int slot = 0; slot < slots; slot++) {
        int64_t counters[4] = {pan_kv_cache_rounds(c, slot),
                               pan_kv_cache_live_rounds(c, slot),
                               pan_kv_cache_live_tokens(c, slot),
                               pan_kv_cache_next_position(c, slot)};
        memcpy(p, counters, sizeof counters);
        p += sizeof counters;
        pan_tensor t;
        pan_kv_cache_key_mask(c, slot, &t);
        memcpy(p, t.data, (size_t)cap);
        p += cap;
        for (int l = 0; l < cfg->backbone.layers; l++) {
            pan_kv_cache_keys(c, slot, l, &t);
            memcpy(p, t.data, plane);
            p += plane;
            pan_kv_cache_values(c, slot, l, &t);
            memcpy(p, t.data, plane);
            p += plane;
        }
    }
}

static inline int backbone_snapshot_equal(const backbone_snapshot *a,
                                          const backbone_snapshot *b) {
    return a->size == b->size && memcmp(a->bytes, b->bytes, a->size) == 0;
}

static inline void backbone_snapshot_free(backbone_snapshot *s) {
    free(s->bytes);
    s->bytes = NULL;
    s->size = 0;
}

static inline void backbone_tiny_config(pan_model_config *cfg) {
    pan_model_config_default(cfg);
    cfg->tokenizer.max_action_bytes = 24;
    cfg->vae.base_channels = 8;
    cfg->vae.norm_groups = 4;
    cfg->encoder.dim = 16;
    cfg->encoder.layers = 1;
    cfg->encoder.heads = 2;
    cfg->encoder.mlp_dim = 16;
    cfg->backbone.dim = 32;
    cfg->backbone.layers = 2;
    cfg->backbone.heads = 4;
    cfg->backbone.kv_heads = 2;
    cfg->backbone.intermediate = 48;
    cfg->backbone.queries = 2;
    cfg->backbone.max_rounds = 3;
}

#endif
