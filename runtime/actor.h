/* SPDX-License-Identifier: MIT */
/*
 * The actor runtime. An actor is a named pthread that owns its state and
 * talks to the others only through msgpack messages (messages/msg.h) over
 * nng inproc sockets.
 *
 * Every actor has a mailbox: an nng pull socket at inproc://distiller/NAME
 * and a push socket that all senders share; both belong to the runtime and
 * outlive any one run of the actor, so mail sent while an actor restarts
 * waits for it. State snapshots travel on one pub socket owned by the
 * runtime; actors that ask for them get a sub socket of their own. nng may
 * drop snapshots for a slow subscriber but always keeps the newest, and a
 * snapshot is the whole truth, so subscribers converge.
 *
 * An actor either lets the runtime run its loop (run == NULL: the runtime
 * waits on the mailbox, the subscription and the actor's timers, and calls
 * handle for each message) or runs its own event loop (GLib, lws, avahi).
 * Such an actor watches actor_fd() in its loop and calls actor_dispatch()
 * when it is readable; nothing polls on a timer to see mail.
 *
 * The runtime answers MSG_HEARTBEAT itself, from inside dispatch, so an ack
 * proves that the actor's thread is still getting to its mail.
 */
#ifndef DISTILLER_RUNTIME_ACTOR_H
#define DISTILLER_RUNTIME_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct runtime;
struct config;
struct msg;

typedef int (*actor_init_cb_t)(struct actor *self, void **state);
typedef int (*actor_handle_cb_t)(struct actor *self, void *state,
				 const struct msg *m);
typedef void (*actor_fini_cb_t)(struct actor *self, void *state);
typedef int (*actor_run_cb_t)(struct actor *self, void *state);
typedef void (*actor_timer_cb_t)(struct actor *self, void *user_data);
typedef void (*actor_destroy_cb_t)(void *user_data);

struct actor_def {
	const char *name;	  /* mailbox name, also the log prefix */
	actor_init_cb_t init;	  /* may be NULL; sets *state */
	actor_handle_cb_t handle; /* required; nonzero return = failure */
	actor_fini_cb_t fini;	  /* may be NULL; must accept NULL state */
	actor_run_cb_t run;	  /* NULL: the runtime's loop */
	bool subscribe_state;	  /* receive MSG_STATE_SNAPSHOT */
	bool supervised;	  /* heartbeated and restarted */
};

/* Mailbox capacity in messages; beyond it a send fails with -EAGAIN. */
#define ACTOR_MAILBOX_DEPTH 1024

/* Longest a stop waits for an actor's thread before abandoning it. */
#define ACTOR_STOP_TIMEOUT_MS 1500

/*
 * Creates the actor table and every mailbox; starts no thread. @defs and
 * @cfg must outlive the runtime. Main thread only. Returns NULL and sets
 * errno on failure.
 */
struct runtime *runtime_new(const struct actor_def *const *defs, size_t n_defs,
			    const struct config *cfg);

/*
 * Stops the table's first actor (the supervisor, which stops the ones it
 * started in reverse order), then any actor still running, and frees.
 * Main thread only.
 */
void runtime_free(struct runtime *rt);

size_t runtime_actor_count(const struct runtime *rt);
const struct actor_def *runtime_actor_def(const struct runtime *rt,
					  size_t index);
/* Index of the actor called @name, or -ENOENT. */
int runtime_actor_index(const struct runtime *rt, const char *name);

/*
 * Starts or stops the actor at @index. Only one thread (the supervisor,
 * or main before the supervisor runs) may call these. Start returns
 * -EALREADY if it runs. Stop asks the thread to leave, waits up to
 * ACTOR_STOP_TIMEOUT_MS, and abandons a thread that does not answer: it
 * takes no more mail, the actor may be started afresh, and the thread is
 * joined (for one more deadline) by runtime_free(). Stop returns 0, or
 * -ETIMEDOUT when the thread was abandoned.
 */
int runtime_actor_start(struct runtime *rt, size_t index);
int runtime_actor_stop(struct runtime *rt, size_t index);
bool runtime_actor_running(const struct runtime *rt, size_t index);

/*
 * Joins an actor whose thread has ended by itself (after MSG_ACTOR_EXITED
 * reached the supervisor) so it can be started again. Returns 0, or
 * -EBUSY when the running instance did not exit (a stale report).
 */
