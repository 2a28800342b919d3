# dedup/: exact, URL, line and MinHash-LSH deduplication (docs/dedup.md).
libcurate_a_SOURCES += %D%/dedup.h %D%/dd_int.h %D%/work.h %D%/work_int.h %D%/vec.c %D%/text.c \
	%D%/minhash.c %D%/sign.c %D%/work.c %D%/bucket.c %D%/cluster.c %D%/lines.c %D%/decide.c \
	%D%/stage.c %D%/api.c %D%/fastapply.c
curate_SOURCES += bin/cmd_dedup.c

check_PROGRAMS += tests/check_dedup
TESTS += tests/check_dedup tests/cli/dedup.sh
tests_check_dedup_SOURCES = tests/check_dedup.c
tests_check_dedup_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_dedup_LDADD = $(CHECK_LIBS_ALL)

# bench/dedup.sh: signature throughput without I/O or JSON.
noinst_PROGRAMS += bench/dedup-sign-bench
bench_dedup_sign_bench_SOURCES = bench/dedup_sign_bench.c
bench_dedup_sign_bench_LDADD = $(CURATE_LIBS)

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_dedup_text
fuzz_fuzz_dedup_text_SOURCES = fuzz/fuzz_dedup_text.c
fuzz_fuzz_dedup_text_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_dedup_text_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_dedup_text_LDADD = $(CURATE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz_dedup_text.c
