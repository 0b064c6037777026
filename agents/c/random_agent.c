/* agents/c/random_agent.c: pan-random-agent, actions from the world's own
 * sampler (SAMPLE) over ZeroMQ; prints each episode's return and length
 * and a summary. Reproducible: the same seed gives the same output.
 *
 *   pan-random-agent --endpoint E (--world tabletop|rooms | --model NAME)
 *       --episodes N --seed S [--num-envs N] [--task T]
 *       [--split train|heldout|any] [--max-episode-steps N] [--timeout MS]
 *       [--quiet]
 *
 * Tabletop episodes (and world-model episodes, whose first frames and
 * tasks come from tabletop) get the task "random" unless --task says
 * otherwise, so returns mean something; rooms has no tasks. */
#include <stdio.h>
#include <string.h>

#include "agents/c/agent_args.h"

static const char usage[] =
    "usage: pan-random-agent --endpoint E (--world tabletop|rooms | --model NAME)\n"
    "         --episodes N --seed S\n"
    "         [--num-envs N] [--task T] [--split train|heldout|any]\n"
    "         [--max-episode-steps N] [--timeout MS] [--quiet]\n";

typedef struct random_ctx {
    const char *split;
} random_ctx;

static pan_status sample_policy(void *ctx, const agent_step_view *view,
                                char (*actions)[AGENT_ACTION_MAX]) {
    const random_ctx *r = ctx;
    int n = 0;
    const char *const *sampled = NULL;
    pan_status st = pan_client_sample(view->client, view->session, r->split, &n, &sampled);
    if (st != PAN_OK) return st;
    if (n != view->obs->n)
        return pan_error_set(PAN_ERR_DATA_LOSS, "SAMPLE gave %d actions for %d envs", n,
                             view->obs->n);
    for (int i = 0; i < n; i++) snprintf(actions[i], AGENT_ACTION_MAX, "%s", sampled[i]);
    return PAN_OK;
}

int main(int argc, char **argv) {
    agent_config cfg;
    agent_extra extra = {.allow_world = true, .allow_task = true, .allow_split = true};
    int rc = agent_args_parse(argc, argv, usage, &cfg, &extra);
    if (rc) return rc < 0 ? 0 : rc;
    if (!extra.world == !extra.model) {
        fprintf(stderr, "%s: give one of --world and --model\n%s", argv[0], usage);
        return 2;
    }
    cfg.world = extra.world;
    cfg.model = extra.model;
    /* the sampler needs no pixels; a model renders them (its detector and
     * sampler read the predicted frames) */
    cfg.obs_mode = extra.model ? "full" : "latent";
    bool tabletop = extra.model || strcmp(extra.world, "tabletop") == 0;
    cfg.task = extra.task ? extra.task : tabletop ? "random" : NULL;
    random_ctx ctx = {.split = extra.split};
    printf("random agent: %s %s, %d envs, %d episodes, seed %llu, task %s\n",
           extra.model ? "model" : "world", extra.model ? cfg.model : cfg.world,
           cfg.num_envs, cfg.episodes, (unsigned long long)cfg.seed,
           cfg.task ? cfg.task : "none");
    agent_summary sum;
    return agent_run(&cfg, sample_policy, &ctx, &sum);
}
