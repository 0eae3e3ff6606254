/* SPDX-License-Identifier: MIT */
/*
 * The public API of the real daemon binary over real HTTP and WebSockets,
 * with the NetworkManager double (tests/nm/scenarios/web.json) on a
 * private system bus in place of NetworkManager.
 *
 * Each test starts its own bus, double and daemon (--no-hardware, a free
 * port on 127.0.0.1, state, run and dnsmasq directories in a temporary
 * directory) and stops them at the end; the daemon must still be running
 * then and stop with status 0 on SIGTERM. Progress is read from the
 * WebSocket, the daemon's readiness from its log (inotify), so every wait
 * is on an event with a deadline.
 *
 * The networks of web.json and how a join with each of them ends:
 *   HomeNet          WPA2, twice (2.4 GHz 82 %, 5 GHz 41 %), correct-horse
 *   Neighbour        WPA2, refuses every password
 *   CoffeeShop Free  open, DHCP never answers
 *   Secure6          WPA2/WPA3, 5 GHz, correct-horse
 *   Warehouse        WPA3, 5 GHz, hangs in CONFIG (the join timeout ends it)
 *   Attic            hidden
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <gio/gio.h>

#include "actors/dnsmasq_dropin.h"
#include "tests/harness/http_client.h"
#include "tests/harness/netns.h"
#include "tests/harness/nm_double.h"
#include "tests/harness/process.h"

#define LOCAL "127.0.0.1"
#define WAIT_MS 10000
#define START_MS 20000
#define STOP_MS 5000
#define JOIN_TIMEOUT_S 5
#define ENV_MAX 10
#define LOG_TAIL 3000

struct fixture {
	struct nm_double *nm;
	struct process *daemon;
	char dir[256];
	char log_path[320];
	char dropin_dir[320];
	char dropin_path[360];
	char env[ENV_MAX][360];
	int port;
	char host[32];
	uint64_t started_ms;
	bool stopped;
};

static struct fixture fx;

/* ---- the daemon and its peers ---------------------------------------- */

/* Adds "@key=@value@suffix" to the daemon's environment. */
static void env_add(size_t *n, const char *key, const char *value,
		    const char *suffix)
{
	cr_assert_lt(*n, ENV_MAX - 1);
	snprintf(fx.env[*n], sizeof(fx.env[*n]), "%s=%s%s", key, value, suffix);
	(*n)++;
}

static void env_add_int(size_t *n, const char *key, int value)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", value);
	env_add(n, key, text, "");
}

/* Three distinct free ports: the API, the tunnel and the portal. */
static void pick_ports(int ports[3])
{
	for (int i = 0; i < 3; i++) {
		bool again;

		do {
			ports[i] = http_free_port();
			cr_assert_gt(ports[i], 0);
			again = false;
			for (int j = 0; j < i; j++)
				again |= ports[j] == ports[i];
		} while (again);
	}
}

/*
 * Starts the double with @scenario and the daemon against it, and waits
 * until the daemon's main listener is up.
 */
