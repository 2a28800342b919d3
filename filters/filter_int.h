/* Shared inside filters/ only: the one-pass text scan, the per-thread scratch
 * and the rule tables. See docs/internals/filters.md. */
#ifndef FLT_FILTER_INT_H
#define FLT_FILTER_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

/* Word flags. */
enum {
	FLT_W_SYMBOL = 1, /* only punctuation or symbols */
	FLT_W_ALPHA = 2,  /* has a letter (Python's str.isalpha on some char) */
	FLT_W_CJK = 4,    /* one character of a script written without spaces */
	FLT_W_STOP = 8,   /* one of Gopher's eight English stop words */
	FLT_W_FOLD = 16   /* has an upper-case or non-ASCII letter: lower-casing changes it */
};

/* A word token: a run of letters, marks, digits and '_' (with ' or - inside),
 * one character of a no-space script (Han, kana, Thai...), or a run of one
 * repeated punctuation or symbol character. */
typedef struct flt_word {
	uint32_t off, len;   /* bytes in the scanned text */
	uint32_t chars;      /* code points */
	uint32_t line;       /* index of its '\n' segment */
	uint32_t flags;
	uint64_t hash;       /* XXH3 of the bytes, after flt_scan_hash_words */
} flt_word;

/* Line flags. */
enum {
	FLT_L_BLANK = 1,        /* only whitespace (str.strip() == "") */
	FLT_L_BULLET = 2,       /* lstrip() starts with a bullet or '-' */
	FLT_L_ELLIPSIS = 4,     /* rstrip() ends with "..." or U+2026 */
	FLT_L_TERM_RAW = 8      /* the line itself ends in terminal punctuation */
};

/* A '\n'-separated segment of the text (a trailing '\r' is not part of it). */
typedef struct flt_line {
	uint32_t off, len, chars;
	uint32_t first_word, nwords;
	uint32_t ws_tokens;      /* str.split() tokens */
	uint32_t max_ws_chars;   /* longest of them, in code points */
	uint32_t flags;
	uint64_t hash;           /* XXH3 of the bytes, after flt_scan_hash_lines */
} flt_line;

typedef struct flt_scan {
	const char *text;
	size_t len;
	size_t chars;            /* code points of the whole text */
	size_t newlines;
	size_t hashes;           /* '#' characters */
	size_t ellipses;         /* non-overlapping "..." plus U+2026 */
	size_t symbol_words, alpha_words, cjk_words, stop_words;
	size_t word_chars;       /* code points of the non-symbol words */
	flt_word *words;
	size_t nwords, capw;
	flt_line *lines;
	size_t nlines, capl;
	int words_hashed, lines_hashed;
} flt_scan;

void flt_scan_init(flt_scan *s);
void flt_scan_release(flt_scan *s);
/* flt_scan_text: tokenize text (valid UTF-8) into s. CUR_ENOMEM on failure. */
int flt_scan_text(flt_scan *s, const char *text, size_t len);
/* Word and line hashes are computed on first use: many documents fail a
 * rule that needs none before any rule that does. */
void flt_scan_hash_words(flt_scan *s);
/* flt_scan_keep_lines: turn the scan of a text into the scan of text
 * (len), which is "\n".join of nkept of its lines, keep[2k] the index of
 * the k-th and keep[2k+1] the bytes stripped from its start, each stripped
 * of surrounding whitespace and non-empty. No scan again: tokens never span
 * a newline nor hold whitespace, so a line's words stay the same. */
void flt_scan_keep_lines(flt_scan *s, const char *text, size_t len, const uint32_t *keep,
			 size_t nkept);
void flt_scan_hash_lines(flt_scan *s);
/* flt_fold_hash: hash of the lower-cased word (for word lists); tmp is scratch. */
uint64_t flt_fold_hash(const char *p, size_t n, cur_buf *tmp);
/* flt_is_terminal: whether cp is sentence-terminal punctuation. */
int flt_is_terminal(uint32_t cp);
/* flt_last_cp: the last code point of s[0..n) (0 when n == 0). */
uint32_t flt_last_cp(const char *s, size_t n);
size_t flt_rstrip_len(const char *s, size_t n);
size_t flt_lstrip_off(const char *s, size_t n);

