/* SPDX-License-Identifier: MIT */
/*
 * Configuration alone: the defaults, every variable's accepted and refused
 * values, the messages (one line, naming the variable, never showing a
 * secret), the .env reader and the order of the layers.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "runtime/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PREFIX "DISTILLER_"

static char err[CONFIG_ERROR_MAX];

/* Sets @key, with and without the prefix, on fresh defaults. */
static void expect_good(const char *key, const char *value)
{
	char full[96];
	struct config cfg;

	snprintf(full, sizeof(full), PREFIX "%s", key);
	config_defaults(&cfg);
	err[0] = '\0';
	cr_expect_eq(config_set(&cfg, key, value, err), 0,
		     "%s='%s' refused: %s", key, value, err);
	cr_expect_eq(config_set(&cfg, full, value, err), 0,
		     "%s='%s' refused: %s", full, value, err);
}

/*
 * A refused value: -EINVAL, the configuration untouched, one line that
 * names the variable in full, and never a secret's value.
 */
static void expect_bad_as(const char *key, const char *value, bool secret)
{
	struct config before, cfg;
	char full[96];

	snprintf(full, sizeof(full), PREFIX "%s", key);
	config_defaults(&cfg);
	before = cfg;
	err[0] = '\0';
	cr_expect_eq(config_set(&cfg, key, value, err), -EINVAL,
		     "%s='%s' accepted", key, value);
	cr_expect(!memcmp(&before, &cfg, sizeof(cfg)),
		  "%s='%s' changed the configuration", key, value);
	cr_expect(strstr(err, full), "%s: message '%s' lacks the name", key,
		  err);
	cr_expect(!strchr(err, '\n'), "%s: message spans lines", key);
	if (secret && *value) {
		cr_expect(!strstr(err, value), "%s: message shows the secret",
			  key);
		cr_expect(strstr(err, "<hidden>"), "%s: '%s'", key, err);
	}

	err[0] = '\0';
	cr_expect_eq(config_set(&cfg, full, value, err), -EINVAL);
	cr_expect(strstr(err, full));
}

static void expect_bad(const char *key, const char *value)
{
	expect_bad_as(key, value, false);
}

/* ---- defaults -------------------------------------------------------- */

Test(config, defaults)
{
	struct config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	config_defaults(&cfg);
	cr_expect_str_eq(cfg.ap_ssid_prefix, "Distiller");
	cr_expect_str_eq(cfg.ap_ip, "192.168.4.1");
	cr_expect_eq(cfg.ap_channel, 6);
	cr_expect_str_eq(cfg.ap_password, "");
	cr_expect_eq(cfg.ap_password_ttl_s, 1800);
	cr_expect_str_eq(cfg.web_host, "0.0.0.0");
	cr_expect_eq(cfg.web_port, 8080);
	cr_expect_eq(cfg.portal_port, 80);
	cr_expect_eq(cfg.tunnel_port, 0, "decided by config_finish");
	cr_expect_eq(cfg.ws_ping_s, 20);
	cr_expect(cfg.captive_portal);
	cr_expect(cfg.display_enabled);
	cr_expect_eq(cfg.display_update_interval, 30);
	cr_expect(cfg.tunnel_enabled);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_FRP);
	cr_expect_str_eq(cfg.devices_domain, "devices.pamir.ai");
	cr_expect_str_eq(cfg.frp_service_name, "frpc.service");
	cr_expect_str_eq(cfg.device_serial, "");
	cr_expect_str_eq(cfg.device_env_path, "/etc/pamir/device.env");
	cr_expect_eq(cfg.tunnel_refresh_interval, 3300);
	cr_expect_eq(cfg.tunnel_ssh_port, 443);
	cr_expect_str_eq(cfg.pinggy_access_token, "");
	cr_expect_eq(cfg.tunnel_max_retries, 3);
	cr_expect_eq(cfg.tunnel_retry_delay, 30);
	cr_expect_not(cfg.debug);
	cr_expect_str_eq(cfg.state_dir, "/var/lib/distiller");
	cr_expect_str_eq(cfg.run_dir, "/run/distiller-wifi");
	cr_expect_str_eq(cfg.dnsmasq_dir,
			 "/etc/NetworkManager/dnsmasq-shared.d");
	cr_expect_str_eq(cfg.nm_lease_dir, "");
	cr_expect_str_eq(cfg.control_socket, "");
	cr_expect_not(cfg.no_hardware);
	cr_expect_eq(cfg.join_timeout_s, 45);
	cr_expect_eq(cfg.reconnect_grace_s, 60);
	cr_expect_eq(cfg.boot_grace_s, 20);
	cr_expect_eq(cfg.heartbeat_interval_ms, 1000);
	cr_expect_eq(cfg.heartbeat_deadline_ms, 5000);
	cr_expect_eq(cfg.restart_backoff_min_ms, 100);
	cr_expect_eq(cfg.restart_backoff_max_ms, 30000);
	cr_expect_eq(cfg.restart_limit, 5);
	cr_expect_eq(cfg.restart_window_ms, 60000);
}

