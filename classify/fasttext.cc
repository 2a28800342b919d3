/* The glue between curate (C) and Debian's libfasttext (C++): loading,
 * predicting from input rows, fastText's own line reading (for tests) and
 * training. The project's only C++ file; classify/fasttext.h is its API.
 *
 * Models are loaded by FastText::loadModel and predicted by
 * FastText::predict, so every probability is fastText's own. What curate
 * does itself is turning text into input rows (classify/features.c): it
 * needs the dictionary's tables, which this file hands over once. */
#include "config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <vector>

#include <fasttext/dictionary.h>
#include <fasttext/fasttext.h>

#include "classify/fasttext.h"

namespace {

/* fastText's file header, as FastText::checkModel reads it. */
const int32_t ft_magic = 793712314;
const int32_t ft_newest_version = 12;

/* A pruned model (quantized with a cutoff) keeps only some n-gram buckets;
 * the map from bucket to row is a protected member of Dictionary, so a
 * subclass loaded from the same file reads it out. */
class pruned_dictionary : public fasttext::Dictionary {
public:
	pruned_dictionary(std::shared_ptr<fasttext::Args> args, std::istream &in)
		: Dictionary(args, in) {}
	const std::unordered_map<int32_t, int32_t> &buckets() const { return pruneidx_; }
};

/* An istream over bytes in memory, for Dictionary::getLine. */
class memory_buf : public std::streambuf {
public:
	memory_buf(const char *p, size_t n)
	{
		char *b = const_cast<char *>(p);
		setg(b, b, b + n);
	}
};

int fail(cur_err *err, int code, const char *what, const char *detail)
{
	return cur_err_set(err, code, "%s: %s", what, detail);
}

} // namespace

struct cls_ft {
	fasttext::FastText model;
	std::shared_ptr<const fasttext::Dictionary> dict;
	std::vector<std::string> labels;
	std::vector<std::pair<int32_t, int32_t>> pruned;
	cls_ft_info info;
};

struct cls_ft_scratch {
	std::vector<int32_t> rows;
	fasttext::Predictions predictions;
};

/* The header up to the dictionary's count of pruned buckets: the magic,
 * the version, the Args block (Args::load) and the dictionary's sizes. Its
 * position is left at the dictionary. */
static int read_header(std::ifstream &in, const char *path, fasttext::Args &args,
		       int64_t *npruned, cur_err *err)
{
	int32_t magic = 0, version = 0, size, nwords, nlabels;
	int64_t ntokens;

	in.read(reinterpret_cast<char *>(&magic), sizeof magic);
	in.read(reinterpret_cast<char *>(&version), sizeof version);
	if (!in || magic != ft_magic || version > ft_newest_version)
		return cur_err_set(err, CUR_EDATA, "'%s' is not a fastText model (version %d or "
				   "older)", path, ft_newest_version);
	args.load(in);
	std::streampos dict_at = in.tellg();
	in.read(reinterpret_cast<char *>(&size), sizeof size);
	in.read(reinterpret_cast<char *>(&nwords), sizeof nwords);
	in.read(reinterpret_cast<char *>(&nlabels), sizeof nlabels);
	in.read(reinterpret_cast<char *>(&ntokens), sizeof ntokens);
	in.read(reinterpret_cast<char *>(npruned), sizeof *npruned);
	if (!in)
		return cur_err_set(err, CUR_EDATA, "'%s': truncated fastText model", path);
	in.seekg(dict_at);
	return CUR_OK;
}

static int load_pruned(cls_ft *m, const char *path, cur_err *err)
{
	std::ifstream in(path, std::ifstream::binary);
	auto args = std::make_shared<fasttext::Args>();
	int64_t npruned = -1;

	if (!in.is_open())
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	int rc = read_header(in, path, *args, &npruned, err);
	if (rc < 0)
		return rc;
	m->info.npruned = npruned;
	if (npruned <= 0)
		return CUR_OK;
	pruned_dictionary view(args, in);
	for (const auto &kv : view.buckets())
		m->pruned.emplace_back(kv.first, kv.second);
	return CUR_OK;
}

