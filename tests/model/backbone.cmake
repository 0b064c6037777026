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

# The suites that check a model part against the PyTorch twin's fixture.
foreach(suite decoder swin glp)
  pan_add_test(test_${suite}_parity LABEL parity TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_${suite}_parity.c
            ${CMAKE_CURRENT_SOURCE_DIR}/parity_main.c
            ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
    ARGS ${CMAKE_CURRENT_BINARY_DIR}/reference/model.safetensors
         ${CMAKE_CURRENT_BINARY_DIR}/reference/model_reference.bin)
  set_tests_properties(test_${suite}_parity PROPERTIES
    FIXTURES_REQUIRED pan_model_fixture)
endforeach()
