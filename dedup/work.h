/* The dedup work directory: files exchanged by the phases
 * sign -> bucket -> cluster (resolve) -> apply.
 *
 * Per rank R: meta-R.bin (header, one fixed record per document),
 * sig-R.bin (signatures), ids-R.bin (document ids), band-B-R.bin (sorted
 * runs of band keys, one file per band), and with options sh-R.bin (sorted
 * shingle sets, for --verify exact) and lines-R.bin (line hashes, for
 * --lines). Per band: pairs-B.bin (verified candidate pairs). Per rank
 * after clustering: decide-R.bin (what apply does with each document).
 * All integers little-endian; every file starts with an 8-byte magic. */
#ifndef DD_WORK_H
#define DD_WORK_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "core/hist.h"
#include "dedup/dd_int.h"
#include "dedup/dedup.h"

/* What happens to a document (decide-R.bin). */
enum dd_kind { DD_KIND_KEEP = 0, DD_KIND_URL, DD_KIND_EXACT, DD_KIND_MINHASH };

/* Per-document facts that sign records (meta-R.bin). */
typedef struct dd_meta {
	uint64_t order;      /* global order key: input file index << 40 | record */
	uint32_t length;     /* text bytes */
	uint32_t flags;      /* DD_META_* */
	int64_t date;        /* dd_parse_date of metadata.date, -1 when none */
	unsigned char exact[16];
	unsigned char url[16];
} dd_meta;

/* DD_META_RAW: the record's line is valid UTF-8 and is the document as
 * read (no repair), so apply may write it back without checking it again.
 * DD_META_NO_META: the record has no "metadata" member, so apply may add
 * one to the line without looking for it. DD_META_SAME: a write of the
 * parsed record spells every value as the line does (cur_doc.raw_respelled
 * is 0), so metadata spliced into the line gives the pipeline's bytes once
 * whitespace is minified. */
enum { DD_META_URL = 1, DD_META_DATE = 2, DD_META_RAW = 4, DD_META_NO_META = 8,
       DD_META_SAME = 16 };

/* ---- sign ------------------------------------------------------------ */
typedef struct dd_signer dd_signer;

/* dd_signer_open: create rank's files in dir (which must exist). */
int dd_signer_open(dd_signer **out, const char *dir, int rank, int world, const dd_config *cfg,
		   cur_err *err);
/* dd_signer_add: record the next document. sig may be NULL when the run
 * has no minhash mode; shingles (sorted, unique) only with verify_exact;
 * lines only with the lines mode. */
int dd_signer_add(dd_signer *s, const dd_meta *m, const char *id, const uint32_t *sig,
		  const uint64_t *keys, const uint64_t *sh, size_t nsh, const uint64_t *lines,
		  size_t nlines, cur_err *err);
/* dd_signer_close: flush, write the headers and rename the files into
 * place (only then does a later phase see them). */
int dd_signer_close(dd_signer *s, cur_err *err);
/* dd_signer_free: free; removes unfinished files. NULL is fine. */
void dd_signer_free(dd_signer *s);
/* Bytes of memory the signer holds now (for the report). */
size_t dd_signer_mem(const dd_signer *s);

/* ---- bucket, cluster, resolve ----------------------------------------- */
typedef struct dd_work dd_work;

/* dd_work_open: read every rank's meta header in dir, check they agree and
 * build the global numbering (documents sorted by order key). */
int dd_work_open(dd_work **out, const char *dir, cur_err *err);
void dd_work_free(dd_work *w);
size_t dd_work_docs(const dd_work *w);
const dd_config *dd_work_config(const dd_work *w);

/* dd_work_bucket: sort-merge band's keys of all ranks and write the
 * verified candidate pairs to pairs-BAND.bin, skipping the documents
 * dd_work_exclude removed. */
int dd_work_bucket(dd_work *w, int band, cur_err *err);

/* dd_work_exclude: url and then exact grouping (as configured): every
 * document that is not its group's survivor is marked removed, so that
 * bucketing skips it. The bucket and cluster phases both start here. */
int dd_work_exclude(dd_work *w, cur_err *err);

/* dd_work_cluster: union-find over all pairs files (minhash), line
 * counting (lines), then decide-R.bin for every rank; after
 * dd_work_exclude. */
int dd_work_cluster(dd_work *w, cur_err *err);

/* dd_work_run_all: exclude -> bucket(all bands, on threads) -> cluster,
 * the whole resolve in one process. */
int dd_work_run_all(dd_work *w, cur_err *err);
/* dd_work_set_threads: bands run_all buckets at once (default 1); the
 * result is the same for any number. */
void dd_work_set_threads(dd_work *w, int threads);
/* dd_work_set_scratch: the directory dies with this process (as
 * dd_config.scratch says): its files are not fsync'd. */
void dd_work_set_scratch(dd_work *w, int scratch);

/* dd_work_cluster_sizes: add the size of every MinHash cluster of two or
 * more documents to h (after clustering; nothing before). */
void dd_work_cluster_sizes(const dd_work *w, cur_hist *h);

/* Figures for the report: documents per kind, clusters, memory. */
void dd_work_figures(const dd_work *w, uint64_t *counts /* [4] */, uint64_t *clusters,
		     uint64_t *pairs, size_t *peak_bytes);

/* Bytes held for the largest bucket's line counts (16 per distinct line
 * at most, in a table at most half full). */
size_t dd_work_line_bytes(const dd_work *w);
/* Candidate pairs not checked because an earlier band had joined them. */
uint64_t dd_work_skipped(const dd_work *w);

/* ---- apply ------------------------------------------------------------ */
typedef struct dd_decision {
	uint64_t order;
	int kind;            /* enum dd_kind */
	float value;         /* Jaccard estimate for minhash victims */
	uint32_t cluster_size; /* 0: not in a cluster of two or more */
	uint64_t cluster;    /* global number of the cluster's first document */
	char *dup_of;        /* survivor id (kind != KEEP), malloc'd */
	uint64_t bucket;     /* lines bucket of a kept document */
	uint32_t length;     /* text bytes at sign time */
	int strip;           /* --lines: some line of it goes */
	int raw_ok;          /* DD_META_RAW when signed */
	int no_meta;         /* DD_META_NO_META when signed */
	int same;            /* DD_META_SAME when signed */
} dd_decision;

typedef struct dd_decider dd_decider;
int dd_decider_open(dd_decider **out, const char *dir, int rank, cur_err *err);
/* dd_decider_next: the next document's decision (d->dup_of is owned by
 * the decider until the next call). CUR_EOF past the last. */
int dd_decider_next(dd_decider *d, dd_decision *out, cur_err *err);
/* dd_decider_line_frequent: is line hash h removed in bucket b? */
int dd_decider_line_frequent(const dd_decider *d, uint64_t b, uint64_t h);
const dd_config *dd_decider_config(const dd_decider *d);
/* Documents not yet read: non-zero at the end means apply saw other inputs. */
uint64_t dd_decider_left(const dd_decider *d);
void dd_decider_free(dd_decider *d);

#endif
