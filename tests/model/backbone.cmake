# tests/model: backbone, decoder and sampler suites
pan_add_test(test_kv_cache LABEL unit TIMEOUT 120
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_kv_cache.c)

pan_add_test(test_backbone_parity LABEL parity TIMEOUT 600
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_backbone_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${CMAKE_CURRENT_BINARY_DIR}/reference/model.safetensors
       ${CMAKE_CURRENT_BINARY_DIR}/reference/model_reference.bin)
set_tests_properties(test_backbone_parity PROPERTIES
  FIXTURES_REQUIRED pan_model_fixture)

pan_add_test(test_decoder_parity LABEL parity TIMEOUT 600
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_decoder_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${CMAKE_CURRENT_BINARY_DIR}/reference/model.safetensors
       ${CMAKE_CURRENT_BINARY_DIR}/reference/model_reference.bin)
set_tests_properties(test_decoder_parity PROPERTIES
  FIXTURES_REQUIRED pan_model_fixture)

pan_add_test(test_swin_parity LABEL parity TIMEOUT 600
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_swin_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${CMAKE_CURRENT_BINARY_DIR}/reference/model.safetensors
       ${CMAKE_CURRENT_BINARY_DIR}/reference/model_reference.bin)
set_tests_properties(test_swin_parity PROPERTIES
  FIXTURES_REQUIRED pan_model_fixture)

pan_add_test(test_glp_parity LABEL parity TIMEOUT 600
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_glp_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${CMAKE_CURRENT_BINARY_DIR}/reference/model.safetensors
       ${CMAKE_CURRENT_BINARY_DIR}/reference/model_reference.bin)
set_tests_properties(test_glp_parity PROPERTIES
  FIXTURES_REQUIRED pan_model_fixture)
