/* The job graph of a pipeline on a batch scheduler: the steps a run goes
 * through, each one array of tasks that starts when the step before it has
 * finished (docs/distributed.md draws it).
 *
 * A pipeline runs in passes (core/pipeline.h): each global stage (dedup)
 * ends one, observing every document, and starts the next, applying its
 * decisions. So each pass is a step of N tasks over slices of the inputs,
 * and between two passes the global stage resolves in steps of its own
 * (bucket, cluster). The shard sink tokenizes in the last pass, writes the
 * shards in a step of its own, and a final task writes the manifest,
 * gathers the outputs and merges the reports. */
#ifndef DIST_GRAPH_H
#define DIST_GRAPH_H

#include <stddef.h>
#include <jansson.h>

enum dist_stage_kind { DIST_LOCAL = 0, DIST_DEDUP = 1 };
enum dist_sink_kind { DIST_SINK_JSONL = 0, DIST_SINK_SHARD = 1 };

typedef struct dist_graph_in {
	size_t nstages;
	const int *kind;   /* per stage: enum dist_stage_kind */
	const int *bands;  /* per stage: a dedup's LSH bands; 0 without MinHash */
	int sink;          /* enum dist_sink_kind */
	int tasks;         /* N: tasks of each pass over the inputs */
} dist_graph_in;

/* dist_graph_build: the steps, in the order they run, as an array (new
 * reference) of objects:
 *   {"name": "1-pass1", "kind": "pass", "pass": 1, "tasks": N,
 *    "input": "inputs" (the first pass reads the run's inputs) or "pass",
 *    "output": "work" (the next pass reads what it leaves), "parts" or
 *    "spill" (the last: JSON Lines parts, or the shard sink's spill)}
 *   {"name": "2-dedup-bucket", "kind": "dedup-bucket", "tasks": B, "stage": K,
 *    "bands": the stage's LSH bands (task b buckets bands b, b + B, ...)}
 *   {"name": "3-dedup-cluster", "kind": "dedup-cluster", "tasks": 1, "stage": K}
 *   {"name": "5-shard-write", "kind": "shard-write", "tasks": N}
 *   {"name": "6-finish", "kind": "finish", "tasks": 1}
 * K is the dedup stage's place in the pipeline, 1-based (its files are in
 * WORK/dedup-K); B the smaller of N and its bands. A dedup without MinHash
 * has no bucket step (its URL, exact and line groups come from the cluster
 * step alone). NULL when out of memory. */
json_t *dist_graph_build(const dist_graph_in *in);

#endif
