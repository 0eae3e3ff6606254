/* SPDX-License-Identifier: MIT */
/*
 * Scan requests of the network actor (its thread only). Outside AP mode
 * NetworkManager scans: the answer goes out when the device's LastScan
 * changes, or with the older list when the scan takes too long. While the
 * access point is up NetworkManager refuses to scan, so the scan goes
 * through nl80211 directly (nl80211_scan.h); when that is impossible too,
 * the answer is the last list, marked not fresh, with its age and why.
 * The list is kept between requests with the time it was made.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <NetworkManager.h>

#include "actors/network_private.h"
#include "actors/network_scan.h"
#include "actors/nl80211_scan.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/log.h"

#define SCAN_TIMEOUT_MS 10000
#define SCAN_BEFORE_AP_TIMEOUT_MS 5000

static uint64_t cache_age_ms(const struct network *net)
{
	uint64_t now = actor_now_ms();

	if (!net->have_cache || net->cache_ms > now)
		return 0;

	return now - net->cache_ms;
}

static void answer(struct network *net, uint64_t correlation_id,
		   const char *sender, bool fresh, const char *error)
{
	struct msg request = { .type = MSG_SCAN_REQUEST };
	struct msg *result;
	int r;

	result = g_new0(struct msg, 1);
	result->type = MSG_SCAN_RESULT;
	if (net->have_cache)
		result->body.scan_result = net->cache;
	result->body.scan_result.age_ms = cache_age_ms(net);
	result->body.scan_result.fresh = fresh;
	msg_strlcpy(result->body.scan_result.error,
		    sizeof(result->body.scan_result.error), error ? error : "");

	request.correlation_id = correlation_id;
	msg_strlcpy(request.sender, sizeof(request.sender), sender);
	r = actor_reply(net->self, &request, result);
	if (r < 0)
		log_warning("Failed to answer a scan request of %s: %s, "
			    "ignoring",
			    sender, strerror(-r));
	g_free(result);
}

static void answer_waiters(struct network *net, bool fresh, const char *error)
{
	unsigned int i, n = net->n_waiters;

	net->n_waiters = 0;
	for (i = 0; i < n; i++)
		answer(net, net->waiters[i].correlation_id,
		       net->waiters[i].sender, fresh, error);
}

/* "...; showing the list from N s ago", or why there is no list. */
static void stale_text(const struct network *net, const char *why, char *out,
		       size_t size)
{
	if (!net->have_cache)
		snprintf(out, size, "%s; no earlier list to show", why);
	else
		snprintf(out, size,
			 "%s; showing the list from %" PRIu64 " s ago", why,
			 cache_age_ms(net) / 1000);
}

static bool add_waiter(struct network *net, const struct msg *m)
{
	struct network_scan_waiter *w;

	if (net->n_waiters >= NETWORK_SCAN_WAITERS)
		return false;

	w = &net->waiters[net->n_waiters++];
	w->correlation_id = m->correlation_id;
	msg_strlcpy(w->sender, sizeof(w->sender), m->sender);
	return true;
}

static void scan_ended(struct network *net, bool fresh, const char *error)
{
	network_timeout_clear(&net->scan_timeout);
	net->nm_scan_running = false;
	if (net->nl_source) {
		g_source_destroy(net->nl_source);
		g_source_unref(net->nl_source);
		net->nl_source = NULL;
	}

	answer_waiters(net, fresh, error);
	network_scan_finished(net);
}

/* ---- NetworkManager's list ---------------------------------------------- */

