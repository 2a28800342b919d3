/* One task of a distributed run: what `curate slurm --run STEP --rank R
 * WORKDIR` does on a node (docs/distributed.md). */
#ifndef CUR_SLURM_TASK_H
#define CUR_SLURM_TASK_H

#include <jansson.h>
#include "bin/cli.h"

/* The plan's inputs and the options a task runs with, as `curate run`
 * would take them from the pipeline file. */
typedef struct slurm_plan {
	json_t *plan;           /* WORKDIR/plan.json */
	json_t *config;         /* the pipeline file, as JSON (borrowed from plan) */
	char **inputs;          /* the expanded inputs (borrowed from plan) */
	const char **category;  /* parallel to inputs; all NULL for a plain list */
	size_t ninputs;
	int tasks;
	cli_common c;           /* the pipeline's common options; -j is the
				 * task's CPUs */
	int run_jobs;           /* the -j of `curate run`: the final output is
				 * compressed as it would, with as many zstd
				 * workers (the bytes depend on it) */
} slurm_plan;

/* slurm_plan_load: read WORKDIR/plan.json. Returns CUR_OK, or an error with
 * err filled. */
int slurm_plan_load(slurm_plan *p, const char *workdir, cur_err *err);
void slurm_plan_release(slurm_plan *p);

/* slurm_plan_step: the step named name, or NULL. */
json_t *slurm_plan_step(const slurm_plan *p, const char *name);

/* slurm_task_run: run task rank of step (which has world tasks) in workdir
 * unless its done marker exists: its outputs under temporary names, then
 * the marker. Returns the exit status (0, or 1-3 as every command). */
int slurm_task_run(const char *workdir, const char *step, int rank, int world);

#endif
