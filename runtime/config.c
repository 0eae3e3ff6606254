/* SPDX-License-Identifier: MIT */
/*
 * Daemon configuration: built-in defaults, DISTILLER_* variables from the
 * environment and from a .env file, and the checks between fields.
 *
 * Every variable is one row of a table: its name without the DISTILLER_
 * prefix, where it lives in struct config, and what it accepts. Values
 * are validated whole (no truncation, no trailing junk, no overflow) and
 * an invalid one yields a single-line message naming the variable, the
 * value (escaped, shortened, or "<hidden>" for a secret) and what is
 * allowed.
 *
 * The environment is shared with other programs, so unknown DISTILLER_*
 * variables there are skipped; in a --config file they are typos and are
 * refused.
 *
 * Pure code apart from reading the file: no logging, no global state.
 * Main thread only, before any actor starts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/config.h"
#include "runtime/log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONFIG_PREFIX "DISTILLER_"
#define CONFIG_FILE_MAX (64 * 1024)

/* How much of an invalid value an error message shows. */
#define CONFIG_SHOWN_MAX 48

/* How much of a file's path a message about one of its lines shows. */
#define CONFIG_PATH_SHOWN_MAX 80

#define CONFIG_CONTROL_SOCKET_NAME "control.sock"

enum config_kind {
	CONFIG_STRING,	 /* char[size], checked by check or charset */
	CONFIG_UINT,	 /* int or unsigned int, from min to max */
	CONFIG_BOOL,	 /* bool */
	CONFIG_PROVIDER, /* enum tunnel_provider */
};

typedef bool (*config_check_cb_t)(const char *value);

struct config_var {
	const char *name; /* without the DISTILLER_ prefix */
	enum config_kind kind;
	size_t offset;
	size_t size;	   /* bytes of the member */
	unsigned long min; /* UINT: value; STRING: length */
	unsigned long max;
	config_check_cb_t check; /* STRING: syntax, or NULL */
	const char *extra;	 /* STRING: punctuation allowed besides
					 * letters and digits, when no check */
	const char *allowed;	 /* STRING: the "must be" text;
					 * UINT: the unit, or NULL */
	bool secret;		 /* never shown in a message */
};

/* ---- syntax checks --------------------------------------------------- */

/* ASCII only, whatever the locale says. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex_digit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_name_char(char c, const char *extra)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr(extra, c));
}

static bool check_private_ipv4(const char *value)
{
	struct in_addr addr;
	const unsigned char *b = (const unsigned char *)&addr.s_addr;

	if (inet_pton(AF_INET, value, &addr) != 1)
		return false;

	/* The host part of a /24 may be neither the network nor broadcast. */
	if (b[3] == 0 || b[3] == 255)
		return false;

	return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
	       (b[0] == 192 && b[1] == 168);
}

static bool check_ap_password(const char *value)
{
	size_t len = strlen(value);
	size_t i;

	if (len == 64) {
		for (i = 0; i < len; i++)
			if (!is_hex_digit(value[i]))
				return false;
		return true;
	}

	if (len < 8 || len > 63)
		return false;

	for (i = 0; i < len; i++)
		if (value[i] < 0x20 || value[i] > 0x7e)
			return false;

	return true;
}

/* An RFC 1123 label: 1 to 63 letters, digits and inner hyphens. */
static bool label_ok(const char *label, size_t len, bool *numeric)
{
	size_t i;

	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return false;

	*numeric = true;
	for (i = 0; i < len; i++) {
		if (!is_name_char(label[i], "-"))
			return false;
		if (!is_digit(label[i]))
			*numeric = false;
	}

	return true;
}

/* An all-numeric last label is refused: it is a mistyped IPv4 address. */
static bool check_domain(const char *value)
{
	const char *label = value;
	bool numeric;
	size_t len;

	if (strlen(value) > 253)
		return false;

	for (;;) {
		len = strcspn(label, ".");
		if (!label_ok(label, len, &numeric))
			return false;

		if (label[len] == '\0')
			return !numeric;

		label += len + 1;
	}
}

