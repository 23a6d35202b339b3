# The two commands a new user runs: `make shell` and `make test`. Both install
# what is missing (scripts/install-deps.sh), configure and build first.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test thread-safety cuda-emulation tsan asan fuzz-build fuzz-smoke fuzz stress shell bench release debug install clean

all: build

deps:
	@scripts/install-deps.sh

# Everything: the library, the shell, tests, benchmarks and examples, and the
# Python package's module against .venv's Python (its tests run in ctest as
# python_tests; docs/python.md).
configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHVDB_WERROR=ON \
	  -DHVDB_BUILD_TESTS=ON -DHVDB_BUILD_BENCHMARKS=ON -DHVDB_BUILD_EXAMPLES=ON \
	  -DHVDB_BUILD_PYTHON=ON -DPython_EXECUTABLE=$(CURDIR)/.venv/bin/python $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Everything: the suite (the Python package's pytest suite among it), then the
# lock rules (clang -Wthread-safety), ThreadSanitizer and ASan + UBSan (both
# with the CUDA code under the CUDA emulation), and each fuzz target for
# FUZZ_SECONDS (docs/reliability.md, docs/gpu.md).
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory thread-safety
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz-smoke

# The interactive shell on the default database ($$HVDB_DB, else ~/.hvdb/default):
# only what it needs is installed and built (no tests, benchmarks or
# examples), in the same build directory; run again, it rebuilds nothing.
shell:
	@scripts/install-deps.sh shell
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHVDB_WERROR=ON \
	  -DHVDB_BUILD_TESTS=OFF -DHVDB_BUILD_BENCHMARKS=OFF -DHVDB_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target hvdb_cli
	@$(BUILD_DIR)/shell/hvdb shell

bench: build
	$(BUILD_DIR)/benchmarks/hvdb-bench kernels
	$(BUILD_DIR)/benchmarks/hvdb-bench load
	$(BUILD_DIR)/benchmarks/hvdb-bench query
	$(BUILD_DIR)/benchmarks/hvdb-bench hdc

# Lock rules checked by the compiler: every source of the libraries, the
# hvdb program and the Python module through clang's -Wthread-safety, as errors (base/mutex.h says
# how to annotate). build-tsa/ is configured with clang for its compile
# commands only; each source is compiled with -fsyntax-only, nothing linked.
thread-safety: deps
	@cmake -S . -B build-tsa -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety" -DHVDB_ENABLE_CUDA=OFF -DHVDB_BUILD_TESTS=OFF \
	  -DHVDB_BUILD_BENCHMARKS=OFF -DHVDB_BUILD_EXAMPLES=OFF \
	  -DHVDB_BUILD_PYTHON=ON -DPython_EXECUTABLE=$(CURDIR)/.venv/bin/python >/dev/null
	scripts/thread-safety.py build-tsa $(JOBS)

# The concurrency tests (DB readers and writers, bulk loads, ivf searches
# during writes and retraining, the kernels' thread pool, hvdb serve's
# threads under many clients, timeouts and SIGTERM) under
# ThreadSanitizer, in build-tsan/.
# build-tsan/ has the CUDA emulation (below), so the CUDA code's tests run
# under ThreadSanitizer too: a block's threads are real threads, and a
# missing __syncthreads is a race it reports. It is the gcc build with
# warnings as errors of the emulated CUDA code (build-asan/ is clang's);
# -Wno-tsan: gcc warns that TSan does not see atomic_thread_fence, used
# only inside Boost.Asio's headers (hvdb's own code uses none).
# Optimisation and debug info of the sanitized builds (TSan above, ASan +
# UBSan below): -O1 and line tables only, as the sanitizers' own
# documentation and OSS-Fuzz build; full -O2 -g took twice as long to compile
# (5 of the 90 CI minutes went to one Boost.Beast file) for nothing a report
# needs.
SANITIZER_FLAGS = -O1 -g1 -DNDEBUG
TSAN_TESTS = db_test db_bulk_load_test db_ann_index_test kernels_thread_pool_test $(CUDA_EMULATION_TESTS)
tsan: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVDB_SANITIZE=thread -DHVDB_WERROR=ON \
	  -DCMAKE_CXX_FLAGS="-Wno-tsan" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZER_FLAGS)" \
	  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(SANITIZER_FLAGS)" -DHVDB_ENABLE_CUDA=OFF -DHVDB_CUDA_EMULATION=ON -DHVDB_BUILD_BENCHMARKS=OFF -DHVDB_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS) hvdb_cli
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" ctest --test-dir build-tsan --output-on-failure -j $(JOBS) \
	  -R '^(DbTest|BulkLoadTest|AnnConcurrencyTest|ThreadPool|shell_server|shell_http$$)|$(CUDA_EMULATION_CTEST)'
	build-tsan/shell/hvdb info | grep 'cuda-emulated'

