/* SPDX-License-Identifier: MIT */
/*
 * Token bucket. Refills are computed lazily from the elapsed time; the
 * remainder of a partial period is kept by advancing last_ms only by
 * whole periods, so a steady caller gets exactly one token per period.
 */
#include "web/ratelimit.h"

void ratelimit_init(struct ratelimit *rl, unsigned int burst,
		    unsigned int refill_ms, uint64_t now_ms)
{
	rl->burst = burst ? burst : 1;
	rl->refill_ms = refill_ms ? refill_ms : 1;
	rl->tokens = rl->burst;
	rl->last_ms = now_ms;
}

static void ratelimit_refill(struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t periods;

	if (now_ms <= rl->last_ms)
		return;

	if (rl->tokens >= rl->burst) {
		rl->last_ms = now_ms;
		return;
	}

	periods = (now_ms - rl->last_ms) / rl->refill_ms;
	if (!periods)
		return;

	if (periods >= rl->burst - rl->tokens) {
		rl->tokens = rl->burst;
		rl->last_ms = now_ms;
		return;
	}

	rl->tokens += (unsigned int)periods;
	rl->last_ms += periods * rl->refill_ms;
}

bool ratelimit_take(struct ratelimit *rl, uint64_t now_ms)
{
	ratelimit_refill(rl, now_ms);

	if (!rl->tokens)
		return false;

	rl->tokens--;
	return true;
}

uint64_t ratelimit_wait_ms(const struct ratelimit *rl, uint64_t now_ms)
{
	uint64_t next;

	if (rl->tokens)
		return 0;

	next = rl->last_ms + rl->refill_ms;
	return next > now_ms ? next - now_ms : 0;
}
