#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/interrupt.h"
#include "core/lengths.h"
#include "core/pipeline.h"
#include "core/pipeline_int.h"
#include "core/report.h"
#include "core/utf8.h"

/* One pass of the pipeline (core/pipeline_int.h; passes.c runs a run's
 * passes, workers.c its threads). Workers take batches from the shared
 * reader in turn (the read lock assigns each batch its sequence number),
 * parse and run the parallel stages on their own, and wait at each serial
 * stage and at the sink until every earlier batch has passed
 * ("turnstiles"). So the result depends only on the input order, never on
 * -j. */



void cur_pass_fatal(pipe_t *p, const cur_err *err, int code)
{
	pthread_mutex_lock(&p->turn_mx);
	if (!p->fatal) {
		p->fatal = 1;
		p->fatal_err = *err;
		p->fatal_err.code = code;
	}
	p->stop = 1;
	pthread_cond_broadcast(&p->turn_cv);
	pthread_mutex_unlock(&p->turn_mx);
}

/* ---- reading ---- */

static int input_mine(const pipe_t *p, size_t i)
{
	return cur_slice_has(p->ninputs, i, p->ps->rank, p->ps->world);
}

/* A spilled document's place in the run's inputs (cur_pass.positions), so
 * that messages and stages see where it came from. */
static int restore_origin(pipe_t *p, cur_doc *doc, cur_err *err)
{
	unsigned char b[CUR_SPILL_POS];
	uint32_t idx = 0;
	uint64_t rec = 0;

	if (fread(b, 1, sizeof(b), p->ps->positions) != sizeof(b))
		return cur_err_set(err, CUR_EIO, "the positions of '%s' are short",
				   p->inputs[p->input_idx]);
	for (int i = 0; i < 4; i++)
		idx |= (uint32_t)b[i] << (8 * i);
	for (int i = 0; i < 8; i++)
		rec |= (uint64_t)b[4 + i] << (8 * i);
	if (idx >= p->ps->norigins)
		return cur_err_set(err, CUR_EDATA, "bad position in '%s'", p->inputs[p->input_idx]);
	doc->origin = p->ps->origins[idx];
	doc->record = rec;
	return CUR_OK;
}

static void slot_bad(slot *s, const cur_err *err)
{
	s->state = SLOT_BAD;
	s->reason = err->reason ? err->reason : "error";
	s->msg = strdup(err->msg);
}

/* Fill b under the read lock. Returns CUR_OK (b->n may be 0 at the end) or
 * a fatal code. */
int cur_pass_read_batch(pipe_t *p, batch *b, cur_err *err)
{
	int rc = CUR_OK;

	size_t bytes = 0;

	b->n = 0;
	/* A batch ends at batch_docs documents or about 1 MiB of records, so
	 * that one batch of huge documents cannot hold the others up. */
	while (b->n < p->o->batch_docs && bytes < BATCH_BYTES && !p->stop) {
		slot *s = &b->slots[b->n];

		if (cur_interrupted())
			return cur_err_set(err, CUR_EINTR, "interrupted");

		if (!p->reader) {
			cur_reader_opts ro = p->o->reader;

			if (p->input_idx >= p->ninputs)
				break;
			if (!input_mine(p, p->input_idx)) {
				p->input_idx++;
				continue;
			}
			if (p->ninputs == 1) {
				ro.rank = p->ps->rank;
				ro.world = p->ps->world;
			}
			cur_err_clear(err);
			rc = cur_reader_open(&p->reader, p->inputs[p->input_idx], &ro, err);
			/* An input that cannot be read stops the run (exit 3); one
			 * whose bytes are bad costs only itself. */
			if (rc == CUR_ENOMEM || rc == CUR_EIO)
				return rc;
			if (rc != CUR_OK) {
				cur_doc_init(&s->doc);
				slot_bad(s, err);
				b->n++;
				p->input_idx++;
				continue;
			}
		}
		cur_doc_init(&s->doc);
		s->state = SLOT_OK;
		s->category = p->ps->input_category ? p->ps->input_category[p->input_idx] : NULL;
		rc = cur_reader_next(p->reader, &s->doc, err);
		if (rc == CUR_OK && p->ps->positions && (rc = restore_origin(p, &s->doc, err)) < 0) {
			cur_doc_release(&s->doc);
			return rc;
		}
		if (rc == CUR_OK) {
			bytes += s->doc.text_len;
			b->n++;
			continue;
		}
		if (rc == CUR_EDATA) {
			cur_doc_release(&s->doc);
			slot_bad(s, err);
			b->n++;
			continue;
		}
		if (rc != CUR_EOF) {
			cur_doc_release(&s->doc);
			return rc;
		}
		{
			struct stat st;

			cur_reader_close(p->reader);
			p->reader = NULL;
			if (stat(p->inputs[p->input_idx], &st) == 0)
				p->bytes_done += (uint64_t)st.st_size;
			p->input_idx++;
		}
	}
	b->bytes_read = p->bytes_done + (p->reader ? cur_reader_bytes(p->reader) : 0);
	if (b->n)
		b->seq = p->next_seq++;
	return CUR_OK;
}

