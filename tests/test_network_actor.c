/* SPDX-License-Identifier: MIT */
/*
 * The network actor over the NetworkManager double (tests/nm): the access
 * point's exact profile, scans, joins that succeed and joins that fail
 * each in their own words, boot with and without a saved network, a lost
 * connection and its grace period, NetworkManager restarting mid-join, no
 * WiFi device, the hostname, disconnect and the retries in AP mode.
 *
 * Each test runs the real network actor in a runtime with two small
 * peers: "state", which answers MSG_STATE_GET with a snapshot, enforces
 * the state table on the facts it gets and records them, and "web",
 * which forwards the test's requests to "network" and records the
 * answers. Every wait has a deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <gio/gio.h>

#include "actors/dnsmasq_dropin.h"
#include "actors/network.h"
#include "actors/state.h"
#include "actors/state_table.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "tests/harness/nm_double.h"

#define DEADLINE_MS 15000
#define EVENTS_MAX 64
#define ANSWERS_MAX 16
#define AP_SSID "Distiller-A1B2"
#define AP_PASSWORD "apsecret-1234"

struct record {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct msg_net_event events[EVENTS_MAX];
	unsigned int n_events;
	unsigned int refused; /* facts the table would refuse */
	enum wifi_state state;
	struct msg answers[ANSWERS_MAX];
	unsigned int n_answers;
	struct msg_state_snapshot snaps[EVENTS_MAX];
	unsigned int n_snaps;
};

static struct record rec = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};
static struct config cfg;
static struct runtime *rt;
static struct nm_double *nm;
static char tmpdir[64];

/* ---- the peers ---------------------------------------------------------- */

static int state_handle(struct actor *self, void *state, const struct msg *m)
{
	struct msg snap = { .type = MSG_STATE_SNAPSHOT };

	(void)state;
	pthread_mutex_lock(&rec.lock);
	if (m->type == MSG_NET_EVENT && rec.n_events < EVENTS_MAX) {
		if (!state_table_allows(rec.state, m->body.net_event.state))
			rec.refused++;
		else
			rec.state = m->body.net_event.state;
		rec.events[rec.n_events++] = m->body.net_event;
		pthread_cond_broadcast(&rec.cond);
	}
	snap.body.snapshot.state = rec.state;
	pthread_mutex_unlock(&rec.lock);

	if (m->type == MSG_STATE_GET) {
		strcpy(snap.body.snapshot.ap_ssid, AP_SSID);
		strcpy(snap.body.snapshot.ap_password, AP_PASSWORD);
		strcpy(snap.body.snapshot.device_id, "a1b2");
		actor_reply(self, m, &snap);
	}

	return 0;
}

static int web_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)state;
	if (!m->sender[0]) {
		/* from the test: pass it on as ours */
		actor_send(self, "network", m);
		return 0;
	}

	pthread_mutex_lock(&rec.lock);
	if (rec.n_answers < ANSWERS_MAX)
		rec.answers[rec.n_answers++] = *m;
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
	return 0;
}

/* A subscriber, like the display: records every published snapshot. */
static int watcher_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	if (m->type != MSG_STATE_SNAPSHOT)
		return 0;

	pthread_mutex_lock(&rec.lock);
	if (rec.n_snaps < EVENTS_MAX &&
	    (!rec.n_snaps ||
	     rec.snaps[rec.n_snaps - 1].seq < m->body.snapshot.seq))
		rec.snaps[rec.n_snaps++] = m->body.snapshot;
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
	return 0;
}

static const struct actor_def watcher_def = {
	.name = "display",
	.handle = watcher_handle,
	.subscribe_state = true,
};

static const struct actor_def state_def = {
	.name = "state",
	.handle = state_handle,
};
static const struct actor_def web_def = {
	.name = "web",
	.handle = web_handle,
};

/* ---- set-up ------------------------------------------------------------- */

static void start_double(const char *scenario, const char *params)
{
	struct nm_double_options opts = {
		.scenario = scenario,
		.params_json = params,
	};

	cr_assert_eq(nm_double_start(&opts, &nm), 0, "the double starts");
}

static void start_network(void)
{
	static const struct actor_def *defs[] = {
		&state_def,
		&web_def,
		&network_actor_def,
	};
	size_t i;

	rt = runtime_new(defs, 3, &cfg);
	cr_assert(rt);
	for (i = 0; i < 3; i++)
		cr_assert_eq(runtime_actor_start(rt, i), 0);
}

