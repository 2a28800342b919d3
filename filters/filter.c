/* The filter engine (configuration, judging, explaining) and the stage. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "core/doc.h"
#include "core/script.h"
#include "filters/filter.h"
#include "filters/filter_int.h"

const cur_opt_spec flt_stage_options[] = {
	{"rules", CUR_OPT_STR, "LIST", "rule sets in order (llama3 is opt-in; curate help filter lists every rule)",
	 "length,gopher-quality,gopher-repetition,c4,fineweb,safety"},
	{"set", CUR_OPT_LIST, "SET.KEY=VALUE", "override a threshold, e.g. gopher-quality.min_words=30 "
	 "(VALUE off disables a rule)", "the rules' defaults"},
	{"annotate", CUR_OPT_FLAG, NULL, "keep every document; write the scores under metadata.curate.filter", NULL},
	{"blocklist", CUR_OPT_LIST, "FILE", "URL blocklist: hosts/domains or URL substrings, one a line", "none"},
	{"dirty-words", CUR_OPT_LIST, "FILE", "dirty-word list(s) replacing the shipped list", "LDNOOBW, data/filters/"},
	{"token-distribution", CUR_OPT_STR, "FILE", "token frequencies for the llama3 KL rule", "data/filters/llama3-token-distribution.tsv.gz"},
	{"scripts", CUR_OPT_STR, "LIST", "allowed scripts for the length rule set, e.g. latin,cyrillic", "any"},
	{NULL, 0, NULL, NULL, NULL}
};

#define DIRTY_FILE "ldnoobw-dirty-words.txt"
#define ALLOW_FILE "ldnoobw-allow.txt"
#define TOKDIST_FILE "llama3-token-distribution.tsv.gz"

static int find_set(const char *name, size_t n)
{
	for (size_t i = 0; i < flt_nrulesets; i++)
		if (strlen(flt_rulesets[i].name) == n && !strncmp(flt_rulesets[i].name, name, n))
			return (int)i;
	return -1;
}

static int bad_set(const char *name, size_t n, cur_err *err)
{
	char list[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < flt_nrulesets; i++) {
		int k = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
				 flt_rulesets[i].name);
		if (k > 0 && (size_t)k < sizeof(list) - used)
			used += (size_t)k;
	}
	return cur_err_set(err, CUR_EINVAL, "unknown rule set '%.*s' (valid: %s)", (int)n, name, list);
}

static int add_rules(flt_engine *e, const char *s, cur_err *err)
{
	while (*s) {
		size_t n = strcspn(s, ", ");
		if (n) {
			int k = find_set(s, n);
			if (k < 0)
				return bad_set(s, n, err);
			if (e->nsel == FLT_MAX_SETS)
				return cur_err_set(err, CUR_EINVAL, "too many rule sets");
			e->order[e->nsel++] = k;
		}
		s += n;
		s += strspn(s, ", ");
	}
	return CUR_OK;
}

static int parse_rules(flt_engine *e, json_t *cfg, cur_err *err)
{
	json_t *r = json_object_get(cfg, "rules");
	if (!r) {
		for (size_t i = 0; i < flt_nrulesets; i++)
			if (flt_rulesets[i].in_default)
				e->order[e->nsel++] = (int)i;
		return CUR_OK;
	}
	if (json_is_string(r))
		CUR_FORWARD(add_rules(e, json_string_value(r), err));
	else if (json_is_array(r)) {
		size_t i;
		json_t *v;
		json_array_foreach(r, i, v) {
			if (!json_is_string(v))
				return cur_err_set(err, CUR_EINVAL, "rules: expected strings");
			CUR_FORWARD(add_rules(e, json_string_value(v), err));
		}
	} else
		return cur_err_set(err, CUR_EINVAL, "rules: expected a list of rule sets");
	if (!e->nsel)
		return cur_err_set(err, CUR_EINVAL, "rules: no rule set given");
	return CUR_OK;
}

static int bad_rule(const flt_ruleset *rs, const char *key, cur_err *err)
{
	char list[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		if (rs->rules[i].cmp == FLT_INFO)
			continue;
		int k = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
				 rs->rules[i].key);
		if (k > 0 && (size_t)k < sizeof(list) - used)
			used += (size_t)k;
	}
	return cur_err_set(err, CUR_EINVAL, "unknown rule '%s.%s' (valid for %s: %s)", rs->name, key,
			   rs->name, list);
}

/* One override: "SET.KEY" = value (a number, a numeric string, or off). */
static int set_one(flt_engine *e, const char *name, json_t *val, cur_err *err)
{
	const char *dot = strchr(name, '.');
	if (!dot)
		return cur_err_set(err, CUR_EINVAL, "set: '%s' is not RULESET.KEY=VALUE", name);
	int s = find_set(name, (size_t)(dot - name));
	if (s < 0)
		return bad_set(name, (size_t)(dot - name), err);
	const flt_ruleset *rs = &flt_rulesets[s];
	const char *key = dot + 1;
	int hit = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		if (strcmp(rs->rules[i].key, key) || rs->rules[i].cmp == FLT_INFO)
			continue;
		hit = 1;
		if (json_is_number(val)) {
			e->thr[s][i] = json_number_value(val);
			e->on[s][i] = 1;
		} else if (json_is_boolean(val)) {
			e->thr[s][i] = json_is_true(val);
			e->on[s][i] = 1;
		} else if (json_is_string(val)) {
			const char *v = json_string_value(val);
			char *end;
			double d = strtod(v, &end);
			if (!strcasecmp(v, "off") || !strcasecmp(v, "none")) {
				e->on[s][i] = 0;
				if (rs->rules[i].cmp == FLT_PARAM || rs->rules[i].cmp == FLT_FLAG)
					e->thr[s][i] = 0;
			} else if (!strcasecmp(v, "on")) {
				e->on[s][i] = 1;
				if (rs->rules[i].cmp == FLT_PARAM || rs->rules[i].cmp == FLT_FLAG)
					e->thr[s][i] = 1;
			} else if (end != v && !*end) {
				e->thr[s][i] = d;
				e->on[s][i] = 1;
			} else
				return cur_err_set(err, CUR_EINVAL, "set: '%s': bad value '%s'", name, v);
		} else
			return cur_err_set(err, CUR_EINVAL, "set: '%s': bad value", name);
	}
	return hit ? CUR_OK : bad_rule(rs, key, err);
}

