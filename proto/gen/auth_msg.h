/* GENERATED SOURCE CODE, DO NOT EDIT — from proto/auth.toml
 * SPDX-License-Identifier: MIT
 * auth (protocol 1, version 1): Accounts, logins, tokens, the revocation feed and audit events.
 *
 * Codecs of the message bodies, frame 2 of the envelope (proto/README.md). Each message <msg>
 * below (its name in lower case) has a plain struct auth_<msg> and three functions:
 *   int auth_<msg>_encode(const struct auth_<msg> *m, cm_buf_t *out);
 *       Append the body to `out`: a msgpack map of every field, keyed by tag. Returns 0,
 *       or -1 when a field breaks the schema (a str not NUL-terminated within its array,
 *       not UTF-8 or holding a NUL; a bin, list or map over its max; a duplicate map key)
 *       or `out` is full. After -1, `out` may hold part of the body: discard it.
 *   int auth_<msg>_decode(struct auth_<msg> *m, const void *data, size_t size);
 *       Decode a body. Returns 0, or -1 when it is malformed: not exactly one msgpack map
 *       within CM_MP_DEPTH_MAX, a non-integer key, a value of the wrong type or out of
 *       range, a str not UTF-8 or holding a NUL, over a max, a tag or map key given twice,
 *       a required field missing. Unknown tags are skipped (a newer sender). No logging,
 *       no allocation. str fields are NUL-terminated copies; bin fields are views
 *       BORROWED from `data`, valid only while `data` is. After -1, *m is unspecified.
 *   void auth_<msg>_print(const struct auth_<msg> *m, FILE *out);
 *       One line, e.g. `common.ERROR status=8 reason="..."`: strings escaped as in the
 *       logs, bin shown as its length.
 * Every function is pure and may be called from any thread. */
#ifndef AUTH_MSG_H
#define AUTH_MSG_H
#include "cm.h"

/* Protocol number (never reused) and version (bumped on an incompatible change). */
#define AUTH_PROTO 1
#define AUTH_VERSION 1

/* Message numbers: never reused. */
#define AUTH_MSG_LOGIN 1
#define AUTH_MSG_TOKENS 2
#define AUTH_MSG_REFRESH 3
#define AUTH_MSG_LOGOUT 4
#define AUTH_MSG_LOGOUT_OK 5
#define AUTH_MSG_USER_CREATE 6
#define AUTH_MSG_USER 7
#define AUTH_MSG_USER_LIST 8
#define AUTH_MSG_USER_LIST_OK 9
#define AUTH_MSG_USER_UPDATE 10
#define AUTH_MSG_USER_DELETE 11
#define AUTH_MSG_USER_DELETE_OK 12
#define AUTH_MSG_REVOCATIONS 13
#define AUTH_MSG_REVOCATIONS_OK 14
#define AUTH_MSG_AUDIT 15
#define AUTH_MSG_STREAM_KEY_MINT 16
#define AUTH_MSG_STREAM_KEY 17
#define AUTH_MSG_STREAM_KEY_CHECK 18
#define AUTH_MSG_STREAM_KEY_OK 19

/* LOGIN (1, request): Check credentials and open a session. Answered by TOKENS or ERROR
 * (UNAUTHORIZED, BUSY, INVALID). */
struct auth_login {
    char email[254 + 1];      /* tag 1, required: as typed; compared case-insensitively */
    char password[1024 + 1];  /* tag 2, required: as typed, never truncated */
    char ip[64 + 1];          /* tag 3: client address (for the session and the audit log) */
    char user_agent[256 + 1]; /* tag 4: client's User-Agent, cut to 256 bytes */
};

int auth_login_encode(const struct auth_login *m, cm_buf_t *out);
int auth_login_decode(struct auth_login *m, const void *data, size_t size);
void auth_login_print(const struct auth_login *m, FILE *out);

/* TOKENS (2, reply): A fresh access token and refresh token, and the user they belong to. */
struct auth_tokens {
    char access_token[4096 + 1]; /* tag 1, required: JWT, HS256 */
    char refresh_token[64 + 1];  /* tag 2, required: opaque, 256 random bits, base64url */
    uint32_t expires_in;         /* tag 3: access token lifetime, seconds */
    uint32_t refresh_expires_in; /* tag 4: refresh token lifetime, seconds */
    char session_id[32 + 1];     /* tag 5: sid claim */
    uint64_t user_id;            /* tag 6 */
    char email[254 + 1];         /* tag 7 */
    char role[16 + 1];           /* tag 8: user or admin */
    char display_name[100 + 1];  /* tag 9 */
};

