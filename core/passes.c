/* A run's passes: cur_pipeline_run splits the stages at each global stage
 * (dedup), runs one pass of the pipeline (pipeline.c) per part, and puts
 * the passes' reports together as one run's.
 *
 * Pass 1 runs the stages up to the first global stage, which observes; pass
 * 2 starts with that stage, now applying its decisions, and runs on to the
 * next global stage or to the sink; and so on. A pass hands its documents
 * to the next through a spill in the work directory (JSON Lines, and the
 * documents' places in the run's inputs beside it), except when the first
 * global stage is the first stage: then pass 2 reads the inputs again,
 * which is cheaper than writing them out (docs/dedup.md has the costs). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/file.h"
#include "core/pipeline.h"
#include "core/pipeline_int.h"
#include "core/report.h"
#include "core/writer.h"

void cur_pipeline_opts_init(cur_pipeline_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = "run";
	o->jobs = 1;
	o->world = 1;
	o->batch_docs = 256;
	cur_reader_opts_init(&o->reader);
}

/* ---- the sinks of a pass that is not the last ---- */

static int null_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	(void)self, (void)doc, (void)err;
	return CUR_OK;
}

static int null_finish(cur_sink *self, json_t *report, cur_err *err)
{
	(void)self, (void)report, (void)err;
	return CUR_OK;
}

static void null_destroy(cur_sink *self)
{
	(void)self;
}

static const cur_sink_ops null_ops = {
	.write = null_write,
	.finish = null_finish,
	.destroy = null_destroy,
};

/* The spill: the documents as JSON Lines (the JSONL sink, which serializes
 * on the workers), and each one's input index and record in a file beside. */
typedef struct spill {
	cur_sink base;
	cur_sink *lines;
	cur_atomic pos;
	FILE *posf;
	char *const *origins;
	size_t norigins;
	const char *last;      /* the origin of the last document, and its index */
	uint32_t last_idx;
	int scratch;
} spill;

static int spill_prepare(cur_sink *self, void *tls, cur_doc *doc, cur_err *err)
{
	spill *s = self->priv;

	return s->lines->ops->prepare(s->lines, tls, doc, err);
}

static uint32_t origin_index(spill *s, const char *origin)
{
	if (origin && origin == s->last)
		return s->last_idx;
	for (size_t i = 0; origin && i < s->norigins; i++)
		if (s->origins[i] == origin || strcmp(s->origins[i], origin) == 0) {
			s->last = origin;
			s->last_idx = (uint32_t)i;
			return s->last_idx;
		}
	return 0;
}

static int spill_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	spill *s = self->priv;
	unsigned char b[CUR_SPILL_POS];
	uint32_t idx = origin_index(s, doc->origin);

	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(idx >> (8 * i));
	for (int i = 0; i < 8; i++)
		b[4 + i] = (unsigned char)(doc->record >> (8 * i));
	if (fwrite(b, 1, sizeof(b), s->posf) != sizeof(b))
		return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", s->pos.path,
				   strerror(errno));
	return s->lines->ops->write(s->lines, doc, err);
}

static int spill_finish(cur_sink *self, json_t *report, cur_err *err)
{
	spill *s = self->priv;

	(void)report;
	CUR_FORWARD(s->lines->ops->finish(s->lines, NULL, err));
	return cur_atomic_commit(&s->pos, s->scratch ? CUR_ATOMIC_NO_SYNC : 0, err);
}

static void spill_destroy(cur_sink *self)
{
	spill *s;

	if (!self)
		return;
	s = self->priv;
	if (s->lines)
		s->lines->ops->destroy(s->lines);
	cur_atomic_rollback(&s->pos);
	free(s);
}

static const cur_sink_ops spill_ops = {
	.prepare = spill_prepare,
	.write = spill_write,
	.finish = spill_finish,
	.destroy = spill_destroy,
};

