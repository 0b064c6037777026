# core/model: sources of the backbone part (target_sources(pan_core PRIVATE ...))
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/model/kv_cache.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone_layer.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone_workspace.c
)
