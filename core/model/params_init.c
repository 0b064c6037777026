/* core/model/params_init.c: random initialisation of a weight block
 * (docs/model.md, "Initialisation"): one SplitMix64 stream over the whole
 * table in declaration order, normals by Box-Muller (both values of each
 * pair used, in order), computed in double and rounded to f32 once. */
#include <math.h>
#include <string.h>

#include "core/model/params.h"

typedef struct normal_stream {
    uint64_t state;
    double spare;
    int has_spare;
} normal_stream;

static uint64_t splitmix64_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double normal_next(normal_stream *s) {
    if (s->has_spare) {
        s->has_spare = 0;
        return s->spare;
    }
    /* u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1). */
    double u1 = (double)((splitmix64_next(&s->state) >> 11) + 1) * 0x1.0p-53;
    double u2 = (double)(splitmix64_next(&s->state) >> 11) * 0x1.0p-53;
    double r = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586476925286766559 * u2;
    s->spare = r * sin(angle);
    s->has_spare = 1;
    return r * cos(angle);
}

void pan_params_init_random(const pan_param_table *table, float *block,
                            uint64_t seed) {
    if (!table || !block) return;
    normal_stream s = {.state = seed};
    memset(block, 0, (size_t)table->total_floats * sizeof *block); /* padding */
    for (int i = 0; i < table->count; i++) {
        const pan_param_entry *e = &table->entries[i];
        float *x = block + e->offset; /* (numel) */
        double std = 0.0;
        switch (e->init) {
        case PAN_PARAM_INIT_ZEROS: continue; /* already 0 */
        case PAN_PARAM_INIT_ONES:
            for (int64_t k = 0; k < e->numel; k++) x[k] = 1.0f;
            continue;
        case PAN_PARAM_INIT_EMBEDDING: std = 0.02; break;
        case PAN_PARAM_INIT_FAN_IN: {
            int64_t fan_in = 1;
            for (int d = 1; d < e->ndim; d++) fan_in *= e->shape[d];
            std = fan_in > 0 ? 1.0 / sqrt((double)fan_in) : 0.0;
            break;
        }
        }
        for (int64_t k = 0; k < e->numel; k++)
            x[k] = (float)(normal_next(&s) * std);
    }
}
