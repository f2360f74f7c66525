/* SPDX-License-Identifier: MIT
 * auth: users, password hashes, sessions and refresh tokens, stream keys, roles and the audit
 * log sink. This file only wires: configuration, migrations, the RPC server (cm_service), the
 * password hasher, the audit sink, and the first admin. */
#include <openssl/crypto.h>
#include "cm.h"
#include "cm_service.h"
#include "cm_token.h"
#include "auth.h"
#include "auth_msg.h"

extern const struct cm_migration auth_migrations[];
extern const size_t auth_migrations_count;

static struct {
    char *bind;             /* AUTH_BIND */
    char *audit_bind;       /* AUDIT_BIND */
    char *database_url;     /* DATABASE_URL */
    int64_t db_wait_ms;     /* DB_WAIT */
    char *jwt_secret;       /* JWT_SECRET */
    char *jwt_issuer;       /* JWT_ISSUER */
    char *jwt_audience;     /* JWT_AUDIENCE */
    int64_t access_ttl;     /* ACCESS_TOKEN_TTL, ms */
    int64_t refresh_ttl;    /* REFRESH_TOKEN_TTL, ms */
    int64_t chain_ttl;      /* SESSION_MAX_AGE, ms */
    int64_t sessions_max;   /* SESSIONS_PER_USER */
    int64_t race_ms;        /* REFRESH_RACE_WINDOW */
    int64_t stream_key_ttl; /* STREAM_KEY_TTL, ms */
    int64_t argon_mem;      /* ARGON2_MEMORY, bytes */
    int64_t argon_time;     /* ARGON2_TIME */
    int64_t hash_threads;   /* HASH_THREADS */
    int64_t hash_queue;     /* HASH_QUEUE */
    int64_t audit_flush;    /* AUDIT_FLUSH, ms */
    char *admin_email;      /* ADMIN_EMAIL */
    char *admin_password;   /* ADMIN_PASSWORD */
    char *metrics_listen;   /* METRICS_LISTEN */
} s_cfg;

static const struct cm_cfg_var s_vars[] = {
    CM_METRICS_VARS(&s_cfg.metrics_listen, "127.0.0.1:9181"),
    {"AUTH_BIND", CM_CFG_ENDPOINT, "tcp://*:5551", &s_cfg.bind, 0, 0, NULL,
     "ZeroMQ endpoint the RPC server binds"},
    {"AUDIT_BIND", CM_CFG_ENDPOINT, "tcp://*:5561", &s_cfg.audit_bind, 0, 0, NULL,
     "ZeroMQ endpoint of the audit PULL socket the other daemons send events to"},
    CM_DATABASE_VARS(&s_cfg.database_url, &s_cfg.db_wait_ms),
    {"JWT_SECRET", CM_CFG_SECRET, NULL, &s_cfg.jwt_secret, 32, 4096, NULL,
     "HS256 key of access tokens: at least 32 random bytes, the same on the gateway"},
    {"JWT_ISSUER", CM_CFG_STR, "marquee", &s_cfg.jwt_issuer, 1, 128, NULL,
     "iss claim of access tokens"},
    {"JWT_AUDIENCE", CM_CFG_STR, "marquee-api", &s_cfg.jwt_audience, 1, 128, NULL,
     "aud claim of access tokens"},
    {"ACCESS_TOKEN_TTL", CM_CFG_MS, "15m", &s_cfg.access_ttl, 10000, 900000, NULL,
     "lifetime of an access token (15 min at most)"},
    {"REFRESH_TOKEN_TTL", CM_CFG_MS, "168h", &s_cfg.refresh_ttl, 60000, 2592000000, NULL,
     "a refresh token unused for this long expires (each refresh slides it)"},
    {"SESSION_MAX_AGE", CM_CFG_MS, "720h", &s_cfg.chain_ttl, 60000, 2592000000, NULL,
     "a login chain ends this long after the login, refreshed or not (30 days at most)"},
    {"SESSIONS_PER_USER", CM_CFG_INT, "5", &s_cfg.sessions_max, 1, 100, NULL,
     "open sessions per user; a new login ends the least recently used beyond this"},
    {"REFRESH_RACE_WINDOW", CM_CFG_MS, "250ms", &s_cfg.race_ms, 0, 5000, NULL,
     "refreshes with one token within this of each other are a client racing itself (401, "
     "the session lives); later ones are reuse (the session dies)"},
    {"STREAM_KEY_TTL", CM_CFG_MS, "6h", &s_cfg.stream_key_ttl, 60000, 86400000, NULL,
     "lifetime of a stream key (the key in a player's URL); it dies with its session too"},
    {"ARGON2_MEMORY", CM_CFG_BYTES, "19MB", &s_cfg.argon_mem, 19922944, 1073741824, NULL,
     "argon2id memory per password hash (19 MiB at least)"},
    {"ARGON2_TIME", CM_CFG_INT, "2", &s_cfg.argon_time, 2, 20, NULL,
     "argon2id passes per password hash (2 at least)"},
    {"HASH_THREADS", CM_CFG_INT, "2", &s_cfg.hash_threads, 1, 16, NULL,
     "password hashes computed at once (each holds ARGON2_MEMORY)"},
    {"HASH_QUEUE", CM_CFG_INT, "32", &s_cfg.hash_queue, 1, 4096, NULL,
     "password hashes waiting at most; beyond it logins get 503 and Retry-After"},
    {"AUDIT_FLUSH", CM_CFG_MS, "250ms", &s_cfg.audit_flush, 10, 10000, NULL,
     "audit events are written in one batch at least this often"},
    {"ADMIN_EMAIL", CM_CFG_STR, "admin@localhost", &s_cfg.admin_email, 3, 254, NULL,
     "email of the first admin, created when no admin exists"},
    {"ADMIN_PASSWORD", CM_CFG_SECRET, "", &s_cfg.admin_password, 0, 1024, NULL,
     "password of the first admin; empty: one is generated and printed once"},
};

