/* SPDX-License-Identifier: MIT
 * auth_api: logins, refresh-token rotation with reuse detection, logout, and the revocation
 * feed the gateways poll.
 *
 * Refresh tokens are 256 random bits; only their SHA-256 is stored. A refresh rotates the
 * session's token in place, in one statement that also tells the three outcomes apart:
 *   - won: the UPDATE matched the current token (row lock: of many concurrent refreshes with
 *     one token exactly one matches; the others re-check the row after the winner commits and
 *     find a new hash);
 *   - concurrent: the statement's snapshot, taken before the winner committed, still saw the
 *     token as current: a client racing itself, not a thief. 401, the session lives on;
 *   - reuse: the token is one the session already rotated out (refresh_used) and the request
 *     came after the rotation: RFC 9700 §4.14.2 says the server cannot tell thief from owner,
 *     so the whole session is revoked and a critical audit event written.
 * One auth process talks to PostgreSQL over one connection, one query at a time, so refreshes
 * that arrive together would run one after the other and all but the first would look like
 * reuse. So a refresh is concurrent too when it arrives while another with the same token is
 * still unanswered here; the winner's answer is held until REFRESH_RACE_WINDOW after its
 * arrival, which gathers a burst of a client's own refreshes into that window. A legitimate
 * client can only present its old token again after it received the new one, so reuse is
 * still caught every time. Between several auth replicas, the statement's snapshot does it.
 *
 * Every session revocation and every change to a user goes into the `revocations` feed,
 * which the gateways poll, so access tokens of a dead session stop working there too. */
#include <stdarg.h>
#include <openssl/crypto.h>
#include "auth.h"
#include "auth_msg.h"
#include "cm_token.h"

/* A request being answered across a few callbacks. */
struct op {
    struct auth *a;
    cm_defer_t *defer;
    uint64_t rid;
    struct auth_user_row user;
    char sid[AUTH_SID_HEX + 1];
    char token[AUTH_REFRESH_LEN + 1]; /* the new refresh token */
    char old_hash[65];                /* the presented token's SHA-256, hex */
    char ip[65];
    char ua[257];
    char email[255];
    struct auth_inflight *slot; /* REFRESH: this token's in-flight entry */
    uint64_t arrived_ms;        /* REFRESH: when it arrived (monotonic) */
    struct event *hold;         /* REFRESH: holds the winner's answer */
    struct op *prev, *next;     /* REFRESH: in auth's list of held answers */
    int left_s;                 /* REFRESH: the session's remaining life */
    char *encoded;              /* the stored password hash, for a rehash after login */
    char *pw;                   /* a copy of the password, for that rehash; wiped */
    size_t pwlen;
};

static struct op *s_op_new(struct auth *a, cm_defer_t *defer, uint64_t rid)
{
    struct op *op = cm_calloc(1, sizeof(*op));
    op->a = a;
    op->defer = defer;
    op->rid = rid;
    return op;
}

static void s_op_free(struct op *op)
{
    if (!op)
        return;
    if (op->defer)
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "request abandoned");
    if (op->slot)
        op->slot->hash[0] = '\0';
    if (op->hold) {
        event_free(op->hold);
        if (op->prev)
            op->prev->next = op->next;
        else
            op->a->held = op->next;
        if (op->next)
            op->next->prev = op->prev;
    }
    if (op->pw) {
        OPENSSL_cleanse(op->pw, op->pwlen);
        cm_free(op->pw);
    }
    cm_free(op->encoded);
    OPENSSL_cleanse(op->token, sizeof(op->token));
    cm_free(op);
}

/* --- shared helpers --- */

void auth_col(const PGresult *res, int row, int col, char *out, size_t size)
{
    out[0] = '\0';
    if (PQgetisnull(res, row, col))
        return;
    snprintf(out, size, "%s", PQgetvalue(res, row, col));
}

uint64_t auth_col_u64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    return strtoull(PQgetvalue(res, row, col), NULL, 10);
}

