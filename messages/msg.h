/* SPDX-License-Identifier: MIT */
/*
 * The message schema: every message exchanged between actors, and on the
 * local control socket, is defined here once.
 *
 * Wire form (msgpack), schema version MSG_SCHEMA_VERSION:
 *
 *   [ version:uint, type:uint, correlation_id:uint, sender:str, body:map ]
 *
 * The body is a map keyed by field name (the names below). Decoders are
 * strict: an unknown version or type, a field of the wrong msgpack type, a
 * missing required field, a string or list over its bound, or bytes after
 * the envelope is an error, and the output struct is then left zeroed.
 * Unknown extra body fields are skipped so that newer peers can add
 * optional fields within one version.
 *
 * Strings are bounded char arrays, always NUL-terminated after decoding.
 * SSIDs are raw bytes (msgpack bin) because they need not be UTF-8.
 */
#ifndef DISTILLER_MESSAGES_MSG_H
#define DISTILLER_MESSAGES_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_SCHEMA_VERSION 1

#define MSG_NAME_MAX 32	    /* actor names, sender field, incl. NUL */
#define MSG_SSID_MAX 32	    /* bytes, IEEE 802.11 */
#define MSG_PASSWORD_MAX 64 /* 8-63 printable or 64 hex digits */
#define MSG_IP_MAX 46	    /* INET6_ADDRSTRLEN */
#define MSG_TEXT_MAX 160    /* human-readable reasons, incl. NUL */
#define MSG_URL_MAX 256
#define MSG_SESSION_MAX 40  /* a UUID string, incl. NUL */
#define MSG_NETWORKS_MAX 64 /* scan results carried in one message */

enum msg_type {
	/* runtime and supervisor */
	MSG_HEARTBEAT = 1,     /* supervisor -> actor (runtime answers) */
	MSG_HEARTBEAT_ACK = 2, /* actor -> supervisor */
	MSG_ACTOR_EXITED = 3,  /* runtime -> supervisor */
	MSG_REPLY = 4,	       /* generic answer to a request */

	/* state */
	MSG_STATE_SNAPSHOT = 10, /* state -> everyone (published) */
	MSG_STATE_GET = 11,	 /* anyone -> state, answered by a snapshot */
	MSG_NET_EVENT = 12,	 /* network -> state: a fact */
	MSG_TUNNEL_EVENT = 13,	 /* tunnel -> state */
	MSG_MDNS_EVENT = 14,	 /* avahi -> state */

	/* network commands */
	MSG_SCAN_REQUEST = 20,	     /* web, control -> network */
	MSG_SCAN_RESULT = 21,	     /* network -> requester */
	MSG_CONNECT_REQUEST = 22,    /* web, control -> network; MSG_REPLY */
	MSG_DISCONNECT_REQUEST = 23, /* web, control -> network; MSG_REPLY */
};

enum wifi_state {
	WIFI_STATE_AP_MODE,
	WIFI_STATE_SWITCHING,
	WIFI_STATE_CONNECTING,
	WIFI_STATE_CONNECTED,
	WIFI_STATE_FAILED,
	WIFI_STATE_DISCONNECTED,
};
#define WIFI_STATE_COUNT 6

enum wifi_security {
	WIFI_SECURITY_OPEN,
	WIFI_SECURITY_WEP,
	WIFI_SECURITY_WPA,
	WIFI_SECURITY_WPA2,
	WIFI_SECURITY_WPA3,
	WIFI_SECURITY_WPA2_WPA3,
	WIFI_SECURITY_ENTERPRISE,
};
#define WIFI_SECURITY_COUNT 7

enum wifi_band {
	WIFI_BAND_UNKNOWN,
	WIFI_BAND_2GHZ,
	WIFI_BAND_5GHZ,
	WIFI_BAND_6GHZ,
};
#define WIFI_BAND_COUNT 4

struct msg_ssid {
	uint8_t len; /* 0..MSG_SSID_MAX */
	uint8_t bytes[MSG_SSID_MAX];
};

/* MSG_ACTOR_EXITED */
struct msg_actor_exited {
	char actor[MSG_NAME_MAX]; /* "actor" */
	int32_t code;		  /* "code": 0 or -errno */
};

/* MSG_REPLY */
struct msg_reply {
	int32_t code;			  /* "code": 0 or -errno */
	char error[MSG_TEXT_MAX];	  /* "error": "" on success */
	char session_id[MSG_SESSION_MAX]; /* "session_id": may be "" */
};

/*
 * MSG_STATE_SNAPSHOT: the whole truth, so a late reader converges.
 * ap_password and access_code are for the device's own actors and panel:
 * never in the public API or the control socket's status.
 */
