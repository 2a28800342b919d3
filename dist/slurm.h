/* Slurm through its own commands: a job script per step, sbatch to submit
 * it as an array job chained with --dependency=afterok, squeue to see what
 * is still queued or running. No Slurm library is linked: the commands are
 * what every Slurm site has, in every version. */
#ifndef DIST_SLURM_H
#define DIST_SLURM_H

#include <stddef.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"

typedef struct dist_slurm_opts {
	const char *partition, *account, *mem, *time; /* NULL: the site's default */
	int cpus_per_task;
	char *const *sbatch_args;  /* passed to sbatch as they are */
	size_t nsbatch_args;
	const char *curate;        /* how a node runs curate (a path, or a command) */
} dist_slurm_opts;

/* dist_slurm_script: the job script of a step into buf: its resources,
 * an array of tasks elements, one log per element (appended to by every
 * attempt), and the command that runs element $SLURM_ARRAY_TASK_ID in
 * cwd. */
int dist_slurm_script(cur_buf *buf, const char *workdir, const char *cwd, const char *step,
		      int tasks, const dist_slurm_opts *o);

/* dist_task_command: the command line of task rank of world in a step (as
 * --print-commands shows it; the job script's has "$SLURM_ARRAY_TASK_ID"). */
int dist_task_command(cur_buf *buf, const char *curate, const char *workdir, const char *step,
		      const char *rank, int world);

/* dist_array_spec: sbatch's --array list for the sorted indices idx[0..n):
 * runs as ranges ("0-3,5,7-9"), appended to b. */
int dist_array_spec(cur_buf *b, const int *idx, size_t n);

/* dist_slurm_submit: sbatch --parsable --array=ARRAY [--dependency=
 * afterok:AFTER] SCRIPT. OUT: jobid (the number sbatch printed). CUR_EIO
 * with sbatch's message when it refused. */
int dist_slurm_submit(const char *script, const char *array, const char *after, char *jobid,
		      size_t cap, cur_err *err);

/* dist_slurm_active: the elements of the jobs listed in jobids ("12,13")
 * that Slurm still has queued or running. OUT: *out, an object
 * {"12_0": "RUNNING", ...}; empty when they all ended. */
int dist_slurm_active(const char *jobids, json_t **out, cur_err *err);

/* dist_shell_quote: append s to buf quoted for sh (unchanged when it has
 * nothing sh would read specially). */
int dist_shell_quote(cur_buf *buf, const char *s);

#endif
