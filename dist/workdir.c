#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/file.h"
#include "dist/workdir.h"

static const char *const marker_names[] = { NULL, "started", "done", "failed" };

char *dist_path(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int dist_json_save(const char *path, json_t *o, cur_err *err)
{
	char *s = json_dumps(o, JSON_INDENT(2));
	int rc;

	if (!s)
		return cur_err_set(err, CUR_ENOMEM, "out of memory");
	rc = cur_atomic_write_file(path, s, strlen(s), err);
	free(s);
	return rc;
}

json_t *dist_json_load(const char *path, cur_err *err)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);

	if (!o) {
		if (access(path, F_OK) != 0)
			cur_err_set(err, CUR_EIO, "cannot open '%s': %s", path, strerror(errno));
		else
			cur_err_set(err, CUR_EDATA, "%s:%d: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		cur_err_set(err, CUR_EDATA, "%s: not a JSON object", path);
		return NULL;
	}
	return o;
}

static char *marker(const char *workdir, const char *step, int rank, int state)
{
	return dist_path("%s/tasks/%s-%d.%s", workdir, step, rank, marker_names[state]);
}

static int exists(char *path)
{
	int yes = path && access(path, F_OK) == 0;

	free(path);
	return yes;
}

int dist_task_state(const char *workdir, const char *step, int rank)
{
	if (exists(marker(workdir, step, rank, DIST_TASK_DONE)))
		return DIST_TASK_DONE;
	if (exists(marker(workdir, step, rank, DIST_TASK_FAILED)))
		return DIST_TASK_FAILED;
	if (exists(marker(workdir, step, rank, DIST_TASK_STARTED)))
		return DIST_TASK_STARTED;
	return DIST_TASK_NEW;
}

int dist_task_mark(const char *workdir, const char *step, int rank, int state, json_t *info,
		   cur_err *err)
{
	char *dir = dist_path("%s/tasks", workdir);
	char *path = marker(workdir, step, rank, state);
	int rc;

	if (!dir || !path)
		rc = cur_err_set(err, CUR_ENOMEM, "out of memory");
	else if ((rc = cur_mkdir_p(dir, err)) == CUR_OK)
		rc = dist_json_save(path, info, err);
	if (rc == CUR_OK && state == DIST_TASK_DONE) {
		char *failed = marker(workdir, step, rank, DIST_TASK_FAILED);

		if (failed)
			unlink(failed);
		free(failed);
	}
	free(dir);
	free(path);
	return rc;
}

json_t *dist_task_load(const char *workdir, const char *step, int rank, int state)
{
	char *path = marker(workdir, step, rank, state);
	json_t *o = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	return o;
}

void dist_task_clear(const char *workdir, const char *step, int rank)
{
	int states[] = { DIST_TASK_STARTED, DIST_TASK_FAILED };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char *p = marker(workdir, step, rank, states[i]);

		if (p)
			unlink(p);
		free(p);
	}
}

void dist_remove_temporaries(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	const char *name = slash ? slash + 1 : path;
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *p;

		if (!cur_atomic_is_temp(e->d_name, name))
			continue;
		p = dist_path("%s/%s", dir, e->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
}