Test(config, defaults_pass_finish)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_str_eq(cfg.control_socket,
			 "/run/distiller-wifi/control.sock");
	cr_expect_eq(cfg.tunnel_port, 8081);
	cr_expect_eq(cfg.portal_port, 80);
	cr_expect_eq(cfg.ws_ping_s, 20);
}

/* ---- integers -------------------------------------------------------- */

static const struct {
	const char *key;
	unsigned long min, max;
} uint_vars[] = {
	{ "AP_CHANNEL", 1, 11 },
	{ "AP_PASSWORD_TTL", 60, 86400 },
	{ "WEB_PORT", 1, 65535 },
	{ "PORTAL_PORT", 1, 65535 },
	{ "TUNNEL_PORT", 1, 65535 },
	{ "WS_PING_S", 1, 3600 },
	{ "DISPLAY_UPDATE_INTERVAL", 1, 3600 },
	{ "TUNNEL_REFRESH_INTERVAL", 60, 86400 },
	{ "TUNNEL_SSH_PORT", 1, 65535 },
	{ "TUNNEL_MAX_RETRIES", 0, 100 },
	{ "TUNNEL_RETRY_DELAY", 1, 3600 },
	{ "JOIN_TIMEOUT", 5, 600 },
	{ "RECONNECT_GRACE", 0, 3600 },
	{ "BOOT_GRACE", 0, 600 },
	{ "HEARTBEAT_INTERVAL_MS", 10, 60000 },
	{ "HEARTBEAT_DEADLINE_MS", 11, 600000 },
	{ "RESTART_BACKOFF_MIN_MS", 1, 600000 },
	{ "RESTART_BACKOFF_MAX_MS", 1, 3600000 },
	{ "RESTART_LIMIT", 1, 1000 },
	{ "RESTART_WINDOW_MS", 100, 86400000 },
};

Test(config, integers_take_their_range_and_nothing_else)
{
	static const char *const junk[] = {
		"",	      " 7",
		"7 ",	      "+7",
		"-7",	      "7x",
		"0x10",	      "1e2",
		"7.0",	      "7\n",
		"٣",	      "seven",
		"--1",	      "18446744073709551616",
		"4294967297", "99999999999999999999999999999",
	};
	char value[32];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(uint_vars); i++) {
		snprintf(value, sizeof(value), "%lu", uint_vars[i].min);
		expect_good(uint_vars[i].key, value);
		snprintf(value, sizeof(value), "%lu", uint_vars[i].max);
		expect_good(uint_vars[i].key, value);
		snprintf(value, sizeof(value), "%lu",
			 (uint_vars[i].min + uint_vars[i].max) / 2);
		expect_good(uint_vars[i].key, value);
		snprintf(value, sizeof(value), "00%lu", uint_vars[i].max);
		expect_good(uint_vars[i].key, value);

		if (uint_vars[i].min > 0) {
			snprintf(value, sizeof(value), "%lu",
				 uint_vars[i].min - 1);
			expect_bad(uint_vars[i].key, value);
		}
		snprintf(value, sizeof(value), "%lu", uint_vars[i].max + 1);
		expect_bad(uint_vars[i].key, value);
		snprintf(value, sizeof(value), "%lu",
			 uint_vars[i].max + 4294967296ul);
		expect_bad(uint_vars[i].key, value);

		for (j = 0; j < ARRAY_SIZE(junk); j++)
			expect_bad(uint_vars[i].key, junk[j]);
	}
}

Test(config, integers_are_stored)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "65535", err), 0);
	cr_expect_eq(cfg.web_port, 65535);
	cr_assert_eq(config_set(&cfg, "DISTILLER_AP_CHANNEL", "11", err), 0);
	cr_expect_eq(cfg.ap_channel, 11);
	cr_assert_eq(config_set(&cfg, "TUNNEL_SSH_PORT", "22", err), 0);
	cr_expect_eq(cfg.tunnel_ssh_port, 22);
	cr_assert_eq(config_set(&cfg, "RESTART_WINDOW_MS", "86400000", err), 0);
	cr_expect_eq(cfg.restart_window_ms, 86400000u);
	cr_assert_eq(config_set(&cfg, "RECONNECT_GRACE", "0", err), 0);
	cr_expect_eq(cfg.reconnect_grace_s, 0);
	cr_assert_eq(config_set(&cfg, "TUNNEL_MAX_RETRIES", "0100", err), 0);
	cr_expect_eq(cfg.tunnel_max_retries, 100);
	cr_assert_eq(config_set(&cfg, "PORTAL_PORT", "8000", err), 0);
	cr_expect_eq(cfg.portal_port, 8000);
	cr_assert_eq(config_set(&cfg, "DISTILLER_TUNNEL_PORT", "9001", err), 0);
	cr_expect_eq(cfg.tunnel_port, 9001);
	cr_assert_eq(config_set(&cfg, "WS_PING_S", "3600", err), 0);
	cr_expect_eq(cfg.ws_ping_s, 3600);
}

