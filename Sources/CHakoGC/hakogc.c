/* The C side of the ABI. The value helpers are inline in the header; this file
   keeps the header compiled once so that it stays valid C. */
#include "hakogc.h"

/* A visitor handed to vtable trace callbacks (the heap side arrives with boxed
   values); declared here so the opaque type has a definition in the library. */
struct hgc_visitor {
    void *state;
};
