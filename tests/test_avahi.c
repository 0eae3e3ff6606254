/* SPDX-License-Identifier: MIT */
/*
 * The avahi actor against a real avahi-daemon.
 *
 * The network: two namespaces joined by a veth pair, "device" (10.77.0.1)
 * and "peer" (10.77.0.2). Each has its own dbus-daemon (a private system
 * bus, tests/avahi/dbus-system.conf, on a unix socket in the test's
 * temporary directory) and its own avahi-daemon (--no-drop-root
 * --no-chroot, config from tests/avahi/avahi-daemon.conf.in). Each
 * avahi-daemon also gets a private mount namespace with an empty tmpfs
 * over /run and /etc/avahi/services, so its pid file and socket under
 * /run/avahi-daemon never meet the other's or the host's, and no service
 * file of the machine is published.
 *
 * The actor runs in this test process, in the host's network namespace:
 * it only talks D-Bus, over a path socket, which works across network
 * namespaces (an abstract socket would not), so DBUS_SYSTEM_BUS_ADDRESS
 * is all it needs. Everything it publishes leaves through the device's
 * avahi-daemon and is checked with avahi-browse and avahi-resolve on the
 * peer's bus, i.e. as another machine on the network sees it.
 *
 * "state" here is a small test actor: it answers MSG_STATE_GET with the
 * snapshot the test set, republishes any snapshot the test mails it,
 * records every MSG_MDNS_EVENT, and heartbeats "avahi" every 50 ms to
 * show the actor's loop keeps taking mail.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "actors/avahi.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/version.h"
#include "tests/harness/netns.h"
#include "tests/harness/process.h"

#define DEVICE_ID "a1b2"
#define SERVICE_NAME "Distiller A1B2"
#define HOST_NAME "distiller-a1b2"
#define WEB_PORT 18080
#define DEVICE_ADDR "10.77.0.1"
#define PEER_ADDR "10.77.0.2"

#define START_TIMEOUT_MS 10000
#define PUBLISH_TIMEOUT_MS 15000
#define REPUBLISH_LIMIT_MS 5000
#define TOOL_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 3000
#define HEARTBEAT_MS 50
#define MDNS_EVENTS_MAX 64

/* ---- the test's "state" actor -------------------------------------------- */

struct mdns_record {
	bool available;
	char name[64];
	uint64_t at_ms;
};

static struct probe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct msg_state_snapshot snap;
	struct mdns_record events[MDNS_EVENTS_MAX];
	unsigned int n_events;
	unsigned int acks;
	uint64_t ping_sent_ms;
	uint64_t max_ack_ms;
} probe = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void probe_ping_cb(struct actor *self, void *user_data)
{
	struct msg hb = { .type = MSG_HEARTBEAT };

	(void)user_data;
	hb.correlation_id = actor_next_id();
	pthread_mutex_lock(&probe.lock);
	probe.ping_sent_ms = actor_now_ms();
	pthread_mutex_unlock(&probe.lock);
	actor_send(self, "avahi", &hb);
}

static int probe_init(struct actor *self, void **state)
{
	*state = NULL;
	return actor_timer_add(self, HEARTBEAT_MS, HEARTBEAT_MS, probe_ping_cb,
			       NULL, NULL) < 0;
}