Test(config, integer_message_reads_as_documented)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_expect_eq(config_set(&cfg, "DISTILLER_WEB_PORT", "99999", err),
		     -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_WEB_PORT=99999: must be an integer "
			      "from 1 to 65535");
	cr_expect_eq(config_set(&cfg, "JOIN_TIMEOUT", "1", err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_JOIN_TIMEOUT=1: must be an integer "
			      "from 5 to 600 seconds");
	cr_expect_eq(config_set(&cfg, "PORTAL_PORT", "0", err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_PORTAL_PORT=0: must be an integer "
			      "from 1 to 65535");
	cr_expect_eq(config_set(&cfg, "WS_PING_S", "3601", err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_WS_PING_S=3601: must be an integer "
			      "from 1 to 3600 seconds");
}

/* ---- booleans and the provider --------------------------------------- */

Test(config, booleans)
{
	static const char *const keys[] = { "ENABLE_CAPTIVE_PORTAL",
					    "DISPLAY_ENABLED", "TUNNEL_ENABLED",
					    "DEBUG" };
	static const char *const yes[] = { "1",	  "true", "TRUE",
					   "Yes", "on",	  "ON" };
	static const char *const no[] = { "0",	"false", "False",
					  "NO", "off",	 "oFf" };
	static const char *const bad[] = { "",	    "2",       "y",
					   "n",	    "enable",  " true",
					   "true ", "truee",   "01",
					   "-1",    "disabled" };
	struct config cfg;
	size_t k, i;
	bool *field;

	for (k = 0; k < ARRAY_SIZE(keys); k++) {
		config_defaults(&cfg);
		field = !strcmp(keys[k], "DEBUG") ? &cfg.debug :
			!strcmp(keys[k], "DISPLAY_ENABLED") ?
						    &cfg.display_enabled :
			!strcmp(keys[k], "TUNNEL_ENABLED") ?
						    &cfg.tunnel_enabled :
						    &cfg.captive_portal;
		for (i = 0; i < ARRAY_SIZE(yes); i++) {
			*field = false;
			cr_expect_eq(config_set(&cfg, keys[k], yes[i], err), 0);
			cr_expect(*field, "%s=%s", keys[k], yes[i]);
			cr_expect_eq(config_set(&cfg, keys[k], no[i], err), 0);
			cr_expect_not(*field, "%s=%s", keys[k], no[i]);
		}
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			expect_bad(keys[k], bad[i]);
	}
}

Test(config, tunnel_provider)
{
	static const char *const bad[] = {
		"", "ngrok", "frp ", " frp", "pinggy.io", "frpc", "FRP\n",
	};
	struct config cfg;
	size_t i;

	config_defaults(&cfg);
	cr_expect_eq(config_set(&cfg, "TUNNEL_PROVIDER", "pinggy", err), 0);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_PINGGY);
	cr_expect_eq(config_set(&cfg, "TUNNEL_PROVIDER", "frp", err), 0);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_FRP);
	cr_expect_eq(config_set(&cfg, "TUNNEL_PROVIDER", "Pinggy", err), 0);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_PINGGY);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		expect_bad("TUNNEL_PROVIDER", bad[i]);
}

/* ---- strings --------------------------------------------------------- */

struct string_case {
	const char *key;
	bool secret;
	const char *good[10];
	const char *bad[16];
};

