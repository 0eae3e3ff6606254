/* SPDX-License-Identifier: MIT */
/*
 * Test harness: network namespaces made with ip(8) and processes started
 * inside them (see netns.h). A child joins its namespace with setns(2)
 * between fork and exec; everything it needs (argv, environment, open
 * descriptors) is prepared before the fork so the child only makes
 * system calls. Waits use pidfd_open(2), poll(2) and inotify(7) with a
 * deadline, never a fixed sleep.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness/netns.h"
#include "tests/harness/process.h"

#define NETNS_NAME_MAX 64
#define NETNS_CMD_TIMEOUT_MS 10000
#define NETNS_ENV_MAX 256

extern char **environ;

struct netns {
	char name[NETNS_NAME_MAX];
};

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = harness_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Runs `ip ARGS...` in the caller's namespace; 0 or -EIO. */
static int ip_cmd(char *const *argv)
{
	struct netns_cmd cmd = { .argv = argv };
	int rc;

	rc = netns_run(&cmd, NETNS_CMD_TIMEOUT_MS, NULL);
	if (rc > 0) {
		fprintf(stderr, "netns: `ip %s %s %s ...` exited with %d\n",
			argv[1], argv[2], argv[3] ? argv[3] : "", rc);
		return -EIO;
	}

	return rc;
}

struct netns *netns_new(const char *prefix)
{
	static unsigned int counter;
	struct netns *ns;
	int rc;

	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;

	snprintf(ns->name, sizeof(ns->name), "%s-%d-%u", prefix, getpid(),
		 counter++);

	rc = ip_cmd((char *const[]){ "ip", "netns", "add", ns->name, NULL });
	if (rc < 0) {
		free(ns);
		errno = -rc;
		return NULL;
	}

	rc = ip_cmd((char *const[]){ "ip", "-n", ns->name, "link", "set", "lo",
				     "up", NULL });
	if (rc < 0) {
		netns_free(ns);
		errno = -rc;
		return NULL;
	}

	return ns;
}

void netns_free(struct netns *ns)
{
	if (!ns)
		return;

	ip_cmd((char *const[]){ "ip", "netns", "del", ns->name, NULL });
	free(ns);
}

const char *netns_name(const struct netns *ns)
{
	return ns->name;
}

static int veth_end_up(struct netns *ns, const char *ifname, const char *cidr)
{
	int rc;

	rc = ip_cmd((char *const[]){ "ip", "-n", ns->name, "addr", "add",
				     (char *)cidr, "dev", (char *)ifname,
				     NULL });
	if (rc < 0)
		return rc;

	return ip_cmd((char *const[]){ "ip", "-n", ns->name, "link", "set",
				       (char *)ifname, "up", "multicast", "on",
				       NULL });
}

int netns_link_veth(struct netns *a, const char *a_if, const char *a_cidr,
		    struct netns *b, const char *b_if, const char *b_cidr)
{
	int rc;

	rc = ip_cmd((char *const[]){ "ip", "link", "add", (char *)a_if, "netns",
				     a->name, "type", "veth", "peer", "name",
				     (char *)b_if, "netns", b->name, NULL });
	if (rc < 0)
		return rc;

	rc = veth_end_up(a, a_if, a_cidr);
	if (rc < 0)
		return rc;

	return veth_end_up(b, b_if, b_cidr);
}

/* Does @entry ("NAME=value") set the variable named like @other's? */
static bool env_same_name(const char *entry, const char *other)
{
	const char *eq = strchr(other, '=');
	size_t len = eq ? (size_t)(eq - other) : strlen(other);

	return !strncmp(entry, other, len) && entry[len] == '=';
}

/* environ with @extra added or replacing; the strings are borrowed. */
static char **env_build(char *const *extra)
{
	size_t n = 0, n_extra = 0, i, j;
	char **envp;

	while (environ[n])
		n++;
	while (extra && extra[n_extra])
		n_extra++;

	envp = calloc(n + n_extra + 1, sizeof(*envp));
	if (!envp)
		return NULL;

	for (i = 0, j = 0; i < n; i++) {
		bool replaced = false;

		for (size_t k = 0; k < n_extra; k++)
			replaced |= env_same_name(environ[i], extra[k]);
		if (!replaced)
			envp[j++] = environ[i];
	}

	for (i = 0; i < n_extra; i++)
		envp[j++] = extra[i];

	return envp;
}

/* Only system calls from here on: we are between fork and exec. */
static void child_exec(const struct netns_cmd *cmd, char **envp, int ns_fd,
		       int out_fd, int err_fd)
{
	sigset_t none;
	int null_fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) < 0)
		_exit(126);

	if (cmd->private_dirs && cmd->private_dirs[0]) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(126);

		for (size_t i = 0; cmd->private_dirs[i]; i++)
			if (mount("tmpfs", cmd->private_dirs[i], "tmpfs",
				  MS_NOSUID | MS_NODEV, "mode=0755") < 0)
				_exit(126);
	}

	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0)
		_exit(126);

	dup2(null_fd, STDIN_FILENO);
	dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
	dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO);
	execvpe(cmd->argv[0], cmd->argv, envp);
	_exit(127);
}

