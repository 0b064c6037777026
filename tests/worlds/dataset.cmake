# tests of dataset: the episode file format (round trip, truncation and
# corruption, crafted bodies) and the pan-data command, in C and Python.
if(NOT TARGET pan-data)
  message(FATAL_ERROR "tests/worlds/dataset.cmake needs the pan-data target: "
                      "add_subdirectory(tools) in env/CMakeLists.txt")
endif()
set(PAN_DATASET_SCRATCH ${CMAKE_CURRENT_BINARY_DIR}/dataset_scratch)
file(MAKE_DIRECTORY ${PAN_DATASET_SCRATCH})

foreach(suite test_dataset test_dataset_corrupt test_dataset_external
              test_dataset_gen)
  add_executable(${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}.c)
  target_link_libraries(${suite} PRIVATE pan pan_flags PkgConfig::PAN_ZLIB
                        PkgConfig::PAN_MSGPACK)
endforeach()

add_test(NAME dataset_round_trip
         COMMAND test_dataset ${PAN_DATASET_SCRATCH}/round_trip)
add_test(NAME dataset_corrupt
         COMMAND test_dataset_corrupt ${PAN_DATASET_SCRATCH}/corrupt)
add_test(NAME dataset_external
         COMMAND test_dataset_external ${PAN_DATASET_SCRATCH}/external)
set_tests_properties(dataset_round_trip dataset_corrupt dataset_external
                     PROPERTIES LABELS unit)

add_test(NAME dataset_gen
         COMMAND test_dataset_gen $<TARGET_FILE:pan-data>
                 ${PAN_DATASET_SCRATCH}/gen)
# The Python reader and viewer: needs python3-numpy, python3-msgpack and
# python3-pil; it fails (never skips) when one is missing.
add_test(NAME dataset_reader_python
         COMMAND /usr/bin/python3
                 ${CMAKE_CURRENT_LIST_DIR}/test_dataset_reader.py
                 $<TARGET_FILE:pan-data> ${PAN_DATASET_SCRATCH}/python)
set_tests_properties(dataset_reader_python PROPERTIES
  ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/agents/python")
# External recordings (format version 2) from Python: the writer against
# the C reader and writer, and scripts/episodes-from-recording.py; the same
# Debian packages.
add_test(NAME dataset_external_python
         COMMAND /usr/bin/python3
                 ${CMAKE_CURRENT_LIST_DIR}/test_dataset_external.py
                 $<TARGET_FILE:pan-data> $<TARGET_FILE:test_dataset_external>
                 ${PROJECT_SOURCE_DIR}/scripts/episodes-from-recording.py
                 ${PAN_DATASET_SCRATCH}/external_python)
set_tests_properties(dataset_external_python PROPERTIES
  ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/agents/python")
set_tests_properties(dataset_gen dataset_reader_python dataset_external_python
  PROPERTIES LABELS e2e TIMEOUT 600)
