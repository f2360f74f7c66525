#!/usr/bin/env bash
# `make bench`: the API benchmark (tests/bench/auth_me.py), the download benchmark
# (tests/bench/bt_download.py) and the streaming benchmark (tests/bench/stream_bench.py).
# Builds nothing: it uses
# build/release/bin (BENCH_BIN overrides), so run `make all` first. Installs what it needs:
# the Debian packages (scripts/bootstrap.sh --bench) and, once, the WebTorrent and peerflix
# libraries into tests/bench/node/node_modules (npm, no install scripts; see
# tests/bench/node/package.json).
# A client that cannot be installed or run is reported as SKIP and the others go on.
# Environment: BENCH_RUNS, BENCH_SIZE_MIB, BENCH_CLIENTS, BENCH_BIN, BENCH_STRICT, BENCH_KEEP;
# STREAM_BENCH_CLIENTS, STREAM_BENCH_SIZE_MIB, STREAM_BENCH_PIECE_KIB (stream_bench.py).
set -uo pipefail
cd "$(dirname "$0")/../.."

scripts/bootstrap.sh --bench || echo "bench: some packages are missing; their clients will be skipped" >&2

BIN=${BENCH_BIN:-build/release/bin}
[ -x "$BIN/torrent-worker" ] || echo "bench: $BIN/torrent-worker is missing (make all): ours will be skipped" >&2

NODE_DIR=tests/bench/node
if [ ! -d "$NODE_DIR/node_modules/webtorrent" ] || [ ! -d "$NODE_DIR/node_modules/peerflix" ]; then
    if command -v npm >/dev/null; then
        echo "bench: installing WebTorrent and peerflix into $NODE_DIR/node_modules" >&2
        (cd "$NODE_DIR" && npm install --ignore-scripts --no-audit --no-fund --no-package-lock \
            --loglevel=error >&2) ||
            echo "bench: npm install failed: WebTorrent and peerflix will be skipped" >&2
    else
        echo "bench: no npm: WebTorrent and peerflix will be skipped" >&2
    fi
fi

rc=0
# issue 4: authenticated GET /api/auth/me under wrk, and login timing (tests/bench/auth_me.py)
/usr/bin/python3 tests/bench/auth_me.py || rc=1
# issue 3: download time and memory against qbittorrent, aria2c and WebTorrent
/usr/bin/python3 tests/bench/bt_download.py "$@" || rc=1
# issue 5: streaming from a cold magnet against WebTorrent and peerflix; the edge against nginx
/usr/bin/python3 tests/bench/stream_bench.py || rc=1
exit $rc