int auth_tokens_encode(const struct auth_tokens *m, cm_buf_t *out);
int auth_tokens_decode(struct auth_tokens *m, const void *data, size_t size);
void auth_tokens_print(const struct auth_tokens *m, FILE *out);

/* REFRESH (3, request): Rotate a refresh token. Answered by TOKENS, or ERROR UNAUTHORIZED
 * (unknown, expired, revoked, reused: the session dies). */
struct auth_refresh {
    char refresh_token[128 + 1]; /* tag 1, required: as received */
    char ip[64 + 1];             /* tag 2: client address */
    char user_agent[256 + 1];    /* tag 3 */
};

int auth_refresh_encode(const struct auth_refresh *m, cm_buf_t *out);
int auth_refresh_decode(struct auth_refresh *m, const void *data, size_t size);
void auth_refresh_print(const struct auth_refresh *m, FILE *out);

/* LOGOUT (4, request): End a session, named by its refresh token or by its id. Answered by
 * LOGOUT_OK or ERROR. */
struct auth_logout {
    char refresh_token[128 + 1]; /* tag 1: either this */
    char session_id[32 + 1];     /* tag 2: or this (from a verified access token) */
    uint64_t user_id;            /* tag 3: owner of session_id (checked) */
    char ip[64 + 1];             /* tag 4: client address */
};

int auth_logout_encode(const struct auth_logout *m, cm_buf_t *out);
int auth_logout_decode(struct auth_logout *m, const void *data, size_t size);
void auth_logout_print(const struct auth_logout *m, FILE *out);