/* The real state actor instead of the recording one. */
static void start_network_with_state(void)
{
	static const struct actor_def *defs[] = {
		&state_actor_def,
		&watcher_def,
		&web_def,
		&network_actor_def,
	};
	size_t i;

	rt = runtime_new(defs, 4, &cfg);
	cr_assert(rt);
	for (i = 0; i < 4; i++)
		cr_assert_eq(runtime_actor_start(rt, i), 0);
}

/* Waits for a published snapshot at or after *cursor in @state. */
static bool wait_snapshot(unsigned int *cursor, enum wifi_state state,
			  struct msg_state_snapshot *out)
{
	struct timespec ts;
	bool found = false;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DEADLINE_MS / 1000;
	pthread_mutex_lock(&rec.lock);
	for (;;) {
		while (!found && *cursor < rec.n_snaps) {
			if (rec.snaps[(*cursor)++].state == state) {
				*out = rec.snaps[*cursor - 1];
				found = true;
			}
		}

		if (found || pthread_cond_timedwait(&rec.cond, &rec.lock, &ts))
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	return found;
}

static void setup(void)
{
	config_defaults(&cfg);
	cfg.join_timeout_s = 5;
	cfg.reconnect_grace_s = 1;
	cfg.boot_grace_s = 2;
	cfg.captive_portal = true;

	strcpy(tmpdir, "/tmp/distiller-net-XXXXXX");
	cr_assert(mkdtemp(tmpdir));
	snprintf(cfg.dnsmasq_dir, sizeof(cfg.dnsmasq_dir), "%s", tmpdir);
	snprintf(cfg.nm_lease_dir, sizeof(cfg.nm_lease_dir), "%s", tmpdir);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", tmpdir);
	snprintf(cfg.run_dir, sizeof(cfg.run_dir), "%s", tmpdir);
	rec.n_events = 0;
	rec.n_answers = 0;
	rec.n_snaps = 0;
	rec.refused = 0;
	rec.state = STATE_TABLE_INITIAL;
}

static void teardown(void)
{
	char cmd[128];

	runtime_free(rt);
	rt = NULL;
	nm_double_free(nm);
	nm = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(network_actor, .init = setup, .fini = teardown, .timeout = 90);

/* ---- waiting ------------------------------------------------------------ */

static void deadline_in(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/*
 * Waits for the first fact at or after *cursor with @state; moves the
 * cursor past it and copies it to @out. False at the deadline.
 */
static bool wait_event(unsigned int *cursor, enum wifi_state state,
		       unsigned int ms, struct msg_net_event *out)
{
	struct timespec ts;
	bool found = false;

	deadline_in(&ts, ms);
	pthread_mutex_lock(&rec.lock);
	for (;;) {
		while (*cursor < rec.n_events) {
			if (rec.events[(*cursor)++].state == state) {
				if (out)
					*out = rec.events[*cursor - 1];
				found = true;
				break;
			}
		}

		if (found || pthread_cond_timedwait(&rec.cond, &rec.lock, &ts))
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	return found;
}

static struct msg wait_answer(enum msg_type type, uint64_t correlation_id)
{
	struct msg found = { 0 };
	struct timespec ts;
	unsigned int i;

	deadline_in(&ts, DEADLINE_MS);
	pthread_mutex_lock(&rec.lock);
	for (;;) {
		for (i = 0; i < rec.n_answers; i++) {
			if (rec.answers[i].type == type &&
			    rec.answers[i].correlation_id == correlation_id)
				found = rec.answers[i];
		}

		if (found.type ||
		    pthread_cond_timedwait(&rec.cond, &rec.lock, &ts))
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	cr_assert_eq(found.type, type, "an answer of type %d arrived", type);
	return found;
}

static struct msg request_connect(const void *ssid, size_t ssid_len,
				  const char *password, bool hidden)
{
	struct msg m = { .type = MSG_CONNECT_REQUEST };

	m.correlation_id = actor_next_id();
	msg_ssid_set(&m.body.connect.ssid, ssid, ssid_len);
	strcpy(m.body.connect.password, password);
	m.body.connect.hidden = hidden;
	strcpy(m.body.connect.session_id,
	       "9b2f0d3c-6d6e-4f7a-8a55-2f1b9d0c1e01");
	cr_assert_eq(runtime_send(rt, "web", &m), 0);
	return wait_answer(MSG_REPLY, m.correlation_id);
}

static struct msg request_scan(bool fresh)
{
	struct msg m = { .type = MSG_SCAN_REQUEST };

	m.correlation_id = actor_next_id();
	m.body.scan_request.fresh = fresh;
	cr_assert_eq(runtime_send(rt, "web", &m), 0);
	return wait_answer(MSG_SCAN_RESULT, m.correlation_id);
}

static const struct msg_network *find_network(const struct msg_scan_result *r,
					      const void *ssid, size_t len)
{
	uint32_t i;

	for (i = 0; i < r->count; i++) {
		if (r->networks[i].ssid.len == len &&
		    !memcmp(r->networks[i].ssid.bytes, ssid, len))
			return &r->networks[i];
	}

	return NULL;
}

/* Looks up a{sa{sv}}[setting][key]; NULL when absent. */
static GVariant *setting(GVariant *settings, const char *group, const char *key)
{
	GVariant *dict, *value;

	dict = g_variant_lookup_value(settings, group, G_VARIANT_TYPE_VARDICT);
	if (!dict)
		return NULL;

	value = g_variant_lookup_value(dict, key, NULL);
	g_variant_unref(dict);
	return value;
}

static void assert_string_setting(GVariant *settings, const char *group,
				  const char *key, const char *want)
{
	GVariant *v = setting(settings, group, key);

	cr_assert(v, "%s.%s is set", group, key);
	cr_assert_str_eq(g_variant_get_string(v, NULL), want, "%s.%s", group,
			 key);
	g_variant_unref(v);
}

static void assert_strv_setting(GVariant *settings, const char *group,
				const char *key, const char *want)
{
	GVariant *v = setting(settings, group, key);
	const char **strv;

	cr_assert(v, "%s.%s is set", group, key);
	strv = g_variant_get_strv(v, NULL);
	cr_assert(strv[0] && !strv[1], "%s.%s has one value", group, key);
	cr_assert_str_eq(strv[0], want);
	g_free(strv);
	g_variant_unref(v);
}

static void assert_bytes_setting(GVariant *settings, const char *group,
				 const char *key, const void *want,
				 size_t want_len)
{
	GVariant *v = setting(settings, group, key);
	const void *data;
	gsize len;

	cr_assert(v, "%s.%s is set", group, key);
	data = g_variant_get_fixed_array(v, &len, 1);
	cr_assert_eq(len, want_len);
	cr_assert_eq(memcmp(data, want, len), 0, "%s.%s bytes", group, key);
	g_variant_unref(v);
}

static bool dropin_exists(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/" DNSMASQ_DROPIN_NAME, tmpdir);
	return access(path, F_OK) == 0;
}

static unsigned int count_calls(const char *method)
{
	char **calls = nm_double_get_calls(nm);
	unsigned int n = 0, i;

	for (i = 0; calls && calls[i]; i++)
		n += !strcmp(calls[i], method);
	g_strfreev(calls);
	return n;
}

/* Waits until the double saw @method @count times (it has no signal). */
static bool wait_calls(const char *method, unsigned int count)
{
	uint64_t deadline = actor_now_ms() + DEADLINE_MS;

	while (count_calls(method) < count) {
		if (actor_now_ms() > deadline)
			return false;
		usleep(20 * 1000);
	}

	return true;
}

static void ap_mode(unsigned int *cursor)
{
	cr_assert(wait_event(cursor, WIFI_STATE_AP_MODE, DEADLINE_MS, NULL),
		  "the access point comes up");
}

/* ---- the access point --------------------------------------------------- */

Test(network_actor, raises_the_exact_access_point_profile)
{
	GVariant *settings = NULL, *options = NULL, *v, *data;
	unsigned int cursor = 0;
	char text[512], path[512];
	FILE *f;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);

	cr_assert_eq(nm_double_get_last_call(nm, "AddAndActivateConnection2",
					     &settings, &options),
		     0);
	assert_string_setting(settings, "connection", "id", "distiller-ap");
	v = setting(settings, "connection", "autoconnect");
	cr_assert(v && !g_variant_get_boolean(v), "autoconnect is off");
	g_variant_unref(v);
	assert_bytes_setting(settings, "802-11-wireless", "ssid", AP_SSID,
			     strlen(AP_SSID));
	assert_string_setting(settings, "802-11-wireless", "mode", "ap");
	assert_string_setting(settings, "802-11-wireless", "band", "bg");
	v = setting(settings, "802-11-wireless", "channel");
	cr_assert(v && g_variant_get_uint32(v) == 6, "channel 6");
	g_variant_unref(v);
	assert_string_setting(settings, "802-11-wireless-security", "key-mgmt",
			      "wpa-psk");
	assert_string_setting(settings, "802-11-wireless-security", "psk",
			      AP_PASSWORD);
	assert_strv_setting(settings, "802-11-wireless-security", "proto",
			    "rsn");
	assert_strv_setting(settings, "802-11-wireless-security", "pairwise",
			    "ccmp");
	assert_strv_setting(settings, "802-11-wireless-security", "group",
			    "ccmp");
	assert_string_setting(settings, "ipv4", "method", "shared");
	data = setting(settings, "ipv4", "address-data");
	cr_assert(data && g_variant_n_children(data) == 1, "one address");
	v = g_variant_get_child_value(data, 0);
	cr_assert(g_variant_lookup(v, "address", "&s", &(const char *){ 0 }));
	{
		const char *address = NULL;
		guint32 prefix = 0;

		g_variant_lookup(v, "address", "&s", &address);
		g_variant_lookup(v, "prefix", "u", &prefix);
		cr_assert_str_eq(address, "192.168.4.1");
		cr_assert_eq(prefix, 24);
	}
	g_variant_unref(v);
	g_variant_unref(data);
	assert_string_setting(settings, "ipv6", "method", "disabled");

	v = g_variant_lookup_value(options, "persist", G_VARIANT_TYPE_STRING);
	cr_assert(v, "persist is given");
	cr_assert_str_eq(g_variant_get_string(v, NULL), "volatile",
			 "the hotspot profile lives in memory only");
	g_variant_unref(v);
	g_variant_unref(settings);
	g_variant_unref(options);

	/* the captive portal drop-in is in place while the AP is up */
	snprintf(path, sizeof(path), "%s/" DNSMASQ_DROPIN_NAME, tmpdir);
	f = fopen(path, "r");
	cr_assert(f, "the drop-in exists");
	memset(text, 0, sizeof(text));
	cr_assert(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	cr_assert(strstr(text, "address=/#/192.168.4.1\n"));
	cr_assert(strstr(text, "dhcp-option=114,\"http://192.168.4.1"
			       "/captive-portal/api\"\n"));
	cr_assert_eq(rec.refused, 0, "every fact was a legal transition");
}

/* ---- joins -------------------------------------------------------------- */

Test(network_actor, joins_and_reports_the_state_sequence)
{
	struct msg_net_event ev;
	GVariant *settings = NULL, *v;
	unsigned int cursor = 0, start;
	struct msg r;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);
	cr_assert(dropin_exists());

	start = cursor;
	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, 0, "accepted: %s", r.body.reply.error);

	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, &ev));
	cr_assert_str_eq(ev.ip_address, "192.168.1.57");
	cr_assert_eq(ev.ssid.len, 7);
	cr_assert_eq(memcmp(ev.ssid.bytes, "HomeNet", 7), 0);
	cr_assert_str_eq(ev.session_id, "9b2f0d3c-6d6e-4f7a-8a55-2f1b9d0c1e01");

	/* SWITCHING -> CONNECTING -> CONNECTED, nothing in between */
	pthread_mutex_lock(&rec.lock);
	cr_assert_eq(cursor - start, 3, "three facts for a join");
	cr_assert_eq(rec.events[start].state, WIFI_STATE_SWITCHING);
	cr_assert_eq(rec.events[start + 1].state, WIFI_STATE_CONNECTING);
	pthread_mutex_unlock(&rec.lock);

	cr_assert(!dropin_exists(), "the drop-in goes with the AP");
	cr_assert_eq(nm_double_get_last_call(nm, "AddAndActivateConnection2",
					     &settings, NULL),
		     0);
	assert_string_setting(settings, "802-11-wireless-security", "key-mgmt",
			      "wpa-psk");
	assert_string_setting(settings, "802-11-wireless-security", "psk",
			      "correct-horse");
	v = setting(settings, "connection", "autoconnect");
	cr_assert(!v || g_variant_get_boolean(v), "autoconnect is on");
	if (v)
		g_variant_unref(v);
	g_variant_unref(settings);
	cr_assert_eq(rec.refused, 0);
}

static void join_fails_with(const char *ssid, const char *behaviour,
			    const char *reason)
{
	struct msg_net_event ev;
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	if (behaviour)
		cr_assert_eq(nm_double_set_behaviour(nm, ssid, behaviour, NULL),
			     0);
	start_network();
	ap_mode(&cursor);

	r = request_connect(ssid, strlen(ssid), "some-password", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_FAILED, DEADLINE_MS, &ev),
		  "the join fails");
	cr_assert_str_eq(ev.reason, reason);
	cr_assert_str_eq(ev.session_id, "9b2f0d3c-6d6e-4f7a-8a55-2f1b9d0c1e01");
	ap_mode(&cursor);
	cr_assert(dropin_exists(), "the portal is back with the AP");
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, wrong_password_says_so)
{
	join_fails_with("Café Ørsted ☕", NULL,
			"Wrong password for \"Café Ørsted ☕\"");
}

