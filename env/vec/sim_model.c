/* env/vec/sim_model.c: the world-model simulator (env/vec/sim.h): one GLP
 * env per slot (core/model/glp/glp.h). The ground-truth world only supplies
 * first frames, task edits, action parsing and sampling, and the detector;
 * everything the agent sees after reset is the model's. Batches run in
 * chunks of the GLP pool's max_batch. */
#include <stdlib.h>
#include <string.h>

#include "core/compute.h"
#include "core/model/glp/glp.h"
#include "env/task/task_internal.h"
#include "env/vec/sim.h"

#define SIM_MODEL_MAX_BATCH 64

typedef struct sim_model {
    const pan_model *m;
    pan_compute *c;
    pan_glp *g;
    pan_world *world;        /* scratch world (first frames, parse, detect) */
    pan_world_state *start;  /* (slots) each episode's first true state */
    float *goal;             /* (slots, Q, D) goal latents (goal-latent tasks) */
    int32_t *has_goal;       /* (slots) */
    size_t goal_floats;      /* Q * D */
    uint8_t *goal_frames;    /* (max_batch, H, W, 3) goal images */
    const uint8_t **goal_ptrs; /* (max_batch) */
    float **goal_out;        /* (max_batch) */
    bool with_frames;
    int max_batch;
    size_t frame_bytes;      /* H * W * 3 */
    uint8_t *first;          /* (max_batch, H, W, 3) reset frames */
    uint8_t *task_frames;    /* (K, H, W, 3) frames of a task's edits */
    const uint8_t **first_ptrs; /* (max_batch) */
    pan_glp_action *items;   /* (max_batch) */
} sim_model;

static sim_model *impl(const pan_sim *sim) { return (sim_model *)sim->impl; }

static void sim_model_destroy(pan_sim *sim) {
    sim_model *sm = impl(sim);
    if (sm) {
        pan_glp_destroy(sm->g);
        pan_compute_destroy(sm->c);
        pan_world_destroy(sm->world);
        free(sm->start);
        free(sm->goal);
        free(sm->has_goal);
        free(sm->goal_frames);
        free(sm->goal_ptrs);
        free(sm->goal_out);
        free(sm->first);
        free(sm->task_frames);
        free(sm->first_ptrs);
        free(sm->items);
        free(sm);
    }
    free(sim);
}

static int min_int(int a, int b) { return a < b ? a : b; }

/* The goal image of a goal-latent goal into `frame` (the world is left at
 * the goal state: it is scratch). */
static pan_status goal_frame(sim_model *sm, const pan_goal *goal,
                             uint8_t *frame) {
    pan_world_state state;
    pan_status st = pan_task_goal_state(goal, sm->world, &state);
    if (st == PAN_OK) st = pan_world_set_state(sm->world, &state);
    if (st == PAN_OK) st = pan_world_render(sm->world, frame);
    return st;
}

/* The first frame of slots[j]'s episode into sm->first[j]; its goal. */
static pan_status first_frame(sim_model *sm, int slot, uint64_t seed,
                              const pan_task *task, pan_goal *goal,
                              uint8_t *frame) {
    pan_status st = pan_world_reset(sm->world, seed, frame);
    if (st != PAN_OK) return st;
    if (task) {
        st = task_begin_with_frames(task, sm->world, seed, sm->task_frames,
                                    goal);
        if (st == PAN_OK) st = pan_world_render(sm->world, frame);
    } else {
        memset(goal, 0, sizeof *goal);
        goal->kind = PAN_TASK_NONE;
    }
    if (st == PAN_OK) st = pan_world_get_state(sm->world, &sm->start[slot]);
    sm->has_goal[slot] = st == PAN_OK && goal->kind == PAN_TASK_GOAL_LATENT;
    return st;
}

