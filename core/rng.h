/* core/rng.h: pan's deterministic random numbers: a SplitMix64 stream and
 * Box-Muller normals (docs/swin_dpm.md, "Random numbers").
 *
 * Contract
 * - pan_rng is plain data (copy it to fork a stream). pan_rng_seed(seed)
 *   starts the stream at state = seed with no spare normal.
 * - pan_rng_normal returns N(0, 1) in double: u1 = ((x >> 11) + 1) 2^-53 in
 *   (0, 1], u2 = (x >> 11) 2^-53 in [0, 1), r = sqrt(-2 ln u1); the pair
 *   is r cos(2 pi u2), then r sin(2 pi u2) (the spare). The PyTorch twin
 *   implements the same formulas; C's and Python's libm agree on them.
 * - pan_rng_fill_normal writes n normals rounded to f32, in order.
 * - Same seed, same sequence, on every thread count and backend.
 * - Thread safety: a pan_rng belongs to one thread at a time.
 */
#ifndef PAN_CORE_RNG_H
#define PAN_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct pan_rng {
    uint64_t state;
    double spare;
    int32_t has_spare;
} pan_rng;

pan_rng pan_rng_seed(uint64_t seed);
uint64_t pan_rng_next_u64(pan_rng *rng);
double pan_rng_normal(pan_rng *rng);
void pan_rng_fill_normal(pan_rng *rng, float *out, size_t n); /* out (n) */

#endif