static void daemon_start(const char *scenario)
{
	struct nm_double_options opts = { .scenario = scenario };
	const char *env[ENV_MAX + 1] = { 0 };
	char port_arg[16];
	const char *argv[] = { DISTILLER_DAEMON, "--no-hardware", "--port",
			       port_arg, NULL };
	struct process_options popts = { .argv = argv, .env = env };
	int ports[3];
	size_t n = 0;

	memset(&fx, 0, sizeof(fx));
	cr_assert_eq(harness_temp_dir(fx.dir, sizeof(fx.dir),
				      "distiller-web-daemon-"),
		     0);
	snprintf(fx.log_path, sizeof(fx.log_path), "%s/daemon.log", fx.dir);
	snprintf(fx.dropin_dir, sizeof(fx.dropin_dir), "%s/dnsmasq-shared.d",
		 fx.dir);
	snprintf(fx.dropin_path, sizeof(fx.dropin_path), "%s/%s", fx.dropin_dir,
		 DNSMASQ_DROPIN_NAME);
	/* NetworkManager's package ships the directory; so do we here */
	cr_assert_eq(mkdir(fx.dropin_dir, 0755), 0);

	cr_assert_eq(nm_double_start(&opts, &fx.nm), 0,
		     "the NetworkManager double did not start");

	pick_ports(ports);
	fx.port = ports[0];
	snprintf(fx.host, sizeof(fx.host), "%s:%d", LOCAL, fx.port);
	snprintf(port_arg, sizeof(port_arg), "%d", fx.port);

	env_add(&n, "DISTILLER_WEB_HOST", LOCAL, "");
	env_add(&n, "DISTILLER_STATE_DIR", fx.dir, "/state");
	env_add(&n, "DISTILLER_RUN_DIR", fx.dir, "/run");
	env_add(&n, "DISTILLER_DNSMASQ_SHARED_DIR", fx.dropin_dir, "");
	env_add_int(&n, "DISTILLER_TUNNEL_PORT", ports[1]);
	env_add_int(&n, "DISTILLER_PORTAL_PORT", ports[2]);
	env_add_int(&n, "DISTILLER_JOIN_TIMEOUT", JOIN_TIMEOUT_S);
	for (size_t i = 0; i < n; i++)
		env[i] = fx.env[i];

	popts.output_path = fx.log_path;
	fx.started_ms = harness_now_ms();
	cr_assert_eq(process_spawn(&popts, &fx.daemon), 0);
	cr_assert_eq(netns_wait_file_contains(fx.log_path, "Serving on",
					      START_MS),
		     0, "the daemon never listened (log: %s)", fx.log_path);
}

static void print_tail(const char *what, const char *path)
{
	char buf[LOG_TAIL + 1];
	size_t n = 0;
	long size;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return;

	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > LOG_TAIL ? size - LOG_TAIL : 0, SEEK_SET);
	n = fread(buf, 1, LOG_TAIL, f);
	fclose(f);
	buf[n] = '\0';
	fprintf(stderr, "---- %s (%s), last %zu bytes ----\n%s\n", what, path,
		n, buf);
}

/* "exit status 1", "signal 11": how a wait status ended. */
static const char *ending(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	return buf;
}

/*
 * The end of every test: the daemon is still running (a crash in the
 * test's time fails it here) and stops with status 0 on SIGTERM.
 */
static void daemon_stop_cleanly(void)
{
	char how[32];
	int status = 0;

	if (!process_running(fx.daemon)) {
		process_wait(fx.daemon, 0, &status);
		cr_assert_fail("the daemon died during the test (%s)",
			       ending(status, how, sizeof(how)));
	}

	cr_assert_eq(process_stop(fx.daemon, SIGTERM, STOP_MS), 0,
		     "the daemon did not stop within %d ms", STOP_MS);
	cr_assert_eq(process_wait(fx.daemon, 0, &status), 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the daemon stopped with %s",
		  ending(status, how, sizeof(how)));
	fx.stopped = true;
}

static void teardown(void)
{
	/* only a test that did not get to its end leaves the daemon up */
	if (!fx.stopped && fx.log_path[0]) {
		print_tail("daemon log", fx.log_path);
		if (fx.nm)
			print_tail("double log", nm_double_log_path(fx.nm));
	}

	process_free(fx.daemon);
	nm_double_free(fx.nm);
	if (fx.dir[0])
		harness_remove_tree(fx.dir);
	memset(&fx, 0, sizeof(fx));
}

static void start_web(void)
{
	daemon_start("web.json");
}

static void start_no_device(void)
{
	daemon_start("no-device.json");
}

TestSuite(web_daemon, .init = start_web, .fini = teardown, .timeout = 60);
TestSuite(web_daemon_no_device, .init = start_no_device, .fini = teardown,
	  .timeout = 60);

/* ---- HTTP and JSON --------------------------------------------------- */

static cJSON *json_of(const struct http_response *r)
{
	cJSON *root = cJSON_Parse(r->body);

	cr_assert_not_null(root, "not JSON: %s", r->body);
	return root;
}

