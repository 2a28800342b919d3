/* Unit tests for pii/: validators, detectors (positives and hard
 * negatives), redaction (bytes outside spans unchanged, valid UTF-8,
 * consistent fakes), the stage, and a labelled evaluation on a copy of the
 * presidio synth subset in tests/data/pii. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/doc.h"
#include "core/utf8.h"
#include "pii/pii.h"
#include "pii/stage.h"

#define DATA CUR_SRCDIR "/tests/data/pii/"

static pii_detector *det_all, *det_ipall;

static void setup(void)
{
	pii_opts o = {PII_TYPES_ALL, 0};
	cur_err err;
	det_all = pii_detector_new(&o, &err);
	o.ip_all = 1;
	det_ipall = pii_detector_new(&o, &err);
	ck_assert(det_all && det_ipall);
}

static void teardown(void)
{
	pii_detector_free(det_all);
	pii_detector_free(det_ipall);
}

/* detect: spans of text (a fresh list the caller releases). */
static pii_spans detect(pii_detector *d, const char *text)
{
	pii_spans sp = {0};
	pii_scratch *s = pii_scratch_new(d);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(pii_detect(d, s, text, strlen(text), &sp), CUR_OK);
	pii_scratch_free(s);
	return sp;
}

/* expect: text holds exactly one span, of type t, covering want. */
static void expect(const char *text, enum pii_type t, const char *want)
{
	pii_spans sp = detect(det_all, text);
	const char *at = strstr(text, want);
	ck_assert_ptr_nonnull(at);
	ck_assert_msg(sp.n == 1, "'%s': %zu spans, want 1 (%s)", text, sp.n, want);
	ck_assert_msg(sp.v[0].type == t, "'%s': type %s, want %s", text,
		      pii_type_name(sp.v[0].type), pii_type_name(t));
	ck_assert_msg(sp.v[0].start == (size_t)(at - text) &&
		      sp.v[0].end == (size_t)(at - text) + strlen(want),
		      "'%s': span '%.*s', want '%s'", text, (int)(sp.v[0].end - sp.v[0].start),
		      text + sp.v[0].start, want);
	pii_spans_release(&sp);
}

static void expect_none(const char *text)
{
	pii_spans sp = detect(det_all, text);
	ck_assert_msg(sp.n == 0, "'%s': unexpected %s '%.*s'", text,
		      sp.n ? pii_type_name(sp.v[0].type) : "", sp.n ? (int)(sp.v[0].end -
		      sp.v[0].start) : 0, sp.n ? text + sp.v[0].start : "");
	pii_spans_release(&sp);
}

/* ---- validators --------------------------------------------------------- */

START_TEST(t_luhn_cards)
{
	ck_assert(pii_luhn_ok("79927398713", 11));
	ck_assert(!pii_luhn_ok("79927398710", 11));
	ck_assert(pii_card_ok("4111111111111111", 16));         /* Visa */
	ck_assert(pii_card_ok("4222222222222", 13));            /* Visa 13 */
	ck_assert(pii_card_ok("5555555555554444", 16));         /* Mastercard */
	ck_assert(pii_card_ok("2223003122003222", 16));         /* Mastercard 2-series */
	ck_assert(pii_card_ok("378282246310005", 15));          /* Amex */
	ck_assert(pii_card_ok("6011111111111117", 16));         /* Discover */
	ck_assert(pii_card_ok("3530111333300000", 16));         /* JCB */
	ck_assert(pii_card_ok("30569309025904", 14));           /* Diners */
	ck_assert(pii_card_ok("6304000000000000", 16));         /* Maestro */
	ck_assert(!pii_card_ok("4111111111111112", 16));        /* Luhn */
	ck_assert(!pii_card_ok("378282246310005" "0", 16));     /* Amex is 15 */
	ck_assert(!pii_card_ok("9111111111111111", 16));        /* no issuer */
	ck_assert(!pii_card_ok("41111111111", 11));
}
END_TEST

START_TEST(t_iban)
{
	ck_assert(pii_iban_ok("GB82WEST12345698765432", 22));
	ck_assert(pii_iban_ok("gb82west12345698765432", 22));
	ck_assert(pii_iban_ok("DE89370400440532013000", 22));
	ck_assert(pii_iban_ok("FR1420041010050500013M02606", 27));
	ck_assert(pii_iban_ok("NO9386011117947", 15));
	ck_assert(!pii_iban_ok("GB82WEST12345698765433", 22)); /* mod-97 */
	ck_assert(!pii_iban_ok("GB82WEST1234569876543", 21));  /* length */
	ck_assert(!pii_iban_ok("ZZ82WEST12345698765432", 22)); /* country */
	ck_assert_int_eq(pii_iban_length("DE"), 22);
	ck_assert_int_eq(pii_iban_length("QQ"), 0);
}
END_TEST

