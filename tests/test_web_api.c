/* SPDX-License-Identifier: MIT */
/*
 * The web actor over real HTTP and WebSockets on loopback, inside a real
 * runtime. Its peers are two small actors named "state" and "network"
 * that speak the shared protocol: the network double answers requests as
 * the real actor does and reports a join's facts to the state double,
 * which publishes snapshots. Tests drive state changes the same way, by
 * sending MSG_NET_EVENT to "state".
 *
 * Listeners: main on 127.0.0.1:<free>, tunnel on 127.0.0.1:<free>, and
 * the AP portal on 127.0.0.2:<free> (all of 127/8 is local), so the
 * captive portal is tested with its own listener and real Host headers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "actors/web.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "tests/harness/http_client.h"
#include "web/captive.h"
#include "web/uuid.h"

#define LOCAL "127.0.0.1"
#define AP_IP "127.0.0.2"
#define WAIT_MS 10000
#define TUNNEL_HOST "a1b2.devices.pamir.ai"
#define ACCESS_CODE "024680"

static struct config cfg;
static struct runtime *rt;
static int main_port, tunnel_port, portal_port;
static char host_header[64];

/* ---- the state double ------------------------------------------------ */

struct state_double {
	struct msg_state_snapshot snap;
};

static void state_publish(struct actor *self, struct state_double *st)
{
	struct msg m = { .type = MSG_STATE_SNAPSHOT };

	st->snap.seq++;
	m.body.snapshot = st->snap;
	actor_publish(self, &m);
}

static void state_first_cb(struct actor *self, void *user_data)
{
	state_publish(self, user_data);
}

static int state_init(struct actor *self, void **state)
{
	struct state_double *st = calloc(1, sizeof(*st));

	cr_assert_not_null(st);
	st->snap.state = WIFI_STATE_DISCONNECTED;
	strcpy(st->snap.device_id, "a1b2");
	strcpy(st->snap.ap_ssid, "Distiller-A1B2");
	strcpy(st->snap.ap_password, "never-shown-1");
	strcpy(st->snap.access_code, ACCESS_CODE);
	*state = st;
	return actor_timer_add(self, 1, 0, state_first_cb, st, NULL) > 0 ? 0 :
									   -EIO;
}

static int state_handle(struct actor *self, void *state, const struct msg *m)
{
	struct state_double *st = state;
	const struct msg_net_event *ev = &m->body.net_event;
	struct msg answer = { .type = MSG_STATE_SNAPSHOT };

	if (m->type == MSG_STATE_GET) {
		answer.body.snapshot = st->snap;
		actor_reply(self, m, &answer);
		return 0;
	}

	if (m->type != MSG_NET_EVENT)
		return 0;

	st->snap.state = ev->state;
	st->snap.ssid = ev->ssid;
	strcpy(st->snap.ip_address, ev->ip_address);
	if (ev->state == WIFI_STATE_FAILED || ev->reason[0])
		strcpy(st->snap.error, ev->reason);
	else if (ev->state == WIFI_STATE_SWITCHING)
		st->snap.error[0] = '\0';
	if (ev->session_id[0])
		strcpy(st->snap.session_id, ev->session_id);
	state_publish(self, st);
	return 0;
}

static void state_fini(struct actor *self, void *state)
{
	(void)self;
	free(state);
}

static const struct actor_def state_double_def = {
	.name = "state",
	.init = state_init,
	.handle = state_handle,
	.fini = state_fini,
};

/* ---- the network double ---------------------------------------------- */

static void net_event(struct actor *self, enum wifi_state state,
		      const struct msg_ssid *ssid, const char *ip,
		      const char *reason, const char *session)
{
	struct msg m = { .type = MSG_NET_EVENT };

	m.body.net_event.state = state;
	if (ssid)
		m.body.net_event.ssid = *ssid;
	strcpy(m.body.net_event.ip_address, ip);
	strcpy(m.body.net_event.reason, reason);
	strcpy(m.body.net_event.session_id, session);
	cr_assert_eq(actor_send(self, "state", &m), 0);
}

static bool ssid_is(const struct msg_ssid *ssid, const char *text)
{
	return ssid->len == strlen(text) &&
	       !memcmp(ssid->bytes, text, ssid->len);
}

static void net_connect(struct actor *self, const struct msg *m)
{
	const struct msg_connect_request *req = &m->body.connect;
	struct msg reply = { .type = MSG_REPLY };

	if (ssid_is(&req->ssid, "Silent"))
		return;

	if (ssid_is(&req->ssid, "Busy")) {
		reply.body.reply.code = -EBUSY;
		strcpy(reply.body.reply.error,
		       "A connection attempt is already in progress");
	} else if (ssid_is(&req->ssid, "NoRadio")) {
		reply.body.reply.code = -ENODEV;
		strcpy(reply.body.reply.error, "No WiFi device");
	}

	strcpy(reply.body.reply.session_id, req->session_id);
	actor_reply(self, m, &reply);
	if (reply.body.reply.code)
		return;

	net_event(self, WIFI_STATE_SWITCHING, &req->ssid, "", "",
		  req->session_id);
	net_event(self, WIFI_STATE_CONNECTING, &req->ssid, "", "",
		  req->session_id);
	if (!strcmp(req->password, "wrong-password")) {
		net_event(self, WIFI_STATE_FAILED, &req->ssid, "",
			  "Wrong password", req->session_id);
		net_event(self, WIFI_STATE_AP_MODE, NULL, "", "Wrong password",
			  req->session_id);
		return;
	}

	net_event(self, WIFI_STATE_CONNECTED, &req->ssid, "10.0.0.7", "",
		  req->session_id);
}

