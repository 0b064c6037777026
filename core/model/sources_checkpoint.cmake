# core/model: sources of the checkpoint part (target_sources(pan_core PRIVATE ...))
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/safetensors.c
  ${CMAKE_CURRENT_SOURCE_DIR}/safetensors_write.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/config.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/config_json.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/params.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/params_declare.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/params_init.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/model.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/tokenizer.c
  ${CMAKE_CURRENT_SOURCE_DIR}/model/frames.c
)
