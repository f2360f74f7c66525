/* SPDX-License-Identifier: MIT
 * gw_api_auth: /api/auth/... and /api/users..., translated to auth's RPCs (proto/auth.toml).
 * The gateway validates shapes and sizes; auth owns every decision about credentials. A
 * password or token never reaches a log line: bodies are not logged, and the few places that
 * hold one wipe it once the RPC body is built. */
#include <openssl/crypto.h>
#include <time.h>
#include "gw.h"
#include "auth_msg.h"
#include "common_msg.h"

#define GW_COOKIE_ACCESS "mq_access"
#define GW_COOKIE_REFRESH "mq_refresh"

/* A request waiting on auth. */
struct call {
    struct gw *gw;
    cm_http_req_t *req;
    struct gw_caller who;
    int kind; /* what the reply is for (enum below) */
    uint32_t page, limit;
};

enum {
    CALL_LOGIN,
    CALL_REFRESH,
    CALL_LOGOUT,
    CALL_USER,
    CALL_USER_CREATED,
    CALL_USERS,
    CALL_DELETED
};

/* The HTTP answer to an auth ERROR or a local failure of the call. */
static void s_reply_error(cm_http_req_t *req, int status, const cm_msg_t *reply, int kind)
{
    if (status != CM_ERR_UNAUTHORIZED)
        gw_reply_rpc_error(req, status, reply, "auth");
    else if (kind == CALL_LOGIN)
        cm_http_reply_json_error(req, 401, "invalid_credentials", "wrong email or password");
    else
        cm_http_reply_json_error(req, 401, "invalid_refresh_token",
                                 "the refresh token is not valid; log in again");
}

static void s_cookie(struct gw *gw, cm_http_req_t *req, const char *name, const char *value,
                     const char *path, long max_age)
{
    char v[CM_JWT_MAX + 256];
    snprintf(v, sizeof(v), "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s", name, value,
             path, max_age, gw->cookie_secure ? "; Secure" : "");
    cm_http_req_add_header(req, "Set-Cookie", v);
    OPENSSL_cleanse(v, sizeof(v));
}

static json_t *s_user_json(uint64_t id, const char *email, const char *role, const char *name,
                           int64_t created_ms)
{
    json_t *u = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "email", email, "role",
                          role, "displayName", name);
    if (created_ms > 0)
        json_object_set_new(u, "createdAt", gw_json_time(created_ms));
    return u;
}

static void s_on_reply(int status, const cm_msg_t *reply, void *arg)
{
    struct call *c = arg;
    cm_http_req_t *req = c->req;
    if (status != CM_OK) {
        s_reply_error(req, status, reply, c->kind);
        cm_free(c);
        return;
    }
    switch (c->kind) {
    case CALL_LOGIN:
    case CALL_REFRESH: {
        struct auth_tokens t;
        if (auth_tokens_decode(&t, reply->body.data, reply->body.len) < 0) {
            s_reply_error(req, CM_ERR_INTERNAL, NULL, c->kind);
            break;
        }
        s_cookie(c->gw, req, GW_COOKIE_ACCESS, t.access_token, "/api", (long)t.expires_in);
        s_cookie(c->gw, req, GW_COOKIE_REFRESH, t.refresh_token, "/api/auth",
                 (long)t.refresh_expires_in);
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "accessToken", t.access_token,
                              "refreshToken", t.refresh_token, "tokenType", "Bearer", "expiresIn",
                              (json_int_t)t.expires_in, "refreshExpiresIn",
                              (json_int_t)t.refresh_expires_in, "user",
                              s_user_json(t.user_id, t.email, t.role, t.display_name, 0));
        OPENSSL_cleanse(&t, sizeof(t));
        gw_reply_json(req, 200, o);
        break;
    }
    case CALL_LOGOUT:
        s_cookie(c->gw, req, GW_COOKIE_ACCESS, "", "/api", 0);
        s_cookie(c->gw, req, GW_COOKIE_REFRESH, "", "/api/auth", 0);
        cm_http_reply(req, 204, NULL, NULL, 0);
        break;
    case CALL_USER:
    case CALL_USER_CREATED: {
        struct auth_user u;
        if (auth_user_decode(&u, reply->body.data, reply->body.len) < 0) {
            s_reply_error(req, CM_ERR_INTERNAL, NULL, c->kind);
            break;
        }
        gw_reply_json(req, c->kind == CALL_USER_CREATED ? 201 : 200,
                      s_user_json(u.id, u.email, u.role, u.display_name, u.created_ms));
        break;
    }
    case CALL_USERS: {
        struct auth_user_list_ok *l = cm_malloc(sizeof(*l));
        if (auth_user_list_ok_decode(l, reply->body.data, reply->body.len) < 0) {
            cm_free(l);
            s_reply_error(req, CM_ERR_INTERNAL, NULL, c->kind);
            break;
        }
        json_t *arr = json_array();
        for (uint32_t i = 0; i < l->ids_count && i < l->emails_count && i < l->roles_count &&
                             i < l->display_names_count && i < l->created_ms_count;
             i++)
            json_array_append_new(arr, s_user_json(l->ids[i], l->emails[i], l->roles[i],
                                                   l->display_names[i], l->created_ms[i]));
        gw_reply_json(req, 200,
                      json_pack("{s:o, s:I, s:I, s:I}", "results", arr, "page", (json_int_t)c->page,
                                "limit", (json_int_t)c->limit, "total", (json_int_t)l->total));
        cm_free(l);
        break;
    }
    case CALL_DELETED:
        cm_http_reply(req, 204, NULL, NULL, 0);
        break;
    }
    cm_free(c);
}

