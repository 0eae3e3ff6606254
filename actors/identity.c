/* SPDX-License-Identifier: MIT */
/*
 * The device's identity: the device id decided from the WiFi MAC address
 * (or machine-id) and kept in device_config.json, the names made from it,
 * and the serial from the configuration or device.env. See identity.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "actors/identity.h"
#include "runtime/config.h"

#define DEFAULT_SYSFS_ROOT "/sys"
#define DEFAULT_MACHINE_ID "/etc/machine-id"
#define SERIAL_KEY "DISTILLER_DEVICE_SERIAL"
#define ENV_LINE_MAX 1024

static void __attribute__((format(printf, 2, 3)))
set_err(char err[STATE_STORE_ERROR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, STATE_STORE_ERROR_MAX, fmt, ap);
	va_end(ap);
}

const char *identity_source_name(enum identity_source source)
{
	switch (source) {
	case IDENTITY_SOURCE_MAC:
		return "mac";
	case IDENTITY_SOURCE_MACHINE_ID:
		return "machine-id";
	case IDENTITY_SOURCE_RANDOM:
		return "random";
	}

	return NULL;
}

static int source_from_name(const char *name, enum identity_source *out)
{
	for (int s = IDENTITY_SOURCE_MAC; s <= IDENTITY_SOURCE_RANDOM; s++) {
		if (strcmp(name, identity_source_name(s)) == 0) {
			*out = s;
			return 0;
		}
	}

	return -EINVAL;
}

/* snprintf() that reports truncation instead of hiding it. */
static int __attribute__((format(printf, 3, 4)))
make_path(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Reads a small sysfs or /etc file into @buf, without its newline. */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	n = read(fd, buf, size - 1);
	if (n < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	close(fd);

	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';

	return 0;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;

	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];

	return 0;
}

static bool mac_is_usable(const uint8_t mac[6])
{
	static const uint8_t zero[6],
		ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(mac, zero, 6) && memcmp(mac, ones, 6);
}

/* Reads the MAC of a wireless interface; -ENODEV for anything else. */
static int wifi_mac_of(const char *net_dir, const char *name, uint8_t mac[6])
{
	char path[PATH_MAX];
	char text[64];
	int r;

	r = make_path(path, sizeof(path), "%s/%s/wireless", net_dir, name);
	if (r < 0)
		return r;

	if (!path_exists(path)) {
		r = make_path(path, sizeof(path), "%s/%s/phy80211", net_dir,
			      name);
		if (r < 0 || !path_exists(path))
			return -ENODEV;
	}

	r = make_path(path, sizeof(path), "%s/%s/address", net_dir, name);
	if (!r)
		r = read_small(path, text, sizeof(text));
	if (r < 0)
		return r;

	r = parse_mac(text, mac);
	if (r < 0 || !mac_is_usable(mac))
		return -ENODEV;

	return 0;
}

int identity_find_wifi_mac(const char *sysfs_root, char ifname[IFNAMSIZ],
			   uint8_t mac[6])
{
	struct dirent **names;
	char net_dir[PATH_MAX];
	int best = -1;
	bool best_local = true;
	int n;

	if (make_path(net_dir, sizeof(net_dir), "%s/class/net", sysfs_root))
		return -ENAMETOOLONG;

	n = scandir(net_dir, &names, NULL, alphasort);
	if (n < 0)
		return -errno;

	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		uint8_t found[6];
		bool local;

		if (name[0] == '.' || strlen(name) >= IFNAMSIZ)
			continue;
		if (wifi_mac_of(net_dir, name, found) < 0)
			continue;

		/* Bit 1 of the first byte: a locally administered address. */
		local = found[0] & 0x02;
		if (best >= 0 && (local || !best_local))
			continue;

		best = i;
		best_local = local;
		memcpy(mac, found, 6);
	}

	/* Names were checked to fit IFNAMSIZ above. */
	if (best >= 0)
		memcpy(ifname, names[best]->d_name,
		       strlen(names[best]->d_name) + 1);

	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);

	return best >= 0 ? 0 : -ENODEV;
}

void identity_id_from_mac(const uint8_t mac[6], char out[IDENTITY_ID_LEN + 1])
{
	snprintf(out, IDENTITY_ID_LEN + 1, "%02x%02x", mac[4], mac[5]);
}

static void id_from_u16(unsigned int v, char out[IDENTITY_ID_LEN + 1])
{
	snprintf(out, IDENTITY_ID_LEN + 1, "%04x", v & 0xffff);
}

