# env/vec sources: the vector env and single env (env/env.h) and the
# simulators behind them (env/vec/sim.h).
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sim_world.c
  ${CMAKE_CURRENT_LIST_DIR}/sim_model.c
  ${CMAKE_CURRENT_LIST_DIR}/vec_env.c
  ${CMAKE_CURRENT_LIST_DIR}/vec_env_reset_step.c
  ${CMAKE_CURRENT_LIST_DIR}/vec_env_snapshot.c
  ${CMAKE_CURRENT_LIST_DIR}/vec_env_rollout.c
  ${CMAKE_CURRENT_LIST_DIR}/env_single.c
)
