/* Pass 2 of `curate dedup` without the pipeline: see dd_fast_apply in
 * dedup.h. Most documents are kept unchanged, and parsing and re-writing
 * their JSON would cost more than the whole of pass 1's MinHash work; so a
 * record that stays unchanged is copied as read, one the decision annotates
 * gets its metadata spliced into the line when sign saw that a parse would
 * change nothing else, and every other record takes the pipeline's own path
 * (parse, the stage's process(), cur_doc_to_json). Each line is then what
 * `curate run` with the stage writes, up to the whitespace that the
 * pipeline's writer removes. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/report.h"
#include "core/utf8.h"
#include "core/writer.h"
#include "dedup/dedup.h"
#include "dedup/work_int.h"

typedef struct fast {
	const dd_fast_opts *o;
	cur_stage *st;
	void *tls;
	cur_out *out, *rej;
	cur_buf line;
	cur_doc *borrowed;    /* the document whose text is the reader's line */
	cur_counts run;
	uint64_t bad, repairs;
	json_t *dropped, *errors;
} fast;

static int write_json(cur_out *o, cur_doc *doc, cur_buf *line)
{
	line->len = 0;
	CUR_FORWARD(cur_doc_to_json(doc, line));
	return cur_out_write(o, line->data, line->len);
}

/* The pipeline's rejects shape: metadata.curate.dropped_by (and value). */
static int write_reject(fast *f, cur_doc *doc)
{
	if (!f->rej)
		return CUR_OK;
	CUR_FORWARD(cur_doc_note_drop(doc));
	return write_json(f->rej, doc, &f->line);
}

/* Where "metadata" goes in a record's line (sign saw it has none): the
 * offset of the closing brace, and whether the object is empty. 0 when the
 * line does not end with its brace. */
static int raw_slot(const char *s, size_t n, size_t *close, int *empty)
{
	size_t e = n;
	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e < 2 || s[e - 1] != '}')
		return 0;
	size_t b = e - 1;
	while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n'))
		b--;
	*close = e - 1;
	*empty = b > 0 && s[b - 1] == '{';
	return 1;
}

/* Write the line with ,"metadata":META spliced in before its brace (META:
 * compact JSON, m bytes). */
static int write_spliced(cur_out *o, const char *s, size_t close, size_t n, int empty,
			 const char *meta, size_t m)
{
	int rc = cur_out_write(o, s, close);
	if (rc == CUR_OK && !empty)
		rc = cur_out_write(o, ",", 1);
	if (rc == CUR_OK)
		rc = cur_out_write(o, "\"metadata\":", 11);
	if (rc == CUR_OK)
		rc = cur_out_write(o, meta, m);
	if (rc == CUR_OK)
		rc = cur_out_write(o, s + close, n - close);
	return rc == CUR_OK ? cur_out_write(o, "\n", 1) : rc;
}

/* What dd_decision_json dumps to under "dedup" for a kept cluster member,
 * written without jansson: most of a MinHash run's annotated documents are
 * such members. */
static size_t survivor_meta(const dd_decision *d, char *b, size_t cap)
{
	int k = snprintf(b, cap, "{\"dedup\":{\"cluster\":%llu,\"cluster_size\":%lu}}",
			 (unsigned long long)d->cluster, (unsigned long)d->cluster_size);
	return k > 0 && (size_t)k < cap ? (size_t)k : 0;
}

/* A record the decision annotates, written from its line with the
 * metadata the stage's process() would add, without a parse: sign saw
 * that the record has no metadata and that a parse would spell its values
 * as the line does (DD_META_SAME), so this is the pipeline's line up to
 * whitespace. 0 when the record must be parsed. */
static int raw_doc(fast *f, cur_doc *doc, const dd_decision *d, int *rc)
{
	size_t close, m;
	int empty;
	char mb[96];
	char *dump = NULL;
	json_t *meta;
	const char *why;

	if (!d->same || !d->no_meta || (dd_apply_lines(f->st) && d->strip) ||
	    !raw_slot(doc->text, doc->text_len, &close, &empty))
		return 0;
	if (d->kind == DD_KIND_KEEP && (m = survivor_meta(d, mb, sizeof mb))) {
		dd_apply_consume(f->st);
		f->run.docs_out++;
		f->run.bytes_out += d->length;
		*rc = write_spliced(f->out, doc->text, close, doc->text_len, empty, mb, m);
		return 1;
	}
	if (d->kind != DD_KIND_KEEP && !f->rej) {
		/* A duplicate with no rejects file: nothing of it is written. */
		cur_report_count(f->dropped, dd_apply_consume(f->st));
		*rc = CUR_OK;
		return 1;
	}
	if (!(meta = json_object())) {
		*rc = CUR_ENOMEM;
		return 1;
	}
	json_object_set_new(meta, "dedup", dd_decision_json(d));
	if (d->kind != DD_KIND_KEEP) {
		doc->drop_reason = dd_drop_reason(d);
		doc->drop_value = d->kind == DD_KIND_MINHASH ? d->value : NAN;
		json_object_set_new(meta, "curate", cur_drop_json(doc));
	}
	dump = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	if (!dump) {
		*rc = CUR_ENOMEM;
		return 1;
	}
	why = dd_apply_consume(f->st);
	if (why) {
		cur_report_count(f->dropped, why);
		*rc = write_spliced(f->rej, doc->text, close, doc->text_len, empty, dump,
				    strlen(dump));
	} else {
		f->run.docs_out++;
		f->run.bytes_out += d->length;
		*rc = write_spliced(f->out, doc->text, close, doc->text_len, empty, dump,
				    strlen(dump));
	}
	free(dump);
	return 1;
}