static const char *jstr(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool jnull(const cJSON *obj, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static void get(const char *path, struct http_response *r)
{
	cr_assert_eq(http_get(LOCAL, fx.port, fx.host, path, r), 0,
		     "GET %s got no answer", path);
}

static void post(const char *path, const char *body, struct http_response *r)
{
	cr_assert_eq(http_post(LOCAL, fx.port, fx.host, path,
			       "application/json", NULL, body, r),
		     0, "POST %s got no answer", path);
}

static void assert_error(const struct http_response *r, int status,
			 const char *text)
{
	cJSON *root;

	cr_assert_eq(r->status, status, "want %d, got %d: %s", status,
		     r->status, r->body);
	root = json_of(r);
	cr_assert_str_eq(jstr(root, "error"), text);
	cJSON_Delete(root);
}

/* POST /api/connect that must be accepted; returns its session id. */
static char *connect_accepted(const char *body)
{
	struct http_response r;
	const char *session;
	char *copy;
	cJSON *root;

	post("/api/connect", body, &r);
	cr_assert_eq(r.status, 202, "connect %s: %d %s", body, r.status,
		     r.body);
	root = json_of(&r);
	cr_assert_eq(cJSON_GetArraySize(root), 2, "%s", r.body);
	cr_assert_str_eq(jstr(root, "status"), "connecting");
	session = jstr(root, "session_id");
	cr_assert_not_null(session, "%s", r.body);
	cr_assert_eq(strlen(session), 36, "not a UUID: %s", session);
	copy = strdup(session);
	cJSON_Delete(root);
	http_response_free(&r);
	return copy;
}

/* ---- the WebSocket --------------------------------------------------- */

static int ws_connect(void)
{
	int fd = ws_open(LOCAL, fx.port, "/ws", WAIT_MS);

	cr_assert_geq(fd, 0, "no WebSocket: %s", strerror(-fd));
	return fd;
}

static cJSON *ws_next(int fd, const char *waiting_for)
{
	char *text;
	cJSON *root;
	int err;

	err = ws_read_text(fd, &text, WAIT_MS);
	cr_assert_eq(err, 0, "no status while waiting for %s: %s", waiting_for,
		     strerror(-err));
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "not JSON: %s", text);
	free(text);
	cr_assert_not_null(jstr(root, "state"));
	return root;
}

/* Reads statuses until one has @state; returns it. */
static cJSON *ws_until(int fd, const char *state)
{
	for (;;) {
		cJSON *root = ws_next(fd, state);

		if (!strcmp(jstr(root, "state"), state))
			return root;

		cJSON_Delete(root);
	}
}

/*
 * The statuses that follow must go through @states in this order, each
 * carrying @session (NULL: none); a repeat of the current state (another
 * field changed) may come between. Returns the status of the last state.
 */
static cJSON *ws_expect(int fd, const char *const *states, size_t n,
			const char *session)
{
	cJSON *root = NULL;
	char current[32] = "";
	double seq = -1;
	size_t i = 0;

	while (i < n) {
		const char *state;

		cJSON_Delete(root);
		root = ws_next(fd, states[i]);
		state = jstr(root, "state");
		cr_assert_gt(cJSON_GetObjectItem(root, "seq")->valuedouble, seq,
			     "seq must grow");
		seq = cJSON_GetObjectItem(root, "seq")->valuedouble;
		if (!strcmp(state, current))
			continue;

		cr_assert_str_eq(state, states[i],
				 "status %zu of the join: want %s, got %s", i,
				 states[i], state);
		cr_assert_str_eq(jstr(root, "session_id") ?
					 jstr(root, "session_id") :
					 "(null)",
				 session ? session : "(null)", "session of %s",
				 state);
		snprintf(current, sizeof(current), "%s", state);
		i++;
	}

	return root;
}

/* A WebSocket whose next status comes after the device is in AP mode. */
static int ws_in_ap_mode(void)
{
	int fd = ws_connect();

	cJSON_Delete(ws_until(fd, "AP_MODE"));
	return fd;
}

/* ---- the double ------------------------------------------------------ */

/* The password the double's hotspot was raised with. */
static char *hotspot_psk(void)
{
	GVariant *settings = NULL, *security;
	const char *psk = NULL;
	char *copy;

	cr_assert_eq(nm_double_get_last_call(fx.nm, "AddAndActivateConnection2",
					     &settings, NULL),
		     0, "%s", nm_double_last_error(fx.nm));
	security = g_variant_lookup_value(settings, "802-11-wireless-security",
					  G_VARIANT_TYPE_VARDICT);
	cr_assert_not_null(security, "the hotspot has no security setting");
	cr_assert(g_variant_lookup(security, "psk", "&s", &psk));
	copy = strdup(psk);
	g_variant_unref(security);
	g_variant_unref(settings);
	return copy;
}

static bool dropin_present(void)
{
	return access(fx.dropin_path, F_OK) == 0;
}

/* ---- status and networks --------------------------------------------- */

Test(web_daemon, status_in_ap_mode_has_exactly_the_public_fields)
{
	static const char *const keys[] = {
		"state",    "ssid",	  "ip_address", "tunnel_url",
		"error",    "session_id", "device_id",	"hostname",
		"ap_ssid",  "seq",	  "mdns",	"tunnel_provider",
		"web_port",
	};
	const size_t n_keys = sizeof(keys) / sizeof(keys[0]);
	struct http_response r;
	char value[64], want[64], *ws_text, *psk;
	const char *id;
	cJSON *root, *item;
	int fd = ws_in_ap_mode();

	get("/api/status", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(http_header(&r, "content-type", value, sizeof(value)),
			 "application/json");
	cr_assert_str_eq(http_header(&r, "cache-control", value, sizeof(value)),
			 "no-store");
	root = json_of(&r);
	cr_assert_eq((size_t)cJSON_GetArraySize(root), n_keys, "%s", r.body);
	for (size_t i = 0; i < n_keys; i++)
		cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(root,
								    keys[i]),
				   "no \"%s\" in %s", keys[i], r.body);

	cr_assert_str_eq(jstr(root, "state"), "AP_MODE");
	item = cJSON_GetObjectItemCaseSensitive(root, "web_port");
	cr_assert(cJSON_IsNumber(item) && item->valueint == fx.port,
		  "web_port is the main listener's: %s", r.body);
	for (const char *const *k =
		     (const char *const[]){ "ssid", "ip_address", "tunnel_url",
					    "error", "session_id", NULL };
	     *k; k++)
		cr_assert(jnull(root, *k), "%s must be null: %s", *k, r.body);

	id = jstr(root, "device_id");
	cr_assert(id && strlen(id) == 4, "device_id: %s", r.body);
	for (int i = 0; i < 4; i++)
		cr_assert(isxdigit((unsigned char)id[i]) &&
				  !isupper((unsigned char)id[i]),
			  "device_id %s", id);
	snprintf(want, sizeof(want), "distiller-%s", id);
	cr_assert_str_eq(jstr(root, "hostname"), want);
	snprintf(want, sizeof(want), "Distiller-%c%c%c%c",
		 toupper((unsigned char)id[0]), toupper((unsigned char)id[1]),
		 toupper((unsigned char)id[2]), toupper((unsigned char)id[3]));
	cr_assert_str_eq(jstr(root, "ap_ssid"), want);
	item = cJSON_GetObjectItem(root, "seq");
	cr_assert(cJSON_IsNumber(item) && item->valuedouble >= 1);
	cr_assert(cJSON_IsBool(cJSON_GetObjectItem(root, "mdns")));

	/* the hotspot's password went to NetworkManager and nowhere else */
	psk = hotspot_psk();
	cr_assert_geq(strlen(psk), 8);
	cr_assert_null(strstr(r.body, psk), "the AP password leaked: %s",
		       r.body);
	cr_assert_null(strstr(r.body, "password"), "%s", r.body);
	close(fd);

	/* a new WebSocket client gets the same status at once */
	fd = ws_connect();
	cr_assert_eq(ws_read_text(fd, &ws_text, WAIT_MS), 0);
	cr_assert_null(strstr(ws_text, psk));
	cr_assert_str_eq(ws_text, r.body);
	free(ws_text);
	close(fd);

	free(psk);
	cJSON_Delete(root);
	http_response_free(&r);
	daemon_stop_cleanly();
}

static const cJSON *find_network(const cJSON *list, const char *ssid)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, list)
	{
		if (!strcmp(jstr(item, "ssid"), ssid))
			return item;
	}

	return NULL;
}

