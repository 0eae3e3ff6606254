/* SPDX-License-Identifier: MIT */
/*
 * The setup access point's password: length and alphabet, uniqueness
 * over 10,000 draws, an even spread over the alphabet, and the
 * lifecycle: kept across a failed join, replaced after a successful one
 * or after the time-to-live, never while the AP is up, never when pinned.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "actors/ap_password.h"

#define DRAWS 10000
#define TTL_S 1800
#define TTL_MS (TTL_S * 1000ULL)

#define AP WIFI_STATE_AP_MODE
#define SW WIFI_STATE_SWITCHING
#define CI WIFI_STATE_CONNECTING
#define CD WIFI_STATE_CONNECTED
#define FA WIFI_STATE_FAILED
#define DI WIFI_STATE_DISCONNECTED

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

Test(ap_password, has_the_right_length_and_alphabet)
{
	static const char banned[] = "0Oo1lI";
	char pw[AP_PASSWORD_LEN + 1];

	cr_assert_geq(AP_PASSWORD_LEN, 12);
	for (const char *b = banned; *b; b++)
		cr_assert_null(strchr(AP_PASSWORD_ALPHABET, *b),
			       "alphabet holds look-alike '%c'", *b);

	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(ap_password_generate(pw), 0);
		cr_assert_eq(strlen(pw), AP_PASSWORD_LEN);
		cr_assert_eq(strspn(pw, AP_PASSWORD_ALPHABET), AP_PASSWORD_LEN,
			     "\"%s\" leaves the alphabet", pw);
	}
}

Test(ap_password, distinct_across_10000_draws_and_evenly_spread)
{
	static char pw[DRAWS][AP_PASSWORD_LEN + 1];
	size_t count[256] = { 0 };
	const size_t n = sizeof(AP_PASSWORD_ALPHABET) - 1;
	const double expected = (double)DRAWS * AP_PASSWORD_LEN / n;

	for (int i = 0; i < DRAWS; i++) {
		cr_assert_eq(ap_password_generate(pw[i]), 0);
		for (int k = 0; k < AP_PASSWORD_LEN; k++)
			count[(unsigned char)pw[i][k]]++;
	}

	qsort(pw, DRAWS, sizeof(pw[0]), cmp_str);
	for (int i = 1; i < DRAWS; i++)
		cr_assert_str_neq(pw[i - 1], pw[i], "repeated password");

	/* 3750 expected per symbol, sd about 60: 20 % off is no chance. */
	for (const char *c = AP_PASSWORD_ALPHABET; *c; c++) {
		double got = (double)count[(unsigned char)*c];

		cr_expect(got > expected * 0.8 && got < expected * 1.2,
			  "'%c' drawn %.0f times, expected about %.0f", *c, got,
			  expected);
	}
}

struct step {
	enum wifi_state to;
	uint64_t at_ms;
};

static enum wifi_state walk(struct ap_password *p, enum wifi_state from,
			    const struct step *steps, size_t n, int *changes)
{
	for (size_t i = 0; i < n; i++) {
		int r = ap_password_on_state(p, from, steps[i].to,
					     steps[i].at_ms);

		cr_assert_geq(r, 0);
		*changes += r;
		from = steps[i].to;
	}

	return from;
}

Test(ap_password, kept_across_a_failed_join)
{
	struct ap_password p;
	char first[sizeof(p.value)];
	int changes = 0;
	static const struct step failed_join[] = {
		{ AP, 1000 },
		{ SW, 60000 },
		{ CI, 61000 },
		{ FA, 105000 },
		{ AP, 106000 },
		/* and a second try, just as unlucky */
		{ SW, 400000 },
		{ CI, 401000 },
		{ FA, 446000 },
		{ AP, 447000 },
	};

	cr_assert_eq(ap_password_init(&p, NULL, TTL_S, 0), 0);
	strcpy(first, p.value);
	walk(&p, DI, failed_join, sizeof(failed_join) / sizeof(failed_join[0]),
	     &changes);

	cr_expect_eq(changes, 0);
	cr_expect_str_eq(p.value, first);
	cr_expect_eq(ap_password_expire(&p, 447000 + 10 * TTL_MS), 0,
		     "expired while the AP is up");
	cr_expect_str_eq(p.value, first);
}

