/* SPDX-License-Identifier: MIT */
/*
 * Device identity over a fake sysfs tree in a temp directory: the id
 * rule, the choice of the WiFi interface, the machine-id and random
 * fallbacks, stability across restarts, renamed interfaces and changed
 * MACs, damaged or planted device_config.json files, and the serial.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "actors/identity.h"
#include "runtime/config.h"

static char root[64];
static char sysfs[128];
static struct config cfg;
static struct identity_sources src;
static char machine_id[128];

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *read_file(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Adds SYSFS/class/net/NAME with its address; kind "wireless",
 * "phy80211" or NULL (wired). */
static void add_iface(const char *name, const char *mac, const char *kind)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/class/net/%s", sysfs, name);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/class/net/%s/address", sysfs, name);
	put_file(path, mac);

	if (kind && strcmp(kind, "wireless") == 0) {
		snprintf(path, sizeof(path), "%s/class/net/%s/wireless", sysfs,
			 name);
		cr_assert_eq(mkdir(path, 0755), 0);
	} else if (kind) {
		/* In the real sysfs, phy80211 is a link to the phy. */
		snprintf(path, sizeof(path), "%s/class/net/%s/phy80211", sysfs,
			 name);
		cr_assert_eq(symlink("../../ieee80211/phy0", path), 0);
	}
}

static void rename_iface(const char *from, const char *to)
{
	char a[256], b[256];

	snprintf(a, sizeof(a), "%s/class/net/%s", sysfs, from);
	snprintf(b, sizeof(b), "%s/class/net/%s", sysfs, to);
	cr_assert_eq(rename(a, b), 0);
}

