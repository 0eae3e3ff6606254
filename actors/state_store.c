/* SPDX-License-Identifier: MIT */
/*
 * Atomic, durable JSON files in the state directory, and the mapping of
 * state.json. Blocking file I/O; logs nothing, every failure is described
 * in the caller's error buffer with the path it concerns.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "actors/state_store.h"

/* Integers above 2^53 do not survive a JSON number (a double). */
#define STATE_STORE_U64_MAX (UINT64_C(1) << 53)

static state_store_fault_cb_t state_store_fault_cb;
static void *state_store_fault_data;

void state_store_set_fault_hook(state_store_fault_cb_t cb, void *user_data)
{
	state_store_fault_cb = cb;
	state_store_fault_data = user_data;
}

static int fault(const char *step)
{
	if (!state_store_fault_cb)
		return 0;

	return state_store_fault_cb(step, state_store_fault_data);
}

static void __attribute__((format(printf, 2, 3)))
set_err(char err[STATE_STORE_ERROR_MAX], const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;

	va_start(ap, fmt);
	vsnprintf(err, STATE_STORE_ERROR_MAX, fmt, ap);
	va_end(ap);
}

/* mkdir -p with mode 0700 for the parts it creates. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -ENAMETOOLONG;

	memcpy(path, dir, len + 1);

	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;

		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;

	return 0;
}

static int open_dir(const char *dir, bool create,
		    char err[STATE_STORE_ERROR_MAX])
{
	int dfd;
	int r;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		return dfd;

	if (errno != ENOENT || !create) {
		r = -errno;
		set_err(err, "%s: cannot open directory: %s", dir,
			strerror(-r));
		return r;
	}

	r = make_dirs(dir);
	if (r < 0) {
		set_err(err, "%s: cannot create directory: %s", dir,
			strerror(-r));
		return r;
	}

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		set_err(err, "%s: cannot open directory: %s", dir,
			strerror(-r));
		return r;
	}

	return dfd;
}

/*
 * Creates the temporary file. A regular file already there is what a
 * writer that died before its rename leaves behind: it is removed and
 * the creation tried once more. Anything else is refused.
 */
static int create_temp(int dfd, const char *dir, const char *tmp,
		       char err[STATE_STORE_ERROR_MAX])
{
	struct stat st;
	int fd;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		r = fault("open");
		if (r < 0)
			goto fail;

		fd = openat(dfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
		if (fd >= 0)
			return fd;

		r = -errno;
		if (r != -EEXIST)
			goto fail;

		if (fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			goto fail;
		}

		if (S_ISLNK(st.st_mode)) {
			set_err(err, "%s/%s: is a symbolic link, refusing it",
				dir, tmp);
			return -ELOOP;
		}

		if (!S_ISREG(st.st_mode)) {
			set_err(err, "%s/%s: exists and is not a regular file",
				dir, tmp);
			return -EEXIST;
		}

		if (unlinkat(dfd, tmp, 0) < 0) {
			r = -errno;
			goto fail;
		}
	}

	set_err(err, "%s/%s: keeps reappearing", dir, tmp);
	return -EEXIST;

fail:
	set_err(err, "%s/%s: cannot create: %s", dir, tmp, strerror(-r));
	return r;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		size_t chunk = len;
		ssize_t n;
		int r;

		if (chunk > STATE_STORE_WRITE_CHUNK)
			chunk = STATE_STORE_WRITE_CHUNK;

		r = fault("write");
		if (r < 0)
			return r;

		n = write(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;

		buf += n;
		len -= (size_t)n;
	}

	return 0;
}

/* The final path may be missing or a regular file, nothing else. */
static int check_final(int dfd, const char *dir, const char *name,
		       char err[STATE_STORE_ERROR_MAX])
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;

		set_err(err, "%s/%s: cannot stat: %s", dir, name,
			strerror(errno));
		return -errno;
	}

	if (S_ISLNK(st.st_mode)) {
		set_err(err, "%s/%s: is a symbolic link, refusing it", dir,
			name);
		return -ELOOP;
	}

	if (!S_ISREG(st.st_mode)) {
		set_err(err, "%s/%s: exists and is not a regular file", dir,
			name);
		return -EEXIST;
	}

	return 0;
}

