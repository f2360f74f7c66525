/* SPDX-License-Identifier: MIT
 * cm_migrate: the migrations runner (see cm_migrate.h). It runs once at start-up, before the
 * event loop exists, so it uses blocking libpq on a connection of its own.
 *
 * Order of work: connect (waiting for the database), take the advisory lock, make sure
 * schema_migrations exists, compare what was applied with what this binary embeds, apply what
 * is pending one transaction per file, release the lock. The lock comes before CREATE TABLE
 * IF NOT EXISTS because two sessions running that statement at once can still collide on the
 * catalog's unique indexes; with one lock for every service, nothing else ever races here. */
#include "cm.h"
#include "cm_migrate.h"
#include "cm_pg.h"
#include <openssl/evp.h>

enum {
    S_RETRY_MIN_MS = 100,       /* first pause between connection attempts */
    S_RETRY_MAX_MS = 1000,      /* pause cap: a database that comes up is seen within 1 s */
    S_WAIT_LOG_EVERY_MS = 3000, /* "waiting for the database" at most this often */
    S_CONNECT_TIMEOUT_S = 5,    /* libpq connect_timeout of one attempt (libpq minimum: 2) */
    S_MSG_MAX = 200,            /* a server or libpq message quoted in `err` or a log */
    S_UNKNOWN_LIST_MAX = 128,   /* bytes of the version list in the "unknown" warning */
    S_SHA256_HEX = 64,          /* hex digits of a SHA-256 */
};

/* The advisory lock of "marquee.migrations": the first 8 bytes of its SHA-256, read as a
 * big-endian signed 64-bit integer. One key for every service: the services share
 * schema_migrations. Never change it, or an old and a new binary could migrate at once. */
static const char s_lock_key[] = "-1389249041802694333";

static const char s_sql_lock[] = "SELECT pg_advisory_lock($1::bigint)";
static const char s_sql_unlock[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char s_sql_create[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "service text NOT NULL, "
                                   "version int NOT NULL, "
                                   "name text NOT NULL, "
                                   "checksum text NOT NULL, "
                                   "applied_at timestamptz NOT NULL DEFAULT now(), "
                                   "PRIMARY KEY (service, version))";
static const char s_sql_applied[] =
    "SELECT version, checksum FROM schema_migrations WHERE service = $1 ORDER BY version";
static const char s_sql_insert[] =
    "INSERT INTO schema_migrations (service, version, name, checksum) VALUES ($1, $2, $3, $4)";

/* --- helpers --- */

/* The server's primary message for a failed result, else libpq's own message. */
static void s_res_msg(char *out, PGconn *conn, const PGresult *res)
{
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    cm_pg_message_line(out, S_MSG_MAX, m ? m : PQerrorMessage(conn));
}

static void s_on_notice(void *arg, const char *message)
{
    CM_UNUSED(arg);
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    cm_log_d("migrate", 0, "server notice: %.*s", (int)n, message);
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Lower-case hex SHA-256 of `text` into out[S_SHA256_HEX + 1]. Returns 0 or -1. */
static int s_sha256_hex(const char *text, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) || len != 32)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * len] = '\0';
    return 0;
}

/* Connect, retrying with back-off until `wait_ms` has passed. Our settings come first and the
 * caller's conninfo last (expanded), so the caller's win. Returns the connection, or NULL with
 * `err` filled. The conninfo may hold a password: it is never logged nor copied to `err`. */
static PGconn *s_connect(const char *conninfo, int wait_ms, char *err, size_t errlen)
{
    static const char *const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                           NULL};
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", S_CONNECT_TIMEOUT_S);
    const char *const values[] = {timeout, "marquee-migrate", conninfo, NULL};
    uint64_t start = cm_mono_ms();
    uint64_t deadline = start + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    uint64_t last_log = 0;
    int pause = S_RETRY_MIN_MS;
    char msg[S_MSG_MAX];
    for (;;) {
        PGconn *conn = PQconnectdbParams(keywords, values, 1);
        if (conn && PQstatus(conn) == CONNECTION_OK)
            return conn;
        cm_pg_message_line(msg, S_MSG_MAX, conn ? PQerrorMessage(conn) : "out of memory in libpq");
        PQfinish(conn);
        uint64_t now = cm_mono_ms();
        if (now >= deadline) {
            cm_errf(err, errlen,
                    "the database did not accept connections within %d ms: %s (check DATABASE_URL "
                    "and that PostgreSQL runs; DB_WAIT sets how long to wait)",
                    wait_ms, msg);
            return NULL;
        }
        if (last_log == 0 || now - last_log >= S_WAIT_LOG_EVERY_MS) {
            cm_log_n("migrate", 0, "waiting for the database (%" PRIu64 " ms so far): %s",
                     now - start, msg);
            last_log = now;
        }
        int left = (int)(deadline - now);
        s_sleep_ms(pause < left ? pause : left);
        pause = pause * 2 > S_RETRY_MAX_MS ? S_RETRY_MAX_MS : pause * 2;
    }
}

/* Run a constant statement with text parameters; returns its result when its status is
 * `want`, else NULL with the server's message in `msg`. */
static PGresult *s_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
                        ExecStatusType want, char *msg)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (res && PQresultStatus(res) == want)
        return res;
    s_res_msg(msg, conn, res);
    PQclear(res);
    return NULL;
}