pid_t netns_spawn(const struct netns_cmd *cmd, int *stdout_fd)
{
	int ns_fd = -1, log_fd = -1, pipe_fds[2] = { -1, -1 };
	char path[PATH_MAX];
	char **envp;
	pid_t pid;
	int rc;

	envp = env_build(cmd->env);
	if (!envp)
		return -ENOMEM;

	if (cmd->ns) {
		snprintf(path, sizeof(path), "/run/netns/%s", cmd->ns->name);
		ns_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (ns_fd < 0) {
			rc = -errno;
			goto out;
		}
	}

	if (cmd->log_path) {
		log_fd = open(cmd->log_path,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			rc = -errno;
			goto out;
		}
	}

	if (stdout_fd && pipe2(pipe_fds, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}

	if (pid == 0)
		child_exec(cmd, envp, ns_fd, stdout_fd ? pipe_fds[1] : log_fd,
			   log_fd);

	rc = pid;
	if (stdout_fd) {
		*stdout_fd = pipe_fds[0];
		pipe_fds[0] = -1;
	}

out:
	if (pipe_fds[0] >= 0)
		close(pipe_fds[0]);
	if (pipe_fds[1] >= 0)
		close(pipe_fds[1]);
	if (log_fd >= 0)
		close(log_fd);
	if (ns_fd >= 0)
		close(ns_fd);
	free(envp);
	return rc;
}

int netns_wait(pid_t pid, unsigned int timeout_ms)
{
	struct pollfd pfd = { .events = POLLIN };
	int status, rc;

	pfd.fd = pidfd_open(pid, 0);
	if (pfd.fd < 0)
		return -errno;

	do {
		rc = poll(&pfd, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	close(pfd.fd);

	if (rc == 0)
		return -ETIMEDOUT;
	if (rc < 0)
		return -errno;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;

	return status;
}

int netns_stop(pid_t pid, int sig, unsigned int timeout_ms)
{
	int rc;

	if (pid <= 0)
		return 0;

	if (kill(pid, sig) < 0)
		return -errno;

	rc = netns_wait(pid, timeout_ms);
	if (rc != -ETIMEDOUT)
		return rc < 0 ? rc : 0;

	kill(pid, SIGKILL);
	netns_wait(pid, NETNS_CMD_TIMEOUT_MS);
	return -ETIMEDOUT;
}

/* Appends what @fd has until end of file or @deadline to *buf. */
static int read_all(int fd, char **buf, size_t *len, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t cap = 4096;
	char *grown;
	ssize_t n;

	*buf = malloc(cap);
	if (!*buf)
		return -ENOMEM;

	*len = 0;
	for (;;) {
		if (cap - *len < 1024) {
			grown = realloc(*buf, cap * 2);
			if (!grown)
				return -ENOMEM;
			*buf = grown;
			cap *= 2;
		}

		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return -ETIMEDOUT;

		n = read(fd, *buf + *len, cap - *len - 1);
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			*len += n;
	}

	(*buf)[*len] = '\0';
	return 0;
}

int netns_run(const struct netns_cmd *cmd, unsigned int timeout_ms, char **out)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1, rc = 0, status;
	pid_t pid;

	pid = netns_spawn(cmd, out ? &fd : NULL);
	if (pid < 0)
		return pid;

	if (out) {
		rc = read_all(fd, &buf, &len, deadline);
		close(fd);
	}

	status = rc ? rc : netns_wait(pid, remaining_ms(deadline));
	if (status < 0) {
		netns_stop(pid, SIGKILL, NETNS_CMD_TIMEOUT_MS);
		free(buf);
		return status;
	}

	if (out)
		*out = buf;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);

	return -EINTR;
}

int netns_read_line(int fd, char *buf, size_t size, unsigned int timeout_ms)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;
	char c;

	while (len + 1 < size) {
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return -ETIMEDOUT;

		n = read(fd, &c, 1);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}

		if (c == '\n')
			break;
		buf[len++] = c;
	}

	buf[len] = '\0';
	return (int)len;
}

static bool file_contains(const char *path, const char *needle)
{
	char buf[65536];
	bool found;
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;

	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	found = strstr(buf, needle) != NULL;
	return found;
}

int netns_wait_file_contains(const char *path, const char *needle,
			     unsigned int timeout_ms)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;
	char dir[PATH_MAX], events[4096];
	struct pollfd pfd = { .events = POLLIN };
	int rc = -ETIMEDOUT;

	snprintf(dir, sizeof(dir), "%s", path);
	pfd.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (pfd.fd < 0)
		return -errno;

	/* The directory, so a file that does not exist yet is seen too. */
	if (inotify_add_watch(pfd.fd, dirname(dir),
			      IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE) < 0) {
		rc = -errno;
		goto out;
	}

	for (;;) {
		if (file_contains(path, needle)) {
			rc = 0;
			break;
		}

		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			break;

		while (read(pfd.fd, events, sizeof(events)) > 0)
			;
	}

out:
	close(pfd.fd);
	return rc;
}
