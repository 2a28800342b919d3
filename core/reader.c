#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/reader.h"
#include "core/reader_int.h"
#include "core/json_text.h"
#include "core/utf8.h"

enum reader_format { FMT_UNKNOWN, FMT_JSONL, FMT_TEXT, FMT_ARCHIVE, FMT_WARC };

struct cur_reader {
	const char *path;         /* borrowed: documents point at it */
	cur_reader_opts o;
	struct archive *a;
	cur_source *src;          /* owned by a */
	enum reader_format fmt;
	cur_stream s;
	uint64_t line;            /* last line read (JSONL, text) */
	uint64_t index;           /* records seen, for --rank/--world slicing */
	int done;
	cur_warc_state warc;
	struct archive_entry *entry; /* current archive member */
	int pending_entry;           /* open() already read its header */
	int binary;                  /* "text" with a NUL byte: refused */
};

void cur_reader_opts_init(cur_reader_opts *o)
{
	o->text_field = "text";
	o->split_paragraphs = 0;
	o->max_doc_bytes = (size_t)64 << 20;
	o->rank = 0;
	o->world = 1;
	o->prefetch = 0;
	o->warc_types = CUR_WARC_DEFAULT;
	o->warc_all_status = 0;
}


/* ---- opening and format detection ---- */

int cur_stream_broke(cur_stream *s, const char *origin, uint64_t record, cur_err *err)
{
	if (s->os_errno) {
		err->reason = "unreadable_input";
		return cur_err_set(err, CUR_EIO, "cannot read '%s': %s", origin,
				   strerror(s->os_errno));
	}
	err->reason = "truncated_stream";
	return cur_err_set(err, CUR_EDATA, "%s:%llu: truncated or corrupt input (%s)", origin,
			   (unsigned long long)record, s->errmsg[0] ? s->errmsg : "read error");
}

/* The stream broke: the input ends here (reported once). */
static int reader_broke(cur_reader *r, uint64_t record, cur_err *err)
{
	r->done = 1;
	return cur_stream_broke(&r->s, r->path, record, err);
}

static void close_archive(cur_reader *r)
{
	archive_read_free(r->a);
	cur_source_free(r->src);
	r->a = NULL;
	r->src = NULL;
}

/* A new libarchive reader of path, up to its first header: an ARCHIVE_*
 * status, or CUR_ENOMEM. *os_errno: the file could not be opened. */
static int open_archive(cur_reader *r, const char *path, int prefetch, int raw_only,
			int *os_errno)
{
	int rc;

	r->a = archive_read_new();
	r->src = NULL;
	*os_errno = 0;
	if (!r->a)
		return CUR_ENOMEM;
	archive_read_support_filter_all(r->a);
	if (!raw_only) {
		archive_read_support_format_tar(r->a);
		archive_read_support_format_zip(r->a);
		archive_read_support_format_cpio(r->a);
		archive_read_support_format_7zip(r->a);
		archive_read_support_format_empty(r->a);
	}
	archive_read_support_format_raw(r->a);
	rc = cur_source_open(r->a, path, prefetch, &r->src, os_errno);
	if (rc == ARCHIVE_OK)
		rc = archive_read_next_header(r->a, &r->entry);
	return rc;
}

/* Why open_archive failed (rc), as cur_reader_open returns it: the file
 * cannot be read (CUR_EIO), or its bytes are not what they claim
 * (CUR_EDATA: a corrupt or truncated stream, an archive with nothing in
 * it), which costs this input only. */
static int open_failed(cur_reader *r, const char *path, int rc, int os_errno, cur_err *err)
{
	const char *m;

	if (os_errno || cur_source_errno(r->src)) {
		err->reason = "unreadable_input";
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path,
				   strerror(os_errno ? os_errno : cur_source_errno(r->src)));
	}
	m = cur_source_error(r->src);
	if (!m && rc == ARCHIVE_EOF) {
		err->reason = "empty_archive";
		return cur_err_set(err, CUR_EDATA, "%s: no documents: an archive with no members "
				   "(or only NUL bytes)", path);
	}
	if (!m)
		m = archive_error_string(r->a);
	err->reason = "truncated_stream";
	return cur_err_set(err, CUR_EDATA, "%s: truncated or corrupt input (%s)", path,
			   m ? m : "unreadable");
}

