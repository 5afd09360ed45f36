/* The C side of the ABI: inline helpers land here as the ABI grows. */
#include "hakogc.h"
