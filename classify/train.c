/* `curate classify train` and `curate classify test`.
 *
 * Training keeps one number per example in memory (where its line lies in
 * a work file), not the corpus: the labelled lines go to a work file next
 * to the output, are sampled and shuffled by offset, and copied in their
 * new order into the file libfasttext trains on. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "classify/classify.h"
#include "classify/fasttext.h"
#include "classify/train.h"
#include "core/file.h"
#include "core/rng.h"

#define LABEL_PREFIX "__label__"

const cur_opt_spec cls_train_options[] = {
	{"label-field", CUR_OPT_STR, "FIELD", "each document's label (metadata.FIELD or FIELD)", NULL},
	{"source", CUR_OPT_LIST, "LABEL=FILE", "every document of FILE has LABEL (repeat)", NULL},
	{"max-per-file", CUR_OPT_INT, "N", "train on at most N examples of each file (sampled by --seed)",
	 "all"},
	{"chunk-bytes", CUR_OPT_INT, "N", "cut documents into examples of about N bytes, at spaces",
	 "whole documents"},
	{"epoch", CUR_OPT_INT, "N", "fastText: passes over the data", "5"},
	{"lr", CUR_OPT_NUM, "X", "fastText: learning rate", "0.1"},
	{"wordNgrams", CUR_OPT_INT, "N", "fastText: word n-grams up to N", "1"},
	{"dim", CUR_OPT_INT, "N", "fastText: vector size", "100"},
	{"minCount", CUR_OPT_INT, "N", "fastText: words seen fewer times are dropped", "1"},
	{"minn", CUR_OPT_INT, "N", "fastText: shortest character n-gram", "0: none"},
	{"maxn", CUR_OPT_INT, "N", "fastText: longest character n-gram", "0: none"},
	{"bucket", CUR_OPT_INT, "N", "fastText: n-gram hash buckets", "2000000"},
	{"loss", CUR_OPT_STR, "NAME", "fastText: softmax, hs, ova or ns", "softmax"},
	{"thread", CUR_OPT_INT, "N", "fastText: training threads (1 is deterministic)", "1"},
	{"quantize", CUR_OPT_FLAG, NULL, "write a quantized model (.ftz)", NULL},
	{"cutoff", CUR_OPT_INT, "N", "with --quantize: keep the N most useful rows", "all"},
	{"retrain", CUR_OPT_FLAG, NULL, "with --cutoff: train again after the cut (--epoch epochs)", NULL},
	{"dsub", CUR_OPT_INT, "N", "with --quantize: sub-vector size", "2"},
	{"qnorm", CUR_OPT_FLAG, NULL, "with --quantize: quantize the norms apart", NULL},
	{NULL, 0, NULL, NULL, NULL}
};

const cur_opt_spec cls_test_options[] = {
	{"label-field", CUR_OPT_STR, "FIELD", "each document's true label (metadata.FIELD or FIELD)", NULL},
	{"source", CUR_OPT_LIST, "LABEL=FILE", "every document of FILE has LABEL (repeat)", NULL},
	{"predicted-field", CUR_OPT_STR, "FIELD", "score this field (e.g. category) instead of a model",
	 NULL},
	{NULL, 0, NULL, NULL, NULL}
};

/* ---- the labelled inputs ---- */

typedef struct input {
	char *path;
	char *label;  /* NULL: from the label field */
} input;

typedef struct inputs {
	input *v;
	size_t n;
} inputs;

static int add_source(void *arg, const char *s, size_t n, cur_err *err)
{
	inputs *in = arg;
	const char *eq = memchr(s, '=', n);
	input *v;

	if (!eq || eq == s || eq == s + n - 1)
		return cur_err_set(err, CUR_EINVAL, "--source wants LABEL=FILE, not '%.*s'", (int)n, s);
	v = cur_realloc_array(in->v, in->n + 1, sizeof(*v));
	if (!v)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	in->v = v;
	v[in->n].label = cur_strndup(s, (size_t)(eq - s));
	v[in->n].path = cur_strndup(eq + 1, (size_t)(s + n - eq - 1));
	in->n++;
	if (!v[in->n - 1].label || !v[in->n - 1].path)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	return CUR_OK;
}

