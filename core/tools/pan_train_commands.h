/* core/tools/pan_train_commands.h: the subcommands of pan-train, one file
 * each (pan_train.c dispatches). Each takes main's argc/argv (argv[1] is
 * the subcommand) and returns the process exit code: 0 ok, 1 failure, 2
 * usage. */
#ifndef PAN_CORE_TOOLS_PAN_TRAIN_COMMANDS_H
#define PAN_CORE_TOOLS_PAN_TRAIN_COMMANDS_H

int pan_train_run_command(int argc, char **argv);
int pan_train_plot_command(int argc, char **argv);

#endif