static const struct string_case string_cases[] = {
	{ "AP_SSID_PREFIX",
	  false,
	  { "D", "Distiller", "a_b-C9", "abcdefghijklmnopqrst" },
	  { "", "abcdefghijklmnopqrstu", "Dis tiller", "Dist:", "Dist\xc3\xa9",
	    "a.b", "a/b", "a\"b", "a\\b", "a\nb" } },
	{ "AP_IP",
	  false,
	  { "192.168.4.1", "10.0.0.1", "172.16.0.1", "172.31.255.254",
	    "192.168.0.254" },
	  { "", "192.168.4.0", "192.168.4.255", "8.8.8.8", "172.32.0.1",
	    "172.15.0.1", "192.168.4", "192.168.4.1 ", "192.168.004.1", "::1",
	    "192.168.4.256", "192.168.4.1x", "0xc0.168.4.1", "127.0.0.1",
	    "fd00::1" } },
	{ "AP_PASSWORD",
	  true,
	  { "", "12345678", "pass word!#\"'\\$`",
	    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 012345678",
	    "0123456789abcdef0123456789ABCDEF"
	    "0123456789abcdef0123456789abcdef" },
	  { "1234567", "seven77",
	    "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	    "pass\tword", "p\xc3\xa4sswort", "password\n", "pass\x7fword" } },
	{ "WEB_HOST",
	  false,
	  { "0.0.0.0", "::", "127.0.0.1", "fe80::1", "localhost",
	    "distiller-a1b2.local", "my-host", "2001:db8::8a2e:370:7334" },
	  { "", "-host", "host-", "a..b", "999.1.1.1", "[::1]", "host name",
	    "a_b", "1.2.3.4.5", "fe80::1%eth0", "host.", ".host", "h\xc3\xb6st",
	    "1.2.3" } },
	{ "DEVICES_DOMAIN",
	  false,
	  { "devices.pamir.ai", "example.com", "a", "x-1.y-2.example" },
	  { "", "-a.com", "a-.com", "a..com", "a.com.", "exa mple.com",
	    "1.2.3.4", "a_b.com", "https://example.com", "example.com/x" } },
	{ "FRP_SERVICE_NAME",
	  false,
	  { "frpc.service", "frpc@main.service", "my-frp_2.service",
	    "a:b.service", "x\\x2d.service" },
	  { "", ".service", "frpc", "frpc.timer", "frp c.service",
	    "../x.service", "/etc/x.service", "frpc.service\n",
	    "frpc.service.d", "frpc;rm.service" } },
	{ "DEVICE_SERIAL",
	  false,
	  { "", "ABC123", "a_b-c" },
	  { "abc def", "a.b", "a/b", "a;b", "\xc3\xa9", "a\nb" } },
	{ "DEVICE_ENV_PATH",
	  false,
	  { "/etc/pamir/device.env", "/tmp/a b", "" },
	  { "relative/path", "./x", "~/x", "/etc/\nx", "/etc/x\x7f" } },
	{ "PINGGY_ACCESS_TOKEN",
	  true,
	  { "", "abcDEF123_+.-", "t" },
	  { "tok en", "tok/en", "tok;rm -rf /", "t\xc3\xb6k", "tok\nen",
	    "tok=en", "tok@en", "tok#en" } },
	{ "STATE_DIR",
	  false,
	  { "/var/lib/distiller", "/", "/tmp/x y" },
	  { "", "var/lib", " /var", "/var\n" } },
	{ "RUN_DIR",
	  false,
	  { "/run/distiller-wifi", "/tmp/run" },
	  { "", "run", "/run\t/x" } },
	{ "DNSMASQ_SHARED_DIR",
	  false,
	  { "/etc/NetworkManager/dnsmasq-shared.d", "/tmp/d" },
	  { "", "etc/NetworkManager" } },
	{ "CONTROL_SOCKET",
	  false,
	  { "", "/run/x.sock", "/tmp/control.sock" },
	  { "x.sock", "./x.sock", "/run/\x01.sock" } },
};

Test(config, strings_take_their_syntax_and_nothing_else)
{
	const struct string_case *c;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(string_cases); i++) {
		c = &string_cases[i];
		for (j = 0; j < ARRAY_SIZE(c->good) && c->good[j]; j++)
			expect_good(c->key, c->good[j]);
		for (j = 0; j < ARRAY_SIZE(c->bad) && c->bad[j]; j++)
			expect_bad_as(c->key, c->bad[j], c->secret);
	}
}

Test(config, strings_are_stored_whole)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF"
				  "0123456789abcdef0123456789abcdef";
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "AP_PASSWORD", hex, err), 0, "%s", err);
	cr_expect_str_eq(cfg.ap_password, hex);
	cr_assert_eq(config_set(&cfg, "AP_SSID_PREFIX", "Lab_1", err), 0);
	cr_expect_str_eq(cfg.ap_ssid_prefix, "Lab_1");
	cr_assert_eq(config_set(&cfg, "WEB_HOST", "::", err), 0);
	cr_expect_str_eq(cfg.web_host, "::");
	cr_assert_eq(config_set(&cfg, "DEVICE_SERIAL", "SN-42_x", err), 0);
	cr_expect_str_eq(cfg.device_serial, "SN-42_x");
	cr_assert_eq(config_set(&cfg, "PINGGY_ACCESS_TOKEN", "a+b.c-d_e", err),
		     0);
	cr_expect_str_eq(cfg.pinggy_access_token, "a+b.c-d_e");
	cr_assert_eq(config_set(&cfg, "DNSMASQ_SHARED_DIR", "/tmp/dd", err), 0);
	cr_expect_str_eq(cfg.dnsmasq_dir, "/tmp/dd");
	cr_assert_eq(config_set(&cfg, "AP_PASSWORD", "", err), 0);
	cr_expect_str_eq(cfg.ap_password, "");
}

/* A string of @len bytes: @head, then filler @fill. */
static char *make_value(const char *head, char fill, size_t len)
{
	char *s = malloc(len + 1);
	size_t n = strlen(head);

	cr_assert_not_null(s);
	memset(s, fill, len);
	memcpy(s, head, n < len ? n : len);
	s[len] = '\0';
	return s;
}

Test(config, values_longer_than_their_field_are_refused)
{
	static const struct {
		const char *key;
		const char *head;
		char fill;
		size_t max;
		bool secret;
	} cases[] = {
		{ "AP_SSID_PREFIX", "", 'p', 20, false },
		{ "AP_PASSWORD", "", 'a', 64, true },
		{ "WEB_HOST", "", 'h', 63, false },
		{ "DEVICES_DOMAIN", "", 'd', 63, false },
		{ "FRP_SERVICE_NAME", "", 'f', 0, false },
		{ "DEVICE_SERIAL", "", 's', 63, false },
		{ "PINGGY_ACCESS_TOKEN", "", 't', 127, true },
		{ "STATE_DIR", "/", 'x', PATH_MAX - 1, false },
		{ "RUN_DIR", "/", 'x', PATH_MAX - 1, false },
		{ "DNSMASQ_SHARED_DIR", "/", 'x', PATH_MAX - 1, false },
		{ "DEVICE_ENV_PATH", "/", 'x', PATH_MAX - 1, false },
		{ "NM_LEASE_DIR", "/", 'x', PATH_MAX - 1, false },
		{ "CONTROL_SOCKET", "/", 'x', 107, false },
	};
	char *value;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].max) {
			value = make_value(cases[i].head, cases[i].fill,
					   cases[i].max);
			/* 64 of 'a' is a 64-hex-digit key. */
			expect_good(cases[i].key, value);
			free(value);
		}
		value = make_value(cases[i].head, cases[i].fill,
				   cases[i].max ? cases[i].max + 1 : 64);
		expect_bad_as(cases[i].key, value, cases[i].secret);
		free(value);
	}

	/* A unit name of 63 bytes fits; 64 does not. */
	value = make_value("", 'f', 63);
	memcpy(value + 63 - 8, ".service", 8);
	expect_good("FRP_SERVICE_NAME", value);
	free(value);

	/* Domain labels: 63 fit, 64 do not; 127 in all. */
	value = make_value("", 'd', 127);
	value[63] = '.';
	expect_good("DEVICES_DOMAIN", value);
	value[63] = 'd';
	value[64] = '.';
	expect_bad("DEVICES_DOMAIN", value);
	free(value);
}