/* WORK/spill-PASS-RANK.jsonl or .pos (malloc'd). */
static char *spill_path(const cur_pipeline_opts *o, int pass, const char *ext)
{
	size_t n = strlen(o->work_dir) + 64;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/spill-%d-%d.%s", o->work_dir, pass, o->rank, ext);
	return p;
}

static cur_sink *spill_new(const cur_pipeline_opts *o, int pass, char *const *origins,
			   size_t norigins, cur_err *err)
{
	spill *s = calloc(1, sizeof(*s));
	char *lines = spill_path(o, pass, "jsonl"), *pos = spill_path(o, pass, "pos");

	if (!s || !lines || !pos) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	s->base.ops = &spill_ops;
	s->base.priv = s;
	s->origins = origins;
	s->norigins = norigins;
	s->scratch = o->work_scratch;
	if (cur_mkdir_p(o->work_dir, err) != CUR_OK ||
	    !(s->lines = cur_jsonl_sink_new(lines, 1, err)) ||
	    cur_atomic_open(&s->pos, pos, err) != CUR_OK)
		goto fail;
	if (!(s->posf = cur_atomic_stream(&s->pos))) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto fail;
	}
	free(lines);
	free(pos);
	return &s->base;
fail:
	free(lines);
	free(pos);
	if (s)
		spill_destroy(&s->base);
	return NULL;
}

static void spill_remove(const cur_pipeline_opts *o, int pass)
{
	char *lines = spill_path(o, pass, "jsonl"), *pos = spill_path(o, pass, "pos");

	if (lines)
		unlink(lines);
	if (pos)
		unlink(pos);
	free(lines);
	free(pos);
}

/* ---- the run ---- */

typedef struct run {
	const cur_pipeline_opts *o;
	char *const *inputs;
	size_t ninputs;
	cur_stage *const *stages;
	size_t nstages;
	size_t *global;       /* indices of the global stages */
	int nglobal;
	cur_sink *sink;
	cur_sink *rejects;
	cur_lengths *lengths;
	json_t **reports;     /* per pass (1-based), NULL when it did not run */
} run;

static int npasses(const run *r)
{
	return r->nglobal + 1;
}

/* Does pass i read the run's inputs again (rather than a spill)? Pass 1
 * does; pass 2 does too when the first stage is global, since then pass 1
 * changed nothing that pass 2 needs. */
static int reads_inputs(const run *r, int i)
{
	return i == 1 || (i == 2 && r->global[0] == 0);
}

static int begin_apply(cur_stage *st, cur_err *err)
{
	cur_err e;
	int rc;

	cur_err_clear(&e);
	rc = st->ops->begin_apply(st, &e);
	if (rc < 0)
		return cur_err_set(err, rc, "stage '%s' cannot load its decisions: %s", st->name,
				   e.msg[0] ? e.msg : cur_strerror(rc));
	return CUR_OK;
}

static int one_pass(run *r, int i, cur_err *err)
{
	const cur_pipeline_opts *o = r->o;
	int last = i == npasses(r), rc;
	size_t from = i == 1 ? 0 : r->global[i - 2];
	size_t to = last ? r->nstages : r->global[i - 1] + 1;
	cur_pass ps;
	cur_sink null_sink = { .ops = &null_ops };
	cur_sink *own = NULL;
	char *spilled[1] = { NULL };

	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	ps.stages = r->stages + from;
	ps.nstages = to - from;
	ps.observe_last = !last;
	ps.rejects = r->rejects;
	ps.lengths = r->lengths;
	ps.lengths_before = i == 1;
	ps.lengths_after = last;
	if (reads_inputs(r, i)) {
		ps.inputs = r->inputs;
		ps.ninputs = r->ninputs;
		ps.rank = o->rank;
		ps.world = o->world;
		ps.input_category = o->input_category;
		ps.quiet = i > 1;
	} else {
		char *pos = spill_path(o, i - 1, "pos");

		spilled[0] = spill_path(o, i - 1, "jsonl");
		ps.positions = pos ? fopen(pos, "rb") : NULL;
		if (!ps.positions) {
			rc = cur_err_set(err, CUR_EIO, "cannot open '%s': %s", pos ? pos : "spill",
					 strerror(errno));
			free(pos);
			free(spilled[0]);
			return rc;
		}
		free(pos);
		ps.inputs = spilled;
		ps.ninputs = 1;
		ps.world = 1;
		ps.origins = r->inputs;
		ps.norigins = r->ninputs;
	}
	if (last)
		ps.sink = r->sink;
	else if (!reads_inputs(r, i + 1))
		ps.sink = own = spill_new(o, i, r->inputs, r->ninputs, err);
	else
		ps.sink = &null_sink;
	rc = ps.sink ? CUR_OK : err->code;
	if (rc == CUR_OK) {
		r->reports[i] = json_object();
		rc = cur_pass_run(&ps, r->reports[i], err);
	}
	if (own)
		own->ops->destroy(own);
	if (ps.positions)
		fclose(ps.positions);
	free(spilled[0]);
	return rc;
}