static void inputs_release(inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->v[i].path);
		free(in->v[i].label);
	}
	free(in->v);
}

/* The --source files, then the positional ones (which need --label-field). */
static int gather_inputs(json_t *cfg, const cls_run *run, const char *field, inputs *in,
			 cur_err *err)
{
	memset(in, 0, sizeof(*in));
	CUR_FORWARD(cur_cfg_each(cfg, "source", add_source, in, err));
	if (run->nfiles && !field)
		return cur_err_set(err, CUR_EINVAL, "label the inputs: --label-field FIELD, or "
				   "--source LABEL=FILE instead of FILE");
	for (size_t i = 0; i < run->nfiles; i++) {
		input *v = cur_realloc_array(in->v, in->n + 1, sizeof(*v));

		if (!v)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		in->v = v;
		v[in->n].label = NULL;
		v[in->n++].path = strdup(run->files[i]);
		if (!v[in->n - 1].path)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	if (!in->n)
		return cur_err_set(err, CUR_EINVAL, "no input: give FILE... with --label-field, or "
				   "--source LABEL=FILE");
	return CUR_OK;
}

typedef int (*doc_fn)(void *arg, size_t file, const char *label, cur_doc *doc, cur_err *err);

/* Call fn for each labelled document of the inputs, in order. Documents
 * without a label are counted in *unlabelled; bad records are reported
 * through run->warn and skipped (under strict they stop the run). */
static int each_labelled(const cls_run *run, const inputs *in, const char *field, doc_fn fn,
			 void *arg, uint64_t *unlabelled, cur_err *err)
{
	for (size_t f = 0; f < in->n; f++) {
		cur_reader *r;
		int rc = CUR_OK;

		CUR_FORWARD(cur_reader_open(&r, in->v[f].path, &run->reader, err));
		while (rc == CUR_OK) {
			cur_doc doc;
			const char *label;

			cur_doc_init(&doc);
			rc = cur_reader_read(r, &doc, err);
			if (rc == CUR_EDATA && !run->strict) {
				if (run->warn)
					run->warn(run->warn_arg, err->msg);
				rc = CUR_OK;
			} else if (rc == CUR_OK) {
				label = in->v[f].label ? in->v[f].label : cur_doc_meta_str(&doc, field);
				if (label && *label)
					rc = fn(arg, f, label, &doc, err);
				else
					(*unlabelled)++;
			}
			cur_doc_release(&doc);
		}
		cur_reader_close(r);
		if (rc != CUR_EOF)
			return rc;
	}
	return CUR_OK;
}

/* ---- training ---- */

typedef struct example {
	uint64_t off;
	uint32_t len;
	uint32_t file;
} example;

typedef struct trainer {
	FILE *work;
	uint64_t off;
	example *ex;
	size_t n, cap;
	int64_t chunk;
	json_t *labels;  /* label -> examples */
	cur_buf line;
} trainer;

/* A fastText label is one token: whitespace inside becomes '_'. */
static int put_label(cur_buf *b, const char *label)
{
	CUR_FORWARD(cur_buf_append(b, LABEL_PREFIX, sizeof(LABEL_PREFIX) - 1));
	for (const char *p = label; *p; p++)
		CUR_FORWARD(cur_buf_putc(b, strchr(" \t\n\r\v\f", *p) ? '_' : *p));
	return cur_buf_putc(b, ' ');
}

static int write_example(trainer *t, size_t file, const char *label, const char *text, size_t n)
{
	example *e;

	cur_buf_reset(&t->line);
	CUR_FORWARD(put_label(&t->line, label));
	for (size_t i = 0; i < n; i++)
		CUR_FORWARD(cur_buf_putc(&t->line, text[i] == '\n' ? ' ' : text[i]));
	CUR_FORWARD(cur_buf_putc(&t->line, '\n'));
	if (t->line.len > UINT32_MAX)
		return CUR_ELIMIT;
	if (fwrite(t->line.data, 1, t->line.len, t->work) != t->line.len)
		return CUR_EIO;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;

		e = cur_realloc_array(t->ex, cap, sizeof(*e));
		if (!e)
			return CUR_ENOMEM;
		t->ex = e;
		t->cap = cap;
	}
	t->ex[t->n++] = (example){ t->off, (uint32_t)t->line.len, (uint32_t)file };
	t->off += t->line.len;
	return CUR_OK;
}