static int parse_set(flt_engine *e, json_t *cfg, cur_err *err)
{
	json_t *s = json_object_get(cfg, "set");
	if (!s)
		return CUR_OK;
	if (json_is_object(s)) {
		const char *k;
		json_t *v;
		json_object_foreach(s, k, v)
			CUR_FORWARD(set_one(e, k, v, err));
		return CUR_OK;
	}
	json_t *one = json_is_string(s) ? json_pack("[O]", s) : json_incref(s);
	int ret = CUR_OK;
	size_t i;
	json_t *v;
	if (!json_is_array(one)) {
		ret = cur_err_set(err, CUR_EINVAL, "set: expected RULESET.KEY=VALUE strings");
		goto out;
	}
	json_array_foreach(one, i, v) {
		const char *str = json_string_value(v);
		const char *eq = str ? strchr(str, '=') : NULL;
		if (!eq) {
			ret = cur_err_set(err, CUR_EINVAL, "set: '%s' is not RULESET.KEY=VALUE",
					  str ? str : "?");
			goto out;
		}
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - str), str);
		json_t *val = json_string(eq + 1);
		ret = set_one(e, name, val, err);
		json_decref(val);
		if (ret < 0)
			goto out;
	}
out:
	json_decref(one);
	return ret;
}

static int selected(const flt_engine *e, const char *name)
{
	for (size_t i = 0; i < e->nsel; i++)
		if (!strcmp(flt_rulesets[e->order[i]].name, name))
			return 1;
	return 0;
}

static int rule_index(const char *set, const char *key, int *s)
{
	*s = find_set(set, strlen(set));
	for (size_t i = 0; i < flt_rulesets[*s].nrules; i++)
		if (!strcmp(flt_rulesets[*s].rules[i].key, key))
			return (int)i;
	return -1;
}

