/* SPDX-License-Identifier: MIT */
/*
 * Validation of the bodies of POST /api/connect and POST /api/disconnect.
 * Every refusal comes with a sentence the setup page can show as it is.
 *
 * Connect body: {"ssid": string 1-32 bytes of UTF-8 | "ssid_hex": 2-64
 * hex digits, "password": string | null | absent, "hidden": bool,
 * "access_code": string}. A password is 8-63 printable ASCII characters or
 * exactly 64 hex digits; absent, null or "" means an open network. Unknown
 * fields are ignored; a field given twice is refused.
 *
 * Disconnect body: empty, or {"forget": bool, "access_code": string}.
 *
 * Pure; any thread.
 */
#ifndef DISTILLER_WEB_REQUEST_H
#define DISTILLER_WEB_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "messages/msg.h"

/* Longest error sentence, incl. NUL. */
#define REQUEST_ERROR_MAX 128

/* Longest access code accepted, incl. NUL. */
#define REQUEST_ACCESS_CODE_MAX 17

struct request_connect {
	struct msg_ssid ssid;
	char password[MSG_PASSWORD_MAX + 1];
	bool hidden;
	char access_code[REQUEST_ACCESS_CODE_MAX]; /* "" when not given */
};

struct request_disconnect {
	bool forget;
	char access_code[REQUEST_ACCESS_CODE_MAX];
};

/*
 * Parses @len bytes of @body. Returns 0 and fills @out, or -EINVAL with
 * the reason in @err (and @out zeroed).
 */
int request_parse_connect(const char *body, size_t len,
			  struct request_connect *out,
			  char err[REQUEST_ERROR_MAX]);
int request_parse_disconnect(const char *body, size_t len,
			     struct request_disconnect *out,
			     char err[REQUEST_ERROR_MAX]);

/* A WPA passphrase or PSK as the daemon accepts it (see above). */
bool request_password_valid(const char *password);

#endif
