# core/train/sources.cmake: training -- gradient blocks, the stage losses of
# docs/training.md (later the optimizer and the loop), included by
# core/CMakeLists.txt into pan_core.
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/grads.c
  ${CMAKE_CURRENT_LIST_DIR}/optim.c
  ${CMAKE_CURRENT_LIST_DIR}/train_state.c
  ${CMAKE_CURRENT_LIST_DIR}/window_loss.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_vae.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_decoder.c
  ${CMAKE_CURRENT_LIST_DIR}/stage_glp.c
)
