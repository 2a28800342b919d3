/* The BPE trainer: learns a byte-level BPE vocabulary from text, or extends
 * one, the Llama 3 way (tiktoken ranks over the pre-tokenizer's pieces).
 *
 * 1. Counting: text is cut into pieces by the pre-tokenizer and every
 *    distinct piece is counted (tok_trainer_cut on any thread, then
 *    tok_trainer_add in input order). Past mem_limit the table becomes a
 *    Misra-Gries sketch: every count is then low by at most the reported
 *    undercount.
 * 2. Learning: tok_trainer_learn merges the most frequent adjacent pair of
 *    tokens, again and again, with an incremental pair index (counts,
 *    occurrence lists, a priority queue). Ties go to the pair whose left
 *    token has the lower rank, then the right one's.
 * 3. tok_trainer_write: the ranks in tiktoken format, the special tokens and
 *    the pattern beside them (FOO-special-tokens.tsv, FOO-pattern.txt), all
 *    written atomically.
 *
 * The result depends only on the text and its order: not on threads. See
 * docs/tokenizer.md ("Training a vocabulary"). */
#ifndef TOK_TRAIN_H
#define TOK_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/error.h"
#include "core/options.h"
#include "core/sink.h"
#include "core/stage.h"
#include "tokenizer/tokenizer.h"

typedef struct tok_train_opts {
	size_t ranks;            /* ordinary tokens to reach (256 bytes + merges,
				  * or the kept base ranks + the new ones) */
	uint64_t min_frequency;  /* stop when the best pair is rarer (>= 1) */
	uint64_t mem_limit;      /* bytes the process may hold: the trainer keeps its
				  * counts and merge state under this, less a reserve
				  * for the rest (8 MiB + 12 MiB per job, at most half) */
	int jobs;                /* workers cutting documents (for that reserve) */
	const char *pattern;     /* pre-tokenizer regex; NULL: Llama 3 (the scanner) */
	char *const *specials;   /* special tokens, ids from the last rank on */
	size_t nspecials;
	/* extend: the vocabulary whose first base_ranks ranks are kept, and
	 * whose encoder gives the starting tokens of every piece (borrowed for
	 * the trainer's life); NULL to train from bytes. */
	const tok_tokenizer *base;
	size_t base_ranks;
} tok_train_opts;

/* tok_train_opts_init: Llama 3 defaults: min_frequency 2, mem_limit 1 GiB,
 * the Llama 3 pattern, no special tokens, no base. */
void tok_train_opts_init(tok_train_opts *o);

typedef struct tok_trainer tok_trainer;
typedef struct tok_piece_batch tok_piece_batch;

/* tok_trainer_new: CUR_EINVAL (message in err) for ranks below 256 or
 * below the base ranks, an invalid pattern, a mem_limit too small to hold
 * anything, or base_ranks past the base's size. */
int tok_trainer_new(const tok_train_opts *o, tok_trainer **out, cur_err *err);
void tok_trainer_free(tok_trainer *t);

/* tok_trainer_cut: the distinct pieces of text[0..len) with their counts,
 * into *out (caller frees with tok_piece_batch_free). Read-only on t: any
 * number of threads at once. The batch refers to text: keep it until
 * tok_trainer_add. */
int tok_trainer_cut(const tok_trainer *t, const char *text, size_t len,
		    tok_piece_batch **out, cur_err *err);
void tok_piece_batch_free(tok_piece_batch *b);
/* tok_trainer_add: count a batch (the same text as given to cut). One
 * thread, in input order: the sketch's pruning depends on the order. */
int tok_trainer_add(tok_trainer *t, const char *text, const tok_piece_batch *b, cur_err *err);
/* tok_trainer_count: cut and add, for one thread. */
int tok_trainer_count(tok_trainer *t, const char *text, size_t len, cur_err *err);

/* tok_trainer_learn: merge until opts.ranks tokens, or until no pair is
 * min_frequency times frequent. CUR_EDATA when nothing was counted. */
int tok_trainer_learn(tok_trainer *t, cur_err *err);

/* tok_trainer_ranks: ordinary tokens so far; tok_trainer_token: the bytes
 * of one (not NUL-terminated), or NULL. */
size_t tok_trainer_ranks(const tok_trainer *t);
const uint8_t *tok_trainer_token(const tok_trainer *t, size_t rank, size_t *len);

/* tok_trainer_write: the learned vocabulary to path (which must end in
 * .tiktoken), FOO-special-tokens.tsv and FOO-pattern.txt beside it; each
 * through a temporary name, renamed when complete. */
int tok_trainer_write(const tok_trainer *t, const char *path, cur_err *err);

/* tok_trainer_report: the figures of the run into obj: pieces counted and
 * distinct, whether counts are exact (else the undercount bound), merges,
 * why learning stopped, the trainer's peak bytes, seconds per phase. */
void tok_trainer_report(const tok_trainer *t, json_t *obj);

/* Options of `curate tokenizer train` and `extend` (bin/cmd_tokenizer.c),
 * and of both in a pipeline file's sink; tok_train_sink_new reads them from
 * a config object. */
extern const cur_opt_spec tok_train_options[];
extern const cur_opt_spec tok_extend_options[];
extern const cur_opt_spec tok_train_sink_options[];

/* tok_train_sink_new: a sink that counts every document's text and, on
 * finish, learns and writes the vocabulary to output (a .tiktoken path).
 * config holds vocab_size (train) or base and add (extend), and optionally
 * pattern (a file), min_frequency, mem_limit, special_tokens (a file, one
 * token a line), base_ranks. The outputs are created at once, so an
 * unwritable path fails here. */
cur_sink *tok_train_sink_new(json_t *config, const cur_stage_env *env, const char *output,
			     cur_err *err);

#endif
