/* SPDX-License-Identifier: MIT */
/*
 * The actor runtime with real threads and real inproc sockets: delivery
 * without loss across eight actors, full mailboxes reported to the sender,
 * timers, actors that run their own loop, and state subscribers that
 * converge on the newest snapshot under a burst.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"

#define DEADLINE_MS 30000

static struct config cfg;
static int done_fd = -1;

static void setup(void)
{
	config_defaults(&cfg);
	done_fd = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(done_fd, 0);
}

static void teardown(void)
{
	close(done_fd);
}

static void signal_done(void)
{
	uint64_t one = 1;

	cr_assert_eq(write(done_fd, &one, sizeof(one)), sizeof(one));
}

/* Waits until @count signals arrived or the deadline passed. */
static uint64_t wait_done(uint64_t count, int timeout_ms)
{
	uint64_t total = 0, deadline = actor_now_ms() + (uint64_t)timeout_ms;

	while (total < count) {
		struct pollfd pfd = { .fd = done_fd, .events = POLLIN };
		uint64_t now = actor_now_ms(), value;

		if (now >= deadline)
			break;

		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;

		if (read(done_fd, &value, sizeof(value)) == sizeof(value))
			total += value;
	}

	return total;
}

/* ---- eight actors in a ring, 100,000 messages ------------------------ */

#define RING_ACTORS 8
#define RING_PER_ACTOR 12500

static const char *const ring_names[RING_ACTORS] = {
	"ring0", "ring1", "ring2", "ring3", "ring4", "ring5", "ring6", "ring7",
};

struct ring_actor {
	int position;
	uint64_t next_to_send; /* 1-based sequence numbers */
	uint64_t expected;     /* next sequence from the predecessor */
	uint64_t received;
	uint64_t refused;
	bool out_of_order;
};

static struct ring_actor ring[RING_ACTORS];

static void ring_send_cb(struct actor *self, void *user_data)
{
	struct ring_actor *r = user_data;
	const char *next = ring_names[(r->position + 1) % RING_ACTORS];
	struct msg m = { .type = MSG_REPLY };

	while (r->next_to_send <= RING_PER_ACTOR) {
		int err;

		m.correlation_id = r->next_to_send;
		err = actor_send(self, next, &m);
		if (err == -EAGAIN) {
			r->refused++;
			return; /* the timer tries again */
		}

		cr_assert_eq(err, 0);
		r->next_to_send++;
	}
}

static int ring_init(struct actor *self, void **state)
{
	int position = atoi(actor_name(self) + 4);
	struct ring_actor *r = &ring[position];

	r->position = position;
	r->next_to_send = 1;
	r->expected = 1;
	*state = r;
	return actor_timer_add(self, 0, 1, ring_send_cb, r, NULL) > 0 ? 0 : -1;
}

static int ring_handle(struct actor *self, void *state, const struct msg *m)
{
	struct ring_actor *r = state;

	(void)self;
	if (m->correlation_id != r->expected)
		r->out_of_order = true;

	r->expected = m->correlation_id + 1;
	if (++r->received == RING_PER_ACTOR)
		signal_done();

	return 0;
}

#define RING_DEF(n)                                       \
	{                                                 \
		.name = ring_names[n], .init = ring_init, \
		.handle = ring_handle                     \
	}

static const struct actor_def ring_defs[RING_ACTORS] = {
	RING_DEF(0), RING_DEF(1), RING_DEF(2), RING_DEF(3),
	RING_DEF(4), RING_DEF(5), RING_DEF(6), RING_DEF(7),
};