static void net_scan(struct actor *self, const struct msg *m)
{
	struct msg r = { .type = MSG_SCAN_RESULT };
	struct msg_scan_result *res = &r.body.scan_result;

	res->count = 3;
	msg_ssid_set(&res->networks[0].ssid, "Home", 4);
	res->networks[0].signal = 80;
	res->networks[0].security = WIFI_SECURITY_WPA2;
	res->networks[0].band = WIFI_BAND_5GHZ;
	msg_ssid_set(&res->networks[1].ssid, "Cafe", 4);
	res->networks[1].signal = 40;
	res->networks[1].security = WIFI_SECURITY_OPEN;
	res->networks[1].band = WIFI_BAND_2GHZ;
	msg_ssid_set(&res->networks[2].ssid, "caf\xe9", 4);
	res->networks[2].signal = 20;
	res->networks[2].security = WIFI_SECURITY_WPA3;
	res->fresh = m->body.scan_request.fresh;
	res->age_ms = res->fresh ? 0 : 7000;
	actor_reply(self, m, &r);
}

static int net_handle(struct actor *self, void *state, const struct msg *m)
{
	struct msg reply = { .type = MSG_REPLY };

	(void)state;
	switch (m->type) {
	case MSG_CONNECT_REQUEST:
		net_connect(self, m);
		break;
	case MSG_SCAN_REQUEST:
		net_scan(self, m);
		break;
	case MSG_DISCONNECT_REQUEST:
		actor_reply(self, m, &reply);
		net_event(self, WIFI_STATE_DISCONNECTED, NULL, "", "", "");
		break;
	default:
		break;
	}

	return 0;
}

static const struct actor_def network_double_def = {
	.name = "network",
	.handle = net_handle,
};

/* ---- fixture --------------------------------------------------------- */

static const struct actor_def *const defs[] = {
	&state_double_def,
	&network_double_def,
	&web_actor_def,
};

static void wait_listening(const char *ip, int port)
{
	struct http_response r;
	struct timespec pause = { 0, 20 * 1000 * 1000 };

	/* the listener binds asynchronously: retry the connect, bounded */
	for (int i = 0; i < 250; i++) {
		if (!http_get(ip, port, host_header, "/api/status", &r)) {
			http_response_free(&r);
			if (r.status == 200)
				return;
		}

		nanosleep(&pause, NULL);
	}

	cr_assert_fail("nothing answers on %s:%d", ip, port);
}

static void start_with(const char *ap_ip, unsigned int ping_s)
{
	char err[CONFIG_ERROR_MAX];

	config_defaults(&cfg);
	strcpy(cfg.web_host, LOCAL);
	strcpy(cfg.ap_ip, ap_ip);
	main_port = http_free_port();
	do
		tunnel_port = http_free_port();
	while (tunnel_port == main_port);
	do
		portal_port = http_free_port();
	while (portal_port == main_port || portal_port == tunnel_port);
	cfg.web_port = main_port;
	cfg.tunnel_port = tunnel_port;
	cfg.portal_port = portal_port;
	cfg.ws_ping_s = ping_s;
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	snprintf(host_header, sizeof(host_header), "%s:%d", LOCAL, main_port);

	rt = runtime_new(defs, 3, &cfg);
	cr_assert_not_null(rt);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(runtime_actor_start(rt, i), 0);

	wait_listening(LOCAL, main_port);
}

static void start(void)
{
	start_with(AP_IP, 20);
}

static void start_fast_ping(void)
{
	start_with(AP_IP, 1);
}

static void stop(void)
{
	runtime_free(rt);
	rt = NULL;
}

TestSuite(web_api, .init = start, .fini = stop, .timeout = 60);
TestSuite(web_ping, .init = start_fast_ping, .fini = stop, .timeout = 60);

/* ---- helpers --------------------------------------------------------- */

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

static void post(const char *path, const char *body, const char *extra,
		 struct http_response *r)
{
	cr_assert_eq(http_post(LOCAL, main_port, host_header, path,
			       "application/json", extra, body, r),
		     0);
}

static void send_event(enum wifi_state state, const char *ssid)
{
	struct msg m = { .type = MSG_NET_EVENT };

	m.body.net_event.state = state;
	if (ssid)
		msg_ssid_set(&m.body.net_event.ssid, ssid, strlen(ssid));
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
}

/* Reads WebSocket statuses until one has @state; returns it (cJSON). */
static cJSON *ws_until_state(int fd, const char *state)
{
	for (;;) {
		char *text;
		cJSON *root;

		cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0,
			     "no status %s", state);
		root = cJSON_Parse(text);
		free(text);
		cr_assert_not_null(root);
		if (!strcmp(jstr(root, "state"), state))
			return root;

		cJSON_Delete(root);
	}
}

static void wait_state(const char *state)
{
	int fd = ws_open(LOCAL, main_port, "/ws", WAIT_MS);

	cr_assert_geq(fd, 0);
	cJSON_Delete(ws_until_state(fd, state));
	close(fd);
}

/* ---- status, networks, assets ---------------------------------------- */

