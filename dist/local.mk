# dist/: running a pipeline as steps of array tasks on a batch scheduler
# (Slurm): the job graph, the work directory and its markers, the parts the
# steps hand on, report merging. `curate slurm` (bin/cmd_slurm.c).
libcurate_a_SOURCES += %D%/graph.c %D%/graph.h %D%/parts.c %D%/parts.h %D%/report.c \
	%D%/report.h %D%/slurm.c %D%/slurm.h %D%/workdir.c %D%/workdir.h
curate_SOURCES += bin/cmd_slurm.c bin/slurm_task.c bin/slurm_task.h

check_PROGRAMS += tests/check_dist
TESTS += tests/check_dist
tests_check_dist_SOURCES = tests/check_dist.c
tests_check_dist_CFLAGS = $(CHECK_CFLAGS_ALL)
tests_check_dist_LDADD = $(CHECK_LIBS_ALL)

# The tasks run by hand (no scheduler), then on a real one-node Slurm
# (scripts/slurm-local.sh; skips when not root or without Slurm's packages).
TESTS += tests/cli/dist.sh tests/cli/slurm.sh
