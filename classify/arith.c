/* Worked arithmetic in text: equations whose sides are numbers, as in
 * "48/2 = 24", "0.2 x 50 = 10" or "$3 \times 4 = 12$". The category
 * decision counts them (docs/classify.md): math that is worked out in
 * numbers reads to a bag-of-words model like prose or code when the math it
 * was trained on is LaTeX, but a document that works sums is math in any
 * notation. */
#include "config.h"

#include <string.h>
#include "classify/cls_int.h"

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static size_t skip_blanks(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* A number at s[i]: digits, with '.' or ',' between digit groups. Returns
 * the index after it, or i when there is none. */
static size_t number(const char *s, size_t i, size_t n)
{
	if (i >= n || !is_digit((unsigned char)s[i]))
		return i;
	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	while (i + 1 < n && (s[i] == '.' || s[i] == ',') && is_digit((unsigned char)s[i + 1])) {
		i++;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	return i;
}

static int starts(const char *s, size_t i, size_t n, const char *w)
{
	size_t k = strlen(w);

	return n - i >= k && memcmp(s + i, w, k) == 0;
}

/* An arithmetic operator at s[i] (after blanks: blank says whether one
 * came before it). Returns the index after it, or i. */
static size_t operator(const char *s, size_t i, size_t n, int blank)
{
	static const char *const words[] = {
		"\xc3\x97", "\xc3\xb7", "\xc2\xb7", "\xe2\x88\x92",   /* × ÷ · − */
		"\\times", "\\cdot", "\\div",
	};

	if (i >= n)
		return i;
	if (s[i] && strchr("+-*/^", s[i]))
		return i + 1;
	/* "0.2 x 50": x as times only between blanks. */
	if (s[i] == 'x' && blank && i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
		return i + 1;
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
		if (starts(s, i, n, words[w]))
			return i + strlen(words[w]);
	return i;
}

/* NUMBER OP NUMBER = NUMBER at s[i] (a number starts there). Returns the
 * index after the first digit of the result, or 0 when it is not one. */
static size_t equation(const char *s, size_t i, size_t n)
{
	size_t j = number(s, i, n), k;

	k = skip_blanks(s, j, n);
	j = operator(s, k, n, k > j);
	if (j == k)
		return 0;
	j = skip_blanks(s, j, n);
	k = number(s, j, n);
	if (k == j)
		return 0;
	j = skip_blanks(s, k, n);
	if (j >= n || s[j] != '=')
		return 0;
	j = skip_blanks(s, j + 1, n);
	if (j < n && (s[j] == '-' || s[j] == '$'))
		j++;
	else if (starts(s, j, n, "\xe2\x88\x92"))
		j += 3;
	return j < n && is_digit((unsigned char)s[j]) ? j + 1 : 0;
}

size_t cls_numeric_equations(const char *text, size_t len, size_t enough)
{
	size_t count = 0, i = 0;

	while (i < len && count < enough) {
		size_t end;

		if (!is_digit((unsigned char)text[i]) ||
		    (i > 0 && (is_digit((unsigned char)text[i - 1]) || text[i - 1] == '.' ||
			       text[i - 1] == ','))) {
			i++;
			continue;
		}
		end = equation(text, i, len);
		if (end) {
			count++;
			i = end;
		} else {
			i = number(text, i, len);
		}
	}
	return count;
}
