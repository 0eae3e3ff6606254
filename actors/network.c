/* SPDX-License-Identifier: MIT */
/*
 * The network actor: NetworkManager through libnm.
 *
 * Runs on its own thread with its own GMainContext, pushed as the thread's
 * default so libnm's NMClient lives there; the mailbox descriptor is one
 * more source in that loop, and everything else happens in reaction to
 * NetworkManager's signals (device state and reason, active connection
 * state and reason, LastScan, devices and NetworkManager coming and
 * going). Nothing polls.
 *
 * Mailbox "network": MSG_CONNECT_REQUEST and MSG_DISCONNECT_REQUEST
 * (answered with MSG_REPLY), MSG_SCAN_REQUEST (MSG_SCAN_RESULT, see
 * network_scan_request.c), MSG_STATE_SNAPSHOT (subscribed, and the answer
 * to our MSG_STATE_GET). Sends MSG_NET_EVENT facts to "state" in an order
 * the state table accepts.
 *
 * The phases (enum network_phase) are this actor's own bookkeeping; the
 * published connection state is the state actor's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib-unix.h>
#include <NetworkManager.h>

#include "actors/dnsmasq_dropin.h"
#include "actors/network.h"
#include "actors/network_ap.h"
#include "actors/network_private.h"
#include "actors/network_reason.h"
#include "actors/state_table.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"

#define CLIENT_RETRY_MS 2000
#define AP_RETRY_MAX_S 60
#define RETRY_MAX_S 600
#define SHUTDOWN_DRAIN_MS 1000
#define SSID_LOG_MAX (MSG_SSID_MAX * 4 + 1)

static void network_sync(struct network *net);

/* ---- small helpers ------------------------------------------------------ */

GSource *network_timeout_new(struct network *net, unsigned int ms,
			     GSourceFunc cb)
{
	GSource *source = g_timeout_source_new(ms);

	g_source_set_callback(source, cb, net, NULL);
	g_source_attach(source, net->context);
	return source;
}

void network_timeout_clear(GSource **source)
{
	if (!*source)
		return;

	g_source_destroy(*source);
	g_source_unref(*source);
	*source = NULL;
}

void network_own_ssid(const struct network *net, struct msg_ssid *out)
{
	memset(out, 0, sizeof(*out));
	msg_ssid_set(out, net->snapshot.ap_ssid,
		     strnlen(net->snapshot.ap_ssid, MSG_SSID_MAX));
}

const char *network_ssid_log(char *buf, size_t size,
			     const struct msg_ssid *ssid)
{
	return log_escape(buf, size, ssid->bytes, ssid->len);
}