/* ---- turnstiles ---- */

/* Wait until batch seq may pass turnstile t; 0 when the run is stopping. */
static int turn_wait(pipe_t *p, size_t t, uint64_t seq)
{
	int go;

	pthread_mutex_lock(&p->turn_mx);
	while (p->turn[t] != seq && !p->stop)
		pthread_cond_wait(&p->turn_cv, &p->turn_mx);
	go = !p->stop;
	pthread_mutex_unlock(&p->turn_mx);
	return go;
}

static void turn_pass(pipe_t *p, size_t t)
{
	pthread_mutex_lock(&p->turn_mx);
	p->turn[t]++;
	pthread_cond_broadcast(&p->turn_cv);
	pthread_mutex_unlock(&p->turn_mx);
}

/* ---- stages ---- */

static int run_stage_on(pipe_t *p, batch *b, size_t si, void *tls, int serial_part)
{
	cur_stage *st = p->stages[si];
	size_t i;

	for (i = 0; i < b->n; i++) {
		slot *s = &b->slots[i];
		cur_err serr;
		int rc;

		if (s->state != SLOT_OK)
			continue;
		cur_err_clear(&serr);
		if (!serial_part) {
			b->len_at[i * (p->nstages + 1) + si] = s->doc.text_len;
			if (st->serial) {
				if (!st->ops->prepare)
					continue;
				rc = st->ops->prepare(st, tls, &s->doc, &serr);
			} else {
				rc = st->ops->process(st, tls, &s->doc, &serr);
			}
		} else {
			rc = st->ops->process(st, tls, &s->doc, &serr);
		}
		if (rc < 0) {
			cur_err e;

			cur_err_set(&e, rc, "%s:%llu: stage '%s' failed: %s", s->doc.origin,
				    (unsigned long long)s->doc.record, st->name,
				    serr.msg[0] ? serr.msg : cur_strerror(rc));
			cur_pass_fatal(p, &e, rc);
			return rc;
		}
		if (rc == CUR_DROP) {
			s->state = SLOT_DROPPED;
			s->dropped_at = (int)si;
			if (!s->doc.drop_reason)
				s->doc.drop_reason = st->name;
		}
	}
	return CUR_OK;
}

/* ---- the ordered sink turn ---- */

static void progress(pipe_t *p, const batch *b)
{
	struct timespec now;
	double secs, mb, rate;

	if (!p->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cur_elapsed(&p->last_progress, &now) < 0.5)
		return;
	p->last_progress = now;
	secs = cur_elapsed(&p->t0, &now);
	mb = (double)b->bytes_read / 1e6;
	rate = secs > 0 ? mb / secs : 0;
	fprintf(stderr, "\rcurate %s: %llu docs, %.1f MB, %.1f MB/s", p->o->cmd,
		(unsigned long long)p->run.docs_in, mb, rate);
	if (p->bytes_total && rate > 0 && b->bytes_read <= p->bytes_total)
		fprintf(stderr, ", ETA %.0f s", ((double)p->bytes_total / 1e6 - mb) / rate);
	fprintf(stderr, "   ");
}

static int write_reject(pipe_t *p, slot *s, cur_err *err)
{
	if (!p->rejects)
		return CUR_OK;
	CUR_FORWARD(cur_doc_note_drop(&s->doc));
	return p->rejects->ops->write(p->rejects, &s->doc, err);
}

