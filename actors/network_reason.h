/* SPDX-License-Identifier: MIT */
/*
 * Why a join failed, in words a person understands. NetworkManager
 * reports a device state reason (NMDeviceStateReason) and an active
 * connection state reason (NMActiveConnectionStateReason); both map to
 * one failure kind, and the kind plus the network's name gives the text
 * the page shows, e.g. Wrong password for "HomeNet". Pure code, any
 * thread.
 */
#ifndef DISTILLER_ACTORS_NETWORK_REASON_H
#define DISTILLER_ACTORS_NETWORK_REASON_H

#include <stddef.h>
#include <stdint.h>

#include "messages/msg.h"

enum network_failure {
	NETWORK_FAILURE_NONE, /* not a failure (or not known yet) */
	NETWORK_FAILURE_WRONG_PASSWORD,
	NETWORK_FAILURE_NOT_FOUND,
	NETWORK_FAILURE_ASSOC_TIMEOUT,
	NETWORK_FAILURE_DHCP,
	NETWORK_FAILURE_NO_DEVICE,
	NETWORK_FAILURE_TIMEOUT, /* our own join bound ran out */
	NETWORK_FAILURE_NM_RESTARTED,
	NETWORK_FAILURE_AP_FAILED, /* the hotspot would not start */
	NETWORK_FAILURE_OTHER,
};

/* Maps an NMDeviceStateReason; NONE for reasons that are no failure. */
enum network_failure network_reason_from_device(uint32_t reason);

/*
 * Maps an NMActiveConnectionStateReason. DEVICE_DISCONNECTED and
 * UNKNOWN map to NONE: the device's own reason says more.
 */
enum network_failure network_reason_from_active(uint32_t reason);

/*
 * Writes the text for @failure about network @ssid (NULL when the
 * failure names no network) into @out, always terminated and cut at a
 * character boundary when short. The SSID is quoted; valid UTF-8 (emoji
 * included) stays as it is, invalid bytes and control characters become
 * U+FFFD. Returns 0, or -ENOSPC when cut.
 */
int network_reason_text(enum network_failure failure,
			const struct msg_ssid *ssid, char *out, size_t size);

/*
 * Writes @ssid as display text (see above) into @out. Returns 0 or
 * -ENOSPC when cut.
 */
int network_reason_ssid_text(const struct msg_ssid *ssid, char *out,
			     size_t size);

#endif
