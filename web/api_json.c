/* SPDX-License-Identifier: MIT */
/*
 * JSON of the public API (see api_json.h for the shapes).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "web/api_json.h"

const char *api_security_name(enum wifi_security security)
{
	switch (security) {
	case WIFI_SECURITY_OPEN:
		return "Open";
	case WIFI_SECURITY_WEP:
		return "WEP";
	case WIFI_SECURITY_WPA:
		return "WPA";
	case WIFI_SECURITY_WPA2:
		return "WPA2";
	case WIFI_SECURITY_WPA3:
		return "WPA3";
	case WIFI_SECURITY_WPA2_WPA3:
		return "WPA2/WPA3";
	case WIFI_SECURITY_ENTERPRISE:
		return "Enterprise";
	}

	return NULL;
}

const char *api_band_name(enum wifi_band band)
{
	switch (band) {
	case WIFI_BAND_UNKNOWN:
		return NULL;
	case WIFI_BAND_2GHZ:
		return "2.4GHz";
	case WIFI_BAND_5GHZ:
		return "5GHz";
	case WIFI_BAND_6GHZ:
		return "6GHz";
	}

	return NULL;
}

/*
 * Length of the well-formed UTF-8 sequence at @s (at most @len bytes), or
 * 0 when it is not one: Table 3-7 of the Unicode standard, so overlong
 * forms, surrogates and code points above U+10FFFF are refused.
 */
static size_t utf8_sequence_len(const uint8_t *s, size_t len)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}

	if (n > len)
		return 0;

	if (s[1] < lo || s[1] > hi)
		return 0;

	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}

	return n;
}

bool api_utf8_valid(const void *s, size_t len)
{
	const uint8_t *p = s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_sequence_len(p + i, len - i);

		if (!n)
			return false;

		i += n;
	}

	return true;
}

void api_ssid_text(const struct msg_ssid *ssid, char out[API_SSID_TEXT_SIZE])
{
	size_t len = ssid->len > MSG_SSID_MAX ? MSG_SSID_MAX : ssid->len;
	size_t i = 0, o = 0;

	while (i < len) {
		size_t n = utf8_sequence_len(ssid->bytes + i, len - i);

		/* A NUL cannot travel in a C string: replace it as well. */
		if (!n || ssid->bytes[i] == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}

		memcpy(out + o, ssid->bytes + i, n);
		o += n;
		i += n;
	}

	out[o] = '\0';
}

void api_ssid_hex(const struct msg_ssid *ssid, char out[API_SSID_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	size_t len = ssid->len > MSG_SSID_MAX ? MSG_SSID_MAX : ssid->len;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[ssid->bytes[i] >> 4];
		out[2 * i + 1] = digits[ssid->bytes[i] & 0x0f];
	}

	out[2 * len] = '\0';
}

static bool ssid_is_plain(const struct msg_ssid *ssid)
{
	size_t len = ssid->len > MSG_SSID_MAX ? MSG_SSID_MAX : ssid->len;

	return api_utf8_valid(ssid->bytes, len) && !memchr(ssid->bytes, 0, len);
}

/* Adds @key as a string, or as null when @value is NULL or empty. */
static bool add_text(cJSON *obj, const char *key, const char *value)
{
	if (!value || !value[0])
		return cJSON_AddNullToObject(obj, key) != NULL;

	return cJSON_AddStringToObject(obj, key, value) != NULL;
}

/* Adds "ssid" (null when empty) and, for a non-UTF-8 SSID, "ssid_hex". */
static bool add_ssid(cJSON *obj, const struct msg_ssid *ssid)
{
	char text[API_SSID_TEXT_SIZE];
	char hex[API_SSID_HEX_SIZE];

	if (!ssid->len)
		return cJSON_AddNullToObject(obj, "ssid") != NULL;

	api_ssid_text(ssid, text);
	if (!cJSON_AddStringToObject(obj, "ssid", text))
		return false;

	if (ssid_is_plain(ssid))
		return true;

	api_ssid_hex(ssid, hex);
	return cJSON_AddStringToObject(obj, "ssid_hex", hex) != NULL;
}

/* Prints and frees @obj; NULL when either step fails. */
static char *print_and_free(cJSON *obj, bool ok)
{
	char *text = NULL;

	if (ok)
		text = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	return text;
}