Test(network_actor, vanished_network_is_not_found)
{
	join_fails_with("HomeNet", "vanish", "Network \"HomeNet\" not found");
}

Test(network_actor, dhcp_failure_says_so)
{
	join_fails_with("HomeNet", "dhcp-fail",
			"Could not get an IP address from \"HomeNet\" "
			"(DHCP failed)");
}

Test(network_actor, association_timeout_says_so)
{
	join_fails_with("HomeNet", "timeout",
			"\"HomeNet\" did not answer (association timed out)");
}

Test(network_actor, a_join_that_hangs_times_out)
{
	cfg.join_timeout_s = 2;
	join_fails_with("HomeNet", "hang", "Timed out joining \"HomeNet\"");
}

Test(network_actor, a_second_join_is_refused_while_one_runs)
{
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	cr_assert_eq(nm_double_set_behaviour(nm, "HomeNet", "hang", NULL), 0);
	start_network();
	ap_mode(&cursor);

	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(
		wait_event(&cursor, WIFI_STATE_CONNECTING, DEADLINE_MS, NULL));
	r = request_connect("CoffeeShop Free", 15, "", false);
	cr_assert_eq(r.body.reply.code, -EBUSY);
	cr_assert_str_eq(r.body.reply.error,
			 "A connection attempt is already in progress");
}