static pan_status sim_model_reset(pan_sim *sim, int n, const int *slots,
                                  const uint64_t *seeds,
                                  const pan_task *const *tasks, pan_goal *goals,
                                  const uint8_t *const *initial,
                                  uint8_t *const *frames,
                                  float *const *latents) {
    sim_model *sm = impl(sim);
    for (int at = 0; at < n; at += sm->max_batch) {
        int b = min_int(n - at, sm->max_batch), n_goals = 0;
        for (int j = 0; j < b; j++) {
            pan_goal none;
            pan_goal *goal = goals ? &goals[at + j] : &none;
            int slot = slots[at + j];
            uint8_t *frame = sm->first + (size_t)j * sm->frame_bytes;
            pan_status st = first_frame(sm, slot, seeds[at + j],
                                        tasks ? tasks[at + j] : NULL, goal,
                                        frame);
            sm->first_ptrs[j] =
                initial && initial[at + j] ? initial[at + j] : frame;
            if (st == PAN_OK && sm->has_goal[slot]) {
                uint8_t *g = sm->goal_frames + (size_t)n_goals * sm->frame_bytes;
                st = goal_frame(sm, goal, g);
                sm->goal_ptrs[n_goals] = g;
                sm->goal_out[n_goals++] = sm->goal + (size_t)slot * sm->goal_floats;
            }
            if (st != PAN_OK) return st;
        }
        pan_status st = pan_glp_reset(sm->g, sm->c, b, slots + at,
                                      sm->first_ptrs, seeds + at,
                                      latents ? latents + at : NULL);
        if (st == PAN_OK && n_goals > 0)
            st = pan_glp_encode(sm->g, sm->c, n_goals, sm->goal_ptrs,
                                sm->goal_out);
        if (st != PAN_OK) return st;
        for (int j = 0; frames && j < b; j++)
            for (int k = 0; frames[at + j] && k < sim->spaces.K; k++)
                memcpy(frames[at + j] + (size_t)k * sm->frame_bytes,
                       sm->first_ptrs[j], sm->frame_bytes);
    }
    return PAN_OK;
}