START_TEST(t_ip_parse)
{
	uint8_t a[4], b[16];
	ck_assert(pii_ipv4_parse("8.8.8.8", 7, a) && a[0] == 8);
	ck_assert(!pii_ipv4_parse("256.1.1.1", 9, a));
	ck_assert(!pii_ipv4_parse("01.2.3.4", 8, a));    /* leading zero */
	ck_assert(!pii_ipv4_parse("1.2.3", 5, a));
	ck_assert(pii_ipv4_public((uint8_t[]){8, 8, 8, 8}));
	ck_assert(!pii_ipv4_public((uint8_t[]){10, 1, 2, 3}));
	ck_assert(!pii_ipv4_public((uint8_t[]){172, 20, 0, 1}));
	ck_assert(pii_ipv4_public((uint8_t[]){172, 61, 0, 1}));
	ck_assert(!pii_ipv4_public((uint8_t[]){192, 168, 0, 1}));
	ck_assert(!pii_ipv4_public((uint8_t[]){127, 0, 0, 1}));
	ck_assert(!pii_ipv4_public((uint8_t[]){192, 0, 2, 7}));    /* TEST-NET-1 */
	ck_assert(!pii_ipv4_public((uint8_t[]){203, 0, 113, 9}));  /* TEST-NET-3 */
	ck_assert(!pii_ipv4_public((uint8_t[]){100, 64, 1, 1}));   /* CGNAT */
	ck_assert(!pii_ipv4_public((uint8_t[]){224, 0, 0, 1}));
	ck_assert(!pii_ipv4_public((uint8_t[]){255, 255, 255, 255}));
	const char *v6[] = {"2001:4860:4860::8888", "::1", "fe80::1", "::ffff:8.8.8.8",
			    "2606:4700:4700:0:0:0:0:1111", "1:2:3:4:5:6:7::"};
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++)
		ck_assert_msg(pii_ipv6_parse(v6[i], strlen(v6[i]), b), "%s", v6[i]);
	const char *bad6[] = {"1:2:3", "1::2::3", "12345::1", "1:2:3:4:5:6:7:8:9", ":1:2",
			      "1:2:3:4:5:6:7:", "g::1"};
	for (size_t i = 0; i < sizeof bad6 / sizeof bad6[0]; i++)
		ck_assert_msg(!pii_ipv6_parse(bad6[i], strlen(bad6[i]), b), "%s", bad6[i]);
	pii_ipv6_parse("2001:db8::1", 11, b);
	ck_assert(!pii_ipv6_public(b));
	pii_ipv6_parse("fd00::1", 7, b);
	ck_assert(!pii_ipv6_public(b));
	pii_ipv6_parse("::ffff:10.0.0.1", 15, b);
	ck_assert(!pii_ipv6_public(b));
	pii_ipv6_parse("2001:4860:4860::8888", 20, b);
	ck_assert(pii_ipv6_public(b));
}
END_TEST

START_TEST(t_ssn_rules)
{
	ck_assert(pii_ssn_ok("123456780"));
	ck_assert(pii_ssn_ok("853371694"));
	ck_assert(!pii_ssn_ok("000123456"));   /* area 000 */
	ck_assert(!pii_ssn_ok("666123456"));   /* area 666 */
	ck_assert(!pii_ssn_ok("912345678"));   /* area 9xx */
	ck_assert(!pii_ssn_ok("123004567"));   /* group 00 */
	ck_assert(!pii_ssn_ok("123450000"));   /* serial 0000 */
	ck_assert(!pii_ssn_ok("078051120"));   /* the Woolworth card */
}
END_TEST

static int pc(const char *s) { return pii_phone_class(s, strlen(s)); }

