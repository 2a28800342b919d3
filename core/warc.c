#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <archive.h>
#include <archive_entry.h>
#include "core/charset.h"
#include "core/reader_int.h"

/* WARC 0.17 to 1.1 and WET: "WARC/x.y" line, named header fields, a blank
 * line, Content-Length bytes of block, then CRLF CRLF. Old crawlers end lines
 * with a bare LF, so we accept both. As datatrove's reader does, responses
 * (HTTP status 200 unless all_status) and conversions become documents by
 * default; resource and metadata records (wget writes its log there) only
 * when asked for. The payload must be textual; web payloads are decoded from
 * their charset to UTF-8 (core/charset.h). The rest is counted as skipped. */

#define WARC_MAX_HEADER (64 * 1024)

typedef struct warc_head {
	char type[32];
	char uri[2048];
	char date[64];
	char record_id[256];
	char content_type[256];
	long long length;
} warc_head;

static void copy_field(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* WARC 1.0 and wget write URIs in angle brackets (<https://...>); the
 * document keeps the URI alone, so that one URL is one string. */
static void strip_angles(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

static int field_is(const char *line, size_t n, const char *name, const char **val, size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return 0;
	*val = line + k + 1;
	*vlen = n - k - 1;
	return 1;
}

static void parse_field(warc_head *h, const char *line, size_t n)
{
	const char *v;
	size_t vn;
	char num[32];

	if (field_is(line, n, "WARC-Type", &v, &vn))
		copy_field(h->type, sizeof(h->type), v, vn);
	else if (field_is(line, n, "WARC-Target-URI", &v, &vn)) {
		copy_field(h->uri, sizeof(h->uri), v, vn);
		strip_angles(h->uri);
	}
	else if (field_is(line, n, "WARC-Date", &v, &vn))
		copy_field(h->date, sizeof(h->date), v, vn);
	else if (field_is(line, n, "WARC-Record-ID", &v, &vn))
		copy_field(h->record_id, sizeof(h->record_id), v, vn);
	else if (field_is(line, n, "Content-Type", &v, &vn))
		copy_field(h->content_type, sizeof(h->content_type), v, vn);
	else if (field_is(line, n, "Content-Length", &v, &vn)) {
		char *end;

		copy_field(num, sizeof(num), v, vn);
		h->length = strtoll(num, &end, 10);
		if (end == num || *end || h->length < 0)
			h->length = -1;
	}
}

/* Skip CR/LF (and stray blanks) between records. */
static void skip_gap(cur_stream *s)
{
	for (;;) {
		size_t n = cur_stream_fill(s, 1);
		const char *p = cur_stream_peek(s);
		size_t i = 0;

		while (i < n && (p[i] == '\r' || p[i] == '\n' || p[i] == ' ' || p[i] == '\t'))
			i++;
		cur_stream_consume(s, i);
		if (i < n || n == 0)
			return;
	}
}

/* Find the next "WARC/" at the start of a line at or after offset from. */
static void resync(cur_stream *s, size_t from)
{
	cur_stream_consume(s, from < cur_stream_avail(s) ? from : cur_stream_avail(s));
	for (;;) {
		size_t n = cur_stream_fill(s, 6);
		const char *p = cur_stream_peek(s);
		const char *hit = n >= 6 ? memmem(p, n, "\nWARC/", 6) : NULL;

		if (hit) {
			cur_stream_consume(s, (size_t)(hit - p) + 1);
			return;
		}
		if (s->eof || s->failed) {
			cur_stream_consume(s, n);
			return;
		}
		cur_stream_consume(s, n - 5);
		cur_stream_fill(s, cur_stream_avail(s) + 65536);
	}
}

static int read_head(cur_stream *s, warc_head *h, size_t *head_len)
{
	size_t off = 0;

	memset(h, 0, sizeof(*h));
	h->length = -1;
	for (;;) {
		size_t seen = 0, n;
		const char *p;
		long nl;

		cur_stream_fill(s, off + 1);
		if (cur_stream_avail(s) <= off)
			return CUR_EOF;
		/* Search from off for the end of this header line. */
		{
			const char *base = cur_stream_peek(s);
			const char *hit;

			for (;;) {
				size_t avail = cur_stream_avail(s);

				hit = memchr(cur_stream_peek(s) + off, '\n', avail - off);
				if (hit || avail > WARC_MAX_HEADER || s->eof || s->failed)
					break;
				cur_stream_fill(s, avail + 4096);
			}
			(void)base;
			(void)seen;
			if (!hit)
				return CUR_EDATA;
			nl = hit - cur_stream_peek(s);
		}
		p = cur_stream_peek(s) + off;
		n = (size_t)nl - off;
		if (n && p[n - 1] == '\r')
			n--;
		off = (size_t)nl + 1;
		if (n == 0) {
			*head_len = off;
			return CUR_OK;
		}
		parse_field(h, p, n);
		if (off > WARC_MAX_HEADER)
			return CUR_EDATA;
	}
}

/* Pages and plain text (and the warc-fields of metadata records);
 * stylesheets, scripts and images are not documents. */
static int textual(const char *ct)
{
	if (strcasestr(ct, "css") || strcasestr(ct, "javascript") || strcasestr(ct, "svg"))
		return 0;
	return ct[0] == '\0' || strncasecmp(ct, "text/", 5) == 0 || strcasestr(ct, "html") ||
	       strcasestr(ct, "warc-fields");
}

static const struct {
	const char *name;
	unsigned bit;
} warc_types[] = {
	{"response", CUR_WARC_RESPONSE}, {"conversion", CUR_WARC_CONVERSION},
	{"resource", CUR_WARC_RESOURCE}, {"metadata", CUR_WARC_METADATA},
};

static unsigned type_bit(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(warc_types) / sizeof(warc_types[0]); i++)
		if (strlen(warc_types[i].name) == n && strncasecmp(warc_types[i].name, name, n) == 0)
			return warc_types[i].bit;
	return 0;
}

int cur_warc_types_parse(const char *list, unsigned *out)
{
	unsigned mask = 0;

	while (*list) {
		size_t n = strcspn(list, ", ");
		unsigned bit = type_bit(list, n);

		if (n && !bit)
			return CUR_EINVAL;
		mask |= bit;
		list += n;
		list += strspn(list, ", ");
	}
	if (!mask)
		return CUR_EINVAL;
	*out = mask;
	return CUR_OK;
}

/* Undo HTTP chunked transfer coding into out; 0 when malformed. */
static int unchunk(const char *p, size_t n, cur_buf *out)
{
	size_t i = 0;

	while (i < n) {
		char *end;
		unsigned long len = strtoul(p + i, &end, 16);
		const char *nl = memchr(p + i, '\n', n - i);

		if (end == p + i || !nl)
			return 0;
		i = (size_t)(nl - p) + 1;
		if (len == 0)
			return 1;
		if (len > n - i || cur_buf_append(out, p + i, len))
			return 0;
		i += len;
		while (i < n && (p[i] == '\r' || p[i] == '\n'))
			i++;
	}
	return 1;
}

/* Content-Encoding: none, one libarchive decodes, one we cannot read
 * (brotli, deflate). */
enum { ENC_NONE, ENC_DECODABLE, ENC_OTHER };

/* Undo a gzip or zstd Content-Encoding into out, at most max bytes. A body
 * that turns out not to be compressed (archivers that stored it decoded
 * kept the header) comes back as it is; a cut stream keeps what decoded.
 * 0 when nothing could be read. */
static int decode_content(const char *p, size_t n, size_t max, cur_buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char chunk[65536];
	la_ssize_t got = 0;

	if (!a)
		return 0;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, p, n) == ARCHIVE_OK &&
	    archive_read_next_header(a, &e) == ARCHIVE_OK) {
		while ((got = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			if (out->len + (size_t)got > max || cur_buf_append(out, chunk, (size_t)got))
				break;
	}
	archive_read_free(a);
	return out->len > 0;
}

/* An HTTP response block: status line, headers, blank line, payload. */
static int http_payload(const char *p, size_t n, char *ctype, size_t ccap, size_t *body,
			int *status, int *encoded, int *chunked)
{
	size_t i = 0;

	*status = 0;
	*encoded = 0;
	*chunked = 0;
	if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
		return 0;
	{
		const char *sp = memchr(p, ' ', n < 32 ? n : 32);

		if (sp)
			*status = (int)strtol(sp + 1, NULL, 10);
	}
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len;
		const char *v;
		size_t vn;

		if (!nl)
			return 0;
		len = (size_t)(nl - (p + i));
		if (len && p[i + len - 1] == '\r')
			len--;
		if (len == 0) {
			*body = (size_t)(nl - p) + 1;
			return 1;
		}
		if (field_is(p + i, len, "Content-Type", &v, &vn))
			copy_field(ctype, ccap, v, vn);
		else if (field_is(p + i, len, "Content-Encoding", &v, &vn)) {
			char enc[32];

			copy_field(enc, sizeof(enc), v, vn);
			if (!strcasecmp(enc, "gzip") || !strcasecmp(enc, "x-gzip") ||
			    !strcasecmp(enc, "zstd"))
				*encoded = ENC_DECODABLE;
			else if (strcasecmp(enc, "identity") != 0)
				*encoded = ENC_OTHER;
		} else if (field_is(p + i, len, "Transfer-Encoding", &v, &vn)) {
			char enc[32];

			copy_field(enc, sizeof(enc), v, vn);
			if (strcasecmp(enc, "chunked") == 0)
				*chunked = 1;
		}
		i = (size_t)(nl - p) + 1;
	}
	return 0;
}

/* The payload as UTF-8 text in doc: decoded from its charset for web
 * payloads (decode: responses and resources), repaired otherwise. */
static int payload_doc(cur_doc *doc, const char *id, const char *p, size_t n,
		       const char *ctype, int decode, const char *origin, const char **charset)
{
	cur_charset cs;
	cur_buf text;
	size_t errors = 0;
	int rc;

	*charset = NULL;
	if (!decode)
		return cur_doc_new_text(doc, id, p, n, cur_basename(origin));
	cur_charset_sniff(p, n, ctype, strcasestr(ctype, "html") != NULL, &cs);
	*charset = cs.name;
	if (!cs.iconv)
		return cur_doc_new_text(doc, id, p + cs.bom, n - cs.bom, cur_basename(origin));
	cur_buf_init(&text, CUR_BUF_UNLIMITED);
	rc = cur_charset_to_utf8(&cs, p + cs.bom, n - cs.bom, &text, &errors);
	if (rc == CUR_EINVAL) {
		/* This glibc lacks the encoding: keep what UTF-8 repair gives. */
		*charset = "utf-8";
		rc = cur_doc_new_text(doc, id, p + cs.bom, n - cs.bom, cur_basename(origin));
	} else if (rc == CUR_OK) {
		rc = cur_doc_new_text(doc, id, text.data ? text.data : "", text.len,
				      cur_basename(origin));
		doc->utf8_repairs += errors;
	}
	cur_buf_release(&text);
	return rc;
}

static int warc_doc(const cur_warc_state *w, const warc_head *h, const char *block, size_t n,
		    size_t max, const char *origin, cur_doc *doc, int *skip)
{
	char ctype[256];
	const char *payload = block, *charset;
	size_t plen = n, body = 0;
	int status = 0, encoded = ENC_NONE, chunked = 0, rc;
	unsigned type = type_bit(h->type, strlen(h->type));
	json_t *m;
	char id[256];
	cur_buf dechunked, decoded;

	*skip = 1;
	if (!(w->types & type))
		return CUR_OK;
	snprintf(ctype, sizeof(ctype), "%s", h->content_type);
	if (type == CUR_WARC_RESPONSE) {
		if (strncmp(h->uri, "dns:", 4) == 0)
			return CUR_OK;
		if (http_payload(block, n, ctype, sizeof(ctype), &body, &status, &encoded, &chunked)) {
			if (encoded == ENC_OTHER)
				return CUR_OK;
			payload = block + body;
			plen = n - body;
		}
		/* A response that is not HTTP has no status to pass. */
		if (status != 200 && !w->all_status)
			return CUR_OK;
	} else if (type == CUR_WARC_CONVERSION && !ctype[0]) {
		snprintf(ctype, sizeof(ctype), "text/plain");
	}
	if (!textual(ctype) || plen == 0)
		return CUR_OK;
	snprintf(id, sizeof(id), "%s", h->record_id);
	strip_angles(id);
	if (!id[0]) /* no WARC-Record-ID: FILE:RECORD, as a JSONL record without id */
		snprintf(id, sizeof(id), "%s:%llu", cur_basename(origin),
			 (unsigned long long)w->record);
	cur_buf_init(&dechunked, CUR_BUF_UNLIMITED);
	cur_buf_init(&decoded, CUR_BUF_UNLIMITED);
	/* Some archivers store the body already de-chunked but keep the header:
	 * when it does not parse as chunks, take it as it is. */
	if (chunked && unchunk(payload, plen, &dechunked)) {
		payload = dechunked.data ? dechunked.data : "";
		plen = dechunked.len;
	}
	rc = CUR_OK;
	if (encoded == ENC_DECODABLE) {
		if (decode_content(payload, plen, max, &decoded)) {
			payload = decoded.data;
			plen = decoded.len;
		} else {
			rc = 1;
		}
	}
	if (rc == CUR_OK)
		rc = payload_doc(doc, id, payload, plen, ctype,
				 type == CUR_WARC_RESPONSE || type == CUR_WARC_RESOURCE, origin,
				 &charset);
	cur_buf_release(&dechunked);
	cur_buf_release(&decoded);
	if (rc == 1)
		return CUR_OK;   /* undecodable: skipped */
	if (rc)
		return rc;
	m = cur_doc_metadata(doc);
	json_object_set_new(m, "url", cur_json_string_repaired(h->uri));
	json_object_set_new(m, "date", cur_json_string_repaired(h->date));
	json_object_set_new(m, "warc_record_id", cur_json_string_repaired(h->record_id));
	json_object_set_new(m, "warc_type", cur_json_string_repaired(h->type));
	json_object_set_new(m, "content_type", cur_json_string_repaired(ctype));
	if (charset)
		json_object_set_new(m, "charset", json_string(charset));
	if (status)
		json_object_set_new(m, "http_status", json_integer(status));
	*skip = 0;
	return CUR_OK;
}

static int record_error(cur_err *err, const char *reason, const char *origin,
			uint64_t record, uint64_t offset, const char *what)
{
	err->reason = reason;
	return cur_err_set(err, CUR_EDATA, "%s:%llu: %s (WARC record at byte %llu)", origin,
			   (unsigned long long)record, what, (unsigned long long)offset);
}

/* After the block: CRLF CRLF, then the next record or the end. */
static int block_end_ok(cur_stream *s, size_t at)
{
	size_t n = cur_stream_fill(s, at + 4 + 5);
	const char *p = cur_stream_peek(s);
	size_t i = at;

	while (i < n && i < at + 4 && (p[i] == '\r' || p[i] == '\n'))
		i++;
	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= n)
		return s->eof && !s->failed;
	return n - i >= 5 && memcmp(p + i, "WARC/", 5) == 0;
}

