/* Readers: one interface over JSON Lines, plain text, archives of text files
 * and WARC/WET, all decompressed by libarchive (gzip, zstd, xz, bzip2) with
 * the format detected from content, not the name. */
#ifndef CUR_READER_H
#define CUR_READER_H

#include <stdint.h>
#include "core/doc.h"
#include "core/error.h"

typedef struct cur_reader_opts {
	const char *text_field;   /* JSONL field holding the text ("text") */
	int split_paragraphs;     /* plain text: a document per blank-line block */
	size_t max_doc_bytes;     /* longer records are skipped (64 MiB) */
	/* Record-level slicing for one large file: keep records whose index
	 * % world == rank (world 1 keeps all). */
	int rank, world;
	/* Read the file on a thread of its own, a few 1 MiB blocks ahead: for
	 * a caller that reads on one thread and has a core to spare. Plain
	 * and compressed files only (an archive is read without it). */
	int prefetch;
	/* WARC: the record types that become documents (default response and
	 * conversion), and whether a response of any HTTP status does (default:
	 * 200 only). */
	unsigned warc_types;
	int warc_all_status;
} cur_reader_opts;

enum {
	CUR_WARC_RESPONSE = 1, CUR_WARC_CONVERSION = 2, CUR_WARC_RESOURCE = 4,
	CUR_WARC_METADATA = 8,
	CUR_WARC_DEFAULT = CUR_WARC_RESPONSE | CUR_WARC_CONVERSION
};

/* cur_warc_types_parse: "response,resource" -> CUR_WARC_* bits in *out;
 * CUR_EINVAL for an unknown type or an empty list. */
int cur_warc_types_parse(const char *list, unsigned *out);

void cur_reader_opts_init(cur_reader_opts *o);

/* cur_slice_has: does slice rank of world (--rank/--world) take input i of
 * n? Several inputs are sliced by file, in consecutive blocks (rank R takes
 * files [R*n/N, (R+1)*n/N)), so that the slices' outputs one after the other,
 * in rank order, are the whole run's; one input is sliced by record, by the
 * reader (rank and world above), and every slice opens it. */
int cur_slice_has(size_t n, size_t i, int rank, int world);

typedef struct cur_reader cur_reader;

/* cur_reader_open: open path ("-" is stdin). path is borrowed and must
 * outlive every document read from it (documents name it as their origin). */
int cur_reader_open(cur_reader **out, const char *path, const cur_reader_opts *o, cur_err *err);

/* cur_reader_next: the next document into doc (initialized by the caller).
 * Returns CUR_OK, CUR_EOF at the end, CUR_EDATA for one bad record (err says
 * "FILE:LINE: reason" and err->reason is the report key; the next call goes
 * on after it), or CUR_EIO when the stream cannot go on (a truncated
 * compressed stream: what came before was already returned).
 * JSONL lines come back unparsed (doc->raw_json = 1): the caller parses them
 * with cur_doc_parse_raw(), so that parsing can run on worker threads. */
int cur_reader_next(cur_reader *r, cur_doc *doc, cur_err *err);

/* cur_reader_next_line: for JSONL input, cur_reader_next without the copy:
 * the raw line (no newline) is borrowed from the reader and valid until
 * the next call on r; *record is its line number. CUR_EINVAL when the
 * input is not JSON Lines (use cur_reader_next); other returns as there. */
int cur_reader_next_line(cur_reader *r, const char **line, size_t *n, uint64_t *record,
			 cur_err *err);
/* cur_reader_read: cur_reader_next, then the parse of a JSONL line (with
 * the reader's text_field) on the same thread: for callers outside the
 * pipeline, which have no workers to parse on. Same returns; a line that does
 * not parse is CUR_EDATA. */
int cur_reader_read(cur_reader *r, cur_doc *doc, cur_err *err);

/* cur_doc_parse_raw: parse a raw JSON line left by the reader. */
int cur_doc_parse_raw(cur_doc *doc, const char *text_field, cur_err *err);

/* cur_doc_pass_raw: for a pipeline with no stages: check the raw line and
 * keep it as a minified record to be written unchanged (raw_json = 2),
 * without decoding the text. Returns 1 when done, 0 when the line needs the
 * full parse (cur_doc_parse_raw) to be repaired or reported. */
int cur_doc_pass_raw(cur_doc *doc, const char *text_field);

/* cur_reader_bytes: compressed bytes consumed so far (for progress). */
uint64_t cur_reader_bytes(const cur_reader *r);

/* cur_reader_format: "jsonl", "text", "archive", "warc" (after the first next). */
const char *cur_reader_format(const cur_reader *r);
void cur_reader_close(cur_reader *r);

#endif
