/* SPDX-License-Identifier: MIT */
/*
 * Test HTTP and WebSocket client (see http_client.h). Reads are exact:
 * headers byte by byte up to the blank line and bodies by length, so no
 * byte of a following frame or response is consumed by mistake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness/http_client.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			return -ETIMEDOUT;

		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;

		if (n == 0)
			return -ETIMEDOUT;

		if (errno != EINTR)
			return -errno;
	}
}

int http_connect(const char *ip, int port, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int64_t deadline = now_ms() + timeout_ms;
	socklen_t elen = sizeof(int);
	int fd, err = 0;

	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -EINVAL;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;

	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
			close(fd);
			return err;
		}

		err = wait_fd(fd, POLLOUT, deadline);
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
		if (err) {
			close(fd);
			return err < 0 ? err : -err;
		}
	}

	return fd;
}

int http_send(int fd, const void *buf, size_t len, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	const char *p = buf;
	int err;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;

		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			return err;
	}

	return 0;
}

/* Reads exactly @len bytes. -EPIPE when the peer closed first. */
static int read_exact(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;
	int err;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}

		if (n == 0)
			return -EPIPE;

		if (errno != EAGAIN && errno != EINTR)
			return -errno;

		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}

	return 0;
}

static int read_head(int fd, char *head, size_t size, int64_t deadline)
{
	size_t n = 0;
	int err;

	while (n + 1 < size) {
		err = read_exact(fd, head + n, 1, deadline);
		if (err)
			return err;

		n++;
		head[n] = '\0';
		if (n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))
			return 0;
	}

	return -E2BIG;
}

const char *http_header(const struct http_response *r, const char *name,
			char *out, size_t out_size)
{
	size_t name_len = strlen(name);
	const char *line = strstr(r->head, "\r\n");

	while (line && line[2] && line[2] != '\r') {
		const char *start = line + 2;
		const char *end = strstr(start, "\r\n");

		if (!end)
			break;

		if (!strncasecmp(start, name, name_len) &&
		    start[name_len] == ':') {
			const char *v = start + name_len + 1;
			size_t len;

			while (*v == ' ')
				v++;

			len = (size_t)(end - v);
			if (len >= out_size)
				len = out_size - 1;

			memcpy(out, v, len);
			out[len] = '\0';
			return out;
		}

		line = end;
	}

	return NULL;
}

int http_read_response(int fd, struct http_response *r, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char value[32];
	size_t cap, len = 0;
	int err;

	memset(r, 0, sizeof(*r));
	err = read_head(fd, r->head, sizeof(r->head), deadline);
	if (err)
		return err;

	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		return -EPROTO;

	if (http_header(r, "content-length", value, sizeof(value))) {
		len = strtoul(value, NULL, 10);
		r->body = calloc(1, len + 1);
		if (!r->body)
			return -ENOMEM;

		r->body_len = len;
		return read_exact(fd, r->body, len, deadline);
	}

	r->body = calloc(1, 1);
	if (!r->body)
		return -ENOMEM;

	if (r->status == 204 || r->status == 304 || r->status == 101)
		return 0;

	/* no length: the body runs to the close */
	cap = 0;
	for (;;) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		char *grown;

		if (n == 0)
			return 0;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;

			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				return err;
			continue;
		}

		cap = r->body_len + (size_t)n + 1;
		grown = realloc(r->body, cap);
		if (!grown)
			return -ENOMEM;

		r->body = grown;
		memcpy(r->body + r->body_len, buf, (size_t)n);
		r->body_len += (size_t)n;
		r->body[r->body_len] = '\0';
	}
}

void http_response_free(struct http_response *r)
{
	free(r->body);
	r->body = NULL;
}

int http_exchange(const char *ip, int port, const char *raw,
		  struct http_response *r, int timeout_ms)
{
	int fd = http_connect(ip, port, timeout_ms);
	int err;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
		return fd;

	err = http_send(fd, raw, strlen(raw), timeout_ms);
	if (!err)
		err = http_read_response(fd, r, timeout_ms);

	close(fd);
	return err;
}

int http_get(const char *ip, int port, const char *host, const char *path,
	     struct http_response *r)
{
	char raw[1024];

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 path, host);
	return http_exchange(ip, port, raw, r, 10000);
}

