/* SPDX-License-Identifier: MIT */
/*
 * The web actor: the setup page, the public REST API, the status
 * WebSocket and the captive portal, served with libwebsockets from the
 * actor's own thread (see web.c for the listeners and the rules).
 */
#ifndef DISTILLER_ACTORS_WEB_H
#define DISTILLER_ACTORS_WEB_H

#include "runtime/actor.h"

extern const struct actor_def web_actor_def;

#endif
