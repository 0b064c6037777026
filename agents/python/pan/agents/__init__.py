"""pan.agents: agents that play pan environments over ZeroMQ.

- pan.agents.random: actions from the world's own sampler (SAMPLE op);
  `python3 -m pan.agents.random --world tabletop --episodes 5`.
- pan.agents.scripted: solves tabletop goal tasks ("put the red circle in
  the top left corner") from the true state with directional moves;
  `python3 -m pan.agents.scripted --episodes 20`.
- pan.agents.tabletop: the scripted agent's state reader and planner.
- pan.agents.planner: planners over imagined rollouts (random, nomodel,
  pick, cem) for the structured goal families; the oracle imagines in the
  true world session, --model in a served world model;
  `python3 -m pan.agents.planner --tasks 20`.
- pan.agents.goals: the structured goal families (parse, decode the
  true-state latent, predicates and dense costs).
Both print one line per episode and a summary (or JSON lines with --json);
exit status 0, 1 on a server or connection error, 2 on a usage error.
"""
