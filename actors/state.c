/* SPDX-License-Identifier: MIT */
/*
 * The state actor. Thread and mailbox "state", the runtime's loop.
 *
 * Takes MSG_NET_EVENT (the network actor's facts), MSG_TUNNEL_EVENT,
 * MSG_MDNS_EVENT and MSG_STATE_GET. Publishes MSG_STATE_SNAPSHOT with
 * actor_publish() when it starts and after every change, and answers
 * MSG_STATE_GET with the current snapshot under the request's
 * correlation id. Nothing else publishes state.
 *
 * Transitions are those of actors/state_table.h and no others: a
 * MSG_NET_EVENT the table does not allow is refused, logged and counted
 * (state_refused_count()), and changes nothing. The daemon starts in
 * DISCONNECTED.
 *
 * What each snapshot field holds. The setup page prints "Could not join
 * <ssid>: <error>" while the device is back in AP mode, and that is what
 * a person who just mistyped a password expects to read, so:
 *   ssid        the network the event names: being joined (SWITCHING,
 *               CONNECTING), joined (CONNECTED), that failed (FAILED),
 *               that was lost (DISCONNECTED). In AP_MODE, the network of
 *               the error still shown, else "": the event's SSID is
 *               ignored there, the AP's own name is ap_ssid.
 *   error       cleared when a join starts (SWITCHING, CONNECTING) or
 *               succeeds (CONNECTED); FAILED sets the network actor's
 *               reason (or "Could not join "X""); AP_MODE keeps the
 *               error it finds unless the event brings its own, so a
 *               failed join is explained until the next one starts;
 *               DISCONNECTED shows its reason, or nothing.
 *   ip_address  the event's in CONNECTED and AP_MODE, "" otherwise.
 *   session_id  the event's when it has one; else kept while the same
 *               join goes on (same SSID after SWITCHING, CONNECTING or
 *               CONNECTED; AP_MODE while it keeps the error); else "".
 *   tunnel_url, tunnel_provider  from MSG_TUNNEL_EVENT, "" while down.
 *   mdns_available  from MSG_MDNS_EVENT.
 *   device_id, ap_ssid  the identity (actors/identity.h).
 *   ap_password the setup AP's password (actors/ap_password.h). Internal:
 *               it is never written to a file, and logged only when no
 *               panel can show it (--no-hardware or DISPLAY_ENABLED off).
 *   access_code six decimal digits, 000000 to 999999 all equally likely,
 *               drawn with getrandom(2) once per process when the actor
 *               first starts. A remote client (through the tunnel) must
 *               send it to connect or disconnect; the panel shows it.
 *               Internal like ap_password: never in a file, logged only
 *               when no panel can show it, the same in every snapshot.
 *   seq         strictly increasing for the life of the state directory,
 *               across restarts: each snapshot is saved before it is
 *               published, and a start continues after the saved value.
 *               A subscriber may drop any snapshot whose seq is not above
 *               the newest it holds, as long as the process lives; a
 *               client that outlives a restart (a browser) should take
 *               the snapshot it gets on reconnecting as it is, because a
 *               value repeats when state.json was lost, damaged or could
 *               not be saved (each of which is logged).
 *   time_ms     wall-clock milliseconds of the change.
 *
 * Persistence: STATE_DIR/state.json mirrors the last snapshot minus live
 * facts and secrets (seq, time, ssid, error, session id, tunnel url and
 * provider) plus the last network joined (last_ssid_hex), and is written
 * atomically and durably after each change (actors/state_store.h). On
 * start, ssid, error and session id come back from it, so the page can
 * still explain the last failure and shows the network the device
 * expects to rejoin; tunnel, mDNS and address are live facts and wait for
 * their actors. A missing or damaged file is reported and replaced by
 * defaults; a symlink in its place is refused, and state is then kept in
 * memory only. The daemon always starts.
 *
 * Restarts of this actor by the supervisor resume the last snapshot, AP
 * password and access code included, from what each change hands the
 * runtime to keep (actor_keep), so the network actor sees no change,
 * phones stay on the AP and the code on the panel stays valid (starting
 * over in DISCONNECTED with a new password would make the network actor
 * re-raise the AP and leave the two actors disagreeing on the state). A
 * new process starts from the files, with a new access code.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "actors/ap_password.h"
#include "actors/identity.h"
#include "actors/state.h"
#include "actors/state_store.h"
#include "actors/state_table.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"

#define SSID_LOG_MAX (MSG_SSID_MAX * 4 + 1)

/* Refusals and failed saves: the first few are logged, then every Nth. */
#define LOG_FIRST 10
#define LOG_EVERY 100