Test(web_api, status_has_the_public_fields_and_no_secret)
{
	struct http_response r;
	char value[64];
	cJSON *root;

	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/status", &r),
		     0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(http_header(&r, "content-type", value, sizeof(value)),
			 "application/json");
	cr_assert_str_eq(http_header(&r, "cache-control", value, sizeof(value)),
			 "no-store");
	cr_assert_null(strstr(r.body, "never-shown-1"));
	cr_assert_null(strstr(r.body, ACCESS_CODE));
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "state"), "DISCONNECTED");
	cr_assert_str_eq(jstr(root, "hostname"), "distiller-a1b2");
	for (const char *const *k =
		     (const char *const[]){ "ssid", "ip_address", "tunnel_url",
					    "error", "session_id", NULL };
	     *k; k++)
		cr_assert_not_null(cJSON_GetObjectItem(root, *k), "%s", *k);
	cJSON_Delete(root);
	http_response_free(&r);
}

Test(web_api, networks_are_listed_with_hex_for_raw_ssids)
{
	struct http_response r;
	const cJSON *list, *raw;
	cJSON *root;

	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/networks",
			      &r),
		     0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	list = cJSON_GetObjectItem(root, "networks");
	cr_assert_eq(cJSON_GetArraySize(list), 3);
	cr_assert_str_eq(jstr(cJSON_GetArrayItem(list, 0), "ssid"), "Home");
	cr_assert_str_eq(jstr(cJSON_GetArrayItem(list, 0), "security"), "WPA2");
	raw = cJSON_GetArrayItem(list, 2);
	cr_assert_str_eq(jstr(raw, "ssid"), "caf\xef\xbf\xbd");
	cr_assert_str_eq(jstr(raw, "ssid_hex"), "636166e9");
	cr_assert_eq(cJSON_GetObjectItem(root, "age_s")->valueint, 7);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(root, "fresh")));
	cJSON_Delete(root);
	http_response_free(&r);

	cr_assert_eq(http_get(LOCAL, main_port, host_header,
			      "/api/networks?fresh=1", &r),
		     0);
	root = json_of(&r);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "fresh")));
	cJSON_Delete(root);
	http_response_free(&r);
}

Test(web_api, page_is_served_with_etag_and_revalidated)
{
	struct http_response r;
	char etag[64], value[64], raw[256];

	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(http_header(&r, "content-type", value, sizeof(value)),
			 "text/html; charset=utf-8");
	cr_assert_not_null(http_header(&r, "etag", etag, sizeof(etag)));
	cr_assert_str_eq(http_header(&r, "cache-control", value, sizeof(value)),
			 "no-cache");
	cr_assert_not_null(strstr(r.body, "<html"));
	http_response_free(&r);

	snprintf(raw, sizeof(raw),
		 "GET /index.html HTTP/1.1\r\nHost: %s\r\nIf-None-Match: %s"
		 "\r\nConnection: close\r\n\r\n",
		 host_header, etag);
	cr_assert_eq(http_exchange(LOCAL, main_port, raw, &r, WAIT_MS), 0);
	cr_assert_eq(r.status, 304);
	cr_assert_eq(r.body_len, 0);
	http_response_free(&r);

	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/style.css", &r),
		     0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(http_header(&r, "content-type", value, sizeof(value)),
			 "text/css; charset=utf-8");
	http_response_free(&r);
}

Test(web_api, keep_alive_serves_several_requests_on_one_connection)
{
	struct http_response r;
	char raw[256];
	int fd = http_connect(LOCAL, main_port, WAIT_MS);

	cr_assert_geq(fd, 0);
	snprintf(raw, sizeof(raw),
		 "GET /api/status HTTP/1.1\r\nHost: %s\r\n"
		 "\r\n",
		 host_header);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(http_send(fd, raw, strlen(raw), WAIT_MS), 0);
		cr_assert_eq(http_read_response(fd, &r, WAIT_MS), 0);
		cr_assert_eq(r.status, 200);
		http_response_free(&r);
	}

	close(fd);
}

/* ---- connect and disconnect ------------------------------------------ */

Test(web_api, connect_is_accepted_and_progress_is_pushed_in_order)
{
	static const char *const expected[] = { "SWITCHING", "CONNECTING",
						"CONNECTED" };
	struct http_response r;
	const char *session;
	char *text;
	cJSON *root, *msg;
	int fd = ws_open(LOCAL, main_port, "/ws", WAIT_MS);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0);
	msg = cJSON_Parse(text);
	free(text);
	cr_assert_str_eq(jstr(msg, "state"), "DISCONNECTED",
			 "the status comes on connect");
	cJSON_Delete(msg);

	post("/api/connect",
	     "{\"ssid\":\"Home\",\"password\":\"correct "
	     "horse\"}",
	     NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "status"), "connecting");
	session = jstr(root, "session_id");
	cr_assert(session && uuid_is_valid(session));

	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0);
		msg = cJSON_Parse(text);
		free(text);
		cr_assert_str_eq(jstr(msg, "state"), expected[i]);
		cr_assert_str_eq(jstr(msg, "session_id"), session);
		cr_assert_str_eq(jstr(msg, "ssid"), "Home");
		cJSON_Delete(msg);
	}

	cJSON_Delete(root);
	http_response_free(&r);
	close(fd);
}

Test(web_api, failed_join_shows_the_reason)
{
	struct http_response r;
	int fd = ws_open(LOCAL, main_port, "/ws", WAIT_MS);
	cJSON *msg;

	cr_assert_geq(fd, 0);
	post("/api/connect",
	     "{\"ssid\":\"Home\",\"password\":\"wrong-password"
	     "\"}",
	     NULL, &r);
	cr_assert_eq(r.status, 202);
	msg = ws_until_state(fd, "FAILED");
	cr_assert_str_eq(jstr(msg, "error"), "Wrong password");
	cJSON_Delete(msg);
	msg = ws_until_state(fd, "AP_MODE");
	cr_assert_str_eq(jstr(msg, "error"), "Wrong password");
	cJSON_Delete(msg);
	http_response_free(&r);
	close(fd);
}

