# core/model: sources of the checkpoint part (target_sources(pan_core PRIVATE ...))
