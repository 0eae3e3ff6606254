/* SPDX-License-Identifier: MIT */
/*
 * nl80211 scan and station dumps over raw generic netlink sockets, for the
 * network actor while its access point is up. See nl80211_scan.h.
 *
 * Wire layout (all host byte order): a netlink message is a struct
 * nlmsghdr, a struct genlmsghdr (cmd, version), then attributes; each
 * attribute is a struct nlattr (len, type) and its payload padded to 4
 * bytes. NL80211_ATTR_BSS nests the NL80211_BSS_* attributes of one BSS.
 * Buffers from a test or a recv() need not be aligned, so every header is
 * copied out with memcpy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>

#include <nm-dbus-interface.h>

#include "actors/network_scan.h"
#include "actors/nl80211_scan.h"

#define NL80211_BUF_SIZE 32768

#define IE_SSID 0
#define IE_RSN 48
#define IE_VENDOR 221

#define CAPABILITY_PRIVACY 0x0010

struct nl80211 {
	int fd;	      /* requests and their answers */
	int event_fd; /* the "scan" multicast group */
	uint16_t family;
	uint32_t seq;
};

/* ---- attribute walking -------------------------------------------------- */

struct nla_iter {
	const uint8_t *pos;
	size_t left;
};

struct nla_view {
	uint16_t type; /* without NLA_F_NESTED / byte order bits */
	const uint8_t *data;
	size_t len;
};

/* Returns 1 with the next attribute, 0 at the end, -EBADMSG if broken. */
static int nla_next(struct nla_iter *it, struct nla_view *out)
{
	struct nlattr nla;
	size_t aligned;

	if (it->left < sizeof(nla))
		return 0;

	memcpy(&nla, it->pos, sizeof(nla));
	if (nla.nla_len < sizeof(nla) || nla.nla_len > it->left)
		return -EBADMSG;

	out->type = nla.nla_type & NLA_TYPE_MASK;
	out->data = it->pos + NLA_HDRLEN;
	out->len = nla.nla_len - NLA_HDRLEN;

	aligned = NLA_ALIGN(nla.nla_len);
	if (aligned > it->left)
		aligned = it->left;

	it->pos += aligned;
	it->left -= aligned;
	return 1;
}

static uint32_t nla_u32(const struct nla_view *a)
{
	uint32_t v = 0;

	if (a->len >= sizeof(v))
		memcpy(&v, a->data, sizeof(v));

	return v;
}

static uint16_t nla_u16(const struct nla_view *a)
{
	uint16_t v = 0;

	if (a->len >= sizeof(v))
		memcpy(&v, a->data, sizeof(v));

	return v;
}

/* ---- information elements ----------------------------------------------- */

static const uint8_t oui_ieee[3] = { 0x00, 0x0f, 0xac };
static const uint8_t oui_msft[3] = { 0x00, 0x50, 0xf2 };
static const uint8_t oui_wfa[3] = { 0x50, 0x6f, 0x9a };

static uint32_t cipher_flags(const uint8_t *suite, const uint8_t *oui,
			     bool group)
{
	if (memcmp(suite, oui, 3))
		return 0;

	switch (suite[3]) {
	case 1:
		return group ? NM_802_11_AP_SEC_GROUP_WEP40 :
			       NM_802_11_AP_SEC_PAIR_WEP40;
	case 2:
		return group ? NM_802_11_AP_SEC_GROUP_TKIP :
			       NM_802_11_AP_SEC_PAIR_TKIP;
	case 4:
		return group ? NM_802_11_AP_SEC_GROUP_CCMP :
			       NM_802_11_AP_SEC_PAIR_CCMP;
	case 5:
		return group ? NM_802_11_AP_SEC_GROUP_WEP104 :
			       NM_802_11_AP_SEC_PAIR_WEP104;
	}

	return 0;
}

