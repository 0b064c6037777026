/* agents/c/agent_loop.c: the C agents' episode loop (agent_loop.h). */
#include "agents/c/agent_loop.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One env's running episode. */
typedef struct episode {
    uint64_t seed;
    double ret;
    int length;
    uint64_t trace;      /* FNV-1a of the episode's actions and latents */
} episode;

#define FNV_START 0xcbf29ce484222325ull

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int report(pan_client *c, const char *what) {
    fprintf(stderr, "agent: %s failed: [%s] %s\n", what, pan_client_error_code(c),
            pan_client_error_message(c));
    return 1;
}

/* Copies the infos (the next call reuses the client's buffers). */
static void keep_infos(pan_client_info *dst, const pan_client_info *src, int n) {
    for (int i = 0; i < n; i++) {
        dst[i] = src[i];
        dst[i].has_final = false;
        dst[i].final_frames = NULL;
        dst[i].final_latent = NULL;
        dst[i].final_info = NULL;
    }
}

/* Copies the observation's bytes so the policy may call the server. */
static void keep_obs(pan_client_obs *dst, float **latent, uint8_t **frames,
                     const pan_client_obs *src) {
    size_t nl = (size_t)src->n * (size_t)src->q * (size_t)src->d;
    size_t nf = src->frames ? (size_t)src->n * (size_t)src->k * (size_t)src->h *
                                  (size_t)src->w * 3 : 0;
    float *l = realloc(*latent, nl * sizeof(float) + 1);
    if (l) *latent = l;
    uint8_t *f = nf ? realloc(*frames, nf) : *frames;
    if (f) *frames = f;
    *dst = *src;
    if (l) memcpy(l, src->latent, nl * sizeof(float));
    dst->latent = l;
    if (nf && f) memcpy(f, src->frames, nf);
    dst->frames = nf ? f : NULL;
}

static int run_session(const agent_config *cfg, pan_client *c, uint64_t session,
                       const pan_client_spaces *spaces, agent_policy_fn policy,
                       void *ctx, agent_summary *sum) {
    int N = spaces->num_envs;
    episode *eps = calloc((size_t)N, sizeof *eps);
    pan_client_info *infos = calloc((size_t)N, sizeof *infos);
    char (*actions)[AGENT_ACTION_MAX] = calloc((size_t)N, AGENT_ACTION_MAX);
    const char **ptrs = calloc((size_t)N, sizeof *ptrs);
    float *latent = NULL;    /* (N, Q, D) copy */
    uint8_t *frames = NULL;  /* (N, K, H, W, 3) copy */
    int rc = 1;
    double total_return = 0.0, total_length = 0.0;
    if (!eps || !infos || !actions || !ptrs) {
        fprintf(stderr, "agent: out of memory\n");
        goto done;
    }
    pan_client_reset_args ra = {.seed_kind = PAN_CLIENT_SEED_ONE, .seed = cfg->seed,
                                .task = cfg->task};
    pan_client_obs_result r;
    if (pan_client_reset(c, session, &ra, &r) != PAN_OK) {
        report(c, "RESET");
        goto done;
    }
    pan_client_obs obs;
    keep_obs(&obs, &latent, &frames, &r.obs);
    keep_infos(infos, r.infos, N);
    if (!obs.latent) {
        fprintf(stderr, "agent: out of memory\n");
        goto done;
    }
    size_t per = (size_t)obs.q * (size_t)obs.d;
    for (int i = 0; i < N; i++)
        eps[i] = (episode){.seed = infos[i].seed,
                           .trace = fnv(FNV_START, obs.latent + i * per, per * sizeof(float))};
    int done_count = 0;
    while (done_count < cfg->episodes) {
        if (!obs.latent) {
            fprintf(stderr, "agent: out of memory\n");
            goto done;
        }
        agent_step_view view = {c, session, spaces, &obs, infos};
        pan_status st = policy(ctx, &view, actions);
        if (st != PAN_OK) {
            fprintf(stderr, "agent: the policy failed: %s\n", pan_error_message());
            goto done;
        }
        for (int i = 0; i < N; i++) ptrs[i] = actions[i];
        pan_client_step_result s;
        if (pan_client_step(c, session, N, ptrs, &s) != PAN_OK) {
            report(c, "STEP");
            goto done;
        }
        for (int i = 0; i < N && done_count < cfg->episodes; i++) {
            const pan_client_info *info = &s.infos[i];
            const float *lat = s.obs.latent + i * per;
            if (info->autoreset) { /* the env's next episode starts here */
                eps[i] = (episode){.seed = info->seed,
                                   .trace = fnv(FNV_START, lat, per * sizeof(float))};
                continue;
            }
            eps[i].ret += s.reward[i];
            eps[i].length++;
            eps[i].trace = fnv(eps[i].trace, actions[i], strlen(actions[i]) + 1);
            eps[i].trace = fnv(eps[i].trace, lat, per * sizeof(float));
            if (!s.terminated[i] && !s.truncated[i]) continue;
            done_count++;
            sum->successes += info->success;
            total_return += eps[i].ret;
            total_length += eps[i].length;
            if (!cfg->quiet) {
                printf("episode %d: env %d seed %" PRIu64 " return %.3f length %d trace %016"
                       PRIx64 " %s%s%s%s\n",
                       done_count, i, eps[i].seed, eps[i].ret, eps[i].length, eps[i].trace,
                       s.terminated[i] ? "terminated" : "truncated",
                       info->task[0] ? " task '" : "", info->task,
                       info->task[0] ? (info->success ? "' success" : "' failure") : "");
            }
        }
        keep_obs(&obs, &latent, &frames, &s.obs);
        keep_infos(infos, s.infos, N);
    }
    sum->episodes = done_count;
    sum->mean_return = done_count ? total_return / done_count : 0.0;
    sum->mean_length = done_count ? total_length / done_count : 0.0;
    rc = 0;
done:
    free(eps);
    free(infos);
    free(actions);
    free(ptrs);
    free(latent);
    free(frames);
    return rc;
}

int agent_run(const agent_config *cfg, agent_policy_fn policy, void *ctx,
              agent_summary *sum) {
    memset(sum, 0, sizeof *sum);
    pan_client *c = NULL;
    if (pan_client_connect(cfg->endpoint, cfg->timeout_ms, &c) != PAN_OK) {
        fprintf(stderr, "agent: %s\n", pan_error_message());
        return 1;
    }
    pan_client_make_args ma = pan_client_make_args_default(cfg->model ? NULL : cfg->world);
    ma.model = cfg->model;
    ma.num_envs = cfg->num_envs;
    ma.obs_mode = cfg->obs_mode;
    ma.max_episode_steps = cfg->max_episode_steps;
    uint64_t session = 0;
    pan_client_spaces spaces;
    if (pan_client_make(c, &ma, &session, &spaces) != PAN_OK) {
        int rc = report(c, "MAKE");
        pan_client_destroy(c);
        return rc;
    }
    int rc = run_session(cfg, c, session, &spaces, policy, ctx, sum);
    if (pan_client_close(c, session) != PAN_OK && rc == 0) rc = report(c, "CLOSE");
    pan_client_destroy(c);
    if (rc == 0)
        printf("summary: %d episodes, mean return %.3f, mean length %.2f, success %d/%d "
               "(%.1f%%)\n",
               sum->episodes, sum->mean_return, sum->mean_length, sum->successes,
               sum->episodes, sum->episodes ? 100.0 * sum->successes / sum->episodes : 0.0);
    return rc;
}
