/* SPDX-License-Identifier: MIT */
/*
 * The supervisor with real actors: restarts after an error, after an exit
 * during init and after a missed heartbeat; back-off that at least doubles;
 * the restart limit ending the process; and the systemd notifications
 * READY=1, WATCHDOG=1 and STATUS= read from a real NOTIFY_SOCKET.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "actors/supervisor.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"

#define DEADLINE_MS 20000
#define MAX_STARTS 16

static struct config cfg;

struct start_log {
	atomic_int count;
	atomic_uint_fast64_t at_ms[MAX_STARTS];
};

static struct start_log flaky_starts, hang_starts, crash_starts;
static struct start_log hang_entered;

static void setup(void)
{
	config_defaults(&cfg);
	cfg.heartbeat_interval_ms = 20;
	cfg.heartbeat_deadline_ms = 300;
	cfg.restart_backoff_min_ms = 40;
	cfg.restart_backoff_max_ms = 2000;
	cfg.restart_limit = 10;
	cfg.restart_window_ms = 60000;
	memset(&flaky_starts, 0, sizeof(flaky_starts));
	memset(&hang_starts, 0, sizeof(hang_starts));
	memset(&crash_starts, 0, sizeof(crash_starts));
	memset(&hang_entered, 0, sizeof(hang_entered));
	unsetenv("NOTIFY_SOCKET");
}

static int log_start(struct start_log *log)
{
	int n = atomic_fetch_add(&log->count, 1);

	if (n < MAX_STARTS)
		atomic_store(&log->at_ms[n], actor_now_ms());

	return n + 1;
}

static bool wait_starts(struct start_log *log, int count)
{
	uint64_t deadline = actor_now_ms() + DEADLINE_MS;

	while (atomic_load(&log->count) < count) {
		if (actor_now_ms() > deadline)
			return false;

		poll(NULL, 0, 5);
	}

	return true;
}

static int noop_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	(void)m;
	return 0;
}

/* Fails its first three starts, then runs. */
static int flaky_init(struct actor *self, void **state)
{
	(void)self;
	(void)state;
	return log_start(&flaky_starts) <= 3 ? -EIO : 0;
}

static const struct actor_def flaky_def = {
	.name = "flaky",
	.init = flaky_init,
	.handle = noop_handle,
	.supervised = true,
};

/* Its first run stops answering; later runs are fine. */
static int hang_init(struct actor *self, void **state)
{
	(void)self;
	*state = (void *)(intptr_t)log_start(&hang_starts);
	return 0;
}

static int hang_handle(struct actor *self, void *state, const struct msg *m)
{
	struct pollfd none = { .fd = -1 };

	(void)self;
	(void)m;
	/*
	 * Long enough to be abandoned, short enough to end within the last
	 * join that runtime_free() grants to abandoned threads.
	 */
	if ((intptr_t)state == 1) {
		log_start(&hang_entered);
		poll(&none, 1,
		     (int)cfg.heartbeat_deadline_ms + ACTOR_STOP_TIMEOUT_MS +
			     700);
	}

	return 0;
}

static void hang_kick_cb(struct actor *self, void *user_data)
{
	struct msg m = { .type = MSG_REPLY };

	(void)user_data;
	actor_send(self, "hang", &m);
}

static int hang_kick_init(struct actor *self, void **state)
{
	(void)state;
	return actor_timer_add(self, 100, 0, hang_kick_cb, NULL, NULL) > 0 ?
		       0 :
		       -EIO;
}

static const struct actor_def hang_def = {
	.name = "hang",
	.init = hang_init,
	.handle = hang_handle,
	.supervised = true,
};

static const struct actor_def hang_kick_def = {
	.name = "kicker",
	.init = hang_kick_init,
	.handle = noop_handle,
};

/* Returns an error from handle on every message. */
static int crash_init(struct actor *self, void **state)
{
	(void)self;
	(void)state;
	log_start(&crash_starts);
	return 0;
}

static int crash_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	(void)m;
	return -EPIPE;
}

static const struct actor_def crash_def = {
	.name = "crash",
	.init = crash_init,
	.handle = crash_handle,
	.supervised = true,
};

static const struct actor_def healthy_def = {
	.name = "healthy",
	.handle = noop_handle,
	.supervised = true,
};

static struct runtime *start(const struct actor_def *const *defs, size_t n)
{
	struct runtime *rt = runtime_new(defs, n, &cfg);

	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	return rt;
}

Test(supervisor, restarts_a_failing_actor_with_growing_backoff, .init = setup,
     .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def, &flaky_def,
					   &healthy_def };
	struct runtime *rt = start(defs, 3);
	uint64_t gap[3];

	cr_assert(wait_starts(&flaky_starts, 4), "flaky was not restarted");
	runtime_free(rt);

	/* Back-off before attempts 2, 3 and 4: 40, 80, 160 ms at least. */
	for (int i = 0; i < 3; i++) {
		gap[i] = atomic_load(&flaky_starts.at_ms[i + 1]) -
			 atomic_load(&flaky_starts.at_ms[i]);
		cr_log_info("restart %d after %lu ms", i + 1,
			    (unsigned long)gap[i]);
		cr_assert_geq(gap[i], cfg.restart_backoff_min_ms << i);
	}
}

