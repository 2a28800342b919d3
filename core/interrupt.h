/* Interruption, and the temporaries a run must not leave behind.
 *
 * curate's main installs the signal handlers (bin/curate.c). The first
 * SIGINT, SIGTERM or SIGHUP only records the signal: the long loops (the
 * pipeline's reader, the phases of dedup and shard) poll cur_interrupted(),
 * stop, and fail with CUR_EINTR, so that the ordinary error paths remove
 * every temporary and the command exits with 128 + the signal. A second
 * signal does not wait: the handler removes every temporary in the
 * registry (cur_temp_sweep) and exits at once.
 *
 * Every temporary file or directory is registered while it exists:
 * cur_atomic_open's files (core/file.h) and the scratch directories of
 * dedup and shard. The flag and the registry are the process's only
 * mutable globals: a signal handler has nowhere else to look. */
#ifndef CUR_INTERRUPT_H
#define CUR_INTERRUPT_H

/* cur_interrupt: record sig (async-signal-safe; the first one counts). */
void cur_interrupt(int sig);

/* cur_interrupted: the signal recorded, or 0. */
int cur_interrupted(void);

/* cur_temp_add: register path (copied): a file, or a directory with
 * everything in it. Returns a slot for cur_temp_remove, or -1 when
 * the registry is full or out of memory (the path is then not swept; the
 * ordinary clean-up still removes it). */
int cur_temp_add(const char *path);

/* cur_temp_remove: forget slot (-1 does nothing); call it once the path is
 * gone or has become a real output. */
void cur_temp_remove(int slot);

/* cur_temp_sweep: remove every registered path now (async-signal-safe:
 * for the handler of a second signal). */
void cur_temp_sweep(void);

#endif
