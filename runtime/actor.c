/* SPDX-License-Identifier: MIT */
/*
 * The actor runtime: the table of actors, their mailboxes, their threads,
 * their timers and the state bus.
 *
 * Each slot of the table owns, for the whole life of the process, a pull
 * socket (the mailbox, at inproc://distiller/NAME) and one push socket
 * dialed to it that every sender shares; nng sockets are thread-safe, so
 * the table is immutable after runtime_new() apart from the thread handle,
 * which only the supervisor touches. A running actor is a struct actor
 * owned by its thread: its epoll set watches the mailbox, its subscription,
 * its timerfd and its stop eventfd, and actor_dispatch() drains them.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>

#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/error.h"
#include "runtime/log.h"

#define ACTOR_URL_MAX 64
#define ACTOR_BUS_URL "inproc://distiller/.bus"
#define ACTOR_DISPATCH_BATCH 64
#define ACTOR_SUB_DEPTH 16
#define ACTOR_TIMERS_PER_DISPATCH 64
#define ACTOR_DROP_LOG_EVERY 1000

struct actor_timer {
	int id;
	uint64_t due_ms;
	unsigned int interval_ms;
	actor_timer_cb_t cb;
	void *user_data;
	actor_destroy_cb_t destroy;
	struct actor_timer *next;
};

struct actor {
	struct runtime *rt;
	size_t index;
	const struct actor_def *def;
	void *state;

	nng_socket sub;
	bool has_sub;
	int epoll_fd;
	int stop_fd;
	int timer_fd;

	struct actor_timer *timers; /* sorted by due time */
	int next_timer_id;
	bool quit;
	int quit_code;
	int result;
	unsigned long malformed;

	atomic_bool stopping;  /* a stop was requested */
	atomic_bool exiting;   /* left its loop by itself */
	atomic_bool abandoned; /* its stop timed out */
};

/*
 * A thread that did not stop in time. It cannot be killed safely, so it is
 * kept here, stopped from taking mail, and joined when the runtime is
 * freed: only then is its instance freed.
 */
struct abandoned {
	pthread_t thread;
	struct actor *instance;
	struct abandoned *next;
};

struct kept {
	void *data;
	actor_destroy_cb_t destroy;
};

struct slot {
	const struct actor_def *def;
	nng_socket pull;
	nng_socket push;
	pthread_t thread;
	struct actor *instance; /* NULL when not running */
	atomic_ulong dropped;
	_Atomic(struct kept *) kept; /* see actor_keep() */
};

struct runtime {
	const struct config *cfg;
	size_t n_slots;
	struct slot *slots;
	nng_socket bus;
	struct abandoned *abandoned;
	int exit_fd;
	atomic_int exit_status;
	atomic_bool exit_requested;
};

static atomic_uint_fast64_t next_correlation_id = 1;

uint64_t actor_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t actor_next_id(void)
{
	return atomic_fetch_add(&next_correlation_id, 1);
}

static void actor_url(char *url, size_t size, const char *name)
{
	snprintf(url, size, "inproc://distiller/%s", name);
}

static int slot_open(struct slot *slot)
{
	char url[ACTOR_URL_MAX];
	int rv;

	actor_url(url, sizeof(url), slot->def->name);

	rv = nng_pair1_open(&slot->pull);
	if (rv)
		return error_from_nng(rv);

	rv = nng_socket_set_int(slot->pull, NNG_OPT_RECVBUF,
				ACTOR_MAILBOX_DEPTH);
	if (!rv)
		rv = nng_listen(slot->pull, url, NULL, 0);
	if (!rv)
		rv = nng_pair1_open(&slot->push);
	if (!rv)
		rv = nng_socket_set_int(slot->push, NNG_OPT_SENDBUF,
					ACTOR_MAILBOX_DEPTH);
	if (!rv)
		rv = nng_dial(slot->push, url, NULL, 0);

	return error_from_nng(rv);
}

static void slot_close(struct slot *slot)
{
	if (nng_socket_id(slot->push) > 0)
		nng_close(slot->push);
	if (nng_socket_id(slot->pull) > 0)
		nng_close(slot->pull);
}