/* Bounded copy of a fixed-size field that may lack its NUL. */
static void field_copy(char *dst, size_t dst_size, const char *src,
		       size_t src_size)
{
	size_t n = strnlen(src, src_size);

	if (n >= dst_size)
		n = dst_size - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Fields are picked one by one, never copied wholesale: ap_password and
 * access_code must stay out, because anyone on the AP, the local network
 * or the tunnel may read the status, and those two are for the panel.
 */
char *api_json_status(const struct msg_state_snapshot *s, int web_port)
{
	char hostname[32] = "";
	char device_id[sizeof(s->device_id) + 1];
	char buf[MSG_URL_MAX + 1];
	cJSON *obj = cJSON_CreateObject();
	bool ok = obj != NULL;

	if (!obj)
		return NULL;

	field_copy(device_id, sizeof(device_id), s->device_id,
		   sizeof(s->device_id));
	if (device_id[0])
		snprintf(hostname, sizeof(hostname), "distiller-%s", device_id);

	ok = ok && add_text(obj, "state", wifi_state_name(s->state));
	ok = ok && add_ssid(obj, &s->ssid);
	field_copy(buf, sizeof(buf), s->ip_address, sizeof(s->ip_address));
	ok = ok && add_text(obj, "ip_address", buf);
	field_copy(buf, sizeof(buf), s->tunnel_url, sizeof(s->tunnel_url));
	ok = ok && add_text(obj, "tunnel_url", buf);
	field_copy(buf, sizeof(buf), s->error, sizeof(s->error));
	ok = ok && add_text(obj, "error", buf);
	field_copy(buf, sizeof(buf), s->session_id, sizeof(s->session_id));
	ok = ok && add_text(obj, "session_id", buf);
	ok = ok && add_text(obj, "device_id", device_id);
	ok = ok && add_text(obj, "hostname", hostname);
	field_copy(buf, sizeof(buf), s->ap_ssid, sizeof(s->ap_ssid));
	ok = ok && add_text(obj, "ap_ssid", buf);
	ok = ok && cJSON_AddNumberToObject(obj, "seq", (double)s->seq);
	ok = ok && cJSON_AddBoolToObject(obj, "mdns", s->mdns_available);
	field_copy(buf, sizeof(buf), s->tunnel_provider,
		   sizeof(s->tunnel_provider));
	ok = ok && add_text(obj, "tunnel_provider", buf);
	ok = ok && cJSON_AddNumberToObject(obj, "web_port", web_port);

	return print_and_free(obj, ok);
}

static bool add_network(cJSON *list, const struct msg_network *n)
{
	cJSON *item = cJSON_CreateObject();
	bool ok;

	if (!item || !cJSON_AddItemToArray(list, item)) {
		cJSON_Delete(item);
		return false;
	}

	ok = add_ssid(item, &n->ssid);
	ok = ok && cJSON_AddNumberToObject(item, "signal",
					   n->signal > 100 ? 100 : n->signal);
	ok = ok && add_text(item, "security", api_security_name(n->security));
	ok = ok && cJSON_AddBoolToObject(item, "in_use", n->in_use);
	ok = ok && add_text(item, "band", api_band_name(n->band));
	return ok;
}

char *api_json_networks(const struct msg_scan_result *r)
{
	char error[MSG_TEXT_MAX + 1];
	cJSON *obj = cJSON_CreateObject();
	cJSON *list;
	uint32_t i, count;
	bool ok;

	if (!obj)
		return NULL;

	list = cJSON_AddArrayToObject(obj, "networks");
	ok = list != NULL;
	count = r->count > MSG_NETWORKS_MAX ? MSG_NETWORKS_MAX : r->count;
	for (i = 0; ok && i < count; i++)
		ok = add_network(list, &r->networks[i]);

	ok = ok &&
	     cJSON_AddNumberToObject(obj, "age_s", (double)(r->age_ms / 1000));
	ok = ok && cJSON_AddBoolToObject(obj, "fresh", r->fresh);
	field_copy(error, sizeof(error), r->error, sizeof(r->error));
	if (error[0])
		ok = ok && cJSON_AddStringToObject(obj, "error", error);

	return print_and_free(obj, ok);
}

char *api_json_error(const char *text)
{
	cJSON *obj = cJSON_CreateObject();

	if (!obj)
		return NULL;

	return print_and_free(obj, cJSON_AddStringToObject(obj, "error",
							   text) != NULL);
}

char *api_json_result(const char *status, const char *session_id)
{
	cJSON *obj = cJSON_CreateObject();
	bool ok;

	if (!obj)
		return NULL;

	ok = cJSON_AddStringToObject(obj, "status", status) != NULL;
	if (session_id)
		ok = ok &&
		     cJSON_AddStringToObject(obj, "session_id", session_id);

	return print_and_free(obj, ok);
}

char *api_json_captive(bool captive, const char *portal_url)
{
	cJSON *obj = cJSON_CreateObject();
	bool ok;

	if (!obj)
		return NULL;

	ok = cJSON_AddBoolToObject(obj, "captive", captive) != NULL;
	ok = ok && cJSON_AddStringToObject(obj, "user-portal-url", portal_url);
	return print_and_free(obj, ok);
}