static const struct cm_daemon s_daemon = {
    .name = "auth",
    .summary = "Marquee auth daemon: users, sessions, tokens, stream keys and the audit log.",
    .vars = s_vars,
    .nvars = CM_ARRAY_LEN(s_vars),
};

static const struct cm_proto *const s_protos[] = {&auth_proto, NULL};

static struct auth s_auth;

/* --- the first admin --- */

struct bootstrap {
    struct auth *a;
    bool done;
    int status;
    char password[65]; /* the generated one; wiped */
    bool generated;
};

static const char s_sql_has_admin[] = "SELECT count(*) FROM users WHERE role = 'admin'";
static const char s_sql_make_admin[] =
    "INSERT INTO users (email, role, password_hash) VALUES ($1, 'admin', $2) "
    "ON CONFLICT ((lower(email))) DO UPDATE SET role = 'admin', "
    "password_hash = EXCLUDED.password_hash, token_version = users.token_version + 1, "
    "updated_at = now() RETURNING id";

static void s_on_admin_made(int status, const PGresult *res, void *arg)
{
    struct bootstrap *b = arg;
    b->done = true;
    b->status = status;
    if (status != CM_OK || PQntuples(res) != 1) {
        cm_log_e("main", 0, "cannot create the first admin (SQLSTATE %s)", cm_pg_sqlstate(res));
        b->status = CM_ERR_DB;
        return;
    }
    uint64_t id = auth_col_u64(res, 0, 0);
    auth_event(b->a, "admin_bootstrap", CM_AUDIT_INFO, 0, "", "", 0,
               "first admin user %" PRIu64 " created", id);
    if (b->generated) {
        /* The one time a secret is printed (ARCHITECTURE.md, Configuration): on stderr, not
         * through the log, so log shippers that filter by level never see it either. */
        fprintf(stderr,
                "first admin: email=%s password=%s (shown once: keep it, or set ADMIN_PASSWORD)\n",
                s_cfg.admin_email, b->password);
        fflush(stderr);
    } else {
        cm_log_n("main", 0, "first admin %s created from ADMIN_EMAIL/ADMIN_PASSWORD",
                 s_cfg.admin_email);
    }
}

static void s_on_admin_hashed(int status, const char *encoded, void *arg)
{
    struct bootstrap *b = arg;
    if (status != CM_OK) {
        b->done = true;
        b->status = status;
        return;
    }
    const char *params[] = {s_cfg.admin_email, encoded};
    cm_pg_query(b->a->pg, s_sql_make_admin, 2, params, 0, s_on_admin_made, b);
}

static void s_on_has_admin(int status, const PGresult *res, void *arg)
{
    struct bootstrap *b = arg;
    if (status != CM_OK) {
        b->done = true;
        b->status = status;
        return;
    }
    if (auth_col_u64(res, 0, 0) > 0) {
        b->done = true;
        return;
    }
    const char *pw = s_cfg.admin_password;
    char err[CM_ERR_LEN];
    if (!pw[0]) {
        unsigned char raw[18];
        cm_rand_bytes(raw, sizeof(raw));
        cm_b64url_encode(raw, sizeof(raw), b->password);
        OPENSSL_cleanse(raw, sizeof(raw));
        b->generated = true;
        pw = b->password;
    } else if (auth_pw_policy(pw, strlen(pw), err, sizeof(err)) < 0) {
        cm_log_e("main", 0, "ADMIN_PASSWORD is not acceptable: %s", err);
        b->done = true;
        b->status = CM_ERR_INVALID;
        return;
    }
    if (auth_check_email(s_cfg.admin_email, err, sizeof(err)) < 0) {
        cm_log_e("main", 0, "ADMIN_EMAIL is not acceptable: %s", err);
        b->done = true;
        b->status = CM_ERR_INVALID;
        return;
    }
    if (auth_pw_hash(b->a->pw, pw, strlen(pw), s_on_admin_hashed, b) < 0) {
        b->done = true;
        b->status = CM_ERR_BUSY;
    }
}