/* Between the passes of one process: the global stage that pass i ended
 * with resolves and loads its decisions; the spill pass i read goes. */
static int between(run *r, int i, cur_err *err)
{
	cur_stage *st = r->stages[r->global[i - 1]];
	cur_err e;
	int rc;

	if (i > 1 && !reads_inputs(r, i))
		spill_remove(r->o, i - 1);
	cur_err_clear(&e);
	rc = st->ops->resolve ? st->ops->resolve(st, NULL, &e) : CUR_OK;
	if (rc < 0)
		return cur_err_set(err, rc, "stage '%s' failed to resolve: %s", st->name,
				   e.msg[0] ? e.msg : cur_strerror(rc));
	return begin_apply(st, err);
}

static void sum_times(json_t *into, json_t *from)
{
	const char *k;
	json_t *v;

	json_object_foreach(from, k, v)
		json_object_set_new(into, k, json_real(json_number_value(json_object_get(into, k)) +
						       json_number_value(v)));
}

/* The passes' reports as one run's (docs/report.md): what came in from the
 * first pass, what went out from the last, every stage once (a global stage
 * where it applied), and the times summed. */
static void merge_reports(run *r, int first, int last, double seconds, json_t *report)
{
	json_t *in = r->reports[first], *out = r->reports[last];
	json_t *stages = json_array(), *times = json_object();
	double busy = 0;
	cur_counts c;
	const char *k;
	json_t *v;

	json_object_set_new(report, "command", json_string(r->o->cmd));
	json_object_set_new(report, "inputs",
			    cur_report_inputs(r->inputs, r->ninputs, r->o->input_category));
	c.docs_in = (uint64_t)json_integer_value(json_object_get(in, "documents_in"));
	c.bytes_in = (uint64_t)json_integer_value(json_object_get(in, "bytes_in"));
	c.docs_out = (uint64_t)json_integer_value(json_object_get(out, "documents_out"));
	c.bytes_out = (uint64_t)json_integer_value(json_object_get(out, "bytes_out"));
	cur_report_counts(report, &c, (uint64_t)json_integer_value(json_object_get(in, "bad_records")),
			  (uint64_t)json_integer_value(json_object_get(in, "utf8_repairs")),
			  json_object_get(in, "errors"));
	for (int i = first; i <= last; i++) {
		json_t *st = json_object_get(r->reports[i], "stages");
		size_t n = json_array_size(st) - (i < npasses(r) ? 1 : 0);

		for (size_t j = 0; j < n; j++) {
			json_array_append(stages, json_array_get(st, j));
			busy += json_number_value(json_object_get(json_array_get(st, j), "seconds"));
		}
		sum_times(times, json_object_get(r->reports[i], "thread_seconds"));
	}
	json_object_foreach(times, k, v)
		if (strcmp(k, "waiting") != 0)
			busy += json_number_value(v);
	json_object_set_new(report, "stages", stages);
	json_object_set_new(report, "thread_seconds", times);
	json_object_set(report, "sink", json_object_get(out, "sink"));
	if (r->lengths)
		json_object_set_new(report, "lengths", cur_lengths_json(r->lengths));
	if (npasses(r) > 1)
		json_object_set_new(report, "passes", json_integer(last - first + 1));
	cur_report_run_figures(report, seconds, r->o->jobs, busy);
}