static void count_stages(pipe_t *p, const batch *b, size_t i)
{
	const slot *s = &b->slots[i];
	size_t last = s->state == SLOT_DROPPED ? (size_t)s->dropped_at : p->nstages;
	size_t k;

	for (k = 0; k < p->nstages && k <= last; k++) {
		cur_counts *c = &p->counts[k].c;
		size_t in = b->len_at[i * (p->nstages + 1) + k];

		c->docs_in++;
		c->bytes_in += in;
		if (k == last) {
			cur_report_count(p->counts[k].dropped, s->doc.drop_reason);
		} else {
			size_t out = k + 1 < p->nstages ? b->len_at[i * (p->nstages + 1) + k + 1] :
				s->doc.text_len;

			c->docs_out++;
			c->bytes_out += out;
		}
	}
}

/* A document's lengths under the category it ends with: a classifier may
 * set it on the way, and a reader compares like with like. */
static void count_lengths(pipe_t *p, const slot *s)
{
	const char *cat;

	if (!p->lengths)
		return;
	cat = cur_doc_meta_str(&s->doc, "category");
	if ((p->ps->lengths_before &&
	     cur_lengths_add(p->lengths, cat, 0, s->chars_in, s->tokens_in) < 0) ||
	    (p->ps->lengths_after && s->state == SLOT_OK &&
	     cur_lengths_add(p->lengths, cat, 1, s->chars_out, s->tokens_out) < 0)) {
		cur_err e;

		cur_err_set(&e, CUR_ENOMEM, "out of memory");
		cur_pass_fatal(p, &e, CUR_ENOMEM);
	}
}

int cur_pass_sink_turn(pipe_t *p, batch *b)
{
	size_t i;
	int rc = CUR_OK;
	cur_err werr;

	cur_err_clear(&werr);
	for (i = 0; i < b->n && rc == CUR_OK; i++) {
		slot *s = &b->slots[i];

		if (s->state == SLOT_BAD) {
			p->bad++;
			cur_report_count(p->errors, s->reason);
			if (!p->o->quiet && !p->ps->quiet)
				fprintf(stderr, "curate %s: %s\n", p->o->cmd, s->msg);
			if (p->o->strict) {
				p->strict_hit = 1;
				pthread_mutex_lock(&p->turn_mx);
				p->stop = 1;
				pthread_cond_broadcast(&p->turn_cv);
				pthread_mutex_unlock(&p->turn_mx);
				break;
			}
			continue;
		}
		p->run.docs_in++;
		p->run.bytes_in += b->len_at[i * (p->nstages + 1)];
		p->repairs += s->doc.utf8_repairs;
		count_stages(p, b, i);
		count_lengths(p, s);
		if (s->state == SLOT_DROPPED) {
			rc = write_reject(p, s, &werr);
			continue;
		}
		p->run.docs_out++;
		p->run.bytes_out += s->doc.raw_json == 2 ? s->doc.raw_text_len : s->doc.text_len;
		rc = p->sink->ops->write(p->sink, &s->doc, &werr);
	}
	if (rc < 0) {
		cur_err e;

		/* The sink's message names the file and the errno's text. */
		if (werr.msg[0])
			cur_err_set(&e, rc, "%s", werr.msg);
		else
			cur_err_set(&e, rc, "cannot write output: %s", cur_strerror(rc));
		cur_pass_fatal(p, &e, rc);
	}
	progress(p, b);
	return rc;
}

/* ---- a batch on a worker ---- */



/* Characters, and tokens when the run counts them, of the text as it is. */
static int measure(worker *w, const cur_doc *doc, uint64_t *chars, uint64_t *tokens)
{
	const cur_token_counter *tc = w->p->o->tokens;

	*chars = cur_utf8_count(doc->text, doc->text_len);
	*tokens = 0;
	if (!tc)
		return CUR_OK;
	return tc->count(tc->ctx, w->count_tls, doc->text, doc->text_len, tokens);
}

static int measure_in(worker *w, batch *b)
{
	size_t i;

	for (i = 0; w->p->lengths && i < b->n; i++) {
		slot *s = &b->slots[i];

		if (s->state != SLOT_OK)
			continue;
		s->edits_in = s->doc.text_edits;
		CUR_FORWARD(measure(w, &s->doc, &s->chars_in, &s->tokens_in));
	}
	return CUR_OK;
}

/* The kept documents' lengths after the last stage: measured again only
 * when a stage replaced the text. */