void auth_event(struct auth *a, const char *event, int severity, uint64_t actor_id,
                const char *target, const char *ip, uint64_t rid, const char *fmt, ...)
{
    struct auth_audit ev = {
        .ts_ms = cm_now_ms(), .severity = (uint8_t)severity, .actor_id = actor_id, .rid = rid};
    snprintf(ev.event, sizeof(ev.event), "%s", event);
    snprintf(ev.service, sizeof(ev.service), "auth");
    snprintf(ev.target, sizeof(ev.target), "%s", target ? target : "");
    snprintf(ev.ip, sizeof(ev.ip), "%s", ip ? ip : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.detail, sizeof(ev.detail), fmt, ap);
    va_end(ap);
    auth_audit_add(a->audit, &ev);
}

int auth_check_email(const char *email, char *err, size_t errlen)
{
    size_t n = strlen(email);
    const char *at = strchr(email, '@');
    if (n < 3 || n > 254 || !at || at == email || !at[1] || strchr(at + 1, '@')) {
        cm_errf(err, errlen, "email must look like name@host (3 to 254 bytes)");
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)email; *p; p++)
        if (*p <= ' ' || *p == 0x7f) {
            cm_errf(err, errlen, "email must not contain spaces or control characters");
            return -1;
        }
    if (!cm_utf8_valid(email, n, false)) {
        cm_errf(err, errlen, "email must be UTF-8");
        return -1;
    }
    return 0;
}

int auth_check_role(const char *role, char *err, size_t errlen)
{
    if (strcmp(role, "user") == 0 || strcmp(role, "admin") == 0)
        return 0;
    cm_errf(err, errlen, "role must be user or admin");
    return -1;
}

int auth_check_display_name(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n > 100 || !cm_utf8_valid(name, n, false)) {
        cm_errf(err, errlen, "displayName must be UTF-8 of at most 100 bytes");
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < ' ' || *p == 0x7f) {
            cm_errf(err, errlen, "displayName must not contain control characters");
            return -1;
        }
    return 0;
}

/* A fresh refresh token and its SHA-256 (hex). */
static void s_new_refresh(char token[AUTH_REFRESH_LEN + 1], char hash[65])
{
    unsigned char raw[AUTH_REFRESH_BYTES];
    cm_rand_bytes(raw, sizeof(raw));
    cm_b64url_encode(raw, sizeof(raw), token);
    OPENSSL_cleanse(raw, sizeof(raw));
    cm_sha256_hex(token, AUTH_REFRESH_LEN, hash);
}

