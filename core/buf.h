/* Growable byte buffer with a hard cap (as curl's dynbuf).
 *
 * The buffer owns data; it is always NUL-terminated after the first append so
 * that it can be used as a C string. cur_buf_detach hands ownership to the
 * caller. */
#ifndef CUR_BUF_H
#define CUR_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cur_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;   /* appends that would grow past max fail with CUR_ELIMIT */
} cur_buf;

#define CUR_BUF_UNLIMITED SIZE_MAX

void cur_buf_init(cur_buf *b, size_t max);
void cur_buf_release(cur_buf *b);
/* cur_buf_reserve: make room for n more bytes (plus the terminator). */
int cur_buf_reserve(cur_buf *b, size_t n);
int cur_buf_append(cur_buf *b, const void *p, size_t n);
int cur_buf_putc(cur_buf *b, int c);
int cur_buf_printf(cur_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cur_buf_reset(cur_buf *b);
/* cur_buf_detach: return the data (caller frees) and leave b empty. */
char *cur_buf_detach(cur_buf *b, size_t *len);

/* Checked allocation helpers: NULL on overflow or failure. */
void *cur_malloc_array(size_t n, size_t size);
void *cur_realloc_array(void *p, size_t n, size_t size);
void *cur_calloc_array(size_t n, size_t size);
char *cur_strndup(const char *s, size_t n);
/* cur_str_ends_with: does s end with suffix? */
int cur_str_ends_with(const char *s, const char *suffix);

#endif
