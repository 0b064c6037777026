# tests/python/rl_tests.cmake: the standard-RL-library suites (included by
# tests/python/CMakeLists.txt, which sets PAN_VENV_RUN and PAN_GYM_ENV).
# Both run under the venv's Python (scripts/venv.sh: gymnasium,
# stable-baselines3, torch) and fail, never skip, without it.
# - python_wrappers (e2e, seconds): pan.wrappers against a real pan-server.
# - python_ppo (slow, e2e, about 5 minutes on 2 cores): SB3 PPO through
#   agents/python/examples/ppo_tabletop.py beats the random policy on
#   held-out seeds, then runs against a served untrained pan-init model.
add_test(NAME python_wrappers
         COMMAND ${PAN_VENV_RUN}
                 ${CMAKE_CURRENT_SOURCE_DIR}/test_py_wrappers.py
                 $<TARGET_FILE:pan-server>)
set_tests_properties(python_wrappers PROPERTIES
  LABELS e2e TIMEOUT 180 ENVIRONMENT "${PAN_GYM_ENV}")

if(TARGET pan-init)
  add_test(NAME python_ppo
           COMMAND ${PAN_VENV_RUN}
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_py_ppo.py
                   $<TARGET_FILE:pan-server> $<TARGET_FILE:pan-init>)
  set_tests_properties(python_ppo PROPERTIES
    LABELS "slow;e2e" TIMEOUT 900 RUN_SERIAL TRUE
    ENVIRONMENT "${PAN_GYM_ENV}")
endif()
