/* SPDX-License-Identifier: MIT */
/*
 * Logging: one line per event on stderr, prefixed with the syslog priority
 * journald understands ("<3>", "<6>") and the name of the actor whose
 * thread wrote it. The name is thread-local and set by the runtime when it
 * spawns an actor, so callers never type it.
 */
#ifndef DISTILLER_RUNTIME_LOG_H
#define DISTILLER_RUNTIME_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Enables debug lines process-wide. Any thread, any time. */
void log_set_debug(bool on);
bool log_debug_enabled(void);

/* Names the calling thread in its log lines; the pointer must outlive it. */
void log_set_thread_name(const char *name);
const char *log_thread_name(void);

/*
 * Writes one line atomically (a single write(2)). Newlines and control
 * characters in the formatted text are escaped so a line stays a line.
 */
void log_write(enum log_level level, const char *file, const char *func,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Escapes a user-supplied byte string (an SSID, a path) for a log line:
 * printable ASCII stays, everything else becomes \xNN. Always terminates
 * @out; returns @out so it can sit inside a log call.
 */
const char *log_escape(char *out, size_t out_size, const void *in,
		       size_t in_len);

#define log_err(...) log_write(LOG_LEVEL_ERR, __FILE__, __func__, __VA_ARGS__)
#define log_warning(...) \
	log_write(LOG_LEVEL_WARNING, __FILE__, __func__, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __FILE__, __func__, __VA_ARGS__)
#define log_debug(...)                                                 \
	do {                                                           \
		if (log_debug_enabled())                               \
			log_write(LOG_LEVEL_DEBUG, __FILE__, __func__, \
				  __VA_ARGS__);                        \
	} while (0)

/* "Cannot happen" in daemon code: log where, carry on. */
#define WARN_ON(cond)                                                        \
	({                                                                   \
		bool __warn = !!(cond);                                      \
		if (__warn)                                                  \
			log_err("Unexpected condition '%s' at %s:%d", #cond, \
				__FILE__, __LINE__);                         \
		__warn;                                                      \
	})

#endif
