/* SPDX-License-Identifier: MIT */
/*
 * The nl80211 parsers against replies built by hand from the kernel's
 * layout (linux/netlink.h, linux/genetlink.h, linux/nl80211.h):
 *
 *   struct nlmsghdr   len u32, type u16 (the family id), flags u16,
 *                     seq u32, pid u32                         16 bytes
 *   struct genlmsghdr cmd u8, version u8, reserved u16          4 bytes
 *   attributes        len u16 (header + payload), type u16, payload,
 *                     zero padding to a multiple of 4
 *
 * NL80211_ATTR_BSS (with NLA_F_NESTED) holds the NL80211_BSS_*
 * attributes; NL80211_BSS_INFORMATION_ELEMENTS holds the beacon's IEs
 * (id u8, length u8, body). Numbers are host order: these arrays are
 * little-endian, as on every machine this runs on (x86-64, arm64).
 *
 * One reply is written out byte for byte below (a WPA2 network and the
 * dump's end); the rest are put together with a small builder that
 * follows the same layout, so each case reads as what the kernel says.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <nm-dbus-interface.h>

#include "actors/network_scan.h"
#include "actors/nl80211_scan.h"

#define LE16(v) (uint8_t)((v)&0xff), (uint8_t)(((v) >> 8) & 0xff)
#define LE32(v) LE16((v)&0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff)
#define FAMILY 0x1c

/* A dump of one BSS on ifindex 3, then NLMSG_DONE. */
static const uint8_t one_wpa2_bss[] = {
	/* nlmsghdr: 104 bytes, nl80211, NLM_F_MULTI, seq 1, pid 0 */
	LE32(104),
	LE16(FAMILY),
	LE16(NLM_F_MULTI),
	LE32(1),
	LE32(0),
	/* genlmsghdr */
	NL80211_CMD_NEW_SCAN_RESULTS,
	1,
	LE16(0),
	/* NL80211_ATTR_IFINDEX = 3 */
	LE16(8),
	LE16(NL80211_ATTR_IFINDEX),
	LE32(3),
	/* NL80211_ATTR_BSS, nested, 4 + 72 bytes */
	LE16(76),
	LE16(NL80211_ATTR_BSS | NLA_F_NESTED),
	/* BSSID 02:00:5e:10:00:01, padded */
	LE16(10),
	LE16(NL80211_BSS_BSSID),
	0x02,
	0x00,
	0x5e,
	0x10,
	0x00,
	0x01,
	0,
	0,
	/* 2437 MHz */
	LE16(8),
	LE16(NL80211_BSS_FREQUENCY),
	LE32(2437),
	/* capability: ESS, privacy, short slot; padded */
	LE16(6),
	LE16(NL80211_BSS_CAPABILITY),
	LE16(0x0411),
	0,
	0,
	/* -55.00 dBm */
	LE16(8),
	LE16(NL80211_BSS_SIGNAL_MBM),
	LE32(-5500),
	/* 31 bytes of IEs, padded to 32 */
	LE16(35),
	LE16(NL80211_BSS_INFORMATION_ELEMENTS),
	0,
	7,
	'H',
	'o',
	'm',
	'e',
	'N',
	'e',
	't',
	/* RSN: v1, group CCMP, 1 pairwise CCMP, 1 AKM PSK, caps */
	48,
	20,
	LE16(1),
	0x00,
	0x0f,
	0xac,
	4,
	LE16(1),
	0x00,
	0x0f,
	0xac,
	4,
	LE16(1),
	0x00,
	0x0f,
	0xac,
	2,
	LE16(0x000c),
	0,
	/* NLMSG_DONE */
	LE32(20),
	LE16(NLMSG_DONE),
	LE16(NLM_F_MULTI),
	LE32(1),
	LE32(0),
	LE32(0),
};

Test(nl80211_layout, the_literal_reply_is_little_endian_host_order)
{
	cr_assert_eq(__BYTE_ORDER, __LITTLE_ENDIAN);
	cr_assert_eq(sizeof(one_wpa2_bss), 104 + 20);
}

