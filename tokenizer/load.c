/* Loaders: the tiktoken text format and Hugging Face tokenizer.json.
 *
 * Both fill a list of (id, bytes) entries, then vocab_assemble checks that the
 * ranks run 0..N-1 without gaps or duplicates, lays the bytes out by id and
 * builds the indexes. Errors name the file and the line (tiktoken) or the
 * JSON key (tokenizer.json). */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/datadir.h"
#include "tokenizer/pretok.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tok_int.h"

#ifndef CUR_SRCDIR
#define CUR_SRCDIR "."
#endif

#define MAX_FILE ((size_t)1 << 30)
#define MAX_ID (1u << 24)

typedef struct ventry {
	uint32_t id, off, len;
	uint32_t line; /* 1-based line in the file, 0 when not from a line */
} ventry;

typedef struct vocab {
	cur_buf raw;
	ventry *e;
	size_t n, cap;
} vocab;

static void vocab_init(vocab *v)
{
	cur_buf_init(&v->raw, (size_t)1 << 31);
	v->e = NULL;
	v->n = v->cap = 0;
}

static void vocab_release(vocab *v)
{
	cur_buf_release(&v->raw);
	free(v->e);
}

static int vocab_add(vocab *v, uint32_t id, const void *p, size_t n, size_t line)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 1024;
		ventry *e = cur_realloc_array(v->e, cap, sizeof(*e));
		if (!e)
			return CUR_ENOMEM;
		v->e = e;
		v->cap = cap;
	}
	v->e[v->n].id = id;
	v->e[v->n].off = (uint32_t)v->raw.len;
	v->e[v->n].len = (uint32_t)n;
	v->e[v->n].line = (uint32_t)line;
	v->n++;
	return cur_buf_append(&v->raw, p, n);
}

