/* More of the tokenizer's API, beside the fixed tokenizer/tokenizer.h: the
 * explicit loaders, the default vocabulary's path and the pre-tokenizer
 * choice. */
#ifndef TOK_EXTRA_H
#define TOK_EXTRA_H

#include <stddef.h>
#include "core/error.h"
#include "tokenizer/tokenizer.h"

/* tok_ids_push: append one id, growing the buffer (CUR_ENOMEM).
 * tok_ids_reserve: make room for n more ids. */
int tok_ids_push(tok_ids *v, uint32_t id);
int tok_ids_reserve(tok_ids *v, size_t n);

/* tok_load_tiktoken: a tiktoken text file ("BASE64 RANK" lines); special
 * tokens from FOO-special-tokens.tsv beside FOO.tiktoken ("ID\tTOKEN"
 * lines), else the 256 Llama 3 names from id N on. */
int tok_load_tiktoken(const char *path, tok_tokenizer **out, cur_err *err);

/* tok_load_hf_json: a Hugging Face tokenizer.json with a byte-level BPE
 * model: model.vocab gives the ranks, added_tokens the special tokens. */
int tok_load_hf_json(const char *path, tok_tokenizer **out, cur_err *err);

/* tok_load_buffer: as tok_load, from bytes in memory; name is for
 * messages (and, ending in .tiktoken, for finding the .tsv beside it). */
int tok_load_buffer(const char *name, const void *data, size_t len, tok_tokenizer **out,
		    cur_err *err);

/* tok_default_path: the default vocabulary, written into buf: the installed
 * one if it is readable, else the source tree's. Returns buf. */
const char *tok_default_path(char *buf, size_t cap);

/* tok_set_pretokenizer: "scanner" (default: Unicode 16.0, exact) or "pcre2"
 * (the pattern in PCRE2, whose Unicode 14 tables differ on 9,393 code
 * points). A vocabulary with a pattern of its own (FOO-pattern.txt beside
 * FOO.tiktoken) always runs it on PCRE2: "scanner" is then CUR_EINVAL. Call
 * before sharing the tokenizer between threads. */
int tok_set_pretokenizer(tok_tokenizer *t, const char *name, cur_err *err);

#endif
