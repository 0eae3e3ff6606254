/* SPDX-License-Identifier: MIT */
/*
 * The avahi actor: makes the device findable on the local network. Through
 * avahi-daemon (libavahi-client over the system D-Bus) it keeps the mDNS
 * host name at "distiller-xxxx", so distiller-xxxx.local resolves, and
 * publishes the setup page as a DNS-SD _http._tcp service called
 * "Distiller XXXX" on the configured web port, with TXT records path=/,
 * id=xxxx, version=<daemon version> and state=<connection state>.
 *
 * It reports whether mDNS works to "state" (MSG_MDNS_EVENT) and keeps
 * running without avahi-daemon, picking it up whenever it (re)appears.
 */
#ifndef DISTILLER_ACTORS_AVAHI_H
#define DISTILLER_ACTORS_AVAHI_H

#include "runtime/actor.h"

/* DNS-SD service type of the setup page. */
#define AVAHI_SERVICE_TYPE "_http._tcp"

/* Instance name "Distiller A1B2" and host name "distiller-a1b2". */
#define AVAHI_SERVICE_PREFIX "Distiller"
#define AVAHI_HOST_PREFIX "distiller"

/* Back-off between attempts to reach the system bus, milliseconds. */
#define AVAHI_RETRY_MIN_MS 1000
#define AVAHI_RETRY_MAX_MS 30000

/*
 * Thread "avahi", mailbox "avahi", its own loop (AvahiSimplePoll).
 * Subscribes to state snapshots and is supervised.
 */
extern const struct actor_def avahi_actor_def;

#endif