/* AKM suite selectors of IEEE 802.11-2020 table 9-151 (00-0F-AC). */
static uint32_t rsn_akm_flags(uint8_t type)
{
	switch (type) {
	case 1:	 /* 802.1X */
	case 3:	 /* FT over 802.1X */
	case 5:	 /* 802.1X SHA-256 */
	case 11: /* Suite B */
	case 13: /* FT 802.1X SHA-384 */
		return NM_802_11_AP_SEC_KEY_MGMT_802_1X;
	case 12:
		return NM_802_11_AP_SEC_KEY_MGMT_EAP_SUITE_B_192;
	case 2: /* PSK */
	case 4: /* FT PSK */
	case 6: /* PSK SHA-256 */
		return NM_802_11_AP_SEC_KEY_MGMT_PSK;
	case 8:	 /* SAE */
	case 9:	 /* FT SAE */
	case 24: /* SAE with group-dependent hash */
	case 25: /* FT SAE, group-dependent hash */
		return NM_802_11_AP_SEC_KEY_MGMT_SAE;
	case 18:
		return NM_802_11_AP_SEC_KEY_MGMT_OWE;
	}

	return 0;
}

static uint32_t akm_flags(const uint8_t *suite, bool rsn)
{
	if (rsn)
		return memcmp(suite, oui_ieee, 3) ? 0 : rsn_akm_flags(suite[3]);

	if (memcmp(suite, oui_msft, 3))
		return 0;

	if (suite[3] == 1)
		return NM_802_11_AP_SEC_KEY_MGMT_802_1X;

	if (suite[3] == 2)
		return NM_802_11_AP_SEC_KEY_MGMT_PSK;

	return 0;
}

/*
 * Body of an RSN IE, or of a WPA IE after its OUI and type: version,
 * group cipher, pairwise ciphers, AKM suites. Fields left out at the end
 * take the defaults of IEEE 802.11 9.4.2.24.1 (CCMP, CCMP, 802.1X); the
 * WPA IE's defaults are TKIP and 802.1X.
 */
static uint32_t parse_wpa_body(const uint8_t *p, size_t len, bool rsn)
{
	const uint8_t *oui = rsn ? oui_ieee : oui_msft;
	uint32_t flags = 0;
	uint16_t n, i;

	if (len < 2)
		return 0;

	p += 2; /* version */
	len -= 2;

	if (len < 4)
		return rsn ? NM_802_11_AP_SEC_GROUP_CCMP |
				       NM_802_11_AP_SEC_PAIR_CCMP |
				       NM_802_11_AP_SEC_KEY_MGMT_802_1X :
			     NM_802_11_AP_SEC_GROUP_TKIP |
				       NM_802_11_AP_SEC_PAIR_TKIP |
				       NM_802_11_AP_SEC_KEY_MGMT_802_1X;

	flags |= cipher_flags(p, oui, true);
	p += 4;
	len -= 4;

	if (len < 2)
		return flags |
		       (rsn ? NM_802_11_AP_SEC_PAIR_CCMP :
			      NM_802_11_AP_SEC_PAIR_TKIP) |
		       NM_802_11_AP_SEC_KEY_MGMT_802_1X;

	n = (uint16_t)(p[0] | p[1] << 8);
	p += 2;
	len -= 2;

	for (i = 0; i < n && len >= 4; i++, p += 4, len -= 4)
		flags |= cipher_flags(p, oui, false);

	if (len < 2)
		return flags | NM_802_11_AP_SEC_KEY_MGMT_802_1X;

	n = (uint16_t)(p[0] | p[1] << 8);
	p += 2;
	len -= 2;

	for (i = 0; i < n && len >= 4; i++, p += 4, len -= 4)
		flags |= akm_flags(p, rsn);

	return flags;
}

static void parse_vendor_ie(const uint8_t *p, size_t len,
			    struct network_scan_ap *ap)
{
	if (len < 4)
		return;