# The CUDA code of kernels/cuda/, kernels and host code alike, run on CPU
# threads by the CUDA emulation (test machinery, docs/gpu.md), in
# build-cuda-emu/ without sanitizers: the CUDA search tests against the
# scalar scan, the emulation's own checks (`hvdb info`'s devices among them),
# the real-device DB and HDC tests. No nvcc needed. make test runs these
# tests under `make tsan` and `make asan` instead, whose builds have the
# emulation; this is the quick loop while changing kernels/cuda/.
CUDA_EMULATION_TESTS = kernels_cuda_emulation_test kernels_cuda_search_test db_gpu_search_test hdc_batch_device_test
CUDA_EMULATION_CTEST = ^(CudaEmulationTest|CudaEmulationDeathTest|CudaSearchTest|RealDeviceTest|BatchDeviceTest)\.
cuda-emulation: deps
	@cmake -S . -B build-cuda-emu -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVDB_WERROR=ON -DHVDB_CUDA_EMULATION=ON \
	  -DHVDB_ENABLE_CUDA=OFF -DHVDB_BUILD_BENCHMARKS=OFF -DHVDB_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build build-cuda-emu -j $(JOBS) --target $(CUDA_EMULATION_TESTS)
	ctest --test-dir build-cuda-emu --output-on-failure -j $(JOBS) -R '$(CUDA_EMULATION_CTEST)'

# One clang build, build-asan/, with AddressSanitizer, UndefinedBehaviorSanitizer
# (float-cast-overflow included, no recovery: the first report fails) and
# libFuzzer's coverage: `make asan` runs the whole suite in it (each fuzz
# target replays its corpus and regressions there as a test), `make
# fuzz-build` builds only the fuzz targets in it. One build instead of two
# (gcc for the suite, clang for the fuzzers) saves a whole sanitized build of
# every room in make test. librocksdb and FAISS are not instrumented. The
# CUDA emulation is on, so the CUDA code's tests run under ASan and UBSan too.
ASAN_CONFIGURE = cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(SANITIZER_FLAGS)" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$(SANITIZER_FLAGS)" -DHVDB_FUZZ=ON -DHVDB_BUILD_TESTS=ON -DHVDB_ENABLE_CUDA=OFF -DHVDB_CUDA_EMULATION=ON
ASAN_TESTS_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp
# A build-asan/ from before (gcc, no HVDB_FUZZ) is removed first: CMake would
# keep only the compiler change and drop the sanitizer options.
ASAN_FRESH = grep -qs 'HVDB_FUZZ:BOOL=ON' build-asan/CMakeCache.txt || rm -rf build-asan
asan: deps
	@$(ASAN_FRESH)
	@$(ASAN_CONFIGURE) >/dev/null
	@cmake --build build-asan -j $(JOBS)
	$(ASAN_TESTS_ENV) ctest --test-dir build-asan --output-on-failure -j $(JOBS) -E '^install_consumer$$'

# The libFuzzer targets alone, in build-asan/ (above).
fuzz-build: deps
	@$(ASAN_FRESH)
	@$(ASAN_CONFIGURE) >/dev/null
	@cmake --build build-asan -j $(JOBS) --target hvdb_fuzzers

# Each fuzz target for FUZZ_SECONDS: 30 in make test (a smoke run; make asan
# has replayed every corpus input and regression already), 600 in make fuzz
# and make stress, where new inputs are found.
FUZZ_SECONDS ?= 30
fuzz-smoke: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz: fuzz-build
	scripts/fuzz.sh $(if $(filter 30,$(FUZZ_SECONDS)),600,$(FUZZ_SECONDS))

# The long runs: 200 kills per write workload, and the fuzz targets for 10 minutes each.
stress: build
	HVDB_CRASH_TRIALS=200 ctest --test-dir $(BUILD_DIR) --output-on-failure -R '^Workloads/CrashTest'
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=600

release:
	@$(MAKE) --no-print-directory build BUILD_DIR=build BUILD_TYPE=Release

debug:
	@$(MAKE) --no-print-directory build BUILD_DIR=build-debug BUILD_TYPE=Debug

install: build
	cmake --install $(BUILD_DIR) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf build build-debug build-tsan build-tsa build-asan build-fuzz build-cuda-emu
