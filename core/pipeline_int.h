/* Inside core/ only: one pass of the pipeline (pipeline.c), which
 * cur_pipeline_run (passes.c) calls once per pass. */
#ifndef CUR_PIPELINE_INT_H
#define CUR_PIPELINE_INT_H

#include <stdio.h>
#include <jansson.h>
#include "core/lengths.h"
#include "core/pipeline.h"

/* A spilled document's place in the run's inputs, one record per line of
 * the spill: input index u32, record u64, little-endian. */
#define CUR_SPILL_POS 12

typedef struct cur_pass {
	const cur_pipeline_opts *o;
	char *const *inputs;     /* what this pass reads: the run's inputs or a spill */
	size_t ninputs;
	int rank, world;         /* the slice of them to read */
	const char *const *input_category; /* parallel to inputs, or NULL */
	FILE *positions;         /* a spill's positions (NULL: the inputs are the run's) */
	char *const *origins;    /* the run's inputs, which positions index */
	size_t norigins;
	cur_stage *const *stages;
	size_t nstages;
	int observe_last;        /* stages[nstages - 1] is global and observes:
				  * end_observe() in place of finish() */
	cur_sink *sink;
	cur_sink *rejects;       /* shared by the passes; NULL: none */
	cur_lengths *lengths;    /* shared by the passes; NULL: none */
	int lengths_before;      /* this pass adds documents as read */
	int lengths_after;       /* this pass adds them as they leave the last stage */
	int quiet;               /* an earlier pass reported the bad records */
} cur_pass;

/* cur_pass_run: one pass; report receives documents_in/out, bytes_in/out,
 * bad_records, utf8_repairs, errors, stages (each finished, or observed),
 * thread_seconds and sink (finished). Returns as cur_pipeline_run. */
int cur_pass_run(const cur_pass *ps, json_t *report, cur_err *err);

#endif
