#include "config.h"

#include <stdio.h>
#include "bin/cli.h"
#include "bin/commands.h"
#include "core/buf.h"
#include "shards/shard.h"

/* `curate verify DIR`: recompute the checksums and check every shard listed
 * in DIR/manifest.json. Exit 1 when a check fails (the lines name the shard
 * and the offset), 3 when the manifest cannot be read. */
int cmd_verify(int argc, char **argv)
{
	json_t *cfg = json_object();
	cli_common c;
	int rc = cli_parse("verify", NULL, argc, argv, &c, cfg);

	json_decref(cfg);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (c.ninputs != 1) {
		fprintf(stderr, "curate verify: give one directory (curate verify DIR)\n");
		return 2;
	}
	cur_buf out;
	cur_err err;
	cur_buf_init(&out, CUR_BUF_UNLIMITED);
	cur_err_clear(&err);
	rc = shard_verify(c.inputs[0], &out, &err);
	if (out.len)
		fwrite(out.data, 1, out.len, rc == 1 ? stderr : stdout);
	cur_buf_release(&out);
	if (rc < 0) {
		fprintf(stderr, "curate verify: %s\n", err.msg);
		return 3;
	}
	return rc == 1 ? 1 : 0;
}
