/* SPDX-License-Identifier: MIT */
/*
 * The avahi actor. Thread "avahi", mailbox "avahi", its own loop: an
 * AvahiSimplePoll in which the mailbox descriptor (actor_fd) is one more
 * watch, so mail, snapshots, timers and avahi-daemon's D-Bus traffic are
 * all served by one poll(2) and nothing waits on a timer to see mail.
 *
 * Takes: MSG_STATE_SNAPSHOT (published, or the answer to its
 * MSG_STATE_GET at start). Sends: MSG_STATE_GET and MSG_MDNS_EVENT
 * {available, name} to "state" whenever the availability or the published
 * name changes.
 *
 * Once the first snapshot gives the device id it asks avahi-daemon for
 * the host name distiller-xxxx (the daemon otherwise keeps the host name
 * it read at start, which need not follow the name NetworkManager sets)
 * and publishes "Distiller XXXX" as _http._tcp on cfg->web_port. A state
 * change only rewrites the TXT record; the service is never withdrawn for
 * it. Name collisions, on the service or on the host name, move to the
 * next free name ("Distiller XXXX #2", "distiller-xxxx-2"), which is
 * logged and kept for the life of the actor.
 *
 * The client is created with AVAHI_CLIENT_NO_FAIL: with no avahi-daemon
 * it waits in CONNECTING until the daemon takes its bus name. When the
 * daemon goes away the client fails with AVAHI_ERR_DISCONNECTED and is
 * replaced by a fresh one, from a zero-delay timeout rather than from
 * inside libavahi's own D-Bus callback. Only an unreachable system bus
 * needs a retry with back-off.
 *
 * libavahi-client makes blocking D-Bus calls (a few milliseconds against
 * a live daemon); a hung daemon can hold this thread up to D-Bus's reply
 * timeout, which the supervisor's heartbeat then notices.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/timeval.h>

#include "actors/avahi.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/version.h"

/* Longest device id we accept: the id becomes part of a DNS label. */
#define AVAHI_DEVICE_ID_MAX 7

/* Attempts at a free name when the daemon refuses one as taken. */
#define AVAHI_RENAME_ATTEMPTS 16

#define AVAHI_TXT_MAX 64

struct avahi_pub {
	struct actor *self;
	const struct config *cfg;

	AvahiSimplePoll *simple_poll;
	const AvahiPoll *poll_api;
	AvahiWatch *mail_watch;
	AvahiTimeout *retry; /* reconnects or re-publishes */
	int quit_code;

	AvahiClient *client;
	AvahiEntryGroup *group;
	bool group_added;      /* the service is in the group */
	bool host_name_asked;  /* since connecting or a collision */
	unsigned int retry_ms; /* back-off for an unreachable bus */

	/* from the newest snapshot */
	bool have_snapshot;
	uint64_t state_get_id;
	uint64_t seq;
	char device_id[AVAHI_DEVICE_ID_MAX + 1];
	enum wifi_state state;

	/* what we publish; the names move on after a collision */
	char service_name[AVAHI_LABEL_MAX];
	char host_name[AVAHI_LABEL_MAX];
	char txt_state[24]; /* state= value in the TXT record */

	/* what "state" was last told */
	bool reported;
	bool reported_available;
	char reported_name[AVAHI_LABEL_MAX];
};

static void pub_report(struct avahi_pub *pub)
{
	bool available = pub->group && pub->client &&
			 avahi_entry_group_get_state(pub->group) ==
				 AVAHI_ENTRY_GROUP_ESTABLISHED;
	const char *name = available ? pub->service_name : "";
	struct msg m = { .type = MSG_MDNS_EVENT };
	int err;

	if (pub->reported && pub->reported_available == available &&
	    !strcmp(pub->reported_name, name))
		return;

	m.body.mdns_event.available = available;
	msg_strlcpy(m.body.mdns_event.name, sizeof(m.body.mdns_event.name),
		    name);
	err = actor_send(pub->self, "state", &m);
	if (err) {
		log_warning("Failed to report mDNS %s to state: %s, ignoring",
			    available ? "available" : "unavailable",
			    strerror(-err));
		return;
	}

	pub->reported = true;
	pub->reported_available = available;
	msg_strlcpy(pub->reported_name, sizeof(pub->reported_name), name);
}

