/* SPDX-License-Identifier: MIT */
/*
 * Scanning through nl80211 directly, the way `iw dev X scan ap-force`
 * does. NetworkManager refuses to scan on a device that serves a hotspot,
 * so while the access point is up the network actor triggers a scan and
 * dumps the results itself, and counts the stations associated with the
 * access point before it drops the AP to retry a known network.
 *
 * Two halves: pure parsers of generic netlink replies (tested alone with
 * hand-built replies), and a few calls on raw AF_NETLINK sockets (no
 * libnl). The socket calls are made from the network actor's thread; the
 * kernel answers a request at once, so they block only for that answer,
 * bounded by NL80211_REPLY_TIMEOUT_MS.
 */
#ifndef DISTILLER_ACTORS_NL80211_SCAN_H
#define DISTILLER_ACTORS_NL80211_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct network_scan_ap;

#define NL80211_REPLY_TIMEOUT_MS 2000

/* ---- pure parsers --------------------------------------------------- */

/*
 * Reads the information elements of one BSS (a beacon or probe response
 * body after the fixed fields): the SSID (IE 0), the RSN IE (48), the
 * WPA vendor IE (221, 00:50:f2 type 1) and the OWE transition IE (221,
 * 50:6f:9a type 0x1c), into @ap's ssid, wpa_flags and rsn_flags. A
 * truncated element ends the walk; what was read stays. Returns 0, or
 * -EBADMSG when an element overruns the buffer.
 */
int nl80211_parse_ies(const uint8_t *ies, size_t len,
		      struct network_scan_ap *ap);

/*
 * Parses one buffer of an NL80211_CMD_GET_SCAN dump (one or more netlink
 * messages, as one recv() returns them), appending a network_scan_ap per
 * BSS of interface @ifindex (0: any) to @aps, which holds @max, counting
 * in *@count. BSSes beyond @max are dropped. Returns 1 when the dump's
 * NLMSG_DONE was seen, 0 when more is to come, or -errno: the kernel's
 * error from an NLMSG_ERROR, -EBADMSG for a malformed message.
 */
int nl80211_parse_scan_dump(const void *buf, size_t len, int ifindex,
			    struct network_scan_ap *aps, size_t max,
			    size_t *count);

/*
 * Parses one buffer of an NL80211_CMD_GET_STATION dump, adding the
 * stations of @ifindex (0: any) to *@count. Returns like
 * nl80211_parse_scan_dump().
 */
int nl80211_parse_station_dump(const void *buf, size_t len, int ifindex,
			       unsigned int *count);

/*
 * Looks at one buffer received on the "scan" multicast group. Returns 1
 * when it holds NL80211_CMD_NEW_SCAN_RESULTS for @ifindex, -ECANCELED for
 * NL80211_CMD_SCAN_ABORTED on @ifindex, 0 for anything else.
 */
int nl80211_parse_scan_event(const void *buf, size_t len, int ifindex);

/*
 * Parses the generic netlink controller's CTRL_CMD_NEWFAMILY answer for
 * "nl80211": its family id and the id of its "scan" multicast group
 * (0 when absent). Returns 0, the kernel's -errno, or -EBADMSG.
 */
int nl80211_parse_family(const void *buf, size_t len, uint16_t *family,
			 uint32_t *scan_group);

/* ---- sockets --------------------------------------------------------- */

struct nl80211;

/*
 * Opens a request socket, resolves the nl80211 family, and opens a second
 * socket that listens to its "scan" group. Returns 0 and *@out, or -errno
 * (-ENOENT when the kernel has no nl80211, e.g. no WiFi driver loaded).
 */
int nl80211_open(struct nl80211 **out);
void nl80211_free(struct nl80211 *nl);

/* The event socket, readable when a scan notification may be pending. */
int nl80211_event_fd(const struct nl80211 *nl);

/*
 * Asks the kernel to scan on @ifindex; @ap_force adds NL80211_SCAN_FLAG_AP
 * so an interface in AP mode scans too. Returns 0 once the kernel has
 * accepted it (results follow as an event), or its -errno.
 */
int nl80211_trigger_scan(struct nl80211 *nl, int ifindex, bool ap_force);

/*
 * Reads what is pending on the event socket without blocking. Returns 1
 * when the scan on @ifindex finished, -ECANCELED when it was aborted, 0
 * otherwise (nothing relevant yet), or another -errno.
 */
int nl80211_read_scan_event(struct nl80211 *nl, int ifindex);

/* Dumps the scan results of @ifindex into @aps (see the parser). */
int nl80211_get_scan(struct nl80211 *nl, int ifindex,
		     struct network_scan_ap *aps, size_t max, size_t *count);

/* Counts the stations associated with the access point on @ifindex. */
int nl80211_count_stations(struct nl80211 *nl, int ifindex,
			   unsigned int *count);

#endif
