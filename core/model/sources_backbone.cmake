# core/model: sources of the backbone, decoder and sampler parts (target_sources(pan_core PRIVATE ...))
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/model/kv_cache.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone_layer.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/backbone_workspace.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/decoder.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/decoder_block.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/decoder_workspace.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/swin_dpm.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/swin_dpm_step.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/glp.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/glp_step.c
)
