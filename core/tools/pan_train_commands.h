/* core/tools/pan_train_commands.h: the subcommands of pan-train, one file
 * each (pan_train.c dispatches). Each takes main's argc/argv (argv[1] is
 * the subcommand) and returns the process exit code: 0 ok, 1 failure, 2
 * usage. */
#ifndef PAN_CORE_TOOLS_PAN_TRAIN_COMMANDS_H
#define PAN_CORE_TOOLS_PAN_TRAIN_COMMANDS_H

int pan_train_run_command(int argc, char **argv);
int pan_train_plot_command(int argc, char **argv);

/* The periodic evaluation of a run (pan_train_eval.c): on DIR/model.
 * safetensors, the VAE's reconstruction of held-out frames of `world`
 * and, when stage_uses_decoder, pan-eval --quick's fidelity and step-wise
 * rates; writes the JSONL line for the run's log into line. */
#include <stddef.h>
#include <stdint.h>

#include "core/compute.h"

pan_status pan_train_eval_line(pan_compute *c, const char *dir, const char *world,
                               int stage_uses_decoder, int64_t step, int threads,
                               char *line, size_t size);

#endif
