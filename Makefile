# Thin wrapper over Meson + Ninja: the README's commands.
BUILD ?= build

.PHONY: all deps build demo check bench fuzz install clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)

# The main job: a stack on a TAP device serving the Linux kernel in a namespace.
demo: build
	scripts/demo.sh $(BUILD)/tools/ustack

# Every test: unit (ASan+UBSan, gcc and clang), integration against the kernel, fuzzing.
check: deps
	scripts/check.sh

bench: build
	bench/run.sh $(BUILD)/tools/ustack

# Longer fuzzing than check's 60 s; new inputs land in build-fuzz/corpus.
fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C build-fuzz tests/fuzz/fuzz_stack
	mkdir -p build-fuzz/corpus
	build-fuzz/tests/fuzz/fuzz_stack -max_total_time=$${FUZZ_SECONDS:-600} -max_len=65536 \
		build-fuzz/corpus tests/fuzz/corpus/stack

install: build
	meson install -C $(BUILD)

clean:
	rm -rf build build-asan build-clang build-fuzz
