/* core/arena.c: bump allocation over one aligned block. */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pan_status pan_arena_init(pan_arena *arena, const char *name, size_t capacity) {
    pan_arena made = {0};
    snprintf(made.name, sizeof made.name, "%s", name ? name : "arena");
    if (capacity > 0) {
        size_t rounded = (capacity + PAN_ARENA_ALIGN - 1) &
                         ~(size_t)(PAN_ARENA_ALIGN - 1);
        if (rounded < capacity)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "arena '%s': capacity %zu overflows", made.name,
                                 capacity);
        made.base = aligned_alloc(PAN_ARENA_ALIGN, rounded);
        if (!made.base)
            return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                                 "arena '%s': cannot allocate %zu bytes",
                                 made.name, capacity);
        made.capacity = rounded;
    }
    *arena = made;
    return PAN_OK;
}

void pan_arena_free(pan_arena *arena) {
    if (!arena) return;
    free(arena->base);
    arena->base = NULL;
    arena->capacity = arena->used = arena->peak = 0;
}

void *pan_arena_alloc(pan_arena *arena, size_t bytes, size_t align) {
    if (align == 0) align = PAN_ARENA_ALIGN;
    if ((align & (align - 1)) != 0 || align > PAN_ARENA_ALIGN) {
        pan_error_set(PAN_ERR_INVALID_ARGUMENT,
                      "arena '%s': alignment %zu is not a power of two <= %d",
                      arena->name, align, PAN_ARENA_ALIGN);
        return NULL;
    }
    size_t start = (arena->used + align - 1) & ~(align - 1);
    if (start > arena->capacity || bytes > arena->capacity - start) {
        pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                      "arena '%s' exhausted: requested %zu bytes, %zu of %zu "
                      "in use",
                      arena->name, bytes, arena->used, arena->capacity);
        return NULL;
    }
    void *ptr = arena->base + start;
    memset(ptr, 0, bytes);
    arena->used = start + bytes;
    if (arena->used > arena->peak) arena->peak = arena->used;
    return ptr;
}

pan_status pan_arena_tensor(pan_arena *arena, pan_tensor *t, pan_dtype dtype,
                            int ndim, const int64_t *shape) {
    pan_tensor made;
    pan_status status = pan_tensor_init(&made, NULL, dtype, ndim, shape);
    if (status != PAN_OK) return status;
    size_t numel = (size_t)pan_tensor_numel(&made);
    size_t elem = pan_dtype_size(dtype);
    if (numel != 0 && elem > SIZE_MAX / numel)
        return pan_error_set(PAN_ERR_RESOURCE_EXHAUSTED,
                             "arena '%s': tensor byte size overflows",
                             arena->name);
    made.data = pan_arena_alloc(arena, numel * elem, PAN_ARENA_ALIGN);
    if (!made.data && numel * elem > 0) return PAN_ERR_RESOURCE_EXHAUSTED;
    *t = made;
    return PAN_OK;
}

size_t pan_arena_mark(const pan_arena *arena) { return arena->used; }

void pan_arena_rewind(pan_arena *arena, size_t mark) {
    if (mark <= arena->used) arena->used = mark;
}

void pan_arena_reset(pan_arena *arena) { arena->used = 0; }

void pan_arena_take(pan_arena_carver *carver, void **ptr, size_t bytes) {
    carver->total += (bytes + PAN_ARENA_ALIGN - 1) & ~(size_t)(PAN_ARENA_ALIGN - 1);
    if (!carver->arena || !carver->ok) return;
    *ptr = pan_arena_alloc(carver->arena, bytes, PAN_ARENA_ALIGN);
    if (!*ptr) carver->ok = false; /* RESOURCE_EXHAUSTED set */
}

pan_status pan_arena_carve(pan_arena *arena, const char *name,
                           pan_arena_carve_fn carve, void *ctx, size_t *bytes) {
    pan_arena_carver sizing = {.ok = true};
    carve(ctx, &sizing);
    if (bytes) *bytes = sizing.total;
    if (!arena) return PAN_OK;
    pan_status st = pan_arena_init(arena, name, sizing.total);
    if (st != PAN_OK) return st;
    pan_arena_carver carving = {.arena = arena, .ok = true};
    carve(ctx, &carving);
    return carving.ok ? PAN_OK : PAN_ERR_RESOURCE_EXHAUSTED;
}
