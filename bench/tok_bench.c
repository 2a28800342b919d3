/* tok_bench: curate's encoder over a JSONL corpus held in memory, with N
 * threads, for bench/tokenizer.sh (the node peers do the same in
 * tokenizer_peers.js). Prints one JSON line like theirs.
 *   bench/tok_bench [-j N] [-p PASSES] [--tokenizer FILE] CORPUS.jsonl */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "tokenizer/tokenizer.h"

typedef struct corpus {
	char **text;
	size_t *len;
	size_t n, bytes;
} corpus;

typedef struct job {
	const tok_tokenizer *t;
	const corpus *c;
	size_t next; /* the next document to take (atomic) */
	size_t tokens; /* (atomic) */
} job;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int corpus_load(const char *path, corpus *c)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, room = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *o = json_loads(line, JSON_ALLOW_NUL, &je), *tx;
		if (!o || !json_is_string(tx = json_object_get(o, "text"))) {
			json_decref(o);
			continue;
		}
		if (c->n == room) {
			room = room ? 2 * room : 4096;
			c->text = realloc(c->text, room * sizeof(char *));
			c->len = realloc(c->len, room * sizeof(size_t));
		}
		c->len[c->n] = json_string_length(tx);
		c->text[c->n] = malloc(c->len[c->n] + 1);
		memcpy(c->text[c->n], json_string_value(tx), c->len[c->n] + 1);
		c->bytes += c->len[c->n];
		c->n++;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return 0;
}

static void *worker(void *arg)
{
	job *j = arg;
	tok_ids v;
	size_t tokens = 0, i;

	tok_ids_init(&v);
	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) < j->c->n) {
		v.len = 0;
		tok_encode(j->t, j->c->text[i], j->c->len[i], 1, &v);
		tokens += v.len;
	}
	__atomic_fetch_add(&j->tokens, tokens, __ATOMIC_RELAXED);
	tok_ids_release(&v);
	return NULL;
}

static double run_pass(const tok_tokenizer *t, const corpus *c, int threads, size_t *tokens)
{
	pthread_t th[64];
	job j = { t, c, 0, 0 };
	double t0 = now();

	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, &j);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	*tokens = j.tokens;
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *vocab = NULL, *path = NULL;
	int threads = 1, passes = 3;
	tok_tokenizer *t;
	cur_err err;
	corpus c;
	double load, load_cpu, times[32];
	size_t tokens = 0;
	uint64_t h = 0xcbf29ce484222325ull;
	tok_ids v;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			threads = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			passes = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc)
			vocab = argv[++i];
		else
			path = argv[i];
	}
	if (!path || threads < 1 || threads > 64 || passes < 1 || passes > 32) {
		fprintf(stderr, "usage: tok_bench [-j N] [-p PASSES] [--tokenizer FILE] CORPUS.jsonl\n");
		return 2;
	}
	if (corpus_load(path, &c) < 0) {
		fprintf(stderr, "tok_bench: cannot read '%s'\n", path);
		return 3;
	}
	load = now();
	load_cpu = cpu_now();
	if (tok_load(vocab, &t, &err) < 0) {
		fprintf(stderr, "tok_bench: %s\n", err.msg);
		return 3;
	}
	load = now() - load;
	load_cpu = cpu_now() - load_cpu;
	/* Verification pass (untimed): FNV-1a over every id, as the peers. */
	tok_ids_init(&v);
	for (size_t i = 0; i < c.n; i++) {
		v.len = 0;
		tok_encode(t, c.text[i], c.len[i], 1, &v);
		tokens += v.len;
		for (size_t k = 0; k < v.len; k++)
			for (int b = 0; b < 4; b++) {
				h ^= (v.ids[k] >> (8 * b)) & 0xFF;
				h *= 0x100000001b3ull;
			}
	}
	for (int p = 0; p < passes; p++) {
		size_t n;
		times[p] = run_pass(t, &c, threads, &n);
		if (n != tokens) {
			fprintf(stderr, "tok_bench: pass %d gave %zu tokens, not %zu\n", p, n, tokens);
			return 1;
		}
	}
	qsort(times, (size_t)passes, sizeof(double), cmp_double);
	printf("{\"engine\": \"curate -j %d\", \"load_ms\": %.2f, \"load_cpu_ms\": %.2f, "
	       "\"docs\": %zu, \"bytes\": %zu, "
	       "\"tokens\": %zu, \"ids_hash\": \"%016llx\", \"best_s\": %.4f, \"median_s\": %.4f}\n",
	       threads, load * 1e3, load_cpu * 1e3, c.n, c.bytes, tokens, (unsigned long long)h, times[0],
	       times[passes / 2]);
	tok_ids_release(&v);
	tok_free(t);
	return 0;
}
