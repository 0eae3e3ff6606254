/* SPDX-License-Identifier: MIT */
/*
 * The JSON of the public API: status and network list shapes, null for
 * empty fields, SSIDs that are not UTF-8, no AP password anywhere, and the
 * helpers it rests on (UTF-8 check, UUIDs, the token bucket, the embedded
 * assets and their ETags).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "web/api_json.h"
#include "web/assets.h"
#include "web/ratelimit.h"
#include "web/uuid.h"

static cJSON *parse(char *text)
{
	cJSON *root;

	cr_assert_not_null(text);
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "not JSON: %s", text);
	free(text);
	return root;
}

static const char *str(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	cr_assert_not_null(item, "missing %s", key);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool is_null(const cJSON *obj, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static struct msg_state_snapshot connected_snapshot(void)
{
	struct msg_state_snapshot s = { .state = WIFI_STATE_CONNECTED };

	msg_ssid_set(&s.ssid, "Home", 4);
	strcpy(s.ip_address, "10.0.0.7");
	strcpy(s.tunnel_url, "https://a1b2.devices.pamir.ai");
	strcpy(s.session_id, "6f1c2e4a-8d1b-4c3e-9a7f-0b1c2d3e4f50");
	strcpy(s.device_id, "a1b2");
	strcpy(s.ap_ssid, "Distiller-A1B2");
	strcpy(s.ap_password, "secret-pass-123");
	strcpy(s.access_code, "135790");
	strcpy(s.tunnel_provider, "frp");
	s.seq = 42;
	s.mdns_available = true;
	return s;
}

Test(api_json, status_has_the_public_fields)
{
	struct msg_state_snapshot s = connected_snapshot();
	cJSON *root = parse(api_json_status(&s, 8080));

	cr_assert_str_eq(str(root, "state"), "CONNECTED");
	cr_assert_str_eq(str(root, "ssid"), "Home");
	cr_assert_str_eq(str(root, "ip_address"), "10.0.0.7");
	cr_assert_str_eq(str(root, "tunnel_url"),
			 "https://a1b2.devices.pamir.ai");
	cr_assert(is_null(root, "error"));
	cr_assert_str_eq(str(root, "session_id"),
			 "6f1c2e4a-8d1b-4c3e-9a7f-0b1c2d3e4f50");
	cr_assert_str_eq(str(root, "device_id"), "a1b2");
	cr_assert_str_eq(str(root, "hostname"), "distiller-a1b2");
	cr_assert_str_eq(str(root, "ap_ssid"), "Distiller-A1B2");
	cr_assert_str_eq(str(root, "tunnel_provider"), "frp");
	cr_assert_eq(cJSON_GetObjectItem(root, "seq")->valuedouble, 42);
	cr_assert_eq(cJSON_GetObjectItem(root, "web_port")->valuedouble, 8080);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "mdns")));
	cr_assert_null(cJSON_GetObjectItem(root, "ssid_hex"));
	cJSON_Delete(root);
}

Test(api_json, status_never_carries_the_ap_password_or_access_code)
{
	struct msg_state_snapshot s = connected_snapshot();
	char *text = api_json_status(&s, 8080);
	cJSON *root;

	cr_assert_not_null(text);
	cr_assert_null(strstr(text, "secret-pass-123"));
	cr_assert_null(strstr(text, "password"));
	cr_assert_null(strstr(text, "135790"));
	cr_assert_null(strstr(text, "access_code"));
	root = parse(text);
	cr_assert_null(cJSON_GetObjectItem(root, "ap_password"));
	cr_assert_null(cJSON_GetObjectItem(root, "access_code"));
	cJSON_Delete(root);

	/* in every state, empty or not */
	for (int st = 0; st < WIFI_STATE_COUNT; st++) {
		s.state = (enum wifi_state)st;
		text = api_json_status(&s, 8080);
		cr_assert_not_null(text);
		cr_assert_null(strstr(text, "135790"), "%s", text);
		cr_assert_null(strstr(text, "secret-pass-123"), "%s", text);
		free(text);
	}
}

Test(api_json, empty_fields_are_null)
{
	struct msg_state_snapshot s = { .state = WIFI_STATE_AP_MODE };
	cJSON *root = parse(api_json_status(&s, 8080));

	cr_assert_str_eq(str(root, "state"), "AP_MODE");
	cr_assert(is_null(root, "ssid"));
	cr_assert(is_null(root, "ip_address"));
	cr_assert(is_null(root, "tunnel_url"));
	cr_assert(is_null(root, "session_id"));
	cr_assert(is_null(root, "hostname"));
	cr_assert(is_null(root, "tunnel_provider"));
	cJSON_Delete(root);
}

