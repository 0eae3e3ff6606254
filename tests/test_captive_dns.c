/* SPDX-License-Identifier: MIT */
/*
 * The captive portal's DNS and DHCP drop-in (actors/dnsmasq_dropin.h) in a
 * real dnsmasq, started the way NetworkManager starts its shared-mode
 * dnsmasq for the access point.
 *
 * The network: two namespaces joined by a veth pair, "ap" (wlan0,
 * 192.168.4.1/24, the device's access point) and "phone" (eth0,
 * 192.168.4.2/24). The drop-in is written by the daemon's own function
 * into a temporary dnsmasq-shared.d, and dnsmasq runs in "ap" with
 * NetworkManager 1.42's command line for a shared connection
 * (src/core/dnsmasq/nm-dnsmasq-manager.c): no config file, no hosts, in
 * the foreground, bound to the AP address, its DHCP range, its lease and
 * pid files (here in the temporary directory) and --conf-dir pointing at
 * the drop-in directory. Only --user=root and logging to stderr are ours.
 * dnsmasq reads /etc/resolv.conf as under NetworkManager; no upstream is
 * reachable from "ap", as on an AP without an uplink.
 *
 * The phone asks with dig(1) and with a DHCPDISCOVER sent from a UDP
 * socket opened inside "phone". Then the drop-in is removed and a fresh
 * dnsmasq must neither send every name to the AP nor announce the portal,
 * which shows that the answers came from the drop-in.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "actors/dnsmasq_dropin.h"
#include "tests/harness/netns.h"
#include "tests/harness/process.h"

#define AP_IP "192.168.4.1"
#define AP_CIDR AP_IP "/24"
#define PHONE_CIDR "192.168.4.2/24"
#define AP_IF "wlan0"
#define PHONE_IF "eth0"
#define DHCP_FIRST "192.168.4.10"
#define DHCP_LAST "192.168.4.254"
#define PORTAL_URL "http://" AP_IP DNSMASQ_DROPIN_PORTAL_PATH

#define START_MS 10000
#define TOOL_MS 10000
#define DHCP_MS 10000
#define STOP_MS 3000

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define DHCP_OPTION_PAD 0
#define DHCP_OPTION_MESSAGE_TYPE 53
#define DHCP_OPTION_REQUEST_LIST 55
#define DHCP_OPTION_CAPTIVE_PORTAL 114 /* RFC 8910 */
#define DHCP_OPTION_END 255
#define DHCP_DISCOVER 1
#define DHCP_OFFER 2

/* RFC 2131 section 2, options field at its least required size. */
struct dhcp_packet {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint32_t giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t magic;
	uint8_t options[308];
} __attribute__((packed));

static struct netns *ap, *phone;
static pid_t dnsmasq = -1;
static char dir[256];
static char conf_dir[300];
static char dropin_path[340];
static char log_path[300];

/* ---- fixture --------------------------------------------------------- */

static void setup(void)
{
	cr_assert_eq(harness_temp_dir(dir, sizeof(dir), "distiller-dns-"), 0);
	snprintf(conf_dir, sizeof(conf_dir), "%s/dnsmasq-shared.d", dir);
	snprintf(dropin_path, sizeof(dropin_path), "%s/%s", conf_dir,
		 DNSMASQ_DROPIN_NAME);
	snprintf(log_path, sizeof(log_path), "%s/dnsmasq.log", dir);
	cr_assert_eq(mkdir(conf_dir, 0755), 0);

	ap = netns_new("dns-ap");
	cr_assert_not_null(ap, "netns: %s", strerror(errno));
	phone = netns_new("dns-phone");
	cr_assert_not_null(phone, "netns: %s", strerror(errno));
	cr_assert_eq(netns_link_veth(ap, AP_IF, AP_CIDR, phone, PHONE_IF,
				     PHONE_CIDR),
		     0);
}

static void print_log(void)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return;

	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	fprintf(stderr, "---- dnsmasq log (%s) ----\n%s\n", log_path, buf);
}

static void dnsmasq_stop(void)
{
	if (dnsmasq > 0)
		netns_stop(dnsmasq, SIGTERM, STOP_MS);
	dnsmasq = -1;
}

