/* SPDX-License-Identifier: MIT */
/*
 * Scan results, from NetworkManager's access point objects or from an
 * nl80211 dump, turned into the list the page shows: one entry per SSID
 * (the strongest access point wins), signal 0-100, a security class from
 * the beacon's privacy bit and WPA/RSN capabilities, and the band from
 * the frequency. Pure code: no I/O, no allocation, any thread.
 *
 * Security flags use NetworkManager's NM80211ApFlags and
 * NM80211ApSecurityFlags values so both sources feed the same functions.
 */
#ifndef DISTILLER_ACTORS_NETWORK_SCAN_H
#define DISTILLER_ACTORS_NETWORK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages/msg.h"

/* One access point (BSS) as seen by a scan. */
struct network_scan_ap {
	struct msg_ssid ssid;
	uint8_t signal;	    /* 0..100 */
	uint32_t frequency; /* MHz, 0 when unknown */
	uint32_t flags;	    /* NM80211ApFlags: PRIVACY */
	uint32_t wpa_flags; /* NM80211ApSecurityFlags of the WPA IE */
	uint32_t rsn_flags; /* NM80211ApSecurityFlags of the RSN IE */
	bool in_use;	    /* the device is associated with it */
};

/* Classifies an access point's security from its three flag words. */
enum wifi_security network_scan_security(uint32_t flags, uint32_t wpa_flags,
					 uint32_t rsn_flags);

/* 2.4, 5 or 6 GHz from a channel's centre frequency in MHz. */
enum wifi_band network_scan_band(uint32_t frequency_mhz);

/*
 * Signal quality 0-100 from a level in dBm, the way NetworkManager maps
 * it: -40 dBm or better is 100, -100 dBm or worse is 0, linear between.
 */
uint8_t network_scan_quality_from_dbm(int dbm);

/*
 * True for an SSID a person cannot pick from a list: empty, or all zero
 * bytes (how hidden networks show up in beacons).
 */
bool network_scan_ssid_hidden(const struct msg_ssid *ssid);

/*
 * Merges @n access points into @out: one entry per SSID keeping the
 * strongest access point's signal, security and band (in_use if any of
 * them is in use), leaving out hidden SSIDs and @own_ssid (our access
 * point, may be NULL), sorted by signal, strongest first, at most
 * MSG_NETWORKS_MAX entries. Sets count and networks only; age_ms, fresh
 * and error are left for the caller.
 */
void network_scan_merge(const struct network_scan_ap *aps, size_t n,
			const struct msg_ssid *own_ssid,
			struct msg_scan_result *out);

#endif
