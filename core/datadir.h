/* Files curate ships (vocabularies, word lists, models). */
#ifndef CUR_DATADIR_H
#define CUR_DATADIR_H

#include <stddef.h>
#include "core/error.h"

/* cur_data_path: the path of shipped file SUBDIR/NAME: under the installed
 * $(pkgdatadir) when it is there, else under the source tree's data/ (a
 * build that was never installed). OUT: path (room for n). CUR_EIO, naming
 * both places, when neither has it. */
int cur_data_path(const char *subdir, const char *name, char *path, size_t n, cur_err *err);

#endif
