# report/: the run report as a self-contained HTML page (docs/report.md).
libcurate_a_SOURCES += %D%/report.h %D%/report_int.h %D%/page.c %D%/charts.c %D%/html.c \
	%D%/details.c
curate_SOURCES += bin/cmd_report.c

EXTRA_DIST += docs/report.png

# The pages link drop reasons to these docs, found here once installed.
dist_doc_DATA = docs/report.md docs/filters.md docs/dedup.md docs/pii.md docs/shards.md \
	docs/tokenizer.md docs/architecture.md

check_PROGRAMS += tests/check_report
TESTS += tests/check_report tests/cli/report.sh
tests_check_report_SOURCES = tests/check_report.c
tests_check_report_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_report_LDADD = $(CHECK_LIBS_ALL)
CLEANFILES += report-screenshot.png

# libFuzzer target: the page from any JSON.
if FUZZ
noinst_PROGRAMS += fuzz/fuzz_report
fuzz_fuzz_report_SOURCES = fuzz/fuzz_report.c
fuzz_fuzz_report_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_report_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_report_LDADD = $(CURATE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz_report.c
