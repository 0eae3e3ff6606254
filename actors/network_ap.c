/* SPDX-License-Identifier: MIT */
/*
 * Connection profiles for NetworkManager and the access point's leases.
 * See network_ap.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <NetworkManager.h>

#include "actors/network_ap.h"
#include "actors/network_reason.h"

#define LEASE_FILE_MAX (256 * 1024)
#define AP_PREFIX_LEN 24

enum network_key_mgmt network_key_mgmt_for(uint32_t flags, uint32_t wpa_flags,
					   uint32_t rsn_flags,
					   bool have_password)
{
	uint32_t all = wpa_flags | rsn_flags;

	(void)flags;

	if (!have_password)
		return rsn_flags & NM_802_11_AP_SEC_KEY_MGMT_OWE ?
			       NETWORK_KEY_MGMT_OWE :
			       NETWORK_KEY_MGMT_NONE;

	/* a WPA3-only network refuses PSK; a mixed one takes either */
	if ((rsn_flags & NM_802_11_AP_SEC_KEY_MGMT_SAE) &&
	    !(all & NM_802_11_AP_SEC_KEY_MGMT_PSK))
		return NETWORK_KEY_MGMT_SAE;

	return NETWORK_KEY_MGMT_WPA_PSK;
}

static NMSettingConnection *
connection_setting_new(const char *id, gboolean autoconnect, const char *iface)
{
	NMSettingConnection *s_con;
	char *uuid = nm_utils_uuid_generate();

	s_con = NM_SETTING_CONNECTION(nm_setting_connection_new());
	g_object_set(s_con, NM_SETTING_CONNECTION_ID, id,
		     NM_SETTING_CONNECTION_UUID, uuid,
		     NM_SETTING_CONNECTION_TYPE,
		     NM_SETTING_WIRELESS_SETTING_NAME,
		     NM_SETTING_CONNECTION_AUTOCONNECT, autoconnect,
		     NM_SETTING_CONNECTION_INTERFACE_NAME, iface, NULL);
	g_free(uuid);
	return s_con;
}

static NMSettingIPConfig *ap_ip4_setting_new(const char *ap_ip, GError **error)
{
	NMSettingIPConfig *s_ip4;
	NMIPAddress *address;

	address = nm_ip_address_new(AF_INET, ap_ip, AP_PREFIX_LEN, error);
	if (!address)
		return NULL;

	s_ip4 = NM_SETTING_IP_CONFIG(nm_setting_ip4_config_new());
	g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD,
		     NM_SETTING_IP4_CONFIG_METHOD_SHARED, NULL);
	nm_setting_ip_config_add_address(s_ip4, address);
	nm_ip_address_unref(address);
	return s_ip4;
}

static NMConnection *profile_finish(NMConnection *connection, GError **error)
{
	if (!nm_connection_verify(connection, error)) {
		g_object_unref(connection);
		return NULL;
	}

	return connection;
}

NMConnection *network_ap_profile_new(const char *ssid, const char *password,
				     const char *ap_ip, int channel,
				     const char *iface, GError **error)
{
	NMConnection *connection;
	NMSettingWireless *s_wifi;
	NMSettingWirelessSecurity *s_sec;
	NMSettingIPConfig *s_ip4, *s_ip6;
	GBytes *ssid_bytes;

	s_ip4 = ap_ip4_setting_new(ap_ip, error);
	if (!s_ip4)
		return NULL;

	connection = nm_simple_connection_new();
	nm_connection_add_setting(
		connection, NM_SETTING(connection_setting_new(NETWORK_AP_ID,
							      FALSE, iface)));

	ssid_bytes = g_bytes_new(ssid, strlen(ssid));
	s_wifi = NM_SETTING_WIRELESS(nm_setting_wireless_new());
	g_object_set(s_wifi, NM_SETTING_WIRELESS_SSID, ssid_bytes,
		     NM_SETTING_WIRELESS_MODE, NM_SETTING_WIRELESS_MODE_AP,
		     NM_SETTING_WIRELESS_BAND, "bg",
		     NM_SETTING_WIRELESS_CHANNEL, (guint)channel, NULL);
	g_bytes_unref(ssid_bytes);
	nm_connection_add_setting(connection, NM_SETTING(s_wifi));

	s_sec = NM_SETTING_WIRELESS_SECURITY(
		nm_setting_wireless_security_new());
	g_object_set(s_sec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT, "wpa-psk",
		     NM_SETTING_WIRELESS_SECURITY_PSK, password, NULL);
	nm_setting_wireless_security_add_proto(s_sec, "rsn");
	nm_setting_wireless_security_add_pairwise(s_sec, "ccmp");
	nm_setting_wireless_security_add_group(s_sec, "ccmp");
	nm_connection_add_setting(connection, NM_SETTING(s_sec));

	nm_connection_add_setting(connection, NM_SETTING(s_ip4));

	s_ip6 = NM_SETTING_IP_CONFIG(nm_setting_ip6_config_new());
	g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD,
		     NM_SETTING_IP6_CONFIG_METHOD_DISABLED, NULL);
	nm_connection_add_setting(connection, NM_SETTING(s_ip6));

	return profile_finish(connection, error);
}

static const char *key_mgmt_name(enum network_key_mgmt key_mgmt)
{
	switch (key_mgmt) {
	case NETWORK_KEY_MGMT_NONE:
		return NULL;
	case NETWORK_KEY_MGMT_OWE:
		return "owe";
	case NETWORK_KEY_MGMT_WPA_PSK:
		return "wpa-psk";
	case NETWORK_KEY_MGMT_SAE:
		return "sae";
	}

	return NULL;
}

