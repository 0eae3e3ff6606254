/* SPDX-License-Identifier: MIT */
/*
 * Log lines for journald: "<PRIO>actor: Message\n" written to stderr with a
 * single write(2) so lines from different threads never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/log.h"

#define LOG_LINE_MAX 1024

static atomic_bool debug_enabled;
static _Thread_local const char *thread_name = "main";

void log_set_debug(bool on)
{
	atomic_store_explicit(&debug_enabled, on, memory_order_relaxed);
}

bool log_debug_enabled(void)
{
	return atomic_load_explicit(&debug_enabled, memory_order_relaxed);
}

void log_set_thread_name(const char *name)
{
	thread_name = name ? name : "main";
}

const char *log_thread_name(void)
{
	return thread_name;
}

const char *log_escape(char *out, size_t out_size, const void *in,
		       size_t in_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t o = 0;

	if (!out_size)
		return out;

	for (size_t i = 0; i < in_len; i++) {
		unsigned char c = p[i];
		bool plain = c >= 0x20 && c < 0x7f && c != '\\' && c != '"';

		if (plain) {
			if (o + 1 >= out_size)
				break;

			out[o++] = (char)c;
			continue;
		}

		if (o + 4 >= out_size)
			break;

		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
	}

	out[o] = '\0';
	return out;
}

/* Control characters inside a line would split or forge journal lines. */
static size_t log_sanitize(char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f)
			text[i] = ' ';
	}

	return len;
}

void log_write(enum log_level level, const char *file, const char *func,
	       const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	size_t body, len;
	va_list ap;
	int n;

	(void)file;
	(void)func;

	n = snprintf(line, sizeof(line), "<%d>%s: ", (int)level, thread_name);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;

	body = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + body, sizeof(line) - body - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;

	len = body + (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;

	log_sanitize(line + body, len - body);
	line[len++] = '\n';

	/* A log line is best effort: nowhere to report a failed write. */
	if (write(STDERR_FILENO, line, len) < 0)
		errno = saved_errno;

	errno = saved_errno;
}