void network_scan_cache_from_nm(struct network *net)
{
	NMAccessPoint *active, *ap;
	const GPtrArray *aps;
	struct msg_ssid own;
	int64_t last, now_nm;
	uint64_t age = 0, now = actor_now_ms();
	const void *data;
	GBytes *ssid;
	gsize len;
	size_t n = 0;
	guint i;

	/* in AP mode NM lists only our own access point */
	if (!net->device ||
	    nm_device_wifi_get_mode(net->device) == NM_802_11_MODE_AP)
		return;

	aps = nm_device_wifi_get_access_points(net->device);
	active = nm_device_wifi_get_active_access_point(net->device);
	for (i = 0; aps && i < aps->len && n < NETWORK_APS_MAX; i++) {
		struct network_scan_ap *out = &net->aps[n];

		ap = aps->pdata[i];
		ssid = nm_access_point_get_ssid(ap);
		if (!ssid)
			continue;

		data = g_bytes_get_data(ssid, &len);
		memset(out, 0, sizeof(*out));
		if (msg_ssid_set(&out->ssid, data, len) < 0)
			continue;

		out->signal = nm_access_point_get_strength(ap);
		out->frequency = nm_access_point_get_frequency(ap);
		out->flags = nm_access_point_get_flags(ap);
		out->wpa_flags = nm_access_point_get_wpa_flags(ap);
		out->rsn_flags = nm_access_point_get_rsn_flags(ap);
		out->in_use = ap == active;
		n++;
	}

	network_own_ssid(net, &own);
	network_scan_merge(net->aps, n, &own, &net->cache);

	/* LastScan and libnm's clock are both CLOCK_BOOTTIME in ms */
	last = nm_device_wifi_get_last_scan(net->device);
	now_nm = nm_utils_get_timestamp_msec();
	if (last > 0 && last <= now_nm)
		age = (uint64_t)(now_nm - last);

	net->cache_ms = age < now ? now - age : 0;
	net->have_cache = true;
}

void network_scan_nm_done(struct network *net)
{
	int64_t last;

	if (!net->device)
		return;

	last = nm_device_wifi_get_last_scan(net->device);
	if (!net->nm_scan_running) {
		network_scan_cache_from_nm(net);
		return;
	}

	if (last == net->nm_scan_before)
		return;

	network_scan_cache_from_nm(net);
	scan_ended(net, true, "");
}

static gboolean scan_timeout_cb(gpointer data)
{
	struct network *net = data;
	char text[MSG_TEXT_MAX];

	network_timeout_clear(&net->scan_timeout);
	stale_text(net, "The scan did not finish in time", text, sizeof(text));
	scan_ended(net, false, text);
	return G_SOURCE_REMOVE;
}

static void nm_scan_requested_cb(GObject *source, GAsyncResult *result,
				 gpointer data)
{
	struct network *net = data;
	char text[MSG_TEXT_MAX];
	GError *error = NULL;

	if (nm_device_wifi_request_scan_finish(NM_DEVICE_WIFI(source), result,
					       &error))
		return;

	if (!network_cancelled(error) && net->nm_scan_running) {
		log_debug("NetworkManager refused to scan: %s", error->message);
		stale_text(net, "Scanning is not possible right now", text,
			   sizeof(text));
		scan_ended(net, false, text);
	}

	g_error_free(error);
}

static void nm_scan_start(struct network *net, unsigned int timeout_ms)
{
	if (net->nm_scan_running)
		return;

	net->nm_scan_running = true;
	net->nm_scan_before = nm_device_wifi_get_last_scan(net->device);
	net->scan_timeout =
		network_timeout_new(net, timeout_ms, scan_timeout_cb);
	nm_device_wifi_request_scan_async(net->device, net->cancellable,
					  nm_scan_requested_cb, net);
}

void network_scan_before_ap(struct network *net)
{
	NMDeviceState state = nm_device_get_state(NM_DEVICE(net->device));

	if (nm_device_wifi_get_mode(net->device) == NM_802_11_MODE_AP ||
	    state < NM_DEVICE_STATE_DISCONNECTED) {
		network_scan_finished(net);
		return;
	}

	/* a scan already running ends in network_scan_finished() too */
	nm_scan_start(net, SCAN_BEFORE_AP_TIMEOUT_MS);
}

/* ---- nl80211 while the access point is up ------------------------------- */

static int nl_ready(struct network *net)
{
	const char *iface = nm_device_get_iface(NM_DEVICE(net->device));
	unsigned int index = iface ? if_nametoindex(iface) : 0;
	int r;

	if (!index)
		return -ENODEV;

	net->nl_ifindex = (int)index;
	if (net->nl)
		return 0;

	r = nl80211_open(&net->nl);
	return r;
}

