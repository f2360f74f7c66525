/* SPDX-License-Identifier: MIT
 * auth_stream: stream keys (proto/auth.toml STREAM_KEY_MINT, STREAM_KEY_CHECK).
 *
 * A stream key is a capability to play one source: 256 random bits as 43 base64url characters,
 * handed to a player inside a URL (a <video> element cannot send a bearer token). Only its
 * SHA-256 is stored (stream_keys, sql/003_stream_keys.sql), so a copy of the table plays
 * nothing. The contract:
 *   - MINT (the gateway, for an authenticated caller): the session named by the caller's
 *     access token must exist, belong to the user and be live (not revoked, neither its sliding
 *     nor its absolute end passed), else UNAUTHORIZED. The key lives STREAM_KEY_TTL (6 h), or
 *     less when the caller asks for less, and never past the session's absolute end. A session
 *     keeps its AUTH_STREAM_KEYS_PER_SESSION newest keys; minting more deletes the oldest, so a
 *     client cannot grow the table without bound.
 *   - CHECK (the stream-proxy): UNAUTHORIZED unless the key exists, has not expired and its
 *     session is still live. So a key dies with its session: logout, refresh-token reuse, a
 *     password change, eviction by newer logins, or the user's deletion.
 * Each is one statement; nothing is kept in memory between requests. */
#include <openssl/crypto.h>
#include "auth.h"
#include "auth_msg.h"
#include "cm_token.h"

enum {
    AUTH_STREAM_KEY_BYTES = 32,            /* 256 random bits */
    AUTH_STREAM_KEY_LEN = 43,              /* their unpadded base64url */
    AUTH_STREAM_KEYS_PER_SESSION = 100,    /* newest keys kept per session */
    AUTH_STREAM_KEY_TTL_DEFAULT = 6 * 3600 /* when auth->stream_key_ttl_s is not set */
};

/* One request waiting on the database. */
struct skop {
    struct auth *a;
    cm_defer_t *defer;
    uint64_t rid;
    uint64_t user_id;
    uint64_t source_id;
    char sid[AUTH_SID_HEX + 1];
    char key[AUTH_STREAM_KEY_LEN + 1]; /* MINT: the new key, until it is answered; wiped */
};

static void s_skop_free(struct skop *op)
{
    if (!op)
        return;
    if (op->defer)
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "request abandoned");
    OPENSSL_cleanse(op->key, sizeof(op->key));
    cm_free(op);
}

/* Is `k` shaped like one of our keys? Anything else is unknown without a database trip. */
static bool s_key_shaped(const char *k)
{
    size_t n = strlen(k);
    if (n != AUTH_STREAM_KEY_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* --- STREAM_KEY_MINT --- */

/* Insert the key when the session is live and the user's; then keep the session's newest
 * keys only. The new row is invisible to the DELETE's snapshot, so it keeps max - 1 of the
 * older ones ($6). One row (the key's end, ms since the epoch) when minted, none when the
 * session is not live. */
static const char s_sql_mint[] =
    "WITH s AS (SELECT id, chain_expires_at FROM sessions WHERE id = $1 AND user_id = $2::bigint "
    "AND revoked_at IS NULL AND expires_at > now() AND chain_expires_at > now()), "
    "ins AS (INSERT INTO stream_keys (key_hash, user_id, session_id, source_id, expires_at) "
    "SELECT decode($3, 'hex'), $2::bigint, s.id, $4::bigint, "
    "least(now() + make_interval(secs => $5), s.chain_expires_at) FROM s "
    "RETURNING expires_at), "
    "cap AS (DELETE FROM stream_keys WHERE session_id IN (SELECT id FROM s) "
    "AND key_hash IN (SELECT key_hash FROM stream_keys WHERE session_id = $1 "
    "ORDER BY created_at DESC, key_hash OFFSET $6::bigint)) "
    "SELECT floor(extract(epoch FROM expires_at) * 1000)::bigint FROM ins";

static void s_on_minted(int status, const PGresult *res, void *arg)
{
    struct skop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "minting a stream key");
        s_skop_free(op);
        return;
    }
    if (PQntuples(res) != 1) {
        cm_defer_error(&op->defer, CM_ERR_UNAUTHORIZED, "the session is not live");
        s_skop_free(op);
        return;
    }
    struct auth_stream_key r = {.expires_ms = (int64_t)auth_col_u64(res, 0, 0)};
    snprintf(r.key, sizeof(r.key), "%s", op->key);
    char target[48];
    snprintf(target, sizeof(target), "source:%" PRIu64, op->source_id);
    int64_t left_s = (r.expires_ms - (int64_t)cm_now_ms()) / 1000;
    auth_event(op->a, "stream_key_minted", CM_AUDIT_INFO, op->user_id, target, "", op->rid,
               "stream key for session %s, valid %" PRId64 " s", op->sid,
               left_s > 0 ? left_s : (int64_t)0);
    cm_buf_t *body = cm_buf_new(256);
    if (auth_stream_key_encode(&r, body) == 0)
        cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_STREAM_KEY, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode STREAM_KEY");
    OPENSSL_cleanse((void *)cm_buf_data(body), cm_buf_len(body));
    cm_buf_destroy(&body);
    OPENSSL_cleanse(&r, sizeof(r));
    s_skop_free(op);
}

