#!/usr/bin/env python3
"""Throwaway and persistent PostgreSQL clusters on a Unix socket (stdlib only).

    pgcluster.py start [--fast] DIR   initdb DIR/data if missing, start, wait (<= 30 s), create
                                      database `marquee` if missing; print the URL on stdout
    pgcluster.py stop DIR             fast shutdown, waits
    pgcluster.py restart DIR          pg_ctl restart -m fast, waits until ready
    pgcluster.py status DIR           exit 0 when running, 1 otherwise
    pgcluster.py url DIR              print the URL

The server listens on DIR/sock only (listen_addresses = '', socket directory mode 0700), so
nothing else on the machine can connect, and local connections use trust authentication. Its
log is DIR/log/postgres.log. --fast turns off fsync, synchronous_commit and full_page_writes:
for throwaway test clusters only (`make run` does not use it).

PostgreSQL refuses to run as root. When run as root, DIR is handed to the `postgres` user and
initdb/pg_ctl run through `runuser -u postgres --`.

Python API (used by tests/integration/conftest.py):

    c = PgCluster("/tmp/x", fast=True); url = c.start(); c.pid; c.restart(); c.stop()
"""
import argparse
import glob
import os
import pwd
import re
import subprocess
import sys
import time
import urllib.parse

START_TIMEOUT_S = 30  # a start or restart must reach "accepting connections" within this
STOP_TIMEOUT_S = 30  # pg_ctl stop -t
INITDB_TIMEOUT_S = 120  # initdb of an empty cluster
CLIENT_TIMEOUT_S = 15  # one psql or pg_isready run
SOCKET_PATH_MAX = 100  # bytes; sun_path holds 107, and we want a margin
PORT = 5432  # the socket file is DIR/sock/.s.PGSQL.5432; one socket directory per cluster
DBNAME = "marquee"
SUPERUSER = "postgres"
LOG_TAIL_LINES = 20


class PgClusterError(Exception):
    """A failure with one readable sentence; the server log tail is appended when useful."""


def _bindir():
    """The highest installed /usr/lib/postgresql/<major>/bin (PATH is not trusted)."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        m = re.fullmatch(r"/usr/lib/postgresql/(\d+)(?:\.(\d+))?/bin", d)
        if m and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            found.append(((int(m.group(1)), int(m.group(2) or 0)), d))
    if not found:
        raise PgClusterError("no PostgreSQL server found in /usr/lib/postgresql/*/bin "
                             "(install the Debian package `postgresql`)")
    return max(found)[1]


def _clean_env():
    """Our environment without PG* variables, which would redirect the client tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


