# bin/: the curate command (one cmd_*.c per command) and tok-dump.
# Modules add their own command files here with curate_SOURCES += ...
bin_PROGRAMS += curate
curate_SOURCES = %D%/curate.c %D%/commands.h %D%/cli.c %D%/cli.h %D%/stages.c %D%/cmd_ingest.c \
	%D%/cmd_stats.c %D%/cmd_run.c %D%/run_plan.c %D%/cmd_stage.c %D%/pipeline_file.c \
	%D%/pipeline_file.h
curate_LDADD = $(CURATE_LIBS)
