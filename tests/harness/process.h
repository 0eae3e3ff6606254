/* SPDX-License-Identifier: MIT */
/*
 * Child processes for integration tests: spawn a program with extra
 * environment in a process group of its own, its output in a file, and
 * stop the whole group with a deadline, so no test leaves anything
 * running. Also a bounded wait for a condition and temporary
 * directories.
 *
 * Children get SIGKILL when the thread that spawned them dies
 * (PR_SET_PDEATHSIG), so a crashed test leaves no peer behind. Call these
 * from the test's main thread.
 */
#ifndef DISTILLER_TESTS_HARNESS_PROCESS_H
#define DISTILLER_TESTS_HARNESS_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct process;

struct process_options {
	const char *const *argv; /* argv[0]: a path, or a name in PATH */
	const char *const *env;	 /* extra "KEY=value", NULL-terminated;
					 * may be NULL */
	const char *output_path; /* stdout and stderr, appended; NULL
					 * keeps the test's own */
	const char *cwd;	 /* may be NULL */
};

/*
 * Starts a child. Returns 0 and sets *out, or -errno (-ENOENT when the
 * program is not found). The child has its own process group.
 */
int process_spawn(const struct process_options *opts, struct process **out);

pid_t process_pid(const struct process *p);

/* True while the child has not exited (reaps it when it has). */
bool process_running(struct process *p);

/*
 * Waits up to @timeout_ms for the child to exit; 0 and its wait status in
 * *status (may be NULL), or -ETIMEDOUT.
 */
int process_wait(struct process *p, unsigned int timeout_ms, int *status);

/*
 * Sends @sig to the child's process group, waits up to @timeout_ms, then
 * kills the group with SIGKILL. Returns 0 when it went on @sig alone,
 * -ETIMEDOUT when SIGKILL was needed.
 */
int process_stop(struct process *p, int sig, unsigned int timeout_ms);

/* Stops the group (SIGTERM, 2 s) if still running and frees. NULL is ok. */
void process_free(struct process *p);

/* Monotonic milliseconds. */
uint64_t harness_now_ms(void);

typedef bool (*harness_predicate_cb_t)(void *user_data);

/*
 * Calls @cb until it returns true or @timeout_ms pass, sleeping 1 ms
 * first and backing off to 20 ms between tries. Returns 0 or -ETIMEDOUT.
 * For conditions that give no event to wait on (a socket appearing).
 */
int harness_wait_for(harness_predicate_cb_t cb, void *user_data,
		     unsigned int timeout_ms);

/*
 * Creates a fresh directory under $TMPDIR (or /tmp) named
 * "<prefix>XXXXXX" into @buf. Returns 0 or -errno.
 */
int harness_temp_dir(char *buf, size_t size, const char *prefix);

/* Removes a directory tree (no symlinks followed). Returns 0 or -errno. */
int harness_remove_tree(const char *path);

#endif
