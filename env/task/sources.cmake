# env/task sources: tasks and rewards (env/task.h).
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/task.c
  ${CMAKE_CURRENT_LIST_DIR}/task_place.c
  ${CMAKE_CURRENT_LIST_DIR}/task_latent.c
)
