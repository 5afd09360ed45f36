/* The C side of the ABI. The value helpers are inline in the header; this file
   keeps the header compiled once so that it stays valid C. (hgc_visitor is opaque:
   the library passes its own state behind it.) */
#include "hakogc.h"