static pan_status sim_model_step(pan_sim *sim, int n, const int *slots,
                                 const char *const *actions,
                                 pan_action_result *results,
                                 uint8_t *const *frames,
                                 float *const *latents) {
    sim_model *sm = impl(sim);
    for (int at = 0; at < n; at += sm->max_batch) {
        int b = min_int(n - at, sm->max_batch);
        for (int j = 0; j < b; j++)
            sm->items[j] = (pan_glp_action){.slot = slots[at + j],
                                            .text = actions[at + j],
                                            .len = strlen(actions[at + j])};
        pan_status st = pan_glp_step(sm->g, sm->c, b, sm->items,
                                     sm->with_frames, frames ? frames + at : NULL,
                                     latents ? latents + at : NULL);
        if (st != PAN_OK) return st;
    }
    /* the parser reads the text against the episode's first true state
     * (the model's predicted state is only what its frames show) */
    for (int j = 0; results && j < n; j++) {
        pan_status st = pan_world_set_state(sm->world, &sm->start[slots[j]]);
        if (st == PAN_OK)
            st = pan_world_parse(sm->world, actions[j], &results[j]);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

/* Snapshot: the episode's first true state and goal latent, then the GLP
 * slot. */
typedef struct model_blob_head {
    pan_world_state start;
    int32_t has_goal, reserved;
} model_blob_head;

static size_t head_bytes(const sim_model *sm) {
    return sizeof(model_blob_head) + sizeof(float) * sm->goal_floats;
}

static size_t sim_model_snapshot_size(const pan_sim *sim, int slot) {
    return head_bytes(impl(sim)) + pan_glp_snapshot_bytes(impl(sim)->g, slot);
}

static pan_status sim_model_save(const pan_sim *sim, int slot, void *blob) {
    sim_model *sm = impl(sim);
    model_blob_head h = {.start = sm->start[slot], .has_goal = sm->has_goal[slot]};
    memcpy(blob, &h, sizeof h);
    memcpy((unsigned char *)blob + sizeof h,
           sm->goal + (size_t)slot * sm->goal_floats,
           sizeof(float) * sm->goal_floats);
    return pan_glp_save(sm->g, slot, (unsigned char *)blob + head_bytes(sm));
}

static pan_status sim_model_load(pan_sim *sim, int slot, const void *blob,
                                 size_t bytes) {
    sim_model *sm = impl(sim);
    model_blob_head h;
    if (bytes < head_bytes(sm))
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "model snapshot: %zu bytes is too short", bytes);
    memcpy(&h, blob, sizeof h);
    if (h.has_goal != 0 && h.has_goal != 1)
        return pan_error_set(PAN_ERR_DATA_LOSS,
                             "model snapshot: damaged header");
    pan_status st = pan_glp_load(sm->g, slot,
                                 (const unsigned char *)blob + head_bytes(sm),
                                 bytes - head_bytes(sm));
    if (st != PAN_OK) return st;
    sm->start[slot] = h.start;
    sm->has_goal[slot] = h.has_goal;
    memcpy(sm->goal + (size_t)slot * sm->goal_floats,
           (const unsigned char *)blob + sizeof h,
           sizeof(float) * sm->goal_floats);
    return PAN_OK;
}

static pan_status sim_model_copy(pan_sim *sim, int dst, int src) {
    sim_model *sm = impl(sim);
    pan_status st = pan_glp_copy(sm->g, dst, src);
    if (st != PAN_OK || dst == src) return st;
    sm->start[dst] = sm->start[src];
    sm->has_goal[dst] = sm->has_goal[src];
    memcpy(sm->goal + (size_t)dst * sm->goal_floats,
           sm->goal + (size_t)src * sm->goal_floats,
           sizeof(float) * sm->goal_floats);
    return PAN_OK;
}

static const float *sim_model_goal_latent(const pan_sim *sim, int slot) {
    const sim_model *sm = impl(sim);
    return sm->has_goal[slot] ? sm->goal + (size_t)slot * sm->goal_floats
                              : NULL;
}

static pan_status sim_model_render(const pan_sim *sim, int slot,
                                   uint8_t *frame) {
    return pan_glp_last_frame(impl(sim)->g, slot, frame);
}

static pan_status sim_model_true_state(const pan_sim *sim, int slot,
                                       pan_world_state *state) {
    (void)sim, (void)slot, (void)state;
    return pan_error_set(PAN_ERR_UNIMPLEMENTED,
                         "true_state: a world-model env has no true state; "
                         "its task state is what the detector reads from the "
                         "predicted frame");
}

/* What the world's detector reads from the slot's last predicted frame. */
static pan_status sim_model_task_state(const pan_sim *sim, int slot,
                                       pan_world_state *state) {
    sim_model *sm = impl(sim);
    uint8_t *frame = sm->task_frames; /* scratch: one frame */
    pan_status st = pan_glp_last_frame(sm->g, slot, frame);
    if (st == PAN_OK) st = pan_world_detect(sm->world, frame, state);
    return st;
}

/* Samples for the detected state when the world accepts it, else for the
 * episode's first state. */
static pan_status sim_model_sample(const pan_sim *sim, int slot, uint64_t *rng,
                                   pan_split split, char *buf, size_t size) {
    sim_model *sm = impl(sim);
    pan_world_state detected, state = sm->start[slot];
    if (sim_model_task_state(sim, slot, &detected) == PAN_OK) {
        state.n_objects = detected.n_objects;
        memcpy(state.objects, detected.objects, sizeof state.objects);
        state.brightness = detected.brightness;
    }
    if (pan_world_set_state(sm->world, &state) != PAN_OK) {
        pan_status st = pan_world_set_state(sm->world, &sm->start[slot]);
        if (st != PAN_OK) return st;
    }
    return pan_world_sample_action(sm->world, rng, split, buf, size);
}

static const pan_sim_vtable sim_model_vtable = {
    .kind = "model",
    .destroy = sim_model_destroy,
    .reset = sim_model_reset,
    .step = sim_model_step,
    .snapshot_size = sim_model_snapshot_size,
    .save = sim_model_save,
    .load = sim_model_load,
    .copy = sim_model_copy,
    .render = sim_model_render,
    .true_state = sim_model_true_state,
    .task_state = sim_model_task_state,
    .goal_latent = sim_model_goal_latent,
    .sample_action = sim_model_sample,
};

static pan_status check_geometry(const pan_model *m, const pan_world_config *wc) {
    const pan_frame_config *f = &m->config.frame;
    if (f->width != wc->width || f->height != wc->height ||
        f->chunk_frames != wc->frames_per_step || f->channels != 3)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "model env: the model renders %dx%d frames, %d "
                             "per step (%d channels); the world is configured "
                             "for %dx%d, %d per step",
                             f->width, f->height, f->chunk_frames, f->channels,
                             wc->width, wc->height, wc->frames_per_step);
    return PAN_OK;
}

