/* SPDX-License-Identifier: MIT */
/*
 * The connection state table as a bit mask per state: bit N of the entry
 * for a state is set when state N may follow it. Pure code.
 */
#include <stdbool.h>
#include <stdint.h>

#include "actors/state_table.h"

#define TO(s) (1u << (s))

static const uint32_t state_table[WIFI_STATE_COUNT] = {
	[WIFI_STATE_DISCONNECTED] =
		TO(WIFI_STATE_AP_MODE) | TO(WIFI_STATE_CONNECTING) |
		TO(WIFI_STATE_CONNECTED) | TO(WIFI_STATE_SWITCHING) |
		TO(WIFI_STATE_FAILED),
	[WIFI_STATE_AP_MODE] = TO(WIFI_STATE_SWITCHING) |
			       TO(WIFI_STATE_CONNECTING) |
			       TO(WIFI_STATE_CONNECTED) | TO(WIFI_STATE_FAILED),
	[WIFI_STATE_SWITCHING] = TO(WIFI_STATE_CONNECTING) |
				 TO(WIFI_STATE_FAILED) | TO(WIFI_STATE_AP_MODE),
	[WIFI_STATE_CONNECTING] =
		TO(WIFI_STATE_CONNECTED) | TO(WIFI_STATE_FAILED) |
		TO(WIFI_STATE_AP_MODE) | TO(WIFI_STATE_DISCONNECTED),
	[WIFI_STATE_CONNECTED] =
		TO(WIFI_STATE_DISCONNECTED) | TO(WIFI_STATE_SWITCHING) |
		TO(WIFI_STATE_CONNECTED) | TO(WIFI_STATE_AP_MODE),
	[WIFI_STATE_FAILED] =
		TO(WIFI_STATE_AP_MODE) | TO(WIFI_STATE_SWITCHING) |
		TO(WIFI_STATE_CONNECTING) | TO(WIFI_STATE_DISCONNECTED),
};

bool state_table_allows(enum wifi_state from, enum wifi_state to)
{
	unsigned int f = (unsigned int)from;
	unsigned int t = (unsigned int)to;

	if (f >= WIFI_STATE_COUNT || t >= WIFI_STATE_COUNT)
		return false;

	return state_table[f] & TO(t);
}