Test(network_actor, joins_a_hidden_network_by_its_name)
{
	GVariant *settings = NULL, *v;
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);

	r = request_connect("Attic", 5, "correct-horse", true);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));
	cr_assert_eq(nm_double_get_last_call(nm, "AddAndActivateConnection2",
					     &settings, NULL),
		     0);
	v = setting(settings, "802-11-wireless", "hidden");
	cr_assert(v && g_variant_get_boolean(v), "the profile probes for it");
	g_variant_unref(v);
	g_variant_unref(settings);
}

Test(network_actor, refuses_a_bad_password)
{
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);
	r = request_connect("HomeNet", 7, "short", false);
	cr_assert_eq(r.body.reply.code, -EINVAL);
}

/* ---- SSIDs are bytes ---------------------------------------------------- */

Test(network_actor, odd_ssids_round_trip_as_bytes)
{
	static const uint8_t odd[] = "a:b\\c\"d\xf0\x9f\x93\xb6\xff\xfe";
	GVariantBuilder spec;
	GVariant *settings = NULL;
	struct msg_net_event ev;
	const struct msg_network *found;
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	g_variant_builder_init(&spec, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&spec, "{sv}", "ssid",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
							odd, sizeof(odd) - 1,
							1));
	g_variant_builder_add(&spec, "{sv}", "security",
			      g_variant_new_string("wpa2"));
	g_variant_builder_add(&spec, "{sv}", "strength",
			      g_variant_new_uint32(90));
	cr_assert_eq(nm_double_add_ap_spec(nm, g_variant_builder_end(&spec)),
		     0);
	start_network();
	ap_mode(&cursor);

	r = request_scan(true);
	found = find_network(&r.body.scan_result, odd, sizeof(odd) - 1);
	cr_assert(found, "the odd SSID is listed byte for byte");
	cr_assert_eq(found->security, WIFI_SECURITY_WPA2);

	r = request_connect(odd, sizeof(odd) - 1, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, &ev));
	cr_assert_eq(ev.ssid.len, sizeof(odd) - 1);
	cr_assert_eq(memcmp(ev.ssid.bytes, odd, sizeof(odd) - 1), 0);
	cr_assert_eq(nm_double_get_last_call(nm, "AddAndActivateConnection2",
					     &settings, NULL),
		     0);
	assert_bytes_setting(settings, "802-11-wireless", "ssid", odd,
			     sizeof(odd) - 1);
	g_variant_unref(settings);
}

