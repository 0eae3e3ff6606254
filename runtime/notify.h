/* SPDX-License-Identifier: MIT */
/*
 * The systemd notification protocol, written by hand: one datagram per
 * call to the socket named by $NOTIFY_SOCKET. No libsystemd dependency.
 */
#ifndef DISTILLER_RUNTIME_NOTIFY_H
#define DISTILLER_RUNTIME_NOTIFY_H

/*
 * Sends @text (e.g. "READY=1\nSTATUS=...") to $NOTIFY_SOCKET. Returns 0,
 * 0 as well when the variable is unset (not run by systemd), or -errno.
 * Never blocks for long (non-blocking datagram). Any thread.
 */
int notify_send(const char *text);

#endif