/* Send `m` (the struct of auth message `msg`) to auth; the reply answers the request. `m` and
 * the encoded body are wiped afterwards: they may hold a password or a token. */
static void s_send(struct gw *gw, cm_http_req_t *req, const struct gw_caller *who, int msg, void *m,
                   size_t msize, int kind, uint32_t page, uint32_t limit)
{
    cm_buf_t *body = cm_buf_new(4096);
    if (auth_msg_encode(msg, m, body) == 0) {
        struct call *c = cm_calloc(1, sizeof(*c));
        c->gw = gw;
        c->req = req;
        if (who)
            c->who = *who;
        c->kind = kind;
        c->page = page;
        c->limit = limit;
        cm_rpc_call(gw->up.auth, NULL, AUTH_PROTO, msg, cm_http_req_id(req), body, NULL,
                    gw->rpc_timeout_ms, s_on_reply, c);
    } else {
        cm_http_reply_json_error(req, 400, "invalid", "the request does not fit");
    }
    OPENSSL_cleanse(m, msize);
    OPENSSL_cleanse((void *)cm_buf_data(body), cm_buf_len(body));
    cm_buf_destroy(&body);
}

/* Parse the body as an object or answer 400; NULL then. */
static json_t *s_body(cm_http_req_t *req, bool empty_ok)
{
    size_t len = 0;
    const void *b = cm_http_req_body(req, &len);
    char err[CM_ERR_LEN];
    json_t *o = gw_json_parse(b, len, empty_ok, err, sizeof(err));
    if (!o)
        cm_http_reply_json_error(req, 400, "bad_json", "%s", err);
    return o;
}

/* Fetch string fields or answer 400. `spec` pairs: key, max, required flag, out pointer. */
struct field {
    const char *key;
    size_t max;
    bool required;
    const char **out;
};

static int s_fields(cm_http_req_t *req, json_t *o, const struct field *f, size_t n)
{
    char err[CM_ERR_LEN];
    for (size_t i = 0; i < n; i++) {
        int r = gw_json_str(o, f[i].key, f[i].max, f[i].out, err, sizeof(err));
        if (r < 0 || (r == 0 && f[i].required)) {
            if (r == 0)
                cm_errf(err, sizeof(err), "%s is required", f[i].key);
            cm_http_reply_json_error(req, 400, "invalid", "%s", err);
            return -1;
        }
    }
    return 0;
}

static void s_user_agent(cm_http_req_t *req, char *out, size_t size)
{
    const char *ua = cm_http_req_header(req, "User-Agent");
    cm_utf8_copy(out, size, ua ? ua : "");
}

/* --- /api/auth --- */