Test(nl80211_scan, parses_a_recorded_wpa2_bss)
{
	struct network_scan_ap aps[4];
	size_t n = 0;

	cr_assert_eq(nl80211_parse_scan_dump(one_wpa2_bss, sizeof(one_wpa2_bss),
					     3, aps, 4, &n),
		     1, "the dump is complete");
	cr_assert_eq(n, 1);
	cr_assert_eq(aps[0].ssid.len, 7);
	cr_assert_eq(memcmp(aps[0].ssid.bytes, "HomeNet", 7), 0);
	cr_assert_eq(aps[0].frequency, 2437);
	cr_assert_eq(aps[0].signal, 75, "-55 dBm is 75 %%");
	cr_assert(aps[0].flags & NM_802_11_AP_FLAGS_PRIVACY);
	cr_assert_eq(aps[0].rsn_flags, NM_802_11_AP_SEC_PAIR_CCMP |
					       NM_802_11_AP_SEC_GROUP_CCMP |
					       NM_802_11_AP_SEC_KEY_MGMT_PSK);
	cr_assert_eq(aps[0].wpa_flags, 0);
	cr_assert_eq(network_scan_security(aps[0].flags, aps[0].wpa_flags,
					   aps[0].rsn_flags),
		     WIFI_SECURITY_WPA2);
}

Test(nl80211_scan, other_interfaces_are_left_out)
{
	struct network_scan_ap aps[4];
	size_t n = 0;

	cr_assert_eq(nl80211_parse_scan_dump(one_wpa2_bss, sizeof(one_wpa2_bss),
					     4, aps, 4, &n),
		     1);
	cr_assert_eq(n, 0);
}

Test(nl80211_scan, a_split_buffer_is_not_done_yet)
{
	struct network_scan_ap aps[4];
	size_t n = 0;

	cr_assert_eq(nl80211_parse_scan_dump(one_wpa2_bss, 104, 3, aps, 4, &n),
		     0, "no NLMSG_DONE in the first buffer");
	cr_assert_eq(n, 1);
}

Test(nl80211_scan, a_truncated_message_is_malformed)
{
	struct network_scan_ap aps[4];
	size_t n = 0;

	cr_assert_eq(nl80211_parse_scan_dump(one_wpa2_bss, 60, 3, aps, 4, &n),
		     -EBADMSG);
}

/* ---- a builder following the same layout --------------------------------- */

struct nlbuf {
	uint8_t data[4096];
	size_t len;
	size_t msg_start;
	size_t nest[4];
	unsigned int depth;
};

static void put(struct nlbuf *b, const void *data, size_t len)
{
	cr_assert_leq(b->len + len, sizeof(b->data));
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void pad(struct nlbuf *b)
{
	static const uint8_t zero[4];

	put(b, zero, NLA_ALIGN(b->len) - b->len);
}

static void msg_begin(struct nlbuf *b, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr nlh = {
		.nlmsg_type = type,
		.nlmsg_flags = NLM_F_MULTI,
		.nlmsg_seq = 1,
	};
	struct genlmsghdr genl = { .cmd = cmd, .version = 1 };

	b->msg_start = b->len;
	put(b, &nlh, sizeof(nlh));
	put(b, &genl, sizeof(genl));
}

static void msg_end(struct nlbuf *b)
{
	uint32_t len = (uint32_t)(b->len - b->msg_start);

	memcpy(b->data + b->msg_start, &len, sizeof(len));
}

static void attr(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			      .nla_type = type };

	put(b, &nla, sizeof(nla));
	put(b, data, len);
	pad(b);
}

static void attr_u32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	attr(b, type, &v, sizeof(v));
}

static void nest_begin(struct nlbuf *b, uint16_t type)
{
	struct nlattr nla = { .nla_type = type | NLA_F_NESTED };

	b->nest[b->depth++] = b->len;
	put(b, &nla, sizeof(nla));
}