START_TEST(t_phone_plans)
{
	/* Accepted without a keyword: plans with their lengths. */
	ck_assert_int_eq(pc("+1 415 555 2671"), 2);       /* NANP */
	ck_assert_int_eq(pc("(415) 555-2671"), 2);
	ck_assert_int_eq(pc("415.555.2671"), 2);
	ck_assert_int_eq(pc("1-800-873-2730"), 2);
	ck_assert_int_eq(pc("+44 20 7946 0958"), 2);      /* UK */
	ck_assert_int_eq(pc("020 7946 0958"), 2);
	ck_assert_int_eq(pc("07700 900123"), 2);
	ck_assert_int_eq(pc("+49 30 901820"), 2);         /* DE */
	ck_assert_int_eq(pc("030 90182000"), 2);
	ck_assert_int_eq(pc("+33 1 42 68 53 00"), 2);     /* FR */
	ck_assert_int_eq(pc("01 42 68 53 00"), 2);
	ck_assert_int_eq(pc("+91 98765 43210"), 2);       /* IN */
	ck_assert_int_eq(pc("98765 43210"), 2);
	ck_assert_int_eq(pc("+86 139 1234 5678"), 2);     /* CN */
	ck_assert_int_eq(pc("139 1234 5678"), 2);
	ck_assert_int_eq(pc("+81 3-1234-5678"), 2);       /* JP */
	ck_assert_int_eq(pc("03-1234-5678"), 2);
	ck_assert_int_eq(pc("+55 11 91234-5678"), 2);     /* BR */
	ck_assert_int_eq(pc("(11) 91234-5678"), 2);
	ck_assert_int_eq(pc("+41 (0)96 471 07 95"), 2);   /* trunk (0) */
	ck_assert_int_eq(pc("001-518-640-0854"), 2);
	ck_assert_int_eq(pc("(898)666-3621x0135"), 2);
	/* Wrong lengths for the plan. */
	ck_assert_int_eq(pc("+1 415 555 267"), 0);
	ck_assert_int_eq(pc("+33 1 42 68 53 00 1"), 0);
	ck_assert_int_eq(pc("+91 98765 4321"), 0);
	ck_assert_int_eq(pc("+1234567890123456"), 0);     /* over 15 digits */
	/* Plausible but plan-less: only with a keyword nearby. */
	ck_assert_int_eq(pc("467 3395"), 1);
	ck_assert_int_eq(pc("60-56-85-91"), 1);
	ck_assert_int_eq(pc("9498777106"), 1);
	/* Not phones. */
	ck_assert_int_eq(pc("2019-12-13"), 0);            /* date */
	ck_assert_int_eq(pc("13.12.2019"), 0);
	ck_assert_int_eq(pc("1879-1964"), 0);             /* years */
	ck_assert_int_eq(pc("978-3-16-148410-0"), 0);     /* ISBN-13 */
	ck_assert_int_eq(pc("0-306-40615-2"), 0);         /* ISBN-10 */
	ck_assert_int_eq(pc("10.0.19041.1234"), 0);       /* version */
	ck_assert_int_eq(pc("192.168.100.200"), 0);       /* dotted quad */
	ck_assert_int_eq(pc("0.5772156649"), 0);          /* decimal */
	ck_assert_int_eq(pc("0111 1000 1001"), 0);        /* binary */
	ck_assert_int_eq(pc("0 1 2 3 5 10 13 15"), 0);    /* list */
	ck_assert_int_eq(pc("12345"), 0);
}
END_TEST

START_TEST(t_email_shape)
{
	ck_assert(pii_email_ok("john@example.com", 16));
	ck_assert(!pii_email_ok("foo@2x.png", 10));
	ck_assert(!pii_email_ok("icon@1.5x.webp", 14));
	ck_assert(!pii_email_ok("getty@tty1.service", 18));
	ck_assert(!pii_email_ok(".john@example.com", 17));
	ck_assert(!pii_email_ok("jo..hn@example.com", 18));
}
END_TEST

/* ---- detectors in text ---------------------------------------------------- */

START_TEST(t_detect_email)
{
	expect("write to john.doe+tag@mail.example.co.uk today", PII_EMAIL,
	       "john.doe+tag@mail.example.co.uk");
	expect("Kontakt: jürgen.müller@beispiel.de.", PII_EMAIL, "jürgen.müller@beispiel.de");
	expect("<用户@例子.公司>", PII_EMAIL, "用户@例子.公司");
	expect("C<exodist@cpan.orgE<gt>", PII_EMAIL, "exodist@cpan.org");
	expect_none("see icon@2x.png and logo@3x.jpg");
	expect_none("npm i lodash@4.17.21, @media screen, @property def x");
	expect_none("systemctl start getty@tty1.service");
	expect_none("user@localhost");
}
END_TEST

START_TEST(t_detect_ip)
{
	expect("client 8.8.4.4 connected", PII_IP, "8.8.4.4");
	expect("RE client_ip = ?%//!%20\\|106.31.73.20|%20/", PII_IP, "106.31.73.20");
	expect("from 2606:4700:4700::1111.", PII_IP, "2606:4700:4700::1111");
	expect("addr 6e40:4041:c617:e898:c11:40d2:c669:2eb4 blocked", PII_IP,
	       "6e40:4041:c617:e898:c11:40d2:c669:2eb4");
	expect_none("gateway 192.168.1.1 and 10.0.0.8 and ::1 and fe80::1");
	expect_none("version 1.2.3.4 released");
	expect_none("tag v1.2.3.4 and 1.2.3.4.5 and 1.2.3.456 and 01.02.03.04");
	expect_none("see section 6.2.4.1. Basic setup");
	expect_none("at 12:30:45 the MAC 00:1A:2B:3C:4D:5E and std::vector and a[1::2]");
	pii_spans sp = detect(det_ipall, "gateway 192.168.1.1 ok");
	ck_assert_int_eq(sp.n, 1);
	ck_assert_int_eq(sp.v[0].type, PII_IP);
	pii_spans_release(&sp);
}
END_TEST

