/* Shared inside filters/ only, by the rule sets' files (rules.c,
 * rules_lists.c): what their statistics cache in the per-thread context, and
 * the small helpers they all use. */
#ifndef FLT_RULES_INT_H
#define FLT_RULES_INT_H

#include <math.h>
#include "filters/filter_int.h"

/* Cached groups (ctx->have) and cached values (ctx->v). */
enum { G_SCAN = 1, G_PARA = 2, G_LINES = 4, G_PRE = 8, G_FWDUP = 16, G_DIRTY = 32,
       G_SCRIPT = 64, G_FOLD = 128, G_NO_REPEAT = 256, G_TOP_UNIQUE = 512, G_TOPB = 1024,
       G_COVER = 2048 };
enum { V_PARA_FRAC, V_PARA_CHAR, V_LINE_FRAC, V_LINE_CHAR, V_FW_DUP, V_DIRTY,
       V_SCRIPT, V_C4_SENT, V_C4_LOREM, V_C4_CURLY, V_C4_REMOVED, V_L3_REMOVED,
       V_L3_EMPTY };

#define SCAN_OR_NAN(c) do { if (flt_ctx_scan(c) < 0) return NAN; } while (0)

static inline double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

static inline double st_v(flt_ctx *c, int i)
{
	return c->v[i];
}

/* Word n-grams by polynomial hashes (rules.c): flt_group_pre fills the
 * prefix sums of the word hashes (c->pre) and of their characters
 * (c->cpre); the n-gram at word i is then flt_ngram_hash(c, i, n, B^n). */
#define HASH_BASE 0x9E3779B97F4A7C15ull
int flt_group_pre(flt_ctx *c);

static inline uint64_t flt_pow_base(int n)
{
	uint64_t p = 1;
	for (int i = 0; i < n; i++)
		p *= HASH_BASE;
	return p;
}

static inline uint64_t flt_ngram_hash(const flt_ctx *c, size_t i, size_t n, uint64_t pw)
{
	return c->pre[i + n] - c->pre[i] * pw;
}

/* rules_lists.c: the safety and llama3 tables (of this many rows; it
 * checks) and llama3's line removal. */
#define FLT_SAFETY_RULES 4
#define FLT_LLAMA3_RULES 10
extern const flt_rule flt_rules_safety[FLT_SAFETY_RULES];
extern const flt_rule flt_rules_llama3[FLT_LLAMA3_RULES];
int flt_llama3_rewrite(flt_ctx *c);

#endif