Test(web_api, raw_ssid_round_trips_through_ssid_hex)
{
	struct http_response r;
	int fd = ws_open(LOCAL, main_port, "/ws", WAIT_MS);
	cJSON *msg;

	cr_assert_geq(fd, 0);
	post("/api/connect",
	     "{\"ssid_hex\":\"636166e9\",\"password\":"
	     "\"12345678\"}",
	     NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	msg = ws_until_state(fd, "CONNECTED");
	cr_assert_str_eq(jstr(msg, "ssid_hex"), "636166e9");
	cJSON_Delete(msg);
	http_response_free(&r);
	close(fd);
}

Test(web_api, disconnect_answers_disconnecting)
{
	struct http_response r;
	cJSON *root;

	send_event(WIFI_STATE_CONNECTED, "Home");
	wait_state("CONNECTED");
	post("/api/disconnect", "", NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "status"), "disconnecting");
	cJSON_Delete(root);
	http_response_free(&r);
	wait_state("DISCONNECTED");

	cr_assert_eq(http_post(LOCAL, main_port, host_header, "/api/disconnect",
			       NULL, NULL, "", &r),
		     0);
	cr_assert_eq(r.status, 200, "a bare POST works too: %s", r.body);
	http_response_free(&r);
}

/* ---- errors ---------------------------------------------------------- */

Test(web_api, bad_bodies_are_400_with_a_reason)
{
	static const struct {
		const char *body;
		const char *error;
	} cases[] = {
		{ "{\"ssid\":", "Request body is not valid JSON" },
		{ "{\"ssid\":7}", "ssid must be a string" },
		{ "{\"ssid\":\"\"}",
		  "Network name (SSID) must be 1 to 32 bytes" },
		{ "{\"ssid\":\"123456789012345678901234567890123\"}",
		  "Network name (SSID) must be 1 to 32 bytes" },
		{ "{\"ssid\":\"Home\",\"password\":\"short\"}",
		  "Password must be 8 to 63 printable ASCII characters or 64 "
		  "hexadecimal digits" },
		{ "{\"ssid\":\"Home\",\"password\":true}",
		  "password must be a string" },
		{ "{\"ssid\":\"Home\",\"hidden\":1}",
		  "hidden must be true or false" },
	};
	struct http_response r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post("/api/connect", cases[i].body, NULL, &r);
		assert_error(&r, 400, cases[i].error);
		http_response_free(&r);
	}
}

Test(web_api, unknown_paths_and_methods)
{
	struct http_response r;
	char allow[32];

	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/nope", &r),
		     0);
	assert_error(&r, 404, "Not found");
	http_response_free(&r);

	cr_assert_eq(
		http_get(LOCAL, main_port, host_header, "/missing.png", &r), 0);
	assert_error(&r, 404, "Not found");
	http_response_free(&r);

	cr_assert_eq(
		http_get(LOCAL, main_port, host_header, "/api/connect", &r), 0);
	assert_error(&r, 405, "Method not allowed");
	cr_assert_str_eq(http_header(&r, "allow", allow, sizeof(allow)),
			 "POST");
	http_response_free(&r);

	post("/api/status", "{}", NULL, &r);
	assert_error(&r, 405, "Method not allowed");
	cr_assert_str_eq(http_header(&r, "allow", allow, sizeof(allow)), "GET");
	http_response_free(&r);
}

Test(web_api, busy_network_is_409)
{
	struct http_response r;

	post("/api/connect", "{\"ssid\":\"Busy\",\"password\":\"12345678\"}",
	     NULL, &r);
	assert_error(&r, 409, "A connection attempt is already in progress");
	http_response_free(&r);
}

Test(web_api, no_radio_is_503)
{
	struct http_response r;

	post("/api/connect", "{\"ssid\":\"NoRadio\"}", NULL, &r);
	assert_error(&r, 503, "No WiFi device");
	http_response_free(&r);
}

Test(web_api, silent_network_actor_is_503_after_5_s)
{
	struct http_response r;
	struct timespec t0, t1;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	post("/api/connect", "{\"ssid\":\"Silent\"}", NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_error(&r, 503, "The network service did not answer");
	cr_assert(s >= 4.9 && s < 7.0, "took %.2f s", s);
	http_response_free(&r);
}

Test(web_api, oversized_bodies_are_413)
{
	struct http_response r;
	char raw[512], chunk[1100];
	int fd;

	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: 5000\r\n\r\n",
		 host_header);
	cr_assert_eq(http_exchange(LOCAL, main_port, raw, &r, WAIT_MS), 0);
	assert_error(&r, 413, "Request body is over 4 KiB");
	http_response_free(&r);

	/* chunked: no length up front, refused by counting */
	fd = http_connect(LOCAL, main_port, WAIT_MS);
	cr_assert_geq(fd, 0);
	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
		 host_header);
	cr_assert_eq(http_send(fd, raw, strlen(raw), WAIT_MS), 0);
	memset(chunk, 'a', sizeof(chunk));
	snprintf(chunk, 8, "400\r\n");
	chunk[5] = 'a';
	memcpy(chunk + 5 + 1024, "\r\n", 2);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(http_send(fd, chunk, 5 + 1024 + 2, WAIT_MS), 0);
	cr_assert_eq(http_read_response(fd, &r, WAIT_MS), 0);
	assert_error(&r, 413, "Request body is over 4 KiB");
	http_response_free(&r);
	close(fd);
}

