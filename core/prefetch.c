/* Read-ahead: a thread of its own reads the file a few blocks ahead of the
 * consumer, so that the copy out of the page cache (the read system call,
 * a large part of a pass that only scans lines) overlaps the consumer's
 * work instead of adding to it. The blocks are lent one at a time (to
 * libarchive, through core/source.c), and a block comes back to the
 * reading thread at the consumer's next call. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/reader_int.h"

#define PF_SLOTS 4
#define PF_BLOCK (1024 * 1024)

struct cur_prefetch {
	int fd;                 /* borrowed */
	pthread_t tid;
	int started;
	pthread_mutex_t mx;
	pthread_cond_t cv;
	char *buf[PF_SLOTS];
	ssize_t len[PF_SLOTS];  /* bytes in the slot; -1: read error (errnum) */
	int full[PF_SLOTS];
	int errnum;
	int head;               /* the slot the consumer takes next */
	int lent;               /* the slot libarchive holds, -1 none */
	int ended;              /* the thread has filled its last slot */
	int stop;               /* the consumer is done */
};

/* Fill slot k: a whole block unless the file ends first. */
static ssize_t fill(cur_prefetch *p, int k)
{
	size_t got = 0;
	while (got < PF_BLOCK) {
		ssize_t n = read(p->fd, p->buf[k] + got, PF_BLOCK - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			p->errnum = errno;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void *reader_main(void *arg)
{
	cur_prefetch *p = arg;
	for (int k = 0;; k = (k + 1) % PF_SLOTS) {
		pthread_mutex_lock(&p->mx);
		while (p->full[k] && !p->stop)
			pthread_cond_wait(&p->cv, &p->mx);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mx);
		if (stop)
			return NULL;
		ssize_t n = fill(p, k);
		pthread_mutex_lock(&p->mx);
		p->len[k] = n;
		p->full[k] = 1;
		p->ended = n <= 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mx);
		if (n <= 0)
			return NULL;
	}
}

ssize_t cur_prefetch_next(cur_prefetch *p, const void **out)
{
	int k = p->head;
	pthread_mutex_lock(&p->mx);
	if (p->lent >= 0) {
		p->full[p->lent] = 0;
		p->lent = -1;
		pthread_cond_broadcast(&p->cv);
	}
	while (!p->full[k] && !p->ended)
		pthread_cond_wait(&p->cv, &p->mx);
	int have = p->full[k];
	pthread_mutex_unlock(&p->mx);
	if (!have)
		return 0; /* past the end */
	if (p->len[k] < 0) {
		errno = p->errnum;
		return -1;
	}
	p->lent = k;
	p->head = (k + 1) % PF_SLOTS;
	*out = p->buf[k];
	return p->len[k];
}

void cur_prefetch_stop(cur_prefetch *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mx);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mx);
		pthread_join(p->tid, NULL);
	}
	pthread_mutex_destroy(&p->mx);
	pthread_cond_destroy(&p->cv);
	for (int k = 0; k < PF_SLOTS; k++)
		free(p->buf[k]);
	free(p);
}

cur_prefetch *cur_prefetch_start(int fd)
{
	cur_prefetch *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mx, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->lent = -1;
	p->fd = fd;
	for (int k = 0; k < PF_SLOTS; k++)
		if (!(p->buf[k] = malloc(PF_BLOCK)))
			break;
	if (!p->buf[PF_SLOTS - 1] || pthread_create(&p->tid, NULL, reader_main, p) != 0) {
		cur_prefetch_stop(p);
		return NULL;
	}
	p->started = 1;
	return p;
}