Test(config, long_values_are_shortened_in_messages)
{
	struct config cfg;
	char *value = make_value("relative", 'x', 3000);

	config_defaults(&cfg);
	cr_expect_eq(config_set(&cfg, "STATE_DIR", value, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_STATE_DIR=relativexxx"));
	cr_expect(strstr(err, "...: must be an absolute path"), "%s", err);
	cr_expect_lt(strlen(err), 160);
	free(value);

	cr_expect_eq(config_set(&cfg, "AP_SSID_PREFIX", "a\nb\x01", err),
		     -EINVAL);
	cr_expect(strstr(err, "a\\x0ab\\x01"), "%s", err);
}

Test(config, secrets_are_hidden_in_every_message)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_expect_eq(config_set(&cfg, "PINGGY_ACCESS_TOKEN", "s3cr3t/tok", err),
		     -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_PINGGY_ACCESS_TOKEN=<hidden>: must "
			      "be at most 127 characters from A-Z, a-z, 0-9, "
			      "'_', '+', '.', '-'");
	cr_expect_eq(config_set(&cfg, "AP_PASSWORD", "short", err), -EINVAL);
	cr_expect_not(strstr(err, "short"));
	cr_expect(strstr(err, "DISTILLER_AP_PASSWORD=<hidden>"));
}

Test(config, unknown_keys)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_expect_eq(config_set(&cfg, "DISTILLER_WEB_PROT", "1", err), -ENOENT);
	cr_expect(strstr(err, "DISTILLER_WEB_PROT"), "%s", err);
	cr_expect_eq(config_set(&cfg, "WEB_PROT", "1", err), -ENOENT);
	cr_expect(strstr(err, "DISTILLER_WEB_PROT"), "%s", err);
	cr_expect_eq(config_set(&cfg, "distiller_web_port", "1", err), -ENOENT);
	cr_expect_eq(config_set(&cfg, "DISTILLER_", "1", err), -ENOENT);
	cr_expect_eq(config_set(&cfg, "", "1", err), -ENOENT);
	cr_expect_eq(config_set(&cfg, "NO_HARDWARE", "1", err), -ENOENT);
	cr_expect_eq(config_set(&cfg, "DISTILLER_DISTILLER_DEBUG", "1", err),
		     -ENOENT);
}

/* ---- the environment ------------------------------------------------- */

Test(config, environment)
{
	char *envp[] = {
		"PATH=/usr/bin",	   "WEB_PORT=1",
		"DISTILLER_WEB_PORT=1234", "DISTILLER_DAEMON=/some/other/tool",
		"DISTILLER_NO_EQUALS",	   "DISTILLER_TUNNEL_PROVIDER=pinggy",
		"DISTILLER_AP_PASSWORD=",  NULL,
	};
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_load_env(&cfg, envp, err), 0, "%s", err);
	cr_expect_eq(cfg.web_port, 1234);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_PINGGY);
	cr_expect_eq(config_load_env(&cfg, NULL, err), 0);
}