Test(web_api, wrong_content_type_is_415)
{
	struct http_response r;

	cr_assert_eq(http_post(LOCAL, main_port, host_header, "/api/connect",
			       "text/plain", NULL, "{\"ssid\":\"Home\"}", &r),
		     0);
	assert_error(&r, 415, "Content-Type must be application/json");
	http_response_free(&r);

	cr_assert_eq(http_post(LOCAL, main_port, host_header, "/api/connect",
			       "application/json; charset=utf-8", NULL,
			       "{\"ssid\":\"Busy\"}", &r),
		     0);
	cr_assert_eq(r.status, 409, "a charset parameter is fine");
	http_response_free(&r);
}

Test(web_api, too_many_connect_attempts_are_429)
{
	struct http_response r;
	char value[16];
	int status = 0, i;

	for (i = 0; i < 10 && status != 429; i++) {
		post("/api/connect", "{\"ssid\":\"Busy\"}", NULL, &r);
		status = r.status;
		if (status == 429) {
			assert_error(&r, 429,
				     "Too many connection attempts, "
				     "wait a few seconds");
			cr_assert_not_null(http_header(&r, "retry-after", value,
						       sizeof(value)));
			cr_assert_gt(atoi(value), 0);
		} else {
			cr_assert_eq(status, 409);
		}
		http_response_free(&r);
	}

	cr_assert_eq(status, 429);
	cr_assert_eq(i, 6, "a burst of 5 is allowed");
}

Test(web_api, cross_site_mutations_are_403)
{
	struct http_response r;
	char origin[96];

	post("/api/connect", "{\"ssid\":\"Busy\"}",
	     "Origin: http://evil.example\r\n", &r);
	assert_error(&r, 403, "Cross-site request refused");
	http_response_free(&r);

	post("/api/disconnect", "{}", "Sec-Fetch-Site: cross-site\r\n", &r);
	assert_error(&r, 403, "Cross-site request refused");
	http_response_free(&r);

	/* DNS rebinding: a foreign name pointing at the device */
	cr_assert_eq(http_post(LOCAL, main_port, "evil.example", "/api/connect",
			       "application/json",
			       "Origin: http://evil.example\r\n",
			       "{\"ssid\":\"Busy\"}", &r),
		     0);
	assert_error(&r, 403, "Cross-site request refused");
	http_response_free(&r);

	snprintf(origin, sizeof(origin), "Origin: http://%s\r\n", host_header);
	post("/api/connect", "{\"ssid\":\"Busy\"}", origin, &r);
	cr_assert_eq(r.status, 409, "same origin passes: %s", r.body);
	http_response_free(&r);
}

/* ---- the tunnel listener --------------------------------------------- */

/* POSTs @body to @path on the tunnel listener, with @extra headers. */
static void tunnel_post(const char *path, const char *body, const char *extra,
			struct http_response *r)
{
	cr_assert_eq(http_post(LOCAL, tunnel_port, TUNNEL_HOST, path,
			       "application/json", extra, body, r),
		     0);
}

/* Neither secret of the snapshot, by name or by value. */
static void assert_no_secret(const char *text, const char *where)
{
	cr_assert_null(strstr(text, "access_code"), "%s: %s", where, text);
	cr_assert_null(strstr(text, ACCESS_CODE), "%s: %s", where, text);
	cr_assert_null(strstr(text, "ap_password"), "%s: %s", where, text);
	cr_assert_null(strstr(text, "never-shown-1"), "%s: %s", where, text);
}

Test(web_api, status_and_websocket_never_carry_the_secrets)
{
	const int ports[] = { main_port, tunnel_port };
	struct http_response r;
	char *text;
	int fd;

	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(http_get(LOCAL, ports[i], host_header,
				      "/api/status", &r),
			     0);
		cr_assert_eq(r.status, 200);
		assert_no_secret(r.body, "GET /api/status");
		http_response_free(&r);

		fd = ws_open(LOCAL, ports[i], "/ws", WAIT_MS);
		cr_assert_geq(fd, 0);
		cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0);
		assert_no_secret(text, "WebSocket, on connect");
		free(text);
		send_event(WIFI_STATE_AP_MODE, NULL);
		cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0);
		cr_assert_not_null(strstr(text, "AP_MODE"));
		assert_no_secret(text, "WebSocket, on a change");
		free(text);
		close(fd);
	}
}

Test(web_api, tunnel_reads_without_the_access_code)
{
	struct http_response r;
	cJSON *root;
	char *text;
	int fd;

	cr_assert_eq(http_get(LOCAL, tunnel_port, TUNNEL_HOST, "/api/status",
			      &r),
		     0);
	cr_assert_eq(r.status, 200);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "state"), "DISCONNECTED");
	cJSON_Delete(root);
	http_response_free(&r);

	cr_assert_eq(http_get(LOCAL, tunnel_port, TUNNEL_HOST, "/api/networks",
			      &r),
		     0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	http_response_free(&r);

	cr_assert_eq(http_get(LOCAL, tunnel_port, TUNNEL_HOST, "/", &r), 0);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);

	fd = ws_open(LOCAL, tunnel_port, "/ws", WAIT_MS);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ws_read_text(fd, &text, WAIT_MS), 0);
	cr_assert_not_null(strstr(text, "\"DISCONNECTED\""));
	free(text);
	close(fd);
}