	if (!memcmp(p, oui_msft, 3) && p[3] == 1)
		ap->wpa_flags |= parse_wpa_body(p + 4, len - 4, false);
	else if (!memcmp(p, oui_wfa, 3) && p[3] == 0x1c)
		ap->rsn_flags |= NM_802_11_AP_SEC_KEY_MGMT_OWE_TM;
}

int nl80211_parse_ies(const uint8_t *ies, size_t len,
		      struct network_scan_ap *ap)
{
	bool have_ssid = false;

	while (len >= 2) {
		uint8_t id = ies[0];
		uint8_t ie_len = ies[1];
		const uint8_t *body = ies + 2;

		if ((size_t)ie_len + 2 > len)
			return -EBADMSG;

		switch (id) {
		case IE_SSID:
			/* the first SSID element is the network's name */
			if (!have_ssid && ie_len <= sizeof(ap->ssid.bytes)) {
				memcpy(ap->ssid.bytes, body, ie_len);
				ap->ssid.len = ie_len;
			}
			have_ssid = true;
			break;
		case IE_RSN:
			ap->rsn_flags |= parse_wpa_body(body, ie_len, true);
			break;
		case IE_VENDOR:
			parse_vendor_ie(body, ie_len, ap);
			break;
		}

		ies += (size_t)ie_len + 2;
		len -= (size_t)ie_len + 2;
	}

	return 0;
}

/* ---- messages ----------------------------------------------------------- */

static int parse_bss(const struct nla_view *bss, struct network_scan_ap *ap)
{
	struct nla_iter it = { bss->data, bss->len };
	struct nla_view a, ies = { 0 }, beacon_ies = { 0 };
	uint16_t capability = 0;
	bool have_mbm = false;
	int r;

	memset(ap, 0, sizeof(*ap));

	while ((r = nla_next(&it, &a)) > 0) {
		switch (a.type) {
		case NL80211_BSS_FREQUENCY:
			ap->frequency = nla_u32(&a);
			break;
		case NL80211_BSS_CAPABILITY:
			capability = nla_u16(&a);
			break;
		case NL80211_BSS_INFORMATION_ELEMENTS:
			ies = a;
			break;
		case NL80211_BSS_BEACON_IES:
			beacon_ies = a;
			break;
		case NL80211_BSS_SIGNAL_MBM:
			ap->signal = network_scan_quality_from_dbm(
				(int32_t)nla_u32(&a) / 100);
			have_mbm = true;
			break;
		case NL80211_BSS_SIGNAL_UNSPEC:
			if (!have_mbm && a.len >= 1)
				ap->signal = a.data[0] > 100 ? 100 : a.data[0];
			break;
		case NL80211_BSS_STATUS:
			ap->in_use = nla_u32(&a) ==
				     NL80211_BSS_STATUS_ASSOCIATED;
			break;
		}
	}

	if (r < 0)
		return r;

	if (capability & CAPABILITY_PRIVACY)
		ap->flags |= NM_802_11_AP_FLAGS_PRIVACY;

	/* probe response elements are the fuller set; beacons otherwise */
	if (!ies.data)
		ies = beacon_ies;

	if (ies.data)
		return nl80211_parse_ies(ies.data, ies.len, ap);

	return 0;
}

typedef int (*genl_msg_cb_t)(uint8_t cmd, const uint8_t *attrs, size_t len,
			     void *user_data);

/*
 * Walks the netlink messages in @buf and hands each generic netlink
 * payload to @cb. Returns 1 on NLMSG_DONE, 0 when the buffer ended, a
 * kernel error, -EBADMSG, or @cb's error.
 */
