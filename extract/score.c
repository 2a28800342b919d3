#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "extract/ext_int.h"

/* Which parts of the page are its main content. Four passes over the flat
 * tree (docs/internals/extract.md has the reasoning and the numbers):
 *
 * 1. Drop what is never content: hidden elements, nav and aside, and
 *    elements whose class or id names page furniture (comments, sharing,
 *    related links, cookie notices) unless they hold the article itself;
 *    header and footer unless they hold real paragraphs.
 * 2. Classify every text block (an element with text of its own) as
 *    jusText does, from its length, link density and punctuation: good
 *    (prose), bad (mostly links), or short/near-good (labels, captions,
 *    bylines, decided by their neighbours later).
 * 3. Score containers as Readability does: every prose block adds to its
 *    element and, less and less, to its ancestors; the score is scaled by
 *    the container's link density and moved by class hints. The best
 *    container, and those of its siblings that read as content, are kept.
 * 4. Inside what is kept, drop link lists and, jusText's context rule,
 *    short and near-good blocks unless good blocks surround them. */

enum { CLS_NONE, CLS_GOOD, CLS_NEAR, CLS_SHORT, CLS_BAD, CLS_HEADING };

static int is_block(const ext_node *n)
{
	return (ext_tag_flags((enum ext_tag)n->tag) & TF_BLOCK) != 0;
}

static double density(uint32_t part, uint32_t whole)
{
	return whole ? (double)part / whole : 0.0;
}

/* A text block by its own figures. */
static int classify(const ext_tree *t, const ext_node *n)
{
	uint32_t c = n->own_chars;
	double ld = density(n->own_link_chars, c);
	/* A page of short pieces only (a list of facts, a poem): the lower,
	 * near-good threshold makes good. */
	uint32_t good = t->relaxed ? 30 : 80;

	if (c == 0)
		return CLS_NONE;
	if (ext_tag_flags((enum ext_tag)n->tag) & TF_HEADING)
		return ld > 0.5 ? CLS_BAD : CLS_HEADING;
	if (ld > 0.5)
		return CLS_BAD;
	/* A teaser: a list item that is partly a link, or an excerpt cut
	 * short with "...". */
	int teaser = (n->flags & NF_ELLIPSIS) || (n->tag == T_LI && ld > 0.2);
	if (!teaser && ld < 0.33 && ((c >= good && n->own_punct >= 1) || c >= 200))
		return CLS_GOOD;
	if (c < 30)
		return CLS_SHORT;
	return CLS_NEAR;
}

/* Sum the figures bottom-up, leaving dropped subtrees out. Nodes come in
 * document order, so every child has a larger index than its parent: one
 * pass down marks the whole of a dropped subtree, one pass up sums. */
static void aggregate(ext_tree *t)
{
	for (size_t k = 0; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];

		if (k && (t->nodes[n->parent].flags & NF_DROP))
			n->flags |= NF_DROP;

		n->chars = n->own_chars;
		n->link_chars = n->own_link_chars;
		n->punct = n->own_punct;
		n->flags &= ~(uint32_t)(NF_GOOD | NF_BAD);
		switch (classify(t, n)) {
		case CLS_GOOD:
			n->flags |= NF_GOOD;
			break;
		case CLS_BAD:
			n->flags |= NF_BAD;
			break;
		default:
			break;
		}
		n->good_chars = (n->flags & NF_GOOD) ? n->own_chars : 0;
		n->blocks = n->own_chars ? 1 : 0;
	}
	for (size_t k = t->nnodes; k-- > 1;) {
		ext_node *n = &t->nodes[k], *p = &t->nodes[n->parent];

		if (n->flags & NF_DROP)
			continue;
		p->chars += n->chars;
		p->link_chars += n->link_chars;
		p->punct += n->punct;
		p->good_chars += n->good_chars;
		p->blocks += n->blocks;
		if (n->flags & (NF_BODY_HINT | NF_HAS_BODY) || n->tag == T_ARTICLE ||
		    n->tag == T_MAIN)
			p->flags |= NF_HAS_BODY;
		/* A cell that holds blocks makes its table a layout table. */
		if (is_block(n) && (ext_tag_flags((enum ext_tag)p->tag) & TF_CELL)) {
			for (ext_node *q = p; q != t->nodes; q = &t->nodes[q->parent])
				if (q->tag == T_TABLE) {
					q->flags |= NF_LAYOUT;
					break;
				}
		}
	}
}