Test(web_api, tunnel_mutation_without_a_code_is_403)
{
	struct http_response r;

	tunnel_post("/api/connect", "{\"ssid\":\"Home\"}", NULL, &r);
	assert_error(&r, 403, "Access code required");
	http_response_free(&r);

	tunnel_post("/api/disconnect", "{}", NULL, &r);
	assert_error(&r, 403, "Access code required");
	http_response_free(&r);

	/* an empty one is none at all */
	tunnel_post("/api/disconnect", "{\"access_code\":\"\"}",
		    "X-Access-Code: \r\n", &r);
	assert_error(&r, 403, "Access code required");
	http_response_free(&r);
}

Test(web_api, tunnel_mutation_with_a_wrong_code_is_403)
{
	static const char *const wrong[] = {
		"024681", "02468", "0246800", "24680", "x024680",
	};
	struct http_response r;
	char header[64], body[96];

	/* one in the header, one in the body, a burst's worth in all */
	snprintf(header, sizeof(header), "X-Access-Code: %s\r\n", wrong[0]);
	tunnel_post("/api/disconnect", "{}", header, &r);
	assert_error(&r, 403, "Wrong access code");
	http_response_free(&r);

	for (size_t i = 1; i < 3; i++) {
		snprintf(body, sizeof(body),
			 "{\"ssid\":\"Home\",\"access_code\":\"%s\"}",
			 wrong[i]);
		tunnel_post("/api/connect", body, NULL, &r);
		assert_error(&r, 403, "Wrong access code");
		http_response_free(&r);
	}

	/* over the copy buffer: still a wrong code, not a missing one */
	tunnel_post("/api/disconnect", "{}",
		    "X-Access-Code: 024680024680024680024680\r\n", &r);
	assert_error(&r, 403, "Wrong access code");
	http_response_free(&r);
}

Test(web_api, tunnel_mutation_with_the_code_is_accepted)
{
	struct http_response r;
	cJSON *root;

	/* in the header */
	tunnel_post("/api/connect",
		    "{\"ssid\":\"Home\",\"password\":\"12345678\"}",
		    "X-Access-Code: " ACCESS_CODE "\r\n", &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "status"), "connecting");
	cJSON_Delete(root);
	http_response_free(&r);
	wait_state("CONNECTED");

	/* in the body */
	tunnel_post("/api/connect",
		    "{\"ssid\":\"Home\",\"password\":\"12345678\","
		    "\"access_code\":\"" ACCESS_CODE "\"}",
		    NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	http_response_free(&r);

	/* either one right is enough */
	tunnel_post("/api/disconnect", "{\"access_code\":\"" ACCESS_CODE "\"}",
		    "X-Access-Code: 999999\r\n", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_of(&r);
	cr_assert_str_eq(jstr(root, "status"), "disconnecting");
	cJSON_Delete(root);
	http_response_free(&r);

	/* the main listener asks for no code */
	post("/api/disconnect", "{}", NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	http_response_free(&r);
}

Test(web_api, tunnel_stops_comparing_after_a_burst_of_wrong_codes)
{
	struct http_response r;
	char value[16];
	int i;

	for (i = 0; i < 5; i++) {
		tunnel_post("/api/disconnect", "{}",
			    "X-Access-Code: 111111\r\n", &r);
		assert_error(&r, 403, "Wrong access code");
		http_response_free(&r);
	}

	/* even the right code waits now: nothing is compared */
	tunnel_post("/api/disconnect", "{}",
		    "X-Access-Code: " ACCESS_CODE "\r\n", &r);
	assert_error(&r, 429,
		     "Too many wrong access codes, wait a few seconds");
	cr_assert_not_null(
		http_header(&r, "retry-after", value, sizeof(value)));
	cr_assert_gt(atoi(value), 0);
	http_response_free(&r);

	/* a request without a code is told so, and local users are served */
	tunnel_post("/api/disconnect", "{}", NULL, &r);
	assert_error(&r, 403, "Access code required");
	http_response_free(&r);
	post("/api/disconnect", "{}", NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	http_response_free(&r);
}

/* ---- slow and vanishing clients -------------------------------------- */

Test(web_api, slow_senders_are_cut_off_and_cost_nothing_lasting)
{
	struct http_response r;
	char raw[256];
	int head_fd, body_fd;

	/* one that never finishes its headers */
	head_fd = http_connect(LOCAL, main_port, WAIT_MS);
	cr_assert_geq(head_fd, 0);
	cr_assert_eq(http_send(head_fd, "GET /api/status HTTP/1.1\r\nHo", 28,
			       WAIT_MS),
		     0);

	/* one that promises a body and sends part of it */
	body_fd = http_connect(LOCAL, main_port, WAIT_MS);
	cr_assert_geq(body_fd, 0);
	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: 100\r\n\r\n{\"ssid\"",
		 host_header);
	cr_assert_eq(http_send(body_fd, raw, strlen(raw), WAIT_MS), 0);

	/* others are served meanwhile */
	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/status", &r),
		     0);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);

	cr_assert_eq(http_wait_closed(head_fd, 15000), 0,
		     "slow headers must be cut off");
	cr_assert_eq(http_wait_closed(body_fd, 15000), 0,
		     "a slow body must be cut off");
	close(head_fd);
	close(body_fd);
}

Test(web_api, client_vanishing_mid_request_leaves_no_trace)
{
	struct http_response r;
	char raw[512];
	int fd;

	/* gone while its connect waits for the network actor */
	fd = http_connect(LOCAL, main_port, WAIT_MS);
	cr_assert_geq(fd, 0);
	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: 17\r\n\r\n"
		 "{\"ssid\":\"Silent\"}",
		 host_header);
	cr_assert_eq(http_send(fd, raw, strlen(raw), WAIT_MS), 0);
	close(fd);

	/* gone halfway through its body */
	fd = http_connect(LOCAL, main_port, WAIT_MS);
	cr_assert_geq(fd, 0);
	snprintf(raw, sizeof(raw),
		 "POST /api/connect HTTP/1.1\r\nHost: %s\r\nContent-Type: "
		 "application/json\r\nContent-Length: 40\r\n\r\n{\"ssid\":",
		 host_header);
	cr_assert_eq(http_send(fd, raw, strlen(raw), WAIT_MS), 0);
	close(fd);

	/* the parked request's deadline passes with nobody to answer */
	post("/api/connect", "{\"ssid\":\"Silent\"}", NULL, &r);
	assert_error(&r, 503, "The network service did not answer");
	http_response_free(&r);
	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/status", &r),
		     0);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);
}