/* ---- the service --------------------------------------------------------- */

static AvahiStringList *pub_txt_new(struct avahi_pub *pub)
{
	char id[AVAHI_TXT_MAX], state[AVAHI_TXT_MAX];

	snprintf(id, sizeof(id), "id=%s", pub->device_id);
	snprintf(state, sizeof(state), "state=%s", pub->txt_state);

	return avahi_string_list_new("path=/", id, "version=" DISTILLER_VERSION,
				     state, NULL);
}

static void pub_rename_service(struct avahi_pub *pub)
{
	char *name = avahi_alternative_service_name(pub->service_name);

	if (!name) {
		log_err("Failed to pick a new service name: out of memory");
		return;
	}

	log_warning("Service name collision, renamed to \"%s\"", name);
	msg_strlcpy(pub->service_name, sizeof(pub->service_name), name);
	avahi_free(name);
}

/* Adds the service to the empty group and commits it. 0 or -errno. */
static int pub_group_fill(struct avahi_pub *pub)
{
	AvahiStringList *txt;
	int ret = AVAHI_ERR_COLLISION;

	txt = pub_txt_new(pub);
	if (!txt)
		return -ENOMEM;

	/* A name another client of the same daemon holds is refused here. */
	for (int i = 0; i < AVAHI_RENAME_ATTEMPTS; i++) {
		ret = avahi_entry_group_add_service_strlst(
			pub->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
			pub->service_name, AVAHI_SERVICE_TYPE, NULL, NULL,
			(uint16_t)pub->cfg->web_port, txt);
		if (ret != AVAHI_ERR_COLLISION)
			break;

		pub_rename_service(pub);
	}

	avahi_string_list_free(txt);
	if (ret == AVAHI_OK)
		ret = avahi_entry_group_commit(pub->group);

	if (ret != AVAHI_OK) {
		log_err("Failed to publish service \"%s\": %s",
			pub->service_name, avahi_strerror(ret));
		avahi_entry_group_reset(pub->group);
		return -EIO;
	}

	pub->group_added = true;
	log_info("Publishing \"%s\" (%s) on port %d as %s.local",
		 pub->service_name, AVAHI_SERVICE_TYPE, pub->cfg->web_port,
		 pub->host_name);
	return 0;
}

static void pub_group_reset(struct avahi_pub *pub)
{
	if (pub->group)
		avahi_entry_group_reset(pub->group);

	pub->group_added = false;
}

static void pub_retry_in(struct avahi_pub *pub, unsigned int delay_ms)
{
	struct timeval tv;

	avahi_elapse_time(&tv, delay_ms, 0);
	pub->poll_api->timeout_update(pub->retry, &tv);
}

static void pub_retry_later(struct avahi_pub *pub)
{
	pub_retry_in(pub, pub->retry_ms);
	pub->retry_ms = pub->retry_ms * 2 > AVAHI_RETRY_MAX_MS ?
				AVAHI_RETRY_MAX_MS :
				pub->retry_ms * 2;
}

static void pub_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state,
			 void *user_data)
{
	struct avahi_pub *pub = user_data;

	/* The first call can come from inside avahi_entry_group_new(). */
	pub->group = g;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		log_info("Service \"%s\" established", pub->service_name);
		pub->retry_ms = AVAHI_RETRY_MIN_MS;
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Someone on the network holds the name: take the next. */
		pub_rename_service(pub);
		pub_group_reset(pub);
		if (pub_group_fill(pub) < 0)
			pub_retry_later(pub);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_err("Failed to publish service \"%s\": %s",
			pub->service_name,
			avahi_strerror(avahi_client_errno(
				avahi_entry_group_get_client(g))));
		pub_group_reset(pub);
		pub_retry_later(pub);
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}

	pub_report(pub);
}