static void nest_end(struct nlbuf *b)
{
	size_t start = b->nest[--b->depth];
	uint16_t len = (uint16_t)(b->len - start);

	memcpy(b->data + start, &len, sizeof(len));
}

static void done(struct nlbuf *b)
{
	struct nlmsghdr nlh = { .nlmsg_len = NLMSG_LENGTH(4),
				.nlmsg_type = NLMSG_DONE };
	int32_t zero = 0;

	put(b, &nlh, sizeof(nlh));
	put(b, &zero, sizeof(zero));
}

/* One BSS: SSID @ssid, the extra IEs @ies, @mbm signal, @capability. */
static void bss(struct nlbuf *b, const char *ssid, const uint8_t *ies,
		size_t ies_len, int32_t mbm, uint16_t capability, uint32_t freq)
{
	uint8_t all[256];
	size_t ssid_len = strlen(ssid);

	all[0] = 0;
	all[1] = (uint8_t)ssid_len;
	memcpy(all + 2, ssid, ssid_len);
	if (ies_len)
		memcpy(all + 2 + ssid_len, ies, ies_len);

	msg_begin(b, FAMILY, NL80211_CMD_NEW_SCAN_RESULTS);
	attr_u32(b, NL80211_ATTR_IFINDEX, 3);
	nest_begin(b, NL80211_ATTR_BSS);
	attr_u32(b, NL80211_BSS_FREQUENCY, freq);
	attr(b, NL80211_BSS_CAPABILITY, &capability, sizeof(capability));
	attr_u32(b, NL80211_BSS_SIGNAL_MBM, (uint32_t)mbm);
	attr(b, NL80211_BSS_INFORMATION_ELEMENTS, all, 2 + ssid_len + ies_len);
	nest_end(b);
	msg_end(b);
}

static const uint8_t rsn_sae[] = {
	48,   20,   LE16(1), 0x00,    0x0f, 0xac, 4,	LE16(1), 0x00,
	0x0f, 0xac, 4,	     LE16(1), 0x00, 0x0f, 0xac, 8,	 LE16(0x00c0),
};
static const uint8_t rsn_psk_sae[] = {
	48,   24,   LE16(1), 0x00, 0x0f,    0xac,	  4,	LE16(1),
	0x00, 0x0f, 0xac,    4,	   LE16(2), 0x00,	  0x0f, 0xac,
	2,    0x00, 0x0f,    0xac, 8,	    LE16(0x0080),
};
static const uint8_t rsn_eap[] = {
	48,   20,   LE16(1), 0x00,    0x0f, 0xac, 4,	LE16(1), 0x00,
	0x0f, 0xac, 4,	     LE16(1), 0x00, 0x0f, 0xac, 1,	 LE16(0),
};
static const uint8_t rsn_owe[] = {
	48,   20,   LE16(1), 0x00,    0x0f, 0xac, 4,	LE16(1), 0x00,
	0x0f, 0xac, 4,	     LE16(1), 0x00, 0x0f, 0xac, 18,	 LE16(0x00c0),
};
/* the vendor WPA IE: 00:50:f2 type 1, TKIP, PSK */
static const uint8_t wpa_tkip_psk[] = {
	221,	 22,   0x00, 0x50, 0xf2, 1,	  LE16(1), 0x00, 0x50, 0xf2, 2,
	LE16(1), 0x00, 0x50, 0xf2, 2,	 LE16(1), 0x00,	   0x50, 0xf2, 2,
};
/* RSN with only its version: every suite takes its default */
static const uint8_t rsn_version_only[] = { 48, 2, LE16(1) };

static enum wifi_security security_of(const uint8_t *ies, size_t len,
				      uint16_t capability)
{
	struct network_scan_ap aps[1];
	struct nlbuf b = { .len = 0 };
	size_t n = 0;

	bss(&b, "Net", ies, len, -6000, capability, 2412);
	done(&b);
	cr_assert_eq(nl80211_parse_scan_dump(b.data, b.len, 3, aps, 1, &n), 1);
	cr_assert_eq(n, 1);
	return network_scan_security(aps[0].flags, aps[0].wpa_flags,
				     aps[0].rsn_flags);
}