static int probe_handle(struct actor *self, void *state, const struct msg *m)
{
	struct msg answer = { .type = MSG_STATE_SNAPSHOT };
	uint64_t latency;

	(void)state;
	pthread_mutex_lock(&probe.lock);
	if (m->type == MSG_STATE_GET) {
		answer.body.snapshot = probe.snap;
		pthread_mutex_unlock(&probe.lock);
		actor_reply(self, m, &answer);
		return 0;
	}

	if (m->type == MSG_STATE_SNAPSHOT) {
		probe.snap = m->body.snapshot;
		probe.snap.seq++;
		answer.body.snapshot = probe.snap;
		pthread_mutex_unlock(&probe.lock);
		actor_publish(self, &answer);
		return 0;
	}

	if (m->type == MSG_MDNS_EVENT && probe.n_events < MDNS_EVENTS_MAX) {
		struct mdns_record *r = &probe.events[probe.n_events++];

		r->available = m->body.mdns_event.available;
		msg_strlcpy(r->name, sizeof(r->name), m->body.mdns_event.name);
		r->at_ms = harness_now_ms();
	} else if (m->type == MSG_HEARTBEAT_ACK) {
		probe.acks++;
		latency = actor_now_ms() - probe.ping_sent_ms;
		if (latency > probe.max_ack_ms)
			probe.max_ack_ms = latency;
	}

	pthread_cond_broadcast(&probe.cond);
	pthread_mutex_unlock(&probe.lock);
	return 0;
}

static const struct actor_def probe_state_def = {
	.name = "state",
	.init = probe_init,
	.handle = probe_handle,
};

/* Waits for the newest MSG_MDNS_EVENT to match; returns its time or 0. */
static uint64_t probe_wait_mdns(bool available, const char *name,
				unsigned int timeout_ms)
{
	uint64_t deadline = harness_now_ms() + timeout_ms, at = 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&probe.lock);
	for (;;) {
		if (probe.n_events) {
			struct mdns_record *r =
				&probe.events[probe.n_events - 1];

			if (r->available == available &&
			    (!name || !strcmp(r->name, name))) {
				at = r->at_ms;
				break;
			}
		}

		if (harness_now_ms() >= deadline ||
		    pthread_cond_timedwait(&probe.cond, &probe.lock, &ts) ==
			    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&probe.lock);

	return at;
}

static unsigned int probe_acks(void)
{
	unsigned int acks;

	pthread_mutex_lock(&probe.lock);
	acks = probe.acks;
	pthread_mutex_unlock(&probe.lock);
	return acks;
}

/* ---- one host: a namespace with a bus and an avahi-daemon ---------------- */

struct site {
	const char *label;
	struct netns *ns;
	char dir[128];
	char bus_env[PATH_MAX + 40]; /* DBUS_SYSTEM_BUS_ADDRESS=... */
	char conf[PATH_MAX];
	char avahi_log[PATH_MAX];
	unsigned int avahi_starts;
	pid_t dbus_pid;
	pid_t avahi_pid;
};

static struct site device = { .label = "device" };
static struct site peer = { .label = "peer" };
static struct config cfg;
static struct runtime *rt;
static pid_t competitor;

/* Copies @template to @path with @key replaced by @value. */
static void write_template(const char *template, const char *path,
			   const char *key, const char *value)
{
	char line[256];
	FILE *in, *out;

	in = fopen(template, "re");
	cr_assert_not_null(in, "cannot read %s", template);
	out = fopen(path, "we");
	cr_assert_not_null(out, "cannot write %s", path);

	while (fgets(line, sizeof(line), in)) {
		char *mark = strstr(line, key);

		if (mark)
			fprintf(out, "%.*s%s%s", (int)(mark - line), line,
				value, mark + strlen(key));
		else
			fputs(line, out);
	}

	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

static void site_start_bus(struct site *s)
{
	char conf[PATH_MAX], listen[PATH_MAX], line[PATH_MAX], log[PATH_MAX];
	char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1", conf,
			 NULL };
	struct netns_cmd cmd = { .argv = argv, .log_path = log };
	int fd, n;

	snprintf(listen, sizeof(listen), "unix:path=%s/bus", s->dir);
	snprintf(conf, sizeof(conf), "--config-file=%s/dbus.conf", s->dir);
	write_template(DISTILLER_SOURCE_DIR "/tests/avahi/dbus-system.conf.in",
		       conf + strlen("--config-file="), "@LISTEN@", listen);
	snprintf(log, sizeof(log), "%s/dbus.log", s->dir);
	s->dbus_pid = netns_spawn(&cmd, &fd);
	cr_assert_gt(s->dbus_pid, 0, "cannot start dbus-daemon");

	/* It prints its address once it listens. */
	n = netns_read_line(fd, line, sizeof(line), START_TIMEOUT_MS);
	close(fd);
	cr_assert_gt(n, 0, "%s: dbus-daemon did not start (%d), see %s",
		     s->label, n, log);
	snprintf(s->bus_env, sizeof(s->bus_env), "DBUS_SYSTEM_BUS_ADDRESS=%s",
		 listen);
}