Test(runtime, eight_actors_exchange_100000_messages_without_loss, .init = setup,
     .fini = teardown)
{
	const struct actor_def *defs[RING_ACTORS];
	struct runtime *rt;
	uint64_t total = 0, refused = 0;

	memset(ring, 0, sizeof(ring));
	for (int i = 0; i < RING_ACTORS; i++)
		defs[i] = &ring_defs[i];

	rt = runtime_new(defs, RING_ACTORS, &cfg);
	cr_assert_not_null(rt);
	for (size_t i = 0; i < RING_ACTORS; i++)
		cr_assert_eq(runtime_actor_start(rt, i), 0);

	cr_assert_eq(wait_done(RING_ACTORS, DEADLINE_MS), RING_ACTORS,
		     "not every actor received its messages in time");
	runtime_free(rt);

	for (int i = 0; i < RING_ACTORS; i++) {
		cr_expect_eq(ring[i].received, RING_PER_ACTOR);
		cr_expect_not(ring[i].out_of_order, "ring%d out of order", i);
		total += ring[i].received;
		refused += ring[i].refused;
	}

	cr_assert_eq(total, RING_ACTORS * RING_PER_ACTOR);
	cr_log_info("100000 messages delivered, %lu sends refused by full "
		    "mailboxes and retried",
		    (unsigned long)refused);
}

/* ---- a full mailbox is reported to the sender ------------------------ */

static int gate_fd = -1;
static atomic_ulong gate_received;

static int gated_handle(struct actor *self, void *state, const struct msg *m)
{
	struct pollfd pfd = { .fd = gate_fd, .events = POLLIN };

	(void)self;
	(void)state;
	(void)m;
	/* Blocks until the test opens the gate: a stuck consumer. */
	poll(&pfd, 1, DEADLINE_MS);
	atomic_fetch_add(&gate_received, 1);
	return 0;
}

static const struct actor_def gated_def = {
	.name = "gated",
	.handle = gated_handle,
};

Test(runtime, full_mailbox_is_reported_and_nothing_accepted_is_lost,
     .init = setup, .fini = teardown)
{
	const struct actor_def *defs[] = { &gated_def };
	struct msg m = { .type = MSG_REPLY };
	unsigned long accepted = 0, refused = 0;
	struct runtime *rt;
	uint64_t one = 1, deadline;

	gate_fd = eventfd(0, EFD_CLOEXEC);
	atomic_store(&gate_received, 0);
	rt = runtime_new(defs, 1, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);

	for (int i = 0; i < 4 * ACTOR_MAILBOX_DEPTH; i++) {
		int err = runtime_send(rt, "gated", &m);

		if (err == -EAGAIN)
			refused++;
		else if (!err)
			accepted++;
		else
			cr_assert_fail("unexpected send error %d", err);
	}

	cr_assert_gt(refused, 0, "a full mailbox never refused a message");
	cr_assert_eq(runtime_actor_dropped(rt, 0), refused);
	cr_assert_geq(accepted, ACTOR_MAILBOX_DEPTH);

	cr_assert_eq(write(gate_fd, &one, sizeof(one)), sizeof(one));
	deadline = actor_now_ms() + DEADLINE_MS;
	while (atomic_load(&gate_received) < accepted &&
	       actor_now_ms() < deadline)
		poll(NULL, 0, 5);

	cr_assert_eq(atomic_load(&gate_received), accepted);
	cr_assert_eq(runtime_send(rt, "nobody", &m), -ENOENT);
	runtime_free(rt);
	close(gate_fd);
}

/* ---- timers ---------------------------------------------------------- */

struct timer_probe {
	int once;
	int repeats;
	int destroyed;
	int repeat_id;
	uint64_t started_ms;
	uint64_t once_at_ms;
};

static struct timer_probe probe;

static void probe_destroy(void *user_data)
{
	(void)user_data;
	probe.destroyed++;
}

static void probe_once_cb(struct actor *self, void *user_data)
{
	(void)self;
	(void)user_data;
	probe.once++;
	probe.once_at_ms = actor_now_ms();
}

static void probe_repeat_cb(struct actor *self, void *user_data)
{
	(void)user_data;
	if (++probe.repeats == 5) {
		actor_timer_cancel(self, probe.repeat_id);
		signal_done();
	}
}

