/* Return codes and error messages shared by every module.
 *
 * Functions return CUR_OK (0) or a negative CUR_E* code. The detailed message
 * lives in a caller-owned cur_err, never in a global. */
#ifndef CUR_ERROR_H
#define CUR_ERROR_H

#include <stddef.h>

enum {
	CUR_OK = 0,
	CUR_ENOMEM = -1,   /* allocation failed or a size overflowed */
	CUR_EIO = -2,      /* a file could not be read or written */
	CUR_EDATA = -3,    /* the input is malformed */
	CUR_EINVAL = -4,   /* a bad argument or option value */
	CUR_ELIMIT = -5,   /* a configured limit was exceeded */
	CUR_EOF = -6,      /* end of input (not an error for readers) */
	CUR_EINTR = -7     /* a signal asked the run to stop (core/interrupt.h) */
};

typedef struct cur_err {
	int code;
	const char *reason; /* short static key for reports, e.g. "invalid_json" */
	char msg[512];
} cur_err;

/* cur_strerror: a static string for a CUR_E* code. */
const char *cur_strerror(int code);

/* cur_err_set: format a message into err (may be NULL) and return code. The
 * arguments may include err->msg (to prefix it). */
int cur_err_set(cur_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cur_err_clear: reset err to CUR_OK and an empty message. */
void cur_err_clear(cur_err *err);

#define CUR_FORWARD(expr) do { int cur_rc_ = (expr); if (cur_rc_ < 0) return cur_rc_; } while (0)

#endif
