/* SPDX-License-Identifier: MIT */
/*
 * The explicit table of the daemon's actors, in start order. The
 * supervisor comes first and starts the others; they stop in reverse.
 */
#ifndef DISTILLER_ACTORS_ACTORS_H
#define DISTILLER_ACTORS_ACTORS_H

#include <stddef.h>

struct actor_def;

/* The daemon's actors; *count receives their number. Immutable. */
const struct actor_def *const *actors_table(size_t *count);

#endif
