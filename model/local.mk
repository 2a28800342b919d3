# model/: the reference transformer (a Llama in C): config and safetensors
# checkpoints, the CPU backend and its kernels, forward/backward, AdamW, the
# training loop, and the ppl stage. `curate model train|eval`, `curate ppl`.
libcurate_a_SOURCES += %D%/model.h %D%/model_int.h %D%/config.c %D%/model.c %D%/forward.c \
	%D%/safetensors.c %D%/safetensors.h %D%/ops.h %D%/cpu.c %D%/train.c %D%/train.h \
	%D%/ppl_stage.c %D%/ppl_stage.h
curate_SOURCES += bin/cmd_model.c
# The numeric kernels build apart, with flags for the vectorizer
# (configure.ac's KERNEL_CFLAGS): omp simd loops and no trapping math, so
# that the clamps and selects of exp and softmax become vector instructions.
libcurate_kernels_a_SOURCES += %D%/kernels.c %D%/kernels.h
libcurate_kernels_a_CFLAGS = $(AM_CFLAGS) $(KERNEL_CFLAGS)

check_PROGRAMS += tests/check_model
TESTS += tests/check_model
tests_check_model_SOURCES = tests/check_model.c
tests_check_model_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_model_LDADD = $(CHECK_LIBS_ALL)

TESTS += tests/cli/model.sh
EXTRA_DIST += tests/cli/model.sh tests/llama_torch.py scripts/reference_model.sh

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_safetensors
fuzz_fuzz_safetensors_SOURCES = fuzz/fuzz_safetensors.c
fuzz_fuzz_safetensors_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_safetensors_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_safetensors_LDADD = $(CURATE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz_safetensors.c