/* Writes, syncs and closes the temporary file; closes @fd in any case. */
static int fill_temp(int fd, const char *text, const char *dir, const char *tmp,
		     char err[STATE_STORE_ERROR_MAX])
{
	int r;

	/* O_CREAT's mode is masked by the umask; make it exactly 0600. */
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		set_err(err, "%s/%s: cannot set mode: %s", dir, tmp,
			strerror(-r));
		close(fd);
		return r;
	}

	r = write_all(fd, text, strlen(text));
	if (r < 0) {
		set_err(err, "%s/%s: cannot write: %s", dir, tmp, strerror(-r));
		close(fd);
		return r;
	}

	r = fault("fsync");
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		set_err(err, "%s/%s: cannot fsync: %s", dir, tmp, strerror(-r));
		close(fd);
		return r;
	}

	if (close(fd) < 0) {
		r = -errno;
		set_err(err, "%s/%s: cannot close: %s", dir, tmp, strerror(-r));
		return r;
	}

	return 0;
}

static int write_text(int dfd, const char *dir, const char *name,
		      const char *text, char err[STATE_STORE_ERROR_MAX])
{
	char tmp[NAME_MAX + 1];
	int fd;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp)) {
		set_err(err, "%s/%s: name too long", dir, name);
		return -ENAMETOOLONG;
	}

	r = check_final(dfd, dir, name, err);
	if (r < 0)
		return r;

	fd = create_temp(dfd, dir, tmp, err);
	if (fd < 0)
		return fd;

	r = fill_temp(fd, text, dir, tmp, err);
	if (r < 0)
		goto remove_temp;

	/*
	 * Checked again right before the rename, which itself never follows
	 * a symlink at its destination: a link planted in between would be
	 * replaced, not written through.
	 */
	r = check_final(dfd, dir, name, err);
	if (r < 0)
		goto remove_temp;

	r = fault("rename");
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0) {
		set_err(err, "%s/%s: cannot rename over %s: %s", dir, tmp, name,
			strerror(-r));
		goto remove_temp;
	}

	r = fault("dirfsync");
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	if (r < 0) {
		set_err(err, "%s: cannot fsync directory: %s", dir,
			strerror(-r));
		return r;
	}

	return 0;

remove_temp:
	unlinkat(dfd, tmp, 0);
	return r;
}

int state_store_write_json(const char *dir, const char *name,
			   const struct cJSON *root,
			   char err[STATE_STORE_ERROR_MAX])
{
	char *text;
	char *line;
	size_t len;
	int dfd;
	int r;

	text = cJSON_Print(root);
	if (!text) {
		set_err(err, "%s/%s: out of memory", dir, name);
		return -ENOMEM;
	}

	/* A text file ends in a newline; cJSON's printer leaves it out. */
	len = strlen(text);
	line = malloc(len + 2);
	if (line) {
		memcpy(line, text, len);
		memcpy(line + len, "\n", 2);
	}
	cJSON_free(text);
	if (!line) {
		set_err(err, "%s/%s: out of memory", dir, name);
		return -ENOMEM;
	}

	dfd = open_dir(dir, true, err);
	if (dfd < 0) {
		free(line);
		return dfd;
	}

	r = write_text(dfd, dir, name, line, err);
	close(dfd);
	free(line);
	return r;
}

static int read_all(int fd, char *buf, size_t size, size_t *len)
{
	size_t off = 0;

	while (off < size) {
		ssize_t n = read(fd, buf + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;

		off += (size_t)n;
	}

	*len = off;
	return 0;
}

static int open_regular(const char *path, struct stat *st,
			char err[STATE_STORE_ERROR_MAX])
{
	int fd;
	int r;

	/* O_NONBLOCK: a FIFO planted here must not hang the daemon. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			set_err(err, "%s: does not exist", path);
		else if (r == -ELOOP)
			set_err(err, "%s: is a symbolic link, refusing it",
				path);
		else
			set_err(err, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}

	if (fstat(fd, st) < 0) {
		r = -errno;
		set_err(err, "%s: cannot stat: %s", path, strerror(-r));
		close(fd);
		return r;
	}

	if (!S_ISREG(st->st_mode)) {
		set_err(err, "%s: is not a regular file", path);
		close(fd);
		return -EINVAL;
	}

	return fd;
}

/* Reads the whole file into a NUL-terminated buffer. */
static int read_text(const char *path, char **out, size_t *out_len,
		     char err[STATE_STORE_ERROR_MAX])
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd;
	int r;

	fd = open_regular(path, &st, err);
	if (fd < 0)
		return fd;

	if (st.st_size > STATE_STORE_FILE_MAX) {
		set_err(err, "%s: is %jd bytes, more than %d", path,
			(intmax_t)st.st_size, STATE_STORE_FILE_MAX);
		close(fd);
		return -EFBIG;
	}

	/* One byte more than the limit tells a file that grew meanwhile. */
	buf = malloc(STATE_STORE_FILE_MAX + 2);
	if (!buf) {
		close(fd);
		set_err(err, "%s: out of memory", path);
		return -ENOMEM;
	}

	r = read_all(fd, buf, STATE_STORE_FILE_MAX + 1, &len);
	close(fd);
	if (r < 0) {
		set_err(err, "%s: cannot read: %s", path, strerror(-r));
		free(buf);
		return r;
	}

	if (len > STATE_STORE_FILE_MAX) {
		set_err(err, "%s: is more than %d bytes", path,
			STATE_STORE_FILE_MAX);
		free(buf);
		return -EFBIG;
	}

	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	}

	return true;
}

