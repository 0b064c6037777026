/* core/threadpool_internal.h: what the two pool implementations share
 * (internal to core/threadpool_*.c).
 *
 * Contract: pan_threadpool_check_threads returns PAN_OK for a valid thread
 * count, else INVALID_ARGUMENT with the message both implementations give.
 */
#ifndef PAN_CORE_THREADPOOL_INTERNAL_H
#define PAN_CORE_THREADPOOL_INTERNAL_H

#include "core/threadpool.h"

pan_status pan_threadpool_check_threads(int n_threads);

#endif
