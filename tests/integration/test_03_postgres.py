"""PostgreSQL under running daemons: migrations, restarts, outages."""
import subprocess

import psycopg2

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BIN, JWT_SECRET, ROOT, health, wait_until


def rows(url, sql):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def db_states(stack):
    st, body, _ = health(stack)
    return st, body["services"]["auth"].get("db"), body["services"]["discovery"].get("db")


def test_migrations_recorded_once_per_service(stack, pg):
    stack.start_core(workers=0)
    got = rows(pg.url, "SELECT service, version, name FROM schema_migrations ORDER BY 1, 2")
    assert ("auth", 1, "users") in got and ("source-discovery", 1, "movies") in got
    assert len(got) == len(set((s, v) for s, v, _ in got))
    assert rows(pg.url, "SELECT to_regclass('users') IS NOT NULL, "
                        "to_regclass('movies') IS NOT NULL") == [(True, True)]


def test_replicas_starting_together_apply_each_migration_once(tmp_path, pg):
    """Four auth processes migrate the same fresh database at once (the advisory lock)."""
    conn = psycopg2.connect(pg.url)
    conn.autocommit = True
    conn.cursor().execute("DROP DATABASE IF EXISTS race")
    conn.cursor().execute("CREATE DATABASE race")
    conn.close()
    url = pg.url.replace("/marquee?", "/race?")
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "AUTH_BIND": "tcp://127.0.0.1:*",
           "AUDIT_BIND": "tcp://127.0.0.1:*", "JWT_SECRET": JWT_SECRET,
           "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD,
           "METRICS_LISTEN": "127.0.0.1:0"}
    procs = [subprocess.Popen([str(BIN / "auth")], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    try:
        wait_until(lambda: rows(url, "SELECT count(*) FROM pg_stat_activity "
                                     "WHERE datname = 'race' AND application_name = 'auth'")[0][0]
                   == 4, 30, what="four auth daemons connected")
    finally:
        for p in procs:
            p.terminate()
        outs = [p.communicate(timeout=15)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    applied = sum(o.count("applied migration auth/001_users") for o in outs)
    assert applied == 1, outs
    (n, distinct), = rows(url, "SELECT count(*), count(DISTINCT version) FROM schema_migrations "
                               "WHERE service = 'auth'")
    assert n == distinct == len(list((ROOT / "services/auth/sql").glob("*.sql")))


def test_database_restart_under_running_daemons(stack, pg):
    stack.start_core()
    assert db_states(stack) == (200, "up", "up")
    pids = {n: d.pid for n, d in stack.daemons.items()}
    pg.restart()
    wait_until(lambda: db_states(stack) == (200, "up", "up"), 15,
               what="both daemons back on the restarted database")
    assert all(stack.daemons[n].alive() and stack.daemons[n].pid == p for n, p in pids.items())


def test_database_down_fails_fast_then_recovers(stack, pg):
    stack.start_core()
    pg.stop()
    try:
        def degraded():
            st, a, d = db_states(stack)
            return st == 503 and a == "down" and d == "down"
        wait_until(degraded, 10, what="health to report both databases down")
        # While it is down, every health answer still comes quickly (fail fast, no hang).
        for _ in range(5):
            st, body, secs = health(stack)
            assert st == 503 and secs < 2.0
    finally:
        pg.start()
    wait_until(lambda: db_states(stack) == (200, "up", "up"), 20,
               what="both daemons reconnected after the database came back")