int state_store_read_json(const char *dir, const char *name, struct cJSON **out,
			  char err[STATE_STORE_ERROR_MAX])
{
	char path[PATH_MAX];
	const char *end = NULL;
	size_t len = 0;
	cJSON *root;
	char *text;
	int r;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		set_err(err, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}

	r = read_text(path, &text, &len, err);
	if (r < 0)
		return r;

	if (only_space(text, len)) {
		set_err(err, "%s: is empty", path);
		free(text);
		return -ENODATA;
	}

	if (memchr(text, '\0', len)) {
		set_err(err, "%s: is not JSON: contains a NUL byte", path);
		free(text);
		return -EBADMSG;
	}

	root = cJSON_ParseWithOpts(text, &end, true);
	if (!root) {
		set_err(err, "%s: is not JSON (error near byte %td of %zu)",
			path, end ? end - text : (ptrdiff_t)0, len);
		free(text);
		return -EBADMSG;
	}
	free(text);

	if (!cJSON_IsObject(root)) {
		set_err(err, "%s: is not a JSON object", path);
		cJSON_Delete(root);
		return -EBADMSG;
	}

	*out = root;
	return 0;
}

static const cJSON *get_field(const cJSON *obj, const char *key,
			      const char *path, char err[STATE_STORE_ERROR_MAX])
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!item)
		set_err(err, "%s: field \"%s\" is missing", path, key);

	return item;
}

int state_store_get_string(const struct cJSON *obj, const char *key, char *dst,
			   size_t dst_size, const char *path,
			   char err[STATE_STORE_ERROR_MAX])
{
	const cJSON *item = get_field(obj, key, path, err);
	size_t len;

	if (!item)
		return -EBADMSG;

	if (!cJSON_IsString(item)) {
		set_err(err, "%s: field \"%s\" must be a string", path, key);
		return -EBADMSG;
	}

	len = strlen(item->valuestring);
	if (len >= dst_size) {
		set_err(err, "%s: field \"%s\" is longer than %zu bytes", path,
			key, dst_size - 1);
		return -EBADMSG;
	}

	memcpy(dst, item->valuestring, len + 1);
	return 0;
}

int state_store_get_u64(const struct cJSON *obj, const char *key, uint64_t *out,
			const char *path, char err[STATE_STORE_ERROR_MAX])
{
	const cJSON *item = get_field(obj, key, path, err);
	double v;

	if (!item)
		return -EBADMSG;

	if (!cJSON_IsNumber(item)) {
		set_err(err, "%s: field \"%s\" must be a number", path, key);
		return -EBADMSG;
	}

	v = item->valuedouble;
	if (!(v >= 0) || v > (double)STATE_STORE_U64_MAX ||
	    v != (double)(uint64_t)v) {
		set_err(err,
			"%s: field \"%s\" must be an integer from 0 to 2^53",
			path, key);
		return -EBADMSG;
	}

	*out = (uint64_t)v;
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;

	return -1;
}