/* Is `t` shaped like one of our refresh tokens? (Anything else is unknown at once.) */
static bool s_refresh_shaped(const char *t)
{
    size_t n = strlen(t);
    if (n != AUTH_REFRESH_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

void auth_reply_tokens(struct auth *a, cm_defer_t **defer, const struct auth_user_row *u,
                       const char *sid, const char *refresh_token, int refresh_left_s)
{
    struct cm_jwt_claims c = {.user_id = u->id, .ver = u->version};
    snprintf(c.role, sizeof(c.role), "%s", u->role);
    snprintf(c.sid, sizeof(c.sid), "%s", sid);
    snprintf(c.email, sizeof(c.email), "%s", u->email);
    snprintf(c.name, sizeof(c.name), "%s", u->name);
    c.iat = c.nbf = (int64_t)(cm_now_ms() / 1000);
    c.exp = c.iat + a->access_ttl_s;
    struct auth_tokens r = {.expires_in = (uint32_t)a->access_ttl_s,
                            .refresh_expires_in =
                                (uint32_t)(refresh_left_s > 0 ? refresh_left_s : 0),
                            .user_id = u->id};
    char err[CM_ERR_LEN];
    if (cm_jwt_sign(&a->jwt, &c, r.access_token, sizeof(r.access_token), err, sizeof(err)) < 0) {
        cm_log_e("auth", cm_defer_rid(*defer), "cannot sign an access token: %s", err);
        cm_defer_error(defer, CM_ERR_INTERNAL, "cannot sign an access token");
        return;
    }
    snprintf(r.refresh_token, sizeof(r.refresh_token), "%s", refresh_token);
    snprintf(r.session_id, sizeof(r.session_id), "%s", sid);
    snprintf(r.email, sizeof(r.email), "%s", u->email);
    snprintf(r.role, sizeof(r.role), "%s", u->role);
    snprintf(r.display_name, sizeof(r.display_name), "%s", u->name);
    cm_buf_t *body = cm_buf_new(8192);
    if (auth_tokens_encode(&r, body) == 0)
        cm_defer_reply(defer, AUTH_PROTO, AUTH_MSG_TOKENS, body, NULL);
    else
        cm_defer_error(defer, CM_ERR_INTERNAL, "cannot encode TOKENS");
    cm_buf_destroy(&body);
    OPENSSL_cleanse(&r, sizeof(r));
}

void auth_db_error(cm_defer_t **defer, int status, const PGresult *res, const char *what)
{
    if (status == CM_ERR_DB)
        cm_log_e("auth", cm_defer_rid(*defer), "%s failed: SQLSTATE %s", what, cm_pg_sqlstate(res));
    cm_defer_error(defer, status == CM_ERR_DB ? CM_ERR_INTERNAL : status, "%s failed", what);
}

/* --- LOGIN --- */

static const char s_sql_login_user[] =
    "SELECT id, email, role, display_name, token_version, password_hash FROM users "
    "WHERE lower(email) = lower($1)";

/* Insert the session; evict the least recently used ones over the cap (their access tokens
 * die through the feed). The new row is invisible to the eviction's snapshot, so it keeps
 * max - 1 of the older ones. */
static const char s_sql_login_session[] =
    "WITH ins AS (INSERT INTO sessions (id, user_id, token_hash, expires_at, chain_expires_at, "
    "ip, user_agent) VALUES ($1, $2, decode($3, 'hex'), now() + make_interval(secs => $4), "
    "now() + make_interval(secs => $5), $6, $7) RETURNING id), "
    "ev AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'evicted' "
    "WHERE user_id = $2 AND revoked_at IS NULL AND id NOT IN (SELECT id FROM sessions "
    "WHERE user_id = $2 AND revoked_at IS NULL ORDER BY last_used_at DESC LIMIT $8) "
    "RETURNING id) "
    "INSERT INTO revocations (session_id, user_id) SELECT id, $2 FROM ev "
    "RETURNING (SELECT count(*) FROM ins)";

static const char s_sql_rehash[] =
    "UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3";

static void s_on_rehash_done(int status, const PGresult *res, void *arg)
{
    CM_UNUSED(res);
    struct op *op = arg;
    if (status == CM_OK)
        cm_log_i("auth", op->rid, "user %" PRIu64 ": password rehashed with current parameters",
                 op->user.id);
    s_op_free(op);
}

static void s_on_rehash(int status, const char *encoded, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK) {
        s_op_free(op);
        return;
    }
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, op->user.id);
    const char *params[] = {id, encoded, op->encoded};
    cm_pg_query(op->a->pg, s_sql_rehash, 3, params, 0, s_on_rehash_done, op);
}

static void s_on_login_session(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    struct auth *a = op->a;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "opening a session");
        s_op_free(op);
        return;
    }
    char target[300];
    snprintf(target, sizeof(target), "user:%" PRIu64, op->user.id);
    auth_event(a, "login_success", CM_AUDIT_INFO, op->user.id, target, op->ip, op->rid,
               "session %s opened", op->sid);
    auth_reply_tokens(a, &op->defer, &op->user, op->sid, op->token, a->refresh_ttl_s);
    /* Rehash with the current parameters when the stored ones are weaker (P-02). */
    if (op->encoded && auth_pw_needs_rehash(a->pw, op->encoded) && op->pw &&
        auth_pw_hash(a->pw, op->pw, op->pwlen, s_on_rehash, op) == 0)
        return;
    s_op_free(op);
}

