#!/usr/bin/env bash
# GPU check: builds a self-contained bundle (the GPU tests, hvdb-bench and
# hvdb, plus every shared library they need besides the C library and the
# CUDA driver) on a build machine, and runs it on a machine that has only
# the CUDA driver (docs/gpu.md).
#
#   scripts/gpu-check.sh bundle [DIR]   build, then write the bundle to DIR (gpu-bundle)
#   scripts/gpu-check.sh run [DIR]      on the GPU machine: the tests, then hvdb-bench gpu;
#                                       logs and JSON to $OUT (or DIR/out)
#   scripts/gpu-check.sh                bundle when there is no GPU here, else bundle and run
#
# With the device tool: scripts/gpu-check.sh bundle here, then run
# `scripts/gpu-check.sh run` there with carry: ["gpu-bundle"].
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-auto}"
dir="${2:-gpu-bundle}"

tests=(kernels_cuda_search_test db_gpu_search_test hdc_batch_device_test kernels_test)

bundle() {
  scripts/install-deps.sh
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHVDB_ENABLE_CUDA=ON -DHVDB_WERROR=ON >/dev/null
  cmake --build build-gpu -j "$(nproc)" --target "${tests[@]}" hvdb-bench hvdb_cli
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib"
  for t in "${tests[@]}"; do cp "build-gpu/tests/$t" "$dir/bin/"; done
  cp build-gpu/benchmarks/hvdb-bench "$dir/bin/"
  cp build-gpu/shell/hvdb "$dir/bin/"
  # Every library the binaries load, but the C library, the loader and the
  # driver, which the GPU machine has (and must match its kernel).
  for b in "$dir"/bin/*; do
    ldd "$b" | awk '$3 ~ /^\// {print $3}'
  done | sort -u | grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libnvidia[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$dir/lib/"; done
  cp scripts/gpu-check.sh "$dir/"
  echo "gpu-check: bundle in $dir ($(du -sh "$dir" | cut -f1))"
}

run() {
  local out="${OUT:-$dir/out}"
  mkdir -p "$out"
  export LD_LIBRARY_PATH="$PWD/$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  unset HVDB_FAKE_GPU
  local status=0
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/nvidia-smi.txt" 2>&1 || true
  "$dir/bin/hvdb" info | tee "$out/info.txt"
  for t in "${tests[@]}"; do
    if ! "$dir/bin/$t" --gtest_brief=1 >"$out/$t.log" 2>&1; then
      echo "gpu-check: FAIL $t (see $t.log)"
      status=1
    fi
    grep -E "PASSED|FAILED|SKIPPED" "$out/$t.log" | sed "s/^/$t: /" || true
  done
  "$dir/bin/hvdb" calibrate --json | tee "$out/calibrate.json"
  "$dir/bin/hvdb-bench" gpu --dir /tmp | tee "$out/bench-gpu.json" || status=1
  return $status
}

case "$mode" in
  bundle) bundle ;;
  run) run ;;
  auto)
    bundle
    if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then run; else
      echo "gpu-check: no GPU here; carry $dir to a GPU machine and run: scripts/gpu-check.sh run $dir"
    fi ;;
  *) echo "usage: scripts/gpu-check.sh [bundle|run] [DIR]" >&2; exit 2 ;;
esac
