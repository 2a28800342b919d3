/* The batch pool, the worker threads and the ordered writer of one pass
 * (pipeline_int.h). Workers take batches of records in turn, process them
 * (pipeline.c), and hand them to the writer in input order: whichever
 * worker delivers the next batch in order writes it and those queued after
 * it, so no worker idles at the sink. A worker whose batch is done before
 * its turn to be written leaves it queued and reads the next one, so at
 * most BATCHES_PER_WORKER batches per worker hold documents, and only while
 * a slow batch holds up the order. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/pipeline_int.h"

/* A free batch, or NULL once the run is stopping. */
static batch *pool_get(pipe_t *p)
{
	batch *b = NULL;

	pthread_mutex_lock(&p->turn_mx);
	while (!p->nfree && !p->stop)
		pthread_cond_wait(&p->turn_cv, &p->turn_mx);
	if (!p->stop)
		b = p->free_batches[--p->nfree];
	pthread_mutex_unlock(&p->turn_mx);
	return b;
}

/* Called with turn_mx held. The batch's documents were freed before, outside
 * the lock (freeing under it made every other worker wait at its next turn):
 * by the writer, or, for a batch that was never written, by the worker that
 * takes it next. */
static void pool_put_locked(pipe_t *p, batch *b)
{
	p->free_batches[p->nfree++] = b;
	pthread_cond_broadcast(&p->turn_cv);
}

static void pool_put(pipe_t *p, batch *b)
{
	pthread_mutex_lock(&p->turn_mx);
	pool_put_locked(p, b);
	pthread_mutex_unlock(&p->turn_mx);
}

/* Hand a processed batch to the writer. If nobody is writing, this worker
 * writes every batch that is next in order, then goes back to reading. */
static void deliver(pipe_t *p, batch *b)
{
	struct timespec t;

	pthread_mutex_lock(&p->turn_mx);
	p->done[b->seq % p->npool] = b;
	if (p->draining) {
		pthread_mutex_unlock(&p->turn_mx);
		return;
	}
	p->draining = 1;
	for (;;) {
		batch *next = p->done[p->next_write % p->npool];

		if (p->stop || !next || next->seq != p->next_write)
			break;
		p->done[p->next_write % p->npool] = NULL;
		pthread_mutex_unlock(&p->turn_mx);
		clock_gettime(CLOCK_MONOTONIC, &t);
		cur_pass_sink_turn(p, next);
		/* Free the documents now, outside the lock: a batch in the pool
		 * holds none, so a deep pool costs memory only while a slow
		 * batch holds up the order. */
		cur_pass_free_batch(next);
		p->times.sink_write += cur_seconds_since(&t);
		pthread_mutex_lock(&p->turn_mx);
		p->next_write++;
		pool_put_locked(p, next);
	}
	p->draining = 0;
	pthread_mutex_unlock(&p->turn_mx);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	pipe_t *p = w->p;

	for (;;) {
		struct timespec t;
		batch *b;
		cur_err err;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &t);
		b = pool_get(p);
		w->times.waiting += cur_seconds_since(&t);
		if (!b)
			break;
		cur_pass_free_batch(b);
		cur_err_clear(&err);
		clock_gettime(CLOCK_MONOTONIC, &t);
		pthread_mutex_lock(&p->read_mx);
		w->times.waiting += cur_seconds_since(&t);
		rc = p->stop ? CUR_OK : cur_pass_read_batch(p, b, &err);
		w->times.read += cur_seconds_since(&t);
		pthread_mutex_unlock(&p->read_mx);
		if (rc < 0)
			cur_pass_fatal(p, &err, rc);
		if (rc < 0 || b->n == 0) {
			pool_put(p, b);
			break;
		}
		cur_pass_process_batch(w, b);
		deliver(p, b);
	}
	return NULL;
}

/* Batches per worker: one being processed, the rest done and waiting to be
 * written in order. Documents vary a thousandfold in size, and while one
 * worker encodes a 2 MB document the others run ahead by up to this many
 * batches each before they have to wait (the report's thread_seconds.waiting
 * shows when they do). */
#define BATCHES_PER_WORKER 8

