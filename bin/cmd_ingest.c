#include "config.h"

#include "bin/cli.h"
#include "bin/commands.h"

/* `curate ingest`: read anything the readers know (JSONL, text, archives,
 * WARC/WET; compressed or not) and write normalized JSON Lines. The
 * normalization is the readers' own: valid UTF-8, an id for every record. */
int cmd_ingest(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	int rc = cli_parse("ingest", NULL, argc, argv, &c, cfg);

	json_decref(cfg);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_check_files("ingest", &c)) != 0)
		return rc;
	return cli_run_pipeline("ingest", &c, NULL, 0, NULL);
}
