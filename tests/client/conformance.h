/* tests/client/conformance.h: what the parts of test_client_conformance
 * share: the in-process reference env (a pan_vec_env with its output
 * buffers) and the comparisons of remote replies against it.
 *
 * Contract: local_env owns its buffers (local_destroy frees them);
 * conf_* helpers count a failed check (tests/test_util.h) on mismatch. */
#ifndef PAN_TESTS_CLIENT_CONFORMANCE_H
#define PAN_TESTS_CLIENT_CONFORMANCE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/c/pan_client.h"
#include "env/env.h"
#include "tests/client/client_test_util.h"
#include "tests/test_util.h"

typedef struct local_env {
    pan_vec_env *env;
    int n, k, h, w, d;
    size_t frame_bytes;            /* K * H * W * 3 */
    float *latent;                 /* (N, 1, D) */
    uint8_t *frames;               /* (N, K, H, W, 3) or NULL (latent mode) */
    float *final_latent;           /* (N, 1, D) */
    uint8_t *final_frames;         /* (N, K, H, W, 3) or NULL */
    pan_env_info *infos, *final_infos; /* (N) */
    bool *has_final;               /* (N) */
    float *rewards;                /* (N) */
    bool *term, *trunc;            /* (N) */
} local_env;

pan_status local_create(local_env *l, const char *world, int n, pan_obs_mode mode,
                        pan_autoreset_mode autoreset, int max_steps);
void local_destroy(local_env *l);
pan_status local_step(local_env *l, const char *const *actions);

int conf_same_info(const pan_client_info *r, const pan_env_info *l);
int conf_same_obs(const pan_client_obs *r, const local_env *l);
void conf_step_both(pan_client *c, uint64_t session, local_env *l,
                    const char *const *actions, const char *where);

/* conformance_snapshots.c */
void conf_test_render(pan_client *c, uint64_t session, local_env *l);
void conf_test_snapshots(pan_client *c, uint64_t session, local_env *l);
/* conformance_errors.c */
void conf_test_errors(pan_client *c, uint64_t session, local_env *l);

#endif
