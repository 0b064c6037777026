# env/task sources: tasks and rewards (env/task.h).
target_sources(pan_env PRIVATE
)