Test(nl80211_scan, classifies_security_from_the_ies)
{
	cr_assert_eq(security_of(NULL, 0, 0x0001), WIFI_SECURITY_OPEN);
	cr_assert_eq(security_of(NULL, 0, 0x0011), WIFI_SECURITY_WEP,
		     "privacy without WPA or RSN is WEP");
	cr_assert_eq(security_of(wpa_tkip_psk, sizeof(wpa_tkip_psk), 0x0011),
		     WIFI_SECURITY_WPA);
	cr_assert_eq(security_of(rsn_sae, sizeof(rsn_sae), 0x0011),
		     WIFI_SECURITY_WPA3);
	cr_assert_eq(security_of(rsn_psk_sae, sizeof(rsn_psk_sae), 0x0011),
		     WIFI_SECURITY_WPA2_WPA3);
	cr_assert_eq(security_of(rsn_eap, sizeof(rsn_eap), 0x0011),
		     WIFI_SECURITY_ENTERPRISE);
	cr_assert_eq(security_of(rsn_owe, sizeof(rsn_owe), 0x0011),
		     WIFI_SECURITY_OPEN, "OWE needs no password");
	cr_assert_eq(security_of(rsn_version_only, sizeof(rsn_version_only),
				 0x0011),
		     WIFI_SECURITY_ENTERPRISE, "RSN's default AKM is 802.1X");
}

Test(nl80211_scan, merges_a_dump_by_ssid)
{
	static const uint8_t odd[] = "caf\xc3\xa9:\\\"\xff";
	struct network_scan_ap aps[8];
	struct msg_scan_result result;
	struct nlbuf b = { .len = 0 };
	size_t n = 0;

	bss(&b, "Home", rsn_sae, sizeof(rsn_sae), -7000, 0x11, 2412);
	bss(&b, "Home", rsn_sae, sizeof(rsn_sae), -4500, 0x11, 5180);
	bss(&b, (const char *)odd, NULL, 0, -8000, 0x01, 2462);
	bss(&b, "", NULL, 0, -3000, 0x11, 2412); /* hidden */
	done(&b);

	cr_assert_eq(nl80211_parse_scan_dump(b.data, b.len, 3, aps, 8, &n), 1);
	cr_assert_eq(n, 4);
	network_scan_merge(aps, n, NULL, &result);
	cr_assert_eq(result.count, 2);
	cr_assert_eq(result.networks[0].ssid.len, 4);
	cr_assert_eq(result.networks[0].band, WIFI_BAND_5GHZ,
		     "the strongest BSS gives the band");
	cr_assert_eq(result.networks[0].signal, 91);
	cr_assert_eq(result.networks[1].ssid.len, sizeof(odd) - 1);
	cr_assert_eq(memcmp(result.networks[1].ssid.bytes, odd,
			    sizeof(odd) - 1),
		     0, "bytes round-trip");
}

Test(nl80211_scan, a_kernel_error_is_returned)
{
	struct {
		struct nlmsghdr nlh;
		struct nlmsgerr err;
	} reply = {
		.nlh = { .nlmsg_len = sizeof(reply),
			 .nlmsg_type = NLMSG_ERROR },
		.err = { .error = -EBUSY },
	};
	struct network_scan_ap aps[1];
	size_t n = 0;

	cr_assert_eq(nl80211_parse_scan_dump(&reply, sizeof(reply), 3, aps, 1,
					     &n),
		     -EBUSY);
}

Test(nl80211_ies, a_broken_element_is_reported)
{
	static const uint8_t broken[] = { 0, 4, 'a', 'b', 'c', 'd', 48, 30, 1 };
	struct network_scan_ap ap = { 0 };

	cr_assert_eq(nl80211_parse_ies(broken, sizeof(broken), &ap), -EBADMSG);
	cr_assert_eq(ap.ssid.len, 4, "what came before stays");
}

