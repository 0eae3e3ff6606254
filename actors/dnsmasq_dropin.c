/* SPDX-License-Identifier: MIT */
/*
 * The captive portal drop-in for NetworkManager's shared dnsmasq: text and
 * its atomic replacement on disk. See dnsmasq_dropin.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/dnsmasq_dropin.h"

#define DROPIN_TEXT_MAX 512

int dnsmasq_dropin_render(const char *ap_ip, char *out, size_t size)
{
	struct in_addr addr;
	int n;

	if (!ap_ip || inet_pton(AF_INET, ap_ip, &addr) != 1)
		return -EINVAL;

	/*
	 * address=/#/ answers every name with the AP's address, so a phone's
	 * connectivity check lands on the portal; option 114 lets RFC 8910
	 * clients find the portal's API without guessing.
	 */
	n = snprintf(
		out, size,
		"# Written by distiller-wifi while its access point is up;\n"
		"# removed when the access point goes down.\n"
		"address=/#/%s\n"
		"dhcp-option=114,\"http://%s" DNSMASQ_DROPIN_PORTAL_PATH "\"\n",
		ap_ip, ap_ip);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;

	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}

		buf += n;
		len -= (size_t)n;
	}

	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	if (fsync(fd) < 0)
		r = -errno;

	close(fd);
	return r;
}

int dnsmasq_dropin_write(const char *dir, const char *ap_ip)
{
	char text[DROPIN_TEXT_MAX];
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, r;

	r = dnsmasq_dropin_render(ap_ip, text, sizeof(text));
	if (r < 0)
		return r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, DNSMASQ_DROPIN_NAME) >=
		    (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld", dir, DNSMASQ_DROPIN_NAME,
		     (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	/*
	 * NetworkManager reads the directory when it starts dnsmasq for a
	 * shared connection; its package ships it, but a minimal install
	 * may not have it yet. One level is enough: its parent is NM's.
	 */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;

	/* a leftover from a crash at this very step is ours to replace */
	unlink(tmp);

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;

	r = write_all(fd, text, strlen(text));
	if (!r && fsync(fd) < 0)
		r = -errno;

	if (close(fd) < 0 && !r)
		r = -errno;

	if (!r && rename(tmp, path) < 0)
		r = -errno;

	if (r) {
		unlink(tmp);
		return r;
	}

	return fsync_dir(dir);
}

int dnsmasq_dropin_remove(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, DNSMASQ_DROPIN_NAME) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;

	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;

	return 0;
}
