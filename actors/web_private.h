/* SPDX-License-Identifier: MIT */
/*
 * Private to the web actor (web.c, web_http.c, web_ws.c, web_captive.c):
 * the actor's state, one connection's state, and the functions the files
 * call in one another. Everything here runs on the web actor's thread.
 */
#ifndef DISTILLER_ACTORS_WEB_PRIVATE_H
#define DISTILLER_ACTORS_WEB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "messages/msg.h"
#include "web/captive.h"
#include "web/ratelimit.h"

struct actor;

/* Largest request body; over it the answer is 413. */
#define WEB_BODY_MAX 4096

/* How long a request waits for the network actor before a 503. */
#define WEB_REPLY_TIMEOUT_MS 5000

/* Seconds a client may take to send its headers, or its body. */
#define WEB_RECEIVE_TIMEOUT_S 10

/* Idle keep-alive connections are closed after this many seconds. */
#define WEB_KEEPALIVE_S 10

/* Status messages kept for WebSocket clients that lag behind. */
#define WEB_WS_RING 64

/* Most WebSocket clients at once; more are refused at the upgrade. */
#define WEB_WS_MAX 256

/* Connect attempts: a burst of 5, then one every 6 s. */
#define WEB_CONNECT_BURST 5
#define WEB_CONNECT_REFILL_MS 6000

/* Wrong access codes through the tunnel: a burst of 5, then one every 6 s. */
#define WEB_ACCESS_BURST 5
#define WEB_ACCESS_REFILL_MS 6000

enum web_listener {
	WEB_LISTENER_MAIN,   /* cfg web_host:web_port */
	WEB_LISTENER_TUNNEL, /* 127.0.0.1:tunnel port, remote users */
	WEB_LISTENER_PORTAL, /* ap_ip:80 while in AP mode */
};

enum web_session_kind {
	WEB_SESSION_NONE,
	WEB_SESSION_HTTP,
	WEB_SESSION_WS,
};

/* What a request waits for from another actor. */
enum web_wait {
	WEB_WAIT_NONE,
	WEB_WAIT_CONNECT,    /* MSG_REPLY to MSG_CONNECT_REQUEST */
	WEB_WAIT_DISCONNECT, /* MSG_REPLY to MSG_DISCONNECT_REQUEST */
	WEB_WAIT_SCAN,	     /* MSG_SCAN_RESULT */
};

enum web_route {
	WEB_ROUTE_NONE,
	WEB_ROUTE_CONNECT,
	WEB_ROUTE_DISCONNECT,
};

/*
 * One connection (lws per-session data, zeroed by lws). An HTTP
 * connection serves one request after another (keep-alive), so the
 * request and response parts are reset between them.
 */
struct web_session {
	struct lws *wsi;
	enum web_session_kind kind;
	enum web_listener listener;
	struct web_session *prev; /* in web.pending or web.ws_clients */
	struct web_session *next;
	bool linked;

	/* the request */
	enum web_route route; /* a POST waiting for its body */
	char *body;	      /* WEB_BODY_MAX + 1 bytes */
	size_t body_len;
	bool body_done;
	bool ignore_body; /* answered early: drain and close */
	char session_id[MSG_SESSION_MAX];
	char host[128]; /* Host header, for logs and checks */

	/* the wait for another actor */
	enum web_wait wait;
	uint64_t wait_id; /* correlation id */
	int wait_timer;	  /* actor timer id, 0 when none */

	/* the response */
	bool responding;
	bool headers_sent;
	bool close_after;
	int status;
	const char *content_type;
	char *owned;		   /* malloc'd body, freed after */
	const unsigned char *data; /* body (owned or static) */
	size_t len;
	size_t off;
	const char *etag;
	char location[CAPTIVE_URL_MAX];
	const char *allow;
	const char *cache_control;
	const char *extra_name; /* "name:" */
	const char *extra_value;
	unsigned int retry_after_s;

	/* WebSocket */
	uint64_t ws_next; /* index of the next status to send */
};