/* ---- scans -------------------------------------------------------------- */

static void add_ap(const char *ssid, const char *security,
		   unsigned int strength, unsigned int frequency)
{
	cr_assert_eq(nm_double_add_ap(nm, ssid, security, strength, frequency),
		     0);
}

Test(network_actor, scan_merges_by_ssid_and_classifies)
{
	const struct msg_network *n;
	struct msg_scan_result *res;
	unsigned int cursor = 0, i;
	struct msg r;

	start_double("basic.json", NULL);
	add_ap("HomeNet", "wpa2", 95, 5180); /* a second, stronger BSS */
	add_ap("Mixed", "wpa2-wpa3", 40, 2437);
	add_ap("Office", "enterprise", 41, 2437);
	add_ap("Legacy", "wep", 20, 2437);
	add_ap("OldWpa", "wpa", 21, 2437);
	add_ap("SixGig", "wpa3", 30, 5975);
	start_network();
	ap_mode(&cursor);

	/* in AP mode NM cannot scan and there is no radio for nl80211 */
	r = request_scan(true);
	res = &r.body.scan_result;
	cr_assert(!res->fresh);
	cr_assert(strstr(res->error, "Scanning is not possible while the "
				     "access point is up; showing the list "
				     "from "),
		  "%s", res->error);
	cr_assert(strstr(res->error, " s ago"));

	n = find_network(res, "HomeNet", 7);
	cr_assert(n);
	cr_assert_eq(n->signal, 95, "the strongest BSS wins");
	cr_assert_eq(n->band, WIFI_BAND_5GHZ);
	for (i = 0; i < res->count; i++) {
		cr_assert(res->networks[i].ssid.len > 0, "no hidden SSIDs");
		cr_assert(res->networks[i].ssid.len != strlen(AP_SSID) ||
				  memcmp(res->networks[i].ssid.bytes, AP_SSID,
					 strlen(AP_SSID)),
			  "not our own AP");
		cr_assert(i == 0 || res->networks[i - 1].signal >=
					    res->networks[i].signal);
		cr_assert(res->networks[i].ssid.len != 7 ||
				  memcmp(res->networks[i].ssid.bytes, "HomeNet",
					 7) ||
				  &res->networks[i] == n,
			  "HomeNet only once");
	}

	cr_assert_eq(find_network(res, "CoffeeShop Free", 15)->security,
		     WIFI_SECURITY_OPEN);
	cr_assert_eq(find_network(res, "Secure6", 7)->security,
		     WIFI_SECURITY_WPA3);
	cr_assert_eq(find_network(res, "Mixed", 5)->security,
		     WIFI_SECURITY_WPA2_WPA3);
	cr_assert_eq(find_network(res, "Office", 6)->security,
		     WIFI_SECURITY_ENTERPRISE);
	cr_assert_eq(find_network(res, "Legacy", 6)->security,
		     WIFI_SECURITY_WEP);
	cr_assert_eq(find_network(res, "OldWpa", 6)->security,
		     WIFI_SECURITY_WPA);
	cr_assert_eq(find_network(res, "SixGig", 6)->band, WIFI_BAND_6GHZ);
	cr_assert(!find_network(res, "Attic", 5), "hidden stays out");

	/* connected, NM scans again and the list is fresh */
	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));
	add_ap("Newcomer", "open", 50, 2412);
	r = request_scan(true);
	res = &r.body.scan_result;
	cr_assert(res->fresh, "a fresh scan: %s", res->error);
	cr_assert_str_eq(res->error, "");
	cr_assert(find_network(res, "Newcomer", 8));
	cr_assert(find_network(res, "HomeNet", 7)->in_use);
}