/*
 * The access code: ACCESS_CODE_DIGITS decimal digits. A 32-bit draw at or
 * above ACCESS_CODE_LIMIT, the largest multiple of ACCESS_CODE_SPACE that
 * fits, is drawn again, so the remainder has no modulo bias.
 */
#define ACCESS_CODE_DIGITS 6
#define ACCESS_CODE_SPACE UINT32_C(1000000)
#define ACCESS_CODE_LIMIT \
	((UINT64_C(1) << 32) / ACCESS_CODE_SPACE * ACCESS_CODE_SPACE)
#define ACCESS_CODE_SIZE sizeof(((struct msg_state_snapshot *)0)->access_code)
_Static_assert(ACCESS_CODE_SIZE > ACCESS_CODE_DIGITS, "room for the NUL");

struct state {
	struct actor *self;
	const struct config *cfg;
	struct msg_state_snapshot snap; /* the last one published */
	struct ap_password password;
	struct msg_ssid last_ssid; /* last network joined */
	struct identity identity;
	int expiry_timer;	     /* 0 when none */
	unsigned long save_failures; /* in a row */
	bool show_password;	     /* no panel: only the log shows it */

	/* the remote access code; "" when none could be drawn */
	char access_code[ACCESS_CODE_SIZE];
};

/* What a restarted actor resumes from: kept by the runtime (actor_keep). */
struct state_carry {
	struct msg_state_snapshot snap;
	struct ap_password password;
	struct msg_ssid last_ssid;
	char access_code[ACCESS_CODE_SIZE];
};

static atomic_uint_fast64_t refused_total;

