# mix/: mix targets and the token-ratio sampler.
libcurate_a_SOURCES += %D%/mix.c %D%/mix.h

check_PROGRAMS += tests/check_mix
TESTS += tests/check_mix
tests_check_mix_SOURCES = tests/check_mix.c
tests_check_mix_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_mix_LDADD = $(CHECK_LIBS_ALL)