static void site_start_avahi(struct site *s)
{
	static const char *const private_dirs[] = { "/run",
						    "/etc/avahi/services",
						    NULL };
	char *argv[] = { "avahi-daemon", "--no-drop-root", "--no-chroot",
			 "-f",		 s->conf,	   NULL };
	char *env[] = { s->bus_env, NULL };
	struct netns_cmd cmd = {
		.ns = s->ns,
		.argv = argv,
		.env = env,
		.private_dirs = private_dirs,
		.log_path = s->avahi_log,
	};
	int rc;

	snprintf(s->avahi_log, sizeof(s->avahi_log), "%s/avahi-%u.log", s->dir,
		 s->avahi_starts++);
	s->avahi_pid = netns_spawn(&cmd, NULL);
	cr_assert_gt(s->avahi_pid, 0, "cannot start avahi-daemon");

	rc = netns_wait_file_contains(s->avahi_log, "Server startup complete",
				      START_TIMEOUT_MS);
	cr_assert_eq(rc, 0, "%s: avahi-daemon did not start, see %s", s->label,
		     s->avahi_log);
}

static void site_stop_avahi(struct site *s, int sig)
{
	netns_stop(s->avahi_pid, sig, STOP_TIMEOUT_MS);
	s->avahi_pid = 0;
}

static void site_new(struct site *s, const char *host_name)
{
	cr_assert_eq(harness_temp_dir(s->dir, sizeof(s->dir),
				      "distiller-avahi-"),
		     0);
	s->ns = netns_new("dw-avahi");
	cr_assert_not_null(s->ns, "cannot create a network namespace: %s",
			   strerror(errno));
	snprintf(s->conf, sizeof(s->conf), "%s/avahi-daemon.conf", s->dir);
	write_template(DISTILLER_SOURCE_DIR "/tests/avahi/avahi-daemon.conf.in",
		       s->conf, "@HOST_NAME@", host_name);
	site_start_bus(s);
}

static void site_free(struct site *s)
{
	site_stop_avahi(s, SIGTERM);
	netns_stop(s->dbus_pid, SIGTERM, STOP_TIMEOUT_MS);
	s->dbus_pid = 0;
	netns_free(s->ns);
	s->ns = NULL;
	if (s->dir[0])
		harness_remove_tree(s->dir);
	s->dir[0] = '\0';
}

/*
 * Both hosts and the wire between them, with the host names their
 * avahi-daemons start with; the daemons are not started yet.
 */
static void network_new(const char *device_host_name,
			const char *peer_host_name)
{
	int rc;

	site_new(&device, device_host_name);
	site_new(&peer, peer_host_name);
	rc = netns_link_veth(device.ns, "veth0", DEVICE_ADDR "/24", peer.ns,
			     "veth0", PEER_ADDR "/24");
	cr_assert_eq(rc, 0, "cannot link the namespaces: %s", strerror(-rc));
}

/* ---- the actor under test ------------------------------------------------ */