/* A hash table of 64-bit keys with a count and first position, reused for
 * every document: clearing zeroes only the part sized for the document. */
typedef struct flt_hslot {
	uint64_t key;    /* 0: empty (a zero key is stored as 1) */
	uint32_t count, first;
} flt_hslot;

typedef struct flt_hset {
	flt_hslot *slots;
	size_t mask;     /* of the part in use for this document */
	size_t cap;      /* slots allocated */
} flt_hset;

void flt_hset_init(flt_hset *h);
void flt_hset_release(flt_hset *h);
/* flt_hset_clear: empty the set, with room for n keys. */
int flt_hset_clear(flt_hset *h, size_t n);
static inline size_t flt_hset_slot(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
}

/* flt_hset_add: count key; returns its slot (count already incremented).
 * Inline: the n-gram loops call it once per word. */
static inline flt_hslot *flt_hset_add(flt_hset *h, uint64_t key, uint32_t pos)
{
	key |= !key;
	size_t i = flt_hset_slot(key, h->mask);
	for (;;) {
		flt_hslot *s = &h->slots[i];
		if (!s->key) {
			s->key = key;
			s->count = 1;
			s->first = pos;
			return s;
		}
		if (s->key == key) {
			s->count++;
			return s;
		}
		i = (i + 1) & h->mask;
	}
}
/* flt_hset_find: the slot of key, or NULL. */
flt_hslot *flt_hset_find(const flt_hset *h, uint64_t key);

/* Word lists and blocklists: hashed sets of lower-cased phrases. */
typedef struct flt_wordlist {
	uint64_t *keys;    /* open addressing, 0 = empty */
	size_t mask, n;
	uint64_t *firsts;  /* hashes of the first words of phrases */
	size_t fmask, nf;
	uint64_t bits[1024]; /* 65536-bit filter of first-word hashes */
	unsigned max_words;
} flt_wordlist;

void flt_wordlist_init(flt_wordlist *w);
void flt_wordlist_release(flt_wordlist *w);
/* flt_wordlist_add: add one phrase (split into words as documents are). */
int flt_wordlist_add(flt_wordlist *w, const char *s, size_t n);
/* ...unless the phrase is in except (may be NULL). */
int flt_wordlist_add_except(flt_wordlist *w, const char *s, size_t n, const flt_wordlist *except);
/* flt_wordlist_load: one entry per line; '#' comments; gzip and zstd allowed. */
int flt_wordlist_load(flt_wordlist *w, const char *path, const flt_wordlist *except,
		      cur_err *err);
int flt_wordlist_has(const flt_wordlist *w, uint64_t key);
int flt_wordlist_has_first(const flt_wordlist *w, uint64_t key);
/* flt_phrase_step: fold the next word hash into a phrase hash (start at 0). */
uint64_t flt_phrase_step(uint64_t h, uint64_t word);

/* flt_read_file: whole file (decompressed by libarchive when compressed). */
int flt_read_file(const char *path, cur_buf *out, cur_err *err);
/* flt_data_path: find a shipped file under CUR_DATADIR/filters, then the
 * source tree's data/filters; OUT: path (size n). CUR_EIO when missing. */
int flt_data_path(const char *name, char *path, size_t n, cur_err *err);

/* The token distribution for the llama3 KL rule. */
typedef struct flt_tokdist {
	double *logq;      /* log q(id) for every id, smoothed */
	size_t vocab;
	double total;
	double log_unseen;  /* log q of an id beyond the vocabulary */
} flt_tokdist;

int flt_tokdist_load(flt_tokdist *d, const char *path, size_t vocab, cur_err *err);
void flt_tokdist_release(flt_tokdist *d);


/* Rules. A rule reads one statistic and compares it with its threshold:
 * MIN passes when value >= threshold, MAX when value <= threshold, FLAG
 * fails when the value is 1 and the rule is on, INFO only reports, PARAM is a
 * setting of the rule set, not a rule. A NAN value (undefined: no words, no
 * lines) passes. A threshold can be switched off ("off"). */
