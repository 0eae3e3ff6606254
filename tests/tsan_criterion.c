/* SPDX-License-Identifier: MIT */
/*
 * Linked into every test program of a ThreadSanitizer build, and only
 * there. Criterion keeps its test data in an "inheritable arena" that it
 * maps at 0x200000000000 + rand_r() * 16 MiB; under ThreadSanitizer most
 * of that span is the sanitizer's shadow memory, and Criterion gives up
 * with "Could not initialize inheritable arena" (Criterion issue #274).
 * This rand_r() keeps the draw inside ThreadSanitizer's middle range of
 * application memory (0x550000000000-0x568000000000 on x86-64), where
 * the arena can live. Criterion probes each address and tries again
 * when it is taken, so the values only need to vary.
 */
#include <stdlib.h>

#define ARENA_SLOT_FIRST 0x360000 /* 0x560000000000 */
#define ARENA_SLOTS 0x4000

int rand_r(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ARENA_SLOT_FIRST + (int)((*seed >> 8) % ARENA_SLOTS);
}
