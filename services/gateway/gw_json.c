/* SPDX-License-Identifier: MIT
 * gw_json: JSON request bodies and replies. jansson parses with strict UTF-8 and rejects
 * duplicate keys; cm_http has already capped the body at HTTP_BODY_MAX (413 beyond). The
 * depth is checked before parsing: jansson's own cap (2048) is far more than any body of
 * ours needs, and a deep array costs it a recursion frame per level. */
#include <time.h>
#include "gw.h"
#include "cm_json.h"
#include "common_msg.h"

#define GW_JSON_DEPTH_MAX 32

/* Deepest nesting of `len` bytes, counting brackets outside strings. */
static int s_depth(const unsigned char *p, size_t len)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
            if (max > GW_JSON_DEPTH_MAX)
                return max;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

json_t *gw_json_parse(const void *body, size_t len, bool empty_ok, char *err, size_t errlen)
{
    const unsigned char *p = body;
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == len) {
        if (empty_ok)
            return json_object();
        cm_errf(err, errlen, "a JSON object is required");
        return NULL;
    }
    if (s_depth(p, len) > GW_JSON_DEPTH_MAX) {
        cm_errf(err, errlen, "the JSON body nests deeper than %d levels", GW_JSON_DEPTH_MAX);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        cm_errf(err, errlen, "the body is not valid JSON: %s (at byte %d)", je.text, je.position);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        cm_errf(err, errlen, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

int gw_json_str(json_t *obj, const char *key, size_t max, const char **out, char *err,
                size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        cm_errf(err, errlen, "%s must be a string", key);
        return -1;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > max) {
        cm_errf(err, errlen, "%s is longer than %zu bytes", key, max);
        return -1;
    }
    if (memchr(s, '\0', n)) {
        cm_errf(err, errlen, "%s must not contain NUL", key);
        return -1;
    }
    *out = s;
    return 1;
}

void gw_reply_json(cm_http_req_t *req, int status, json_t *root)
{
    size_t len = 0;
    char *text = cm_json_take_dump(root, &len);
    cm_http_reply(req, status, "application/json", text, len);
    cm_free(text);
}

void gw_reply_rpc_error(cm_http_req_t *req, int status, const cm_msg_t *reply, const char *svc)
{
    struct common_error e = {0};
    if (reply)
        common_error_decode(&e, reply->body.data, reply->body.len);
    const char *why = e.reason[0] ? e.reason : NULL;
    switch (status) {
    case CM_ERR_INVALID:
        cm_http_reply_json_error(req, 400, "invalid", "%s", why ? why : "invalid request");
        return;
    case CM_ERR_FORBIDDEN:
        cm_http_reply_json_error(req, 403, "forbidden", "%s", why ? why : "permission denied");
        return;
    case CM_ERR_NOT_FOUND:
        cm_http_reply_json_error(req, 404, "not_found", "%s", why ? why : "not found");
        return;
    case CM_ERR_CONFLICT:
        cm_http_reply_json_error(req, 409, "conflict", "%s", why ? why : "conflict");
        return;
    case CM_ERR_TOO_LARGE:
        cm_http_reply_json_error(req, 413, "too_large", "%s", why ? why : "too large");
        return;
    case CM_ERR_BUSY:
        cm_http_req_add_header(req, "Retry-After", "1");
        cm_http_reply_json_error(req, 503, "busy", "%s",
                                 why ? why : "too busy; try again in a second");
        return;
    case CM_ERR_TIMEOUT:
        cm_http_reply_json_error(req, 504, "timeout", "the %s service did not answer in time", svc);
        return;
    case CM_ERR_UNAVAILABLE:
    case CM_ERR_SHUTDOWN:
        cm_http_req_add_header(req, "Retry-After", "1");
        cm_http_reply_json_error(req, 503, "unavailable", "the %s service is unavailable", svc);
        return;
    default:
        cm_http_reply_json_error(req, 500, "internal", "the %s service failed", svc);
        return;
    }
}

uint64_t gw_path_id(const char *arg)
{
    uint64_t x = 0;
    if (!arg || !*arg || *arg == '0' || strlen(arg) > 19)
        return 0;
    for (const char *p = arg; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    return x <= INT64_MAX ? x : 0;
}

json_t *gw_json_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char iso[48];
    gmtime_r(&t, &tm);
    size_t n = strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(iso + n, sizeof(iso) - n, ".%03dZ", (int)(ms % 1000));
    return json_string(iso);
}
