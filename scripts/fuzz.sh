#!/usr/bin/env bash
# Runs the libFuzzer targets of build-asan/ (make fuzz-build) for SECONDS
# each, two at a time: scripts/fuzz.sh SECONDS [TARGET...]. Each starts from
# its seeds (tests/fuzz/corpus/TARGET) and the corpus earlier runs grew
# (build-asan/corpus/TARGET). A crash, a timeout or a leak stops with the
# input's path; add it to tests/fuzz/regressions/TARGET once fixed, and every
# build replays it (ctest fuzz_replay.TARGET). Prints one line per target:
# runs, coverage, corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lang readers hex wal server_request)
jobs="${FUZZ_JOBS:-2}"
out=build-asan/runs
mkdir -p "$out"

run() {
  local t="$1" corpus="build-asan/corpus/$1"
  mkdir -p "$corpus"
  local log="$out/$t.log"
  # -timeout: one input may not take 10 s; -rss_limit_mb: nor 4 GiB.
  if ! build-asan/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$out/$t-" "$corpus" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
    echo "fuzz $t: FAILED; the input is $(ls -t "$out/$t-"* 2>/dev/null | head -1) (log: $log)" >&2
    grep -E "ERROR|runtime error|SUMMARY" "$log" | head -5 >&2
    return 1
  fi
  local done
  done=$(grep -E "DONE" "$log" | tail -1)
  echo "fuzz $t: ${seconds} s, $(echo "$done" | sed -E 's/^#([0-9]+).*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*exec\/s: ([0-9]+).*/\1 runs (\5\/s), coverage \2 edges \3 features, corpus \4 inputs/')"
}

status=0
pids=()
for t in "${targets[@]}"; do
  [ -x "build-asan/tests/fuzz/fuzz_$t" ] || { echo "fuzz: no build-asan/tests/fuzz/fuzz_$t (make fuzz-build)" >&2; exit 1; }
  run "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