int identity_id_from_machine_id(const char *path, char out[IDENTITY_ID_LEN + 1])
{
	uint64_t hash = UINT64_C(0xcbf29ce484222325);
	char text[64];
	int r;

	r = read_small(path, text, sizeof(text));
	if (r < 0)
		return r;

	if (strlen(text) != 32 || strspn(text, "0123456789abcdef") != 32)
		return -EINVAL;

	/* FNV-1a, 64 bits. */
	for (const char *c = text; *c; c++) {
		hash ^= (uint8_t)*c;
		hash *= UINT64_C(0x100000001b3);
	}

	id_from_u16((unsigned int)hash, out);
	return 0;
}

static int id_from_random(char out[IDENTITY_ID_LEN + 1])
{
	uint8_t b[2];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return errno ? -errno : -EIO;

	id_from_u16((unsigned int)b[0] << 8 | b[1], out);
	return 0;
}

static bool id_is_valid(const char *id)
{
	return strlen(id) == IDENTITY_ID_LEN &&
	       strspn(id, "0123456789abcdef") == IDENTITY_ID_LEN;
}

void identity_derive_names(struct identity *id, const char *ap_ssid_prefix)
{
	char upper[IDENTITY_ID_LEN + 1];

	for (int i = 0; i <= IDENTITY_ID_LEN; i++)
		upper[i] = (char)toupper((unsigned char)id->device_id[i]);

	snprintf(id->hostname, sizeof(id->hostname), "distiller-%s",
		 id->device_id);
	snprintf(id->ap_ssid, sizeof(id->ap_ssid), "%.*s-%s",
		 (int)(MSG_SSID_MAX - IDENTITY_ID_LEN - 1), ap_ssid_prefix,
		 upper);
}

static bool serial_is_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= IDENTITY_SERIAL_MAX)
		return false;

	for (const char *c = s; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return false;
	}

	return true;
}

/* Strips blanks around @s and one pair of matching quotes. */
static char *env_value(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;

	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		s[--len] = '\0';

	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
		s[len - 1] = '\0';
		s++;
	}

	return s;
}

/* Finds the serial line in the device.env file at @path. */
static int serial_from_file(const char *path, char out[IDENTITY_SERIAL_MAX],
			    char err[STATE_STORE_ERROR_MAX])
{
	char line[ENV_LINE_MAX];
	int r = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (r == -ENOENT)
			set_err(err, "%s: does not exist and %s is not set",
				path, SERIAL_KEY);
		else
			set_err(err, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}

	while (fgets(line, sizeof(line), f)) {
		char *s = line, *value;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "export ", 7) == 0)
			s += 7;
		if (strncmp(s, SERIAL_KEY, strlen(SERIAL_KEY)) != 0)
			continue;

		s += strlen(SERIAL_KEY);
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '=')
			continue;

		/* The last line wins, as in a shell. */
		value = env_value(s + 1);
		if (!serial_is_valid(value)) {
			set_err(err,
				"%s: %s must be 1 to %d letters, digits, "
				"'-' or '_'",
				path, SERIAL_KEY, IDENTITY_SERIAL_MAX - 1);
			r = -EINVAL;
			continue;
		}

		snprintf(out, IDENTITY_SERIAL_MAX, "%s", value);
		r = 0;
	}
	fclose(f);

	if (r == -ENOENT)
		set_err(err, "%s: has no %s line and %s is not set", path,
			SERIAL_KEY, SERIAL_KEY);
	if (r < 0)
		out[0] = '\0';

	return r;
}

int identity_read_serial(const struct config *cfg,
			 char out[IDENTITY_SERIAL_MAX],
			 char err[STATE_STORE_ERROR_MAX])
{
	out[0] = '\0';
	err[0] = '\0';

	if (cfg->device_serial[0]) {
		if (!serial_is_valid(cfg->device_serial)) {
			set_err(err,
				"%s must be 1 to %d letters, digits, '-' "
				"or '_'",
				SERIAL_KEY, IDENTITY_SERIAL_MAX - 1);
			return -EINVAL;
		}

		snprintf(out, IDENTITY_SERIAL_MAX, "%s", cfg->device_serial);
		return 0;
	}

	return serial_from_file(cfg->device_env_path, out, err);
}

