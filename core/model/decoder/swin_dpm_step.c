/* core/model/decoder/swin_dpm_step.c: one batched Swin-DPM env step (contract in
 * swin_dpm.h; the schedule is docs/swin_dpm.md, "pan's cycle"). */
#include <string.h>

#include "core/model/decoder/swin_dpm_internal.h"

#define BAD(...) pan_error_set(PAN_ERR_INVALID_ARGUMENT, __VA_ARGS__)
#define MAX_WINDOW (2 * 256 + 1) /* config limit on chunk_frames */

static pan_status validate(pan_swin *s, int n, const pan_swin_item *items) {
    if (n < 1 || n > s->max_batch)
        return BAD("swin step: n must be 1..%d, got %d", s->max_batch, n);
    if (!items) return BAD("swin step: 'items' must not be NULL");
    pan_status st = PAN_OK;
    int i = 0;
    for (; i < n && st == PAN_OK; i++) {
        const pan_swin_item *it = &items[i];
        if (it->slot < 0 || it->slot >= s->slots)
            st = BAD("swin step: items[%d].slot %d out of range 0..%d", i,
                     it->slot, s->slots - 1);
        else if (s->seen[it->slot])
            st = BAD("swin step: items[%d].slot %d appears twice", i, it->slot);
        else if (!((const swin_slot_header *)swin_slot(s, it->slot))->ready)
            st = BAD("swin step: items[%d].slot %d was never reset", i,
                     it->slot);
        else if (!it->state)
            st = BAD("swin step: items[%d].state must not be NULL", i);
        else if (it->action_len < 0 || it->action_len > s->action_max)
            st = BAD("swin step: items[%d].action_len %d out of range 0..%d",
                     i, it->action_len, s->action_max);
        else if (it->action_len > 0 && !it->action)
            st = BAD("swin step: items[%d].action must not be NULL", i);
        if (st == PAN_OK) s->seen[it->slot] = 1;
    }
    for (int j = 0; j < i; j++)
        if (items[j].slot >= 0 && items[j].slot < s->slots)
            s->seen[items[j].slot] = 0;
    return st;
}

static void add_scaled(float *x, float dt, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += dt * v[i];
}

/* Velocity of the last K frames of `count` windows already in s->window
 * (count, n_frames, F) with conditions in s->conds (count, n_conds), into
 * s->v (count, K, F); with guidance the null forward runs in the same
 * batch and v = v_null + s (v_cond - v_null). */
static pan_status velocity(pan_compute *c, const pan_model *m, pan_swin *s,
                           int count, int n_frames,
                           const pan_decoder_frame *frames, int n_conds) {
    size_t F = (size_t)s->frame_floats, K = (size_t)s->K;
    int items = count;
    if (s->guided) {
        size_t w = (size_t)count * (size_t)n_frames * F;
        memcpy(s->window + w, s->window, sizeof(float) * w);
        for (int i = 0; i < count * n_conds; i++)
            s->conds[count * n_conds + i] =
                (pan_decoder_condition){.null = true};
        items = 2 * count;
    }
    pan_status st = pan_decoder_forward(c, m, s->ws, items, n_frames, frames,
                                        s->window, s->conds, n_conds,
                                        n_frames - (int)K, (int)K, s->v);
    if (st != PAN_OK || !s->guided) return st;
    size_t total = (size_t)count * K * F;
    const float *v_null = s->v + total;
    float scale = s->cfg_scale;
    for (size_t i = 0; i < total; i++)
        s->v[i] = v_null[i] + scale * (s->v[i] - v_null[i]);
    return PAN_OK;
}

static pan_decoder_condition condition_of(const float *state,
                                          const uint8_t *action, int len) {
    return (pan_decoder_condition){
        .null = false, .state = state, .action = action, .action_len = len};
}

static float euler_dt(const pan_swin *s, int i) {
    return (float)((double)s->sigmas[i] - (double)s->sigmas[i + 1]);
}

/* Phase 1 for the items of s->group (count of them), all with or all
 * without a previous chunk: B (s->x) goes from σ_0 to σ_{N/2}. */
static pan_status phase1(pan_compute *c, const pan_model *m, pan_swin *s,
                         int count, bool prev, const pan_swin_item *items) {
    size_t F = (size_t)s->frame_floats;
    int K = s->K, n_frames = prev ? 2 * K + 1 : K + 1, n_conds = prev ? 2 : 1;
    size_t chunk = (size_t)K * F;
    pan_decoder_frame frames[MAX_WINDOW];
    for (int j = 0; j < s->half; j++) {
        frames[0] = (pan_decoder_frame){
            .sigma = s->cfg.decoder.cond_noise, .slot = 0, .block = 0, .cond = -1};
        for (int f = 1; f < n_frames; f++) {
            bool in_a = prev && f <= K;
            frames[f] = (pan_decoder_frame){
                .sigma = in_a ? s->sigmas[s->half + j] : s->sigmas[j],
                .slot = prev ? f : K + f,
                .block = in_a ? 1 : 2,
                .cond = in_a ? 0 : n_conds - 1};
        }
        for (int g = 0; g < count; g++) {
            int i = s->group[g];
            const pan_swin_item *it = &items[i];
            unsigned char *p = swin_slot(s, it->slot);
            float *w = s->window + (size_t)g * (size_t)n_frames * F;
            memcpy(w, p + s->off_cond1, sizeof(float) * F);
            pan_decoder_condition *cd = s->conds + (size_t)g * (size_t)n_conds;
            if (prev) {
                const float *traj = (const float *)(p + s->off_traj);
                memcpy(w + F, traj + (size_t)j * chunk, sizeof(float) * chunk);
                cd[0] = condition_of(
                    (const float *)(p + s->off_state), p + s->off_action,
                    ((const swin_slot_header *)p)->prev_action_len);
            }
            memcpy(w + (size_t)(n_frames - K) * F, s->x + (size_t)i * chunk,
                   sizeof(float) * chunk);
            cd[n_conds - 1] = condition_of(it->state, it->action,
                                           it->action_len);
        }
        pan_status st = velocity(c, m, s, count, n_frames, frames, n_conds);
        if (st != PAN_OK) return st;
        float dt = euler_dt(s, j);
        for (int g = 0; g < count; g++)
            add_scaled(s->x + (size_t)s->group[g] * chunk, dt,
                       s->v + (size_t)g * chunk, chunk);
    }
    return PAN_OK;
}

