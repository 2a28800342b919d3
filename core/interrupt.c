#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/interrupt.h"

/* A slot holds a temp or NULL; whoever swaps a temp out of its slot owns
 * it, so the sweeping handler and a thread that forgets the same path never
 * both touch it. */
typedef struct temp {
	char path[1];
} temp;

#define TEMP_SLOTS 1024

static volatile sig_atomic_t caught;
static _Atomic(temp *) slots[TEMP_SLOTS];
static temp *swept[TEMP_SLOTS];

void cur_interrupt(int sig)
{
	if (!caught)
		caught = sig;
}

int cur_interrupted(void)
{
	return caught;
}

int cur_temp_add(const char *path)
{
	size_t n = strlen(path);
	temp *t = malloc(sizeof(*t) + n);
	int i;

	if (!t)
		return -1;
	memcpy(t->path, path, n + 1);
	for (i = 0; i < TEMP_SLOTS; i++) {
		temp *empty = NULL;

		if (atomic_compare_exchange_strong(&slots[i], &empty, t))
			return i;
	}
	free(t);
	return -1;
}

void cur_temp_remove(int slot)
{
	if (slot >= 0 && slot < TEMP_SLOTS)
		free(atomic_exchange(&slots[slot], NULL));
}

/* Remove name (in the directory dirfd): a file, or a directory with all it
 * holds, with system calls only: this runs in a signal handler. */
static void sweep_at(int dirfd, const char *name, int depth)
{
	char buf[4096];
	int fd;
	long n;

	if (unlinkat(dirfd, name, 0) == 0 || depth > 16)
		return;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long at = 0;

		while (at < n) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *entry = buf + at + 19;

			memcpy(&reclen, buf + at + 16, sizeof(reclen));
			at += reclen;
			if (strcmp(entry, ".") != 0 && strcmp(entry, "..") != 0)
				sweep_at(fd, entry, depth + 1);
		}
	}
	close(fd);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

void cur_temp_sweep(void)
{
	int i;

	for (i = 0; i < TEMP_SLOTS; i++) {
		temp *t = atomic_exchange(&slots[i], NULL);

		/* Not freed: free() is not async-signal-safe, and the
		 * process ends now; kept where a leak checker sees it. */
		swept[i] = t;
		if (t)
			sweep_at(AT_FDCWD, t->path, 0);
	}
}
