/* SPDX-License-Identifier: MIT */
/*
 * Connect and disconnect bodies. cJSON does the parsing; what it does not
 * check is done here first: a NUL escape inside a string (cJSON would cut
 * the string there) and bytes that are not UTF-8 (JSON text must be).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "web/api_json.h"
#include "web/request.h"

/*
 * True when a string literal in the JSON text holds the escape \u0000.
 * Walks the text tracking string literals so that an escaped backslash
 * followed by "u0000" is not mistaken for one.
 */
static bool json_has_nul_escape(const char *s, size_t len)
{
	bool in_string = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!in_string) {
			in_string = s[i] == '"';
			continue;
		}

		if (s[i] == '"') {
			in_string = false;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len &&
			    !strncmp(s + i + 2, "0000", 4))
				return true;
			i++;
		}
	}

	return false;
}

static void set_error(char err[REQUEST_ERROR_MAX], const char *text)
{
	snprintf(err, REQUEST_ERROR_MAX, "%s", text);
}

/* Parses the body as one JSON object; NULL with @err set otherwise. */
static cJSON *parse_object(const char *body, size_t len,
			   char err[REQUEST_ERROR_MAX])
{
	const cJSON *a, *b;
	cJSON *root;

	if (memchr(body, '\0', len) || !api_utf8_valid(body, len) ||
	    json_has_nul_escape(body, len)) {
		set_error(err, "Request body is not valid JSON text");
		return NULL;
	}

	root = cJSON_ParseWithLength(body, len);
	if (!root) {
		set_error(err, "Request body is not valid JSON");
		return NULL;
	}

	if (!cJSON_IsObject(root)) {
		set_error(err, "Request body must be a JSON object");
		cJSON_Delete(root);
		return NULL;
	}

	for (a = root->child; a; a = a->next) {
		for (b = a->next; b; b = b->next) {
			if (a->string && b->string &&
			    !strcmp(a->string, b->string)) {
				snprintf(err, REQUEST_ERROR_MAX,
					 "Field \"%.32s\" is given twice",
					 a->string);
				cJSON_Delete(root);
				return NULL;
			}
		}
	}

	return root;
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';

	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;

	return c - 'A' + 10;
}

bool request_password_valid(const char *password)
{
	size_t len = strlen(password), i;

	if (len == 64) {
		for (i = 0; i < len; i++) {
			if (!is_hex_digit(password[i]))
				return false;
		}

		return true;
	}

	if (len < 8 || len > 63)
		return false;

	for (i = 0; i < len; i++) {
		if (password[i] < 0x20 || password[i] > 0x7e)
			return false;
	}

	return true;
}

static int parse_ssid_hex(const char *hex, struct msg_ssid *ssid,
			  char err[REQUEST_ERROR_MAX])
{
	size_t len = strlen(hex), i;

	if (!len || len % 2 || len > 2 * MSG_SSID_MAX) {
		set_error(err, "ssid_hex must be 2 to 64 hexadecimal digits");
		return -EINVAL;
	}

	for (i = 0; i < len; i++) {
		if (!is_hex_digit(hex[i])) {
			set_error(err, "ssid_hex must be 2 to 64 hexadecimal "
				       "digits");
			return -EINVAL;
		}
	}

	ssid->len = (uint8_t)(len / 2);
	for (i = 0; i < ssid->len; i++)
		ssid->bytes[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 |
					   hex_value(hex[2 * i + 1]));

	return 0;
}

static int parse_ssid(const cJSON *root, struct msg_ssid *ssid,
		      char err[REQUEST_ERROR_MAX])
{
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "ssid");
	const cJSON *hex = cJSON_GetObjectItemCaseSensitive(root, "ssid_hex");
	size_t len;

	if (text && hex) {
		set_error(err, "Give either ssid or ssid_hex, not both");
		return -EINVAL;
	}

	if (hex) {
		if (!cJSON_IsString(hex)) {
			set_error(err, "ssid_hex must be a string");
			return -EINVAL;
		}

		return parse_ssid_hex(hex->valuestring, ssid, err);
	}

	if (!text || cJSON_IsNull(text)) {
		set_error(err, "ssid is required");
		return -EINVAL;
	}

	if (!cJSON_IsString(text)) {
		set_error(err, "ssid must be a string");
		return -EINVAL;
	}

	len = strlen(text->valuestring);
	if (len < 1 || len > MSG_SSID_MAX) {
		set_error(err, "Network name (SSID) must be 1 to 32 bytes");
		return -EINVAL;
	}

	ssid->len = (uint8_t)len;
	memcpy(ssid->bytes, text->valuestring, len);
	return 0;
}

static int parse_password(const cJSON *root, char *out, size_t out_size,
			  char err[REQUEST_ERROR_MAX])
{
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(root, "password");

	out[0] = '\0';
	if (!pw || cJSON_IsNull(pw))
		return 0;

	if (!cJSON_IsString(pw)) {
		set_error(err, "password must be a string");
		return -EINVAL;
	}

	if (!pw->valuestring[0])
		return 0;

	if (!request_password_valid(pw->valuestring)) {
		set_error(err, "Password must be 8 to 63 printable ASCII "
			       "characters or 64 hexadecimal digits");
		return -EINVAL;
	}

	snprintf(out, out_size, "%s", pw->valuestring);
	return 0;
}

static int parse_bool(const cJSON *root, const char *key, bool *out,
		      char err[REQUEST_ERROR_MAX])
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);

	*out = false;
	if (!item)
		return 0;

	if (!cJSON_IsBool(item)) {
		snprintf(err, REQUEST_ERROR_MAX, "%s must be true or false",
			 key);
		return -EINVAL;
	}

	*out = cJSON_IsTrue(item);
	return 0;
}

static int parse_access_code(const cJSON *root,
			     char out[REQUEST_ACCESS_CODE_MAX],
			     char err[REQUEST_ERROR_MAX])
{
	const cJSON *item =
		cJSON_GetObjectItemCaseSensitive(root, "access_code");

	out[0] = '\0';
	if (!item || cJSON_IsNull(item))
		return 0;

	if (!cJSON_IsString(item) ||
	    strlen(item->valuestring) >= REQUEST_ACCESS_CODE_MAX) {
		set_error(err, "access_code must be a short string");
		return -EINVAL;
	}

	snprintf(out, REQUEST_ACCESS_CODE_MAX, "%s", item->valuestring);
	return 0;
}

int request_parse_connect(const char *body, size_t len,
			  struct request_connect *out,
			  char err[REQUEST_ERROR_MAX])
{
	cJSON *root;
	int r;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';

	root = parse_object(body, len, err);
	if (!root)
		return -EINVAL;

	r = parse_ssid(root, &out->ssid, err);
	if (!r)
		r = parse_password(root, out->password, sizeof(out->password),
				   err);
	if (!r)
		r = parse_bool(root, "hidden", &out->hidden, err);
	if (!r)
		r = parse_access_code(root, out->access_code, err);

	cJSON_Delete(root);
	if (r)
		memset(out, 0, sizeof(*out));

	return r;
}

int request_parse_disconnect(const char *body, size_t len,
			     struct request_disconnect *out,
			     char err[REQUEST_ERROR_MAX])
{
	cJSON *root;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';

	for (i = 0; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			break;
	}

	if (i == len)
		return 0;

	root = parse_object(body, len, err);
	if (!root)
		return -EINVAL;

	r = parse_bool(root, "forget", &out->forget, err);
	if (!r)
		r = parse_access_code(root, out->access_code, err);

	cJSON_Delete(root);
	if (r)
		memset(out, 0, sizeof(*out));

	return r;
}