Test(supervisor, restarts_an_actor_whose_handler_fails, .init = setup,
     .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def, &crash_def };
	struct msg m = { .type = MSG_REPLY };
	struct runtime *rt = start(defs, 2);

	cr_assert(wait_starts(&crash_starts, 1));
	cr_assert_eq(runtime_send(rt, "crash", &m), 0);
	cr_assert(wait_starts(&crash_starts, 2), "crash was not restarted");
	runtime_free(rt);
}

Test(supervisor, restarts_an_actor_that_misses_its_heartbeat, .init = setup,
     .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def, &hang_def,
					   &hang_kick_def };
	struct runtime *rt = start(defs, 3);
	uint64_t gap;

	cr_assert(wait_starts(&hang_starts, 2), "hung actor not restarted");
	gap = atomic_load(&hang_starts.at_ms[1]) -
	      atomic_load(&hang_starts.at_ms[0]);
	cr_log_info("hung actor restarted after %lu ms", (unsigned long)gap);
	cr_assert_geq(gap, cfg.heartbeat_deadline_ms);
	runtime_free(rt);
}

static int always_fail_init(struct actor *self, void **state)
{
	(void)self;
	(void)state;
	return -EIO;
}

static const struct actor_def always_fail_def = {
	.name = "broken",
	.init = always_fail_init,
	.handle = noop_handle,
	.supervised = true,
};

Test(supervisor, restart_limit_ends_the_process, .init = setup, .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def,
					   &always_fail_def };
	struct runtime *rt;
	int status;

	cfg.restart_limit = 3;
	cfg.restart_backoff_min_ms = 10;
	runtime_block_signals();
	rt = start(defs, 2);

	status = runtime_wait_exit(rt);
	cr_assert_eq(status, SUPERVISOR_EXIT_RESTART_LIMIT);
	runtime_free(rt);
}

/* ---- systemd notifications ------------------------------------------- */

static int notify_listen(char *path, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	snprintf(path, size, "/tmp/distiller-notify-%d.sock", getpid());
	unlink(path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	setenv("NOTIFY_SOCKET", path, 1);
	return fd;
}

/* Reads datagrams until one equals @want; false at the deadline. */
static bool notify_wait(int fd, const char *want, int *watchdogs)
{
	uint64_t deadline = actor_now_ms() + DEADLINE_MS;
	char buf[512];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = actor_now_ms();
		ssize_t n;

		if (now >= deadline)
			return false;

		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;

		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;

		buf[n] = '\0';
		if (watchdogs && !strcmp(buf, "WATCHDOG=1"))
			(*watchdogs)++;
		if (!strncmp(buf, want, strlen(want)))
			return true;
	}
}

Test(supervisor, tells_systemd_ready_watchdog_and_status, .init = setup,
     .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def,
					   &healthy_def };
	char path[108];
	int fd = notify_listen(path, sizeof(path));
	struct runtime *rt = start(defs, 2);

	cr_assert(notify_wait(fd, "READY=1", NULL));
	cr_assert(notify_wait(fd, "WATCHDOG=1", NULL));
	runtime_free(rt);
	cr_assert(notify_wait(fd, "STOPPING=1", NULL));
	close(fd);
	unlink(path);
}

/* Counts WATCHDOG=1 datagrams until @log reaches @count starts. */
static int count_watchdogs_until(int fd, struct start_log *log, int count)
{
	uint64_t deadline = actor_now_ms() + DEADLINE_MS;
	int watchdogs = 0;
	char buf[512];

	while (atomic_load(&log->count) < count && actor_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 5) <= 0)
			continue;

		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			watchdogs += !strcmp(buf, "WATCHDOG=1");
		}
	}

	return watchdogs;
}

Test(supervisor, withholds_watchdog_while_an_actor_hangs, .init = setup,
     .timeout = 30)
{
	const struct actor_def *defs[] = { &supervisor_actor_def, &hang_def,
					   &hang_kick_def };
	char path[108];
	int fd = notify_listen(path, sizeof(path));
	int before, during;
	struct runtime *rt;

	cfg.heartbeat_deadline_ms = 1000;
	rt = start(defs, 3);
	cr_assert(notify_wait(fd, "READY=1", NULL));

	/* The kicker makes the first run hang 100 ms after start. */
	before = count_watchdogs_until(fd, &hang_entered, 1);
	during = count_watchdogs_until(fd, &hang_starts, 2);
	cr_log_info("watchdog pings: %d before the hang, %d during the "
		    "%u ms until the restart",
		    before, during, cfg.heartbeat_deadline_ms);

	/*
	 * About fifty 20 ms rounds pass during the hang; only the round
	 * already answered when it began may still count.
	 */
	cr_assert_leq(during, 1);
	cr_assert(notify_wait(fd, "WATCHDOG=1", NULL),
		  "watchdog did not resume after the restart");
	runtime_free(rt);
	close(fd);
	unlink(path);
}
