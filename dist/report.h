/* Merging the reports of a distributed run's tasks into one run report. */
#ifndef DIST_REPORT_H
#define DIST_REPORT_H

#include <jansson.h>
#include "core/error.h"

/* dist_report_add: add the figures of b (borrowed) into a, two reports or
 * report entries of the same shape from tasks of one step: counts and
 * seconds are summed; memory figures (per document, bytes held) take the
 * larger, being what one task needed; histograms' "counts" are added bin
 * by bin; strings, booleans and other lists keep a's, except lists of named
 * entries (stages), added entry by entry; settings (a stage's "cutoffs")
 * keep a's. Keys only b has are copied. */
void dist_report_add(json_t *a, json_t *b);

/* dist_report_merge: the run report of a distributed run, from the done
 * markers of its tasks in workdir (steps: the plan's, up to the step named
 * upto, excluded), in the shape one process writes (docs/report.md):
 * documents, bytes, inputs, bad records and "lengths" before the stages
 * from the first pass, documents out and "lengths" after them from the
 * last, every stage's figures added over its tasks (each pass lists the
 * stages it ran, a global stage where it applied), sink (taken;
 * NULL: the last step's own), run (taken), "seconds" from the first task's
 * start to now. Rates and thread utilisation are of the whole run;
 * "peak_rss_bytes" is the largest task's; "slurm" says how each step went
 * (first start, last end, longest task, the tasks' wall and CPU seconds,
 * the largest task's peak memory).
 * NULL with err filled when a task left no report. */
json_t *dist_report_merge(const char *workdir, json_t *steps, const char *upto, json_t *sink,
			  json_t *run, int tasks, int jobs, double now, cur_err *err);

/* dist_report_is_memory: a key that holds a memory figure (the larger of
 * the tasks' values is the one to report, not the sum). */
int dist_report_is_memory(const char *key);

#endif
