# The two commands a new user runs: `make shell` and `make test`. Both install
# what is missing (scripts/install-deps.sh), configure and build first.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test tsan shell bench release debug install clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHVDB_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory tsan

# The interactive shell on the default database ($$HVDB_DB, else ~/.hvdb/default).
shell: build
	@$(BUILD_DIR)/shell/hvdb shell

bench: build
	$(BUILD_DIR)/benchmarks/hvdb-bench kernels
	$(BUILD_DIR)/benchmarks/hvdb-bench load
	$(BUILD_DIR)/benchmarks/hvdb-bench query
	$(BUILD_DIR)/benchmarks/hvdb-bench hdc

# The concurrency tests (DB readers and writers, bulk loads, ivf searches
# during writes and retraining, the kernels' thread pool) under
# ThreadSanitizer, in build-tsan/.
TSAN_TESTS = db_test db_bulk_load_test db_ann_index_test kernels_thread_pool_test
tsan: deps
	@cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHVDB_SANITIZE=thread \
	  -DHVDB_ENABLE_CUDA=OFF -DHVDB_BUILD_BENCHMARKS=OFF -DHVDB_BUILD_EXAMPLES=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS) --target $(TSAN_TESTS) hvdb_cli
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" ctest --test-dir build-tsan --output-on-failure -j $(JOBS) \
	  -R '^(DbTest|BulkLoadTest|AnnConcurrencyTest|ThreadPool)'

release:
	@$(MAKE) --no-print-directory build BUILD_DIR=build BUILD_TYPE=Release

debug:
	@$(MAKE) --no-print-directory build BUILD_DIR=build-debug BUILD_TYPE=Debug

install: build
	cmake --install $(BUILD_DIR) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf build build-debug build-tsan