static int is_regular(const char *path)
{
	struct stat st;

	return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An input that ends before its first byte of content is empty, unless
 * its bytes were an archive's (a tar of NUL blocks) or a stream broke. */
static int open_empty_ok(cur_reader *r)
{
	return !cur_source_error(r->src) && (archive_format(r->a) == ARCHIVE_FORMAT_EMPTY ||
					      archive_format(r->a) == ARCHIVE_FORMAT_RAW);
}

/* Does the file start with a zip's first local header? */
static int starts_like_zip(const char *path)
{
	char head[4];
	FILE *f = fopen(path, "rb");
	int yes = f && fread(head, 1, 4, f) == 4 && memcmp(head, "PK\003\004", 4) == 0;

	if (f)
		fclose(f);
	return yes;
}

/* libarchive finds a zip by the record at its end, which can turn up inside
 * any file, and a tar by blocks of NUL bytes. A container with no members,
 * or a zip whose first member cannot be read though the file does not start
 * like one, is such a false find: the file is read again as the bytes it
 * holds (NUL bytes are then binary data). A pipe cannot be read again. */
static int false_container_find(cur_reader *r, int rc, const char *path)
{
	if (cur_source_error(r->src) || !is_regular(path))
		return 0;
	if (rc == ARCHIVE_EOF)
		return !open_empty_ok(r);
	return rc < ARCHIVE_WARN && rc != CUR_ENOMEM &&
	       (archive_format(r->a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP &&
	       !starts_like_zip(path);
}

int cur_reader_open(cur_reader **out, const char *path, const cur_reader_opts *o, cur_err *err)
{
	cur_reader *r = calloc(1, sizeof(*r));
	int rc, os_errno;

	*out = NULL;
	if (!r)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	r->path = path;
	if (o)
		r->o = *o;
	else
		cur_reader_opts_init(&r->o);
	if (r->o.world < 1)
		r->o.world = 1;
	r->warc.types = r->o.warc_types ? r->o.warc_types : CUR_WARC_DEFAULT;
	r->warc.all_status = r->o.warc_all_status;
	int prefetch = r->o.prefetch && strcmp(path, "-") != 0;

	rc = open_archive(r, path, 0, 0, &os_errno);
	if ((rc == ARCHIVE_OK || rc == ARCHIVE_WARN) && prefetch &&
	    archive_format(r->a) == ARCHIVE_FORMAT_RAW) {
		/* A plain or compressed file: open it again with read-ahead. The
		 * format is found without it first, because finding a zip can
		 * take a look at the end of the file, and read-ahead cannot seek;
		 * every format read-ahead could find, that look found too. */
		close_archive(r);
		rc = open_archive(r, path, 1, 0, &os_errno);
		if ((rc == ARCHIVE_OK || rc == ARCHIVE_WARN) &&
		    archive_format(r->a) != ARCHIVE_FORMAT_RAW) { /* should it disagree */
			close_archive(r);
			rc = open_archive(r, path, 0, 0, &os_errno);
		}
	}
	if (false_container_find(r, rc, path)) {
		close_archive(r);
		rc = open_archive(r, path, 0, 1, &os_errno);
	}
	if (rc == CUR_ENOMEM) {
		free(r);
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	if (rc == ARCHIVE_EOF && open_empty_ok(r)) {
		r->done = 1;
	} else if (rc == ARCHIVE_EOF || rc < ARCHIVE_WARN) {
		rc = open_failed(r, path, rc, os_errno, err);
		close_archive(r);
		free(r);
		return rc;
	}
	r->s.a = r->a;
	r->s.src = r->src;
	if (!r->done && archive_format(r->a) != ARCHIVE_FORMAT_RAW) {
		r->fmt = FMT_ARCHIVE;
		r->pending_entry = 1;
	}
	*out = r;
	return CUR_OK;
}

/* A file or member with a NUL byte near its start is binary, not text. */
static int looks_binary(const char *p, size_t n)
{
	return memchr(p, '\0', n < 8192 ? n : 8192) != NULL;
}

/* Content decides: WARC files start "WARC/", JSON Lines with '{', and
 * anything else is plain text unless it looks binary. */
static void reader_sniff(cur_reader *r)
{
	size_t n = cur_stream_fill(&r->s, 64), i = 0;
	const char *p = cur_stream_peek(&r->s);

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (n - i >= 5 && memcmp(p + i, "WARC/", 5) == 0)
		r->fmt = FMT_WARC;
	else if (i < n && p[i] == '{')
		r->fmt = FMT_JSONL;
	else
		r->fmt = FMT_TEXT;
	if (r->fmt == FMT_TEXT) {
		n = cur_stream_fill(&r->s, 8192);
		r->binary = looks_binary(cur_stream_peek(&r->s), n);
	}
}

const char *cur_reader_format(const cur_reader *r)
{
	static const char *names[] = { "unknown", "jsonl", "text", "archive", "warc" };

	return names[r->fmt];
}

int cur_slice_has(size_t n, size_t i, int rank, int world)
{
	if (n <= 1 || world <= 1)
		return 1;
	return i >= n * (size_t)rank / (size_t)world && i < n * (size_t)(rank + 1) / (size_t)world;
}

/* Keep this record under --rank/--world record slicing? */
static int reader_take(cur_reader *r)
{
	uint64_t i = r->index++;

	return (int)(i % (uint64_t)r->o.world) == r->o.rank;
}

/* ---- JSON Lines ---- */

static int line_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* Skip the rest of an over-long line. */
static void skip_line(cur_stream *s)
{
	for (;;) {
		size_t seen = 0;
		long off = cur_stream_find(s, '\n', READ_CHUNK, &seen);

		if (off >= 0) {
			cur_stream_consume(s, (size_t)off + 1);
			return;
		}
		cur_stream_consume(s, seen);
		/* The source may have ended with the rest of the line still in
		 * the window. */
		if (cur_stream_avail(s) == 0 && (s->eof || s->failed))
			return;
	}
}

/* next_line: the next line into p and n (without '\n'); CUR_EOF, CUR_EDATA
 * (too long, skipped; or the stream broke, ending the input) or CUR_EIO
 * (the file cannot be read). */
static int next_line(cur_reader *r, const char **p, size_t *n, cur_err *err)
{
	cur_stream *s = &r->s;
	size_t seen = 0;
	long off = cur_stream_find(s, '\n', r->o.max_doc_bytes + 1, &seen);

	r->line++;
	if (off >= 0) {
		*p = cur_stream_peek(s);
		*n = (size_t)off;
		cur_stream_consume(s, (size_t)off + 1);
		return CUR_OK;
	}
	if (seen > r->o.max_doc_bytes) {
		skip_line(s);
		err->reason = "line_too_long";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: line longer than %zu bytes", r->path,
				   (unsigned long long)r->line, r->o.max_doc_bytes);
	}
	if (s->failed) {
		cur_stream_consume(s, cur_stream_avail(s));
		return reader_broke(r, r->line, err);
	}
	if (cur_stream_avail(s) == 0) {
		r->line--;
		return CUR_EOF;
	}
	*p = cur_stream_peek(s);
	*n = cur_stream_avail(s);
	cur_stream_consume(s, *n);
	return CUR_OK;
}

/* The next record's line of this rank, borrowed from the stream. */
static int jsonl_line(cur_reader *r, const char **p, size_t *n, cur_err *err)
{
	for (;;) {
		int rc = next_line(r, p, n, err);

		if (rc == CUR_EDATA && !reader_take(r))
			continue;
		if (rc != CUR_OK)
			return rc;
		if (line_blank(*p, *n))
			continue;
		if (!reader_take(r))
			continue;
		if (*n && (*p)[*n - 1] == '\r')
			(*n)--;
		return CUR_OK;
	}
}

static int next_jsonl(cur_reader *r, cur_doc *doc, cur_err *err)
{
	const char *p;
	size_t n;
	int rc = jsonl_line(r, &p, &n, err);

	if (rc != CUR_OK)
		return rc;
	doc->text = cur_strndup(p, n);
	if (!doc->text)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	doc->text_len = n;
	doc->raw_json = 1;
	doc->origin = r->path;
	doc->record = r->line;
	return CUR_OK;
}

#define CUR_EAGAIN_SLOW 100 /* parse_fast: let jansson have the whole line */

/* Records are parsed strictly: an object with a key twice is refused,
 * because readers disagree on which value counts (Python and jq take the
 * last, a streaming scan the first), and a redaction of one could leave
 * the other in the output. */
#define RECORD_FLAGS (JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES)

/* A parse error as a message that never quotes the record, which may hold
 * personal data: jansson's words without its "near '...'" and the byte
 * where it stopped. */
static int json_fail(const cur_doc *doc, const json_error_t *je, size_t pos, cur_err *err)
{
	const char *near = strstr(je->text, " near ");
	int len = near ? (int)(near - je->text) : (int)strlen(je->text);
	const char *what = je->text;

	if (json_error_code(je) == json_error_duplicate_key) {
		err->reason = "duplicate_key";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: a key appears twice in one JSON object "
				   "(byte %zu)", doc->origin, (unsigned long long)doc->record, pos);
	}
	if (strncmp(what, "invalid Unicode", 15) == 0) { /* it quotes the escape */
		what = "invalid Unicode escape";
		len = (int)strlen(what);
	}
	err->reason = "invalid_json";
	return cur_err_set(err, CUR_EDATA, "%s:%llu: invalid JSON: %.*s (byte %zu)", doc->origin,
			   (unsigned long long)doc->record, len, what, pos);
}

/* The fast path: decode the text member ourselves and let jansson parse the
 * rest of the record with a null in its place (core/json_text.h says why). */
static int parse_fast(cur_doc *doc, const char *p, size_t n, const char *text_field,
		      cur_err *err)
{
	long off = cur_json_find_member(p, n, text_field);
	cur_buf text, rest;
	size_t used = 0, repairs = 0;
	int respelled = 0;
	const char *why = NULL;
	json_error_t jerr;
	json_t *obj;
	int rc;

	if (off < 0 || p[off] != '"')
		return CUR_EAGAIN_SLOW;
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	cur_buf_init(&rest, CUR_BUF_UNLIMITED);
	/* The decoded text is never longer than its JSON form: allocate once. */
	if (cur_buf_reserve(&text, n - (size_t)off) || cur_buf_reserve(&rest, n + 4))
		rc = CUR_ENOMEM;
	else
		rc = cur_json_decode_string(p + off, n - (size_t)off, &text, &used, &repairs,
					    &respelled, &why);
	if (rc == CUR_OK && (cur_buf_append(&rest, p, (size_t)off) ||
			     cur_buf_append(&rest, "null", 4) ||
			     cur_buf_append(&rest, p + off + used, n - (size_t)off - used)))
		rc = CUR_ENOMEM;
	if (rc != CUR_OK) {
		cur_buf_release(&text);
		cur_buf_release(&rest);
		if (rc == CUR_ENOMEM)
			return cur_err_set(err, rc, "out of memory");
		err->reason = "invalid_json";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: invalid JSON: %s in '%s' (column %ld)",
				   doc->origin, (unsigned long long)doc->record, why, text_field,
				   off + 1);
	}
	/* How the record is spelled, for writers that copy it (the rest of
	 * the line is small: the text was the large part). */
	respelled |= cur_json_respelled(rest.data, rest.len);
	obj = json_loadb(rest.data, rest.len, RECORD_FLAGS, &jerr);
	cur_buf_release(&rest);
	if (!obj) {
		/* The byte in the line: after the text, "null" stood for it. */
		size_t pos = (size_t)jerr.position;

		if (pos > (size_t)off + 4)
			pos = pos - 4 + used;
		cur_buf_release(&text);
		return json_fail(doc, &jerr, pos, err);
	}
	/* cur_doc_from_json copies the (null) text; hand it ours afterwards. */
	json_object_set_new(obj, text_field, json_string(""));
	/* Keep the line itself when it is what we parsed (no UTF-8 repair, no
	 * renamed text field): an unchanged record is written back from it. */
	if (p == doc->text && !repairs && strcmp(text_field, "text") == 0) {
		doc->raw = doc->text;
		doc->raw_len = n;
		doc->raw_respelled = respelled;
	} else {
		free(doc->text);
	}
	doc->text = NULL;
	rc = cur_doc_from_json(doc, obj, text_field, doc->origin, doc->record, err);
	if (rc != CUR_OK) {
		cur_buf_release(&text);
		return rc;
	}
	free(doc->text);
	doc->text_len = text.len;
	doc->text = cur_buf_detach(&text, NULL);
	doc->utf8_repairs += repairs;
	return CUR_OK;
}

int cur_doc_pass_raw(cur_doc *doc, const char *text_field)
{
	size_t text_len = 0, len;

	if (doc->raw_json != 1 || strcmp(text_field, "text") != 0 ||
	    cur_utf8_valid_prefix(doc->text, doc->text_len) != doc->text_len)
		return 0;
	len = cur_json_minify_inplace(doc->text, doc->text_len, text_field, &text_len);
	if (!len)
		return 0;
	doc->text_len = len;
	doc->text[len] = '\0';
	doc->raw_json = 2;
	doc->raw_text_len = text_len;
	return 1;
}

int cur_doc_parse_raw(cur_doc *doc, const char *text_field, cur_err *err)
{
	cur_buf fixed;
	json_error_t jerr;
	json_t *obj;
	const char *p = doc->text;
	size_t n = doc->text_len, repairs = 0;
	char *raw;
	int rc;

	if (doc->raw_json != 1)
		return CUR_OK;
	cur_buf_init(&fixed, CUR_BUF_UNLIMITED);
	if (cur_utf8_valid_prefix(p, n) != n) {
		if (cur_utf8_repair(p, n, &fixed, &repairs)) {
			cur_buf_release(&fixed);
			return cur_err_set(err, CUR_ENOMEM, "out of memory");
		}
		p = fixed.data;
		n = fixed.len;
	}
	rc = parse_fast(doc, p, n, text_field, err);
	if (rc == CUR_EAGAIN_SLOW) {
		obj = json_loadb(p, n, RECORD_FLAGS, &jerr);
		if (!obj) {
			cur_buf_release(&fixed);
			return json_fail(doc, &jerr, (size_t)jerr.position, err);
		}
		raw = doc->text;
		doc->text = NULL;
		rc = cur_doc_from_json(doc, obj, text_field, doc->origin, doc->record, err);
		if (rc != CUR_OK) {
			free(doc->text);
			doc->text = raw; /* keep the raw line for the rejects file */
			cur_buf_release(&fixed);
			return err->code;
		}
		free(raw);
	}
	cur_buf_release(&fixed);
	if (rc != CUR_OK)
		return rc;
	doc->raw_json = 0;
	doc->utf8_repairs += repairs;
	return CUR_OK;
}

/* ---- plain text ---- */

static int text_doc(cur_reader *r, cur_doc *doc, const char *p, size_t n, uint64_t line,
		    cur_err *err)
{
	char id[64];
	cur_buf b;
	int rc;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (r->o.split_paragraphs) {
		snprintf(id, sizeof(id), ":%llu", (unsigned long long)line);
		rc = cur_buf_printf(&b, "%s%s", cur_basename(r->path), id);
	} else {
		rc = cur_buf_printf(&b, "%s", cur_basename(r->path));
	}
	if (rc == CUR_OK)
		rc = cur_doc_new_text(doc, b.data, p, n, cur_basename(r->path));
	cur_buf_release(&b);
	if (rc)
		return cur_err_set(err, rc, "out of memory");
	doc->origin = r->path;
	doc->record = line;
	return CUR_OK;
}

static int next_text_whole(cur_reader *r, cur_doc *doc, cur_err *err)
{
	cur_stream *s = &r->s;
	size_t n;

	r->done = 1;
	n = cur_stream_fill(s, r->o.max_doc_bytes + 1);
	if (n > r->o.max_doc_bytes) {
		err->reason = "document_too_long";
		return cur_err_set(err, CUR_EDATA, "%s:1: document longer than %zu bytes", r->path,
				   r->o.max_doc_bytes);
	}
	if (s->failed) {
		r->line = 1;
		return reader_broke(r, 1, err);
	}
	if (!reader_take(r))
		return CUR_EOF;
	r->line = 1;
	return text_doc(r, doc, cur_stream_peek(s), n, 1, err);
}

static int next_paragraph(cur_reader *r, cur_doc *doc, cur_err *err)
{
	cur_buf para;
	uint64_t start = 0;
	int rc = CUR_OK;

	cur_buf_init(&para, r->o.max_doc_bytes);
	for (;;) {
		const char *p;
		size_t n;

		rc = next_line(r, &p, &n, err);
		if (rc == CUR_EDATA)
			continue;
		if (rc == CUR_EOF || rc == CUR_EIO) {
			if (para.len && reader_take(r)) {
				int rc2 = text_doc(r, doc, para.data, para.len, start, err);

				rc = rc2 ? rc2 : CUR_OK;
			}
			break;
		}
		if (line_blank(p, n)) {
			if (!para.len)
				continue;
			if (!reader_take(r)) {
				cur_buf_reset(&para);
				continue;
			}
			rc = text_doc(r, doc, para.data, para.len, start, err);
			break;
		}
		if (!para.len)
			start = r->line;
		else
			cur_buf_putc(&para, '\n');
		if (cur_buf_append(&para, p, n) == CUR_ELIMIT) {
			err->reason = "document_too_long";
			rc = cur_err_set(err, CUR_EDATA, "%s:%llu: paragraph longer than %zu bytes",
					 r->path, (unsigned long long)start, r->o.max_doc_bytes);
			cur_buf_reset(&para);
			break;
		}
	}
	cur_buf_release(&para);
	return rc;
}

/* ---- archives: each regular member is a document ---- */

static int member_doc(cur_reader *r, cur_doc *doc, const char *name, cur_err *err)
{
	cur_stream *s = &r->s;
	size_t n;
	int rc;

	/* Each member is its own stream of bytes: reset the window. */
	s->buf = s->own;
	s->pos = s->len = 0;
	s->blk_len = 0;
	s->eof = s->failed = 0;
	n = cur_stream_fill(s, r->o.max_doc_bytes + 1);
	if (s->failed) {
		r->done = 1;
		if (s->os_errno)
			return cur_stream_broke(s, r->path, r->line, err);
		err->reason = "corrupt_archive";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: corrupt archive member '%s' (%s)",
				   r->path, (unsigned long long)r->line, name, s->errmsg);
	}
	if (n > r->o.max_doc_bytes) {
		err->reason = "document_too_long";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: member '%s' longer than %zu bytes",
				   r->path, (unsigned long long)r->line, name, r->o.max_doc_bytes);
	}
	if (looks_binary(cur_stream_peek(s), n)) {
		err->reason = "binary_member";
		return cur_err_set(err, CUR_EDATA, "%s:%llu: member '%s' is binary, skipped", r->path,
				   (unsigned long long)r->line, name);
	}
	rc = cur_doc_new_text(doc, name, cur_stream_peek(s), n, cur_basename(r->path));
	if (rc)
		return cur_err_set(err, rc, "out of memory");
	doc->origin = r->path;
	doc->record = r->line;
	return CUR_OK;
}