/* The end of the next chunk of text[0..n): about want bytes, at a space. */
static size_t chunk_end(const char *text, size_t n, size_t want)
{
	size_t i = want;

	if (n <= want + want / 2)
		return n;
	while (i < n && !strchr(" \t\n\r", text[i]))
		i++;
	return i;
}

static int add_example(void *arg, size_t file, const char *label, cur_doc *doc, cur_err *err)
{
	trainer *t = arg;
	json_t *c = json_object_get(t->labels, label);
	size_t at = 0;
	int rc = CUR_OK;

	json_object_set_new(t->labels, label, json_integer(json_integer_value(c) + 1));
	do {
		size_t end = t->chunk > 0 ? at + chunk_end(doc->text + at, doc->text_len - at,
							  (size_t)t->chunk) : doc->text_len;

		rc = write_example(t, file, label, doc->text + at, end - at);
		at = end;
	} while (rc == CUR_OK && at < doc->text_len);
	if (rc < 0)
		return cur_err_set(err, rc, "cannot write the training examples: %s", cur_strerror(rc));
	return CUR_OK;
}

static void shuffle(example *ex, size_t n, cur_rng *r)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)cur_rng_below(r, i);
		example tmp = ex[i - 1];

		ex[i - 1] = ex[j];
		ex[j] = tmp;
	}
}

/* Keep at most max examples of each file (max <= 0: all), a sample drawn
 * with the seed; the examples stay grouped by file. */
static size_t sample_per_file(trainer *t, int64_t max, uint64_t seed)
{
	size_t kept = 0, a, b;

	for (a = 0; a < t->n; a = b) {
		size_t take;

		for (b = a; b < t->n && t->ex[b].file == t->ex[a].file; b++)
			;
		take = b - a;
		if (max > 0 && take > (size_t)max) {
			cur_rng r = { cur_mix64(seed ^ (0x46494c45ULL + t->ex[a].file)) };

			shuffle(t->ex + a, b - a, &r);
			take = (size_t)max;
		}
		memmove(t->ex + kept, t->ex + a, take * sizeof(example));
		kept += take;
	}
	return kept;
}

static int copy_shuffled(trainer *t, size_t n, const char *path, uint64_t seed, cur_err *err)
{
	FILE *out = fopen(path, "wb");
	cur_rng r = { cur_mix64(seed ^ 0x545241494eULL) };
	int fd = fileno(t->work), rc = CUR_OK;
	char *buf = NULL;

	if (!out)
		return cur_err_set(err, CUR_EIO, "cannot create '%s': %s", path, strerror(errno));
	shuffle(t->ex, n, &r);
	for (size_t i = 0; i < n && rc == CUR_OK; i++) {
		char *b = realloc(buf, t->ex[i].len);

		if (!b) {
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
			break;
		}
		buf = b;
		if (pread(fd, buf, t->ex[i].len, (off_t)t->ex[i].off) != (ssize_t)t->ex[i].len ||
		    fwrite(buf, 1, t->ex[i].len, out) != t->ex[i].len)
			rc = cur_err_set(err, CUR_EIO, "cannot write '%s': %s", path, strerror(errno));
	}
	free(buf);
	if (fclose(out) && rc == CUR_OK)
		rc = cur_err_set(err, CUR_EIO, "cannot write '%s': %s", path, strerror(errno));
	return rc;
}

