/* SPDX-License-Identifier: MIT */
/*
 * The supervisor actor: starts every other actor in table order, checks
 * that each still answers heartbeats, restarts the ones that fail, and
 * speaks the systemd notification protocol (READY, WATCHDOG, STATUS).
 */
#ifndef DISTILLER_ACTORS_SUPERVISOR_H
#define DISTILLER_ACTORS_SUPERVISOR_H

#include "runtime/actor.h"

/* Exit status of the process when actors keep failing. */
#define SUPERVISOR_EXIT_RESTART_LIMIT 70

extern const struct actor_def supervisor_actor_def;

#endif
