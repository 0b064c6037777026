/* env/dataset/dataset_episode.c: the in-memory episode: allocation, the
 * value rules every episode obeys (shared by writer and reader; with truth
 * for format version 1, without for version 2), the generator's seeds and
 * the recording of an episode from a world. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/dataset/dataset_internal.h"

const char *const pan_episode_kind_names[3] = {"none", "agent", "environment"};

static const char *const split_names[3] = {"train", "heldout", "any"};

const char *pan_episode_split_name(pan_split split) {
    if ((int)split < 0 || (int)split >= 3) return NULL;
    return split_names[split];
}

pan_status pan_episode_split_parse(const char *name, pan_split *out) {
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, split_names[i]) == 0) {
            *out = (pan_split)i;
            return PAN_OK;
        }
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "split '%s': expected train, heldout or any",
                         name ? name : "(null)");
}

int64_t pan_episode_frame_count(const pan_episode_meta *meta) {
    return meta->steps * meta->config.frames_per_step + 1;
}

size_t pan_episode_frame_bytes(const pan_episode_meta *meta) {
    return (size_t)pan_episode_frame_count(meta) * (size_t)meta->config.height *
           (size_t)meta->config.width * 3u;
}

static bool known_world(const char *name) {
    for (const char *const *n = pan_world_names(); *n; n++)
        if (strcmp(*n, name) == 0) return true;
    return false;
}

uint32_t pan_episode_version(const pan_episode_meta *meta) {
    return meta->truth ? PAN_EPISODE_VERSION : PAN_EPISODE_VERSION_EXTERNAL;
}

/* PAN_EPISODE_NAME_RULE: [a-z0-9][a-z0-9_-]{0,30}, NUL within the buffer. */
static bool recording_name(const char *name, size_t size) {
    const char *end = memchr(name, '\0', size);
    size_t n = end ? (size_t)(end - name) : 0;
    if (n < 1 || n > 31) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
    }
    return true;
}

static pan_status check_world(const pan_episode_meta *m, const char *where) {
    bool terminated = memchr(m->world, '\0', sizeof m->world) != NULL;
    if (m->truth) {
        if (terminated && known_world(m->world)) return PAN_OK;
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'world': expected a known world "
                             "(tabletop, rooms), found '%.31s'",
                             where, m->world);
    }
    if (!recording_name(m->world, sizeof m->world))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'world': expected the name of a "
                             "recording (" PAN_EPISODE_NAME_RULE "), found "
                             "'%.31s'", where, terminated ? m->world : "");
    if (known_world(m->world))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'world': '%s' is a built-in world; "
                             "its episodes keep their truth (format version "
                             "%d), an external recording (version %d) needs "
                             "another name", where, m->world,
                             PAN_EPISODE_VERSION, PAN_EPISODE_VERSION_EXTERNAL);
    return PAN_OK;
}

pan_status pan_episode_meta_validate(const pan_episode_meta *m, const char *where) {
    pan_status st = check_world(m, where);
    if (st != PAN_OK) return st;
    if (!pan_episode_split_name(m->split))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'split': expected 0..2, found %d",
                             where, (int)m->split);
    if (!m->truth && m->split != PAN_SPLIT_ANY)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'split': an external recording "
                             "(format version %d) has split any, found %s",
                             where, PAN_EPISODE_VERSION_EXTERNAL,
                             pan_episode_split_name(m->split));
    const pan_world_config *c = &m->config;
    if (c->height < PAN_WORLD_MIN_SIZE || c->height > PAN_WORLD_MAX_SIZE ||
        c->width < PAN_WORLD_MIN_SIZE || c->width > PAN_WORLD_MAX_SIZE)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'config': frame size %dx%d (HxW), "
                             "expected %d..%d on each side",
                             where, c->height, c->width, PAN_WORLD_MIN_SIZE,
                             PAN_WORLD_MAX_SIZE);
    if (c->frames_per_step < 1 ||
        c->frames_per_step > PAN_WORLD_MAX_FRAMES_PER_STEP)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'config.frames_per_step': expected "
                             "1..%d, found %d",
                             where, PAN_WORLD_MAX_FRAMES_PER_STEP,
                             c->frames_per_step);
    int64_t min_steps = m->truth ? 0 : 1;
    if (m->steps < min_steps || m->steps > PAN_EPISODE_MAX_STEPS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'steps': expected %lld..%d%s, found "
                             "%lld", where, (long long)min_steps,
                             PAN_EPISODE_MAX_STEPS,
                             m->truth ? "" : " (external recording)",
                             (long long)m->steps);
    if ((uint64_t)pan_episode_frame_bytes(m) > PAN_EPISODE_MAX_FRAME_BYTES)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'frames': %lld frames of %dx%d take "
                             "%zu bytes, more than the format's %llu",
                             where, (long long)pan_episode_frame_count(m),
                             c->height, c->width, pan_episode_frame_bytes(m),
                             (unsigned long long)PAN_EPISODE_MAX_FRAME_BYTES);
    return PAN_OK;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