static void fill_info(cls_ft *m)
{
	fasttext::Args a = m->model.getArgs();

	m->info.dim = a.dim;
	m->info.minn = a.minn;
	m->info.maxn = a.maxn;
	m->info.word_ngrams = a.wordNgrams;
	m->info.bucket = a.bucket;
	m->info.nwords = m->dict->nwords();
	m->info.nlabels = m->dict->nlabels();
	m->info.supervised = a.model == fasttext::model_name::sup;
	m->info.quantized = m->model.isQuant();
}

extern "C" int cls_ft_load(const char *path, cls_ft **out, cur_err *err)
{
	cls_ft *m = nullptr;

	*out = nullptr;
	try {
		m = new cls_ft();
		int rc = load_pruned(m, path, err);
		if (rc < 0) {
			delete m;
			return rc;
		}
		m->model.loadModel(std::string(path));
		m->dict = m->model.getDictionary();
		fill_info(m);
		if (!m->info.supervised) {
			delete m;
			return cur_err_set(err, CUR_EDATA, "'%s' is a word-vector model, not a "
					   "classifier", path);
		}
		for (int32_t i = 0; i < m->info.nlabels; i++)
			m->labels.push_back(m->dict->getLabel(i));
	} catch (const std::bad_alloc &) {
		delete m;
		return cur_err_set(err, CUR_ENOMEM, "out of memory loading '%s'", path);
	} catch (const std::exception &e) {
		delete m;
		return cur_err_set(err, CUR_EDATA, "cannot load '%s': %s", path, e.what());
	}
	*out = m;
	return CUR_OK;
}

extern "C" void cls_ft_free(cls_ft *m)
{
	delete m;
}

extern "C" void cls_ft_get_info(const cls_ft *m, cls_ft_info *out)
{
	*out = m->info;
}

extern "C" int cls_ft_each_entry(const cls_ft *m,
				 int (*fn)(void *, int32_t, const char *, size_t, int), void *arg)
{
	int32_t size = m->info.nwords + m->info.nlabels;

	try {
		for (int32_t i = 0; i < size; i++) {
			std::string w = m->dict->getWord(i);
			int label = m->dict->getType(i) == fasttext::entry_type::label;
			int rc = fn(arg, i, w.data(), w.size(), label);

			if (rc)
				return rc;
		}
	} catch (const std::bad_alloc &) {
		return CUR_ENOMEM;
	}
	return 0;
}

extern "C" const int32_t *cls_ft_word_rows(const cls_ft *m, int32_t id, size_t *n)
{
	const std::vector<int32_t> &rows = m->dict->getSubwords(id);

	*n = rows.size();
	return rows.data();
}

extern "C" int cls_ft_each_pruned(const cls_ft *m, int (*fn)(void *, int32_t, int32_t),
				  void *arg)
{
	for (const auto &p : m->pruned) {
		int rc = fn(arg, p.first, p.second);

		if (rc)
			return rc;
	}
	return 0;
}

extern "C" const char *cls_ft_label(const cls_ft *m, int32_t i)
{
	return m->labels[(size_t)i].c_str();
}

extern "C" cls_ft_scratch *cls_ft_scratch_new(void)
{
	return new (std::nothrow) cls_ft_scratch();
}

extern "C" void cls_ft_scratch_free(cls_ft_scratch *s)
{
	delete s;
}

extern "C" int cls_ft_predict(const cls_ft *m, cls_ft_scratch *s, const int32_t *rows, size_t n,
			      int k, int32_t *label, float *prob, size_t cap, size_t *nout,
			      cur_err *err)
{
	*nout = 0;
	try {
		s->rows.assign(rows, rows + n);
		s->predictions.clear();
		m->model.predict(k > 0 ? k : fasttext::Model::kUnlimitedPredictions, s->rows,
				 s->predictions, 0.0);
	} catch (const std::bad_alloc &) {
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	} catch (const std::exception &e) {
		return fail(err, CUR_EDATA, "fastText", e.what());
	}
	for (const auto &p : s->predictions) {
		if (*nout == cap)
			break;
		label[*nout] = p.second;
		prob[*nout] = std::exp(p.first);
		(*nout)++;
	}
	return CUR_OK;
}

