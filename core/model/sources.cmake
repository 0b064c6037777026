# core/model/sources.cmake: the GLP model's sources (included by
# core/CMakeLists.txt into pan_core). The folders draw the architecture:
# the configuration, parameter table and checkpoint files at the top, then
# one folder per part.
set(PAN_MODEL_DIR ${CMAKE_CURRENT_LIST_DIR})
target_sources(pan_core PRIVATE
  # configuration, the parameter table, checkpoints
  ${PAN_MODEL_DIR}/config.c
  ${PAN_MODEL_DIR}/config_json.c
  ${PAN_MODEL_DIR}/params.c
  ${PAN_MODEL_DIR}/params_declare.c
  ${PAN_MODEL_DIR}/params_init.c
  ${PAN_MODEL_DIR}/model.c
  ${PAN_MODEL_DIR}/train_util.c
  # the VAE: frames <-> latents
  ${PAN_MODEL_DIR}/vae/vae.c
  ${PAN_MODEL_DIR}/vae/vae_resblock.c
  ${PAN_MODEL_DIR}/vae/vae_train.c
  # the vision encoder h: latents -> state tokens
  ${PAN_MODEL_DIR}/encoder/vit.c
  ${PAN_MODEL_DIR}/encoder/vit_patches.c
  ${PAN_MODEL_DIR}/encoder/vit_train.c
  # the backbone f: history of states and actions -> next state
  ${PAN_MODEL_DIR}/backbone/tokenizer.c
  ${PAN_MODEL_DIR}/backbone/kv_cache.c
  ${PAN_MODEL_DIR}/backbone/backbone.c
  ${PAN_MODEL_DIR}/backbone/backbone_layer.c
  ${PAN_MODEL_DIR}/backbone/backbone_workspace.c
  ${PAN_MODEL_DIR}/backbone/backbone_train.c
  # the decoder g and its Causal Swin-DPM sampler
  ${PAN_MODEL_DIR}/decoder/decoder.c
  ${PAN_MODEL_DIR}/decoder/decoder_block.c
  ${PAN_MODEL_DIR}/decoder/decoder_workspace.c
  ${PAN_MODEL_DIR}/decoder/decoder_train.c
  ${PAN_MODEL_DIR}/decoder/decoder_train_state.c
  ${PAN_MODEL_DIR}/decoder/swin_dpm.c
  ${PAN_MODEL_DIR}/decoder/swin_dpm_step.c
  # the whole GLP model: one env step, frames in and out
  ${PAN_MODEL_DIR}/glp/frames.c
  ${PAN_MODEL_DIR}/glp/glp.c
  ${PAN_MODEL_DIR}/glp/glp_step.c
)
