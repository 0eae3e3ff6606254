/* SPDX-License-Identifier: MIT */
/*
 * The JSON of the public HTTP API and the WebSocket, built with cJSON from
 * the message structs. This file is the one place that decides field
 * names and the wording of enum values on the wire.
 *
 * Status (GET /api/status, every WebSocket message):
 *   {"state", "ssid", "ip_address", "tunnel_url", "error", "session_id",
 *    "ssid_hex"?, "device_id", "hostname", "ap_ssid", "seq", "mdns",
 *    "tunnel_provider"}
 * Empty strings are null. The AP password is never part of it.
 *
 * Networks (GET /api/networks):
 *   {"networks": [{"ssid", "ssid_hex"?, "signal", "security", "in_use",
 *    "band"}], "age_s", "fresh", "error"?}
 *
 * An SSID is raw bytes. One that is valid UTF-8 is "ssid" as it is; any
 * other is shown in "ssid" with U+FFFD for each bad byte and carried
 * exactly in "ssid_hex" (lower-case hex), which POST /api/connect accepts
 * in place of "ssid".
 *
 * Every function returns a string allocated with malloc (free() it), or
 * NULL when out of memory. Pure; any thread.
 */
#ifndef DISTILLER_WEB_API_JSON_H
#define DISTILLER_WEB_API_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "messages/msg.h"

/* 2 hex digits per byte plus the NUL */
#define API_SSID_HEX_SIZE (2 * MSG_SSID_MAX + 1)

/* Largest "ssid" text: every byte replaced by the 3-byte U+FFFD. */
#define API_SSID_TEXT_SIZE (3 * MSG_SSID_MAX + 1)

/*
 * @web_port is the port of the main listener: a page loaded through the
 * captive portal (port 80) tells the person where to find the device
 * once it has joined their network.
 */
char *api_json_status(const struct msg_state_snapshot *s, int web_port);
char *api_json_networks(const struct msg_scan_result *r);

/* {"error": text} */
char *api_json_error(const char *text);

/* {"status": status} plus "session_id" when @session_id is not NULL. */
char *api_json_result(const char *status, const char *session_id);

/* The RFC 8908 captive portal API object. */
char *api_json_captive(bool captive, const char *portal_url);

/* True when @len bytes at @s are well-formed UTF-8 (RFC 3629). */
bool api_utf8_valid(const void *s, size_t len);

/*
 * The display text of an SSID: itself when it is UTF-8, else with U+FFFD
 * for every byte that is not part of a well-formed sequence.
 */
void api_ssid_text(const struct msg_ssid *ssid, char out[API_SSID_TEXT_SIZE]);

/* Lower-case hex of the SSID's bytes. */
void api_ssid_hex(const struct msg_ssid *ssid, char out[API_SSID_HEX_SIZE]);

/*
 * Public names of enum values: "WPA2", "2.4GHz"; NULL when unknown. State
 * names are the schema's own (wifi_state_name).
 */
const char *api_security_name(enum wifi_security security);
const char *api_band_name(enum wifi_band band);

#endif
