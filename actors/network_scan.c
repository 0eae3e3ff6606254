/* SPDX-License-Identifier: MIT */
/*
 * Scan result merging and classification for the network actor. Pure:
 * see network_scan.h.
 */
#include <string.h>

#include <nm-dbus-interface.h>

#include "actors/network_scan.h"

#define KEY_MGMT_ENTERPRISE                 \
	(NM_802_11_AP_SEC_KEY_MGMT_802_1X | \
	 NM_802_11_AP_SEC_KEY_MGMT_EAP_SUITE_B_192)
#define KEY_MGMT_OWE \
	(NM_802_11_AP_SEC_KEY_MGMT_OWE | NM_802_11_AP_SEC_KEY_MGMT_OWE_TM)

enum wifi_security network_scan_security(uint32_t flags, uint32_t wpa_flags,
					 uint32_t rsn_flags)
{
	uint32_t all = wpa_flags | rsn_flags;

	if (all & KEY_MGMT_ENTERPRISE)
		return WIFI_SECURITY_ENTERPRISE;

	if (rsn_flags & NM_802_11_AP_SEC_KEY_MGMT_SAE) {
		if (all & NM_802_11_AP_SEC_KEY_MGMT_PSK)
			return WIFI_SECURITY_WPA2_WPA3;
		return WIFI_SECURITY_WPA3;
	}

	if (rsn_flags & NM_802_11_AP_SEC_KEY_MGMT_PSK)
		return WIFI_SECURITY_WPA2;

	if (wpa_flags & NM_802_11_AP_SEC_KEY_MGMT_PSK)
		return WIFI_SECURITY_WPA;

	/*
	 * OWE ("Enhanced Open") encrypts without a password: for the person
	 * picking a network it is open, and the join uses key-mgmt owe.
	 */
	if (rsn_flags & KEY_MGMT_OWE)
		return WIFI_SECURITY_OPEN;

	/* Privacy without WPA or RSN information elements is WEP. */
	if (flags & NM_802_11_AP_FLAGS_PRIVACY)
		return WIFI_SECURITY_WEP;

	return WIFI_SECURITY_OPEN;
}

enum wifi_band network_scan_band(uint32_t frequency_mhz)
{
	if (frequency_mhz >= 2400 && frequency_mhz < 2500)
		return WIFI_BAND_2GHZ;

	/* 4.9 GHz public safety and Japan's channels count as 5 GHz */
	if (frequency_mhz >= 4900 && frequency_mhz < 5925)
		return WIFI_BAND_5GHZ;

	if (frequency_mhz >= 5925 && frequency_mhz <= 7125)
		return WIFI_BAND_6GHZ;

	return WIFI_BAND_UNKNOWN;
}

uint8_t network_scan_quality_from_dbm(int dbm)
{
	int span;

	if (dbm >= -40)
		return 100;

	if (dbm <= -100)
		return 0;

	span = dbm + 100; /* 1..59 */
	return (uint8_t)((span * 100) / 60);
}

bool network_scan_ssid_hidden(const struct msg_ssid *ssid)
{
	size_t i;

	for (i = 0; i < ssid->len && i < MSG_SSID_MAX; i++) {
		if (ssid->bytes[i])
			return false;
	}

	return true;
}

static bool ssid_equal(const struct msg_ssid *a, const struct msg_ssid *b)
{
	return a->len == b->len && !memcmp(a->bytes, b->bytes, a->len);
}

static void network_from_ap(struct msg_network *net,
			    const struct network_scan_ap *ap)
{
	net->signal = ap->signal > 100 ? 100 : ap->signal;
	net->security =
		network_scan_security(ap->flags, ap->wpa_flags, ap->rsn_flags);
	net->band = network_scan_band(ap->frequency);
}

/* Index of the weakest entry, the one a stronger newcomer replaces. */
static size_t weakest_index(const struct msg_scan_result *out)
{
	size_t i, weakest = 0;

	for (i = 1; i < out->count; i++) {
		if (out->networks[i].signal <= out->networks[weakest].signal)
			weakest = i;
	}

	return weakest;
}

static int network_compare(const struct msg_network *a,
			   const struct msg_network *b)
{
	size_t len = a->ssid.len < b->ssid.len ? a->ssid.len : b->ssid.len;
	int cmp;

	if (a->signal != b->signal)
		return a->signal > b->signal ? -1 : 1;

	cmp = memcmp(a->ssid.bytes, b->ssid.bytes, len);
	if (cmp)
		return cmp;

	return (int)a->ssid.len - (int)b->ssid.len;
}

/* Insertion sort: at most MSG_NETWORKS_MAX entries, stable. */
static void networks_sort(struct msg_scan_result *out)
{
	struct msg_network key;
	size_t i, j;

	for (i = 1; i < out->count; i++) {
		key = out->networks[i];
		j = i;

		while (j > 0 &&
		       network_compare(&out->networks[j - 1], &key) > 0) {
			out->networks[j] = out->networks[j - 1];
			j--;
		}

		out->networks[j] = key;
	}
}

static void merge_one(struct msg_scan_result *out,
		      const struct network_scan_ap *ap)
{
	struct msg_network *net = NULL;
	size_t i;

	for (i = 0; i < out->count; i++) {
		if (ssid_equal(&out->networks[i].ssid, &ap->ssid)) {
			net = &out->networks[i];
			break;
		}
	}

	if (net) {
		if (ap->signal > net->signal)
			network_from_ap(net, ap);

		net->in_use = net->in_use || ap->in_use;
		return;
	}

	if (out->count < MSG_NETWORKS_MAX) {
		net = &out->networks[out->count++];
	} else {
		net = &out->networks[weakest_index(out)];
		if (net->signal >= ap->signal)
			return;
	}

	memset(net, 0, sizeof(*net));
	net->ssid = ap->ssid;
	net->in_use = ap->in_use;
	network_from_ap(net, ap);
}

void network_scan_merge(const struct network_scan_ap *aps, size_t n,
			const struct msg_ssid *own_ssid,
			struct msg_scan_result *out)
{
	size_t i;

	out->count = 0;
	memset(out->networks, 0, sizeof(out->networks));

	for (i = 0; i < n; i++) {
		const struct network_scan_ap *ap = &aps[i];

		if (ap->ssid.len > MSG_SSID_MAX ||
		    network_scan_ssid_hidden(&ap->ssid))
			continue;

		if (own_ssid && own_ssid->len &&
		    ssid_equal(own_ssid, &ap->ssid))
			continue;

		merge_one(out, ap);
	}

	networks_sort(out);
}
