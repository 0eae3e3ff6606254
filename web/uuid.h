/* SPDX-License-Identifier: MIT */
/*
 * Random (version 4) UUIDs for join session ids, from getrandom(2).
 */
#ifndef DISTILLER_WEB_UUID_H
#define DISTILLER_WEB_UUID_H

#include <stdbool.h>
#include <stddef.h>

/* "xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx" plus the NUL */
#define UUID_STR_SIZE 37

/*
 * Writes a new lower-case UUID v4 string into @out. Returns 0, or -errno
 * when the kernel gives no randomness (@out is then an empty string).
 * Any thread; may block only before the kernel's entropy pool is ready.
 */
int uuid_v4(char out[UUID_STR_SIZE]);

/* True when @s has the shape of a UUID (any version, either case). */
bool uuid_is_valid(const char *s);

#endif