static int measure_out(worker *w, batch *b)
{
	size_t i;

	for (i = 0; w->p->lengths && i < b->n; i++) {
		slot *s = &b->slots[i];

		if (s->state != SLOT_OK)
			continue;
		if (s->doc.text_edits == s->edits_in) {
			s->chars_out = s->chars_in;
			s->tokens_out = s->tokens_in;
		} else {
			CUR_FORWARD(measure(w, &s->doc, &s->chars_out, &s->tokens_out));
		}
	}
	return CUR_OK;
}

static void parse_batch(pipe_t *p, batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		slot *s = &b->slots[i];
		cur_err err;

		cur_err_clear(&err);
		b->len_at[i * (p->nstages + 1)] = 0;
		if (s->state != SLOT_OK)
			continue;
		if (p->o->passthrough && !s->category &&
		    cur_doc_pass_raw(&s->doc, p->o->reader.text_field)) {
			b->len_at[i * (p->nstages + 1)] = s->doc.raw_text_len;
			continue;
		}
		/* Nothing but the sink sees the document, and it reads little. */
		if (!p->nstages && p->sink->text_only && !p->o->passthrough && !s->category &&
		    cur_doc_parse_light(&s->doc, p->o->reader.text_field, p->sink->meta_key)) {
			b->len_at[i * (p->nstages + 1)] = s->doc.text_len;
			continue;
		}
		if (cur_doc_parse_raw(&s->doc, p->o->reader.text_field, &err) != CUR_OK) {
			slot_bad(s, &err);
			continue;
		}
		if (s->category)
			json_object_set_new(cur_doc_metadata(&s->doc), "category",
					    json_string(s->category));
		b->len_at[i * (p->nstages + 1)] = s->doc.text_len;
	}
}

void cur_pass_free_batch(batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		cur_doc_release(&b->slots[i].doc);
		free(b->slots[i].msg);
		b->slots[i].msg = NULL;
	}
	b->n = 0;
}

static int length_failed(pipe_t *p, int rc)
{
	cur_err e;

	cur_err_set(&e, rc, "cannot count tokens for the report: %s", cur_strerror(rc));
	cur_pass_fatal(p, &e, rc);
	return rc;
}

int cur_pass_process_batch(worker *w, batch *b)
{
	pipe_t *p = w->p;
	size_t si, i;
	struct timespec t;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t);
	parse_batch(p, b);
	w->times.parse += cur_seconds_since(&t);
	rc = measure_in(w, b);
	if (rc < 0)
		return length_failed(p, rc);
	w->times.lengths += cur_seconds_since(&t);
	for (si = 0; si < p->nstages; si++) {
		cur_stage *st = p->stages[si];

		rc = run_stage_on(p, b, si, w->tls[si], 0);
		w->stage_seconds[si] += cur_seconds_since(&t);
		if (rc < 0)
			return rc;
		if (!st->serial)
			continue;
		if (!turn_wait(p, si, b->seq))
			return CUR_OK;
		/* The wait for the turn is not the stage's time. */
		clock_gettime(CLOCK_MONOTONIC, &t);
		run_stage_on(p, b, si, w->tls[si], 1);
		w->stage_seconds[si] += cur_seconds_since(&t);
		turn_pass(p, si);
	}
	rc = measure_out(w, b);
	if (rc < 0)
		return length_failed(p, rc);
	w->times.lengths += cur_seconds_since(&t);
	if (p->sink->ops->prepare) {
		for (i = 0; i < b->n; i++) {
			cur_err serr;

			if (b->slots[i].state != SLOT_OK)
				continue;
			cur_err_clear(&serr);
			rc = p->sink->ops->prepare(p->sink, w->tls[p->nstages], &b->slots[i].doc,
						   &serr);
			if (rc < 0) {
				cur_err e;

				cur_err_set(&e, rc, "%s:%llu: output failed: %s",
					    b->slots[i].doc.origin,
					    (unsigned long long)b->slots[i].doc.record,
					    serr.msg[0] ? serr.msg : cur_strerror(rc));
				cur_pass_fatal(p, &e, rc);
				return rc;
			}
		}
		w->times.sink_prepare += cur_seconds_since(&t);
	}
	return CUR_OK;
}

/* ---- the pass ---- */