/* Give doc a text of its own before anything that takes it over. */
static int own_text(fast *f, cur_doc *doc)
{
	if (f->borrowed != doc)
		return CUR_OK;
	char *t = cur_strndup(doc->text, doc->text_len);
	if (!t)
		return CUR_ENOMEM;
	doc->text = t;
	f->borrowed = NULL;
	return CUR_OK;
}

static int one_doc(fast *f, cur_doc *doc, const dd_decision *d, cur_err *err)
{
	int rc;
	f->run.docs_in++;
	f->run.bytes_in += d->length;
	if (!f->rej && d->kind != DD_KIND_KEEP && doc->raw_json && !dd_apply_lines(f->st)) {
		/* A duplicate with no rejects file: nothing of it is written. */
		cur_report_count(f->dropped, dd_apply_consume(f->st));
		return CUR_OK;
	}
	/* A raw line is written from the line when it is valid UTF-8: sign
	 * checked that already when it could keep the line as read. */
	int valid = doc->raw_json && (d->raw_ok || cur_utf8_valid_prefix(doc->text, doc->text_len) ==
							   doc->text_len);
	if (valid && dd_apply_trivial(f->st, d)) {
		/* Unchanged: the line as read. */
		dd_apply_pass(f->st);
		f->run.docs_out++;
		f->run.bytes_out += d->length;
		CUR_FORWARD(cur_out_write(f->out, doc->text, doc->text_len));
		return cur_out_write(f->out, "\n", 1);
	}
	if (valid && raw_doc(f, doc, d, &rc))
		return rc;
	if ((rc = own_text(f, doc)) != CUR_OK)
		return cur_err_set(err, rc, "out of memory");
	if ((rc = cur_doc_parse_raw(doc, f->o->reader.text_field, err)) != CUR_OK)
		return rc == CUR_ENOMEM ? rc : cur_err_set(err, CUR_EDATA,
			"%s:%llu: parsed when signed, not now: %s", doc->origin,
			(unsigned long long)doc->record, err->msg);
	cur_err_clear(err);
	if (f->st->ops->prepare && (rc = f->st->ops->prepare(f->st, f->tls, doc, err)) < 0)
		return cur_err_set(err, rc, "out of memory");
	rc = f->st->ops->process(f->st, f->tls, doc, err);
	if (rc < 0)
		return cur_err_set(err, rc, "%s:%llu: dedup failed: %s", doc->origin,
				   (unsigned long long)doc->record,
				   err->msg[0] ? err->msg : cur_strerror(rc));
	f->repairs += doc->utf8_repairs;
	if (rc == CUR_DROP) {
		cur_report_count(f->dropped, doc->drop_reason);
		return write_reject(f, doc);
	}
	f->run.docs_out++;
	f->run.bytes_out += doc->text_len;
	return write_json(f->out, doc, &f->line);
}

/* One record from input i as the reader returned it (rc, err): match it to
 * the next decision by order key. *stop: the input ends here. */
static int one_record(fast *f, size_t i, cur_doc *doc, int rc, int *stop,
		      cur_err *err)
{
	const dd_fast_opts *o = f->o;
	const dd_decision *d;
	*stop = 0;
	if (rc == CUR_EOF) {
		*stop = 1;
		return CUR_OK;
	}
	if (rc == CUR_EDATA || rc == CUR_EIO) {
		f->bad++;
		cur_report_count(f->errors, err->reason ? err->reason : "error");
		*stop = rc == CUR_EIO;
		return CUR_OK;
	}
	if (rc != CUR_OK)
		return rc;
	uint64_t order = (uint64_t)i << 40 | (doc->record & (((uint64_t)1 << 40) - 1));
	rc = dd_apply_peek(f->st, &d, err);
	if (rc == CUR_OK && d->order < order)
		rc = cur_err_set(err, CUR_EDATA, "'%s' changed since it was signed", o->inputs[i]);
	if (rc == CUR_EOF || (rc == CUR_OK && d->order > order)) {
		/* No decision: the sign pass could not parse this record, so
		 * it must fail here too; if it parses, the input changed. */
		cur_err e2;
		cur_err_clear(&e2);
		if ((rc = own_text(f, doc)) != CUR_OK)
			return cur_err_set(err, rc, "out of memory");
		rc = cur_doc_parse_raw(doc, o->reader.text_field, &e2);
		if (rc == CUR_OK && !doc->raw_json) {
			rc = cur_err_set(err, CUR_EDATA, "'%s' changed since it was signed",
					 o->inputs[i]);
		} else if (rc != CUR_ENOMEM) {
			f->bad++;
			cur_report_count(f->errors, e2.reason ? e2.reason : "error");
			rc = CUR_OK;
		}
	} else if (rc == CUR_OK) {
		rc = one_doc(f, doc, d, err);
	}
	return rc;
}

