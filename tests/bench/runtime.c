/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the actor runtime (a program, not a test): actor-to-actor
 * round-trip latency over inproc mailboxes (p50, p99) and one-way
 * throughput in messages per second, printed as one table. The same round
 * trip with bare nng pair1 sockets and blocking calls, no actors, no
 * msgpack, runs in the same program as the floor the runtime stands on.
 *
 *   bench_runtime [round-trips] [one-way messages]
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"

static long round_trips = 100000;
static long one_way = 1000000;
static int done_fd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void signal_done(void)
{
	uint64_t one = 1;

	if (write(done_fd, &one, sizeof(one)) < 0)
		perror("write");
}

static void wait_done(void)
{
	uint64_t value;

	if (read(done_fd, &value, sizeof(value)) < 0)
		perror("read");
}

/* ---- round trip ------------------------------------------------------ */

struct pinger {
	long sent;
	uint64_t t0;
	uint64_t *samples;
};

static struct pinger pinger;

static void ping_send(struct actor *self)
{
	struct msg m = { .type = MSG_REPLY };

	m.correlation_id = (uint64_t)pinger.sent;
	pinger.t0 = now_ns();
	if (actor_send(self, "pong", &m))
		fprintf(stderr, "ping: send failed\n");
}

static int ping_init(struct actor *self, void **state)
{
	(void)state;
	ping_send(self);
	return 0;
}

static int ping_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)state;
	(void)m;
	pinger.samples[pinger.sent++] = now_ns() - pinger.t0;
	if (pinger.sent == round_trips) {
		signal_done();
		return 0;
	}

	ping_send(self);
	return 0;
}

static int pong_handle(struct actor *self, void *state, const struct msg *m)
{
	struct msg answer = { .type = MSG_REPLY };

	(void)state;
	return actor_reply(self, m, &answer) == 0 ? 0 : -EIO;
}

/* ---- one way --------------------------------------------------------- */

static long blasted;
static long sink_received;
static unsigned long refused;

static void blast_cb(struct actor *self, void *user_data);

static void blast(struct actor *self)
{
	struct msg m = { .type = MSG_REPLY };

	while (blasted < one_way) {
		m.correlation_id = (uint64_t)blasted;
		if (actor_send(self, "sink", &m) == -EAGAIN) {
			refused++;
			actor_timer_add(self, 0, 0, blast_cb, NULL, NULL);
			return;
		}

		blasted++;
	}
}

static void blast_cb(struct actor *self, void *user_data)
{
	(void)user_data;
	blast(self);
}

static int blaster_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)state;
	(void)m;
	blast(self);
	return 0;
}

static int sink_handle(struct actor *self, void *state, const struct msg *m)
{
	(void)self;
	(void)state;
	(void)m;
	if (++sink_received == one_way)
		signal_done();

	return 0;
}

/* ---- bare nng floor -------------------------------------------------- */

static nng_socket floor_a, floor_b;

static void *floor_echo(void *arg)
{
	nng_msg *nm;

	(void)arg;
	while (!nng_recvmsg(floor_b, &nm, 0))
		if (nng_sendmsg(floor_b, nm, 0))
			nng_msg_free(nm);

	return NULL;
}

static int cmp_u64(const void *a, const void *b);

