/* SPDX-License-Identifier: MIT */
/*
 * The daemon's actor table. State comes right after the supervisor so the
 * first snapshot exists before anyone asks for it; the web server comes
 * last, once there is something to serve.
 */
#include "actors/actors.h"
#include "actors/avahi.h"
#include "actors/network.h"
#include "actors/state.h"
#include "actors/supervisor.h"
#include "actors/web.h"

static const struct actor_def *const table[] = {
	&supervisor_actor_def, &state_actor_def, &network_actor_def,
	&avahi_actor_def,      &web_actor_def,
};

const struct actor_def *const *actors_table(size_t *count)
{
	*count = sizeof(table) / sizeof(table[0]);
	return table;
}