void gw_api_login(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    json_t *o = s_body(req, false);
    if (!o)
        return;
    const char *email = NULL, *password = NULL;
    const struct field f[] = {{"email", 254, true, &email}, {"password", 1024, true, &password}};
    if (s_fields(req, o, f, CM_ARRAY_LEN(f)) < 0) {
        json_decref(o);
        return;
    }
    /* Per account, whatever the address: bounds guessing from a botnet (ASVS V2.2.1). */
    char account[260];
    size_t i = 0;
    for (; email[i] && i < sizeof(account) - 1; i++)
        account[i] = (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32 : email[i]);
    account[i] = '\0';
    if (!gw_rate_take(gw, req, GW_RL_LOGIN_ACCOUNT, account, who->ip)) {
        json_decref(o);
        return;
    }
    struct auth_login m = {0};
    snprintf(m.email, sizeof(m.email), "%s", email);
    snprintf(m.password, sizeof(m.password), "%s", password);
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    s_user_agent(req, m.user_agent, sizeof(m.user_agent));
    json_decref(o); /* jansson frees the password's copy; our own copy is wiped below */
    s_send(gw, req, who, AUTH_MSG_LOGIN, &m, sizeof(m), CALL_LOGIN, 0, 0);
}

/* The refresh token of a refresh or logout: from the body, else from the cookie, which
 * (state-changing, cookie-borne) needs X-Requested-With. 1 found, 2 found but longer than any
 * of ours (so not valid), 0 none, -1 answered. */
static int s_refresh_token(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, json_t *o,
                           char *out, size_t size)
{
    const char *t = NULL;
    char cookie[CM_JWT_MAX + 1];
    const struct field f[] = {{"refreshToken", CM_JWT_MAX, false, &t}};
    if (s_fields(req, o, f, 1) < 0)
        return -1;
    if (!t) {
        if (!gw_cookie(req, GW_COOKIE_REFRESH, cookie, sizeof(cookie)) || !cookie[0])
            return 0;
        const char *x = cm_http_req_header(req, "X-Requested-With");
        if (!x || !x[0]) {
            if (gw_audit_allowed(gw, "csrf_rejected"))
                cm_audit_emit(gw->audit, "csrf_rejected", CM_AUDIT_WARNING, 0,
                              cm_http_req_path(req), who->ip, cm_http_req_id(req),
                              "refresh cookie without X-Requested-With");
            cm_http_reply_json_error(req, 403, "csrf",
                                     "a cookie-authenticated request that changes state must "
                                     "send X-Requested-With");
            return -1;
        }
        t = cookie;
    }
    if (strlen(t) >= size) {
        OPENSSL_cleanse(cookie, sizeof(cookie));
        return 2;
    }
    snprintf(out, size, "%s", t);
    OPENSSL_cleanse(cookie, sizeof(cookie));
    return 1;
}

void gw_api_refresh(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    json_t *o = s_body(req, true);
    if (!o)
        return;
    struct auth_refresh m = {0};
    int r = s_refresh_token(gw, req, who, o, m.refresh_token, sizeof(m.refresh_token));
    json_decref(o);
    if (r < 0)
        return;
    if (r == 0) {
        cm_http_reply_json_error(req, 400, "invalid", "refreshToken is required");
        return;
    }
    if (r == 2) {
        if (gw_audit_allowed(gw, "refresh_failed"))
            cm_audit_emit(gw->audit, "refresh_failed", CM_AUDIT_INFO, 0, "", who->ip,
                          cm_http_req_id(req), "not a refresh token");
        cm_http_reply_json_error(req, 401, "invalid_refresh_token",
                                 "the refresh token is not valid; log in again");
        return;
    }
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    s_user_agent(req, m.user_agent, sizeof(m.user_agent));
    s_send(gw, req, who, AUTH_MSG_REFRESH, &m, sizeof(m), CALL_REFRESH, 0, 0);
}

void gw_api_logout(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    json_t *o = s_body(req, true);
    if (!o)
        return;
    struct auth_logout m = {0};
    int r = s_refresh_token(gw, req, who, o, m.refresh_token, sizeof(m.refresh_token));
    json_decref(o);
    if (r < 0)
        return;
    if (r == 2) { /* nothing of ours to end */
        s_cookie(gw, req, GW_COOKIE_ACCESS, "", "/api", 0);
        s_cookie(gw, req, GW_COOKIE_REFRESH, "", "/api/auth", 0);
        cm_http_reply(req, 204, NULL, NULL, 0);
        return;
    }
    if (r == 0) {
        /* No refresh token: the session of the access token, if one is presented. */
        if (gw_auth_check(gw, req, GW_USER, who) < 0)
            return;
        snprintf(m.session_id, sizeof(m.session_id), "%s", who->c.sid);
        m.user_id = who->c.user_id;
    }
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    s_send(gw, req, who, AUTH_MSG_LOGOUT, &m, sizeof(m), CALL_LOGOUT, 0, 0);
}

