/* SPDX-License-Identifier: MIT
 * auth_users: user administration (create, list, change, delete) for admins, through the
 * gateway's role guard; and the first admin at start-up.
 *
 * Every change to a user bumps users.token_version and puts (user, new version) into the
 * revocation feed: the gateways then refuse that user's older access tokens, and the client's
 * next refresh carries the new role or name. A password change also revokes every session of
 * the user; a deletion voids every token the user ever had. */
#include <openssl/crypto.h>
#include "auth.h"
#include "auth_msg.h"
#include "cm_token.h"

struct uop {
    struct auth *a;
    cm_defer_t *defer;
    uint64_t rid;
    uint64_t actor;
    uint64_t id;
    char ip[65];
    char email[255];
    char role[17];
    char name[101];
    bool set_name;
    uint32_t limit, offset; /* USER_LIST */
    uint64_t total;         /* USER_LIST */
    char *pw;               /* wiped */
    size_t pwlen;
};

static struct uop *s_uop_new(struct auth *a, cm_rpc_t *rpc, const cm_msg_t *msg)
{
    struct uop *op = cm_calloc(1, sizeof(*op));
    op->a = a;
    op->defer = cm_rpc_defer(rpc, msg);
    op->rid = msg->hdr.rid;
    return op;
}

static void s_uop_free(struct uop *op)
{
    if (op->defer)
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "request abandoned");
    if (op->pw) {
        OPENSSL_cleanse(op->pw, op->pwlen);
        cm_free(op->pw);
    }
    cm_free(op);
}

static void s_take_password(struct uop *op, char *pw, size_t size)
{
    op->pwlen = strlen(pw);
    op->pw = cm_malloc(op->pwlen + 1);
    memcpy(op->pw, pw, op->pwlen + 1);
    OPENSSL_cleanse(pw, size);
}

/* Answer with USER from a row (id, email, role, display_name, created_ms, updated_ms). */
static void s_reply_user(cm_defer_t **defer, const PGresult *res, int row)
{
    struct auth_user u = {.id = auth_col_u64(res, row, 0)};
    auth_col(res, row, 1, u.email, sizeof(u.email));
    auth_col(res, row, 2, u.role, sizeof(u.role));
    auth_col(res, row, 3, u.display_name, sizeof(u.display_name));
    u.created_ms = (int64_t)auth_col_u64(res, row, 4);
    u.updated_ms = (int64_t)auth_col_u64(res, row, 5);
    cm_buf_t *body = cm_buf_new(1024);
    if (auth_user_encode(&u, body) == 0)
        cm_defer_reply(defer, AUTH_PROTO, AUTH_MSG_USER, body, NULL);
    else
        cm_defer_error(defer, CM_ERR_INTERNAL, "cannot encode USER");
    cm_buf_destroy(&body);
}

#define USER_COLS                                                                                  \
    "id, email, role, display_name, (extract(epoch FROM created_at) * 1000)::bigint, "             \
    "(extract(epoch FROM updated_at) * 1000)::bigint"

/* A password hash that could not be made answers the request. */
static void s_hash_failed(struct uop *op, int status)
{
    cm_defer_error(&op->defer, status == CM_ERR_BUSY ? CM_ERR_BUSY : CM_ERR_INTERNAL,
                   "cannot hash the password now; try again in a second");
    s_uop_free(op);
}

/* --- USER_CREATE --- */

static const char s_sql_create[] = "INSERT INTO users (email, role, display_name, password_hash) "
                                   "VALUES ($1, $2, $3, $4) RETURNING " USER_COLS;

static void s_on_created(int status, const PGresult *res, void *arg)
{
    struct uop *op = arg;
    if (status == CM_ERR_DB && strcmp(cm_pg_sqlstate(res), "23505") == 0) {
        cm_defer_error(&op->defer, CM_ERR_CONFLICT, "a user with this email exists");
    } else if (status != CM_OK || PQntuples(res) != 1) {
        auth_db_error(&op->defer, status == CM_OK ? CM_ERR_INTERNAL : status, res,
                      "creating the user");
    } else {
        uint64_t id = auth_col_u64(res, 0, 0);
        char target[64];
        snprintf(target, sizeof(target), "user:%" PRIu64, id);
        auth_event(op->a, "user_created", CM_AUDIT_INFO, op->actor, target, op->ip, op->rid,
                   "role %s", op->role);
        s_reply_user(&op->defer, res, 0);
    }
    s_uop_free(op);
}

static void s_on_create_hashed(int status, const char *encoded, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        s_hash_failed(op, status);
        return;
    }
    const char *params[] = {op->email, op->role, op->name, encoded};
    cm_pg_query(op->a->pg, s_sql_create, 4, params, 0, s_on_created, op);
}