static int next_member(cur_reader *r, cur_doc *doc, cur_err *err)
{
	for (;;) {
		int rc = ARCHIVE_OK;

		if (!r->pending_entry)
			rc = archive_read_next_header(r->a, &r->entry);
		r->pending_entry = 0;
		if (rc == ARCHIVE_EOF) {
			const char *m;

			cur_source_drain(r->src);
			m = cur_source_error(r->src);
			r->done = 1;
			if (!m && cur_source_errno(r->src)) {
				r->s.os_errno = cur_source_errno(r->src);
				return cur_stream_broke(&r->s, r->path, r->line, err);
			}
			if (!m)
				return CUR_EOF;
			/* The gzip under the archive broke where the archive ended. */
			r->line++;
			err->reason = "corrupt_archive";
			return cur_err_set(err, CUR_EDATA, "%s:%llu: corrupt archive member (%s)",
					   r->path, (unsigned long long)r->line, m);
		}
		r->line++;
		if (rc < ARCHIVE_WARN) {
			const char *m = cur_source_error(r->src);

			r->done = 1;
			if (cur_source_errno(r->src)) {
				r->s.os_errno = cur_source_errno(r->src);
				return cur_stream_broke(&r->s, r->path, r->line, err);
			}
			if (!m)
				m = archive_error_string(r->a);
			err->reason = "corrupt_archive";
			return cur_err_set(err, CUR_EDATA, "%s:%llu: corrupt archive member (%s)",
					   r->path, (unsigned long long)r->line,
					   m ? m : "unreadable");
		}
		if (rc == ARCHIVE_RETRY) {
			const char *m = archive_error_string(r->a);

			err->reason = "corrupt_archive";
			return cur_err_set(err, CUR_EDATA, "%s:%llu: damaged archive member header (%s)",
					   r->path, (unsigned long long)r->line, m ? m : "skipped");
		}
		if (archive_entry_filetype(r->entry) != AE_IFREG)
			continue;
		if (!reader_take(r))
			continue;
		return member_doc(r, doc, archive_entry_pathname(r->entry), err);
	}
}

