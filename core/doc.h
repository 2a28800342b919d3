/* The document: what flows between stages.
 *
 * A document is one JSON object ({"id", "text", "source", "metadata", ...});
 * every field the input had is kept in obj and written back unchanged. The
 * text is held apart, length-counted (so U+0000 survives) and always valid
 * UTF-8. The document owns obj and text; obj holds a null under "text" (the
 * text itself lives only in text). Replace the text with cur_doc_set_text or
 * cur_doc_take_text. id, source and metadata are borrowed views into obj
 * valid until the document is released. */
#ifndef CUR_DOC_H
#define CUR_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "core/buf.h"
#include "core/error.h"

/* Per-stage data attached to a document (a signature, token ids), keyed by
 * the stage that made it; freed with the document. */
typedef struct cur_attach {
	const void *key;
	void *ptr;
	void (*free_fn)(void *);
	struct cur_attach *next;
} cur_attach;

typedef struct cur_doc {
	json_t *obj;          /* the whole record; owned */
	char *text;           /* UTF-8, NUL-terminated, text_len bytes */
	size_t text_len;
	const char *origin;   /* input file name, for messages (not owned) */
	uint64_t record;      /* 1-based line or record number in origin */
	uint64_t seq;         /* 0-based position in the whole input stream */
	/* Set by a stage that drops the document (see cur_doc_drop). */
	const char *drop_reason; /* "STAGE:rule", static storage */
	double drop_value;
	size_t utf8_repairs;  /* invalid sequences replaced at ingest */
	unsigned text_edits;  /* times the text was replaced (cur_doc_take_text) */
	int raw_json;         /* 1: text holds the unparsed JSON line (reader);
			       * 2: text holds the checked, minified record,
			       * written as it is (cur_doc_pass_raw) */
	size_t raw_text_len;  /* raw_json 2: length of the decoded text */
	/* With raw: a write of the parsed record would spell some value
	 * otherwise than raw does (cur_json_respelled: an escape, a number, a
	 * repeated key). Dedup's apply pass reads it. */
	int raw_respelled;
	/* The record as read (valid UTF-8 JSON, owned), kept so that a document
	 * no stage changed is written back without re-serializing. Any change
	 * (cur_doc_metadata, cur_doc_set_text, ...) sets dirty. */
	char *raw;
	size_t raw_len;
	int dirty;
	cur_attach *attached;
	/* A light document (cur_doc_parse_light) has no obj: light holds its
	 * id, a NUL, and the string light_key named (light_meta, or NULL). */
	char *light;
	const char *light_key;   /* borrowed from the caller */
	const char *light_meta;  /* into light */
} cur_doc;

void cur_doc_init(cur_doc *d);
void cur_doc_release(cur_doc *d);

/* cur_doc_id: the "id" string ("" when absent). */
const char *cur_doc_id(const cur_doc *d);
/* cur_doc_source: the "source" string ("" when absent). */
const char *cur_doc_source(const cur_doc *d);
/* cur_doc_metadata: the "metadata" object, created empty when absent. It
 * may be changed, so the record counts as modified from then on. */
json_t *cur_doc_metadata(cur_doc *d);
/* cur_doc_meta_str: metadata[key] as a string, or the top-level field of
 * that name, or NULL. */
const char *cur_doc_meta_str(const cur_doc *d, const char *key);

/* cur_doc_set_text: replace the text with a copy of s (must be valid UTF-8). */
int cur_doc_set_text(cur_doc *d, const char *s, size_t n);
/* cur_doc_take_text: replace the text, taking ownership of s (malloc'd,
 * NUL-terminated at s[n]). */
void cur_doc_take_text(cur_doc *d, char *s, size_t n);

/* cur_doc_drop: mark the document dropped; reason is "stage:rule" in static
 * storage, value the measured statistic (NAN when none). Returns CUR_DROP. */
int cur_doc_drop(cur_doc *d, const char *reason, double value);

/* cur_doc_from_json: build a document from a parsed record, taking obj. The
 * text comes from text_field (must be a string); a missing id becomes
 * "<origin>:<record>". On error obj is freed and err says why. */
int cur_doc_from_json(cur_doc *d, json_t *obj, const char *text_field,
		      const char *origin, uint64_t record, cur_err *err);

/* cur_doc_parse_light: for a reader that needs only the text, the id and
 * at most one string (key, for cur_doc_meta_str; may be NULL): take them
 * from the raw line left by the reader (raw_json 1) without building the
 * JSON tree, decoding the text while the line is checked. Returns 1 when
 * done (the line is freed), 0 when the record needs cur_doc_parse_raw
 * (which then sees it untouched): invalid UTF-8 or JSON, or anything
 * jansson might read differently (see cur_json_scan_light). A light document answers cur_doc_id and
 * cur_doc_meta_str(d, key) as the full parse would; it has no obj, so
 * other fields read as absent, and it must not be changed or written. */
int cur_doc_parse_light(cur_doc *d, const char *text_field, const char *key);

/* cur_basename: the part of path after its last '/' (documents name their
 * source file this way, so outputs do not depend on where data lives). */
const char *cur_basename(const char *path);

/* cur_json_string_repaired: s as a JSON string, invalid UTF-8 repaired to
 * U+FFFD (a file name, a WARC header field: jansson refuses invalid UTF-8).
 * NULL only when out of memory. */
json_t *cur_json_string_repaired(const char *s);

/* cur_doc_new_text: a document with the given id, text and source (each
 * copied, repaired to valid UTF-8). */
int cur_doc_new_text(cur_doc *d, const char *id, const char *text, size_t n,
		     const char *source);

/* cur_doc_attach: attach ptr under key (replacing an earlier one, which is
 * freed); free_fn (may be NULL) runs when the document is released. */
int cur_doc_attach(cur_doc *d, const void *key, void *ptr, void (*free_fn)(void *));
void *cur_doc_attached(const cur_doc *d, const void *key);

/* cur_drop_json: {"dropped_by": reason, "value": v} of a dropped document
 * (value only when it has one); a new reference. cur_doc_note_drop: put it
 * under metadata.curate, as the rejects file holds it. */
json_t *cur_drop_json(const cur_doc *d);
int cur_doc_note_drop(cur_doc *d);

/* cur_doc_to_json: append the record as one JSON line (with '\n') to out.
 * The text is written under "text" whatever field it was read from. */
int cur_doc_to_json(cur_doc *d, cur_buf *out);

#endif
