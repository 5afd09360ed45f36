#ifndef HAKO_CZLIB_SHIM_H
#define HAKO_CZLIB_SHIM_H
/* zlib, for gcstat's gzip-compressed pprof profiles (Debian's zlib1g-dev). */
#include <zlib.h>
#endif
