/* SPDX-License-Identifier: MIT
 * Tests of cm_migrate against a real, throwaway PostgreSQL (scripts/pgcluster.py start
 * --fast): first and second run, a changed file, a failing file, two processes at once (the
 * advisory lock), and a database that is down at start. Every wait is bounded. */
#include "cm.h"
#include "cm_migrate.h"
#include "../../tap.h"
#include "../pg_cluster.h"
#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/wait.h>

enum {
    T_WAIT_MS = 10000,   /* wait_ms of the runs that expect a database */
    T_CHILD_WAIT_S = 60, /* a forked migrator must finish within this */
    T_CONC_PROCS = 4,    /* processes migrating at once */
};

/* --- helpers --- */

static uint64_t t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One value of a constant query with text parameters (blocking; tests only). Returns a
 * pointer to a static copy, or "ERROR: ..." on failure. */
static const char *t_value(const char *url, const char *sql, int n, const char *const *params)
{
    static char out[512];
    PGconn *conn = PQconnectdb(url);
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
        snprintf(out, sizeof(out), "%s", PQgetvalue(res, 0, 0));
    else
        snprintf(out, sizeof(out), "ERROR: %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return out;
}

static const char *t_count(const char *url, const char *service)
{
    const char *p[] = {service};
    return t_value(url, "SELECT count(*) FROM schema_migrations WHERE service = $1", 1, p);
}

static const struct cm_migration t_auth[] = {
    {1, "users",
     "CREATE TABLE mt_users (id int PRIMARY KEY, name text NOT NULL);\n"
     "INSERT INTO mt_users VALUES (1, 'it''s; -- not a comment');\n"},
    {2, "sessions", "CREATE TABLE mt_sessions (id int, user_id int REFERENCES mt_users);\n"},
    {3, "sessions_index", "CREATE INDEX mt_sessions_user ON mt_sessions (user_id);\n"},
};

/* --- tests --- */

static void test_fresh_and_again(const char *url)
{
    char err[CM_ERR_LEN] = "x";
    int n = cm_migrate_run(url, "auth", t_auth, 3, T_WAIT_MS, err, sizeof(err));
    is_int(n, 3, "fresh database: 3 migrations applied");
    is_str(err, "", "no error");
    is_str(t_count(url, "auth"), "3", "3 rows in schema_migrations");
    is_str(t_value(url,
                   "SELECT string_agg(version || ':' || name, ',' ORDER BY version) "
                   "FROM schema_migrations WHERE service = 'auth'",
                   0, NULL),
           "1:users,2:sessions,3:sessions_index", "versions and names recorded");
    /* The checksum is the SHA-256 of the file's text, checked by the server's own sha256. */
    const char *p[] = {t_auth[0].sql};
    is_str(t_value(url,
                   "SELECT checksum = encode(sha256(convert_to($1, 'UTF8')), 'hex') "
                   "FROM schema_migrations WHERE service = 'auth' AND version = 1",
                   1, p),
           "t", "checksum is the hex SHA-256 of the text");
    is_str(t_value(url, "SELECT name FROM mt_users WHERE id = 1", 0, NULL),
           "it's; -- not a comment", "the migration's data is there");

    n = cm_migrate_run(url, "auth", t_auth, 3, T_WAIT_MS, err, sizeof(err));
    is_int(n, 0, "second run: 0 applied");
    is_str(t_count(url, "auth"), "3", "still 3 rows");

    /* This binary knows fewer migrations than the database holds: a warning, no failure. */
    n = cm_migrate_run(url, "auth", t_auth, 2, T_WAIT_MS, err, sizeof(err));
    is_int(n, 0, "database ahead of the binary: 0 applied, no failure");
}

static void test_changed(const char *url)
{
    struct cm_migration changed[3];
    memcpy(changed, t_auth, sizeof(changed));
    changed[0].sql = "CREATE TABLE mt_users (id bigint PRIMARY KEY, name text NOT NULL);\n";
    char err[CM_ERR_LEN] = "";
    int n = cm_migrate_run(url, "auth", changed, 3, T_WAIT_MS, err, sizeof(err));
    is_int(n, -1, "changed file: refused");
    is_str(err, "migration auth/001_users was changed after it was applied (checksum differs)",
           "error names the migration");
}

static void test_failing(const char *url)
{
    static const struct cm_migration disc[] = {
        {1, "sources", "CREATE TABLE mt_sources (id int);\n"},
        {2, "broken", "CREATE TABLE mt_broken (id int);\nCREATE TABL mt_oops (x int);\n"},
        {3, "never", "CREATE TABLE mt_never (id int);\n"},
    };
    char err[CM_ERR_LEN] = "";
    int n = cm_migrate_run(url, "disc", disc, 3, T_WAIT_MS, err, sizeof(err));
    is_int(n, -1, "failing migration: -1");
    ok(strncmp(err, "migration disc/002_broken failed: syntax error", 46) == 0,
       "error names the migration and the server's message");
    diag("err: %s", err);
    is_str(t_value(url, "SELECT to_regclass('mt_sources') IS NOT NULL", 0, NULL), "t",
           "the earlier migration stays applied");
    is_str(t_value(url, "SELECT to_regclass('mt_broken') IS NULL", 0, NULL), "t",
           "the failing file's own table was rolled back");
    is_str(t_value(url, "SELECT to_regclass('mt_never') IS NULL", 0, NULL), "t",
           "later migrations were not run");
    is_str(t_count(url, "disc"), "1", "only 001 recorded");

    /* A file that ends our transaction itself is refused, and named. */
    static const struct cm_migration tx[] = {
        {1, "commits", "CREATE TABLE mt_tx (id int);\nCOMMIT;\n"},
    };
    n = cm_migrate_run(url, "tx", tx, 1, T_WAIT_MS, err, sizeof(err));
    is_int(n, -1, "a file with COMMIT: -1");
    ok(strstr(err, "migration tx/001_commits failed: the file must not contain") == err,
       "error says why");
    is_str(t_count(url, "tx"), "0", "and it is not recorded");
}

/* Several processes migrate a fresh database at once: each file must run exactly once. The
 * files are not idempotent (a second CREATE TABLE would fail), and the first one sleeps to
 * widen the window. */
static void test_concurrent(const struct t_cluster *c)
{
    static const struct cm_migration conc[] = {
        {1, "a", "SELECT pg_sleep(0.3);\nCREATE TABLE mt_conc_a (id int);\n"},
        {2, "b", "CREATE TABLE mt_conc_b (id int);\n"},
        {3, "c", "CREATE TABLE mt_conc_c (id int);\n"},
    };
    char url[600];
    PGconn *conn = PQconnectdb(c->url);
    PQclear(PQexec(conn, "CREATE DATABASE mt_conc"));
    PQfinish(conn);
    is_str(t_value(c->url, "SELECT count(*) FROM pg_database WHERE datname = 'mt_conc'", 0, NULL),
           "1", "fresh database mt_conc created");
    snprintf(url, sizeof(url), "postgresql:///mt_conc?host=%s/sock&user=postgres", c->dir);

    pid_t pids[T_CONC_PROCS];
    for (int i = 0; i < T_CONC_PROCS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char err[CM_ERR_LEN];
            int n = cm_migrate_run(url, "conc", conc, 3, T_WAIT_MS, err, sizeof(err));
            if (n < 0)
                fprintf(stderr, "child %d: %s\n", i, err);
            _exit(n < 0 ? 100 : n);
        }
    }
    int total = 0, failed = 0;
    for (int i = 0; i < T_CONC_PROCS; i++) {
        int st = -1;
        pid_t r = 0;
        for (int t = 0; t < T_CHILD_WAIT_S * 10 && r == 0; t++) {
            r = waitpid(pids[i], &st, WNOHANG);
            if (r == 0)
                usleep(100 * 1000);
        }
        if (r == 0) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], &st, 0);
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) <= 3)
            total += WEXITSTATUS(st);
        else
            failed++;
    }
    is_int(failed, 0, "4 processes migrating at once: all succeed");
    is_int(total, 3, "each migration applied once in all");
    is_str(t_count(url, "conc"), "3", "3 rows recorded");
}