pan_status pan_episode_alloc_parts(pan_episode *ep, const pan_episode_meta *meta,
                                   bool with_frames) {
    memset(ep, 0, sizeof *ep);
    pan_status status = pan_episode_meta_validate(meta, "episode alloc");
    if (status != PAN_OK) return status;
    size_t T = (size_t)meta->steps;
    size_t frames = with_frames ? align64(pan_episode_frame_bytes(meta)) : 0;
    size_t actions = align64(T * sizeof ep->actions[0]);
    size_t results = meta->truth ? align64(T * sizeof ep->results[0]) : 0;
    size_t states = meta->truth ? (T + 1) * sizeof ep->states[0] : 0;
    uint8_t *block = calloc(1, frames + actions + results + states);
    if (!block)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "episode alloc: out of memory for %zu bytes",
                             frames + actions + results + states);
    ep->meta = *meta;
    ep->block = block;
    ep->frames = with_frames ? block : NULL;
    ep->actions = (void *)(block + frames);
    ep->results = meta->truth ? (void *)(block + frames + actions) : NULL;
    ep->states = meta->truth ? (void *)(block + frames + actions + results)
                             : NULL;
    return PAN_OK;
}

pan_status pan_episode_alloc(pan_episode *ep, const pan_episode_meta *meta) {
    if (!ep || !meta)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode alloc: ep and meta must not be NULL");
    return pan_episode_alloc_parts(ep, meta, true);
}

void pan_episode_free(pan_episode *ep) {
    if (!ep) return;
    free(ep->block);
    memset(ep, 0, sizeof *ep);
}

/* Field names: "<array>[<index>]<suffix>", e.g. "results[3].canonical". */
static pan_status check_text(const char *text, size_t size, const char *where,
                             const char *array, long long index,
                             const char *suffix) {
    if (!memchr(text, '\0', size))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field '%s[%lld]%s': expected text of at most "
                             "%zu bytes, found no terminating NUL",
                             where, array, index, suffix, size - 1);
    return PAN_OK;
}

static pan_status check_float(float v, const char *where, const char *field,
                              long long t, int i) {
    if (isfinite(v)) return PAN_OK;
    if (i < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'states[%lld].%s': expected a finite "
                             "number, found %g", where, t, field, (double)v);
    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                         "%s: field 'states[%lld].objects[%d].%s': expected a "
                         "finite number, found %g", where, t, i, field,
                         (double)v);
}

static pan_status check_state(const pan_world_state *s, const char *where,
                              long long t) {
    pan_status st;
    if (s->n_objects < 0 || s->n_objects > PAN_WORLD_MAX_OBJECTS)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'states[%lld].objects': expected 0..%d "
                             "objects, found %d", where, t,
                             PAN_WORLD_MAX_OBJECTS, (int)s->n_objects);
    for (int i = 0; i < s->n_objects; i++) {
        const pan_object_state *o = &s->objects[i];
        if (o->colour < 0 || o->colour >= PAN_COLOUR_COUNT)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: field 'states[%lld].objects[%d].colour': "
                                 "expected 0..%d, found %d", where, t, i,
                                 PAN_COLOUR_COUNT - 1, (int)o->colour);
        if (o->shape < 0 || o->shape >= PAN_SHAPE_COUNT)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: field 'states[%lld].objects[%d].shape': "
                                 "expected 0..%d, found %d", where, t, i,
                                 PAN_SHAPE_COUNT - 1, (int)o->shape);
        if ((st = check_float(o->x, where, "x", t, i)) ||
            (st = check_float(o->y, where, "y", t, i)) ||
            (st = check_float(o->size, where, "size", t, i)))
            return st;
    }
    if ((st = check_float(s->brightness, where, "brightness", t, -1)) ||
        (st = check_float(s->camera_x, where, "camera_x", t, -1)) ||
        (st = check_float(s->camera_y, where, "camera_y", t, -1)))
        return st;
    if (s->heading < 0 || s->heading > 3)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'states[%lld].heading': expected 0..3, "
                             "found %d", where, t, (int)s->heading);
    if (s->steps < 0)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field 'states[%lld].steps': expected >= 0, "
                             "found %lld", where, t, (long long)s->steps);
    return PAN_OK;
}

