/* The JSON fast path for the one field that is large: the text.
 *
 * jansson parses and writes everything else, but a document's text is most
 * of its bytes, and going through jansson's tree costs it ~10x over what a
 * string scanner needs (BENCHMARKS.md, ingest). So the text is found,
 * decoded and encoded here, and jansson sees the record with the text
 * replaced by null. Shared inside core/ only. */
#ifndef CUR_JSON_TEXT_H
#define CUR_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

/* cur_json_find_member: in the JSON object line p[0..n), find the top-level
 * member named key (unescaped in the line) and return the offset of its
 * value's first byte, or -1 when absent or the line is not an object we can
 * scan (the caller then lets jansson decide). */
long cur_json_find_member(const char *p, size_t n, const char *key);

/* cur_json_decode_string: decode the JSON string starting at p[0] == '"'
 * into out. OUT: *used is the bytes consumed including both quotes;
 * *repairs counts lone surrogates replaced by U+FFFD; *respelled is 1 when
 * it holds a \u or \/ escape (cur_json_encode_string writes neither).
 * Returns CUR_OK or CUR_EDATA (with *why) for an unterminated string, a bad
 * escape or a raw control character. */
int cur_json_decode_string(const char *p, size_t n, cur_buf *out, size_t *used,
			   size_t *repairs, int *respelled, const char **why);

/* cur_json_skip_value: offset just past the JSON value at p (string,
 * number, literal, or nested object/array), or -1 when malformed. */
long cur_json_skip_value(const char *p, size_t n);

/* cur_json_encode_string: append s[0..n) as a JSON string (with quotes). */
int cur_json_encode_string(const char *s, size_t n, cur_buf *out);

/* cur_json_minify_inplace: check that p[0..n) is one valid JSON object with
 * a string member text_field and a string "id" (no lone surrogates), and
 * remove its insignificant whitespace in place. Returns the new length and
 * the decoded text length in *text_len, or 0 with p untouched when the
 * record needs the full path: invalid, pretty-printed, a key with an escape
 * or twice in one object (the full path refuses the record), or missing
 * what the fast path assumes. The caller has checked that p is valid
 * UTF-8. */
size_t cur_json_minify_inplace(char *p, size_t n, const char *text_field, size_t *text_len);

/* cur_json_respelled: 0 when a parse of the JSON object p[0..n) and
 * cur_doc_to_json would spell every value as these bytes do (its strings
 * use no \u or \/ escape, its numbers are integers of at most 18
 * characters and not -0), whatever the whitespace; 1 otherwise, or when p
 * is not such an object (a key twice in one object among them). */
int cur_json_respelled(const char *p, size_t n);

/* cur_json_light: where cur_json_scan_light found what a text-only reader
 * takes from a record. Offsets are into the line; -1 when absent. */
typedef struct cur_json_light {
	size_t text_at;   /* the text member's string, at its '"' */
	size_t text_len;  /* its decoded length */
	long id_at;       /* the "id" member's value (any type) */
	size_t id_len;    /* its length in the line */
	long meta_at;     /* the string key names, as cur_doc_meta_str finds it:
			   * metadata[key], else the top-level member key */
	size_t meta_len;
	long top_at;      /* (the top-level one, while scanning) */
	size_t top_len;
} cur_json_light;

/* cur_json_scan_light: check that p[0..n) is one JSON object that jansson
 * would read exactly as this scan does; find its "id" and the string named
 * key (may be NULL), and decode its text_field string into text (room for
 * n bytes, apart from p; not terminated) as it goes. Returns 0, or -1 when
 * the record must take the full parse: invalid JSON, a lone surrogate, a
 * key with an escape, a key twice in one object (the full parse refuses
 * the record), over 256 keys open at once, a number jansson might refuse (over 18 characters or with an
 * exponent), nesting over 256, a missing or non-string text, or invalid
 * UTF-8 (it checks the strings; a byte over 0x7F elsewhere is invalid
 * JSON). Reads p only. */
int cur_json_scan_light(const char *p, size_t n, const char *text_field, const char *key,
			cur_json_light *l, char *text);

/* cur_json_decode_light: decode the JSON string p[0..n) (p[0] == '"') into
 * out, which has room for n bytes and does not overlap p (bytes after the
 * decoded ones may be overwritten; no terminator). OUT: *len its decoded
 * length, *used the bytes consumed with both quotes. Returns 0, or -1 for
 * what the light scan refuses: a bad escape, a lone surrogate, a raw
 * control character, invalid UTF-8, no closing quote. */
int cur_json_decode_light(const char *p, size_t n, char *out, size_t *len, size_t *used);

#endif
