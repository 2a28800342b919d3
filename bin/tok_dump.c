#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "tokenizer/pretok.h"
#include "tokenizer/tok_extra.h"
#include "tokenizer/tokenizer.h"
#include "shards/reader.h"

/* tok-dump: show how text splits into Llama 3 tokens, or decode ids. */

enum mode { MODE_TOKENS, MODE_IDS, MODE_DECODE, MODE_STATS, MODE_COLOR };

typedef struct dump_opts {
	enum mode mode;
	const char *file;
	const char *tokenizer;
	const char *pretokenizer;
	int allow_special;
	int color; /* 1 always, 0 when stdout is a TTY, -1 never */
	const char *shard;   /* --shard DIR/NAME */
	long long seq;       /* --seq K (default 0) */
	int docs;            /* --docs */
} dump_opts;

enum { OPT_TOKENIZER = 256, OPT_PRETOK, OPT_ALLOW, OPT_COLOR, OPT_DECODE, OPT_IDS, OPT_STATS,
       OPT_SHARD, OPT_SEQ, OPT_DOCS };

static const struct option long_opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "tokenizer", required_argument, NULL, OPT_TOKENIZER },
	{ "pretokenizer", required_argument, NULL, OPT_PRETOK },
	{ "allow-special", no_argument, NULL, OPT_ALLOW },
	{ "color", optional_argument, NULL, OPT_COLOR },
	{ "decode", no_argument, NULL, OPT_DECODE },
	{ "ids", no_argument, NULL, OPT_IDS },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "docs", no_argument, NULL, OPT_DOCS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tok-dump [options] [TEXT...]\n"
		"       tok-dump [options] -f FILE\n"
		"       echo TEXT | tok-dump [options]\n"
		"       tok-dump --decode ID...\n\n"
		"Shows each token of the text on a line: id, bytes (escaped), decoded text.\n\n"
		"  -f, --file FILE        read the text from FILE ('-': stdin)\n"
		"      --ids              print only the ids, space-separated\n"
		"      --decode           treat the arguments (or stdin) as ids; print their bytes\n"
		"      --stats            characters, bytes, tokens, bytes per token\n"
		"      --shard DIR/NAME   a token shard: decode sequence --seq K (default 0),\n"
		"                         or list its documents with --docs\n"
		"      --color[=WHEN]     the text with alternating token colours\n"
		"                         (WHEN: auto [default: on a TTY], always, never)\n"
		"      --allow-special    encode special-token strings as their ids\n"
		"      --tokenizer FILE   tiktoken or tokenizer.json (default: Llama 3)\n"
		"      --pretokenizer P   scanner (default) or pcre2\n"
		"  -h, --help             this help\n");
}

static int parse_args(int argc, char **argv, dump_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "f:h", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->file = optarg; break;
		case OPT_TOKENIZER: o->tokenizer = optarg; break;
		case OPT_PRETOK: o->pretokenizer = optarg; break;
		case OPT_ALLOW: o->allow_special = 1; break;
		case OPT_DECODE: o->mode = MODE_DECODE; break;
		case OPT_IDS: o->mode = MODE_IDS; break;
		case OPT_STATS: o->mode = MODE_STATS; break;
		case OPT_SHARD: o->shard = optarg; break;
		case OPT_SEQ: {
			char *end;
			o->seq = strtoll(optarg, &end, 10);
			if (*end || o->seq < 0) {
				fprintf(stderr, "tok-dump: --seq takes a sequence number\n");
				return 2;
			}
			break;
		}
		case OPT_DOCS: o->docs = 1; break;
		case OPT_COLOR:
			o->mode = MODE_COLOR;
			if (!optarg || strcmp(optarg, "auto") == 0) {
				o->color = 0;
			} else if (strcmp(optarg, "always") == 0) {
				o->color = 1;
			} else if (strcmp(optarg, "never") == 0) {
				o->color = -1;
			} else {
				fprintf(stderr, "tok-dump: --color takes auto, always or never\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 2;
		}
	}
	return 0;
}

