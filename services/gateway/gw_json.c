/* SPDX-License-Identifier: MIT
 * gw_json: JSON request bodies and replies. jansson parses with strict UTF-8 and rejects
 * duplicate keys; cm_http has already capped the body at HTTP_BODY_MAX (413 beyond). The
 * depth is checked before parsing: jansson's own cap (2048) is far more than any body of
 * ours needs, and a deep array costs it a recursion frame per level. */
#include "gw.h"
#include "cm_json.h"

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
