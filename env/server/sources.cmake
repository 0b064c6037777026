# env/server sources: protocol v1 codec and the server (env/server.h).
target_sources(pan_env PRIVATE
)