static int read_stream(FILE *f, cur_buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		CUR_FORWARD(cur_buf_append(b, chunk, n));
	return ferror(f) ? CUR_EIO : CUR_OK;
}

/* The input text: -f FILE, the arguments joined by spaces, or stdin. */
static int read_input(const dump_opts *o, int argc, char **argv, cur_buf *b)
{
	if (o->file && strcmp(o->file, "-") != 0) {
		FILE *f = fopen(o->file, "rb");
		int rc;
		if (!f) {
			fprintf(stderr, "tok-dump: cannot open '%s': %s\n", o->file, strerror(errno));
			return CUR_EIO;
		}
		rc = read_stream(f, b);
		fclose(f);
		return rc;
	}
	if (!o->file && argc > 0) {
		for (int i = 0; i < argc; i++) {
			if (i)
				CUR_FORWARD(cur_buf_putc(b, ' '));
			CUR_FORWARD(cur_buf_append(b, argv[i], strlen(argv[i])));
		}
		return CUR_OK;
	}
	return read_stream(stdin, b);
}

/* Bytes as a C string: printable ASCII kept, the rest escaped. */
static void put_escaped(FILE *f, const unsigned char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		switch (c) {
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\\': fputs("\\\\", f); break;
		case '"': fputs("\\\"", f); break;
		default:
			if (c >= 0x20 && c < 0x7F)
				fputc(c, f);
			else
				fprintf(f, "\\x%02x", c);
		}
	}
	fputc('"', f);
}

/* Decoded text: valid characters as they are, except controls (escaped);
 * a byte that is not valid UTF-8 on its own (a token may hold part of a
 * character) as U+FFFD. */
static void put_decoded(FILE *f, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len = tok_utf8_decode(p + i, n - i, &cp);
		if (cp == UINT32_MAX)
			fputs("\xEF\xBF\xBD", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(p + i, 1, len, f);
		i += len;
	}
}

static size_t count_chars(const unsigned char *p, size_t n)
{
	size_t i = 0, chars = 0;

	while (i < n) {
		uint32_t cp;
		i += tok_utf8_decode(p + i, n - i, &cp);
		chars++;
	}
	return chars;
}

static int decode_ids(const tok_tokenizer *t, int argc, char **argv)
{
	cur_buf in, out;
	tok_ids ids;
	int rc = 0;

	cur_buf_init(&in, (size_t)1 << 32);
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	tok_ids_init(&ids);
	if (argc > 0) {
		for (int i = 0; i < argc; i++) {
			cur_buf_append(&in, argv[i], strlen(argv[i]));
			cur_buf_putc(&in, ' ');
		}
	} else if (read_stream(stdin, &in) < 0) {
		fprintf(stderr, "tok-dump: cannot read stdin\n");
		rc = 3;
		goto out;
	}
	for (char *p = in.data, *end; p && *p;) {
		unsigned long v;
		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == ',' || *p == '\r')
			p++;
		if (!*p)
			break;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || errno || v > UINT32_MAX ||
		    (*end && *end != ' ' && *end != '\n' && *end != '\t' && *end != ',' && *end != '\r')) {
			fprintf(stderr, "tok-dump: not a token id: '%.20s'\n", p);
			rc = 2;
			goto out;
		}
		if (tok_ids_push(&ids, (uint32_t)v) < 0) {
			rc = 3;
			goto out;
		}
		p = end;
	}
	if (tok_decode(t, ids.ids, ids.len, &out) < 0) {
		for (size_t i = 0; i < ids.len; i++)
			if (ids.ids[i] >= tok_vocab_size(t)) {
				fprintf(stderr, "tok-dump: unknown token id %u (vocabulary size %zu)\n",
					ids.ids[i], tok_vocab_size(t));
				break;
			}
		rc = 1;
		goto out;
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
out:
	cur_buf_release(&in);
	cur_buf_release(&out);
	tok_ids_release(&ids);
	return rc;
}

