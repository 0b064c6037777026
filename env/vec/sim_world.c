/* env/vec/sim_world.c: the ground-truth world simulator: one pan_world per
 * slot (env/vec/sim.h). The latent of a slot is its true-state vector
 * (Q = 1, D = pan_world_state_vector length); a snapshot is its
 * pan_world_state. Worlds step one after the other (they are cheap); the
 * batch interface is for the world model. */
#include <stdlib.h>
#include <string.h>

#include "env/task/task_internal.h"
#include "env/vec/sim.h"

typedef struct sim_world {
    pan_world **worlds; /* (slots) */
    uint8_t *scratch;   /* (K, H, W, 3): frames nobody asked for */
    size_t frame_bytes; /* H * W * 3 */
} sim_world;

static sim_world *impl(const pan_sim *sim) {
    return (sim_world *)sim->impl;
}

static void sim_world_destroy(pan_sim *sim) {
    sim_world *sw = impl(sim);
    if (sw) {
        if (sw->worlds)
            for (int i = 0; i < sim->slots; i++)
                pan_world_destroy(sw->worlds[i]);
        free(sw->worlds);
        free(sw->scratch);
        free(sw);
    }
    free(sim);
}

/* latent (1, D) of the world's current state. */
static pan_status write_latent(const pan_world *world, float *latent) {
    pan_world_state state;
    pan_status status = pan_world_get_state(world, &state);
    if (status != PAN_OK) return status;
    if (latent) pan_world_state_vector(world, &state, latent);
    return PAN_OK;
}

static void repeat_first_frame(uint8_t *frames, size_t frame_bytes, int K) {
    for (int k = 1; k < K; k++)
        memcpy(frames + (size_t)k * frame_bytes, frames, frame_bytes);
}

static pan_status sim_world_reset(pan_sim *sim, int n, const int *slots,
                                  const uint64_t *seeds,
                                  const pan_task *const *tasks, pan_goal *goals,
                                  const uint8_t *const *initial,
                                  uint8_t *const *frames,
                                  float *const *latents) {
    sim_world *sw = impl(sim);
    (void)initial; /* refused by the vector env for worlds */
    for (int j = 0; j < n; j++) {
        pan_world *world = sw->worlds[slots[j]];
        uint8_t *out =
            frames && frames[j] ? frames[j] : sw->scratch; /* (K, H, W, 3) */
        pan_status status = pan_world_reset(world, seeds[j], out);
        if (status != PAN_OK) return status;
        pan_goal none = {.kind = PAN_TASK_NONE};
        pan_goal *goal = goals ? &goals[j] : &none;
        if (tasks && tasks[j]) {
            /* the task's edits render into the scratch; `out` may be it */
            status = task_begin_with_frames(tasks[j], world, seeds[j],
                                            sw->scratch, goal);
            if (status != PAN_OK) return status;
            /* the task may have edited the world: render it again */
            status = pan_world_render(world, out);
            if (status != PAN_OK) return status;
        } else {
            memset(goal, 0, sizeof *goal);
            goal->kind = PAN_TASK_NONE;
        }
        if (frames && frames[j])
            repeat_first_frame(out, sw->frame_bytes, sim->spaces.K);
        status = write_latent(world, latents ? latents[j] : NULL);
        if (status != PAN_OK) return status;
    }
    return PAN_OK;
}

static pan_status sim_world_step(pan_sim *sim, int n, const int *slots,
                                 const char *const *actions,
                                 pan_action_result *results,
                                 uint8_t *const *frames,
                                 float *const *latents) {
    sim_world *sw = impl(sim);
    for (int j = 0; j < n; j++) {
        pan_world *world = sw->worlds[slots[j]];
        uint8_t *out =
            frames && frames[j] ? frames[j] : sw->scratch; /* (K, H, W, 3) */
        pan_status status = pan_world_step(world, actions[j], out,
                                           results ? &results[j] : NULL);
        if (status != PAN_OK) return status;
        status = write_latent(world, latents ? latents[j] : NULL);
        if (status != PAN_OK) return status;
    }
    return PAN_OK;
}