static bool check_host(const char *value)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, value, addr) == 1 ||
	       inet_pton(AF_INET6, value, addr) == 1 || check_domain(value);
}

/* A systemd unit name: [A-Za-z0-9:_.@\-]+ ending in ".service". */
static bool check_service_name(const char *value)
{
	static const char suffix[] = ".service";
	size_t len = strlen(value);
	size_t i;

	if (len <= sizeof(suffix) - 1 ||
	    strcmp(value + len - (sizeof(suffix) - 1), suffix))
		return false;

	for (i = 0; i < len; i++)
		if (!is_name_char(value[i], ":_.@\\-"))
			return false;

	return true;
}

static bool check_absolute_path(const char *value)
{
	size_t i;

	if (value[0] != '/')
		return false;

	for (i = 0; value[i]; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return false;

	return true;
}

/* ---- the variables --------------------------------------------------- */

/* clang-format off */
#define VAR_STRING(name, member, min, max, check, extra, allowed)	\
	{ name, CONFIG_STRING, offsetof(struct config, member),		\
	  sizeof(((struct config *)0)->member), min, max, check, extra,	\
	  allowed, false }
#define VAR_UINT(name, member, min, max, unit)				\
	{ name, CONFIG_UINT, offsetof(struct config, member),		\
	  sizeof(((struct config *)0)->member), min, max, NULL, NULL,	\
	  unit, false }
#define VAR_BOOL(name, member)						\
	{ name, CONFIG_BOOL, offsetof(struct config, member),		\
	  sizeof(bool), 0, 0, NULL, NULL, NULL, false }
/* clang-format on */

#define PATH_TEXT "must be an absolute path"

static const struct config_var config_vars[] = {
	VAR_STRING("AP_SSID_PREFIX", ap_ssid_prefix, 1, 20, NULL, "_-",
		   "must be 1 to 20 characters from A-Z, a-z, 0-9, '_', '-'"),
	VAR_STRING("AP_IP", ap_ip, 7, 15, check_private_ipv4, NULL,
		   "must be a private IPv4 address (10.x.x.x, 172.16-31.x.x "
		   "or 192.168.x.x) not ending in .0 or .255"),
	VAR_UINT("AP_CHANNEL", ap_channel, 1, 11, NULL),
	{ "AP_PASSWORD", CONFIG_STRING, offsetof(struct config, ap_password),
	  sizeof(((struct config *)0)->ap_password), 0, 64, check_ap_password,
	  NULL,
	  "must be empty (a generated one), 8 to 63 printable ASCII "
	  "characters, or 64 hex digits",
	  true },
	VAR_UINT("AP_PASSWORD_TTL", ap_password_ttl_s, 60, 86400, "seconds"),
	VAR_STRING("WEB_HOST", web_host, 1, 63, check_host, NULL,
		   "must be an IPv4 or IPv6 address or a host name"),
	VAR_UINT("WEB_PORT", web_port, 1, 65535, NULL),
	VAR_UINT("PORTAL_PORT", portal_port, 1, 65535, NULL),
	VAR_UINT("TUNNEL_PORT", tunnel_port, 1, 65535, NULL),
	VAR_UINT("WS_PING_S", ws_ping_s, 1, 3600, "seconds"),
	VAR_BOOL("ENABLE_CAPTIVE_PORTAL", captive_portal),
	VAR_BOOL("DISPLAY_ENABLED", display_enabled),
	VAR_UINT("DISPLAY_UPDATE_INTERVAL", display_update_interval, 1, 3600,
		 "seconds"),
	VAR_BOOL("TUNNEL_ENABLED", tunnel_enabled),
	{ "TUNNEL_PROVIDER", CONFIG_PROVIDER,
	  offsetof(struct config, tunnel_provider),
	  sizeof(enum tunnel_provider), 0, 0, NULL, NULL, NULL, false },
	VAR_STRING("DEVICES_DOMAIN", devices_domain, 1, 127, check_domain, NULL,
		   "must be a domain name of at most 127 characters"),
	VAR_STRING("FRP_SERVICE_NAME", frp_service_name, 1, 63,
		   check_service_name, NULL,
		   "must be a systemd unit name ending in .service"),
	VAR_STRING("DEVICE_SERIAL", device_serial, 0, 63, NULL, "_-",
		   "must be empty or 1 to 63 characters from A-Z, a-z, 0-9, "
		   "'_', '-'"),
	VAR_STRING("DEVICE_ENV_PATH", device_env_path, 0, PATH_MAX - 1,
		   check_absolute_path, NULL, PATH_TEXT " or empty"),
	VAR_UINT("TUNNEL_REFRESH_INTERVAL", tunnel_refresh_interval, 60, 86400,
		 "seconds"),
	VAR_UINT("TUNNEL_SSH_PORT", tunnel_ssh_port, 1, 65535, NULL),
	{ "PINGGY_ACCESS_TOKEN", CONFIG_STRING,
	  offsetof(struct config, pinggy_access_token),
	  sizeof(((struct config *)0)->pinggy_access_token), 0, 127, NULL,
	  "_+.-",
	  "must be at most 127 characters from A-Z, a-z, 0-9, '_', '+', "
	  "'.', '-'",
	  true },
	VAR_UINT("TUNNEL_MAX_RETRIES", tunnel_max_retries, 0, 100, NULL),
	VAR_UINT("TUNNEL_RETRY_DELAY", tunnel_retry_delay, 1, 3600, "seconds"),
	VAR_BOOL("DEBUG", debug),
	VAR_STRING("STATE_DIR", state_dir, 1, PATH_MAX - 1, check_absolute_path,
		   NULL, PATH_TEXT),
	VAR_STRING("RUN_DIR", run_dir, 1, PATH_MAX - 1, check_absolute_path,
		   NULL, PATH_TEXT),
	VAR_STRING("DNSMASQ_SHARED_DIR", dnsmasq_dir, 1, PATH_MAX - 1,
		   check_absolute_path, NULL, PATH_TEXT),
	VAR_STRING("NM_LEASE_DIR", nm_lease_dir, 0, PATH_MAX - 1,
		   check_absolute_path, NULL, PATH_TEXT " or empty"),
	VAR_STRING("CONTROL_SOCKET", control_socket, 0,
		   sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
		   check_absolute_path, NULL,
		   PATH_TEXT " shorter than 108 bytes, or empty"),
	VAR_UINT("JOIN_TIMEOUT", join_timeout_s, 5, 600, "seconds"),
	VAR_UINT("RECONNECT_GRACE", reconnect_grace_s, 0, 3600, "seconds"),
	VAR_UINT("BOOT_GRACE", boot_grace_s, 0, 600, "seconds"),
	VAR_UINT("HEARTBEAT_INTERVAL_MS", heartbeat_interval_ms, 10, 60000,
		 "milliseconds"),
	VAR_UINT("HEARTBEAT_DEADLINE_MS", heartbeat_deadline_ms, 11, 600000,
		 "milliseconds"),
	VAR_UINT("RESTART_BACKOFF_MIN_MS", restart_backoff_min_ms, 1, 600000,
		 "milliseconds"),
	VAR_UINT("RESTART_BACKOFF_MAX_MS", restart_backoff_max_ms, 1, 3600000,
		 "milliseconds"),
	VAR_UINT("RESTART_LIMIT", restart_limit, 1, 1000, NULL),
	VAR_UINT("RESTART_WINDOW_MS", restart_window_ms, 100, 86400000,
		 "milliseconds"),
};

static bool has_prefix(const char *key)
{
	return !strncmp(key, CONFIG_PREFIX, strlen(CONFIG_PREFIX));
}

static const struct config_var *config_var_find(const char *key)
{
	size_t i;

	if (has_prefix(key))
		key += strlen(CONFIG_PREFIX);

	for (i = 0; i < ARRAY_SIZE(config_vars); i++)
		if (!strcmp(config_vars[i].name, key))
			return &config_vars[i];

	return NULL;
}

/* ---- messages -------------------------------------------------------- */

static void __attribute__((format(printf, 2, 3)))
config_error(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;

	va_start(ap, fmt);
	vsnprintf(err, CONFIG_ERROR_MAX, fmt, ap);
	va_end(ap);
}

/* "DISTILLER_NAME=value: must be ..." with the value made safe to show. */
static int __attribute__((format(printf, 4, 5)))
config_invalid(const struct config_var *var, const char *value, char *err,
	       const char *fmt, ...)
{
	char shown[CONFIG_SHOWN_MAX * 4 + 4];
	char reason[CONFIG_ERROR_MAX];
	size_t len = strlen(value);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	if (var->secret) {
		snprintf(shown, sizeof(shown), "<hidden>");
	} else {
		log_escape(shown, sizeof(shown), value,
			   len > CONFIG_SHOWN_MAX ? CONFIG_SHOWN_MAX : len);
		if (len > CONFIG_SHOWN_MAX)
			strcat(shown, "...");
	}

	config_error(err, CONFIG_PREFIX "%s=%s: %s", var->name, shown, reason);
	return -EINVAL;
}

/* ---- parsing one value ----------------------------------------------- */

/* Decimal digits only: no sign, no space, no junk, nothing over @max. */
static int parse_uint(const char *value, unsigned long max, unsigned long *out)
{
	unsigned long n = 0;
	unsigned long digit;

	if (!*value)
		return -EINVAL;

	for (; *value; value++) {
		if (!is_digit(*value))
			return -EINVAL;

		digit = (unsigned long)(*value - '0');
		if (digit > max || n > (max - digit) / 10)
			return -EINVAL;

		n = n * 10 + digit;
	}

	*out = n;
	return 0;
}

static bool string_ok(const struct config_var *var, const char *value)
{
	size_t len = strlen(value);
	size_t max = var->max < var->size - 1 ? var->max : var->size - 1;
	size_t i;

	if (len == 0)
		return var->min == 0;

	if (len < var->min || len > max)
		return false;

	if (var->check)
		return var->check(value);

	for (i = 0; i < len; i++)
		if (!is_name_char(value[i], var->extra))
			return false;

	return true;
}

static int set_string(const struct config_var *var, void *member,
		      const char *value, char *err)
{
	if (!string_ok(var, value))
		return config_invalid(var, value, err, "%s", var->allowed);

	memcpy(member, value, strlen(value) + 1);
	return 0;
}

static int set_uint(const struct config_var *var, void *member,
		    const char *value, char *err)
{
	unsigned long n;
	unsigned int stored;

	if (var->size != sizeof(stored))
		return -EINVAL;

	if (parse_uint(value, var->max, &n) || n < var->min)
		return config_invalid(var, value, err,
				      "must be an integer from %lu to %lu%s%s",
				      var->min, var->max,
				      var->allowed ? " " : "",
				      var->allowed ? var->allowed : "");

	/* int and unsigned int members alike: every maximum fits both. */
	stored = (unsigned int)n;
	memcpy(member, &stored, sizeof(stored));
	return 0;
}

static int set_bool(const struct config_var *var, void *member,
		    const char *value, char *err)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	bool b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(value, yes[i]) || !strcasecmp(value, no[i])) {
			b = !strcasecmp(value, yes[i]);
			memcpy(member, &b, sizeof(b));
			return 0;
		}
	}

	return config_invalid(var, value, err,
			      "must be one of 1, 0, true, false, yes, no, "
			      "on, off");
}