static void s_on_login_verified(int status, bool needs_rehash, void *arg)
{
    CM_UNUSED(needs_rehash);
    struct op *op = arg;
    struct auth *a = op->a;
    if (status == CM_ERR_BUSY || status == CM_ERR_SHUTDOWN) {
        cm_defer_error(&op->defer, status, "too many logins at once; try again in a second");
        s_op_free(op);
        return;
    }
    if (status != CM_OK || op->user.id == 0) {
        auth_event(a, "login_failed", CM_AUDIT_WARNING, op->user.id, "", op->ip, op->rid, "%s",
                   op->user.id ? "wrong password" : "unknown email");
        cm_defer_error(&op->defer, CM_ERR_UNAUTHORIZED, "wrong email or password");
        s_op_free(op);
        return;
    }
    char hash[65], id[24], ttl[24], chain[24], keep[24];
    s_new_refresh(op->token, hash);
    cm_rand_hex(op->sid, AUTH_SID_HEX / 2);
    snprintf(id, sizeof(id), "%" PRIu64, op->user.id);
    snprintf(ttl, sizeof(ttl), "%d",
             a->refresh_ttl_s < a->chain_ttl_s ? a->refresh_ttl_s : a->chain_ttl_s);
    snprintf(chain, sizeof(chain), "%d", a->chain_ttl_s);
    snprintf(keep, sizeof(keep), "%d", a->sessions_max - 1);
    const char *params[] = {op->sid, id, hash, ttl, chain, op->ip, op->ua, keep};
    cm_pg_query(a->pg, s_sql_login_session, 8, params, 0, s_on_login_session, op);
}

static void s_on_login_user(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    struct auth *a = op->a;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "looking up the user");
        s_op_free(op);
        return;
    }
    if (PQntuples(res) == 1) {
        op->user.id = auth_col_u64(res, 0, 0);
        auth_col(res, 0, 1, op->user.email, sizeof(op->user.email));
        auth_col(res, 0, 2, op->user.role, sizeof(op->user.role));
        auth_col(res, 0, 3, op->user.name, sizeof(op->user.name));
        op->user.version = auth_col_u64(res, 0, 4);
        op->encoded = cm_strdup(PQgetvalue(res, 0, 5));
    }
    /* An unknown email is checked against a dummy hash: the same work, the same answer. */
    if (auth_pw_verify(a->pw, op->encoded, op->pw, op->pwlen, s_on_login_verified, op) < 0) {
        cm_defer_error(&op->defer, CM_ERR_BUSY, "too many logins at once; try again in a second");
        s_op_free(op);
    }
}

static void s_on_login(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_login m;
    if (auth_login_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "LOGIN does not decode");
        return;
    }
    struct op *op = s_op_new(a, cm_rpc_defer(rpc, msg), msg->hdr.rid);
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    snprintf(op->ua, sizeof(op->ua), "%s", m.user_agent);
    snprintf(op->email, sizeof(op->email), "%s", m.email);
    op->pwlen = strlen(m.password);
    op->pw = cm_malloc(op->pwlen + 1);
    memcpy(op->pw, m.password, op->pwlen + 1);
    OPENSSL_cleanse(m.password, sizeof(m.password));
    const char *params[] = {op->email};
    cm_pg_query(a->pg, s_sql_login_user, 1, params, 0, s_on_login_user, op);
}

/* --- REFRESH --- */

/* The in-flight entry of `hash`, or NULL. */
static struct auth_inflight *s_inflight_find(struct auth *a, const char *hash)
{
    for (size_t i = 0; i < AUTH_INFLIGHT_MAX; i++)
        if (a->inflight[i].hash[0] && strcmp(a->inflight[i].hash, hash) == 0)
            return &a->inflight[i];
    return NULL;
}

