/* bench/filters_speed.c: throughput of the filter engine alone (no JSON
 * parsing or writing): load documents into memory, then judge them all with
 * T threads, each with its own worker over an interleaved share.
 *
 * usage: filters_speed RULES THREADS FILE...   (prints MB/s and kept docs)
 * Built and run by bench/filters.sh. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/reader.h"
#include "filters/filter.h"

typedef struct text {
	char *p;
	size_t n;
} text;

static text *docs;
static size_t ndocs, capdocs;
static const flt_engine *eng;
static int nthreads;
static size_t kept[64];
static double cpu[64];

static void *run(void *arg)
{
	int t = (int)(long)arg;
	flt_worker *w = flt_worker_new(eng);
	for (size_t i = (size_t)t; i < ndocs; i += (size_t)nthreads) {
		flt_verdict v;
		if (flt_judge(w, docs[i].p, docs[i].n, NULL, NULL, &v) == CUR_OK && !v.drop)
			kept[t]++;
	}
	flt_worker_free(w);
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	cpu[t] = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: filters_speed RULES THREADS FILE...\n");
		return 2;
	}
	nthreads = (int)strtol(argv[2], NULL, 10);
	if (nthreads < 1 || nthreads > 64)
		return 2;
	size_t bytes = 0;
	for (int f = 3; f < argc; f++) {
		cur_reader *r;
		cur_reader_opts o;
		cur_err err;
		cur_reader_opts_init(&o);
		if (cur_reader_open(&r, argv[f], &o, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 3;
		}
		for (;;) {
			cur_doc d;
			cur_doc_init(&d);
			int k = cur_reader_read(r, &d, &err);
			if (k == CUR_OK) {
				if (ndocs == capdocs) {
					capdocs = capdocs ? 2 * capdocs : 1024;
					docs = realloc(docs, capdocs * sizeof(*docs));
				}
				docs[ndocs].p = cur_strndup(d.text, d.text_len);
				docs[ndocs++].n = d.text_len;
				bytes += d.text_len;
			}
			cur_doc_release(&d);
			if (k == CUR_EOF || k == CUR_EIO)
				break;
		}
		cur_reader_close(r);
	}
	json_t *cfg = json_pack("{s:s}", "rules", argv[1]);
	flt_engine *e;
	cur_err err;
	if (flt_engine_new(cfg, NULL, &e, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	eng = e;
	pthread_t th[64];
	double t0 = now();
	for (int t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, run, (void *)(long)t);
	size_t k = 0;
	double cpus = 0;
	for (int t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
		k += kept[t];
		cpus += cpu[t];
	}
	double dt = now() - t0;
	/* wall-clock MB/s, and MB per CPU-second (what one core does when it
	 * is not shared with other jobs) */
	printf("%-40s -j %d  %7.1f MB  wall %6.2f s %7.1f MB/s  cpu %6.2f s %7.1f MB/cpu-s  kept %zu/%zu\n",
	       argv[1], nthreads, bytes / 1e6, dt, bytes / 1e6 / dt, cpus, bytes / 1e6 / cpus, k, ndocs);
	flt_engine_free(e);
	json_decref(cfg);
	for (size_t i = 0; i < ndocs; i++)
		free(docs[i].p);
	free(docs);
	return 0;
}