static void assert_network(const cJSON *list, const char *ssid, int signal,
			   const char *security, const char *band, bool in_use)
{
	const cJSON *n = find_network(list, ssid);

	cr_assert_not_null(n, "\"%s\" is not listed", ssid);
	cr_assert_eq(cJSON_GetArraySize(n), 5, "fields of \"%s\"", ssid);
	cr_assert_eq(cJSON_GetObjectItem(n, "signal")->valueint, signal,
		     "signal of \"%s\"", ssid);
	cr_assert_str_eq(jstr(n, "security"), security, "security of %s", ssid);
	cr_assert_str_eq(jstr(n, "band"), band, "band of \"%s\"", ssid);
	cr_assert(cJSON_IsBool(cJSON_GetObjectItem(n, "in_use")));
	cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItem(n, "in_use")), in_use,
		     "in_use of \"%s\"", ssid);
}

/* GET /api/networks: the list object, checked for the parts every list has. */
static cJSON *networks(struct http_response *r)
{
	cJSON *root;

	get("/api/networks", r);
	cr_assert_eq(r->status, 200, "%s", r->body);
	root = json_of(r);
	cr_assert(cJSON_IsArray(cJSON_GetObjectItem(root, "networks")), "%s",
		  r->body);
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(root, "age_s")));
	cr_assert(cJSON_IsBool(cJSON_GetObjectItem(root, "fresh")));
	return root;
}

