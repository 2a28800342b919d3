# extract/: HTML to main text (libxml2's HTML parser, boilerplate scoring)
# and the `extract` stage.
libcurate_a_SOURCES += %D%/extract.h %D%/ext_int.h %D%/extract.c %D%/feed.h %D%/feed.c %D%/parse.c \
	%D%/tags.c %D%/hints.c %D%/score.c %D%/render.c %D%/stage.c %D%/stage.h

check_PROGRAMS += tests/check_extract
TESTS += tests/check_extract tests/cli/extract.sh
tests_check_extract_SOURCES = tests/check_extract.c
tests_check_extract_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_extract_LDADD = $(CHECK_LIBS_ALL)
# tests/cli/extract.sh and tests/data/extract/* reach the tarball through tests/local.mk.

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_extract
fuzz_fuzz_extract_SOURCES = fuzz/fuzz_extract.c
fuzz_fuzz_extract_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_extract_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_extract_LDADD = $(CURATE_LIBS)
endif

# The extractor-only throughput and accuracy tool used by bench/extract.sh.
noinst_PROGRAMS += bench/extract_bench
bench_extract_bench_SOURCES = bench/extract_bench.c
bench_extract_bench_LDADD = $(CURATE_LIBS)
EXTRA_DIST += bench/html_parsers.c