Test(ap_password, replaced_after_a_successful_join)
{
	struct ap_password p;
	char first[sizeof(p.value)], second[sizeof(p.value)];
	int changes = 0;
	static const struct step join[] = {
		{ AP, 1000 },
		{ SW, 2000 },
		{ CI, 3000 },
		{ CD, 4000 },
	};

	cr_assert_eq(ap_password_init(&p, NULL, TTL_S, 0), 0);
	strcpy(first, p.value);
	walk(&p, DI, join, 4, &changes);
	cr_expect_eq(changes, 1);
	cr_expect_str_neq(p.value, first);

	/* An address change is not a new join. */
	strcpy(second, p.value);
	cr_expect_eq(ap_password_on_state(&p, CD, CD, 5000), 0);
	cr_expect_str_eq(p.value, second);

	/* The connection is lost, the AP comes back: the new password. */
	cr_expect_eq(ap_password_on_state(&p, CD, AP, 6000), 0);
	cr_expect_str_eq(p.value, second);
}

Test(ap_password, replaced_after_the_ttl_with_the_ap_down)
{
	struct ap_password p;
	char first[sizeof(p.value)];

	cr_assert_eq(ap_password_init(&p, NULL, TTL_S, 0), 0);
	strcpy(first, p.value);
	cr_expect_eq(ap_password_deadline(&p), TTL_MS);

	cr_expect_eq(ap_password_on_state(&p, DI, AP, 1000), 0);
	cr_expect_eq(ap_password_deadline(&p), UINT64_MAX);

	/* The AP goes down for a join at t = 100 s. */
	cr_expect_eq(ap_password_on_state(&p, AP, SW, 100000), 0);
	cr_expect_eq(ap_password_deadline(&p), 100000 + TTL_MS);
	cr_expect_eq(ap_password_expire(&p, 100000 + TTL_MS - 1), 0);
	cr_expect_str_eq(p.value, first);

	cr_expect_eq(ap_password_expire(&p, 100000 + TTL_MS), 1);
	cr_expect_str_neq(p.value, first);
	cr_expect_eq(ap_password_deadline(&p), 100000 + 2 * TTL_MS);
}

Test(ap_password, counted_from_the_ap_going_down_not_from_creation)
{
	struct ap_password p;
	char first[sizeof(p.value)];

	cr_assert_eq(ap_password_init(&p, NULL, TTL_S, 0), 0);
	strcpy(first, p.value);

	/* Up for two TTLs, then a failed join: the phone must rejoin. */
	ap_password_on_state(&p, DI, AP, 0);
	ap_password_on_state(&p, AP, SW, 2 * TTL_MS);
	ap_password_on_state(&p, SW, CI, 2 * TTL_MS + 1000);
	ap_password_on_state(&p, CI, FA, 2 * TTL_MS + 45000);
	cr_expect_eq(ap_password_expire(&p, 2 * TTL_MS + 45000), 0);
	ap_password_on_state(&p, FA, AP, 2 * TTL_MS + 46000);
	cr_expect_str_eq(p.value, first);
}

Test(ap_password, pinned_never_changes)
{
	struct ap_password p;

	cr_assert_eq(ap_password_init(&p, "correct horse", TTL_S, 0), 0);
	cr_expect_str_eq(p.value, "correct horse");
	cr_expect_eq(ap_password_deadline(&p), UINT64_MAX);
	cr_expect_eq(ap_password_on_state(&p, DI, AP, 1), 0);
	cr_expect_eq(ap_password_on_state(&p, AP, SW, 2), 0);
	cr_expect_eq(ap_password_on_state(&p, SW, CI, 3), 0);
	cr_expect_eq(ap_password_on_state(&p, CI, CD, 4), 0);
	cr_expect_eq(ap_password_expire(&p, 100 * TTL_MS), 0);
	cr_expect_str_eq(p.value, "correct horse");
}

Test(ap_password, empty_pin_generates)
{
	struct ap_password p;

	cr_assert_eq(ap_password_init(&p, "", TTL_S, 0), 0);
	cr_expect_eq(strlen(p.value), AP_PASSWORD_LEN);
	cr_expect_not(p.pinned);
}

Test(ap_password, cleared_from_memory)
{
	struct ap_password p;

	cr_assert_eq(ap_password_init(&p, NULL, TTL_S, 0), 0);
	ap_password_clear(&p);
	cr_expect_eq(p.value[0], '\0');
}
