# shards/: tokenize, mix, shuffle, pack and write Megatron-LM / llm.c token
# shards with a manifest; read and verify them. `curate shard`, `curate verify`.
libcurate_a_SOURCES += %D%/shard.h %D%/shard_int.h %D%/sink_int.h %D%/sink.c %D%/setup.c %D%/workdir.c %D%/spill.c %D%/plan.c \
	%D%/writer.c %D%/writer_int.h %D%/reader.c %D%/reader.h %D%/reader_int.h %D%/verify.c
curate_SOURCES += bin/cmd_shard.c bin/cmd_verify.c

check_PROGRAMS += tests/check_shards
TESTS += tests/check_shards
tests_check_shards_SOURCES = tests/check_shards.c
tests_check_shards_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_shards_LDADD = $(CHECK_LIBS_ALL)

TESTS += tests/cli/shards.sh
EXTRA_DIST += tests/cli/shards.sh tests/data/shards tests/megatron_reader.py bench/shards.sh

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_shard
fuzz_fuzz_shard_SOURCES = fuzz/fuzz_shard.c
fuzz_fuzz_shard_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_shard_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_shard_LDADD = $(CURATE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz_shard.c
