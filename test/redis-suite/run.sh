#!/usr/bin/env bash
# Redis 7.0.15's own Tcl test suite (external mode) against cachee: the proxy in front of a fresh
# redis-server for the suite's default file list, then the embedded store for the files of the
# commands it implements. The suite is not in this repo; REDIS_TESTS names the folder that holds
# it and its run.sh (here: ../shared/redis-tests). Tests that cannot pass through cachee are
# listed, with the reason above each group, in the skip-*.txt files beside this script.
#   REDIS_TESTS=../shared/redis-tests npm run test:redis-suite [-- proxy|embedded]
# FILES="unit/pubsub unit/tracking" runs only those files (for each target).
# Needs redis-server, redis-cli and tclsh (Debian: redis-server, tcl) and a built project.
set -u
here=$(cd "$(dirname "$0")" && pwd)
suite=${REDIS_TESTS:?set REDIS_TESTS to the folder holding the Redis 7.0.15 test suite and its run.sh}
[ -x "$suite/run.sh" ] || { echo "test:redis-suite: no run.sh in $suite"; exit 2; }
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(proxy embedded)

# The embedded store's files: those whose commands it implements.
embedded_files=(unit/type/string unit/type/incr unit/type/hash unit/keyspace unit/expire unit/multi
  unit/pubsub unit/tracking unit/info-command unit/protocol unit/quit)

# One skip file per run: the lists of that target (grouped by reason; comment lines match no test).
skip_for() { cat "$here"/skip-"$1"*.txt 2>/dev/null; }

failed=0
out=$(mktemp)
for target in "${targets[@]}"; do
  skip=$(mktemp); skip_for "$target" >"$skip"
  echo "== $target"
  case $target in
    proxy) SKIP_FILE=$skip "$suite/run.sh" proxy ${FILES:-} | tee -a "$out"; [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1 ;;
    embedded) SKIP_FILE=$skip "$suite/run.sh" embedded ${FILES:-"${embedded_files[@]}"} | tee -a "$out"
      [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1 ;;
    *) echo "test:redis-suite: unknown target $target (proxy or embedded)"; failed=1 ;;
  esac
  rm -f "$skip"
done
# A file that ran no test did not start (the suite's own port taken, say): run.sh counts it as passed.
if grep -q ' ok=0 err=0 exception=0 timeout=0' "$out"; then
  echo "test:redis-suite: these files ran no test:"; grep ' ok=0 err=0 exception=0 timeout=0' "$out"; failed=1
fi
# One closing line over every file's counts (an exception or time-out stops a file: each counts as a failure).
awk '/ ok=[0-9]+ err=/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); n[kv[1]] += kv[2] } if ($0 ~ / ok=0 err=0 exception=0 timeout=0/) n["err"]++ }
  END { printf "redis-suite: %d passed, %d failed\n", n["ok"], n["err"] + n["exception"] + n["timeout"] }' "$out"
rm -f "$out"
exit $failed