static struct auth_inflight *s_inflight_add(struct auth *a, const char *hash)
{
    for (size_t i = 0; i < AUTH_INFLIGHT_MAX; i++)
        if (!a->inflight[i].hash[0]) {
            snprintf(a->inflight[i].hash, sizeof(a->inflight[i].hash), "%s", hash);
            return &a->inflight[i];
        }
    return NULL;
}

/* Rotate in one statement; see the top of this file for the three outcomes. The statement
 * always returns one row: (seen, then the session and its user when it won). */
static const char s_sql_refresh[] =
    "WITH seen AS (SELECT id FROM sessions WHERE token_hash = decode($1, 'hex')), "
    "upd AS (UPDATE sessions s SET token_hash = decode($2, 'hex'), last_used_at = now(), "
    "expires_at = least(now() + make_interval(secs => $3), s.chain_expires_at), "
    "ip = $4, user_agent = $5 FROM users u "
    "WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL AND s.expires_at > now() "
    "AND s.chain_expires_at > now() "
    "AND u.id = s.user_id "
    "RETURNING s.id, u.id AS uid, u.email, u.role, u.display_name, u.token_version, "
    "greatest(0, extract(epoch FROM s.expires_at - now()))::bigint AS left_s), "
    "used AS (INSERT INTO refresh_used (token_hash, session_id) "
    "SELECT decode($1, 'hex'), id FROM upd) "
    "SELECT (SELECT count(*) FROM seen), upd.* FROM (SELECT 1) one LEFT JOIN upd ON true";

/* A rotated-out token presented again: revoke its session. One row when it was one. */
static const char s_sql_reuse[] =
    "WITH r AS (SELECT session_id FROM refresh_used WHERE token_hash = decode($1, 'hex')), "
    "rv AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'reuse' "
    "WHERE id IN (SELECT session_id FROM r) AND revoked_at IS NULL RETURNING id, user_id), "
    "feed AS (INSERT INTO revocations (session_id, user_id) SELECT id, user_id FROM rv) "
    "SELECT r.session_id, s.user_id, (SELECT count(*) FROM rv) FROM r "
    "JOIN sessions s ON s.id = r.session_id";

static void s_refresh_denied(struct op *op, const char *why)
{
    auth_event(op->a, "refresh_failed", CM_AUDIT_INFO, op->user.id, "", op->ip, op->rid, "%s", why);
    cm_defer_error(&op->defer, CM_ERR_UNAUTHORIZED, "the refresh token is not valid");
    s_op_free(op);
}

static void s_on_reuse(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "checking a refresh token");
        s_op_free(op);
        return;
    }
    if (PQntuples(res) != 1) {
        s_refresh_denied(op, "unknown refresh token");
        return;
    }
    char sid[40], target[64];
    auth_col(res, 0, 0, sid, sizeof(sid));
    op->user.id = auth_col_u64(res, 0, 1);
    bool revoked_now = auth_col_u64(res, 0, 2) > 0;
    snprintf(target, sizeof(target), "session:%s", sid);
    auth_event(op->a, "refresh_reuse", CM_AUDIT_CRITICAL, op->user.id, target, op->ip, op->rid,
               "a rotated refresh token was presented again; %s",
               revoked_now ? "the session is revoked" : "the session was already revoked");
    cm_log_w("auth", op->rid, "refresh token reuse on session %s (user %" PRIu64 ")", sid,
             op->user.id);
    cm_defer_error(&op->defer, CM_ERR_UNAUTHORIZED, "the refresh token is not valid");
    s_op_free(op);
}

static void s_on_refresh_hold(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct op *op = arg;
    auth_reply_tokens(op->a, &op->defer, &op->user, op->sid, op->token, op->left_s);
    s_op_free(op);
}

