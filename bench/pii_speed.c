/* pii_speed: time the detector alone (no JSON, no I/O) over the texts of
 * JSONL files, on 1..N threads sharing one compiled detector.
 *
 * usage: pii_speed [--types LIST] [--ip all] [--threads N] [--repeat R] FILE.jsonl...
 * prints: bytes, spans, seconds and MB/s. */
#include "config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pii/pii.h"

struct text { char *s; size_t n; };
struct job {
	const pii_detector *det;
	struct text *t;
	size_t from, to;
	size_t spans;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg)
{
	struct job *j = arg;
	pii_scratch *s = pii_scratch_new(j->det);
	pii_spans sp = {0};
	size_t spans = 0; /* local: no false sharing between the jobs */
	for (size_t i = j->from; i < j->to; i++) {
		sp.n = 0;
		if (pii_detect(j->det, s, j->t[i].s, j->t[i].n, &sp) == CUR_OK)
			spans += sp.n;
	}
	j->spans = spans;
	pii_spans_release(&sp);
	pii_scratch_free(s);
	return NULL;
}

int main(int argc, char **argv)
{
	pii_opts o = {PII_TYPES_ALL, 0};
	int threads = 1, repeat = 1, i = 1;
	cur_err err;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		if (i + 1 >= argc)
			return 2;
		if (!strcmp(argv[i], "--types")) {
			if (pii_types_parse(argv[i + 1], &o.types, &err)) {
				fprintf(stderr, "pii_speed: %s\n", err.msg);
				return 2;
			}
		} else if (!strcmp(argv[i], "--ip")) {
			o.ip_all = !strcmp(argv[i + 1], "all");
		} else if (!strcmp(argv[i], "--repeat")) {
			repeat = (int)strtol(argv[i + 1], NULL, 10);
		} else if (!strcmp(argv[i], "--threads")) {
			threads = (int)strtol(argv[i + 1], NULL, 10);
		} else {
			fprintf(stderr, "pii_speed: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (threads < 1 || threads > 64)
		threads = 1;
	struct text *t = NULL;
	size_t nt = 0, cap = 0, bytes = 0;
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		char *line = NULL;
		size_t lcap = 0;
		if (!f) {
			perror(argv[i]);
			return 3;
		}
		while (getline(&line, &lcap, f) > 0) {
			json_t *d = json_loads(line, 0, NULL);
			json_t *x = d ? json_object_get(d, "text") : NULL;
			if (json_is_string(x)) {
				if (nt == cap) {
					cap = cap ? cap * 2 : 1024;
					t = realloc(t, cap * sizeof *t);
					if (!t)
						return 3;
				}
				t[nt].n = json_string_length(x);
				t[nt].s = malloc(t[nt].n + 1);
				if (!t[nt].s)
					return 3;
				memcpy(t[nt].s, json_string_value(x), t[nt].n + 1);
				bytes += t[nt++].n;
			}
			json_decref(d);
		}
		free(line);
		fclose(f);
	}
	pii_detector *det = pii_detector_new(&o, &err);
	if (!det) {
		fprintf(stderr, "pii_speed: %s\n", err.msg);
		return 3;
	}
	struct job jobs[64];
	pthread_t th[64];
	/* Split by bytes so that the threads get equal work. */
	size_t per = bytes / (size_t)threads + 1, at = 0;
	for (int k = 0; k < threads; k++) {
		size_t acc = 0, from = at;
		while (at < nt && (acc < per || k == threads - 1))
			acc += t[at++].n;
		jobs[k] = (struct job){det, t, from, at, 0};
	}
	/* --repeat R: the best of R runs, the usual way to time on a busy
	 * machine. */
	double sec = 1e30;
	size_t spans = 0;
	for (int r = 0; r < (repeat < 1 ? 1 : repeat); r++) {
		double t0 = now();
		for (int k = 0; k < threads; k++)
			pthread_create(&th[k], NULL, run, &jobs[k]);
		spans = 0;
		for (int k = 0; k < threads; k++) {
			pthread_join(th[k], NULL);
			spans += jobs[k].spans;
		}
		double s = now() - t0;
		sec = s < sec ? s : sec;
	}
	printf("threads %d docs %zu bytes %zu spans %zu seconds %.3f MB/s %.1f\n", threads, nt,
	       bytes, spans, sec, (double)bytes / 1e6 / sec);
	pii_detector_free(det);
	for (size_t k = 0; k < nt; k++)
		free(t[k].s);
	free(t);
	return 0;
}
