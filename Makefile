# Thin front door over CMake. Every target installs what is missing first, so a fresh
# Debian 12 machine needs nothing but `make run` or `make test`.
BUILD      ?= build
SAN_BUILD  ?= build-sanitize
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= 2
DEB_OUT    ?= build-deb
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
# CI turns warnings into errors; a developer's tree stays buildable while experimenting.
WERROR     := $(if $(CI),ON,OFF)
# ccache keys objects by paths relative to the checkout, so that a clean clone in another
# directory (CI's, or `git clone . $(mktemp -d)`) reuses what this one compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
CMAKE_ARGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGLEITZEIT_WERROR=$(WERROR)

.PHONY: deps build test test-sanitize fuzz run bench soak deb clean

deps:
	@packaging/install-build-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The package test (label "package") builds the whole tree again as .debs: it runs alone,
# after the others, so that it does not slow down their timed parts.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE package
	cd $(BUILD) && ctest --output-on-failure -L package

test-sanitize: deps
	cmake -S . -B $(SAN_BUILD) $(CMAKE_ARGS) -DGLEITZEIT_SANITIZE=ON
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE package

# The fuzz targets of tests/fuzz with libFuzzer, ASan and UBSan (clang; its own build dir):
# each fuzzes FUZZ_SECONDS (FUZZ_TARGETS: some only; FUZZ_MERGE=1: new inputs into the seed
# corpus). Every library the targets link is instrumented, so that the fuzzer follows their
# branches. Findings land in $(FUZZ_BUILD)/artifacts/<target>; CPU time in fuzz-hours.tsv.
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS="$(FUZZ_FLAGS)" -DGLEITZEIT_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

# A dev hub (config generated into var/, the build's plugins), examples/hello.toml run through
# it, then the hub serves until Ctrl-C. PORT=6680 by default.
run: build
	examples/dev/run-hub.sh $(BUILD)

# Ours against the Node reference, same loads, same machine, one run; writes docs/benchmarks.md.
bench: build
	node tests/bench/run.mjs --build $(BUILD)

# The chaos soak (tests/soak): the hub under kills, swaps, reloads, stalls and a full disk for
# SOAK_MINUTES, then the exactly-once checker; SOAK_SEED repeats a run, SOAK_SKIP=disk_full,...
# leaves fault kinds out. It runs a copy of the binaries, so a rebuild during a soak does not
# change what it runs.
SOAK_MINUTES ?= 10
soak: build
	node tests/soak/soak.mjs --build $(BUILD) --minutes $(SOAK_MINUTES) --report $(BUILD)/soak-report.json \
	  $(if $(SOAK_SEED),--seed $(SOAK_SEED)) $(if $(SOAK_SKIP),--skip $(SOAK_SKIP))

# The Debian packages gleitzeit and gleitzeit-dev, built from a clean copy of the tree and
# checked with lintian; the .debs land in $(DEB_OUT).
deb: deps
	packaging/build-deb $(DEB_OUT)

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
