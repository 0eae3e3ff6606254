/* SPDX-License-Identifier: MIT */
/*
 * The daemon binary as systemd and a person at a shell meet it: --help
 * and --version, usage errors (status 2) and configuration errors (status
 * 78) that name the bad key and value in one line, and SIGTERM or SIGINT
 * stopping every actor within 2 s with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tests/harness/process.h"

#define OUTPUT_MAX 8192

static char dir[256];
static char output[300];
static char state_env[300];
static char run_env[300];
static char dnsmasq_env[300];

static void setup(void)
{
	cr_assert_eq(harness_temp_dir(dir, sizeof(dir), "distiller-daemon-"),
		     0);
	snprintf(output, sizeof(output), "%s/output", dir);
	snprintf(state_env, sizeof(state_env), "DISTILLER_STATE_DIR=%s/state",
		 dir);
	snprintf(run_env, sizeof(run_env), "DISTILLER_RUN_DIR=%s/run", dir);
	snprintf(dnsmasq_env, sizeof(dnsmasq_env),
		 "DISTILLER_DNSMASQ_SHARED_DIR=%s/dnsmasq", dir);
}

static void teardown(void)
{
	harness_remove_tree(dir);
}

static void read_output(char *buf, size_t size)
{
	FILE *f = fopen(output, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}

	buf[n] = '\0';
}

/* Runs the daemon to completion; returns its exit status. */
static int run_daemon(const char *const *argv, const char *const *env,
		      char *out, size_t out_size)
{
	struct process_options opts = {
		.argv = argv,
		.env = env,
		.output_path = output,
	};
	struct process *p;
	int status = 0;

	unlink(output);
	cr_assert_eq(process_spawn(&opts, &p), 0);
	cr_assert_eq(process_wait(p, 10000, &status), 0,
		     "the daemon did not exit by itself");
	process_free(p);
	read_output(out, out_size);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';

	return n;
}

Test(daemon, help_and_version, .init = setup, .fini = teardown)
{
	const char *help[] = { DISTILLER_DAEMON, "--help", NULL };
	const char *version[] = { DISTILLER_DAEMON, "--version", NULL };
	char out[OUTPUT_MAX];

	cr_assert_eq(run_daemon(help, NULL, out, sizeof(out)), 0);
	cr_assert_not_null(strstr(out, "Usage: distiller-wifi"));
	cr_assert_not_null(strstr(out, "--no-hardware"));
	cr_assert_eq(run_daemon(version, NULL, out, sizeof(out)), 0);
	cr_assert_eq(strncmp(out, "distiller-wifi ", 15), 0, "got: %s", out);
}

struct bad_usage {
	const char *argv[4];
	const char *must_say;
};

Test(daemon, usage_errors_exit_2_with_one_line, .init = setup, .fini = teardown)
{
	static const struct bad_usage cases[] = {
		{ { DISTILLER_DAEMON, "--frobnicate", NULL }, "--frobnicate" },
		{ { DISTILLER_DAEMON, "--port", NULL }, "--port" },
		{ { DISTILLER_DAEMON, "--port", "http", NULL }, "--port http" },
		{ { DISTILLER_DAEMON, "--port", "70000", NULL },
		  "--port 70000" },
		{ { DISTILLER_DAEMON, "stray", NULL }, "stray" },
	};
	char out[OUTPUT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(run_daemon(cases[i].argv, NULL, out, sizeof(out)),
			     2, "case %zu", i);
		cr_assert_not_null(strstr(out, cases[i].must_say),
				   "case %zu said: %s", i, out);
		cr_assert_eq(count_lines(out), 1, "case %zu said: %s", i, out);
	}
}

Test(daemon, bad_environment_value_exits_78_naming_it, .init = setup,
     .fini = teardown)
{
	const char *argv[] = { DISTILLER_DAEMON, NULL };
	const char *env[] = { "DISTILLER_WEB_PORT=99999", NULL };
	const char *env2[] = { "DISTILLER_AP_CHANNEL=13", NULL };
	char out[OUTPUT_MAX];

	cr_assert_eq(run_daemon(argv, env, out, sizeof(out)), 78);
	cr_assert_not_null(strstr(out, "DISTILLER_WEB_PORT=99999"), "%s", out);
	cr_assert_eq(count_lines(out), 1, "said: %s", out);
	cr_assert_eq(run_daemon(argv, env2, out, sizeof(out)), 78);
	cr_assert_not_null(strstr(out, "DISTILLER_AP_CHANNEL=13"), "%s", out);
}