Test(nl80211_stations, counts_the_stations_of_the_ap)
{
	static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t mac2[6] = { 2, 0, 0, 0, 0, 2 };
	struct nlbuf b = { .len = 0 };
	unsigned int count = 0;

	msg_begin(&b, FAMILY, NL80211_CMD_NEW_STATION);
	attr_u32(&b, NL80211_ATTR_IFINDEX, 3);
	attr(&b, NL80211_ATTR_MAC, mac1, 6);
	msg_end(&b);
	msg_begin(&b, FAMILY, NL80211_CMD_NEW_STATION);
	attr_u32(&b, NL80211_ATTR_IFINDEX, 3);
	attr(&b, NL80211_ATTR_MAC, mac2, 6);
	msg_end(&b);
	msg_begin(&b, FAMILY, NL80211_CMD_NEW_STATION);
	attr_u32(&b, NL80211_ATTR_IFINDEX, 7);
	attr(&b, NL80211_ATTR_MAC, mac2, 6);
	msg_end(&b);
	done(&b);

	cr_assert_eq(nl80211_parse_station_dump(b.data, b.len, 3, &count), 1);
	cr_assert_eq(count, 2);
}

Test(nl80211_events, scan_done_and_aborted)
{
	struct nlbuf b = { .len = 0 };

	msg_begin(&b, FAMILY, NL80211_CMD_NEW_SCAN_RESULTS);
	attr_u32(&b, NL80211_ATTR_IFINDEX, 3);
	msg_end(&b);
	cr_assert_eq(nl80211_parse_scan_event(b.data, b.len, 3), 1);
	cr_assert_eq(nl80211_parse_scan_event(b.data, b.len, 4), 0);

	b.len = 0;
	msg_begin(&b, FAMILY, NL80211_CMD_SCAN_ABORTED);
	attr_u32(&b, NL80211_ATTR_IFINDEX, 3);
	msg_end(&b);
	cr_assert_eq(nl80211_parse_scan_event(b.data, b.len, 3), -ECANCELED);
}

Test(nl80211_family, finds_the_id_and_the_scan_group)
{
	struct nlbuf b = { .len = 0 };
	uint16_t id = 0x1c, family = 0;
	uint32_t group = 0;

	msg_begin(&b, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	attr(&b, CTRL_ATTR_FAMILY_NAME, "nl80211", 8);
	attr(&b, CTRL_ATTR_FAMILY_ID, &id, sizeof(id));
	nest_begin(&b, CTRL_ATTR_MCAST_GROUPS);
	nest_begin(&b, 1);
	attr_u32(&b, CTRL_ATTR_MCAST_GRP_ID, 4);
	attr(&b, CTRL_ATTR_MCAST_GRP_NAME, "config", 7);
	nest_end(&b);
	nest_begin(&b, 2);
	attr_u32(&b, CTRL_ATTR_MCAST_GRP_ID, 5);
	attr(&b, CTRL_ATTR_MCAST_GRP_NAME, "scan", 5);
	nest_end(&b);
	nest_end(&b);
	msg_end(&b);

	cr_assert_eq(nl80211_parse_family(b.data, b.len, &family, &group), 0);
	cr_assert_eq(family, 0x1c);
	cr_assert_eq(group, 5);
}

Test(nl80211_sockets, fail_cleanly_without_a_radio)
{
	struct nl80211 *nl = NULL;
	int r = nl80211_open(&nl);

	/* nl80211 may or may not be loaded here; there is no radio */
	if (r == 0) {
		struct network_scan_ap aps[1];
		size_t n = 0;

		cr_assert_lt(nl80211_trigger_scan(nl, 999999, true), 0);
		cr_assert_lt(nl80211_get_scan(nl, 999999, aps, 1, &n), 0);
		nl80211_free(nl);
	} else {
		cr_assert_null(nl);
		cr_assert_lt(r, 0);
	}
}
