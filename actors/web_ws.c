/* SPDX-License-Identifier: MIT */
/*
 * The status WebSocket (web actor thread only). A client gets the newest
 * status when it connects and then every later one, in order: each
 * published status goes into a ring, and every client keeps its own
 * position in it, so a slow client is sent the statuses it has not seen
 * yet one per writable callback. A client that falls more than the ring
 * behind skips to the oldest one kept; every status is the whole truth,
 * so it still converges. Idle clients are pinged by lws (the vhost's
 * retry policy) and dropped when no pong comes back.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "actors/web_private.h"
#include "runtime/log.h"

static struct web_status_msg *web_ring_at(struct web *w, uint64_t index)
{
	return &w->ring[index % WEB_WS_RING];
}

void web_ws_publish(struct web *w, const char *json, size_t len)
{
	struct web_status_msg *slot = web_ring_at(w, w->ring_count);
	unsigned char *buf = malloc(LWS_PRE + len);
	struct web_session *s;

	if (!buf) {
		log_err("Failed to queue a status for WebSocket clients");
		return;
	}

	memcpy(buf + LWS_PRE, json, len);
	free(slot->buf);
	slot->buf = buf;
	slot->len = len;
	w->ring_count++;

	for (s = w->ws_clients; s; s = s->next)
		lws_callback_on_writable(s->wsi);
}

int web_ws_established(struct web *w, struct web_session *s)
{
	s->kind = WEB_SESSION_WS;
	/* The newest status first, then everything after it. */
	s->ws_next = w->ring_count ? w->ring_count - 1 : 0;
	web_session_link(&w->ws_clients, s);
	w->ws_count++;
	if (w->ring_count)
		lws_callback_on_writable(s->wsi);

	log_debug("WebSocket client joined (%u now)", w->ws_count);
	return 0;
}

int web_ws_writeable(struct web *w, struct web_session *s)
{
	struct web_status_msg *m;
	uint64_t oldest;

	if (s->kind != WEB_SESSION_WS || s->ws_next >= w->ring_count)
		return 0;

	oldest = w->ring_count > WEB_WS_RING ? w->ring_count - WEB_WS_RING : 0;
	if (s->ws_next < oldest)
		s->ws_next = oldest;

	m = web_ring_at(w, s->ws_next);
	if (lws_write(s->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
	    (int)m->len)
		return -1;

	s->ws_next++;
	if (s->ws_next < w->ring_count)
		lws_callback_on_writable(s->wsi);

	return 0;
}

void web_ws_closed(struct web *w, struct web_session *s)
{
	if (s->kind != WEB_SESSION_WS)
		return;

	web_session_unlink(&w->ws_clients, s);
	s->kind = WEB_SESSION_NONE;
	if (w->ws_count)
		w->ws_count--;

	log_debug("WebSocket client left (%u now)", w->ws_count);
}

void web_ws_free(struct web *w)
{
	size_t i;

	for (i = 0; i < WEB_WS_RING; i++) {
		free(w->ring[i].buf);
		w->ring[i].buf = NULL;
	}

	w->ring_count = 0;
}
