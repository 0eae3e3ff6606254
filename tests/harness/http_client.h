/* SPDX-License-Identifier: MIT */
/*
 * A small HTTP/1.1 and WebSocket client over plain sockets for tests.
 * Every call takes a timeout and waits with poll(2), never with sleeps;
 * requests are written as raw text so a test controls every byte
 * (headers, partial bodies, slow senders).
 */
#ifndef DISTILLER_TESTS_HARNESS_HTTP_CLIENT_H
#define DISTILLER_TESTS_HARNESS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192

struct http_response {
	int status;
	char head[HTTP_HEAD_MAX]; /* status line and headers */
	char *body;		  /* malloc'd, NUL-terminated */
	size_t body_len;
};

/* Connects to @ip:@port (IPv4). Returns the fd or -errno. */
int http_connect(const char *ip, int port, int timeout_ms);

/* Writes all of @len bytes. Returns 0 or -errno. */
int http_send(int fd, const void *buf, size_t len, int timeout_ms);

/*
 * Reads one response: headers, then Content-Length bytes (none for 204,
 * 304 and HEAD-like answers), or up to the close. Returns 0 or -errno.
 */
int http_read_response(int fd, struct http_response *r, int timeout_ms);

/* Connects, sends @raw, reads the response, closes. 0 or -errno. */
int http_exchange(const char *ip, int port, const char *raw,
		  struct http_response *r, int timeout_ms);

/* GET @path with Host @host (and "Connection: close"). */
int http_get(const char *ip, int port, const char *host, const char *path,
	     struct http_response *r);

/*
 * POST @body to @path with Host @host, the given Content-Type (NULL: no
 * header) and @extra header lines ("Name: value\r\n"..., may be NULL).
 */
int http_post(const char *ip, int port, const char *host, const char *path,
	      const char *content_type, const char *extra, const char *body,
	      struct http_response *r);

void http_response_free(struct http_response *r);

/*
 * Copies the value of header @name (any case) into @out; returns @out, or
 * NULL when the response has no such header.
 */
const char *http_header(const struct http_response *r, const char *name,
			char *out, size_t out_size);

/* Waits for the peer to close @fd; 0, or -ETIMEDOUT. Drains any data. */
int http_wait_closed(int fd, int timeout_ms);

/* Opens a WebSocket on @path (101 checked). Returns the fd or -errno. */
int ws_open(const char *ip, int port, const char *path, int timeout_ms);

/*
 * Reads the next text message into a malloc'd string, answering pings
 * with pongs on the way. Returns 0, -EPIPE when the server closed, or
 * -errno (-ETIMEDOUT).
 */
int ws_read_text(int fd, char **text, int timeout_ms);

/* Sends a masked text frame. 0 or -errno. */
int ws_send_text(int fd, const char *text, int timeout_ms);

/* A free TCP port on 127.0.0.1 at the time of the call. */
int http_free_port(void);

#endif
