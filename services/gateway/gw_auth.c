/* SPDX-License-Identifier: MIT
 * gw_auth: who is calling. The access token comes from `Authorization: Bearer` or, for
 * browsers, from the HttpOnly mq_access cookie (the header wins when both are present). It
 * is verified here, locally, with HS256 pinned (cm_jwt), then checked against the revocation
 * set. A cookie-authenticated request that changes state must carry X-Requested-With: a
 * cross-site form cannot set it, and a cross-site script cannot without a CORS preflight we
 * never grant (OWASP CSRF cheat sheet, "custom request headers"). */
#include <strings.h>
#include "gw.h"

bool gw_cookie_find(const char *h, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    if (size == 0)
        return false;
    out[0] = '\0';
    if (!h)
        return false;
    const char *p = h;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        if (eq && eq < end && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq + 1;
            size_t vlen = (size_t)(end - v);
            while (vlen && v[vlen - 1] == ' ')
                vlen--;
            if (vlen >= size)
                return false; /* longer than anything we set: not ours */
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

bool gw_cookie(cm_http_req_t *req, const char *name, char *out, size_t size)
{
    return gw_cookie_find(cm_http_req_header(req, "Cookie"), name, out, size);
}

bool gw_audit_allowed(struct gw *gw, const char *event)
{
    /* A flood of bad requests must not become a flood of audit rows: each kind of event the
     * gateway reports is capped at 20 a second (a burst of 20); the rest are only counted. */
    static const struct gw_rate budget = {20, 20};
    int retry;
    return gw_ratelimit_take(gw->rl, GW_RL_AUDIT, event, &budget, (int64_t)cm_mono_ms(), &retry);
}

bool gw_rate_take(struct gw *gw, cm_http_req_t *req, int cls, const char *key, const char *ip)
{
    int retry = 1;
    int64_t now = (int64_t)cm_mono_ms();
    if (gw_ratelimit_take(gw->rl, cls, key, &gw->rates[cls], now, &retry))
        return true;
    char ra[16];
    snprintf(ra, sizeof(ra), "%d", retry);
    cm_http_req_add_header(req, "Retry-After", ra);
    if (gw_audit_allowed(gw, "rate_limited")) {
        char target[300];
        snprintf(target, sizeof(target), "%s %s", cm_http_req_method(req), cm_http_req_path(req));
        static const char *const names[] = {"login", "login per account", "refresh", "api"};
        cm_audit_emit(gw->audit, "rate_limited", CM_AUDIT_WARNING, 0, target, ip,
                      cm_http_req_id(req), "%s limit hit",
                      cls < (int)CM_ARRAY_LEN(names) ? names[cls] : "?");
    }
    cm_http_reply_json_error(req, 429, "rate_limited", "too many requests; retry in %d s", retry);
    return false;
}

static void s_deny(struct gw *gw, cm_http_req_t *req, const struct gw_caller *who, int status,
                   const char *code, const char *event, const char *sentence)
{
    char target[300];
    snprintf(target, sizeof(target), "%s %s", cm_http_req_method(req), cm_http_req_path(req));
    if (event && gw_audit_allowed(gw, event))
        cm_audit_emit(gw->audit, event, status == 401 ? CM_AUDIT_INFO : CM_AUDIT_WARNING,
                      who->authed ? who->c.user_id : 0, target, who->ip, cm_http_req_id(req), "%s",
                      sentence);
    if (status == 401)
        cm_http_req_add_header(req, "WWW-Authenticate", "Bearer realm=\"marquee\"");
    cm_http_reply_json_error(req, status, code, "%s", sentence);
}

int gw_auth_check(struct gw *gw, cm_http_req_t *req, enum gw_access access, struct gw_caller *who)
{
    const char *h = cm_http_req_header(req, "Authorization");
    char cookie[CM_JWT_MAX + 1];
    const char *token = NULL;
    size_t len = 0;
    who->authed = false;
    who->via_cookie = false;
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0) {
            s_deny(gw, req, who, 401, "invalid_token", "token_rejected",
                   "the Authorization header must be \"Bearer <access token>\"");
            return -1;
        }
        token = h + 7;
        while (*token == ' ')
            token++;
        len = strlen(token);
    } else if (gw_cookie(req, "mq_access", cookie, sizeof(cookie)) && cookie[0]) {
        token = cookie;
        len = strlen(cookie);
        who->via_cookie = true;
    }
    if (!token) {
        if (access == GW_PUBLIC)
            return 0;
        s_deny(gw, req, who, 401, "unauthorized", NULL, "an access token is required");
        return -1;
    }
    if (!cm_revoke_synced(gw->revoke)) {
        /* Just started, and auth has not said yet which sessions died meanwhile. */
        if (access == GW_PUBLIC)
            return 0;
        cm_http_req_add_header(req, "Retry-After", "1");
        cm_http_reply_json_error(req, 503, "unavailable",
                                 "the gateway is starting: the auth service has not answered yet");
        return -1;
    }
    char err[CM_ERR_LEN];
    int64_t now_s = (int64_t)(cm_now_ms() / 1000);
    if (cm_jwt_verifier_check(gw->verifier, token, len, now_s, &who->c, err, sizeof(err)) < 0) {
        cm_log_d("auth", cm_http_req_id(req), "access token refused: %s", err);
        if (access == GW_PUBLIC && who->via_cookie)
            return 0; /* a stale cookie on a public route is no error */
        s_deny(gw, req, who, 401, "invalid_token", "token_rejected",
               "the access token is not valid");
        return -1;
    }
    if (cm_revoke_is_void(gw->revoke, who->c.sid, who->c.user_id, who->c.ver, who->c.iat, now_s)) {
        if (access == GW_PUBLIC && who->via_cookie)
            return 0;
        s_deny(gw, req, who, 401, "invalid_token", "token_rejected",
               "the access token was revoked");
        return -1;
    }
    who->authed = true;
    const char *m = cm_http_req_method(req);
    if (who->via_cookie && strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
        strcmp(m, "OPTIONS") != 0) {
        const char *x = cm_http_req_header(req, "X-Requested-With");
        if (!x || !x[0]) {
            s_deny(gw, req, who, 403, "csrf", "csrf_rejected",
                   "a cookie-authenticated request that changes state must send "
                   "X-Requested-With");
            return -1;
        }
    }
    if (access == GW_ADMIN && strcmp(who->c.role, "admin") != 0) {
        s_deny(gw, req, who, 403, "forbidden", "permission_denied", "this needs the admin role");
        return -1;
    }
    return 0;
}