/* One status message in the WebSocket ring, with lws headroom. */
struct web_status_msg {
	unsigned char *buf; /* LWS_PRE + len bytes */
	size_t len;
};

struct web {
	struct actor *actor;
	const struct config *cfg;
	struct lws_context *ctx;
	struct lws_vhost *vh_mailbox;
	struct lws_vhost *vh_main;
	struct lws_vhost *vh_tunnel;
	struct lws_vhost *vh_portal;
	struct lws *mailbox_wsi;
	int quit; /* nonzero: leave the loop with it */

	int portal_port; /* cfg->portal_port */
	lws_retry_bo_t ws_policy;

	/* the portal listener: wanted in AP mode, retried when bind fails */
	bool portal_retry_due;
	int portal_timer;
	unsigned int portal_failures;

	/* the newest snapshot and its status JSON */
	bool have_snapshot;
	struct msg_state_snapshot snapshot;
	char *status_json;
	size_t status_len;
	char hostname[32];

	/* WebSocket clients and the ring of recent status messages */
	struct web_session *ws_clients;
	unsigned int ws_count;
	struct web_status_msg ring[WEB_WS_RING];
	uint64_t ring_count; /* statuses ever published */

	/* requests waiting for another actor */
	struct web_session *pending;
	struct ratelimit connect_limit;
	struct ratelimit access_limit; /* wrong access codes, all clients */

	/* counters for floods, logged at debug level */
	uint64_t refused_cross_site;
	uint64_t refused_rate;
	uint64_t refused_access;
};

/* web.c */
struct web *web_from_wsi(struct lws *wsi);
enum web_listener web_listener_of(struct web *w, struct lws *wsi);
/*
 * Creates a listening vhost serving the web protocol; NULL when it cannot
 * bind (lws says why at debug level).
 */
struct lws_vhost *web_vhost_new(struct web *w, const char *name,
				const char *iface, int port);
void web_session_link(struct web_session **head, struct web_session *s);
void web_session_unlink(struct web_session **head, struct web_session *s);

/*
 * Sends @m (correlation id set here) to @to and parks @s until the answer
 * or the deadline. Returns 0, or -errno when it could not be sent (the
 * caller answers 503).
 */
int web_request_send(struct web *w, struct web_session *s, const char *to,
		     struct msg *m, enum web_wait wait);
/* Forgets @s's wait (it closed, or was answered). */
void web_request_cancel(struct web *w, struct web_session *s);

/* web_http.c */
int web_http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		void *in, size_t len);
/* Queues a response with an owned body (freed after; may be NULL). */
void web_respond(struct web_session *s, int status, const char *content_type,
		 char *owned, size_t len);
/* Queues {"error": text} with @status. */
void web_respond_error(struct web_session *s, int status, const char *text);
/* Handles an answer to a parked request (MSG_REPLY, MSG_SCAN_RESULT). */
void web_http_answer(struct web *w, struct web_session *s, const struct msg *m);
/* The parked request's deadline passed: 503. */
void web_http_timeout(struct web *w, struct web_session *s);
void web_session_reset(struct web *w, struct web_session *s);

/* web_ws.c */
int web_ws_established(struct web *w, struct web_session *s);
int web_ws_writeable(struct web *w, struct web_session *s);
void web_ws_closed(struct web *w, struct web_session *s);
/* Adds the newest status to the ring and wakes every client. */
void web_ws_publish(struct web *w, const char *json, size_t len);
void web_ws_free(struct web *w);

/* web_captive.c */
void web_captive_ctx(struct web *w, struct captive_ctx *c);
/*
 * Answers @s when its request is the captive portal's (a probe, a foreign
 * host in AP mode, the RFC 8908 API). Returns true when it did.
 */
bool web_captive_handle(struct web *w, struct web_session *s, const char *path);
/* Opens or closes the AP listener to match the newest snapshot. */
void web_portal_reconcile(struct web *w);
void web_portal_stop(struct web *w);

#endif