void gw_api_me(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(gw);
    CM_UNUSED(arg);
    /* Every change to a user voids its older tokens (cm_revoke), so the claims are current. */
    gw_reply_json(req, 200, s_user_json(who->c.user_id, who->c.email, who->c.role, who->c.name, 0));
}

/* --- /api/users (admin) --- */

void gw_api_user_create(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    json_t *o = s_body(req, false);
    if (!o)
        return;
    const char *email = NULL, *password = NULL, *role = NULL, *name = NULL;
    const struct field f[] = {{"email", 254, true, &email},
                              {"password", 1024, true, &password},
                              {"role", 16, false, &role},
                              {"displayName", 100, false, &name}};
    if (s_fields(req, o, f, CM_ARRAY_LEN(f)) < 0) {
        json_decref(o);
        return;
    }
    struct auth_user_create m = {.actor_id = who->c.user_id};
    snprintf(m.email, sizeof(m.email), "%s", email);
    snprintf(m.password, sizeof(m.password), "%s", password);
    snprintf(m.role, sizeof(m.role), "%s", role ? role : "user");
    snprintf(m.display_name, sizeof(m.display_name), "%s", name ? name : "");
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    json_decref(o);
    s_send(gw, req, who, AUTH_MSG_USER_CREATE, &m, sizeof(m), CALL_USER_CREATED, 0, 0);
}

void gw_api_user_list(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    CM_UNUSED(arg);
    long page = cm_http_query_uint(cm_http_req_query(req), "page", 1, 1, 1000000);
    long limit = cm_http_query_uint(cm_http_req_query(req), "limit", 50, 1, 100);
    if (page < 0 || limit < 0) {
        cm_http_reply_json_error(req, 400, "invalid", "page must be 1..1000000 and limit 1..100");
        return;
    }
    struct auth_user_list m = {.offset = (uint32_t)((page - 1) * limit), .limit = (uint32_t)limit};
    s_send(gw, req, who, AUTH_MSG_USER_LIST, &m, sizeof(m), CALL_USERS, (uint32_t)page,
           (uint32_t)limit);
}

void gw_api_user_update(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such user");
        return;
    }
    json_t *o = s_body(req, false);
    if (!o)
        return;
    const char *password = NULL, *role = NULL, *name = NULL;
    const struct field f[] = {{"password", 1024, false, &password},
                              {"role", 16, false, &role},
                              {"displayName", 100, false, &name}};
    if (s_fields(req, o, f, CM_ARRAY_LEN(f)) < 0) {
        json_decref(o);
        return;
    }
    if (!password && !role && !name) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid",
                                 "nothing to change: send role, password or displayName");
        return;
    }
    if ((role && !role[0]) || (password && !password[0])) {
        json_decref(o);
        cm_http_reply_json_error(req, 400, "invalid", "role and password must not be empty");
        return;
    }
    struct auth_user_update m = {.id = id, .actor_id = who->c.user_id};
    snprintf(m.password, sizeof(m.password), "%s", password ? password : "");
    snprintf(m.role, sizeof(m.role), "%s", role ? role : "");
    snprintf(m.display_name, sizeof(m.display_name), "%s", name ? name : "");
    m.set_display_name = name != NULL;
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    json_decref(o);
    s_send(gw, req, who, AUTH_MSG_USER_UPDATE, &m, sizeof(m), CALL_USER, 0, 0);
}

void gw_api_user_delete(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg)
{
    uint64_t id = gw_path_id(arg);
    if (!id) {
        cm_http_reply_json_error(req, 404, "not_found", "no such user");
        return;
    }
    struct auth_user_delete m = {.id = id, .actor_id = who->c.user_id};
    snprintf(m.ip, sizeof(m.ip), "%s", who->ip);
    s_send(gw, req, who, AUTH_MSG_USER_DELETE, &m, sizeof(m), CALL_DELETED, 0, 0);
}
