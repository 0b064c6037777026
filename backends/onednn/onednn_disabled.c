/* backends/onednn/onednn_disabled.c: the oneDNN constructor of a build
 * configured with PAN_WITH_ONEDNN=OFF; it always says so. */
#include "backends/backend.h"

pan_status pan_backend_onednn_create(pan_backend **out, pan_threadpool *pool,
                                     int n_threads) {
    (void)out;
    (void)pool;
    (void)n_threads;
    return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                         "onednn backend: pan was built without oneDNN "
                         "(PAN_WITH_ONEDNN=OFF)");
}