static int pool_init(pipe_t *p, int jobs)
{
	size_t i;

	p->npool = BATCHES_PER_WORKER * (size_t)jobs;
	p->pool = cur_calloc_array(p->npool, sizeof(batch));
	p->free_batches = cur_calloc_array(p->npool, sizeof(batch *));
	p->done = cur_calloc_array(p->npool, sizeof(batch *));
	if (!p->pool || !p->free_batches || !p->done)
		return CUR_ENOMEM;
	for (i = 0; i < p->npool; i++) {
		batch *b = &p->pool[i];

		b->slots = cur_calloc_array(p->o->batch_docs, sizeof(slot));
		b->len_at = cur_calloc_array(p->o->batch_docs * (p->nstages + 1), sizeof(size_t));
		if (!b->slots || !b->len_at)
			return CUR_ENOMEM;
		p->free_batches[p->nfree++] = b;
	}
	return CUR_OK;
}

static void pool_release(pipe_t *p)
{
	size_t i;

	for (i = 0; p->pool && i < p->npool; i++) {
		if (p->pool[i].slots)
			cur_pass_free_batch(&p->pool[i]);
		free(p->pool[i].slots);
		free(p->pool[i].len_at);
	}
	free(p->pool);
	free(p->free_batches);
	free(p->done);
}

static int worker_init(worker *w, pipe_t *p)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->tls = calloc(p->nstages + 1, sizeof(void *));
	w->stage_seconds = calloc(p->nstages + 1, sizeof(double)); /* + 1: never calloc(0) */
	if (!w->tls || !w->stage_seconds)
		return CUR_ENOMEM;
	for (i = 0; i < p->nstages; i++)
		if (p->stages[i]->ops->thread_new)
			w->tls[i] = p->stages[i]->ops->thread_new(p->stages[i]);
	if (p->sink->ops->thread_new)
		w->tls[p->nstages] = p->sink->ops->thread_new(p->sink);
	if (p->o->tokens && p->o->tokens->thread_new)
		w->count_tls = p->o->tokens->thread_new(p->o->tokens->ctx);
	return CUR_OK;
}

/* Add the worker's times to the run's (after the workers have stopped). */
static void worker_release(worker *w)
{
	pipe_t *p = w->p;
	size_t i;

	p->times.read += w->times.read;
	p->times.parse += w->times.parse;
	p->times.lengths += w->times.lengths;
	p->times.sink_prepare += w->times.sink_prepare;
	p->times.waiting += w->times.waiting;
	for (i = 0; w->stage_seconds && i < p->nstages; i++)
		p->counts[i].seconds += w->stage_seconds[i];
	if (w->tls) {
		for (i = 0; i < p->nstages; i++)
			if (p->stages[i]->ops->thread_free && w->tls[i])
				p->stages[i]->ops->thread_free(p->stages[i], w->tls[i]);
		if (p->sink->ops->thread_free && w->tls[p->nstages])
			p->sink->ops->thread_free(p->sink, w->tls[p->nstages]);
	}
	if (w->count_tls && p->o->tokens->thread_free)
		p->o->tokens->thread_free(p->o->tokens->ctx, w->count_tls);
	free(w->tls);
	free(w->stage_seconds);
}

int cur_pass_workers(pipe_t *p)
{
	int n = p->o->jobs > 0 ? p->o->jobs : 1;
	worker *ws = calloc((size_t)n, sizeof(*ws));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	int i, started = 0, rc = CUR_OK;

	if (!ws || !th) {
		free(ws);
		free(th);
		return CUR_ENOMEM;
	}
	rc = pool_init(p, n);
	for (i = 0; i < n && rc == CUR_OK; i++)
		rc = worker_init(&ws[i], p);
	if (rc == CUR_OK) {
		if (n == 1) {
			worker_main(&ws[0]);
		} else {
			for (i = 0; i < n; i++, started++)
				if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0)
					break;
			for (i = 0; i < started; i++)
				pthread_join(th[i], NULL);
			if (started < n && started == 0)
				rc = CUR_ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		if (ws[i].p)
			worker_release(&ws[i]);
	pool_release(p);
	free(ws);
	free(th);
	return rc;
}
