/* SPDX-License-Identifier: MIT */
/*
 * The supervisor actor. Thread "supervisor", mailbox "supervisor", runtime
 * loop. It starts every other actor of the table, then every
 * heartbeat_interval_ms sends MSG_HEARTBEAT to each supervised actor (the
 * runtime answers from inside the actor's dispatch, so an answer proves the
 * actor's thread still reaches its mail).
 *
 * Takes: MSG_HEARTBEAT_ACK, MSG_ACTOR_EXITED, MSG_STATE_SNAPSHOT.
 * Sends: MSG_HEARTBEAT; the systemd notifications READY=1 once every
 * supervised actor answered, WATCHDOG=1 after each round in which all of
 * them answered, STATUS= with a one-line summary.
 *
 * An actor that exits, or misses its heartbeat deadline, is stopped and
 * started again after an exponential back-off. More than restart_limit
 * restarts within restart_window_ms end the process with
 * SUPERVISOR_EXIT_RESTART_LIMIT, so systemd starts it afresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/supervisor.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/notify.h"

#define SUPERVISOR_STATUS_MAX 160

struct supervised {
	size_t index;
	const char *name;
	bool supervised;
	bool running;
	bool answered; /* acked since its last start */
	uint64_t started_ms;
	uint64_t last_ack_ms;
	unsigned int failures; /* consecutive, drives the back-off */
	int restart_timer;
};

struct supervisor {
	struct actor *self;
	struct runtime *rt;
	const struct config *cfg;
	size_t self_index;
	size_t n;
	struct supervised *actors;

	uint64_t *restarts; /* ring of restart times */
	size_t restarts_head;
	unsigned long restarts_total;

	uint64_t round_sent_ms;
	bool ready;
	bool have_state;
	enum wifi_state state;
	char status[SUPERVISOR_STATUS_MAX];
};

struct restart_job {
	struct supervisor *sup;
	struct supervised *actor;
};

static struct supervised *supervisor_find(struct supervisor *sup,
					  const char *name)
{
	for (size_t i = 0; i < sup->n; i++)
		if (!strcmp(sup->actors[i].name, name))
			return &sup->actors[i];

	return NULL;
}

static void supervisor_notify_status(struct supervisor *sup)
{
	char text[SUPERVISOR_STATUS_MAX + 16];
	char status[SUPERVISOR_STATUS_MAX];
	size_t running = 0, total = 0;

	for (size_t i = 0; i < sup->n; i++) {
		total++;
		running += sup->actors[i].running;
	}

	snprintf(status, sizeof(status),
		 "%zu/%zu actors running%s%s, "
		 "%lu restarts",
		 running, total, sup->have_state ? ", " : "",
		 sup->have_state ? wifi_state_name(sup->state) : "",
		 sup->restarts_total);
	if (!strcmp(status, sup->status))
		return;

	memcpy(sup->status, status, sizeof(status));
	snprintf(text, sizeof(text), "STATUS=%s", status);
	notify_send(text);
}

static int supervisor_start_actor(struct supervisor *sup, struct supervised *a)
{
	int err = runtime_actor_start(sup->rt, a->index);

	if (err) {
		log_err("Failed to start actor %s: %s", a->name,
			strerror(-err));
		return err;
	}

	a->running = true;
	a->answered = false;
	a->started_ms = actor_now_ms();
	a->last_ack_ms = a->started_ms;
	return 0;
}

/* Counts a restart; returns false when the restart limit is exceeded. */
static bool supervisor_count_restart(struct supervisor *sup)
{
	const struct config *cfg = sup->cfg;
	uint64_t now = actor_now_ms();
	size_t limit = cfg->restart_limit, recent = 0;

	sup->restarts_total++;
	sup->restarts[sup->restarts_head] = now;
	sup->restarts_head = (sup->restarts_head + 1) % (limit + 1);

	for (size_t i = 0; i <= limit; i++)
		if (sup->restarts[i] &&
		    now - sup->restarts[i] < cfg->restart_window_ms)
			recent++;

	return recent <= limit;
}