Test(api_json, failed_state_keeps_its_error)
{
	struct msg_state_snapshot s = { .state = WIFI_STATE_FAILED };
	cJSON *root;

	strcpy(s.error, "Wrong password");
	root = parse(api_json_status(&s, 8080));
	cr_assert_str_eq(str(root, "state"), "FAILED");
	cr_assert_str_eq(str(root, "error"), "Wrong password");
	cJSON_Delete(root);
}

Test(api_json, non_utf8_ssid_is_replaced_and_carried_as_hex)
{
	struct msg_state_snapshot s = { .state = WIFI_STATE_CONNECTING };
	cJSON *root;

	msg_ssid_set(&s.ssid, "caf\xe9\xff", 5);
	root = parse(api_json_status(&s, 8080));
	cr_assert_str_eq(str(root, "ssid"), "caf\xef\xbf\xbd\xef\xbf\xbd");
	cr_assert_str_eq(str(root, "ssid_hex"), "636166e9ff");
	cJSON_Delete(root);
}

Test(api_json, ssid_with_nul_byte_gets_hex)
{
	struct msg_ssid ssid;
	char text[API_SSID_TEXT_SIZE];
	char hex[API_SSID_HEX_SIZE];

	msg_ssid_set(&ssid, "a\0b", 3);
	api_ssid_text(&ssid, text);
	api_ssid_hex(&ssid, hex);
	cr_assert_str_eq(text, "a\xef\xbf\xbd"
			       "b");
	cr_assert_str_eq(hex, "610062");
}

Test(api_json, utf8_validation_follows_rfc3629)
{
	cr_assert(api_utf8_valid("plain", 5));
	cr_assert(api_utf8_valid("caf\xc3\xa9", 5));
	cr_assert(api_utf8_valid("\xf0\x9f\x93\xb6", 4));
	cr_assert_not(api_utf8_valid("\xc0\xaf", 2), "overlong");
	cr_assert_not(api_utf8_valid("\xed\xa0\x80", 3), "surrogate");
	cr_assert_not(api_utf8_valid("\xf4\x90\x80\x80", 4), "> U+10FFFF");
	cr_assert_not(api_utf8_valid("\xe2\x82", 2), "truncated");
	cr_assert_not(api_utf8_valid("\x80", 1), "lone continuation");
}

Test(api_json, networks_list_with_age_and_band)
{
	struct msg_scan_result r = { .count = 2,
				     .age_ms = 12500,
				     .fresh = true };
	const cJSON *list, *n0, *n1;
	cJSON *root;

	msg_ssid_set(&r.networks[0].ssid, "Home", 4);
	r.networks[0].signal = 80;
	r.networks[0].security = WIFI_SECURITY_WPA2;
	r.networks[0].band = WIFI_BAND_5GHZ;
	r.networks[0].in_use = true;
	msg_ssid_set(&r.networks[1].ssid, "Cafe", 4);
	r.networks[1].signal = 30;
	r.networks[1].security = WIFI_SECURITY_OPEN;

	root = parse(api_json_networks(&r));
	list = cJSON_GetObjectItem(root, "networks");
	cr_assert_eq(cJSON_GetArraySize(list), 2);
	n0 = cJSON_GetArrayItem(list, 0);
	n1 = cJSON_GetArrayItem(list, 1);
	cr_assert_str_eq(str(n0, "ssid"), "Home");
	cr_assert_eq(cJSON_GetObjectItem(n0, "signal")->valueint, 80);
	cr_assert_str_eq(str(n0, "security"), "WPA2");
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(n0, "in_use")));
	cr_assert_str_eq(str(n0, "band"), "5GHz");
	cr_assert_str_eq(str(n1, "security"), "Open");
	cr_assert(is_null(n1, "band"));
	cr_assert_eq(cJSON_GetObjectItem(root, "age_s")->valueint, 12);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "fresh")));
	cr_assert_null(cJSON_GetObjectItem(root, "error"));
	cJSON_Delete(root);
}

Test(api_json, networks_error_is_reported)
{
	struct msg_scan_result r = { .count = 0 };
	cJSON *root;

	strcpy(r.error, "No WiFi device");
	root = parse(api_json_networks(&r));
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "networks")),
		     0);
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(root, "fresh")));
	cr_assert_str_eq(str(root, "error"), "No WiFi device");
	cJSON_Delete(root);
}

Test(api_json, every_security_has_a_name)
{
	for (int i = WIFI_SECURITY_OPEN; i <= WIFI_SECURITY_ENTERPRISE; i++)
		cr_assert_not_null(api_security_name((enum wifi_security)i));
}

