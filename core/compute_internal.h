/* core/compute_internal.h: the step between validation and backends.
 *
 * Contract: pan_compute_dispatch runs `op` with already-validated `args` on
 * the backend pan_compute_pick chooses; it records the backend's name for
 * pan_compute_last_backend. Internal to core/compute*.c.
 */
#ifndef PAN_CORE_COMPUTE_INTERNAL_H
#define PAN_CORE_COMPUTE_INTERNAL_H

#include "core/compute.h"

pan_status pan_compute_dispatch(pan_compute *c, pan_op op, const void *args);

#endif
