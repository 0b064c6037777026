# tests/model: checkpoint suites -- config JSON, safetensors, model
# load/save/init, tokenizer, frames helpers and the pan-init tool.
pan_add_test(test_checkpoint_errors LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_checkpoint_errors.c
          ${CMAKE_CURRENT_SOURCE_DIR}/ckpt_mutate.c)
pan_add_test(test_checkpoint_roundtrip LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_checkpoint_roundtrip.c
          ${CMAKE_CURRENT_SOURCE_DIR}/ckpt_mutate.c)
pan_add_test(test_config LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_config.c)
pan_add_test(test_safetensors LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_safetensors.c
          ${CMAKE_CURRENT_SOURCE_DIR}/ckpt_mutate.c)
pan_add_test(test_tokenizer LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_tokenizer.c)
pan_add_test(test_frames LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_frames.c)
# pan-init end to end: the tool writes checkpoints the loader accepts.
pan_add_test(test_pan_init LABEL unit TIMEOUT 120
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_pan_init.c
          ${CMAKE_CURRENT_SOURCE_DIR}/ckpt_mutate.c
  ARGS $<TARGET_FILE:pan-init>)
add_dependencies(test_pan_init pan-init)