struct runtime *runtime_new(const struct actor_def *const *defs, size_t n_defs,
			    const struct config *cfg)
{
	struct runtime *rt;
	int err;

	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;

	rt->cfg = cfg;
	rt->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rt->slots = calloc(n_defs ? n_defs : 1, sizeof(*rt->slots));
	if (rt->exit_fd < 0 || !rt->slots) {
		err = rt->exit_fd < 0 ? errno : ENOMEM;
		goto fail;
	}

	err = -error_from_nng(nng_pub0_open(&rt->bus));
	if (!err)
		err = -error_from_nng(
			nng_listen(rt->bus, ACTOR_BUS_URL, NULL, 0));
	if (err)
		goto fail;

	for (size_t i = 0; i < n_defs; i++) {
		struct slot *slot = &rt->slots[i];

		if (!defs[i]->name || !defs[i]->handle ||
		    strlen(defs[i]->name) >= MSG_NAME_MAX ||
		    runtime_actor_index(rt, defs[i]->name) >= 0) {
			err = EINVAL;
			goto fail;
		}

		slot->def = defs[i];
		rt->n_slots = i + 1;
		err = -slot_open(slot);
		if (err)
			goto fail;
	}

	return rt;

fail:
	runtime_free(rt);
	errno = err;
	return NULL;
}

size_t runtime_actor_count(const struct runtime *rt)
{
	return rt->n_slots;
}

const struct actor_def *runtime_actor_def(const struct runtime *rt,
					  size_t index)
{
	return index < rt->n_slots ? rt->slots[index].def : NULL;
}

int runtime_actor_index(const struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_slots; i++)
		if (!strcmp(rt->slots[i].def->name, name))
			return (int)i;

	return -ENOENT;
}

bool runtime_actor_running(const struct runtime *rt, size_t index)
{
	return index < rt->n_slots && rt->slots[index].instance;
}

/* ---- timers ---------------------------------------------------------- */

static void actor_timer_free(struct actor_timer *timer)
{
	if (timer->destroy)
		timer->destroy(timer->user_data);

	free(timer);
}

