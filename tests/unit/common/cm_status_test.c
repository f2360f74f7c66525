/* SPDX-License-Identifier: MIT
 * Tests of cm_status: the wire values are pinned (append-only), every status has a text, a
 * unique [a-z_] code and an HTTP status in 200..599, and out-of-range values fall back. */
#include "cm.h"
#include "../../tap.h"

/* The numbers travel on the wire (common.ERROR.status): renumbering breaks every peer. */
static void test_pinned_values(void)
{
    is_int(CM_OK, 0, "CM_OK = 0");
    is_int(CM_ERR_INTERNAL, 1, "CM_ERR_INTERNAL = 1");
    is_int(CM_ERR_MALFORMED, 2, "CM_ERR_MALFORMED = 2");
    is_int(CM_ERR_UNKNOWN_MSG, 3, "CM_ERR_UNKNOWN_MSG = 3");
    is_int(CM_ERR_VERSION, 4, "CM_ERR_VERSION = 4");
    is_int(CM_ERR_TIMEOUT, 5, "CM_ERR_TIMEOUT = 5");
    is_int(CM_ERR_UNAVAILABLE, 6, "CM_ERR_UNAVAILABLE = 6");
    is_int(CM_ERR_BUSY, 7, "CM_ERR_BUSY = 7");
    is_int(CM_ERR_NOT_FOUND, 8, "CM_ERR_NOT_FOUND = 8");
    is_int(CM_ERR_INVALID, 9, "CM_ERR_INVALID = 9");
    is_int(CM_ERR_CONFLICT, 10, "CM_ERR_CONFLICT = 10");
    is_int(CM_ERR_UNAUTHORIZED, 11, "CM_ERR_UNAUTHORIZED = 11");
    is_int(CM_ERR_FORBIDDEN, 12, "CM_ERR_FORBIDDEN = 12");
    is_int(CM_ERR_TOO_LARGE, 13, "CM_ERR_TOO_LARGE = 13");
    is_int(CM_ERR_RATE_LIMITED, 14, "CM_ERR_RATE_LIMITED = 14");
    is_int(CM_ERR_SHUTDOWN, 15, "CM_ERR_SHUTDOWN = 15");
    is_int(CM_ERR_DB, 16, "CM_ERR_DB = 16");
    /* Appending a status is allowed: it raises the count but never moves the pinned ones. */
    ok(CM_STATUS_COUNT >= 17, "CM_STATUS_COUNT >= 17 (append-only)");
    if (CM_STATUS_COUNT != 17)
        diag("CM_STATUS_COUNT is %d: pin the new members here", (int)CM_STATUS_COUNT);
}

static int s_code_chars_ok(const char *code)
{
    if (!code || !*code)
        return 0;
    for (const char *p = code; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
            return 0;
    }
    return 1;
}

static void test_every_value(void)
{
    int empty_text = 0, bad_code = 0, bad_http = 0, dup_code = 0, unknown_text = 0;
    for (int s = 0; s < CM_STATUS_COUNT; s++) {
        const char *text = cm_status_str(s);
        const char *code = cm_status_code(s);
        int http = cm_status_http(s);
        if (!text || !*text) {
            empty_text++;
            diag("status %d: empty text", s);
        } else if (strcmp(text, "unknown status") == 0) {
            unknown_text++;
            diag("status %d: text is the out-of-range fallback", s);
        }
        if (!s_code_chars_ok(code)) {
            bad_code++;
            diag("status %d: code '%s' is not [a-z_]+", s, code ? code : "(null)");
        }
        if (http < 200 || http > 599) {
            bad_http++;
            diag("status %d: HTTP %d out of 200..599", s, http);
        }
        for (int t = 0; t < s; t++) {
            const char *other = cm_status_code(t);
            if (code && other && strcmp(code, other) == 0) {
                dup_code++;
                diag("statuses %d and %d share the code '%s'", t, s, code);
            }
        }
    }
    is_int(empty_text, 0, "every status has a non-empty text");
    is_int(unknown_text, 0, "no status in range uses the fallback text");
    is_int(bad_code, 0, "every code is made of [a-z_]");
    is_int(dup_code, 0, "codes are unique");
    is_int(bad_http, 0, "every HTTP mapping is in 200..599");
    /* Only CM_OK maps to a success. */
    int err_2xx = 0;
    for (int s = 1; s < CM_STATUS_COUNT; s++) {
        if (cm_status_http(s) < 400)
            err_2xx++;
    }
    is_int(err_2xx, 0, "every error status maps to 4xx or 5xx");
}

static void test_http(void)
{
    is_int(cm_status_http(CM_OK), 200, "OK -> 200");
    is_int(cm_status_http(CM_ERR_MALFORMED), 400, "MALFORMED -> 400");
    is_int(cm_status_http(CM_ERR_NOT_FOUND), 404, "NOT_FOUND -> 404");
    is_int(cm_status_http(CM_ERR_RATE_LIMITED), 429, "RATE_LIMITED -> 429");
    is_int(cm_status_http(CM_ERR_UNAVAILABLE), 503, "UNAVAILABLE -> 503");
    is_int(cm_status_http(CM_ERR_TIMEOUT), 504, "TIMEOUT -> 504");
    is_int(cm_status_http(CM_ERR_INTERNAL), 500, "INTERNAL -> 500");
    is_int(cm_status_http(CM_ERR_UNAUTHORIZED), 401, "UNAUTHORIZED -> 401");
    is_int(cm_status_http(CM_ERR_FORBIDDEN), 403, "FORBIDDEN -> 403");
    is_int(cm_status_http(CM_ERR_TOO_LARGE), 413, "TOO_LARGE -> 413");
    is_int(cm_status_http(CM_ERR_CONFLICT), 409, "CONFLICT -> 409");
    is_str(cm_status_code(CM_ERR_TIMEOUT), "timeout", "TIMEOUT code is \"timeout\" (header)");
    is_str(cm_status_code(CM_OK), "ok", "OK code is \"ok\"");
}

static void test_out_of_range(void)
{
    static const int bad[] = {-1, CM_STATUS_COUNT, CM_STATUS_COUNT + 1, 1000, INT_MAX, INT_MIN};
    for (size_t i = 0; i < CM_ARRAY_LEN(bad); i++) {
        char name[96];
        int s = bad[i];
        snprintf(name, sizeof(name), "status %d: text is \"unknown status\"", s);
        is_str(cm_status_str(s), "unknown status", name);
        const char *code = cm_status_code(s);
        snprintf(name, sizeof(name), "status %d: code is not NULL and made of [a-z_]", s);
        ok(s_code_chars_ok(code), name);
        snprintf(name, sizeof(name),
                 "status %d: code is \"unknown\" (implementation; header silent)", s);
        is_str(code, "unknown", name);
        int http = cm_status_http(s);
        snprintf(name, sizeof(name), "status %d: HTTP is 500 (implementation; header silent)", s);
        is_int(http, 500, name);
    }
}

int main(void)
{
    test_pinned_values();
    test_every_value();
    test_http();
    test_out_of_range();
    return done_testing();
}
