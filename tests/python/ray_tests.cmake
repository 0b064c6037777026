# tests/python/ray_tests.cmake: the scale-out suite (included by
# tests/python/CMakeLists.txt, which sets PAN_VENV_RUN and PAN_GYM_ENV).
# python_ray (slow, e2e, ~1 minute on 2 cores): RLlib's PPO with 3 env
# runners on a local Ray instance stepping pan envs on 2 pan-servers
# (agents/python/examples/ray_rllib.py). Needs the venv's ray group
# (scripts/venv.sh ray; scripts/test.sh installs it with PAN_SLOW=1) and
# fails, never skips, without it.
add_test(NAME python_ray
         COMMAND ${PAN_VENV_RUN} ${CMAKE_CURRENT_SOURCE_DIR}/test_py_ray.py
                 $<TARGET_FILE:pan-server>)
set_tests_properties(python_ray PROPERTIES
  LABELS "slow;e2e" TIMEOUT 900 RUN_SERIAL TRUE
  ENVIRONMENT "${PAN_GYM_ENV}")