/* ---- boot --------------------------------------------------------------- */

#define SAVED_HOMENET \
	"{\"profiles\": [{\"ssid\": \"HomeNet\", \"psk\": \"correct-horse\"}]}"

Test(network_actor, boot_with_a_saved_network_joins_it)
{
	struct msg_net_event ev;
	unsigned int cursor = 0, i;

	start_double("basic.json", SAVED_HOMENET);
	start_network();
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, &ev));
	cr_assert_str_eq(ev.ip_address, "192.168.1.57");
	pthread_mutex_lock(&rec.lock);
	for (i = 0; i < rec.n_events; i++)
		cr_assert_neq(rec.events[i].state, WIFI_STATE_AP_MODE,
			      "no access point on the way");
	pthread_mutex_unlock(&rec.lock);
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, boot_without_the_saved_network_waits_then_raises_ap)
{
	unsigned int cursor = 0;
	uint64_t t0 = actor_now_ms();

	start_double("basic.json", SAVED_HOMENET);
	cr_assert_eq(nm_double_remove_ap(nm, "HomeNet"), 0);
	start_network();
	ap_mode(&cursor);
	cr_assert_geq(actor_now_ms() - t0, cfg.boot_grace_s * 1000,
		      "the boot grace was waited for");
	cr_assert_eq(rec.refused, 0);
}

/* ---- losing the connection ---------------------------------------------- */

