#!/usr/bin/env bash
# Installs, with apt-get and only when missing, every Debian package that the
# build, the tests and the benchmarks need. Safe to run again: it does nothing
# when everything is present. CUDA is not installed here: the build uses nvcc
# from /usr/local/cuda when it exists (HVDB_ENABLE_CUDA=AUTO).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  librocksdb-dev      # storage
  libfaiss-dev        # FAISS baselines and the HNSW index
  libblas-dev liblapack-dev  # what the static libfaiss links against
  libboost1.81-dev libboost-json1.81-dev  # Asio, Beast and JSON: the server
  libssl-dev openssl curl  # the server's TLS; tests make certificates and speak HTTP with curl
  libcereal-dev       # catalog records
  libgtest-dev libgmock-dev libbenchmark-dev
  libedit-dev         # shell line editing
  libcli11-dev        # hvdb command-line flags
  wamerican wngerman wfrench witalian wspanish wportuguese wdutch  # language-identification example
  dataset-fashion-mnist zlib1g-dev  # image-classification example
  wordnet-base fortunes  # hvdb-bench index: real sentences to encode
  gnuplot-nox  # benchmarks/plot_index.py: the recall / speed curves in docs/
  clang libclang-rt-dev libomp-dev  # make fuzz: libFuzzer, its sanitizers, OpenMP for FAISS under clang
  chromium chromium-driver  # tests/shell/console_test.py: the web console in a headless browser
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
