/* SPDX-License-Identifier: MIT */
/*
 * The captive portal in the web actor (web actor thread only): applying
 * web/captive.c's decision to a request, the RFC 8908 API, and the
 * portal listener on the AP address, which exists only in AP mode.
 *
 * The AP address is configured by NetworkManager when the hotspot comes
 * up, which can be a moment after the snapshot says AP_MODE, and it may
 * never exist (simulated mode, this build machine): a failed bind is
 * logged once as a warning and retried with back-off while AP mode lasts.
 * The listener is opened the first time AP mode is entered and kept.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "actors/web_private.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "web/api_json.h"
#include "web/captive.h"

#define WEB_PORTAL_RETRY_MIN_MS 1000
#define WEB_PORTAL_RETRY_MAX_MS 30000

void web_captive_ctx(struct web *w, struct captive_ctx *c)
{
	c->ap_mode = w->have_snapshot &&
		     w->snapshot.state == WIFI_STATE_AP_MODE;
	c->ap_ip = w->cfg->ap_ip;
	c->portal_port = w->portal_port;
	c->hostname = w->hostname;
	c->web_host = w->cfg->web_host;
}

static void web_captive_api(struct web *w, struct web_session *s,
			    const struct captive_ctx *c)
{
	char url[CAPTIVE_URL_MAX];
	char *json;

	captive_portal_url(c, url);
	json = api_json_captive(c->ap_mode && w->cfg->captive_portal, url);
	web_respond(s, 200, CAPTIVE_API_CONTENT_TYPE, json,
		    json ? strlen(json) : 0);
}

static void web_captive_redirect(struct web_session *s,
				 const struct captive_ctx *c)
{
	char *html = NULL;
	int n;

	captive_portal_url(c, s->location);
	n = asprintf(&html,
		     "<!DOCTYPE html><html><head><title>Sign in</title>"
		     "</head><body><a href=\"%s\">Set up this device</a>"
		     "</body></html>\n",
		     s->location);
	if (n < 0)
		html = NULL;

	web_respond(s, 302, "text/html; charset=utf-8", html,
		    html ? (size_t)n : 0);
}

static void web_captive_answer(struct web_session *s,
			       const struct captive_answer *a)
{
	char *body = strdup(a->body);

	s->extra_name = a->extra_header;
	s->extra_value = a->extra_value;
	web_respond(s, a->status, a->content_type, body,
		    body ? strlen(body) : 0);
}

bool web_captive_handle(struct web *w, struct web_session *s, const char *path)
{
	const struct captive_answer *answer;
	struct captive_ctx c;

	web_captive_ctx(w, &c);
	if (!strcmp(path, CAPTIVE_API_PATH)) {
		web_captive_api(w, s, &c);
		return true;
	}

	if (!w->cfg->captive_portal)
		return false;

	switch (captive_decide(&c, s->host, path, &answer)) {
	case CAPTIVE_ACTION_NONE:
		return false;
	case CAPTIVE_ACTION_REDIRECT:
		log_debug("Redirecting http://%.64s%.64s to the portal",
			  s->host, path);
		web_captive_redirect(s, &c);
		return true;
	case CAPTIVE_ACTION_ANSWER:
		web_captive_answer(s, answer);
		return true;
	}

	return false;
}

/* ---- the portal listener --------------------------------------------- */

/* The main listener already covers the AP address and port. */
static bool web_portal_shadowed(struct web *w)
{
	const struct config *cfg = w->cfg;

	return cfg->web_port == w->portal_port &&
	       (!strcmp(cfg->web_host, "0.0.0.0") ||
		!strcmp(cfg->web_host, cfg->ap_ip));
}

static void web_portal_retry_cb(struct actor *self, void *user_data)
{
	struct web *w = user_data;

	(void)self;
	/* web_portal_reconcile() runs after this dispatch returns */
	w->portal_timer = 0;
}

static void web_portal_cancel_retry(struct web *w)
{
	if (w->portal_timer)
		actor_timer_cancel(w->actor, w->portal_timer);

	w->portal_timer = 0;
}

/*
 * Whether the kernel would let us listen on @ip:@port now. lws 4.1 leaves
 * a vhost whose bind failed half torn down, and its timers later touch
 * what was freed, so a listener that cannot bind is never handed to lws:
 * the kernel is asked first, with a socket that is closed at once.
 */
static bool web_portal_bindable(const char *ip, int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
	};
	int fd, one = 1;
	bool ok;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return false;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

void web_portal_stop(struct web *w)
{
	web_portal_cancel_retry(w);
	if (!w->vh_portal)
		return;

	lws_vhost_destroy(w->vh_portal);
	w->vh_portal = NULL;
}

void web_portal_reconcile(struct web *w)
{
	const struct config *cfg = w->cfg;
	unsigned int delay, shift;
	bool want;
	int timer;

	/*
	 * Once open, the listener stays until the actor stops: lws 4.1 frees
	 * a destroyed vhost's listen socket only in a later cleanup pass, not
	 * promptly. Outside AP mode its address is gone from the interface,
	 * so it receives nothing, and what it would get is answered by the
	 * client-mode rules anyway.
	 */
	want = w->ctx && w->have_snapshot && cfg->captive_portal &&
	       w->snapshot.state == WIFI_STATE_AP_MODE &&
	       !web_portal_shadowed(w);
	if (!want) {
		web_portal_cancel_retry(w);
		w->portal_failures = 0;
		return;
	}

	if (w->vh_portal || w->portal_timer)
		return;

	if (web_portal_bindable(cfg->ap_ip, w->portal_port))
		w->vh_portal =
			web_vhost_new(w, "portal", cfg->ap_ip, w->portal_port);
	if (w->vh_portal) {
		log_info("Captive portal listening on %s:%d", cfg->ap_ip,
			 w->portal_port);
		w->portal_failures = 0;
		return;
	}

	shift = w->portal_failures < 5 ? w->portal_failures : 5;
	delay = WEB_PORTAL_RETRY_MIN_MS << shift;
	if (delay > WEB_PORTAL_RETRY_MAX_MS)
		delay = WEB_PORTAL_RETRY_MAX_MS;

	if (!w->portal_failures)
		log_warning("Failed to listen on %s:%d for the captive portal, "
			    "retrying while in AP mode",
			    cfg->ap_ip, w->portal_port);
	else
		log_debug("Still cannot listen on %s:%d (try %u)", cfg->ap_ip,
			  w->portal_port, w->portal_failures + 1);

	w->portal_failures++;
	timer = actor_timer_add(w->actor, delay, 0, web_portal_retry_cb, w,
				NULL);
	w->portal_timer = timer > 0 ? timer : 0;
}