/* Apply migration `m` in one transaction and record it. Returns 0, or -1 with `msg`. */
static int s_apply(PGconn *conn, const char *service, const struct cm_migration *m,
                   const char *checksum, char *msg)
{
    int rc = -1;
    PGresult *res = NULL;
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    const char *params[] = {service, version, m->name, checksum};

    res = s_exec(conn, "BEGIN", 0, NULL, PGRES_COMMAND_OK, msg);
    if (!res)
        goto out;
    PQclear(res);
    /* PQexec, not PQexecParams: a migration file holds several statements, and PQexec is the
     * call that runs them. This is acceptable only because the text is a constant compiled
     * into the binary (scripts/embed-sql.py); never call PQexec with text built at run time
     * (D-01). Inside our BEGIN the whole file is one transaction. */
    res = PQexec(conn, m->sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        s_res_msg(msg, conn, res);
        goto out;
    }
    PQclear(res);
    res = NULL;
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        /* The file ended our transaction itself (COMMIT, ROLLBACK, END): its changes can no
         * longer be tied to the row that records it. */
        cm_pg_message_line(msg, S_MSG_MAX, "the file must not contain BEGIN, COMMIT or ROLLBACK");
        goto out;
    }
    res = s_exec(conn, s_sql_insert, 4, params, PGRES_COMMAND_OK, msg);
    if (!res)
        goto out;
    PQclear(res);
    res = s_exec(conn, "COMMIT", 0, NULL, PGRES_COMMAND_OK, msg);
    if (!res)
        goto out;
    rc = 0;
out:
    PQclear(res);
    if (rc != 0 && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

/* --- public API --- */

int cm_migrate_run(const char *conninfo, const char *service, const struct cm_migration *m,
                   size_t n, int wait_ms, char *err, size_t errlen)
{
    int rc = -1;
    int applied_count = 0;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    bool locked = false;
    bool *applied = NULL;
    char(*sums)[S_SHA256_HEX + 1] = NULL;
    char msg[S_MSG_MAX];
    const char *lock_params[] = {s_lock_key};
    if (err && errlen)
        err[0] = '\0';

    if (!conninfo || !service || !*service || (n > 0 && !m)) {
        cm_errf(err, errlen, "cm_migrate_run: missing conninfo, service or migrations");
        goto out;
    }
    applied = cm_calloc(n ? n : 1, sizeof(*applied));
    sums = cm_calloc(n ? n : 1, sizeof(*sums));
    for (size_t i = 0; i < n; i++) {
        if (!m[i].name || !m[i].sql || m[i].version < 0 ||
            (i > 0 && m[i].version <= m[i - 1].version)) {
            cm_errf(err, errlen, "migrations of %s: entry %zu is malformed or out of order",
                    service, i);
            goto out;
        }
        if (s_sha256_hex(m[i].sql, sums[i]) < 0) {
            cm_errf(err, errlen, "migrations of %s: SHA-256 is not available", service);
            goto out;
        }
    }

    conn = s_connect(conninfo, wait_ms, err, errlen);
    if (!conn)
        goto out;
    PQsetNoticeProcessor(conn, s_on_notice, NULL);

    res = s_exec(conn, s_sql_lock, 1, lock_params, PGRES_TUPLES_OK, msg);
    if (!res) {
        cm_errf(err, errlen, "cannot take the migrations lock: %s", msg);
        goto out;
    }
    locked = true;
    PQclear(res);

    res = s_exec(conn, s_sql_create, 0, NULL, PGRES_COMMAND_OK, msg);
    if (!res) {
        cm_errf(err, errlen, "cannot create schema_migrations: %s", msg);
        goto out;
    }
    PQclear(res);

    const char *svc_params[] = {service};
    res = s_exec(conn, s_sql_applied, 1, svc_params, PGRES_TUPLES_OK, msg);
    if (!res) {
        cm_errf(err, errlen, "cannot read schema_migrations: %s", msg);
        goto out;
    }
    char unknown[S_UNKNOWN_LIST_MAX] = "";
    int nunknown = 0;
    for (int row = 0; row < PQntuples(res); row++) {
        long version = strtol(PQgetvalue(res, row, 0), NULL, 10);
        const char *checksum = PQgetvalue(res, row, 1);
        size_t i = 0;
        while (i < n && m[i].version != version)
            i++;
        if (i == n) {
            size_t used = strlen(unknown);
            if (used + 16 < sizeof(unknown))
                snprintf(unknown + used, sizeof(unknown) - used, "%s%ld", nunknown ? ", " : "",
                         version);
            nunknown++;
            continue;
        }
        if (strcmp(checksum, sums[i]) != 0) {
            cm_errf(err, errlen,
                    "migration %s/%03d_%s was changed after it was applied (checksum differs)",
                    service, m[i].version, m[i].name);
            goto out;
        }
        applied[i] = true;
    }
    PQclear(res);
    res = NULL;
    if (nunknown > 0)
        cm_log_w("migrate", 0,
                 "the database holds %d migration(s) of %s that this binary does not know "
                 "(version %s): a newer build ran here; continuing",
                 nunknown, service, unknown);

    for (size_t i = 0; i < n; i++) {
        if (applied[i])
            continue;
        if (s_apply(conn, service, &m[i], sums[i], msg) < 0) {
            cm_errf(err, errlen, "migration %s/%03d_%s failed: %s", service, m[i].version,
                    m[i].name, msg);
            goto out;
        }
        cm_log_n("migrate", 0, "applied migration %s/%03d_%s", service, m[i].version, m[i].name);
        applied_count++;
    }
    rc = applied_count;
out:
    PQclear(res);
    if (locked && PQstatus(conn) == CONNECTION_OK)
        PQclear(PQexecParams(conn, s_sql_unlock, 1, NULL, lock_params, NULL, NULL, 0));
    PQfinish(conn);
    cm_free(applied);
    cm_free(sums);
    return rc;
}
