/* SPDX-License-Identifier: MIT
 * cm_log: one line per event on stderr, e.g.
 *   2026-01-01T12:00:00.123Z I gateway[4312] http: rid=00000000000004d2 message
 * time (UTC, ms), level letter (E W N I D), daemon[pid], module, request id (omitted when 0).
 * The macros test the level before evaluating their arguments (Redis serverLog). The writer
 * escapes control bytes and invalid UTF-8 as \xNN, so a peer-controlled string cannot forge a
 * line. Secrets are never passed here: cm_config redacts them, and a test greps every log. */
#ifndef CM_LOG_H
#define CM_LOG_H
#include <stdint.h>
#include "cm_prelude.h"

enum cm_log_level {
    CM_LOG_ERROR = 0,  /* E: something failed that someone must act on */
    CM_LOG_WARN = 1,   /* W: something failed and was handled */
    CM_LOG_NOTICE = 2, /* N: lifecycle (start, ready, stop) */
    CM_LOG_INFO = 3,   /* I: normal events (a request, a connection) */
    CM_LOG_DEBUG = 4,  /* D: details for developers; off by default */
};

extern int cm_log_level_g; /* current level; read by the macros, set by cm_log_set_level() */

/* Set the daemon name printed on every line (borrowed: must outlive logging; a literal). */
void cm_log_init(const char *daemon);

/* Set the level. Returns 0, or -1 when `name` is not one of error, warn, notice, info, debug. */
int cm_log_set_level_name(const char *name);
void cm_log_set_level(int level);

/* Write one line. Use the macros below instead: they skip argument evaluation when off. */
void cm_log_write(int level, const char *module, uint64_t rid, const char *fmt, ...)
    CM_PRINTF(4, 5);

/* Escape `len` bytes of `in` into `out` (NUL-terminated, cut to fit `size`): control bytes
 * and invalid UTF-8 become \xNN; valid UTF-8 is kept. Returns `out`. */
char *cm_log_escape(char *out, size_t size, const void *in, size_t len);

#define CM_LOG_AT(lvl, mod, rid, ...)                                                              \
    do {                                                                                           \
        if ((lvl) <= cm_log_level_g)                                                               \
            cm_log_write((lvl), (mod), (rid), __VA_ARGS__);                                        \
    } while (0)

#define cm_log_e(mod, rid, ...) CM_LOG_AT(CM_LOG_ERROR, mod, rid, __VA_ARGS__)
#define cm_log_w(mod, rid, ...) CM_LOG_AT(CM_LOG_WARN, mod, rid, __VA_ARGS__)
#define cm_log_n(mod, rid, ...) CM_LOG_AT(CM_LOG_NOTICE, mod, rid, __VA_ARGS__)
#define cm_log_i(mod, rid, ...) CM_LOG_AT(CM_LOG_INFO, mod, rid, __VA_ARGS__)
#define cm_log_d(mod, rid, ...) CM_LOG_AT(CM_LOG_DEBUG, mod, rid, __VA_ARGS__)

#endif
