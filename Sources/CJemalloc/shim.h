#ifndef HAKO_CJEMALLOC_SHIM_H
#define HAKO_CJEMALLOC_SHIM_H
#include <jemalloc/jemalloc.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* MALLOCX_ALIGN is a macro Swift cannot import. */
static inline int hako_mallocx_align_flags(size_t alignment) {
  return MALLOCX_ALIGN(alignment);
}

/* Flags for heap page blocks: aligned, from `arena` (if it is not UINT32_MAX), and
   never through the thread cache, so a block given back reaches the arena at once. */
static inline int hako_mallocx_page_flags(size_t alignment, unsigned arena) {
  int flags = MALLOCX_ALIGN(alignment) | MALLOCX_TCACHE_NONE;
  if (arena != (unsigned)-1) flags |= MALLOCX_ARENA(arena);
  return flags;
}

/* A jemalloc arena for heap pages that returns freed blocks to the system at once
   (dirty and muzzy decay 0): the heap keeps its own cache of empty pages, so what it
   gives back is meant to leave the process. (unsigned)-1 if it cannot be made. */
static inline unsigned hako_create_page_arena(void) {
  unsigned arena = 0;
  size_t size = sizeof(arena);
  if (mallctl("arenas.create", &arena, &size, NULL, 0) != 0) return (unsigned)-1;
  ssize_t zero = 0;
  char name[64];
  snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", arena);
  mallctl(name, NULL, NULL, &zero, sizeof(zero));
  snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", arena);
  mallctl(name, NULL, NULL, &zero, sizeof(zero));
  return arena;
}
#endif
