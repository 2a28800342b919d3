# tokenizer/: the Llama 3 tokenizer, the tokenize stage, tok-dump and the
# shipped vocabulary.
libcurate_a_SOURCES += %D%/tokenizer.c %D%/table.c %D%/tokenizer.h %D%/tok_extra.h %D%/tok_int.h \
	%D%/load.c %D%/bpe.c %D%/pretok.c %D%/pretok.h %D%/sha256.c \
	%D%/unicode_tables.c %D%/unicode_tables.h
# The BPE trainer (curate tokenizer train|extend) and vocabulary statistics.
libcurate_a_SOURCES += %D%/train.h %D%/train_int.h %D%/train.c %D%/train_count.c \
	%D%/train_mem.c %D%/train_merge.c %D%/train_sink.c %D%/vocab_stats.c %D%/vocab_stats.h
curate_SOURCES += bin/cmd_tokenizer.c
EXTRA_DIST += %D%/gen_unicode_tables.js

# The default vocabulary, found by tok_load(NULL) here or in the source tree.
tokenizersdir = $(pkgdatadir)/tokenizers
dist_tokenizers_DATA = data/tokenizers/llama3.tiktoken \
	data/tokenizers/llama3-special-tokens.tsv data/tokenizers/LICENSE
libcurate_a_SOURCES += %D%/tokenize_stage.c %D%/tokenize_stage.h
curate_SOURCES += bin/cmd_tokenize.c

bin_PROGRAMS += tok-dump
tok_dump_SOURCES = bin/tok_dump.c
tok_dump_LDADD = $(CURATE_LIBS)

check_PROGRAMS += tests/check_tokenizer tests/check_tokenizer_bpe tests/check_tokenizer_train
TESTS += tests/check_tokenizer tests/check_tokenizer_bpe tests/check_tokenizer_train \
	tests/cli/tokenizer.sh \
	tests/cli/tokenizer_peers.sh tests/cli/tokenizer_train.sh tests/cli/tokenizer_train_peers.sh
tests_check_tokenizer_SOURCES = tests/check_tokenizer.c tests/tok_test.h
tests_check_tokenizer_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tokenizer_LDADD = $(CHECK_LIBS_ALL)
tests_check_tokenizer_bpe_SOURCES = tests/check_tokenizer_bpe.c tests/tok_test.h
tests_check_tokenizer_bpe_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tokenizer_bpe_LDADD = $(CHECK_LIBS_ALL)
tests_check_tokenizer_train_SOURCES = tests/check_tokenizer_train.c tests/tok_test.h
tests_check_tokenizer_train_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_tokenizer_train_LDADD = $(CHECK_LIBS_ALL)

# The in-memory encoder benchmark for bench/tokenizer.sh.
noinst_PROGRAMS += bench/tok_bench
bench_tok_bench_SOURCES = bench/tok_bench.c
bench_tok_bench_LDADD = $(CURATE_LIBS)

# libFuzzer targets: the loaders (any bytes as a vocabulary), encode, and
# the trainer (any bytes as a corpus).
if FUZZ
noinst_PROGRAMS += fuzz/fuzz_tok_load fuzz/fuzz_tok_encode fuzz/fuzz_tok_train
fuzz_fuzz_tok_load_SOURCES = fuzz/fuzz_tok_load.c
fuzz_fuzz_tok_load_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_tok_load_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_tok_load_LDADD = $(CURATE_LIBS)
fuzz_fuzz_tok_encode_SOURCES = fuzz/fuzz_tok_encode.c
fuzz_fuzz_tok_encode_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_tok_encode_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_tok_encode_LDADD = $(CURATE_LIBS)
fuzz_fuzz_tok_train_SOURCES = fuzz/fuzz_tok_train.c
fuzz_fuzz_tok_train_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_tok_train_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_tok_train_LDADD = $(CURATE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz_tok_load.c fuzz/fuzz_tok_encode.c fuzz/fuzz_tok_train.c