static void teardown(void)
{
	dnsmasq_stop();
	netns_free(phone);
	netns_free(ap);
	phone = NULL;
	ap = NULL;
	if (dir[0])
		harness_remove_tree(dir);
	dir[0] = '\0';
}

TestSuite(captive_dns, .init = setup, .fini = teardown, .timeout = 60);

/*
 * Starts dnsmasq in "ap" as NetworkManager does for a shared connection
 * and waits until it says it started (after its sockets are bound).
 * @generation tells the runs' files apart.
 */
static void dnsmasq_start(int generation)
{
	char range[64], leases[340], pid_file[340], listen[64], conf[340];
	char started[32];
	char *argv[] = {
		"dnsmasq",
		"--conf-file=/dev/null",
		"--no-hosts",
		"--keep-in-foreground",
		"--bind-interfaces",
		"--except-interface=lo",
		"--clear-on-reload",
		"--strict-order",
		listen,
		range,
		leases,
		pid_file,
		conf,
		"--user=root",
		"--log-facility=-",
		"--log-queries",
		"--log-dhcp",
		NULL,
	};
	struct netns_cmd cmd = { .ns = ap, .argv = argv, .log_path = log_path };

	snprintf(listen, sizeof(listen), "--listen-address=%s", AP_IP);
	snprintf(range, sizeof(range), "--dhcp-range=%s,%s,60m", DHCP_FIRST,
		 DHCP_LAST);
	snprintf(leases, sizeof(leases),
		 "--dhcp-leasefile=%s/dnsmasq-%s-%d"
		 ".leases",
		 dir, AP_IF, generation);
	snprintf(pid_file, sizeof(pid_file), "--pid-file=%s/dnsmasq-%d.pid",
		 dir, generation);
	snprintf(conf, sizeof(conf), "--conf-dir=%s", conf_dir);

	dnsmasq = netns_spawn(&cmd, NULL);
	cr_assert_gt(dnsmasq, 0, "dnsmasq: %s", strerror((int)-dnsmasq));
	snprintf(started, sizeof(started), "dnsmasq[%d]: started", dnsmasq);
	if (netns_wait_file_contains(log_path, started, START_MS)) {
		print_log();
		cr_assert_fail("dnsmasq did not start");
	}
}

/* ---- the phone's side ------------------------------------------------ */

/* dig's short answer for @name's A record, asked from the phone. */
static char *dig_a(const char *name)
{
	char *argv[] = { "dig",	    "+short",	  "+time=2", "+tries=1",
			 "@" AP_IP, (char *)name, "A",	     NULL };
	struct netns_cmd cmd = { .ns = phone, .argv = argv };
	char *out = NULL;
	int rc;

	rc = netns_run(&cmd, TOOL_MS, &out);
	cr_assert_geq(rc, 0, "dig %s: %s", name, strerror(-rc));
	/* dig +short exits 0 with no output for an empty or refused answer */
	cr_assert(rc == 0 || rc == 9, "dig %s exited %d", name, rc);
	return out;
}

static void assert_resolves_to_ap(const char *name)
{
	char *out = dig_a(name);

	cr_assert_str_eq(out, AP_IP "\n", "%s resolved to \"%s\"", name, out);
	free(out);
}