NMConnection *network_client_profile_new(const struct msg_ssid *ssid,
					 const char *password, bool hidden,
					 enum network_key_mgmt key_mgmt,
					 GError **error)
{
	char id[MSG_SSID_MAX * 3 + 1];
	NMConnection *connection;
	NMSettingWireless *s_wifi;
	NMSettingWirelessSecurity *s_sec;
	NMSettingIPConfig *s_ip4, *s_ip6;
	const char *key_mgmt_text = key_mgmt_name(key_mgmt);
	GBytes *ssid_bytes;

	/* the profile's name is for people: valid UTF-8 whatever the SSID */
	network_reason_ssid_text(ssid, id, sizeof(id));

	connection = nm_simple_connection_new();
	nm_connection_add_setting(
		connection, NM_SETTING(connection_setting_new(id, TRUE, NULL)));

	ssid_bytes = g_bytes_new(ssid->bytes, ssid->len);
	s_wifi = NM_SETTING_WIRELESS(nm_setting_wireless_new());
	g_object_set(s_wifi, NM_SETTING_WIRELESS_SSID, ssid_bytes,
		     NM_SETTING_WIRELESS_MODE, NM_SETTING_WIRELESS_MODE_INFRA,
		     NM_SETTING_WIRELESS_HIDDEN, (gboolean)hidden, NULL);
	g_bytes_unref(ssid_bytes);
	nm_connection_add_setting(connection, NM_SETTING(s_wifi));

	if (key_mgmt_text) {
		s_sec = NM_SETTING_WIRELESS_SECURITY(
			nm_setting_wireless_security_new());
		g_object_set(s_sec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT,
			     key_mgmt_text, NULL);
		if (key_mgmt == NETWORK_KEY_MGMT_WPA_PSK ||
		    key_mgmt == NETWORK_KEY_MGMT_SAE)
			g_object_set(s_sec, NM_SETTING_WIRELESS_SECURITY_PSK,
				     password, NULL);
		nm_connection_add_setting(connection, NM_SETTING(s_sec));
	}

	s_ip4 = NM_SETTING_IP_CONFIG(nm_setting_ip4_config_new());
	g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD,
		     NM_SETTING_IP4_CONFIG_METHOD_AUTO, NULL);
	nm_connection_add_setting(connection, NM_SETTING(s_ip4));

	s_ip6 = NM_SETTING_IP_CONFIG(nm_setting_ip6_config_new());
	g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD,
		     NM_SETTING_IP6_CONFIG_METHOD_AUTO, NULL);
	nm_connection_add_setting(connection, NM_SETTING(s_ip6));

	return profile_finish(connection, error);
}

bool network_profile_is_ap(NMConnection *connection)
{
	NMSettingWireless *s_wifi;
	const char *id = nm_connection_get_id(connection);

	s_wifi = nm_connection_get_setting_wireless(connection);
	return id && !strcmp(id, NETWORK_AP_ID) && s_wifi &&
	       !g_strcmp0(nm_setting_wireless_get_mode(s_wifi),
			  NM_SETTING_WIRELESS_MODE_AP);
}

bool network_profile_is_client(NMConnection *connection)
{
	NMSettingWireless *s_wifi;
	const char *mode;

	s_wifi = nm_connection_get_setting_wireless(connection);
	if (!s_wifi)
		return false;

	mode = nm_setting_wireless_get_mode(s_wifi);
	return !mode || !strcmp(mode, NM_SETTING_WIRELESS_MODE_INFRA);
}

bool network_profile_ssid(NMConnection *connection, struct msg_ssid *out)
{
	NMSettingWireless *s_wifi;
	GBytes *bytes;
	const void *data;
	gsize len;

	memset(out, 0, sizeof(*out));
	s_wifi = nm_connection_get_setting_wireless(connection);
	if (!s_wifi)
		return false;

	bytes = nm_setting_wireless_get_ssid(s_wifi);
	if (!bytes)
		return false;

	data = g_bytes_get_data(bytes, &len);
	return msg_ssid_set(out, data, len) == 0;
}

unsigned int network_leases_count(const char *text, int64_t now)
{
	char line[256], mac[64], ip[64];
	unsigned int count = 0;
	long long expiry;
	size_t len;

	while (*text) {
		len = strcspn(text, "\n");
		if (len < sizeof(line)) {
			memcpy(line, text, len);
			line[len] = '\0';

			if (sscanf(line, "%lld %63s %63s", &expiry, mac, ip) ==
				    3 &&
			    (expiry == 0 || expiry > now))
				count++;
		}

		text += len;
		if (*text)
			text++;
	}

	return count;
}

int network_leases_read(const char *dir, const char *iface, int64_t now)
{
	char path[PATH_MAX];
	char *text;
	ssize_t n = 0;
	size_t len = 0;
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/dnsmasq-%s.leases", dir, iface) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;

	text = malloc(LEASE_FILE_MAX + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}

	while (len < LEASE_FILE_MAX) {
		n = read(fd, text + len, LEASE_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}

	r = n < 0 ? -errno : 0;
	close(fd);
	text[len] = '\0';

	if (!r)
		r = (int)network_leases_count(text, now);

	free(text);
	return r;
}