Test(api_json, error_result_and_captive_objects)
{
	cJSON *root = parse(api_json_error("Say \"no\""));

	cr_assert_str_eq(str(root, "error"), "Say \"no\"");
	cJSON_Delete(root);

	root = parse(api_json_result("connecting", "abc"));
	cr_assert_str_eq(str(root, "status"), "connecting");
	cr_assert_str_eq(str(root, "session_id"), "abc");
	cJSON_Delete(root);

	root = parse(api_json_result("disconnecting", NULL));
	cr_assert_null(cJSON_GetObjectItem(root, "session_id"));
	cJSON_Delete(root);

	root = parse(api_json_captive(true, "http://192.168.4.1/"));
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "captive")));
	cr_assert_str_eq(str(root, "user-portal-url"), "http://192.168.4.1/");
	cJSON_Delete(root);
}

Test(uuid, v4_has_version_and_variant_and_differs)
{
	char a[UUID_STR_SIZE], b[UUID_STR_SIZE];

	cr_assert_eq(uuid_v4(a), 0);
	cr_assert_eq(uuid_v4(b), 0);
	cr_assert(uuid_is_valid(a));
	cr_assert_eq(a[14], '4');
	cr_assert(strchr("89ab", a[19]) != NULL);
	cr_assert_str_neq(a, b);
	cr_assert_not(uuid_is_valid("not-a-uuid"));
}

Test(ratelimit, burst_then_one_per_period)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 3, 1000, 5000);
	cr_assert(ratelimit_take(&rl, 5000));
	cr_assert(ratelimit_take(&rl, 5000));
	cr_assert(ratelimit_take(&rl, 5001));
	cr_assert_not(ratelimit_take(&rl, 5002));
	cr_assert_eq(ratelimit_wait_ms(&rl, 5500), 500);
	cr_assert_not(ratelimit_take(&rl, 5999));
	cr_assert(ratelimit_take(&rl, 6000));
	cr_assert_not(ratelimit_take(&rl, 6000));
	/* a long pause refills only up to the burst */
	for (int i = 0; i < 3; i++)
		cr_assert(ratelimit_take(&rl, 60000));
	cr_assert_not(ratelimit_take(&rl, 60000));
}

Test(ratelimit, partial_periods_are_not_lost)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 2, 1000, 0);
	cr_assert(ratelimit_take(&rl, 0));
	cr_assert(ratelimit_take(&rl, 0));
	cr_assert_not(ratelimit_take(&rl, 500));
	cr_assert(ratelimit_take(&rl, 1500), "one period passed");
	cr_assert_not(ratelimit_take(&rl, 1999));
	cr_assert(ratelimit_take(&rl, 2000), "the 500 ms left over count");
}

Test(ratelimit, a_full_bucket_does_not_bank_time)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 1, 1000, 0);
	cr_assert(ratelimit_take(&rl, 1500));
	cr_assert_not(ratelimit_take(&rl, 2499));
	cr_assert(ratelimit_take(&rl, 2500));
}

Test(assets, index_is_served_for_root_with_a_quoted_etag)
{
	const struct web_asset *a = web_asset_find("/");

	cr_assert_not_null(a, "assets/index.html must be embedded");
	cr_assert_str_eq(a->path, "/index.html");
	cr_assert_str_eq(a->content_type, "text/html; charset=utf-8");
	cr_assert_gt(a->len, 0);
	cr_assert_eq(a->data[a->len], 0, "terminated for safety");
	cr_assert_eq(a->etag[0], '"');
	cr_assert_eq(a->etag[strlen(a->etag) - 1], '"');
	cr_assert_null(web_asset_find("/missing.html"));
	cr_assert_null(web_asset_find("index.html"));
}

Test(assets, every_file_has_a_known_content_type)
{
	for (size_t i = 0; i < web_assets_count; i++)
		cr_assert_str_neq(web_assets[i].content_type,
				  "application/octet-stream", "%s",
				  web_assets[i].path);
}

Test(assets, if_none_match_forms)
{
	cr_assert(web_asset_etag_matches("\"abc\"", "\"abc\""));
	cr_assert(web_asset_etag_matches("W/\"abc\"", "\"abc\""));
	cr_assert(web_asset_etag_matches("\"x\", \"abc\"", "\"abc\""));
	cr_assert(web_asset_etag_matches("*", "\"abc\""));
	cr_assert_not(web_asset_etag_matches("\"abcd\"", "\"abc\""));
	cr_assert_not(web_asset_etag_matches("", "\"abc\""));
	cr_assert_not(web_asset_etag_matches(NULL, "\"abc\""));
}
