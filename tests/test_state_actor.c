/* SPDX-License-Identifier: MIT */
/*
 * The state actor in a real runtime over inproc, with a probe actor that
 * subscribes to snapshots and asks for them with MSG_STATE_GET. Events go
 * in as they would from the network, tunnel and avahi actors; what comes
 * out is checked: every legal transition applied and every illegal one
 * refused and counted, strictly increasing sequence numbers, the fields
 * of a failed and of a successful join, the AP password's lifecycle, the
 * remote access code, the files in the state directory, and a restart of
 * the actor.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "actors/ap_password.h"
#include "actors/state.h"
#include "actors/state_store.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"

#define DEADLINE_MS 10000
#define SEEN_MAX 1024

#define AP WIFI_STATE_AP_MODE
#define SW WIFI_STATE_SWITCHING
#define CI WIFI_STATE_CONNECTING
#define CD WIFI_STATE_CONNECTED
#define FA WIFI_STATE_FAILED
#define DI WIFI_STATE_DISCONNECTED

/* ---- the probe: collects snapshots for the test thread --------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct msg_state_snapshot seen[SEEN_MAX]; /* published */
static size_t n_seen;
static bool order_broken;
static struct msg_state_snapshot answer; /* to MSG_STATE_GET */
static uint64_t answer_id;

/* The test asks the probe to send MSG_STATE_GET with this id (MSG_REPLY). */
static int probe_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)state;
	if (m->type == MSG_REPLY) {
		struct msg get = { .type = MSG_STATE_GET };

		get.correlation_id = m->correlation_id;
		cr_assert_eq(actor_send(self, "state", &get), 0);
		return 0;
	}

	if (m->type != MSG_STATE_SNAPSHOT)
		return 0;

	pthread_mutex_lock(&lock);
	if (m->correlation_id) {
		answer = m->body.snapshot;
		answer_id = m->correlation_id;
	} else {
		if (n_seen && m->body.snapshot.seq <= seen[n_seen - 1].seq)
			order_broken = true;
		if (n_seen < SEEN_MAX)
			seen[n_seen++] = m->body.snapshot;
	}
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return 0;
}

static const struct actor_def probe_def = {
	.name = "probe",
	.handle = probe_handle,
	.subscribe_state = true,
};

/* ---- fixture ---------------------------------------------------------- */

static char dir[64];
static struct config cfg;
static struct runtime *rt;
static struct msg_state_snapshot cur; /* the newest the test knows */