/*
 * Asks the daemon for our host name once per connection (and after a
 * collision). Returns true while a change is under way: the daemon then
 * re-registers and we publish at its next S_RUNNING.
 */
static bool pub_host_name_pending(struct avahi_pub *pub)
{
	char current[AVAHI_LABEL_MAX] = "?";
	const char *name;
	int ret;

	if (pub->host_name_asked)
		return false;

	pub->host_name_asked = true;
	name = avahi_client_get_host_name(pub->client);
	if (name && !strcmp(name, pub->host_name))
		return false;

	/* The client frees its copy of the old name when it changes. */
	if (name)
		msg_strlcpy(current, sizeof(current), name);

	ret = avahi_client_set_host_name(pub->client, pub->host_name);
	if (ret != AVAHI_OK) {
		log_warning("Failed to set host name \"%s\" (now \"%s\"): %s, "
			    "ignoring",
			    pub->host_name, current, avahi_strerror(ret));
		return false;
	}

	log_info("Host name set to \"%s\" (was \"%s\")", pub->host_name,
		 current);
	return true;
}

static void pub_txt_update(struct avahi_pub *pub)
{
	const char *name = wifi_state_name(pub->state);
	AvahiStringList *txt;
	int ret;

	if (!name || !strcmp(name, pub->txt_state))
		return;

	msg_strlcpy(pub->txt_state, sizeof(pub->txt_state), name);
	if (!pub->group_added)
		return;

	txt = pub_txt_new(pub);
	if (!txt) {
		log_err("Failed to update TXT record: out of memory");
		return;
	}

	ret = avahi_entry_group_update_service_txt_strlst(
		pub->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
		pub->service_name, AVAHI_SERVICE_TYPE, NULL, txt);
	avahi_string_list_free(txt);
	if (ret != AVAHI_OK)
		log_warning("Failed to update TXT record of \"%s\": %s, "
			    "ignoring",
			    pub->service_name, avahi_strerror(ret));
	else
		log_debug("TXT record of \"%s\" now has state=%s",
			  pub->service_name, pub->txt_state);
}

/* Brings the published service in line with the newest snapshot. */
static void pub_sync(struct avahi_pub *pub)
{
	if (!pub->have_snapshot || !pub->client ||
	    avahi_client_get_state(pub->client) != AVAHI_CLIENT_S_RUNNING)
		return;

	if (pub_host_name_pending(pub))
		return;

	if (!pub->group) {
		pub->group =
			avahi_entry_group_new(pub->client, pub_group_cb, pub);
		if (!pub->group) {
			log_err("Failed to create entry group: %s",
				avahi_strerror(
					avahi_client_errno(pub->client)));
			pub_retry_later(pub);
			return;
		}
	}

	pub_txt_update(pub);
	if (!pub->group_added && pub_group_fill(pub) < 0)
		pub_retry_later(pub);

	pub_report(pub);
}

/* ---- the client ---------------------------------------------------------- */

static void pub_host_collision(struct avahi_pub *pub)
{
	char *name = avahi_alternative_host_name(pub->host_name);

	if (!name) {
		log_err("Failed to pick a new host name: out of memory");
		return;
	}

	/* avahi-daemon moves to the same alternative by itself. */
	log_warning("Host name collision, renamed to \"%s\"", name);
	msg_strlcpy(pub->host_name, sizeof(pub->host_name), name);
	avahi_free(name);
	pub->host_name_asked = false;
}

static void pub_client_drop(struct avahi_pub *pub)
{
	/* Freeing the client frees its groups too. */
	if (pub->client)
		avahi_client_free(pub->client);

	pub->client = NULL;
	pub->group = NULL;
	pub->group_added = false;
	pub->host_name_asked = false;
}