int cur_reader_next(cur_reader *r, cur_doc *doc, cur_err *err)
{
	cur_err_clear(err);
	if (r->done && r->fmt != FMT_ARCHIVE)
		return CUR_EOF;
	if (r->fmt == FMT_UNKNOWN)
		reader_sniff(r);
	switch (r->fmt) {
	case FMT_JSONL:
		return next_jsonl(r, doc, err);
	case FMT_TEXT:
		if (r->binary) {
			r->done = 1;
			err->reason = "binary_input";
			return cur_err_set(err, CUR_EDATA, "%s: binary data, not text (a NUL byte "
					   "in its first 8 KiB)", r->path);
		}
		return r->o.split_paragraphs ? next_paragraph(r, doc, err) :
			next_text_whole(r, doc, err);
	case FMT_WARC:
		for (;;) {
			int rc = cur_warc_next(&r->s, &r->warc, r->path, r->o.max_doc_bytes, doc, err);

			if (rc != CUR_OK && rc != CUR_EOF && r->s.failed)
				r->done = 1; /* reported: the input ends here */
			if (rc == CUR_EOF || rc == CUR_EIO || r->done || reader_take(r))
				return rc;
			cur_doc_release(doc);
		}
	case FMT_ARCHIVE:
		if (r->done)
			return CUR_EOF;
		return next_member(r, doc, err);
	default:
		return CUR_EOF;
	}
}

int cur_reader_next_line(cur_reader *r, const char **line, size_t *n, uint64_t *record,
			 cur_err *err)
{
	cur_err_clear(err);
	if (r->fmt == FMT_UNKNOWN && !r->done)
		reader_sniff(r);
	if (r->fmt != FMT_JSONL)
		return CUR_EINVAL;
	if (r->done)
		return CUR_EOF;
	int rc = jsonl_line(r, line, n, err);
	*record = r->line;
	return rc;
}

int cur_reader_read(cur_reader *r, cur_doc *doc, cur_err *err)
{
	int rc = cur_reader_next(r, doc, err);

	if (rc == CUR_OK && doc->raw_json)
		rc = cur_doc_parse_raw(doc, r->o.text_field, err);
	return rc;
}

uint64_t cur_reader_bytes(const cur_reader *r)
{
	return cur_source_bytes(r->src);
}

void cur_reader_close(cur_reader *r)
{
	if (!r)
		return;
	close_archive(r);
	free(r->s.own);
	free(r);
}
