# core/train/sources.cmake: training (gradient blocks; later the losses of
# docs/training.md, the optimizer and the loop), included by
# core/CMakeLists.txt into pan_core.
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/grads.c
)