static int genl_walk(const void *buf, size_t len, genl_msg_cb_t cb,
		     void *user_data)
{
	const uint8_t *pos = buf;
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	struct nlmsgerr err;
	size_t aligned;
	int r;

	while (len >= sizeof(nlh)) {
		memcpy(&nlh, pos, sizeof(nlh));
		if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > len)
			return -EBADMSG;

		if (nlh.nlmsg_type == NLMSG_DONE)
			return 1;

		if (nlh.nlmsg_type == NLMSG_ERROR) {
			if (nlh.nlmsg_len < NLMSG_LENGTH(sizeof(err)))
				return -EBADMSG;

			memcpy(&err, pos + NLMSG_HDRLEN, sizeof(err));
			if (err.error)
				return err.error < 0 ? err.error : -err.error;
		} else if (nlh.nlmsg_type >= NLMSG_MIN_TYPE) {
			size_t body = nlh.nlmsg_len - NLMSG_HDRLEN;

			if (body < GENL_HDRLEN)
				return -EBADMSG;

			memcpy(&genl, pos + NLMSG_HDRLEN, sizeof(genl));
			r = cb(genl.cmd, pos + NLMSG_HDRLEN + GENL_HDRLEN,
			       body - GENL_HDRLEN, user_data);
			if (r < 0)
				return r;
		}

		aligned = NLMSG_ALIGN(nlh.nlmsg_len);
		if (aligned > len)
			aligned = len;

		pos += aligned;
		len -= aligned;
	}

	return 0;
}

struct scan_dump {
	int ifindex;
	struct network_scan_ap *aps;
	size_t max;
	size_t *count;
};

static int scan_dump_cb(uint8_t cmd, const uint8_t *attrs, size_t len,
			void *user_data)
{
	struct scan_dump *d = user_data;
	struct nla_iter it = { attrs, len };
	struct nla_view a, bss = { 0 };
	int ifindex = 0, r;

	if (cmd != NL80211_CMD_NEW_SCAN_RESULTS)
		return 0;

	while ((r = nla_next(&it, &a)) > 0) {
		if (a.type == NL80211_ATTR_IFINDEX)
			ifindex = (int)nla_u32(&a);
		else if (a.type == NL80211_ATTR_BSS)
			bss = a;
	}

	if (r < 0)
		return r;

	if (!bss.data || (d->ifindex && ifindex && ifindex != d->ifindex))
		return 0;

	if (*d->count >= d->max)
		return 0;

	r = parse_bss(&bss, &d->aps[*d->count]);
	if (r < 0)
		return r;

	(*d->count)++;
	return 0;
}

int nl80211_parse_scan_dump(const void *buf, size_t len, int ifindex,
			    struct network_scan_ap *aps, size_t max,
			    size_t *count)
{
	struct scan_dump d = { ifindex, aps, max, count };

	return genl_walk(buf, len, scan_dump_cb, &d);
}

struct station_dump {
	int ifindex;
	unsigned int *count;
};

static int station_dump_cb(uint8_t cmd, const uint8_t *attrs, size_t len,
			   void *user_data)
{
	struct station_dump *d = user_data;
	struct nla_iter it = { attrs, len };
	struct nla_view a;
	bool have_mac = false;
	int ifindex = 0, r;

	if (cmd != NL80211_CMD_NEW_STATION)
		return 0;

	while ((r = nla_next(&it, &a)) > 0) {
		if (a.type == NL80211_ATTR_IFINDEX)
			ifindex = (int)nla_u32(&a);
		else if (a.type == NL80211_ATTR_MAC && a.len == 6)
			have_mac = true;
	}

	if (r < 0)
		return r;

	if (have_mac && (!d->ifindex || !ifindex || ifindex == d->ifindex))
		(*d->count)++;

	return 0;
}

int nl80211_parse_station_dump(const void *buf, size_t len, int ifindex,
			       unsigned int *count)
{
	struct station_dump d = { ifindex, count };

	return genl_walk(buf, len, station_dump_cb, &d);
}

struct scan_event {
	int ifindex;
	int result;
};

