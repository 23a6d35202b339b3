#!/usr/bin/env bash
# hvdb info reports the version, the CPU kernel (forced by HVDB_SIMD) and CUDA.
set -euo pipefail
hvdb="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$hvdb" info)
grep -Eq '^hvdb [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out" || fail "no version line in: $out"
grep -Eq '^cpu kernel: (scalar|avx2|avx512|amx) ' <<<"$out" || fail "no kernel line in: $out"
grep -Eq '^cuda: (built|not built)' <<<"$out" || fail "no cuda line in: $out"

json=$("$hvdb" info --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["cpu_kernel"] in d["cpu_kernels"], d' "$json" \
  || fail "bad json: $json"

# Each kernel this CPU supports can be forced, and is then reported.
for k in $(python3 -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])["cpu_kernels"]))' "$json"); do
  HVDB_SIMD=$k "$hvdb" info | grep -q "^cpu kernel: $k " || fail "HVDB_SIMD=$k not reported"
done
HVDB_SIMD=bogus "$hvdb" info | grep -q "unknown CPU kernel 'bogus'" || fail "bad HVDB_SIMD not explained"

# Usage errors exit 2 with a message; help lists the commands.
set +e
"$hvdb" frobnicate 2>/tmp/hvdb_info_test.$$; rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown command exit $rc"
grep -q "unknown command 'frobnicate'" /tmp/hvdb_info_test.$$ || fail "unknown command not named"
rm -f /tmp/hvdb_info_test.$$
"$hvdb" --help | grep -q "info \[PATH\] \[--json\]" || fail "help does not list info"
echo "shell info: ok"
