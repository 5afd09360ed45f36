#ifndef HAKOGC_H
#define HAKOGC_H
/* HakoGC C ABI. The full ABI (heaps, values, registry, bridge) arrives with the
   CrossBoundary issue; what is declared here exists and is tested today. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version: major << 16 | minor. */
#define HGC_ABI_VERSION 0x00000100u

/* Stable type id of a fully-qualified type name ("namespace/Name@version"):
   FNV-1a 64 over its UTF-8 bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
uint64_t hgc_type_id(const char *fully_qualified_name);

/* The ABI version the library was built with (compare with HGC_ABI_VERSION). */
uint32_t hgc_abi_version(void);

#ifdef __cplusplus
}
#endif
#endif