static void supervisor_restart_cb(struct actor *self, void *user_data)
{
	struct restart_job *job = user_data;
	struct supervised *a = job->actor;

	(void)self;
	a->restart_timer = 0;
	log_info("Restarting actor %s (attempt %u)", a->name, a->failures);
	if (supervisor_start_actor(job->sup, a))
		return;

	supervisor_notify_status(job->sup);
}

static unsigned int supervisor_backoff_ms(const struct config *cfg,
					  unsigned int failures)
{
	uint64_t delay = cfg->restart_backoff_min_ms;

	for (unsigned int i = 1; i < failures && delay < UINT32_MAX; i++)
		delay *= 2;

	if (delay > cfg->restart_backoff_max_ms)
		delay = cfg->restart_backoff_max_ms;

	return (unsigned int)delay;
}

static void supervisor_schedule_restart(struct supervisor *sup,
					struct supervised *a)
{
	struct restart_job *job;
	unsigned int delay;
	int id;

	a->running = false;
	if (!supervisor_count_restart(sup)) {
		log_err("Actors restarted more than %u times within %u ms, "
			"exiting",
			sup->cfg->restart_limit, sup->cfg->restart_window_ms);
		notify_send("STATUS=Too many actor restarts, exiting");
		runtime_request_exit(sup->rt, SUPERVISOR_EXIT_RESTART_LIMIT);
		return;
	}

	a->failures++;
	delay = supervisor_backoff_ms(sup->cfg, a->failures);
	job = malloc(sizeof(*job));
	if (!job) {
		log_err("Failed to schedule restart of %s: %s", a->name,
			strerror(ENOMEM));
		runtime_request_exit(sup->rt, SUPERVISOR_EXIT_RESTART_LIMIT);
		return;
	}

	job->sup = sup;
	job->actor = a;
	id = actor_timer_add(sup->self, delay, 0, supervisor_restart_cb, job,
			     free);
	if (id < 0) {
		log_err("Failed to schedule restart of %s: %s", a->name,
			strerror(-id));
		free(job);
		runtime_request_exit(sup->rt, SUPERVISOR_EXIT_RESTART_LIMIT);
		return;
	}

	a->restart_timer = id;
	log_info("Actor %s will restart in %u ms", a->name, delay);
	supervisor_notify_status(sup);
}

static void supervisor_handle_exited(struct supervisor *sup,
				     const struct msg_actor_exited *e)
{
	struct supervised *a = supervisor_find(sup, e->actor);
	int err;

	if (!a || !a->running)
		return;

	err = runtime_actor_reap(sup->rt, a->index);
	if (err == -EBUSY)
		return; /* about an instance already replaced */

	log_warning("Actor %s exited: %s", a->name,
		    e->code < 0 ? strerror(-e->code) : "returned an error");
	supervisor_schedule_restart(sup, a);
}

static void supervisor_check_ready(struct supervisor *sup)
{
	if (sup->ready)
		return;

	for (size_t i = 0; i < sup->n; i++)
		if (sup->actors[i].supervised && !sup->actors[i].answered)
			return;

	sup->ready = true;
	log_info("All actors are up");
	notify_send("READY=1");
	supervisor_notify_status(sup);
}

static void supervisor_handle_ack(struct supervisor *sup, const char *name)
{
	struct supervised *a = supervisor_find(sup, name);

	if (!a || !a->running)
		return;

	a->answered = true;
	a->last_ack_ms = actor_now_ms();
	supervisor_check_ready(sup);
}

/* Whether every supervised actor answered the previous round. */
static bool supervisor_all_answered(struct supervisor *sup)
{
	for (size_t i = 0; i < sup->n; i++) {
		struct supervised *a = &sup->actors[i];

		if (!a->supervised)
			continue;

		if (!a->running || !a->answered ||
		    a->last_ack_ms < sup->round_sent_ms)
			return false;
	}

	return true;
}

