#ifndef HAKO_CUNWIND_SHIM_H
#define HAKO_CUNWIND_SHIM_H
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdint.h>

/* unw_backtrace is a real function; the stepping API is macros, wrapped for Swift. */
static inline int hako_unw_backtrace(void **buffer, int size) {
  return unw_backtrace(buffer, size);
}

/* The name of the function containing `ip` and ip's offset in it, from the ELF
   symbol tables of the object mapped there (.symtab included, so functions an
   executable does not export are named too): the local address space's
   get_proc_name accessor. 0 on success, a negative UNW_E* code otherwise. */
static inline int hako_unw_proc_name(uintptr_t ip, char *buffer, size_t size, uintptr_t *offset) {
  unw_accessors_t *accessors = unw_get_accessors(unw_local_addr_space);
  unw_word_t off = 0;
  if (accessors == 0 || accessors->get_proc_name == 0) return -UNW_EUNSPEC;
  int status = accessors->get_proc_name(unw_local_addr_space, (unw_word_t)ip, buffer, size, &off, 0);
  *offset = (uintptr_t)off;
  return status;
}
#endif