static int timers_init(struct actor *self, void **state)
{
	int id;

	(void)state;
	probe.started_ms = actor_now_ms();
	id = actor_timer_add(self, 50, 0, probe_once_cb, NULL, probe_destroy);
	cr_assert_gt(id, 0);
	probe.repeat_id = actor_timer_add(self, 10, 10, probe_repeat_cb, NULL,
					  probe_destroy);
	cr_assert_gt(probe.repeat_id, 0);
	/* Cancelled before it fires: destroy runs, the callback never. */
	id = actor_timer_add(self, 10, 0, probe_once_cb, NULL, probe_destroy);
	actor_timer_cancel(self, id);
	return 0;
}

static int noop_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	(void)m;
	return 0;
}

static const struct actor_def timers_def = {
	.name = "timers",
	.init = timers_init,
	.handle = noop_handle,
};

Test(runtime, one_shot_and_repeating_timers_fire_and_cancel, .init = setup,
     .fini = teardown)
{
	const struct actor_def *defs[] = { &timers_def };
	struct runtime *rt;

	memset(&probe, 0, sizeof(probe));
	rt = runtime_new(defs, 1, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	cr_assert_eq(wait_done(1, DEADLINE_MS), 1);
	runtime_free(rt);

	cr_assert_eq(probe.repeats, 5);
	cr_assert_eq(probe.once, 1);
	cr_assert_geq(probe.once_at_ms - probe.started_ms, 50);
	/* Cancelled repeat, cancelled one-shot, fired one-shot. */
	cr_assert_eq(probe.destroyed, 3);
}

/* ---- an actor running its own loop ----------------------------------- */

static atomic_int own_loop_seen;

static int own_loop_run(struct actor *self, void *state)
{
	(void)state;
	for (;;) {
		struct pollfd pfd = { .fd = actor_fd(self), .events = POLLIN };
		int rc = actor_dispatch(self);

		if (rc)
			return rc == 1 ? 0 : rc;

		poll(&pfd, 1, -1);
	}
}

static int own_loop_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	if (atomic_fetch_add(&own_loop_seen, 1) + 1 == (int)m->correlation_id)
		signal_done();

	return 0;
}

static const struct actor_def own_loop_def = {
	.name = "ownloop",
	.handle = own_loop_handle,
	.run = own_loop_run,
};