/* Pass 1, the part decided before any figure is known. MediaWiki hides
 * its MathML (display: none) behind a picture of the formula: hidden math
 * is still the formula, so a hidden element that holds math stays. */
static void drop_hidden_and_chrome(ext_tree *t, int all)
{
	for (size_t k = t->nnodes; k-- > 1;) {
		ext_node *n = &t->nodes[k];

		if (n->tag == T_MATH || (n->flags & NF_HAS_MATH))
			t->nodes[n->parent].flags |= NF_HAS_MATH;
	}
	for (size_t k = 1; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];

		if ((n->flags & NF_HIDDEN) && !(n->flags & NF_HAS_MATH) && n->tag != T_MATH)
			n->flags |= NF_DROP;
		else if (!all && (n->tag == T_NAV || n->tag == T_ASIDE))
			n->flags |= NF_DROP;
	}
}

/* Pass 1, the part that needs the figures: furniture by name, header and
 * footer, unless they hold the article. */
static void drop_furniture(ext_tree *t)
{
	uint32_t total = t->nodes[0].good_chars;

	for (size_t k = 1; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];
		int holds = (n->flags & NF_HAS_BODY) || n->good_chars * 10 >= total * 6;

		if (n->flags & NF_DROP)
			continue;
		if (n->tag == T_BODY || n->tag == T_HTML || n->tag == T_MAIN ||
		    n->tag == T_ARTICLE || (n->flags & NF_BODY_HINT))
			continue;
		if ((n->flags & NF_NEGATIVE) && !holds)
			n->flags |= NF_DROP;
		/* Captions and photo credits repeat what the picture shows. */
		else if ((n->tag == T_FIGCAPTION || (n->flags & NF_CAPTION_HINT)) && !holds &&
			 n->chars < 500)
			n->flags |= NF_DROP;
		else if ((n->tag == T_HEADER || n->tag == T_FOOTER) && n->good_chars < 300 && !holds)
			n->flags |= NF_DROP;
	}
}

/* Pass 3: content scores. */
static double tag_weight(const ext_node *n)
{
	switch (n->tag) {
	case T_ARTICLE: return 10;
	case T_DIV: case T_MAIN: return 5;
	case T_PRE: case T_TD: case T_BLOCKQUOTE: return 3;
	case T_ADDRESS: case T_OL: case T_UL: case T_DL: case T_DD: case T_DT: case T_LI:
	case T_FORM: return -3;
	case T_H1: case T_H2: case T_H3: case T_H4: case T_H5: case T_H6: case T_TH:
		return -5;
	default: return 0;
	}
}

static double block_value(const ext_node *n)
{
	double v = 1.0 + (n->own_chars >= 300 ? 3.0 : n->own_chars / 100.0);

	v += n->own_punct < 10 ? n->own_punct * 0.5 : 5.0;
	return v;
}

static void score(ext_tree *t)
{
	for (size_t k = 0; k < t->nnodes; k++)
		t->nodes[k].score = 0;
	for (size_t k = 1; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];
		double v;

		if ((n->flags & NF_DROP) || (n->flags & NF_BAD) || n->own_chars < 25)
			continue;
		v = block_value(n);
		/* The block itself, its parent, its grandparent at half, and
		 * further ancestors at less and less. */
		n->score += (float)v;
		ext_node *a = n;
		for (int level = 1; level <= 5 && a != t->nodes; level++) {
			a = &t->nodes[a->parent];
			a->score += (float)(level == 1 ? v : level == 2 ? v / 2 : v / (level * 3));
		}
	}
}

/* Hints scale the score rather than add to it, so that a class name alone
 * never outweighs the text. */
static double final_score(const ext_node *n)
{
	double m = 1.0 + n->hint / 100.0 + tag_weight(n) / 50.0;

	if (n->flags & NF_BODY_HINT)
		m += 0.25;
	return n->score * (1.0 - density(n->link_chars, n->chars)) * m;
}