/* fastText's options from the config (the keys are its own names). */
static int ft_options(json_t *cfg, cls_ft_train_opts *o, cur_err *err)
{
	static const struct {
		const char *key;
		size_t at;
	} ints[] = {
		{ "epoch", offsetof(cls_ft_train_opts, epoch) },
		{ "wordNgrams", offsetof(cls_ft_train_opts, word_ngrams) },
		{ "dim", offsetof(cls_ft_train_opts, dim) },
		{ "minCount", offsetof(cls_ft_train_opts, min_count) },
		{ "minn", offsetof(cls_ft_train_opts, minn) },
		{ "maxn", offsetof(cls_ft_train_opts, maxn) },
		{ "bucket", offsetof(cls_ft_train_opts, bucket) },
		{ "thread", offsetof(cls_ft_train_opts, thread) },
		{ "dsub", offsetof(cls_ft_train_opts, dsub) },
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		CUR_FORWARD(cur_cfg_int(cfg, ints[i].key, -1, &v, err));
		if (v < -1 || v > 1000000000 || (v == -1 && json_object_get(cfg, ints[i].key)))
			return cur_err_set(err, CUR_EINVAL, "--%s must be 0 or more", ints[i].key);
		*(int *)((char *)o + ints[i].at) = (int)v;
	}
	if (o->thread < 0)
		o->thread = 1;
	CUR_FORWARD(cur_cfg_num(cfg, "lr", -1, &o->lr, err));
	CUR_FORWARD(cur_cfg_str(cfg, "loss", NULL, &o->loss, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "quantize", 0, &o->quantize, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "qnorm", 0, &o->qnorm, err));
	CUR_FORWARD(cur_cfg_int(cfg, "cutoff", 0, &v, err));
	o->cutoff = (long)v;
	CUR_FORWARD(cur_cfg_bool(cfg, "retrain", 0, &o->retrain, err));
	if ((o->cutoff || o->qnorm || o->dsub > 0) && !o->quantize)
		return cur_err_set(err, CUR_EINVAL, "--cutoff, --dsub and --qnorm go with --quantize");
	if (o->retrain && !o->cutoff)
		return cur_err_set(err, CUR_EINVAL, "--retrain goes with --cutoff");
	if (o->cutoff < 0)
		return cur_err_set(err, CUR_EINVAL, "--cutoff must be 0 or more");
	return CUR_OK;
}

static void trainer_release(trainer *t)
{
	if (t->work)
		fclose(t->work);
	free(t->ex);
	json_decref(t->labels);
	cur_buf_release(&t->line);
}

