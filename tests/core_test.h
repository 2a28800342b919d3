/* Shared by core's Check suites (check_core.c, check_reader.c,
 * check_pipeline.c): the path of a fixture in tests/data/core, and a file
 * of given bytes. */
#ifndef TESTS_CORE_TEST_H
#define TESTS_CORE_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static char fixture[4096];

static inline const char *data(const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixture, sizeof(fixture), "%s/tests/data/core/%s", top ? top : ".", name);
	return fixture;
}

/* write_bytes: path holds exactly p[0..n). */
static inline void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

#endif