static json_t *stage_report(pipe_t *p, size_t k, cur_err *err, int *rc)
{
	cur_stage *st = p->stages[k];
	stage_count *c = &p->counts[k];
	json_t *r = cur_report_stage(st->name, &c->c, c->dropped, c->seconds);
	int observing = p->ps->observe_last && k + 1 == p->nstages;
	int (*end)(cur_stage *, json_t *, cur_err *) =
		observing ? st->ops->end_observe : st->ops->finish;

	if (end) {
		cur_err ferr;
		int frc;

		cur_err_clear(&ferr);
		frc = end(st, r, &ferr);
		if (frc < 0 && *rc >= 0)
			*rc = cur_err_set(err, frc, "stage '%s' failed to finish: %s", st->name,
					  ferr.msg[0] ? ferr.msg : cur_strerror(frc));
	}
	return r;
}


static uint64_t total_input_bytes(char *const *inputs, size_t n)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct stat st;

		if (strcmp(inputs[i], "-") != 0 && stat(inputs[i], &st) == 0)
			total += (uint64_t)st.st_size;
	}
	return total;
}

/* The pass's own figures, once every worker has stopped: counts, stages
 * (finished), thread_seconds and the sink's. */
static int pass_report(pipe_t *p, json_t *report, cur_err *err)
{
	json_t *stages = json_array(), *sr = json_object(), *ts;
	struct timespec t;
	int rc = CUR_OK;
	size_t k;

	cur_report_counts(report, &p->run, p->bad, p->repairs, p->errors);
	for (k = 0; k < p->nstages; k++)
		json_array_append_new(stages, stage_report(p, k, err, &rc));
	json_object_set_new(report, "stages", stages);
	if (rc < 0) {
		json_decref(sr);
		return rc;
	}
	ts = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "read", p->times.read, "parse",
		       p->times.parse, "lengths", p->times.lengths, "sink_prepare",
		       p->times.sink_prepare, "sink_write", p->times.sink_write, "waiting",
		       p->times.waiting);
	clock_gettime(CLOCK_MONOTONIC, &t);
	rc = p->sink->ops->finish(p->sink, sr, err);
	json_object_set_new(ts, "sink_finish", json_real(cur_seconds_since(&t)));
	json_object_set_new(report, "thread_seconds", ts);
	json_object_set_new(report, "sink", sr);
	if (rc == CUR_OK && p->strict_hit)
		rc = 1;
	return rc;
}

int cur_pass_run(const cur_pass *ps, json_t *report, cur_err *err)
{
	const cur_pipeline_opts *o = ps->o;
	pipe_t p;
	size_t k;
	int rc = CUR_OK;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.ps = ps;
	p.inputs = ps->inputs;
	p.ninputs = ps->ninputs;
	p.stages = ps->stages;
	p.nstages = ps->nstages;
	p.sink = ps->sink;
	p.rejects = ps->rejects;
	p.lengths = ps->lengths_before || ps->lengths_after ? ps->lengths : NULL;
	p.errors = json_object();
	p.turn = calloc(p.nstages + 1, sizeof(uint64_t));
	p.counts = calloc(p.nstages + 1, sizeof(stage_count));
	if (!p.turn || !p.counts || !p.errors) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < p.nstages; k++)
		p.counts[k].dropped = json_object();
	pthread_mutex_init(&p.read_mx, NULL);
	pthread_mutex_init(&p.turn_mx, NULL);
	pthread_cond_init(&p.turn_cv, NULL);
	p.bytes_total = total_input_bytes(p.inputs, p.ninputs);
	clock_gettime(CLOCK_MONOTONIC, &p.t0);

	rc = cur_pass_workers(&p);
	if (p.reader)
		cur_reader_close(p.reader);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	if (rc < 0) {
		cur_err_set(err, rc, "cannot start workers: %s", cur_strerror(rc));
		goto out;
	}
	if (p.fatal) {
		*err = p.fatal_err;
		rc = p.fatal_err.code < 0 ? p.fatal_err.code : CUR_EIO;
		goto out;
	}
	if (cur_interrupted()) { /* after the last read: still nothing written */
		rc = cur_err_set(err, CUR_EINTR, "interrupted");
		goto out;
	}
	rc = pass_report(&p, report, err);
out:
	if (p.counts)
		for (k = 0; k < p.nstages; k++)
			json_decref(p.counts[k].dropped);
	json_decref(p.errors);
	free(p.counts);
	free(p.turn);
	if (p.turn || p.counts) {
		pthread_mutex_destroy(&p.read_mx);
		pthread_mutex_destroy(&p.turn_mx);
		pthread_cond_destroy(&p.turn_cv);
	}
	return rc;
}