bool network_cancelled(const GError *error)
{
	return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

bool network_nm_ready(const struct network *net)
{
	return net->client && nm_client_get_nm_running(net->client);
}

static void ip4_address(NMActiveConnection *ac, NMDevice *device, char *out,
			size_t size)
{
	NMIPConfig *config = NULL;
	GPtrArray *addresses;

	out[0] = '\0';
	if (ac)
		config = nm_active_connection_get_ip4_config(ac);
	if (!config && device)
		config = nm_device_get_ip4_config(device);
	if (!config)
		return;

	addresses = nm_ip_config_get_addresses(config);
	if (addresses && addresses->len)
		msg_strlcpy(out, size,
			    nm_ip_address_get_address(addresses->pdata[0]));
}

static bool ac_profile_ssid(NMActiveConnection *ac, struct msg_ssid *out)
{
	NMRemoteConnection *remote = nm_active_connection_get_connection(ac);

	memset(out, 0, sizeof(*out));
	return remote && network_profile_ssid(NM_CONNECTION(remote), out);
}

static bool ac_is_ap(NMActiveConnection *ac)
{
	NMRemoteConnection *remote = nm_active_connection_get_connection(ac);

	if (remote)
		return network_profile_is_ap(NM_CONNECTION(remote));

	return !g_strcmp0(nm_active_connection_get_id(ac), NETWORK_AP_ID);
}

/* ---- facts for the state actor ------------------------------------------ */

static void emit_one(struct network *net, enum wifi_state state,
		     const struct msg_ssid *ssid, const char *ip,
		     const char *reason, const char *session_id)
{
	struct msg m = { .type = MSG_NET_EVENT };
	struct msg_net_event *ev = &m.body.net_event;
	int r;

	ev->state = state;
	if (ssid)
		ev->ssid = *ssid;
	msg_strlcpy(ev->ip_address, sizeof(ev->ip_address), ip ? ip : "");
	msg_strlcpy(ev->reason, sizeof(ev->reason), reason ? reason : "");
	msg_strlcpy(ev->session_id, sizeof(ev->session_id),
		    session_id ? session_id : "");

	r = actor_send(net->self, "state", &m);
	if (r < 0)
		log_warning("Failed to report %s to state: %s, ignoring",
			    wifi_state_name(state), strerror(-r));

	net->reported = state;
	msg_strlcpy(net->reported_ip, sizeof(net->reported_ip), ev->ip_address);
}

/*
 * Reports a fact. A repeat is dropped (a CONNECTED with a new address is
 * not a repeat); a step the table refuses is bridged through CONNECTING
 * or DISCONNECTED when that makes it legal (FAILED -> CONNECTING ->
 * CONNECTED after a device came back connected).
 */
void network_emit(struct network *net, enum wifi_state state,
		  const struct msg_ssid *ssid, const char *ip,
		  const char *reason, const char *session_id)
{
	static const enum wifi_state bridges[] = {
		WIFI_STATE_CONNECTING,
		WIFI_STATE_DISCONNECTED,
	};
	enum wifi_state from = net->reported;
	size_t i;

	if (state == from && (state != WIFI_STATE_CONNECTED ||
			      !strcmp(net->reported_ip, ip ? ip : "")))
		return;

	if (state != from && !state_table_allows(from, state)) {
		for (i = 0; i < G_N_ELEMENTS(bridges); i++) {
			if (state_table_allows(from, bridges[i]) &&
			    state_table_allows(bridges[i], state))
				break;
		}

		if (i == G_N_ELEMENTS(bridges)) {
			log_warning("Not reporting %s after %s",
				    wifi_state_name(state),
				    wifi_state_name(from));
			return;
		}

		emit_one(net, bridges[i], ssid, "", "", session_id);
	}

	emit_one(net, state, ssid, ip, reason, session_id);
}

/* ---- watching one activation -------------------------------------------- */

static void ac_state_cb(NMActiveConnection *ac, guint state, guint reason,
			gpointer data);
static void ac_ip4_cb(GObject *object, GParamSpec *pspec, gpointer data);

void network_unwatch_ac(struct network *net)
{
	if (!net->ac)
		return;

	g_signal_handlers_disconnect_by_data(net->ac, net);
	g_clear_object(&net->ac);
}

void network_watch_ac(struct network *net, NMActiveConnection *ac)
{
	if (net->ac == ac)
		return;

	network_unwatch_ac(net);
	net->ac = g_object_ref(ac);
	g_signal_connect(ac, "state-changed", G_CALLBACK(ac_state_cb), net);
	g_signal_connect(ac, "notify::" NM_ACTIVE_CONNECTION_IP4_CONFIG,
			 G_CALLBACK(ac_ip4_cb), net);
}

/* ---- retries in AP mode ------------------------------------------------- */

static unsigned int ap_clients(struct network *net)
{
	const char *dir = net->cfg->nm_lease_dir[0] ? net->cfg->nm_lease_dir :
						      NETWORK_LEASE_DIR_DEFAULT;
	const char *iface = nm_device_get_iface(NM_DEVICE(net->device));
	unsigned int stations = 0;
	int leases;

	leases = network_leases_read(dir, iface, (int64_t)time(NULL));
	if (leases < 0)
		log_debug("Failed to read the leases of %s: %s", iface,
			  strerror(-leases));

	/* without nl80211 (no radio, old driver) the leases must do */
	if (network_ap_stations(net, &stations) < 0)
		stations = 0;

	return stations + (leases > 0 ? (unsigned int)leases : 0);
}

static gboolean retry_timer_cb(gpointer data)
{
	struct network *net = data;
	NMRemoteConnection *known;
	unsigned int clients;

	network_timeout_clear(&net->retry_timer);

	if (net->phase != NETWORK_PHASE_AP || !net->device)
		return G_SOURCE_REMOVE;

	if (!net->ap_up) {
		/* the hotspot itself failed: try to raise it again */
		network_raise_ap(net);
		return G_SOURCE_REMOVE;
	}

	known = nm_client_get_connection_by_uuid(net->client, net->known_uuid);
	if (!known || !net->retry_allowed)
		return G_SOURCE_REMOVE;

	/* dropping the AP under a person's feet is worse than waiting */
	clients = ap_clients(net);
	if (clients) {
		log_debug("Not retrying the known network: %u clients on the "
			  "access point",
			  clients);
		net->retry_timer = network_timeout_new(
			net, net->retry_delay_s * 1000, retry_timer_cb);
		return G_SOURCE_REMOVE;
	}

	memset(&net->join, 0, sizeof(net->join));
	network_profile_ssid(NM_CONNECTION(known), &net->join.ssid);
	msg_strlcpy(net->join.profile_uuid, sizeof(net->join.profile_uuid),
		    net->known_uuid);

	net->retry_delay_s = MIN(net->retry_delay_s * 2, RETRY_MAX_S);
	network_start_join(net, false);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct network *net)
{
	network_timeout_clear(&net->retry_timer);

	if (!net->known_uuid[0] || !net->retry_allowed)
		return;

	if (!net->retry_delay_s)
		net->retry_delay_s = MAX(net->cfg->reconnect_grace_s, 1);

	net->retry_timer = network_timeout_new(net, net->retry_delay_s * 1000,
					       retry_timer_cb);
}

/* ---- the access point --------------------------------------------------- */

static void ap_is_up(struct network *net)
{
	char ssid[SSID_LOG_MAX];

	net->ap_up = true;
	net->ap_failures = 0;
	log_info("Access point \"%s\" is up",
		 log_escape(ssid, sizeof(ssid), net->ap_ssid_up,
			    strlen(net->ap_ssid_up)));
	network_emit(net, WIFI_STATE_AP_MODE, NULL, "", "", "");
	schedule_retry(net);
}

static void ap_failed(struct network *net, const char *why)
{
	struct msg_ssid ssid;
	char reason[MSG_TEXT_MAX];
	unsigned int delay;

	net->ap_up = false;
	net->ap_failures++;
	network_unwatch_ac(net);
	network_own_ssid(net, &ssid);
	log_warning("Failed to start the access point: %s", why);

	network_reason_text(NETWORK_FAILURE_AP_FAILED, &ssid, reason,
			    sizeof(reason));
	network_emit(net, WIFI_STATE_FAILED, &ssid, "", reason, "");

	delay = MIN(1u << MIN(net->ap_failures, 6u), AP_RETRY_MAX_S);
	network_timeout_clear(&net->retry_timer);
	net->retry_timer =
		network_timeout_new(net, delay * 1000, retry_timer_cb);
}

static void ap_added_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	struct network *net = data;
	NMActiveConnection *ac;
	GError *error = NULL;

	ac = nm_client_add_and_activate_connection2_finish(
		NM_CLIENT(source), result, NULL, &error);
	if (!ac) {
		if (!network_cancelled(error) && net->phase == NETWORK_PHASE_AP)
			ap_failed(net, error->message);
		g_error_free(error);
		return;
	}

	if (net->phase == NETWORK_PHASE_AP) {
		network_watch_ac(net, ac);
		if (nm_active_connection_get_state(ac) ==
		    NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
			ap_is_up(net);
	}

	g_object_unref(ac);
}

static void ap_activate(struct network *net)
{
	const struct config *cfg = net->cfg;
	const char *iface = nm_device_get_iface(NM_DEVICE(net->device));
	GVariantBuilder options;
	NMConnection *profile;
	GError *error = NULL;
	int r;

	profile = network_ap_profile_new(net->snapshot.ap_ssid,
					 net->snapshot.ap_password, cfg->ap_ip,
					 cfg->ap_channel, iface, &error);
	if (!profile) {
		ap_failed(net, error->message);
		g_error_free(error);
		return;
	}

	/* dnsmasq reads its drop-ins when NetworkManager starts it */
	if (cfg->captive_portal) {
		r = dnsmasq_dropin_write(cfg->dnsmasq_dir, cfg->ap_ip);
		if (r < 0)
			log_warning(
				"Failed to write the captive portal drop-in "
				"in %s: %s, ignoring",
				cfg->dnsmasq_dir, strerror(-r));
	}

	msg_strlcpy(net->ap_ssid_up, sizeof(net->ap_ssid_up),
		    net->snapshot.ap_ssid);
	msg_strlcpy(net->ap_password_up, sizeof(net->ap_password_up),
		    net->snapshot.ap_password);

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "persist",
			      g_variant_new_string("volatile"));
	nm_client_add_and_activate_connection2(net->client, profile,
					       NM_DEVICE(net->device), NULL,
					       g_variant_builder_end(&options),
					       net->cancellable, ap_added_cb,
					       net);
	g_object_unref(profile);
}

