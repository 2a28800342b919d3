# classify/: fastText classifiers (language ID, categories, quality), the
# `classify` stage and `curate classify train|test`. fasttext.cc is the
# project's only C++: the programs that reach it link with libfasttext and
# as C++ (automake's idiom: a C++ source that is never built,
# nodist_EXTRA_..._SOURCES, picks the C++ linker); the others never pull
# these objects out of libcurate.a.
libcurate_a_SOURCES += %D%/fasttext.cc %D%/fasttext.h %D%/cls_int.h %D%/features.c \
	%D%/classify.h %D%/arith.c %D%/model.c %D%/stage.c %D%/stage.h %D%/train.c %D%/train.h
curate_SOURCES += bin/cmd_classify.c
libcurate_a_CXXFLAGS = $(AM_CXXFLAGS)
CLASSIFY_LIBS = $(FASTTEXT_LIBS)

nodist_EXTRA_curate_SOURCES = cxx-link.cc
curate_LDADD += $(CLASSIFY_LIBS)

check_PROGRAMS += tests/check_classify
TESTS += tests/check_classify tests/cli/classify.sh
tests_check_classify_SOURCES = tests/check_classify.c
tests_check_classify_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_classify_LDADD = $(CHECK_LIBS_ALL) $(CLASSIFY_LIBS)
nodist_EXTRA_tests_check_classify_SOURCES = cxx-link.cc

# The shipped models, found through CUR_DATADIR (installed) or CUR_SRCDIR.
modelsdir = $(pkgdatadir)/models
dist_models_DATA = data/models/lid.176.ftz data/models/category.ftz data/models/quality.ftz \
	data/models/README.md
EXTRA_DIST += data/models/train.sh

# libFuzzer target: the featurizer against libfasttext's getLine.
if FUZZ
noinst_PROGRAMS += fuzz/fuzz_classify
fuzz_fuzz_classify_SOURCES = fuzz/fuzz_classify.c
fuzz_fuzz_classify_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_classify_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_classify_LDADD = $(CURATE_LIBS) $(CLASSIFY_LIBS)
nodist_EXTRA_fuzz_fuzz_classify_SOURCES = cxx-link.cc
endif
EXTRA_DIST += fuzz/fuzz_classify.c