static int find_globals(run *r, cur_err *err)
{
	r->global = calloc(r->nstages + 1, sizeof(*r->global));
	if (!r->global)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	for (size_t k = 0; k < r->nstages; k++) {
		if (!cur_stage_is_global(r->stages[k]))
			continue;
		if (!r->stages[k]->serial)
			return cur_err_set(err, CUR_EINVAL, "global stage '%s' is not serial",
					   r->stages[k]->name);
		r->global[r->nglobal++] = k;
	}
	if (r->o->pass < 0 || r->o->pass > npasses(r))
		return cur_err_set(err, CUR_EINVAL, "there is no pass %d: this pipeline has %d",
				   r->o->pass, npasses(r));
	for (int i = 2; i <= npasses(r); i++)
		if (!reads_inputs(r, i) && !r->o->work_dir)
			return cur_err_set(err, CUR_EINVAL, "stage '%s' runs after other stages: "
					   "it needs a work directory for their documents",
					   r->stages[r->global[i - 2]]->name);
	return CUR_OK;
}

static double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cur_pipeline_run(const cur_pipeline_opts *o, char *const *inputs, size_t ninputs,
		     cur_stage *const *stages, size_t nstages, cur_sink *sink,
		     json_t *report, cur_err *err)
{
	static char *const stdin_input[] = { "-" };
	cur_pipeline_opts opts = *o;

	for (size_t i = 0; i < nstages; i++)
		if (stages[i]->batch_docs && stages[i]->batch_docs < opts.batch_docs)
			opts.batch_docs = stages[i]->batch_docs;
	o = &opts;
	run r = { .o = o, .stages = stages, .nstages = nstages, .sink = sink };
	double t0 = now_seconds();
	int rc, strict_hit = 0, first, last;

	r.inputs = ninputs ? inputs : stdin_input;
	r.ninputs = ninputs ? ninputs : 1;
	if ((rc = find_globals(&r, err)) != CUR_OK)
		goto out;
	first = o->pass ? o->pass : 1;
	last = o->pass ? o->pass : npasses(&r);
	r.reports = calloc((size_t)npasses(&r) + 1, sizeof(*r.reports));
	if (!r.reports || (!o->passthrough && !(r.lengths = cur_lengths_new(o->tokens != NULL)))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if (o->rejects_path && !(r.rejects = cur_jsonl_sink_new(o->rejects_path, 1, err))) {
		rc = err->code ? err->code : CUR_EIO;
		goto out;
	}
	if (first > 1 && (rc = begin_apply(stages[r.global[first - 2]], err)) != CUR_OK)
		goto out;
	for (int i = first; i <= last; i++) {
		if ((rc = one_pass(&r, i, err)) < 0)
			goto out;
		strict_hit |= rc == 1;
		if (i < last && (rc = between(&r, i, err)) != CUR_OK)
			goto out;
	}
	if (!o->pass && npasses(&r) > 1 && !reads_inputs(&r, npasses(&r)))
		spill_remove(o, npasses(&r) - 1);
	if (r.rejects && (rc = r.rejects->ops->finish(r.rejects, NULL, err)) != CUR_OK)
		goto out;
	merge_reports(&r, first, last, now_seconds() - t0, report);
	rc = strict_hit ? 1 : CUR_OK;
out:
	if (r.rejects)
		r.rejects->ops->destroy(r.rejects);
	for (int i = 0; r.reports && i <= npasses(&r); i++)
		json_decref(r.reports[i]);
	free(r.reports);
	free(r.global);
	cur_lengths_free(r.lengths);
	return rc;
}
