/* SPDX-License-Identifier: MIT */
/*
 * The NetworkManager double, seen through libnm itself: a small NMClient
 * on a GMainContext of the test's own, against tests/nm/scenarios. These
 * tests pin down what the network actor can rely on (device states and
 * reasons, the hotspot and scanning, restarts, a late Wi-Fi device) and
 * show how to drive libnm against the double.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <NetworkManager.h>

#include "tests/harness/nm_double.h"
#include "tests/harness/process.h"

#define WAIT_MS 10000
#define MAX_STATES 32

struct transition {
	unsigned int state;
	unsigned int reason;
};

static struct {
	struct nm_double *nm;
	GMainContext *ctx;
	NMClient *client;
	NMDeviceWifi *wifi;
	struct transition seen[MAX_STATES];
	size_t n_seen;
	NMActiveConnection *ac;
	GError *error;
	bool done;
	bool scan_done;
	unsigned int nm_running_changes;
	NMDevice *added;
} t;

/* ---- a libnm client on our own main context ---------------------------- */

static gboolean wake_cb(gpointer user_data)
{
	(void)user_data;
	return G_SOURCE_CONTINUE;
}

/* Runs the context until @cond holds or @timeout_ms pass. */
static bool run_until(bool (*cond)(void), unsigned int timeout_ms)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;
	GSource *wake = g_timeout_source_new(25);
	bool ok;

	g_source_set_callback(wake, wake_cb, NULL, NULL);
	g_source_attach(wake, t.ctx);
	while (!(ok = cond()) && harness_now_ms() < deadline)
		g_main_context_iteration(t.ctx, TRUE);
	g_source_destroy(wake);
	g_source_unref(wake);
	return ok;
}

static void device_state_cb(NMDevice *device, guint new_state, guint old_state,
			    guint reason, gpointer user_data)
{
	(void)device;
	(void)old_state;
	(void)user_data;
	if (t.n_seen < MAX_STATES)
		t.seen[t.n_seen++] = (struct transition){ new_state, reason };
}

static NMDeviceWifi *find_wifi(void)
{
	const GPtrArray *devices = nm_client_get_devices(t.client);

	for (guint i = 0; i < devices->len; i++) {
		if (NM_IS_DEVICE_WIFI(devices->pdata[i]))
			return devices->pdata[i];
	}
	return NULL;
}

static void start(const char *scenario, const char *params)
{
	struct nm_double_options opts = {
		.scenario = scenario,
		.params_json = params,
	};
	GError *error = NULL;
	int err;

	err = nm_double_start(&opts, &t.nm);
	cr_assert_eq(err, 0, "the double did not start: %s", strerror(-err));

	t.ctx = g_main_context_new();
	g_main_context_push_thread_default(t.ctx);
	t.client = nm_client_new(NULL, &error);
	cr_assert_not_null(t.client, "NMClient: %s",
			   error ? error->message : "?");

	t.wifi = find_wifi();
	if (t.wifi)
		g_signal_connect(t.wifi, "state-changed",
				 G_CALLBACK(device_state_cb), NULL);
}

static void finish(void)
{
	g_clear_object(&t.ac);
	g_clear_error(&t.error);
	g_clear_object(&t.client);
	if (t.ctx) {
		while (g_main_context_iteration(t.ctx, FALSE))
			;
		g_main_context_pop_thread_default(t.ctx);
		g_main_context_unref(t.ctx);
	}
	nm_double_free(t.nm);
	memset(&t, 0, sizeof(t));
}

TestSuite(nm_double, .fini = finish, .timeout = 60);

static NMAccessPoint *find_ap(const char *ssid)
{
	const GPtrArray *aps = nm_device_wifi_get_access_points(t.wifi);

	for (guint i = 0; i < aps->len; i++) {
		GBytes *bytes = nm_access_point_get_ssid(aps->pdata[i]);
		gsize len;
		const void *data;

		if (!bytes)
			continue;
		data = g_bytes_get_data(bytes, &len);
		if (len == strlen(ssid) && !memcmp(data, ssid, len))
			return aps->pdata[i];
	}
	return NULL;
}

static NMConnection *wifi_profile(const char *ssid, const char *mode,
				  const char *psk)
{
	NMConnection *c = nm_simple_connection_new();
	NMSetting *s_wifi = nm_setting_wireless_new();
	GBytes *bytes = g_bytes_new(ssid, strlen(ssid));

	g_object_set(s_wifi, NM_SETTING_WIRELESS_SSID, bytes,
		     NM_SETTING_WIRELESS_MODE, mode, NULL);
	g_bytes_unref(bytes);
	nm_connection_add_setting(c, s_wifi);

	if (psk) {
		NMSetting *s_wsec = nm_setting_wireless_security_new();

		g_object_set(s_wsec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT,
			     "wpa-psk", NM_SETTING_WIRELESS_SECURITY_PSK, psk,
			     NULL);
		nm_connection_add_setting(c, s_wsec);
	}
	return c;
}