static int scan_event_cb(uint8_t cmd, const uint8_t *attrs, size_t len,
			 void *user_data)
{
	struct scan_event *e = user_data;
	struct nla_iter it = { attrs, len };
	struct nla_view a;
	int ifindex = 0, r;

	if (cmd != NL80211_CMD_NEW_SCAN_RESULTS &&
	    cmd != NL80211_CMD_SCAN_ABORTED)
		return 0;

	while ((r = nla_next(&it, &a)) > 0) {
		if (a.type == NL80211_ATTR_IFINDEX)
			ifindex = (int)nla_u32(&a);
	}

	if (r < 0 || ifindex != e->ifindex)
		return 0;

	e->result = cmd == NL80211_CMD_NEW_SCAN_RESULTS ? 1 : -ECANCELED;
	return 0;
}

int nl80211_parse_scan_event(const void *buf, size_t len, int ifindex)
{
	struct scan_event e = { ifindex, 0 };

	genl_walk(buf, len, scan_event_cb, &e);
	return e.result;
}

struct family_answer {
	uint16_t *family;
	uint32_t *scan_group;
	bool found;
};

static uint32_t find_scan_group(const struct nla_view *groups)
{
	struct nla_iter it = { groups->data, groups->len }, git;
	struct nla_view group, a;
	const char *name;
	uint32_t id;
	bool is_scan;

	while (nla_next(&it, &group) > 0) {
		git = (struct nla_iter){ group.data, group.len };
		id = 0;
		is_scan = false;

		while (nla_next(&git, &a) > 0) {
			name = (const char *)a.data;
			if (a.type == CTRL_ATTR_MCAST_GRP_ID)
				id = nla_u32(&a);
			else if (a.type == CTRL_ATTR_MCAST_GRP_NAME &&
				 a.len ==
					 sizeof(NL80211_MULTICAST_GROUP_SCAN) &&
				 !memcmp(name, NL80211_MULTICAST_GROUP_SCAN,
					 a.len))
				is_scan = true;
		}

		if (is_scan)
			return id;
	}

	return 0;
}

static int family_cb(uint8_t cmd, const uint8_t *attrs, size_t len,
		     void *user_data)
{
	struct family_answer *f = user_data;
	struct nla_iter it = { attrs, len };
	struct nla_view a;
	int r;

	if (cmd != CTRL_CMD_NEWFAMILY)
		return 0;

	while ((r = nla_next(&it, &a)) > 0) {
		if (a.type == CTRL_ATTR_FAMILY_ID) {
			*f->family = nla_u16(&a);
			f->found = true;
		} else if (a.type == CTRL_ATTR_MCAST_GROUPS) {
			*f->scan_group = find_scan_group(&a);
		}
	}

	return r;
}

int nl80211_parse_family(const void *buf, size_t len, uint16_t *family,
			 uint32_t *scan_group)
{
	struct family_answer f = { family, scan_group, false };
	int r;

	*family = 0;
	*scan_group = 0;

	r = genl_walk(buf, len, family_cb, &f);
	if (r < 0)
		return r;

	return f.found ? 0 : -EBADMSG;
}

/* ---- sockets ------------------------------------------------------------ */

static int genl_socket(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct timeval tv = {
		.tv_sec = NL80211_REPLY_TIMEOUT_MS / 1000,
		.tv_usec = (NL80211_REPLY_TIMEOUT_MS % 1000) * 1000,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}

	return fd;
}

/* Appends one attribute to a message being built in @buf. */
static void put_attr(uint8_t *buf, size_t *len, uint16_t type, const void *data,
		     size_t data_len)
{
	struct nlattr nla = {
		.nla_len = (uint16_t)(NLA_HDRLEN + data_len),
		.nla_type = type,
	};

	memcpy(buf + *len, &nla, sizeof(nla));
	memcpy(buf + *len + NLA_HDRLEN, data, data_len);
	memset(buf + *len + NLA_HDRLEN + data_len, 0,
	       NLA_ALIGN(data_len) - data_len);
	*len += NLA_HDRLEN + NLA_ALIGN(data_len);
}