Test(config, environment_refuses_a_bad_value)
{
	char *envp[] = {
		"DISTILLER_WEB_PORT=1234",
		"DISTILLER_PINGGY_ACCESS_TOKEN=bad token",
		"DISTILLER_AP_CHANNEL=3",
		NULL,
	};
	struct config cfg;

	config_defaults(&cfg);
	cr_expect_eq(config_load_env(&cfg, envp, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_PINGGY_ACCESS_TOKEN=<hidden>"));
	cr_expect_not(strstr(err, "bad token"));
}

/* ---- the .env file --------------------------------------------------- */

static char tmpdir[] = "/tmp/test_config.XXXXXX";

static void make_tmpdir(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir(tmpdir);

	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
		if (unlink(path) < 0)
			rmdir(path);
	}
	if (dir)
		closedir(dir);
	rmdir(tmpdir);
}

TestSuite(config_file, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static int load_text(struct config *cfg, const char *text)
{
	const char *path = write_file("settings.env", text, strlen(text));

	err[0] = '\0';
	return config_load_file(cfg, path, err);
}

Test(config_file, reads_the_usual_forms)
{
	static const char text[] =
		"# Settings for the lab unit\n"
		"\n"
		"   \t\n"
		"export DISTILLER_WEB_PORT=9090\n"
		"DISTILLER_AP_SSID_PREFIX='Lab_1'\n"
		"DISTILLER_WEB_HOST=\"::1\"   # loopback only\n"
		"DISTILLER_AP_PASSWORD=\"pa ss#wo\\\"rd\\\\\"\n"
		"DISTILLER_PINGGY_ACCESS_TOKEN='a.b'  \n"
		"DISTILLER_DEVICE_SERIAL=abc123 # from the sticker\n"
		"OTHER_TOOL_SETTING=any thing at all\n"
		"PATH=/bin\n"
		"  DISTILLER_DEBUG = yes  \n"
		"export\tDISTILLER_AP_CHANNEL=11\n"
		"DISTILLER_DEVICE_ENV_PATH= # empty, then a comment\n"
		"DISTILLER_TUNNEL_PROVIDER=pinggy";
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(load_text(&cfg, text), 0, "%s", err);
	cr_expect_eq(cfg.web_port, 9090);
	cr_expect_str_eq(cfg.ap_ssid_prefix, "Lab_1");
	cr_expect_str_eq(cfg.web_host, "::1");
	cr_expect_str_eq(cfg.ap_password, "pa ss#wo\"rd\\");
	cr_expect_str_eq(cfg.pinggy_access_token, "a.b");
	cr_expect_str_eq(cfg.device_serial, "abc123");
	cr_expect(cfg.debug);
	cr_expect_eq(cfg.ap_channel, 11);
	cr_expect_str_eq(cfg.device_env_path, "");
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_PINGGY);

	/* An empty DEVICE_ENV_PATH means the default one. */
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_str_eq(cfg.device_env_path, "/etc/pamir/device.env");
}

Test(config_file, quotes_and_comments)
{
	static const struct {
		const char *text;
		int expected;
		const char *what;
	} cases[] = {
		/* Single quotes keep a backslash, which a token refuses. */
		{ "DISTILLER_PINGGY_ACCESS_TOKEN='a\\\"b'\n", -EINVAL,
		  ":1: DISTILLER_PINGGY_ACCESS_TOKEN=<hidden>" },
		/* A '#' right after text is part of the value. */
		{ "DISTILLER_DEVICES_DOMAIN=example.com#x\n", -EINVAL,
		  ":1: DISTILLER_DEVICES_DOMAIN=example.com#x:" },
		/* After '=' and a blank, '#' starts a comment: empty value. */
		{ "\nDISTILLER_FRP_SERVICE_NAME= # none\n", -EINVAL,
		  ":2: DISTILLER_FRP_SERVICE_NAME=: " },
		{ "DISTILLER_AP_SSID_PREFIX='Lab' # c\n", 0, NULL },
		{ "DISTILLER_AP_SSID_PREFIX=\"Lab\"#c\n", 0, NULL },
		{ "DISTILLER_AP_SSID_PREFIX='it''s'\n", -EINVAL,
		  ":1: unexpected text after the ' quote" },
		{ "DISTILLER_AP_SSID_PREFIX=\"\"\n", -EINVAL,
		  ":1: DISTILLER_AP_SSID_PREFIX=: " },
		{ "DISTILLER_AP_SSID_PREFIX=Lab 2\n", -EINVAL,
		  ":1: DISTILLER_AP_SSID_PREFIX=Lab 2: " },
	};
	struct config cfg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		config_defaults(&cfg);
		cr_expect_eq(load_text(&cfg, cases[i].text), cases[i].expected,
			     "case %zu: %s", i, err);
		if (cases[i].what)
			cr_expect(strstr(err, cases[i].what), "case %zu: '%s'",
				  i, err);
		else
			cr_expect_str_eq(cfg.ap_ssid_prefix, "Lab");
	}
}

Test(config_file, crlf_line_ends)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(load_text(&cfg, "# made on Windows\r\n"
				     "DISTILLER_WEB_PORT=8181\r\n"
				     "DISTILLER_AP_SSID_PREFIX=\"Win\"\r\n"
				     "\r\n"
				     "DISTILLER_DEBUG=on\r\n"),
		     0, "%s", err);
	cr_expect_eq(cfg.web_port, 8181);
	cr_expect_str_eq(cfg.ap_ssid_prefix, "Win");
	cr_expect(cfg.debug);
}