Test(web_daemon, networks_lists_the_double_s_networks_but_not_hidden_ones)
{
	struct http_response r;
	const cJSON *list;
	cJSON *root;
	int fd = ws_in_ap_mode();

	root = networks(&r);
	list = cJSON_GetObjectItem(root, "networks");
	cr_assert_eq(cJSON_GetArraySize(list), 5, "%s", r.body);

	/* HomeNet is on the air twice: listed once, the stronger one */
	assert_network(list, "HomeNet", 82, "WPA2", "2.4GHz", false);
	assert_network(list, "CoffeeShop Free", 58, "Open", "2.4GHz", false);
	assert_network(list, "Secure6", 47, "WPA2/WPA3", "5GHz", false);
	assert_network(list, "Neighbour", 22, "WPA2", "2.4GHz", false);
	assert_network(list, "Warehouse", 12, "WPA3", "5GHz", false);
	cr_assert_null(find_network(list, "Attic"), "a hidden SSID is listed");

	cJSON_Delete(root);
	http_response_free(&r);

	/* no scan runs while the AP is up: the last list, and why */
	get("/api/networks?fresh=1", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "networks")),
		     5, "%s", r.body);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(root, "fresh")), "%s",
		  r.body);
	cr_assert_not_null(jstr(root, "error"), "%s", r.body);
	cJSON_Delete(root);
	http_response_free(&r);
	close(fd);
	daemon_stop_cleanly();
}

/* ---- joins ----------------------------------------------------------- */

