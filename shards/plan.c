/* The plan: which documents, in which order, in which sample and shard.
 *
 * Works on document lengths only (ids stay in the spill): the sampler draws
 * a category, the next document of that category is read from its length
 * file, a seeded hash of its position sends it to train or valid, a shuffle
 * buffer of document references reorders it, the packer turns documents
 * into sequences and the cutter closes a shard before it would exceed
 * --shard-tokens. Memory: the shuffle buffer (16 bytes a document) and, when
 * packing, the open bins. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "shards/shard_int.h"

typedef struct doc_ref {
	uint64_t off;
	uint32_t len;
	uint32_t cat;
} doc_ref;

typedef struct seq {
	shard_piece *p;
	size_t np, cap;
	uint64_t ntok;
	uint32_t ndocs;
} seq;

typedef struct lens_reader {
	const shard_spill *s;
	size_t seg;        /* the segment f reads (a spill read in segments) */
	FILE *f;
	uint64_t off;      /* token offset of the next document */
	uint64_t advised;  /* ids before this offset were asked for (readahead) */
} lens_reader;

/* The spill is read document by document in shuffled order: each read lands
 * on a page that no readahead brought in, and a spill that left the page
 * cache (a large input) would be read one page per document. So the real
 * run asks for the spill in steps of this many ids (32 MiB) as the draws
 * reach it; the shuffle buffer reads what was drawn later. */
#define READAHEAD_IDS ((uint64_t)8 << 20)

typedef struct split_state {
	/* shuffle buffer */
	doc_ref *buf;
	size_t n, cap;
	cur_rng rng;
	/* packer */
	seq cur;          /* concat mode: the sample being filled */
	seq *bins;        /* best-fit mode: open bins, oldest first */
	size_t nbins;
	/* cutter */
	int open;
	uint64_t k, shard_tok;
} split_state;

typedef struct plan {
	const shard_plan_cfg *cfg;
	const shard_emit *emit;
	shard_plan_stats *st;
	split_state sp[SHARD_NSPLITS];
	seq unit;         /* the pieces of the current document */
	seq tmp;
} plan;

static int seq_push(seq *s, shard_piece pc)
{
	if (pc.n == 0)
		return CUR_OK;
	if (s->np > 0) {
		/* Merge a run that continues the previous one. */
		shard_piece *last = &s->p[s->np - 1];
		if (pc.token == 0 && last->token == 0 && last->cat == pc.cat &&
		    last->off + last->n == pc.off && (uint64_t)last->n + pc.n <= UINT32_MAX) {
			last->n += pc.n;
			s->ntok += pc.n;
			return CUR_OK;
		}
	}
	if (s->np == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		shard_piece *np = cur_realloc_array(s->p, nc, sizeof *np);
		if (!np)
			return CUR_ENOMEM;
		s->p = np;
		s->cap = nc;
	}
	s->p[s->np++] = pc;
	s->ntok += pc.n;
	return CUR_OK;
}

static void seq_clear(seq *s)
{
	s->np = 0;
	s->ntok = 0;
	s->ndocs = 0;
}

static void seq_free(seq *s)
{
	free(s->p);
	memset(s, 0, sizeof *s);
}

/* Append ids [start, start+n) of the unit u to s. */
static int seq_append_slice(seq *s, const seq *u, uint64_t start, uint64_t n)
{
	uint64_t pos = 0;
	for (size_t i = 0; i < u->np && n > 0; i++) {
		const shard_piece *pc = &u->p[i];
		uint64_t end = pos + pc->n;
		if (end > start) {
			uint64_t skip = start > pos ? start - pos : 0;
			uint64_t take = pc->n - skip;
			if (take > n)
				take = n;
			shard_piece q = *pc;
			q.n = (uint32_t)take;
			if (q.token == 0)
				q.off += skip;
			CUR_FORWARD(seq_push(s, q));
			start += take;
			n -= take;
		}
		pos = end;
	}
	return CUR_OK;
}