static void print_tokens(const tok_tokenizer *t, const dump_opts *o, const tok_ids *ids,
			 const cur_buf *text)
{
	static const char *const bg[] = { "\033[48;5;153m", "\033[48;5;223m",
					  "\033[48;5;157m", "\033[48;5;218m" };
	int color = o->color > 0 || (o->color == 0 && isatty(STDOUT_FILENO));

	switch (o->mode) {
	case MODE_IDS:
		for (size_t i = 0; i < ids->len; i++)
			printf(i ? " %u" : "%u", ids->ids[i]);
		putchar('\n');
		break;
	case MODE_STATS: {
		size_t chars = count_chars((const unsigned char *)text->data, text->len);
		printf("characters\t%zu\nbytes\t%zu\ntokens\t%zu\nbytes_per_token\t%.3f\n", chars,
		       text->len, ids->len, ids->len ? (double)text->len / (double)ids->len : 0.0);
		break;
	}
	case MODE_COLOR:
		for (size_t i = 0; i < ids->len; i++) {
			size_t n;
			const char *p = tok_token_bytes(t, ids->ids[i], &n);
			if (color)
				fputs(bg[i % 4], stdout);
			fwrite(p, 1, n, stdout);
			if (color)
				fputs("\033[0m", stdout);
		}
		if (text->len && text->data[text->len - 1] != '\n')
			putchar('\n');
		break;
	default:
		for (size_t i = 0; i < ids->len; i++) {
			size_t n;
			const unsigned char *p = (const unsigned char *)tok_token_bytes(t, ids->ids[i], &n);
			printf("%u\t", ids->ids[i]);
			put_escaped(stdout, p, n);
			putchar('\t');
			put_decoded(stdout, p, n);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	dump_opts o;
	tok_tokenizer *t = NULL;
	cur_err err;
	cur_buf text;
	tok_ids ids;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	argc -= optind;
	argv += optind;
	cur_err_clear(&err);
	if (tok_load(o.tokenizer, &t, &err) < 0 ||
	    (o.pretokenizer && tok_set_pretokenizer(t, o.pretokenizer, &err) < 0)) {
		fprintf(stderr, "tok-dump: %s\n", err.msg);
		tok_free(t);
		return err.code == CUR_EINVAL ? 2 : 3;
	}
	if (o.shard) {
		cur_buf out;
		cur_buf_init(&out, CUR_BUF_UNLIMITED);
		rc = o.docs ? shard_dump_docs(o.shard, &out, &err)
			    : shard_dump_seq(o.shard, (uint64_t)o.seq, t, &out, &err);
		if (rc < 0)
			fprintf(stderr, "tok-dump: %s\n", err.msg);
		else
			fwrite(out.data ? out.data : "", 1, out.len, stdout);
		cur_buf_release(&out);
		tok_free(t);
		return rc == CUR_OK ? 0 : rc == CUR_EINVAL ? 2 : rc == CUR_EDATA ? 1 : 3;
	}
	if (o.mode == MODE_DECODE) {
		rc = decode_ids(t, argc, argv);
		tok_free(t);
		return rc;
	}
	cur_buf_init(&text, (size_t)1 << 34);
	tok_ids_init(&ids);
	if (read_input(&o, argc, argv, &text) < 0) {
		rc = 3;
	} else if (tok_encode(t, text.data ? text.data : "", text.len, o.allow_special, &ids) < 0) {
		fprintf(stderr, "tok-dump: cannot encode the text\n");
		rc = 1;
	} else {
		print_tokens(t, &o, &ids, &text);
	}
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "tok-dump: cannot write: %s\n", strerror(errno));
		rc = 3;
	}
	cur_buf_release(&text);
	tok_ids_release(&ids);
	tok_free(t);
	return rc;
}
