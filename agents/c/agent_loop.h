/* agents/c/agent_loop.h: the episode loop the C agents share (internal):
 * make a session over ZeroMQ, reset it with a seed, ask the agent's policy
 * for one action per env, step, and account for episodes under the
 * next_step autoreset mode; then print per-episode lines and a summary.
 *
 * Contract
 * - agent_run owns the client and the session (closed at the end, also on
 *   error). The policy is called once per batched step with the current
 *   observation, each env's current info (its `task` is the episode's
 *   goal) and fills one action per env; a policy error ends the run.
 * - Each episode line carries a trace: an FNV-1a hash of the episode's
 *   actions and latents, so equal lines mean equal episodes.
 * - Episodes are counted in the order they end (env order within a
 *   step); a step that is an autoreset (info.autoreset) starts the env's
 *   next episode and is not counted. Episodes still running when the
 *   requested number has ended are dropped. Output holds no timings and
 *   no session id, so the same seed prints the same bytes.
 * - Returns 0 on success, 1 when a call failed (message on stderr).
 */
#ifndef PAN_AGENTS_C_AGENT_LOOP_H
#define PAN_AGENTS_C_AGENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "agents/c/pan_client.h"

#define AGENT_ACTION_MAX 1024

typedef struct agent_config {
    const char *endpoint;
    int timeout_ms;
    const char *world;             /* or NULL with model */
    const char *model;             /* a model the server serves, or NULL */
    const char *obs_mode;          /* "full" | "latent" */
    const char *task;              /* NULL: none sent */
    int num_envs;
    int max_episode_steps;         /* -1: the server's default */
    int episodes;
    uint64_t seed;
    bool quiet;                    /* no per-episode lines */
} agent_config;

/* What the policy sees for one batched step. */
typedef struct agent_step_view {
    pan_client *client;
    uint64_t session;
    const pan_client_spaces *spaces;
    const pan_client_obs *obs;
    const pan_client_info *infos;  /* (N), the latest info of each env */
} agent_step_view;

/* Writes N actions into actions[i] (AGENT_ACTION_MAX bytes each). */
typedef pan_status (*agent_policy_fn)(void *ctx, const agent_step_view *view,
                                      char (*actions)[AGENT_ACTION_MAX]);

typedef struct agent_summary {
    int episodes, successes;
    double mean_return, mean_length;
} agent_summary;

int agent_run(const agent_config *config, agent_policy_fn policy, void *ctx,
              agent_summary *summary);

#endif
