/* core/model/decoder/swin_dpm_internal.h: the sampler pool's layout, shared by
 * swin_dpm.c (pool, reset, snapshots) and swin_dpm_step.c (the step).
 *
 * Contract
 * - Slot s is slot_bytes bytes at block + s * slot_bytes: a
 *   swin_slot_header, then (64-byte aligned) cond1 (F), cond2 (F), traj
 *   (N/2, K, F), the previous chunk's state (Q, d) f32 and action bytes
 *   (max_action_bytes); F = z * h * w floats.
 * - The step's scratch (x, traj, window, v, rngs, conds, group) is sized
 *   for max_batch items (window, v, conds twice that with guidance).
 */
#ifndef PAN_CORE_MODEL_DECODER_SWIN_DPM_INTERNAL_H
#define PAN_CORE_MODEL_DECODER_SWIN_DPM_INTERNAL_H

#include <stdbool.h>

#include "core/model/decoder/decoder.h"
#include "core/model/decoder/swin_dpm.h"
#include "core/rng.h"

typedef struct swin_slot_header {
    pan_rng rng;
    int32_t ready;           /* reset at least once */
    int32_t has_prev;        /* a previous chunk exists (its traj, cond) */
    int32_t prev_action_len; /* bytes of the previous chunk's action */
    int32_t reserved;
} swin_slot_header;

struct pan_swin {
    pan_model_config cfg;
    int slots, max_batch;
    float cfg_scale;
    bool guided; /* cfg_scale != 1: null forwards too */
    int K, steps, half, frame_floats, state_floats, action_max;
    size_t slot_bytes, off_cond1, off_cond2, off_traj, off_state, off_action;
    unsigned char *block; /* (slots, slot_bytes) */
    float *sigmas;        /* (steps + 1) */
    pan_decoder_workspace *ws;
    /* step scratch */
    float *x;      /* (max_batch, K, F) the chunk being denoised */
    float *traj;   /* (max_batch, N/2, K, F) its phase-2 trajectory */
    float *window; /* (items, 2K + 1, F) decoder input */
    float *v;      /* (items, K, F) decoder output */
    pan_rng *rngs; /* (max_batch) */
    pan_decoder_condition *conds; /* (items, PAN_DECODER_MAX_CONDS) */
    int *group;    /* (max_batch) item indices of one window layout */
    unsigned char *seen; /* (slots) distinct-slot check, zero between calls */
};

unsigned char *swin_slot(const pan_swin *s, int slot);
/* out = (1 - cond_noise) clean + cond_noise eps (F floats each). */
void swin_noised_cond(const pan_swin *s, const float *clean, const float *eps,
                      float *out);

#endif