START_TEST(t_detect_phone)
{
	expect("Call +1 (415) 555-2671 now", PII_PHONE, "+1 (415) 555-2671");
	expect("office: 020 7946 0958.", PII_PHONE, "020 7946 0958");
	expect("ruf an: +49 30 901820!", PII_PHONE, "+49 30 901820");
	expect("appelez le 01 42 68 53 00", PII_PHONE, "01 42 68 53 00");
	expect("Phone:\n467 3395\n", PII_PHONE, "467 3395");
	expect("Fax: 9498777106", PII_PHONE, "9498777106");
	expect("416 60 039 office", PII_PHONE, "416 60 039");
	/* From SpamAssassin mails: keyword glued by ':', box borders, '/' lists. */
	expect("Toll free:  1(888) 777-0658     \n", PII_PHONE, "1(888) 777-0658");
	expect("* Jim    I Phone: (256) 824-2610          *", PII_PHONE, "(256) 824-2610");
	expect("TEL:+225 05775748.", PII_PHONE, "+225 05775748");
	expect("<p>Fax:0760-2317010</p>", PII_PHONE, "0760-2317010");
	pii_spans two = detect(det_all, "Tel : 01 56 77 01 20 / 06 81 57 85 47; E-mail");
	ck_assert_int_eq(two.n, 2);
	pii_spans_release(&two);
	expect_none("Message-Id: <200209260124.BAA25810@jlzfcg>");
	expect_none("The meeting is 2019-12-13 12:20:39 in room 4");
	expect_none("ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2");
	expect_none("It costs $1,299.99 or 1 299 EUR; pi is 3.1415926535");
	expect_none("coordinates 40.7128, -74.0060 and 51.5074 N");
	expect_none("so 65000-33000 = 32000 and <<3600-1200=2400>>");
	expect_none("expected 50331648 bytes; call it later");
	expect_none("Copyright (C) 2012-2013 Free Software Foundation");
	expect_none("uuid 550e8400-e29b-41d4-a716-446655440000");
	expect_none("commit 3f786850e387550fdab836ed7e6dc881de23001b");
	expect_none("Arabic digits ٠١٢٣٤٥٦٧٨٩ and full width ４１５５５５２６７１");
	expect_none("license number is 2270-66-1551");
}
END_TEST

START_TEST(t_detect_card_iban_ssn)
{
	expect("card 4111 1111 1111 1111 ok", PII_CARD, "4111 1111 1111 1111");
	expect("amex 3782-822463-10005.", PII_CARD, "3782-822463-10005");
	expect("cc 4007070753690781 on", PII_CARD, "4007070753690781");
	expect("card number 630427373398 is lost", PII_CARD, "630427373398");
	expect_none("order 4111111111111112 shipped");      /* Luhn */
	expect_none("id 630427373398 in table");            /* bare 12 digits */
	expect_none("4111 1111-1111 1111");                 /* mixed separators */
	expect_none("full width ４１１１１１１１１１１１１１１１");
	expect("IBAN GB82 WEST 1234 5698 7654 32 to", PII_IBAN, "GB82 WEST 1234 5698 7654 32");
	expect("my iban is gb42nawi04454264788619", PII_IBAN, "gb42nawi04454264788619");
	expect("DE89370400440532013000.", PII_IBAN, "DE89370400440532013000");
	expect_none("GB82WEST12345698765433 is wrong");
	expect_none("part AB12CDEF3456789012 and XY99 is nothing");
	expect("Here's my SSN: 460-89-9847", PII_SSN, "460-89-9847");
	expect("SSN 123 45 6780", PII_SSN, "123 45 6780");
	expect_none("code 666-12-3456 and 900-12-3456 and 000-12-3456");
	expect_none("part 123 45 6780 in stock");           /* no keyword */
}
END_TEST