struct msg_state_snapshot {
	enum wifi_state state;	      /* "state": uint */
	struct msg_ssid ssid;	      /* "ssid": bin, network joined/joining */
	char ip_address[MSG_IP_MAX];  /* "ip_address" */
	char tunnel_url[MSG_URL_MAX]; /* "tunnel_url" */
	char error[MSG_TEXT_MAX];     /* "error" */
	char session_id[MSG_SESSION_MAX]; /* "session_id" */
	uint64_t seq;			  /* "seq": strictly increasing */
	uint64_t time_ms;  /* "time_ms": wall clock of the change */
	char device_id[8]; /* "device_id": "a1b2" */
	char ap_ssid[MSG_SSID_MAX + 1]; /* "ap_ssid": "Distiller-A1B2" */
	char ap_password[MSG_PASSWORD_MAX + 1]; /* "ap_password": internal */
	char access_code[8];	  /* "access_code": 6 digits, internal */
	bool mdns_available;	  /* "mdns" */
	char tunnel_provider[16]; /* "tunnel_provider": "frp", "pinggy", "" */
};

/* MSG_NET_EVENT: network reports what NetworkManager did. */
struct msg_net_event {
	enum wifi_state state;	     /* "state": the state the fact implies */
	struct msg_ssid ssid;	     /* "ssid" */
	char ip_address[MSG_IP_MAX]; /* "ip_address" */
	char reason[MSG_TEXT_MAX];   /* "reason": human text, "" if none */
	char session_id[MSG_SESSION_MAX]; /* "session_id" of the join */
};

/* MSG_TUNNEL_EVENT */
struct msg_tunnel_event {
	bool up;		   /* "up" */
	char provider[16];	   /* "provider": "frp" or "pinggy" */
	char url[MSG_URL_MAX];	   /* "url" */
	char reason[MSG_TEXT_MAX]; /* "reason" */
};

/* MSG_MDNS_EVENT */
struct msg_mdns_event {
	bool available; /* "available" */
	char name[64];	/* "name": published instance name */
};

/* MSG_SCAN_REQUEST */
struct msg_scan_request {
	bool fresh; /* "fresh": ask for a new scan */
};

struct msg_network {
	struct msg_ssid ssid;	     /* "ssid" */
	uint8_t signal;		     /* "signal": 0..100 */
	enum wifi_security security; /* "security" */
	enum wifi_band band;	     /* "band" */
	bool in_use;		     /* "in_use" */
};

/* MSG_SCAN_RESULT */
struct msg_scan_result {
	uint32_t count; /* length of "networks" */
	struct msg_network networks[MSG_NETWORKS_MAX];
	uint64_t age_ms;	  /* "age_ms": age of the newest scan */
	bool fresh;		  /* "fresh": a new scan was done */
	char error[MSG_TEXT_MAX]; /* "error": why a scan was impossible */
};

/* MSG_CONNECT_REQUEST */
struct msg_connect_request {
	struct msg_ssid ssid;		     /* "ssid" */
	char password[MSG_PASSWORD_MAX + 1]; /* "password": "" for open */
	bool hidden;			     /* "hidden" */
	char session_id[MSG_SESSION_MAX]; /* "session_id": set by requester */
};

/* MSG_DISCONNECT_REQUEST */
struct msg_disconnect_request {
	bool forget; /* "forget": delete the saved profile */
};

struct msg {
	enum msg_type type;
	uint64_t correlation_id;   /* 0 when no answer is expected */
	char sender[MSG_NAME_MAX]; /* mailbox to answer to */
	union {
		struct msg_actor_exited actor_exited;
		struct msg_reply reply;
		struct msg_state_snapshot snapshot;
		struct msg_net_event net_event;
		struct msg_tunnel_event tunnel_event;
		struct msg_mdns_event mdns_event;
		struct msg_scan_request scan_request;
		struct msg_scan_result scan_result;
		struct msg_connect_request connect;
		struct msg_disconnect_request disconnect;
	} body;
};

/*
 * Encodes @m into a newly allocated buffer. On success *out and *out_len
 * hold it and the caller frees it with free(). Returns 0, -EINVAL for a
 * message that breaks its own bounds (it is never put on the wire), or
 * -ENOMEM. Pure; any thread.
 */
int msg_encode(const struct msg *m, void **out, size_t *out_len);

/*
 * Decodes exactly @len bytes into @out. Returns 0, or -EPROTO (not a valid
 * envelope, trailing bytes), -EPROTONOSUPPORT (unknown version), -ENOMSG
 * (unknown type), -EBADMSG (missing field or wrong type), -E2BIG (a string
 * or list over its bound). On error @out is zeroed. Pure; any thread.
 */
int msg_decode(const void *buf, size_t len, struct msg *out);

/* Stable names for logs and JSON; NULL for a value outside the enum. */
const char *msg_type_name(enum msg_type type);
const char *wifi_state_name(enum wifi_state state);
const char *wifi_security_name(enum wifi_security security);
const char *wifi_band_name(enum wifi_band band);

/* "AP_MODE" -> WIFI_STATE_AP_MODE; returns 0 or -EINVAL. */
int wifi_state_from_name(const char *name, enum wifi_state *out);

/* Copies @len bytes into @ssid; returns -E2BIG when over MSG_SSID_MAX. */
int msg_ssid_set(struct msg_ssid *ssid, const void *bytes, size_t len);

/* Copies a C string with bounds; returns -E2BIG when it does not fit. */
int msg_strlcpy(char *dst, size_t dst_size, const char *src);

#endif
