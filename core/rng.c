/* core/rng.c: SplitMix64 and Box-Muller normals (contract in rng.h). */
#include "core/rng.h"

#include <math.h>

pan_rng pan_rng_seed(uint64_t seed) {
    return (pan_rng){.state = seed, .spare = 0.0, .has_spare = 0};
}

uint64_t pan_rng_next_u64(pan_rng *rng) {
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double pan_rng_normal(pan_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    /* u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1). */
    double u1 = (double)((pan_rng_next_u64(rng) >> 11) + 1) * 0x1.0p-53;
    double u2 = (double)(pan_rng_next_u64(rng) >> 11) * 0x1.0p-53;
    double r = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586476925286766559 * u2;
    rng->spare = r * sin(angle);
    rng->has_spare = 1;
    return r * cos(angle);
}

void pan_rng_fill_normal(pan_rng *rng, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = (float)pan_rng_normal(rng);
}
