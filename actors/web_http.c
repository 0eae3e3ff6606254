/* SPDX-License-Identifier: MIT */
/*
 * The web actor's HTTP side (web actor thread only): routing, request
 * bodies and their limits, the checks on mutating requests, and writing
 * responses in chunks from LWS_CALLBACK_HTTP_WRITEABLE.
 *
 * Every response is queued on the session first (web_respond) and written
 * when lws says the socket is writable, so an answer that arrives later
 * as mail completes the request the same way as an immediate one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "actors/web_private.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/log.h"
#include "web/api_json.h"
#include "web/assets.h"
#include "web/request.h"
#include "web/uuid.h"

#define WEB_CHUNK 4096
#define WEB_JSON "application/json"

/* ---- responses ------------------------------------------------------- */

void web_session_reset(struct web *w, struct web_session *s)
{
	web_request_cancel(w, s);
	free(s->body);
	free(s->owned);
	s->route = WEB_ROUTE_NONE;
	s->body = NULL;
	s->body_len = 0;
	s->body_done = false;
	s->ignore_body = false;
	s->session_id[0] = '\0';
	s->responding = false;
	s->headers_sent = false;
	s->close_after = false;
	s->status = 0;
	s->content_type = NULL;
	s->owned = NULL;
	s->data = NULL;
	s->len = 0;
	s->off = 0;
	s->etag = NULL;
	s->location[0] = '\0';
	s->allow = NULL;
	s->cache_control = NULL;
	s->extra_name = NULL;
	s->extra_value = NULL;
	s->retry_after_s = 0;
}

static void web_respond_data(struct web_session *s, int status,
			     const char *content_type, char *owned,
			     const void *data, size_t len)
{
	if (s->responding) {
		free(owned);
		return;
	}

	s->responding = true;
	s->status = status;
	s->content_type = content_type;
	s->owned = owned;
	s->data = data;
	s->len = data ? len : 0;
	s->off = 0;
	if (!s->cache_control)
		s->cache_control = "no-store";

	/* Answered before the body was read: the rest cannot be trusted. */
	if (s->route != WEB_ROUTE_NONE && !s->body_done) {
		s->ignore_body = true;
		s->close_after = true;
	}

	lws_callback_on_writable(s->wsi);
}

void web_respond(struct web_session *s, int status, const char *content_type,
		 char *owned, size_t len)
{
	web_respond_data(s, status, content_type, owned, owned, len);
}

void web_respond_error(struct web_session *s, int status, const char *text)
{
	char *json = api_json_error(text);

	web_respond(s, status, WEB_JSON, json, json ? strlen(json) : 0);
}

static int web_add_header(struct lws *wsi, const char *name, const char *value,
			  unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value,
					   (int)strlen(value), p, end);
}

static int web_write_headers(struct web_session *s, unsigned char *start,
			     unsigned char *end)
{
	bool html = s->content_type &&
		    !strncmp(s->content_type, "text/html", 9);
	bool no_body = s->status == 204 || s->status == 304;
	unsigned char *p = start;
	char num[24];

	if (lws_add_http_header_status(s->wsi, (unsigned int)s->status, &p,
				       end))
		return -1;

	if (s->content_type && !no_body &&
	    web_add_header(s->wsi, "content-type:", s->content_type, &p, end))
		return -1;

	if (!no_body &&
	    lws_add_http_header_content_length(s->wsi, s->len, &p, end))
		return -1;

	if (web_add_header(s->wsi, "cache-control:", s->cache_control, &p,
			   end) ||
	    web_add_header(s->wsi, "x-content-type-options:", "nosniff", &p,
			   end) ||
	    web_add_header(s->wsi, "referrer-policy:", "no-referrer", &p, end))
		return -1;

	if (html && web_add_header(s->wsi, "x-frame-options:", "DENY", &p, end))
		return -1;

	if (s->etag && web_add_header(s->wsi, "etag:", s->etag, &p, end))
		return -1;

	if (s->location[0] &&
	    web_add_header(s->wsi, "location:", s->location, &p, end))
		return -1;

	if (s->allow && web_add_header(s->wsi, "allow:", s->allow, &p, end))
		return -1;

	if (s->retry_after_s) {
		snprintf(num, sizeof(num), "%u", s->retry_after_s);
		if (web_add_header(s->wsi, "retry-after:", num, &p, end))
			return -1;
	}

	if (s->extra_name &&
	    web_add_header(s->wsi, s->extra_name, s->extra_value, &p, end))
		return -1;

	if (s->close_after &&
	    web_add_header(s->wsi, "connection:", "close", &p, end))
		return -1;

	return lws_finalize_write_http_header(s->wsi, start, &p, end) ? -1 : 0;
}