static void s_on_create(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_user_create m;
    char err[CM_ERR_LEN];
    if (auth_user_create_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "USER_CREATE does not decode");
        return;
    }
    if (!m.role[0])
        snprintf(m.role, sizeof(m.role), "user");
    if (auth_check_email(m.email, err, sizeof(err)) < 0 ||
        auth_check_role(m.role, err, sizeof(err)) < 0 ||
        auth_check_display_name(m.display_name, err, sizeof(err)) < 0 ||
        auth_pw_policy(m.password, strlen(m.password), err, sizeof(err)) < 0) {
        OPENSSL_cleanse(m.password, sizeof(m.password));
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "%s", err);
        return;
    }
    struct uop *op = s_uop_new(a, rpc, msg);
    op->actor = m.actor_id;
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    snprintf(op->email, sizeof(op->email), "%s", m.email);
    snprintf(op->role, sizeof(op->role), "%s", m.role);
    snprintf(op->name, sizeof(op->name), "%s", m.display_name);
    s_take_password(op, m.password, sizeof(m.password));
    if (auth_pw_hash(a->pw, op->pw, op->pwlen, s_on_create_hashed, op) < 0) {
        s_hash_failed(op, CM_ERR_BUSY);
    }
}

/* --- USER_LIST --- */

static const char s_sql_list[] = "SELECT " USER_COLS ", (SELECT count(*) FROM users) "
                                 "FROM users ORDER BY id LIMIT $1 OFFSET $2";

static void s_on_listed(int status, const PGresult *res, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "listing users");
        s_uop_free(op);
        return;
    }
    struct auth_user_list_ok *r = cm_calloc(1, sizeof(*r));
    int n = PQntuples(res);
    for (int i = 0; i < n && i < AUTH_LIST_MAX; i++) {
        r->ids[r->ids_count++] = auth_col_u64(res, i, 0);
        auth_col(res, i, 1, r->emails[r->emails_count++], sizeof(r->emails[0]));
        auth_col(res, i, 2, r->roles[r->roles_count++], sizeof(r->roles[0]));
        auth_col(res, i, 3, r->display_names[r->display_names_count++],
                 sizeof(r->display_names[0]));
        r->created_ms[r->created_ms_count++] = (int64_t)auth_col_u64(res, i, 4);
        r->total = auth_col_u64(res, i, 6);
    }
    cm_buf_t *body = cm_buf_new(64 * 1024);
    if (n == 0) {
        /* a page past the end still says how many there are */
        r->total = op->total;
    }
    if (auth_user_list_ok_encode(r, body) == 0)
        cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_USER_LIST_OK, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode USER_LIST_OK");
    cm_buf_destroy(&body);
    cm_free(r);
    s_uop_free(op);
}

static const char s_sql_count[] = "SELECT count(*) FROM users";

static void s_on_counted(int status, const PGresult *res, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "listing users");
        s_uop_free(op);
        return;
    }
    op->total = auth_col_u64(res, 0, 0);
    char limit[16], offset[16];
    snprintf(limit, sizeof(limit), "%" PRIu32, op->limit);
    snprintf(offset, sizeof(offset), "%" PRIu32, op->offset);
    const char *params[] = {limit, offset};
    cm_pg_query(op->a->pg, s_sql_list, 2, params, 0, s_on_listed, op);
}

static void s_on_list(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_user_list m;
    if (auth_user_list_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "USER_LIST does not decode");
        return;
    }
    if (m.limit == 0)
        m.limit = 50;
    if (m.limit > AUTH_LIST_MAX || m.offset > 100000000) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "limit must be 1..%d", AUTH_LIST_MAX);
        return;
    }
    struct uop *op = s_uop_new(a, rpc, msg);
    op->limit = m.limit;
    op->offset = m.offset;
    cm_pg_query(a->pg, s_sql_count, 0, NULL, 0, s_on_counted, op);
}

/* --- USER_UPDATE --- */

static const char s_sql_update[] =
    "WITH u AS (UPDATE users SET role = coalesce(nullif($2, ''), role), "
    "display_name = CASE WHEN $3::bool THEN $4 ELSE display_name END, "
    "password_hash = coalesce(nullif($5, ''), password_hash), updated_at = now(), "
    "token_version = token_version + 1 WHERE id = $1 "
    "RETURNING " USER_COLS ", token_version), "
    "rv AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'password' "
    "WHERE $5 <> '' AND user_id IN (SELECT id FROM u) AND revoked_at IS NULL "
    "RETURNING id, user_id), "
    "f1 AS (INSERT INTO revocations (session_id, user_id) SELECT id, user_id FROM rv), "
    "f2 AS (INSERT INTO revocations (user_id, min_version) SELECT id, token_version FROM u) "
    "SELECT * FROM u";