/* The best final score in each subtree, bottom-up, and for every node the
 * two strongest of its children (for climb). */
static void strengths(ext_tree *t)
{
	for (size_t k = 0; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];

		n->strength = (n->flags & NF_DROP) || n->score <= 0 ? 0 : (float)final_score(n);
		n->child_best = n->child_second = 0;
		n->child_best_id = 0;
	}
	for (size_t k = t->nnodes; k-- > 1;) {
		ext_node *n = &t->nodes[k], *p = &t->nodes[n->parent];

		if (n->flags & NF_DROP)
			continue;
		if (n->strength > p->strength)
			p->strength = n->strength;
		if (n->strength > p->child_best) {
			p->child_second = p->child_best;
			p->child_best = n->strength;
			p->child_best_id = (uint32_t)k;
		} else if (n->strength > p->child_second) {
			p->child_second = n->strength;
		}
	}
}

/* An article cut into several containers (a column per few paragraphs)
 * scores each part on its own. Go up while the parent adds nothing, or
 * adds mostly good text from a part about as strong as the one we hold;
 * a parent that adds a weaker block of prose (the next article of a feed,
 * a comment) is left alone. */
static ext_node *climb(ext_tree *t, ext_node *n)
{
	while (n != t->nodes) {
		ext_node *p = &t->nodes[n->parent];
		uint32_t extra = p->chars - n->chars, extra_good = p->good_chars - n->good_chars;
		float other = 0;

		if (p->flags & NF_DROP)
			break;
		if (extra && (p->flags & NF_BODY_HINT) && density(p->link_chars, p->chars) < 0.35) {
			/* The article body by its name: take all of it. */
		} else if (extra) {
			if (extra_good * 10 < extra * 4 ||
			    density(p->link_chars - n->link_chars, extra) > 0.35)
				break;
			other = p->child_best_id == (uint32_t)(n - t->nodes) ? p->child_second :
				p->child_best;
			if (other < 0.4f * n->strength)
				break;
		}
		n = p;
	}
	return n;
}

/* Siblings of the best container that read as content join it. */
static void keep_siblings(ext_tree *t, ext_node *top, double top_score)
{
	uint32_t parent = top->parent;
	double min = top_score * 0.2 > 10 ? top_score * 0.2 : 10;

	for (size_t k = 1; k < t->nnodes; k++) {
		ext_node *s = &t->nodes[k];

		if (s->parent != parent || s == top || (s->flags & NF_DROP) || s == &t->nodes[parent])
			continue;
		double ld = density(s->link_chars, s->chars);
		if (final_score(s) >= min && s->score > 0)
			s->flags |= NF_KEEP;
		else if (ld < 0.25 && (s->flags & NF_GOOD))
			s->flags |= NF_KEEP;
	}
}

/* Pass 4: inside kept subtrees, drop link lists and the blocks that only
 * good neighbours would save. */
static void clean_containers(ext_tree *t, const ext_node *root)
{
	for (uint32_t k = (uint32_t)(root - t->nodes) + 1; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];

		if (n->open > root->close)
			break;
		if (n->flags & NF_DROP)
			continue;
		switch (n->tag) {
		case T_UL: case T_OL: case T_DL: case T_DIV: case T_SECTION: case T_TABLE:
		case T_FORM: case T_FIGURE: case T_MENU:
			if (n->chars && density(n->link_chars, n->chars) > 0.5)
				n->flags |= NF_DROP;
			break;
		default:
			if ((n->flags & NF_BAD) && is_block(n))
				n->flags |= NF_DROP;
			break;
		}
	}
}

typedef struct block_ref {
	uint32_t node;
	int cls;
	int whole;        /* a data table, judged as one block */
	int prev, next;   /* the nearest good or bad block's class on each side */
} block_ref;

/* A data table is content when it is mostly not links: its cells are too
 * short to be judged one by one. */
static int table_class(const ext_node *n)
{
	if (n->chars >= 100 && density(n->link_chars, n->chars) < 0.35)
		return CLS_GOOD;
	return n->chars >= 30 ? CLS_NEAR : CLS_SHORT;
}

