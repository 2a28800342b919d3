#include "config.h"

#include <stdio.h>
#include "dist/graph.h"

static json_t *add_step(json_t *steps, const char *kind, const char *label, int tasks)
{
	char name[64];
	json_t *s;

	snprintf(name, sizeof(name), "%zu-%s", json_array_size(steps) + 1, label);
	s = json_pack("{s:s, s:s, s:i}", "name", name, "kind", kind, "tasks", tasks);
	json_array_append_new(steps, s);
	return s;
}

static void add_pass(json_t *steps, const dist_graph_in *in, int pass, const char *output)
{
	char label[32];
	json_t *s;

	snprintf(label, sizeof(label), "pass%d", pass);
	s = add_step(steps, "pass", label, in->tasks);
	json_object_set_new(s, "pass", json_integer(pass));
	json_object_set_new(s, "input", json_string(pass == 1 ? "inputs" : "pass"));
	json_object_set_new(s, "output", json_string(output));
}

json_t *dist_graph_build(const dist_graph_in *in)
{
	json_t *steps = json_array(), *s;
	int pass = 1;
	size_t i;

	for (i = 0; i < in->nstages; i++) {
		int bucket_tasks;

		if (in->kind[i] != DIST_DEDUP)
			continue;
		add_pass(steps, in, pass++, "work");
		if (in->bands[i] > 0) {
			bucket_tasks = in->bands[i] < in->tasks ? in->bands[i] : in->tasks;
			s = add_step(steps, "dedup-bucket", "dedup-bucket", bucket_tasks);
			json_object_set_new(s, "stage", json_integer((json_int_t)i + 1));
			json_object_set_new(s, "bands", json_integer(in->bands[i]));
		}
		s = add_step(steps, "dedup-cluster", "dedup-cluster", 1);
		json_object_set_new(s, "stage", json_integer((json_int_t)i + 1));
	}
	add_pass(steps, in, pass, in->sink == DIST_SINK_SHARD ? "spill" : "parts");
	if (in->sink == DIST_SINK_SHARD)
		add_step(steps, "shard-write", "shard-write", in->tasks);
	add_step(steps, "finish", "finish", 1);
	return steps;
}
