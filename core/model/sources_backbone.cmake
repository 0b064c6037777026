# core/model: sources of the backbone part (target_sources(pan_core PRIVATE ...))
