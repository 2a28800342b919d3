/* Files on disk: the one way curate writes an output file, and the
 * directory helpers every module shares.
 *
 * An atomic output file works as git's lockfile does: the bytes go to a
 * temporary file beside the target (DIR/.NAME.tmp.XXXXXX, so that the
 * rename stays on one file system), and cur_atomic_commit flushes it,
 * fsyncs it, renames it over the target and fsyncs the directory, so that
 * a reader, or a run that resumes after a crash, sees either the old file
 * or the whole new one, never a part. A file not committed is removed by
 * cur_atomic_rollback, which is safe to call in every clean-up path (after
 * a commit, or twice, it does nothing). While it exists the temporary file
 * is in the registry of temporaries that a second signal sweeps
 * (core/interrupt.h). */
#ifndef CUR_FILE_H
#define CUR_FILE_H

#include <stddef.h>
#include <stdio.h>
#include "core/error.h"

typedef struct cur_atomic {
	char *path;  /* the target (owned) */
	char *tmp;   /* the temporary file while it is open (owned) */
	int fd;      /* -1 when closed */
	FILE *fp;    /* the stream of cur_atomic_stream, or NULL */
	int temp;    /* tmp's slot in the registry of temporaries, or -1 */
} cur_atomic;

#define CUR_ATOMIC_INIT { NULL, NULL, -1, NULL, -1 }

/* cur_atomic_open: create the temporary file for path (mode 0644). On
 * error a is left closed and err names path. */
int cur_atomic_open(cur_atomic *a, const char *path, cur_err *err);

/* cur_atomic_stream: a fully buffered stdio stream over the file, for
 * writers that write many small records (owned by a: do not fclose it).
 * NULL when out of memory. */
FILE *cur_atomic_stream(cur_atomic *a);

/* cur_atomic_fopen: a stream for a text output named path: stdout for NULL
 * or "-" (commit then only flushes it), else cur_atomic_open's file with
 * cur_atomic_stream's stream. NULL on error (err says why). */
FILE *cur_atomic_fopen(cur_atomic *a, const char *path, cur_err *err);

/* Flags of cur_atomic_commit. CUR_ATOMIC_NO_SYNC skips both fsyncs: for
 * scratch files that die with the process (nothing after a crash reads
 * them), where the rename alone gives the all-or-nothing view. */
enum { CUR_ATOMIC_NO_SYNC = 1 };

/* cur_atomic_commit: flush, fsync, close and rename the file into place.
 * On failure the temporary file is removed and err names the target. */
int cur_atomic_commit(cur_atomic *a, int flags, cur_err *err);

/* cur_atomic_rollback: close and remove an uncommitted file; free a's
 * names. Does nothing more after a commit or a rollback, nor on a struct
 * that was zeroed or set to CUR_ATOMIC_INIT and never opened. */
void cur_atomic_rollback(cur_atomic *a);

/* cur_atomic_write_file: the whole file at once (a report, a manifest). */
int cur_atomic_write_file(const char *path, const void *data, size_t n, cur_err *err);

/* cur_atomic_is_temp: is name (a directory entry) a temporary file that
 * cur_atomic_open made for a target whose name starts with prefix? For
 * sweeping what a killed run left. */
int cur_atomic_is_temp(const char *name, const char *prefix);

/* cur_mkdir_p: create dir and any missing parents (mode 0755). */
int cur_mkdir_p(const char *dir, cur_err *err);

/* cur_remove_tree: remove dir and everything in it (no symbolic link is
 * followed). Returns 0, or -1 with errno set for the first failure. */
int cur_remove_tree(const char *dir);

#endif
