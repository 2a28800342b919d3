# filters/: quality and safety filters (the `filter` stage and command).
libcurate_a_SOURCES += %D%/filter.c %D%/filter.h %D%/filter_int.h %D%/scan.c %D%/rules.c %D%/rules_lists.c %D%/rules_int.h \
	%D%/wordlist.c %D%/tokdist.c
curate_SOURCES += bin/cmd_filter.c

check_PROGRAMS += tests/check_filters
TESTS += tests/check_filters tests/cli/filters.sh
tests_check_filters_SOURCES = tests/check_filters.c
tests_check_filters_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_filters_LDADD = $(CHECK_LIBS_ALL)

# Shipped word lists and the fitted token distribution, found through
# CUR_DATADIR (installed) or CUR_SRCDIR (source tree).
filtersdir = $(pkgdatadir)/filters
dist_filters_DATA = data/filters/ldnoobw-dirty-words.txt data/filters/ldnoobw-allow.txt \
	data/filters/LICENSE.ldnoobw \
	data/filters/llama3-token-distribution.tsv.gz

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_filter
fuzz_fuzz_filter_SOURCES = fuzz/fuzz_filter.c
fuzz_fuzz_filter_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address
fuzz_fuzz_filter_LDFLAGS = -fsanitize=fuzzer,address
fuzz_fuzz_filter_LDADD = $(CURATE_LIBS)
endif

# bench/filters.sh compiles this harness against libcurate.a
EXTRA_DIST += bench/filters_speed.c