static size_t sim_world_snapshot_size(const pan_sim *sim, int slot) {
    (void)slot;
    return sizeof(pan_world_state);
}

static pan_status sim_world_save(const pan_sim *sim, int slot, void *blob) {
    pan_world_state state;
    pan_status status = pan_world_get_state(impl(sim)->worlds[slot], &state);
    if (status == PAN_OK) memcpy(blob, &state, sizeof state);
    return status;
}

static pan_status sim_world_load(pan_sim *sim, int slot, const void *blob,
                                 size_t bytes) {
    pan_world_state state;
    if (bytes != sizeof state)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "world snapshot: %zu bytes, expected %zu", bytes,
                             sizeof state);
    memcpy(&state, blob, sizeof state);
    return pan_world_set_state(impl(sim)->worlds[slot], &state);
}

static pan_status sim_world_copy(pan_sim *sim, int dst, int src) {
    pan_world_state state;
    pan_status status = pan_world_get_state(impl(sim)->worlds[src], &state);
    if (status != PAN_OK) return status;
    return pan_world_set_state(impl(sim)->worlds[dst], &state);
}

static pan_status sim_world_render(const pan_sim *sim, int slot,
                                   uint8_t *frame) {
    return pan_world_render(impl(sim)->worlds[slot], frame);
}

static pan_status sim_world_true_state(const pan_sim *sim, int slot,
                                       pan_world_state *state) {
    return pan_world_get_state(impl(sim)->worlds[slot], state);
}

static pan_status sim_world_sample(const pan_sim *sim, int slot, uint64_t *rng,
                                   pan_split split, char *buf, size_t size) {
    return pan_world_sample_action(impl(sim)->worlds[slot], rng, split, buf,
                                   size);
}

static const pan_sim_vtable sim_world_vtable = {
    .kind = "world",
    .destroy = sim_world_destroy,
    .reset = sim_world_reset,
    .step = sim_world_step,
    .snapshot_size = sim_world_snapshot_size,
    .save = sim_world_save,
    .load = sim_world_load,
    .copy = sim_world_copy,
    .render = sim_world_render,
    .true_state = sim_world_true_state,
    .task_state = sim_world_true_state, /* a world scores its true state */
    .sample_action = sim_world_sample,
};

pan_status pan_sim_world_create(const char *world,
                                const pan_world_config *config, int slots,
                                pan_sim **out) {
    if (!world || !config || !out || slots < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "sim world create: world, config and out must "
                             "not be NULL and slots (%d) must be >= 1",
                             slots);
    pan_sim *sim = calloc(1, sizeof *sim);
    sim_world *sw = calloc(1, sizeof *sw);
    pan_world **worlds = calloc((size_t)slots, sizeof *worlds);
    if (!sim || !sw || !worlds) {
        free(sim);
        free(sw);
        free(worlds);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "sim world create: out of memory for %d slots",
                             slots);
    }
    sim->vtable = &sim_world_vtable;
    sim->slots = slots;
    sim->impl = sw;
    sw->worlds = worlds;
    for (int i = 0; i < slots; i++) {
        pan_status status = pan_world_create(world, config, &worlds[i]);
        if (status != PAN_OK) {
            sim_world_destroy(sim);
            return status;
        }
    }
    pan_world_config cfg = pan_world_get_config(worlds[0]);
    sim->world_config = cfg;
    sim->spaces =
        (pan_sim_spaces){.K = cfg.frames_per_step,
                         .H = cfg.height,
                         .W = cfg.width,
                         .Q = 1,
                         .D = pan_world_state_vector(worlds[0], NULL, NULL)};
    sw->frame_bytes = (size_t)cfg.width * (size_t)cfg.height * 3;
    sw->scratch = malloc(sw->frame_bytes * (size_t)cfg.frames_per_step);
    if (!sw->scratch) {
        sim_world_destroy(sim);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "sim world create: out of memory for frames");
    }
    *out = sim;
    return PAN_OK;
}

void pan_sim_destroy(pan_sim *sim) {
    if (sim) sim->vtable->destroy(sim);
}
