# env/vec sources: the vector env and single env (env/env.h) and the
# simulators behind them (env/vec/sim.h).
target_sources(pan_env PRIVATE
)
