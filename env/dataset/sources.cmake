# env/dataset sources: the episode file format (docs/dataset.md).
# The checksum is zlib's CRC32 (Debian zlib1g-dev, pkg-config zlib).
# pan_env is an OBJECT library, so whatever links the final `pan` library
# must also link PkgConfig::PAN_ZLIB (the top-level CMakeLists does).
pan_require_pkg(PAN_ZLIB zlib zlib1g-dev)
target_sources(pan_env PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dataset_episode.c
  ${CMAKE_CURRENT_LIST_DIR}/dataset_write.c
  ${CMAKE_CURRENT_LIST_DIR}/dataset_read.c
)
target_link_libraries(pan_env PUBLIC PkgConfig::PAN_ZLIB)
