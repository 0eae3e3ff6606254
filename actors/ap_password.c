/* SPDX-License-Identifier: MIT */
/*
 * The setup access point's password: drawing it from getrandom(2) and
 * deciding when it is kept and when it is replaced. See ap_password.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "actors/ap_password.h"

/* A power of two, so a random byte masked down is unbiased. */
#define ALPHABET_SIZE (sizeof(AP_PASSWORD_ALPHABET) - 1)
_Static_assert(ALPHABET_SIZE == 32, "the alphabet must have 32 symbols");

int ap_password_generate(char out[AP_PASSWORD_LEN + 1])
{
	static const char alphabet[] = AP_PASSWORD_ALPHABET;
	uint8_t raw[AP_PASSWORD_LEN];
	size_t got = 0;

	out[0] = '\0';
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;

		got += (size_t)n;
	}

	for (size_t i = 0; i < AP_PASSWORD_LEN; i++)
		out[i] = alphabet[raw[i] & (ALPHABET_SIZE - 1)];
	out[AP_PASSWORD_LEN] = '\0';

	explicit_bzero(raw, sizeof(raw));
	return 0;
}

static int rotate(struct ap_password *p, uint64_t now_ms)
{
	char fresh[AP_PASSWORD_LEN + 1];
	int r;

	if (p->pinned)
		return 0;

	r = ap_password_generate(fresh);
	if (r < 0)
		return r;

	memcpy(p->value, fresh, sizeof(fresh));
	explicit_bzero(fresh, sizeof(fresh));
	p->idle_since_ms = now_ms;
	return 1;
}

int ap_password_init(struct ap_password *p, const char *pinned,
		     unsigned int ttl_s, uint64_t now_ms)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->ttl_ms = (uint64_t)ttl_s * 1000;
	p->idle_since_ms = now_ms;

	if (pinned && pinned[0]) {
		size_t len = strnlen(pinned, MSG_PASSWORD_MAX);

		memcpy(p->value, pinned, len);
		p->value[len] = '\0';
		p->pinned = true;
		return 0;
	}

	r = rotate(p, now_ms);
	return r < 0 ? r : 0;
}

int ap_password_on_state(struct ap_password *p, enum wifi_state from,
			 enum wifi_state to, uint64_t now_ms)
{
	bool joined = to == WIFI_STATE_CONNECTED && from != to;
	int changed = 0;

	/* A failed draw earlier left no password: try again. */
	if (!p->value[0] && !joined) {
		changed = rotate(p, now_ms);
		if (changed < 0)
			return changed;
	}

	if (to == WIFI_STATE_AP_MODE) {
		p->in_use = true;
		return changed;
	}

	if (p->in_use) {
		p->in_use = false;
		p->idle_since_ms = now_ms;
	}

	if (joined)
		return rotate(p, now_ms);

	return changed;
}

uint64_t ap_password_deadline(const struct ap_password *p)
{
	if (p->pinned || p->in_use || p->ttl_ms == 0)
		return UINT64_MAX;

	if (p->idle_since_ms > UINT64_MAX - p->ttl_ms)
		return UINT64_MAX;

	return p->idle_since_ms + p->ttl_ms;
}

int ap_password_expire(struct ap_password *p, uint64_t now_ms)
{
	if (p->value[0] && now_ms < ap_password_deadline(p))
		return 0;

	return rotate(p, now_ms);
}

void ap_password_clear(struct ap_password *p)
{
	explicit_bzero(p, sizeof(*p));
}
