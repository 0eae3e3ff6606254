/* SPDX-License-Identifier: MIT */
/*
 * The state survives a restart of the daemon. The real binary runs with
 * a temporary state directory and --no-hardware. One test joins HomeNet
 * through the web API over the NetworkManager double, stops the daemon
 * with SIGTERM and then with SIGKILL, and after each start reads the same
 * network, device id and a higher sequence number back from the API and
 * from state.json. Another starts from a state.json written beforehand
 * (a failed join) with no NetworkManager at all, and finds it read back
 * and rewritten.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "actors/state_store.h"
#include "tests/harness/http_client.h"
#include "tests/harness/nm_double.h"
#include "tests/harness/process.h"

#define LOCAL "127.0.0.1"
#define WAIT_MS 20000

static char dir[256];
static char state_dir[300];
static char output[300];
static char env_state[PATH_MAX];
static char env_run[PATH_MAX];
static char env_dnsmasq[PATH_MAX];
static char host_header[64];
static int port;
static struct nm_double *nm;
static struct process *daemon_proc;

static void setup(void)
{
	cr_assert_eq(harness_temp_dir(dir, sizeof(dir), "distiller-restart-"),
		     0);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	snprintf(output, sizeof(output), "%s/output", dir);
	snprintf(env_state, sizeof(env_state), "DISTILLER_STATE_DIR=%s",
		 state_dir);
	snprintf(env_run, sizeof(env_run), "DISTILLER_RUN_DIR=%s/run", dir);
	snprintf(env_dnsmasq, sizeof(env_dnsmasq),
		 "DISTILLER_DNSMASQ_SHARED_DIR=%s/dnsmasq", dir);
}

static void teardown(void)
{
	process_free(daemon_proc);
	daemon_proc = NULL;
	nm_double_free(nm);
	nm = NULL;
	harness_remove_tree(dir);
}

TestSuite(state_restart, .init = setup, .fini = teardown, .timeout = 240);

static bool web_is_up(void *user_data)
{
	int fd;

	(void)user_data;
	fd = http_connect(LOCAL, port, 200);
	if (fd < 0)
		return false;

	close(fd);
	return true;
}

/* Starts the daemon on a fresh port and waits for its web server. */
static void start_daemon(const char *bus_env)
{
	char port_arg[16];
	const char *argv[] = { DISTILLER_DAEMON, "--no-hardware", "--port",
			       port_arg, NULL };
	const char *env[] = { env_state,   env_run,
			      env_dnsmasq, "DISTILLER_WEB_HOST=" LOCAL,
			      bus_env,	   NULL };
	struct process_options opts = {
		.argv = argv,
		.env = env,
		.output_path = output,
	};

	port = http_free_port();
	cr_assert_gt(port, 0);
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	snprintf(host_header, sizeof(host_header), "%s:%d", LOCAL, port);

	cr_assert_eq(process_spawn(&opts, &daemon_proc), 0);
	cr_assert_eq(harness_wait_for(web_is_up, NULL, WAIT_MS), 0,
		     "the daemon's web server never came up");
}

static void stop_daemon(int sig)
{
	int status = 0;

	cr_assert_eq(kill(process_pid(daemon_proc), sig), 0);
	cr_assert_eq(process_wait(daemon_proc, 5000, &status), 0,
		     "the daemon did not stop on signal %d", sig);
	if (sig == SIGKILL)
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	else
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "status %d", status);

	process_free(daemon_proc);
	daemon_proc = NULL;
}

static const char *jstr(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : "";
}

static double jnum(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(item) ? item->valuedouble : -1;
}

/*
 * Reads statuses from the WebSocket until one has @state (and @ssid, when
 * not NULL); returns it. The first message is the status on connect.
 */
static cJSON *ws_until(int fd, const char *state, const char *ssid)
{
	for (;;) {
		char *text = NULL;
		cJSON *root;

		cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0,
			     "no status %s in time", state);
		root = cJSON_Parse(text);
		free(text);
		cr_assert_not_null(root);
		if (!strcmp(jstr(root, "state"), state) &&
		    (!ssid || !strcmp(jstr(root, "ssid"), ssid)))
			return root;

		cJSON_Delete(root);
	}
}

/* The status the daemon gives right after start (on WebSocket connect). */
static cJSON *first_status(int *fd)
{
	char *text = NULL;
	cJSON *root;

	*fd = ws_open(LOCAL, port, "/ws", WAIT_MS);
	cr_assert_geq(*fd, 0);
	cr_assert_eq(ws_read_text(*fd, &text, WAIT_MS), 0);
	root = cJSON_Parse(text);
	free(text);
	cr_assert_not_null(root);
	return root;
}

static void load_record(struct state_record *r)
{
	char err[STATE_STORE_ERROR_MAX];

	cr_assert_eq(state_store_load(state_dir, r, err), 0, "%s", err);
}

static bool ssid_is(const struct msg_ssid *ssid, const char *text)
{
	return ssid->len == strlen(text) &&
	       memcmp(ssid->bytes, text, ssid->len) == 0;
}

/* After a restart: the same network and id, a higher seq, in the API
 * and in state.json. */
