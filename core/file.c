#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "core/interrupt.h"

#define TEMP_MARK ".tmp."

/* The directory part of path with its '/' ("" for a bare name). */
static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? (size_t)(slash - path) + 1 : 0;
}

int cur_atomic_open(cur_atomic *a, const char *path, cur_err *err)
{
	size_t d = dir_len(path);
	cur_buf b;
	int e;

	*a = (cur_atomic)CUR_ATOMIC_INIT;
	cur_buf_init(&b, CUR_BUF_UNLIMITED);
	if (cur_buf_printf(&b, "%.*s.%s" TEMP_MARK "XXXXXX", (int)d, path, path + d) != CUR_OK ||
	    !(a->path = strdup(path))) {
		cur_buf_release(&b);
		free(a->path);
		a->path = NULL;
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	a->tmp = cur_buf_detach(&b, NULL);
	a->fd = mkstemp(a->tmp);
	if (a->fd < 0) {
		e = errno;
		cur_atomic_rollback(a);
		return cur_err_set(err, CUR_EIO, "cannot create '%s': %s", path, strerror(e));
	}
	a->temp = cur_temp_add(a->tmp);
	fchmod(a->fd, 0644);
	return CUR_OK;
}

FILE *cur_atomic_stream(cur_atomic *a)
{
	if (!a->fp && a->fd >= 0) {
		/* w+: the descriptor is open for reading too (mkstemp), and
		 * some writers read back what they wrote. */
		a->fp = fdopen(a->fd, "w+b");
		if (a->fp)
			setvbuf(a->fp, NULL, _IOFBF, 1 << 18);
	}
	return a->fp;
}

FILE *cur_atomic_fopen(cur_atomic *a, const char *path, cur_err *err)
{
	FILE *f;

	if (!path || strcmp(path, "-") == 0) {
		*a = (cur_atomic)CUR_ATOMIC_INIT;
		a->fp = stdout;
		a->fd = 1;
		return stdout;
	}
	if (cur_atomic_open(a, path, err) != CUR_OK)
		return NULL;
	if (!(f = cur_atomic_stream(a))) {
		cur_atomic_rollback(a);
		cur_err_set(err, CUR_ENOMEM, "out of memory");
	}
	return f;
}

static void sync_dir(const char *path)
{
	size_t d = dir_len(path);
	char *dir = d ? strndup(path, d) : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	/* Best effort: some file systems refuse to fsync a directory. */
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int cur_atomic_commit(cur_atomic *a, int flags, cur_err *err)
{
	int sync = !(flags & CUR_ATOMIC_NO_SYNC), e = 0;

	if (a->fd < 0)
		return cur_err_set(err, CUR_EIO, "cannot write '%s': not open",
				   a->path ? a->path : "?");
	if (!a->tmp && a->fp == stdout) {
		a->fd = -1;
		a->fp = NULL;
		if (fflush(stdout) != 0 || ferror(stdout))
			return cur_err_set(err, CUR_EIO, "cannot write to standard output: %s",
					   strerror(errno));
		return CUR_OK;
	}
	errno = 0;
	if (a->fp && (fflush(a->fp) != 0 || ferror(a->fp)))
		e = errno ? errno : EIO;
	/* EINVAL: the file system cannot sync (it has nothing to make durable). */
	if (!e && sync && fsync(a->fd) != 0 && errno != EINVAL)
		e = errno;
	if (a->fp) {
		if (fclose(a->fp) != 0 && !e)
			e = errno;
	} else if (close(a->fd) != 0 && !e) {
		e = errno;
	}
	a->fp = NULL;
	a->fd = -1;
	if (!e && rename(a->tmp, a->path) != 0)
		e = errno;
	if (e) {
		cur_err_set(err, CUR_EIO, "cannot write '%s': %s", a->path, strerror(e));
		cur_atomic_rollback(a);
		return CUR_EIO;
	}
	if (sync)
		sync_dir(a->path);
	cur_temp_remove(a->temp);
	free(a->tmp);
	a->tmp = NULL;
	cur_atomic_rollback(a);
	return CUR_OK;
}

void cur_atomic_rollback(cur_atomic *a)
{
	/* Only an open file has a temporary name: a zeroed struct owns no
	 * descriptor, even though its fd reads 0. */
	if (a->tmp) {
		if (a->fp)
			fclose(a->fp);
		else if (a->fd >= 0)
			close(a->fd);
		unlink(a->tmp);
		cur_temp_remove(a->temp);
	}
	free(a->tmp);
	free(a->path);
	*a = (cur_atomic)CUR_ATOMIC_INIT;
}

int cur_atomic_write_file(const char *path, const void *data, size_t n, cur_err *err)
{
	cur_atomic a;
	const char *p = data;

	CUR_FORWARD(cur_atomic_open(&a, path, err));
	while (n > 0) {
		ssize_t w = write(a.fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			cur_atomic_rollback(&a);
			return cur_err_set(err, CUR_EIO, "cannot write '%s': %s", path, strerror(e));
		}
		p += w;
		n -= (size_t)w;
	}
	return cur_atomic_commit(&a, 0, err);
}

int cur_atomic_is_temp(const char *name, const char *prefix)
{
	size_t k = strlen(prefix);
	const char *mark;

	if (name[0] != '.' || strncmp(name + 1, prefix, k) != 0)
		return 0;
	mark = strstr(name + 1 + k, TEMP_MARK);
	return mark && strlen(mark) == strlen(TEMP_MARK) + 6;
}

int cur_mkdir_p(const char *dir, cur_err *err)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return cur_err_set(err, CUR_EINVAL, "bad directory name '%s'", dir);
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return cur_err_set(err, CUR_EIO, "cannot create '%s': %s", path,
					   strerror(errno));
		path[i] = dir[i];
	}
	return CUR_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int cur_remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