static void pub_client_cb(AvahiClient *c, AvahiClientState state,
			  void *user_data)
{
	struct avahi_pub *pub = user_data;
	int err;

	/* The first calls come from inside avahi_client_new(). */
	pub->client = c;

	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		pub->retry_ms = AVAHI_RETRY_MIN_MS;
		pub_sync(pub);
		break;
	case AVAHI_CLIENT_S_COLLISION:
		pub_host_collision(pub);
		pub_group_reset(pub);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
		/* The host name is (re)registering: our records follow it. */
		pub_group_reset(pub);
		break;
	case AVAHI_CLIENT_CONNECTING:
		log_info("Waiting for avahi-daemon to appear on the system "
			 "bus");
		break;
	case AVAHI_CLIENT_FAILURE:
		err = avahi_client_errno(c);
		log_warning("Lost avahi-daemon: %s, reconnecting",
			    avahi_strerror(err));
		pub->group = NULL;
		pub->group_added = false;
		/* Not from inside libavahi's own callback: from a timeout. */
		if (err == AVAHI_ERR_DISCONNECTED)
			pub_retry_in(pub, 0);
		else
			pub_retry_later(pub);
		break;
	}

	pub_report(pub);
}

static void pub_connect(struct avahi_pub *pub)
{
	AvahiClient *client;
	int err = AVAHI_OK;

	pub_client_drop(pub);
	client = avahi_client_new(pub->poll_api, AVAHI_CLIENT_NO_FAIL,
				  pub_client_cb, pub, &err);
	if (!client) {
		pub->client = NULL;
		log_warning("Failed to connect to the system bus: %s, retrying "
			    "in %u s",
			    avahi_strerror(err), pub->retry_ms / 1000);
		pub_retry_later(pub);
		pub_report(pub);
		return;
	}

	pub->client = client;
}

static void pub_retry_cb(AvahiTimeout *t, void *user_data)
{
	struct avahi_pub *pub = user_data;

	pub->poll_api->timeout_update(t, NULL);
	if (!pub->client ||
	    avahi_client_get_state(pub->client) == AVAHI_CLIENT_FAILURE) {
		pub_connect(pub);
		return;
	}

	pub_sync(pub);
}

/* ---- snapshots and mail -------------------------------------------------- */

static bool device_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > AVAHI_DEVICE_ID_MAX)
		return false;

	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)id[i]) &&
		    !islower((unsigned char)id[i]))
			return false;

	return true;
}

static void pub_set_device_id(struct avahi_pub *pub, const char *id)
{
	size_t i;

	msg_strlcpy(pub->device_id, sizeof(pub->device_id), id);
	snprintf(pub->host_name, sizeof(pub->host_name), "%s-%s",
		 AVAHI_HOST_PREFIX, id);
	i = (size_t)snprintf(pub->service_name, sizeof(pub->service_name),
			     "%s ", AVAHI_SERVICE_PREFIX);
	for (; *id && i + 1 < sizeof(pub->service_name); id++)
		pub->service_name[i++] = (char)toupper((unsigned char)*id);
	pub->service_name[i] = '\0';

	/* A new identity: publish afresh under the new names. */
	pub_group_reset(pub);
	pub->host_name_asked = false;
}

static void pub_handle_snapshot(struct avahi_pub *pub, const struct msg *m)
{
	const struct msg_state_snapshot *snap = &m->body.snapshot;

	/* Our own request's answer may arrive after a newer publication. */
	if (pub->have_snapshot && m->correlation_id &&
	    m->correlation_id == pub->state_get_id && snap->seq < pub->seq)
		return;

	if (!device_id_valid(snap->device_id)) {
		if (snap->device_id[0])
			log_warning("Device id \"%s\" cannot name a host, "
				    "ignoring",
				    snap->device_id);
		return;
	}

	if (strcmp(snap->device_id, pub->device_id))
		pub_set_device_id(pub, snap->device_id);

	pub->have_snapshot = true;
	pub->seq = snap->seq;
	pub->state = snap->state;
	pub_sync(pub);
}