START_TEST(t_detect_secrets)
{
	expect("key = AKIAIOSFODNN7EXAMPLE\n", PII_SECRET, "AKIAIOSFODNN7EXAMPLE");
	expect("token ghp_1234567890abcdefghijABCDEFGHIJ123456 x", PII_SECRET,
	       "ghp_1234567890abcdefghijABCDEFGHIJ123456");
	expect("glpat-abcdefghij0123456789 end", PII_SECRET, "glpat-abcdefghij0123456789");
	expect("SLACK xoxb-123456789012-abcdefghijkl", PII_SECRET,
	       "xoxb-123456789012-abcdefghijkl");
	expect("jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.", PII_SECRET,
	       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U");
	expect("db_password = \"hunter2x!\"\n", PII_SECRET, "hunter2x!");
	expect("{\"apiKey\": \"k3y-0f-m1n3\"}", PII_SECRET, "k3y-0f-m1n3");
	expect("AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'", PII_SECRET,
	       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	const char *pem = "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3\n"
			  "xfn/ygWyF8PbnGy0AHB7MhgwMb\n-----END RSA PRIVATE KEY-----\ny";
	char want[256];
	snprintf(want, sizeof want, "%.*s", (int)(strlen(pem) - 4), pem + 2);
	expect(pem, PII_SECRET, want);
	expect_none("password = \"${DB_PASSWORD}\" and password: \"changeme\"");
	expect_none("<input type=\"password\" name=\"password\">");
	expect_none("tokenizer = \"cl100k_base\"; bypass: 'roundabout'");
	expect_none("eyJub3QiOiJqd3QifQ.eyJhIjoxMjM0NTY3OH0.c2lnbmF0dXJlZm9v");
}
END_TEST

START_TEST(t_overlap_and_types)
{
	/* An address that contains a phone-like run is one e-mail. */
	expect("mail 4155552671@txt.att.net ok", PII_EMAIL, "4155552671@txt.att.net");
	pii_opts o = {1u << PII_PHONE, 0};
	cur_err err;
	pii_detector *d = pii_detector_new(&o, &err);
	pii_spans sp = detect(d, "a@b.com +1 415 555 2671 8.8.8.8");
	ck_assert_int_eq(sp.n, 1);
	ck_assert_int_eq(sp.v[0].type, PII_PHONE);
	pii_spans_release(&sp);
	pii_detector_free(d);
	unsigned m;
	ck_assert_int_eq(pii_types_parse("email,IP,PHONE_NUMBER", &m, &err), CUR_OK);
	ck_assert_uint_eq(m, (1u << PII_EMAIL) | (1u << PII_IP) | (1u << PII_PHONE));
	ck_assert_int_eq(pii_types_parse("email,bogus", &m, &err), CUR_EINVAL);
}
END_TEST

/* ---- redaction ------------------------------------------------------------ */

static char *redact(const pii_redactor *r, const char *text, pii_spans *sp)
{
	cur_buf b;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	ck_assert_int_eq(pii_redact(r, text, strlen(text), sp, &b), CUR_OK);
	ck_assert_int_eq(cur_utf8_valid_prefix(b.data, b.len), b.len);
	return cur_buf_detach(&b, NULL);
}

/* outside_unchanged: out is text with each span replaced by something; the
 * bytes between the spans must come through unchanged and in order. Each
 * replacement ends where the next unchanged segment starts. */
static void outside_unchanged(const char *text, const pii_spans *sp, const char *out)
{
	const char *o = out;
	size_t at = 0, n = strlen(text);
	for (size_t k = 0; k <= sp->n; k++) {
		size_t end = k < sp->n ? sp->v[k].start : n;
		ck_assert_msg(!strncmp(o, text + at, end - at), "bytes before span %zu changed", k);
		o += end - at;
		if (k == sp->n)
			break;
		at = sp->v[k].end;
		size_t next = k + 1 < sp->n ? sp->v[k + 1].start : n;
		if (next == at && k + 1 == sp->n) {
			ck_assert_msg(*o, "last span replaced by nothing");
			o += strlen(o); /* the text ends with this span */
			break;
		}
		ck_assert_msg(next > at, "adjacent spans");
		char *seg = strndup(text + at, next - at);
		const char *found = strstr(o, seg);
		free(seg);
		ck_assert_ptr_nonnull(found);
		ck_assert_msg(found > o, "span %zu replaced by nothing", k);
		o = found;
	}
	ck_assert_str_eq(o, "");
}

static const char *mixed_text =
	"Grüße von jürgen@exämple.de — ruf +49 30 901820 an; IP 8.8.4.4; "
	"card 4111-1111-1111-1111; IBAN DE89 3704 0044 0532 0130 00; SSN 123-45-6780; "
	"password = \"s3cr3t-value\" 日本語のテキスト。";

START_TEST(t_redact_tag)
{
	pii_spans sp = detect(det_all, mixed_text);
	ck_assert_int_eq(sp.n, 7);
	pii_redactor r = {PII_REDACT_TAG, "|||{TYPE}|||", 1};
	char *out = redact(&r, mixed_text, &sp);
	ck_assert_str_eq(out, "Grüße von |||EMAIL_ADDRESS||| — ruf |||PHONE_NUMBER||| an; IP "
			 "|||IP_ADDRESS|||; card |||CREDIT_CARD|||; IBAN |||IBAN_CODE|||; SSN "
			 "|||US_SSN|||; password = \"|||SECRET|||\" 日本語のテキスト。");
	outside_unchanged(mixed_text, &sp, out);
	free(out);
	r.tag_format = "<{SHORT}>";
	out = redact(&r, mixed_text, &sp);
	ck_assert(strstr(out, "von <EMAIL> — ruf <PHONE> an; IP <IP>; card <CARD>; IBAN <IBAN>;"));
	free(out);
	pii_spans_release(&sp);
}
END_TEST

START_TEST(t_redact_fake)
{
	pii_spans sp = detect(det_all, mixed_text);
	pii_redactor r = {PII_REDACT_FAKE, NULL, 42};
	char *a = redact(&r, mixed_text, &sp);
	char *b = redact(&r, mixed_text, &sp);
	ck_assert_str_eq(a, b); /* consistent within a run */
	outside_unchanged(mixed_text, &sp, a);
	ck_assert_ptr_null(strstr(a, "jürgen"));
	ck_assert_ptr_null(strstr(a, "4111-1111-1111-1111"));
	ck_assert_ptr_null(strstr(a, "s3cr3t-value"));
	/* The fakes keep their shape and still validate. */
	pii_spans sp2 = detect(det_all, a);
	ck_assert_int_eq(sp2.n, sp.n);
	for (size_t k = 0; k < sp.n; k++)
		ck_assert_int_eq(sp2.v[k].type, sp.v[k].type);
	pii_spans_release(&sp2);
	r.seed = 43;
	char *c = redact(&r, mixed_text, &sp);
	ck_assert_str_ne(a, c);
	free(a);
	free(b);
	free(c);
	pii_spans_release(&sp);
	/* The same address maps to the same fake in another text. */
	const char *t1 = "a: bob@example.org", *t2 = "bob@example.org wrote";
	pii_spans s1 = detect(det_all, t1), s2 = detect(det_all, t2);
	r.seed = 7;
	char *f1 = redact(&r, t1, &s1), *f2 = redact(&r, t2, &s2);
	ck_assert(!strncmp(f1 + 3, f2, strlen(f1) - 3));
	ck_assert(!strncmp(f2 + strlen(f2) - 6, " wrote", 6));
	free(f1);
	free(f2);
	pii_spans_release(&s1);
	pii_spans_release(&s2);
}
END_TEST

/* Redaction of real labelled text, both modes: the output is valid UTF-8
 * and the bytes outside the spans are unchanged (checked by diffing the
 * segments between spans). */
START_TEST(t_redact_real_text)
{
	const char *files[] = {DATA "presidio-subset.jsonl", DATA "debian-changelogs.jsonl",
			       DATA "dolma-cc-emails.jsonl"};
	pii_scratch *s = pii_scratch_new(det_all);
	size_t docs = 0, spans = 0;
	for (size_t fi = 0; fi < 3; fi++) {
		FILE *f = fopen(files[fi], "r");
		ck_assert_ptr_nonnull(f);
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			json_t *d = json_loads(line, 0, NULL);
			const char *text = json_string_value(json_object_get(d, "text"));
			pii_spans sp = {0};
			ck_assert_int_eq(pii_detect(det_all, s, text, strlen(text), &sp), CUR_OK);
			for (int mode = 0; mode < 2 && sp.n; mode++) {
				pii_redactor r = {mode ? PII_REDACT_FAKE : PII_REDACT_TAG, "<{SHORT}>", 3};
				char *out = redact(&r, text, &sp);
				int adjacent = 0;
				for (size_t k = 0; k + 1 < sp.n; k++)
					adjacent |= sp.v[k].end == sp.v[k + 1].start;
				if (!adjacent)
					outside_unchanged(text, &sp, out);
				free(out);
			}
			docs++;
			spans += sp.n;
			pii_spans_release(&sp);
			json_decref(d);
		}
		free(line);
		fclose(f);
	}
	pii_scratch_free(s);
	ck_assert_uint_gt(docs, 400);
	ck_assert_uint_gt(spans, 400);
}
END_TEST

/* ---- labelled evaluation --------------------------------------------------- */

static const char *const eval_types[] = {
	"EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"
};

static int type_index(const char *name)
{
	for (int i = 0; i < 6; i++)
		if (!strcmp(name, eval_types[i]))
			return i;
	return -1;
}

/* cp_to_byte: the byte offset of code point cp in s. */
static size_t cp_to_byte(const char *s, size_t n, size_t cp)
{
	size_t b = 0;
	for (size_t k = 0; k < cp && b < n; k++) {
		b++;
		while (b < n && ((unsigned char)s[b] & 0xC0) == 0x80)
			b++;
	}
	return b;
}

START_TEST(t_presidio_subset)
{
	FILE *f = fopen(DATA "presidio-subset.jsonl", "r");
	ck_assert_ptr_nonnull(f);
	char *line = NULL;
	size_t cap = 0;
	long tp_p[6] = {0}, np[6] = {0}, tp_r[6] = {0}, ng[6] = {0};
	pii_scratch *s = pii_scratch_new(det_all);
	while (getline(&line, &cap, f) > 0) {
		json_t *d = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(d);
		const char *text = json_string_value(json_object_get(d, "text"));
		size_t n = json_string_length(json_object_get(d, "text"));
		pii_spans sp = {0};
		ck_assert_int_eq(pii_detect(det_all, s, text, n, &sp), CUR_OK);
		size_t gi;
		json_t *g, *gold = json_object_get(d, "spans");
		size_t gb[64], ge[64];
		int gt[64], ngold = 0;
		json_array_foreach(gold, gi, g) {
			int t = type_index(json_string_value(json_object_get(g, "type")));
			if (t < 0 || ngold == 64)
				continue;
			gt[ngold] = t;
			gb[ngold] = cp_to_byte(text, n, (size_t)json_integer_value(json_object_get(g, "start")));
			ge[ngold] = cp_to_byte(text, n, (size_t)json_integer_value(json_object_get(g, "end")));
			ngold++;
		}
		for (size_t k = 0; k < sp.n; k++) {
			int t = type_index(pii_type_name(sp.v[k].type));
			if (t < 0)
				continue;
			np[t]++;
			for (int j = 0; j < ngold; j++)
				if (gt[j] == t && sp.v[k].start < ge[j] && gb[j] < sp.v[k].end) {
					tp_p[t]++;
					break;
				}
		}
		for (int j = 0; j < ngold; j++) {
			ng[gt[j]]++;
			for (size_t k = 0; k < sp.n; k++) {
				int t = type_index(pii_type_name(sp.v[k].type));
				if (t == gt[j] && sp.v[k].start < ge[j] && gb[j] < sp.v[k].end) {
					tp_r[t]++;
					break;
				}
			}
		}
		pii_spans_release(&sp);
		json_decref(d);
	}
	free(line);
	fclose(f);
	pii_scratch_free(s);
	for (int t = 0; t < 6; t++) {
		double p = np[t] ? (double)tp_p[t] / (double)np[t] : 1.0;
		double r = ng[t] ? (double)tp_r[t] / (double)ng[t] : 1.0;
		double min = t == 2 ? 0.85 : 0.95;
		ck_assert_msg(ng[t] > 0, "%s: no gold spans", eval_types[t]);
		ck_assert_msg(p >= min && r >= min, "%s: precision %.3f recall %.3f (min %.2f)",
			      eval_types[t], p, r, min);
	}
}
END_TEST

/* Real CC pages with dolma's fixture spans: the two addresses are found, the
 * 0.1-score non-address (": @LearnonScreen") is not. */
START_TEST(t_dolma_emails)
{
	FILE *f = fopen(DATA "dolma-cc-emails.jsonl", "r");
	ck_assert_ptr_nonnull(f);
	char *line = NULL;
	size_t cap = 0;
	int found = 0, want = 0;
	pii_scratch *s = pii_scratch_new(det_all);
	while (getline(&line, &cap, f) > 0) {
		json_t *d = json_loads(line, 0, NULL);
		const char *text = json_string_value(json_object_get(d, "text"));
		size_t n = json_string_length(json_object_get(d, "text"));
		pii_spans sp = {0};
		pii_detect(det_all, s, text, n, &sp);
		size_t i;
		json_t *g;
		json_array_foreach(json_object_get(d, "spans"), i, g) {
			const char *v = json_string_value(json_object_get(g, "value"));
			double score = json_real_value(json_object_get(g, "score"));
			if (strcmp(json_string_value(json_object_get(g, "type")), "email"))
				continue;
			int hit = 0;
			for (size_t k = 0; k < sp.n; k++)
				if (sp.v[k].type == PII_EMAIL && sp.v[k].end - sp.v[k].start == strlen(v) &&
				    !memcmp(text + sp.v[k].start, v, strlen(v)))
					hit = 1;
			if (score > 0.5) {
				want++;
				found += hit;
			} else {
				ck_assert_msg(!hit, "non-address '%s' detected", v);
			}
		}
		for (size_t k = 0; k < sp.n; k++)
			ck_assert_msg(sp.v[k].type == PII_EMAIL || sp.v[k].type == PII_PHONE ||
				      sp.v[k].type == PII_IP, "unexpected %s",
				      pii_type_name(sp.v[k].type));
		pii_spans_release(&sp);
		json_decref(d);
	}
	free(line);
	fclose(f);
	pii_scratch_free(s);
	ck_assert_int_eq(want, 3);
	ck_assert_int_eq(found, want);
}
END_TEST

/* Debian changelogs: every "<name@host>" trailer address is found. */
START_TEST(t_changelog_recall)
{
	FILE *f = fopen(DATA "debian-changelogs.jsonl", "r");
	ck_assert_ptr_nonnull(f);
	char *line = NULL;
	size_t cap = 0;
	int want = 0, found = 0;
	pii_scratch *s = pii_scratch_new(det_all);
	while (getline(&line, &cap, f) > 0) {
		json_t *d = json_loads(line, 0, NULL);
		const char *text = json_string_value(json_object_get(d, "text"));
		size_t n = json_string_length(json_object_get(d, "text"));
		pii_spans sp = {0};
		pii_detect(det_all, s, text, n, &sp);
		for (const char *p = text; (p = strchr(p, '<')) != NULL; p++) {
			size_t len = strcspn(p + 1, "<> \n\t");
			if (p[1 + len] != '>' || !memchr(p + 1, '@', len))
				continue;
			want++;
			size_t st = (size_t)(p + 1 - text);
			for (size_t k = 0; k < sp.n; k++)
				if (sp.v[k].type == PII_EMAIL && sp.v[k].start == st &&
				    sp.v[k].end == st + len)
					found++;
		}
		pii_spans_release(&sp);
		json_decref(d);
	}
	free(line);
	fclose(f);
	pii_scratch_free(s);
	ck_assert_int_gt(want, 50);
	ck_assert_int_eq(found, want);
}
END_TEST

/* ---- threads ----------------------------------------------------------------- */

struct thr { pii_spans sp; };

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	pii_scratch *s = pii_scratch_new(det_all);
	for (int i = 0; i < 200; i++) {
		t->sp.n = 0;
		pii_detect(det_all, s, mixed_text, strlen(mixed_text), &t->sp);
	}
	pii_scratch_free(s);
	return NULL;
}

