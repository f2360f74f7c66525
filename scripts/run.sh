#!/usr/bin/env bash
# make run: start the whole suite on this machine. scripts/run.sh BIN_DIR
#   - a private PostgreSQL under the state directory when DATABASE_URL is unset (reused by the
#     next run), running as the unprivileged `postgres` user when we are root;
#   - secrets generated once into the state directory (mode 600), never printed;
#   - auth, source-discovery, stream-proxy, WORKERS torrent workers (default 1), gateway;
#   - the URLs once /api/health answers; Ctrl-C stops everything, PostgreSQL included.
# Environment: WORKERS, STATE_DIR (default .state), DATABASE_URL, and every daemon variable
# (see `<daemon> --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${1:-build/release/bin}
STATE=${STATE_DIR:-$ROOT/.state}
WORKERS=${WORKERS:-1}
[[ "$WORKERS" =~ ^[1-9][0-9]?$ ]] || { echo "run: WORKERS must be 1..99, got '$WORKERS'" >&2; exit 2; }
mkdir -p "$STATE/logs"
# Traversable (the postgres user keeps its cluster in $STATE/pg) but not listable; the
# secrets file and the logs are the owner's only.
chmod 711 "$STATE"
chmod 700 "$STATE/logs"

say() { printf '%s\n' "$*" >&2; }

# --- secrets: generated on the first run, kept in the state directory ---------------------
SECRETS=$STATE/secrets.env
if [ ! -s "$SECRETS" ]; then
    umask 077
    {
        echo "JWT_SECRET=$(head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_')"
        echo "SOURCE_SECURITY_KEY=$(head -c 32 /dev/urandom | base64 -w0)"
    } >"$SECRETS"
    umask 022
    say "run: generated secrets in $SECRETS"
fi
if ! grep -q '^ADMIN_PASSWORD=' "$SECRETS"; then
    # the first admin's password: in the secrets file, and shown below while the stack runs
    echo "ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 -w0 | tr '+/' '-_')" >>"$SECRETS"
fi
set -a
# shellcheck disable=SC1090
. "$SECRETS"
set +a
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@localhost}
export ADMIN_EMAIL

# --- PostgreSQL ------------------------------------------------------------------------------
PG_DIR=""
if [ -z "${DATABASE_URL:-}" ]; then
    PG_DIR=$STATE/pg
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; then
        # The checkout sits where the postgres user cannot go (e.g. under /root): keep the
        # cluster in a directory of its own, named after this checkout so runs reuse it.
        alt=/var/lib/marquee/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
        mkdir -p "$alt"
        [ -e "$PG_DIR" ] || ln -s "$alt" "$PG_DIR"
        PG_DIR=$alt
    fi
    say "run: starting PostgreSQL in $PG_DIR"
    DATABASE_URL=$(python3 scripts/pgcluster.py start "$PG_DIR")
    export DATABASE_URL
fi

# --- daemons ----------------------------------------------------------------------------------
PIDS=()
NAMES=()
stop_all() {
    trap - INT TERM EXIT
    say ""
    say "run: stopping"
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    if [ -n "$PG_DIR" ]; then
        python3 scripts/pgcluster.py stop "$PG_DIR" >/dev/null 2>&1 || true
        say "run: PostgreSQL stopped"
    fi
    say "run: stopped"
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

start() { # start NAME BINARY [ENV=VALUE...]
    # Each daemon gets its own session: Ctrl-C reaches this script only, which stops the
    # daemons itself (SIGTERM, by PID) and then PostgreSQL.
    local name=$1 bin=$2
    shift 2
    setsid env "$@" "$BIN/$bin" </dev/null 2> >(tee -a "$STATE/logs/$name.log" >&2) &
    PIDS+=($!)
    NAMES+=("$name")
}

start auth auth
start source-discovery source-discovery
start stream-proxy stream-proxy
for i in $(seq 1 "$WORKERS"); do
    # each worker: its own disk cache, and peer port 6881, 6882, ... unless BT_LISTEN is set
    start "worker-$i" torrent-worker "WORKER_ID=${WORKER_ID_PREFIX:-worker}-$i" \
        "CACHE_DIR=${CACHE_DIR:-$STATE/cache}-$i" "BT_LISTEN=${BT_LISTEN:-0.0.0.0:$((6880 + i))}"
done
start gateway gateway

# --- wait until healthy ------------------------------------------------------------------------
GW=${GATEWAY_LISTEN:-0.0.0.0:8080}
GW_PORT=${GW##*:}
for _ in $(seq 1 150); do
    for i in "${!PIDS[@]}"; do
        if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
            say "run: ${NAMES[$i]} exited during start-up; see the lines above or $STATE/logs/${NAMES[$i]}.log"
            exit 1
        fi
    done
    if curl -fsS -o /dev/null "http://127.0.0.1:$GW_PORT/api/health" 2>/dev/null; then
        SP=${STREAM_LISTEN:-0.0.0.0:8090}
        say ""
        say "Marquee is up ($WORKERS worker(s)):"
        say "  API      http://localhost:$GW_PORT/api/health"
        say "  streams  http://localhost:${SP##*:}/"
        say "  logs     $STATE/logs/"
        say "  admin    $ADMIN_EMAIL / $ADMIN_PASSWORD  (initial password, kept in $SECRETS)"
        say "Press Ctrl-C to stop."
        wait -n "${PIDS[@]}" || true
        say "run: a daemon exited; stopping the others"
        exit 1
    fi
    sleep 0.2
done
say "run: the gateway did not report healthy within 30 s:"
curl -sS "http://127.0.0.1:$GW_PORT/api/health" >&2 || true
exit 1
