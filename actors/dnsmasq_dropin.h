/* SPDX-License-Identifier: MIT */
/*
 * The captive portal's DNS and DHCP drop-in for NetworkManager's shared
 * dnsmasq (dnsmasq-shared.d): every name resolves to the access point's
 * address, and DHCP option 114 (RFC 8910) announces the RFC 8908 captive
 * portal API at http://AP_IP/captive-portal/api. The network actor writes
 * it before it raises the access point (dnsmasq reads it when
 * NetworkManager starts it) and removes it when it leaves AP mode.
 */
#ifndef DISTILLER_ACTORS_DNSMASQ_DROPIN_H
#define DISTILLER_ACTORS_DNSMASQ_DROPIN_H

#include <stddef.h>

#define DNSMASQ_DROPIN_NAME "distiller-captive.conf"
#define DNSMASQ_DROPIN_PORTAL_PATH "/captive-portal/api"

/*
 * Renders the drop-in for access point address @ap_ip (dotted IPv4) into
 * @out. Pure. Returns 0, -EINVAL for an address that is not IPv4, or
 * -ENOSPC when @size is too small.
 */
int dnsmasq_dropin_render(const char *ap_ip, char *out, size_t size);

/*
 * Writes the drop-in into @dir atomically: a new file beside it
 * (O_CREAT|O_EXCL|O_NOFOLLOW), fsync, rename over DNSMASQ_DROPIN_NAME,
 * fsync of the directory. Blocks on the file system; any thread. Returns
 * 0 or -errno; on error nothing is left behind but an older drop-in.
 */
int dnsmasq_dropin_write(const char *dir, const char *ap_ip);

/* Removes the drop-in from @dir; a missing one is fine. 0 or -errno. */
int dnsmasq_dropin_remove(const char *dir);

#endif
