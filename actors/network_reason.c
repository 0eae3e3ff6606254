/* SPDX-License-Identifier: MIT */
/*
 * NetworkManager state reasons to human text for the network actor. Pure:
 * see network_reason.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nm-dbus-interface.h>

#include "actors/network_reason.h"

/* The longest SSID in display form: 32 bytes, each possibly U+FFFD. */
#define SSID_TEXT_MAX (MSG_SSID_MAX * 3 + 1)

enum network_failure network_reason_from_device(uint32_t reason)
{
	switch (reason) {
	case NM_DEVICE_STATE_REASON_NONE:
	case NM_DEVICE_STATE_REASON_NOW_MANAGED:
	case NM_DEVICE_STATE_REASON_USER_REQUESTED:
	case NM_DEVICE_STATE_REASON_CONNECTION_ASSUMED:
	case NM_DEVICE_STATE_REASON_SUPPLICANT_AVAILABLE:
	case NM_DEVICE_STATE_REASON_NEW_ACTIVATION:
		return NETWORK_FAILURE_NONE;
	case NM_DEVICE_STATE_REASON_NO_SECRETS:
	case NM_DEVICE_STATE_REASON_SUPPLICANT_DISCONNECT:
		/*
		 * The 4-way handshake failed: NetworkManager asks for new
		 * secrets, and without an agent that ends as no-secrets.
		 */
		return NETWORK_FAILURE_WRONG_PASSWORD;
	case NM_DEVICE_STATE_REASON_SSID_NOT_FOUND:
		return NETWORK_FAILURE_NOT_FOUND;
	case NM_DEVICE_STATE_REASON_SUPPLICANT_TIMEOUT:
		return NETWORK_FAILURE_ASSOC_TIMEOUT;
	case NM_DEVICE_STATE_REASON_IP_CONFIG_UNAVAILABLE:
	case NM_DEVICE_STATE_REASON_IP_CONFIG_EXPIRED:
	case NM_DEVICE_STATE_REASON_DHCP_START_FAILED:
	case NM_DEVICE_STATE_REASON_DHCP_ERROR:
	case NM_DEVICE_STATE_REASON_DHCP_FAILED:
		return NETWORK_FAILURE_DHCP;
	case NM_DEVICE_STATE_REASON_NOW_UNMANAGED:
	case NM_DEVICE_STATE_REASON_REMOVED:
	case NM_DEVICE_STATE_REASON_FIRMWARE_MISSING:
		return NETWORK_FAILURE_NO_DEVICE;
	}

	return NETWORK_FAILURE_OTHER;
}

enum network_failure network_reason_from_active(uint32_t reason)
{
	switch (reason) {
	case NM_ACTIVE_CONNECTION_STATE_REASON_UNKNOWN:
	case NM_ACTIVE_CONNECTION_STATE_REASON_NONE:
	case NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_DISCONNECTED:
	case NM_ACTIVE_CONNECTION_STATE_REASON_USER_DISCONNECTED:
		return NETWORK_FAILURE_NONE;
	case NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS:
	case NM_ACTIVE_CONNECTION_STATE_REASON_LOGIN_FAILED:
		return NETWORK_FAILURE_WRONG_PASSWORD;
	case NM_ACTIVE_CONNECTION_STATE_REASON_IP_CONFIG_INVALID:
		return NETWORK_FAILURE_DHCP;
	case NM_ACTIVE_CONNECTION_STATE_REASON_CONNECT_TIMEOUT:
		return NETWORK_FAILURE_TIMEOUT;
	case NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REMOVED:
	case NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REALIZE_FAILED:
		return NETWORK_FAILURE_NO_DEVICE;
	case NM_ACTIVE_CONNECTION_STATE_REASON_SERVICE_STOPPED:
		return NETWORK_FAILURE_NM_RESTARTED;
	}

	return NETWORK_FAILURE_OTHER;
}

/*
 * Length of the valid UTF-8 sequence at @p (at most @len bytes), or 0
 * when it is not one: overlong forms, surrogates and values above
 * U+10FFFF are invalid (RFC 3629).
 */
static size_t utf8_sequence(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}

	if (n > len)
		return 0;

	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;

		cp = cp << 6 | (p[i] & 0x3f);
	}

	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;

	return n;
}

int network_reason_ssid_text(const struct msg_ssid *ssid, char *out,
			     size_t size)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	size_t len = ssid->len > MSG_SSID_MAX ? MSG_SSID_MAX : ssid->len;
	size_t i = 0, o = 0, n;
	const uint8_t *p = ssid->bytes;
	const char *piece;

	if (!size)
		return -ENOSPC;

	while (i < len) {
		n = utf8_sequence(p + i, len - i);
		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			piece = replacement;
			n = n ? n : 1;
			if (o + 3 >= size)
				goto cut;

			memcpy(out + o, piece, 3);
			o += 3;
		} else {
			if (o + n >= size)
				goto cut;

			memcpy(out + o, p + i, n);
			o += n;
		}

		i += n;
	}

	out[o] = '\0';
	return 0;

cut:
	out[o] = '\0';
	return -ENOSPC;
}

/* Cuts a UTF-8 sequence that snprintf() left incomplete at the end. */
static void trim_partial_utf8(char *text)
{
	size_t end = strlen(text), start = end;
	size_t need;
	uint8_t lead;

	while (start > 0 && ((uint8_t)text[start - 1] & 0xc0) == 0x80)
		start--;

	if (start == 0 || (uint8_t)text[start - 1] < 0xc0)
		return;

	lead = (uint8_t)text[start - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (end - (start - 1) < need)
		text[start - 1] = '\0';
}

int network_reason_text(enum network_failure failure,
			const struct msg_ssid *ssid, char *out, size_t size)
{
	char name[SSID_TEXT_MAX];
	int n = 0;

	if (!size)
		return -ENOSPC;

	name[0] = '\0';
	if (ssid)
		network_reason_ssid_text(ssid, name, sizeof(name));

	switch (failure) {
	case NETWORK_FAILURE_NONE:
		out[0] = '\0';
		return 0;
	case NETWORK_FAILURE_WRONG_PASSWORD:
		n = snprintf(out, size, "Wrong password for \"%s\"", name);
		break;
	case NETWORK_FAILURE_NOT_FOUND:
		n = snprintf(out, size, "Network \"%s\" not found", name);
		break;
	case NETWORK_FAILURE_ASSOC_TIMEOUT:
		n = snprintf(out, size,
			     "\"%s\" did not answer (association timed out)",
			     name);
		break;
	case NETWORK_FAILURE_DHCP:
		n = snprintf(
			out, size,
			"Could not get an IP address from \"%s\" (DHCP failed)",
			name);
		break;
	case NETWORK_FAILURE_NO_DEVICE:
		n = snprintf(out, size, "No WiFi device found");
		break;
	case NETWORK_FAILURE_TIMEOUT:
		n = snprintf(out, size, "Timed out joining \"%s\"", name);
		break;
	case NETWORK_FAILURE_NM_RESTARTED:
		n = snprintf(out, size,
			     "NetworkManager restarted while joining \"%s\"",
			     name);
		break;
	case NETWORK_FAILURE_AP_FAILED:
		n = snprintf(out, size,
			     "Could not start the access point \"%s\"", name);
		break;
	case NETWORK_FAILURE_OTHER:
		n = snprintf(out, size, "Could not join \"%s\"", name);
		break;
	}

	if (n < 0 || (size_t)n >= size) {
		trim_partial_utf8(out);
		return -ENOSPC;
	}

	return 0;
}