static double floor_p50_us(long n)
{
	uint64_t *samples = calloc((size_t)n, sizeof(*samples));
	pthread_t echo;
	double p50;

	if (!samples || nng_pair1_open(&floor_a) || nng_pair1_open(&floor_b) ||
	    nng_listen(floor_b, "inproc://bench-floor", NULL, 0) ||
	    nng_dial(floor_a, "inproc://bench-floor", NULL, 0) ||
	    pthread_create(&echo, NULL, floor_echo, NULL)) {
		free(samples);
		return -1;
	}

	for (long i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		nng_msg *nm;

		if (nng_msg_alloc(&nm, 32) || nng_sendmsg(floor_a, nm, 0) ||
		    nng_recvmsg(floor_a, &nm, 0))
			break;

		nng_msg_free(nm);
		samples[i] = now_ns() - t0;
	}

	nng_close(floor_b);
	nng_close(floor_a);
	pthread_join(echo, NULL);
	qsort(samples, (size_t)n, sizeof(*samples), cmp_u64);
	p50 = (double)samples[n / 2] / 1000.0;
	free(samples);
	return p50;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const struct actor_def ping_def = {
	.name = "ping",
	.init = ping_init,
	.handle = ping_handle,
};
static const struct actor_def pong_def = {
	.name = "pong",
	.handle = pong_handle,
};
static const struct actor_def blaster_def = {
	.name = "blaster",
	.handle = blaster_handle,
};
static const struct actor_def sink_def = {
	.name = "sink",
	.handle = sink_handle,
};

int main(int argc, char **argv)
{
	const struct actor_def *rt_defs[] = { &pong_def, &ping_def };
	const struct actor_def *tp_defs[] = { &sink_def, &blaster_def };
	struct msg go = { .type = MSG_REPLY };
	static struct config cfg;
	struct runtime *rt;
	uint64_t t0, elapsed;
	double p50, p99, mean = 0, rate, floor_p50;

	if (argc > 1)
		round_trips = atol(argv[1]);
	if (argc > 2)
		one_way = atol(argv[2]);
	if (round_trips < 100 || one_way < 1000) {
		fprintf(stderr,
			"usage: %s [round-trips>=100] "
			"[messages>=1000]\n",
			argv[0]);
		return 2;
	}

	config_defaults(&cfg);
	done_fd = eventfd(0, EFD_CLOEXEC);
	pinger.samples = calloc((size_t)round_trips, sizeof(uint64_t));
	if (done_fd < 0 || !pinger.samples)
		return 1;

	rt = runtime_new(rt_defs, 2, &cfg);
	if (!rt || runtime_actor_start(rt, 0) || runtime_actor_start(rt, 1))
		return 1;

	wait_done();
	runtime_free(rt);
	qsort(pinger.samples, (size_t)round_trips, sizeof(uint64_t), cmp_u64);
	for (long i = 0; i < round_trips; i++)
		mean += (double)pinger.samples[i];

	mean /= (double)round_trips * 1000.0;
	p50 = (double)pinger.samples[round_trips / 2] / 1000.0;
	p99 = (double)pinger.samples[round_trips * 99 / 100] / 1000.0;

	rt = runtime_new(tp_defs, 2, &cfg);
	if (!rt || runtime_actor_start(rt, 0) || runtime_actor_start(rt, 1))
		return 1;

	t0 = now_ns();
	runtime_send(rt, "blaster", &go);
	wait_done();
	elapsed = now_ns() - t0;
	runtime_free(rt);
	rate = (double)one_way / ((double)elapsed / 1e9);
	floor_p50 = floor_p50_us(round_trips);

	printf("| measure                         | value        | target    "
	       "|\n");
	printf("|---------------------------------|--------------|-----------"
	       "|\n");
	printf("| round trips                     | %12ld |           |\n",
	       round_trips);
	printf("| round-trip latency p50 (us)     | %12.1f | < 20      |\n",
	       p50);
	printf("| round-trip latency p99 (us)     | %12.1f |           |\n",
	       p99);
	printf("| round-trip latency mean (us)    | %12.1f |           |\n",
	       mean);
	printf("| bare nng pair1 round trip p50   | %12.1f |           |\n",
	       floor_p50);
	printf("| one-way messages                | %12ld |           |\n",
	       one_way);
	printf("| one-way throughput (msg/s)      | %12.0f | > 200000  |\n",
	       rate);
	printf("| sends refused by full mailbox   | %12lu |           |\n",
	       refused);

	free(pinger.samples);
	close(done_fd);
	return 0;
}
