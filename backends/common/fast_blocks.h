/* backends/common/fast_blocks.h: the loop the f32 elementwise backwards
 * share (fast_gelu.c, fast_silu.c).
 *
 * Contract
 * - pan_fast_blocks_run(be, args, block): calls block(x, dout, dx, n) on
 *   consecutive blocks of at most PAN_FAST_BLOCK elements of args' x,
 *   dout and dx, the blocks split over the backend's pool in tasks of
 *   PAN_FAST_GRAIN elements. `block` must treat every element on its own,
 *   so the result does not depend on the thread count.
 * - Thread safety: as the backend that calls it.
 */
#ifndef PAN_BACKENDS_COMMON_FAST_BLOCKS_H
#define PAN_BACKENDS_COMMON_FAST_BLOCKS_H

#include <stdint.h>

#include "backends/backend.h"

#define PAN_FAST_BLOCK 256
#define PAN_FAST_GRAIN 16384

typedef void (*pan_fast_block_fn)(const float *x, const float *dout, float *dx,
                                  int64_t n);

void pan_fast_blocks_run(pan_backend *be, const pan_unary_backward_args *args,
                         pan_fast_block_fn block);

#endif
