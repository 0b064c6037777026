/* agents/c/planner_run.h: the acting loop of pan-planner (internal): plays
 * structured tasks in the TRUE world over ZeroMQ, imagining either in the
 * true world itself (the oracle: FORK/ROLLOUT of the live world session)
 * or in a world-model session re-synced to the true frame before every
 * decision.
 *
 * Contract
 * - planner_run makes a world session (obs full, autoreset disabled, no
 *   truncation) and, with `model`, a model session (latent obs mode for
 *   the latent cost, else full); it owns both and the client, and closes
 *   them at the end (also on error).
 * - Task i: RESET of the world session with seed + i and the task
 *   "structured: <family>"; the goal is info.task; the budget is the
 *   goal's (pan_task_budget on the state decoded from the reset latent) or
 *   `budget` when > 0. Up to budget decisions, each: (model: RESET the
 *   model session with options.initial_frames = the true world's current
 *   frame, the episode's seed and task "latent: <spec>" for the latent
 *   cost, "none" for the detector), the planner decides, the action is
 *   STEPped in the world session; success = terminated (the goal holds).
 * - check_live: around every decision the world session's frame (RENDER)
 *   and its snapshot count (STATS) must be unchanged (imagining never
 *   touches the live env); mismatches are counted and fail the run.
 * - Output: one line per task (no timings: the same seed prints the same
 *   lines) and a summary with the success rate, its 95% Wilson interval,
 *   mean actions, decisions/s and imagined env steps/s.
 * - Returns 0, or 1 when a call failed (message on stderr) or a live
 *   check failed.
 */
#ifndef PAN_AGENTS_C_PLANNER_RUN_H
#define PAN_AGENTS_C_PLANNER_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "agents/c/planner.h"

typedef struct planner_run_config {
    const char *endpoint;
    int timeout_ms;
    const char *world;          /* tabletop | rooms */
    const char *model;          /* imagine in this served model; NULL: the
                                   true world (oracle) */
    const char *family;         /* random | place | relation | group | line
                                   | landmark */
    int tasks;
    uint64_t seed;
    int budget;                 /* > 0: overrides every goal's budget */
    pan_planner_config planner; /* kind, cost, CEM/PICK settings, seed */
    bool quiet;                 /* no per-task lines */
    bool check_live;
} planner_run_config;

typedef struct planner_run_summary {
    int tasks, successes;
    double mean_actions;
    pan_planner_stats stats;
    int live_checks, live_mismatches;
} planner_run_summary;

int planner_run(const planner_run_config *cfg, planner_run_summary *summary);

#endif
