#ifndef HAKO_CUNWIND_SHIM_H
#define HAKO_CUNWIND_SHIM_H
#define UNW_LOCAL_ONLY
#include <libunwind.h>

/* unw_backtrace is a real function; the stepping API is macros, wrapped for Swift. */
static inline int hako_unw_backtrace(void **buffer, int size) {
  return unw_backtrace(buffer, size);
}
#endif
