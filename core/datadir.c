#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include "core/datadir.h"

#ifndef CUR_DATADIR
#define CUR_DATADIR "/usr/local/share/curate"
#endif
#ifndef CUR_SRCDIR
#define CUR_SRCDIR "."
#endif

int cur_data_path(const char *subdir, const char *name, char *path, size_t n, cur_err *err)
{
	const char *dirs[] = {CUR_DATADIR, CUR_SRCDIR "/data"};

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, n, "%s/%s/%s", dirs[i], subdir, name);
		if (access(path, R_OK) == 0)
			return CUR_OK;
	}
	return cur_err_set(err, CUR_EIO, "cannot find '%s/%s' in '%s' or '%s'", subdir, name,
			   dirs[0], dirs[1]);
}