static void activated_cb(GObject *source, GAsyncResult *result,
			 gpointer user_data)
{
	(void)user_data;
	t.ac = nm_client_add_and_activate_connection2_finish(
		NM_CLIENT(source), result, NULL, &t.error);
	t.done = true;
}

static bool done_cond(void)
{
	return t.done;
}

/* AddAndActivateConnection2 of @c with options {"persist": @persist}. */
static void add_and_activate(NMConnection *c, NMAccessPoint *ap,
			     const char *persist)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "persist",
			      g_variant_new_string(persist));
	t.done = false;
	nm_client_add_and_activate_connection2(
		t.client, c, NM_DEVICE(t.wifi),
		ap ? nm_object_get_path(NM_OBJECT(ap)) : NULL,
		g_variant_builder_end(&b), NULL, activated_cb, NULL);
	cr_assert(run_until(done_cond, WAIT_MS), "no answer to the activation");
}

static bool device_settled_cond(void)
{
	NMDeviceState s = nm_device_get_state(NM_DEVICE(t.wifi));

	return s == NM_DEVICE_STATE_ACTIVATED ||
	       (t.n_seen > 1 && s == NM_DEVICE_STATE_DISCONNECTED);
}

static bool activated_cond(void)
{
	return t.ac && nm_active_connection_get_state(t.ac) ==
			       NM_ACTIVE_CONNECTION_STATE_ACTIVATED;
}

static void assert_transitions(const struct transition *want, size_t n)
{
	cr_assert_eq(t.n_seen, n, "saw %zu device states, wanted %zu", t.n_seen,
		     n);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(t.seen[i].state, want[i].state,
			     "state %zu: %u, wanted %u", i, t.seen[i].state,
			     want[i].state);
		cr_expect_eq(t.seen[i].reason, want[i].reason,
			     "reason %zu: %u, wanted %u", i, t.seen[i].reason,
			     want[i].reason);
	}
}

/* ---- tests ---------------------------------------------------------- */

Test(nm_double, shows_the_wifi_device_and_its_access_points)
{
	NMAccessPoint *ap;

	start("basic.json", NULL);
	cr_assert_not_null(t.wifi);
	cr_expect_str_eq(nm_device_get_iface(NM_DEVICE(t.wifi)), "wlan0");
	cr_expect_str_eq(nm_device_get_hw_address(NM_DEVICE(t.wifi)),
			 "DC:A6:32:A1:B2:C3");
	cr_expect_eq(nm_device_get_state(NM_DEVICE(t.wifi)),
		     NM_DEVICE_STATE_DISCONNECTED);
	cr_expect_eq(nm_device_wifi_get_access_points(t.wifi)->len, 5);

	ap = find_ap("HomeNet");
	cr_assert_not_null(ap);
	cr_expect_eq(nm_access_point_get_flags(ap), NM_802_11_AP_FLAGS_PRIVACY);
	cr_expect_eq(nm_access_point_get_wpa_flags(ap), 0);
	cr_expect_eq(nm_access_point_get_rsn_flags(ap),
		     NM_802_11_AP_SEC_PAIR_CCMP | NM_802_11_AP_SEC_GROUP_CCMP |
			     NM_802_11_AP_SEC_KEY_MGMT_PSK);
	cr_expect_eq(nm_access_point_get_strength(ap), 82);
	cr_expect_eq(nm_access_point_get_frequency(ap), 2437);

	ap = find_ap("CoffeeShop Free");
	cr_assert_not_null(ap);
	cr_expect_eq(nm_access_point_get_flags(ap), NM_802_11_AP_FLAGS_NONE);
	cr_expect_eq(nm_access_point_get_rsn_flags(ap), 0);

	ap = find_ap("Secure6");
	cr_assert_not_null(ap);
	cr_expect(nm_access_point_get_rsn_flags(ap) &
		  NM_802_11_AP_SEC_KEY_MGMT_SAE);

	cr_expect_not_null(find_ap("Caf\xc3\xa9 \xc3\x98rsted \xe2\x98\x95"));
	cr_expect_null(find_ap("Attic"), "a hidden SSID must not show");
}

