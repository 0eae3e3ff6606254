/* SPDX-License-Identifier: MIT */
/*
 * The device's identity: a 4-character device id, the hostname and the
 * setup access point's SSID made from it, and the serial the tunnel uses.
 *
 * The rule for the device id: the last two bytes of the WiFi interface's
 * MAC address as four lower-case hex digits (MAC dc:a6:32:01:a1:b2 gives
 * "a1b2"), so the label on the box and the SSID agree. The hostname is
 * "distiller-a1b2"; the AP SSID is "<AP_SSID_PREFIX>-A1B2" (upper case).
 * The WiFi interface is the one in SYSFS/class/net with a "wireless" or
 * "phy80211" entry; with several, one with a universally administered
 * address is preferred over a locally administered (virtual) one, then
 * the first by name. Without one (simulated mode) the id is the last two
 * bytes of an FNV-1a 64 hash of /etc/machine-id (hashed, so the file's
 * value is not exposed); without that, two random bytes.
 *
 * The id is decided once and kept in STATE_DIR/device_config.json, so it
 * stays the same across reboots, interface renames and a MAC address that
 * changes later. A damaged file is reported and replaced by a new
 * decision, which gives the same id whenever the MAC (or machine-id) is
 * unchanged.
 *
 * The serial comes from DISTILLER_DEVICE_SERIAL or else from the
 * DISTILLER_DEVICE_SERIAL=... line of the device.env file
 * (DISTILLER_DEVICE_ENV_PATH, default /etc/pamir/device.env); it is read
 * at each start and never stored by us.
 *
 * Blocking file I/O; logs nothing. Any thread.
 */
#ifndef DISTILLER_ACTORS_IDENTITY_H
#define DISTILLER_ACTORS_IDENTITY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "actors/state_store.h"
#include "messages/msg.h"

struct config;

#define IDENTITY_FILE_NAME "device_config.json"
#define IDENTITY_FILE_VERSION 1
#define IDENTITY_ID_LEN 4
#define IDENTITY_SERIAL_MAX 64

enum identity_source {
	IDENTITY_SOURCE_MAC,
	IDENTITY_SOURCE_MACHINE_ID,
	IDENTITY_SOURCE_RANDOM,
};

struct identity {
	char device_id[IDENTITY_ID_LEN + 1]; /* "a1b2" */
	char hostname[32];		     /* "distiller-a1b2" */
	char ap_ssid[MSG_SSID_MAX + 1];	     /* "Distiller-A1B2" */
	char serial[IDENTITY_SERIAL_MAX];    /* "" when unknown */
	enum identity_source source;	     /* how the id was decided */
	char interface[IFNAMSIZ];	     /* for SOURCE_MAC, at the time */
};

/* Where identity_load() looks; NULL members mean the system's paths. */
struct identity_sources {
	const char *sysfs_root;	     /* "/sys" */
	const char *machine_id_path; /* "/etc/machine-id" */
};

/*
 * What identity_load() found on the way, for the caller to log. Each
 * code is 0 or a -errno with its text beside it.
 */
struct identity_report {
	int load_err; /* device_config.json unreadable or damaged */
	char load[STATE_STORE_ERROR_MAX];
	bool decided; /* the id was decided now, not read back */
	int save_err; /* the decision could not be saved */
	char save[STATE_STORE_ERROR_MAX];
	int serial_err; /* no serial, or a bad one in device.env */
	char serial[STATE_STORE_ERROR_MAX];
};

/* "mac", "machine-id", "random"; NULL outside the enum. */
const char *identity_source_name(enum identity_source source);

/*
 * Finds the WiFi interface under @sysfs_root/class/net and its MAC.
 * Returns 0, -ENODEV when there is none, or -errno.
 */
int identity_find_wifi_mac(const char *sysfs_root, char ifname[IFNAMSIZ],
			   uint8_t mac[6]);

/* The id of a MAC address: its last two bytes in lower-case hex. Pure. */
void identity_id_from_mac(const uint8_t mac[6], char out[IDENTITY_ID_LEN + 1]);

/*
 * The id from a machine-id file (32 hex digits). Returns 0, -errno for an
 * unreadable file, or -EINVAL for one that is not a machine id.
 */
int identity_id_from_machine_id(const char *path,
				char out[IDENTITY_ID_LEN + 1]);

/*
 * Fills hostname and ap_ssid from the device id and @ap_ssid_prefix.
 * Pure.
 */
void identity_derive_names(struct identity *id, const char *ap_ssid_prefix);

/*
 * The serial: @cfg->device_serial if set, else the DISTILLER_DEVICE_SERIAL
 * line of @cfg->device_env_path ('#' comments, optional "export " and
 * quotes). A serial is 1 to 63 letters, digits, '-' or '_'. Returns 0;
 * -ENOENT when neither has one; -EINVAL for a bad value; or -errno for
 * an unreadable file; with a reason naming the path in @err.
 */
int identity_read_serial(const struct config *cfg,
			 char out[IDENTITY_SERIAL_MAX],
			 char err[STATE_STORE_ERROR_MAX]);

/*
 * Loads the identity from @cfg->state_dir, deciding and saving it when
 * there is no valid device_config.json. @src may be NULL. Always yields
 * an identity; returns 0, or -errno only when not even random bytes were
 * to be had. Problems on the way are in @report.
 */
int identity_load(struct identity *id, const struct config *cfg,
		  const struct identity_sources *src,
		  struct identity_report *report);

#endif
