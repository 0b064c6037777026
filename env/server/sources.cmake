# env/server sources: protocol v1 codec and the server (env/server.h).
set(PAN_SERVER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/proto_names.c
  ${CMAKE_CURRENT_LIST_DIR}/proto_read.c
  ${CMAKE_CURRENT_LIST_DIR}/proto_write.c
  ${CMAKE_CURRENT_LIST_DIR}/queue.c
  ${CMAKE_CURRENT_LIST_DIR}/session.c
  ${CMAKE_CURRENT_LIST_DIR}/stats.c
  ${CMAKE_CURRENT_LIST_DIR}/dispatch.c
  ${CMAKE_CURRENT_LIST_DIR}/worker.c
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_common.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_meta.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_env.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_snap.c
)
target_sources(pan_env PRIVATE ${PAN_SERVER_SOURCES})
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ops_meta.c PROPERTIES
  COMPILE_DEFINITIONS "PAN_VERSION=\"${PROJECT_VERSION}\"")
