/* The work directory of a distributed run: the plan, the job scripts, each
 * task's log and markers, and the files the steps hand on.
 *
 *   WORKDIR/plan.json                the steps; every task reads it
 *   WORKDIR/jobs/STEP.sbatch         one array job per step
 *   WORKDIR/logs/STEP-R.log          task R's messages, every attempt appended
 *   WORKDIR/tasks/STEP-R.started     markers: started (where and when),
 *   WORKDIR/tasks/STEP-R.done         done (written last: the task's report),
 *   WORKDIR/tasks/STEP-R.failed       failed (the exit status and message)
 *   WORKDIR/parts/STEP/part-F.jsonl.zst    documents a step hands on
 *   WORKDIR/rejects/STEP/part-F.jsonl.zst  documents a step dropped
 *   WORKDIR/dedup-K/, WORKDIR/shard/ the phases' files (docs/distributed.md)
 *
 * Every file is written under a temporary name and renamed when complete,
 * so a task killed at any point leaves either nothing or a complete file. */
#ifndef DIST_WORKDIR_H
#define DIST_WORKDIR_H

#include <jansson.h>
#include "core/error.h"

enum dist_task_state { DIST_TASK_NEW, DIST_TASK_STARTED, DIST_TASK_DONE, DIST_TASK_FAILED };

/* dist_path: a printf-formatted path (malloc'd; NULL when out of memory). */
char *dist_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* dist_json_save: write o (indented, keys in their order) to path
 * atomically (core/file.h). */
int dist_json_save(const char *path, json_t *o, cur_err *err);

/* dist_json_load: the JSON object at path (new reference), or NULL with
 * err filled. */
json_t *dist_json_load(const char *path, cur_err *err);

/* dist_task_state: DIST_TASK_DONE when task (step, rank) left its done
 * marker, FAILED when its last attempt failed, STARTED when one started and
 * left neither (it runs, or it was killed), NEW otherwise. */
int dist_task_state(const char *workdir, const char *step, int rank);

/* dist_task_mark: write the marker for state (STARTED, DONE or FAILED) with
 * info (borrowed). DONE also removes the failed marker. */
int dist_task_mark(const char *workdir, const char *step, int rank, int state, json_t *info,
		   cur_err *err);

/* dist_task_load: the content of a marker (new reference), or NULL. */
json_t *dist_task_load(const char *workdir, const char *step, int rank, int state);

/* dist_task_clear: forget a task's started and failed markers (before it is
 * submitted again); a done marker stays. */
void dist_task_clear(const char *workdir, const char *step, int rank);

/* dist_remove_temporaries: remove the temporary files that a killed writer
 * of path left beside it (core/file.h's names). Other tasks write other
 * names in the same directory: only path's go. */
void dist_remove_temporaries(const char *path);

#endif
