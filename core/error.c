#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/error.h"

const char *cur_strerror(int code)
{
	switch (code) {
	case CUR_OK: return "success";
	case CUR_ENOMEM: return "out of memory";
	case CUR_EIO: return "input/output error";
	case CUR_EDATA: return "malformed input";
	case CUR_EINVAL: return "invalid argument";
	case CUR_ELIMIT: return "limit exceeded";
	case CUR_EOF: return "end of input";
	case CUR_EINTR: return "interrupted";
	default: return "unknown error";
	}
}

int cur_err_set(cur_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(err->msg)];

	if (!err)
		return code;
	/* Through a copy: an argument may be err->msg itself, which a caller
	 * prefixes with where the error happened. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->code = code;
	memcpy(err->msg, msg, sizeof(msg));
	return code;
}

void cur_err_clear(cur_err *err)
{
	if (!err)
		return;
	err->code = CUR_OK;
	err->reason = NULL;
	err->msg[0] = '\0';
}