static int set_provider(const struct config_var *var, void *member,
			const char *value, char *err)
{
	enum tunnel_provider provider;

	if (!strcasecmp(value, "frp"))
		provider = TUNNEL_PROVIDER_FRP;
	else if (!strcasecmp(value, "pinggy"))
		provider = TUNNEL_PROVIDER_PINGGY;
	else
		return config_invalid(var, value, err, "must be frp or pinggy");

	memcpy(member, &provider, sizeof(provider));
	return 0;
}

/* ---- public: defaults, one value, the environment -------------------- */

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->ap_ssid_prefix, "Distiller");
	strcpy(cfg->ap_ip, "192.168.4.1");
	cfg->ap_channel = 6;
	cfg->ap_password_ttl_s = 1800;
	strcpy(cfg->web_host, "0.0.0.0");
	cfg->web_port = 8080;
	cfg->portal_port = 80;
	cfg->tunnel_port = 0; /* web_port + 1, decided by config_finish() */
	cfg->ws_ping_s = 20;
	cfg->captive_portal = true;
	cfg->display_enabled = true;
	cfg->display_update_interval = 30;
	cfg->tunnel_enabled = true;
	cfg->tunnel_provider = TUNNEL_PROVIDER_FRP;
	strcpy(cfg->devices_domain, "devices.pamir.ai");
	strcpy(cfg->frp_service_name, "frpc.service");
	strcpy(cfg->device_env_path, "/etc/pamir/device.env");
	cfg->tunnel_refresh_interval = 3300;
	cfg->tunnel_ssh_port = 443;
	cfg->tunnel_max_retries = 3;
	cfg->tunnel_retry_delay = 30;
	strcpy(cfg->state_dir, "/var/lib/distiller");
	strcpy(cfg->run_dir, "/run/distiller-wifi");
	strcpy(cfg->dnsmasq_dir, "/etc/NetworkManager/dnsmasq-shared.d");
	cfg->join_timeout_s = 45;
	cfg->reconnect_grace_s = 60;
	cfg->boot_grace_s = 20;
	cfg->heartbeat_interval_ms = 1000;
	cfg->heartbeat_deadline_ms = 5000;
	cfg->restart_backoff_min_ms = 100;
	cfg->restart_backoff_max_ms = 30000;
	cfg->restart_limit = 5;
	cfg->restart_window_ms = 60000;
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char err[CONFIG_ERROR_MAX])
{
	const struct config_var *var;
	void *member;

	if (!cfg || !key || !value)
		return -EINVAL;

	var = config_var_find(key);
	if (!var) {
		config_error(err, "%s%s: unknown setting",
			     has_prefix(key) ? "" : CONFIG_PREFIX, key);
		return -ENOENT;
	}

	member = (char *)cfg + var->offset;
	switch (var->kind) {
	case CONFIG_STRING:
		return set_string(var, member, value, err);
	case CONFIG_UINT:
		return set_uint(var, member, value, err);
	case CONFIG_PROVIDER:
		return set_provider(var, member, value, err);
	case CONFIG_BOOL:
		return set_bool(var, member, value, err);
	}

	return -EINVAL;
}