pan_status pan_episode_validate(const pan_episode *ep, const char *where) {
    if (!ep || !ep->actions ||
        (ep->meta.truth && (!ep->results || !ep->states)))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: episode has no arrays (not allocated)",
                             where ? where : "episode");
    if (!where) where = "episode";
    if (!ep->meta.truth && (ep->results || ep->states))
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "%s: field '%s': an external recording "
                             "(meta.truth false) has no results or states, "
                             "found the array", where,
                             ep->results ? "results" : "states");
    pan_status st = pan_episode_meta_validate(&ep->meta, where);
    if (st != PAN_OK) return st;
    if (!ep->meta.truth) {
        for (int64_t t = 0; t < ep->meta.steps; t++)
            if ((st = check_text(ep->actions[t], sizeof ep->actions[t], where,
                                 "actions", (long long)t, "")))
                return st;
        return PAN_OK;
    }
    for (int64_t t = 0; t < ep->meta.steps; t++) {
        const pan_action_result *r = &ep->results[t];
        if ((st = check_text(ep->actions[t], sizeof ep->actions[t], where,
                             "actions", (long long)t, "")) ||
            (st = check_text(r->canonical, sizeof r->canonical, where,
                             "results", (long long)t, ".canonical")) ||
            (st = check_text(r->message, sizeof r->message, where,
                             "results", (long long)t, ".message")))
            return st;
        if ((int)r->kind < 0 || (int)r->kind > 2)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: field 'results[%lld].kind': expected "
                                 "0..2, found %d", where, (long long)t,
                                 (int)r->kind);
        if (r->template_id < -1)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: field 'results[%lld].template_id': "
                                 "expected >= -1, found %d", where,
                                 (long long)t, r->template_id);
    }
    for (int64_t t = 0; t <= ep->meta.steps; t++)
        if ((st = check_state(&ep->states[t], where, (long long)t))) return st;
    return PAN_OK;
}

/* SplitMix64's finaliser: a bijection of 64-bit words. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t pan_episode_seed(uint64_t base, int64_t index) {
    return mix64(base + 0x9E3779B97F4A7C15ull * ((uint64_t)index + 1));
}

uint64_t pan_episode_action_seed(uint64_t seed) {
    return mix64(seed ^ 0xD1B54A32D192ED03ull);
}

pan_status pan_episode_generate(pan_world *world, pan_episode *ep) {
    if (ep && !ep->meta.truth)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode generate: field 'truth': a world "
                             "records its truth, the episode must be "
                             "allocated with meta.truth true");
    if (!world || !ep || !ep->frames || !ep->states)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode generate: world and an allocated "
                             "episode are required");
    pan_world_config c = pan_world_get_config(world);
    const pan_episode_meta *m = &ep->meta;
    if (strcmp(pan_world_name(world), m->world) != 0 ||
        c.height != m->config.height || c.width != m->config.width ||
        c.frames_per_step != m->config.frames_per_step)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "episode generate: episode is for %s %dx%d K=%d, "
                             "world is %s %dx%d K=%d", m->world,
                             m->config.height, m->config.width,
                             m->config.frames_per_step, pan_world_name(world),
                             c.height, c.width, c.frames_per_step);
    size_t frame = (size_t)c.height * (size_t)c.width * 3u;
    size_t chunk = frame * (size_t)c.frames_per_step;
    pan_status st = pan_world_reset(world, m->seed, ep->frames);
    if (st != PAN_OK) return st;
    if ((st = pan_world_get_state(world, &ep->states[0]))) return st;
    uint64_t rng = pan_episode_action_seed(m->seed);
    for (int64_t t = 0; t < m->steps; t++) {
        char *text = ep->actions[t];
        st = pan_world_sample_action(world, &rng, m->split, text,
                                     sizeof ep->actions[t]);
        if (st != PAN_OK) return st;
        st = pan_world_step(world, text, ep->frames + frame + (size_t)t * chunk,
                            &ep->results[t]);
        if (st != PAN_OK) return st;
        if ((st = pan_world_get_state(world, &ep->states[t + 1]))) return st;
    }
    return PAN_OK;
}

bool pan_episode_is_temporary_name(const char *name) {
    size_t n = strlen(name);
    return n > 11 && name[0] == '.' && memcmp(name + n - 10, ".tmp", 4) == 0;
}