static void s_on_refresh(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    struct auth *a = op->a;
    if (status != CM_OK || PQntuples(res) != 1) {
        auth_db_error(&op->defer, status == CM_OK ? CM_ERR_INTERNAL : status, res,
                      "rotating a refresh token");
        s_op_free(op);
        return;
    }
    uint64_t seen = auth_col_u64(res, 0, 0);
    if (PQgetisnull(res, 0, 1)) {
        if (seen) {
            /* Current when this request began: a concurrent refresh won, or the session
             * expired or was revoked. Not reuse. */
            s_refresh_denied(op, "concurrent refresh, or an expired or revoked session");
            return;
        }
        const char *params[] = {op->old_hash};
        cm_pg_query(a->pg, s_sql_reuse, 1, params, 0, s_on_reuse, op);
        return;
    }
    auth_col(res, 0, 1, op->sid, sizeof(op->sid));
    op->user.id = auth_col_u64(res, 0, 2);
    auth_col(res, 0, 3, op->user.email, sizeof(op->user.email));
    auth_col(res, 0, 4, op->user.role, sizeof(op->user.role));
    auth_col(res, 0, 5, op->user.name, sizeof(op->user.name));
    op->user.version = auth_col_u64(res, 0, 6);
    op->left_s = (int)auth_col_u64(res, 0, 7);
    char target[64];
    snprintf(target, sizeof(target), "session:%s", op->sid);
    auth_event(a, "refresh", CM_AUDIT_INFO, op->user.id, target, op->ip, op->rid,
               "refresh token rotated");
    uint64_t now = cm_mono_ms(), until = op->arrived_ms + (uint64_t)a->race_ms;
    if (now < until) {
        /* hold the answer: refreshes with the same token until then are concurrent */
        op->hold = evtimer_new(a->base, s_on_refresh_hold, op);
        op->next = a->held;
        if (a->held)
            a->held->prev = op;
        a->held = op;
        struct timeval tv = {(time_t)((until - now) / 1000),
                             (suseconds_t)((until - now) % 1000) * 1000};
        evtimer_add(op->hold, &tv);
        return;
    }
    s_on_refresh_hold(-1, 0, op);
}

static void s_on_refresh_req(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_refresh m;
    if (auth_refresh_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "REFRESH does not decode");
        return;
    }
    struct op *op = s_op_new(a, cm_rpc_defer(rpc, msg), msg->hdr.rid);
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    snprintf(op->ua, sizeof(op->ua), "%s", m.user_agent);
    if (!s_refresh_shaped(m.refresh_token)) {
        OPENSSL_cleanse(&m, sizeof(m));
        s_refresh_denied(op, "not a refresh token");
        return;
    }
    cm_sha256_hex(m.refresh_token, strlen(m.refresh_token), op->old_hash);
    OPENSSL_cleanse(&m, sizeof(m));
    if (s_inflight_find(a, op->old_hash)) {
        s_refresh_denied(op, "concurrent refresh with the same token");
        return;
    }
    if (!(op->slot = s_inflight_add(a, op->old_hash))) {
        cm_defer_error(&op->defer, CM_ERR_BUSY, "too many refreshes at once; try again");
        s_op_free(op);
        return;
    }
    op->arrived_ms = cm_mono_ms();
    char new_hash[65], ttl[24];
    s_new_refresh(op->token, new_hash);
    snprintf(ttl, sizeof(ttl), "%d", a->refresh_ttl_s);
    const char *params[] = {op->old_hash, new_hash, ttl, op->ip, op->ua};
    cm_pg_query(a->pg, s_sql_refresh, 5, params, 0, s_on_refresh, op);
}

/* --- LOGOUT --- */

static const char s_sql_logout_token[] =
    "WITH rv AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'logout' "
    "WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL RETURNING id, user_id) "
    "INSERT INTO revocations (session_id, user_id) SELECT id, user_id FROM rv "
    "RETURNING session_id, user_id";

static const char s_sql_logout_sid[] =
    "WITH rv AS (UPDATE sessions SET revoked_at = now(), revoke_reason = 'logout' "
    "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id, user_id) "
    "INSERT INTO revocations (session_id, user_id) SELECT id, user_id FROM rv "
    "RETURNING session_id, user_id";