extern "C" int cls_ft_line_rows(const cls_ft *m, const char *line, size_t len, int32_t **rows,
				size_t *n, cur_err *err)
{
	*rows = nullptr;
	*n = 0;
	try {
		memory_buf buf(line, len);
		std::istream in(&buf);
		std::vector<int32_t> words, labels;

		m->dict->getLine(in, words, labels);
		*rows = static_cast<int32_t *>(malloc((words.size() + 1) * sizeof(int32_t)));
		if (!*rows)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		std::copy(words.begin(), words.end(), *rows);
		*n = words.size();
	} catch (const std::bad_alloc &) {
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

extern "C" void cls_ft_train_opts_init(cls_ft_train_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lr = -1;
	o->epoch = o->dim = o->word_ngrams = o->min_count = o->minn = o->maxn = -1;
	o->bucket = o->thread = o->seed = o->dsub = -1;
	o->cutoff = -1;
	o->qnorm = o->retrain = 0;
	o->verbose = 1;
}

static int loss_from_name(const char *name, fasttext::loss_name *out)
{
	static const struct {
		const char *name;
		fasttext::loss_name loss;
	} losses[] = {
		{ "softmax", fasttext::loss_name::softmax }, { "hs", fasttext::loss_name::hs },
		{ "ova", fasttext::loss_name::ova }, { "ns", fasttext::loss_name::ns },
	};
	for (const auto &l : losses) {
		if (strcmp(name, l.name) == 0) {
			*out = l.loss;
			return 0;
		}
	}
	return -1;
}

/* `fasttext supervised`'s defaults (Args::parseArgs), then the options set. */
static int supervised_args(const cls_ft_train_opts *o, fasttext::Args &a, cur_err *err)
{
	a.model = fasttext::model_name::sup;
	a.loss = fasttext::loss_name::softmax;
	a.minCount = 1;
	a.minn = 0;
	a.maxn = 0;
	a.lr = 0.1;
	a.input = o->input;
	a.output = o->output;
	a.verbose = o->verbose;
	if (o->lr > 0)
		a.lr = o->lr;
	if (o->epoch >= 0)
		a.epoch = o->epoch;
	if (o->dim >= 0)
		a.dim = o->dim;
	if (o->word_ngrams >= 0)
		a.wordNgrams = o->word_ngrams;
	if (o->min_count >= 0)
		a.minCount = o->min_count;
	if (o->minn >= 0)
		a.minn = o->minn;
	if (o->maxn >= 0)
		a.maxn = o->maxn;
	if (o->bucket >= 0)
		a.bucket = o->bucket;
	if (o->thread >= 0)
		a.thread = o->thread;
	if (o->seed >= 0)
		a.seed = o->seed;
	if (o->loss && loss_from_name(o->loss, &a.loss))
		return cur_err_set(err, CUR_EINVAL, "unknown loss '%s' (softmax, hs, ova, ns)", o->loss);
	if (a.wordNgrams <= 1 && a.maxn == 0)
		a.bucket = 0;
	if (a.dim <= 0 || a.epoch <= 0 || a.thread <= 0 || a.minn > a.maxn || a.bucket < 0 ||
	    (a.bucket == 0 && (a.maxn > 0 || a.wordNgrams > 1)))
		return cur_err_set(err, CUR_EINVAL, "bad training options (dim %d, epoch %d, thread %d, "
				   "minn %d, maxn %d, bucket %d)", a.dim, a.epoch, a.thread, a.minn,
				   a.maxn, a.bucket);
	return CUR_OK;
}

static void quantize(fasttext::FastText &ft, const cls_ft_train_opts *o, const fasttext::Args &a)
{
	fasttext::Args q = a;

	q.qout = false;
	q.qnorm = o->qnorm != 0;
	q.retrain = o->retrain != 0 && o->cutoff > 0;
	q.cutoff = o->cutoff > 0 ? (size_t)o->cutoff : 0;
	if (o->dsub > 0)
		q.dsub = (size_t)o->dsub;
	ft.quantize(q);
}

extern "C" int cls_ft_train(const cls_ft_train_opts *o, cur_err *err)
{
	try {
		fasttext::Args a;
		fasttext::FastText ft;
		int rc = supervised_args(o, a, err);

		if (rc < 0)
			return rc;
		ft.train(a);
		if (o->quantize)
			quantize(ft, o, a);
		ft.saveModel(std::string(o->output));
	} catch (const std::bad_alloc &) {
		return cur_err_set(err, CUR_ENOMEM, "out of memory while training");
	} catch (const std::exception &e) {
		return fail(err, CUR_EDATA, "fastText training", e.what());
	}
	return CUR_OK;
}
