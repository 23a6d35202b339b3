# The two commands a new user runs: `make shell` and `make test`. Both install
# what is missing (scripts/install-deps.sh), configure and build first.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test shell bench release debug install clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DHVDB_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Until the shell lands, the shell target shows what the embedded library sees.
shell: build
	@$(BUILD_DIR)/shell/hvdb info

bench: build
	$(BUILD_DIR)/benchmarks/hvdb-bench kernels

release:
	@$(MAKE) --no-print-directory build BUILD_DIR=build BUILD_TYPE=Release

debug:
	@$(MAKE) --no-print-directory build BUILD_DIR=build-debug BUILD_TYPE=Debug

install: build
	cmake --install $(BUILD_DIR) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf build build-debug
