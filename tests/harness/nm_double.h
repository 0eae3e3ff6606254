/* SPDX-License-Identifier: MIT */
/*
 * The NetworkManager double for Criterion tests: a private dbus-daemon
 * (tests/nm/system-bus.conf) with tests/nm/networkmanager_double.py on
 * it, run by Debian's /usr/bin/python3 through python3-dbusmock.
 *
 * nm_double_start() exports DBUS_SYSTEM_BUS_ADDRESS for this process, so
 * libnm (and the network actor) reach the double as if it were the
 * system's NetworkManager. GLib keeps one system bus connection per
 * process, so start one double per test process (Criterion forks each
 * test), before anything touches the system bus, and free it last.
 *
 * The control wrappers call com.distiller.NetworkManagerDouble on the
 * double (see the Control class in the template). They block for at most
 * a few seconds, return 0 or -errno (-EIO for a D-Bus error, whose text
 * nm_double_last_error() keeps) and must be called from one thread.
 *
 * Device and active-connection reasons the double uses (NetworkManager's
 * own values):
 *   wrong password  NEED_AUTH (SUPPLICANT_DISCONNECT 8), FAILED
 *                   (NO_SECRETS 7), DISCONNECTED (NONE 0)
 *   not found       FAILED (SSID_NOT_FOUND 53)
 *   timeout         FAILED (SUPPLICANT_TIMEOUT 11)
 *   DHCP failure    FAILED (IP_CONFIG_UNAVAILABLE 5)
 *   vanished        FAILED (SSID_NOT_FOUND 53)
 *   user request    DEACTIVATING, DISCONNECTED (USER_REQUESTED 39)
 * and every failure leaves the active connection DEACTIVATED with reason
 * DEVICE_DISCONNECTED (3), as NetworkManager's activation requests do.
 */
#ifndef DISTILLER_TESTS_HARNESS_NM_DOUBLE_H
#define DISTILLER_TESTS_HARNESS_NM_DOUBLE_H

#include <stdbool.h>

#include <gio/gio.h>

struct nm_double;

struct nm_double_options {
	/*
	 * A file in tests/nm/scenarios/ ("basic.json") or an absolute path;
	 * NULL for basic.json.
	 */
	const char *scenario;
	/* Template parameters over the scenario's, a JSON object; or NULL. */
	const char *params_json;
	/* Deadline for the bus and the double to come up; 0 for 15 s. */
	unsigned int timeout_ms;
};

/*
 * Starts the bus and the double in a fresh temporary directory and waits
 * until the double's control name is on the bus (NetworkManager's name
 * is owned by then too). Returns 0 and sets *out, or -errno; the double's
 * output is in nm_double_log_path().
 */
int nm_double_start(const struct nm_double_options *opts,
		    struct nm_double **out);

/*
 * Stops the double and the bus (their whole process groups) and removes
 * the temporary directory. Unref libnm clients before. NULL is ok.
 */
void nm_double_free(struct nm_double *d);

const char *nm_double_bus_address(const struct nm_double *d);
const char *nm_double_dir(const struct nm_double *d);
const char *nm_double_log_path(const struct nm_double *d);

/* The message of the last D-Bus error a wrapper got, or "". */
const char *nm_double_last_error(const struct nm_double *d);

/*
 * Waits until org.freedesktop.NetworkManager is owned (@owned) or not,
 * watching NameOwnerChanged. Returns 0 or -ETIMEDOUT.
 */
int nm_double_wait_nm(struct nm_double *d, bool owned, unsigned int timeout_ms);

/*
 * Calls @method of the control interface. @args (may be NULL, floating
 * references are sunk) must match its signature; *reply (may be NULL)
 * gets the reply tuple, to be unreffed.
 */
int nm_double_call(struct nm_double *d, const char *method, GVariant *args,
		   GVariant **reply);

/*
 * Adds a network to the air; @security is one of open, wep, wpa,
 * wpa-wpa2, wpa2, wpa2-wpa3, wpa3, enterprise. It accepts any password
 * until nm_double_set_behaviour() says otherwise.
 */
int nm_double_add_ap(struct nm_double *d, const char *ssid,
		     const char *security, unsigned int strength,
		     unsigned int frequency_mhz);

/* Same with every key of a scenario's network entry, an a{sv}. */
int nm_double_add_ap_spec(struct nm_double *d, GVariant *spec);

/* The network leaves the air; a connection to it drops (SSID_NOT_FOUND). */
int nm_double_remove_ap(struct nm_double *d, const char *ssid);

int nm_double_set_strength(struct nm_double *d, const char *ssid,
			   unsigned int strength);

/*
 * How joining @ssid ends: "accept" (with @psk, or any password when @psk
 * is NULL or ""), "wrong-password", "not-found", "timeout", "dhcp-fail",
 * "hang" (stays in CONFIG) or "vanish" (the network leaves mid-join).
 */
int nm_double_set_behaviour(struct nm_double *d, const char *ssid,
			    const char *behaviour, const char *psk);

int nm_double_set_step_delay(struct nm_double *d, unsigned int ms);

/* The joined network's link drops: FAILED with @reason, DISCONNECTED. */
int nm_double_drop_connection(struct nm_double *d, unsigned int reason);

/*
 * NetworkManager restarts: it leaves the bus, and after @down_ms comes
 * back with the same profiles and networks and the device disconnected.
 */
int nm_double_restart(struct nm_double *d, unsigned int down_ms);

int nm_double_add_wifi_device(struct nm_double *d, const char *iface,
			      const char *hw_address);
int nm_double_remove_wifi_device(struct nm_double *d);

/* The radio switch (rfkill): the device goes UNAVAILABLE and back. */
int nm_double_set_wireless_enabled(struct nm_double *d, bool enabled);

/*
 * The settings (with secrets) and the other arguments of the last call of
 * a NetworkManager method, e.g. "AddAndActivateConnection2": *settings is
 * an a{sa{sv}}, *options an a{sv}; either may be NULL. -ENOENT when the
 * method was not called.
 */
int nm_double_get_last_call(struct nm_double *d, const char *method,
			    GVariant **settings, GVariant **options);

/* The NetworkManager methods called so far, in order; g_strfreev(). */
char **nm_double_get_calls(struct nm_double *d);
int nm_double_clear_calls(struct nm_double *d);

/* Every hostname given to SaveHostname, in order; g_strfreev(). */
char **nm_double_get_hostnames(struct nm_double *d);

/*
 * A summary a{sv}: "running" b, "profiles" u and, with a Wi-Fi device,
 * "device_state" u, "mode" u, "scan_pending" b, "last_scan" x,
 * "active_id" s.
 */
int nm_double_get_state(struct nm_double *d, GVariant **state);

#endif
