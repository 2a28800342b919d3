/* The Llama 3 tokenizer: byte-level BPE in the tiktoken style, bit-exact with
 * Hugging Face tokenizers and tiktoken.
 *
 * A loaded tokenizer is read-only: any number of threads may encode and
 * decode with it at once. Encoding appends to a caller-owned tok_ids buffer,
 * so the hot path allocates nothing once the buffer has grown. */
#ifndef TOK_TOKENIZER_H
#define TOK_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/error.h"

typedef struct tok_tokenizer tok_tokenizer;

typedef struct tok_ids {
	uint32_t *ids;
	size_t len, cap;
} tok_ids;

void tok_ids_init(tok_ids *v);
void tok_ids_release(tok_ids *v);

enum {
	TOK_BEGIN_OF_TEXT = 128000,
	TOK_END_OF_TEXT = 128001,
	TOK_EOT_ID = 128009
};

/* tok_load: load a tiktoken file or a Hugging Face tokenizer.json (detected
 * from content). path NULL loads the default Llama 3 vocabulary: the installed
 * $(datadir)/curate/tokenizers/llama3.tiktoken, else the source tree's copy.
 * The tiktoken format carries no special tokens: the Llama 3 ones (ids from
 * the vocabulary size up) are added, or read from a .tsv beside the file. */
int tok_load(const char *path, tok_tokenizer **out, cur_err *err);
void tok_free(tok_tokenizer *t);

/* tok_encode: append the ids of text[0..len) to out. With allow_special,
 * special-token strings become their ids (HF tokenizers); without, they are
 * ordinary text (Meta's tokenizer.py defaults). */
int tok_encode(const tok_tokenizer *t, const char *text, size_t len, int allow_special,
	       tok_ids *out);

/* tok_decode: append the bytes of ids to out (CUR_EINVAL for an unknown id). */
int tok_decode(const tok_tokenizer *t, const uint32_t *ids, size_t n, cur_buf *out);

/* tok_token_bytes: the bytes of one id (not NUL-terminated), or NULL. */
const char *tok_token_bytes(const tok_tokenizer *t, uint32_t id, size_t *len);

/* tok_vocab_size: ranks plus special tokens (128256 for Llama 3). */
size_t tok_vocab_size(const tok_tokenizer *t);

/* tok_checksum: sha256 hex of the vocabulary file as loaded (65 bytes). */
const char *tok_checksum(const tok_tokenizer *t);

#endif
