#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "core/buf.h"
#include "core/writer.h"
#include "dist/parts.h"

char *dist_part_path(const char *dir, size_t part)
{
	cur_buf b;

	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_buf_printf(&b, "%s/part-%05zu.jsonl.zst", dir, part)) {
		cur_buf_release(&b);
		return NULL;
	}
	return cur_buf_detach(&b, NULL);
}

/* ---- concatenation ---- */

static int copy_zst(const char *path, cur_out *o, ZSTD_DCtx *dc, char *in, char *out,
		    size_t cap, cur_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = CUR_OK;
	size_t left = 0; /* bytes of the current frame still to come */
	ssize_t n;

	if (fd < 0)
		return cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
	ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
	while ((n = read(fd, in, cap)) > 0) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		while (ib.pos < ib.size && rc == CUR_OK) {
			ZSTD_outBuffer ob = { out, cap, 0 };
			size_t r = ZSTD_decompressStream(dc, &ob, &ib);

			left = r;
			if (ZSTD_isError(r))
				rc = cur_err_set(err, CUR_EDATA, "'%s': zstd: %s", path,
						 ZSTD_getErrorName(r));
			else if (ob.pos && cur_out_write(o, out, ob.pos) != CUR_OK)
				rc = cur_err_set(err, CUR_EIO, "%s", cur_out_error(o));
		}
		if (rc < 0)
			break;
	}
	if (n < 0 && rc == CUR_OK)
		rc = cur_err_set(err, CUR_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (rc == CUR_OK && left != 0)
		rc = cur_err_set(err, CUR_EDATA, "'%s': truncated zstd frame", path);
	close(fd);
	return rc;
}

int dist_parts_concat(char *const *files, size_t n, const char *out, int threads, cur_err *err)
{
	size_t cap = ZSTD_DStreamOutSize(), i;
	char *in = malloc(cap), *buf = malloc(cap);
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	cur_out *o = NULL;
	int rc;

	if (!in || !buf || !dc) {
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
		goto out;
	}
	rc = cur_out_open(&o, out, threads, err);
	for (i = 0; i < n && rc == CUR_OK; i++)
		rc = copy_zst(files[i], o, dc, in, buf, cap, err);
	if (rc == CUR_OK)
		rc = cur_out_finish(o, err);
out:
	cur_out_free(o);
	ZSTD_freeDCtx(dc);
	free(in);
	free(buf);
	return rc;
}