static void setup(void)
{
	char path[PATH_MAX + 64];

	strcpy(root, "/tmp/distiller-identity-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(path, sizeof(path), "%s/sys/class/net", root);
	cr_assert_eq(mkdir(sysfs, 0755), 0);
	snprintf(path, sizeof(path), "%s/class", sysfs);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/class/net", sysfs);
	cr_assert_eq(mkdir(path, 0755), 0);

	snprintf(machine_id, sizeof(machine_id), "%s/machine-id", root);
	src.sysfs_root = sysfs;
	src.machine_id_path = machine_id;

	config_defaults(&cfg);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", root);
	snprintf(cfg.device_env_path, sizeof(cfg.device_env_path),
		 "%s/device.env", root);
}

static int remove_cb(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	nftw(root, remove_cb, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(identity, .init = setup, .fini = teardown);

static void load(struct identity *id, struct identity_report *rep)
{
	cr_assert_eq(identity_load(id, &cfg, &src, rep), 0);
}

static void config_path(char *out, size_t size)
{
	snprintf(out, size, "%s/%s", cfg.state_dir, IDENTITY_FILE_NAME);
}

Test(identity, id_is_the_last_two_mac_bytes_in_lower_case)
{
	static const uint8_t mac[6] = { 0xdc, 0xa6, 0x32, 0x01, 0xa1, 0xb2 };
	struct identity id = { 0 };

	identity_id_from_mac(mac, id.device_id);
	cr_expect_str_eq(id.device_id, "a1b2");

	identity_derive_names(&id, "Distiller");
	cr_expect_str_eq(id.hostname, "distiller-a1b2");
	cr_expect_str_eq(id.ap_ssid, "Distiller-A1B2");

	identity_derive_names(&id, "Pamir Setup");
	cr_expect_str_eq(id.ap_ssid, "Pamir Setup-A1B2");
}

Test(identity, finds_the_wireless_interface)
{
	char ifname[IFNAMSIZ];
	uint8_t mac[6];

	add_iface("eth0", "00:11:22:33:44:55\n", NULL);
	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	cr_assert_eq(identity_find_wifi_mac(sysfs, ifname, mac), 0);
	cr_expect_str_eq(ifname, "wlan0");
	cr_expect_eq(mac[4], 0xa1);
	cr_expect_eq(mac[5], 0xb2);
}

Test(identity, recognises_phy80211_and_prefers_a_universal_address)
{
	char ifname[IFNAMSIZ];
	uint8_t mac[6];

	/* ap0 sorts first but is a virtual interface (locally set MAC). */
	add_iface("ap0", "02:00:00:aa:bb:cc\n", "wireless");
	add_iface("wlp1s0", "b8:27:eb:12:34:56\n", "phy80211");
	cr_assert_eq(identity_find_wifi_mac(sysfs, ifname, mac), 0);
	cr_expect_str_eq(ifname, "wlp1s0");
	cr_expect_eq(mac[5], 0x56);
}

Test(identity, takes_a_local_address_when_it_is_the_only_one)
{
	char ifname[IFNAMSIZ];
	uint8_t mac[6];

	add_iface("wlan1", "00:00:00:00:00:00\n", "wireless");
	add_iface("wlan2", "06:11:22:33:c0:de\n", "wireless");
	cr_assert_eq(identity_find_wifi_mac(sysfs, ifname, mac), 0);
	cr_expect_str_eq(ifname, "wlan2");
}

Test(identity, no_wireless_interface_is_enodev)
{
	char ifname[IFNAMSIZ];
	uint8_t mac[6];

	add_iface("eth0", "00:11:22:33:44:55\n", NULL);
	add_iface("wlan0", "garbage\n", "wireless");
	cr_expect_eq(identity_find_wifi_mac(sysfs, ifname, mac), -ENODEV);
	cr_expect_eq(identity_find_wifi_mac("/nonexistent", ifname, mac),
		     -ENOENT);
}

Test(identity, decided_once_and_kept_across_restarts)
{
	struct identity id, again;
	struct identity_report rep;
	char path[PATH_MAX + 64];
	struct stat st;

	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	load(&id, &rep);
	cr_expect(rep.decided);
	cr_expect_eq(rep.load_err, 0, "%s", rep.load);
	cr_expect_eq(rep.save_err, 0, "%s", rep.save);
	cr_expect_str_eq(id.device_id, "a1b2");
	cr_expect_eq(id.source, IDENTITY_SOURCE_MAC);
	cr_expect_str_eq(id.interface, "wlan0");
	cr_expect_str_eq(id.hostname, "distiller-a1b2");
	cr_expect_str_eq(id.ap_ssid, "Distiller-A1B2");

	config_path(path, sizeof(path));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_expect(strstr(read_file(path), "\"a1b2\""));

	/* A restart reads it back instead of deciding again. */
	load(&again, &rep);
	cr_expect_not(rep.decided);
	cr_expect_str_eq(again.device_id, "a1b2");
	cr_expect_str_eq(again.ap_ssid, "Distiller-A1B2");
}

Test(identity, stable_with_the_interface_renamed)
{
	struct identity id;
	struct identity_report rep;
	char path[PATH_MAX + 64];

	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	load(&id, &rep);
	cr_assert_str_eq(id.device_id, "a1b2");

	/* Renamed, file kept: read back. */
	rename_iface("wlan0", "wlp1s0");
	load(&id, &rep);
	cr_expect_not(rep.decided);
	cr_expect_str_eq(id.device_id, "a1b2");

	/* Renamed and the file lost: the rule gives the same id. */
	config_path(path, sizeof(path));
	cr_assert_eq(unlink(path), 0);
	load(&id, &rep);
	cr_expect(rep.decided);
	cr_expect_str_eq(id.device_id, "a1b2");
	cr_expect_str_eq(id.interface, "wlp1s0");
}

Test(identity, kept_when_the_mac_changes_later)
{
	struct identity id;
	struct identity_report rep;
	char path[PATH_MAX + 64];

	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	load(&id, &rep);

	snprintf(path, sizeof(path), "%s/class/net/wlan0/address", sysfs);
	put_file(path, "dc:a6:32:01:ff:ee\n");
	load(&id, &rep);
	cr_expect_str_eq(id.device_id, "a1b2");
}

Test(identity, falls_back_to_a_hash_of_machine_id)
{
	struct identity id;
	struct identity_report rep;

	put_file(machine_id, "0123456789abcdef0123456789abcdef\n");
	load(&id, &rep);
	cr_expect_eq(id.source, IDENTITY_SOURCE_MACHINE_ID);
	/* The last two bytes of FNV-1a 64 of the 32 digits. */
	cr_expect_str_eq(id.device_id, "ff55");
	cr_expect_str_eq(id.interface, "");
	cr_expect(!strstr(read_file(machine_id), id.device_id));

	load(&id, &rep);
	cr_expect_not(rep.decided);
	cr_expect_str_eq(id.device_id, "ff55");
}

Test(identity, refuses_a_malformed_machine_id)
{
	char out[IDENTITY_ID_LEN + 1];

	put_file(machine_id, "not-a-machine-id\n");
	cr_expect_eq(identity_id_from_machine_id(machine_id, out), -EINVAL);
	cr_expect_eq(identity_id_from_machine_id("/nonexistent", out), -ENOENT);
}

Test(identity, falls_back_to_random_and_keeps_it)
{
	struct identity id;
	struct identity_report rep;
	char first[IDENTITY_ID_LEN + 1];

	load(&id, &rep);
	cr_expect_eq(id.source, IDENTITY_SOURCE_RANDOM);
	cr_expect_eq(strlen(id.device_id), IDENTITY_ID_LEN);
	cr_expect_eq(strspn(id.device_id, "0123456789abcdef"), IDENTITY_ID_LEN);
	strcpy(first, id.device_id);

	load(&id, &rep);
	cr_expect_not(rep.decided);
	cr_expect_str_eq(id.device_id, first);
}

struct damage {
	const char *what;
	const char *text;
	const char *mention;
};

static const struct damage damages[] = {
	{ "empty", "", "empty" },
	{ "truncated", "{\"version\":1,\"device_id\":\"a1", "not JSON" },
	{ "garbage", "device_id=a1b2\n", "not JSON" },
	{ "array", "[]", "not a JSON object" },
	{ "id number",
	  "{\"version\":1,\"device_id\":4242,\"source\":\"mac\","
	  "\"interface\":\"wlan0\"}",
	  "\"device_id\" must be a string" },
	{ "id not hex",
	  "{\"version\":1,\"device_id\":\"zzzz\",\"source\":\"mac\","
	  "\"interface\":\"wlan0\"}",
	  "hex digits" },
	{ "id upper case",
	  "{\"version\":1,\"device_id\":\"A1B2\",\"source\":\"mac\","
	  "\"interface\":\"wlan0\"}",
	  "lower-case" },
	{ "unknown source",
	  "{\"version\":1,\"device_id\":\"1234\",\"source\":\"dice\","
	  "\"interface\":\"\"}",
	  "\"source\" must be" },
	{ "interface missing",
	  "{\"version\":1,\"device_id\":\"1234\",\"source\":\"mac\"}",
	  "\"interface\" is missing" },
	{ "version 0", "{\"version\":0}", "version 0" },
};

Test(identity, damaged_file_is_reported_and_replaced)
{
	char path[PATH_MAX + 64];

	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	config_path(path, sizeof(path));
	cr_assert_eq(mkdir(cfg.state_dir, 0700), 0);

	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		struct identity id;
		struct identity_report rep;

		put_file(path, damages[i].text);
		load(&id, &rep);
		cr_expect_lt(rep.load_err, 0, "%s: not reported",
			     damages[i].what);
		cr_expect(strstr(rep.load, path), "%s: no path in \"%s\"",
			  damages[i].what, rep.load);
		cr_expect(strstr(rep.load, damages[i].mention),
			  "%s: \"%s\" lacks \"%s\"", damages[i].what, rep.load,
			  damages[i].mention);
		cr_expect(rep.decided);
		cr_expect_eq(rep.save_err, 0, "%s", rep.save);
		cr_expect_str_eq(id.device_id, "a1b2");

		/* Replaced: the next start reads it without complaint. */
		load(&id, &rep);
		cr_expect_eq(rep.load_err, 0, "%s: %s", damages[i].what,
			     rep.load);
		cr_expect_not(rep.decided);
	}
}

Test(identity, symlink_in_place_of_the_file_is_refused)
{
	struct identity id;
	struct identity_report rep;
	char path[PATH_MAX + 64], victim[256];
	struct stat st;

	add_iface("wlan0", "dc:a6:32:01:a1:b2\n", "wireless");
	cr_assert_eq(mkdir(cfg.state_dir, 0700), 0);
	snprintf(victim, sizeof(victim), "%s/victim", root);
	put_file(victim, "precious\n");
	config_path(path, sizeof(path));
	cr_assert_eq(symlink(victim, path), 0);

	load(&id, &rep);
	cr_expect_eq(rep.load_err, -ELOOP, "%s", rep.load);
	cr_expect_eq(rep.save_err, -ELOOP, "%s", rep.save);
	cr_expect_str_eq(id.device_id, "a1b2");
	cr_expect_str_eq(read_file(victim), "precious\n");
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
}

Test(identity, serial_from_the_configuration_first)
{
	struct identity id;
	struct identity_report rep;

	strcpy(cfg.device_serial, "DSTL-0042");
	put_file(cfg.device_env_path, "DISTILLER_DEVICE_SERIAL=OTHER\n");
	load(&id, &rep);
	cr_expect_eq(rep.serial_err, 0, "%s", rep.serial);
	cr_expect_str_eq(id.serial, "DSTL-0042");
}

Test(identity, serial_from_device_env)
{
	char out[IDENTITY_SERIAL_MAX], err[STATE_STORE_ERROR_MAX];

	put_file(cfg.device_env_path,
		 "# written at the factory\n"
		 "DISTILLER_DEVICE_MODEL=pamir-mini\n"
		 "DISTILLER_DEVICE_SERIALX=wrong\n"
		 "export DISTILLER_DEVICE_SERIAL=\"PM_0001-a\"\n");
	cr_expect_eq(identity_read_serial(&cfg, out, err), 0, "%s", err);
	cr_expect_str_eq(out, "PM_0001-a");

	put_file(cfg.device_env_path, "DISTILLER_DEVICE_SERIAL = 'ABC'\n"
				      "DISTILLER_DEVICE_SERIAL=XYZ9\n");
	cr_expect_eq(identity_read_serial(&cfg, out, err), 0, "%s", err);
	cr_expect_str_eq(out, "XYZ9", "the last line wins");
}

Test(identity, serial_problems_are_reported_with_the_path)
{
	char out[IDENTITY_SERIAL_MAX], err[STATE_STORE_ERROR_MAX];

	cr_expect_eq(identity_read_serial(&cfg, out, err), -ENOENT);
	cr_expect(strstr(err, cfg.device_env_path), "%s", err);

	put_file(cfg.device_env_path, "OTHER=1\n");
	cr_expect_eq(identity_read_serial(&cfg, out, err), -ENOENT);
	cr_expect(strstr(err, "has no DISTILLER_DEVICE_SERIAL"), "%s", err);

	put_file(cfg.device_env_path, "DISTILLER_DEVICE_SERIAL=a b;rm\n");
	cr_expect_eq(identity_read_serial(&cfg, out, err), -EINVAL);
	cr_expect(strstr(err, cfg.device_env_path), "%s", err);
	cr_expect_str_eq(out, "");

	put_file(cfg.device_env_path, "DISTILLER_DEVICE_SERIAL=\n");
	cr_expect_eq(identity_read_serial(&cfg, out, err), -EINVAL);
}