Test(web_daemon, connect_is_202_and_the_websocket_shows_the_join_in_order)
{
	static const char *const join[] = { "SWITCHING", "CONNECTING",
					    "CONNECTED" };
	struct http_response r;
	const cJSON *list;
	char *session;
	cJSON *last, *root;
	char ap_ssid[40];
	int fd = ws_in_ap_mode();

	get("/api/status", &r);
	root = json_of(&r);
	snprintf(ap_ssid, sizeof(ap_ssid), "%s", jstr(root, "ap_ssid"));
	cJSON_Delete(root);
	http_response_free(&r);

	cr_assert(dropin_present(), "no captive drop-in while in AP mode");
	session = connect_accepted("{\"ssid\":\"HomeNet\","
				   "\"password\":\"correct-horse\"}");
	last = ws_expect(fd, join, 3, session);
	cr_assert_str_eq(jstr(last, "ssid"), "HomeNet");
	cr_assert_str_eq(jstr(last, "ip_address"), "192.168.1.57");
	cr_assert(jnull(last, "error"));
	cJSON_Delete(last);

	get("/api/status", &r);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "state"), "CONNECTED");
	cr_assert_str_eq(jstr(root, "ip_address"), "192.168.1.57");
	cr_assert_str_eq(jstr(root, "session_id"), session);
	cJSON_Delete(root);
	http_response_free(&r);

	cr_assert_not(dropin_present(), "the drop-in outlived AP mode");
	root = networks(&r);
	list = cJSON_GetObjectItem(root, "networks");
	assert_network(list, "HomeNet", 82, "WPA2", "2.4GHz", true);
	assert_network(list, "Secure6", 47, "WPA2/WPA3", "5GHz", false);
	cJSON_Delete(root);
	http_response_free(&r);

	/*
	 * Off the AP, scans run again. One that hears a network named like
	 * our own access point leaves it out, and shows a new one.
	 */
	cr_assert_eq(nm_double_add_ap(fx.nm, ap_ssid, "wpa2", 90, 2412), 0);
	cr_assert_eq(nm_double_add_ap(fx.nm, "Guest5", "open", 30, 5200), 0);
	get("/api/networks?fresh=1", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "fresh")), "%s",
		  r.body);
	list = cJSON_GetObjectItem(root, "networks");
	assert_network(list, "Guest5", 30, "Open", "5GHz", false);
	assert_network(list, "HomeNet", 82, "WPA2", "2.4GHz", true);
	cr_assert_null(find_network(list, ap_ssid), "%s is listed: %s", ap_ssid,
		       r.body);
	cJSON_Delete(root);
	http_response_free(&r);

	free(session);
	close(fd);
	daemon_stop_cleanly();
}

Test(web_daemon, disconnect_answers_disconnecting_and_returns_to_ap_mode)
{
	static const char *const join[] = { "SWITCHING", "CONNECTING",
					    "CONNECTED" };
	static const char *const leave[] = { "DISCONNECTED", "AP_MODE" };
	struct http_response r;
	cJSON *root;
	char *session;
	int fd = ws_in_ap_mode();

	session = connect_accepted("{\"ssid\":\"HomeNet\","
				   "\"password\":\"correct-horse\"}");
	cJSON_Delete(ws_expect(fd, join, 3, session));

	post("/api/disconnect", "{}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	cr_assert_eq(cJSON_GetArraySize(root), 1, "%s", r.body);
	cr_assert_str_eq(jstr(root, "status"), "disconnecting");
	cJSON_Delete(root);
	http_response_free(&r);

	root = ws_expect(fd, leave, 2, NULL);
	cr_assert(jnull(root, "ssid"));
	cr_assert(jnull(root, "ip_address"));
	cr_assert(jnull(root, "error"));
	cJSON_Delete(root);
	cr_assert(dropin_present(), "AP mode again, but no drop-in");

	get("/api/status", &r);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "state"), "AP_MODE");
	cJSON_Delete(root);
	http_response_free(&r);

	free(session);
	close(fd);
	daemon_stop_cleanly();
}

/*
 * Follows a join that fails: SWITCHING, CONNECTING, FAILED with @error,
 * then AP_MODE keeping the error, the network and @session, as
 * GET /api/status does too. Returns the milliseconds until FAILED.
 */