int runtime_actor_reap(struct runtime *rt, size_t index);

/*
 * Stops the actors with indexes first..last: every one is asked at once,
 * then each is joined in reverse order within one shared deadline of
 * ACTOR_STOP_TIMEOUT_MS. Same caller rule as runtime_actor_stop().
 */
void runtime_stop_range(struct runtime *rt, size_t first, size_t last);

/* Messages refused because the actor's mailbox was full. Any thread. */
unsigned long runtime_actor_dropped(const struct runtime *rt, size_t index);

/*
 * Asks the process to end with @status. Any thread. The main thread sees
 * it through runtime_wait_exit(). The first request wins.
 */
void runtime_request_exit(struct runtime *rt, int status);

/* Whether an exit was requested, and with which status. Any thread. */
bool runtime_exit_requested(const struct runtime *rt, int *status);

/*
 * Blocks the calling (main) thread until SIGTERM/SIGINT arrives or an
 * exit is requested, then returns the exit status (0 for a signal). The
 * caller must have blocked those signals in every thread beforehand
 * (runtime_block_signals() before creating any thread).
 */
int runtime_wait_exit(struct runtime *rt);
void runtime_block_signals(void);

/* Sends a message built outside any actor (main, tests). Any thread. */
int runtime_send(struct runtime *rt, const char *to, const struct msg *m);

/* ---- inside an actor's thread ---------------------------------------- */

const char *actor_name(const struct actor *self);
struct runtime *actor_runtime(struct actor *self);
const struct config *actor_config(const struct actor *self);

/*
 * Sends @m to the actor called @to; sender and version are filled in.
 * Never blocks: returns 0, -EAGAIN when the mailbox is full (counted and
 * logged), -ENOENT for an unknown actor, or an encoding error.
 */
int actor_send(struct actor *self, const char *to, const struct msg *m);

/* Answers @request: same correlation id, sent to its sender. */
int actor_reply(struct actor *self, const struct msg *request,
		struct msg *answer);

/* A correlation id unique in this process. Any thread. */
uint64_t actor_next_id(void);

/*
 * Publishes a snapshot to every subscriber. Only the state actor calls it;
 * nng keeps the newest message for a slow subscriber.
 */
int actor_publish(struct actor *self, const struct msg *m);

/*
 * Timers run on the actor's own thread from dispatch. @interval_ms 0 makes
 * a one-shot timer, which is removed after it fires. Returns an id > 0 or
 * -errno; @destroy (may be NULL) is called on @user_data when the timer
 * is cancelled, fires for the last time, or the actor stops.
 */
int actor_timer_add(struct actor *self, unsigned int delay_ms,
		    unsigned int interval_ms, actor_timer_cb_t cb,
		    void *user_data, actor_destroy_cb_t destroy);
void actor_timer_cancel(struct actor *self, int id);

/*
 * What an actor keeps across its own restarts within one runtime (a
 * supervised restart must not lose, say, the setup password that exists
 * only in memory). actor_keep() hands @data to the runtime, replacing and
 * destroying whatever was kept before; a stopping instance's data is
 * destroyed at once, so a thread given up on cannot overwrite its
 * successor's. actor_take_kept() hands it back to the caller, or returns
 * NULL on a first start. The runtime destroys what is left when it is
 * freed. Only the actor's own thread.
 */
void actor_keep(struct actor *self, void *data, actor_destroy_cb_t destroy);
void *actor_take_kept(struct actor *self);

/* Monotonic milliseconds, the clock timers use. */
uint64_t actor_now_ms(void);

/*
 * For actors with their own loop: a descriptor that is readable while
 * mail, a snapshot, an expired timer or a stop request is pending.
 */
int actor_fd(const struct actor *self);

/*
 * Handles what is pending without blocking: stop requests first, then
 * expired timers, then up to a batch of messages. Returns 0, 1 when the
 * actor must leave its loop (stop requested), or the nonzero value a
 * handler returned (the actor should leave its loop and return it).
 */
int actor_dispatch(struct actor *self);

/* Asks the calling actor to leave its loop at the next dispatch. */
void actor_quit(struct actor *self, int code);

#endif