Test(nm_double, joins_with_the_right_password)
{
	static const struct transition want[] = {
		{ NM_DEVICE_STATE_PREPARE, 0 },
		{ NM_DEVICE_STATE_CONFIG, 0 },
		{ NM_DEVICE_STATE_IP_CONFIG, 0 },
		{ NM_DEVICE_STATE_IP_CHECK, 0 },
		{ NM_DEVICE_STATE_SECONDARIES, 0 },
		{ NM_DEVICE_STATE_ACTIVATED, 0 },
	};
	NMConnection *c;
	NMIPConfig *ip4;
	NMIPAddress *addr;
	NMRemoteConnection *remote;
	GVariant *settings, *options;
	const char *psk = NULL, *persist = NULL;

	start("basic.json", NULL);
	c = wifi_profile("HomeNet", "infrastructure", "correct-horse");
	add_and_activate(c, find_ap("HomeNet"), "memory");
	g_object_unref(c);
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	cr_assert(run_until(device_settled_cond, WAIT_MS));
	assert_transitions(want, G_N_ELEMENTS(want));

	/* the device and the active connection change in separate signals */
	cr_assert(run_until(activated_cond, WAIT_MS));
	ip4 = nm_device_get_ip4_config(NM_DEVICE(t.wifi));
	cr_assert_not_null(ip4);
	addr = g_ptr_array_index(nm_ip_config_get_addresses(ip4), 0);
	cr_expect_str_eq(nm_ip_address_get_address(addr), "192.168.1.57");
	cr_expect_eq(nm_ip_address_get_prefix(addr), 24);
	cr_expect_str_eq(nm_ip_config_get_gateway(ip4), "192.168.1.1");

	/* "memory" makes an unsaved profile; its secret stays private */
	remote = nm_active_connection_get_connection(t.ac);
	cr_assert_not_null(remote);
	cr_expect(nm_remote_connection_get_unsaved(remote));
	cr_expect_null(nm_setting_wireless_security_get_psk(
		nm_connection_get_setting_wireless_security(
			NM_CONNECTION(remote))));

	/* the double keeps what was sent, for assertions */
	cr_assert_eq(nm_double_get_last_call(t.nm, "AddAndActivateConnection2",
					     &settings, &options),
		     0);
	g_variant_lookup(options, "persist", "&s", &persist);
	cr_expect_str_eq(persist, "memory");
	{
		GVariant *s_wsec = g_variant_lookup_value(
			settings, "802-11-wireless-security", NULL);

		cr_assert_not_null(s_wsec);
		g_variant_lookup(s_wsec, "psk", "&s", &psk);
		cr_expect_str_eq(psk, "correct-horse");
		g_variant_unref(s_wsec);
	}
	g_variant_unref(settings);
	g_variant_unref(options);
}

static bool ac_deactivated_cond(void)
{
	return t.ac && nm_active_connection_get_state(t.ac) ==
			       NM_ACTIVE_CONNECTION_STATE_DEACTIVATED;
}

Test(nm_double, wrong_password_fails_for_lack_of_secrets)
{
	static const struct transition want[] = {
		{ NM_DEVICE_STATE_PREPARE, 0 },
		{ NM_DEVICE_STATE_CONFIG, 0 },
		{ NM_DEVICE_STATE_NEED_AUTH,
		  NM_DEVICE_STATE_REASON_SUPPLICANT_DISCONNECT },
		{ NM_DEVICE_STATE_FAILED, NM_DEVICE_STATE_REASON_NO_SECRETS },
		{ NM_DEVICE_STATE_DISCONNECTED, 0 },
	};
	NMConnection *c;

	start("basic.json", NULL);
	c = wifi_profile("HomeNet", "infrastructure", "not-the-password");
	add_and_activate(c, find_ap("HomeNet"), "volatile");
	g_object_unref(c);
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	cr_assert(run_until(device_settled_cond, WAIT_MS));
	assert_transitions(want, G_N_ELEMENTS(want));

	cr_assert(run_until(ac_deactivated_cond, WAIT_MS));
	cr_expect_eq(nm_active_connection_get_state_reason(t.ac),
		     NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED);
	cr_expect_eq(nm_device_get_state_reason(NM_DEVICE(t.wifi)),
		     NM_DEVICE_STATE_REASON_NONE);
}

static bool hidden_joined_cond(void)
{
	return nm_device_get_state(NM_DEVICE(t.wifi)) ==
	       NM_DEVICE_STATE_ACTIVATED;
}

