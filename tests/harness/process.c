/* SPDX-License-Identifier: MIT */
/*
 * Child processes for integration tests (see process.h). The child is
 * forked and executes at once; everything it needs (the resolved path,
 * the environment) is prepared before fork so that the child only makes
 * async-signal-safe calls, which keeps forking safe in a test that has
 * GLib threads running.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness/process.h"

extern char **environ;

struct process {
	pid_t pid;
	bool exited;
	int status;
};

uint64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int harness_wait_for(harness_predicate_cb_t cb, void *user_data,
		     unsigned int timeout_ms)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;
	unsigned int pause = 1;

	for (;;) {
		if (cb(user_data))
			return 0;

		if (harness_now_ms() >= deadline)
			return -ETIMEDOUT;

		sleep_ms(pause);
		if (pause < 20)
			pause *= 2;
	}
}

/* Finds @name in PATH the way execvp would, before fork. */
static int resolve_program(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		if (snprintf(out, size, "%s", name) >= (int)size)
			return -ENAMETOOLONG;
		return access(out, X_OK) == 0 ? 0 : -errno;
	}

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";

	for (p = path; *p;) {
		size_t len = strcspn(p, ":");

		if (snprintf(out, size, "%.*s/%s", (int)len, p, name) <
			    (int)size &&
		    access(out, X_OK) == 0)
			return 0;

		p += len;
		if (*p == ':')
			p++;
	}

	return -ENOENT;
}

/* environ with @extra added; an extra KEY replaces the inherited one. */
static char **build_env(const char *const *extra)
{
	size_t n_env = 0, n_extra = 0, n = 0, i, j;
	char **env;

	while (environ[n_env])
		n_env++;
	while (extra && extra[n_extra])
		n_extra++;

	env = calloc(n_env + n_extra + 1, sizeof(*env));
	if (!env)
		return NULL;

	for (i = 0; i < n_env; i++) {
		size_t key_len = strcspn(environ[i], "=");
		bool replaced = false;

		for (j = 0; j < n_extra; j++) {
			if (strncmp(extra[j], environ[i], key_len + 1) == 0)
				replaced = true;
		}

		if (!replaced)
			env[n++] = environ[i];
	}

	for (j = 0; j < n_extra; j++)
		env[n++] = (char *)extra[j];

	return env;
}

/* In the child: only async-signal-safe calls until execve. */
static void exec_child(const char *program, char *const argv[],
		       char *const envp[], int out_fd, const char *cwd,
		       pid_t parent)
{
	sigset_t all;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}

	if (cwd && chdir(cwd) < 0)
		_exit(126);

	execve(program, argv, envp);
	_exit(127);
}

int process_spawn(const struct process_options *opts, struct process **out)
{
	char program[PATH_MAX];
	struct process *p;
	pid_t parent = getpid();
	char **env;
	int out_fd = -1;
	int err;

	err = resolve_program(opts->argv[0], program, sizeof(program));
	if (err < 0)
		return err;

	p = calloc(1, sizeof(*p));
	env = build_env(opts->env);
	if (!p || !env) {
		free(p);
		free(env);
		return -ENOMEM;
	}

	if (opts->output_path) {
		out_fd = open(opts->output_path,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			err = -errno;
			goto fail;
		}
	}

	p->pid = fork();
	if (p->pid < 0) {
		err = -errno;
		goto fail;
	}

	if (p->pid == 0)
		exec_child(program, (char *const *)opts->argv, env, out_fd,
			   opts->cwd, parent);

	/* also from this side, so a stop right away reaches the group */
	setpgid(p->pid, p->pid);

	if (out_fd >= 0)
		close(out_fd);
	free(env);
	*out = p;
	return 0;

fail:
	if (out_fd >= 0)
		close(out_fd);
	free(env);
	free(p);
	return err;
}

pid_t process_pid(const struct process *p)
{
	return p->pid;
}

static bool reap(struct process *p)
{
	pid_t r;

	if (p->exited)
		return true;

	r = waitpid(p->pid, &p->status, WNOHANG);
	if (r == p->pid || (r < 0 && errno == ECHILD))
		p->exited = true;

	return p->exited;
}

bool process_running(struct process *p)
{
	return !reap(p);
}

static bool exited_cb(void *user_data)
{
	return reap(user_data);
}

int process_wait(struct process *p, unsigned int timeout_ms, int *status)
{
	int pidfd;
	int err;

	/* a pidfd turns readable when the child exits: no polling */
	pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (pidfd >= 0 && !reap(p)) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		uint64_t deadline = harness_now_ms() + timeout_ms;

		for (;;) {
			uint64_t now = harness_now_ms();
			int r;

			if (now >= deadline)
				break;

			r = poll(&pfd, 1, (int)(deadline - now));
			if (r > 0 || (r < 0 && errno != EINTR))
				break;
		}
	}

	if (pidfd >= 0)
		close(pidfd);

	err = harness_wait_for(exited_cb, p, pidfd >= 0 ? 0 : timeout_ms);
	if (err < 0)
		return err;

	if (status)
		*status = p->status;
	return 0;
}

int process_stop(struct process *p, int sig, unsigned int timeout_ms)
{
	if (reap(p)) {
		/* the leader is gone; make sure its group is too */
		kill(-p->pid, SIGKILL);
		return 0;
	}

	kill(-p->pid, sig);
	if (process_wait(p, timeout_ms, NULL) == 0) {
		kill(-p->pid, SIGKILL);
		return 0;
	}

	kill(-p->pid, SIGKILL);
	process_wait(p, 5000, NULL);
	return -ETIMEDOUT;
}

void process_free(struct process *p)
{
	if (!p)
		return;

	process_stop(p, SIGTERM, 2000);
	free(p);
}

int harness_temp_dir(char *buf, size_t size, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";

	if (snprintf(buf, size, "%s/%sXXXXXX", tmp, prefix) >= (int)size)
		return -ENAMETOOLONG;

	return mkdtemp(buf) ? 0 : -errno;
}

int harness_remove_tree(const char *path)
{
	struct dirent *entry;
	DIR *dir;
	int err = 0;

	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;

	while ((entry = readdir(dir))) {
		char child[PATH_MAX];
		struct stat st;

		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;

		if (snprintf(child, sizeof(child), "%s/%s", path,
			     entry->d_name) >= (int)sizeof(child)) {
			err = -ENAMETOOLONG;
			continue;
		}

		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
			int r = harness_remove_tree(child);

			if (r < 0)
				err = r;
		} else if (unlink(child) < 0 && errno != ENOENT) {
			err = -errno;
		}
	}

	closedir(dir);
	if (rmdir(path) < 0 && errno != ENOENT)
		err = -errno;
	return err;
}
