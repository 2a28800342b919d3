# data/: the demo sample and pipeline, shipped in the tarball.
EXTRA_DIST += data/README.md data/pipeline.yaml $(wildcard $(srcdir)/data/sample/*)
# The bundled reference model for `curate ppl` (docs/model.md), installed to
# $(datadir)/curate/models/reference/.
referencedir = $(pkgdatadir)/models/reference
dist_reference_DATA = data/models/reference/config.json data/models/reference/model.safetensors \
	data/models/reference/ppl_buckets.json data/models/reference/train_log.csv \
	data/models/reference/loss_curve.svg data/models/reference/evaluation.json