static void expect_read_back(const char *device_id, double *seq)
{
	struct state_record r;
	cJSON *status;
	int fd;

	status = first_status(&fd);
	cr_expect_str_eq(jstr(status, "device_id"), device_id);
	cr_expect_str_eq(jstr(status, "ssid"), "HomeNet",
			 "state %s, ssid \"%s\" after restart",
			 jstr(status, "state"), jstr(status, "ssid"));
	cr_expect_gt(jnum(status, "seq"), *seq, "seq went back");

	/* NetworkManager still holds the profile: back on HomeNet. */
	if (strcmp(jstr(status, "state"), "CONNECTED")) {
		cJSON_Delete(status);
		status = ws_until(fd, "CONNECTED", "HomeNet");
	}
	cr_expect_str_eq(jstr(status, "device_id"), device_id);
	*seq = jnum(status, "seq");
	cJSON_Delete(status);
	close(fd);

	load_record(&r);
	cr_expect(ssid_is(&r.last_ssid, "HomeNet"));
	cr_expect(ssid_is(&r.ssid, "HomeNet"));
	cr_expect_geq((double)r.seq, *seq);
}

Test(state_restart, joined_network_and_identity_survive_sigterm_and_sigkill)
{
	static const struct nm_double_options nm_opts = {
		.scenario = "basic.json"
	};
	char bus_env[PATH_MAX], device_id[8];
	struct state_record r;
	struct http_response resp;
	cJSON *status;
	double seq;
	int fd;

	cr_assert_eq(nm_double_start(&nm_opts, &nm), 0);
	snprintf(bus_env, sizeof(bus_env), "DBUS_SYSTEM_BUS_ADDRESS=%s",
		 nm_double_bus_address(nm));

	/* First start: no files, so the setup AP comes up. */
	start_daemon(bus_env);
	status = first_status(&fd);
	if (strcmp(jstr(status, "state"), "AP_MODE")) {
		cJSON_Delete(status);
		status = ws_until(fd, "AP_MODE", NULL);
	}
	snprintf(device_id, sizeof(device_id), "%s", jstr(status, "device_id"));
	cr_assert_eq(strlen(device_id), 4);
	cJSON_Delete(status);

	/* The state changes: a join through the web API. */
	cr_assert_eq(http_post(LOCAL, port, host_header, "/api/connect",
			       "application/json", NULL,
			       "{\"ssid\":\"HomeNet\",\"password\":"
			       "\"correct-horse\"}",
			       &resp),
		     0);
	cr_assert_eq(resp.status, 202, "%s", resp.body);
	http_response_free(&resp);
	status = ws_until(fd, "CONNECTED", "HomeNet");
	seq = jnum(status, "seq");
	cJSON_Delete(status);
	close(fd);

	load_record(&r);
	cr_expect(ssid_is(&r.last_ssid, "HomeNet"));
	cr_expect_geq((double)r.seq, seq);

	stop_daemon(SIGTERM);
	start_daemon(bus_env);
	expect_read_back(device_id, &seq);

	stop_daemon(SIGKILL);
	start_daemon(bus_env);
	expect_read_back(device_id, &seq);

	stop_daemon(SIGTERM);
}

Test(state_restart, state_file_written_before_is_read_back_and_rewritten)
{
	static const char saved[] =
		"{\"version\":1,\"seq\":41,\"time_ms\":5,"
		"\"ssid_hex\":\"43616665\","
		"\"last_ssid_hex\":\"486f6d654e6574\","
		"\"error\":\"Wrong password for \\\"Cafe\\\"\","
		"\"session_id\":\"6f1c2f0e-8f3a-4c59-9e57-2b8c1a0d9e11\","
		"\"tunnel_url\":\"\",\"tunnel_provider\":\"\"}\n";
	struct state_record r;
	cJSON *status;
	FILE *f;
	char path[PATH_MAX];
	int fd;

	cr_assert_eq(mkdir(state_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/state.json", state_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(saved, f);
	fclose(f);

	/* No NetworkManager: nothing but the file can change the state. */
	start_daemon("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent");
	status = first_status(&fd);
	close(fd);
	cr_expect_str_eq(jstr(status, "state"), "DISCONNECTED");
	cr_expect_str_eq(jstr(status, "ssid"), "Cafe");
	cr_expect_str_eq(jstr(status, "error"), "Wrong password for \"Cafe\"");
	cr_expect_str_eq(jstr(status, "session_id"),
			 "6f1c2f0e-8f3a-4c59-9e57-2b8c1a0d9e11");
	cr_expect_gt(jnum(status, "seq"), 41);
	cJSON_Delete(status);

	/* Rewritten before it was published, last network kept. */
	load_record(&r);
	cr_expect_geq(r.seq, 42);
	cr_expect(ssid_is(&r.ssid, "Cafe"));
	cr_expect(ssid_is(&r.last_ssid, "HomeNet"));

	stop_daemon(SIGKILL);
	start_daemon("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent");
	status = first_status(&fd);
	close(fd);
	cr_expect_str_eq(jstr(status, "ssid"), "Cafe");
	cr_expect_gt(jnum(status, "seq"), (double)r.seq);
	cJSON_Delete(status);
	stop_daemon(SIGTERM);
}

Test(state_restart, damaged_state_file_is_replaced_and_the_daemon_starts)
{
	struct state_record r;
	cJSON *status;
	FILE *f;
	char path[PATH_MAX];
	int fd;

	cr_assert_eq(mkdir(state_dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/state.json", state_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"version\":1,\"seq\":", f);
	fclose(f);

	start_daemon("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent");
	status = first_status(&fd);
	close(fd);
	cr_expect_str_eq(jstr(status, "state"), "DISCONNECTED");
	cr_expect_str_eq(jstr(status, "ssid"), "");
	cJSON_Delete(status);
	load_record(&r);
	stop_daemon(SIGTERM);
}