Test(runtime, own_loop_actor_wakes_on_mail_and_stops, .init = setup,
     .fini = teardown)
{
	const struct actor_def *defs[] = { &own_loop_def };
	struct msg m = { .type = MSG_REPLY, .correlation_id = 3 };
	struct runtime *rt;
	uint64_t t0;

	atomic_store(&own_loop_seen, 0);
	rt = runtime_new(defs, 1, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(runtime_send(rt, "ownloop", &m), 0);

	cr_assert_eq(wait_done(1, DEADLINE_MS), 1);
	t0 = actor_now_ms();
	cr_assert_eq(runtime_actor_stop(rt, 0), 0);
	cr_assert_lt(actor_now_ms() - t0, ACTOR_STOP_TIMEOUT_MS);
	cr_assert_not(runtime_actor_running(rt, 0));
	runtime_free(rt);
}

/* ---- subscribers converge on the newest snapshot --------------------- */

#define BURST 5000

static atomic_ulong sub_last_seq;
static atomic_ulong sub_seen;
static atomic_bool sub_regressed;

static void publish_burst(struct actor *self)
{
	struct msg m = { .type = MSG_STATE_SNAPSHOT };

	for (uint64_t seq = 1; seq <= BURST; seq++) {
		m.body.snapshot.seq = seq;
		m.body.snapshot.state =
			(enum wifi_state)(seq % WIFI_STATE_COUNT);
		cr_assert_eq(actor_publish(self, &m), 0);
	}
}

static int publisher_handle(struct actor *self, void *state,
			    const struct msg *m)
{
	(void)state;
	if (m->type == MSG_STATE_GET)
		publish_burst(self);

	return 0;
}

static int subscriber_init(struct actor *self, void **state)
{
	struct msg get = { .type = MSG_STATE_GET };

	(void)state;
	return actor_send(self, "publisher", &get);
}

static int subscriber_handle(struct actor *self, void *state,
			     const struct msg *m)
{
	uint64_t seq = m->body.snapshot.seq;
	struct pollfd none = { .fd = -1 };

	(void)self;
	(void)state;
	cr_assert_eq(m->type, MSG_STATE_SNAPSHOT);
	if (seq <= atomic_load(&sub_last_seq))
		atomic_store(&sub_regressed, true);

	atomic_store(&sub_last_seq, seq);
	atomic_fetch_add(&sub_seen, 1);
	poll(&none, 1, 1); /* a slow subscriber: 1 ms a message */
	if (seq == BURST)
		signal_done();

	return 0;
}

static const struct actor_def publisher_def = {
	.name = "publisher",
	.handle = publisher_handle,
};

static const struct actor_def subscriber_def = {
	.name = "subscriber",
	.init = subscriber_init,
	.handle = subscriber_handle,
	.subscribe_state = true,
};

Test(runtime, slow_subscriber_converges_on_newest_snapshot, .init = setup,
     .fini = teardown)
{
	const struct actor_def *defs[] = { &publisher_def, &subscriber_def };
	struct runtime *rt;

	atomic_store(&sub_last_seq, 0);
	atomic_store(&sub_seen, 0);
	atomic_store(&sub_regressed, false);
	rt = runtime_new(defs, 2, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	cr_assert_eq(runtime_actor_start(rt, 1), 0);

	cr_assert_eq(wait_done(1, DEADLINE_MS), 1,
		     "the newest snapshot never reached the subscriber");
	runtime_free(rt);

	cr_assert_eq(atomic_load(&sub_last_seq), BURST);
	cr_assert_not(atomic_load(&sub_regressed));
	cr_log_info("slow subscriber handled %lu of %d snapshots and ended "
		    "on the newest",
		    atomic_load(&sub_seen), BURST);
}

/* ---- a stuck actor is abandoned within the stop deadline ------------- */

static int stuck_handle(struct actor *self, void *state, const struct msg *m)
{
	struct pollfd none = { .fd = -1 };

	(void)self;
	(void)state;
	(void)m;
	signal_done();
	poll(&none, 1, 3 * ACTOR_STOP_TIMEOUT_MS);
	return 0;
}

static const struct actor_def stuck_def = {
	.name = "stuck",
	.handle = stuck_handle,
};

Test(runtime, stop_abandons_an_actor_that_does_not_answer, .init = setup,
     .fini = teardown)
{
	const struct actor_def *defs[] = { &stuck_def };
	struct msg m = { .type = MSG_REPLY };
	struct runtime *rt;
	uint64_t t0;

	rt = runtime_new(defs, 1, &cfg);
	cr_assert_not_null(rt);
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	cr_assert_eq(runtime_send(rt, "stuck", &m), 0);
	cr_assert_eq(wait_done(1, DEADLINE_MS), 1);

	t0 = actor_now_ms();
	cr_assert_eq(runtime_actor_stop(rt, 0), -ETIMEDOUT);
	cr_assert_lt(actor_now_ms() - t0, ACTOR_STOP_TIMEOUT_MS + 500);
	cr_assert_not(runtime_actor_running(rt, 0));
	/* It can be started again while the old thread is still stuck. */
	cr_assert_eq(runtime_actor_start(rt, 0), 0);
	runtime_free(rt);
}

Test(runtime, refuses_duplicate_or_unnamed_actors, .init = setup,
     .fini = teardown)
{
	const struct actor_def *dup[] = { &timers_def, &timers_def };
	static const struct actor_def unnamed = { .handle = noop_handle };
	const struct actor_def *bad[] = { &unnamed };

	cr_assert_null(runtime_new(dup, 2, &cfg));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(runtime_new(bad, 1, &cfg));
}