static int avahi_handle(struct actor *self, void *state, const struct msg *m)
{
	struct avahi_pub *pub = state;

	(void)self;
	switch (m->type) {
	case MSG_STATE_SNAPSHOT:
		pub_handle_snapshot(pub, m);
		break;
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
	case MSG_ACTOR_EXITED:
	case MSG_REPLY:
	case MSG_STATE_GET:
	case MSG_NET_EVENT:
	case MSG_TUNNEL_EVENT:
	case MSG_MDNS_EVENT:
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

static void pub_mail_cb(AvahiWatch *w, int fd, AvahiWatchEvent event,
			void *user_data)
{
	struct avahi_pub *pub = user_data;
	int rc;

	(void)w;
	(void)fd;
	(void)event;
	rc = actor_dispatch(pub->self);
	if (!rc)
		return;

	/* 1 is a stop request; anything else a handler's failure. */
	pub->quit_code = rc == 1 ? 0 : rc;
	avahi_simple_poll_quit(pub->simple_poll);
}

/* ---- start and stop ------------------------------------------------------ */

static void pub_free(struct avahi_pub *pub)
{
	if (!pub)
		return;

	pub_client_drop(pub);
	if (pub->retry)
		pub->poll_api->timeout_free(pub->retry);
	if (pub->mail_watch)
		pub->poll_api->watch_free(pub->mail_watch);
	if (pub->simple_poll)
		avahi_simple_poll_free(pub->simple_poll);
	free(pub);
}

static int avahi_init(struct actor *self, void **state)
{
	struct avahi_pub *pub;

	pub = calloc(1, sizeof(*pub));
	if (!pub)
		return -ENOMEM;

	pub->self = self;
	pub->cfg = actor_config(self);
	pub->retry_ms = AVAHI_RETRY_MIN_MS;
	pub->simple_poll = avahi_simple_poll_new();
	if (!pub->simple_poll)
		goto fail;

	pub->poll_api = avahi_simple_poll_get(pub->simple_poll);
	pub->mail_watch =
		pub->poll_api->watch_new(pub->poll_api, actor_fd(self),
					 AVAHI_WATCH_IN, pub_mail_cb, pub);
	pub->retry = pub->poll_api->timeout_new(pub->poll_api, NULL,
						pub_retry_cb, pub);
	if (!pub->mail_watch || !pub->retry)
		goto fail;

	*state = pub;
	return 0;

fail:
	pub_free(pub);
	return -ENOMEM;
}

static int avahi_run(struct actor *self, void *state)
{
	struct avahi_pub *pub = state;
	struct msg get = { .type = MSG_STATE_GET };
	int err;

	/* Published snapshots reach us too; this one covers a restart. */
	get.correlation_id = actor_next_id();
	pub->state_get_id = get.correlation_id;
	err = actor_send(self, "state", &get);
	if (err)
		log_warning("Failed to ask state for a snapshot: %s, waiting "
			    "for the next one",
			    strerror(-err));

	pub_connect(pub);
	if (avahi_simple_poll_loop(pub->simple_poll) < 0) {
		log_err("Failed to poll: %s", strerror(errno));
		return -EIO;
	}

	return pub->quit_code;
}

static void avahi_fini(struct actor *self, void *state)
{
	struct avahi_pub *pub = state;

	(void)self;
	if (!pub)
		return;

	/* The service goes with the client: say so. */
	pub_client_drop(pub);
	pub_report(pub);
	pub_free(pub);
}

const struct actor_def avahi_actor_def = {
	.name = "avahi",
	.init = avahi_init,
	.handle = avahi_handle,
	.fini = avahi_fini,
	.run = avahi_run,
	.subscribe_state = true,
	.supervised = true,
};