class PgCluster:
    """One cluster in `dir`: data in dir/data, socket in dir/sock, log in dir/log."""

    def __init__(self, dir, fast=False):
        self.dir = os.path.abspath(dir)
        self.fast = fast
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.logdir = os.path.join(self.dir, "log")
        self.logfile = os.path.join(self.logdir, "postgres.log")
        self._root = os.geteuid() == 0
        self._bin = None

    # --- properties ---------------------------------------------------------------------

    @property
    def url(self):
        host = urllib.parse.quote(self.sock, safe="/")
        return "postgresql:///%s?host=%s&user=%s" % (DBNAME, host, SUPERUSER)

    @property
    def pid(self):
        """The postmaster's pid, or None when no server runs."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as fh:
                pid = int(fh.readline().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    # --- helpers ------------------------------------------------------------------------

    def _tool(self, name):
        if self._bin is None:
            self._bin = _bindir()
        return os.path.join(self._bin, name)

    def _run(self, argv, timeout, as_server=True, check=True):
        """Run a tool, as the postgres user for server tools when we are root. Bounded."""
        if as_server and self._root:
            argv = ["runuser", "-u", SUPERUSER, "--"] + argv
        cwd = self.dir if os.path.isdir(self.dir) else "/"
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout, env=_clean_env(), cwd=cwd)
        except subprocess.TimeoutExpired:
            raise PgClusterError("%s did not finish within %d s" % (self._name(argv), timeout))
        if check and p.returncode != 0:
            out = (p.stderr or p.stdout).strip()
            raise PgClusterError("%s failed (exit %d): %s"
                                 % (self._name(argv), p.returncode, out))
        return p

    @staticmethod
    def _name(argv):
        for a in argv:
            if a.startswith("/"):
                return os.path.basename(a)
        return argv[0]

    def log_tail(self, n=LOG_TAIL_LINES):
        try:
            with open(self.logfile, errors="replace") as fh:
                lines = fh.readlines()
        except OSError:
            return ""
        return "".join(lines[-n:])

    def _fail(self, msg):
        tail = self.log_tail()
        if tail:
            msg += "\n--- last lines of %s ---\n%s" % (self.logfile, tail.rstrip("\n"))
        raise PgClusterError(msg)

    def _check_paths(self):
        sockfile = os.path.join(self.sock, ".s.PGSQL.%d" % PORT)
        if len(sockfile.encode()) > SOCKET_PATH_MAX:
            raise PgClusterError("the socket path %s is %d bytes, more than %d: use a shorter "
                                 "directory (e.g. mktemp -d under /tmp)"
                                 % (sockfile, len(sockfile.encode()), SOCKET_PATH_MAX))
        if "'" in self.dir or "\n" in self.dir:
            raise PgClusterError("the directory name must not contain quotes or newlines: %r"
                                 % self.dir)

    def _postgres_can_reach(self, path):
        p = subprocess.run(["runuser", "-u", SUPERUSER, "--", "test", "-x", path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10, cwd="/")
        return p.returncode == 0

    def _prepare_dirs(self):
        """Create DIR, DIR/sock (0700) and DIR/log; as root, give them to postgres."""
        self._check_paths()
        os.makedirs(self.dir, exist_ok=True)
        if self._root:
            try:
                pw = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PgClusterError("running as root needs a `postgres` user to run the "
                                     "server, and there is none")
            parent = os.path.dirname(self.dir)
            if not self._postgres_can_reach(parent):
                blocker = parent
                for anc in self._ancestors(parent):
                    if not self._postgres_can_reach(anc):
                        blocker = anc
                        break
                raise PgClusterError("the postgres user cannot traverse %s, so it cannot "
                                     "reach %s: use a directory under /tmp or chmod o+x %s"
                                     % (blocker, self.dir, blocker))
            if os.stat(self.dir).st_uid != pw.pw_uid:
                subprocess.run(["chown", "-R", "%s:" % SUPERUSER, self.dir], check=True,
                               timeout=120)
        for d in (self.sock, self.logdir):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o700)
            if self._root:
                pw = pwd.getpwnam(SUPERUSER)
                os.chown(d, pw.pw_uid, pw.pw_gid)
        if self._root and not self._postgres_can_reach(self.dir):
            raise PgClusterError("the postgres user cannot enter %s" % self.dir)

    @staticmethod
    def _ancestors(path):
        """'/', '/a', '/a/b' for '/a/b': the first one that fails is the one to report."""
        parts = path.strip("/").split("/")
        out = ["/"]
        for i in range(len(parts)):
            if parts[i]:
                out.append("/" + "/".join(parts[: i + 1]))
        return out

    def _write_conf(self):
        """Settings we own live in data/pgcluster.conf, rewritten at every start."""
        lines = [
            "# written by scripts/pgcluster.py at every start; do not edit",
            "listen_addresses = ''",
            "port = %d" % PORT,
            "unix_socket_directories = '%s'" % self.sock,
            "unix_socket_permissions = 0700",
        ]
        if self.fast:
            lines += ["# --fast: throwaway test cluster, a crash may lose data",
                      "fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        path = os.path.join(self.data, "pgcluster.conf")
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        if self._root:
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
        os.replace(tmp, path)

    def _initdb(self):
        argv = [self._tool("initdb"), "-D", self.data, "-U", SUPERUSER, "--auth=trust",
                "-E", "UTF8", "--no-locale", "--no-instructions"]
        if self.fast:
            argv.append("--no-sync")
        self._run(argv, INITDB_TIMEOUT_S)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as fh:
            fh.write("\ninclude_if_exists = 'pgcluster.conf'\n")

    def _pg_ctl(self, *args, timeout, check=True):
        return self._run([self._tool("pg_ctl"), "-D", self.data] + list(args), timeout,
                         check=check)

    def running(self):
        if not os.path.isdir(self.data):
            return False
        return self._pg_ctl("status", timeout=CLIENT_TIMEOUT_S, check=False).returncode == 0

    def _wait_ready(self, deadline):
        while True:
            p = self._run([self._tool("pg_isready"), "-q", "-h", self.sock, "-p", str(PORT),
                           "-U", SUPERUSER, "-d", "postgres", "-t", "2"], CLIENT_TIMEOUT_S,
                          as_server=False, check=False)
            if p.returncode == 0:
                return
            if time.monotonic() >= deadline:
                self._fail("the server did not accept connections within %d s"
                           % START_TIMEOUT_S)
            time.sleep(0.1)

    def _psql(self, sql, db="postgres", check=True):
        return self._run([self._tool("psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                          "-h", self.sock, "-p", str(PORT), "-U", SUPERUSER, "-d", db,
                          "-c", sql], CLIENT_TIMEOUT_S, as_server=False, check=check)

    def _create_db(self):
        p = self._psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % DBNAME)
        if p.stdout.strip() == "1":
            return
        p = self._psql("CREATE DATABASE %s" % DBNAME, check=False)
        if p.returncode != 0 and "already exists" not in p.stderr:
            raise PgClusterError("CREATE DATABASE %s failed: %s" % (DBNAME, p.stderr.strip()))

    # --- public API ---------------------------------------------------------------------

    def start(self):
        """Create if needed, start if not running, wait until ready; returns the URL."""
        deadline = time.monotonic() + START_TIMEOUT_S
        self._prepare_dirs()
        if not os.path.isdir(self.data):
            self._initdb()
        self._write_conf()
        if not self.running():
            p = self._pg_ctl("start", "-w", "-t", str(START_TIMEOUT_S), "-l", self.logfile,
                             timeout=START_TIMEOUT_S + 10, check=False)
            if p.returncode != 0:
                self._fail("pg_ctl start failed (exit %d): %s"
                           % (p.returncode, (p.stderr or p.stdout).strip()))
        self._wait_ready(deadline)
        self._create_db()
        return self.url

    def stop(self):
        """Fast shutdown (active sessions are disconnected), waiting until it is down."""
        if not self.running():
            return
        p = self._pg_ctl("stop", "-m", "fast", "-w", "-t", str(STOP_TIMEOUT_S),
                         timeout=STOP_TIMEOUT_S + 10, check=False)
        if p.returncode != 0:
            self._fail("pg_ctl stop failed (exit %d): %s"
                       % (p.returncode, (p.stderr or p.stdout).strip()))

    def restart(self):
        """pg_ctl restart -m fast (starts it when it was down), waiting until ready."""
        if not os.path.isdir(self.data):
            raise PgClusterError("no cluster in %s: run `start` first" % self.dir)
        deadline = time.monotonic() + START_TIMEOUT_S
        p = self._pg_ctl("restart", "-m", "fast", "-w", "-t", str(START_TIMEOUT_S),
                         "-l", self.logfile, timeout=START_TIMEOUT_S + STOP_TIMEOUT_S + 10,
                         check=False)
        if p.returncode != 0:
            self._fail("pg_ctl restart failed (exit %d): %s"
                       % (p.returncode, (p.stderr or p.stdout).strip()))
        self._wait_ready(deadline)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="pgcluster.py",
                                 description="Throwaway PostgreSQL clusters on a Unix socket.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, text in (("start", "create if needed, start, print the URL"),
                       ("stop", "fast shutdown"), ("restart", "fast restart"),
                       ("status", "exit 0 when running"), ("url", "print the URL")):
        sp = sub.add_parser(name, help=text)
        if name == "start":
            sp.add_argument("--fast", action="store_true",
                            help="fsync/synchronous_commit/full_page_writes off (tests only)")
        sp.add_argument("dir")
    args = ap.parse_args(argv)
    c = PgCluster(args.dir, fast=getattr(args, "fast", False))
    try:
        if args.cmd == "start":
            print(c.start(), flush=True)
        elif args.cmd == "stop":
            c.stop()
        elif args.cmd == "restart":
            c.restart()
        elif args.cmd == "status":
            return 0 if c.running() else 1
        elif args.cmd == "url":
            c._check_paths()
            print(c.url, flush=True)
    except PgClusterError as e:
        print("pgcluster: %s" % e, file=sys.stderr)
        return 1
    except (OSError, subprocess.SubprocessError) as e:
        print("pgcluster: %s: %s" % (args.cmd, e), file=sys.stderr)
        tail = c.log_tail()
        if tail:
            print("--- last lines of %s ---\n%s" % (c.logfile, tail.rstrip("\n")),
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