static int read_whole(const char *path, char **data, size_t *len, cur_err *err)
{
	FILE *f = fopen(path, "rb");
	cur_buf b;
	char chunk[65536];
	size_t n;

	if (!f)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	cur_buf_init(&b, MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (cur_buf_append(&b, chunk, n) < 0) {
			fclose(f);
			cur_buf_release(&b);
			return cur_err_set(err, CUR_ELIMIT, "'%s' is too large", path);
		}
	}
	if (ferror(f)) {
		fclose(f);
		cur_buf_release(&b);
		return cur_err_set(err, CUR_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	fclose(f);
	if (cur_buf_reserve(&b, 1) < 0) {
		cur_buf_release(&b);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	b.data[b.len] = '\0';
	*data = cur_buf_detach(&b, len);
	return CUR_OK;
}

/* Where an id came from, for messages. */
static void describe(char *out, size_t cap, const vocab *v, const uint32_t *by_id, uint32_t id)
{
	const ventry *e = &v->e[by_id[id]];

	if (e->line)
		snprintf(out, cap, "id %u (line %u)", id, e->line);
	else
		snprintf(out, cap, "id %u", id);
}

/* Lay out ordinary entries (ranks 0..N-1) and specials (ids N..N+S-1). */
static int vocab_assemble(const char *path, vocab *ord, vocab *spec, tok_tokenizer *t,
			  cur_err *err)
{
	uint32_t n = (uint32_t)ord->n, total, *by_id = NULL, dup[2];
	size_t i, pos = 0;
	int ret = CUR_OK;
	char a[64], b[64];

	if (ord->n == 0)
		return cur_err_set(err, CUR_EDATA, "'%s': no tokens", path);
	if (ord->n + spec->n >= MAX_ID)
		return cur_err_set(err, CUR_ELIMIT, "'%s': too many tokens", path);
	total = n + (uint32_t)spec->n;
	by_id = malloc((size_t)total * sizeof(*by_id));
	t->off = malloc(((size_t)total + 1) * sizeof(*t->off));
	t->blob = malloc(ord->raw.len + spec->raw.len + 1);
	if (!by_id || !t->off || !t->blob) {
		ret = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	memset(by_id, 0xFF, (size_t)total * sizeof(*by_id));
	for (i = 0; i < ord->n; i++) {
		const ventry *e = &ord->e[i];
		if (e->id >= n) {
			/* Some rank below n is then missing: name it. */
			uint32_t miss = 0;
			for (size_t k = 0; k < ord->n; k++)
				if (ord->e[k].id < n)
					by_id[ord->e[k].id] = (uint32_t)k;
			while (miss < n && by_id[miss] != TOK_NONE)
				miss++;
			if (e->line)
				ret = cur_err_set(err, CUR_EDATA, "'%s': gap in ranks: rank %u is "
						  "missing (%u tokens, but line %u has rank %u)",
						  path, miss, n, e->line, e->id);
			else
				ret = cur_err_set(err, CUR_EDATA, "'%s': gap in ids: id %u is missing "
						  "(%u tokens, but one has id %u)", path, miss, n, e->id);
			goto out;
		}
		if (by_id[e->id] != TOK_NONE) {
			if (e->line)
				ret = cur_err_set(err, CUR_EDATA, "'%s': duplicate rank %u at line %u "
						  "(first at line %u)", path, e->id, e->line,
						  ord->e[by_id[e->id]].line);
			else
				ret = cur_err_set(err, CUR_EDATA, "'%s': duplicate id %u in model.vocab",
						  path, e->id);
			goto out;
		}
		by_id[e->id] = (uint32_t)i;
	}
	for (i = 0; i < spec->n; i++) {
		const ventry *e = &spec->e[i];
		if (e->id < n || e->id >= total || by_id[e->id] != TOK_NONE) {
			ret = cur_err_set(err, CUR_EDATA, "'%s': special token id %u%s%u must be "
					  "unique and run on from the %u ranks", path, e->id,
					  e->line ? " at line " : "", e->line, n);
			goto out;
		}
		by_id[e->id] = (uint32_t)i;
	}
	for (uint32_t id = 0; id < total; id++) {
		const vocab *v = id < n ? ord : spec;
		const ventry *e = &v->e[by_id[id]];
		t->off[id] = (uint32_t)pos;
		memcpy(t->blob + pos, v->raw.data + e->off, e->len);
		pos += e->len;
	}
	t->off[total] = (uint32_t)pos;
	t->nranks = n;
	t->nspecial = (uint32_t)spec->n;
	ret = tok_index_build(t, dup);
	if (ret == CUR_EDATA && dup[0] == TOK_NONE) {
		ret = cur_err_set(err, CUR_EDATA, "'%s': no token for the single byte 0x%02x",
				  path, dup[1]);
	} else if (ret == CUR_EDATA) {
		describe(a, sizeof(a), dup[0] < n ? ord : spec, by_id, dup[0]);
		describe(b, sizeof(b), dup[1] < n ? ord : spec, by_id, dup[1]);
		ret = cur_err_set(err, CUR_EDATA, "'%s': duplicate bytes: %s and %s", path, a, b);
	} else if (ret < 0) {
		ret = cur_err_set(err, ret, "out of memory");
	}
out:
	free(by_id);
	return ret;
}

/* Base64 digit values plus one (0: not a digit): a table, as the 2 MB file
 * has 1.5 million of them. */
static const uint8_t b64_plus1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static inline int b64_value(uint8_t c)
{
	return (int)b64_plus1[c] - 1;
}

/* Strict base64 with padding; returns the decoded length or -1. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t o = 0, pad = 0;

	if (n == 0 || n % 4)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			int last = i + 4 == n;
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			v[k] = b64_value(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		out[o++] = (uint8_t)w;
	}
	return (long)(o - pad);
}

/* A decimal id of at most 9 digits. */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_tiktoken(const char *path, const char *data, size_t len, vocab *ord,
			  cur_err *err)
{
	size_t pos = 0, line = 0;
	uint8_t tmp[TOK_MAX_TOKEN_BYTES];

	while (pos < len) {
		const char *ls = data + pos, *nl = memchr(ls, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - ls) : len - pos;
		const char *sp;
		uint32_t rank;
		long blen;

		pos += ll + (nl != NULL);
		line++;
		if (ll && ls[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		sp = memchr(ls, ' ', ll);
		if (!sp) {
			if (!nl)
				return cur_err_set(err, CUR_EDATA, "'%s': truncated file: line %zu "
						   "has no rank", path, line);
			return cur_err_set(err, CUR_EDATA, "'%s': line %zu: expected "
					   "'BASE64 RANK'", path, line);
		}
		if ((size_t)(sp - ls) > TOK_MAX_TOKEN_BYTES / 3 * 4 ||
		    (blen = b64_decode((const uint8_t *)ls, (size_t)(sp - ls), tmp)) <= 0)
			return cur_err_set(err, CUR_EDATA, "'%s': line %zu: bad base64 '%.*s'",
					   path, line, (int)(sp - ls < 40 ? sp - ls : 40), ls);
		if (parse_id(sp + 1, ll - (size_t)(sp - ls) - 1, &rank) < 0)
			return cur_err_set(err, CUR_EDATA, "'%s': line %zu: bad rank '%.*s'",
					   path, line, (int)(ll - (size_t)(sp - ls) - 1), sp + 1);
		if (vocab_add(ord, rank, tmp, (size_t)blen, line) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

void tok_llama3_special_name(unsigned k, char *out, size_t cap)
{
	static const char *const fixed[] = {
		"begin_of_text", "end_of_text", NULL, NULL, NULL, NULL,
		"start_header_id", "end_header_id", NULL, "eot_id"
	};
	unsigned reserved = k < 6 ? k - 2 : k == 8 ? 4 : k - 5;

	if (k < 10 && fixed[k])
		snprintf(out, cap, "<|%s|>", fixed[k]);
	else
		snprintf(out, cap, "<|reserved_special_token_%u|>", reserved);
}

static int parse_special_tsv(const char *path, const char *data, size_t len, vocab *spec,
			     cur_err *err)
{
	size_t pos = 0, line = 0;

	while (pos < len) {
		const char *ls = data + pos, *nl = memchr(ls, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - ls) : len - pos;
		const char *tab;
		uint32_t id;

		pos += ll + (nl != NULL);
		line++;
		if (ll && ls[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		tab = memchr(ls, '\t', ll);
		if (!tab || parse_id(ls, (size_t)(tab - ls), &id) < 0 || tab + 1 == ls + ll)
			return cur_err_set(err, CUR_EDATA, "'%s': line %zu: expected 'ID\\tTOKEN'",
					   path, line);
		if (vocab_add(spec, id, tab + 1, ll - (size_t)(tab - ls) - 1, line) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

char *tok_sibling_path(const char *path, const char *suffix)
{
	size_t pl = strlen(path), sl = strlen(".tiktoken");
	cur_buf b;
	size_t len;

	if (pl <= sl || strcmp(path + pl - sl, ".tiktoken") != 0)
		return NULL;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_buf_printf(&b, "%.*s-%s", (int)(pl - sl), path, suffix) < 0) {
		cur_buf_release(&b);
		return NULL;
	}
	return cur_buf_detach(&b, &len);
}

/* Specials for a tiktoken file: FOO-special-tokens.tsv beside FOO.tiktoken,
 * else the 256 Llama 3 names from id nranks on. */
static int load_specials(const char *path, uint32_t nranks, vocab *spec, cur_err *err)
{
	char *tsv = tok_sibling_path(path, TOK_SPECIALS_SUFFIX), *data = NULL;
	size_t len;
	int ret = CUR_OK;

	if (tsv && access(tsv, F_OK) == 0) {
		ret = read_whole(tsv, &data, &len, err);
		if (ret == CUR_OK)
			ret = parse_special_tsv(tsv, data, len, spec, err);
		goto out;
	}
	for (unsigned k = 0; k < 256; k++) {
		char name[64];
		tok_llama3_special_name(k, name, sizeof(name));
		if (vocab_add(spec, nranks + k, name, strlen(name), 0) < 0) {
			ret = cur_err_set(err, CUR_ENOMEM, "out of memory");
			break;
		}
	}
out:
	free(tsv);
	free(data);
	return ret;
}

/* The pre-tokenizer pattern of a tiktoken file: FOO-pattern.txt beside
 * FOO.tiktoken (one line; a final line break is not part of it), else the
 * Llama 3 pattern. Any other pattern runs on PCRE2. */
static int load_pattern(const char *path, tok_tokenizer *t, cur_err *err)
{
	char *file = tok_sibling_path(path, TOK_PATTERN_SUFFIX), *data = NULL;
	cur_err perr;
	size_t len;
	int ret = CUR_OK;

	if (!file || access(file, F_OK) != 0)
		goto out;
	ret = read_whole(file, &data, &len, err);
	if (ret < 0)
		goto out;
	len = tok_pattern_length(data, len);
	if (len == 0 || memchr(data, '\0', len)) {
		ret = cur_err_set(err, CUR_EDATA, "'%s': expected one line: the pattern", file);
		goto out;
	}
	if (tok_is_llama3_pattern(data, len))
		goto out;
	data[len] = '\0';
	t->pcre2 = tok_pcre2_compile(data, &perr);
	if (!t->pcre2) {
		ret = cur_err_set(err, perr.code == CUR_EINVAL ? CUR_EDATA : perr.code, "'%s': %s",
				  file, perr.msg);
		goto out;
	}
	t->pattern = data;
	t->pretok = TOK_PRETOK_PCRE2;
	data = NULL;
out:
	free(file);
	free(data);
	return ret;
}

size_t tok_pattern_length(const char *data, size_t len)
{
	if (len && data[len - 1] == '\n')
		len--;
	if (len && data[len - 1] == '\r')
		len--;
	return len;
}

static tok_tokenizer *tok_alloc(void)
{
	tok_tokenizer *t = calloc(1, sizeof(tok_tokenizer));

	if (t)
		t->whole_lookup = 1;
	if (t && pthread_mutex_init(&t->sum_lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

static int load_tiktoken_data(const char *path, const char *data, size_t len,
			      tok_tokenizer **out, cur_err *err)
{
	vocab ord, spec;
	tok_tokenizer *t = tok_alloc();
	int ret;

	if (!t)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	vocab_init(&ord);
	vocab_init(&spec);
	ret = parse_tiktoken(path, data, len, &ord, err);
	if (ret == CUR_OK)
		ret = load_specials(path, (uint32_t)ord.n, &spec, err);
	if (ret == CUR_OK)
		ret = vocab_assemble(path, &ord, &spec, t, err);
	if (ret == CUR_OK)
		ret = load_pattern(path, t, err);
	if (ret == CUR_OK)
		ret = tok_keep_file(t, data, len) == CUR_OK ? CUR_OK :
		      cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (ret == CUR_OK) {
		*out = t;
		t = NULL;
	}
	tok_free(t);
	vocab_release(&ord);
	vocab_release(&spec);
	return ret;
}

/* GPT-2's byte-level alphabet: byte -> code point, and back. */
static void byte_level_map(uint16_t inv[324])
{
	unsigned extra = 0;

	for (unsigned i = 0; i < 324; i++)
		inv[i] = 0xFFFF;
	for (unsigned b = 0; b < 256; b++) {
		unsigned cp = tok_byte_printable(b) ? b : 256 + extra++;
		inv[cp] = (uint16_t)b;
	}
}

/* Decode a byte-level string (each code point stands for one byte). */
static long byte_level_decode(const uint16_t inv[324], const char *s, uint8_t *out, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), i = 0, o = 0;

	while (i < n) {
		uint32_t cp;
		int len;
		if (p[i] < 0x80) {
			cp = p[i];
			len = 1;
		} else if ((p[i] & 0xE0) == 0xC0 && i + 1 < n) {
			cp = (uint32_t)(p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F);
			len = 2;
		} else {
			return -1;
		}
		if (cp >= 324 || inv[cp] == 0xFFFF || o == cap)
			return -1;
		out[o++] = (uint8_t)inv[cp];
		i += (size_t)len;
	}
	return (long)o;
}

static int parse_hf(const char *path, json_t *root, vocab *ord, vocab *spec, cur_err *err)
{
	json_t *model, *vocab_obj, *added, *type, *val;
	const char *key;
	uint16_t inv[324];
	uint8_t tmp[1024];
	size_t i;

	byte_level_map(inv);
	if (!json_is_object(root))
		return cur_err_set(err, CUR_EDATA, "'%s': expected a JSON object", path);
	model = json_object_get(root, "model");
	if (!json_is_object(model))
		return cur_err_set(err, CUR_EDATA, "'%s': \"model\" must be an object", path);
	type = json_object_get(model, "type");
	if (type && (!json_is_string(type) || strcmp(json_string_value(type), "BPE") != 0))
		return cur_err_set(err, CUR_EDATA, "'%s': model.type must be \"BPE\"", path);
	vocab_obj = json_object_get(model, "vocab");
	if (!json_is_object(vocab_obj))
		return cur_err_set(err, CUR_EDATA, "'%s': model.vocab must be an object", path);
	json_object_foreach(vocab_obj, key, val) {
		long n;
		if (!json_is_integer(val) || json_integer_value(val) < 0 ||
		    json_integer_value(val) >= MAX_ID)
			return cur_err_set(err, CUR_EDATA, "'%s': model.vocab['%s'] must be an "
					   "id (a non-negative integer)", path, key);
		n = byte_level_decode(inv, key, tmp, sizeof(tmp));
		if (n <= 0)
			return cur_err_set(err, CUR_EDATA, "'%s': model.vocab key '%s' is not a "
					   "byte-level string", path, key);
		if (vocab_add(ord, (uint32_t)json_integer_value(val), tmp, (size_t)n, 0) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	added = json_object_get(root, "added_tokens");
	if (added && !json_is_array(added) && !json_is_null(added))
		return cur_err_set(err, CUR_EDATA, "'%s': \"added_tokens\" must be an array", path);
	json_array_foreach(added, i, val) {
		json_t *id = json_object_get(val, "id"), *content = json_object_get(val, "content");
		if (!json_is_integer(id) || !json_is_string(content) || json_integer_value(id) < 0 ||
		    json_integer_value(id) >= MAX_ID)
			return cur_err_set(err, CUR_EDATA, "'%s': added_tokens[%zu] needs an integer "
					   "\"id\" and a string \"content\"", path, i);
		/* An added token that is also in the vocabulary stays ordinary. */
		if ((size_t)json_integer_value(id) < ord->n)
			continue;
		if (vocab_add(spec, (uint32_t)json_integer_value(id), json_string_value(content),
			      json_string_length(content), 0) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return CUR_OK;
}

/* The merges list must agree with BPE by rank: every merge joins two tokens
 * into a token, in the order of the result's rank. Then HF tokenizers (which
 * applies the merges in list order) and BPE by rank give the same ids.
 * model.ignore_merges (HF: look a whole word up first, true for Llama 3)
 * decides whether pieces are looked up whole. */
static int check_merges(const char *path, json_t *model, tok_tokenizer *t, cur_err *err)
{
	json_t *merges = json_object_get(model, "merges"), *m;
	json_t *ignore = json_object_get(model, "ignore_merges");
	uint16_t inv[324];
	uint8_t buf[2048];
	uint32_t prev = 0;
	size_t i;

	/* Without ignore_merges, HF never looks a whole word up. Anything but
	 * a boolean (or null) would be read one way here and another there. */
	if (ignore && !json_is_boolean(ignore) && !json_is_null(ignore))
		return cur_err_set(err, CUR_EDATA, "'%s': model.ignore_merges must be true or false",
				   path);
	t->whole_lookup = json_is_true(ignore);
	if (!merges || json_is_null(merges))
		return CUR_OK;
	if (!json_is_array(merges))
		return cur_err_set(err, CUR_EDATA, "'%s': model.merges must be an array", path);
	byte_level_map(inv);
	json_array_foreach(merges, i, m) {
		const char *a = NULL, *b = NULL, *sp;
		char left[1024];
		long na, nb;
		uint32_t r;

		if (json_is_string(m) && (sp = strchr(json_string_value(m), ' ')) != NULL &&
		    (size_t)(sp - json_string_value(m)) < sizeof(left)) {
			memcpy(left, json_string_value(m), (size_t)(sp - json_string_value(m)));
			left[sp - json_string_value(m)] = '\0';
			a = left;
			b = sp + 1;
		} else if (json_is_array(m) && json_array_size(m) == 2 &&
			   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
			a = json_string_value(json_array_get(m, 0));
			b = json_string_value(json_array_get(m, 1));
		}
		if (!a)
			return cur_err_set(err, CUR_EDATA, "'%s': model.merges[%zu] must be \"A B\" "
					   "or [A, B]", path, i);
		na = byte_level_decode(inv, a, buf, sizeof(buf) / 2);
		nb = byte_level_decode(inv, b, buf + (na > 0 ? na : 0), sizeof(buf) / 2);
		if (na <= 0 || nb <= 0 ||
		    tok_table_find(t, &t->ranks, buf, (size_t)na) == TOK_NONE ||
		    tok_table_find(t, &t->ranks, buf + na, (size_t)nb) == TOK_NONE ||
		    (r = tok_table_find(t, &t->ranks, buf, (size_t)(na + nb))) == TOK_NONE)
			return cur_err_set(err, CUR_EDATA, "'%s': model.merges[%zu] ('%s' + '%s') does "
					   "not join two tokens into a token", path, i, a, b);
		if (r < prev)
			return cur_err_set(err, CUR_EDATA, "'%s': model.merges[%zu] ('%s' + '%s') is "
					   "out of rank order: BPE by rank would not match it", path,
					   i, a, b);
		prev = r;
	}
	return CUR_OK;
}

static int load_hf_data(const char *path, const char *data, size_t len, tok_tokenizer **out,
			cur_err *err)
{
	vocab ord, spec;
	json_error_t jerr;
	json_t *root;
	tok_tokenizer *t;
	int ret;

	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cur_err_set(err, CUR_EDATA, "'%s': line %d column %d: %s", path, jerr.line,
				   jerr.column, jerr.text);
	t = tok_alloc();
	if (!t) {
		json_decref(root);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	vocab_init(&ord);
	vocab_init(&spec);
	ret = parse_hf(path, root, &ord, &spec, err);
	if (ret == CUR_OK)
		ret = vocab_assemble(path, &ord, &spec, t, err);
	if (ret == CUR_OK)
		ret = check_merges(path, json_object_get(root, "model"), t, err);
	json_decref(root);
	if (ret == CUR_OK)
		ret = tok_keep_file(t, data, len) == CUR_OK ? CUR_OK :
		      cur_err_set(err, CUR_ENOMEM, "out of memory");
	if (ret == CUR_OK) {
		*out = t;
		t = NULL;
	}
	tok_free(t);
	vocab_release(&ord);
	vocab_release(&spec);
	return ret;
}

typedef int (*data_loader)(const char *path, const char *data, size_t len, tok_tokenizer **out,
			   cur_err *err);

/* Reads PATH whole and hands its bytes to LOAD; the bytes are not kept. */
static int load_file_with(data_loader load, const char *path, tok_tokenizer **out, cur_err *err)
{
	char *data;
	size_t len;

	CUR_FORWARD(read_whole(path, &data, &len, err));
	int ret = load(path, data, len, out, err);
	free(data);
	return ret;
}

int tok_load_tiktoken(const char *path, tok_tokenizer **out, cur_err *err)
{
	return load_file_with(load_tiktoken_data, path, out, err);
}

int tok_load_hf_json(const char *path, tok_tokenizer **out, cur_err *err)
{
	return load_file_with(load_hf_data, path, out, err);
}

const char *tok_default_path(char *buf, size_t cap)
{
	/* Not found: the source tree's path, for the error message. */
	if (cur_data_path("tokenizers", "llama3.tiktoken", buf, cap, NULL) < 0)
		snprintf(buf, cap, "%s/data/tokenizers/llama3.tiktoken", CUR_SRCDIR);
	return buf;
}

int tok_load_buffer(const char *name, const void *buf, size_t len, tok_tokenizer **out,
		    cur_err *err)
{
	const char *data = buf;
	size_t i = 0;

	*out = NULL;
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
		i++;
	if (i < len && data[i] == '{')
		return load_hf_data(name, data, len, out, err);
	return load_tiktoken_data(name, data, len, out, err);
}

int tok_load(const char *path, tok_tokenizer **out, cur_err *err)
{
	char def[4096], *data;
	size_t len;
	int ret;

	*out = NULL;
	if (!path)
		path = tok_default_path(def, sizeof(def));
	CUR_FORWARD(read_whole(path, &data, &len, err));
	ret = tok_load_buffer(path, data, len, out, err);
	free(data);
	return ret;
}