static void actors_start(const char *bus_env)
{
	static const struct actor_def *const defs[] = { &probe_state_def,
							&avahi_actor_def };

	/* libavahi-client reads it when it connects; no thread runs yet. */
	cr_assert_eq(putenv((char *)bus_env), 0);
	config_defaults(&cfg);
	cfg.web_port = WEB_PORT;

	probe.snap.state = WIFI_STATE_AP_MODE;
	probe.snap.seq = 1;
	msg_strlcpy(probe.snap.device_id, sizeof(probe.snap.device_id),
		    DEVICE_ID);

	rt = runtime_new(defs, 2, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	cr_assert_eq(runtime_actor_start(rt, 1), 0);
}

static void publish_state(enum wifi_state state)
{
	struct msg m = { .type = MSG_STATE_SNAPSHOT };

	pthread_mutex_lock(&probe.lock);
	m.body.snapshot = probe.snap;
	pthread_mutex_unlock(&probe.lock);
	m.body.snapshot.state = state;
	cr_assert_eq(runtime_send(rt, "state", &m), 0);
}

static void teardown(void)
{
	runtime_free(rt);
	rt = NULL;
	netns_stop(competitor, SIGTERM, STOP_TIMEOUT_MS);
	competitor = 0;
	site_free(&peer);
	site_free(&device);
}

/* ---- what avahi-browse and avahi-resolve see ----------------------------- */

struct service {
	char name[64];
	char host[128];
	char address[64];
	int port;
	char txt[512];
};

/* avahi-browse -p escapes with \DDD (decimal); undo it in place. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '9' && s[2] &&
		    s[3]) {
			*out++ = (char)((s[1] - '0') * 100 + (s[2] - '0') * 10 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/*
 * Parses one resolved line:
 * =;IFACE;IPv4;NAME;TYPE;DOMAIN;HOST;ADDRESS;PORT;TXT
 */
static bool parse_resolved(char *line, struct service *svc)
{
	char *field[10], *save = NULL;
	int n = 0;

	if (line[0] != '=')
		return false;

	for (char *tok = strtok_r(line, ";", &save); tok && n < 10;
	     tok = strtok_r(NULL, n == 9 ? "\n" : ";", &save))
		field[n++] = tok;

	if (n < 9)
		return false;

	unescape(field[3]);
	snprintf(svc->name, sizeof(svc->name), "%s", field[3]);
	snprintf(svc->host, sizeof(svc->host), "%s", field[6]);
	snprintf(svc->address, sizeof(svc->address), "%s", field[7]);
	svc->port = atoi(field[8]);
	snprintf(svc->txt, sizeof(svc->txt), "%s", n == 10 ? field[9] : "");
	return true;
}

/* One avahi-browse -rpt _http._tcp on @s's bus; finds @name. */
static bool browse_once(struct site *s, const char *name, struct service *svc)
{
	char *argv[] = { "avahi-browse", "-rpt", "-k", AVAHI_SERVICE_TYPE,
			 NULL };
	char *env[] = { s->bus_env, NULL };
	struct netns_cmd cmd = { .ns = s->ns, .argv = argv, .env = env };
	char *out = NULL, *save = NULL;
	bool found = false;

	if (netns_run(&cmd, TOOL_TIMEOUT_MS, &out) != 0) {
		free(out);
		return false;
	}

	for (char *line = strtok_r(out, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = parse_resolved(line, svc) && !strcmp(svc->name, name);

	free(out);
	return found;
}

/*
 * Browses on @s's bus until @name shows up with @txt_part in its TXT
 * record (NULL: any), or the deadline. Returns the time it was seen, 0
 * if never.
 */
static uint64_t browse_until(struct site *s, const char *name,
			     const char *txt_part, unsigned int timeout_ms,
			     struct service *svc)
{
	uint64_t deadline = harness_now_ms() + timeout_ms;

	do {
		if (browse_once(s, name, svc) &&
		    (!txt_part || strstr(svc->txt, txt_part)))
			return harness_now_ms();
	} while (harness_now_ms() < deadline);

	return 0;
}

/* avahi-resolve -4 -n @host on @s's bus; the address or "" on failure. */
static void resolve_host(struct site *s, const char *host, char *addr,
			 size_t size)
{
	char *argv[] = { "avahi-resolve", "-4", "-n", (char *)host, NULL };
	char *env[] = { s->bus_env, NULL };
	struct netns_cmd cmd = { .ns = s->ns, .argv = argv, .env = env };
	char *out = NULL, *tab;

	addr[0] = '\0';
	if (netns_run(&cmd, TOOL_TIMEOUT_MS, &out) == 0 &&
	    (tab = strchr(out, '\t'))) {
		snprintf(addr, size, "%s", tab + 1);
		addr[strcspn(addr, "\n")] = '\0';
	}

	free(out);
}

/* ---- tests --------------------------------------------------------------- */

static void setup_published(void)
{
	network_new("harness-device", "harness-peer");
	site_start_avahi(&device);
	site_start_avahi(&peer);
	actors_start(device.bus_env);
}

Test(avahi, publishes_service_with_txt_and_host_name, .fini = teardown)
{
	uint64_t t0, at;
	struct service svc;
	char addr[64];

	setup_published();
	t0 = harness_now_ms();
	at = probe_wait_mdns(true, SERVICE_NAME, PUBLISH_TIMEOUT_MS);
	cr_assert(at, "the actor never reported the service established");
	cr_log_info("established %" PRIu64 " ms after start", at - t0);

	/* Seen from the other host, over the veth. */
	cr_assert(browse_until(&peer, SERVICE_NAME, NULL, PUBLISH_TIMEOUT_MS,
			       &svc),
		  "the peer does not see \"%s\"", SERVICE_NAME);
	cr_expect_str_eq(svc.host, HOST_NAME ".local");
	cr_expect_str_eq(svc.address, DEVICE_ADDR);
	cr_expect_eq(svc.port, WEB_PORT);
	cr_expect(strstr(svc.txt, "\"path=/\""), "TXT: %s", svc.txt);
	cr_expect(strstr(svc.txt, "\"id=" DEVICE_ID "\""), "TXT: %s", svc.txt);
	cr_expect(strstr(svc.txt, "\"version=" DISTILLER_VERSION "\""),
		  "TXT: %s", svc.txt);
	cr_expect(strstr(svc.txt, "\"state=AP_MODE\""), "TXT: %s", svc.txt);

	resolve_host(&peer, HOST_NAME ".local", addr, sizeof(addr));
	cr_assert_str_eq(addr, DEVICE_ADDR, "%s.local does not resolve",
			 HOST_NAME);
}

Test(avahi, txt_follows_state_change, .fini = teardown)
{
	uint64_t t0, at;
	struct service svc;
	unsigned int n_events;

	setup_published();
	cr_assert(probe_wait_mdns(true, SERVICE_NAME, PUBLISH_TIMEOUT_MS));
	cr_assert(browse_until(&peer, SERVICE_NAME, "state=AP_MODE",
			       PUBLISH_TIMEOUT_MS, &svc));
	pthread_mutex_lock(&probe.lock);
	n_events = probe.n_events;
	pthread_mutex_unlock(&probe.lock);

	t0 = harness_now_ms();
	publish_state(WIFI_STATE_CONNECTED);
	at = browse_until(&peer, SERVICE_NAME, "state=CONNECTED",
			  PUBLISH_TIMEOUT_MS, &svc);
	cr_assert(at, "TXT still says: %s", svc.txt);
	cr_log_info("TXT followed the state change in %" PRIu64 " ms (browse "
		    "included)",
		    at - t0);
	cr_expect_eq(svc.port, WEB_PORT);
	cr_expect(strstr(svc.txt, "\"id=" DEVICE_ID "\""), "TXT: %s", svc.txt);

	/* Updated in place: never withdrawn, so no new availability event. */
	pthread_mutex_lock(&probe.lock);
	cr_expect_eq(probe.n_events, n_events,
		     "the service was withdrawn for a state change");
	pthread_mutex_unlock(&probe.lock);
}

Test(avahi, republishes_after_daemon_restart, .fini = teardown)
{
	uint64_t t_start, t_event, t_seen;
	struct service svc;

	setup_published();
	cr_assert(probe_wait_mdns(true, SERVICE_NAME, PUBLISH_TIMEOUT_MS));

	site_stop_avahi(&device, SIGKILL);
	cr_assert(probe_wait_mdns(false, NULL, START_TIMEOUT_MS),
		  "the actor did not notice avahi-daemon dying");

	t_start = harness_now_ms();
	site_start_avahi(&device);
	t_event = probe_wait_mdns(true, SERVICE_NAME, REPUBLISH_LIMIT_MS);
	cr_assert(t_event, "not re-published within %d ms", REPUBLISH_LIMIT_MS);

	/* The new daemon knows only what the actor published again. */
	t_seen = browse_until(&device, SERVICE_NAME, "state=AP_MODE",
			      PUBLISH_TIMEOUT_MS, &svc);
	cr_assert(t_seen);
	cr_expect_str_eq(svc.host, HOST_NAME ".local");
	cr_log_info("after restart: established in %" PRIu64 " ms, seen by "
		    "avahi-browse in %" PRIu64 " ms",
		    t_event - t_start, t_seen - t_start);
	cr_assert_lt(t_event - t_start, REPUBLISH_LIMIT_MS);
}

static void setup_network_only(void)
{
	network_new("harness-device", "harness-peer");
}

/*
 * Publishes our service name from another client (avahi-publish on @s's
 * bus) and waits until that holds it.
 */
static void publish_competitor(struct site *s, unsigned int port_number)
{
	char port[16], log[PATH_MAX], name[] = SERVICE_NAME;
	char *argv[] = { "avahi-publish",    "-s", name,
			 AVAHI_SERVICE_TYPE, port, NULL };
	char *env[] = { s->bus_env, NULL };
	struct netns_cmd cmd = {
		.ns = s->ns,
		.argv = argv,
		.env = env,
		.log_path = log,
	};
	int rc;

	snprintf(port, sizeof(port), "%u", port_number);
	snprintf(log, sizeof(log), "%s/avahi-publish.log", s->dir);
	competitor = netns_spawn(&cmd, NULL);
	cr_assert_gt(competitor, 0);

	/* It reports on stderr, which is unbuffered. */
	rc = netns_wait_file_contains(log,
				      "Established under name '" SERVICE_NAME
				      "'",
				      PUBLISH_TIMEOUT_MS);
	cr_assert_eq(rc, 0, "avahi-publish did not get the name, see %s", log);
}

Test(avahi, renames_service_on_network_collision, .fini = teardown)
{
	struct service svc;

	setup_network_only();
	site_start_avahi(&device);
	site_start_avahi(&peer);
	publish_competitor(&peer, 9999);

	actors_start(device.bus_env);
	cr_assert(probe_wait_mdns(true, SERVICE_NAME " #2", PUBLISH_TIMEOUT_MS),
		  "no renamed service established");

	cr_assert(browse_until(&peer, SERVICE_NAME " #2", NULL,
			       PUBLISH_TIMEOUT_MS, &svc));
	cr_expect_eq(svc.port, WEB_PORT);
	cr_expect_str_eq(svc.address, DEVICE_ADDR);
	cr_assert(browse_once(&peer, SERVICE_NAME, &svc));
	cr_expect_eq(svc.port, 9999, "the competitor lost its name");
}

Test(avahi, renames_service_taken_on_same_daemon, .fini = teardown)
{
	struct service svc;

	/*
	 * avahi-daemon already has our host name, as on a device whose
	 * system host name is set, so nothing re-registers and the other
	 * client keeps the name: avahi refuses ours as a local collision.
	 */
	network_new(HOST_NAME, "harness-peer");
	site_start_avahi(&device);
	site_start_avahi(&peer);
	publish_competitor(&device, 9999);

	actors_start(device.bus_env);
	cr_assert(probe_wait_mdns(true, SERVICE_NAME " #2", PUBLISH_TIMEOUT_MS),
		  "no renamed service established");
	cr_assert(browse_until(&peer, SERVICE_NAME " #2", NULL,
			       PUBLISH_TIMEOUT_MS, &svc));
	cr_expect_eq(svc.port, WEB_PORT);
	cr_expect_str_eq(svc.host, HOST_NAME ".local");
	cr_assert(browse_once(&peer, SERVICE_NAME, &svc));
	cr_expect_eq(svc.port, 9999, "the other client lost its name");
}

static void setup_host_taken(void)
{
	/* The peer already answers to our host name. */
	network_new("harness-device", HOST_NAME);
	site_start_avahi(&peer);
	site_start_avahi(&device);
	actors_start(device.bus_env);
}

Test(avahi, renames_host_on_collision, .fini = teardown)
{
	struct service svc;
	char addr[64];

	setup_host_taken();
	cr_assert(probe_wait_mdns(true, SERVICE_NAME, PUBLISH_TIMEOUT_MS));
	cr_assert(browse_until(&peer, SERVICE_NAME, NULL, PUBLISH_TIMEOUT_MS,
			       &svc));
	cr_expect_str_eq(svc.host, HOST_NAME "-2.local");
	cr_expect_str_eq(svc.address, DEVICE_ADDR);

	resolve_host(&peer, HOST_NAME "-2.local", addr, sizeof(addr));
	cr_assert_str_eq(addr, DEVICE_ADDR);
	resolve_host(&peer, HOST_NAME ".local", addr, sizeof(addr));
	cr_assert_str_eq(addr, PEER_ADDR, "the peer lost its host name");
}

/* Heartbeats keep being answered: the loop is not stuck. */
static void expect_mail_flows(void)
{
	unsigned int before = probe_acks();
	uint64_t deadline = harness_now_ms() + START_TIMEOUT_MS;
	uint64_t max_ack_ms;
	unsigned int acks;

	pthread_mutex_lock(&probe.lock);
	while (probe.acks < before + 10 && harness_now_ms() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&probe.cond, &probe.lock, &ts);
	}
	max_ack_ms = probe.max_ack_ms;
	acks = probe.acks;
	pthread_mutex_unlock(&probe.lock);

	cr_assert_geq(acks, before + 10, "avahi stopped taking mail");
	cr_log_info("heartbeats answered: %u, slowest %" PRIu64 " ms", acks,
		    max_ack_ms);
	cr_expect_lt(max_ack_ms, 1000);
}

Test(avahi, keeps_running_without_daemon_and_publishes_when_it_starts,
     .fini = teardown)
{
	uint64_t t_start, at;
	struct service svc;

	setup_network_only();
	site_start_avahi(&peer);
	actors_start(device.bus_env);

	cr_assert(probe_wait_mdns(false, "", START_TIMEOUT_MS),
		  "no \"unavailable\" report without avahi-daemon");
	expect_mail_flows();
	cr_assert(runtime_actor_running(rt, 1));

	t_start = harness_now_ms();
	site_start_avahi(&device);
	at = probe_wait_mdns(true, SERVICE_NAME, PUBLISH_TIMEOUT_MS);
	cr_assert(at, "not published once avahi-daemon started");
	cr_log_info("published %" PRIu64 " ms after avahi-daemon was started",
		    at - t_start);
	cr_assert(browse_until(&peer, SERVICE_NAME, "state=AP_MODE",
			       PUBLISH_TIMEOUT_MS, &svc));
}

static char no_bus_env[PATH_MAX + 40];

static void setup_no_bus(void)
{
	snprintf(no_bus_env, sizeof(no_bus_env),
		 "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/%d/bus",
		 getpid());
	actors_start(no_bus_env);
}

static void teardown_no_bus(void)
{
	runtime_free(rt);
	rt = NULL;
}

Test(avahi, keeps_running_without_system_bus, .fini = teardown_no_bus)
{
	setup_no_bus();
	cr_assert(probe_wait_mdns(false, "", START_TIMEOUT_MS),
		  "no \"unavailable\" report without a system bus");
	expect_mail_flows();
	cr_assert(runtime_actor_running(rt, 1));
}
