# pii/: PII detectors, validators, redaction and the `pii` stage.
libcurate_a_SOURCES += %D%/pii.h %D%/detect.c %D%/validate.c %D%/redact.c \
	%D%/stage.c %D%/stage.h

check_PROGRAMS += tests/check_pii
TESTS += tests/check_pii tests/cli/pii.sh
tests_check_pii_SOURCES = tests/check_pii.c
tests_check_pii_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_pii_LDADD = $(CHECK_LIBS_ALL)
# tests/cli/pii.sh and tests/data/pii/* reach the tarball through tests/local.mk.

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_pii
fuzz_fuzz_pii_SOURCES = fuzz/fuzz_pii.c
fuzz_fuzz_pii_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address
fuzz_fuzz_pii_LDFLAGS = -fsanitize=fuzzer,address
fuzz_fuzz_pii_LDADD = $(CURATE_LIBS)
endif

# The detector-only throughput tool used by bench/pii.sh.
noinst_PROGRAMS += bench/pii_speed
bench_pii_speed_SOURCES = bench/pii_speed.c
bench_pii_speed_LDADD = $(CURATE_LIBS)
