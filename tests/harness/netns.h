/* SPDX-License-Identifier: MIT */
/*
 * Test harness: network namespaces and the processes that run inside
 * them. A test builds a small private network (namespaces joined by veth
 * pairs), starts real servers in it and runs real client tools against
 * them, then tears everything down. Needs root (CAP_SYS_ADMIN and
 * CAP_NET_ADMIN) and ip(8) from iproute2.
 *
 * Namespaces are named "<prefix>-<pid>-<n>" so that parallel test
 * programs never meet, and are made and deleted with `ip netns`, which
 * keeps them in /run/netns/ where any process can join them by name.
 *
 * A process can also get a private mount namespace with empty tmpfs
 * mounts over chosen directories: a server that insists on a fixed
 * runtime path (avahi-daemon's /run/avahi-daemon/pid) then runs beside
 * another copy of itself, and beside the host's own, without either
 * seeing the other's files. Nothing outside the child changes.
 *
 * Processes here are started by pid rather than as harness/process.h's
 * struct process because the child must join its namespaces between
 * fork and exec, and tools are run to completion with their output
 * captured. None of these functions is thread-safe; call them from the
 * test's thread. Every wait is bounded by a deadline.
 */
#ifndef DISTILLER_TESTS_HARNESS_NETNS_H
#define DISTILLER_TESTS_HARNESS_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct netns;

/*
 * Creates a namespace "<prefix>-<pid>-<n>" with its loopback up. Returns
 * NULL and sets errno on failure.
 */
struct netns *netns_new(const char *prefix);

/* Deletes the namespace (its veth ends go with it). Accepts NULL. */
void netns_free(struct netns *ns);

const char *netns_name(const struct netns *ns);

/*
 * Joins @a and @b with a veth pair: @a_if in @a with address @a_cidr
 * ("10.77.0.1/24"), @b_if in @b with @b_cidr. Both ends come up with
 * multicast on. Returns 0 or -errno.
 */
int netns_link_veth(struct netns *a, const char *a_if, const char *a_cidr,
		    struct netns *b, const char *b_if, const char *b_cidr);

/* How to start one process. Unset fields mean "as the caller". */
struct netns_cmd {
	const struct netns *ns;		 /* NULL: the caller's namespace */
	char *const *argv;		 /* argv[0] is looked up in PATH */
	char *const *env;		 /* extra NAME=value, NULL-terminated */
	const char *const *private_dirs; /* empty tmpfs over each, privately */
	const char *log_path; /* stdout+stderr appended; NULL: null */
};

/*
 * Starts @cmd and returns its pid (> 0) or -errno. When @stdout_fd is not
 * NULL the child's stdout goes to a pipe whose read end (close-on-exec)
 * is stored there, and only stderr goes to log_path.
 */
pid_t netns_spawn(const struct netns_cmd *cmd, int *stdout_fd);

/*
 * Runs @cmd to completion within @timeout_ms and returns its exit status
 * (0..255), or -ETIMEDOUT (the process is killed), or -errno; a death by
 * signal is -EINTR. When @out is not NULL it receives the whole stdout,
 * NUL-terminated, for the caller to free().
 */
int netns_run(const struct netns_cmd *cmd, unsigned int timeout_ms, char **out);

/*
 * Waits up to @timeout_ms for @pid to exit and reaps it. Returns the wait
 * status (as waitpid fills it) or -ETIMEDOUT, leaving the process alone.
 */
int netns_wait(pid_t pid, unsigned int timeout_ms);

/*
 * Sends @sig to @pid and waits up to @timeout_ms for it to exit; a
 * process that outlives the wait is killed with SIGKILL and reaped.
 * Returns 0 when it left within the wait, -ETIMEDOUT when it had to be
 * killed, or -errno. Accepts pid <= 0 (nothing to do).
 */
int netns_stop(pid_t pid, int sig, unsigned int timeout_ms);

/*
 * Reads one line (without its newline) from @fd into @buf within
 * @timeout_ms. Returns its length, -ETIMEDOUT, -EPIPE at end of file, or
 * -errno. Reads byte by byte, so nothing after the line is consumed.
 */
int netns_read_line(int fd, char *buf, size_t size, unsigned int timeout_ms);

/*
 * Waits up to @timeout_ms until the file at @path contains @needle,
 * woken by inotify when it changes. Returns 0 or -ETIMEDOUT.
 */
int netns_wait_file_contains(const char *path, const char *needle,
			     unsigned int timeout_ms);

#endif