/* The text blocks of the kept subtrees, in document order. */
static size_t kept_blocks(const ext_tree *t, block_ref *out)
{
	size_t n = 0;
	int keep = 0;

	for (uint32_t i = 0; i < t->nitems; i++) {
		const ext_item *it = &t->items[i];
		const ext_node *nd = &t->nodes[it->node];

		if (it->kind == IT_OPEN) {
			if (nd->flags & NF_DROP) {
				i = nd->close;
				continue;
			}
			if (nd->flags & NF_KEEP)
				keep++;
			if (keep && nd->tag == T_TABLE && !(nd->flags & (NF_LAYOUT | NF_KEEP))) {
				out[n].node = it->node;
				out[n].cls = table_class(nd);
				out[n].whole = 1;
				n++;
				i = nd->close;
				continue;
			}
			if (keep && nd->own_chars && (is_block(nd) || nd->tag == T_MATH)) {
				out[n].node = it->node;
				out[n].cls = classify(t, nd);
				out[n].whole = 0;
				n++;
			}
		} else if (it->kind == IT_CLOSE && (nd->flags & NF_KEEP)) {
			keep--;
		}
	}
	return n;
}

static int decided(int cls)
{
	return cls == CLS_GOOD || cls == CLS_BAD;
}

static void context_rule(ext_tree *t)
{
	block_ref *b = cur_malloc_array(t->nnodes + 1, sizeof(*b));
	size_t n, i;
	int last;

	if (!b)
		return;
	n = kept_blocks(t, b);
	/* The nearest decided neighbours (good or bad) on each side, in two
	 * passes so that a page of many short blocks stays linear. */
	for (i = 0, last = CLS_NONE; i < n; i++) {
		b[i].prev = last;
		if (decided(b[i].cls))
			last = b[i].cls;
	}
	for (i = n, last = CLS_NONE; i-- > 0;) {
		b[i].next = last;
		if (decided(b[i].cls))
			last = b[i].cls;
	}
	for (i = 0; i < n; i++) {
		int keep;

		if (decided(b[i].cls))
			continue;
		if (b[i].cls == CLS_HEADING)
			keep = b[i].next == CLS_GOOD;
		else if (b[i].cls == CLS_NEAR)
			keep = b[i].prev == CLS_GOOD || b[i].next == CLS_GOOD;
		else
			keep = b[i].prev == CLS_GOOD && b[i].next == CLS_GOOD;
		if (!keep)
			t->nodes[b[i].node].flags |= b[i].whole ? NF_DROP : NF_DROP_TEXT;
	}
	free(b);
}

/* The container with the best final score among those that hold good
 * text, or NULL. */
static ext_node *best_candidate(ext_tree *t)
{
	ext_node *top = NULL;
	double best = 0;

	aggregate(t);
	score(t);
	strengths(t);
	for (size_t k = 0; k < t->nnodes; k++) {
		ext_node *n = &t->nodes[k];
		double s;

		if ((n->flags & NF_DROP) || n->score <= 0 || !n->good_chars)
			continue;
		s = final_score(n);
		if (!top || s > best) {
			top = n;
			best = s;
		}
	}
	return top;
}

void ext_select(ext_tree *t, int all)
{
	ext_node *top;

	if (!t->nnodes)
		return;
	t->relaxed = 0;
	drop_hidden_and_chrome(t, all);
	aggregate(t);
	if (all) {
		t->nodes[0].flags |= NF_KEEP;
		return;
	}
	drop_furniture(t);
	top = best_candidate(t);
	if (!top) {
		t->relaxed = 1;
		top = best_candidate(t);
	}
	if (top) {
		top = climb(t, top);
		top->flags |= NF_KEEP;
		if (top != t->nodes)
			keep_siblings(t, top, final_score(top));
	} else {
		/* No text to speak of: what survives is what the context rule
		 * keeps on its own (data tables). */
		t->nodes[0].flags |= NF_KEEP;
	}
	for (size_t k = 0; k < t->nnodes; k++)
		if (t->nodes[k].flags & NF_KEEP)
			clean_containers(t, &t->nodes[k]);
	context_rule(t);
}
