/* env/vec/vec_env_snapshot.c: fork (snapshot a live env), restore (copy a
 * snapshot back into a live env) and release. A snapshot is one allocation:
 * the sim blob of the env's slot, its bookkeeping (task spec reference,
 * goal, seeds, counters, last info) and its last obs. Ids come from a
 * counter starting at 1 and are never reused; the store is sorted by id. */
#include <stdlib.h>
#include <string.h>

#include "env/vec/vec_env_internal.h"

/* Position of snapshot `id` in the store, or -1. */
static int find_index(const pan_vec_env *env, uint64_t id) {
    int lo = 0, hi = env->snapshot_count - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        uint64_t at = env->snapshots[mid]->id;
        if (at == id) return mid;
        if (at < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

vec_snapshot *vec_env_find_snapshot(const pan_vec_env *env, uint64_t id) {
    int k = find_index(env, id);
    return k < 0 ? NULL : env->snapshots[k];
}

void vec_env_free_snapshot(vec_snapshot *snap) {
    if (!snap) return;
    vec_task_ref_release(snap->state.task);
    free(snap);
}

static size_t align16(size_t n) {
    return (n + 15) & ~(size_t)15;
}

static vec_snapshot *alloc_snapshot(const pan_vec_env *env, int slot) {
    size_t head = align16(sizeof(vec_snapshot));
    size_t blob_bytes = env->sim->vtable->snapshot_size(env->sim, slot);
    size_t blob = align16(blob_bytes);
    size_t frames = env->last_frames ? align16(env->obs_frames) : 0;
    size_t latent = env->obs_latent * sizeof(float);
    unsigned char *p = calloc(1, head + blob + frames + latent);
    if (!p) return NULL;
    vec_snapshot *snap = (vec_snapshot *)p;
    snap->blob = p + head;
    snap->blob_bytes = blob_bytes;
    snap->frames = env->last_frames ? p + head + blob : NULL;
    snap->latent = (float *)(p + head + blob + frames);
    return snap;
}

static pan_status check_envs(const pan_vec_env *env, int n, const int *index,
                             const char *where, bool distinct) {
    for (int j = 0; j < n; j++) {
        int i = index[j];
        if (i < 0 || i >= env->N)
            return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                 "%s: envs[%d] = %d, expected 0..%d", where, j,
                                 i, env->N - 1);
        if (distinct)
            for (int k = 0; k < j; k++)
                if (index[k] == i)
                    return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                         "%s: env %d appears twice (envs[%d] "
                                         "and envs[%d]), expected distinct "
                                         "envs",
                                         where, i, k, j);
    }
    return PAN_OK;
}

pan_status pan_vec_env_fork(pan_vec_env *env, int n, const int *env_index,
                            uint64_t *ids) {
    if (!env || !env_index || !ids || n < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "fork: env, envs and ids must not be NULL and n "
                             "(%d) must be >= 1",
                             n);
    pan_status status = check_envs(env, n, env_index, "fork", false);
    if (status != PAN_OK) return status;
    for (int j = 0; j < n; j++)
        if (!env->envs[env_index[j]].started)
            return pan_error_set(PAN_ERR_FAILED_PRECONDITION,
                                 "fork: env %d was never reset", env_index[j]);
    if (n > env->config.max_snapshots - env->snapshot_count)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "fork: %d snapshots would exceed max_snapshots = "
                             "%d (%d live); release some",
                             n, env->config.max_snapshots, env->snapshot_count);
    /* allocate and fill all of them before publishing any */
    vec_snapshot **made = env->snapshots + env->snapshot_count;
    for (int j = 0; j < n; j++) {
        int i = env_index[j];
        made[j] = alloc_snapshot(env, i);
        if (made[j])
            status = env->sim->vtable->save(env->sim, i, made[j]->blob);
        if (!made[j] || status != PAN_OK) {
            if (!made[j])
                status =
                    pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                  "fork: out of memory for snapshot %d", j);
            for (int k = 0; k < j; k++)
                free(made[k]);
            free(made[j]);
            return status;
        }
        if (made[j]->frames)
            memcpy(made[j]->frames,
                   env->last_frames + (size_t)i * env->obs_frames,
                   env->obs_frames);
        memcpy(made[j]->latent, env->last_latent + (size_t)i * env->obs_latent,
               env->obs_latent * sizeof(float));
    }
    for (int j = 0; j < n; j++) {
        made[j]->state = env->envs[env_index[j]];
        vec_task_ref_retain(made[j]->state.task);
        made[j]->id = env->next_id++;
        ids[j] = made[j]->id;
    }
    env->snapshot_count += n;
    return PAN_OK;
}