int config_load_env(struct config *cfg, char *const envp[],
		    char err[CONFIG_ERROR_MAX])
{
	char key[64];
	const char *eq;
	size_t i;
	int r;

	for (i = 0; envp && envp[i]; i++) {
		if (!has_prefix(envp[i]))
			continue;

		eq = strchr(envp[i], '=');
		if (!eq || (size_t)(eq - envp[i]) >= sizeof(key))
			continue;

		memcpy(key, envp[i], (size_t)(eq - envp[i]));
		key[eq - envp[i]] = '\0';
		r = config_set(cfg, key, eq + 1, err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
	}

	return 0;
}

/* ---- the .env file --------------------------------------------------- */

struct env_file {
	const char *path;
	unsigned int line;
	char *err;
};

static int __attribute__((format(printf, 2, 3)))
env_file_error(const struct env_file *f, const char *fmt, ...)
{
	char reason[CONFIG_ERROR_MAX];
	const char *path = f->path;
	size_t len = strlen(path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);

	if (len > CONFIG_PATH_SHOWN_MAX)
		path += len - CONFIG_PATH_SHOWN_MAX;
	config_error(f->err, "%s%s:%u: %s", path == f->path ? "" : "...", path,
		     f->line, reason);
	return -EINVAL;
}

static char *skip_blanks(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void trim_end(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
}

static bool rest_is_empty(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == '#';
}

/*
 * Unquotes a quoted @value in place: 'single' keeps everything literally,
 * "double" turns \" and \\ into " and \. Only blanks and a comment may
 * follow the closing quote.
 */
static int env_file_unquote(const struct env_file *f, char *value)
{
	char quote = value[0];
	char *in = value + 1;
	char *out = value;

	for (; *in && *in != quote; in++) {
		if (quote == '"' && *in == '\\' &&
		    (in[1] == '"' || in[1] == '\\'))
			in++;
		*out++ = *in;
	}

	if (*in != quote)
		return env_file_error(f, "missing closing %c quote", quote);

	if (!rest_is_empty(in + 1))
		return env_file_error(f, "unexpected text after the %c quote",
				      quote);

	*out = '\0';
	return 0;
}

static bool env_key_ok(const char *key)
{
	size_t i;

	if (!*key || is_digit(key[0]))
		return false;

	for (i = 0; key[i]; i++)
		if (!is_name_char(key[i], "_"))
			return false;

	return true;
}

/*
 * Unquoted values lose their trailing blanks and a comment: a '#' that
 * follows a blank. @raw is the text after '=', @value that without its
 * leading blanks.
 */
static void env_file_strip_comment(const char *raw, char *value)
{
	char *p;

	for (p = value; *p; p++) {
		if (*p == '#' && p > raw && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}

	trim_end(value);
}

static int env_file_apply(const struct env_file *f, struct config *cfg,
			  const char *key, const char *value)
{
	char reason[CONFIG_ERROR_MAX];
	int r;

	if (!has_prefix(key))
		return 0;

	r = config_set(cfg, key, value, f->err);
	if (r == -ENOENT)
		return env_file_error(f, "%s: unknown setting", key);

	if (r < 0 && f->err) {
		snprintf(reason, sizeof(reason), "%s", f->err);
		return env_file_error(f, "%s", reason);
	}

	return r;
}

static int env_file_line(const struct env_file *f, struct config *cfg,
			 char *line)
{
	char *key, *value, *eq;
	int r;

	line = skip_blanks(line);
	if (*line == '\0' || *line == '#')
		return 0;

	if (!strncmp(line, "export", 6) && (line[6] == ' ' || line[6] == '\t'))
		line = skip_blanks(line + 6);

	eq = strchr(line, '=');
	if (!eq)
		return env_file_error(f, "expected KEY=value");

	*eq = '\0';
	key = line;
	trim_end(key);
	if (!env_key_ok(key))
		return env_file_error(f, "invalid variable name");

	value = skip_blanks(eq + 1);
	if (*value == '\'' || *value == '"') {
		r = env_file_unquote(f, value);
		if (r < 0)
			return r;
	} else {
		env_file_strip_comment(eq + 1, value);
	}

	return env_file_apply(f, cfg, key, value);
}

static int env_file_parse(const struct env_file *file, struct config *cfg,
			  char *text)
{
	struct env_file f = *file;
	char *line = text;
	char *next;
	size_t len;
	int r;

	for (f.line = 1; line; f.line++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';

		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';

		r = env_file_line(&f, cfg, line);
		if (r < 0)
			return r;

		line = next;
	}

	return 0;
}

/* Reads a regular file of at most CONFIG_FILE_MAX bytes, NUL-terminated. */
static int env_file_read(const struct env_file *f, char **out)
{
	struct stat st;
	char *text = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		config_error(f->err, "Failed to open %s: %s", f->path,
			     strerror(-r));
		return r;
	}

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		config_error(f->err, "%s: not a regular file", f->path);
		return -EINVAL;
	}

	text = malloc(CONFIG_FILE_MAX + 2);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}

	do {
		n = read(fd, text + len, CONFIG_FILE_MAX + 1 - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len <= CONFIG_FILE_MAX) ||
		 (n < 0 && errno == EINTR));

	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		config_error(f->err, "Failed to read %s: %s", f->path,
			     strerror(-r));
	} else if (len > CONFIG_FILE_MAX) {
		config_error(f->err, "%s: larger than %d KiB", f->path,
			     CONFIG_FILE_MAX / 1024);
		r = -EINVAL;
	} else if (memchr(text, '\0', len)) {
		config_error(f->err, "%s: contains a NUL byte", f->path);
		r = -EINVAL;
	}

	if (r < 0) {
		free(text);
		return r;
	}

	text[len] = '\0';
	*out = text;
	return 0;
}

