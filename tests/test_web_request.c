/* SPDX-License-Identifier: MIT */
/*
 * Validation of connect and disconnect bodies: what is accepted, and the
 * sentence given for each refusal.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "web/request.h"

static int connect_body(const char *body, struct request_connect *out,
			char err[REQUEST_ERROR_MAX])
{
	return request_parse_connect(body, strlen(body), out, err);
}

static void assert_refused(const char *body, const char *reason)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body(body, &req, err), -EINVAL, "%s", body);
	cr_assert_str_eq(err, reason, "%s", body);
	cr_assert_eq(req.ssid.len, 0);
}

Test(request, wpa_network_is_accepted)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body("{\"ssid\":\"Home\",\"password\":"
				  "\"correct horse\"}",
				  &req, err),
		     0, "%s", err);
	cr_assert_eq(req.ssid.len, 4);
	cr_assert_eq(memcmp(req.ssid.bytes, "Home", 4), 0);
	cr_assert_str_eq(req.password, "correct horse");
	cr_assert_not(req.hidden);
	cr_assert_str_eq(req.access_code, "");
}

Test(request, open_network_takes_absent_null_or_empty_password)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body("{\"ssid\":\"Cafe\"}", &req, err), 0);
	cr_assert_str_eq(req.password, "");
	cr_assert_eq(connect_body("{\"ssid\":\"Cafe\",\"password\":null}", &req,
				  err),
		     0);
	cr_assert_eq(connect_body("{\"ssid\":\"Cafe\",\"password\":\"\"}", &req,
				  err),
		     0);
	cr_assert_str_eq(req.password, "");
}

Test(request, hidden_and_access_code_are_read)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body("{\"ssid\":\"Lab\",\"password\":\"12345678\","
				  "\"hidden\":true,\"access_code\":\"123456\","
				  "\"extra\":[1,2]}",
				  &req, err),
		     0, "%s", err);
	cr_assert(req.hidden);
	cr_assert_str_eq(req.access_code, "123456");
}

Test(request, password_bounds)
{
	char pw64[65];

	cr_assert(request_password_valid("12345678"));
	cr_assert(request_password_valid(
		"123456789012345678901234567890123456789012345678901234567890123"));
	cr_assert(request_password_valid(" ~!@#$%^&*()"));
	cr_assert_not(request_password_valid("1234567"));
	memset(pw64, 'a', 64);
	pw64[64] = '\0';
	cr_assert(request_password_valid(pw64), "64 hex digits is a PSK");
	pw64[10] = 'g';
	cr_assert_not(request_password_valid(pw64), "64 non-hex");
	cr_assert_not(request_password_valid("caf\xc3\xa9 caf\xc3\xa9"));
	cr_assert_not(request_password_valid("tab\there1"));
}

Test(request, ssid_bounds)
{
	assert_refused("{\"ssid\":\"\"}",
		       "Network name (SSID) must be 1 to 32 bytes");
	assert_refused("{\"ssid\":\"123456789012345678901234567890123\"}",
		       "Network name (SSID) must be 1 to 32 bytes");
	/* 11 three-byte characters: 11 characters but 33 bytes */
	assert_refused("{\"ssid\":\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		       "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2"
		       "\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"}",
		       "Network name (SSID) must be 1 to 32 bytes");
}

Test(request, refusals_say_why)
{
	assert_refused("{\"ssid\":", "Request body is not valid JSON");
	assert_refused("", "Request body is not valid JSON");
	assert_refused("[\"Home\"]", "Request body must be a JSON object");
	assert_refused("{}", "ssid is required");
	assert_refused("{\"ssid\":42}", "ssid must be a string");
	assert_refused("{\"ssid\":\"Home\",\"password\":12345678}",
		       "password must be a string");
	assert_refused("{\"ssid\":\"Home\",\"password\":\"short\"}",
		       "Password must be 8 to 63 printable ASCII characters "
		       "or 64 hexadecimal digits");
	assert_refused("{\"ssid\":\"Home\",\"hidden\":\"yes\"}",
		       "hidden must be true or false");
	assert_refused("{\"ssid\":\"Home\",\"ssid\":\"Other\"}",
		       "Field \"ssid\" is given twice");
	assert_refused("{\"ssid\":\"a\\u0000b\"}",
		       "Request body is not valid JSON text");
	assert_refused("{\"ssid\":\"caf\xe9\"}",
		       "Request body is not valid JSON text");
	assert_refused("{\"ssid\":\"Home\",\"access_code\":123}",
		       "access_code must be a short string");
}

Test(request, escaped_backslash_before_u0000_is_text)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body("{\"ssid\":\"a\\\\u0000\"}", &req, err), 0,
		     "%s", err);
	cr_assert_eq(req.ssid.len, 7);
	cr_assert_eq(memcmp(req.ssid.bytes, "a\\u0000", 7), 0);
}

Test(request, ssid_hex_round_trips_raw_bytes)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(connect_body("{\"ssid_hex\":\"636166E9ff00\"}", &req, err),
		     0, "%s", err);
	cr_assert_eq(req.ssid.len, 6);
	cr_assert_eq(memcmp(req.ssid.bytes, "caf\xe9\xff\x00", 6), 0);
	assert_refused("{\"ssid_hex\":\"abc\"}",
		       "ssid_hex must be 2 to 64 hexadecimal digits");
	assert_refused("{\"ssid_hex\":\"zz\"}",
		       "ssid_hex must be 2 to 64 hexadecimal digits");
	assert_refused("{\"ssid_hex\":\"\"}",
		       "ssid_hex must be 2 to 64 hexadecimal digits");
	assert_refused("{\"ssid\":\"a\",\"ssid_hex\":\"61\"}",
		       "Give either ssid or ssid_hex, not both");
}

Test(request, body_with_raw_nul_is_refused)
{
	struct request_connect req;
	char err[REQUEST_ERROR_MAX];
	static const char body[] = "{\"ssid\":\"a\"}\0";

	cr_assert_eq(request_parse_connect(body, sizeof(body) - 1, &req, err),
		     -EINVAL);
}

Test(request, disconnect_body_is_optional)
{
	struct request_disconnect req;
	char err[REQUEST_ERROR_MAX];

	cr_assert_eq(request_parse_disconnect("", 0, &req, err), 0);
	cr_assert_not(req.forget);
	cr_assert_eq(request_parse_disconnect(" \r\n", 3, &req, err), 0);
	cr_assert_eq(request_parse_disconnect("{\"forget\":true}", 15, &req,
					      err),
		     0);
	cr_assert(req.forget);
	cr_assert_eq(request_parse_disconnect("{\"forget\":1}", 12, &req, err),
		     -EINVAL);
	cr_assert_str_eq(err, "forget must be true or false");
	cr_assert_eq(request_parse_disconnect("nope", 4, &req, err), -EINVAL);
}