int cls_train(json_t *cfg, const cls_run *run, const char *output, json_t *report, cur_err *err)
{
	const char *field;
	int64_t max_per_file;
	uint64_t unlabelled = 0;
	cls_ft_train_opts fo;
	inputs in;
	trainer t;
	cur_atomic model = CUR_ATOMIC_INIT;
	char dir[4096], work[4200], train[4200];
	size_t n;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&in, 0, sizeof(in));
	dir[0] = '\0';
	cur_buf_init(&t.line, CUR_BUF_UNLIMITED);
	cls_ft_train_opts_init(&fo);
	rc = cur_cfg_check_keys(cfg, cls_train_options, "classify train", err);
	if (rc == CUR_OK)
		rc = cur_cfg_str(cfg, "label_field", NULL, &field, err);
	if (rc == CUR_OK)
		rc = cur_cfg_int(cfg, "max_per_file", 0, &max_per_file, err);
	if (rc == CUR_OK)
		rc = cur_cfg_int(cfg, "chunk_bytes", 0, &t.chunk, err);
	if (rc == CUR_OK)
		rc = ft_options(cfg, &fo, err);
	if (rc == CUR_OK)
		rc = gather_inputs(cfg, run, field, &in, err);
	if (rc < 0)
		goto out;
	if (!output || !strcmp(output, "-")) {
		rc = cur_err_set(err, CUR_EINVAL, "name the model file with -o MODEL.bin");
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s.work.XXXXXX", output);
	if (!mkdtemp(dir)) {
		rc = cur_err_set(err, CUR_EIO, "cannot create a work directory '%s': %s", dir,
				 strerror(errno));
		dir[0] = '\0';
		goto out;
	}
	snprintf(work, sizeof(work), "%s/examples.txt", dir);
	snprintf(train, sizeof(train), "%s/train.txt", dir);
	t.work = fopen(work, "w+b");
	t.labels = json_object();
	if (!t.work || !t.labels) {
		rc = cur_err_set(err, CUR_EIO, "cannot create '%s': %s", work, strerror(errno));
		goto out;
	}
	rc = each_labelled(run, &in, field, add_example, &t, &unlabelled, err);
	if (rc == CUR_OK && fflush(t.work))
		rc = cur_err_set(err, CUR_EIO, "cannot write '%s': %s", work, strerror(errno));
	if (rc < 0)
		goto out;
	n = sample_per_file(&t, max_per_file, run->seed);
	if (json_object_size(t.labels) < 2) {
		rc = cur_err_set(err, CUR_EDATA, "training needs documents of two labels or more (%zu "
				 "found)", json_object_size(t.labels));
		goto out;
	}
	rc = copy_shuffled(&t, n, train, run->seed, err);
	if (rc < 0)
		goto out;
	/* fastText saves the model by name: into the atomic output's
	 * temporary file, which the commit then syncs and renames. */
	rc = cur_atomic_open(&model, output, err);
	if (rc < 0)
		goto out;
	fo.input = train;
	fo.output = model.tmp;
	fo.seed = (int)(run->seed & 0x7fffffff);
	fo.verbose = run->verbose;
	rc = cls_ft_train(&fo, err);
	if (rc == CUR_OK)
		rc = cur_atomic_commit(&model, 0, err);
	if (rc == CUR_OK && report) {
		json_object_set(report, "documents", t.labels);
		json_object_set_new(report, "examples", json_integer((json_int_t)n));
		json_object_set_new(report, "unlabelled", json_integer((json_int_t)unlabelled));
		json_object_set_new(report, "model", json_string(output));
		json_object_set(report, "options", cfg);
	}
out:
	cur_atomic_rollback(&model);
	if (t.work) {
		fclose(t.work);
		t.work = NULL;
	}
	if (dir[0])
		cur_remove_tree(dir);
	trainer_release(&t);
	inputs_release(&in);
	return rc;
}

/* ---- testing ---- */

typedef struct tester {
	const cls_model *model;
	cls_scratch *scratch;
	const char *predicted_field;
	json_t *confusion;   /* true label -> {predicted label -> count} */
	cls_pred pred;
	uint64_t docs, correct, unpredicted;
} tester;

static int score_doc(void *arg, size_t file, const char *label, cur_doc *doc, cur_err *err)
{
	tester *t = arg;
	const char *got = NULL;
	json_t *row;
	size_t n = 0;

	(void)file;
	if (t->predicted_field) {
		got = cur_doc_meta_str(doc, t->predicted_field);
	} else {
		CUR_FORWARD(cls_predict(t->model, t->scratch, doc->text, doc->text_len, 1, &t->pred, 1,
					&n, err));
		if (n)
			got = cls_model_label(t->model, t->pred.label);
	}
	if (!got) {
		t->unpredicted++;
		got = "";
	}
	row = json_object_get(t->confusion, label);
	if (!row) {
		row = json_object();
		json_object_set_new(t->confusion, label, row);
	}
	json_object_set_new(row, got, json_integer(json_integer_value(json_object_get(row, got)) + 1));
	t->docs++;
	t->correct += strcmp(label, got) == 0;
	return CUR_OK;
}

