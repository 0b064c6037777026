# tests of the tabletop world (env/tabletop): paraphrase table and parser,
# physics (walls, collisions, smooth motion, environment actions), state
# (determinism, fork/restore, validation, bad arguments), detector accuracy
# and rules, sampler split. All fast: label unit.
foreach(suite parse physics state detect sample)
  add_executable(test_tabletop_${suite}
                 ${CMAKE_CURRENT_LIST_DIR}/test_tabletop_${suite}.c)
  target_link_libraries(test_tabletop_${suite} PRIVATE pan pan_flags)
  add_test(NAME test_tabletop_${suite} COMMAND test_tabletop_${suite})
  set_tests_properties(test_tabletop_${suite} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