/* Make sure an admin exists before the ready line, so a client that waits for it can log in. */
static int s_bootstrap_admin(struct cm_service_ctx *ctx)
{
    /* static: a callback may still come after a stop signal cut the wait short */
    static struct bootstrap b;
    b = (struct bootstrap){.a = &s_auth};
    cm_pg_query(ctx->pg, s_sql_has_admin, 0, NULL, 0, s_on_has_admin, &b);
    uint64_t deadline = cm_mono_ms() + 30000;
    while (!b.done && cm_mono_ms() < deadline && !cm_daemon_stopping())
        event_base_loop(ctx->base, EVLOOP_ONCE);
    OPENSSL_cleanse(b.password, sizeof(b.password));
    if (cm_daemon_stopping())
        return -1; /* stopped during start-up: exit 0 */
    if (!b.done || b.status != CM_OK) {
        cm_log_e("main", 0, "the first admin could not be set up; see above");
        return -1;
    }
    return 0;
}

static int s_setup(struct cm_service_ctx *ctx, int argc, char **argv, int argi, void *arg)
{
    CM_UNUSED(argv);
    CM_UNUSED(arg);
    if (argi < argc) {
        cm_log_e("main", 0, "auth takes no command; try --help");
        return -1;
    }
    char err[CM_ERR_LEN];
    s_auth.base = ctx->base;
    s_auth.pg = ctx->pg;
    s_auth.rpc = ctx->rpc;
    s_auth.jwt = (struct cm_jwt_key){
        .secret = (const unsigned char *)s_cfg.jwt_secret,
        .secret_len = strlen(s_cfg.jwt_secret),
        .iss = s_cfg.jwt_issuer,
        .aud = s_cfg.jwt_audience,
    };
    s_auth.access_ttl_s = (int)(s_cfg.access_ttl / 1000);
    s_auth.refresh_ttl_s = (int)(s_cfg.refresh_ttl / 1000);
    s_auth.chain_ttl_s = (int)(s_cfg.chain_ttl / 1000);
    s_auth.sessions_max = (int)s_cfg.sessions_max;
    s_auth.race_ms = (int)s_cfg.race_ms;
    s_auth.stream_key_ttl_s = (int)(s_cfg.stream_key_ttl / 1000);
    s_auth.inflight = cm_calloc(AUTH_INFLIGHT_MAX, sizeof(*s_auth.inflight));

    struct auth_pw_opts po = {
        .m_kib = (uint32_t)(s_cfg.argon_mem / 1024),
        .t = (uint32_t)s_cfg.argon_time,
        .threads = (int)s_cfg.hash_threads,
        .queue_max = (int)s_cfg.hash_queue,
    };
    if (!(s_auth.pw = auth_pw_new(ctx->base, &po, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    if (!(s_auth.audit = auth_audit_new(ctx->base, ctx->zctx, ctx->pg, s_cfg.audit_bind,
                                        (int)s_cfg.audit_flush, err, sizeof(err)))) {
        cm_log_e("main", 0, "%s", err);
        return -1;
    }
    auth_api_register(&s_auth);
    auth_users_register(&s_auth);
    auth_stream_register(&s_auth);
    if (s_bootstrap_admin(ctx) < 0)
        return -1;
    size_t n = strlen(ctx->ready);
    snprintf(ctx->ready + n, sizeof(ctx->ready) - n, " audit=%s",
             auth_audit_endpoint(s_auth.audit));
    return 0;
}

static void s_teardown(struct cm_service_ctx *ctx, void *arg)
{
    CM_UNUSED(arg);
    /* Pending hashes answer their requests with CM_ERR_SHUTDOWN; queued audit events get one
     * last chance to reach the database. */
    auth_api_shutdown(&s_auth);
    auth_pw_destroy(&s_auth.pw);
    uint64_t end = cm_mono_ms() + 2000;
    while (s_auth.audit && auth_audit_flush_now(s_auth.audit) > 0 && cm_mono_ms() < end)
        event_base_loop(ctx->base, EVLOOP_ONCE);
    auth_audit_destroy(&s_auth.audit);
    cm_free(s_auth.inflight);
    s_auth.inflight = NULL;
}

int main(int argc, char **argv)
{
    struct cm_service svc = {
        .metrics_listen = &s_cfg.metrics_listen,
        .daemon = &s_daemon,
        .bind = &s_cfg.bind,
        .protos = s_protos,
        .database_url = &s_cfg.database_url,
        .db_wait_ms = &s_cfg.db_wait_ms,
        .migrations = auth_migrations,
        .nmigrations = &auth_migrations_count,
        .setup = s_setup,
        .teardown = s_teardown,
    };
    return cm_service_main(&svc, argc, argv);
}
