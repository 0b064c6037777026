# env/tabletop sources: the tabletop world (env/tabletop/tabletop.h).
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_world.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_physics.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_render.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_templates.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_parse.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_sample.c
  ${CMAKE_CURRENT_LIST_DIR}/tabletop_detect.c
)
