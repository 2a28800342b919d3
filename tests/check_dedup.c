/* Unit tests of dedup/: normalization, shingles, signatures (golden values
 * so that they stay the same across runs and machines), LSH bands,
 * union-find, URL and date parsing, and near-duplicate quality of the whole
 * two-pass run on real Debian copyright files (tests/data/dedup). */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/file.h"
#include "core/pipeline.h"
#include "dedup/dd_int.h"
#include "dedup/dedup.h"

static size_t shingle_count(const char *s, int n)
{
	dd_u64vec tok = { 0 }, out = { 0 };
	ck_assert_int_eq(dd_shingles(s, strlen(s), n, 1, &tok, &out), CUR_OK);
	size_t k = dd_u64_sort_unique(out.v, out.n);
	dd_u64vec_release(&tok);
	dd_u64vec_release(&out);
	return k;
}

static uint64_t first_shingle(const char *s, int n)
{
	dd_u64vec tok = { 0 }, out = { 0 };
	ck_assert_int_eq(dd_shingles(s, strlen(s), n, 1, &tok, &out), CUR_OK);
	ck_assert_uint_ge(out.n, 1);
	uint64_t h = out.v[0];
	dd_u64vec_release(&tok);
	dd_u64vec_release(&out);
	return h;
}

START_TEST(test_shingles)
{
	/* Python: re.findall(r"\w+", text.lower()), 5-grams */
	ck_assert_uint_eq(shingle_count("The quick brown fox jumps over", 5), 2);
	ck_assert_uint_eq(shingle_count("a b c d e f g h", 5), 4);
	ck_assert_uint_eq(shingle_count("a b a b a b a b", 5), 2);
	/* fewer than n words: one shingle; case and punctuation ignored */
	ck_assert_uint_eq(shingle_count("Hello, world!", 5), 1);
	ck_assert_uint_eq(first_shingle("Hello, world!", 5), first_shingle("hello   WORLD", 5));
	/* Unicode letters are word characters and fold case; '_' too */
	ck_assert_uint_eq(first_shingle("ÜBER façade snake_case", 5),
			  first_shingle("über FAÇADE, snake_case.", 5));
	ck_assert_uint_ne(first_shingle("snake_case", 5), first_shingle("snake case", 5));
	/* no word at all: the raw text is hashed, so different texts differ */
	ck_assert_uint_eq(shingle_count("", 5), 1);
	ck_assert_uint_ne(first_shingle("!!!", 5), first_shingle("???", 5));
	/* a text past the 1 MiB segment: windows span segment ends, no word is
	 * cut: "w0 w1 ... w(K-1)" has K - 4 distinct 5-word shingles */
	{
		cur_buf b;
		cur_buf_init(&b, CUR_BUF_UNLIMITED);
		for (int k = 0; k < 400000; k++)
			cur_buf_printf(&b, "w%d%s", k, k % 17 ? " " : ",\n");
		ck_assert_uint_gt(b.len, 2u << 20);
		ck_assert_uint_eq(shingle_count(b.data, 5), 400000 - 4);
		cur_buf_release(&b);
	}
	/* order matters inside a shingle */
	ck_assert_uint_ne(first_shingle("a b c d e", 5), first_shingle("b a c d e", 5));
}
END_TEST

static char *norm(const char *s, int lower)
{
	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(dd_norm_text(s, strlen(s), lower, &b), CUR_OK);
	cur_buf_putc(&b, 0);
	return cur_buf_detach(&b, NULL);
}

START_TEST(test_norm_text)
{
	char *a = norm("  Caf\xc3\xa9 \t\n au  lait  ", 0);   /* precomposed é */
	char *b = norm("Cafe\xcc\x81 au lait", 0);             /* e + combining acute */
	char *c = norm("CAFE\xcc\x81 AU LAIT", 1);
	ck_assert_str_eq(a, "Caf\xc3\xa9 au lait");
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(c, "caf\xc3\xa9 au lait");
	free(a);
	free(b);
	free(c);
	int e1, e2;
	ck_assert_uint_eq(dd_line_hash("  a   b ", 8, 0, 1, &e1), dd_line_hash("a b", 3, 0, 1, &e2));
	ck_assert_int_eq(e1, 0);
	dd_line_hash(" \t ", 3, 0, 1, &e1);
	ck_assert_int_eq(e1, 1);
}
END_TEST