static pan_status alloc_model(pan_sim *sim, sim_model *sm, const char *world,
                              const pan_world_config *config,
                              const char *backend, int threads) {
    int slots = sim->slots;
    pan_status st = pan_world_create(world, config, &sm->world);
    if (st != PAN_OK) return st;
    st = pan_compute_create(&sm->c, &(pan_compute_options){
                                        .backend = backend ? backend : "auto",
                                        .n_threads = threads});
    if (st == PAN_OK) st = pan_glp_create(&sm->g, sm->m, slots, sm->max_batch);
    if (st != PAN_OK) return st;
    sm->start = calloc((size_t)slots, sizeof *sm->start);
    sm->first = malloc((size_t)sm->max_batch * sm->frame_bytes);
    sm->task_frames = malloc((size_t)config->frames_per_step * sm->frame_bytes);
    sm->first_ptrs = calloc((size_t)sm->max_batch, sizeof *sm->first_ptrs);
    sm->items = calloc((size_t)sm->max_batch, sizeof *sm->items);
    sm->goal_floats = (size_t)sm->m->config.backbone.queries *
                      (size_t)sm->m->config.backbone.dim;
    sm->goal = calloc((size_t)slots * sm->goal_floats, sizeof(float));
    sm->has_goal = calloc((size_t)slots, sizeof *sm->has_goal);
    sm->goal_frames = malloc((size_t)sm->max_batch * sm->frame_bytes);
    sm->goal_ptrs = calloc((size_t)sm->max_batch, sizeof *sm->goal_ptrs);
    sm->goal_out = calloc((size_t)sm->max_batch, sizeof *sm->goal_out);
    if (!sm->start || !sm->first || !sm->task_frames || !sm->first_ptrs ||
        !sm->items || !sm->goal || !sm->has_goal || !sm->goal_frames ||
        !sm->goal_ptrs || !sm->goal_out)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "model env: out of memory for %d slots", slots);
    return PAN_OK;
}

pan_status pan_sim_model_create(const pan_model *model, const char *world,
                                const pan_world_config *config,
                                bool with_frames, const char *backend,
                                int threads, int slots, pan_sim **out) {
    if (!model || !world || !config || !out || slots < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "sim model create: model, world, config and out "
                             "must not be NULL and slots (%d) must be >= 1",
                             slots);
    pan_status st = check_geometry(model, config);
    if (st != PAN_OK) return st;
    pan_sim *sim = calloc(1, sizeof *sim);
    sim_model *sm = calloc(1, sizeof *sm);
    if (!sim || !sm) {
        free(sim);
        free(sm);
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "sim model create: out of memory");
    }
    sim->vtable = &sim_model_vtable;
    sim->slots = slots;
    sim->impl = sm;
    sm->m = model;
    sm->with_frames = with_frames;
    sm->max_batch = min_int(slots, SIM_MODEL_MAX_BATCH);
    sm->frame_bytes = (size_t)config->width * (size_t)config->height * 3;
    st = alloc_model(sim, sm, world, config, backend, threads);
    if (st != PAN_OK) {
        sim_model_destroy(sim);
        return st;
    }
    sim->world_config = pan_world_get_config(sm->world);
    sim->spaces = (pan_sim_spaces){.K = config->frames_per_step,
                                   .H = config->height,
                                   .W = config->width,
                                   .Q = model->config.backbone.queries,
                                   .D = model->config.backbone.dim};
    *out = sim;
    return PAN_OK;
}
