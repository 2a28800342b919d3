#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/error.h"

void cur_buf_init(cur_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void cur_buf_release(cur_buf *b)
{
	free(b->data);
	cur_buf_init(b, b->max);
}

int cur_buf_reserve(cur_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1)
		return CUR_ENOMEM;
	need = b->len + n + 1;
	if (need - 1 > b->max)
		return CUR_ELIMIT;
	if (need <= b->cap)
		return CUR_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return CUR_ENOMEM;
	b->data = p;
	b->cap = cap;
	return CUR_OK;
}

int cur_buf_append(cur_buf *b, const void *p, size_t n)
{
	CUR_FORWARD(cur_buf_reserve(b, n));
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return CUR_OK;
}

int cur_buf_putc(cur_buf *b, int c)
{
	char ch = (char)c;

	return cur_buf_append(b, &ch, 1);
}

int cur_buf_printf(cur_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CUR_EINVAL;
	CUR_FORWARD(cur_buf_reserve(b, (size_t)n));
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return CUR_OK;
}

void cur_buf_reset(cur_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *cur_buf_detach(cur_buf *b, size_t *len)
{
	char *p = b->data;

	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	cur_buf_init(b, b->max);
	return p;
}

void *cur_malloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return malloc(n && size ? n * size : 1);
}

void *cur_realloc_array(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, n && size ? n * size : 1);
}

void *cur_calloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size ? size : 1);
}

char *cur_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int cur_str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}
