/* SPDX-License-Identifier: MIT
 * cm_daemon: what every daemon's main() does the same way: --help and --version, logging,
 * configuration from the environment (with LOG_LEVEL added to every table), signals that stop
 * the loop, and the "ready" line the tests and `make run` wait for. */
#ifndef CM_DAEMON_H
#define CM_DAEMON_H
#include "cm_config.h"

#define CM_VERSION "0.1.0"

struct cm_daemon {
    const char *name;              /* binary and log name, e.g. "gateway" */
    const char *summary;           /* one line for --help */
    const char *usage;             /* extra usage text (subcommands), or NULL */
    const struct cm_cfg_var *vars; /* the daemon's configuration table */
    size_t nvars;                  /* its entries */
};

/* Handle --help and --version (print, exit 0) and unknown options (one line, exit 2); set up
 * logging; load the configuration (a bad value: one line naming the variable, exit 2).
 * Returns the index of the first non-option argument (argc when none). `d` is borrowed and
 * must outlive cm_daemon_fini(). */
int cm_daemon_init(const struct cm_daemon *d, int argc, char **argv);

/* Stop `base`'s loop on SIGINT or SIGTERM; ignore SIGPIPE. Call once, after cm_daemon_init. */
void cm_daemon_signals(struct event_base *base);

/* True once SIGINT or SIGTERM arrived: a loop run during start-up (a setup hook waiting on
 * the database) checks it and gives up, and the daemon exits 0 without going on. (The signal
 * that only starts a drain, see cm_daemon_on_stop, does not count.) */
bool cm_daemon_stopping(void);

/* Draining: with `fn` set, the first SIGINT or SIGTERM calls fn(arg) once, from the loop,
 * instead of stopping it; the daemon goes on until its owner stops the loop, and any later
 * stop signal stops it at once. NULL (the default) restores the immediate stop. */
void cm_daemon_on_stop(void (*fn)(void *arg), void *arg);

/* Log the line `ready k=v ...` at notice level: the harness waits for it. */
void cm_daemon_ready(const char *fmt, ...) CM_PRINTF(1, 2);

/* Milliseconds since cm_daemon_init. */
uint64_t cm_daemon_uptime_ms(void);

/* Free the signal events and the configuration strings. */
void cm_daemon_fini(void);

#endif