/* Every label seen as true or predicted, sorted. */
static json_t *all_labels(json_t *confusion)
{
	json_t *set = json_object(), *row, *v, *out = json_array();
	const char *l, *p;

	json_object_foreach(confusion, l, row) {
		json_object_set_new(set, l, json_true());
		json_object_foreach(row, p, v)
			if (*p)
				json_object_set_new(set, p, json_true());
	}
	json_object_foreach(set, l, v)
		json_array_append_new(out, json_string(l));
	json_decref(set);
	return out;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* Precision, recall, F1 per label and macro-F1 over all labels seen as
 * true or predicted (as scikit-learn's classification_report). */
static void metrics(tester *t, cur_buf *table, json_t *report)
{
	json_t *labels = all_labels(t->confusion), *per = json_object();
	size_t nl = json_array_size(labels);
	json_t **sorted = calloc(nl ? nl : 1, sizeof(json_t *));
	double f1_sum = 0;

	for (size_t i = 0; i < nl; i++)
		sorted[i] = json_array_get(labels, i);
	qsort(sorted, nl, sizeof(json_t *), cmp_json_str);
	cur_buf_printf(table, "%-16s %9s %9s %9s %9s\n", "label", "precision", "recall", "f1",
		       "support");
	for (size_t i = 0; i < nl; i++) {
		const char *l = json_string_value(sorted[i]), *g;
		json_t *row = json_object_get(t->confusion, l), *v;
		double tp = 0, support = 0, predicted = 0;

		json_object_foreach(row, g, v)
			support += (double)json_integer_value(v);
		tp = (double)json_integer_value(json_object_get(row, l));
		json_object_foreach(t->confusion, g, v)
			predicted += (double)json_integer_value(json_object_get(v, l));
		double p = ratio(tp, predicted), r = ratio(tp, support), f1 = ratio(2 * p * r, p + r);

		f1_sum += f1;
		cur_buf_printf(table, "%-16s %9.4f %9.4f %9.4f %9.0f\n", l, p, r, f1, support);
		json_object_set_new(per, l, json_pack("{s:f, s:f, s:f, s:I}", "precision", p, "recall",
						      r, "f1", f1, "support", (json_int_t)support));
	}
	double macro = ratio(f1_sum, (double)nl), acc = ratio((double)t->correct, (double)t->docs);

	cur_buf_printf(table, "macro-F1 %.4f  accuracy %.4f  documents %llu\n", macro, acc,
		       (unsigned long long)t->docs);
	if (report) {
		json_object_set_new(report, "labels", per);
		json_object_set_new(report, "macro_f1", json_real(macro));
		json_object_set_new(report, "accuracy", json_real(acc));
		json_object_set_new(report, "documents", json_integer((json_int_t)t->docs));
		json_object_set(report, "confusion", t->confusion);
	} else {
		json_decref(per);
	}
	free(sorted);
	json_decref(labels);
}

int cls_test(json_t *cfg, const char *model, const cls_run *run, cur_buf *table, json_t *report,
	     cur_err *err)
{
	const char *field;
	uint64_t unlabelled = 0;
	cls_model *m = NULL;
	tester t;
	inputs in;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&in, 0, sizeof(in));
	rc = cur_cfg_check_keys(cfg, cls_test_options, "classify test", err);
	if (rc == CUR_OK)
		rc = cur_cfg_str(cfg, "label_field", NULL, &field, err);
	if (rc == CUR_OK)
		rc = cur_cfg_str(cfg, "predicted_field", NULL, &t.predicted_field, err);
	if (rc == CUR_OK)
		rc = gather_inputs(cfg, run, field, &in, err);
	if (rc == CUR_OK && !t.predicted_field && !model)
		rc = cur_err_set(err, CUR_EINVAL, "name the model: curate classify test MODEL FILE...");
	if (rc == CUR_OK && !t.predicted_field) {
		rc = cls_model_load(model, &m, err);
		if (rc == CUR_OK && !(t.scratch = cls_scratch_new(m)))
			rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	t.model = m;
	t.confusion = json_object();
	if (rc == CUR_OK)
		rc = each_labelled(run, &in, field, score_doc, &t, &unlabelled, err);
	if (rc == CUR_OK && !t.docs)
		rc = cur_err_set(err, CUR_EDATA, "no labelled document to test on");
	if (rc == CUR_OK) {
		metrics(&t, table, report);
		if (unlabelled)
			cur_buf_printf(table, "%llu documents without a label were left out\n",
				       (unsigned long long)unlabelled);
		if (report)
			json_object_set_new(report, "unlabelled", json_integer((json_int_t)unlabelled));
	}
	json_decref(t.confusion);
	cls_scratch_free(t.scratch);
	cls_model_free(m);
	inputs_release(&in);
	return rc;
}
