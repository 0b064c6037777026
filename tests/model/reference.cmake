# tests/model: reference suites -- the PyTorch twin (tests/reference/model_twin.py).
#
# model_reference_fixture writes ${CMAKE_CURRENT_BINARY_DIR}/reference/
# {model.safetensors, model_reference.bin} (tests/reference/model_reference.py);
# the vision and backbone parity tests require it (FIXTURES_REQUIRED
# pan_model_fixture). Like ref_vs_torch_fixture it FAILS, with the apt-get
# line, when ${PAN_TEST_PYTHON} cannot import torch.
set(PAN_MODEL_FIXTURE_DIR ${CMAKE_CURRENT_BINARY_DIR}/reference)
add_test(NAME model_reference_fixture
         COMMAND ${PAN_TEST_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/../reference/model_reference.py
                 ${PAN_MODEL_FIXTURE_DIR})
set_tests_properties(model_reference_fixture PROPERTIES
  LABELS parity TIMEOUT 300 FIXTURES_SETUP pan_model_fixture)

# The twin against itself (tests/reference/model_twin_selftest.py):
# incremental KV-cache path == full recomputation (float64, evictions and
# compaction), and the safetensors writer/reader round trip.
add_test(NAME model_twin_selftest
         COMMAND ${PAN_TEST_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/../reference/model_twin_selftest.py
                 ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(model_twin_selftest PROPERTIES LABELS parity TIMEOUT 300)