static void supervisor_check_actor(struct supervisor *sup, struct supervised *a,
				   uint64_t now)
{
	struct msg ping = { .type = MSG_HEARTBEAT };
	int err;

	if (!a->supervised || !a->running)
		return;

	if (now - a->last_ack_ms > sup->cfg->heartbeat_deadline_ms) {
		log_err("Actor %s missed its heartbeat deadline (%u ms), "
			"restarting",
			a->name, sup->cfg->heartbeat_deadline_ms);
		runtime_actor_stop(sup->rt, a->index);
		supervisor_schedule_restart(sup, a);
		return;
	}

	/* Healthy for a whole window: forget its earlier failures. */
	if (a->failures && now - a->started_ms > sup->cfg->restart_window_ms)
		a->failures = 0;

	ping.correlation_id = actor_next_id();
	err = actor_send(sup->self, a->name, &ping);
	if (err && err != -EAGAIN)
		log_warning("Failed to send heartbeat to %s: %s", a->name,
			    strerror(-err));
}

static void supervisor_heartbeat_cb(struct actor *self, void *user_data)
{
	struct supervisor *sup = user_data;
	uint64_t now = actor_now_ms();

	(void)self;
	if (sup->ready && sup->round_sent_ms && supervisor_all_answered(sup))
		notify_send("WATCHDOG=1");

	for (size_t i = 0; i < sup->n; i++)
		supervisor_check_actor(sup, &sup->actors[i], now);

	sup->round_sent_ms = now;
	supervisor_notify_status(sup);
}

static void supervisor_free(struct supervisor *sup)
{
	if (!sup)
		return;

	free(sup->restarts);
	free(sup->actors);
	free(sup);
}

static int supervisor_init(struct actor *self, void **state)
{
	struct runtime *rt = actor_runtime(self);
	struct supervisor *sup;
	int err;

	sup = calloc(1, sizeof(*sup));
	if (!sup)
		return -ENOMEM;

	sup->self = self;
	sup->rt = rt;
	sup->cfg = actor_config(self);
	sup->self_index = (size_t)runtime_actor_index(rt, actor_name(self));
	sup->actors = calloc(runtime_actor_count(rt), sizeof(*sup->actors));
	sup->restarts =
		calloc(sup->cfg->restart_limit + 1, sizeof(*sup->restarts));
	if (!sup->actors || !sup->restarts) {
		supervisor_free(sup);
		return -ENOMEM;
	}

	for (size_t i = 0; i < runtime_actor_count(rt); i++) {
		const struct actor_def *def = runtime_actor_def(rt, i);
		struct supervised *a = &sup->actors[sup->n];

		if (i == sup->self_index)
			continue;

		a->index = i;
		a->name = def->name;
		a->supervised = def->supervised;
		sup->n++;
	}

	*state = sup;
	for (size_t i = 0; i < sup->n; i++) {
		err = supervisor_start_actor(sup, &sup->actors[i]);
		if (err)
			supervisor_schedule_restart(sup, &sup->actors[i]);
	}

	err = actor_timer_add(self, 0, sup->cfg->heartbeat_interval_ms,
			      supervisor_heartbeat_cb, sup, NULL);
	if (err < 0)
		return err;

	supervisor_check_ready(sup);
	return 0;
}

static int supervisor_handle(struct actor *self, void *state,
			     const struct msg *m)
{
	struct supervisor *sup = state;

	(void)self;
	switch (m->type) {
	case MSG_HEARTBEAT_ACK:
		supervisor_handle_ack(sup, m->sender);
		break;
	case MSG_ACTOR_EXITED:
		supervisor_handle_exited(sup, &m->body.actor_exited);
		break;
	case MSG_STATE_SNAPSHOT:
		sup->have_state = true;
		sup->state = m->body.snapshot.state;
		supervisor_notify_status(sup);
		break;
	case MSG_HEARTBEAT:
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

static void supervisor_fini(struct actor *self, void *state)
{
	struct supervisor *sup = state;
	size_t n = runtime_actor_count(actor_runtime(self));
	size_t me;

	if (!sup)
		return;

	/* Everyone else, in reverse start order, within one deadline. */
	me = sup->self_index;
	if (me + 1 < n)
		runtime_stop_range(sup->rt, me + 1, n - 1);
	if (me > 0)
		runtime_stop_range(sup->rt, 0, me - 1);

	notify_send("STOPPING=1");
	supervisor_free(sup);
}

const struct actor_def supervisor_actor_def = {
	.name = "supervisor",
	.init = supervisor_init,
	.handle = supervisor_handle,
	.fini = supervisor_fini,
	.subscribe_state = true,
};
