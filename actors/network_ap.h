/* SPDX-License-Identifier: MIT */
/*
 * NetworkManager connection profiles the network actor hands over (the
 * access point's hotspot profile and the saved client profile of a
 * network the user picked), and the access point's DHCP leases. Building
 * a profile only makes libnm objects: nothing is sent. Any thread; the
 * lease helpers read a file and block on it briefly.
 */
#ifndef DISTILLER_ACTORS_NETWORK_AP_H
#define DISTILLER_ACTORS_NETWORK_AP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <NetworkManager.h>

#include "messages/msg.h"

/* The id of the hotspot profile; how the actor recognises its own AP. */
#define NETWORK_AP_ID "distiller-ap"

/* Where NetworkManager's shared dnsmasq keeps its leases by default. */
#define NETWORK_LEASE_DIR_DEFAULT "/var/lib/NetworkManager"

enum network_key_mgmt {
	NETWORK_KEY_MGMT_NONE,	  /* open */
	NETWORK_KEY_MGMT_OWE,	  /* enhanced open */
	NETWORK_KEY_MGMT_WPA_PSK, /* WPA/WPA2 personal, WPA2/WPA3 mixed */
	NETWORK_KEY_MGMT_SAE,	  /* WPA3 personal only */
};

/*
 * The key management a client profile needs for an access point with
 * these flags (NM80211Ap*Flags; all 0 when the network was not seen, as
 * for a hidden one) and a password or none. Pure.
 */
enum network_key_mgmt network_key_mgmt_for(uint32_t flags, uint32_t wpa_flags,
					   uint32_t rsn_flags,
					   bool have_password);

/*
 * The in-memory hotspot profile: SSID @ssid, WPA2-PSK (RSN, CCMP) with
 * @password, 2.4 GHz channel @channel, IPv4 shared at @ap_ip/24, IPv6
 * disabled, no autoconnect, bound to @iface (may be NULL). Returns a new
 * connection (g_object_unref) or NULL with @error set.
 */
NMConnection *network_ap_profile_new(const char *ssid, const char *password,
				     const char *ap_ip, int channel,
				     const char *iface, GError **error);

/*
 * A saved client profile for @ssid: autoconnect on, hidden when @hidden
 * (the SSID is probed for explicitly), @key_mgmt with @password as the
 * PSK (ignored for NONE and OWE). Returns a new connection or NULL with
 * @error set.
 */
NMConnection *network_client_profile_new(const struct msg_ssid *ssid,
					 const char *password, bool hidden,
					 enum network_key_mgmt key_mgmt,
					 GError **error);

/* True for our hotspot profile (by id and AP mode). */
bool network_profile_is_ap(NMConnection *connection);

/* True for a WiFi client (infrastructure) profile. */
bool network_profile_is_client(NMConnection *connection);

/* Copies a profile's SSID into @out; false when it has none. */
bool network_profile_ssid(NMConnection *connection, struct msg_ssid *out);

/*
 * Counts the leases in a dnsmasq lease file's text that are still valid
 * at @now (seconds since the epoch): lines "<expiry> <mac> <ip> ...",
 * expiry 0 meaning infinite. Malformed lines are skipped. Pure.
 */
unsigned int network_leases_count(const char *text, int64_t now);

/*
 * Reads @dir/dnsmasq-@iface.leases and counts its valid leases. Returns
 * the count, 0 when there is no file, or -errno.
 */
int network_leases_read(const char *dir, const char *iface, int64_t now);

#endif