Test(nm_double, joins_a_hidden_network_by_its_name)
{
	NMConnection *c;

	start("basic.json", NULL);
	c = wifi_profile("Attic", "infrastructure", "correct-horse");
	add_and_activate(c, NULL, "volatile");
	g_object_unref(c);
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	cr_assert(run_until(hidden_joined_cond, WAIT_MS));
	cr_expect(nm_setting_wireless_get_hidden(
		nm_connection_get_setting_wireless(NM_CONNECTION(
			nm_active_connection_get_connection(t.ac)))));
}

static gint64 last_scan_before;

static void scan_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	(void)user_data;
	nm_device_wifi_request_scan_finish(NM_DEVICE_WIFI(source), result,
					   &t.error);
	t.scan_done = true;
}

static bool scan_answered_cond(void)
{
	return t.scan_done;
}

static bool scanned_cond(void)
{
	return nm_device_wifi_get_last_scan(t.wifi) != last_scan_before;
}

static void start_hotspot(void)
{
	NMConnection *c = wifi_profile("Distiller-A1B2", "ap", "ap-secret-1");
	NMSetting *s_ip4 = nm_setting_ip4_config_new();
	NMIPAddress *addr = nm_ip_address_new(AF_INET, "192.168.4.1", 24, NULL);

	g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD,
		     NM_SETTING_IP4_CONFIG_METHOD_SHARED, NULL);
	nm_setting_ip_config_add_address(NM_SETTING_IP_CONFIG(s_ip4), addr);
	nm_ip_address_unref(addr);
	nm_connection_add_setting(c, s_ip4);
	add_and_activate(c, NULL, "volatile");
	g_object_unref(c);
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	cr_assert(run_until(activated_cond, WAIT_MS));
}

Test(nm_double, hotspot_defers_scans_until_it_stops)
{
	NMAccessPoint *own;
	GVariant *state;
	gboolean pending = FALSE;

	start("basic.json", NULL);
	start_hotspot();
	cr_expect_eq(nm_device_wifi_get_mode(t.wifi), NM_802_11_MODE_AP);
	cr_expect_str_eq(
		nm_ip_address_get_address(g_ptr_array_index(
			nm_ip_config_get_addresses(
				nm_device_get_ip4_config(NM_DEVICE(t.wifi))),
			0)),
		"192.168.4.1");

	/* our own access point shows in the list, with our own address */
	own = find_ap("Distiller-A1B2");
	cr_assert_not_null(own);
	cr_expect_eq(nm_access_point_get_mode(own), NM_802_11_MODE_AP);
	cr_expect_str_eq(nm_access_point_get_bssid(own), "DC:A6:32:A1:B2:C3");

	/* wpa_supplicant: accepted, but no scan happens in AP mode */
	last_scan_before = nm_device_wifi_get_last_scan(t.wifi);
	nm_device_wifi_request_scan_async(t.wifi, NULL, scan_cb, NULL);
	cr_assert(run_until(scan_answered_cond, WAIT_MS));
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	cr_assert_eq(nm_double_get_state(t.nm, &state), 0);
	g_variant_lookup(state, "scan_pending", "b", &pending);
	g_variant_unref(state);
	cr_expect(pending, "the scan must wait for the hotspot to stop");
	cr_expect_eq(nm_device_wifi_get_last_scan(t.wifi), last_scan_before);

	/* stopping the hotspot lets the queued scan run */
	t.done = false;
	nm_client_deactivate_connection_async(t.client, t.ac, NULL, NULL, NULL);
	cr_assert(run_until(scanned_cond, WAIT_MS),
		  "the queued scan never ran");
	cr_expect_eq(nm_device_wifi_get_mode(t.wifi), NM_802_11_MODE_INFRA);
	cr_expect_null(find_ap("Distiller-A1B2"));
}

Test(nm_double, iwd_refuses_scans_in_ap_mode)
{
	start("basic.json", "{\"backend\": \"iwd\"}");
	start_hotspot();
	nm_device_wifi_request_scan_async(t.wifi, NULL, scan_cb, NULL);
	cr_assert(run_until(scan_answered_cond, WAIT_MS));
	cr_assert(g_error_matches(t.error, NM_DEVICE_ERROR,
				  NM_DEVICE_ERROR_NOT_ALLOWED),
		  "wanted NotAllowed, got %s",
		  t.error ? t.error->message : "success");
}

static void nm_running_cb(GObject *object, GParamSpec *pspec,
			  gpointer user_data)
{
	(void)object;
	(void)pspec;
	(void)user_data;
	t.nm_running_changes++;
}

static bool nm_gone_cond(void)
{
	return !nm_client_get_nm_running(t.client);
}

static bool nm_back_cond(void)
{
	return nm_client_get_nm_running(t.client) && find_wifi();
}

