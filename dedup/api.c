/* Options -> dd_config, and the steps between the two passes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "dedup/dedup.h"

const cur_opt_spec dd_cmd_options[] = {
	{ "url", CUR_OPT_FLAG, NULL, "keep the newest document of each normalized metadata.url", NULL },
	{ "exact", CUR_OPT_FLAG, NULL, "drop documents whose normalized text was seen before", NULL },
	{ "minhash", CUR_OPT_FLAG, NULL, "drop near duplicates (MinHash LSH)", NULL },
	{ "lines", CUR_OPT_FLAG, NULL, "remove lines repeated too often within a bucket", NULL },
	{ "lowercase", CUR_OPT_FLAG, NULL, "exact and lines: fold case before hashing", NULL },
	{ "ngram", CUR_OPT_INT, "N", "words per shingle", "5" },
	{ "bands", CUR_OPT_INT, "B", "LSH bands", "14" },
	{ "rows", CUR_OPT_INT, "R", "minimum hashes per band", "8" },
	{ "threshold", CUR_OPT_NUM, "J", "Jaccard at or above which two documents are duplicates", "0.8" },
	{ "verify", CUR_OPT_STR, "MODE", "confirm candidates by 'estimate' (signature) or 'exact' shingle Jaccard", "estimate" },
	{ "keep", CUR_OPT_STR, "RULE", "survivor of a cluster: first, longest or newest", "first" },
	{ "bucket-docs", CUR_OPT_INT, "N", "lines: documents per counting bucket", "30000000" },
	{ "max-line-repeats", CUR_OPT_INT, "K", "lines: remove lines seen more than K times", "6" },
	{ "min-chars", CUR_OPT_INT, "N", "lines: drop documents left with fewer visible characters", "1" },
	{ "mem-limit", CUR_OPT_STR, "SIZE", "band keys held in memory while signing before spilling sorted runs", "64M" },
	{ "work", CUR_OPT_STR, "DIR", "work directory", "a temporary one, removed after" },
	{ "band", CUR_OPT_INT, "B", "minhash-bucket: the band to process", "all" },
	{ NULL, 0, NULL, NULL, NULL },
};

int dd_config_from_json(json_t *cfg, uint64_t seed, dd_config *c, cur_err *err)
{
	int64_t bands, rows, ngram, bucket, maxrep, minch;
	const char *verify, *keep, *mem;
	dd_config_init(c);
	c->seed = seed;
	CUR_FORWARD(cur_cfg_bool(cfg, "url", 0, &c->url, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "exact", 0, &c->exact, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "minhash", 0, &c->minhash, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "lines", 0, &c->lines, err));
	CUR_FORWARD(cur_cfg_bool(cfg, "lowercase", 0, &c->lowercase, err));
	CUR_FORWARD(cur_cfg_int(cfg, "bands", c->bands, &bands, err));
	CUR_FORWARD(cur_cfg_int(cfg, "rows", c->rows, &rows, err));
	CUR_FORWARD(cur_cfg_int(cfg, "ngram", c->ngram, &ngram, err));
	CUR_FORWARD(cur_cfg_num(cfg, "threshold", c->threshold, &c->threshold, err));
	CUR_FORWARD(cur_cfg_int(cfg, "bucket_docs", (int64_t)c->bucket_docs, &bucket, err));
	CUR_FORWARD(cur_cfg_int(cfg, "max_line_repeats", c->max_line_repeats, &maxrep, err));
	CUR_FORWARD(cur_cfg_int(cfg, "min_chars", c->min_chars, &minch, err));
	CUR_FORWARD(cur_cfg_str(cfg, "verify", "estimate", &verify, err));
	CUR_FORWARD(cur_cfg_str(cfg, "keep", "first", &keep, err));
	CUR_FORWARD(cur_cfg_str(cfg, "mem_limit", "64M", &mem, err));
	if (bands < 1 || rows < 1 || bands * rows > DD_MAX_PERM)
		return cur_err_set(err, CUR_EINVAL, "--bands x --rows must be between 1 and %d",
				   DD_MAX_PERM);
	if (ngram < 1 || ngram > 64)
		return cur_err_set(err, CUR_EINVAL, "--ngram must be between 1 and 64");
	if (!(c->threshold > 0 && c->threshold <= 1))
		return cur_err_set(err, CUR_EINVAL, "--threshold must be in (0, 1]");
	if (bucket < 1 || maxrep < 0 || minch < 0)
		return cur_err_set(err, CUR_EINVAL, "--bucket-docs, --max-line-repeats and --min-chars must not be negative");
	c->bands = (int)bands;
	c->rows = (int)rows;
	c->ngram = (int)ngram;
	c->bucket_docs = (uint64_t)bucket;
	c->max_line_repeats = maxrep > 1000000000 ? 1000000000 : (int)maxrep;
	c->min_chars = minch;
	if (strcmp(verify, "exact") == 0)
		c->verify_exact = 1;
	else if (strcmp(verify, "estimate") != 0)
		return cur_err_set(err, CUR_EINVAL, "--verify wants 'estimate' or 'exact', not '%s'", verify);
	if (strcmp(keep, "first") == 0)
		c->keep = DD_KEEP_FIRST;
	else if (strcmp(keep, "longest") == 0)
		c->keep = DD_KEEP_LONGEST;
	else if (strcmp(keep, "newest") == 0)
		c->keep = DD_KEEP_NEWEST;
	else
		return cur_err_set(err, CUR_EINVAL, "--keep wants first, longest or newest, not '%s'", keep);
	if (cur_parse_size(mem, &c->mem_limit) != CUR_OK)
		return cur_err_set(err, CUR_EINVAL, "--mem-limit wants a size such as 512M, not '%s'", mem);
	return CUR_OK;
}

static void put_figures(const dd_work *w, json_t *report)
{
	uint64_t counts[4], clusters, pairs;
	size_t peak;
	size_t n = dd_work_docs(w);
	dd_work_figures(w, counts, &clusters, &pairs, &peak);
	if (!report)
		return;
	json_object_set_new(report, "documents", json_integer((json_int_t)n));
	json_object_set_new(report, "clusters", json_integer((json_int_t)clusters));
	json_object_set_new(report, "candidate_pairs", json_integer((json_int_t)pairs));
	json_object_set_new(report, "pairs_already_joined",
			    json_integer((json_int_t)dd_work_skipped(w)));
	json_object_set_new(report, "resolve_peak_bytes", json_integer((json_int_t)peak));
	json_object_set_new(report, "resolve_bytes_per_doc",
			    json_real(n ? (double)peak / (double)n : 0.0));
	if (dd_work_config(w)->lines)
		json_object_set_new(report, "line_count_bytes",
				    json_integer((json_int_t)dd_work_line_bytes(w)));
}

int dd_resolve_all(const char *dir, json_t *report, cur_err *err)
{
	return dd_resolve_all_threads(dir, 1, 0, report, err);
}

int dd_resolve_all_threads(const char *dir, int threads, int scratch, json_t *report,
			   cur_err *err)
{
	dd_work *w;
	CUR_FORWARD(dd_work_open(&w, dir, err));
	dd_work_set_threads(w, threads);
	dd_work_set_scratch(w, scratch);
	int rc = dd_work_run_all(w, err);
	put_figures(w, report);
	dd_work_free(w);
	return rc;
}

int dd_phase_bucket(const char *dir, int band, json_t *report, cur_err *err)
{
	dd_work *w;
	int rc = CUR_OK;
	CUR_FORWARD(dd_work_open(&w, dir, err));
	for (int b = 0; b < dd_work_config(w)->bands && rc == CUR_OK; b++)
		if (band < 0 || band == b)
			rc = dd_work_bucket(w, b, NULL, err);
	if (rc == CUR_OK && band >= dd_work_config(w)->bands)
		rc = cur_err_set(err, CUR_EINVAL, "--band %d: '%s' has bands 0..%d", band, dir,
				 dd_work_config(w)->bands - 1);
	put_figures(w, report);
	dd_work_free(w);
	return rc;
}

int dd_phase_cluster(const char *dir, json_t *report, cur_err *err)
{
	dd_work *w;
	CUR_FORWARD(dd_work_open(&w, dir, err));
	int rc = dd_work_cluster(w, NULL, err);
	put_figures(w, report);
	dd_work_free(w);
	return rc;
}