/* Phase 2 for all n items: window [cond2, A = B], B from σ_{N/2} to 0,
 * its states kept in s->traj. */
static pan_status phase2(pan_compute *c, const pan_model *m, pan_swin *s,
                         int n, const pan_swin_item *items) {
    size_t F = (size_t)s->frame_floats;
    int K = s->K, n_frames = K + 1;
    size_t chunk = (size_t)K * F;
    pan_decoder_frame frames[MAX_WINDOW];
    for (int j = s->half; j < s->steps; j++) {
        frames[0] = (pan_decoder_frame){
            .sigma = s->cfg.decoder.cond_noise, .slot = 0, .block = 0, .cond = -1};
        for (int f = 1; f < n_frames; f++)
            frames[f] = (pan_decoder_frame){
                .sigma = s->sigmas[j], .slot = f, .block = 1, .cond = 0};
        for (int i = 0; i < n; i++) {
            const unsigned char *p = swin_slot(s, items[i].slot);
            float *x = s->x + (size_t)i * chunk;
            float *w = s->window + (size_t)i * (size_t)n_frames * F;
            memcpy(s->traj + ((size_t)i * (size_t)s->half + (size_t)(j - s->half)) *
                                 chunk,
                   x, sizeof(float) * chunk);
            memcpy(w, p + s->off_cond2, sizeof(float) * F);
            memcpy(w + F, x, sizeof(float) * chunk);
            s->conds[i] = condition_of(items[i].state, items[i].action,
                                       items[i].action_len);
        }
        pan_status st = velocity(c, m, s, n, n_frames, frames, 1);
        if (st != PAN_OK) return st;
        float dt = euler_dt(s, j);
        for (int i = 0; i < n; i++)
            add_scaled(s->x + (size_t)i * chunk, dt, s->v + (size_t)i * chunk,
                       chunk);
    }
    return PAN_OK;
}

/* Writes item i's results into its slot and `out` (docs/swin_dpm.md,
 * "Advance"). */
static void commit(pan_swin *s, int i, const pan_swin_item *it, float *out) {
    size_t F = (size_t)s->frame_floats, chunk = (size_t)s->K * F;
    unsigned char *p = swin_slot(s, it->slot);
    swin_slot_header *h = (swin_slot_header *)p;
    float *x = s->x + (size_t)i * chunk;
    float *eps = s->v; /* free after the last forward */
    pan_rng_fill_normal(&s->rngs[i], eps, F);
    float *cond1 = (float *)(p + s->off_cond1);
    float *cond2 = (float *)(p + s->off_cond2);
    memcpy(cond1, cond2, sizeof(float) * F);
    swin_noised_cond(s, x + chunk - F, eps, cond2);
    memcpy(p + s->off_traj, s->traj + (size_t)i * (size_t)s->half * chunk,
           sizeof(float) * chunk * (size_t)s->half);
    memcpy(p + s->off_state, it->state, sizeof(float) * (size_t)s->state_floats);
    if (it->action_len > 0)
        memcpy(p + s->off_action, it->action, (size_t)it->action_len);
    h->prev_action_len = it->action_len;
    h->has_prev = 1;
    h->rng = s->rngs[i];
    memcpy(out + (size_t)i * chunk, x, sizeof(float) * chunk);
}

pan_status pan_swin_step(pan_compute *c, const pan_model *m, pan_swin *s,
                         int n, const pan_swin_item *items, float *out) {
    if (!c || !m || !s || !out)
        return BAD("swin step: 'c', 'm', 'swin' and 'out' must not be NULL");
    pan_status st = validate(s, n, items);
    if (st != PAN_OK) return st;
    size_t chunk = (size_t)s->K * (size_t)s->frame_floats;
    for (int i = 0; i < n; i++) {
        s->rngs[i] = ((const swin_slot_header *)swin_slot(s, items[i].slot))->rng;
        pan_rng_fill_normal(&s->rngs[i], s->x + (size_t)i * chunk, chunk);
    }
    for (int prev = 0; prev < 2 && st == PAN_OK; prev++) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            const swin_slot_header *h =
                (const swin_slot_header *)swin_slot(s, items[i].slot);
            if ((h->has_prev != 0) == (prev != 0)) s->group[count++] = i;
        }
        if (count > 0) st = phase1(c, m, s, count, prev, items);
    }
    if (st == PAN_OK) st = phase2(c, m, s, n, items);
    if (st != PAN_OK) return st;
    for (int i = 0; i < n; i++) commit(s, i, &items[i], out);
    return PAN_OK;
}