Test(config_file, syntax_errors_name_the_file_and_line)
{
	static const struct {
		const char *text;
		const char *where;
		const char *what;
	} cases[] = {
		{ "DISTILLER_DEBUG=1\n# fine\nDISTILLER_WEB_PORT 8080\n",
		  ":3: ", "expected KEY=value" },
		{ "\n\n\n\nexport\n", ":5: ", "expected KEY=value" },
		{ "DISTILLER_DEBUG=1\r\nJUST_WORDS\r\n",
		  ":2: ", "expected KEY=value" },
		{ "DISTILLER_WEB_HOST=\"::1\n",
		  ":1: ", "missing closing \" quote" },
		{ "\nDISTILLER_WEB_HOST='::1\n",
		  ":2: ", "missing closing ' quote" },
		{ "DISTILLER_WEB_HOST=\"::1\"x\n",
		  ":1: ", "unexpected text after the \" quote" },
		{ "DISTILLER-WEB-PORT=1\n", ":1: ", "invalid variable name" },
		{ "=1\n", ":1: ", "invalid variable name" },
		{ "1ABC=1\n", ":1: ", "invalid variable name" },
		{ "\nDISTILLER_WEB_PROT=8080\n",
		  ":2: ", "DISTILLER_WEB_PROT: unknown setting" },
		{ "DISTILLER_web_port=8080\n",
		  ":1: ", "DISTILLER_web_port: unknown setting" },
		{ "# x\nDISTILLER_WEB_PORT=99999\n", ":2: ",
		  "DISTILLER_WEB_PORT=99999: must be an integer from 1 to "
		  "65535" },
	};
	struct config cfg;
	char expected[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		config_defaults(&cfg);
		cr_expect_eq(load_text(&cfg, cases[i].text), -EINVAL,
			     "case %zu", i);
		snprintf(expected, sizeof(expected), "%s/settings.env%s",
			 tmpdir, cases[i].where);
		cr_expect(strstr(err, expected), "case %zu: '%s'", i, err);
		cr_expect(strstr(err, cases[i].what), "case %zu: '%s'", i, err);
		cr_expect(!strchr(err, '\n'), "case %zu", i);
	}
}

Test(config_file, secrets_stay_hidden_in_file_errors)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_expect_eq(load_text(&cfg, "DISTILLER_AP_PASSWORD='tiny'\n"),
		     -EINVAL);
	cr_expect(strstr(err, ":1: DISTILLER_AP_PASSWORD=<hidden>"), "%s", err);
	cr_expect_not(strstr(err, "tiny"));
}

Test(config_file, size_limit)
{
	size_t limit = 64 * 1024;
	char *text = malloc(limit + 2);
	const char *path;
	struct config cfg;

	cr_assert_not_null(text);
	memset(text, '#', limit);
	memcpy(text, "DISTILLER_WEB_PORT=7777\n", 24);
	path = write_file("big.env", text, limit);
	config_defaults(&cfg);
	cr_expect_eq(config_load_file(&cfg, path, err), 0, "%s", err);
	cr_expect_eq(cfg.web_port, 7777);

	text[limit] = '\n';
	path = write_file("big.env", text, limit + 1);
	config_defaults(&cfg);
	cr_expect_eq(config_load_file(&cfg, path, err), -EINVAL);
	cr_expect(strstr(err, "big.env"), "%s", err);
	cr_expect(strstr(err, "64 KiB"), "%s", err);
	cr_expect_eq(cfg.web_port, 8080);
	free(text);
}

Test(config_file, unreadable_files)
{
	char path[PATH_MAX];
	struct config cfg;

	config_defaults(&cfg);
	snprintf(path, sizeof(path), "%s/missing.env", tmpdir);
	cr_expect_eq(config_load_file(&cfg, path, err), -ENOENT);
	cr_expect(strstr(err, path), "%s", err);

	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	cr_assert_eq(mkdir(path, 0700), 0);
	cr_expect_eq(config_load_file(&cfg, path, err), -EINVAL);
	cr_expect(strstr(err, "not a regular file"), "%s", err);

	path[0] = '\0';
	cr_expect_eq(config_load_file(&cfg,
				      write_file("nul.env",
						 "DISTILLER_DEBUG=1\n\0x", 20),
				      err),
		     -EINVAL);
	cr_expect(strstr(err, "NUL"), "%s", err);
}

Test(config_file, empty_file_changes_nothing)
{
	struct config before, cfg;

	config_defaults(&cfg);
	before = cfg;
	cr_expect_eq(load_text(&cfg, ""), 0);
	cr_expect_eq(load_text(&cfg, "\n\n# only comments\n"), 0);
	cr_expect(!memcmp(&before, &cfg, sizeof(cfg)));
}

Test(config_file, layers_apply_in_order)
{
	char *envp[] = {
		"DISTILLER_WEB_PORT=1111",
		"DISTILLER_AP_CHANNEL=3",
		"DISTILLER_TUNNEL_PROVIDER=pinggy",
		NULL,
	};
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_load_env(&cfg, envp, err), 0, "%s", err);
	cr_assert_eq(load_text(&cfg, "DISTILLER_WEB_PORT=2222\n"
				     "DISTILLER_TUNNEL_PROVIDER=frp\n"),
		     0, "%s", err);
	/* A flag comes last, as main does it. */
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "3333", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);

	/* From the environment, the file, the flag, the defaults. */
	cr_expect_eq(cfg.ap_channel, 3);
	cr_expect_eq(cfg.tunnel_provider, TUNNEL_PROVIDER_FRP);
	cr_expect_eq(cfg.web_port, 3333);
	cr_expect_eq(cfg.join_timeout_s, 45);
}

/* ---- config_finish --------------------------------------------------- */

Test(config, finish_derives_the_control_socket)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "RUN_DIR", "/tmp/run/", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_str_eq(cfg.control_socket, "/tmp/run/control.sock");

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "RUN_DIR", "/", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_str_eq(cfg.control_socket, "/control.sock");

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "CONTROL_SOCKET", "/tmp/c.sock", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_str_eq(cfg.control_socket, "/tmp/c.sock");
}