enum { FLT_MIN, FLT_MAX, FLT_FLAG, FLT_INFO, FLT_PARAM };

typedef struct flt_ctx flt_ctx;
typedef double (*flt_stat_fn)(flt_ctx *c, int arg);

typedef struct flt_rule {
	const char *key;     /* the --set name: RULESET.key */
	const char *reason;  /* "ruleset:statistic", static */
	flt_stat_fn stat;    /* NULL for PARAM */
	int arg;
	int cmp;
	double def;
	const char *help;
} flt_rule;

enum { FLT_NEEDS_TOKENIZER = 1 };

typedef struct flt_ruleset {
	const char *name;          /* "gopher-quality" */
	const flt_rule *rules;
	size_t nrules;
	int (*rewrite)(flt_ctx *c);  /* optional: drops lines before the rules */
	int in_default;
} flt_ruleset;

extern const flt_ruleset flt_rulesets[];
extern const size_t flt_nrulesets;

/* Longer texts are dropped unread ("filter:text_too_large"). */
#define FLT_MAX_TEXT ((size_t)8 << 20)

#define FLT_MAX_SETS 8
#define FLT_MAX_RULES 32

/* The configured filter: read-only once built, shared by all threads. */
typedef struct flt_engine {
	int order[FLT_MAX_SETS];     /* selected rule sets, in order */
	size_t nsel;
	double thr[FLT_MAX_SETS][FLT_MAX_RULES];
	unsigned char on[FLT_MAX_SETS][FLT_MAX_RULES];
	int annotate;
	flt_wordlist dirty;          /* dirty words (safety, llama3) */
	flt_wordlist hosts;          /* blocked hosts and domains */
	uint64_t *url_subs;          /* blocked URL substrings: hash set */
	size_t url_mask, url_n;
	size_t sub_lens[16];         /* distinct substring lengths */
	size_t nsub_lens;
	unsigned char scripts[64];   /* allowed scripts (length rule set) */
	int have_scripts;
	tok_tokenizer *tok;          /* llama3 KL; owned */
	flt_tokdist dist;
} flt_engine;

/* Per-thread scratch: everything a document needs, allocated once. */
struct flt_ctx {
	const flt_engine *e;
	int set;                     /* index into flt_rulesets */
	const double *thr;           /* thresholds of the current rule set */
	const char *text;
	size_t len;
	const char *url;
	flt_scan scan;
	int scanned;
	unsigned have;               /* which cached groups are computed */
	double v[24];                /* cached statistics */
	uint64_t *pre;               /* prefix hashes of the words */
	uint64_t *cpre;              /* prefix code points of the words */
	size_t cappre;
	flt_hset hs;
	cur_buf out[2];              /* rewritten text (double buffer) */
	int nout;
	cur_buf tmp;
	cur_buf low;                 /* a lower-cased line (c4) */
	tok_ids ids;
	uint64_t *fold;              /* lower-cased word hashes */
	size_t capfold;
	uint32_t *keep;              /* c4: (line index, strip offset) of kept lines */
	size_t capkeep;
	int err;                     /* CUR_ENOMEM met while computing */
	int exact;                   /* every value is wanted (annotate, explain) */
	double cur_thr;              /* threshold of the rule being evaluated */
	int cur_on;
	uint32_t top_count_bound;    /* counts of longer n-grams are at most this */
	double dup_cover[11];        /* chars covered by windows [i, i+n) of repeated 5-grams */
	int no_repeat_n;             /* no repeated n-gram of this n (G_NO_REPEAT) */
	int top_unique_n;            /* all n-grams of this n unique (G_TOP_UNIQUE) */
};

int flt_ctx_init(flt_ctx *c, const flt_engine *e);
void flt_ctx_release(flt_ctx *c);
/* flt_ctx_set_text: judge this text from now on (borrowed). */
void flt_ctx_set_text(flt_ctx *c, const char *text, size_t len);
int flt_ctx_scan(flt_ctx *c);
/* flt_ctx_rewrite_begin/end: build a new text in a scratch buffer. */
cur_buf *flt_ctx_rewrite_begin(flt_ctx *c);
void flt_ctx_rewrite_end(flt_ctx *c, cur_buf *b);

#endif
