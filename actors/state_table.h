/* SPDX-License-Identifier: MIT */
/*
 * The connection state table: which state may follow which. This is the
 * one place the allowed transitions are written down; the state actor
 * refuses, logs and counts anything the table does not allow. Pure code,
 * any thread.
 *
 *   DISCONNECTED -> AP_MODE, CONNECTING, CONNECTED, SWITCHING, FAILED
 *   AP_MODE      -> SWITCHING, CONNECTING, CONNECTED, FAILED
 *   SWITCHING    -> CONNECTING, FAILED, AP_MODE
 *   CONNECTING   -> CONNECTED, FAILED, AP_MODE, DISCONNECTED
 *   CONNECTED    -> DISCONNECTED, SWITCHING, CONNECTED (ip change), AP_MODE
 *   FAILED       -> AP_MODE, SWITCHING, CONNECTING, DISCONNECTED
 *
 * The daemon starts in DISCONNECTED.
 */
#ifndef DISTILLER_ACTORS_STATE_TABLE_H
#define DISTILLER_ACTORS_STATE_TABLE_H

#include <stdbool.h>

#include "messages/msg.h"

#define STATE_TABLE_INITIAL WIFI_STATE_DISCONNECTED

/*
 * True when @to may follow @from. A value outside enum wifi_state is
 * never allowed, in either position.
 */
bool state_table_allows(enum wifi_state from, enum wifi_state to);

#endif