/* ---- WebSocket ------------------------------------------------------- */

#define WS_CLIENTS 64

Test(web_api, sixty_four_clients_all_receive_every_change)
{
	static const char *const states[] = { "AP_MODE", "SWITCHING",
					      "CONNECTING", "CONNECTED" };
	static const enum wifi_state values[] = { WIFI_STATE_AP_MODE,
						  WIFI_STATE_SWITCHING,
						  WIFI_STATE_CONNECTING,
						  WIFI_STATE_CONNECTED };
	int fds[WS_CLIENTS];
	char *text;

	for (int i = 0; i < WS_CLIENTS; i++) {
		fds[i] = ws_open(LOCAL, main_port, "/ws", WAIT_MS);
		cr_assert_geq(fds[i], 0, "client %d: %s", i, strerror(-fds[i]));
		cr_assert_eq(ws_read_text(fds[i], &text, WAIT_MS), 0);
		cr_assert_not_null(strstr(text, "\"DISCONNECTED\""));
		free(text);
	}

	for (size_t s = 0; s < 4; s++)
		send_event(values[s], "Home");

	for (int i = 0; i < WS_CLIENTS; i++) {
		for (size_t s = 0; s < 4; s++) {
			cJSON *msg;

			cr_assert_eq(ws_read_text(fds[i], &text, WAIT_MS), 0,
				     "client %d, change %zu", i, s);
			msg = cJSON_Parse(text);
			free(text);
			cr_assert_str_eq(jstr(msg, "state"), states[s],
					 "client %d", i);
			cJSON_Delete(msg);
		}

		close(fds[i]);
	}
}

Test(web_ping, dead_clients_are_dropped_and_live_ones_kept)
{
	struct timespec t0, t1;
	char *text;
	int dead = ws_open(LOCAL, main_port, "/ws", WAIT_MS);
	int alive = ws_open(LOCAL, main_port, "/ws", WAIT_MS);
	bool closed = false;
	int err;

	cr_assert_geq(dead, 0);
	cr_assert_geq(alive, 0);
	cr_assert_eq(ws_read_text(alive, &text, WAIT_MS), 0);
	free(text);

	/*
	 * The dead one never reads, so it never answers a ping; the live one
	 * answers each ping while it waits for messages.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		err = ws_read_text(alive, &text, 100);
		cr_assert(err == 0 || err == -ETIMEDOUT, "live client: %s",
			  strerror(-err));
		free(text);
		closed = http_wait_closed(dead, 100) == 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (!closed && t1.tv_sec - t0.tv_sec < 10);

	cr_assert(closed, "a client that does not pong must be dropped");

	send_event(WIFI_STATE_AP_MODE, NULL);
	cr_assert_eq(ws_read_text(alive, &text, WAIT_MS), 0,
		     "the live client is still served");
	cr_assert_not_null(strstr(text, "AP_MODE"));
	free(text);
	close(dead);
	close(alive);
}

Test(web_api, ws_is_refused_on_other_paths)
{
	cr_assert_lt(ws_open(LOCAL, main_port, "/other", WAIT_MS), 0);
}

/* ---- the captive portal over HTTP ------------------------------------ */

static const struct {
	const char *host;
	const char *path;
	int online_status;
	const char *online_body;
} probes[] = {
	{ "connectivitycheck.gstatic.com", "/generate_204", 204, "" },
	{ "clients3.google.com", "/generate_204", 204, "" },
	{ "www.google.com", "/gen_204", 204, "" },
	{ "captive.apple.com", "/hotspot-detect.html", 200,
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY>"
	  "</HTML>\n" },
	{ "captive.apple.com", "/library/test/success.html", 200,
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY>"
	  "</HTML>\n" },
	{ "www.msftconnecttest.com", "/connecttest.txt", 200,
	  "Microsoft Connect Test" },
	{ "www.msftconnecttest.com", "/redirect", 200,
	  "Microsoft Connect Test" },
	{ "www.msftncsi.com", "/ncsi.txt", 200, "Microsoft NCSI" },
	{ "detectportal.firefox.com", "/canonical.html", 200,
	  "<meta http-equiv=\"refresh\" content=\"0;url=https://support."
	  "mozilla.org/kb/captive-portal\"/>" },
	{ "detectportal.firefox.com", "/success.txt", 200, "success\n" },
	{ "spectrum.s3.amazonaws.com", "/kindle-wifi/wifistub.html", 200,
	  NULL },
	{ "nmcheck.gnome.org", "/check_network_status.txt", 200,
	  "NetworkManager is online\n" },
};

/* The portal listener opens a moment after AP_MODE is published. */
static void wait_portal(void)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int fd = -1;

	for (int i = 0; i < 250 && fd < 0; i++) {
		fd = http_connect(AP_IP, portal_port, 1000);
		if (fd < 0)
			nanosleep(&pause, NULL);
	}

	cr_assert_geq(fd, 0, "the portal listener must open in AP mode");
	close(fd);
}