Test(config, finish_refuses_a_run_dir_too_long_for_a_socket)
{
	struct config cfg;
	/* sun_path holds 107 bytes: 94 + "/control.sock". */
	char *dir = make_value("/", 'r', 94);

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "RUN_DIR", dir, err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(strlen(cfg.control_socket), 107);

	free(dir);
	dir = make_value("/", 'r', 95);
	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "RUN_DIR", dir, err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_RUN_DIR"), "%s", err);
	cr_expect(strstr(err, "DISTILLER_CONTROL_SOCKET"), "%s", err);
	free(dir);
}

Test(config, finish_checks_fields_against_each_other)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "HEARTBEAT_INTERVAL_MS", "5000", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_HEARTBEAT_DEADLINE_MS=5000"), "%s",
		  err);
	cr_expect(strstr(err, "DISTILLER_HEARTBEAT_INTERVAL_MS"), "%s", err);
	cr_assert_eq(config_set(&cfg, "HEARTBEAT_DEADLINE_MS", "5001", err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "RESTART_BACKOFF_MIN_MS", "500", err), 0);
	cr_assert_eq(config_set(&cfg, "RESTART_BACKOFF_MAX_MS", "499", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_RESTART_BACKOFF_MAX_MS=499"), "%s",
		  err);
	cr_assert_eq(config_set(&cfg, "RESTART_BACKOFF_MAX_MS", "500", err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);
}

Test(config, finish_puts_the_tunnel_after_the_web_port)
{
	char *envp[] = { "DISTILLER_WEB_PORT=9090", NULL };
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_load_env(&cfg, envp, err), 0, "%s", err);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 9091);

	/* A flag that moves WEB_PORT moves the default tunnel port too. */
	config_defaults(&cfg);
	cr_assert_eq(config_load_env(&cfg, envp, err), 0, "%s", err);
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "65534", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 65535);

	/* One that is set is kept, whatever WEB_PORT is. */
	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "TUNNEL_PORT", "7000", err), 0);
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "65535", err), 0);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 7000);
	cr_expect_eq(cfg.web_port, 65535);

	/* Twice is the same as once. */
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 7000);
}

Test(config, finish_refuses_a_tunnel_port_shared_with_another_listener)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "TUNNEL_PORT", "8080", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_TUNNEL_PORT=8080: must differ from "
			      "DISTILLER_WEB_PORT (8080)");

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "TUNNEL_PORT", "80", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_TUNNEL_PORT=80: must differ from "
			      "DISTILLER_PORTAL_PORT (80)");

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "PORTAL_PORT", "9000", err), 0);
	cr_assert_eq(config_set(&cfg, "TUNNEL_PORT", "9000", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_TUNNEL_PORT=9000: "), "%s", err);
	cr_assert_eq(config_set(&cfg, "TUNNEL_PORT", "9001", err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);

	/* The portal may share WEB_PORT: the main listener then serves it. */
	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "PORTAL_PORT", "8080", err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 8081);
}

Test(config, finish_says_when_the_default_tunnel_port_does_not_fit)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "65535", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect(strstr(err, "DISTILLER_WEB_PORT=65535: "), "%s", err);
	cr_expect(strstr(err, "WEB_PORT + 1"), "%s", err);
	cr_expect(strstr(err, "set DISTILLER_TUNNEL_PORT"), "%s", err);
	cr_expect(!strchr(err, '\n'));
	cr_expect_eq(cfg.tunnel_port, 0);

	/* WEB_PORT + 1 landing on the portal's port is named as such. */
	config_defaults(&cfg);
	cr_assert_eq(config_set(&cfg, "WEB_PORT", "79", err), 0);
	cr_expect_eq(config_finish(&cfg, err), -EINVAL);
	cr_expect_str_eq(err, "DISTILLER_TUNNEL_PORT=80 (WEB_PORT + 1, the "
			      "default): must differ from "
			      "DISTILLER_PORTAL_PORT (80); set "
			      "DISTILLER_TUNNEL_PORT");
	cr_expect_eq(cfg.tunnel_port, 0, "still to be decided");
	cr_assert_eq(config_set(&cfg, "PORTAL_PORT", "81", err), 0);
	cr_expect_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.tunnel_port, 80);
}

Test(config_file, web_listener_ports_come_from_the_file)
{
	struct config cfg;

	config_defaults(&cfg);
	cr_assert_eq(load_text(&cfg, "DISTILLER_PORTAL_PORT=8000\n"
				     "DISTILLER_TUNNEL_PORT=8002\n"
				     "DISTILLER_WS_PING_S=5\n"),
		     0, "%s", err);
	cr_assert_eq(config_finish(&cfg, err), 0, "%s", err);
	cr_expect_eq(cfg.portal_port, 8000);
	cr_expect_eq(cfg.tunnel_port, 8002);
	cr_expect_eq(cfg.ws_ping_s, 5);

	config_defaults(&cfg);
	cr_expect_eq(load_text(&cfg, "DISTILLER_WS_PING_S=0\n"), -EINVAL);
	cr_expect(strstr(err, ":1: DISTILLER_WS_PING_S=0: must be an integer "
			      "from 1 to 3600 seconds"),
		  "%s", err);
}
