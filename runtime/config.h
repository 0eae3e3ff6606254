/* SPDX-License-Identifier: MIT */
/*
 * Daemon configuration: defaults, then the environment's DISTILLER_*
 * variables, then a .env file given with --config (DISTILLER_KEY=value
 * lines), then command-line flags, each layer overriding the one before.
 * Every value is validated; the first invalid one stops start-up with a
 * message naming the variable, the value and what is allowed.
 *
 * The struct is filled once by the main thread before any actor starts and
 * is read-only afterwards, so actors may read it without locking.
 */
#ifndef DISTILLER_RUNTIME_CONFIG_H
#define DISTILLER_RUNTIME_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_ERROR_MAX 256

enum tunnel_provider {
	TUNNEL_PROVIDER_FRP,
	TUNNEL_PROVIDER_PINGGY,
};

/* Exit statuses of the daemon (sysexits.h). */
#define CONFIG_EXIT_USAGE 2
#define CONFIG_EXIT_CONFIG 78

struct config {
	/* DISTILLER_* public configuration */
	char ap_ssid_prefix[24]; /* AP_SSID_PREFIX, default "Distiller" */
	char ap_ip[16];		 /* AP_IP, default 192.168.4.1 */
	int ap_channel;		 /* AP_CHANNEL 1..11, default 6 */
	char ap_password[65];	 /* AP_PASSWORD: pin one; "" generates */
	unsigned int ap_password_ttl_s; /* AP_PASSWORD_TTL, default 1800 */
	char web_host[64];		/* WEB_HOST, default 0.0.0.0 */
	int web_port;			/* WEB_PORT, default 8080 */
	int portal_port;		/* PORTAL_PORT on ap_ip, default 80 */
	int tunnel_port;		/* TUNNEL_PORT on 127.0.0.1; 0 until
					 * config_finish() makes it
					 * web_port + 1 */
	unsigned int ws_ping_s;		/* WS_PING_S, default 20: an idle
					 * WebSocket is pinged after it and
					 * dropped after twice as long */
	bool captive_portal;  /* ENABLE_CAPTIVE_PORTAL, default true */
	bool display_enabled; /* DISPLAY_ENABLED, default true */
	unsigned int display_update_interval; /* seconds, default 30 */
	bool tunnel_enabled;		      /* TUNNEL_ENABLED, default true */
	enum tunnel_provider tunnel_provider; /* TUNNEL_PROVIDER */
	char devices_domain[128]; /* DEVICES_DOMAIN, default devices.pamir.ai */
	char frp_service_name[64]; /* FRP_SERVICE_NAME, default frpc.service */
	char device_serial[64];	   /* DEVICE_SERIAL */
	char device_env_path[PATH_MAX];	      /* DEVICE_ENV_PATH */
	unsigned int tunnel_refresh_interval; /* seconds, default 3300 */
	int tunnel_ssh_port;		      /* TUNNEL_SSH_PORT, default 443 */
	char pinggy_access_token[128];	 /* PINGGY_ACCESS_TOKEN, a secret */
	unsigned int tunnel_max_retries; /* TUNNEL_MAX_RETRIES, default 3 */
	unsigned int tunnel_retry_delay; /* seconds, default 30 */
	bool debug;			 /* DEBUG */
	char state_dir[PATH_MAX]; /* STATE_DIR, default /var/lib/distiller */

	/* where the daemon writes outside its state directory */
	char run_dir[PATH_MAX];	     /* RUN_DIR, default /run/distiller-wifi */
	char dnsmasq_dir[PATH_MAX];  /* DNSMASQ_SHARED_DIR */
	char nm_lease_dir[PATH_MAX]; /* NM_LEASE_DIR; "" is NM's default */
	char control_socket[PATH_MAX]; /* CONTROL_SOCKET, in run_dir */

	/* behaviour switches */
	bool no_hardware; /* --no-hardware: no panel, no radio */

	/* timing of the network actor, seconds */
	unsigned int join_timeout_s;	/* JOIN_TIMEOUT, default 45 */
	unsigned int reconnect_grace_s; /* RECONNECT_GRACE, default 60 */
	unsigned int boot_grace_s;	/* BOOT_GRACE, default 20 */

	/* supervisor policy, milliseconds */
	unsigned int heartbeat_interval_ms;  /* default 1000 */
	unsigned int heartbeat_deadline_ms;  /* default 5000 */
	unsigned int restart_backoff_min_ms; /* default 100 */
	unsigned int restart_backoff_max_ms; /* default 30000 */
	unsigned int restart_limit;	     /* default 5 ... */
	unsigned int restart_window_ms;	     /* ... within 60000 */
};

/* Fills @cfg with the built-in defaults. Pure. */
void config_defaults(struct config *cfg);

/*
 * Applies one DISTILLER_* variable (the key with or without the prefix).
 * Returns 0, -ENOENT for an unknown key, or -EINVAL with a one-line reason
 * naming the key, the value and what is allowed in @err. Pure.
 */
int config_set(struct config *cfg, const char *key, const char *value,
	       char err[CONFIG_ERROR_MAX]);

/* Applies every DISTILLER_* variable in @envp (NULL-terminated). */
int config_load_env(struct config *cfg, char *const envp[],
		    char err[CONFIG_ERROR_MAX]);

/*
 * Reads a .env file: KEY=value lines, '#' comments, optional quotes,
 * optional "export ". Unknown DISTILLER_* keys are an error; other keys
 * are ignored. Returns 0, -errno for an unreadable file, or -EINVAL.
 */
int config_load_file(struct config *cfg, const char *path,
		     char err[CONFIG_ERROR_MAX]);

/* Cross-field checks and derived paths, after every layer is applied. */
int config_finish(struct config *cfg, char err[CONFIG_ERROR_MAX]);

#endif
