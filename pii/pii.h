/* PII detection, validation and redaction.
 *
 * A pii_detector holds the compiled PCRE2 patterns (JIT) and is shared
 * read-only by every thread; each thread brings its own pii_scratch (match
 * data, JIT stack). pii_detect() finds candidates with cheap byte scans
 * ('@' for e-mail, number starts for cards, phones, IPs, literal prefixes for
 * secrets), confirms each with an anchored pattern and validates it in plain
 * C (Luhn, IBAN mod-97, IP ranges, SSN rules, numbering plans). Spans are
 * byte offsets into the UTF-8 text, sorted and never overlapping. */
#ifndef PII_H
#define PII_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/error.h"

enum pii_type {
	PII_EMAIL, PII_IP, PII_PHONE, PII_CARD, PII_IBAN, PII_SSN, PII_SECRET,
	PII_NTYPES
};
#define PII_TYPES_ALL ((1u << PII_NTYPES) - 1)

typedef struct pii_span {
	size_t start, end;   /* byte offsets, [start, end) */
	enum pii_type type;
} pii_span;

/* A growable span list; the caller owns it (pii_spans_release frees v). */
typedef struct pii_spans {
	pii_span *v;
	size_t n, cap;
} pii_spans;

void pii_spans_release(pii_spans *s);

/* pii_type_name: presidio's entity name ("EMAIL_ADDRESS", ...). */
const char *pii_type_name(enum pii_type t);
/* pii_type_short: the short tag ("EMAIL", "IP", "PHONE", "CARD", ...). */
const char *pii_type_short(enum pii_type t);
/* pii_types_parse: a comma-separated list of short names, presidio names or
 * lower-case names ("email,ip") into a bit set. OUT: *mask. */
int pii_types_parse(const char *list, unsigned *mask, cur_err *err);

typedef struct pii_opts {
	unsigned types;  /* bit set of 1u << PII_* */
	int ip_all;      /* also report private, loopback, reserved addresses */
} pii_opts;

typedef struct pii_detector pii_detector;
typedef struct pii_scratch pii_scratch;

/* pii_detector_new: compile the patterns. NULL on error (err says why). */
pii_detector *pii_detector_new(const pii_opts *o, cur_err *err);
void pii_detector_free(pii_detector *d);

/* pii_scratch_new: per-thread match state for d. NULL when out of memory. */
pii_scratch *pii_scratch_new(const pii_detector *d);
void pii_scratch_free(pii_scratch *s);

/* pii_detect: find the spans in text (n bytes of valid UTF-8) and append
 * them to out (sorted by start, non-overlapping). Returns CUR_OK or
 * CUR_ENOMEM. */
int pii_detect(const pii_detector *d, pii_scratch *s, const char *text, size_t n,
	       pii_spans *out);

/* Validators (plain C, exported for the tests). Each returns 1 for valid. */
int pii_luhn_ok(const char *digits, size_t n);
/* pii_card_ok: a card number of n digits (no separators): issuer prefix,
 * issuer length and Luhn. */
int pii_card_ok(const char *digits, size_t n);
/* pii_iban_ok: n characters, no spaces, either case: country length table
 * and mod-97. */
int pii_iban_ok(const char *s, size_t n);
/* pii_iban_length: the IBAN length of a country code (2 letters), 0 if none. */
int pii_iban_length(const char *cc);
/* pii_ipv4_parse / pii_ipv6_parse: parse exactly n bytes. OUT: addr. */
int pii_ipv4_parse(const char *s, size_t n, uint8_t addr[4]);
int pii_ipv6_parse(const char *s, size_t n, uint8_t addr[16]);
/* pii_ipv4_public / pii_ipv6_public: 0 for private, loopback, link-local,
 * documentation, multicast and other special-purpose (IANA) ranges. */
int pii_ipv4_public(const uint8_t a[4]);
int pii_ipv6_public(const uint8_t a[16]);
/* pii_ssn_ok: area, group and serial of a US SSN as 9 digits. */
int pii_ssn_ok(const char *digits9);
/* pii_phone_class: the phone rules on a candidate s[0..n) (digits, separators,
 * a leading '+', parentheses, an extension). Returns the strength: 0 reject, 1 needs context, 2 accept. */
int pii_phone_class(const char *s, size_t n);
/* pii_email_ok: shape checks on a matched address (TLD not a file
 * extension, no "@2x." asset names, no "..", local part edges). */
int pii_email_ok(const char *s, size_t n);

/* Redaction. */
enum pii_redact_mode { PII_REDACT_TAG, PII_REDACT_FAKE };

typedef struct pii_redactor {
	enum pii_redact_mode mode;
	/* tag template: "{TYPE}" becomes the presidio name, "{SHORT}" the short
	 * one, e.g. "|||{TYPE}|||" (dolma) or "<{SHORT}>". Borrowed. */
	const char *tag_format;
	uint64_t seed;   /* fakes: the same span text maps to the same fake */
} pii_redactor;

/* pii_redact: append text with every span replaced to out. Bytes outside
 * the spans are copied unchanged; replacements are ASCII, so the result is
 * valid UTF-8. Returns CUR_OK or CUR_ENOMEM / CUR_ELIMIT. */
int pii_redact(const pii_redactor *r, const char *text, size_t n, const pii_spans *sp,
	       cur_buf *out);

/* pii_tag_format_check: CUR_EINVAL unless fmt is a usable template. */
int pii_tag_format_check(const char *fmt, cur_err *err);

#endif
