/* Work-directory record layouts, shared by sign.c, resolve.c, decide.c. */
#ifndef DD_WORK_INT_H
#define DD_WORK_INT_H

#include "dedup/work.h"

#define DD_VERSION 1
#define DD_MAGIC_META "CURDDMT1"
#define DD_MAGIC_SIG "CURDDSG1"
#define DD_MAGIC_IDS "CURDDID1"
#define DD_MAGIC_SH "CURDDSH1"
#define DD_MAGIC_SHX "CURDDSX1"
#define DD_MAGIC_LINES "CURDDLN1"
#define DD_MAGIC_BAND "CURDDBD1"
#define DD_MAGIC_PAIRS "CURDDPR1"
#define DD_MAGIC_DECIDE "CURDDDC1"
#define DD_MAGIC_FREQ "CURDDLF1"

#define DD_META_HDR 128  /* see dd_meta_header_encode */
#define DD_META_REC 56   /* order u64, length u32, flags u32, date i64, exact[16], url[16] */
#define DD_SIG_HDR 16    /* magic, nperm u32, zero */
#define DD_ENTRY 12
/* decision: order u64, kind u8, value f32, cluster size u32, cluster u64,
 * bucket u64, text length u32, id length u32; then the id */
#define DD_DECIDE_REC 41
/* The work files are read and written record by record, each FILE by one
 * thread at a time (the pipeline's serial turn or one resolve thread), so
 * the lock stdio takes on every call buys nothing and costs ~5% of resolve. */
#define dd_fread fread_unlocked
#define dd_fwrite fwrite_unlocked

#define DD_STRIP 0x80    /* in the kind byte: --lines removes a line of it */
#define DD_RAW_OK 0x40   /* in the kind byte: DD_META_RAW */
#define DD_NO_META 0x20  /* in the kind byte: DD_META_NO_META */      /* band entry: key u64, local number u32 */

/* dd_work_path: "DIR/NAME-A-B.bin" (b < 0: "DIR/NAME-A.bin"; a < 0 too:
 * "DIR/NAME.bin"); malloc'd, NULL when out of memory. */
char *dd_work_path(const char *dir, const char *name, int a, int b);

void dd_meta_encode(const dd_meta *m, unsigned char *rec);
void dd_meta_decode(const unsigned char *rec, dd_meta *m);
void dd_meta_header_encode(const dd_config *c, int rank, int world, uint64_t ndocs,
			   unsigned char *h);
int dd_meta_header_decode(const unsigned char *h, dd_config *c, int *rank, int *world,
			  uint64_t *ndocs);

/* qsort comparator for (u64, u64) pairs. */
int dd_cmp_u64pair(const void *x, const void *y);
/* dd_run_jobs: fn on each of the n (at most 8) jobs of size bytes at jobs:
 * job 0 on the calling thread, the others on threads of their own (or here,
 * when a thread cannot start); returns when all are done. */
void dd_run_jobs(void *(*fn)(void *), void *jobs, size_t size, int n);

#endif
