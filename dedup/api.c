/* Options -> dd_config. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "dedup/dd_int.h"
#include "dedup/dedup.h"

const cur_opt_spec dd_stage_options[] = {
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
	{ NULL, 0, NULL, NULL, NULL },
};

void dd_config_init(dd_config *c)
{
	memset(c, 0, sizeof *c);
	c->bands = 14;
	c->rows = 8;
	c->ngram = 5;
	c->threshold = 0.8;
	c->keep = DD_KEEP_FIRST;
	c->bucket_docs = 30000000;
	c->max_line_repeats = 6;
	c->min_chars = 1;
	c->mem_limit = (uint64_t)64 << 20;
	c->seed = 1;
}

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
