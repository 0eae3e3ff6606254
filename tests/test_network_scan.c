/* SPDX-License-Identifier: MIT */
/*
 * Scan merging and classification, alone: security from the AP flags
 * (WPA3 SAE, OWE, 802.1X, WEP, mixed modes), bands from frequencies,
 * signal from dBm, one entry per SSID with the strongest kept, hidden
 * and own SSIDs left out, byte-exact SSIDs, the list's bound.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <nm-dbus-interface.h>

#include "actors/network_scan.h"

#define PSK NM_802_11_AP_SEC_KEY_MGMT_PSK
#define SAE NM_802_11_AP_SEC_KEY_MGMT_SAE
#define EAP NM_802_11_AP_SEC_KEY_MGMT_802_1X
#define CCMP (NM_802_11_AP_SEC_PAIR_CCMP | NM_802_11_AP_SEC_GROUP_CCMP)
#define PRIVACY NM_802_11_AP_FLAGS_PRIVACY

Test(network_scan, classifies_security)
{
	cr_assert_eq(network_scan_security(0, 0, 0), WIFI_SECURITY_OPEN);
	cr_assert_eq(network_scan_security(PRIVACY, 0, 0), WIFI_SECURITY_WEP);
	cr_assert_eq(network_scan_security(PRIVACY, PSK, 0), WIFI_SECURITY_WPA);
	cr_assert_eq(network_scan_security(PRIVACY, PSK, PSK | CCMP),
		     WIFI_SECURITY_WPA2, "WPA/WPA2 mixed shows as WPA2");
	cr_assert_eq(network_scan_security(PRIVACY, 0, SAE | CCMP),
		     WIFI_SECURITY_WPA3);
	cr_assert_eq(network_scan_security(PRIVACY, 0, SAE | PSK | CCMP),
		     WIFI_SECURITY_WPA2_WPA3);
	cr_assert_eq(network_scan_security(PRIVACY, 0, EAP | CCMP),
		     WIFI_SECURITY_ENTERPRISE);
	cr_assert_eq(network_scan_security(PRIVACY, EAP, 0),
		     WIFI_SECURITY_ENTERPRISE);
	cr_assert_eq(network_scan_security(
			     PRIVACY, 0,
			     NM_802_11_AP_SEC_KEY_MGMT_EAP_SUITE_B_192),
		     WIFI_SECURITY_ENTERPRISE);
	cr_assert_eq(network_scan_security(
			     PRIVACY, 0, NM_802_11_AP_SEC_KEY_MGMT_OWE | CCMP),
		     WIFI_SECURITY_OPEN, "OWE asks for no password");
}

Test(network_scan, bands_from_frequency)
{
	cr_assert_eq(network_scan_band(2412), WIFI_BAND_2GHZ);
	cr_assert_eq(network_scan_band(2484), WIFI_BAND_2GHZ);
	cr_assert_eq(network_scan_band(5180), WIFI_BAND_5GHZ);
	cr_assert_eq(network_scan_band(5885), WIFI_BAND_5GHZ);
	cr_assert_eq(network_scan_band(5955), WIFI_BAND_6GHZ);
	cr_assert_eq(network_scan_band(7115), WIFI_BAND_6GHZ);
	cr_assert_eq(network_scan_band(0), WIFI_BAND_UNKNOWN);
	cr_assert_eq(network_scan_band(60480), WIFI_BAND_UNKNOWN);
}

Test(network_scan, signal_quality_from_dbm)
{
	cr_assert_eq(network_scan_quality_from_dbm(-30), 100);
	cr_assert_eq(network_scan_quality_from_dbm(-40), 100);
	cr_assert_eq(network_scan_quality_from_dbm(-70), 50);
	cr_assert_eq(network_scan_quality_from_dbm(-100), 0);
	cr_assert_eq(network_scan_quality_from_dbm(-120), 0);
}

static struct network_scan_ap ap(const char *ssid, size_t len, uint8_t signal,
				 uint32_t freq, uint32_t rsn)
{
	struct network_scan_ap a = { .signal = signal, .frequency = freq };

	a.ssid.len = (uint8_t)len;
	memcpy(a.ssid.bytes, ssid, len);
	a.rsn_flags = rsn;
	a.flags = rsn ? PRIVACY : 0;
	return a;
}

Test(network_scan, merges_by_ssid_keeping_the_strongest)
{
	struct network_scan_ap aps[] = {
		ap("Home", 4, 40, 2412, PSK),
		ap("Cafe", 4, 60, 2437, 0),
		ap("Home", 4, 80, 5180, SAE | PSK),
		ap("Home", 4, 20, 2462, PSK),
	};
	struct msg_scan_result r;

	aps[3].in_use = true;
	network_scan_merge(aps, 4, NULL, &r);
	cr_assert_eq(r.count, 2);
	cr_assert_eq(memcmp(r.networks[0].ssid.bytes, "Home", 4), 0,
		     "strongest first");
	cr_assert_eq(r.networks[0].signal, 80);
	cr_assert_eq(r.networks[0].band, WIFI_BAND_5GHZ);
	cr_assert_eq(r.networks[0].security, WIFI_SECURITY_WPA2_WPA3);
	cr_assert(r.networks[0].in_use, "in use through any of its BSSes");
	cr_assert_eq(r.networks[1].signal, 60);
	cr_assert_eq(r.networks[1].security, WIFI_SECURITY_OPEN);
	cr_assert(!r.networks[1].in_use);
}

Test(network_scan, leaves_out_hidden_and_own_ssids)
{
	struct network_scan_ap aps[] = {
		ap("", 0, 90, 2412, PSK),
		ap("\0\0\0\0", 4, 90, 2412, PSK),
		ap("Distiller-A1B2", 14, 100, 2437, PSK),
		ap("Distiller-A1B3", 14, 30, 2437, PSK),
	};
	struct msg_ssid own = { .len = 14 };
	struct msg_scan_result r;

	memcpy(own.bytes, "Distiller-A1B2", 14);
	network_scan_merge(aps, 4, &own, &r);
	cr_assert_eq(r.count, 1, "only the neighbour's device is listed");
	cr_assert_eq(memcmp(r.networks[0].ssid.bytes, "Distiller-A1B3", 14), 0);
}

Test(network_scan, ssids_are_bytes)
{
	static const char odd[] = "a:b\\\"c\xf0\x9f\x98\x80\xff";
	struct network_scan_ap aps[] = {
		ap(odd, sizeof(odd) - 1, 50, 2412, PSK),
		ap("a:b", 3, 55, 2412, PSK),
	};
	struct msg_scan_result r;

	network_scan_merge(aps, 2, NULL, &r);
	cr_assert_eq(r.count, 2, "a prefix is another network");
	cr_assert_eq(r.networks[1].ssid.len, sizeof(odd) - 1);
	cr_assert_eq(memcmp(r.networks[1].ssid.bytes, odd, sizeof(odd) - 1), 0);
}

Test(network_scan, keeps_the_strongest_when_over_the_bound)
{
	struct network_scan_ap aps[MSG_NETWORKS_MAX + 10];
	struct msg_scan_result r;
	char name[16];
	size_t i;

	for (i = 0; i < MSG_NETWORKS_MAX + 10; i++) {
		snprintf(name, sizeof(name), "net%zu", i);
		aps[i] = ap(name, strlen(name), (uint8_t)(i % 100), 2412, 0);
	}

	network_scan_merge(aps, MSG_NETWORKS_MAX + 10, NULL, &r);
	cr_assert_eq(r.count, MSG_NETWORKS_MAX);
	for (i = 1; i < r.count; i++)
		cr_assert_geq(r.networks[i - 1].signal, r.networks[i].signal);
	cr_assert_geq(r.networks[r.count - 1].signal, 9,
		      "the weakest ten were dropped");
}
