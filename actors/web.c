/* SPDX-License-Identifier: MIT */
/*
 * The web actor: libwebsockets (4.1, its default poll loop) run on the
 * actor's own thread by web_run(). It serves the setup page, the public
 * REST API, the status WebSocket and the captive portal.
 *
 * Mailbox "web". Takes MSG_STATE_SNAPSHOT (subscribed; the newest one is
 * the status every client sees), MSG_REPLY (answers to connect and
 * disconnect) and MSG_SCAN_RESULT. Sends MSG_STATE_GET to "state" when it
 * starts, and MSG_SCAN_REQUEST, MSG_CONNECT_REQUEST and
 * MSG_DISCONNECT_REQUEST to "network".
 *
 * Mail wakes lws, not a timer: a duplicate of actor_fd() is adopted into
 * lws as a raw file descriptor, and its LWS_CALLBACK_RAW_RX_FILE calls
 * actor_dispatch(). A request that needs the network actor is parked
 * under a correlation id with a 5 s actor timer; the answer arrives as
 * mail and completes the HTTP response through lws_callback_on_writable().
 * A client that goes away takes its parked request with it.
 *
 * Listeners (one lws vhost each):
 * - main: cfg->web_host:cfg->web_port (default 0.0.0.0:8080): the page,
 *   the API and the WebSocket, for the AP, the local network and
 *   simulated mode.
 * - portal: cfg->ap_ip:cfg->portal_port (default 80), opened when the
 *   newest snapshot first says AP_MODE, so that any http:// URL a phone
 *   tries lands on the portal. The address exists only while
 *   NetworkManager runs the hotspot; a failed bind is a warning and is
 *   retried with back-off while AP mode lasts. Once open it is kept (see
 *   web_captive.c): off the AP, its address is gone and it hears nothing.
 *   Nothing listens on 443: HTTPS attempts on the AP get a TCP reset at
 *   once (the kernel answers a SYN to a closed port), so phones fall back
 *   to the portal instead of hanging.
 * - tunnel: 127.0.0.1:cfg->tunnel_port (default web_port + 1), loopback
 *   only. The reverse tunnels (frpc's local_port, Pinggy's -R target)
 *   forward here and nowhere else, so a request's listener tells remote
 *   traffic apart without trusting any header. Through it a client may
 *   read (page, status, networks, WebSocket) but POST /api/connect and
 *   /api/disconnect need the access code shown on the device's panel,
 *   in the X-Access-Code header or the body's "access_code". The code is
 *   the newest snapshot's access_code, six digits the state actor draws
 *   once per process, compared in constant time. No code at all is 403
 *   "Access code required" and one that does not match is 403 "Wrong
 *   access code". Wrong codes are throttled for all tunnel clients
 *   together (WEB_ACCESS_BURST, then one per WEB_ACCESS_REFILL_MS; past
 *   that, 429 before any comparison), so trying the million codes takes
 *   weeks rather than minutes. The captive portal rules do not apply to
 *   this listener.
 *
 * Mutating requests on the main and portal listeners must name the device
 * in Host (an IP literal, its .local name, localhost: DNS rebinding is
 * refused) and, when the browser sends Origin, come from that same origin
 * (no cross-site POST); both failures are 403.
 *
 * A WebSocket idle for cfg->ws_ping_s seconds is pinged, and dropped when
 * it has stayed silent for twice as long.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "actors/web.h"
#include "actors/web_private.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "web/api_json.h"

struct web *web_from_wsi(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

enum web_listener web_listener_of(struct web *w, struct lws *wsi)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);

	if (vh && vh == w->vh_tunnel)
		return WEB_LISTENER_TUNNEL;

	if (vh && vh == w->vh_portal)
		return WEB_LISTENER_PORTAL;

	return WEB_LISTENER_MAIN;
}

void web_session_link(struct web_session **head, struct web_session *s)
{
	if (s->linked)
		return;

	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;

	*head = s;
	s->linked = true;
}

void web_session_unlink(struct web_session **head, struct web_session *s)
{
	if (!s->linked)
		return;

	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;

	if (s->next)
		s->next->prev = s->prev;

	s->prev = NULL;
	s->next = NULL;
	s->linked = false;
}

/* ---- requests parked on another actor -------------------------------- */

static struct web_session *web_pending_find(struct web *w, uint64_t id)
{
	struct web_session *s;

	for (s = w->pending; s; s = s->next) {
		if (s->wait_id == id)
			return s;
	}

	return NULL;
}

static void web_request_timeout_cb(struct actor *self, void *user_data)
{
	struct web_session *s = user_data;

	/* A session that closed cancelled this timer: @s is alive. */
	s->wait_timer = 0;
	web_http_timeout(web_from_wsi(s->wsi), s);
	(void)self;
}

int web_request_send(struct web *w, struct web_session *s, const char *to,
		     struct msg *m, enum web_wait wait)
{
	int err, timer;

	m->correlation_id = actor_next_id();
	err = actor_send(w->actor, to, m);
	if (err)
		return err;

