/* SPDX-License-Identifier: MIT
 * bt_cli: the `fetch`, `metadata`, `scrape` and `seed` commands of torrent-worker, on the same
 * engine as the pool daemon but without it (no ZeroMQ, no database). */
#ifndef BT_CLI_H
#define BT_CLI_H
#include "cm.h"

/* True when `arg` names a command. */
bool bt_cli_is_command(const char *arg);
/* Run the command argv[0] with its arguments; returns the exit code (0 done, 1 failed, 2
 * usage). Configuration comes from the environment (bt_config.h). */
int bt_cli_main(int argc, char **argv);
/* The commands' usage text, for --help. */
const char *bt_cli_usage(void);

#endif
