#!/usr/bin/env bash
# Install every Debian package that the build, the tests and `make run` need, and only the
# missing ones. `make run` and `make test` call this first, so a fresh Debian 12 machine needs
# nothing else. Usage: scripts/bootstrap.sh [--check] [--bench]
#   --check: only report, exit 1 if missing; --bench: also what `make bench` needs (node, npm)
set -euo pipefail

CHECK=0
BENCH=0
for a in "$@"; do
    case "$a" in
    --check) CHECK=1 ;;
    --bench) BENCH=1 ;;
    *) echo "usage: $0 [--check] [--bench]" >&2; exit 2 ;;
    esac
done

PACKAGES=(
    # build
    build-essential pkg-config git
    libevent-dev libzmq3-dev libmsgpack-dev libpq-dev libcurl4-openssl-dev libjwt-dev
    libssl-dev libjansson-dev libargon2-dev
    # code generation, embedding SQL, test harness
    python3 python3-pytest python3-zmq python3-msgpack python3-psycopg2
    # fuzzing and sanitizers (clang's libFuzzer and runtimes; llvm-symbolizer for reports)
    clang libclang-rt-14-dev llvm
    # tests and `make run`: a private PostgreSQL, HTTP client, process tools, TAP runner
    postgresql curl procps util-linux perl iproute2
    # style check; offline validation of docker-compose.yml and deploy/k8s (YAML structure)
    clang-format docker-compose python3-yaml
    # BitTorrent interop tests: real peers and a tracker on loopback (tests/integration/btswarm.py)
    aria2 opentracker qbittorrent-nox mktorrent
    # GNU time: peak RSS of a program (tests/integration/test_32_peer_abuse.py, make bench)
    time
    # playback in a real browser (tests/integration/test_42_browser.py): headless Chromium
    # driven over the DevTools protocol (websocket-client), test videos made with ffmpeg
    chromium ffmpeg python3-websocket
)
# `kubectl kustomize deploy/k8s` renders the Kubernetes manifests offline; a kubectl from
# elsewhere (another package, a newer release) is kept as it is
command -v kubectl >/dev/null || PACKAGES+=(kubernetes-client)
if [ $BENCH -eq 1 ]; then
    # the download benchmark drives the WebTorrent library (npm) from node; a node from
    # elsewhere (e.g. NodeSource's, which bundles npm) is kept as it is
    command -v node >/dev/null || PACKAGES+=(nodejs)
    command -v npm >/dev/null || PACKAGES+=(npm)
    # the API benchmark (tests/bench/auth_me.py): HTTP load with latency percentiles
    PACKAGES+=(wrk)
    # the streaming benchmark (tests/bench/stream_bench.py): a cached file from disk by nginx
    PACKAGES+=(nginx-light)
fi

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ $CHECK -eq 1 ]; then
    echo "bootstrap: missing packages: ${missing[*]}" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: run this as root to install them: sudo $0" >&2
    echo "           (or: sudo apt-get install --no-install-recommends ${missing[*]})" >&2
    exit 1
fi

# PostgreSQL's package would create and start a system-wide cluster; we run private ones.
if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
fi

echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2
echo "bootstrap: done" >&2