static void test_down_at_start(struct t_cluster *c)
{
    is_int(t_cluster_ctl(c, "stop"), 0, "server stopped");
    char err[CM_ERR_LEN] = "";
    uint64_t t0 = t_now_ms();
    int n = cm_migrate_run(c->url, "auth", t_auth, 3, 1500, err, sizeof(err));
    uint64_t took = t_now_ms() - t0;
    is_int(n, -1, "database down, wait 1500 ms: -1");
    ok(took >= 1400 && took < 4000, "after about 1500 ms");
    diag("failed after %" PRIu64 " ms: %s", took, err);
    ok(strncmp(err, "the database did not accept connections within 1500 ms: ", 56) == 0,
       "clear message");
    ok(strstr(err, "user=") == NULL && strstr(err, "postgresql://") == NULL,
       "no conninfo in the message");

    /* The database comes up while we wait: the run succeeds. */
    pid_t child = fork();
    if (child == 0) {
        usleep(1000 * 1000);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execl(t_python(), t_python(), t_script, "start", "--fast", c->dir, (char *)NULL);
        _exit(127);
    }
    n = cm_migrate_run(c->url, "auth", t_auth, 3, 30000, err, sizeof(err));
    is_int(n, 0, "database that comes up during the wait: run succeeds");
    int st = -1;
    for (int t = 0; t < T_CHILD_WAIT_S * 10; t++) {
        if (waitpid(child, &st, WNOHANG) == child)
            break;
        usleep(100 * 1000);
    }
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pgcluster.py start ran");
}

int main(void)
{
    cm_log_init("cm_migrate_test");
    struct t_cluster c;
    if (t_cluster_start(&c) < 0) {
        ok(0, "throwaway PostgreSQL started");
        t_cluster_stop(&c);
        return done_testing();
    }
    ok(1, "throwaway PostgreSQL started");
    test_concurrent(&c);
    test_fresh_and_again(c.url);
    test_changed(c.url);
    test_failing(c.url);
    test_down_at_start(&c);
    t_cluster_stop(&c);
    return done_testing();
}