/* A UDP socket made inside @ns: the socket stays there after we leave. */
static int socket_in(const struct netns *ns)
{
	char path[PATH_MAX];
	int self, target, fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", netns_name(ns));
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(self, 0);
	target = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(target, 0, "%s: %s", path, strerror(errno));

	cr_assert_eq(setns(target, CLONE_NEWNET), 0, "setns: %s",
		     strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = errno;
	cr_assert_eq(setns(self, CLONE_NEWNET), 0, "setns back: %s",
		     strerror(errno));
	close(target);
	close(self);
	cr_assert_geq(fd, 0, "socket: %s", strerror(err));
	return fd;
}

static const uint8_t *dhcp_option(const struct dhcp_packet *p, size_t len,
				  uint8_t code, uint8_t *opt_len)
{
	const uint8_t *o = p->options;
	const uint8_t *end = (const uint8_t *)p + len;

	while (o < end && *o != DHCP_OPTION_END) {
		if (*o == DHCP_OPTION_PAD) {
			o++;
			continue;
		}

		if (o + 2 > end || o + 2 + o[1] > end)
			return NULL;

		if (*o == code) {
			*opt_len = o[1];
			return o + 2;
		}

		o += 2 + o[1];
	}

	return NULL;
}

/*
 * Sends a DHCPDISCOVER from the phone asking for option 114 and returns
 * the server's DHCPOFFER in @offer (its length).
 */
static size_t dhcp_discover(struct dhcp_packet *offer)
{
	static const uint8_t request[] = { 1, 3, 6,
					   DHCP_OPTION_CAPTIVE_PORTAL };
	struct sockaddr_in local = {
		.sin_family = AF_INET,
		.sin_port = htons(DHCP_CLIENT_PORT),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	struct sockaddr_in server = {
		.sin_family = AF_INET,
		.sin_port = htons(DHCP_SERVER_PORT),
		.sin_addr.s_addr = htonl(INADDR_BROADCAST),
	};
	struct dhcp_packet discover = { 0 };
	uint64_t deadline = harness_now_ms() + DHCP_MS;
	struct ifreq ifr = { 0 };
	int fd = socket_in(phone), on = 1;
	uint8_t *o = discover.options;
	ssize_t n = -1;

	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)),
		     0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)),
		     0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, PHONE_IF,
				sizeof(PHONE_IF)),
		     0, "SO_BINDTODEVICE: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&local, sizeof(local)), 0,
		     "bind :68: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", PHONE_IF);
	cr_assert_eq(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);

	discover.op = 1;
	discover.htype = 1;
	discover.hlen = 6;
	cr_assert_eq(getrandom(&discover.xid, sizeof(discover.xid), 0),
		     sizeof(discover.xid));
	/* no address yet: the offer must come back as a broadcast */
	discover.flags = htons(0x8000);
	memcpy(discover.chaddr, ifr.ifr_hwaddr.sa_data, 6);
	discover.magic = htonl(DHCP_MAGIC);
	*o++ = DHCP_OPTION_MESSAGE_TYPE;
	*o++ = 1;
	*o++ = DHCP_DISCOVER;
	*o++ = DHCP_OPTION_REQUEST_LIST;
	*o++ = sizeof(request);
	memcpy(o, request, sizeof(request));
	o += sizeof(request);
	*o = DHCP_OPTION_END;

	cr_assert_eq(sendto(fd, &discover, sizeof(discover), 0,
			    (struct sockaddr *)&server, sizeof(server)),
		     (ssize_t)sizeof(discover), "send: %s", strerror(errno));

	/* skip anything that is not the answer to this discover */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = harness_now_ms();
		const uint8_t *type;
		uint8_t type_len = 0;

		cr_assert_lt(now, deadline, "no DHCPOFFER within %d ms",
			     DHCP_MS);
		cr_assert_geq(poll(&pfd, 1, (int)(deadline - now)), 0);
		if (!(pfd.revents & POLLIN))
			continue;

		memset(offer, 0, sizeof(*offer));
		n = recv(fd, offer, sizeof(*offer), 0);
		cr_assert_geq(n, 0, "recv: %s", strerror(errno));
		if ((size_t)n < offsetof(struct dhcp_packet, options) ||
		    offer->op != 2 || offer->xid != discover.xid ||
		    offer->magic != htonl(DHCP_MAGIC))
			continue;

		type = dhcp_option(offer, (size_t)n, DHCP_OPTION_MESSAGE_TYPE,
				   &type_len);
		if (type && type_len == 1 && *type == DHCP_OFFER)
			break;
	}

	close(fd);
	return (size_t)n;
}

/* The captive portal URI an offer announces, or "" (to be freed). */
static char *offered_portal(void)
{
	struct dhcp_packet offer;
	const uint8_t *uri;
	uint8_t len = 0;
	char yiaddr[INET_ADDRSTRLEN];
	size_t n = dhcp_discover(&offer);
	char *text;

	inet_ntop(AF_INET, &offer.yiaddr, yiaddr, sizeof(yiaddr));
	cr_assert_eq(strncmp(yiaddr, "192.168.4.", 10), 0,
		     "offered %s, outside the AP's range", yiaddr);

	uri = dhcp_option(&offer, n, DHCP_OPTION_CAPTIVE_PORTAL, &len);
	text = calloc(1, (size_t)len + 1);
	cr_assert_not_null(text);
	if (uri)
		memcpy(text, uri, len);
	return text;
}

