/* SPDX-License-Identifier: MIT */
/*
 * A token bucket: @burst attempts at once, refilled at one token every
 * @refill_ms. The web actor keeps one for connect attempts so a script
 * cannot make the radio hop between networks (HTTP 429).
 *
 * Pure: the caller passes the monotonic time, so tests need no clock.
 * Not thread-safe; one owner.
 */
#ifndef DISTILLER_WEB_RATELIMIT_H
#define DISTILLER_WEB_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	unsigned int burst;	/* bucket size, tokens */
	unsigned int refill_ms; /* one token per this many ms */
	unsigned int tokens;
	uint64_t last_ms; /* time of the last refill */
};

/* Starts full at @now_ms. @burst >= 1 and @refill_ms >= 1. */
void ratelimit_init(struct ratelimit *rl, unsigned int burst,
		    unsigned int refill_ms, uint64_t now_ms);

/* Takes one token if there is one; false means "too many, wait". */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ms);

/* Milliseconds until a token is available (0 if one is), for Retry-After. */
uint64_t ratelimit_wait_ms(const struct ratelimit *rl, uint64_t now_ms);

#endif