static void s_on_updated(int status, const PGresult *res, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status == CM_OK ? CM_ERR_INTERNAL : status, res,
                      "updating the user");
    } else if (PQntuples(res) != 1) {
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such user");
    } else {
        char target[64];
        snprintf(target, sizeof(target), "user:%" PRIu64, op->id);
        auth_event(op->a, "user_updated", CM_AUDIT_INFO, op->actor, target, op->ip, op->rid,
                   "changed:%s%s%s", op->role[0] ? " role" : "", op->pw ? " password" : "",
                   op->set_name ? " displayName" : "");
        s_reply_user(&op->defer, res, 0);
    }
    s_uop_free(op);
}

static void s_update_run(struct uop *op, const char *encoded)
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, op->id);
    const char *params[] = {id, op->role, op->set_name ? "true" : "false", op->name,
                            encoded ? encoded : ""};
    cm_pg_query(op->a->pg, s_sql_update, 5, params, 0, s_on_updated, op);
}

static void s_on_update_hashed(int status, const char *encoded, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        s_hash_failed(op, status);
        return;
    }
    s_update_run(op, encoded);
}

static void s_on_update(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_user_update m;
    char err[CM_ERR_LEN];
    if (auth_user_update_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "USER_UPDATE does not decode");
        return;
    }
    if ((m.role[0] && auth_check_role(m.role, err, sizeof(err)) < 0) ||
        (m.set_display_name && auth_check_display_name(m.display_name, err, sizeof(err)) < 0) ||
        (m.password[0] && auth_pw_policy(m.password, strlen(m.password), err, sizeof(err)) < 0)) {
        OPENSSL_cleanse(m.password, sizeof(m.password));
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "%s", err);
        return;
    }
    struct uop *op = s_uop_new(a, rpc, msg);
    op->id = m.id;
    op->actor = m.actor_id;
    op->set_name = m.set_display_name;
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    snprintf(op->role, sizeof(op->role), "%s", m.role);
    snprintf(op->name, sizeof(op->name), "%s", m.display_name);
    if (!m.password[0]) {
        s_update_run(op, NULL);
        return;
    }
    s_take_password(op, m.password, sizeof(m.password));
    if (auth_pw_hash(a->pw, op->pw, op->pwlen, s_on_update_hashed, op) < 0) {
        s_hash_failed(op, CM_ERR_BUSY);
    }
}

/* --- USER_DELETE --- */

/* Sessions go with the user (ON DELETE CASCADE); the feed voids every token it had. */
static const char s_sql_delete[] = "WITH d AS (DELETE FROM users WHERE id = $1 RETURNING id), "
                                   "f AS (INSERT INTO revocations (user_id, min_version) "
                                   "SELECT id, 9223372036854775807 FROM d) "
                                   "SELECT count(*) FROM d";

static void s_on_deleted(int status, const PGresult *res, void *arg)
{
    struct uop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "deleting the user");
    } else if (auth_col_u64(res, 0, 0) == 0) {
        cm_defer_error(&op->defer, CM_ERR_NOT_FOUND, "no such user");
    } else {
        char target[64];
        snprintf(target, sizeof(target), "user:%" PRIu64, op->id);
        auth_event(op->a, "user_deleted", CM_AUDIT_INFO, op->actor, target, op->ip, op->rid,
                   "user and sessions deleted");
        cm_buf_t *body = cm_buf_new(16);
        struct auth_user_delete_ok r = {0};
        if (auth_user_delete_ok_encode(&r, body) == 0)
            cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_USER_DELETE_OK, body, NULL);
        cm_buf_destroy(&body);
    }
    s_uop_free(op);
}

static void s_on_delete(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_user_delete m;
    if (auth_user_delete_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "USER_DELETE does not decode");
        return;
    }
    struct uop *op = s_uop_new(a, rpc, msg);
    op->id = m.id;
    op->actor = m.actor_id;
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, m.id > INT64_MAX ? 0 : m.id);
    const char *params[] = {id};
    cm_pg_query(a->pg, s_sql_delete, 1, params, 0, s_on_deleted, op);
}

void auth_users_register(struct auth *a)
{
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_USER_CREATE, s_on_create, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_USER_LIST, s_on_list, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_USER_UPDATE, s_on_update, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_USER_DELETE, s_on_delete, a);
}
