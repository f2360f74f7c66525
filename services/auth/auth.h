/* SPDX-License-Identifier: MIT
 * auth: the auth daemon's state, shared by its modules. It owns the users, sessions,
 * refresh_used, revocations and audit_log tables; no other daemon touches them. */
#ifndef AUTH_H
#define AUTH_H
#include "cm.h"
#include "cm_audit.h"
#include "cm_jwt.h"
#include "cm_pg.h"
#include "cm_rpc.h"
#include "auth_audit.h"
#include "auth_pw.h"

/* Refresh tokens: 256 random bits as 43 base64url characters. */
#define AUTH_REFRESH_BYTES 32
#define AUTH_REFRESH_LEN 43
#define AUTH_SID_HEX 32 /* session ids: 128 random bits in hex */
#define AUTH_LIST_MAX 100
/* How long the revocation feed keeps telling a gateway about a revocation: an access token
 * lives at most 15 min, plus the gateways' leeway and some slack. */
#define AUTH_REVOCATION_WINDOW_S (15 * 60 + 180)

struct op; /* auth_api.c: a request in progress */

struct auth {
    struct event_base *base;
    cm_pg_t *pg;         /* borrowed from cm_service */
    cm_rpc_t *rpc;       /* borrowed from cm_service */
    auth_pw_t *pw;       /* owned */
    auth_audit_t *audit; /* owned */
    struct cm_jwt_key jwt;
    int access_ttl_s;               /* ACCESS_TOKEN_TTL */
    int refresh_ttl_s;              /* REFRESH_TOKEN_TTL (slides) */
    int chain_ttl_s;                /* SESSION_MAX_AGE (absolute) */
    int sessions_max;               /* SESSIONS_PER_USER */
    int race_ms;                    /* REFRESH_RACE_WINDOW */
    int stream_key_ttl_s;           /* STREAM_KEY_TTL: default and longest life of a stream key */
    struct auth_inflight *inflight; /* refreshes being answered, by token hash */
    struct op *held;                /* refresh answers held by the race window */
    struct event *sweep;            /* deletes dead sessions and old revocations */
};

/* Refresh tokens being rotated by this process. A refresh that arrives while one with the same
 * token is still unanswered is concurrent (a client racing itself), not reuse. */
#define AUTH_INFLIGHT_MAX 4096
struct auth_inflight {
    char hash[65]; /* "" when free */
};

/* Register the RPC handlers of auth_api.c (logins, sessions, the revocation feed) and
 * auth_users.c (user administration). */
void auth_api_register(struct auth *a);
/* Answer (with an error) and free the refreshes still held by the race window: at shutdown. */
void auth_api_shutdown(struct auth *a);
void auth_users_register(struct auth *a);
/* Register the RPC handlers of auth_stream.c: STREAM_KEY_MINT and STREAM_KEY_CHECK. */
void auth_stream_register(struct auth *a);

/* One audit event from auth itself (never a secret in `detail`). */
void auth_event(struct auth *a, const char *event, int severity, uint64_t actor_id,
                const char *target, const char *ip, uint64_t rid, const char *fmt, ...)
    CM_PRINTF(8, 9);

/* Shared checks of user input; each returns 0, or -1 with a sentence in err. */
int auth_check_email(const char *email, char *err, size_t errlen);
int auth_check_role(const char *role, char *err, size_t errlen);
int auth_check_display_name(const char *name, char *err, size_t errlen);

/* Mint an access token for the user and session and answer `defer` with TOKENS. */
struct auth_user_row {
    uint64_t id;
    char email[255];
    char role[17];
    char name[101];
    uint64_t version;
};
void auth_reply_tokens(struct auth *a, cm_defer_t **defer, const struct auth_user_row *u,
                       const char *sid, const char *refresh_token, int refresh_left_s);

/* Answer `defer` for a failed query: CM_ERR_DB (logged with its SQLSTATE) becomes INTERNAL,
 * a local status (UNAVAILABLE, TIMEOUT, BUSY, ...) goes as it is; "<what> failed". */
void auth_db_error(cm_defer_t **defer, int status, const PGresult *res, const char *what);

/* Copy a column into a bounded buffer (NULL is ""). */
void auth_col(const PGresult *res, int row, int col, char *out, size_t size);
uint64_t auth_col_u64(const PGresult *res, int row, int col);

#endif
