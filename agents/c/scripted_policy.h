/* agents/c/scripted_policy.h: a scripted tabletop policy that solves place
 * goals ("put the red circle in the top left corner") from the true state,
 * one directional move at a time.
 *
 * Contract
 * - pan_scripted_policy_act is a pure function: (the tabletop true-state
 *   vector, docs/worlds.md "State vector (73 floats)"; the goal text; the
 *   frame size) -> one action text. No state is kept between calls, so an
 *   agent simply calls it on every observation (closed loop).
 * - Actions are only directional moves of the form "move the <colour>
 *   <shape> <left|right|up|down> by <n>" (n cells, 1..20); never the
 *   one-shot "move X to the <place>". Reaching a wall uses a move long
 *   enough to be clamped by it.
 * - How it plans: a model of the documented physics (docs/worlds.md,
 *   "Semantics": walls clamp, a mover stops 1 px from the first object its
 *   bounding square would come closer to than 1 px, blockers never move)
 *   predicts every move. A breadth-first search over moves of the goal
 *   object finds the shortest plan to a state where the goal holds
 *   (env/task.h: bounding square within PAN_TASK_TOLERANCE_PX of the named
 *   walls; for the centre, the centre within that distance of the table's
 *   centre). When other objects are in the way, plans that first move one
 *   other object (or two) out of the way are searched too, and the
 *   cheapest plan wins; the first move of the plan is returned. A decision
 *   takes about 0.2 ms on average; the search stops after 6 million
 *   simulated moves (~0.2 s, a bound for crowded tables; the worst of
 *   240,000 decisions on 2-5 objects took 0.13 s).
 * - Beyond that depth (about 1 table in 10,000): follow the goal object's
 *   path on an empty table and move the first object that would stop it
 *   out of the way (clearing that object's own stopper first if needed,
 *   up to three levels); if nothing clears it, a move of the blocker
 *   chosen by a hash of the state shakes the table (a stateless policy's
 *   way out of a cycle). Measured: 80,000 of 80,000 random goals solved
 *   within 50 steps, about 2 moves each (test_scripted_policy).
 * - Goal text: what info.task carries, "put the <colour> <shape> in the
 *   <place>" (any wording pan_task_parse_goal accepts).
 * - Errors: INVALID_ARGUMENT for NULL pointers, a latent of the wrong
 *   length, a frame size out of range, or a goal that is not a place goal;
 *   NOT_FOUND when the goal's object is not on the table; nothing is
 *   written to `action` then. When the goal already holds the action is
 *   "wait".
 * - Thread safety: pure; any number of threads.
 */
#ifndef PAN_AGENTS_C_SCRIPTED_POLICY_H
#define PAN_AGENTS_C_SCRIPTED_POLICY_H

#include <stddef.h>

#include "core/status.h"

#define PAN_SCRIPTED_LATENT_SIZE 73 /* tabletop state vector */
#define PAN_SCRIPTED_ACTION_MAX 96  /* bytes of an action, with the NUL */

typedef struct pan_scripted_view {
    int width, height;              /* the tabletop frame size in pixels */
} pan_scripted_view;

/* latent: (PAN_SCRIPTED_LATENT_SIZE) floats; action: `size` bytes
 * (>= PAN_SCRIPTED_ACTION_MAX). */
pan_status pan_scripted_policy_act(const pan_scripted_view *view,
                                   const float *latent, int latent_size,
                                   const char *goal, char *action, size_t size);

#endif
