# core/model: sources of the vision part (target_sources(pan_core PRIVATE ...))
