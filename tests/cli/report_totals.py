"""Print a run report without what differs between two runs of the same
pipeline (docs/distributed.md): the command and its "run", times, rates,
threads, memory (per process), and the executor's own "slurm". Every figure
the run counts stays, except that dedup's candidate_pairs and
pairs_already_joined become their sum: how the pairs split between them
depends on how the bands were shared out (docs/dedup.md). Used to compare
`curate slurm` with `curate run`.

usage: report_totals.py REPORT.json
"""
import json
import sys

VARY = {"command", "run", "seconds", "thread_seconds", "jobs", "thread_utilisation",
        "documents_per_second", "bytes_per_second", "slurm"}
MEMORY = ("per_doc", "state_bytes", "bytes_held", "peak", "line_count_bytes", "rss")


def keep(k):
    return k not in VARY and not k.endswith("_seconds") and not any(m in k for m in MEMORY)


def strip(o):
    if isinstance(o, dict):
        o = {k: strip(v) for k, v in o.items() if keep(k)}
        if "candidate_pairs" in o and "pairs_already_joined" in o:
            o["pairs_checked"] = o.pop("candidate_pairs") + o.pop("pairs_already_joined")
        return o
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
