# data/: the demo sample and pipeline, shipped in the tarball.
EXTRA_DIST += data/README.md data/pipeline.yaml $(wildcard $(srcdir)/data/sample/*) \
	data/reference/prose-en.jsonl.zst data/reference/model.json