int network_ap_stations(struct network *net, unsigned int *count)
{
	int r;

	*count = 0;
	if (!net->device)
		return -ENODEV;

	r = nl_ready(net);
	if (r < 0)
		return r;

	return nl80211_count_stations(net->nl, net->nl_ifindex, count);
}

static gboolean nl_event_cb(gint fd, GIOCondition condition, gpointer data)
{
	struct network *net = data;
	struct msg_ssid own;
	char text[MSG_TEXT_MAX];
	size_t n = 0;
	int r;

	(void)fd;
	(void)condition;
	r = nl80211_read_scan_event(net->nl, net->nl_ifindex);
	if (r == 0)
		return G_SOURCE_CONTINUE;

	if (r == 1)
		r = nl80211_get_scan(net->nl, net->nl_ifindex, net->aps,
				     NETWORK_APS_MAX, &n);

	if (r < 0) {
		log_debug("nl80211 scan ended: %s", strerror(-r));
		stale_text(net, "The scan failed", text, sizeof(text));
		scan_ended(net, false, text);
		return G_SOURCE_REMOVE;
	}

	network_own_ssid(net, &own);
	network_scan_merge(net->aps, n, &own, &net->cache);
	net->cache_ms = actor_now_ms();
	net->have_cache = true;
	scan_ended(net, true, "");
	return G_SOURCE_REMOVE;
}

static int nl_scan_start(struct network *net)
{
	int r;

	if (net->nl_source)
		return 0;

	r = nl_ready(net);
	if (!r)
		r = nl80211_trigger_scan(net->nl, net->nl_ifindex, true);

	/* one already running ends with the same event */
	if (r < 0 && r != -EBUSY)
		return r;

	net->nl_source =
		g_unix_fd_source_new(nl80211_event_fd(net->nl), G_IO_IN);
	g_source_set_callback(net->nl_source, G_SOURCE_FUNC(nl_event_cb), net,
			      NULL);
	g_source_attach(net->nl_source, net->context);
	net->scan_timeout =
		network_timeout_new(net, SCAN_TIMEOUT_MS, scan_timeout_cb);
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

void network_scan_request(struct network *net, const struct msg *m,
			  bool ap_mode)
{
	char text[MSG_TEXT_MAX];
	int r;

	if (!net->device) {
		answer(net, m->correlation_id, m->sender, false,
		       network_nm_ready(net) ? "No WiFi device found" :
					       "NetworkManager is not running");
		return;
	}

	if (!ap_mode)
		network_scan_cache_from_nm(net);

	if (!m->body.scan_request.fresh) {
		answer(net, m->correlation_id, m->sender, false, "");
		return;
	}

	if (!add_waiter(net, m)) {
		stale_text(net, "Too many scans are waiting", text,
			   sizeof(text));
		answer(net, m->correlation_id, m->sender, false, text);
		return;
	}

	if (!ap_mode) {
		nm_scan_start(net, SCAN_TIMEOUT_MS);
		return;
	}

	r = nl_scan_start(net);
	if (!r)
		return;

	if (!net->nl_warned)
		log_warning("Failed to scan through nl80211: %s; answering "
			    "with the last list",
			    strerror(-r));
	else
		log_debug("Failed to scan through nl80211: %s", strerror(-r));
	net->nl_warned = true;

	stale_text(net,
		   "Scanning is not possible while the access point is "
		   "up",
		   text, sizeof(text));
	answer_waiters(net, false, text);
}

void network_scan_flush(struct network *net, const char *error)
{
	network_timeout_clear(&net->scan_timeout);
	net->nm_scan_running = false;
	if (net->nl_source) {
		g_source_destroy(net->nl_source);
		g_source_unref(net->nl_source);
		net->nl_source = NULL;
	}

	answer_waiters(net, false, error);
}

void network_scan_fini(struct network *net)
{
	network_scan_flush(net, "The network service is stopping");
	nl80211_free(net->nl);
	net->nl = NULL;
}