pan_status pan_vec_env_restore(pan_vec_env *env, int n, const int *env_index,
                               const uint64_t *ids, pan_obs_batch *obs,
                               pan_env_info *infos) {
    if (!env || !env_index || !ids || n < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "restore: env, envs and ids must not be NULL and "
                             "n (%d) must be >= 1",
                             n);
    pan_status status = check_envs(env, n, env_index, "restore", true);
    if (status != PAN_OK) return status;
    if (obs) {
        status = vec_env_check_obs(env, obs, "restore");
        if (status != PAN_OK) return status;
    }
    for (int j = 0; j < n; j++)
        if (!vec_env_find_snapshot(env, ids[j]))
            return pan_error_set(PAN_ERR_NOT_FOUND,
                                 "restore: state_ids[%d] = %llu is not a live "
                                 "snapshot of this env",
                                 j, (unsigned long long)ids[j]);
    for (int j = 0; j < n; j++) {
        int i = env_index[j];
        const vec_snapshot *snap = vec_env_find_snapshot(env, ids[j]);
        status = env->sim->vtable->load(env->sim, i, snap->blob,
                                        snap->blob_bytes);
        if (status != PAN_OK) return status;
        vec_env_state *st = &env->envs[i];
        vec_task_ref *old = st->task;
        *st = snap->state;
        vec_task_ref_retain(st->task);
        vec_task_ref_release(old);
        if (snap->frames)
            memcpy(env->last_frames + (size_t)i * env->obs_frames, snap->frames,
                   env->obs_frames);
        memcpy(env->last_latent + (size_t)i * env->obs_latent, snap->latent,
               env->obs_latent * sizeof(float));
    }
    if (obs) {
        if (obs->frames)
            memcpy(obs->frames, env->last_frames,
                   (size_t)env->N * env->obs_frames);
        memcpy(obs->latent, env->last_latent,
               (size_t)env->N * env->obs_latent * sizeof(float));
    }
    if (infos) {
        memset(infos, 0, (size_t)env->N * sizeof *infos);
        for (int j = 0; j < n; j++)
            infos[env_index[j]] = env->envs[env_index[j]].info;
    }
    return PAN_OK;
}

pan_status pan_vec_env_release(pan_vec_env *env, int n, const uint64_t *ids) {
    if (!env || !ids || n < 1)
        return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                             "release: env and ids must not be NULL and n (%d) "
                             "must be >= 1",
                             n);
    for (int j = 0; j < n; j++) {
        if (!vec_env_find_snapshot(env, ids[j]))
            return pan_error_set(PAN_ERR_NOT_FOUND,
                                 "release: state_ids[%d] = %llu is not a live "
                                 "snapshot of this env; nothing released",
                                 j, (unsigned long long)ids[j]);
        for (int k = 0; k < j; k++)
            if (ids[k] == ids[j])
                return pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                                     "release: state id %llu appears twice "
                                     "(state_ids[%d] and [%d]); nothing "
                                     "released",
                                     (unsigned long long)ids[j], k, j);
    }
    for (int j = 0; j < n; j++) {
        int k = find_index(env, ids[j]);
        vec_env_free_snapshot(env->snapshots[k]);
        memmove(&env->snapshots[k], &env->snapshots[k + 1],
                (size_t)(env->snapshot_count - k - 1) * sizeof *env->snapshots);
        env->snapshot_count--;
    }
    return PAN_OK;
}

int pan_vec_env_snapshot_count(const pan_vec_env *env) {
    return env ? env->snapshot_count : 0;
}
