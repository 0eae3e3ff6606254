/* SPDX-License-Identifier: MIT */
/*
 * The access point's pieces alone: the captive portal drop-in (its text,
 * its atomic replacement, its removal), DHCP lease counting, the key
 * management a join needs, and the profiles handed to NetworkManager.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <NetworkManager.h>

#include "actors/dnsmasq_dropin.h"
#include "actors/network_ap.h"

Test(dnsmasq_dropin, renders_dns_and_the_portal_option)
{
	char text[512];

	cr_assert_eq(dnsmasq_dropin_render("192.168.4.1", text, sizeof(text)),
		     0);
	cr_assert(strstr(text, "\naddress=/#/192.168.4.1\n"));
	cr_assert(strstr(text, "\ndhcp-option=114,\"http://192.168.4.1"
			       "/captive-portal/api\"\n"));
	cr_assert_eq(dnsmasq_dropin_render("192.168.4.1; rm -rf /", text,
					   sizeof(text)),
		     -EINVAL);
	cr_assert_eq(dnsmasq_dropin_render("fe80::1", text, sizeof(text)),
		     -EINVAL);
	cr_assert_eq(dnsmasq_dropin_render("192.168.4.1", text, 20), -ENOSPC);
}

Test(dnsmasq_dropin, is_written_atomically_and_removed)
{
	char dir[] = "/tmp/distiller-dropin-XXXXXX";
	char path[256], text[512], cmd[300];
	struct stat st;
	FILE *f;
	size_t n;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" DNSMASQ_DROPIN_NAME, dir);

	cr_assert_eq(dnsmasq_dropin_write(dir, "10.1.2.3"), 0);
	cr_assert_eq(dnsmasq_dropin_write(dir, "192.168.4.1"), 0,
		     "an older drop-in is replaced");
	f = fopen(path, "r");
	cr_assert(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_assert(strstr(text, "address=/#/192.168.4.1\n"));
	cr_assert_null(strstr(text, "10.1.2.3"));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);

	cr_assert_eq(dnsmasq_dropin_remove(dir), 0);
	cr_assert_neq(access(path, F_OK), 0);
	cr_assert_eq(dnsmasq_dropin_remove(dir), 0, "already gone is fine");
	cr_assert_eq(dnsmasq_dropin_write("/nonexistent/dir", "192.168.4.1"),
		     -ENOENT);

	snprintf(cmd, sizeof(cmd), "rmdir '%s'", dir);
	cr_assert_eq(system(cmd), 0, "nothing else was left behind");
}

Test(network_leases, counts_the_leases_still_valid)
{
	const char *text = "1700000100 02:11:22:33:44:55 192.168.4.23 phone *\n"
			   "1699999000 02:11:22:33:44:56 192.168.4.24 old *\n"
			   "0 02:11:22:33:44:57 192.168.4.25 forever 01:02\n"
			   "garbage line\n"
			   "\n"
			   "1700000200 02:11:22:33:44:58";

	cr_assert_eq(network_leases_count(text, 1700000000), 2);
	cr_assert_eq(network_leases_count("", 1700000000), 0);
}

Test(network_leases, reads_the_interface_file)
{
	char dir[] = "/tmp/distiller-leases-XXXXXX", path[256];
	FILE *f;

	cr_assert(mkdtemp(dir));
	cr_assert_eq(network_leases_read(dir, "wlan0", 1700000000), 0,
		     "no file is no lease");
	snprintf(path, sizeof(path), "%s/dnsmasq-wlan0.leases", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("1700000100 02:11:22:33:44:55 192.168.4.23 phone *\n", f);
	fclose(f);
	cr_assert_eq(network_leases_read(dir, "wlan0", 1700000000), 1);
	unlink(path);
	rmdir(dir);
}

Test(network_key_mgmt, from_the_access_point)
{
	uint32_t sae = NM_802_11_AP_SEC_KEY_MGMT_SAE;
	uint32_t psk = NM_802_11_AP_SEC_KEY_MGMT_PSK;
	uint32_t owe = NM_802_11_AP_SEC_KEY_MGMT_OWE;

	cr_assert_eq(network_key_mgmt_for(0, 0, 0, false),
		     NETWORK_KEY_MGMT_NONE);
	cr_assert_eq(network_key_mgmt_for(1, 0, owe, false),
		     NETWORK_KEY_MGMT_OWE);
	cr_assert_eq(network_key_mgmt_for(1, 0, psk, true),
		     NETWORK_KEY_MGMT_WPA_PSK);
	cr_assert_eq(network_key_mgmt_for(1, 0, sae, true),
		     NETWORK_KEY_MGMT_SAE, "WPA3-only takes SAE");
	cr_assert_eq(network_key_mgmt_for(1, 0, sae | psk, true),
		     NETWORK_KEY_MGMT_WPA_PSK, "a mixed network takes PSK");
	cr_assert_eq(network_key_mgmt_for(0, 0, 0, true),
		     NETWORK_KEY_MGMT_WPA_PSK, "unseen (hidden) networks");
}

Test(network_profiles, hotspot_profile)
{
	NMConnection *c;
	NMSettingWireless *w;
	NMSettingWirelessSecurity *sec;
	NMSettingIPConfig *ip4;
	GError *error = NULL;

	c = network_ap_profile_new("Distiller-A1B2", "apsecret-1234",
				   "192.168.4.1", 11, "wlan0", &error);
	cr_assert(c, "%s", error ? error->message : "");
	cr_assert(network_profile_is_ap(c));
	cr_assert(!network_profile_is_client(c));
	w = nm_connection_get_setting_wireless(c);
	cr_assert_eq(nm_setting_wireless_get_channel(w), 11);
	cr_assert_str_eq(nm_setting_wireless_get_band(w), "bg");
	sec = nm_connection_get_setting_wireless_security(c);
	cr_assert_str_eq(nm_setting_wireless_security_get_key_mgmt(sec),
			 "wpa-psk");
	cr_assert_eq(nm_setting_wireless_security_get_num_protos(sec), 1);
	ip4 = nm_connection_get_setting_ip4_config(c);
	cr_assert_str_eq(nm_setting_ip_config_get_method(ip4), "shared");
	cr_assert_eq(nm_setting_ip_config_get_num_addresses(ip4), 1);
	cr_assert_eq(nm_ip_address_get_prefix(
			     nm_setting_ip_config_get_address(ip4, 0)),
		     24);
	g_object_unref(c);

	c = network_ap_profile_new("X", "apsecret-1234", "not-an-ip", 6, NULL,
				   &error);
	cr_assert_null(c);
	cr_assert(error);
	g_clear_error(&error);
}

Test(network_profiles, client_profiles)
{
	struct msg_ssid ssid = { .len = 5 }, back;
	NMSettingWirelessSecurity *sec;
	NMConnection *c;
	GError *error = NULL;

	memcpy(ssid.bytes, "A\xff:\"b", 5);
	c = network_client_profile_new(&ssid, "correct-horse", true,
				       NETWORK_KEY_MGMT_SAE, &error);
	cr_assert(c, "%s", error ? error->message : "");
	cr_assert(network_profile_is_client(c));
	cr_assert(nm_setting_wireless_get_hidden(
		nm_connection_get_setting_wireless(c)));
	cr_assert(network_profile_ssid(c, &back));
	cr_assert_eq(back.len, 5);
	cr_assert_eq(memcmp(back.bytes, ssid.bytes, 5), 0);
	cr_assert(g_utf8_validate(nm_connection_get_id(c), -1, NULL),
		  "the profile's name is valid UTF-8");
	sec = nm_connection_get_setting_wireless_security(c);
	cr_assert_str_eq(nm_setting_wireless_security_get_key_mgmt(sec), "sae");
	cr_assert_str_eq(nm_setting_wireless_security_get_psk(sec),
			 "correct-horse");
	cr_assert(nm_setting_connection_get_autoconnect(
		nm_connection_get_setting_connection(c)));
	g_object_unref(c);

	c = network_client_profile_new(&ssid, "", false, NETWORK_KEY_MGMT_NONE,
				       &error);
	cr_assert(c);
	cr_assert_null(nm_connection_get_setting_wireless_security(c),
		       "an open network has no security setting");
	g_object_unref(c);
}
