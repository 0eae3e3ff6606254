/* SPDX-License-Identifier: MIT */
/*
 * Files in the state directory: atomic, durable JSON writes and strict
 * reads. A write goes to NAME.tmp in the same directory (created with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), is fsync'ed, renamed over NAME,
 * and the directory is fsync'ed, so after a crash at any point the file
 * is either the old one or the new one, whole. A symlink at the temporary
 * or the final path is never followed: reads and writes refuse it with
 * -ELOOP and leave it and its target alone.
 *
 * state.json, the state actor's record of what it last published, is
 * mapped here too; device_config.json belongs to actors/identity.h.
 *
 * These functions do blocking file I/O, log nothing (they describe each
 * failure in @err, naming the path) and keep no state, except the fault
 * hook, which only tests set. Any thread.
 */
#ifndef DISTILLER_ACTORS_STATE_STORE_H
#define DISTILLER_ACTORS_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages/msg.h"

struct cJSON;

#define STATE_STORE_ERROR_MAX 512

/* Longest file a read accepts; ours are a few hundred bytes. */
#define STATE_STORE_FILE_MAX (64 * 1024)

/* Largest write(2) a store makes at once; bigger files take several. */
#define STATE_STORE_WRITE_CHUNK 4096

#define STATE_FILE_NAME "state.json"
#define STATE_FILE_VERSION 1

/*
 * Called before each step of a write: "open" (create the temp file),
 * "write" (once before every write(2) call), "fsync", "rename" and
 * "dirfsync". A nonzero return fails that step with the returned -errno,
 * as if the system call had failed; a test may also _exit() a forked
 * writer from here to simulate a crash at that point.
 */
typedef int (*state_store_fault_cb_t)(const char *step, void *user_data);

/*
 * Installs (or, with NULL, removes) the process-wide fault hook. Tests
 * only; not synchronised with writers running at the same time.
 */
void state_store_set_fault_hook(state_store_fault_cb_t cb, void *user_data);

/*
 * Writes @root, printed as JSON, to @dir/@name atomically and durably,
 * creating @dir (mode 0700) if it is missing. A regular NAME.tmp left by
 * an earlier crash is replaced. Returns 0; -ELOOP when a symlink sits at
 * the temporary or the final path; -EEXIST when something other than a
 * regular file does; -ENOMEM; or the -errno of the failed step, with a
 * reason in @err. On failure the old file is untouched and the temporary
 * file is removed.
 */
int state_store_write_json(const char *dir, const char *name,
			   const struct cJSON *root,
			   char err[STATE_STORE_ERROR_MAX]);

/*
 * Reads and parses @dir/@name; on success *@out is a JSON object the
 * caller frees with cJSON_Delete(). Returns 0, or with a reason naming
 * the path in @err: -ENOENT (missing), -ELOOP (a symlink, refused),
 * -EINVAL (not a regular file), -ENODATA (empty), -EFBIG (over
 * STATE_STORE_FILE_MAX), -EBADMSG (not JSON, or not an object), -ENOMEM,
 * or the -errno of a failed read.
 */
int state_store_read_json(const char *dir, const char *name, struct cJSON **out,
			  char err[STATE_STORE_ERROR_MAX]);

/*
 * Helpers for typed fields of a parsed object. Each returns 0, or
 * -EBADMSG with a reason naming @path and @key in @err when the field is
 * missing, of the wrong JSON type, or out of bounds.
 */
int state_store_get_string(const struct cJSON *obj, const char *key, char *dst,
			   size_t dst_size, const char *path,
			   char err[STATE_STORE_ERROR_MAX]);
int state_store_get_u64(const struct cJSON *obj, const char *key, uint64_t *out,
			const char *path, char err[STATE_STORE_ERROR_MAX]);
/* An SSID stored as lower-case hex, because SSIDs are bytes. */
int state_store_get_ssid(const struct cJSON *obj, const char *key,
			 struct msg_ssid *out, const char *path,
			 char err[STATE_STORE_ERROR_MAX]);
/* Adds @ssid to @obj as hex; returns 0 or -ENOMEM. */
int state_store_add_ssid(struct cJSON *obj, const char *key,
			 const struct msg_ssid *ssid);

/*
 * state.json: what the state actor last published that is worth keeping
 * across a restart. No secret is ever part of it.
 */
struct state_record {
	uint64_t seq;		   /* "seq": last published sequence */
	uint64_t time_ms;	   /* "time_ms": wall clock of that change */
	struct msg_ssid ssid;	   /* "ssid_hex": the snapshot's ssid */
	struct msg_ssid last_ssid; /* "last_ssid_hex": last network joined */
	char error[MSG_TEXT_MAX];  /* "error": last error shown */
	char session_id[MSG_SESSION_MAX]; /* "session_id": last join session */
	char tunnel_url[MSG_URL_MAX];	  /* "tunnel_url" */
	char tunnel_provider[16];	  /* "tunnel_provider" */
};

/* A record with nothing known: all zero. Pure. */
void state_record_defaults(struct state_record *r);

/*
 * Reads @dir/state.json into @r. Any failure leaves @r at its defaults
 * and returns what state_store_read_json() returns, or -EBADMSG for a
 * wrong version, a missing or wrong-typed field (named in @err).
 */
int state_store_load(const char *dir, struct state_record *r,
		     char err[STATE_STORE_ERROR_MAX]);

/* Writes @r to @dir/state.json; see state_store_write_json(). */
int state_store_save(const char *dir, const struct state_record *r,
		     char err[STATE_STORE_ERROR_MAX]);

#endif