static void actor_timers_arm(struct actor *self)
{
	struct itimerspec its = { 0 };

	if (self->timers) {
		uint64_t due = self->timers->due_ms;

		/* A zero it_value disarms: keep an overdue timer armed. */
		its.it_value.tv_sec = (time_t)(due / 1000u);
		its.it_value.tv_nsec = (long)(due % 1000u) * 1000000L;
		if (!due)
			its.it_value.tv_nsec = 1;
	}

	timerfd_settime(self->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void actor_timer_insert(struct actor *self, struct actor_timer *timer)
{
	struct actor_timer **link = &self->timers;

	while (*link && (*link)->due_ms <= timer->due_ms)
		link = &(*link)->next;

	timer->next = *link;
	*link = timer;
}

int actor_timer_add(struct actor *self, unsigned int delay_ms,
		    unsigned int interval_ms, actor_timer_cb_t cb,
		    void *user_data, actor_destroy_cb_t destroy)
{
	struct actor_timer *timer;

	if (!cb)
		return -EINVAL;

	timer = calloc(1, sizeof(*timer));
	if (!timer)
		return -ENOMEM;

	if (++self->next_timer_id <= 0)
		self->next_timer_id = 1;

	timer->id = self->next_timer_id;
	timer->due_ms = actor_now_ms() + delay_ms;
	timer->interval_ms = interval_ms;
	timer->cb = cb;
	timer->user_data = user_data;
	timer->destroy = destroy;
	actor_timer_insert(self, timer);
	actor_timers_arm(self);

	return timer->id;
}

void actor_timer_cancel(struct actor *self, int id)
{
	struct actor_timer **link = &self->timers;

	while (*link && (*link)->id != id)
		link = &(*link)->next;

	if (!*link)
		return;

	struct actor_timer *timer = *link;

	*link = timer->next;
	actor_timer_free(timer);
	actor_timers_arm(self);
}

static void actor_timers_run(struct actor *self)
{
	uint64_t expirations;

	if (read(self->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		log_warning("Failed to read timerfd: %s", strerror(errno));

	for (int i = 0; i < ACTOR_TIMERS_PER_DISPATCH; i++) {
		struct actor_timer *timer = self->timers;
		uint64_t now = actor_now_ms();

		if (!timer || timer->due_ms > now || self->quit)
			break;

		self->timers = timer->next;
		if (!timer->interval_ms) {
			timer->cb(self, timer->user_data);
			actor_timer_free(timer);
			continue;
		}

		/* Re-insert first so the callback may cancel it. */
		timer->due_ms = now + timer->interval_ms;
		actor_timer_insert(self, timer);
		timer->cb(self, timer->user_data);
	}

	actor_timers_arm(self);
}

static void actor_timers_free(struct actor *self)
{
	while (self->timers) {
		struct actor_timer *timer = self->timers;

		self->timers = timer->next;
		actor_timer_free(timer);
	}
}

/* ---- sending --------------------------------------------------------- */

static int send_encoded(nng_socket sock, const struct msg *m, int flags)
{
	void *buf;
	size_t len;
	nng_msg *nm;
	int err;

	err = msg_encode(m, &buf, &len);
	if (err)
		return err;

	err = error_from_nng(nng_msg_alloc(&nm, 0));
	if (!err)
		err = error_from_nng(nng_msg_append(nm, buf, len));
	free(buf);
	if (err) {
		nng_msg_free(nm);
		return err;
	}

	err = error_from_nng(nng_sendmsg(sock, nm, flags));
	if (err)
		nng_msg_free(nm);

	return err;
}

static int runtime_deliver(struct runtime *rt, const char *to,
			   const struct msg *m)
{
	struct slot *slot;
	unsigned long dropped;
	int index, err;

	index = runtime_actor_index(rt, to);
	if (index < 0)
		return index;

	slot = &rt->slots[index];
	err = send_encoded(slot->push, m, NNG_FLAG_NONBLOCK);
	if (err != -EAGAIN)
		return err;

	dropped = atomic_fetch_add(&slot->dropped, 1) + 1;
	if (dropped == 1 || !(dropped % ACTOR_DROP_LOG_EVERY))
		log_warning("Mailbox of %s is full, %lu messages refused so "
			    "far",
			    to, dropped);

	return err;
}

int runtime_send(struct runtime *rt, const char *to, const struct msg *m)
{
	struct msg copy = *m;

	copy.sender[0] = '\0';
	return runtime_deliver(rt, to, &copy);
}

int actor_send(struct actor *self, const char *to, const struct msg *m)
{
	struct msg *copy;
	int err;

	/* struct msg is large (scan results): keep it off small stacks. */
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;

	*copy = *m;
	msg_strlcpy(copy->sender, sizeof(copy->sender), self->def->name);
	err = runtime_deliver(self->rt, to, copy);
	free(copy);

	return err;
}

int actor_reply(struct actor *self, const struct msg *request,
		struct msg *answer)
{
	answer->correlation_id = request->correlation_id;
	if (!request->sender[0])
		return -ENOENT;

	return actor_send(self, request->sender, answer);
}

int actor_publish(struct actor *self, const struct msg *m)
{
	struct msg copy = *m;

	msg_strlcpy(copy.sender, sizeof(copy.sender), self->def->name);
	return send_encoded(self->rt->bus, &copy, 0);
}

/* ---- receiving ------------------------------------------------------- */

static void actor_answer_heartbeat(struct actor *self, const struct msg *m)
{
	struct msg ack = { .type = MSG_HEARTBEAT_ACK };
	int err;

	err = actor_reply(self, m, &ack);
	if (err)
		log_debug("Failed to answer heartbeat: %s", strerror(-err));
}

/* Returns 1 when a message was handled, 0 when none was waiting. */
static int actor_receive_one(struct actor *self, nng_socket sock, struct msg *m,
			     int *handler_rc)
{
	nng_msg *nm;
	int err;

	err = nng_recvmsg(sock, &nm, NNG_FLAG_NONBLOCK);
	if (err)
		return 0;

	err = msg_decode(nng_msg_body(nm), nng_msg_len(nm), m);
	nng_msg_free(nm);
	if (err) {
		if (!(self->malformed++ % ACTOR_DROP_LOG_EVERY))
			log_warning("Dropped malformed message (%lu so far): "
				    "%s",
				    self->malformed, strerror(-err));
		return 1;
	}

	if (m->type == MSG_HEARTBEAT) {
		actor_answer_heartbeat(self, m);
		return 1;
	}

	*handler_rc = self->def->handle(self, self->state, m);
	return 1;
}

static bool actor_stop_requested(struct actor *self)
{
	return atomic_load(&self->stopping);
}

int actor_dispatch(struct actor *self)
{
	struct slot *slot;
	int rc = 0;
	struct msg *m;

	if (actor_stop_requested(self))
		return 1;

	slot = &self->rt->slots[self->index];
	actor_timers_run(self);
	if (self->quit)
		return self->quit_code ? self->quit_code : 1;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;

	/*
	 * A handler may run long; once a stop was requested (and the
	 * runtime may have given up on this thread) touch no more mail.
	 */
	for (int i = 0; i < ACTOR_DISPATCH_BATCH && !rc && !self->quit &&
			!actor_stop_requested(self);
	     i++)
		if (!actor_receive_one(self, slot->pull, m, &rc))
			break;

	for (int i = 0; i < ACTOR_DISPATCH_BATCH && self->has_sub && !rc &&
			!self->quit && !actor_stop_requested(self);
	     i++)
		if (!actor_receive_one(self, self->sub, m, &rc))
			break;

	free(m);
	if (rc)
		return rc;

	if (self->quit)
		return self->quit_code ? self->quit_code : 1;

	return 0;
}

void actor_quit(struct actor *self, int code)
{
	self->quit = true;
	self->quit_code = code;
}

int actor_fd(const struct actor *self)
{
	return self->epoll_fd;
}

const char *actor_name(const struct actor *self)
{
	return self->def->name;
}

struct runtime *actor_runtime(struct actor *self)
{
	return self->rt;
}

const struct config *actor_config(const struct actor *self)
{
	return self->rt->cfg;
}

/* ---- what an actor keeps across its restarts ------------------------- */

static void kept_free(struct kept *k)
{
	if (!k)
		return;

	if (k->destroy)
		k->destroy(k->data);

	free(k);
}

void actor_keep(struct actor *self, void *data, actor_destroy_cb_t destroy)
{
	struct slot *slot;
	struct kept *k;

	if (atomic_load(&self->abandoned)) {
		if (destroy)
			destroy(data);
		return;
	}

	k = malloc(sizeof(*k));
	if (!k) {
		if (destroy)
			destroy(data);
		return;
	}

	k->data = data;
	k->destroy = destroy;
	slot = &self->rt->slots[self->index];
	kept_free(atomic_exchange(&slot->kept, k));
}

void *actor_take_kept(struct actor *self)
{
	struct slot *slot = &self->rt->slots[self->index];
	struct kept *k = atomic_exchange(&slot->kept, NULL);
	void *data;

	if (!k)
		return NULL;

	data = k->data;
	free(k);
	return data;
}

/* ---- instances and threads ------------------------------------------- */

static int epoll_watch(int epoll_fd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;

	return 0;
}

static int recv_fd(nng_socket sock, int *fd)
{
	return error_from_nng(nng_socket_get_int(sock, NNG_OPT_RECVFD, fd));
}

static void actor_instance_free(struct actor *self)
{
	if (!self)
		return;

	actor_timers_free(self);
	if (self->has_sub)
		nng_close(self->sub);
	if (self->epoll_fd >= 0)
		close(self->epoll_fd);
	if (self->stop_fd >= 0)
		close(self->stop_fd);
	if (self->timer_fd >= 0)
		close(self->timer_fd);
	free(self);
}

static int actor_instance_open_sub(struct actor *self)
{
	int err, fd;

	err = error_from_nng(nng_sub0_open(&self->sub));
	if (err)
		return err;

	self->has_sub = true;
	err = error_from_nng(
		nng_socket_set(self->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0));
	if (!err)
		err = error_from_nng(nng_socket_set_int(
			self->sub, NNG_OPT_RECVBUF, ACTOR_SUB_DEPTH));
	if (!err)
		err = error_from_nng(
			nng_dial(self->sub, ACTOR_BUS_URL, NULL, 0));
	if (!err)
		err = recv_fd(self->sub, &fd);
	if (!err)
		err = epoll_watch(self->epoll_fd, fd);

	return err;
}

static struct actor *actor_instance_new(struct runtime *rt, size_t index,
					int *errp)
{
	struct slot *slot = &rt->slots[index];
	struct actor *self;
	int err, fd;

	self = calloc(1, sizeof(*self));
	if (!self) {
		*errp = -ENOMEM;
		return NULL;
	}

	self->rt = rt;
	self->index = index;
	self->def = slot->def;
	self->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	self->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	self->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (self->epoll_fd < 0 || self->stop_fd < 0 || self->timer_fd < 0) {
		err = -errno;
		goto fail;
	}

	err = epoll_watch(self->epoll_fd, self->stop_fd);
	if (!err)
		err = epoll_watch(self->epoll_fd, self->timer_fd);
	if (!err)
		err = recv_fd(slot->pull, &fd);
	if (!err)
		err = epoll_watch(self->epoll_fd, fd);
	if (!err && slot->def->subscribe_state)
		err = actor_instance_open_sub(self);
	if (err)
		goto fail;

	return self;

fail:
	actor_instance_free(self);
	*errp = err;
	return NULL;
}

static int actor_loop(struct actor *self)
{
	struct epoll_event ev[4];

	for (;;) {
		int rc = actor_dispatch(self);

		if (rc)
			return rc == 1 ? 0 : rc;

		if (epoll_wait(self->epoll_fd, ev, 4, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

static void actor_report_exit(struct actor *self, int code)
{
	struct msg m = { .type = MSG_ACTOR_EXITED };

	msg_strlcpy(m.body.actor_exited.actor,
		    sizeof(m.body.actor_exited.actor), self->def->name);
	m.body.actor_exited.code = code;
	if (runtime_actor_index(self->rt, "supervisor") >= 0)
		actor_send(self, "supervisor", &m);
}

static void *actor_thread(void *arg)
{
	struct actor *self = arg;
	char thread_name[16];
	int rc = 0;

	snprintf(thread_name, sizeof(thread_name), "%s", self->def->name);
	pthread_setname_np(pthread_self(), thread_name);
	log_set_thread_name(self->def->name);

	if (self->def->init)
		rc = self->def->init(self, &self->state);
	if (rc)
		log_err("Failed to start: %s",
			rc < 0 ? strerror(-rc) : "init failed");
	else if (self->def->run)
		rc = self->def->run(self, self->state);
	else
		rc = actor_loop(self);

	if (self->def->fini)
		self->def->fini(self, self->state);

	self->state = NULL;
	self->result = rc;

	/* A stop asked for it: the supervisor knows. Otherwise tell it. */
	if (!actor_stop_requested(self)) {
		atomic_store(&self->exiting, true);
		actor_report_exit(self, rc ? rc : -ECHILD);
	}

	return NULL;
}

int runtime_actor_start(struct runtime *rt, size_t index)
{
	struct slot *slot;
	struct actor *self;
	pthread_attr_t attr;
	int err = 0;

	if (index >= rt->n_slots)
		return -ENOENT;

	slot = &rt->slots[index];
	if (slot->instance)
		return -EALREADY;

	self = actor_instance_new(rt, index, &err);
	if (!self)
		return err;

	pthread_attr_init(&attr);
	err = -pthread_create(&slot->thread, &attr, actor_thread, self);
	pthread_attr_destroy(&attr);
	if (err) {
		actor_instance_free(self);
		return err;
	}

	slot->instance = self;
	return 0;
}

static struct timespec realtime_deadline(uint64_t deadline_ms)
{
	uint64_t now = actor_now_ms(), real_ms;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	real_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	real_ms += deadline_ms > now ? deadline_ms - now : 0;
	ts.tv_sec = (time_t)(real_ms / 1000u);
	ts.tv_nsec = (long)(real_ms % 1000u) * 1000000L;
	return ts;
}

static int slot_join(struct runtime *rt, struct slot *slot,
		     uint64_t deadline_ms)
{
	struct timespec ts = realtime_deadline(deadline_ms);
	struct actor *self = slot->instance;
	struct abandoned *a;
	int rc;

	slot->instance = NULL;
	if (!pthread_timedjoin_np(slot->thread, NULL, &ts)) {
		rc = self->result;
		actor_instance_free(self);
		return rc;
	}

	atomic_store(&self->abandoned, true);
	log_err("Actor %s did not stop within its deadline, abandoned",
		slot->def->name);
	a = malloc(sizeof(*a));
	if (!a) {
		pthread_detach(slot->thread); /* leaks the instance */
		return -ETIMEDOUT;
	}

	a->thread = slot->thread;
	a->instance = self;
	a->next = rt->abandoned;
	rt->abandoned = a;
	return -ETIMEDOUT;
}

/* Gives threads given up on a last chance to finish before the free. */
static void runtime_join_abandoned(struct runtime *rt)
{
	uint64_t deadline = actor_now_ms() + ACTOR_STOP_TIMEOUT_MS;

	while (rt->abandoned) {
		struct abandoned *a = rt->abandoned;
		struct timespec ts = realtime_deadline(deadline);

		rt->abandoned = a->next;
		if (!pthread_timedjoin_np(a->thread, NULL, &ts))
			actor_instance_free(a->instance);
		else
			pthread_detach(a->thread); /* still stuck: leak */

		free(a);
	}
}

static void slot_signal_stop(struct slot *slot)
{
	uint64_t one = 1;

	if (!slot->instance)
		return;

	atomic_store(&slot->instance->stopping, true);
	if (write(slot->instance->stop_fd, &one, sizeof(one)) < 0)
		log_warning("Failed to signal %s to stop: %s", slot->def->name,
			    strerror(errno));
}

int runtime_actor_stop(struct runtime *rt, size_t index)
{
	struct slot *slot;

	if (index >= rt->n_slots)
		return -ENOENT;

	slot = &rt->slots[index];
	if (!slot->instance)
		return 0;

	slot_signal_stop(slot);
	return slot_join(rt, slot, actor_now_ms() + ACTOR_STOP_TIMEOUT_MS) ==
			       -ETIMEDOUT ?
		       -ETIMEDOUT :
		       0;
}

int runtime_actor_reap(struct runtime *rt, size_t index)
{
	struct slot *slot;

	if (index >= rt->n_slots)
		return -ENOENT;

	slot = &rt->slots[index];
	if (!slot->instance)
		return 0;

	/* A report from an instance that was already replaced is stale. */
	if (!atomic_load(&slot->instance->exiting))
		return -EBUSY;

	return slot_join(rt, slot, actor_now_ms() + ACTOR_STOP_TIMEOUT_MS) ==
			       -ETIMEDOUT ?
		       -ETIMEDOUT :
		       0;
}

void runtime_stop_range(struct runtime *rt, size_t first, size_t last)
{
	uint64_t deadline = actor_now_ms() + ACTOR_STOP_TIMEOUT_MS;

	/* Ask everyone first so they wind down in parallel... */
	for (size_t i = last + 1; i-- > first;)
		slot_signal_stop(&rt->slots[i]);

	/* ...then collect them in reverse order within one deadline. */
	for (size_t i = last + 1; i-- > first;)
		if (rt->slots[i].instance)
			slot_join(rt, &rt->slots[i], deadline);
}

void runtime_free(struct runtime *rt)
{
	if (!rt)
		return;

	/*
	 * The first actor started the others (the supervisor) and stops
	 * them itself, in reverse order; then collect whatever remains.
	 */
	if (rt->n_slots) {
		runtime_actor_stop(rt, 0);
		runtime_stop_range(rt, 0, rt->n_slots - 1);
	}

	runtime_join_abandoned(rt);
	for (size_t i = 0; i < rt->n_slots; i++) {
		slot_close(&rt->slots[i]);
		kept_free(atomic_load(&rt->slots[i].kept));
	}

	if (nng_socket_id(rt->bus) > 0)
		nng_close(rt->bus);
	if (rt->exit_fd >= 0)
		close(rt->exit_fd);
	free(rt->slots);
	free(rt);
}

unsigned long runtime_actor_dropped(const struct runtime *rt, size_t index)
{
	if (index >= rt->n_slots)
		return 0;

	return atomic_load(&rt->slots[index].dropped);
}

/* ---- process exit ---------------------------------------------------- */

void runtime_request_exit(struct runtime *rt, int status)
{
	uint64_t one = 1;
	bool expected = false;

	if (!atomic_compare_exchange_strong(&rt->exit_requested, &expected,
					    true))
		return;

	atomic_store(&rt->exit_status, status);
	if (write(rt->exit_fd, &one, sizeof(one)) < 0)
		log_err("Failed to request exit: %s", strerror(errno));
}

bool runtime_exit_requested(const struct runtime *rt, int *status)
{
	if (!atomic_load(&rt->exit_requested))
		return false;

	if (status)
		*status = atomic_load(&rt->exit_status);

	return true;
}

static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

void runtime_block_signals(void)
{
	sigset_t set;

	signal_set(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int runtime_wait_exit(struct runtime *rt)
{
	struct pollfd pfd[2];
	sigset_t set;
	int status = 0;

	signal_set(&set);
	pfd[0].fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd[0].events = POLLIN;
	pfd[1].fd = rt->exit_fd;
	pfd[1].events = POLLIN;
	if (pfd[0].fd < 0)
		return 1;

	for (;;) {
		struct signalfd_siginfo info;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;

		if (runtime_exit_requested(rt, &status))
			break;

		if (read(pfd[0].fd, &info, sizeof(info)) ==
		    (ssize_t)sizeof(info)) {
			log_info("Received %s, stopping",
				 info.ssi_signo == SIGTERM ? "SIGTERM" :
							     "SIGINT");
			status = 0;
			break;
		}
	}

	close(pfd[0].fd);
	return status;
}