static char *url(const char *u)
{
	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (dd_norm_url(u, &b) != CUR_OK) {
		cur_buf_release(&b);
		return NULL;
	}
	cur_buf_putc(&b, 0);
	return cur_buf_detach(&b, NULL);
}

START_TEST(test_url_date)
{
	const char *same[] = { "http://www.Example.com/a?x=1#top", "https://example.com/a?x=1",
			       "HTTPS://WWW.EXAMPLE.COM/a?x=1#", NULL };
	char *ref = url(same[0]);
	ck_assert_str_eq(ref, "example.com/a?x=1");
	for (int i = 1; same[i]; i++) {
		char *u = url(same[i]);
		ck_assert_str_eq(u, ref);
		free(u);
	}
	char *q = url("https://example.com/a?x=2");
	char *p = url("https://example.com/A?x=1");
	ck_assert_str_ne(q, ref); /* query kept */
	ck_assert_str_ne(p, ref); /* path case kept */
	free(q);
	free(p);
	free(ref);
	ck_assert_ptr_null(url(""));
	ck_assert_int_eq(dd_parse_date("2024-05-01T10:00:00Z"), 20240501100000LL);
	ck_assert_int_eq(dd_parse_date("2024-05-01"), 20240501000000LL);
	ck_assert_int_eq(dd_parse_date("n/a"), -1);
	ck_assert_int_eq(dd_parse_date(NULL), -1);
}
END_TEST

/* Golden values: the signature of a fixed text under seed 1 and the
 * default 14 x 8 layout. A change here changes every work directory's
 * meaning: bump DD_VERSION in work_int.h with it. */
