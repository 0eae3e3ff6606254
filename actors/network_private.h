/* SPDX-License-Identifier: MIT */
/*
 * The network actor's own state, shared by its two files: network.c (the
 * loop, joins, the access point, NetworkManager's comings and goings) and
 * network_scan_request.c (answering scan requests). Everything here is
 * touched only by the network actor's thread.
 */
#ifndef DISTILLER_ACTORS_NETWORK_PRIVATE_H
#define DISTILLER_ACTORS_NETWORK_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <NetworkManager.h>

#include "actors/network_reason.h"
#include "actors/network_scan.h"
#include "messages/msg.h"

struct actor;
struct config;
struct nl80211;

#define NETWORK_UUID_MAX 40
#define NETWORK_SCAN_WAITERS 16
#define NETWORK_APS_MAX 256

enum network_phase {
	NETWORK_PHASE_STARTING,	 /* no client, NM or snapshot yet */
	NETWORK_PHASE_NO_DEVICE, /* waiting for a WiFi device */
	NETWORK_PHASE_BOOT_WAIT, /* a saved network may come up */
	NETWORK_PHASE_AP_SCAN,	 /* one scan before the AP goes up */
	NETWORK_PHASE_AP,	 /* the hotspot is going up or is up */
	NETWORK_PHASE_JOINING,	 /* a join runs */
	NETWORK_PHASE_CONNECTED,
	NETWORK_PHASE_LOST,    /* NM's own reconnect has a grace */
	NETWORK_PHASE_LEAVING, /* disconnecting before the AP */
};

struct network_join {
	bool user;	 /* a person asked; not a retry */
	bool activating; /* NM accepted; watching the ac */
	struct msg_ssid ssid;
	char password[MSG_PASSWORD_MAX + 1];
	bool hidden;
	char session_id[MSG_SESSION_MAX];
	char profile_uuid[NETWORK_UUID_MAX]; /* the profile it activates */
	bool profile_new;		     /* added by this join */
	GSource *timeout;
};

struct network_scan_waiter {
	uint64_t correlation_id;
	char sender[MSG_NAME_MAX];
};

struct network {
	struct actor *self;
	const struct config *cfg;
	GMainContext *context;
	GMainLoop *loop;
	GCancellable *cancellable;
	int exit_code;

	GDBusConnection *bus;
	NMClient *client;
	NMDeviceWifi *device;
	NMActiveConnection *ac; /* the activation we follow */
	GSource *client_retry;

	struct msg_state_snapshot snapshot;
	bool have_snapshot;
	enum wifi_state reported; /* the last state we told "state" */
	char reported_ip[MSG_IP_MAX];

	enum network_phase phase;
	bool booted; /* the first sync decided */
	bool hostname_busy;
	struct network_join join;
	char known_uuid[NETWORK_UUID_MAX]; /* the network to come back to */
	bool retry_allowed;
	GSource *grace_timer; /* boot or reconnect grace */
	GSource *retry_timer; /* AP-mode retry or AP re-raise */
	unsigned int retry_delay_s;
	unsigned int ap_failures;
	bool ap_up;
	char ap_ssid_up[MSG_SSID_MAX + 1];
	char ap_password_up[MSG_PASSWORD_MAX + 1];

	/* scanning: the last list, when it was made, who waits for one */
	struct msg_scan_result cache;
	uint64_t cache_ms; /* actor_now_ms() of the list */
	bool have_cache;
	struct network_scan_waiter waiters[NETWORK_SCAN_WAITERS];
	unsigned int n_waiters;
	bool nm_scan_running;
	int64_t nm_scan_before; /* LastScan when we asked */
	GSource *scan_timeout;
	struct nl80211 *nl;
	GSource *nl_source;
	int nl_ifindex;
	bool nl_warned;
	struct network_scan_ap aps[NETWORK_APS_MAX];
};

/* network_join.c */

/* Starts the join described in net->join; @user: a person asked. */
void network_start_join(struct network *net, bool user);

/* The join ended; the AP comes back (see network_join.c). */
void network_join_succeeded(struct network *net, NMActiveConnection *ac);
void network_join_failed(struct network *net, enum network_failure failure);
void network_join_clear(struct network *net);

/* Deletes the saved profile @uuid, if NetworkManager has it. */
void network_delete_profile(struct network *net, const char *uuid);

/* MSG_CONNECT_REQUEST: validated, refused while a join runs, started. */
void network_handle_connect(struct network *net, const struct msg *m);

/* network_scan_request.c */

/* Answers or queues a MSG_SCAN_REQUEST. */
void network_scan_request(struct network *net, const struct msg *m,
			  bool ap_mode);

/* A scan before the AP goes up: network_scan_finished() follows. */
void network_scan_before_ap(struct network *net);

/* Refreshes the cached list from NetworkManager's access points. */
void network_scan_cache_from_nm(struct network *net);

/* LastScan changed on the device. */
void network_scan_nm_done(struct network *net);

/* Answers every waiter (no device, NM gone, actor stopping). */
void network_scan_flush(struct network *net, const char *error);

/* Counts stations associated with the AP (nl80211). 0 or -errno. */
int network_ap_stations(struct network *net, unsigned int *count);

/* Drops the nl80211 sockets and the scan timers. */
void network_scan_fini(struct network *net);

/* network.c */

bool network_nm_ready(const struct network *net);
const char *network_ssid_log(char *buf, size_t size,
			     const struct msg_ssid *ssid);

/*
 * Reports a fact to "state", dropping repeats and bridging a step the
 * state table refuses through CONNECTING or DISCONNECTED when that makes
 * it legal.
 */
void network_emit(struct network *net, enum wifi_state state,
		  const struct msg_ssid *ssid, const char *ip,
		  const char *reason, const char *session_id);

/* Follows @ac's state and address (one at a time), or stops following. */
void network_watch_ac(struct network *net, NMActiveConnection *ac);
void network_unwatch_ac(struct network *net);

/* Scans once, then raises the hotspot (needs the snapshot's AP keys). */
void network_raise_ap(struct network *net);

/* Leaving AP mode: the captive portal drop-in goes. */
void network_leave_ap_mode(struct network *net);

/* Connected through @ac: CONNECTED with its address; it is known now. */
void network_connected(struct network *net, NMActiveConnection *ac);

/* Answers @request with MSG_REPLY. */
void network_reply(struct network *net, const struct msg *request, int code,
		   const char *error, const char *session_id);

/* The pre-AP scan finished (or gave up): the AP goes up now. */
void network_scan_finished(struct network *net);

/* Adds a one-shot timer on the actor's context. */
GSource *network_timeout_new(struct network *net, unsigned int ms,
			     GSourceFunc cb);
void network_timeout_clear(GSource **source);

/* True for the error of a call we cancelled (the actor is stopping). */
bool network_cancelled(const GError *error);

/* The AP's SSID as bytes, from the snapshot. */
void network_own_ssid(const struct network *net, struct msg_ssid *out);

#endif