int state_store_get_ssid(const struct cJSON *obj, const char *key,
			 struct msg_ssid *out, const char *path,
			 char err[STATE_STORE_ERROR_MAX])
{
	char hex[MSG_SSID_MAX * 2 + 1];
	size_t len;
	int r;

	r = state_store_get_string(obj, key, hex, sizeof(hex), path, err);
	if (r < 0)
		return r;

	len = strlen(hex);
	if (len % 2) {
		set_err(err,
			"%s: field \"%s\" must be an even number of hex digits",
			path, key);
		return -EBADMSG;
	}

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_value(hex[i]);
		int lo = hex_value(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			memset(out, 0, sizeof(*out));
			set_err(err, "%s: field \"%s\" must be hex digits",
				path, key);
			return -EBADMSG;
		}

		out->bytes[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	out->len = (uint8_t)(len / 2);
	return 0;
}

int state_store_add_ssid(struct cJSON *obj, const char *key,
			 const struct msg_ssid *ssid)
{
	static const char digits[] = "0123456789abcdef";
	char hex[MSG_SSID_MAX * 2 + 1];
	size_t len = ssid->len;

	if (len > MSG_SSID_MAX)
		len = MSG_SSID_MAX;

	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[ssid->bytes[i] >> 4];
		hex[2 * i + 1] = digits[ssid->bytes[i] & 0xf];
	}
	hex[2 * len] = '\0';

	return cJSON_AddStringToObject(obj, key, hex) ? 0 : -ENOMEM;
}

void state_record_defaults(struct state_record *r)
{
	memset(r, 0, sizeof(*r));
}

static int parse_record(const cJSON *root, struct state_record *r,
			const char *path, char err[STATE_STORE_ERROR_MAX])
{
	uint64_t version;
	int ret;

	ret = state_store_get_u64(root, "version", &version, path, err);
	if (ret < 0)
		return ret;

	if (version != STATE_FILE_VERSION) {
		set_err(err, "%s: version %" PRIu64 " is not %d", path, version,
			STATE_FILE_VERSION);
		return -EBADMSG;
	}

	ret = state_store_get_u64(root, "seq", &r->seq, path, err);
	if (!ret)
		ret = state_store_get_u64(root, "time_ms", &r->time_ms, path,
					  err);
	if (!ret)
		ret = state_store_get_ssid(root, "ssid_hex", &r->ssid, path,
					   err);
	if (!ret)
		ret = state_store_get_ssid(root, "last_ssid_hex", &r->last_ssid,
					   path, err);
	if (!ret)
		ret = state_store_get_string(root, "error", r->error,
					     sizeof(r->error), path, err);
	if (!ret)
		ret = state_store_get_string(root, "session_id", r->session_id,
					     sizeof(r->session_id), path, err);
	if (!ret)
		ret = state_store_get_string(root, "tunnel_url", r->tunnel_url,
					     sizeof(r->tunnel_url), path, err);
	if (!ret)
		ret = state_store_get_string(root, "tunnel_provider",
					     r->tunnel_provider,
					     sizeof(r->tunnel_provider), path,
					     err);

	return ret;
}

int state_store_load(const char *dir, struct state_record *r,
		     char err[STATE_STORE_ERROR_MAX])
{
	char path[PATH_MAX];
	cJSON *root;
	int ret;

	state_record_defaults(r);

	ret = state_store_read_json(dir, STATE_FILE_NAME, &root, err);
	if (ret < 0)
		return ret;

	snprintf(path, sizeof(path), "%s/%s", dir, STATE_FILE_NAME);
	ret = parse_record(root, r, path, err);
	cJSON_Delete(root);
	if (ret < 0)
		state_record_defaults(r);

	return ret;
}

int state_store_save(const char *dir, const struct state_record *r,
		     char err[STATE_STORE_ERROR_MAX])
{
	cJSON *root = cJSON_CreateObject();
	bool ok;
	int ret;

	ok = root &&
	     cJSON_AddNumberToObject(root, "version", STATE_FILE_VERSION) &&
	     cJSON_AddNumberToObject(root, "seq", (double)r->seq) &&
	     cJSON_AddNumberToObject(root, "time_ms", (double)r->time_ms) &&
	     state_store_add_ssid(root, "ssid_hex", &r->ssid) == 0 &&
	     state_store_add_ssid(root, "last_ssid_hex", &r->last_ssid) == 0 &&
	     cJSON_AddStringToObject(root, "error", r->error) &&
	     cJSON_AddStringToObject(root, "session_id", r->session_id) &&
	     cJSON_AddStringToObject(root, "tunnel_url", r->tunnel_url) &&
	     cJSON_AddStringToObject(root, "tunnel_provider",
				     r->tunnel_provider);
	if (!ok) {
		cJSON_Delete(root);
		set_err(err, "%s/%s: out of memory", dir, STATE_FILE_NAME);
		return -ENOMEM;
	}

	ret = state_store_write_json(dir, STATE_FILE_NAME, root, err);
	cJSON_Delete(root);
	return ret;
}
