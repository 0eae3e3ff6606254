/* SPDX-License-Identifier: MIT */
/*
 * The state actor: the single writer of the connection state machine and
 * of the files in the state directory, and the only publisher of
 * MSG_STATE_SNAPSHOT. See state.c for what each snapshot field means in
 * each state.
 *
 * Mailbox "state". Takes MSG_NET_EVENT, MSG_TUNNEL_EVENT, MSG_MDNS_EVENT
 * and MSG_STATE_GET (answered with a MSG_STATE_SNAPSHOT carrying the
 * request's correlation id). Publishes MSG_STATE_SNAPSHOT at start and on
 * every change.
 */
#ifndef DISTILLER_ACTORS_STATE_H
#define DISTILLER_ACTORS_STATE_H

#include <stdint.h>

#include "runtime/actor.h"

extern const struct actor_def state_actor_def;

/*
 * Transitions the state actor refused since the process started (across
 * restarts of the actor). Any thread.
 */
uint64_t state_refused_count(void);

#endif