	timer = actor_timer_add(w->actor, WEB_REPLY_TIMEOUT_MS, 0,
				web_request_timeout_cb, s, NULL);
	if (timer < 0)
		log_warning("Failed to arm a reply deadline: %s",
			    strerror(-timer));

	s->wait = wait;
	s->wait_id = m->correlation_id;
	s->wait_timer = timer > 0 ? timer : 0;
	web_session_link(&w->pending, s);
	return 0;
}

void web_request_cancel(struct web *w, struct web_session *s)
{
	if (s->wait_timer)
		actor_timer_cancel(w->actor, s->wait_timer);

	s->wait_timer = 0;
	s->wait = WEB_WAIT_NONE;
	s->wait_id = 0;
	web_session_unlink(&w->pending, s);
}

static void web_handle_answer(struct web *w, const struct msg *m)
{
	struct web_session *s;

	if (!m->correlation_id)
		return;

	s = web_pending_find(w, m->correlation_id);
	if (!s) {
		log_debug("Answer %llu came after its request ended, ignoring",
			  (unsigned long long)m->correlation_id);
		return;
	}

	web_http_answer(w, s, m);
}

/* ---- state ----------------------------------------------------------- */

static void web_apply_snapshot(struct web *w, const struct msg *m)
{
	const struct msg_state_snapshot *snap = &m->body.snapshot;
	char *json;

	/* An answer to MSG_STATE_GET may be older than a published one. */
	if (w->have_snapshot && snap->seq <= w->snapshot.seq &&
	    (m->correlation_id || snap->seq == w->snapshot.seq))
		return;

	json = api_json_status(snap, w->cfg->web_port);
	if (!json) {
		log_err("Failed to build the status JSON: %s",
			strerror(ENOMEM));
		return;
	}

	free(w->status_json);
	w->status_json = json;
	w->status_len = strlen(json);
	w->snapshot = *snap;
	w->have_snapshot = true;
	snprintf(w->hostname, sizeof(w->hostname), "%s%.8s",
		 snap->device_id[0] ? "distiller-" : "", snap->device_id);
	web_ws_publish(w, json, w->status_len);
}

static int web_handle_cb(struct actor *self, void *state, const struct msg *m)
{
	struct web *w = state;

	(void)self;

	switch (m->type) {
	case MSG_STATE_SNAPSHOT:
		web_apply_snapshot(w, m);
		break;
	case MSG_REPLY:
	case MSG_SCAN_RESULT:
		web_handle_answer(w, m);
		break;
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
	case MSG_ACTOR_EXITED:
	case MSG_STATE_GET:
	case MSG_NET_EVENT:
	case MSG_TUNNEL_EVENT:
	case MSG_MDNS_EVENT:
	case MSG_SCAN_REQUEST:
	case MSG_CONNECT_REQUEST:
	case MSG_DISCONNECT_REQUEST:
		log_debug("Unexpected %s from %s, ignoring",
			  msg_type_name(m->type), m->sender);
		break;
	}

	return 0;
}

/* ---- lws plumbing ---------------------------------------------------- */

static int web_mailbox_cb(struct lws *wsi, enum lws_callback_reasons reason,
			  void *user, void *in, size_t len)
{
	struct web *w = web_from_wsi(wsi);
	int rc;

	(void)user;
	(void)in;
	(void)len;

	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		rc = actor_dispatch(w->actor);
		if (rc) {
			w->quit = rc;
			lws_cancel_service(w->ctx);
		}
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (w->mailbox_wsi == wsi)
			w->mailbox_wsi = NULL;
		return 0;
	default:
		break;
	}

	return 0;
}