static int remove_cb(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	strcpy(dir, "/tmp/distiller-state-actor-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	config_defaults(&cfg);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
	snprintf(cfg.device_env_path, sizeof(cfg.device_env_path),
		 "%s/device.env", dir);
	cfg.no_hardware = true;
}

static void teardown(void)
{
	if (rt)
		runtime_free(rt);
	rt = NULL;
	nftw(dir, remove_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static struct timespec deadline_ts(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DEADLINE_MS / 1000;
	return ts;
}

/* The current snapshot, asked for with MSG_STATE_GET. */
static struct msg_state_snapshot get_snapshot(void)
{
	static uint64_t next_id = 1000;
	struct msg ask = { .type = MSG_REPLY };
	struct timespec ts = deadline_ts();
	struct msg_state_snapshot s;
	uint64_t id = ++next_id;
	int r = 0;

	ask.correlation_id = id;
	cr_assert_eq(runtime_send(rt, "probe", &ask), 0);

	pthread_mutex_lock(&lock);
	while (answer_id != id && r == 0)
		r = pthread_cond_timedwait(&changed, &lock, &ts);
	s = answer;
	pthread_mutex_unlock(&lock);

	cr_assert_eq(r, 0, "no answer to MSG_STATE_GET in time");
	return s;
}

/* Waits for a published snapshot with a seq of at least @seq. */
static struct msg_state_snapshot wait_published(uint64_t seq)
{
	struct timespec ts = deadline_ts();
	struct msg_state_snapshot s;
	int r = 0;

	pthread_mutex_lock(&lock);
	while ((n_seen == 0 || seen[n_seen - 1].seq < seq) && r == 0)
		r = pthread_cond_timedwait(&changed, &lock, &ts);
	s = n_seen ? seen[n_seen - 1] : (struct msg_state_snapshot){ 0 };
	pthread_mutex_unlock(&lock);

	cr_assert_eq(r, 0, "no snapshot with seq %lu in time",
		     (unsigned long)seq);
	return s;
}

static void start(void)
{
	static const struct actor_def *defs[] = { &probe_def,
						  &state_actor_def };

	rt = runtime_new(defs, 2, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	cr_assert_eq(runtime_actor_start(rt, 1), 0);
	cur = get_snapshot();
}

static void send_event(enum wifi_state state, const char *ssid, const char *ip,
		       const char *reason, const char *session)
{
	struct msg m = { .type = MSG_NET_EVENT };
	struct msg_net_event *ev = &m.body.net_event;

	ev->state = state;
	cr_assert_eq(msg_ssid_set(&ev->ssid, ssid, strlen(ssid)), 0);
	msg_strlcpy(ev->ip_address, sizeof(ev->ip_address), ip);
	msg_strlcpy(ev->reason, sizeof(ev->reason), reason);
	msg_strlcpy(ev->session_id, sizeof(ev->session_id), session);
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
}

/* Sends a legal event and returns the snapshot it caused. */
static struct msg_state_snapshot step(enum wifi_state state, const char *ssid,
				      const char *ip, const char *reason,
				      const char *session)
{
	uint64_t before = cur.seq;

	send_event(state, ssid, ip, reason, session);
	cur = wait_published(before + 1);
	cr_assert_eq(cur.seq, before + 1);
	cr_assert_eq(cur.state, state, "%s -> %s not applied",
		     wifi_state_name(cur.state), wifi_state_name(state));
	return cur;
}

static void go(enum wifi_state state)
{
	step(state, state == AP ? "" : "HomeNet", state == CD ? "10.0.0.7" : "",
	     state == FA ? "Timed out" : "", "");
}

static bool ssid_is(const struct msg_state_snapshot *s, const char *text)
{
	return s->ssid.len == strlen(text) &&
	       memcmp(s->ssid.bytes, text, s->ssid.len) == 0;
}

TestSuite(state_actor, .init = setup, .fini = teardown);

/* ---- tests -------------------------------------------------------------- */

Test(state_actor, first_snapshot_carries_identity_and_password)
{
	char upper[8];

	start();
	cr_expect_eq(cur.state, DI);
	cr_expect_geq(cur.seq, 1);
	cr_expect_eq(strlen(cur.device_id), 4);
	cr_expect_eq(strspn(cur.device_id, "0123456789abcdef"), 4);
	for (int i = 0; i < 5; i++)
		upper[i] = (char)(cur.device_id[i] >= 'a' ?
					  cur.device_id[i] - 32 :
					  cur.device_id[i]);
	cr_expect_eq(strncmp(cur.ap_ssid, "Distiller-", 10), 0, "%s",
		     cur.ap_ssid);
	cr_expect_str_eq(cur.ap_ssid + 10, upper);
	cr_expect_eq(strlen(cur.ap_password), AP_PASSWORD_LEN);
	cr_expect_eq(cur.time_ms / 1000, (uint64_t)time(NULL),
		     "time_ms is not the wall clock");
}

static bool is_access_code(const char *code)
{
	return strlen(code) == 6 && strspn(code, "0123456789") == 6;
}

Test(state_actor, access_code_is_the_same_six_digits_in_every_snapshot)
{
	struct msg m = { .type = MSG_TUNNEL_EVENT };
	char code[8];
	size_t i;

	start();
	cr_assert(is_access_code(cur.access_code), "'%s'", cur.access_code);
	strcpy(code, cur.access_code);

	go(AP);
	go(SW);
	go(CI);
	go(FA);
	go(AP);
	go(CD);
	m.body.tunnel_event.up = true;
	strcpy(m.body.tunnel_event.provider, "frp");
	strcpy(m.body.tunnel_event.url, "https://d-0042.devices.pamir.ai");
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
	cur = wait_published(cur.seq + 1);

	pthread_mutex_lock(&lock);
	cr_expect_geq(n_seen, 8);
	for (i = 0; i < n_seen; i++)
		cr_expect_str_eq(seen[i].access_code, code, "snapshot %lu",
				 (unsigned long)seen[i].seq);
	pthread_mutex_unlock(&lock);
	cr_expect_str_eq(get_snapshot().access_code, code, "MSG_STATE_GET");
}

/* The shared table, written out again: these must all be applied. */
static const enum wifi_state legal[][2] = {
	{ DI, AP }, { DI, CI }, { DI, CD }, { DI, SW }, { DI, FA }, { AP, SW },
	{ AP, CI }, { AP, CD }, { AP, FA }, { SW, CI }, { SW, FA }, { SW, AP },
	{ CI, CD }, { CI, FA }, { CI, AP }, { CI, DI }, { CD, DI }, { CD, SW },
	{ CD, CD }, { CD, AP }, { FA, AP }, { FA, SW }, { FA, CI }, { FA, DI },
};

#define N_LEGAL (sizeof(legal) / sizeof(legal[0]))

static bool is_legal(enum wifi_state from, enum wifi_state to)
{
	for (size_t i = 0; i < N_LEGAL; i++) {
		if (legal[i][0] == from && legal[i][1] == to)
			return true;
	}

	return false;
}

/* Walks the legal graph from the current state to @target. */
static void reach(enum wifi_state target)
{
	enum wifi_state prev[WIFI_STATE_COUNT];
	enum wifi_state queue[WIFI_STATE_COUNT], path[WIFI_STATE_COUNT];
	bool visited[WIFI_STATE_COUNT] = { false };
	size_t head = 0, tail = 0, len = 0;

	if (cur.state == target)
		return;

	visited[cur.state] = true;
	queue[tail++] = cur.state;
	while (head < tail && !visited[target]) {
		enum wifi_state s = queue[head++];

		for (int t = 0; t < WIFI_STATE_COUNT; t++) {
			if (visited[t] || !is_legal(s, t))
				continue;
			visited[t] = true;
			prev[t] = s;
			queue[tail++] = t;
		}
	}

	cr_assert(visited[target]);
	for (enum wifi_state s = target; s != cur.state; s = prev[s])
		path[len++] = s;
	while (len > 0)
		go(path[--len]);
}

Test(state_actor, applies_every_legal_transition)
{
	start();
	for (size_t i = 0; i < N_LEGAL; i++) {
		reach(legal[i][0]);
		go(legal[i][1]);
	}

	cr_expect_eq(state_refused_count(), 0);
}

Test(state_actor, refuses_and_counts_every_illegal_transition)
{
	uint64_t refused = 0;

	start();
	for (int f = 0; f < WIFI_STATE_COUNT; f++) {
		for (int t = 0; t < WIFI_STATE_COUNT; t++) {
			struct msg_state_snapshot after;

			if (is_legal(f, t))
				continue;

			reach(f);
			send_event(t, "Intruder", "", "", "");
			/* The answer comes after the event is handled. */
			after = get_snapshot();
			refused++;

			cr_expect_eq(state_refused_count(), refused,
				     "%d -> %d not counted", f, t);
			cr_expect_eq(after.seq, cur.seq, "%d -> %d published",
				     f, t);
			cr_expect_eq(after.state, f, "%d -> %d applied", f, t);
			cr_expect_not(ssid_is(&after, "Intruder"));
		}
	}

	cr_expect_eq(refused, 12);
}

Test(state_actor, published_sequence_numbers_strictly_increase)
{
	enum {
		BURST = 300
	};
	char ip[32];
	size_t count;
	uint64_t first;

	start();
	go(CD);
	first = cur.seq;

	/* A burst of address changes, sent faster than they are saved. */
	for (int i = 0; i < BURST; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 200, i % 200 + 1);
		send_event(CD, "HomeNet", ip, "", "");
	}

	cur = wait_published(first + BURST);
	cr_expect_eq(cur.seq, first + BURST);
	cr_expect_str_eq(cur.ip_address, "10.0.1.100");

	pthread_mutex_lock(&lock);
	count = 0;
	cr_expect_not(order_broken, "a published seq went backwards");
	for (size_t i = 1; i < n_seen; i++) {
		cr_expect_gt(seen[i].seq, seen[i - 1].seq);
		count += seen[i].seq > first;
	}
	pthread_mutex_unlock(&lock);
	cr_log_info("%zu of %d snapshots reached the subscriber", count, BURST);
}

Test(state_actor, failed_join_keeps_reason_ssid_session_and_password)
{
	static const char sid[] = "6f1c2f0e-8f3a-4c59-9e57-2b8c1a0d9e11";
	char password[MSG_PASSWORD_MAX + 1];
	struct msg_state_snapshot s;

	start();
	strcpy(password, cur.ap_password);

	s = step(AP, "", "192.168.4.1", "", "");
	cr_expect_eq(s.ssid.len, 0);
	cr_expect_str_eq(s.ip_address, "192.168.4.1");

	s = step(SW, "Cafe", "", "", sid);
	cr_expect(ssid_is(&s, "Cafe"));
	cr_expect_str_eq(s.session_id, sid);

	s = step(CI, "Cafe", "", "", "");
	cr_expect_str_eq(s.session_id, sid, "session lost while joining");

	s = step(FA, "Cafe", "", "Wrong password for \"Cafe\"", "");
	cr_expect_str_eq(s.error, "Wrong password for \"Cafe\"");
	cr_expect_str_eq(s.session_id, sid);

	/* Back in AP mode: the page still explains what happened. */
	s = step(AP, "Distiller-XXXX", "192.168.4.1", "", "");
	cr_expect_str_eq(s.error, "Wrong password for \"Cafe\"");
	cr_expect(ssid_is(&s, "Cafe"));
	cr_expect_str_eq(s.session_id, sid);
	cr_expect_str_eq(s.ap_password, password,
			 "a failed join changed the AP password");

	/* The next join clears the error. */
	s = step(SW, "HomeNet", "", "", "");
	cr_expect_str_eq(s.error, "");
	cr_expect_str_eq(s.session_id, "");
	cr_expect_str_eq(s.ap_password, password);
}

Test(state_actor, failure_without_reason_gets_one)
{
	struct msg_state_snapshot s;

	start();
	step(SW, "Cafe", "", "", "");
	s = step(FA, "Cafe", "", "", "");
	cr_expect_str_eq(s.error, "Could not join \"Cafe\"");
}

Test(state_actor, successful_join_replaces_password_and_is_saved)
{
	char err[STATE_STORE_ERROR_MAX];
	char password[MSG_PASSWORD_MAX + 1];
	struct msg_state_snapshot s;
	struct state_record r;

	start();
	strcpy(password, cur.ap_password);
	step(AP, "", "", "", "");
	step(SW, "HomeNet", "", "", "s1");
	step(CI, "HomeNet", "", "", "");
	s = step(CD, "HomeNet", "10.0.0.7", "", "");
	cr_expect_str_eq(s.ip_address, "10.0.0.7");
	cr_expect_str_eq(s.session_id, "s1");
	cr_expect_str_eq(s.error, "");
	cr_expect_str_neq(s.ap_password, password);
	cr_expect_eq(strlen(s.ap_password), AP_PASSWORD_LEN);

	/* Saved before it was published. */
	cr_assert_eq(state_store_load(dir, &r, err), 0, "%s", err);
	cr_expect_eq(r.seq, s.seq);
	cr_expect_eq(r.last_ssid.len, 7);
	cr_expect_eq(memcmp(r.last_ssid.bytes, "HomeNet", 7), 0);
	cr_expect_eq(r.ssid.len, 7);
	cr_expect_str_eq(r.session_id, "s1");
}

static bool file_has(const char *path, const char *needle)
{
	static char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;

	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The secrets of the snapshot, as they would appear in a JSON file. */
static int secret_in_file_cb(const char *path, const struct stat *st, int flag,
			     struct FTW *ftw)
{
	char quoted[16];

	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;

	snprintf(quoted, sizeof(quoted), "\"%s\"", cur.access_code);
	cr_expect_not(file_has(path, cur.ap_password), "password in %s", path);
	cr_expect_not(file_has(path, quoted), "access code in %s", path);
	cr_expect_not(file_has(path, "access_code"), "access code in %s", path);
	return 0;
}

Test(state_actor, password_and_access_code_never_reach_the_files)
{
	char path[128];

	start();
	step(AP, "", "", "", "");
	go(SW);
	go(CI);
	go(CD);
	cr_assert(is_access_code(cur.access_code));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	cr_expect(file_has(path, "\"seq\""));
	snprintf(path, sizeof(path), "%s/device_config.json", dir);
	cr_expect(file_has(path, cur.device_id));
	cr_expect_eq(nftw(dir, secret_in_file_cb, 8, FTW_PHYS), 0);
}

/*
 * Runs the actor with stderr in a file; returns whether the AP password
 * was logged, and says in @code_logged whether the access code was.
 */
static bool logged_secrets(bool no_hardware, bool display, bool *code_logged)
{
	char log_path[128], password[MSG_PASSWORD_MAX + 1], code[8];
	int saved, fd;

	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);

	cfg.no_hardware = no_hardware;
	cfg.display_enabled = display;
	start();
	step(AP, "", "", "", "");
	strcpy(password, cur.ap_password);
	strcpy(code, cur.access_code);
	runtime_free(rt);
	rt = NULL;

	dup2(saved, 2);
	close(saved);
	cr_assert(is_access_code(code));
	*code_logged = file_has(log_path, code);
	return file_has(log_path, password);
}

Test(state_actor, password_logged_only_without_a_panel)
{
	bool code;

	cr_expect(logged_secrets(true, true, &code),
		  "--no-hardware: not logged");
	cr_expect(code, "--no-hardware: access code not logged");
}

Test(state_actor, password_not_logged_with_a_panel)
{
	bool code;

	cr_expect_not(logged_secrets(false, true, &code),
		      "logged with a panel");
	cr_expect_not(code, "access code logged with a panel");
}

Test(state_actor, password_logged_with_the_display_disabled)
{
	bool code;

	cr_expect(logged_secrets(false, false, &code),
		  "no display: not logged");
	cr_expect(code, "no display: access code not logged");
}

Test(state_actor, pinned_password_is_used)
{
	strcpy(cfg.ap_password, "pinned-setup-pw");
	start();
	cr_expect_str_eq(cur.ap_password, "pinned-setup-pw");
	go(CD);
	cr_expect_str_eq(cur.ap_password, "pinned-setup-pw");
}

Test(state_actor, tunnel_and_mdns_events_update_the_snapshot)
{
	struct msg m = { .type = MSG_TUNNEL_EVENT };
	struct msg_state_snapshot s;
	uint64_t before;

	start();
	m.body.tunnel_event.up = true;
	strcpy(m.body.tunnel_event.provider, "frp");
	strcpy(m.body.tunnel_event.url, "https://d-0042.devices.pamir.ai");
	before = cur.seq;
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
	s = wait_published(before + 1);
	cr_expect_str_eq(s.tunnel_url, "https://d-0042.devices.pamir.ai");
	cr_expect_str_eq(s.tunnel_provider, "frp");
	cr_expect_eq(s.state, DI);

	/* The same again changes nothing and publishes nothing. */
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
	cr_expect_eq(get_snapshot().seq, s.seq);

	m.body.tunnel_event.up = false;
	strcpy(m.body.tunnel_event.reason, "frpc.service failed");
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
	s = wait_published(s.seq + 1);
	cr_expect_str_eq(s.tunnel_url, "");
	cr_expect_str_eq(s.tunnel_provider, "");

	memset(&m, 0, sizeof(m));
	m.type = MSG_MDNS_EVENT;
	m.body.mdns_event.available = true;
	strcpy(m.body.mdns_event.name, "distiller-a1b2");
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
	s = wait_published(s.seq + 1);
	cr_expect(s.mdns_available);
}

Test(state_actor, restart_of_the_actor_resumes_the_snapshot)
{
	struct msg_state_snapshot before, after;

	start();
	step(AP, "", "", "", "");
	step(SW, "Cafe", "", "", "");
	step(CI, "Cafe", "", "", "");
	before = step(FA, "Cafe", "", "Timed out", "");
	before = step(AP, "", "", "", "");

	cr_assert_eq(runtime_actor_stop(rt, 1), 0);
	cr_assert_eq(runtime_actor_start(rt, 1), 0);
	after = get_snapshot();

	cr_expect_eq(after.state, AP);
	cr_expect_gt(after.seq, before.seq);
	cr_expect(ssid_is(&after, "Cafe"));
	cr_expect_str_eq(after.error, "Timed out");
	cr_expect_str_eq(after.ap_password, before.ap_password);
	cr_expect_str_eq(after.device_id, before.device_id);
	cr_expect(is_access_code(after.access_code));
	cr_expect_str_eq(after.access_code, before.access_code,
			 "the code on the panel must stay valid");
}

Test(state_actor, new_runtime_starts_from_the_files)
{
	struct msg_state_snapshot before, after;

	start();
	step(SW, "Cafe", "", "", "sess-1");
	step(CI, "Cafe", "", "", "");
	before = step(FA, "Cafe", "", "Wrong password for \"Cafe\"", "");
	runtime_free(rt);
	rt = NULL;

	/* Another process would start like this. */
	start();
	after = cur;
	cr_expect_eq(after.state, DI);
	cr_expect_gt(after.seq, before.seq);
	cr_expect(ssid_is(&after, "Cafe"));
	cr_expect_str_eq(after.error, "Wrong password for \"Cafe\"");
	cr_expect_str_eq(after.session_id, "sess-1");
	cr_expect_str_eq(after.device_id, before.device_id);

	/* A new process draws its own code (the same one: 1 in a million). */
	cr_expect(is_access_code(after.access_code));
	cr_expect_str_neq(after.access_code, before.access_code);
}

Test(state_actor, password_expires_while_the_ap_is_down)
{
	char password[MSG_PASSWORD_MAX + 1];
	struct msg_state_snapshot s;
	uint64_t t0;

	/* Below the configurable minimum, to keep the test short. */
	cfg.ap_password_ttl_s = 1;
	start();
	step(AP, "", "", "", "");
	s = step(SW, "HomeNet", "", "", "");
	strcpy(password, s.ap_password);
	t0 = actor_now_ms();

	/* The expiry timer publishes a snapshot with a new password. */
	s = wait_published(s.seq + 1);
	cr_expect_geq(actor_now_ms() - t0, 900, "expired early");
	cr_expect_eq(s.state, SW);
	cr_expect_str_neq(s.ap_password, password);
	cr_expect_eq(strlen(s.ap_password), AP_PASSWORD_LEN);
}
