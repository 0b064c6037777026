/* agents/c/agent_args.h: the command line the C agents share (internal):
 * --endpoint E --episodes N --seed S [--num-envs N] [--max-episode-steps N]
 * [--timeout MS] [--quiet], plus each agent's own options.
 *
 * Contract: agent_args_parse fills an agent_config (defaults: endpoint
 * tcp://127.0.0.1:5555, 10 episodes, seed 0, 1 env, the server's episode
 * length, 10000 ms) and returns 0, or prints the problem and the agent's
 * usage and returns 2 (usage) / -1 (--help printed, exit 0). `extra` gets
 * the options the agent adds itself (`world` or `model`, `task`, `split`). */
#ifndef PAN_AGENTS_C_AGENT_ARGS_H
#define PAN_AGENTS_C_AGENT_ARGS_H

#include "agents/c/agent_loop.h"

typedef struct agent_extra {
    bool allow_world, allow_task, allow_split; /* allow_world: --model too */
    const char *world, *model, *task, *split;
} agent_extra;

int agent_args_parse(int argc, char **argv, const char *usage, agent_config *cfg,
                     agent_extra *extra);

#endif
