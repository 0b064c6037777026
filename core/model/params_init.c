/* core/model/params_init.c: random initialisation of a weight block
 * (docs/model.md, "Initialisation"): one SplitMix64 stream over the whole
 * table in declaration order, normals by Box-Muller (both values of each
 * pair used, in order), computed in double and rounded to f32 once
 * (core/rng.h). */
#include <math.h>
#include <string.h>

#include "core/model/params.h"
#include "core/rng.h"

void pan_params_init_random(const pan_param_table *table, float *block,
                            uint64_t seed) {
    if (!table || !block) return;
    pan_rng s = pan_rng_seed(seed);
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
            x[k] = (float)(pan_rng_normal(&s) * std);
    }
}
