#ifndef HAKO_CJEMALLOC_SHIM_H
#define HAKO_CJEMALLOC_SHIM_H
#include <jemalloc/jemalloc.h>
#include <stddef.h>

/* MALLOCX_ALIGN is a macro Swift cannot import. */
static inline int hako_mallocx_align_flags(size_t alignment) {
  return MALLOCX_ALIGN(alignment);
}
#endif