static const struct lws_protocols web_protocols[] = {
	{
		.name = "distiller-http",
		.callback = web_http_cb,
		.per_session_data_size = sizeof(struct web_session),
		.rx_buffer_size = 1024,
	},
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static const struct lws_protocols web_mailbox_protocols[] = {
	{
		.name = "distiller-mailbox",
		.callback = web_mailbox_cb,
	},
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void web_lws_log_cb(int level, const char *line)
{
	size_t n = strlen(line);

	(void)level;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;

	/* lws reports per-connection trouble as errors: ours is the voice */
	log_debug("lws: %.*s", (int)n, line);
}

struct lws_vhost *web_vhost_new(struct web *w, const char *name,
				const char *iface, int port)
{
	struct lws_context_creation_info info;

	memset(&info, 0, sizeof(info));
	info.vhost_name = name;
	info.port = port;
	info.iface = iface && strcmp(iface, "0.0.0.0") ? iface : NULL;
	info.protocols = web_protocols;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 |
		       LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.keepalive_timeout = WEB_KEEPALIVE_S;
	info.timeout_secs = WEB_RECEIVE_TIMEOUT_S;
	info.retry_and_idle_policy = &w->ws_policy;
	info.server_string = "distiller-wifi";
	return lws_create_vhost(w->ctx, &info);
}

static int web_context_start(struct web *w)
{
	const struct config *cfg = w->cfg;
	struct lws_context_creation_info info;
	lws_sock_file_fd_type fd;
	int err;

	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DISABLE_IPV6;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.user = w;
	info.timeout_secs = WEB_RECEIVE_TIMEOUT_S;
	info.timeout_secs_ah_idle = WEB_RECEIVE_TIMEOUT_S;
	info.max_http_header_pool = 64;
	info.max_http_header_data = 4096;
	info.server_string = "distiller-wifi";
	w->ctx = lws_create_context(&info);
	if (!w->ctx)
		return -ENOMEM;

	memset(&info, 0, sizeof(info));
	info.vhost_name = "mailbox";
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = web_mailbox_protocols;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	w->vh_mailbox = lws_create_vhost(w->ctx, &info);
	if (!w->vh_mailbox)
		return -ENOMEM;

	/* lws closes what it adopts; the runtime keeps the original. */
	fd.filefd = fcntl(actor_fd(w->actor), F_DUPFD_CLOEXEC, 0);
	if (fd.filefd < 0)
		return -errno;

	w->mailbox_wsi = lws_adopt_descriptor_vhost(w->vh_mailbox,
						    LWS_ADOPT_RAW_FILE_DESC, fd,
						    "distiller-mailbox", NULL);
	if (!w->mailbox_wsi) {
		close(fd.filefd);
		return -ENOMEM;
	}

	w->vh_main = web_vhost_new(w, "main", cfg->web_host, cfg->web_port);
	if (!w->vh_main) {
		err = -EADDRNOTAVAIL;
		log_err("Failed to listen on %s:%d: %s", cfg->web_host,
			cfg->web_port, strerror(-err));
		return err;
	}

	/* config_finish() decides it; without one there is no remote use */
	if (!WARN_ON(cfg->tunnel_port <= 0))
		w->vh_tunnel = web_vhost_new(w, "tunnel", "127.0.0.1",
					     cfg->tunnel_port);
	if (!w->vh_tunnel)
		log_warning("Failed to listen on 127.0.0.1:%d for tunnels, "
			    "ignoring",
			    cfg->tunnel_port);

	log_info("Serving on %s:%d (tunnels: 127.0.0.1:%d)", cfg->web_host,
		 cfg->web_port, cfg->tunnel_port);
	return 0;
}

static int web_init_cb(struct actor *self, void **state)
{
	const struct config *cfg = actor_config(self);
	struct web *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;

	w->actor = self;
	w->cfg = cfg;
	w->portal_port = cfg->portal_port;
	/* config caps it at 3600 s, so twice that fits the policy's type */
	w->ws_policy.secs_since_valid_ping = (uint16_t)cfg->ws_ping_s;
	w->ws_policy.secs_since_valid_hangup = (uint16_t)(2 * cfg->ws_ping_s);
	ratelimit_init(&w->connect_limit, WEB_CONNECT_BURST,
		       WEB_CONNECT_REFILL_MS, actor_now_ms());
	ratelimit_init(&w->access_limit, WEB_ACCESS_BURST, WEB_ACCESS_REFILL_MS,
		       actor_now_ms());
	*state = w;
	return 0;
}

static void web_ask_state(struct web *w)
{
	struct msg m = { .type = MSG_STATE_GET };
	int err;

	m.correlation_id = actor_next_id();
	err = actor_send(w->actor, "state", &m);
	if (err)
		log_debug("Failed to ask for the state: %s", strerror(-err));
}

static void web_stop(struct web *w)
{
	web_portal_stop(w);
	if (w->ctx)
		lws_context_destroy(w->ctx);

	w->ctx = NULL;
	w->vh_main = NULL;
	w->vh_tunnel = NULL;
	w->vh_mailbox = NULL;
	w->mailbox_wsi = NULL;
}

static int web_run_cb(struct actor *self, void *state)
{
	struct web *w = state;
	int err;

	(void)self;

	lws_set_log_level(LLL_ERR | LLL_WARN |
				  (log_debug_enabled() ? LLL_NOTICE : 0),
			  web_lws_log_cb);
	err = web_context_start(w);
	if (err) {
		web_stop(w);
		return err;
	}

	web_ask_state(w);
	while (!w->quit) {
		if (lws_service(w->ctx, 0) < 0) {
			log_err("Failed to serve: lws_service failed");
			w->quit = -EIO;
			break;
		}

		if (!w->mailbox_wsi && !w->quit) {
			log_err("Lost the mailbox descriptor");
			w->quit = -EIO;
			break;
		}

		web_portal_reconcile(w);
	}

	web_stop(w);
	return w->quit == 1 ? 0 : w->quit;
}

static void web_fini_cb(struct actor *self, void *state)
{
	struct web *w = state;

	(void)self;
	if (!w)
		return;

	web_stop(w);
	web_ws_free(w);
	free(w->status_json);
	free(w);
}

const struct actor_def web_actor_def = {
	.name = "web",
	.init = web_init_cb,
	.handle = web_handle_cb,
	.fini = web_fini_cb,
	.run = web_run_cb,
	.subscribe_state = true,
	.supervised = true,
};