/* ---- cutter ---- */
static int cut_seq(plan *pl, int split, const seq *s, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	const shard_plan_cfg *cfg = pl->cfg;
	if (sp->open && sp->shard_tok + s->ntok > cfg->shard_tokens) {
		CUR_FORWARD(pl->emit->end(pl->emit->ctx, err));
		sp->open = 0;
	}
	if (!sp->open) {
		CUR_FORWARD(pl->emit->begin(pl->emit->ctx, split, sp->k, err));
		sp->k++;
		sp->open = 1;
		sp->shard_tok = 0;
		pl->st->split_shards[split]++;
	}
	for (size_t i = 0; i < s->np; i++)
		if (s->p[i].cat == SHARD_CAT_PAD)
			pl->st->split_padding[split] += s->p[i].n;
	pl->st->split_seqs[split]++;
	sp->shard_tok += s->ntok;
	return pl->emit->seq(pl->emit->ctx, s->p, s->np, s->ntok, s->ndocs, err);
}

static int cut_flush(plan *pl, int split, cur_err *err)
{
	if (!pl->sp[split].open)
		return CUR_OK;
	pl->sp[split].open = 0;
	return pl->emit->end(pl->emit->ctx, err);
}

/* ---- packers ---- */
static int pad_and_cut(plan *pl, int split, seq *s, cur_err *err)
{
	uint32_t L = pl->cfg->pack;
	if (s->ntok < L) {
		shard_piece pad = { 0, (uint32_t)(L - s->ntok), SHARD_CAT_PAD, pl->cfg->pad_id };
		if (seq_push(s, pad) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory packing samples");
	}
	return cut_seq(pl, split, s, err);
}

/* --pack L: concatenate and cut every L ids (documents may span samples). */
static int pack_concat(plan *pl, int split, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	uint32_t L = pl->cfg->pack;
	const seq *u = &pl->unit;
	uint64_t pos = 0;
	int first = 1;
	while (pos < u->ntok) {
		uint64_t room = L - sp->cur.ntok;
		uint64_t take = u->ntok - pos < room ? u->ntok - pos : room;
		if (seq_append_slice(&sp->cur, u, pos, take) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory packing samples");
		if (first)
			sp->cur.ndocs++;
		first = 0;
		pos += take;
		if (sp->cur.ntok == L) {
			CUR_FORWARD(cut_seq(pl, split, &sp->cur, err));
			seq_clear(&sp->cur);
		}
	}
	return CUR_OK;
}

static int bin_close(plan *pl, int split, size_t i, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	seq b = sp->bins[i];
	int rc = pad_and_cut(pl, split, &b, err);
	/* Keep the opening order: it makes the flush order deterministic. */
	memmove(&sp->bins[i], &sp->bins[i + 1], (sp->nbins - i - 1) * sizeof *sp->bins);
	sp->nbins--;
	seq_clear(&b);
	sp->bins[sp->nbins] = b; /* keep its storage for reuse */
	return rc;
}

/* --pack L --no-split: best fit of whole documents into open bins; a
 * document longer than L gives full samples of L and a remainder. */
static int pack_bestfit(plan *pl, int split, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	const shard_plan_cfg *cfg = pl->cfg;
	uint32_t L = cfg->pack;
	const seq *u = &pl->unit;
	uint64_t pos = 0;
	uint32_t ndocs = 1;
	while (u->ntok - pos >= L && u->ntok - pos > 0) {
		seq_clear(&pl->tmp);
		if (seq_append_slice(&pl->tmp, u, pos, L) < 0)
			return cur_err_set(err, CUR_ENOMEM, "out of memory packing samples");
		pl->tmp.ndocs = ndocs;
		if (pos == 0 && u->ntok > L)
			pl->st->split_chunks[split]++;
		ndocs = 0;
		CUR_FORWARD(cut_seq(pl, split, &pl->tmp, err));
		pos += L;
	}
	uint64_t r = u->ntok - pos;
	if (r == 0)
		return CUR_OK;
	size_t best = SIZE_MAX;
	uint64_t best_room = 0;
	for (size_t i = 0; i < sp->nbins; i++) {
		uint64_t room = L - sp->bins[i].ntok;
		if (room >= r && (best == SIZE_MAX || room < best_room)) {
			best = i;
			best_room = room;
		}
	}
	if (best == SIZE_MAX) {
		if (sp->nbins == cfg->pack_bins) {
			size_t fullest = 0;
			for (size_t i = 1; i < sp->nbins; i++)
				if (sp->bins[i].ntok > sp->bins[fullest].ntok)
					fullest = i;
			CUR_FORWARD(bin_close(pl, split, fullest, err));
		}
		best = sp->nbins++;
		seq_clear(&sp->bins[best]);
	}
	seq *b = &sp->bins[best];
	if (seq_append_slice(b, u, pos, r) < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory packing samples");
	b->ndocs += ndocs;
	if (b->ntok == L)
		CUR_FORWARD(bin_close(pl, split, best, err));
	return CUR_OK;
}

static int pack_doc(plan *pl, int split, doc_ref d, cur_err *err)
{
	const shard_plan_cfg *cfg = pl->cfg;
	seq *u = &pl->unit;
	seq_clear(u);
	shard_piece body = { d.off, d.len, d.cat, 0 };
	shard_piece sep = { 0, 1, d.cat, cfg->sep_id };
	int rc = cfg->sep_before ? seq_push(u, sep) : seq_push(u, body);
	if (rc == 0)
		rc = cfg->sep_before ? seq_push(u, body) : seq_push(u, sep);
	if (rc < 0)
		return cur_err_set(err, CUR_ENOMEM, "out of memory packing samples");
	u->ndocs = 1;
	pl->st->split_docs[split]++;
	pl->st->split_tokens[split] += u->ntok;
	if (cfg->pack == 0)
		return cut_seq(pl, split, u, err);
	return cfg->no_split ? pack_bestfit(pl, split, err) : pack_concat(pl, split, err);
}

static int pack_flush(plan *pl, int split, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	if (pl->cfg->pack && !pl->cfg->no_split && sp->cur.ntok > 0) {
		CUR_FORWARD(pad_and_cut(pl, split, &sp->cur, err));
		seq_clear(&sp->cur);
	}
	while (sp->nbins > 0)
		CUR_FORWARD(bin_close(pl, split, 0, err));
	return cut_flush(pl, split, err);
}

/* ---- shuffle buffer ---- */
static int shuffle_push(plan *pl, int split, doc_ref d, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	if (!pl->cfg->shuffle)
		return pack_doc(pl, split, d, err);
	if (sp->n < sp->cap) {
		sp->buf[sp->n++] = d;
		return CUR_OK;
	}
	/* Full: a random resident leaves and the newcomer takes its place. */
	size_t j = (size_t)cur_rng_below(&sp->rng, sp->cap);
	doc_ref out = sp->buf[j];
	sp->buf[j] = d;
	return pack_doc(pl, split, out, err);
}

static int shuffle_flush(plan *pl, int split, cur_err *err)
{
	split_state *sp = &pl->sp[split];
	for (size_t i = sp->n; i > 1; i--) {
		size_t j = (size_t)cur_rng_below(&sp->rng, i);
		doc_ref t = sp->buf[i - 1];
		sp->buf[i - 1] = sp->buf[j];
		sp->buf[j] = t;
	}
	for (size_t i = 0; i < sp->n; i++)
		CUR_FORWARD(pack_doc(pl, split, sp->buf[i], err));
	sp->n = 0;
	return CUR_OK;
}

/* ---- drawing ---- */
/* The lengths file of segment seg (or the spill's own, before pass 2 has
 * opened it in segments: a dry run). */
static const char *lens_path(const shard_spill *s, size_t seg)
{
	return s->nsegs ? s->segs[seg].len_path : s->len_path;
}

static int lens_open_seg(lens_reader *lr, size_t seg, cur_err *err)
{
	const char *path = lens_path(lr->s, seg);

	if (lr->f)
		fclose(lr->f);
	lr->seg = seg;
	lr->f = fopen(path, "rb");
	if (!lr->f)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	return CUR_OK;
}

static int lens_open(lens_reader *lr, const shard_spill *s, cur_err *err)
{
	lr->s = s;
	lr->off = 0;
	lr->advised = 0;
	return lens_open_seg(lr, 0, err);
}

/* 1 and *len for a document, 0 at the end of the category, negative when a
 * segment cannot be opened. */
static int lens_next(lens_reader *lr, uint32_t *len, uint64_t *off, cur_err *err)
{
	unsigned char b[4];

	while (fread(b, 1, 4, lr->f) != 4) {
		if (lr->seg + 1 >= (lr->s->nsegs ? lr->s->nsegs : 1))
			return 0;
		CUR_FORWARD(lens_open_seg(lr, lr->seg + 1, err));
	}
	*len = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	*off = lr->off;
	lr->off += *len;
	return 1;
}

static int split_of(const shard_plan_cfg *cfg, uint64_t idx)
{
	if (cfg->valid_fraction <= 0)
		return SHARD_TRAIN;
	uint64_t h = cur_mix64(cur_mix64(cfg->seed ^ 0x76616c6964ULL) ^ idx);
	double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
	return u < cfg->valid_fraction ? SHARD_VALID : SHARD_TRAIN;
}

static int draw(plan *pl, shard_spill *spills, size_t n, lens_reader *lr, cur_err *err)
{
	const shard_plan_cfg *cfg = pl->cfg;
	shard_plan_stats *st = pl->st;
	mix_sampler ms;
	mix_sampler_init(&ms, cfg->mix);
	for (size_t c = 0; c < n; c++)
		if (ms.active[c])
			st->epochs_started[c] = 1;
	uint64_t idx = 0;
	st->stop_reason = "end";
	for (;;) {
		if (cfg->budget && ms.total >= cfg->budget) {
			st->stop_reason = "budget";
			break;
		}
		int c = mix_sampler_pick(&ms);
		if (c < 0)
			break;
		uint32_t len;
		uint64_t off;
		int got = lens_next(&lr[c], &len, &off, err);
		if (got < 0)
			return got;
		if (!got) {
			if (!cfg->repeat || st->epochs_started[c] >= cfg->max_epochs ||
			    spills[c].docs == 0) {
				/* Stop everything: going on without c would
				 * break the ratio, so the budget shrinks. */
				st->stop_reason = "exhausted";
				st->stop_cat = c;
				break;
			}
			CUR_FORWARD(lens_open(&lr[c], &spills[c], err));
			st->epochs_started[c]++;
			continue;
		}
		if (cfg->readahead && off + len > lr[c].advised) {
			uint64_t to = lr[c].advised + READAHEAD_IDS;
			if (to < off + len)
				to = off + len;
			shard_spill_readahead(&spills[c], lr[c].advised, to);
			lr[c].advised = to;
		}
		mix_sampler_add(&ms, c, (uint64_t)len + 1);
		st->tokens[c] += (uint64_t)len + 1;
		st->documents[c]++;
		st->consumed[c] += len;
		doc_ref d = { off, len, (uint32_t)c };
		CUR_FORWARD(shuffle_push(pl, split_of(cfg, idx++), d, err));
	}
	return CUR_OK;
}

int shard_plan_run(const shard_plan_cfg *cfg, shard_spill *spills, size_t nspills,
		   const shard_emit *emit, shard_plan_stats *st, cur_err *err)
{
	plan pl;
	memset(&pl, 0, sizeof pl);
	memset(st, 0, sizeof *st);
	st->stop_cat = -1;
	pl.cfg = cfg;
	pl.emit = emit;
	pl.st = st;
	lens_reader lr[MIX_MAX_CATEGORIES];
	memset(lr, 0, sizeof lr);
	int rc = CUR_OK;
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		split_state *sp = &pl.sp[s];
		sp->rng.s = cur_mix64(cfg->seed ^ (0x5348554646ULL + (uint64_t)s));
		sp->cap = cfg->shuffle ? cfg->shuffle_buffer : 0;
		if (sp->cap) {
			sp->buf = cur_malloc_array(sp->cap, sizeof *sp->buf);
			if (!sp->buf) {
				rc = cur_err_set(err, CUR_ENOMEM, "cannot allocate a shuffle buffer of %zu documents",
						 sp->cap);
				goto out;
			}
		}
		if (cfg->pack && cfg->no_split) {
			sp->bins = cur_calloc_array(cfg->pack_bins + 1, sizeof *sp->bins);
			if (!sp->bins) {
				rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	for (size_t c = 0; c < nspills; c++)
		if ((rc = lens_open(&lr[c], &spills[c], err)) < 0)
			goto out;
	if ((rc = draw(&pl, spills, nspills, lr, err)) < 0)
		goto out;
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		if ((rc = shuffle_flush(&pl, s, err)) < 0)
			goto out;
		if ((rc = pack_flush(&pl, s, err)) < 0)
			goto out;
	}
out:
	for (size_t c = 0; c < nspills; c++)
		if (lr[c].f)
			fclose(lr[c].f);
	for (int s = 0; s < SHARD_NSPLITS; s++) {
		split_state *sp = &pl.sp[s];
		free(sp->buf);
		seq_free(&sp->cur);
		if (sp->bins)
			for (size_t i = 0; i <= cfg->pack_bins; i++)
				seq_free(&sp->bins[i]);
		free(sp->bins);
	}
	seq_free(&pl.unit);
	seq_free(&pl.tmp);
	return rc;
}