/* Lists of strings from a LIST option (a string is a one-element list). */
static int each_file(json_t *cfg, const char *key, int (*fn)(flt_engine *, const char *, cur_err *),
		     flt_engine *e, cur_err *err)
{
	json_t *v = json_object_get(cfg, key);
	if (!v)
		return 0;
	if (json_is_string(v)) {
		CUR_FORWARD(fn(e, json_string_value(v), err));
		return 1;
	}
	if (!json_is_array(v))
		return cur_err_set(err, CUR_EINVAL, "%s: expected file names", key);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return cur_err_set(err, CUR_EINVAL, "%s: expected file names", key);
		CUR_FORWARD(fn(e, json_string_value(x), err));
	}
	return 1;
}

static int load_dirty(flt_engine *e, const char *path, cur_err *err)
{
	return flt_wordlist_load(&e->dirty, path, NULL, err);
}

/* The shipped list, less the entries that are ordinary words in another
 * language (data/filters/ldnoobw-allow.txt, see bench/filters_wordlist_allow.py). */
static int load_default_dirty(flt_engine *e, cur_err *err)
{
	char path[4096];
	flt_wordlist allow;
	flt_wordlist_init(&allow);
	int ret = flt_data_path(ALLOW_FILE, path, sizeof(path), err);
	if (ret == CUR_OK)
		ret = flt_wordlist_load(&allow, path, NULL, err);
	if (ret == CUR_OK)
		ret = flt_data_path(DIRTY_FILE, path, sizeof(path), err);
	if (ret == CUR_OK)
		ret = flt_wordlist_load(&e->dirty, path, &allow, err);
	flt_wordlist_release(&allow);
	return ret;
}