int http_post(const char *ip, int port, const char *host, const char *path,
	      const char *content_type, const char *extra, const char *body,
	      struct http_response *r)
{
	char *raw = NULL;
	char ctype[128] = "";
	int err;

	if (content_type)
		snprintf(ctype, sizeof(ctype), "Content-Type: %s\r\n",
			 content_type);

	if (asprintf(&raw,
		     "POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %zu"
		     "\r\n%sConnection: close\r\n\r\n%s",
		     path, host, ctype, strlen(body), extra ? extra : "",
		     body) < 0)
		return -ENOMEM;

	err = http_exchange(ip, port, raw, r, 10000);
	free(raw);
	return err;
}

int http_wait_closed(int fd, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	char buf[512];
	int err;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;

		if (n > 0)
			continue;

		if (errno != EAGAIN && errno != EINTR)
			return -errno;

		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

int ws_open(const char *ip, int port, const char *path, int timeout_ms)
{
	struct http_response r;
	char raw[512];
	int fd = http_connect(ip, port, timeout_ms);
	int err;

	if (fd < 0)
		return fd;

	snprintf(raw, sizeof(raw),
		 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
		 path, ip, port);
	err = http_send(fd, raw, strlen(raw), timeout_ms);
	if (!err) {
		memset(&r, 0, sizeof(r));
		err = read_head(fd, r.head, sizeof(r.head),
				now_ms() + timeout_ms);
		if (!err && sscanf(r.head, "HTTP/1.1 %d", &r.status) != 1)
			err = -EPROTO;
		if (!err && r.status != 101)
			err = -ECONNREFUSED;
	}

	if (err) {
		close(fd);
		return err;
	}

	return fd;
}

static int ws_send_frame(int fd, int opcode, const void *data, size_t len,
			 int64_t deadline)
{
	uint8_t head[14], mask[4];
	size_t n = 0, i;
	uint8_t *frame;
	int err;

	if (getrandom(mask, sizeof(mask), 0) != sizeof(mask))
		return -EIO;

	head[n++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		head[n++] = (uint8_t)(0x80 | len);
	} else {
		head[n++] = 0x80 | 126;
		head[n++] = (uint8_t)(len >> 8);
		head[n++] = (uint8_t)len;
	}

	memcpy(head + n, mask, 4);
	n += 4;
	frame = malloc(n + len);
	if (!frame)
		return -ENOMEM;

	memcpy(frame, head, n);
	for (i = 0; i < len; i++)
		frame[n + i] = ((const uint8_t *)data)[i] ^ mask[i % 4];

	err = http_send(fd, frame, n + len, (int)(deadline - now_ms()));
	free(frame);
	return err;
}

int ws_send_text(int fd, const char *text, int timeout_ms)
{
	return ws_send_frame(fd, 0x1, text, strlen(text),
			     now_ms() + timeout_ms);
}

int ws_read_text(int fd, char **text, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t head[2], ext[8];
	uint64_t len;
	char *payload;
	int err, opcode, i;

	*text = NULL;
	for (;;) {
		err = read_exact(fd, head, 2, deadline);
		if (err)
			return err;

		opcode = head[0] & 0x0f;
		len = head[1] & 0x7f;
		if (len == 126 || len == 127) {
			int n = len == 126 ? 2 : 8;

			err = read_exact(fd, ext, (size_t)n, deadline);
			if (err)
				return err;

			for (len = 0, i = 0; i < n; i++)
				len = len << 8 | ext[i];
		}

		if (len > (1u << 20))
			return -E2BIG;

		payload = malloc(len + 1);
		if (!payload)
			return -ENOMEM;

		err = read_exact(fd, payload, len, deadline);
		if (err) {
			free(payload);
			return err;
		}

		payload[len] = '\0';
		if (opcode == 0x1) {
			*text = payload;
			return 0;
		}

		if (opcode == 0x9)
			err = ws_send_frame(fd, 0xa, payload, len, deadline);

		free(payload);
		if (opcode == 0x8)
			return -EPIPE;

		if (err)
			return err;
	}
}

int http_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -errno;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);

	close(fd);
	return port;
}
