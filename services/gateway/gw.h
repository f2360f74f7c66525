/* SPDX-License-Identifier: MIT
 * gw: the gateway's state, shared by its modules. The gateway is stateless (no database): it
 * routes the public JSON API to the daemons that own the data, checks access tokens locally,
 * applies role guards and rate limits, and sends audit events to auth. */
#ifndef GW_H
#define GW_H
#include <jansson.h>
#include "cm.h"
#include "cm_audit.h"
#include "cm_http.h"
#include "cm_jwt.h"
#include "cm_rpc.h"
#include "gw_client.h"
#include "gw_health.h"
#include "gw_ratelimit.h"
#include "cm_revoke.h"

/* Rate-limit classes (gw_ratelimit keys are per class). */
enum gw_rl_class {
    GW_RL_LOGIN,         /* POST /api/auth/login, per client address */
    GW_RL_LOGIN_ACCOUNT, /* POST /api/auth/login, per account (lower-cased email) */
    GW_RL_REFRESH,       /* refresh and logout, per client address */
    GW_RL_API,           /* every other route, per client address */
    GW_RL_AUDIT,         /* audit events the gateway sends, per kind, gateway-wide */
    GW_RL_COUNT
};

/* Who may call a route. */
enum gw_access { GW_PUBLIC, GW_USER, GW_ADMIN };

struct gw {
    cm_http_t *http;             /* the public listener */
    struct gw_upstreams up;      /* RPC clients of auth, discovery, stream-proxy */
    struct cm_jwt_key jwt;       /* access-token verification (pinned HS256) */
    cm_jwt_verifier_t *verifier; /* the same, with a cache of tokens already verified */
    cm_revoke_t *revoke;         /* revoked sessions and user token versions */
    gw_ratelimit_t *rl;          /* token buckets */
    struct gw_rate rates[GW_RL_COUNT];
    gw_proxies_t *proxies;         /* TRUSTED_PROXIES */
    cm_audit_t *audit;             /* events to auth */
    bool cookie_secure;            /* COOKIE_SECURE */
    int rpc_timeout_ms;            /* deadline of calls to auth */
    const char *stream_public_url; /* STREAM_PUBLIC_URL, borrowed from the configuration */
};

/* One request's caller, once authenticated. */
struct gw_caller {
    char ip[64];            /* client address (X-Forwarded-For from trusted proxies) */
    bool authed;            /* a valid access token was presented */
    bool via_cookie;        /* ... in the mq_access cookie rather than Authorization */
    struct cm_jwt_claims c; /* its claims when authed */
};

/* Route one request (the cm_http handler; `arg` is the struct gw). Every route ends in
 * exactly one reply. */
void gw_routes_dispatch(cm_http_req_t *req, void *arg);

/* gw_auth.c: credentials. Authenticate `req` for `access`: returns 0 with `who` filled, or -1
 * after answering the request (401, 403, CSRF 403) and auditing the denial. */
int gw_auth_check(struct gw *gw, cm_http_req_t *req, enum gw_access access, struct gw_caller *who);
/* The value of cookie `name` from the request's Cookie header into `out`; false if absent
 * or longer than `size` - 1 bytes. gw_cookie_find does it on a header value (NULL: none). */
bool gw_cookie(cm_http_req_t *req, const char *name, char *out, size_t size);
bool gw_cookie_find(const char *header, const char *name, char *out, size_t size);
/* May the gateway send one more audit event of this kind now? (20 a second each.) */
bool gw_audit_allowed(struct gw *gw, const char *event);
/* Take one token of `cls` for `key`; false after answering 429 with Retry-After (audited). */
bool gw_rate_take(struct gw *gw, cm_http_req_t *req, int cls, const char *key, const char *ip);

/* gw_api_auth.c: the handlers of /api/auth/... and /api/users... */
void gw_api_login(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_refresh(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_logout(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_me(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_user_create(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_user_list(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_user_update(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);
void gw_api_user_delete(struct gw *gw, cm_http_req_t *req, struct gw_caller *who, const char *arg);

/* gw_json.c: JSON request bodies. Parse `len` bytes as a JSON object (strict UTF-8, no
 * duplicate keys, depth and size bounded): the object (caller owns: json_decref), or NULL
 * with a sentence in err. An empty body is an empty object when `empty_ok`. */
json_t *gw_json_parse(const void *body, size_t len, bool empty_ok, char *err, size_t errlen);
/* Member `key` of `obj` as a string of at most `max` bytes: 1 and *out, 0 when absent or
 * null, -1 with a sentence in err when it has another type or is too long. */
int gw_json_str(json_t *obj, const char *key, size_t max, const char **out, char *err,
                size_t errlen);
/* Reply with `root` (taken: decref'd) as JSON. */
void gw_reply_json(cm_http_req_t *req, int status, json_t *root);
/* The HTTP answer to a failed call to `svc` ("auth", ...): the ERROR reply's status and
 * reason (`reply` may be NULL for a local failure: timeout, unavailable). */
void gw_reply_rpc_error(cm_http_req_t *req, int status, const cm_msg_t *reply, const char *svc);
/* The {id} of a path: 1..2^63-1 in decimal without leading zeros, or 0. */
uint64_t gw_path_id(const char *arg);
/* ms since the epoch as an ISO 8601 UTC string with milliseconds; null when <= 0. */
json_t *gw_json_time(int64_t ms);

#endif
