/* SPDX-License-Identifier: MIT */
/*
 * UUID v4 (RFC 9562 section 5.4): 122 random bits, the version nibble 4
 * and the variant bits 10.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include "web/uuid.h"

int uuid_v4(char out[UUID_STR_SIZE])
{
	uint8_t b[16];
	size_t got = 0;

	out[0] = '\0';

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;

		if (n < 0)
			return -errno;

		got += (size_t)n;
	}

	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_STR_SIZE,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

bool uuid_is_valid(const char *s)
{
	size_t i;

	for (i = 0; i < UUID_STR_SIZE - 1; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}

	return s[i] == '\0';
}
