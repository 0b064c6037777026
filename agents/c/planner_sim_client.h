/* agents/c/planner_sim_client.h: the ZeroMQ simulator backend of the
 * planners (planner.h): imagines in env `env_index` of a pan-server
 * session with FORK / ROLLOUT / RELEASE through pan_client.
 *
 * Contract
 * - create fills `sim` and allocates its context; the client is borrowed
 *   (it must outlive the sim, and its other calls may interleave: every
 *   sim call is one complete request). The session's live env is never
 *   changed (FORK, ROLLOUT and RELEASE only).
 * - spaces: what MAKE or DESCRIBE returned for the session. is_model: the
 *   session is a world model (MAKE model); then latent_is_state is false
 *   and frames come only in full obs mode. goal_latent: the session's task
 *   is "latent: <goal>" (rollout rewards are -d).
 * - max_batch: rows per ROLLOUT (the server's max_batch; HELLO limits).
 * - Rollout results are copied out of the reply (latents, rewards,
 *   terminated, and the last of each step's K frames).
 * - Errors: the client's (server code and message in pan_error_message).
 * - Thread safety: one thread at a time (as the client).
 */
#ifndef PAN_AGENTS_C_PLANNER_SIM_CLIENT_H
#define PAN_AGENTS_C_PLANNER_SIM_CLIENT_H

#include "agents/c/pan_client.h"
#include "agents/c/planner.h"

pan_status pan_planner_sim_client_create(pan_client *client, uint64_t session,
                                         const pan_client_spaces *spaces,
                                         int env_index, bool is_model,
                                         bool goal_latent, int max_batch,
                                         pan_planner_sim *sim);
void pan_planner_sim_client_destroy(pan_planner_sim *sim);

#endif