static int sub_insert(flt_engine *e, const char *s, size_t n)
{
	if (e->url_n * 2 + 2 > (e->url_subs ? e->url_mask + 1 : 0)) {
		size_t cap = e->url_subs ? 2 * (e->url_mask + 1) : 64;
		uint64_t *k = cur_calloc_array(cap, sizeof(*k));
		if (!k)
			return CUR_ENOMEM;
		for (size_t i = 0; e->url_subs && i <= e->url_mask; i++) {
			if (!e->url_subs[i])
				continue;
			size_t j = (size_t)((e->url_subs[i] * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
			while (k[j])
				j = (j + 1) & (cap - 1);
			k[j] = e->url_subs[i];
		}
		free(e->url_subs);
		e->url_subs = k;
		e->url_mask = cap - 1;
	}
	uint64_t key = XXH3_64bits(s, n) | 1;
	size_t j = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & e->url_mask;
	while (e->url_subs[j] && e->url_subs[j] != key)
		j = (j + 1) & e->url_mask;
	if (!e->url_subs[j]) {
		e->url_subs[j] = key;
		e->url_n++;
	}
	size_t i;
	for (i = 0; i < e->nsub_lens && e->sub_lens[i] != n; i++)
		;
	if (i == e->nsub_lens) {
		if (e->nsub_lens == sizeof(e->sub_lens) / sizeof(e->sub_lens[0]))
			return CUR_ELIMIT;
		e->sub_lens[e->nsub_lens++] = n;
	}
	return CUR_OK;
}

/* A host entry has only host characters and a dot; anything else is a URL
 * substring ("/wp-content/casino", "porn"). */
static int blocklist_entry(flt_engine *e, char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 32;
	while (n && (*s == '.' || *s == '*')) {
		s++;
		n--;
	}
	int host = memchr(s, '.', n) != NULL;
	for (size_t i = 0; i < n && host; i++)
		host = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		       s[i] == '-' || s[i] == '_' || (unsigned char)s[i] >= 0x80;
	if (host) {
		uint64_t k = flt_phrase_step(0, XXH3_64bits(s, n));
		/* insert the raw key: flt_wordlist_add would split the host into words */
		flt_wordlist *w = &e->hosts;
		if (!w->keys || 2 * (w->n + 1) > w->mask + 1) {
			size_t cap = w->keys ? 2 * (w->mask + 1) : 256;
			uint64_t *nk = cur_calloc_array(cap, sizeof(*nk));
			if (!nk)
				return CUR_ENOMEM;
			for (size_t i = 0; w->keys && i <= w->mask; i++) {
				if (!w->keys[i])
					continue;
				size_t j = (size_t)((w->keys[i] * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
				while (nk[j])
					j = (j + 1) & (cap - 1);
				nk[j] = w->keys[i];
			}
			free(w->keys);
			w->keys = nk;
			w->mask = cap - 1;
		}
		if (k == 0)
			k = 1;
		size_t j = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & w->mask;
		while (w->keys[j] && w->keys[j] != k)
			j = (j + 1) & w->mask;
		if (!w->keys[j]) {
			w->keys[j] = k;
			w->n++;
		}
		return CUR_OK;
	}
	return sub_insert(e, s, n);
}

static int load_blocklist(flt_engine *e, const char *path, cur_err *err)
{
	cur_buf b;
	cur_buf_init(&b, (size_t)1 << 31);
	int ret = flt_read_file(path, &b, err);
	char *p = b.data, *end = b.data + b.len;
	while (ret == CUR_OK && p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *q = nl ? nl : end;
		size_t a = flt_lstrip_off(p, (size_t)(q - p)), z = flt_rstrip_len(p, (size_t)(q - p));
		if (z > a && p[a] != '#') {
			ret = blocklist_entry(e, p + a, z - a);
			if (ret < 0)
				cur_err_set(err, ret, "'%s': too many different substring lengths "
					    "or out of memory", path);
		}
		p = q + 1;
	}
	cur_buf_release(&b);
	return ret;
}

static int parse_scripts(flt_engine *e, json_t *cfg, cur_err *err)
{
	const char *s;
	CUR_FORWARD(cur_cfg_str(cfg, "scripts", NULL, &s, err));
	if (!s)
		return CUR_OK;
	while (*s) {
		size_t n = strcspn(s, ", ");
		char name[32];
		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		int id = n ? cur_script_id(name) : -2;
		if (id == -1)
			return cur_err_set(err, CUR_EINVAL, "unknown script '%s' (valid: latin, greek, "
					   "cyrillic, armenian, hebrew, arabic, devanagari, ..., han, "
					   "hiragana, katakana, hangul, thai; see docs/filters.md)", name);
		if (id >= 0) {
			e->scripts[id] = 1;
			e->have_scripts = 1;
		}
		s += n;
		s += strspn(s, ", ");
	}
	return CUR_OK;
}

static int load_llama3(flt_engine *e, json_t *cfg, const cur_stage_env *env, cur_err *err)
{
	int s, kl = rule_index("llama3", "max_kl", &s);
	if (!selected(e, "llama3") || !e->on[s][kl])
		return CUR_OK;
	const char *path;
	char def[4096];
	CUR_FORWARD(cur_cfg_str(cfg, "token_distribution", NULL, &path, err));
	if (!path) {
		CUR_FORWARD(flt_data_path(TOKDIST_FILE, def, sizeof(def), err));
		path = def;
	}
	int rc = tok_load(env ? env->tokenizer_path : NULL, &e->tok, err);
	if (rc < 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		return cur_err_set(err, rc, "llama3: %s (or --set llama3.max_kl=off)", why);
	}
	return flt_tokdist_load(&e->dist, path, tok_vocab_size(e->tok), err);
}

int flt_engine_new(json_t *cfg, const cur_stage_env *env, flt_engine **out, cur_err *err)
{
	flt_engine *e = calloc(1, sizeof(*e));
	int ret;
	json_t *empty = NULL;
	if (!e)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (!cfg)
		cfg = empty = json_object();
	for (size_t s = 0; s < flt_nrulesets; s++)
		for (size_t i = 0; i < flt_rulesets[s].nrules; i++) {
			e->thr[s][i] = flt_rulesets[s].rules[i].def;
			e->on[s][i] = 1;
		}
	if ((ret = cur_cfg_check_keys(cfg, flt_stage_options, "filter", err)) < 0 ||
	    (ret = cur_cfg_bool(cfg, "annotate", 0, &e->annotate, err)) < 0 ||
	    (ret = parse_rules(e, cfg, err)) < 0 || (ret = parse_set(e, cfg, err)) < 0 ||
	    (ret = parse_scripts(e, cfg, err)) < 0)
		goto out;
	if (selected(e, "safety") || selected(e, "llama3")) {
		ret = each_file(cfg, "dirty_words", load_dirty, e, err);
		if (ret == 0)
			ret = load_default_dirty(e, err);
		if (ret < 0)
			goto out;
	}
	if ((ret = each_file(cfg, "blocklist", load_blocklist, e, err)) < 0 ||
	    (ret = load_llama3(e, cfg, env, err)) < 0)
		goto out;
	ret = CUR_OK;
out:
	json_decref(empty);
	if (ret < 0) {
		flt_engine_free(e);
		e = NULL;
	}
	*out = e;
	return ret;
}

void flt_engine_free(flt_engine *e)
{
	if (!e)
		return;
	flt_wordlist_release(&e->dirty);
	flt_wordlist_release(&e->hosts);
	free(e->url_subs);
	tok_free(e->tok);
	flt_tokdist_release(&e->dist);
	free(e);
}

flt_worker *flt_worker_new(const flt_engine *e)
{
	flt_ctx *c = malloc(sizeof(*c));
	if (c)
		flt_ctx_init(c, e);
	return c;
}

void flt_worker_free(flt_worker *w)
{
	if (!w)
		return;
	flt_ctx_release(w);
	free(w);
}

static int rule_fails(const flt_rule *r, int on, double thr, double v)
{
	if (!on || isnan(v))
		return 0;
	switch (r->cmp) {
	case FLT_MIN: return v < thr;
	case FLT_MAX: return v > thr;
	case FLT_FLAG: return thr != 0 && v == 1;
	default: return 0;
	}
}

typedef void (*visit_fn)(void *arg, const flt_ruleset *rs, const flt_rule *r, double v,
			 double thr, int on, int fail);

/* Run the selected rule sets; with visit, every rule runs and is visited. */
static int judge(flt_ctx *c, const char *text, size_t len, const char *url, visit_fn visit,
		 void *arg, flt_verdict *out)
{
	const flt_engine *e = c->e;
	memset(out, 0, sizeof(*out));
	c->err = 0;
	c->url = url;
	c->exact = visit != NULL;
	if (len > FLT_MAX_TEXT) {
		/* bounds the scratch memory per thread (about 80 bytes per word) */
		out->drop = CUR_DROP;
		out->reason = "filter:text_too_large";
		out->value = (double)len;
		out->text = text;
		out->len = len;
		return CUR_OK;
	}
	flt_ctx_set_text(c, text, len);
	for (size_t k = 0; k < e->nsel; k++) {
		int s = e->order[k];
		const flt_ruleset *rs = &flt_rulesets[s];
		c->set = s;
		c->thr = e->thr[s];
		if (rs->rewrite && rs->rewrite(c) < 0)
			return c->err;
		for (size_t i = 0; i < rs->nrules; i++) {
			const flt_rule *r = &rs->rules[i];
			if (r->cmp == FLT_PARAM || (!e->on[s][i] && !visit))
				continue;
			c->cur_thr = e->thr[s][i];
			c->cur_on = e->on[s][i] && r->cmp == FLT_MAX;
			double v = r->stat(c, r->arg);
			if (c->err)
				return c->err;
			int fail = rule_fails(r, e->on[s][i], e->thr[s][i], v);
			if (visit)
				visit(arg, rs, r, v, e->thr[s][i], e->on[s][i], fail);
			if (fail && !out->drop) {
				out->drop = CUR_DROP;
				out->reason = r->reason;
				out->value = v;
				if (!visit)
					return CUR_OK;
			}
		}
	}
	out->text = c->text;
	out->len = c->len;
	out->changed = c->text != text && (c->len != len || memcmp(c->text, text, len) != 0);
	return CUR_OK;
}

static void score_visit(void *arg, const flt_ruleset *rs, const flt_rule *r, double v,
			double thr, int on, int fail)
{
	(void)rs;
	(void)thr;
	(void)on;
	json_t *scores = arg;
	json_object_set_new(scores, r->reason, isnan(v) ? json_null() : json_real(v));
	if (fail) {
		json_t *f = json_object_get(scores, "failed");
		if (!f) {
			f = json_array();
			json_object_set_new(scores, "failed", f);
		}
		json_array_append_new(f, json_string(r->reason));
	}
}

int flt_judge(flt_worker *w, const char *text, size_t len, const char *url, json_t *scores,
	      flt_verdict *v)
{
	int rc = judge(w, text, len, url, scores ? score_visit : NULL, scores, v);
	if (rc == CUR_OK && scores && v->drop && !json_object_get(scores, "failed"))
		json_object_set_new(scores, "failed", json_pack("[s]", v->reason));
	return rc;
}

static void explain_visit(void *arg, const flt_ruleset *rs, const flt_rule *r, double v,
			  double thr, int on, int fail)
{
	cur_buf *b = arg;
	const char *op = r->cmp == FLT_MIN ? ">=" : r->cmp == FLT_MAX ? "<=" : r->cmp == FLT_FLAG ? "!=" : "";
	char val[32], lim[32];
	if (isnan(v))
		snprintf(val, sizeof(val), "n/a");
	else
		snprintf(val, sizeof(val), "%.4g", v);
	if (r->cmp == FLT_INFO)
		snprintf(lim, sizeof(lim), "-");
	else if (!on || (r->cmp == FLT_FLAG && thr == 0))
		snprintf(lim, sizeof(lim), "off");
	else if (r->cmp == FLT_FLAG)
		snprintf(lim, sizeof(lim), "!= 1");
	else
		snprintf(lim, sizeof(lim), "%s %.4g", op, thr);
	const char *res = r->cmp == FLT_INFO ? "info" : !on ? "off" : fail ? "FAIL" :
			  isnan(v) ? "n/a" : "pass";
	cur_buf_printf(b, "  %-18s %-24s %12s  %-12s %s\n", rs->name, r->key, val, lim, res);
}

int flt_explain(flt_worker *w, const char *text, size_t len, const char *url, cur_buf *out)
{
	flt_verdict v;
	cur_buf body;
	cur_buf_init(&body, CUR_BUF_UNLIMITED);
	int rc = judge(w, text, len, url, explain_visit, &body, &v);
	if (rc == CUR_OK) {
		if (v.drop)
			cur_buf_printf(out, "verdict: drop (%s = %.4g)\n", v.reason, v.value);
		else
			cur_buf_printf(out, "verdict: keep%s\n", v.changed ? " (lines removed)" : "");
		cur_buf_printf(out, "  %-18s %-24s %12s  %-12s %s\n", "RULE SET", "RULE", "VALUE",
			       "THRESHOLD", "RESULT");
		if (body.len)
			cur_buf_append(out, body.data, body.len);
	}
	cur_buf_release(&body);
	return rc;
}

/* ---- the stage ------------------------------------------------------------ */

static void *stage_thread_new(cur_stage *self)
{
	return flt_worker_new(self->priv);
}

static void stage_thread_free(cur_stage *self, void *tls)
{
	(void)self;
	flt_worker_free(tls);
}

static json_t *curate_meta(cur_doc *doc)
{
	json_t *m = cur_doc_metadata(doc);
	json_t *c = m ? json_object_get(m, "curate") : NULL;
	if (m && !json_is_object(c)) {
		c = json_object();
		json_object_set_new(m, "curate", c);
	}
	return c;
}

static int stage_process(cur_stage *self, void *tls, cur_doc *doc, cur_err *err)
{
	const flt_engine *e = self->priv;
	flt_ctx *c = tls;
	flt_verdict v;
	const char *url = cur_doc_meta_str(doc, "url");
	json_t *scores = e->annotate ? json_object() : NULL;
	int rc = flt_judge(c, doc->text, doc->text_len, url, scores, &v);
	(void)err;
	if (rc < 0) {
		json_decref(scores);
		return rc;
	}
	if (scores) {
		json_t *cm = curate_meta(doc);
		if (cm)
			json_object_set_new(cm, "filter", scores);
		else
			json_decref(scores);
		return CUR_KEEP;
	}
	if (v.drop)
		return cur_doc_drop(doc, v.reason, v.value);
	if (v.changed)
		CUR_FORWARD(cur_doc_set_text(doc, v.text, v.len));
	return CUR_KEEP;
}

int flt_rules_describe(cur_buf *out)
{
	for (size_t k = 0; k < flt_nrulesets; k++) {
		const flt_ruleset *rs = &flt_rulesets[k];
		CUR_FORWARD(cur_buf_printf(out, "\n%s%s:\n", rs->name,
					   rs->in_default ? "" : " (not in the default --rules)"));
		for (size_t i = 0; i < rs->nrules; i++) {
			const flt_rule *r = &rs->rules[i];
			char def[32];
			if (r->cmp == FLT_INFO)
				continue;
			if (r->cmp == FLT_FLAG)
				snprintf(def, sizeof(def), "%s", r->def != 0 ? "on" : "off");
			else if (isinf(r->def))
				snprintf(def, sizeof(def), "none");
			else
				snprintf(def, sizeof(def), "%g", r->def);
			char key[96];
			snprintf(key, sizeof(key), "%s.%s", rs->name, r->key);
			int drops = r->reason && r->cmp != FLT_PARAM;
			CUR_FORWARD(cur_buf_printf(out, "  %-42s %-8s %s%s%s\n", key, def, r->help,
						   drops ? "; drops as " : "", drops ? r->reason : ""));
		}
	}
	return CUR_OK;
}

/* One rule's limit in words: "below 50", "above 0.1". */
static void limit_words(const flt_rule *r, double thr, cur_buf *b)
{
	if (r->cmp == FLT_MIN)
		cur_buf_printf(b, "%sbelow %g", b->len ? " or " : "", thr);
	else if (r->cmp == FLT_MAX)
		cur_buf_printf(b, "%sabove %g", b->len ? " or " : "", thr);
}

/* What a reason means, for the report page (docs/report.md): the rule's
 * statistic and the limits this run applied, and where the docs say more. */
static json_t *reason_about(const flt_engine *e, const char *reason)
{
	char docs[64];
	cur_buf lim;
	json_t *out = NULL;

	if (strcmp(reason, "filter:text_too_large") == 0)
		return json_pack("{s:s, s:s}", "about", "a text over 8 MiB, dropped unread",
				 "docs", "filters.md#filters-curate-filter");
	cur_buf_init(&lim, 256);
	for (size_t k = 0; k < e->nsel && !out; k++) {
		const flt_ruleset *rs = &flt_rulesets[e->order[k]];
		const flt_rule *first = NULL;
		for (size_t i = 0; i < rs->nrules; i++) {
			const flt_rule *r = &rs->rules[i];
			if (r->cmp == FLT_INFO || r->cmp == FLT_PARAM || !r->reason ||
			    strcmp(r->reason, reason) != 0)
				continue;
			first = first ? first : r;
			if (e->on[e->order[k]][i] && !isinf(e->thr[e->order[k]][i]))
				limit_words(r, e->thr[e->order[k]][i], &lim);
		}
		if (!first)
			continue;
		snprintf(docs, sizeof(docs), "filters.md#%s", rs->name);
		out = json_pack("{s:s++, s:s}", "about", first->help, lim.len ? ": dropped when " : "",
				lim.len ? lim.data : "", "docs", docs);
	}
	cur_buf_release(&lim);
	return out;
}

static int stage_finish(cur_stage *self, json_t *report, cur_err *err)
{
	const flt_engine *e = self->priv;
	json_t *sets = json_array(), *reasons = json_object(), *v;
	const char *reason;
	(void)err;
	for (size_t i = 0; i < e->nsel; i++)
		json_array_append_new(sets, json_string(flt_rulesets[e->order[i]].name));
	json_object_foreach(json_object_get(report, "dropped"), reason, v) {
		json_t *about = reason_about(e, reason);
		if (about)
			json_object_set_new(reasons, reason, about);
	}
	json_object_set_new(report, "rule_sets", sets);
	json_object_set_new(report, "annotate", json_boolean(e->annotate));
	json_object_set_new(report, "reasons", reasons);
	return CUR_OK;
}

static void stage_destroy(cur_stage *self)
{
	if (!self)
		return;
	flt_engine_free(self->priv);
	free(self);
}

static const cur_stage_ops flt_stage_ops = {
	.thread_new = stage_thread_new,
	.thread_free = stage_thread_free,
	.process = stage_process,
	.finish = stage_finish,
	.destroy = stage_destroy,
};

cur_stage *flt_stage_new(json_t *config, const cur_stage_env *env, cur_err *err)
{
	cur_stage *st = calloc(1, sizeof(*st));
	if (!st) {
		cur_err_set(err, CUR_ENOMEM, "out of memory");
		return NULL;
	}
	flt_engine *e;
	if (flt_engine_new(config, env, &e, err) < 0) {
		free(st);
		return NULL;
	}
	st->ops = &flt_stage_ops;
	st->name = "filter";
	st->serial = 0;
	st->priv = e;
	return st;
}
