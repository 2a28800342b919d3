# fuzz/: libFuzzer targets, one per parser (./configure --enable-fuzz CC=clang).
# Each module adds its own targets in its local.mk, inside `if FUZZ`.
FUZZ_CFLAGS = $(AM_CFLAGS)
FUZZ_LINK = -fsanitize=fuzzer,address,undefined
if FUZZ
noinst_PROGRAMS += fuzz/fuzz_jsonl fuzz/fuzz_reader fuzz/fuzz_pipeline
fuzz_fuzz_jsonl_SOURCES = fuzz/fuzz_jsonl.c
fuzz_fuzz_jsonl_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_jsonl_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_jsonl_LDADD = $(CURATE_LIBS)
fuzz_fuzz_reader_SOURCES = fuzz/fuzz_reader.c
fuzz_fuzz_reader_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_reader_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_reader_LDADD = $(CURATE_LIBS)
# The pipeline file's checks live with the command (bin/): built in here.
# The stage table reaches the classify stage, so it links as C++ with
# libfasttext (classify/local.mk).
fuzz_fuzz_pipeline_SOURCES = fuzz/fuzz_pipeline.c bin/run_plan.c bin/stages.c
fuzz_fuzz_pipeline_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_pipeline_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_pipeline_LDADD = $(CURATE_LIBS) $(CLASSIFY_LIBS)
nodist_EXTRA_fuzz_fuzz_pipeline_SOURCES = cxx-link.cc
endif
EXTRA_DIST += fuzz/fuzz_jsonl.c fuzz/fuzz_reader.c fuzz/fuzz_pipeline.c fuzz/run.sh
