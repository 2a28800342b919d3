# model/: the reference transformer (a Llama in C): config and safetensors
# checkpoints, the CPU backend and its kernels, forward/backward, AdamW, the
# training loop, and the ppl stage. `curate model train|eval`, `curate ppl`.
libcurate_a_SOURCES += %D%/model.h %D%/model_int.h %D%/config.c %D%/model.c %D%/forward.c \
	%D%/safetensors.c %D%/safetensors.h %D%/ops.h %D%/cpu.c %D%/train.c %D%/train.h \
	%D%/ppl_stage.c %D%/ppl_stage.h
curate_SOURCES += bin/cmd_model.c
# The numeric kernels build apart, with flags for the vectorizer: omp simd
# loops (no OpenMP runtime) and no trapping-math, so that the clamps and
# selects of exp and softmax turn into vector instructions.
libcurate_kernels_a_SOURCES += %D%/kernels.c %D%/kernels.h
libcurate_kernels_a_CFLAGS = $(AM_CFLAGS) -fopenmp-simd -fno-trapping-math -ftree-loop-vectorize \
	-fvect-cost-model=dynamic

check_PROGRAMS += tests/check_model
TESTS += tests/check_model
tests_check_model_SOURCES = tests/check_model.c
tests_check_model_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_model_LDADD = $(CHECK_LIBS_ALL)