/* A name nobody registered: 3 labels of random hex, 63 + 40 + 20 long. */
static void random_name(char *out, size_t size)
{
	static const unsigned int labels[] = { 63, 40, 20 };
	uint8_t bytes[63];
	size_t o = 0;

	for (size_t l = 0; l < 3; l++) {
		cr_assert_eq(getrandom(bytes, labels[l], 0), labels[l]);
		for (unsigned int i = 0; i < labels[l] && o + 2 < size; i++)
			out[o++] = "0123456789abcdef"[bytes[i] & 0x0f];
		out[o++] = '.';
	}

	snprintf(out + o, size - o, "example");
}

static size_t dir_entries(const char *path)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(path);

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* ---- tests ----------------------------------------------------------- */

Test(captive_dns, the_drop_in_is_what_dnsmasq_accepts)
{
	char rendered[512], on_disk[512] = "", conf[340];
	char *argv[] = { "dnsmasq", "--test", "--conf-file=/dev/null", conf,
			 NULL };
	struct netns_cmd cmd = { .argv = argv, .log_path = log_path };
	size_t n;
	FILE *f;

	cr_assert_eq(dnsmasq_dropin_write(conf_dir, AP_IP), 0);
	cr_assert_eq(dnsmasq_dropin_render(AP_IP, rendered, sizeof(rendered)),
		     0);
	f = fopen(dropin_path, "r");
	cr_assert_not_null(f, "%s: %s", dropin_path, strerror(errno));
	n = fread(on_disk, 1, sizeof(on_disk) - 1, f);
	fclose(f);
	on_disk[n] = '\0';
	cr_assert_str_eq(on_disk, rendered);
	cr_assert_not_null(strstr(on_disk, "\naddress=/#/" AP_IP "\n"), "%s",
			   on_disk);
	cr_assert_not_null(strstr(on_disk,
				  "\ndhcp-option=114,\"" PORTAL_URL "\"\n"),
			   "%s", on_disk);
	cr_assert_eq(dir_entries(conf_dir), 1, "only the drop-in is left");

	snprintf(conf, sizeof(conf), "--conf-dir=%s", conf_dir);
	cr_assert_eq(netns_run(&cmd, TOOL_MS, NULL), 0,
		     "dnsmasq --test refused the drop-in");
	cr_assert_eq(netns_wait_file_contains(log_path, "syntax check OK",
					      TOOL_MS),
		     0);
}

Test(captive_dns, every_name_resolves_to_the_ap_and_dhcp_announces_the_portal)
{
	static const char *const names[] = {
		"anything.example",	   "connectivitycheck.gstatic.com",
		"clients3.google.com",	   "captive.apple.com",
		"www.msftconnecttest.com", "detectportal.firefox.com",
		"nmcheck.gnome.org",	   "distiller-a1b2.local",
		"localhost.localdomain",   "x",
	};
	char name[160], *portal;

	cr_assert_eq(dnsmasq_dropin_write(conf_dir, AP_IP), 0);
	dnsmasq_start(1);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_resolves_to_ap(names[i]);
	random_name(name, sizeof(name));
	assert_resolves_to_ap(name);

	portal = offered_portal();
	cr_assert_str_eq(portal, PORTAL_URL, "option 114 of the offer");
	free(portal);
}

Test(captive_dns, without_the_drop_in_names_and_portal_are_gone)
{
	char *out, *portal;

	/* the actor's removal leaves nothing, and may be repeated */
	cr_assert_eq(dnsmasq_dropin_write(conf_dir, AP_IP), 0);
	cr_assert_eq(dnsmasq_dropin_remove(conf_dir), 0);
	cr_assert_eq(access(dropin_path, F_OK), -1);
	cr_assert_eq(dir_entries(conf_dir), 0, "the drop-in left files");
	cr_assert_eq(dnsmasq_dropin_remove(conf_dir), 0);

	dnsmasq_start(2);
	out = dig_a("connectivitycheck.gstatic.com");
	cr_assert_str_eq(out, "", "answered without the drop-in: %s", out);
	free(out);

	portal = offered_portal();
	cr_assert_str_eq(portal, "", "a portal without the drop-in: %s",
			 portal);
	free(portal);
}