/* A JSON Lines input: each line is matched and written (or not) straight
 * from the reader's buffer, with no copy unless it must be parsed.
 * CUR_EINVAL, before reading anything, when the input is not JSON Lines. */
static int borrowed_input(fast *f, size_t i, cur_reader *r, cur_err *err)
{
	int rc, stop = 0;
	do {
		const char *line;
		size_t n;
		uint64_t record;
		cur_doc doc;
		cur_doc_init(&doc);
		rc = cur_reader_next_line(r, &line, &n, &record, err);
		if (rc == CUR_EINVAL)
			return rc;
		if (rc == CUR_OK) {
			doc.text = (char *)line;
			doc.text_len = n;
			doc.raw_json = 1;
			doc.origin = f->o->inputs[i];
			doc.record = record;
			f->borrowed = &doc;
		}
		rc = one_record(f, i, &doc, rc, &stop, err);
		if (f->borrowed == &doc)
			doc.text = NULL;
		f->borrowed = NULL;
		cur_doc_release(&doc);
	} while (rc == CUR_OK && !stop);
	return rc;
}

/* One input file: match each record to the next decision by order key. */
static int one_input(fast *f, size_t i, cur_err *err)
{
	const dd_fast_opts *o = f->o;
	cur_reader_opts ro = o->reader;
	cur_reader *r = NULL;
	int rc, stop = 0;
	if (o->ninputs == 1) {
		ro.rank = o->rank;
		ro.world = o->world;
	}
	/* With -j, the file is read on a second thread (the pass is serial). */
	ro.prefetch = o->threads > 1;
	if (cur_reader_open(&r, o->inputs[i], &ro, err) != CUR_OK) {
		if (err->code == CUR_ENOMEM)
			return CUR_ENOMEM;
		f->bad++; /* the sign pass could not open it either */
		cur_report_count(f->errors, err->reason ? err->reason : "open");
		return CUR_OK;
	}
	rc = borrowed_input(f, i, r, err);
	if (rc != CUR_EINVAL) {
		cur_reader_close(r);
		return rc;
	}
	do {
		cur_doc doc;
		cur_doc_init(&doc);
		rc = cur_reader_next(r, &doc, err);
		rc = one_record(f, i, &doc, rc, &stop, err);
		cur_doc_release(&doc);
	} while (rc == CUR_OK && !stop);
	cur_reader_close(r);
	return rc;
}

static void fill_report(fast *f, json_t *report, json_t *stage, double secs)
{
	json_t *entry = cur_report_stage("dedup", &f->run, f->dropped, secs), *stages = json_array();
	json_object_update(entry, stage);
	json_array_append_new(stages, entry);
	json_object_set_new(report, "inputs", cur_report_inputs(f->o->inputs, f->o->ninputs, NULL));
	cur_report_counts(report, &f->run, f->bad, f->repairs, f->errors);
	json_object_set_new(report, "stages", stages);
	json_object_set_new(report, "apply_seconds", json_real(secs));
}

int dd_fast_apply(const dd_fast_opts *o, json_t *report, cur_err *err)
{
	fast f = { .o = o, .st = o->stage };
	json_t *stage = json_object();
	struct timespec t0, t1;
	int rc = CUR_OK;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cur_buf_init(&f.line, CUR_BUF_UNLIMITED);
	f.dropped = json_object();
	f.errors = json_object();
	if (!(f.tls = dd_scratch_new(f.st))) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = cur_out_open(&f.out, o->output, o->threads, err)) != CUR_OK ||
	    (o->rejects && (rc = cur_out_open(&f.rej, o->rejects, 1, err)) != CUR_OK))
		goto out;
	for (size_t i = 0; i < o->ninputs && rc == CUR_OK; i++)
		if (cur_slice_has(o->ninputs, i, o->rank, o->world))
			rc = one_input(&f, i, err);
	if (rc == CUR_OK)
		rc = f.st->ops->finish(f.st, stage, err);
	if (rc == CUR_OK)
		rc = cur_out_finish(f.out, err);
	if (rc == CUR_OK && f.rej)
		rc = cur_out_finish(f.rej, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (report)
		fill_report(&f, report, stage, (double)(t1.tv_sec - t0.tv_sec) +
			    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	cur_out_free(f.out);
	cur_out_free(f.rej);
	dd_scratch_free(f.st, f.tls);
	cur_buf_release(&f.line);
	json_decref(f.dropped);
	json_decref(f.errors);
	json_decref(stage);
	return rc;
}
