# tests of the rooms world (env/rooms): parser and split, world dynamics,
# sampler, detector. All fast: label unit.
foreach(suite parse world sample detect)
  add_executable(test_rooms_${suite}
                 ${CMAKE_CURRENT_LIST_DIR}/test_rooms_${suite}.c)
  target_link_libraries(test_rooms_${suite} PRIVATE pan pan_flags)
  add_test(NAME test_rooms_${suite} COMMAND test_rooms_${suite})
  set_tests_properties(test_rooms_${suite} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