uint64_t state_refused_count(void)
{
	return atomic_load(&refused_total);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *state_name(enum wifi_state s)
{
	const char *name = wifi_state_name(s);

	return name ? name : "(invalid)";
}

static const char *ssid_text(char out[SSID_LOG_MAX],
			     const struct msg_ssid *ssid)
{
	return log_escape(out, SSID_LOG_MAX, ssid->bytes, ssid->len);
}

static bool ssid_equal(const struct msg_ssid *a, const struct msg_ssid *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static bool ssid_printable(const struct msg_ssid *ssid)
{
	for (size_t i = 0; i < ssid->len; i++) {
		if (ssid->bytes[i] < 0x20 || ssid->bytes[i] > 0x7e)
			return false;
	}

	return ssid->len > 0;
}

/* ---- carry-over across restarts of this actor ------------------------ */

static void carry_free(void *data)
{
	struct state_carry *carry = data;

	ap_password_clear(&carry->password);
	explicit_bzero(carry, sizeof(*carry));
	free(carry);
}

static bool carry_take(struct state *st)
{
	struct state_carry *carry = actor_take_kept(st->self);

	if (!carry)
		return false;

	st->snap = carry->snap;
	st->password = carry->password;
	st->last_ssid = carry->last_ssid;
	memcpy(st->access_code, carry->access_code, sizeof(st->access_code));
	carry_free(carry);
	return true;
}

/* Hands the runtime what a restart of this actor must resume from. */
static void carry_keep(const struct state *st)
{
	struct state_carry *carry = malloc(sizeof(*carry));

	if (!carry) {
		log_warning("Failed to keep the state for a restart: %s",
			    strerror(ENOMEM));
		return;
	}

	carry->snap = st->snap;
	carry->password = st->password;
	carry->last_ssid = st->last_ssid;
	memcpy(carry->access_code, st->access_code, sizeof(carry->access_code));
	actor_keep(st->self, carry, carry_free);
}

/* ---- the access code ------------------------------------------------- */

/* Draws a code into @out; returns 0, or -errno with @out left "". */
static int access_code_draw(char out[ACCESS_CODE_SIZE])
{
	uint32_t raw = 0;
	ssize_t n;

	out[0] = '\0';
	do {
		n = getrandom(&raw, sizeof(raw), 0);
		if (n < 0 && errno != EINTR)
			return -errno;
	} while (n != (ssize_t)sizeof(raw) || raw >= ACCESS_CODE_LIMIT);

	snprintf(out, ACCESS_CODE_SIZE, "%0*" PRIu32, ACCESS_CODE_DIGITS,
		 raw % ACCESS_CODE_SPACE);
	explicit_bzero(&raw, sizeof(raw));
	return 0;
}

/*
 * Draws the process's code unless a restart brought one along. Without a
 * code, the web actor refuses every remote connect and disconnect.
 */
static void access_code_init(struct state *st)
{
	int r;

	if (st->access_code[0])
		return;

	r = access_code_draw(st->access_code);
	if (r < 0) {
		log_err("Failed to draw the remote access code: %s, remote "
			"changes are refused",
			strerror(-r));
		return;
	}

	/* No panel: the log is the only place a person can read it. */
	if (st->show_password)
		log_info("Remote access code %s", st->access_code);
}

/* ---- saving and publishing ------------------------------------------- */

static void save(struct state *st)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	int ret;

	state_record_defaults(&r);
	r.seq = st->snap.seq;
	r.time_ms = st->snap.time_ms;
	r.ssid = st->snap.ssid;
	r.last_ssid = st->last_ssid;
	msg_strlcpy(r.error, sizeof(r.error), st->snap.error);
	msg_strlcpy(r.session_id, sizeof(r.session_id), st->snap.session_id);
	msg_strlcpy(r.tunnel_url, sizeof(r.tunnel_url), st->snap.tunnel_url);
	msg_strlcpy(r.tunnel_provider, sizeof(r.tunnel_provider),
		    st->snap.tunnel_provider);

	ret = state_store_save(st->cfg->state_dir, &r, err);
	if (ret == 0) {
		if (st->save_failures)
			log_info("Saved state again after %lu failures",
				 st->save_failures);
		st->save_failures = 0;
		return;
	}

	st->save_failures++;
	if (st->save_failures <= LOG_FIRST ||
	    st->save_failures % LOG_EVERY == 0)
		log_err("Failed to save state (%lu in a row): %s, keeping it "
			"in memory",
			st->save_failures, err);
}

static void expiry_cb(struct actor *self, void *user_data);

static void schedule_expiry(struct state *st)
{
	uint64_t deadline = ap_password_deadline(&st->password);
	uint64_t now = actor_now_ms();
	uint64_t delay = deadline > now ? deadline - now : 0;
	int id;

	if (st->expiry_timer)
		actor_timer_cancel(st->self, st->expiry_timer);
	st->expiry_timer = 0;

	if (deadline == UINT64_MAX)
		return;

	if (delay > UINT_MAX)
		delay = UINT_MAX;

	id = actor_timer_add(st->self, (unsigned int)delay, 0, expiry_cb, st,
			     NULL);
	if (id < 0) {
		log_err("Failed to schedule the AP password's expiry: %s",
			strerror(-id));
		return;
	}

	st->expiry_timer = id;
}

static void log_password(const struct state *st)
{
	if (!st->show_password) {
		log_info("Setup access point \"%s\" has a new password, shown "
			 "on the panel",
			 st->snap.ap_ssid);
		return;
	}

	/* No panel: the log is the only place a person can read it. */
	log_info("Setup access point \"%s\", password %s", st->snap.ap_ssid,
		 st->snap.ap_password);
}

/*
 * Makes @next the current snapshot: next seq, time of now, the current
 * AP password and the access code; saves it, then publishes it.
 */
static void commit(struct state *st, struct msg_state_snapshot *next)
{
	bool new_password = strcmp(next->ap_password, st->password.value) != 0;
	struct msg m = { .type = MSG_STATE_SNAPSHOT };
	int r;

	msg_strlcpy(next->ap_password, sizeof(next->ap_password),
		    st->password.value);
	memcpy(next->access_code, st->access_code, sizeof(next->access_code));
	next->seq = st->snap.seq + 1;
	next->time_ms = wall_ms();
	st->snap = *next;
	explicit_bzero(next, sizeof(*next));

	save(st);
	carry_keep(st);
	schedule_expiry(st);
	if (new_password)
		log_password(st);

	m.body.snapshot = st->snap;
	r = actor_publish(st->self, &m);
	explicit_bzero(&m, sizeof(m));
	if (r < 0)
		log_warning("Failed to publish snapshot %" PRIu64 ": %s",
			    st->snap.seq, strerror(-r));
}

static void expiry_cb(struct actor *self, void *user_data)
{
	struct state *st = user_data;
	struct msg_state_snapshot next;
	int r;

	(void)self;
	st->expiry_timer = 0;
	r = ap_password_expire(&st->password, actor_now_ms());
	if (r < 0) {
		log_err("Failed to draw a new AP password: %s, keeping the "
			"old one",
			strerror(-r));
		schedule_expiry(st);
		return;
	}

	if (r == 0) {
		schedule_expiry(st);
		return;
	}

	log_info("The AP password expired unused, drew a new one");
	next = st->snap;
	commit(st, &next);
	explicit_bzero(&next, sizeof(next));
}

/* ---- the rules -------------------------------------------------------- */

static void failure_text(char out[MSG_TEXT_MAX], const struct msg_ssid *ssid)
{
	if (ssid_printable(ssid))
		snprintf(out, MSG_TEXT_MAX, "Could not join \"%.*s\"",
			 (int)ssid->len, (const char *)ssid->bytes);
	else
		snprintf(out, MSG_TEXT_MAX, "Could not join the network");
}

/* Fills @next from the current snapshot and the event, as state.c says. */
static void apply_net_event(const struct state *st,
			    const struct msg_net_event *ev,
			    struct msg_state_snapshot *next)
{
	const struct msg_state_snapshot *cur = &st->snap;
	bool same_join = false;

	*next = *cur;
	next->state = ev->state;
	next->ip_address[0] = '\0';

	switch (ev->state) {
	case WIFI_STATE_SWITCHING:
	case WIFI_STATE_CONNECTING:
	case WIFI_STATE_CONNECTED:
		next->ssid = ev->ssid;
		next->error[0] = '\0';
		same_join = (cur->state == WIFI_STATE_SWITCHING ||
			     cur->state == WIFI_STATE_CONNECTING ||
			     cur->state == WIFI_STATE_CONNECTED) &&
			    ssid_equal(&cur->ssid, &ev->ssid);
		break;
	case WIFI_STATE_FAILED:
		next->ssid = ev->ssid;
		if (ev->reason[0])
			msg_strlcpy(next->error, sizeof(next->error),
				    ev->reason);
		else
			failure_text(next->error, &ev->ssid);
		same_join = ssid_equal(&cur->ssid, &ev->ssid);
		break;
	case WIFI_STATE_AP_MODE:
		if (ev->reason[0])
			msg_strlcpy(next->error, sizeof(next->error),
				    ev->reason);
		if (!next->error[0])
			memset(&next->ssid, 0, sizeof(next->ssid));
		same_join = next->error[0] != '\0';
		break;
	case WIFI_STATE_DISCONNECTED:
		next->ssid = ev->ssid;
		msg_strlcpy(next->error, sizeof(next->error), ev->reason);
		break;
	}

	if (ev->state == WIFI_STATE_CONNECTED ||
	    ev->state == WIFI_STATE_AP_MODE)
		msg_strlcpy(next->ip_address, sizeof(next->ip_address),
			    ev->ip_address);

	if (ev->session_id[0])
		msg_strlcpy(next->session_id, sizeof(next->session_id),
			    ev->session_id);
	else if (!same_join)
		next->session_id[0] = '\0';
}

static void refuse(enum wifi_state from, enum wifi_state to,
		   const struct msg *m)
{
	uint64_t n = atomic_fetch_add(&refused_total, 1) + 1;

	if (n <= LOG_FIRST || n % LOG_EVERY == 0)
		log_warning("Refused transition %s -> %s from %s (%" PRIu64
			    " refused so far), ignoring",
			    state_name(from), state_name(to), m->sender, n);
}

static void log_transition(const struct msg_state_snapshot *prev,
			   const struct msg_state_snapshot *next)
{
	char ssid[SSID_LOG_MAX + 3] = "";
	char text[SSID_LOG_MAX];

	if (next->ssid.len)
		snprintf(ssid, sizeof(ssid), " \"%s\"",
			 ssid_text(text, &next->ssid));

	if (next->error[0] && strcmp(next->error, prev->error))
		log_info("%s -> %s%s: %s", state_name(prev->state),
			 state_name(next->state), ssid, next->error);
	else if (next->ip_address[0])
		log_info("%s -> %s%s at %s", state_name(prev->state),
			 state_name(next->state), ssid, next->ip_address);
	else
		log_info("%s -> %s%s", state_name(prev->state),
			 state_name(next->state), ssid);
}

static void handle_net_event(struct state *st, const struct msg *m)
{
	const struct msg_net_event *ev = &m->body.net_event;
	enum wifi_state from = st->snap.state;
	struct msg_state_snapshot next;
	int r;

	if (!state_table_allows(from, ev->state)) {
		refuse(from, ev->state, m);
		return;
	}

	apply_net_event(st, ev, &next);
	if (ev->state == WIFI_STATE_CONNECTED)
		st->last_ssid = ev->ssid;

	r = ap_password_on_state(&st->password, from, ev->state,
				 actor_now_ms());
	if (r < 0)
		log_err("Failed to draw a new AP password: %s, keeping the "
			"old one",
			strerror(-r));

	log_transition(&st->snap, &next);
	commit(st, &next);
}

static void handle_tunnel_event(struct state *st, const struct msg *m)
{
	const struct msg_tunnel_event *ev = &m->body.tunnel_event;
	struct msg_state_snapshot next = st->snap;

	if (ev->up) {
		msg_strlcpy(next.tunnel_url, sizeof(next.tunnel_url), ev->url);
		msg_strlcpy(next.tunnel_provider, sizeof(next.tunnel_provider),
			    ev->provider);
	} else {
		next.tunnel_url[0] = '\0';
		next.tunnel_provider[0] = '\0';
	}

	if (!strcmp(next.tunnel_url, st->snap.tunnel_url) &&
	    !strcmp(next.tunnel_provider, st->snap.tunnel_provider))
		return;

	if (ev->up)
		log_info("Tunnel up through %s: %s", ev->provider, ev->url);
	else
		log_info("Tunnel down%s%s", ev->reason[0] ? ": " : "",
			 ev->reason);

	commit(st, &next);
}

static void handle_mdns_event(struct state *st, const struct msg *m)
{
	const struct msg_mdns_event *ev = &m->body.mdns_event;
	struct msg_state_snapshot next = st->snap;

	if (ev->available == st->snap.mdns_available)
		return;

	next.mdns_available = ev->available;
	log_info("mDNS %s", ev->available ? "available" : "unavailable");
	commit(st, &next);
}

static void handle_state_get(struct state *st, const struct msg *m)
{
	struct msg answer = { .type = MSG_STATE_SNAPSHOT };
	int r;

	answer.body.snapshot = st->snap;
	r = actor_reply(st->self, m, &answer);
	explicit_bzero(&answer, sizeof(answer));
	if (r < 0)
		log_warning("Failed to answer %s with a snapshot: %s",
			    m->sender[0] ? m->sender : "(anonymous)",
			    strerror(-r));
}

static int state_handle(struct actor *self, void *state, const struct msg *m)
{
	struct state *st = state;

	(void)self;
	switch (m->type) {
	case MSG_NET_EVENT:
		handle_net_event(st, m);
		break;
	case MSG_TUNNEL_EVENT:
		handle_tunnel_event(st, m);
		break;
	case MSG_MDNS_EVENT:
		handle_mdns_event(st, m);
		break;
	case MSG_STATE_GET:
		handle_state_get(st, m);
		break;
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
	case MSG_ACTOR_EXITED:
	case MSG_REPLY:
	case MSG_STATE_SNAPSHOT:
	case MSG_SCAN_REQUEST:
	case MSG_SCAN_RESULT:
	case MSG_CONNECT_REQUEST:
	case MSG_DISCONNECT_REQUEST:
		log_debug("Ignoring %s from %s", msg_type_name(m->type),
			  m->sender);
		break;
	}

	return 0;
}

/* ---- start and stop ---------------------------------------------------- */

static void load_identity(struct state *st)
{
	struct identity_report rep;
	struct identity *id = &st->identity;

	identity_load(id, st->cfg, NULL, &rep);
	if (rep.load_err)
		log_warning("Failed to read the device identity: %s, deciding "
			    "it again",
			    rep.load);
	if (rep.decided)
		log_info("Device id %s, from %s%s%s", id->device_id,
			 identity_source_name(id->source),
			 id->interface[0] ? " of " : "", id->interface);
	if (rep.save_err)
		log_err("Failed to save the device identity: %s", rep.save);
	if (rep.serial_err == -ENOENT)
		log_info("No device serial: %s", rep.serial);
	else if (rep.serial_err)
		log_warning("Failed to read the device serial: %s, ignoring",
			    rep.serial);
}

/* The first snapshot of a new process: identity plus what was saved. */
static void load_saved(struct state *st)
{
	char err[STATE_STORE_ERROR_MAX];
	struct msg_state_snapshot *s = &st->snap;
	struct state_record r;
	int ret;

	ret = state_store_load(st->cfg->state_dir, &r, err);
	if (ret == -ENOENT)
		log_info("No saved state yet: %s", err);
	else if (ret < 0)
		log_warning("Failed to read the saved state: %s, starting from "
			    "defaults",
			    err);

	memset(s, 0, sizeof(*s));
	s->state = STATE_TABLE_INITIAL;
	s->seq = r.seq;
	s->ssid = r.ssid;
	msg_strlcpy(s->error, sizeof(s->error), r.error);
	msg_strlcpy(s->session_id, sizeof(s->session_id), r.session_id);
	st->last_ssid = r.last_ssid;
}

static int state_init(struct actor *self, void **state)
{
	struct state *st = calloc(1, sizeof(*st));
	struct msg_state_snapshot next;
	bool resumed;
	int r;

	if (!st)
		return -ENOMEM;

	st->self = self;
	st->cfg = actor_config(self);
	st->show_password = st->cfg->no_hardware || !st->cfg->display_enabled;
	load_identity(st);

	resumed = carry_take(st);
	access_code_init(st);
	if (!resumed) {
		load_saved(st);
		r = ap_password_init(&st->password, st->cfg->ap_password,
				     st->cfg->ap_password_ttl_s,
				     actor_now_ms());
		if (r < 0)
			log_err("Failed to draw an AP password: %s, trying "
				"again at the next change",
				strerror(-r));
	} else {
		log_info("Resuming in %s after a restart, seq %" PRIu64,
			 state_name(st->snap.state), st->snap.seq);
	}

	next = st->snap;
	msg_strlcpy(next.device_id, sizeof(next.device_id),
		    st->identity.device_id);
	msg_strlcpy(next.ap_ssid, sizeof(next.ap_ssid), st->identity.ap_ssid);
	if (!resumed)
		next.ap_password[0] = '\0'; /* logs the new password */

	*state = st;
	commit(st, &next);
	return 0;
}

static void state_fini(struct actor *self, void *state)
{
	struct state *st = state;

	(void)self;
	if (!st)
		return;

	carry_keep(st);
	ap_password_clear(&st->password);
	explicit_bzero(st, sizeof(*st));
	free(st);
}

const struct actor_def state_actor_def = {
	.name = "state",
	.init = state_init,
	.handle = state_handle,
	.fini = state_fini,
	.run = NULL,
	.subscribe_state = false,
	.supervised = true,
};
