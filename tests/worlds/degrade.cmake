# test of the detectors on degraded true frames and on wrong frames
# (benchmarks/eval/eval_degrade.c is compiled in; docs/worlds.md, Detector).
# Fast: label unit.
add_executable(test_detect_degraded
               ${CMAKE_CURRENT_LIST_DIR}/test_detect_degraded.c
               ${PROJECT_SOURCE_DIR}/benchmarks/eval/eval_degrade.c)
target_link_libraries(test_detect_degraded PRIVATE pan pan_flags m)
add_test(NAME test_detect_degraded COMMAND test_detect_degraded)
set_tests_properties(test_detect_degraded PROPERTIES LABELS unit TIMEOUT 120)