static void s_on_logout(int status, const PGresult *res, void *arg)
{
    struct op *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "ending the session");
        s_op_free(op);
        return;
    }
    if (PQntuples(res) == 1) {
        char sid[40], target[64];
        auth_col(res, 0, 0, sid, sizeof(sid));
        snprintf(target, sizeof(target), "session:%s", sid);
        auth_event(op->a, "logout", CM_AUDIT_INFO, auth_col_u64(res, 0, 1), target, op->ip, op->rid,
                   "session revoked");
    }
    cm_buf_t *body = cm_buf_new(16);
    struct auth_logout_ok r = {0};
    if (auth_logout_ok_encode(&r, body) == 0)
        cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_LOGOUT_OK, body, NULL);
    cm_buf_destroy(&body);
    s_op_free(op);
}

static void s_on_logout_req(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_logout m;
    if (auth_logout_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "LOGOUT does not decode");
        return;
    }
    struct op *op = s_op_new(a, cm_rpc_defer(rpc, msg), msg->hdr.rid);
    snprintf(op->ip, sizeof(op->ip), "%s", m.ip);
    if (m.refresh_token[0]) {
        if (!s_refresh_shaped(m.refresh_token)) {
            OPENSSL_cleanse(&m, sizeof(m));
            s_on_logout(CM_OK, NULL, op); /* nothing to end */
            return;
        }
        cm_sha256_hex(m.refresh_token, strlen(m.refresh_token), op->old_hash);
        OPENSSL_cleanse(&m, sizeof(m));
        const char *params[] = {op->old_hash};
        cm_pg_query(a->pg, s_sql_logout_token, 1, params, 0, s_on_logout, op);
        return;
    }
    if (!m.session_id[0] || !m.user_id) {
        cm_defer_error(&op->defer, CM_ERR_INVALID, "LOGOUT names no session");
        s_op_free(op);
        return;
    }
    char uid[24];
    snprintf(uid, sizeof(uid), "%" PRIu64, m.user_id);
    const char *params[] = {m.session_id, uid};
    cm_pg_query(a->pg, s_sql_logout_sid, 2, params, 0, s_on_logout, op);
}

/* --- REVOCATIONS --- */

/* Everything after the cursor, plus the last 10 s again: identity values can commit out of
 * order, and a row committed late behind a higher id must not be skipped. */
static const char s_sql_revocations[] =
    "SELECT id, session_id, user_id, min_version, "
    "(SELECT coalesce(max(id), 0) FROM revocations) FROM revocations "
    "WHERE (id > $1 OR created_at > now() - interval '10 seconds') "
    "AND created_at > now() - make_interval(secs => $2) ORDER BY id LIMIT 1000";

struct feed_op {
    cm_defer_t *defer;
    uint64_t after;
};

static void s_on_revocations(int status, const PGresult *res, void *arg)
{
    struct feed_op *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "reading the revocation feed");
        cm_free(op);
        return;
    }
    struct auth_revocations_ok *r = cm_calloc(1, sizeof(*r));
    int n = PQntuples(res);
    uint64_t cursor = op->after, maxid = 0;
    for (int i = 0; i < n; i++) {
        uint64_t id = auth_col_u64(res, i, 0);
        maxid = auth_col_u64(res, i, 4);
        if (id > cursor)
            cursor = id;
        if (!PQgetisnull(res, i, 1) && r->session_ids_count < CM_ARRAY_LEN(r->session_ids))
            auth_col(res, i, 1, r->session_ids[r->session_ids_count++], sizeof(r->session_ids[0]));
        if (!PQgetisnull(res, i, 3) && r->user_ids_count < CM_ARRAY_LEN(r->user_ids)) {
            r->user_ids[r->user_ids_count++] = auth_col_u64(res, i, 2);
            r->min_version[r->min_version_count++] = auth_col_u64(res, i, 3);
        }
    }
    r->more = n == 1000;
    if (!r->more && maxid > cursor)
        cursor = maxid;
    r->cursor = cursor;
    cm_buf_t *body = cm_buf_new(64 * 1024);
    if (auth_revocations_ok_encode(r, body) == 0)
        cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_REVOCATIONS_OK, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode REVOCATIONS_OK");
    cm_buf_destroy(&body);
    cm_free(r);
    cm_free(op);
}

