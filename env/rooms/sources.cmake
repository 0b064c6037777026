# env/rooms sources: the rooms world (camera over a procedural map).
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/rooms_map.c
  ${CMAKE_CURRENT_LIST_DIR}/rooms_render.c
  ${CMAKE_CURRENT_LIST_DIR}/rooms_world.c
  ${CMAKE_CURRENT_LIST_DIR}/rooms_parse.c
  ${CMAKE_CURRENT_LIST_DIR}/rooms_sample.c
  ${CMAKE_CURRENT_LIST_DIR}/rooms_detect.c
)