static uint64_t join_fails(int fd, const char *session, const char *ssid,
			   const char *error)
{
	static const char *const fail[] = { "SWITCHING", "CONNECTING", "FAILED",
					    "AP_MODE" };
	uint64_t t0 = harness_now_ms(), took;
	struct http_response r;
	cJSON *root;

	root = ws_expect(fd, fail, 3, session);
	took = harness_now_ms() - t0;
	cr_assert_str_eq(jstr(root, "ssid"), ssid);
	cr_assert_str_eq(jstr(root, "error"), error);
	cJSON_Delete(root);

	root = ws_expect(fd, fail + 3, 1, session);
	cr_assert_str_eq(jstr(root, "error"), error, "AP mode keeps it");
	cr_assert_str_eq(jstr(root, "ssid"), ssid);
	cJSON_Delete(root);

	get("/api/status", &r);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "state"), "AP_MODE");
	cr_assert_str_eq(jstr(root, "error"), error);
	cr_assert_str_eq(jstr(root, "session_id"), session);
	cJSON_Delete(root);
	http_response_free(&r);
	return took;
}

Test(web_daemon, wrong_password_fails_naming_the_network_and_ap_mode_keeps_it)
{
	int fd = ws_in_ap_mode();
	char *session = connect_accepted("{\"ssid\":\"Neighbour\","
					 "\"password\":\"guess-1234\"}");

	join_fails(fd, session, "Neighbour",
		   "Wrong password for \"Neighbour\"");
	cr_assert(dropin_present(), "AP mode again, but no drop-in");
	free(session);
	close(fd);
	daemon_stop_cleanly();
}

Test(web_daemon, dhcp_failure_is_reported_in_its_own_words)
{
	int fd = ws_in_ap_mode();
	char *session = connect_accepted("{\"ssid\":\"CoffeeShop Free\"}");

	join_fails(fd, session, "CoffeeShop Free",
		   "Could not get an IP address from \"CoffeeShop Free\" "
		   "(DHCP failed)");
	free(session);
	close(fd);
	daemon_stop_cleanly();
}

Test(web_daemon, second_connect_is_409_and_a_hanging_join_times_out)
{
	static const char *const join[] = { "SWITCHING", "CONNECTING",
					    "CONNECTED" };
	struct http_response r;
	uint64_t took;
	char *session;
	int fd = ws_in_ap_mode();

	/* Warehouse hangs in CONFIG: only the join timeout ends the join */
	session = connect_accepted("{\"ssid\":\"Warehouse\","
				   "\"password\":\"forklift-9\"}");
	post("/api/connect",
	     "{\"ssid\":\"HomeNet\",\"password\":\"correct-horse\"}", &r);
	assert_error(&r, 409, "A connection attempt is already in progress");
	http_response_free(&r);

	took = join_fails(fd, session, "Warehouse",
			  "Timed out joining \"Warehouse\"");
	cr_log_info("the hanging join failed after %lu ms",
		    (unsigned long)took);
	cr_assert_geq(took, JOIN_TIMEOUT_S * 1000 - 1000,
		      "failed after %lu ms, before the join timeout",
		      (unsigned long)took);
	free(session);

	/* the refused request left nothing behind: a new join works */
	session = connect_accepted("{\"ssid\":\"HomeNet\","
				   "\"password\":\"correct-horse\"}");
	cJSON_Delete(ws_expect(fd, join, 3, session));
	free(session);
	close(fd);
	daemon_stop_cleanly();
}

/* ---- errors ---------------------------------------------------------- */

