/* SPDX-License-Identifier: MIT */
/*
 * The network actor: NetworkManager through libnm. It raises the access
 * point, scans, joins the network a person picked, reports why a join
 * failed, falls back to the access point, and keeps the device on its
 * known network across reboots, outages and NetworkManager restarts.
 *
 * Mailbox "network". Takes MSG_CONNECT_REQUEST and MSG_DISCONNECT_REQUEST
 * (answered with MSG_REPLY), MSG_SCAN_REQUEST (answered with
 * MSG_SCAN_RESULT) and the state snapshots it subscribes to. Sends
 * MSG_NET_EVENT facts and MSG_STATE_GET to "state".
 */
#ifndef DISTILLER_ACTORS_NETWORK_H
#define DISTILLER_ACTORS_NETWORK_H

#include "runtime/actor.h"

extern const struct actor_def network_actor_def;

#endif
