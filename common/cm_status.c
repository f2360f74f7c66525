/* SPDX-License-Identifier: MIT
 * cm_status: texts, codes and HTTP mapping of cm_status_t, in one table. */
#include "cm.h"

static const struct {
    const char *text; /* human sentence */
    const char *code; /* machine code */
    int http;         /* HTTP status */
} s_table[CM_STATUS_COUNT] = {
    [CM_OK] = {"success", "ok", 200},
    [CM_ERR_INTERNAL] = {"internal error", "internal", 500},
    [CM_ERR_MALFORMED] = {"malformed message", "malformed", 400},
    [CM_ERR_UNKNOWN_MSG] = {"unknown message", "unknown_message", 501},
    [CM_ERR_VERSION] = {"unsupported protocol version", "version", 501},
    [CM_ERR_TIMEOUT] = {"timed out", "timeout", 504},
    [CM_ERR_UNAVAILABLE] = {"service unavailable", "unavailable", 503},
    [CM_ERR_BUSY] = {"too busy, try again later", "busy", 503},
    [CM_ERR_NOT_FOUND] = {"not found", "not_found", 404},
    [CM_ERR_INVALID] = {"invalid input", "invalid", 400},
    [CM_ERR_CONFLICT] = {"conflict", "conflict", 409},
    [CM_ERR_UNAUTHORIZED] = {"authentication required", "unauthorized", 401},
    [CM_ERR_FORBIDDEN] = {"permission denied", "forbidden", 403},
    [CM_ERR_TOO_LARGE] = {"too large", "too_large", 413},
    [CM_ERR_RATE_LIMITED] = {"rate limited", "rate_limited", 429},
    [CM_ERR_SHUTDOWN] = {"shutting down", "shutdown", 503},
    [CM_ERR_DB] = {"database error", "database", 503},
};

const char *cm_status_str(int status)
{
    if (status < 0 || status >= CM_STATUS_COUNT)
        return "unknown status";
    return s_table[status].text;
}

const char *cm_status_code(int status)
{
    if (status < 0 || status >= CM_STATUS_COUNT)
        return "unknown";
    return s_table[status].code;
}

int cm_status_http(int status)
{
    if (status < 0 || status >= CM_STATUS_COUNT)
        return 500;
    return s_table[status].http;
}

void cm_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
