/* The parts of the run report (docs/report.md) that every runner fills the
 * same way: the pipeline's passes and dedup's own pass over its inputs
 * (dedup/fastapply.c) build them here, so that a field means one thing. */
#ifndef CUR_REPORT_H
#define CUR_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Documents and bytes (of text) in and out of a run or of one stage. */
typedef struct cur_counts {
	uint64_t docs_in, docs_out, bytes_in, bytes_out;
} cur_counts;

/* cur_report_counts: documents_in, documents_out, bytes_in, bytes_out,
 * bad_records, utf8_repairs and errors (a reference is taken) of report. */
void cur_report_counts(json_t *report, const cur_counts *c, uint64_t bad, uint64_t repairs,
		       json_t *errors);

/* cur_report_stage: a stage's entry of "stages": {name, docs_in, docs_out,
 * bytes_in, bytes_out, dropped (a reference is taken), seconds}; a new
 * reference. */
json_t *cur_report_stage(const char *name, const cur_counts *c, json_t *dropped,
			 double seconds);

/* cur_report_inputs: [{path, bytes, category}] (category from category[i]
 * when category is not NULL); a new reference. */
json_t *cur_report_inputs(char *const *inputs, size_t n, const char *const *category);

/* cur_report_run_figures: seconds, jobs, thread_utilisation (busy
 * thread-seconds over jobs × seconds), documents_per_second and
 * bytes_per_second (of the documents and bytes in), peak_rss_bytes. */
void cur_report_run_figures(json_t *report, double seconds, int jobs, double busy);

/* cur_report_count: add one to obj[key] (an integer). */
void cur_report_count(json_t *obj, const char *key);

#endif
