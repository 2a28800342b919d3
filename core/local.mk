# core/: document, readers, writers, pipeline. Every folder's local.mk has
# this shape: sources into libcurate.a, its Check suite, its CLI tests.
libcurate_a_SOURCES += %D%/error.c %D%/error.h %D%/buf.c %D%/buf.h %D%/utf8.c %D%/utf8.h %D%/script.c %D%/script.h %D%/charset.c %D%/charset.h \
	%D%/doc.c %D%/doc.h %D%/json_text.c %D%/json_text.h %D%/options.c %D%/options.h %D%/reader.c %D%/reader.h %D%/stream.c \
	%D%/warc.c %D%/source.c %D%/prefetch.c %D%/file.c %D%/file.h %D%/interrupt.c %D%/interrupt.h %D%/yaml.c %D%/yaml.h %D%/writer.c %D%/writer.h %D%/sink.h %D%/reader_int.h %D%/pipeline.c %D%/workers.c %D%/pipeline.h %D%/pipeline_int.h %D%/passes.c %D%/report.c %D%/report.h %D%/hist.c %D%/hist.h %D%/lengths.c %D%/lengths.h \
	%D%/stage.h %D%/datadir.c %D%/datadir.h %D%/rng.h
libcurate_a_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/check_core tests/check_reader tests/check_pipeline
TESTS += tests/check_core tests/check_reader tests/check_pipeline
tests_check_core_SOURCES = tests/check_core.c tests/core_test.h
tests_check_core_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_core_LDADD = $(CHECK_LIBS_ALL)
tests_check_reader_SOURCES = tests/check_reader.c tests/core_test.h
tests_check_reader_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_reader_LDADD = $(CHECK_LIBS_ALL)
tests_check_pipeline_SOURCES = tests/check_pipeline.c tests/core_test.h
tests_check_pipeline_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_pipeline_LDADD = $(CHECK_LIBS_ALL)
