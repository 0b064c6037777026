/* agents/c/scripted_agent.c: pan-scripted-agent, solves random tabletop
 * place goals from the true state (the latent) with the scripted policy
 * (scripted_policy.h), over ZeroMQ; prints each episode and the success
 * rate.
 *
 *   pan-scripted-agent --endpoint E --episodes N --seed S [--num-envs N]
 *       [--max-episode-steps N] [--timeout MS] [--quiet]
 */
#include <stdio.h>

#include "agents/c/agent_args.h"
#include "agents/c/scripted_policy.h"

static const char usage[] =
    "usage: pan-scripted-agent --endpoint E --episodes N --seed S [--num-envs N]\n"
    "         [--max-episode-steps N] [--timeout MS] [--quiet]\n";

static pan_status scripted(void *ctx, const agent_step_view *view,
                           char (*actions)[AGENT_ACTION_MAX]) {
    (void)ctx;
    const pan_client_obs *obs = view->obs;
    pan_scripted_view sv = {view->spaces->width, view->spaces->height};
    int per = obs->q * obs->d;
    for (int i = 0; i < obs->n; i++) {
        pan_status st = pan_scripted_policy_act(&sv, obs->latent + (size_t)i * (size_t)per, per,
                                                view->infos[i].task, actions[i],
                                                AGENT_ACTION_MAX);
        if (st != PAN_OK) return st;
    }
    return PAN_OK;
}

int main(int argc, char **argv) {
    agent_config cfg;
    agent_extra extra = {0};
    int rc = agent_args_parse(argc, argv, usage, &cfg, &extra);
    if (rc) return rc < 0 ? 0 : rc;
    cfg.world = "tabletop";
    cfg.obs_mode = "latent"; /* the policy reads the true state only */
    cfg.task = "random";
    printf("scripted agent: tabletop, %d envs, %d episodes, seed %llu, task random\n",
           cfg.num_envs, cfg.episodes, (unsigned long long)cfg.seed);
    agent_summary sum;
    return agent_run(&cfg, scripted, NULL, &sum);
}
