# tests/model: vision suites
# test_vision_parity: frames, VAE encode/decode and the vision encoder h on
# every backend against the PyTorch twin's fixture (model_reference.py,
# written by the model_reference_fixture setup test).
pan_add_test(test_vision_parity LABEL parity TIMEOUT 300
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_vision_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/vision_util.c
          ${CMAKE_CURRENT_SOURCE_DIR}/vision_errors.c
          ${CMAKE_CURRENT_SOURCE_DIR}/vision_configs.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${CMAKE_BINARY_DIR}/tests/model/reference/model.safetensors
       ${CMAKE_BINARY_DIR}/tests/model/reference/model_reference.bin)
set_tests_properties(test_vision_parity PROPERTIES
  FIXTURES_REQUIRED pan_model_fixture)