static void s_on_revocations_req(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_revocations m;
    if (auth_revocations_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "REVOCATIONS does not decode");
        return;
    }
    struct feed_op *op = cm_calloc(1, sizeof(*op));
    op->defer = cm_rpc_defer(rpc, msg);
    op->after = m.after;
    char after[24], window[24];
    snprintf(after, sizeof(after), "%" PRIu64, m.after > INT64_MAX ? (uint64_t)INT64_MAX : m.after);
    snprintf(window, sizeof(window), "%d", AUTH_REVOCATION_WINDOW_S);
    const char *params[] = {after, window};
    cm_pg_query(a->pg, s_sql_revocations, 2, params, 0, s_on_revocations, op);
}

/* --- AUDIT over RPC: a daemon without the PULL endpoint may send events here too --- */

static void s_on_audit_event(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    CM_UNUSED(rpc);
    struct auth *a = arg;
    struct auth_audit ev;
    if (auth_audit_decode(&ev, msg->body.data, msg->body.len) == 0)
        auth_audit_add(a->audit, &ev);
}

/* --- housekeeping: sessions and revocations do not pile up --- */

/* A session revoked or expired a day ago can no longer matter (its refresh_used rows, kept
 * for reuse detection, go with it); a revocation older than a day is past every token it
 * voided. Each statement is bounded so that one sweep never holds the table long. */
static const char s_sql_sweep_sessions[] =
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
    "WHERE coalesce(revoked_at, expires_at) < now() - interval '1 day' LIMIT 10000)";
static const char s_sql_sweep_revocations[] =
    "DELETE FROM revocations WHERE id IN (SELECT id FROM revocations "
    "WHERE created_at < now() - interval '1 day' LIMIT 10000)";
/* A stream key past its end plays nothing (auth_stream.c); keys of dead sessions go with them. */
static const char s_sql_sweep_stream_keys[] =
    "DELETE FROM stream_keys WHERE key_hash IN (SELECT key_hash FROM stream_keys "
    "WHERE expires_at < now() LIMIT 10000)";

static void s_on_swept(int status, const PGresult *res, void *arg)
{
    const char *what = arg;
    if (status != CM_OK)
        return;                                   /* the next sweep tries again */
    const char *n = PQcmdTuples((PGresult *)res); /* libpq's signature lacks the const */
    if (strtoll(n, NULL, 10) > 0)
        cm_log_i("auth", 0, "housekeeping: %s %s deleted", n, what);
}

static void s_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    CM_UNUSED(fd);
    CM_UNUSED(what);
    struct auth *a = arg;
    cm_pg_query(a->pg, s_sql_sweep_sessions, 0, NULL, 0, s_on_swept, "dead sessions");
    cm_pg_query(a->pg, s_sql_sweep_revocations, 0, NULL, 0, s_on_swept, "old revocations");
    cm_pg_query(a->pg, s_sql_sweep_stream_keys, 0, NULL, 0, s_on_swept, "expired stream keys");
}

void auth_api_shutdown(struct auth *a)
{
    if (a->sweep) {
        event_free(a->sweep);
        a->sweep = NULL;
    }
    while (a->held)
        s_op_free(a->held); /* unlinks itself; its request gets an error */
}

void auth_api_register(struct auth *a)
{
    a->sweep = event_new(a->base, -1, EV_PERSIST, s_on_sweep, a);
    struct timeval every = {600, 0};
    event_add(a->sweep, &every);
    s_on_sweep(-1, 0, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_LOGIN, s_on_login, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_REFRESH, s_on_refresh_req, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_LOGOUT, s_on_logout_req, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_REVOCATIONS, s_on_revocations_req, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_AUDIT, s_on_audit_event, a);
}
