/* Shared by core's Check suites (check_core.c, check_reader.c,
 * check_pipeline.c): the path of a fixture in tests/data/core. */
#ifndef TESTS_CORE_TEST_H
#define TESTS_CORE_TEST_H

#include <stdio.h>
#include <stdlib.h>

static char fixture[4096];

static inline const char *data(const char *name)
{
	const char *top = getenv("top_srcdir");

	snprintf(fixture, sizeof(fixture), "%s/tests/data/core/%s", top ? top : ".", name);
	return fixture;
}

#endif
