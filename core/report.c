#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "core/report.h"

void cur_report_counts(json_t *report, const cur_counts *c, uint64_t bad, uint64_t repairs,
		       json_t *errors)
{
	json_object_set_new(report, "documents_in", json_integer((json_int_t)c->docs_in));
	json_object_set_new(report, "documents_out", json_integer((json_int_t)c->docs_out));
	json_object_set_new(report, "bytes_in", json_integer((json_int_t)c->bytes_in));
	json_object_set_new(report, "bytes_out", json_integer((json_int_t)c->bytes_out));
	json_object_set_new(report, "bad_records", json_integer((json_int_t)bad));
	json_object_set_new(report, "utf8_repairs", json_integer((json_int_t)repairs));
	json_object_set(report, "errors", errors);
}

json_t *cur_report_stage(const char *name, const cur_counts *c, json_t *dropped,
			 double seconds)
{
	json_t *r = json_object();

	json_object_set_new(r, "name", json_string(name));
	json_object_set_new(r, "docs_in", json_integer((json_int_t)c->docs_in));
	json_object_set_new(r, "docs_out", json_integer((json_int_t)c->docs_out));
	json_object_set_new(r, "bytes_in", json_integer((json_int_t)c->bytes_in));
	json_object_set_new(r, "bytes_out", json_integer((json_int_t)c->bytes_out));
	json_object_set(r, "dropped", dropped);
	json_object_set_new(r, "seconds", json_real(seconds));
	return r;
}

json_t *cur_report_inputs(char *const *inputs, size_t n, const char *const *category)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++) {
		const char *cat = category ? category[i] : NULL;
		json_t *in = json_pack("{s:s}", "path", inputs[i]);
		struct stat st;

		if (strcmp(inputs[i], "-") != 0 && stat(inputs[i], &st) == 0)
			json_object_set_new(in, "bytes", json_integer((json_int_t)st.st_size));
		if (cat)
			json_object_set_new(in, "category", json_string(cat));
		json_array_append_new(out, in);
	}
	return out;
}

void cur_report_run_figures(json_t *report, double seconds, int jobs, double busy)
{
	double docs = (double)json_integer_value(json_object_get(report, "documents_in"));
	double bytes = (double)json_integer_value(json_object_get(report, "bytes_in"));
	struct rusage ru;

	if (jobs < 1)
		jobs = 1;
	json_object_set_new(report, "seconds", json_real(seconds));
	json_object_set_new(report, "jobs", json_integer(jobs));
	json_object_set_new(report, "thread_utilisation",
			    json_real(seconds > 0 ? busy / (seconds * jobs) : 0));
	json_object_set_new(report, "documents_per_second", json_real(seconds > 0 ? docs / seconds : 0));
	json_object_set_new(report, "bytes_per_second", json_real(seconds > 0 ? bytes / seconds : 0));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		json_object_set_new(report, "peak_rss_bytes",
				    json_integer((json_int_t)ru.ru_maxrss * 1024));
}

void cur_report_count(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}
