# extract/: HTML to main text (libxml2's HTML parser, boilerplate scoring)
# and the `extract` stage.
libcurate_a_SOURCES += %D%/extract.h %D%/ext_int.h %D%/extract.c %D%/parse.c \
	%D%/tags.c %D%/hints.c %D%/score.c %D%/render.c

# The extractor-only throughput and accuracy tool used by bench/extract.sh.
noinst_PROGRAMS += bench/extract_bench
bench_extract_bench_SOURCES = bench/extract_bench.c
bench_extract_bench_LDADD = $(CURATE_LIBS)