int config_load_file(struct config *cfg, const char *path,
		     char err[CONFIG_ERROR_MAX])
{
	struct env_file f = { path, 0, err };
	char *text = NULL;
	int r;

	if (!cfg || !path)
		return -EINVAL;

	r = env_file_read(&f, &text);
	if (r < 0)
		return r;

	r = env_file_parse(&f, cfg, text);
	free(text);
	return r;
}

/* ---- after every layer ------------------------------------------------ */

static int config_derive_control_socket(struct config *cfg, char *err)
{
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	size_t len = strlen(cfg->run_dir);
	int n;

	if (cfg->control_socket[0])
		return 0;

	while (len > 0 && cfg->run_dir[len - 1] == '/')
		len--;

	n = snprintf(cfg->control_socket, sizeof(cfg->control_socket),
		     "%.*s/%s", (int)len, cfg->run_dir,
		     CONFIG_CONTROL_SOCKET_NAME);
	if (n < 0 || (size_t)n >= max) {
		cfg->control_socket[0] = '\0';
		config_error(err,
			     "DISTILLER_RUN_DIR: too long for the control "
			     "socket (%zu bytes at most); set "
			     "DISTILLER_CONTROL_SOCKET",
			     max - sizeof(CONFIG_CONTROL_SOCKET_NAME) - 1);
		return -EINVAL;
	}

	return 0;
}