static int parse_identity(const cJSON *root, struct identity *id,
			  const char *path, char err[STATE_STORE_ERROR_MAX])
{
	char source[16];
	uint64_t version;
	int r;

	r = state_store_get_u64(root, "version", &version, path, err);
	if (r < 0)
		return r;

	if (version != IDENTITY_FILE_VERSION) {
		set_err(err, "%s: version %llu is not %d", path,
			(unsigned long long)version, IDENTITY_FILE_VERSION);
		return -EBADMSG;
	}

	r = state_store_get_string(root, "device_id", id->device_id,
				   sizeof(id->device_id), path, err);
	if (!r && !id_is_valid(id->device_id)) {
		set_err(err,
			"%s: field \"device_id\" must be %d lower-case "
			"hex digits",
			path, IDENTITY_ID_LEN);
		r = -EBADMSG;
	}
	if (!r)
		r = state_store_get_string(root, "source", source,
					   sizeof(source), path, err);
	if (!r && source_from_name(source, &id->source) < 0) {
		set_err(err,
			"%s: field \"source\" must be \"mac\", "
			"\"machine-id\" or \"random\"",
			path);
		r = -EBADMSG;
	}
	if (!r)
		r = state_store_get_string(root, "interface", id->interface,
					   sizeof(id->interface), path, err);

	return r;
}

static int load_saved(const char *dir, struct identity *id,
		      char err[STATE_STORE_ERROR_MAX])
{
	char path[PATH_MAX];
	cJSON *root;
	int r;

	r = state_store_read_json(dir, IDENTITY_FILE_NAME, &root, err);
	if (r < 0)
		return r;

	snprintf(path, sizeof(path), "%s/%s", dir, IDENTITY_FILE_NAME);
	r = parse_identity(root, id, path, err);
	cJSON_Delete(root);
	return r;
}

static int save(const char *dir, const struct identity *id,
		char err[STATE_STORE_ERROR_MAX])
{
	cJSON *root = cJSON_CreateObject();
	bool ok;
	int r;

	ok = root &&
	     cJSON_AddNumberToObject(root, "version", IDENTITY_FILE_VERSION) &&
	     cJSON_AddStringToObject(root, "device_id", id->device_id) &&
	     cJSON_AddStringToObject(root, "source",
				     identity_source_name(id->source)) &&
	     cJSON_AddStringToObject(root, "interface", id->interface);
	if (!ok) {
		cJSON_Delete(root);
		set_err(err, "%s/%s: out of memory", dir, IDENTITY_FILE_NAME);
		return -ENOMEM;
	}

	r = state_store_write_json(dir, IDENTITY_FILE_NAME, root, err);
	cJSON_Delete(root);
	return r;
}

static int decide(struct identity *id, const struct identity_sources *src)
{
	uint8_t mac[6];

	if (identity_find_wifi_mac(src->sysfs_root, id->interface, mac) == 0) {
		identity_id_from_mac(mac, id->device_id);
		id->source = IDENTITY_SOURCE_MAC;
		return 0;
	}

	id->interface[0] = '\0';
	if (identity_id_from_machine_id(src->machine_id_path, id->device_id) ==
	    0) {
		id->source = IDENTITY_SOURCE_MACHINE_ID;
		return 0;
	}

	id->source = IDENTITY_SOURCE_RANDOM;
	return id_from_random(id->device_id);
}

int identity_load(struct identity *id, const struct config *cfg,
		  const struct identity_sources *src,
		  struct identity_report *report)
{
	struct identity_sources paths = {
		.sysfs_root = src && src->sysfs_root ? src->sysfs_root :
						       DEFAULT_SYSFS_ROOT,
		.machine_id_path = src && src->machine_id_path ?
					   src->machine_id_path :
					   DEFAULT_MACHINE_ID,
	};
	int r;

	memset(id, 0, sizeof(*id));
	memset(report, 0, sizeof(*report));

	r = load_saved(cfg->state_dir, id, report->load);
	if (r < 0) {
		/* A missing file is the first start, not a problem. */
		report->load_err = r == -ENOENT ? 0 : r;
		if (r == -ENOENT)
			report->load[0] = '\0';

		memset(id, 0, sizeof(*id));
		r = decide(id, &paths);
		if (r < 0)
			return r;

		report->decided = true;
		report->save_err = save(cfg->state_dir, id, report->save);
	}

	identity_derive_names(id, cfg->ap_ssid_prefix);
	report->serial_err =
		identity_read_serial(cfg, id->serial, report->serial);
	return 0;
}