static void s_on_mint(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_stream_key_mint m;
    if (auth_stream_key_mint_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "STREAM_KEY_MINT does not decode");
        return;
    }
    if (m.user_id == 0 || m.user_id > INT64_MAX || m.source_id == 0 || m.source_id > INT64_MAX) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_INVALID, "user_id and source_id must be 1..2^63-1");
        return;
    }
    if (!m.session_id[0]) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_UNAUTHORIZED, "the session is not live");
        return;
    }
    /* A caller may ask for a shorter life, never a longer one. */
    int max = a->stream_key_ttl_s > 0 ? a->stream_key_ttl_s : AUTH_STREAM_KEY_TTL_DEFAULT;
    int ttl = (m.ttl_s > 0 && m.ttl_s < (uint32_t)max) ? (int)m.ttl_s : max;

    struct skop *op = cm_calloc(1, sizeof(*op));
    op->a = a;
    op->defer = cm_rpc_defer(rpc, msg);
    op->rid = msg->hdr.rid;
    op->user_id = m.user_id;
    op->source_id = m.source_id;
    snprintf(op->sid, sizeof(op->sid), "%s", m.session_id);

    unsigned char raw[AUTH_STREAM_KEY_BYTES];
    char hash[65], uid[24], src[24], ttls[24], keep[24];
    cm_rand_bytes(raw, sizeof(raw));
    cm_b64url_encode(raw, sizeof(raw), op->key);
    OPENSSL_cleanse(raw, sizeof(raw));
    cm_sha256_hex(op->key, AUTH_STREAM_KEY_LEN, hash);
    snprintf(uid, sizeof(uid), "%" PRIu64, m.user_id);
    snprintf(src, sizeof(src), "%" PRIu64, m.source_id);
    snprintf(ttls, sizeof(ttls), "%d", ttl);
    snprintf(keep, sizeof(keep), "%d", AUTH_STREAM_KEYS_PER_SESSION - 1);
    const char *params[] = {op->sid, uid, hash, src, ttls, keep};
    cm_pg_query(a->pg, s_sql_mint, 6, params, 0, s_on_minted, op);
}

/* --- STREAM_KEY_CHECK --- */

/* The key, when it has not expired and its session is live. */
static const char s_sql_check[] =
    "SELECT k.user_id, k.source_id, k.session_id, "
    "floor(extract(epoch FROM k.expires_at) * 1000)::bigint "
    "FROM stream_keys k JOIN sessions s ON s.id = k.session_id "
    "WHERE k.key_hash = decode($1, 'hex') AND k.expires_at > now() "
    "AND s.revoked_at IS NULL AND s.expires_at > now() AND s.chain_expires_at > now()";

static void s_on_checked(int status, const PGresult *res, void *arg)
{
    struct skop *op = arg;
    if (status != CM_OK) {
        auth_db_error(&op->defer, status, res, "checking a stream key");
        s_skop_free(op);
        return;
    }
    if (PQntuples(res) != 1) {
        cm_defer_error(&op->defer, CM_ERR_UNAUTHORIZED, "the stream key is not valid");
        s_skop_free(op);
        return;
    }
    struct auth_stream_key_ok r = {.user_id = auth_col_u64(res, 0, 0),
                                   .source_id = auth_col_u64(res, 0, 1),
                                   .expires_ms = (int64_t)auth_col_u64(res, 0, 3)};
    auth_col(res, 0, 2, r.session_id, sizeof(r.session_id));
    cm_buf_t *body = cm_buf_new(256);
    if (auth_stream_key_ok_encode(&r, body) == 0)
        cm_defer_reply(&op->defer, AUTH_PROTO, AUTH_MSG_STREAM_KEY_OK, body, NULL);
    else
        cm_defer_error(&op->defer, CM_ERR_INTERNAL, "cannot encode STREAM_KEY_OK");
    cm_buf_destroy(&body);
    s_skop_free(op);
}

static void s_on_check(cm_rpc_t *rpc, const cm_msg_t *msg, void *arg)
{
    struct auth *a = arg;
    struct auth_stream_key_check m;
    if (auth_stream_key_check_decode(&m, msg->body.data, msg->body.len) < 0) {
        cm_rpc_reply_error(rpc, msg, CM_ERR_MALFORMED, "STREAM_KEY_CHECK does not decode");
        return;
    }
    if (!s_key_shaped(m.key)) {
        OPENSSL_cleanse(&m, sizeof(m));
        cm_rpc_reply_error(rpc, msg, CM_ERR_UNAUTHORIZED, "the stream key is not valid");
        return;
    }
    struct skop *op = cm_calloc(1, sizeof(*op));
    op->a = a;
    op->defer = cm_rpc_defer(rpc, msg);
    op->rid = msg->hdr.rid;
    char hash[65];
    cm_sha256_hex(m.key, AUTH_STREAM_KEY_LEN, hash);
    OPENSSL_cleanse(&m, sizeof(m));
    const char *params[] = {hash};
    cm_pg_query(a->pg, s_sql_check, 1, params, 0, s_on_checked, op);
}

void auth_stream_register(struct auth *a)
{
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_STREAM_KEY_MINT, s_on_mint, a);
    cm_rpc_handle(a->rpc, AUTH_PROTO, AUTH_MSG_STREAM_KEY_CHECK, s_on_check, a);
}