struct genl_request {
	uint8_t buf[256];
	size_t len;
};

static void request_init(struct genl_request *req, uint8_t cmd)
{
	struct genlmsghdr genl = { .cmd = cmd, .version = 1 };

	memset(req, 0, sizeof(*req));
	req->len = NLMSG_HDRLEN;
	memcpy(req->buf + req->len, &genl, sizeof(genl));
	req->len += GENL_HDRLEN;
}

/* Drops answers left over from a request that timed out. */
static void request_drain(int fd)
{
	uint8_t buf[512];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int request_send(int fd, struct genl_request *req, uint16_t family,
			uint16_t flags, uint32_t seq)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr nlh = {
		.nlmsg_len = (uint32_t)req->len,
		.nlmsg_type = family,
		.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags),
		.nlmsg_seq = seq,
	};

	memcpy(req->buf, &nlh, sizeof(nlh));
	request_drain(fd);

	if (sendto(fd, req->buf, req->len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;

	return 0;
}

typedef int (*reply_parse_cb_t)(const void *buf, size_t len, void *user_data);

/* Receives answers until @parse says the reply is complete (1). */
static int request_wait(int fd, reply_parse_cb_t parse, void *user_data)
{
	uint8_t *buf;
	ssize_t n;
	int r;

	buf = malloc(NL80211_BUF_SIZE);
	if (!buf)
		return -ENOMEM;

	do {
		n = recv(fd, buf, NL80211_BUF_SIZE, 0);
		if (n < 0) {
			r = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}

		r = parse(buf, (size_t)n, user_data);
	} while (r == 0);

	free(buf);
	return r < 0 ? r : 0;
}

struct family_wait {
	uint16_t family;
	uint32_t scan_group;
};

static int family_wait_cb(const void *buf, size_t len, void *user_data)
{
	struct family_wait *w = user_data;
	int r;

	r = nl80211_parse_family(buf, len, &w->family, &w->scan_group);
	return r < 0 ? r : 1;
}

static int resolve_family(struct nl80211 *nl, uint32_t *scan_group)
{
	struct genl_request req;
	struct family_wait w = { 0 };
	int r;

	request_init(&req, CTRL_CMD_GETFAMILY);
	put_attr(req.buf, &req.len, CTRL_ATTR_FAMILY_NAME, NL80211_GENL_NAME,
		 sizeof(NL80211_GENL_NAME));

	r = request_send(nl->fd, &req, GENL_ID_CTRL, 0, ++nl->seq);
	if (r < 0)
		return r;

	r = request_wait(nl->fd, family_wait_cb, &w);
	if (r < 0)
		return r;

	nl->family = w.family;
	*scan_group = w.scan_group;
	return 0;
}

int nl80211_open(struct nl80211 **out)
{
	struct nl80211 *nl;
	uint32_t group = 0;
	int r;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;

	nl->event_fd = -1;
	nl->fd = genl_socket();
	if (nl->fd < 0) {
		r = nl->fd;
		goto fail;
	}

	r = resolve_family(nl, &group);
	if (r < 0)
		goto fail;

	if (!group) {
		r = -ENOENT;
		goto fail;
	}

	nl->event_fd = genl_socket();
	if (nl->event_fd < 0) {
		r = nl->event_fd;
		goto fail;
	}

	if (setsockopt(nl->event_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &group, sizeof(group)) < 0) {
		r = -errno;
		goto fail;
	}

	*out = nl;
	return 0;

fail:
	nl80211_free(nl);
	return r;
}

void nl80211_free(struct nl80211 *nl)
{
	if (!nl)
		return;

	if (nl->fd >= 0)
		close(nl->fd);

	if (nl->event_fd >= 0)
		close(nl->event_fd);

	free(nl);
}

int nl80211_event_fd(const struct nl80211 *nl)
{
	return nl->event_fd;
}

static int ignore_cb(uint8_t cmd, const uint8_t *attrs, size_t len,
		     void *user_data)
{
	(void)cmd;
	(void)attrs;
	(void)len;
	(void)user_data;
	return 0;
}

static int ack_wait_cb(const void *buf, size_t len, void *user_data)
{
	int r;

	(void)user_data;
	r = genl_walk(buf, len, ignore_cb, NULL);

	/* an ack is an NLMSG_ERROR of 0: the walk ends without DONE */
	return r < 0 ? r : 1;
}

int nl80211_trigger_scan(struct nl80211 *nl, int ifindex, bool ap_force)
{
	struct genl_request req;
	uint32_t index = (uint32_t)ifindex;
	uint32_t flags = NL80211_SCAN_FLAG_AP;
	int r;

	request_init(&req, NL80211_CMD_TRIGGER_SCAN);
	put_attr(req.buf, &req.len, NL80211_ATTR_IFINDEX, &index,
		 sizeof(index));
	if (ap_force)
		put_attr(req.buf, &req.len, NL80211_ATTR_SCAN_FLAGS, &flags,
			 sizeof(flags));

	r = request_send(nl->fd, &req, nl->family, NLM_F_ACK, ++nl->seq);
	if (r < 0)
		return r;

	return request_wait(nl->fd, ack_wait_cb, NULL);
}

int nl80211_read_scan_event(struct nl80211 *nl, int ifindex)
{
	uint8_t buf[4096];
	ssize_t n;
	int r, result = 0;

	for (;;) {
		n = recv(nl->event_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			break;

		r = nl80211_parse_scan_event(buf, (size_t)n, ifindex);
		if (r)
			result = r;
	}

	if (errno != EAGAIN && errno != EWOULDBLOCK && !result)
		return -errno;

	return result;
}

struct scan_wait {
	int ifindex;
	struct network_scan_ap *aps;
	size_t max;
	size_t *count;
};

static int scan_wait_cb(const void *buf, size_t len, void *user_data)
{
	struct scan_wait *w = user_data;

	return nl80211_parse_scan_dump(buf, len, w->ifindex, w->aps, w->max,
				       w->count);
}

int nl80211_get_scan(struct nl80211 *nl, int ifindex,
		     struct network_scan_ap *aps, size_t max, size_t *count)
{
	struct scan_wait w = { ifindex, aps, max, count };
	struct genl_request req;
	uint32_t index = (uint32_t)ifindex;
	int r;

	*count = 0;
	request_init(&req, NL80211_CMD_GET_SCAN);
	put_attr(req.buf, &req.len, NL80211_ATTR_IFINDEX, &index,
		 sizeof(index));

	r = request_send(nl->fd, &req, nl->family, NLM_F_DUMP, ++nl->seq);
	if (r < 0)
		return r;

	return request_wait(nl->fd, scan_wait_cb, &w);
}

struct station_wait {
	int ifindex;
	unsigned int *count;
};

static int station_wait_cb(const void *buf, size_t len, void *user_data)
{
	struct station_wait *w = user_data;

	return nl80211_parse_station_dump(buf, len, w->ifindex, w->count);
}

int nl80211_count_stations(struct nl80211 *nl, int ifindex, unsigned int *count)
{
	struct station_wait w = { ifindex, count };
	struct genl_request req;
	uint32_t index = (uint32_t)ifindex;
	int r;

	*count = 0;
	request_init(&req, NL80211_CMD_GET_STATION);
	put_attr(req.buf, &req.len, NL80211_ATTR_IFINDEX, &index,
		 sizeof(index));

	r = request_send(nl->fd, &req, nl->family, NLM_F_DUMP, ++nl->seq);
	if (r < 0)
		return r;

	return request_wait(nl->fd, station_wait_cb, &w);
}
