/* agents/c/planner_sim_vec.h: the in-process simulator backend of the
 * planners (planner.h): imagines in env `env_index` of a pan_vec_env with
 * pan_vec_env_fork / pan_vec_env_rollout / pan_vec_env_release.
 *
 * Contract
 * - create fills `sim` (vtable, geometry, flags) and allocates its
 *   context; the vector env is borrowed and must outlive the sim. The
 *   env's live state is never changed (fork, rollout and release only).
 * - latent_is_state is true for a ground-truth world (config.model NULL);
 *   frames are available except for a model in latent obs mode;
 *   goal_latent says the env's task is a goal-latent one ("latent: ...",
 *   its rollout rewards are -d), which the caller knows from its reset.
 * - Rollout frames: the backend keeps a scratch of the K frames per step
 *   (grown to the largest call) and hands the planner the last one.
 * - Errors: INVALID_ARGUMENT for NULL arguments or an env index out of
 *   range; the vector env's own errors pass through.
 * - Thread safety: as the vector env (one thread at a time).
 */
#ifndef PAN_AGENTS_C_PLANNER_SIM_VEC_H
#define PAN_AGENTS_C_PLANNER_SIM_VEC_H

#include "agents/c/planner.h"
#include "env/env.h"

pan_status pan_planner_sim_vec_create(pan_vec_env *env, int env_index,
                                      bool goal_latent, pan_planner_sim *sim);
void pan_planner_sim_vec_destroy(pan_planner_sim *sim);

#endif