Test(daemon, bad_config_file_exits_78_naming_the_key, .init = setup,
     .fini = teardown)
{
	char path[320], missing[320], out[OUTPUT_MAX];
	const char *argv[] = { DISTILLER_DAEMON, "--config", path, NULL };
	const char *argv2[] = { DISTILLER_DAEMON, "--config", missing, NULL };
	FILE *f;

	snprintf(path, sizeof(path), "%s/distiller.env", dir);
	snprintf(missing, sizeof(missing), "%s/absent.env", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("# setup\nDISTILLER_WEB_PORT=8080\n"
	      "DISTILLER_TUNNEL_PROVIDER=carrier-pigeon\n",
	      f);
	fclose(f);

	cr_assert_eq(run_daemon(argv, NULL, out, sizeof(out)), 78);
	cr_assert_not_null(strstr(out, "DISTILLER_TUNNEL_PROVIDER"), "%s", out);
	cr_assert_not_null(strstr(out, "carrier-pigeon"), "%s", out);
	cr_assert_eq(count_lines(out), 1, "said: %s", out);

	cr_assert_eq(run_daemon(argv2, NULL, out, sizeof(out)), 78);
	cr_assert_not_null(strstr(out, "absent.env"), "%s", out);
}

static bool output_says_up(void *user_data)
{
	char out[OUTPUT_MAX];

	(void)user_data;
	read_output(out, sizeof(out));
	return strstr(out, "All actors are up") != NULL;
}

/* Starts the daemon with no NetworkManager and stops it with @sig. */
static void stop_with(int sig, const char *port)
{
	const char *argv[] = { DISTILLER_DAEMON, "--no-hardware", "--port",
			       port, NULL };
	const char *env[] = { state_env, run_env, dnsmasq_env,
			      "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent",
			      NULL };
	struct process_options opts = {
		.argv = argv,
		.env = env,
		.output_path = output,
	};
	char out[OUTPUT_MAX];
	struct process *p;
	uint64_t t0, took;
	int status = -1;

	cr_assert_eq(process_spawn(&opts, &p), 0);
	cr_assert_eq(harness_wait_for(output_says_up, NULL, 15000), 0,
		     "the daemon never reported its actors up");

	t0 = harness_now_ms();
	cr_assert_eq(kill(process_pid(p), sig), 0);
	cr_assert_eq(process_wait(p, 2000, &status), 0,
		     "the daemon did not stop within 2 s");
	took = harness_now_ms() - t0;
	process_free(p);

	read_output(out, sizeof(out));
	cr_log_info("stopped by signal %d in %lu ms", sig, (unsigned long)took);
	cr_assert(WIFEXITED(status), "killed instead of exiting");
	cr_assert_eq(WEXITSTATUS(status), 0);
	cr_assert_not_null(strstr(out, "<6>main: Stopped"), "%s", out);
}

Test(daemon, sigterm_stops_every_actor_within_2s, .init = setup,
     .fini = teardown, .timeout = 60)
{
	stop_with(SIGTERM, "18611");
}

Test(daemon, sigint_stops_every_actor_within_2s, .init = setup,
     .fini = teardown, .timeout = 60)
{
	stop_with(SIGINT, "18613");
}

Test(daemon, log_lines_carry_priority_and_actor, .init = setup,
     .fini = teardown, .timeout = 60)
{
	char out[OUTPUT_MAX], *line, *save = NULL;

	stop_with(SIGTERM, "18615");
	read_output(out, sizeof(out));
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char prio;
		char actor[32];

		cr_assert_eq(sscanf(line, "<%c>%31[a-z]:", &prio, actor), 2,
			     "not a journal line: %s", line);
		cr_assert(strchr("3467", prio), "priority in: %s", line);
	}
}
