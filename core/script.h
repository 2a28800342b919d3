/* Writing systems of code points, by Unicode block: one table for every
 * module that asks which script a text is written in (the filters' script
 * fraction, `curate stats`). A block is enough to tell the scripts of web
 * text apart; it is not the full Unicode Script property. */
#ifndef CUR_SCRIPT_H
#define CUR_SCRIPT_H

#include <stdint.h>

/* The scripts, by id; CUR_SCRIPT_OTHER for code points in none of them. */
enum { CUR_SCRIPT_LATIN = 0, CUR_SCRIPT_OTHER = 27, CUR_NSCRIPTS = 28 };

/* cur_script_of: the script id of cp (Latin for everything below U+02B0). */
int cur_script_of(uint32_t cp);

/* cur_script_name: "latin", "greek", ..., "other". */
const char *cur_script_name(int id);

/* cur_script_id: the id of a name (any case), or -1. */
int cur_script_id(const char *name);

#endif