Test(network_actor, lost_connection_gets_a_grace_then_the_ap)
{
	unsigned int cursor = 0;
	uint64_t t0;

	start_double("basic.json", SAVED_HOMENET);
	start_network();
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));

	t0 = actor_now_ms();
	cr_assert_eq(nm_double_remove_ap(nm, "HomeNet"), 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_DISCONNECTED, DEADLINE_MS,
			     NULL));
	ap_mode(&cursor);
	cr_assert_geq(actor_now_ms() - t0, cfg.reconnect_grace_s * 1000);
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, lost_connection_that_comes_back_stays_connected)
{
	unsigned int cursor = 0, i;

	cfg.reconnect_grace_s = 5;
	start_double("basic.json", SAVED_HOMENET);
	start_network();
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));

	/* a link drop: NM's own autoconnect brings it back */
	cr_assert_eq(nm_double_drop_connection(nm, 8), 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_DISCONNECTED, DEADLINE_MS,
			     NULL));
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));
	pthread_mutex_lock(&rec.lock);
	for (i = 0; i < rec.n_events; i++)
		cr_assert_neq(rec.events[i].state, WIFI_STATE_AP_MODE);
	pthread_mutex_unlock(&rec.lock);
}

/* An inotify descriptor that sees every opening of @path. */
static int watch_reads(const char *path)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	cr_assert_geq(fd, 0);
	cr_assert_geq(inotify_add_watch(fd, path, IN_OPEN), 0);
	return fd;
}

/* Waits until the watched file was opened @count times. */
static bool wait_reads(int fd, unsigned int count)
{
	uint64_t deadline = actor_now_ms() + DEADLINE_MS;
	unsigned int seen = 0;
	char buf[4096];

	while (seen < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = actor_now_ms();
		ssize_t n;

		if (now >= deadline)
			return false;

		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;

		n = read(fd, buf, sizeof(buf));
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev =
				(const void *)(buf + off);

			seen += !!(ev->mask & IN_OPEN);
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}

	return true;
}

Test(network_actor, retries_the_known_network_unless_a_phone_holds_a_lease)
{
	unsigned int cursor = 0;
	char path[512];
	int watch;
	FILE *f;

	start_double("basic.json", SAVED_HOMENET);
	cr_assert_eq(nm_double_remove_ap(nm, "HomeNet"), 0);
	snprintf(path, sizeof(path), "%s/dnsmasq-wlan0.leases", tmpdir);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "%lld 02:11:22:33:44:55 192.168.4.23 phone *\n",
		(long long)time(NULL) + 3600);
	fclose(f);
	start_network();
	ap_mode(&cursor);
	cr_assert_eq(nm_double_clear_calls(nm), 0);

	/*
	 * The network is back, but a phone is on the AP: no retry. Each
	 * retry period reads the lease file before deciding, so three reads
	 * are three decisions not to drop the AP.
	 */
	watch = watch_reads(path);
	add_ap("HomeNet", "wpa2", 80, 2437);
	cr_assert(wait_reads(watch, 3), "the retry timer never looked");
	close(watch);
	cr_assert_eq(count_calls("ActivateConnection"), 0,
		     "no retry while a phone holds a lease");

	unlink(path);
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL),
		  "the retry joins the known network");
	cr_assert_eq(rec.refused, 0);
}

/* ---- NetworkManager and the device -------------------------------------- */

Test(network_actor, networkmanager_restarting_mid_join)
{
	struct msg_net_event ev;
	unsigned int cursor = 0;
	struct msg r;

	start_double("basic.json", NULL);
	cr_assert_eq(nm_double_set_behaviour(nm, "HomeNet", "hang", NULL), 0);
	start_network();
	ap_mode(&cursor);

	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(
		wait_event(&cursor, WIFI_STATE_CONNECTING, DEADLINE_MS, NULL));
	cr_assert_eq(nm_double_restart(nm, 500), 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_FAILED, DEADLINE_MS, &ev));
	cr_assert_str_eq(ev.reason,
			 "NetworkManager restarted while joining \"HomeNet\"");
	ap_mode(&cursor);
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, networkmanager_restarting_while_connected)
{
	unsigned int cursor = 0, i;

	cfg.reconnect_grace_s = 10;
	start_double("basic.json", SAVED_HOMENET);
	start_network();
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));

	/* the double comes back disconnected; its autoconnect rejoins */
	cr_assert_eq(nm_double_restart(nm, 300), 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_DISCONNECTED, DEADLINE_MS,
			     NULL));
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));
	pthread_mutex_lock(&rec.lock);
	for (i = 0; i < rec.n_events; i++)
		cr_assert_neq(rec.events[i].state, WIFI_STATE_AP_MODE,
			      "no access point within the grace");
	pthread_mutex_unlock(&rec.lock);
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, no_wifi_device_fails_then_recovers)
{
	struct msg_net_event ev;
	unsigned int cursor = 0;
	struct msg r;

	start_double("no-device.json", NULL);
	start_network();
	cr_assert(wait_event(&cursor, WIFI_STATE_FAILED, DEADLINE_MS, &ev));
	cr_assert_str_eq(ev.reason, "No WiFi device found");

	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, -ENODEV);
	cr_assert_str_eq(r.body.reply.error, "No WiFi device found");

	cr_assert_eq(
		nm_double_add_wifi_device(nm, "wlan0", "DC:A6:32:A1:B2:C3"), 0);
	ap_mode(&cursor);
	cr_assert_eq(rec.refused, 0);
}