Test(web_api, every_probe_is_sent_to_the_portal_in_ap_mode)
{
	struct http_response r;
	char value[128], url[64];

	send_event(WIFI_STATE_AP_MODE, NULL);
	wait_state("AP_MODE");
	wait_portal();
	snprintf(url, sizeof(url), "http://%s:%d/", AP_IP, portal_port);

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		cr_assert_eq(http_get(AP_IP, portal_port, probes[i].host,
				      probes[i].path, &r),
			     0);
		cr_assert_eq(r.status, 302, "%s%s: %d", probes[i].host,
			     probes[i].path, r.status);
		cr_assert_str_eq(
			http_header(&r, "location", value, sizeof(value)), url);
		cr_assert_str_eq(http_header(&r, "cache-control", value,
					     sizeof(value)),
				 "no-store");
		http_response_free(&r);
	}

	/* any other page a phone tries lands there too */
	cr_assert_eq(
		http_get(AP_IP, portal_port, "neverssl.com", "/online", &r), 0);
	cr_assert_eq(r.status, 302);
	http_response_free(&r);

	/* the portal itself is served on the AP address */
	cr_assert_eq(http_get(AP_IP, portal_port, AP_IP, "/", &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "<html"));
	http_response_free(&r);
	cr_assert_eq(http_get(AP_IP, portal_port, "distiller-a1b2.local",
			      "/api/status", &r),
		     0);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);
}

Test(web_api, rfc8908_api_says_captive_only_in_ap_mode)
{
	struct http_response r;
	char value[64], url[64];
	cJSON *root;

	cr_assert_eq(http_get(LOCAL, main_port, host_header, CAPTIVE_API_PATH,
			      &r),
		     0);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(http_header(&r, "content-type", value, sizeof(value)),
			 "application/captive+json");
	root = json_of(&r);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(root, "captive")));
	cJSON_Delete(root);
	http_response_free(&r);

	send_event(WIFI_STATE_AP_MODE, NULL);
	wait_state("AP_MODE");
	wait_portal();
	cr_assert_eq(http_get(AP_IP, portal_port, AP_IP, CAPTIVE_API_PATH, &r),
		     0);
	root = json_of(&r);
	snprintf(url, sizeof(url), "http://%s:%d/", AP_IP, portal_port);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "captive")));
	cr_assert_str_eq(jstr(root, "user-portal-url"), url);
	cJSON_Delete(root);
	http_response_free(&r);
}

Test(web_api, every_probe_is_online_in_client_mode)
{
	struct http_response r;

	send_event(WIFI_STATE_AP_MODE, NULL);
	wait_state("AP_MODE");
	wait_portal();
	send_event(WIFI_STATE_CONNECTED, "Home");
	wait_state("CONNECTED");

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		cr_assert_eq(http_get(LOCAL, main_port, probes[i].host,
				      probes[i].path, &r),
			     0);
		cr_assert_eq(r.status, probes[i].online_status, "%s%s: %d",
			     probes[i].host, probes[i].path, r.status);
		if (probes[i].online_body)
			cr_assert_str_eq(r.body, probes[i].online_body, "%s",
					 probes[i].path);
		else
			cr_assert_not_null(strstr(r.body,
						  "81ce4465-7167-"
						  "4dcb-835b-dcc9e44c112a"));
		http_response_free(&r);
	}

	/* the AP listener, if its address is still there, says online too */
	cr_assert_eq(http_get(AP_IP, portal_port, "clients3.google.com",
			      "/generate_204", &r),
		     0);
	cr_assert_eq(r.status, 204);
	http_response_free(&r);
}

Test(web_api, nothing_listens_on_443_so_https_fails_fast)
{
	struct timespec t0, t1;
	int fd;

	send_event(WIFI_STATE_AP_MODE, NULL);
	wait_state("AP_MODE");
	wait_portal();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = http_connect(AP_IP, 443, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(fd, -ECONNREFUSED);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 1);
}

static void start_without_ap_address(void)
{
	/* TEST-NET-1: not on any interface here, so the bind must fail */
	start_with("192.0.2.1", 20);
}

TestSuite(web_no_ap, .init = start_without_ap_address, .fini = stop,
	  .timeout = 60);

Test(web_no_ap, missing_ap_address_is_survived)
{
	struct http_response r;

	send_event(WIFI_STATE_AP_MODE, NULL);
	wait_state("AP_MODE");
	cr_assert_eq(http_get(LOCAL, main_port, "captive.apple.com",
			      "/hotspot-detect.html", &r),
		     0);
	cr_assert_eq(r.status, 302, "the main listener still redirects");
	http_response_free(&r);
	cr_assert_eq(http_get(LOCAL, main_port, host_header, "/api/status", &r),
		     0);
	cr_assert_eq(r.status, 200);
	http_response_free(&r);
}
