# env/task sources: tasks and rewards (env/task.h).
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/task.c
  ${CMAKE_CURRENT_LIST_DIR}/task_place.c
  ${CMAKE_CURRENT_LIST_DIR}/task_latent.c
  ${CMAKE_CURRENT_LIST_DIR}/task_family_text.c
  ${CMAKE_CURRENT_LIST_DIR}/task_family_eval.c
  ${CMAKE_CURRENT_LIST_DIR}/task_rooms.c
  ${CMAKE_CURRENT_LIST_DIR}/task_solve.c
  ${CMAKE_CURRENT_LIST_DIR}/task_structured.c
)