void network_scan_finished(struct network *net)
{
	if (net->phase != NETWORK_PHASE_AP_SCAN)
		return;

	net->phase = NETWORK_PHASE_AP;
	ap_activate(net);
}

/*
 * Raises the hotspot: one scan first, so the list is fresh while NM can
 * still scan, then the in-memory profile. Needs the snapshot's AP SSID
 * and password; without them it waits for the snapshot.
 */
void network_raise_ap(struct network *net)
{
	NMActiveConnection *active;

	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	net->ap_up = false;

	if (!net->device)
		return;

	if (!net->snapshot.ap_ssid[0] || !net->snapshot.ap_password[0]) {
		log_info("Waiting for the access point's name and password");
		net->phase = NETWORK_PHASE_STARTING;
		return;
	}

	/* an AP of ours already up with these settings is kept */
	active = nm_device_get_active_connection(NM_DEVICE(net->device));
	if (active && ac_is_ap(active) && net->ap_ssid_up[0] &&
	    !strcmp(net->ap_ssid_up, net->snapshot.ap_ssid) &&
	    !strcmp(net->ap_password_up, net->snapshot.ap_password)) {
		net->phase = NETWORK_PHASE_AP;
		network_watch_ac(net, active);
		if (nm_active_connection_get_state(active) ==
		    NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
			ap_is_up(net);
		return;
	}

	network_unwatch_ac(net);
	net->phase = NETWORK_PHASE_AP_SCAN;
	network_scan_before_ap(net);
}

void network_leave_ap_mode(struct network *net)
{
	int r;

	net->ap_up = false;
	net->ap_ssid_up[0] = '\0';
	explicit_bzero(net->ap_password_up, sizeof(net->ap_password_up));

	r = dnsmasq_dropin_remove(net->cfg->dnsmasq_dir);
	if (r < 0)
		log_warning("Failed to remove the captive portal drop-in: %s, "
			    "ignoring",
			    strerror(-r));
}

/* ---- connected, lost ---------------------------------------------------- */

void network_connected(struct network *net, NMActiveConnection *ac)
{
	NMRemoteConnection *remote = nm_active_connection_get_connection(ac);
	char ip[MSG_IP_MAX], name[SSID_LOG_MAX];
	struct msg_ssid ssid;

	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	network_watch_ac(net, ac);
	ac_profile_ssid(ac, &ssid);
	ip4_address(ac, NM_DEVICE(net->device), ip, sizeof(ip));

	if (remote)
		msg_strlcpy(net->known_uuid, sizeof(net->known_uuid),
			    nm_connection_get_uuid(NM_CONNECTION(remote)));

	if (net->phase != NETWORK_PHASE_CONNECTED)
		log_info("Connected to \"%s\" as %s",
			 network_ssid_log(name, sizeof(name), &ssid), ip);

	net->phase = NETWORK_PHASE_CONNECTED;
	net->retry_allowed = true;
	net->retry_delay_s = 0;
	network_emit(net, WIFI_STATE_CONNECTED, &ssid, ip, "",
		     net->join.session_id);
}

static gboolean lost_grace_cb(gpointer data)
{
	struct network *net = data;

	network_timeout_clear(&net->grace_timer);
	if (net->phase != NETWORK_PHASE_LOST &&
	    net->phase != NETWORK_PHASE_BOOT_WAIT)
		return G_SOURCE_REMOVE;

	log_info("No connection after the grace period, raising the access "
		 "point");
	network_raise_ap(net);
	return G_SOURCE_REMOVE;
}

static void network_lost(struct network *net)
{
	char reason[MSG_TEXT_MAX], name[SSID_LOG_MAX];
	struct msg_ssid ssid = { 0 };

	if (net->ac)
		ac_profile_ssid(net->ac, &ssid);
	network_unwatch_ac(net);

	log_info("Lost the connection to \"%s\", waiting %u s for it to come "
		 "back",
		 network_ssid_log(name, sizeof(name), &ssid),
		 net->cfg->reconnect_grace_s);
	snprintf(reason, sizeof(reason), "Lost the connection");

	net->phase = NETWORK_PHASE_LOST;
	network_emit(net, WIFI_STATE_DISCONNECTED, &ssid, "", reason, "");
	network_timeout_clear(&net->grace_timer);
	net->grace_timer = network_timeout_new(
		net, net->cfg->reconnect_grace_s * 1000, lost_grace_cb);
}

/* ---- NetworkManager's signals ------------------------------------------- */

static void ac_ip4_cb(GObject *object, GParamSpec *pspec, gpointer data)
{
	struct network *net = data;

	(void)pspec;
	if (net->phase == NETWORK_PHASE_CONNECTED &&
	    NM_ACTIVE_CONNECTION(object) == net->ac &&
	    nm_active_connection_get_state(net->ac) ==
		    NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
		network_connected(net, net->ac);
}

static void ac_state_cb(NMActiveConnection *ac, guint state, guint reason,
			gpointer data)
{
	struct network *net = data;

	if (ac != net->ac)
		return;

	switch (net->phase) {
	case NETWORK_PHASE_AP:
		if (state == NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
			ap_is_up(net);
		else if (state >= NM_ACTIVE_CONNECTION_STATE_DEACTIVATING)
			ap_failed(net, "the hotspot was deactivated");
		break;
	case NETWORK_PHASE_JOINING:
		if (state == NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
			network_join_succeeded(net, ac);
		else if (state == NM_ACTIVE_CONNECTION_STATE_DEACTIVATED)
			network_join_failed(net,
					    network_reason_from_active(reason));
		break;
	case NETWORK_PHASE_BOOT_WAIT:
	case NETWORK_PHASE_LOST:
		if (state == NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
			network_connected(net, ac);
		break;
	case NETWORK_PHASE_CONNECTED:
		if (state >= NM_ACTIVE_CONNECTION_STATE_DEACTIVATING)
			network_lost(net);
		break;
	case NETWORK_PHASE_STARTING:
	case NETWORK_PHASE_NO_DEVICE:
	case NETWORK_PHASE_AP_SCAN:
	case NETWORK_PHASE_LEAVING:
		break;
	}
}

/* NM's own activation (autoconnect, reconnect) while we wait for it. */
static void follow_nm_activation(struct network *net)
{
	NMActiveConnection *active;
	struct msg_ssid ssid;

	active = nm_device_get_active_connection(NM_DEVICE(net->device));
	if (!active || ac_is_ap(active))
		return;

	if (nm_active_connection_get_state(active) ==
	    NM_ACTIVE_CONNECTION_STATE_ACTIVATED) {
		network_connected(net, active);
		return;
	}

	network_watch_ac(net, active);
	ac_profile_ssid(active, &ssid);
	network_emit(net, WIFI_STATE_CONNECTING, &ssid, "", "", "");
}

static void device_state_cb(NMDevice *device, guint new_state, guint old_state,
			    guint reason, gpointer data)
{
	struct network *net = data;

	(void)device;
	log_debug("Device state %u -> %u, reason %u", old_state, new_state,
		  reason);

	switch (net->phase) {
	case NETWORK_PHASE_JOINING:
		/* the device's reason says more than the connection's */
		if (net->join.activating && new_state == NM_DEVICE_STATE_FAILED)
			network_join_failed(net,
					    network_reason_from_device(reason));
		break;
	case NETWORK_PHASE_CONNECTED:
		if (old_state == NM_DEVICE_STATE_ACTIVATED &&
		    new_state != NM_DEVICE_STATE_ACTIVATED)
			network_lost(net);
		break;
	case NETWORK_PHASE_BOOT_WAIT:
	case NETWORK_PHASE_LOST:
		if (new_state >= NM_DEVICE_STATE_PREPARE &&
		    new_state <= NM_DEVICE_STATE_ACTIVATED)
			follow_nm_activation(net);
		break;
	case NETWORK_PHASE_STARTING:
	case NETWORK_PHASE_NO_DEVICE:
	case NETWORK_PHASE_AP_SCAN:
	case NETWORK_PHASE_AP:
	case NETWORK_PHASE_LEAVING:
		break;
	}
}

static void last_scan_cb(GObject *object, GParamSpec *pspec, gpointer data)
{
	(void)object;
	(void)pspec;
	network_scan_nm_done(data);
}

static void access_points_cb(NMDeviceWifi *device, GObject *ap, gpointer data)
{
	struct network *net = data;

	(void)device;
	(void)ap;

	/* the list NM holds now is the freshest one outside AP mode */
	if (net->phase != NETWORK_PHASE_AP && !net->nm_scan_running)
		network_scan_cache_from_nm(net);
}

static void unbind_device(struct network *net)
{
	if (!net->device)
		return;

	network_unwatch_ac(net);
	g_signal_handlers_disconnect_by_data(net->device, net);
	g_clear_object(&net->device);
	net->ap_up = false;
}

static NMDeviceWifi *find_wifi_device(struct network *net)
{
	const GPtrArray *devices = nm_client_get_devices(net->client);
	guint i;

	for (i = 0; devices && i < devices->len; i++) {
		if (NM_IS_DEVICE_WIFI(devices->pdata[i]))
			return devices->pdata[i];
	}

	return NULL;
}

static void bind_device(struct network *net)
{
	NMDeviceWifi *device = find_wifi_device(net);

	if (device == net->device)
		return;

	unbind_device(net);
	if (!device)
		return;

	net->device = g_object_ref(device);
	g_signal_connect(device, "state-changed", G_CALLBACK(device_state_cb),
			 net);
	g_signal_connect(device, "notify::" NM_DEVICE_WIFI_LAST_SCAN,
			 G_CALLBACK(last_scan_cb), net);
	g_signal_connect(device, "access-point-added",
			 G_CALLBACK(access_points_cb), net);
	g_signal_connect(device, "access-point-removed",
			 G_CALLBACK(access_points_cb), net);
	log_info("Using WiFi device %s",
		 nm_device_get_iface(NM_DEVICE(device)));
}

/* ---- hostname ----------------------------------------------------------- */

static void hostname_saved_cb(GObject *source, GAsyncResult *result,
			      gpointer data)
{
	struct network *net = data;
	GError *error = NULL;

	if (!nm_client_save_hostname_finish(NM_CLIENT(source), result,
					    &error)) {
		bool stop = network_cancelled(error);

		if (!stop)
			log_warning("Failed to set the hostname: %s, ignoring",
				    error->message);
		g_error_free(error);
		if (stop)
			return;
	}

	net->hostname_busy = false;
}

static void network_check_hostname(struct network *net)
{
	char want[64];
	char *current = NULL;

	if (!network_nm_ready(net) || net->hostname_busy ||
	    !net->snapshot.device_id[0])
		return;

	snprintf(want, sizeof(want), "distiller-%s", net->snapshot.device_id);
	g_object_get(net->client, NM_CLIENT_HOSTNAME, &current, NULL);
	if (!g_strcmp0(current, want)) {
		g_free(current);
		return;
	}

	log_info("Setting the hostname to %s (was %s)", want,
		 current ? current : "unset");
	g_free(current);
	net->hostname_busy = true;
	nm_client_save_hostname_async(net->client, want, net->cancellable,
				      hostname_saved_cb, net);
}

/* ---- deciding from NetworkManager's truth ------------------------------- */

static void no_device(struct network *net)
{
	char reason[MSG_TEXT_MAX];

	if (net->phase == NETWORK_PHASE_NO_DEVICE)
		return;

	log_warning("No WiFi device found, waiting for one");
	network_join_clear(net);
	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	net->phase = NETWORK_PHASE_NO_DEVICE;
	network_reason_text(NETWORK_FAILURE_NO_DEVICE, NULL, reason,
			    sizeof(reason));
	network_emit(net, WIFI_STATE_FAILED, NULL, "", reason, "");
	network_scan_flush(net, reason);
}

/* The saved client profile NM would bring up by itself, if any. */
static NMRemoteConnection *autoconnect_profile(struct network *net)
{
	const GPtrArray *all = nm_client_get_connections(net->client);
	NMRemoteConnection *best = NULL;
	NMSettingConnection *s_con;
	guint64 best_time = 0, t;
	guint i;

	for (i = 0; all && i < all->len; i++) {
		NMConnection *c = all->pdata[i];

		s_con = nm_connection_get_setting_connection(c);
		if (!s_con || !network_profile_is_client(c) ||
		    !nm_setting_connection_get_autoconnect(s_con))
			continue;

		t = nm_setting_connection_get_timestamp(s_con);
		if (!best || t > best_time) {
			best = all->pdata[i];
			best_time = t;
		}
	}

	return best;
}

/* First decision after start: a known network first, else the AP. */
static void network_boot(struct network *net)
{
	NMRemoteConnection *known = autoconnect_profile(net);
	NMDeviceState state;
	char name[SSID_LOG_MAX];
	struct msg_ssid ssid;

	net->booted = true;
	if (!known) {
		log_info("No saved network, raising the access point");
		network_raise_ap(net);
		return;
	}

	network_profile_ssid(NM_CONNECTION(known), &ssid);
	msg_strlcpy(net->known_uuid, sizeof(net->known_uuid),
		    nm_connection_get_uuid(NM_CONNECTION(known)));
	net->retry_allowed = true;
	log_info("Waiting up to %u s for saved network \"%s\"",
		 net->cfg->boot_grace_s,
		 network_ssid_log(name, sizeof(name), &ssid));

	net->phase = NETWORK_PHASE_BOOT_WAIT;
	net->grace_timer = network_timeout_new(
		net, MAX(net->cfg->boot_grace_s, 1) * 1000, lost_grace_cb);

	state = nm_device_get_state(NM_DEVICE(net->device));
	if (state >= NM_DEVICE_STATE_PREPARE &&
	    state <= NM_DEVICE_STATE_ACTIVATED) {
		follow_nm_activation(net);
		return;
	}

	/* NM is idle: try the known network ourselves */
	nm_client_activate_connection_async(net->client, NM_CONNECTION(known),
					    NM_DEVICE(net->device), NULL,
					    net->cancellable, NULL, NULL);
}

/*
 * Looks at what NetworkManager is doing and takes it from there: after
 * start, after NetworkManager came back, after a device appeared.
 */
static void network_sync(struct network *net)
{
	NMActiveConnection *active;

	if (!net->have_snapshot || !network_nm_ready(net))
		return;

	bind_device(net);
	network_check_hostname(net);
	if (!net->device) {
		no_device(net);
		return;
	}

	network_scan_cache_from_nm(net);
	active = nm_device_get_active_connection(NM_DEVICE(net->device));
	if (active && !ac_is_ap(active)) {
		net->booted = true;
		net->phase = NETWORK_PHASE_LOST;
		follow_nm_activation(net);
		if (net->phase != NETWORK_PHASE_CONNECTED) {
			network_timeout_clear(&net->grace_timer);
			net->grace_timer = network_timeout_new(
				net, MAX(net->cfg->boot_grace_s, 1) * 1000,
				lost_grace_cb);
		}
		return;
	}

	if (!net->booted) {
		network_boot(net);
		return;
	}

	/*
	 * Connected before NetworkManager went away and it came back without
	 * the connection: its autoconnect gets the same grace as after a
	 * lost link.
	 */
	if (net->reported == WIFI_STATE_CONNECTED) {
		network_lost(net);
		return;
	}

	network_raise_ap(net);
}

static void nm_running_cb(GObject *object, GParamSpec *pspec, gpointer data)
{
	struct network *net = data;
	char reason[MSG_TEXT_MAX];

	(void)object;
	(void)pspec;
	if (nm_client_get_nm_running(net->client)) {
		log_info("NetworkManager is running");
		network_sync(net);
		return;
	}

	log_warning("NetworkManager went away, waiting for it");
	if (net->phase == NETWORK_PHASE_JOINING && net->join.user) {
		network_reason_text(NETWORK_FAILURE_NM_RESTARTED,
				    &net->join.ssid, reason, sizeof(reason));
		network_emit(net, WIFI_STATE_FAILED, &net->join.ssid, "",
			     reason, net->join.session_id);
	}

	network_join_clear(net);
	unbind_device(net);
	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	net->phase = NETWORK_PHASE_STARTING;
	net->hostname_busy = false;
	network_scan_flush(net, "NetworkManager is not running");
}

static void device_added_cb(NMClient *client, NMDevice *device, gpointer data)
{
	struct network *net = data;

	(void)client;
	if (NM_IS_DEVICE_WIFI(device) && !net->device &&
	    (net->phase == NETWORK_PHASE_NO_DEVICE ||
	     net->phase == NETWORK_PHASE_STARTING))
		network_sync(net);
}

static void device_removed_cb(NMClient *client, NMDevice *device, gpointer data)
{
	struct network *net = data;

	/* NM leaving takes its devices along: nm-running says the rest */
	if (NM_DEVICE(net->device) != device || !network_nm_ready(net) ||
	    !nm_client_get_dbus_name_owner(client))
		return;

	unbind_device(net);
	network_join_clear(net);
	network_sync(net);
}

/* ---- the D-Bus connection and NMClient ---------------------------------- */

static void network_connect_bus(struct network *net);

static gboolean client_retry_cb(gpointer data)
{
	struct network *net = data;

	network_timeout_clear(&net->client_retry);
	network_connect_bus(net);
	return G_SOURCE_REMOVE;
}

static void client_ready_cb(GObject *source, GAsyncResult *result,
			    gpointer data)
{
	struct network *net = data;
	GError *error = NULL;
	GObject *client;

	client = g_async_initable_new_finish(G_ASYNC_INITABLE(source), result,
					     &error);
	if (!client) {
		if (!network_cancelled(error)) {
			log_warning("Failed to create the NetworkManager "
				    "client: %s, retrying",
				    error->message);
			net->client_retry = network_timeout_new(
				net, CLIENT_RETRY_MS, client_retry_cb);
		}
		g_error_free(error);
		return;
	}

	net->client = NM_CLIENT(client);
	g_signal_connect(client, "notify::" NM_CLIENT_NM_RUNNING,
			 G_CALLBACK(nm_running_cb), net);
	g_signal_connect(client, NM_CLIENT_DEVICE_ADDED,
			 G_CALLBACK(device_added_cb), net);
	g_signal_connect(client, NM_CLIENT_DEVICE_REMOVED,
			 G_CALLBACK(device_removed_cb), net);

	if (!nm_client_get_nm_running(net->client))
		log_warning("NetworkManager is not running, waiting for it");
	network_sync(net);
}

static void bus_closed_cb(GDBusConnection *bus, gboolean remote_peer_vanished,
			  GError *error, gpointer data);

static void drop_client(struct network *net)
{
	if (net->client) {
		g_signal_handlers_disconnect_by_data(net->client, net);
		g_clear_object(&net->client);
	}

	if (net->bus) {
		g_signal_handlers_disconnect_by_data(net->bus, net);
		g_clear_object(&net->bus);
	}
}

static void bus_closed_cb(GDBusConnection *bus, gboolean remote_peer_vanished,
			  GError *error, gpointer data)
{
	struct network *net = data;

	(void)bus;
	(void)remote_peer_vanished;
	log_warning("Lost the system bus: %s, reconnecting",
		    error ? error->message : "closed");
	network_join_clear(net);
	unbind_device(net);
	network_scan_flush(net, "NetworkManager is not reachable");
	drop_client(net);
	net->phase = NETWORK_PHASE_STARTING;
	network_timeout_clear(&net->client_retry);
	net->client_retry =
		network_timeout_new(net, CLIENT_RETRY_MS, client_retry_cb);
}

static void bus_ready_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	struct network *net = data;
	GError *error = NULL;

	(void)source;
	net->bus = g_dbus_connection_new_for_address_finish(result, &error);
	if (!net->bus) {
		if (!network_cancelled(error)) {
			log_warning("Failed to connect to the system bus: %s, "
				    "retrying",
				    error->message);
			net->client_retry = network_timeout_new(
				net, CLIENT_RETRY_MS, client_retry_cb);
		}
		g_error_free(error);
		return;
	}

	g_dbus_connection_set_exit_on_close(net->bus, FALSE);
	g_signal_connect(net->bus, "closed", G_CALLBACK(bus_closed_cb), net);

	/* our own connection: a test bus going away must not end us */
	g_async_initable_new_async(
		NM_TYPE_CLIENT, G_PRIORITY_DEFAULT, net->cancellable,
		client_ready_cb, net, NM_CLIENT_DBUS_CONNECTION, net->bus,
		NM_CLIENT_INSTANCE_FLAGS,
		NM_CLIENT_INSTANCE_FLAGS_NO_AUTO_FETCH_PERMISSIONS, NULL);
}

static void network_connect_bus(struct network *net)
{
	GError *error = NULL;
	char *address;

	drop_client(net);
	address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL,
						  &error);
	if (!address) {
		log_warning("Failed to find the system bus: %s, retrying",
			    error->message);
		g_error_free(error);
		net->client_retry = network_timeout_new(net, CLIENT_RETRY_MS,
							client_retry_cb);
		return;
	}

	g_dbus_connection_new_for_address(
		address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, net->cancellable, bus_ready_cb, net);
	g_free(address);
}

/* ---- requests ----------------------------------------------------------- */

void network_reply(struct network *net, const struct msg *request, int code,
		   const char *error, const char *session_id)
{
	struct msg answer = { .type = MSG_REPLY };
	int r;

	answer.body.reply.code = code;
	msg_strlcpy(answer.body.reply.error, sizeof(answer.body.reply.error),
		    error ? error : "");
	msg_strlcpy(answer.body.reply.session_id,
		    sizeof(answer.body.reply.session_id),
		    session_id ? session_id : "");

	r = actor_reply(net->self, request, &answer);
	if (r < 0)
		log_warning("Failed to answer %s: %s, ignoring",
			    request->sender, strerror(-r));
}

static void disconnected_cb(GObject *source, GAsyncResult *result,
			    gpointer data)
{
	struct network *net = data;
	GError *error = NULL;

	if (!nm_client_deactivate_connection_finish(NM_CLIENT(source), result,
						    &error)) {
		bool stop = network_cancelled(error);

		log_debug("Deactivation: %s", error->message);
		g_error_free(error);
		if (stop)
			return;
	}

	if (net->phase != NETWORK_PHASE_LEAVING)
		return;

	network_emit(net, WIFI_STATE_DISCONNECTED, NULL, "", "", "");
	network_raise_ap(net);
}

static void handle_disconnect(struct network *net, const struct msg *m)
{
	NMActiveConnection *active = NULL;
	bool forget = m->body.disconnect.forget;

	network_reply(net, m, 0, "", "");
	if (!network_nm_ready(net) || !net->device)
		return;

	/* a person chose to leave: no quiet retries until the next join */
	net->retry_allowed = false;
	network_join_clear(net);
	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);

	if (forget && net->known_uuid[0]) {
		log_info("Forgetting the known network");
		network_delete_profile(net, net->known_uuid);
		net->known_uuid[0] = '\0';
	}

	active = nm_device_get_active_connection(NM_DEVICE(net->device));
	if (!active || ac_is_ap(active)) {
		if (net->phase != NETWORK_PHASE_AP || !net->ap_up)
			network_raise_ap(net);
		return;
	}

	log_info("Disconnecting");
	network_unwatch_ac(net);
	net->phase = NETWORK_PHASE_LEAVING;
	nm_client_deactivate_connection_async(
		net->client, active, net->cancellable, disconnected_cb, net);
}

static void handle_snapshot(struct network *net, const struct msg *m)
{
	const struct msg_state_snapshot *snap = &m->body.snapshot;
	bool first = !net->have_snapshot;
	bool ap_changed = strcmp(snap->ap_ssid, net->snapshot.ap_ssid) ||
			  strcmp(snap->ap_password, net->snapshot.ap_password);
	bool id_changed = strcmp(snap->device_id, net->snapshot.device_id);

	net->snapshot = *snap;
	net->have_snapshot = true;

	/* where the state actor stands when we (re)start */
	if (first)
		net->reported = snap->state;

	if (first ||
	    (net->phase == NETWORK_PHASE_STARTING && network_nm_ready(net))) {
		network_sync(net);
		return;
	}

	if (id_changed)
		network_check_hostname(net);

	/* a new AP password (or name) takes effect on the air at once */
	if (ap_changed && net->phase == NETWORK_PHASE_AP && net->ap_up)
		network_raise_ap(net);
}

static int network_handle(struct actor *self, void *state, const struct msg *m)
{
	struct network *net = state;

	(void)self;
	switch (m->type) {
	case MSG_STATE_SNAPSHOT:
		handle_snapshot(net, m);
		break;
	case MSG_CONNECT_REQUEST:
		network_handle_connect(net, m);
		break;
	case MSG_DISCONNECT_REQUEST:
		handle_disconnect(net, m);
		break;
	case MSG_SCAN_REQUEST:
		network_scan_request(net, m,
				     net->phase == NETWORK_PHASE_AP ||
					     net->phase ==
						     NETWORK_PHASE_AP_SCAN);
		break;
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
	case MSG_ACTOR_EXITED:
	case MSG_REPLY:
	case MSG_STATE_GET:
	case MSG_NET_EVENT:
	case MSG_TUNNEL_EVENT:
	case MSG_MDNS_EVENT:
	case MSG_SCAN_RESULT:
		log_debug("Ignoring %s from %s", msg_type_name(m->type),
			  m->sender);
		break;
	}

	return 0;
}

/* ---- the loop ----------------------------------------------------------- */

static gboolean mailbox_cb(gint fd, GIOCondition condition, gpointer data)
{
	struct network *net = data;
	int r;

	(void)fd;
	(void)condition;
	r = actor_dispatch(net->self);
	if (!r)
		return G_SOURCE_CONTINUE;

	net->exit_code = r == 1 ? 0 : r;
	g_main_loop_quit(net->loop);
	return G_SOURCE_REMOVE;
}

static void ask_state(struct network *net)
{
	struct msg m = { .type = MSG_STATE_GET };
	int r;

	m.correlation_id = actor_next_id();
	r = actor_send(net->self, "state", &m);
	if (r < 0)
		log_warning("Failed to ask state for a snapshot: %s, waiting "
			    "for one",
			    strerror(-r));
}

static void busy_watcher_gone_cb(gpointer data, GObject *where)
{
	(void)where;
	*(bool *)data = true;
}

static gboolean drain_timeout_cb(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* libnm's cancelled calls still complete in the context: let them. */
static void network_shutdown(struct network *net)
{
	bool done = false, timed_out = false;
	GObject *watcher = NULL;
	GSource *timeout;

	g_cancellable_cancel(net->cancellable);
	network_join_clear(net);
	network_scan_flush(net, "The network service is stopping");
	network_scan_fini(net);
	unbind_device(net);
	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	network_timeout_clear(&net->client_retry);

	if (net->client) {
		watcher = nm_client_get_context_busy_watcher(net->client);
		g_object_weak_ref(watcher, busy_watcher_gone_cb, &done);
	} else {
		done = true;
	}
	drop_client(net);

	timeout = g_timeout_source_new(SHUTDOWN_DRAIN_MS);
	g_source_set_callback(timeout, drain_timeout_cb, &timed_out, NULL);
	g_source_attach(timeout, net->context);

	while (!done && !timed_out)
		g_main_context_iteration(net->context, TRUE);

	if (!done) {
		log_warning("NetworkManager calls still pending at stop");
		g_object_weak_unref(watcher, busy_watcher_gone_cb, &done);
	}

	g_source_destroy(timeout);
	g_source_unref(timeout);

	/* whatever else is queued (cancelled callbacks) runs now */
	while (g_main_context_iteration(net->context, FALSE))
		;
}

static int network_run(struct actor *self, void *state)
{
	struct network *net = state;
	GSource *mailbox;

	net->context = g_main_context_new();
	g_main_context_push_thread_default(net->context);
	net->loop = g_main_loop_new(net->context, FALSE);
	net->cancellable = g_cancellable_new();

	mailbox = g_unix_fd_source_new(actor_fd(self), G_IO_IN);
	g_source_set_callback(mailbox, G_SOURCE_FUNC(mailbox_cb), net, NULL);
	g_source_attach(mailbox, net->context);

	ask_state(net);
	network_connect_bus(net);
	g_main_loop_run(net->loop);

	g_source_destroy(mailbox);
	g_source_unref(mailbox);
	network_shutdown(net);

	g_clear_object(&net->cancellable);
	g_main_loop_unref(net->loop);
	g_main_context_pop_thread_default(net->context);
	g_main_context_unref(net->context);
	return net->exit_code;
}

static int network_init(struct actor *self, void **state)
{
	struct network *net;

	net = g_try_new0(struct network, 1);
	if (!net)
		return -ENOMEM;

	net->self = self;
	net->cfg = actor_config(self);
	net->reported = STATE_TABLE_INITIAL;
	net->nl_ifindex = -1;
	*state = net;
	return 0;
}

static void network_fini(struct actor *self, void *state)
{
	struct network *net = state;

	(void)self;
	if (!net)
		return;

	explicit_bzero(&net->snapshot, sizeof(net->snapshot));
	explicit_bzero(net->ap_password_up, sizeof(net->ap_password_up));
	g_free(net);
}

const struct actor_def network_actor_def = {
	.name = "network",
	.init = network_init,
	.handle = network_handle,
	.fini = network_fini,
	.run = network_run,
	.subscribe_state = true,
	.supervised = true,
};
