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

# The training twin (tests/reference/train_twin.py, docs/training.md):
# train_reference_fixture writes ${CMAKE_CURRENT_BINARY_DIR}/reference/
# {train_vae,train_decoder,train_glp}.safetensors and train_reference.bin
# (tests/reference/train_reference.py: each stage's loss and the gradient
# of every parameter, the teacher-forced backbone pass, per-part cases);
# the C gradient tests require it (FIXTURES_REQUIRED pan_train_fixture).
# It FAILS, with the apt-get line, without torch. About 2 s.
add_test(NAME train_reference_fixture
         COMMAND ${PAN_TEST_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/../reference/train_reference.py
                 ${PAN_MODEL_FIXTURE_DIR})
set_tests_properties(train_reference_fixture PROPERTIES
  LABELS parity TIMEOUT 300 FIXTURES_SETUP pan_train_fixture)

# The training twin against itself (tests/reference/train_twin_selftest.py):
# gradcheck of every stage's loss, teacher forcing == the KV-cache path
# past eviction, the stop-gradient, dropped conditions, the cond frame's
# missing loss, per-item weights. About 15 s.
add_test(NAME train_twin_selftest
         COMMAND ${PAN_TEST_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/../reference/train_twin_selftest.py)
set_tests_properties(train_twin_selftest PROPERTIES LABELS parity TIMEOUT 300)

# The C training forwards and backwards against the training twin's
# fixture (every part, every backend): tests/model/test_train_parity.c.
pan_add_test(test_train_parity LABEL parity TIMEOUT 600
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_train_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_parity.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_case_vit.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_case_backbone.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_case_dit.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_case_vae.c
          ${CMAKE_CURRENT_SOURCE_DIR}/train_case_stages.c
          ${CMAKE_CURRENT_SOURCE_DIR}/../fixture.c
  ARGS ${PAN_MODEL_FIXTURE_DIR})
set_tests_properties(test_train_parity PROPERTIES
  FIXTURES_REQUIRED pan_train_fixture)

# `pan-train loss` as a user runs it (tests/model/test_pan_train_loss.py):
# deterministic losses, the gradients file, the parts each stage reaches,
# central differences of the loss against the written gradients, usage
# errors. numpy (Debian's, beside python3-torch). About 30 s.
add_test(NAME pan_train_loss
         COMMAND ${PAN_TEST_PYTHON}
                 ${CMAKE_CURRENT_SOURCE_DIR}/test_pan_train_loss.py
                 $<TARGET_FILE:pan-init> $<TARGET_FILE:pan-train>)
set_tests_properties(pan_train_loss PROPERTIES LABELS parity TIMEOUT 300)
