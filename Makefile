# Thin front door over CMake. Every target installs what is missing first, so a fresh
# Debian 12 machine needs nothing but `make run` or `make test`.
BUILD      ?= build
SAN_BUILD  ?= build-sanitize
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= 2
# CI turns warnings into errors; a developer's tree stays buildable while experimenting.
WERROR     := $(if $(CI),ON,OFF)
CMAKE_ARGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGLEITZEIT_WERROR=$(WERROR)

.PHONY: deps build test test-sanitize run bench deb clean

deps:
	@packaging/install-build-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-sanitize: deps
	cmake -S . -B $(SAN_BUILD) $(CMAKE_ARGS) -DGLEITZEIT_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# A dev hub (config generated into var/, the build's plugins), examples/hello.toml run through
# it, then the hub serves until Ctrl-C. PORT=6680 by default.
run: build
	host/cli/make-run.sh $(BUILD)

# Ours against the Node reference, same loads, same machine, one run; writes docs/benchmarks.md.
bench: build
	node tests/bench/run.mjs --build $(BUILD)

deb: deps
	@echo "make deb: the Debian package arrives with the packaging issue"; exit 1

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