Test(nm_double, a_restart_is_seen_by_the_client)
{
	start("basic.json", NULL);
	g_signal_connect(t.client, "notify::" NM_CLIENT_NM_RUNNING,
			 G_CALLBACK(nm_running_cb), NULL);
	cr_assert_eq(nm_double_restart(t.nm, 300), 0);
	cr_assert(run_until(nm_gone_cond, WAIT_MS), "NMClient missed the stop");
	cr_expect_null(find_wifi());
	cr_assert(run_until(nm_back_cond, WAIT_MS),
		  "NMClient missed the start");
	cr_expect_eq(t.nm_running_changes, 2);
	cr_expect_str_eq(nm_device_get_iface(NM_DEVICE(find_wifi())), "wlan0");
}

static void device_added_cb(NMClient *client, NMDevice *device,
			    gpointer user_data)
{
	(void)client;
	(void)user_data;
	t.added = device;
}

static bool device_added_cond(void)
{
	return t.added != NULL;
}

static bool added_ap_cond(void)
{
	return nm_device_wifi_get_access_points(NM_DEVICE_WIFI(t.added))->len ==
	       1;
}

Test(nm_double, a_wifi_device_can_appear_later)
{
	start("no-device.json", NULL);
	cr_assert_null(t.wifi);
	g_signal_connect(t.client, "device-added", G_CALLBACK(device_added_cb),
			 NULL);
	cr_assert_eq(nm_double_add_wifi_device(t.nm, "wlan1",
					       "02:11:22:33:a1:b2"),
		     0);
	cr_assert(run_until(device_added_cond, WAIT_MS));
	cr_assert(NM_IS_DEVICE_WIFI(t.added));
	cr_expect_str_eq(nm_device_get_hw_address(t.added),
			 "02:11:22:33:A1:B2");
	/* access points follow the device, as a first scan finds them */
	cr_assert(run_until(added_ap_cond, WAIT_MS));
}

Test(nm_double, rejects_a_short_password_as_networkmanager_does)
{
	NMConnection *c;

	start("basic.json", NULL);
	c = wifi_profile("HomeNet", "infrastructure", "short");
	add_and_activate(c, find_ap("HomeNet"), "volatile");
	g_object_unref(c);
	cr_assert(g_error_matches(t.error, NM_CONNECTION_ERROR,
				  NM_CONNECTION_ERROR_INVALID_PROPERTY),
		  "wanted InvalidProperty, got %s",
		  t.error ? t.error->message : "success");
	cr_expect(strstr(t.error->message, "802-11-wireless-security.psk"));
	cr_expect_eq(t.n_seen, 0, "nothing may start");
}

static bool network_lost_cond(void)
{
	return t.n_seen > 0 &&
	       t.seen[t.n_seen - 1].state == NM_DEVICE_STATE_DISCONNECTED;
}

Test(nm_double, a_vanished_network_drops_the_connection)
{
	NMConnection *c;

	start("basic.json", NULL);
	c = wifi_profile("HomeNet", "infrastructure", "correct-horse");
	add_and_activate(c, find_ap("HomeNet"), "volatile");
	g_object_unref(c);
	cr_assert(run_until(activated_cond, WAIT_MS));
	t.n_seen = 0;
	cr_assert_eq(nm_double_remove_ap(t.nm, "HomeNet"), 0);
	cr_assert(run_until(network_lost_cond, WAIT_MS));
	cr_assert_eq(t.n_seen, 2);
	cr_expect_eq(t.seen[0].state, NM_DEVICE_STATE_FAILED);
	cr_expect_eq(t.seen[0].reason, NM_DEVICE_STATE_REASON_SSID_NOT_FOUND);
	cr_expect_null(find_ap("HomeNet"));
}

static void hostname_cb(GObject *source, GAsyncResult *result,
			gpointer user_data)
{
	(void)user_data;
	nm_client_save_hostname_finish(NM_CLIENT(source), result, &t.error);
	t.done = true;
}

Test(nm_double, saves_the_hostname)
{
	char **names;

	start("basic.json", NULL);
	t.done = false;
	nm_client_save_hostname_async(t.client, "distiller-a1b2", NULL,
				      hostname_cb, NULL);
	cr_assert(run_until(done_cond, WAIT_MS));
	cr_assert_null(t.error, "%s", t.error ? t.error->message : "");
	names = nm_double_get_hostnames(t.nm);
	cr_assert_not_null(names);
	cr_expect_eq(g_strv_length(names), 1);
	cr_expect_str_eq(names[0], "distiller-a1b2");
	g_strfreev(names);
}