Test(network_actor, sets_the_hostname_once)
{
	unsigned int cursor = 0;
	char **names;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);
	cr_assert_eq(nm_double_clear_calls(nm), 0);
	cr_assert_eq(nm_double_restart(nm, 200), 0);
	cr_assert(wait_calls("AddAndActivateConnection2", 1),
		  "the AP is raised again after the restart");

	names = nm_double_get_hostnames(nm);
	cr_assert(names && names[0], "a hostname was saved");
	cr_assert_str_eq(names[0], "distiller-a1b2");
	cr_assert_null(names[1], "and only once");
	g_strfreev(names);
}

Test(network_actor, disconnect_forgets_and_returns_to_ap)
{
	struct msg m = { .type = MSG_DISCONNECT_REQUEST };
	GVariant *state = NULL;
	unsigned int cursor = 0, profiles = 0;
	struct msg r;

	start_double("basic.json", NULL);
	start_network();
	ap_mode(&cursor);
	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert(wait_event(&cursor, WIFI_STATE_CONNECTED, DEADLINE_MS, NULL));

	m.correlation_id = actor_next_id();
	m.body.disconnect.forget = true;
	cr_assert_eq(runtime_send(rt, "web", &m), 0);
	r = wait_answer(MSG_REPLY, m.correlation_id);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_event(&cursor, WIFI_STATE_DISCONNECTED, DEADLINE_MS,
			     NULL));
	ap_mode(&cursor);

	cr_assert_eq(nm_double_get_state(nm, &state), 0);
	cr_assert(g_variant_lookup(state, "profiles", "u", &profiles));
	cr_assert_eq(profiles, 1, "only the hotspot profile is left");
	g_variant_unref(state);
	cr_assert_eq(rec.refused, 0);
}

/* ---- with the real state actor ----------------------------------------- */

Test(network_actor, the_state_actor_publishes_a_join_and_a_failure)
{
	struct msg_state_snapshot snap;
	unsigned int cursor = 0, start;
	struct msg r;

	start_double("basic.json", NULL);
	start_network_with_state();
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_AP_MODE, &snap));
	cr_assert_neq(snap.ap_ssid[0], '\0', "the AP has a name");

	/* a wrong password: FAILED with the reason, then AP_MODE keeps it */
	r = request_connect("Café Ørsted ☕", strlen("Café Ørsted ☕"),
			    "some-password", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_SWITCHING, &snap));
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_CONNECTING, &snap));
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_FAILED, &snap));
	cr_assert_str_eq(snap.error, "Wrong password for \"Café Ørsted ☕\"");
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_AP_MODE, &snap));
	cr_assert_str_eq(snap.error, "Wrong password for \"Café Ørsted ☕\"",
			 "the page still shows why");

	/* then the right network: SWITCHING, CONNECTING, CONNECTED */
	start = cursor;
	r = request_connect("HomeNet", 7, "correct-horse", false);
	cr_assert_eq(r.body.reply.code, 0);
	cr_assert(wait_snapshot(&cursor, WIFI_STATE_CONNECTED, &snap));
	cr_assert_str_eq(snap.ip_address, "192.168.1.57");
	cr_assert_eq(snap.ssid.len, 7);
	cr_assert_eq(memcmp(snap.ssid.bytes, "HomeNet", 7), 0);
	pthread_mutex_lock(&rec.lock);
	cr_assert_eq(rec.snaps[start].state, WIFI_STATE_SWITCHING);
	cr_assert_eq(rec.snaps[start + 1].state, WIFI_STATE_CONNECTING);
	pthread_mutex_unlock(&rec.lock);
	cr_assert_eq(state_refused_count(), 0, "state refused no fact");
}