/* The response is out: close, or get ready for the next request. */
static int web_http_finish(struct web *w, struct web_session *s)
{
	bool close = s->close_after;

	web_session_reset(w, s);
	if (close)
		return -1;

	return lws_http_transaction_completed(s->wsi) ? -1 : 0;
}

static int web_http_writeable(struct web *w, struct web_session *s)
{
	unsigned char buf[LWS_PRE + WEB_CHUNK];
	unsigned char *start = buf + LWS_PRE;
	size_t n;
	bool final;

	if (!s->responding)
		return 0;

	if (!s->headers_sent) {
		if (web_write_headers(s, start, buf + sizeof(buf) - 1))
			return -1;

		s->headers_sent = true;
		if (s->len) {
			lws_callback_on_writable(s->wsi);
			return 0;
		}

		return web_http_finish(w, s);
	}

	n = s->len - s->off;
	if (n > WEB_CHUNK)
		n = WEB_CHUNK;

	final = s->off + n == s->len;
	memcpy(start, s->data + s->off, n);
	if (lws_write(s->wsi, start, n,
		      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;

	s->off += n;
	if (!final) {
		lws_callback_on_writable(s->wsi);
		return 0;
	}

	return web_http_finish(w, s);
}

/* ---- checks ---------------------------------------------------------- */

static void web_copy_header(struct lws *wsi, enum lws_token_indexes token,
			    char *out, size_t out_size)
{
	if (lws_hdr_copy(wsi, out, (int)out_size, token) < 0)
		out[0] = '\0';
}

static void web_copy_custom(struct lws *wsi, const char *name, char *out,
			    size_t out_size)
{
	if (lws_hdr_custom_copy(wsi, out, (int)out_size, name,
				(int)strlen(name)) < 0)
		out[0] = '\0';
}

/*
 * No cross-site mutation: Host must name the device (a rebound DNS name
 * does not), and Origin, when the browser sends it, must be that same
 * host. Through the tunnel the host is the tunnel's public name, which
 * the access code protects instead.
 */
static bool web_same_origin(struct web *w, struct web_session *s)
{
	struct captive_ctx c;
	char origin[256], site[32];
	const char *host;

	web_captive_ctx(w, &c);
	if (s->listener != WEB_LISTENER_TUNNEL &&
	    !captive_host_is_ours(&c, s->host))
		return false;

	web_copy_header(s->wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
	if (origin[0]) {
		if (!strncasecmp(origin, "http://", 7))
			host = origin + 7;
		else if (!strncasecmp(origin, "https://", 8))
			host = origin + 8;
		else
			return false;

		return !strcasecmp(host, s->host);
	}

	web_copy_custom(s->wsi, "sec-fetch-site:", site, sizeof(site));
	return strcasecmp(site, "cross-site") != 0;
}

/*
 * Whether @given is the @expected access code, in a time that does not
 * depend on where they differ: both are padded to one fixed size and
 * every byte is compared. An empty @expected (no code was drawn) matches
 * nothing.
 */
static bool web_code_matches(const char *given, const char *expected)
{
	char a[REQUEST_ACCESS_CODE_MAX] = "";
	char b[REQUEST_ACCESS_CODE_MAX] = "";
	volatile unsigned char diff = 0;
	size_t i;

	memcpy(a, given, strnlen(given, sizeof(a) - 1));
	memcpy(b, expected, strnlen(expected, sizeof(b) - 1));
	for (i = 0; i < sizeof(a); i++)
		diff |= (unsigned char)(a[i] ^ b[i]);

	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	return diff == 0 && expected[0] != '\0';
}

enum web_access {
	WEB_ACCESS_ALLOWED,
	WEB_ACCESS_MISSING,   /* no code in the header or the body */
	WEB_ACCESS_WRONG,     /* a code that is not the panel's */
	WEB_ACCESS_THROTTLED, /* too many wrong codes lately */
};

/*
 * Through the tunnel, mutations need the panel's access code, from the
 * newest snapshot, in the X-Access-Code header or the body's
 * "access_code" (@body_code, "" when absent). Both are compared when
 * both are given, and either may match. Wrong codes drain a bucket
 * shared by every tunnel client; while it is empty no code is compared.
 */
static enum web_access web_access_check(struct web *w, struct web_session *s,
					const char *body_code)
{
	const char *expected = w->have_snapshot ? w->snapshot.access_code : "";
	char header[REQUEST_ACCESS_CODE_MAX] = "";
	uint64_t now = actor_now_ms(), wait_ms;
	bool in_header, ok;

	if (s->listener != WEB_LISTENER_TUNNEL)
		return WEB_ACCESS_ALLOWED;

	in_header = lws_hdr_custom_length(s->wsi, "x-access-code:",
					  (int)strlen("x-access-code:")) > 0;
	if (!in_header && !body_code[0])
		return WEB_ACCESS_MISSING;

	wait_ms = ratelimit_wait_ms(&w->access_limit, now);
	if (wait_ms) {
		s->retry_after_s = (unsigned int)((wait_ms + 999) / 1000);
		return WEB_ACCESS_THROTTLED;
	}

	/*
	 * One too long to copy stays "" and matches nothing. '|', not '||':
	 * both are compared whatever the first one gave.
	 */
	web_copy_custom(s->wsi, "x-access-code:", header, sizeof(header));
	ok = web_code_matches(header, expected) |
	     web_code_matches(body_code, expected);
	explicit_bzero(header, sizeof(header));
	if (ok)
		return WEB_ACCESS_ALLOWED;

	ratelimit_take(&w->access_limit, now);
	w->refused_access++;
	log_debug("Refused a wrong access code through the tunnel (%llu so "
		  "far)",
		  (unsigned long long)w->refused_access);
	return WEB_ACCESS_WRONG;
}

/* Answers a refused request; returns true when it did. */
static bool web_access_refused(struct web *w, struct web_session *s,
			       const char *body_code)
{
	switch (web_access_check(w, s, body_code)) {
	case WEB_ACCESS_ALLOWED:
		return false;
	case WEB_ACCESS_MISSING:
		web_respond_error(s, 403, "Access code required");
		return true;
	case WEB_ACCESS_WRONG:
		web_respond_error(s, 403, "Wrong access code");
		return true;
	case WEB_ACCESS_THROTTLED:
		web_respond_error(s, 429,
				  "Too many wrong access codes, "
				  "wait a few seconds");
		return true;
	}

	return true;
}

static bool web_is_json(const char *content_type)
{
	size_t n = strlen("application/json");

	return !strncasecmp(content_type, "application/json", n) &&
	       (content_type[n] == '\0' || content_type[n] == ';' ||
		content_type[n] == ' ');
}

/* ---- the API --------------------------------------------------------- */

static void web_send_failed(struct web_session *s, int err)
{
	log_warning("Failed to reach the network service: %s", strerror(-err));
	web_respond_error(s, 503, "The network service is unavailable");
}

static void web_api_status(struct web *w, struct web_session *s)
{
	char *copy;

	if (!w->have_snapshot) {
		s->retry_after_s = 1;
		web_respond_error(s, 503, "The daemon is starting, try again");
		return;
	}

	copy = strdup(w->status_json);
	web_respond(s, 200, WEB_JSON, copy, copy ? w->status_len : 0);
}

static void web_api_networks(struct web *w, struct web_session *s)
{
	struct msg m = { .type = MSG_SCAN_REQUEST };
	char arg[32];
	const char *v;
	int err;

	v = lws_get_urlarg_by_name(s->wsi, "fresh=", arg, sizeof(arg));
	if (!v)
		v = lws_get_urlarg_by_name(s->wsi, "refresh=", arg,
					   sizeof(arg));

	m.body.scan_request.fresh = v &&
				    (!strcmp(v, "1") || !strcmp(v, "true"));
	err = web_request_send(w, s, "network", &m, WEB_WAIT_SCAN);
	if (err)
		web_send_failed(s, err);
}

static void web_api_connect(struct web *w, struct web_session *s)
{
	struct msg m = { .type = MSG_CONNECT_REQUEST };
	struct request_connect req;
	char err_text[REQUEST_ERROR_MAX];
	uint64_t now = actor_now_ms();
	int err;

	if (request_parse_connect(s->body, s->body_len, &req, err_text)) {
		web_respond_error(s, 400, err_text);
		return;
	}

	if (web_access_refused(w, s, req.access_code)) {
		explicit_bzero(&req, sizeof(req));
		return;
	}

	if (!ratelimit_take(&w->connect_limit, now)) {
		explicit_bzero(&req, sizeof(req));
		w->refused_rate++;
		log_debug("Refused a connect attempt: too many (%llu so far)",
			  (unsigned long long)w->refused_rate);
		s->retry_after_s =
			(unsigned int)((ratelimit_wait_ms(&w->connect_limit,
							  now) +
					999) /
				       1000);
		web_respond_error(s, 429,
				  "Too many connection attempts, "
				  "wait a few seconds");
		return;
	}

	err = uuid_v4(s->session_id);
	if (err) {
		explicit_bzero(&req, sizeof(req));
		log_err("Failed to make a session id: %s", strerror(-err));
		web_respond_error(s, 500, "Failed to start the connection");
		return;
	}

	m.body.connect.ssid = req.ssid;
	memcpy(m.body.connect.password, req.password, sizeof(req.password));
	m.body.connect.hidden = req.hidden;
	msg_strlcpy(m.body.connect.session_id,
		    sizeof(m.body.connect.session_id), s->session_id);
	explicit_bzero(&req, sizeof(req));
	err = web_request_send(w, s, "network", &m, WEB_WAIT_CONNECT);
	explicit_bzero(&m, sizeof(m));
	if (err)
		web_send_failed(s, err);
}

static void web_api_disconnect(struct web *w, struct web_session *s)
{
	struct msg m = { .type = MSG_DISCONNECT_REQUEST };
	struct request_disconnect req;
	char err_text[REQUEST_ERROR_MAX];
	int err;

	if (request_parse_disconnect(s->body, s->body_len, &req, err_text)) {
		web_respond_error(s, 400, err_text);
		return;
	}

	if (web_access_refused(w, s, req.access_code)) {
		explicit_bzero(&req, sizeof(req));
		return;
	}

	explicit_bzero(req.access_code, sizeof(req.access_code));

	m.body.disconnect.forget = req.forget;
	err = web_request_send(w, s, "network", &m, WEB_WAIT_DISCONNECT);
	if (err)
		web_send_failed(s, err);
}

static void web_body_complete(struct web *w, struct web_session *s)
{
	enum web_route route = s->route;

	s->body_done = true;
	if (s->responding)
		return;

	switch (route) {
	case WEB_ROUTE_CONNECT:
		web_api_connect(w, s);
		break;
	case WEB_ROUTE_DISCONNECT:
		web_api_disconnect(w, s);
		break;
	case WEB_ROUTE_NONE:
		break;
	}

	/* The password, if any, is in the body: gone now. */
	if (s->body)
		explicit_bzero(s->body, WEB_BODY_MAX + 1);
}

static long long web_content_length(struct web_session *s)
{
	char value[24];
	char *end;
	long long n;

	if (lws_hdr_total_length(s->wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return -1;

	web_copy_header(s->wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, value,
			sizeof(value));
	n = strtoll(value, &end, 10);
	if (end == value || *end || n < 0)
		return LLONG_MAX;

	return n;
}

/* A POST to a mutating endpoint: check what can be checked, read the body */
static int web_begin_post(struct web *w, struct web_session *s,
			  enum web_route route)
{
	char content_type[96];
	long long length = web_content_length(s);
	bool chunked = lws_hdr_total_length(
			       s->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;

	s->route = route;
	if (!web_same_origin(w, s)) {
		w->refused_cross_site++;
		log_debug("Refused a cross-site request for %s (%llu so far)",
			  route == WEB_ROUTE_CONNECT ? "connect" : "disconnect",
			  (unsigned long long)w->refused_cross_site);
		web_respond_error(s, 403, "Cross-site request refused");
		return 0;
	}

	web_copy_header(s->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, content_type,
			sizeof(content_type));
	if (!web_is_json(content_type) &&
	    (route == WEB_ROUTE_CONNECT || length > 0 || chunked ||
	     content_type[0])) {
		web_respond_error(s, 415,
				  "Content-Type must be "
				  "application/json");
		return 0;
	}

	if (length > WEB_BODY_MAX) {
		web_respond_error(s, 413, "Request body is over 4 KiB");
		return 0;
	}

	if (length <= 0 && !chunked) {
		web_body_complete(w, s);
		return 0;
	}

	s->body = calloc(1, WEB_BODY_MAX + 1);
	if (!s->body) {
		web_respond_error(s, 500, "Out of memory");
		return 0;
	}

	lws_set_timeout(s->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
			WEB_RECEIVE_TIMEOUT_S);
	return 0;
}

static int web_http_body(struct web_session *s, const void *in, size_t len)
{
	if (s->ignore_body || s->responding)
		return 0;

	if (!s->body)
		return 0;

	if (s->body_len + len > WEB_BODY_MAX) {
		web_respond_error(s, 413, "Request body is over 4 KiB");
		return 0;
	}

	memcpy(s->body + s->body_len, in, len);
	s->body_len += len;
	return 0;
}

static void web_serve_asset(struct web_session *s, const char *path, int method)
{
	const struct web_asset *a = web_asset_find(path);
	char inm[128];

	if (!a) {
		web_respond_error(s, 404, "Not found");
		return;
	}

	if (method != LWSHUMETH_GET) {
		s->allow = "GET";
		web_respond_error(s, 405, "Method not allowed");
		return;
	}

	s->etag = a->etag;
	s->cache_control = "no-cache";
	web_copy_header(s->wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, inm, sizeof(inm));
	if (inm[0] && web_asset_etag_matches(inm, a->etag)) {
		web_respond_data(s, 304, NULL, NULL, NULL, 0);
		return;
	}

	web_respond_data(s, 200, a->content_type, NULL, a->data, a->len);
}

/* Known paths and their one method. */
static const struct {
	const char *path;
	int method;
	const char *allow;
} web_api_routes[] = {
	{ "/api/status", LWSHUMETH_GET, "GET" },
	{ "/api/networks", LWSHUMETH_GET, "GET" },
	{ "/api/connect", LWSHUMETH_POST, "POST" },
	{ "/api/disconnect", LWSHUMETH_POST, "POST" },
	{ "/ws", LWSHUMETH_GET, "GET" },
	{ CAPTIVE_API_PATH, LWSHUMETH_GET, "GET" },
};

static int web_route(struct web *w, struct web_session *s, const char *path,
		     int method)
{
	size_t i;

	for (i = 0; i < sizeof(web_api_routes) / sizeof(web_api_routes[0]);
	     i++) {
		if (strcmp(path, web_api_routes[i].path))
			continue;

		if (method != web_api_routes[i].method) {
			s->allow = web_api_routes[i].allow;
			web_respond_error(s, 405, "Method not allowed");
			return 0;
		}

		break;
	}

	if (!strcmp(path, "/api/status"))
		web_api_status(w, s);
	else if (!strcmp(path, "/api/networks"))
		web_api_networks(w, s);
	else if (!strcmp(path, "/api/connect"))
		return web_begin_post(w, s, WEB_ROUTE_CONNECT);
	else if (!strcmp(path, "/api/disconnect"))
		return web_begin_post(w, s, WEB_ROUTE_DISCONNECT);
	else if (!strcmp(path, "/ws"))
		web_respond_error(s, 426, "WebSocket upgrade required");
	else if (!strncmp(path, "/api/", 5) || !strcmp(path, "/api"))
		web_respond_error(s, 404, "Not found");
	else
		web_serve_asset(s, path, method);

	return 0;
}

static int web_http_request(struct web *w, struct web_session *s,
			    struct lws *wsi, const char *path)
{
	char *uri;
	int uri_len, method;

	web_session_reset(w, s);
	s->wsi = wsi;
	s->kind = WEB_SESSION_HTTP;
	s->listener = web_listener_of(w, wsi);
	web_copy_header(wsi, WSI_TOKEN_HOST, s->host, sizeof(s->host));
	method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);

	if (s->listener != WEB_LISTENER_TUNNEL &&
	    web_captive_handle(w, s, path))
		return 0;

	return web_route(w, s, path, method);
}

void web_http_answer(struct web *w, struct web_session *s, const struct msg *m)
{
	enum web_wait wait = s->wait;
	const struct msg_reply *r = &m->body.reply;
	char *json;

	web_request_cancel(w, s);
	if (wait == WEB_WAIT_SCAN) {
		if (m->type != MSG_SCAN_RESULT) {
			web_respond_error(s, 502, "Unexpected answer");
			return;
		}

		json = api_json_networks(&m->body.scan_result);
		web_respond(s, 200, WEB_JSON, json, json ? strlen(json) : 0);
		return;
	}

	if (m->type != MSG_REPLY) {
		web_respond_error(s, 502, "Unexpected answer");
		return;
	}

	if (r->code == 0) {
		if (wait == WEB_WAIT_CONNECT)
			json = api_json_result(
				"connecting", r->session_id[0] ? r->session_id :
								 s->session_id);
		else
			json = api_json_result("disconnecting", NULL);

		web_respond(s, wait == WEB_WAIT_CONNECT ? 202 : 200, WEB_JSON,
			    json, json ? strlen(json) : 0);
		return;
	}

	switch (-r->code) {
	case EBUSY:
		web_respond_error(
			s, 409,
			r->error[0] ?
				r->error :
				"A connection attempt is already in progress");
		break;
	case EINVAL:
		web_respond_error(s, 400,
				  r->error[0] ? r->error : "Invalid request");
		break;
	case ENODEV:
		web_respond_error(s, 503,
				  r->error[0] ? r->error : "No WiFi device");
		break;
	default:
		web_respond_error(s, 500,
				  r->error[0] ? r->error : strerror(-r->code));
		break;
	}
}

void web_http_timeout(struct web *w, struct web_session *s)
{
	log_warning("The network service did not answer within %d ms",
		    WEB_REPLY_TIMEOUT_MS);
	web_request_cancel(w, s);
	web_respond_error(s, 503, "The network service did not answer");
}

/* ---- the lws callback ------------------------------------------------ */

static int web_ws_filter(struct web *w, struct lws *wsi)
{
	char uri[16];

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, "/ws"))
		return -1;

	if (w->ws_count >= WEB_WS_MAX) {
		log_debug("Refused a WebSocket client: %u already",
			  w->ws_count);
		return -1;
	}

	return 0;
}

int web_http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		void *in, size_t len)
{
	struct web_session *s = user;
	struct web *w = web_from_wsi(wsi);

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return web_http_request(w, s, wsi, in ? (const char *)in : "/");
	case LWS_CALLBACK_HTTP_BODY:
		return web_http_body(s, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
		web_body_complete(w, s);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return web_http_writeable(w, s);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (s && s->kind == WEB_SESSION_HTTP)
			web_session_reset(w, s);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return web_ws_filter(w, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		s->wsi = wsi;
		s->listener = web_listener_of(w, wsi);
		return web_ws_established(w, s);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return web_ws_writeable(w, s);
	case LWS_CALLBACK_RECEIVE:
		return 0;
	case LWS_CALLBACK_CLOSED:
		web_ws_closed(w, s);
		return 0;
	default:
		break;
	}

	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
