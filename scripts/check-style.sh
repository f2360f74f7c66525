#!/usr/bin/env bash
# make check-style: clang-format over every tracked C file, and the banned-function list.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/proto/gen/' || true)
if [ -z "$files" ]; then
    files=$(find common services proto tests -name '*.[ch]' 2>/dev/null)
fi
if ! clang-format --dry-run -Werror $files 2>/tmp/marquee-style.log; then
    head -40 /tmp/marquee-style.log
    echo "style: run 'clang-format -i' on the files above"
    rc=1
fi
# Banned: unbounded string functions, atoi, strtok; raw allocation outside cm_mem.c.
banned='\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|strtok)\s*\('
if grep -nE "$banned" $files; then
    echo "style: banned function above (use snprintf, strtol, cm_buf...)"
    rc=1
fi
raw=$(grep -nE '(^|[^_a-z])(malloc|calloc|realloc|free)\s*\(' $(echo "$files" | grep -v 'common/cm_mem.c') \
      | grep -v -E '^\S+:\s*(\*|//)' || true)
if [ -n "$raw" ]; then
    echo "$raw"
    echo "style: raw allocation above (use cm_malloc/cm_free from cm_mem.h)"
    rc=1
fi
# PQexec only with constant text: never with a variable (D-01).
if grep -nE 'PQexec\s*\(\s*[a-z_]+\s*,\s*[a-z_]' $files | grep -v 'cm_migrate.c'; then
    echo "style: PQexec with non-constant SQL above (use cm_pg_query with parameters)"
    rc=1
fi
[ $rc -eq 0 ] && echo "style: ok ($(echo "$files" | wc -w) files)"
exit $rc
