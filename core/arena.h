/* core/arena.h: one allocation per lifetime class.
 *
 * Contract
 * - An arena is a single 64-byte-aligned block sized up front (weights,
 *   gradients, optimizer state, activations, per-env state each get their
 *   own). Allocation bumps a pointer; nothing is freed individually.
 * - pan_arena_alloc returns NULL and sets RESOURCE_EXHAUSTED (naming the
 *   arena, the request and what is left) when the block is full; the arena
 *   is unchanged then. Memory handed out is zero-filled.
 * - pan_arena_mark / pan_arena_rewind release everything allocated after a
 *   mark (scratch use inside one call); pan_arena_reset releases everything.
 * - `peak` records the high-water mark for memory reports.
 * - Sizing up front, two passes over one carving function: with
 *   carver.arena NULL, pan_arena_take only adds the 64-byte rounded size to
 *   carver.total; with an arena of that capacity, it hands out the buffers
 *   (carver.ok turns false, RESOURCE_EXHAUSTED set, if one does not fit).
 * - Thread safety: none; one owner at a time.
 */
#ifndef PAN_CORE_ARENA_H
#define PAN_CORE_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"
#include "core/tensor.h"

#define PAN_ARENA_ALIGN 64
#define PAN_ARENA_NAME_MAX 32

typedef struct pan_arena {
    char name[PAN_ARENA_NAME_MAX];
    unsigned char *base;
    size_t capacity;
    size_t used;
    size_t peak;
} pan_arena;

/* Allocates the block. `capacity` 0 is allowed (every alloc then fails). */
pan_status pan_arena_init(pan_arena *arena, const char *name, size_t capacity);
void pan_arena_free(pan_arena *arena);

/* `align` must be a power of two no larger than PAN_ARENA_ALIGN (0 means
 * PAN_ARENA_ALIGN). */
void *pan_arena_alloc(pan_arena *arena, size_t bytes, size_t align);

/* Allocates a contiguous tensor of the given dtype and shape. */
pan_status pan_arena_tensor(pan_arena *arena, pan_tensor *t, pan_dtype dtype,
                            int ndim, const int64_t *shape);

typedef struct pan_arena_carver {
    pan_arena *arena; /* NULL: the sizing pass */
    size_t total;     /* bytes asked for so far, each rounded to 64 */
    bool ok;          /* false once an allocation failed */
} pan_arena_carver;

void pan_arena_take(pan_arena_carver *carver, void **ptr, size_t bytes);

/* Both passes: carve(ctx, &sizing) for the size, pan_arena_init(arena,
 * name, size), carve(ctx, &carving). *bytes (may be NULL) gets the size.
 * With arena NULL only the sizing pass runs. */
typedef void (*pan_arena_carve_fn)(void *ctx, pan_arena_carver *carver);
pan_status pan_arena_carve(pan_arena *arena, const char *name,
                           pan_arena_carve_fn carve, void *ctx, size_t *bytes);

size_t pan_arena_mark(const pan_arena *arena);
void pan_arena_rewind(pan_arena *arena, size_t mark);
void pan_arena_reset(pan_arena *arena);

#endif
