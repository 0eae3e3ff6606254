/* SPDX-License-Identifier: MIT */
/*
 * NetworkManager's state reasons in words: each failure a person can act
 * on has its own text naming the network, and odd SSIDs stay readable
 * and valid UTF-8 in it.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <nm-dbus-interface.h>

#include "actors/network_reason.h"

static struct msg_ssid ssid(const char *s)
{
	struct msg_ssid out = { .len = (uint8_t)strlen(s) };

	memcpy(out.bytes, s, out.len);
	return out;
}

static const char *text_for_device(uint32_t reason, const char *name)
{
	static char out[MSG_TEXT_MAX];
	struct msg_ssid s = ssid(name);

	network_reason_text(network_reason_from_device(reason), &s, out,
			    sizeof(out));
	return out;
}

Test(network_reason, device_reasons_in_words)
{
	cr_assert_str_eq(text_for_device(NM_DEVICE_STATE_REASON_NO_SECRETS,
					 "HomeNet"),
			 "Wrong password for \"HomeNet\"");
	cr_assert_str_eq(
		text_for_device(NM_DEVICE_STATE_REASON_SUPPLICANT_DISCONNECT,
				"HomeNet"),
		"Wrong password for \"HomeNet\"");
	cr_assert_str_eq(text_for_device(NM_DEVICE_STATE_REASON_SSID_NOT_FOUND,
					 "X"),
			 "Network \"X\" not found");
	cr_assert_str_eq(
		text_for_device(NM_DEVICE_STATE_REASON_SUPPLICANT_TIMEOUT, "X"),
		"\"X\" did not answer (association timed out)");
	cr_assert_str_eq(
		text_for_device(NM_DEVICE_STATE_REASON_IP_CONFIG_UNAVAILABLE,
				"X"),
		"Could not get an IP address from \"X\" (DHCP failed)");
	cr_assert_str_eq(
		text_for_device(NM_DEVICE_STATE_REASON_DHCP_FAILED, "X"),
		"Could not get an IP address from \"X\" (DHCP failed)");
	cr_assert_str_eq(text_for_device(NM_DEVICE_STATE_REASON_REMOVED, "X"),
			 "No WiFi device found");
	cr_assert_str_eq(text_for_device(NM_DEVICE_STATE_REASON_MODEM_BUSY,
					 "X"),
			 "Could not join \"X\"");
	cr_assert_eq(network_reason_from_device(
			     NM_DEVICE_STATE_REASON_USER_REQUESTED),
		     NETWORK_FAILURE_NONE);
}

Test(network_reason, active_connection_reasons)
{
	cr_assert_eq(network_reason_from_active(
			     NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS),
		     NETWORK_FAILURE_WRONG_PASSWORD);
	cr_assert_eq(network_reason_from_active(
			     NM_ACTIVE_CONNECTION_STATE_REASON_CONNECT_TIMEOUT),
		     NETWORK_FAILURE_TIMEOUT);
	cr_assert_eq(
		network_reason_from_active(
			NM_ACTIVE_CONNECTION_STATE_REASON_IP_CONFIG_INVALID),
		NETWORK_FAILURE_DHCP);
	cr_assert_eq(
		network_reason_from_active(
			NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED),
		NETWORK_FAILURE_NONE, "the device's reason says more");
}

Test(network_reason, our_own_failures)
{
	struct msg_ssid s = ssid("X");
	char out[MSG_TEXT_MAX];

	network_reason_text(NETWORK_FAILURE_TIMEOUT, &s, out, sizeof(out));
	cr_assert_str_eq(out, "Timed out joining \"X\"");
	network_reason_text(NETWORK_FAILURE_NO_DEVICE, NULL, out, sizeof(out));
	cr_assert_str_eq(out, "No WiFi device found");
	network_reason_text(NETWORK_FAILURE_NONE, &s, out, sizeof(out));
	cr_assert_str_eq(out, "");
}

Test(network_reason, odd_ssids_stay_valid_utf8)
{
	struct msg_ssid s = ssid("Caf\xc3\xa9 \xe2\x98\x95 \"q\" a:b\\c");
	char out[MSG_TEXT_MAX];

	network_reason_text(NETWORK_FAILURE_WRONG_PASSWORD, &s, out,
			    sizeof(out));
	cr_assert_str_eq(out, "Wrong password for \"Caf\xc3\xa9 \xe2\x98\x95 "
			      "\"q\" a:b\\c\"");

	s = ssid("a\xff\x01z\xe2\x98");
	network_reason_text(NETWORK_FAILURE_NOT_FOUND, &s, out, sizeof(out));
	cr_assert_str_eq(out,
			 "Network \"a\xef\xbf\xbd\xef\xbf\xbdz"
			 "\xef\xbf\xbd\xef\xbf\xbd\" not found",
			 "invalid bytes and controls become U+FFFD");
}

Test(network_reason, a_short_buffer_cuts_at_a_character)
{
	struct msg_ssid s = ssid("\xe2\x98\x95\xe2\x98\x95");
	char out[24];

	/* "Wrong password for \"" is 20 bytes, then a 3-byte character */
	cr_assert_eq(network_reason_text(NETWORK_FAILURE_WRONG_PASSWORD, &s,
					 out, 23),
		     -ENOSPC);
	cr_assert_str_eq(out, "Wrong password for \"");
	cr_assert_eq(network_reason_text(NETWORK_FAILURE_WRONG_PASSWORD, &s,
					 out, 24),
		     -ENOSPC);
	cr_assert_str_eq(out, "Wrong password for \"\xe2\x98\x95");
}
