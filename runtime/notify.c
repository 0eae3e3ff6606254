/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) without libsystemd: the protocol is a datagram of
 * newline-separated assignments sent to an AF_UNIX socket whose path (or
 * abstract name, when it starts with '@') is in $NOTIFY_SOCKET.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/notify.h"

int notify_send(const char *text)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t path_len, text_len;
	socklen_t addr_len;
	ssize_t n;
	int fd;

	if (!path || !*path)
		return 0;

	path_len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    path_len >= sizeof(addr.sun_path))
		return -EINVAL;

	memcpy(addr.sun_path, path, path_len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';

	addr_len =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;

	text_len = strlen(text);
	n = sendto(fd, text, text_len, MSG_NOSIGNAL, (struct sockaddr *)&addr,
		   addr_len);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}

	close(fd);
	return (size_t)n == text_len ? 0 : -EMSGSIZE;
}
