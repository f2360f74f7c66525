#!/usr/bin/env bash
# The test suite: scripts/test.sh BUILD_DIR [STAGE...]
# Stages: style, proto, unit, integration, fuzz (default: all, in that order). Each stage
# prints its runner's own summary (prove, pytest, libFuzzer); the last line is the total:
#   "N passed, N failed" counting stages.
# FUZZ_SECONDS (default 15) bounds each fuzz target's run.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: scripts/test.sh BUILD_DIR [STAGE...]}
shift
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(style proto unit integration fuzz)
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

# Sanitizer behaviour for every binary the tests start: leaks, use-after-return, UB are fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export MARQUEE_BIN=$PWD/$BUILD/bin

passed=0
failed=0
failed_names=()
stage() { # stage NAME CMD...
    local name=$1
    shift
    echo "=== $name"
    local t0=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: passed ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "=== $name: FAILED ($((SECONDS - t0)) s)"
    fi
}

run_unit() {
    local bins=()
    for b in "$BUILD"/tests/unit/*/*_test "$BUILD"/tests/proto/*_test; do
        [ -x "$b" ] && bins+=("$b")
    done
    if [ ${#bins[@]} -eq 0 ]; then
        echo "no unit test binaries under $BUILD/tests: build them with 'make tests-bin'"
        return 1
    fi
    prove --exec '' --timer "${bins[@]}"
}

run_integration() {
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
}

run_fuzz() {
    local rc=0 n=0
    for f in build/fuzz/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        local name=${f##*/fuzz_}
        local seeds=tests/fuzz/corpus/$name
        local work
        work=$(mktemp -d /tmp/marquee-fuzz-$name.XXXXXX)
        mkdir -p "$seeds"
        n=$((n + 1))
        echo "--- fuzz_$name: ${FUZZ_SECONDS} s"
        if ! "$f" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=512 -timeout=10 \
            -artifact_prefix="$work/" -print_final_stats=1 "$work" "$seeds" \
            >"$work.log" 2>&1; then
            echo "fuzz_$name FAILED; crash input and log kept in $work"
            tail -40 "$work.log"
            rc=1
            continue
        fi
        grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$work.log" | tail -2
        rm -rf "$work" "$work.log"
    done
    if [ "$n" -eq 0 ]; then
        echo "no fuzz targets under build/fuzz/fuzz: build them with 'make fuzz'"
        return 1
    fi
    return $rc
}

for s in "${STAGES[@]}"; do
    case "$s" in
    style) stage "style (clang-format, banned functions)" scripts/check-style.sh ;;
    proto) stage "proto (generated code is up to date)" python3 proto/protogen.py --check ;;
    unit) stage "unit tests (prove)" run_unit ;;
    integration) stage "integration tests (pytest)" run_integration ;;
    fuzz) stage "fuzz (${FUZZ_SECONDS} s per target)" run_fuzz ;;
    *) echo "unknown stage $s" ; exit 2 ;;
    esac
done

echo
[ $failed -eq 0 ] || echo "failed stages: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