START_TEST(test_signature_golden)
{
	static dd_mh m;
	uint32_t sig[112];
	uint64_t keys[14];
	dd_u64vec tok = { 0 }, sh = { 0 };
	const char *t = "The quick brown fox jumps over the lazy dog near the river bank.";
	ck_assert_int_eq(dd_mh_init(&m, 14, 8, 5, 1, NULL), CUR_OK);
	ck_assert_int_eq(dd_shingles(t, strlen(t), 5, 1, &tok, &sh), CUR_OK);
	ck_assert_uint_eq(sh.n, 9);
	dd_mh_sign(&m, sh.v, sh.n, sig);
	dd_mh_band_keys(&m, sig, keys);
	ck_assert_uint_eq(sig[0], 186510583u);
	ck_assert_uint_eq(sig[1], 17816298u);
	ck_assert_uint_eq(sig[111], 12097217u);
	ck_assert_uint_eq(keys[0], UINT64_C(11860077771882604791));
	dd_u64vec_release(&tok);
	dd_u64vec_release(&sh);
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The estimate tracks the true Jaccard of random sets. */
START_TEST(test_estimate)
{
	static dd_mh m;
	static uint32_t a[1024], b[1024];
	uint64_t s = 88172645463325252ULL, x[3000], y[3000];
	ck_assert_int_eq(dd_mh_init(&m, 128, 8, 5, 7, NULL), CUR_OK);
	double js[] = { 0.2, 0.5, 0.8, 0.95 };
	for (int t = 0; t < 4; t++) {
		/* |X| = |Y| = 2000 sharing k: J = k / (4000 - k) */
		int k = (int)(4000 * js[t] / (1 + js[t]));
		for (int i = 0; i < 2000; i++)
			x[i] = rnd(&s);
		for (int i = 0; i < 2000; i++)
			y[i] = i < k ? x[i] : rnd(&s);
		double truth = dd_jaccard_sorted(x, dd_u64_sort_unique(x, 2000), y,
						 dd_u64_sort_unique(y, 2000));
		dd_mh_sign(&m, x, 2000, a);
		dd_mh_sign(&m, y, 2000, b);
		double e = dd_mh_estimate(a, b, m.nperm);
		ck_assert_msg(e > truth - 0.06 && e < truth + 0.06, "J %.3f estimated %.3f", truth, e);
	}
}
END_TEST

START_TEST(test_bands)
{
	static dd_mh m;
	uint32_t sig[112], sig2[112];
	uint64_t k1[14], k2[14];
	ck_assert_int_eq(dd_mh_init(&m, 14, 8, 5, 3, NULL), CUR_OK);
	for (int i = 0; i < 112; i++)
		sig[i] = sig2[i] = (uint32_t)i * 2654435761u;
	sig2[20] ^= 1; /* row 20 is in band 2 */
	dd_mh_band_keys(&m, sig, k1);
	dd_mh_band_keys(&m, sig2, k2);
	for (int b = 0; b < 14; b++) {
		if (b == 2)
			ck_assert_uint_ne(k1[b], k2[b]);
		else
			ck_assert_uint_eq(k1[b], k2[b]);
	}
	/* the same rows in another band give another key (seeded per band) */
	for (int i = 0; i < 8; i++)
		sig[8 + i] = sig[i];
	dd_mh_band_keys(&m, sig, k1);
	ck_assert_uint_ne(k1[0], k1[1]);
	ck_assert_int_ne(dd_mh_init(&m, 200, 8, 5, 3, NULL), CUR_OK);
}
END_TEST

START_TEST(test_union_find)
{
	dd_uf u;
	ck_assert_int_eq(dd_uf_init(&u, 10), CUR_OK);
	dd_uf_union(&u, 7, 3);
	dd_uf_union(&u, 9, 7);
	dd_uf_union(&u, 5, 6);
	dd_uf_union(&u, 6, 9);
	ck_assert_uint_eq(dd_uf_find(&u, 9), 3);
	ck_assert_uint_eq(dd_uf_find(&u, 5), 3);
	ck_assert_uint_eq(dd_uf_find(&u, 0), 0);
	ck_assert_uint_eq(dd_uf_find(&u, 8), 8);
	dd_uf_release(&u);
}
END_TEST

/* The shared union-find (resolve's band threads): unions from two threads,
 * each under the lock, with lock-free finds racing them, give the same sets
 * as the same unions made one by one. */
typedef struct uf_job {
	dd_uf *u;
	pthread_mutex_t *mx;
	const uint32_t *pairs;
	size_t n;
} uf_job;

static void *uf_thread(void *arg)
{
	uf_job *j = arg;
	for (size_t i = 0; i < j->n; i++) {
		uint32_t a = j->pairs[2 * i], b = j->pairs[2 * i + 1];
		if (dd_uf_find_shared(j->u, a) == dd_uf_find_shared(j->u, b))
			continue;
		pthread_mutex_lock(j->mx);
		dd_uf_union_shared(j->u, a, b);
		pthread_mutex_unlock(j->mx);
	}
	return NULL;
}

START_TEST(test_union_find_shared)
{
	enum { N = 20000, P = 30000 };
	static uint32_t pairs[2 * P];
	dd_uf serial, shared;
	pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
	pthread_t tid;
	uint64_t x = 42;
	for (size_t i = 0; i < 2 * P; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		pairs[i] = (uint32_t)(x >> 33) % N;
	}
	ck_assert_int_eq(dd_uf_init(&serial, N), CUR_OK);
	ck_assert_int_eq(dd_uf_init(&shared, N), CUR_OK);
	for (size_t i = 0; i < P; i++)
		dd_uf_union(&serial, pairs[2 * i], pairs[2 * i + 1]);
	uf_job a = { &shared, &mx, pairs, P / 2 }, b = { &shared, &mx, pairs + P, P - P / 2 };
	ck_assert_int_eq(pthread_create(&tid, NULL, uf_thread, &b), 0);
	uf_thread(&a);
	pthread_join(tid, NULL);
	/* Roots are the smallest member either way, so they must be equal. */
	for (uint32_t i = 0; i < N; i++)
		ck_assert_uint_eq(dd_uf_find_shared(&shared, i), dd_uf_find(&serial, i));
	dd_uf_release(&serial);
	dd_uf_release(&shared);
}
END_TEST

/* ---- the whole run on real data ------------------------------------- */
typedef struct keep_sink {
	json_t *ids; /* object: kept id -> true */
} keep_sink;

static int ks_write(cur_sink *self, cur_doc *doc, cur_err *err)
{
	keep_sink *k = self->priv;
	(void)err;
	json_object_set_new(k->ids, cur_doc_id(doc), json_true());
	return CUR_OK;
}

static int ks_finish(cur_sink *self, json_t *r, cur_err *e)
{
	(void)self;
	(void)r;
	(void)e;
	return CUR_OK;
}

static void ks_destroy(cur_sink *self)
{
	(void)self;
}

static const cur_sink_ops ks_ops = { .write = ks_write, .finish = ks_finish, .destroy = ks_destroy };

/* Kept ids of a pipeline run of a dedup stage with config c over inputs:
 * the pipeline runs its two passes (the stage is global). */
static json_t *dedup_run(const dd_config *c, char **inputs, size_t n, int jobs)
{
	char dir[] = "/tmp/check_dedup.XXXXXX";
	cur_err err;
	keep_sink k = { json_object() };
	cur_sink sink = { .ops = &ks_ops, .priv = &k };
	cur_stage_env env = { .jobs = jobs, .inputs = inputs, .ninputs = n, .world = 1 };
	cur_pipeline_opts o;
	json_t *rep = json_object();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cur_err_clear(&err);
	cur_stage *st = dd_stage_open(c, dir, &env, &err);
	ck_assert_ptr_nonnull(st);
	cur_pipeline_opts_init(&o);
	o.cmd = "test";
	o.jobs = jobs;
	o.quiet = 1;
	int rc = cur_pipeline_run(&o, inputs, n, &st, 1, &sink, rep, &err);
	ck_assert_msg(rc == CUR_OK, "pipeline: %s", err.msg);
	ck_assert_int_eq(json_integer_value(json_object_get(rep, "passes")), 2);
	json_decref(rep);
	st->ops->destroy(st);
	cur_remove_tree(dir);
	return k.ids;
}

START_TEST(test_quality_copyright)
{
	char *in[] = { CUR_SRCDIR "/tests/data/dedup/copyright-small.jsonl" };
	dd_config c;
	json_error_t je;
	dd_config_init(&c);
	c.minhash = 1;
	json_t *kept = dedup_run(&c, in, 1, 2);
	FILE *f = fopen(CUR_SRCDIR "/tests/data/dedup/copyright-small.pairs.jsonl", "r");
	char line[4096];
	int n85 = 0, hit85 = 0;
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		json_t *p = json_loads(line, 0, &je);
		double j = json_real_value(json_object_get(p, "jaccard"));
		const char *a = json_string_value(json_object_get(p, "a"));
		const char *b = json_string_value(json_object_get(p, "b"));
		int both = json_object_get(kept, a) && json_object_get(kept, b);
		if (j >= 0.85) {
			n85++;
			hit85 += !both;
		}
		json_decref(p);
	}
	fclose(f);
	/* 142 documents; recall at J >= 0.85 must reach 0.95 */
	ck_assert_int_gt(n85, 100);
	ck_assert_msg(hit85 >= 0.95 * n85, "recall %d of %d", hit85, n85);
	ck_assert_int_lt(json_object_size(kept), 142);
	ck_assert_int_gt(json_object_size(kept), 40);
	json_decref(kept);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dedup");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shingles);
	tcase_add_test(tc, test_norm_text);
	tcase_add_test(tc, test_url_date);
	tcase_add_test(tc, test_signature_golden);
	tcase_add_test(tc, test_estimate);
	tcase_add_test(tc, test_bands);
	tcase_add_test(tc, test_union_find);
	tcase_add_test(tc, test_union_find_shared);
	tcase_add_test(tc, test_quality_copyright);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
