/* SPDX-License-Identifier: MIT
 * cm_config: 12-factor configuration from environment variables, table-driven. Each daemon
 * declares one table; cm_config_load() parses and validates every variable, and a bad value
 * stops the daemon with one line naming the variable and what is allowed. The same table prints
 * the --help text, so the documentation cannot drift from the code. */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum cm_cfg_type {
    CM_CFG_STR,      /* char *: any text up to `max` bytes (0: 4096); empty allowed if min=0 */
    CM_CFG_SECRET,   /* char *: like STR, but the value is never printed or logged */
    CM_CFG_INT,      /* int64_t: a decimal integer in [min, max] */
    CM_CFG_BOOL,     /* bool: true/false, 1/0, yes/no, on/off */
    CM_CFG_MS,       /* int64_t milliseconds: "1500", "1500ms", "2s", "5m", "1h"; in [min, max] */
    CM_CFG_BYTES,    /* int64_t bytes: "1048576", "512KB", "10MB", "2GB" (1024-based) */
    CM_CFG_ENUM,     /* int: index of the value in `choices` ("a|b|c") */
    CM_CFG_ENDPOINT, /* char *: a ZeroMQ endpoint tcp://host:port (host may be *), ipc://path */
    CM_CFG_LISTEN,   /* char *: host:port for an HTTP listener; port 0 picks a free one */
};

struct cm_cfg_var {
    const char *name;    /* environment variable */
    int type;            /* enum cm_cfg_type */
    const char *def;     /* default text; NULL = required */
    void *out;           /* destination, typed as documented in cm_cfg_type */
    int64_t min, max;    /* bounds (INT, MS, BYTES); STR/SECRET: min and max length */
    const char *choices; /* ENUM: "a|b|c" */
    const char *help;    /* one line for --help */
};

/* Parse every variable of `vars` from the environment (or its default) into its `out`.
 * Returns 0, or -1 with one line in `err` such as
 *   GATEWAY_LISTEN='abc' is not valid: expected host:port, e.g. 0.0.0.0:8080
 * Secrets never appear in `err`. Strings are allocated: release them with cm_config_free(). */
int cm_config_load(const struct cm_cfg_var *vars, size_t n, char *err, size_t errlen);

/* Free the strings cm_config_load() stored and set their pointers to NULL. */
void cm_config_free(const struct cm_cfg_var *vars, size_t n);

/* Print the table as --help text: name, default, allowed values, description. */
void cm_config_help(FILE *out, const struct cm_cfg_var *vars, size_t n);

/* Parse helpers, exposed for tests and for other parsers of the same syntax.
 * Each returns 0 and the value, or -1. */
int cm_config_parse_int(const char *s, int64_t *out);
int cm_config_parse_bool(const char *s, bool *out);
int cm_config_parse_ms(const char *s, int64_t *out);
int cm_config_parse_bytes(const char *s, int64_t *out);
/* Split "host:port" (host may be empty, [v6], or a name). `host` gets at most hostlen-1 bytes. */
int cm_config_parse_listen(const char *s, char *host, size_t hostlen, int *port);
int cm_config_check_endpoint(const char *s);

#endif