Test(web_daemon, bad_requests_get_their_status_and_reason)
{
	static const struct {
		const char *body;
		const char *error;
	} bad[] = {
		{ "{\"ssid\":", "Request body is not valid JSON" },
		{ "{\"ssid\":7}", "ssid must be a string" },
		{ "{\"ssid\":\"\"}",
		  "Network name (SSID) must be 1 to 32 bytes" },
		{ "{\"ssid\":\"HomeNet\",\"password\":\"short\"}",
		  "Password must be 8 to 63 printable ASCII characters or 64 "
		  "hexadecimal digits" },
	};
	struct http_response r;
	char raw[512];
	int fd = ws_in_ap_mode();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		post("/api/connect", bad[i].body, &r);
		assert_error(&r, 400, bad[i].error);
		http_response_free(&r);
	}

	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: 5000\r\n"
		 "Connection: close\r\n\r\n",
		 fx.host);
	cr_assert_eq(http_exchange(LOCAL, fx.port, raw, &r, WAIT_MS), 0);
	assert_error(&r, 413, "Request body is over 4 KiB");
	http_response_free(&r);

	cr_assert_eq(http_post(LOCAL, fx.port, fx.host, "/api/connect",
			       "text/plain", NULL, "{\"ssid\":\"HomeNet\"}",
			       &r),
		     0);
	assert_error(&r, 415, "Content-Type must be application/json");
	http_response_free(&r);

	get("/api/nope", &r);
	assert_error(&r, 404, "Not found");
	http_response_free(&r);

	get("/api/connect", &r);
	assert_error(&r, 405, "Method not allowed");
	http_response_free(&r);

	/* none of them started anything */
	get("/api/status", &r);
	cr_assert_not_null(strstr(r.body, "\"state\":\"AP_MODE\""), "%s",
			   r.body);
	http_response_free(&r);
	close(fd);
	daemon_stop_cleanly();
}

Test(web_daemon, connect_while_networkmanager_is_gone_is_503)
{
	struct http_response r;
	cJSON *root;
	int fd = ws_in_ap_mode();

	/* NetworkManager leaves the bus for longer than the test lasts */
	cr_assert_eq(nm_double_restart(fx.nm, 120000), 0, "%s",
		     nm_double_last_error(fx.nm));
	cr_assert_eq(nm_double_wait_nm(fx.nm, false, WAIT_MS), 0);
	cr_assert_eq(netns_wait_file_contains(
			     fx.log_path, "NetworkManager went away", WAIT_MS),
		     0, "the network actor never noticed");

	post("/api/connect",
	     "{\"ssid\":\"HomeNet\",\"password\":\"correct-horse\"}", &r);
	assert_error(&r, 503, "NetworkManager is not running");
	http_response_free(&r);

	/* the list is the last one known, with the reason it is not new */
	root = networks(&r);
	cr_assert_not_null(jstr(root, "error"), "%s", r.body);
	cr_log_info("GET /api/networks without NetworkManager: %s", r.body);
	cJSON_Delete(root);
	http_response_free(&r);
	close(fd);
	daemon_stop_cleanly();
}

Test(web_daemon_no_device, connect_without_a_wifi_device_is_503)
{
	struct http_response r;
	cJSON *root;
	int fd = ws_connect();

	root = ws_until(fd, "FAILED");
	cr_assert_str_eq(jstr(root, "error"), "No WiFi device found");
	cJSON_Delete(root);

	post("/api/connect",
	     "{\"ssid\":\"HomeNet\",\"password\":\"correct-horse\"}", &r);
	assert_error(&r, 503, "No WiFi device found");
	http_response_free(&r);
	close(fd);
	daemon_stop_cleanly();
}

/* ---- staying up ------------------------------------------------------ */

/*
 * In simulated mode the AP address (192.168.4.1) is on no interface, so
 * the captive portal's listener cannot bind and the web actor retries.
 * libwebsockets checks listeners that wait for their address every 30 s
 * of its context's life: the daemon must still be serving after that.
 */
Test(web_daemon, stays_up_while_the_portal_address_is_missing, .timeout = 90)
{
	struct http_response r;
	uint64_t deadline = fx.started_ms + 36000;
	int status = 0, fd = ws_in_ap_mode();
	char how[32];

	cr_assert_eq(netns_wait_file_contains(
			     fx.log_path, "for the captive portal", WAIT_MS),
		     0, "the portal listener did not fail: is %s local?",
		     "192.168.4.1");
	close(fd);

	/* the event here would be the daemon's end: it must not come */
	if (process_wait(fx.daemon, (unsigned int)(deadline - harness_now_ms()),
			 &status) == 0)
		cr_assert_fail(
			"the daemon died %lu ms after its start (%s)",
			(unsigned long)(harness_now_ms() - fx.started_ms),
			ending(status, how, sizeof(how)));

	get("/api/status", &r);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);
	daemon_stop_cleanly();
}