/* LOGOUT_OK (5, reply): The session is revoked (or was already gone). */
struct auth_logout_ok {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int auth_logout_ok_encode(const struct auth_logout_ok *m, cm_buf_t *out);
int auth_logout_ok_decode(struct auth_logout_ok *m, const void *data, size_t size);
void auth_logout_ok_print(const struct auth_logout_ok *m, FILE *out);

/* USER_CREATE (6, request): Admin: create a user. Answered by USER, or ERROR (CONFLICT duplicate
 * email, INVALID). */
struct auth_user_create {
    char email[254 + 1];        /* tag 1, required */
    char password[1024 + 1];    /* tag 2, required */
    char role[16 + 1];          /* tag 3: user (default) or admin */
    char display_name[100 + 1]; /* tag 4 */
    uint64_t actor_id;          /* tag 5: the admin doing it (audit) */
    char ip[64 + 1];            /* tag 6: the admin's address (audit) */
};

int auth_user_create_encode(const struct auth_user_create *m, cm_buf_t *out);
int auth_user_create_decode(struct auth_user_create *m, const void *data, size_t size);
void auth_user_create_print(const struct auth_user_create *m, FILE *out);

/* USER (7, reply): One user. */
struct auth_user {
    uint64_t id;                /* tag 1, required */
    char email[254 + 1];        /* tag 2 */
    char role[16 + 1];          /* tag 3 */
    char display_name[100 + 1]; /* tag 4 */
    int64_t created_ms;         /* tag 5: ms since the epoch */
    int64_t updated_ms;         /* tag 6: ms since the epoch */
};

int auth_user_encode(const struct auth_user *m, cm_buf_t *out);
int auth_user_decode(struct auth_user *m, const void *data, size_t size);
void auth_user_print(const struct auth_user *m, FILE *out);

/* USER_LIST (8, request): Admin: a page of users by id. Answered by USER_LIST_OK. */
struct auth_user_list {
    uint32_t offset; /* tag 1 */
    uint32_t limit;  /* tag 2: 1..100 (0: 50) */
};

int auth_user_list_encode(const struct auth_user_list *m, cm_buf_t *out);
int auth_user_list_decode(struct auth_user_list *m, const void *data, size_t size);
void auth_user_list_print(const struct auth_user_list *m, FILE *out);

/* USER_LIST_OK (9, reply): A page of users as parallel lists, and the total. */
struct auth_user_list_ok {
    uint64_t ids[100];                /* tag 1 */
    uint32_t ids_count;               /* items in ids, at most 100 */
    char emails[100][254 + 1];        /* tag 2 */
    uint32_t emails_count;            /* items in emails, at most 100 */
    char roles[100][16 + 1];          /* tag 3 */
    uint32_t roles_count;             /* items in roles, at most 100 */
    char display_names[100][100 + 1]; /* tag 4 */
    uint32_t display_names_count;     /* items in display_names, at most 100 */
    int64_t created_ms[100];          /* tag 5 */
    uint32_t created_ms_count;        /* items in created_ms, at most 100 */
    uint64_t total;                   /* tag 6: users in all */
};

int auth_user_list_ok_encode(const struct auth_user_list_ok *m, cm_buf_t *out);
int auth_user_list_ok_decode(struct auth_user_list_ok *m, const void *data, size_t size);
void auth_user_list_ok_print(const struct auth_user_list_ok *m, FILE *out);

/* USER_UPDATE (10, request): Admin: change a user's role, password or display name. Answered by
 * USER or ERROR (NOT_FOUND, INVALID). */
struct auth_user_update {
    uint64_t id;                /* tag 1, required */
    char role[16 + 1];          /* tag 2: empty: unchanged */
    char password[1024 + 1];    /* tag 3: empty: unchanged */
    char display_name[100 + 1]; /* tag 4 */
    bool set_display_name;      /* tag 5: display_name is meant (it may be empty) */
    uint64_t actor_id;          /* tag 6 */
    char ip[64 + 1];            /* tag 7 */
};

int auth_user_update_encode(const struct auth_user_update *m, cm_buf_t *out);
int auth_user_update_decode(struct auth_user_update *m, const void *data, size_t size);
void auth_user_update_print(const struct auth_user_update *m, FILE *out);

/* USER_DELETE (11, request): Admin: delete a user and every session of it. Answered by
 * USER_DELETE_OK or ERROR NOT_FOUND. */
struct auth_user_delete {
    uint64_t id;       /* tag 1, required */
    uint64_t actor_id; /* tag 2 */
    char ip[64 + 1];   /* tag 3 */
};

int auth_user_delete_encode(const struct auth_user_delete *m, cm_buf_t *out);
int auth_user_delete_decode(struct auth_user_delete *m, const void *data, size_t size);
void auth_user_delete_print(const struct auth_user_delete *m, FILE *out);

/* USER_DELETE_OK (12, reply): The user is gone. */
struct auth_user_delete_ok {
    uint8_t unused_; /* no fields yet; C wants one member */
};

int auth_user_delete_ok_encode(const struct auth_user_delete_ok *m, cm_buf_t *out);
int auth_user_delete_ok_decode(struct auth_user_delete_ok *m, const void *data, size_t size);
void auth_user_delete_ok_print(const struct auth_user_delete_ok *m, FILE *out);

/* REVOCATIONS (13, request): Gateway to auth, every few seconds: revocations after a cursor.
 * Answered by REVOCATIONS_OK. */
struct auth_revocations {
    uint64_t after; /* tag 1: cursor of the last answer; 0: everything still relevant */
};

int auth_revocations_encode(const struct auth_revocations *m, cm_buf_t *out);
int auth_revocations_decode(struct auth_revocations *m, const void *data, size_t size);
void auth_revocations_print(const struct auth_revocations *m, FILE *out);

/* REVOCATIONS_OK (14, reply): Sessions revoked, and users whose older tokens are void, after the
 * cursor (at most 1000). */
struct auth_revocations_ok {
    uint64_t cursor;                /* tag 1, required: pass it as `after` next time */
    char session_ids[1000][32 + 1]; /* tag 2: revoked sessions */
    uint32_t session_ids_count;     /* items in session_ids, at most 1000 */
    uint64_t user_ids[1000];        /* tag 3: users whose access tokens with a lower ver are void */
    uint32_t user_ids_count;        /* items in user_ids, at most 1000 */
    uint64_t min_version[1000];     /* tag 4: one per user_ids item */
    uint32_t min_version_count;     /* items in min_version, at most 1000 */
    bool more;                      /* tag 5: ask again at once */
};

int auth_revocations_ok_encode(const struct auth_revocations_ok *m, cm_buf_t *out);
int auth_revocations_ok_decode(struct auth_revocations_ok *m, const void *data, size_t size);
void auth_revocations_ok_print(const struct auth_revocations_ok *m, FILE *out);

/* AUDIT (15, event): Any daemon to auth's audit PULL socket: one security event. Never carries a
 * secret. */
struct auth_audit {
    uint64_t ts_ms;       /* tag 1: when, ms since the epoch */
    char event[48 + 1];   /* tag 2, required: event name */
    uint8_t severity;     /* tag 3: 0 info, 1 warning, 2 critical */
    char service[32 + 1]; /* tag 4: daemon that saw it */
    uint64_t actor_id;    /* tag 5: user acting, 0 if none */
    char target[256 + 1]; /* tag 6: what was acted on */
    char ip[64 + 1];      /* tag 7: client address */
    uint64_t rid;         /* tag 8: request id */
    char detail[512 + 1]; /* tag 9: a sentence, redacted */
};

int auth_audit_encode(const struct auth_audit *m, cm_buf_t *out);
int auth_audit_decode(struct auth_audit *m, const void *data, size_t size);
void auth_audit_print(const struct auth_audit *m, FILE *out);

/* STREAM_KEY_MINT (16, request): Gateway: a stream key for a user's session and a source.
 * Answered by STREAM_KEY. */
struct auth_stream_key_mint {
    /* tag 1, required */
    uint64_t user_id;
    /* tag 2, required: sid of the caller's access token: the key dies with it */
    char session_id[32 + 1];
    /* tag 3, required */
    uint64_t source_id;
    /* tag 4: 0: the default (6 h) */
    uint32_t ttl_s;
};

int auth_stream_key_mint_encode(const struct auth_stream_key_mint *m, cm_buf_t *out);
int auth_stream_key_mint_decode(struct auth_stream_key_mint *m, const void *data, size_t size);
void auth_stream_key_mint_print(const struct auth_stream_key_mint *m, FILE *out);

/* STREAM_KEY (17, reply): A stream key (opaque, 256 random bits, base64url; auth keeps only its
 * SHA-256). */
struct auth_stream_key {
    char key[64 + 1];   /* tag 1, required */
    int64_t expires_ms; /* tag 2: ms since the epoch */
};

int auth_stream_key_encode(const struct auth_stream_key *m, cm_buf_t *out);
int auth_stream_key_decode(struct auth_stream_key *m, const void *data, size_t size);
void auth_stream_key_print(const struct auth_stream_key *m, FILE *out);

/* STREAM_KEY_CHECK (18, request): stream-proxy: whose is this key? Answered by STREAM_KEY_OK, or
 * ERROR UNAUTHORIZED (unknown, expired, or its session is dead). */
struct auth_stream_key_check {
    char key[128 + 1]; /* tag 1, required: as presented */
};

int auth_stream_key_check_encode(const struct auth_stream_key_check *m, cm_buf_t *out);
int auth_stream_key_check_decode(struct auth_stream_key_check *m, const void *data, size_t size);
void auth_stream_key_check_print(const struct auth_stream_key_check *m, FILE *out);

/* STREAM_KEY_OK (19, reply): The key's owner and source. */
struct auth_stream_key_ok {
    uint64_t user_id;        /* tag 1, required */
    uint64_t source_id;      /* tag 2, required */
    char session_id[32 + 1]; /* tag 3 */
    int64_t expires_ms;      /* tag 4 */
};

int auth_stream_key_ok_encode(const struct auth_stream_key_ok *m, cm_buf_t *out);
int auth_stream_key_ok_decode(struct auth_stream_key_ok *m, const void *data, size_t size);
void auth_stream_key_ok_print(const struct auth_stream_key_ok *m, FILE *out);

/* Room for any message of the protocol, e.g. to decode into before dispatching. */
union auth_msg {
    struct auth_login login;
    struct auth_tokens tokens;
    struct auth_refresh refresh;
    struct auth_logout logout;
    struct auth_logout_ok logout_ok;
    struct auth_user_create user_create;
    struct auth_user user;
    struct auth_user_list user_list;
    struct auth_user_list_ok user_list_ok;
    struct auth_user_update user_update;
    struct auth_user_delete user_delete;
    struct auth_user_delete_ok user_delete_ok;
    struct auth_revocations revocations;
    struct auth_revocations_ok revocations_ok;
    struct auth_audit audit;
    struct auth_stream_key_mint stream_key_mint;
    struct auth_stream_key stream_key;
    struct auth_stream_key_check stream_key_check;
    struct auth_stream_key_ok stream_key_ok;
};

/* The name of message `id` (e.g. "LOGIN"), or "?" when the protocol has none. Static. */
const char *auth_msg_name(int id);

/* The functions above, chosen by message number: `m` points to the struct of message `id` (a
 * union auth_msg will do). Decode and encode return -1 for an unknown id; print prints "auth.?
 * id=N". */
int auth_msg_decode(int id, void *m, const void *data, size_t size);
int auth_msg_encode(int id, const void *m, cm_buf_t *out);
void auth_msg_print(int id, const void *m, FILE *out);

/* What the transport layer knows of the protocol: ids, kinds, payload flags, names. */
extern const struct cm_proto auth_proto;

#endif
