# Thin wrapper: the real build is CMake. Every target is safe to run repeatedly.
#   make build | run | stop | test | test-plain | test-asan | bench | fuzz | format | clean
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

BUILD_DIR  ?= build
ASAN_DIR   ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=

# Sanitizer runs fail on the first report instead of scrolling past it.
export ASAN_OPTIONS  ?= detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
# Leaks inside third-party libraries we cannot free (tests/lsan.supp says which).
export LSAN_OPTIONS  ?= suppressions=$(abspath tests/lsan.supp)

.PHONY: all deps build run stop test test-plain test-asan bench fuzz format clean

all: build

deps:
	scripts/install-deps
	scripts/install-web-deps

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Foreground until Ctrl-C; ATRIUM_DATA_DIR, ATRIUM_HTTP_PORT, ATRIUM_DEMO pass through.
run: build
	ATRIUM_BIN_DIR="$${ATRIUM_BIN_DIR:-$(abspath $(BUILD_DIR))/bin}" exec scripts/atrium-run

# Stops the run of the same ATRIUM_DATA_DIR (default ./var), foreground or --background.
stop:
	scripts/atrium-run stop

# The whole suite twice: the normal build, then the same tests with
# AddressSanitizer and UBSan (every process of the test stacks included).
test: test-plain test-asan

test-plain: build
	ATRIUM_BIN_DIR=$(abspath $(BUILD_DIR))/bin ctest --test-dir $(BUILD_DIR) --output-on-failure $(CTEST_ARGS)

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DATRIUM_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j$(JOBS)
	ATRIUM_BIN_DIR=$(abspath $(ASAN_DIR))/bin ctest --test-dir $(ASAN_DIR) --output-on-failure $(CTEST_ARGS)

bench: build
	@if [ -x bench/run ]; then ATRIUM_BIN_DIR="$${ATRIUM_BIN_DIR:-$(abspath $(BUILD_DIR))/bin}" bench/run; \
	else echo "make bench: there is no bench/run yet"; fi

fuzz:
	@if [ -x tests/fuzz/run ]; then tests/fuzz/run; \
	else echo "make fuzz: there is no tests/fuzz/run yet"; fi

# Rewrites every C file as .clang-format says (ctest's format.check verifies it).
format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
