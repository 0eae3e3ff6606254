/* SPDX-License-Identifier: MIT */
/*
 * The connection state table: every one of the 36 (from, to) pairs is
 * checked against the table written out independently below, so a change
 * to either side shows up here.
 */
#include <stdbool.h>
#include <stddef.h>

#include <criterion/criterion.h>

#include "actors/state_table.h"

#define AP WIFI_STATE_AP_MODE
#define SW WIFI_STATE_SWITCHING
#define CI WIFI_STATE_CONNECTING
#define CD WIFI_STATE_CONNECTED
#define FA WIFI_STATE_FAILED
#define DI WIFI_STATE_DISCONNECTED

struct pair {
	enum wifi_state from;
	enum wifi_state to;
};

/* The shared table, row by row: DISCONNECTED first, FAILED last. */
static const struct pair legal[] = {
	{ DI, AP }, { DI, CI }, { DI, CD }, { DI, SW }, { DI, FA }, { AP, SW },
	{ AP, CI }, { AP, CD }, { AP, FA }, { SW, CI }, { SW, FA }, { SW, AP },
	{ CI, CD }, { CI, FA }, { CI, AP }, { CI, DI }, { CD, DI }, { CD, SW },
	{ CD, CD }, { CD, AP }, { FA, AP }, { FA, SW }, { FA, CI }, { FA, DI },
};

static bool in_legal(enum wifi_state from, enum wifi_state to)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
		if (legal[i].from == from && legal[i].to == to)
			return true;
	}

	return false;
}

Test(state_table, applies_every_legal_transition)
{
	for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
		cr_expect(state_table_allows(legal[i].from, legal[i].to),
			  "%d -> %d must be allowed", legal[i].from,
			  legal[i].to);
}

Test(state_table, refuses_every_illegal_transition)
{
	int refused = 0;

	for (int f = 0; f < WIFI_STATE_COUNT; f++) {
		for (int t = 0; t < WIFI_STATE_COUNT; t++) {
			if (in_legal(f, t))
				continue;

			cr_expect(!state_table_allows(f, t),
				  "%d -> %d must be refused", f, t);
			refused++;
		}
	}

	/* 36 pairs, 24 legal. */
	cr_expect_eq(refused, 12);
}

Test(state_table, starts_disconnected)
{
	cr_expect_eq(STATE_TABLE_INITIAL, WIFI_STATE_DISCONNECTED);
}

Test(state_table, refuses_switching_to_connected)
{
	cr_expect(!state_table_allows(SW, CD));
}

Test(state_table, refuses_ap_mode_to_ap_mode)
{
	cr_expect(!state_table_allows(AP, AP));
}

Test(state_table, refuses_failed_to_connected)
{
	cr_expect(!state_table_allows(FA, CD));
}

Test(state_table, allows_failed_join_sequence)
{
	cr_expect(state_table_allows(AP, SW));
	cr_expect(state_table_allows(SW, CI));
	cr_expect(state_table_allows(CI, FA));
	cr_expect(state_table_allows(FA, AP));
}

Test(state_table, refuses_values_outside_the_enum)
{
	cr_expect(!state_table_allows((enum wifi_state)WIFI_STATE_COUNT, AP));
	cr_expect(!state_table_allows(AP, (enum wifi_state)WIFI_STATE_COUNT));
	cr_expect(!state_table_allows((enum wifi_state) - 1, AP));
	cr_expect(!state_table_allows(DI, (enum wifi_state)99));
}