/*
 * The tunnel listener's port, when not set, is the one after WEB_PORT,
 * decided here so that it follows a WEB_PORT from any layer. It is a
 * port of its own, shared with neither the main nor the portal listener:
 * the web actor tells remote requests apart by the listener they reach.
 */
static int config_derive_tunnel_port(struct config *cfg, char *err)
{
	bool derived = cfg->tunnel_port == 0;

	if (derived && cfg->web_port >= 65535) {
		config_error(err,
			     "DISTILLER_WEB_PORT=%d: leaves no port for the "
			     "tunnel listener (DISTILLER_TUNNEL_PORT, by "
			     "default WEB_PORT + 1); set DISTILLER_TUNNEL_PORT",
			     cfg->web_port);
		return -EINVAL;
	}

	if (derived)
		cfg->tunnel_port = cfg->web_port + 1;

	if (cfg->tunnel_port == cfg->web_port) {
		config_error(err,
			     "DISTILLER_TUNNEL_PORT=%d: must differ from "
			     "DISTILLER_WEB_PORT (%d)",
			     cfg->tunnel_port, cfg->web_port);
		return -EINVAL;
	}

	if (cfg->tunnel_port == cfg->portal_port) {
		config_error(err,
			     "DISTILLER_TUNNEL_PORT=%d%s: must differ from "
			     "DISTILLER_PORTAL_PORT (%d)%s",
			     cfg->tunnel_port,
			     derived ? " (WEB_PORT + 1, the default)" : "",
			     cfg->portal_port,
			     derived ? "; set DISTILLER_TUNNEL_PORT" : "");
		if (derived)
			cfg->tunnel_port = 0;
		return -EINVAL;
	}

	return 0;
}

int config_finish(struct config *cfg, char err[CONFIG_ERROR_MAX])
{
	int r;

	if (!cfg)
		return -EINVAL;

	if (cfg->heartbeat_deadline_ms <= cfg->heartbeat_interval_ms) {
		config_error(
			err,
			"DISTILLER_HEARTBEAT_DEADLINE_MS=%u: must be "
			"greater than DISTILLER_HEARTBEAT_INTERVAL_MS (%u)",
			cfg->heartbeat_deadline_ms, cfg->heartbeat_interval_ms);
		return -EINVAL;
	}

	if (cfg->restart_backoff_max_ms < cfg->restart_backoff_min_ms) {
		config_error(
			err,
			"DISTILLER_RESTART_BACKOFF_MAX_MS=%u: must not "
			"be less than DISTILLER_RESTART_BACKOFF_MIN_MS (%u)",
			cfg->restart_backoff_max_ms,
			cfg->restart_backoff_min_ms);
		return -EINVAL;
	}

	r = config_derive_tunnel_port(cfg, err);
	if (r < 0)
		return r;

	if (!cfg->device_env_path[0])
		strcpy(cfg->device_env_path, "/etc/pamir/device.env");

	return config_derive_control_socket(cfg, err);
}