START_TEST(t_threads_share_detector)
{
	struct thr a = {{0}}, b = {{0}};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, thr_run, &a);
	pthread_create(&tb, NULL, thr_run, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.sp.n, 7);
	ck_assert_int_eq(b.sp.n, 7);
	ck_assert(!memcmp(a.sp.v, b.sp.v, a.sp.n * sizeof *a.sp.v));
	pii_spans_release(&a.sp);
	pii_spans_release(&b.sp);
}
END_TEST

/* ---- the stage ------------------------------------------------------------------ */

static cur_stage *stage(const char *cfg_json)
{
	json_t *cfg = json_loads(cfg_json, 0, NULL);
	cur_stage_env env = {.seed = 1, .jobs = 1};
	cur_err err;
	cur_stage *st = pii_stage_new(cfg, &env, &err);
	json_decref(cfg);
	return st;
}

static int run_doc(cur_stage *st, cur_doc *d, const char *text)
{
	void *tls = st->ops->thread_new(st);
	ck_assert_int_eq(cur_doc_new_text(d, "doc-1", text, strlen(text), "test"), CUR_OK);
	int rc = st->ops->process(st, tls, d, NULL);
	st->ops->thread_free(st, tls);
	return rc;
}

START_TEST(t_stage)
{
	cur_doc d;
	cur_stage *st = stage("{\"annotate\": true}");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(run_doc(st, &d, mixed_text), CUR_KEEP);
	ck_assert_str_eq(d.text, mixed_text);
	json_t *pii = json_object_get(cur_doc_metadata(&d), "pii");
	ck_assert_int_eq(json_array_size(pii), 7);
	json_t *first = json_array_get(pii, 0);
	ck_assert_str_eq(json_string_value(json_object_get(first, "type")), "EMAIL_ADDRESS");
	ck_assert_int_eq(json_integer_value(json_object_get(first, "start")),
			 strstr(mixed_text, "jürgen") - mixed_text);
	cur_doc_release(&d);
	json_t *rep = json_object();
	ck_assert_int_eq(st->ops->finish(st, rep, NULL), CUR_OK);
	char *dump = json_dumps(rep, 0);
	ck_assert_ptr_null(strstr(dump, "jürgen")); /* counts only */
	ck_assert_ptr_null(strstr(dump, "4111"));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(
		rep, "shares"), "spans_by_type"), "EMAIL_ADDRESS")), 1);
	free(dump);
	json_decref(rep);
	st->ops->destroy(st);

	st = stage("{\"drop_above\": 5}");
	ck_assert_int_eq(run_doc(st, &d, mixed_text), CUR_DROP);
	ck_assert_str_eq(d.drop_reason, "pii:too_many_spans");
	cur_doc_release(&d);
	ck_assert_int_eq(run_doc(st, &d, "only a@b.com here"), CUR_KEEP);
	ck_assert_str_eq(d.text, "only |||EMAIL_ADDRESS||| here");
	cur_doc_release(&d);
	st->ops->destroy(st);

	st = stage("{\"tag_format\": \"angle\", \"types\": [\"email\", \"ip\"], \"ip\": \"all\"}");
	ck_assert_int_eq(run_doc(st, &d, "a@b.com 192.168.1.20 +1 415 555 2671"), CUR_KEEP);
	ck_assert_str_eq(d.text, "<EMAIL> <IP> +1 415 555 2671");
	cur_doc_release(&d);
	st->ops->destroy(st);

	cur_err err;
	const char *bad[] = {"{\"redact\": \"blur\"}", "{\"ip\": \"some\"}",
			     "{\"types\": [\"email\", \"nope\"]}", "{\"colour\": 1}",
			     "{\"drop_above\": -5}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *cfg = json_loads(bad[i], 0, NULL);
		cur_stage_env env = {0};
		ck_assert_ptr_null(pii_stage_new(cfg, &env, &err));
		ck_assert_int_eq(err.code, CUR_EINVAL);
		json_decref(cfg);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pii");
	TCase *tc = tcase_create("pii");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_luhn_cards);
	tcase_add_test(tc, t_iban);
	tcase_add_test(tc, t_ip_parse);
	tcase_add_test(tc, t_ssn_rules);
	tcase_add_test(tc, t_phone_plans);
	tcase_add_test(tc, t_email_shape);
	tcase_add_test(tc, t_detect_email);
	tcase_add_test(tc, t_detect_ip);
	tcase_add_test(tc, t_detect_phone);
	tcase_add_test(tc, t_detect_card_iban_ssn);
	tcase_add_test(tc, t_detect_secrets);
	tcase_add_test(tc, t_overlap_and_types);
	tcase_add_test(tc, t_redact_tag);
	tcase_add_test(tc, t_redact_fake);
	tcase_add_test(tc, t_redact_real_text);
	tcase_add_test(tc, t_presidio_subset);
	tcase_add_test(tc, t_dolma_emails);
	tcase_add_test(tc, t_changelog_recall);
	tcase_add_test(tc, t_threads_share_detector);
	tcase_add_test(tc, t_stage);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
