/* SPDX-License-Identifier: MIT */
/*
 * The setup access point's password and its lifecycle. Owned by the
 * state actor, which publishes it in the snapshot's ap_password field
 * (for the network actor, the panel and the setup QR code); it is never
 * written to a file and never logged by this module.
 *
 * A generated password is AP_PASSWORD_LEN characters drawn with
 * getrandom(2) from AP_PASSWORD_ALPHABET: lower-case letters and digits
 * without the look-alikes 0/o, 1/l (and no upper case, so I/O cannot
 * appear), 32 symbols, 5 bits each, 60 bits in all. Lower case only, so
 * it can be typed on a phone without the shift key.
 *
 * Lifecycle. The password exists before the access point is raised, so
 * the network actor can raise it. It stays the same while the device
 * keeps coming back to AP mode for one setup: a failed join
 * (AP_MODE -> SWITCHING -> CONNECTING -> FAILED -> AP_MODE) re-raises the
 * same SSID and password and phones rejoin by themselves. It is replaced
 *   - when the device reaches CONNECTED from another state: the setup is
 *     over and whoever saw the old password has no further use for it;
 *   - when the access point has been down for the time-to-live (the time
 *     is counted from when the password was made or the AP last went
 *     down, whichever is later; it never expires while the AP is up, so
 *     nobody is thrown off in the middle of a setup).
 * A pinned password (DISTILLER_AP_PASSWORD) never changes.
 *
 * Pure apart from getrandom(2); the caller passes monotonic time in
 * milliseconds. Not thread-safe: one owner.
 */
#ifndef DISTILLER_ACTORS_AP_PASSWORD_H
#define DISTILLER_ACTORS_AP_PASSWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "messages/msg.h"

#define AP_PASSWORD_LEN 12
#define AP_PASSWORD_ALPHABET "abcdefghijkmnpqrstuvwxyz23456789"

struct ap_password {
	char value[MSG_PASSWORD_MAX + 1];
	bool pinned;
	bool in_use;		/* the access point is up with it */
	uint64_t ttl_ms;	/* 0: only CONNECTED replaces it */
	uint64_t idle_since_ms; /* made, or the AP last went down */
};

/*
 * Draws AP_PASSWORD_LEN characters into @out and terminates it. Returns 0
 * or the -errno of getrandom(2); @out is then an empty string.
 */
int ap_password_generate(char out[AP_PASSWORD_LEN + 1]);

/*
 * Starts the lifecycle at @now_ms with the pinned password @pinned, or
 * with a new one when @pinned is NULL or "". Returns 0 or -errno from
 * ap_password_generate() (the value is then "" until a later rotation
 * succeeds).
 */
int ap_password_init(struct ap_password *p, const char *pinned,
		     unsigned int ttl_s, uint64_t now_ms);

/*
 * Tells of a published transition @from -> @to at @now_ms. Returns 1 when
 * the password was replaced, 0 when it was kept, or -errno when a new one
 * was due but could not be drawn (the old one is kept).
 */
int ap_password_on_state(struct ap_password *p, enum wifi_state from,
			 enum wifi_state to, uint64_t now_ms);

/*
 * Replaces the password if it expired by @now_ms. Returns 1 when it was
 * replaced, 0 when not, or -errno as above.
 */
int ap_password_expire(struct ap_password *p, uint64_t now_ms);

/*
 * The monotonic time at which ap_password_expire() will replace the
 * password, or UINT64_MAX while it cannot expire (pinned, no TTL, AP up).
 */
uint64_t ap_password_deadline(const struct ap_password *p);

/* Wipes the password from memory. */
void ap_password_clear(struct ap_password *p);

#endif