int cur_warc_next(cur_stream *s, cur_warc_state *w, const char *origin, size_t max_doc_bytes,
		  cur_doc *doc, cur_err *err)
{
	for (;;) {
		warc_head h;
		size_t head_len = 0, avail;
		uint64_t offset;
		int rc, skip;

		skip_gap(s);
		if (cur_stream_fill(s, 5) == 0) {
			if (s->failed)
				goto truncated;
			return CUR_EOF;
		}
		offset = s->consumed;
		w->record++;
		if (cur_stream_avail(s) < 5 || memcmp(cur_stream_peek(s), "WARC/", 5) != 0) {
			resync(s, 1);
			return record_error(err, "bad_warc_record", origin, w->record, offset,
					    "not a WARC record header");
		}
		rc = read_head(s, &h, &head_len);
		if (rc != CUR_OK) {
			if (s->failed)
				goto truncated;
			resync(s, 1);
			return record_error(err, "bad_warc_record", origin, w->record, offset,
					    "unterminated WARC header");
		}
		if (h.length < 0) {
			resync(s, head_len);
			return record_error(err, "bad_warc_record", origin, w->record, offset,
					    "missing or invalid Content-Length");
		}
		if ((unsigned long long)h.length > max_doc_bytes) {
			/* Too big to hold, or an absurd length: either way the next
			 * record is found by its "WARC/" line, as after any wrong
			 * length, so that a wrong one costs this record only. */
			resync(s, head_len);
			return record_error(err, "document_too_long", origin, w->record, offset,
					    "Content-Length over the document limit");
		}
		avail = cur_stream_fill(s, head_len + (size_t)h.length);
		if (avail < head_len + (size_t)h.length) {
			if (s->failed)
				goto truncated;
			/* The input ends inside the block: either the last record is cut
			 * short or its Content-Length is wrong; later records, if any, are
			 * found again by their "WARC/" line. */
			resync(s, head_len);
			return record_error(err, "bad_content_length", origin, w->record, offset,
					    "Content-Length runs past the end of the input");
		}
		if (!block_end_ok(s, head_len + (size_t)h.length)) {
			if (s->failed && cur_stream_avail(s) < head_len + (size_t)h.length + 4)
				goto truncated;
			resync(s, head_len);
			return record_error(err, "bad_content_length", origin, w->record, offset,
					    "wrong Content-Length: the record does not end where it says");
		}
		rc = warc_doc(w, &h, cur_stream_peek(s) + head_len, (size_t)h.length, max_doc_bytes,
			      origin, doc, &skip);
		cur_stream_consume(s, head_len + (size_t)h.length);
		if (rc)
			return cur_err_set(err, rc, "out of memory");
		if (skip) {
			w->skipped++;
			continue;
		}
		doc->origin = origin;
		doc->record = w->record;
		return CUR_OK;
	}
truncated:
	return cur_stream_broke(s, origin, w->record, err);
}
