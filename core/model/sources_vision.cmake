# core/model: sources of the vision part (target_sources(pan_core PRIVATE ...))
# VAE encode/decode (vae.c, vae_resblock.c) and the vision encoder h
# (vit.c, vit_patches.c); docs/model.md "VAE" and "Vision encoder h".
target_sources(pan_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/vae.c
  ${CMAKE_CURRENT_LIST_DIR}/vae_resblock.c
  ${CMAKE_CURRENT_LIST_DIR}/vit.c
  ${CMAKE_CURRENT_LIST_DIR}/vit_patches.c
)
